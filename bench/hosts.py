"""Local test hosts for the benchmarks: podman containers named bench-rtvs-NN on network bench-rtvs.

They start from the image of scripts/build-image.sh (Debian 12, systemd, sshd, user `ansible`
with sudo), like Molecule's hosts (molecule/shared/create.yml). For "packages already installed"
the bench derives one image from it, once per recipe: the broker test double
(molecule/shared/install_broker_double.yml), R and python3-cryptography, committed as
localhost/bench-rtvs-prepared:<key>. A fresh container from that image is a host where the
packages are installed and nothing is configured yet, which is what a converge starts from.
"""
import hashlib
import json
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = "bench-rtvs-"
NETWORK = "bench-rtvs"
LABEL = "rtvs.owner=bench"
PREPARED = "localhost/bench-rtvs-prepared"
SSH_OPTS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=3", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]


def _env():
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", os.path.join(ROOT, ".work", "containers.conf"))
    return env


def podman(*args, check=True):
    proc = subprocess.run(["podman"] + list(args), capture_output=True, text=True, env=_env(), check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("podman %s failed: %s" % (" ".join(args), proc.stderr.strip()))
    return proc.stdout.strip()


def identity_file():
    cache = os.environ.get("RTVS_CACHE", "/var/cache/rtvs-remote")
    path = os.path.join(cache, "ssh", "id_ed25519")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "rtvs-testhost", "-f", path], check=True)
    return path


def base_image():
    return subprocess.run(["bash", os.path.join(ROOT, "scripts", "build-image.sh")], capture_output=True,
                          text=True, env=_env(), check=True).stdout.strip().splitlines()[-1]


def name(i):
    return "%s%02d" % (PREFIX, i)


def _ensure_network():
    if subprocess.run(["podman", "network", "exists", NETWORK], env=_env(), check=False).returncode != 0:
        podman("network", "create", NETWORK)


def start(names, image):
    """(Re)create containers with these names from image; return {name: address} once SSH + sudo work."""
    _ensure_network()
    key = identity_file()
    for n in names:
        podman("run", "--detach", "--replace", "--name", n, "--hostname", n, "--network", NETWORK,
               "--network-alias", n, "--systemd=always", "--label", LABEL,
               "--volume", key + ".pub:/home/ansible/.ssh/authorized_keys:ro", image)
    addresses = {}
    for n in names:
        info = json.loads(podman("container", "inspect", "--format", "json", n))
        addresses[n] = info[0]["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
    deadline = time.time() + 120
    pending = dict(addresses)
    while pending:
        for n, addr in list(pending.items()):
            proc = subprocess.run(["ssh"] + SSH_OPTS + ["-i", key, "ansible@" + addr,
                                                        "sudo -n timeout 60 systemctl is-system-running --wait"],
                                  capture_output=True, text=True, check=False)
            if proc.returncode != 255 and proc.stdout.strip() in ("running", "degraded"):
                del pending[n]
        if pending:
            if time.time() > deadline:
                raise RuntimeError("test hosts not ready after 120 s: %s" % sorted(pending))
            time.sleep(0.5)
    return addresses


def remove(names=None):
    """Remove the given bench containers (default: every container labelled as the bench's)."""
    if names is None:
        names = podman("ps", "--all", "--quiet", "--filter", "label=" + LABEL).split()
    if names:
        podman("rm", "--force", "--ignore", "--time", "3", *names, check=False)


def remove_network():
    remove()
    podman("network", "rm", "--force", NETWORK, check=False)


def inventory(path, addresses, host_vars=None):
    """Write a YAML inventory (JSON is YAML) with the hosts in group rtvs_linux."""
    hosts = {}
    for n, addr in sorted(addresses.items()):
        hosts[n] = {"ansible_host": addr}
    data = {"all": {"vars": dict({"ansible_user": "ansible", "ansible_ssh_private_key_file": identity_file(),
                                  # throwaway test hosts: their keys change with every container
                                  "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
                                  # keys per bench run, as before the per-user default
                                  "rtvs_linux_controller_dir": "{{ inventory_dir }}/pki"},
                                 **(host_vars or {})),
                    "children": {"rtvs_linux": {"hosts": hosts}}}}
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2)
    return path


# CPU time of every podman container (the test hosts): cgroup v1 cpuacct (ns) or v2 cpu.stat (us), under
# the cgroupfs parent podman uses here; the first one that exists.
CONTAINER_CPU = (("/sys/fs/cgroup/cpuacct/libpod_parent/cpuacct.usage", None, 1e-9),
                 ("/sys/fs/cgroup/libpod_parent/cpu.stat", "usage_usec", 1e-6),
                 ("/sys/fs/cgroup/machine.slice/cpu.stat", "usage_usec", 1e-6))


def cpu_counters():
    """(busy CPU seconds of the whole machine, CPU seconds of all podman containers) so far.

    Busy is user + nice + system + irq + softirq from /proc/stat (idle, iowait and steal left out).
    The containers' figure is None when no cgroup file is readable.
    """
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    busy = (user + nice + system + irq + softirq) / float(os.sysconf("SC_CLK_TCK"))
    for path, key, scale in CONTAINER_CPU:
        try:
            with open(path) as fh:
                text = fh.read()
        except OSError:
            continue
        if key is None:
            return busy, int(text.strip()) * scale
        for line in text.splitlines():
            if line.startswith(key + " "):
                return busy, int(line.split()[1]) * scale
    return busy, None


def prepared_key(base):
    """Recipe key of the prepared image: base image tag + the double's installer and files + the packages."""
    h = hashlib.sha256(base.encode())
    shared = os.path.join(ROOT, "molecule", "shared")
    paths = [os.path.join(shared, "install_broker_double.yml"), os.path.join(ROOT, "bench", "playbooks", "prepare_host.yml")]
    double = os.path.join(shared, "broker_double")
    paths += sorted(os.path.join(double, f) for f in os.listdir(double))
    for p in paths:
        with open(p, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:12]


def prepared_image(run_playbook, log):
    """The image with packages installed and nothing configured; built once per recipe key."""
    base = base_image()
    tag = "%s:%s" % (PREPARED, prepared_key(base))
    if subprocess.run(["podman", "image", "exists", tag], env=_env(), check=False).returncode == 0:
        return tag
    log("building %s from %s (broker double, R, python3-cryptography; once per recipe)" % (tag, base))
    builder = PREFIX + "prepare"
    addresses = start([builder], base)
    try:
        run_playbook(addresses, os.path.join(ROOT, "molecule", "shared", "install_broker_double.yml"))
        run_playbook(addresses, os.path.join(ROOT, "bench", "playbooks", "prepare_host.yml"))
        podman("commit", "--quiet", builder, tag)
    finally:
        remove([builder])
    for old in podman("images", "--format", "{{.Repository}}:{{.Tag}}").split():
        if old.startswith(PREPARED + ":") and old != tag:
            podman("rmi", old, check=False)
    return tag
