"""Reliability on real (podman) test hosts: modes, secrets on the host, a fleet with a dead host,
interrupted converges, a failed restart, concurrent runs, preflight refusals that need host facts.

All tests share the session's two hosts (fixture ``fleet``), converged once at the start; each
test leaves them converged again.
"""
import json
import os
import re
import signal
import subprocess
import time

import pytest

import rel_hosts
import rel_support
from rel_support import key_needles

ETC = "/etc/rtvs"
CONFIG = ETC + "/rtvsd.config.json"


def pfx_path(host):
    return "%s/%s.pfx" % (ETC, host)  # rtvs_fqdn defaults to inventory_hostname


def _stat(fleet, host, path):
    out = fleet.sh(host, "stat -c '%%a %%U %%G' %s" % path).stdout.decode().split()
    return out[0], out[1], out[2]


def _snapshot(fleet, host):
    paths = (CONFIG, pfx_path(host))
    return {p: (fleet.read(host, p), _stat(fleet, host, p) if fleet.read(host, p) is not None else None) for p in paths}


def _service(fleet, host):
    return fleet.sh(host, "systemctl is-active rtvsd", check=False).stdout.decode().strip()


def test_baseline_converges_and_warns_about_insecure_choices(fleet):
    result = fleet.baseline
    assert result.rc == 0, result
    for host in rel_hosts.HOSTS:
        assert _service(fleet, host) == "active"
    # insecure choices the test inventory makes on purpose are warned about, naming the variable
    assert "rtvs_certificate_source=selfsigned is for testing" in result.output
    assert "rtvs_allowed_sources is empty, so TCP 5444 accepts every address" in result.output


def test_default_modes_of_pfx_config_controller_key_and_backups(fleet):
    host = rel_hosts.HOSTS[0]
    assert _stat(fleet, host, pfx_path(host)) == ("640", "root", "rtvssvc")
    assert _stat(fleet, host, CONFIG) == ("640", "root", "rtvssvc")
    key = fleet.workdir / "pki" / host / "broker.key"
    assert rel_support.mode_of(key) == 0o600 and rel_support.mode_of(key.parent) == 0o700
    listing = fleet.sh(host, "find %s -name '*.bak' -printf '%%f %%m %%u %%g\\n'" % ETC).stdout.decode().split("\n")
    for line in filter(None, listing):
        name, mode, user, group = line.split()
        original = re.sub(r"\.\d{4}-\d\d-\d\d@.*$", "", name)
        assert (mode, user, group) == _stat(fleet, host, ETC + "/" + original), line


def _recap(output, host):
    match = re.search(r"^%s\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host),
                      output, re.M)
    assert match, (host, output[-3000:])
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def test_fleet_with_dead_host_in_the_middle_vvvv_leaks_nothing(fleet):
    """rel-a, rel-a2-gone (nothing listens), rel-b: the live hosts converge, the dead one is reported.
    The run is -vvvv --diff, and its output plus every file on the host and controller is scanned."""
    dead = {"ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_user": "nobody",
            "ansible_ssh_common_args": "-o ConnectTimeout=3"}
    inventory = fleet.inventory(extra_hosts={"rel-a2-gone": dead})
    result = fleet.converge(inventory=inventory, verbosity=4, args=["--diff"])
    assert result.rc == 4, result  # 4: some hosts were unreachable
    assert _recap(result.stdout, "rel-a2-gone")["unreachable"] == 1
    for host in rel_hosts.HOSTS:
        recap = _recap(result.stdout, host)
        assert recap["failed"] == 0 and recap["unreachable"] == 0, (host, recap)
        assert _service(fleet, host) == "active"
    # secrets: the password and the key bytes, nowhere in the output ...
    keys = [(fleet.workdir / "pki" / h / "broker.key").read_bytes() for h in rel_hosts.HOSTS]
    needles = [rel_hosts.PASSWORD.encode()] + [n for k in keys for n in key_needles(k)]
    out = result.output.encode()
    assert [i for i, n in enumerate(needles) if n in out] == []
    assert "ESTABLISH SSH CONNECTION" in result.output
    # ... nor in any file on the host but the config (and its backups), which must hold the password
    host = rel_hosts.HOSTS[0]
    scan = ("for f in $(find /etc /tmp /var/tmp /root /home /var/log /var/cache/apt/archives -xdev -type f "
            "-size -5M 2>/dev/null); do for n in %s; do grep -qF \"$n\" \"$f\" 2>/dev/null && "
            "echo \"$f $(stat -c '%%a %%U %%G' \"$f\")\"; done; done | sort -u")
    quoted = " ".join("'%s'" % n.decode() for n in needles if b"'" not in n and n.isascii() and b"\n" not in n
                      and len(n) > 8 and all(32 <= c < 127 for c in n))
    holders = [l for l in fleet.sh(host, scan % quoted).stdout.decode().splitlines() if l]
    for line in holders:
        path, mode, user, group = line.split()
        assert path == CONFIG or path.startswith(CONFIG + "."), ("secret in", line)
        assert (mode, user, group) == ("640", "root", "rtvssvc") or mode == "600", line
    assert any(l.startswith(CONFIG + " ") for l in holders), "the scan must find the password where it belongs"
    # ... nor on the controller outside the per-host key files (tmp dirs, inventory folder)
    scanned = [p for p in rel_support.files_under(fleet.workdir) if not os.path.basename(p).startswith("vault")]
    found = rel_support.find_secrets(scanned, needles)  # the vault files are the inputs, left out
    allowed = {str(fleet.workdir / "pki" / h / "broker.key") for h in rel_hosts.HOSTS}
    assert set(found) <= allowed, sorted(set(found) - allowed)


def test_r_outside_range_refused_with_require_supported_r(fleet):
    host = rel_hosts.HOSTS[1]
    before = _snapshot(fleet, host)
    result = fleet.converge(limit=host, rtvs_require_supported_r=True)
    assert result.rc != 0, result
    assert "is outside 3.2-3.9, the only versions the RTVS broker accepts" in result.output
    assert "rtvs_require_supported_r=false" in result.output and "Nothing was changed" in result.output
    assert _recap(result.stdout, host)["changed"] == 0
    assert _snapshot(fleet, host) == before and _service(fleet, host) == "active"


@pytest.mark.parametrize("package", ["http://127.0.0.1:9/rtvs-daemon_1.3.deb", "notadeb"])
def test_daemon_package_unreachable_or_not_a_deb(fleet, tmp_path, package):
    host = rel_hosts.HOSTS[1]
    if package == "notadeb":
        fake = tmp_path / "rtvs-daemon_1.3.deb"
        fake.write_text("this is a zip, not a .deb\n")
        package = str(fake)
    before = _snapshot(fleet, host)
    result = fleet.converge(limit=host, rtvs_daemon_install=True, rtvs_daemon_package=package)
    assert result.rc != 0, result
    assert _snapshot(fleet, host) == before and _service(fleet, host) == "active"
    failed = [l for l in result.stdout.splitlines() if l.startswith(("fatal:", "[ERROR]"))]
    assert any("rtvs_daemon_package" in l for l in failed), ("the error must name rtvs_daemon_package", failed)


def test_check_mode_with_a_new_certificate_and_pfx_reports_and_changes_nothing(fleet, tmp_path):
    """--check where neither the controller's certificate nor the host's PFX exist yet (a new
    rtvs_linux_certificate_name and controller folder): broker_config cannot open a PFX that is not
    there, so the role must not ask it to; the run reports the pending changes and writes nothing."""
    host = rel_hosts.HOSTS[1]
    before = _snapshot(fleet, host)
    controller_dir = tmp_path / "pki"
    new_pfx = "%s/rel-check-new.pfx" % ETC
    result = fleet.converge(limit=host, args=("--check",), rtvs_linux_controller_dir=str(controller_dir),
                            rtvs_linux_certificate_name="rel-check-new")
    assert result.rc == 0, result
    assert re.search(r"%s\s+:.*changed=[1-9]" % re.escape(host), result.stdout), result
    assert _snapshot(fleet, host) == before
    assert fleet.read(host, new_pfx) is None, "check mode copied a PFX"
    assert not controller_dir.exists(), "check mode made the controller folder"


def test_port_used_by_another_program(fleet):
    host = rel_hosts.HOSTS[1]
    fleet.sh(host, "systemd-run --unit rel-squatter python3 -m http.server 5544")
    try:
        before = _snapshot(fleet, host)
        result = fleet.converge(limit=host, rtvs_port=5544)
        assert result.rc != 0, result
        assert "rtvs_port" in result.output and "5544" in result.output and "python3" in result.output, result
        assert _snapshot(fleet, host) == before, "config rewritten for a port another program holds"
        assert _service(fleet, host) == "active"
    finally:
        fleet.sh(host, "systemctl stop rel-squatter", check=False)
        assert fleet.converge(limit=host).rc == 0


def test_failed_restart_keeps_a_restorable_backup_and_says_how(fleet):
    host = rel_hosts.HOSTS[1]
    before = fleet.read(host, CONFIG)
    # logFolder rtvssvc cannot write: the config validates, the broker refuses to start
    result = fleet.converge(limit=host, rtvs_linux_broker_settings={"logging": {"logFolder": "/root"}})
    try:
        assert result.rc != 0, result
        backups = fleet.sh(host, "ls %s.*.bak 2>/dev/null || true" % CONFIG).stdout.decode().split()
        assert any(fleet.read(host, b) == before for b in backups), ("previous config not kept", backups)
        assert re.search(r"restor\w*.*\.bak|\.bak.*restor", result.output, re.I | re.S), \
            ("the failure must say how to restore the backup", result)
    finally:
        assert fleet.converge(limit=host).rc == 0
        assert _service(fleet, host) == "active"


def _valid_after_kill(fleet, host, passwords):
    from cryptography.hazmat.primitives.serialization import pkcs12

    config = json.loads(fleet.read(host, CONFIG))  # raises on a half-written file
    data = fleet.read(host, pfx_path(host))
    opened = 0
    for password in passwords:
        try:
            loaded = pkcs12.load_pkcs12(data, password.encode())
        except ValueError:
            continue
        assert loaded.key is not None and loaded.cert is not None
        opened += 1
    assert opened == 1, "the PFX on the host opens with none of the passwords used"
    temps = fleet.sh(host, "find /etc/rtvs -name '.*tmp*' -printf '%p %m\\n'").stdout.decode().split("\n")
    for line in filter(None, temps):
        assert line.split()[1] == "600", ("leftover temporary file readable by others", line)
    return config


def _run_and_kill(fleet, inventory, after_tasks, delay):
    cmd = [os.path.join(os.path.dirname(os.sys.executable), "ansible-playbook"), "-i", str(inventory),
           "-e", "@%s" % fleet.vault, "--limit", rel_hosts.HOSTS[0], rel_hosts.LINUX]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            cwd=rel_support.ROOT, start_new_session=True)
    seen = 0
    for line in proc.stdout:
        if line.startswith("TASK ["):
            seen += 1
            if seen == after_tasks:
                time.sleep(delay)
                os.killpg(proc.pid, signal.SIGKILL)
                break
    proc.wait()
    return seen


def test_interrupted_converges_then_rerun_converges(fleet):
    """Kill ansible-playbook (SIGKILL, whole process group) at several points of converges that
    rotate the PFX password (so PFX, config and restart all happen), then converge."""
    host = rel_hosts.HOSTS[0]
    tasks = fleet.baseline.stdout.count("TASK [")
    passwords = [rel_hosts.PASSWORD]
    for i, (fraction, delay) in enumerate([(0.45, 0.0), (0.6, 0.3), (0.75, 0.1), (0.9, 0.5)]):
        password = "Rel-Interrupted-%d-9e1c" % i
        passwords.append(password)
        inventory = fleet.inventory(rtvs_pfx_password=password)
        # group var loses to the -e vault file, so write a vault for this password
        vault = fleet.workdir / ("vault-int-%d.json" % i)
        vault.write_text(json.dumps({"rtvs_pfx_password": password}))
        saved, fleet.vault = fleet.vault, vault
        try:
            _run_and_kill(fleet, inventory, max(2, int(tasks * fraction)), delay)
        finally:
            fleet.vault = saved
        _valid_after_kill(fleet, host, passwords)
    result = fleet.converge(limit=host)
    assert result.rc == 0, result
    config = _valid_after_kill(fleet, host, [rel_hosts.PASSWORD])
    assert config["security"]["X509CertificatePassword"] == rel_hosts.PASSWORD
    assert _service(fleet, host) == "active"


def test_two_runs_at_once_do_not_corrupt_files(fleet):
    host = rel_hosts.HOSTS[0]
    inventory = fleet.inventory()
    vault = fleet.workdir / "vault-concurrent.json"
    vault.write_text(json.dumps({"rtvs_pfx_password": "Rel-Concurrent-3b8d"}))
    cmd = [os.path.join(os.path.dirname(os.sys.executable), "ansible-playbook"), "-i", str(inventory),
           "-e", "@%s" % vault, "--limit", host, rel_hosts.LINUX]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                              cwd=rel_support.ROOT) for _run in range(2)]
    outputs = [p.communicate()[0] for p in procs]
    _valid_after_kill(fleet, host, ["Rel-Concurrent-3b8d", rel_hosts.PASSWORD])
    result = fleet.converge(limit=host)  # back to the session password
    assert result.rc == 0, (result, [o[-2000:] for o in outputs])
    _valid_after_kill(fleet, host, [rel_hosts.PASSWORD])
    assert _service(fleet, host) == "active"
