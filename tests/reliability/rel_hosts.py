"""One set of podman test hosts for the whole reliability session.

Started once with the shared Molecule create/destroy playbooks (molecule/shared/), under the
scenario name ``reliability`` (containers ``rtvs-mol-reliability-rel-*``, network
``rtvs-mol-reliability``), prepared with the rtvsd test double, and converged once with
``playbooks/linux.yml``. Tests then break things on purpose and converge again.
"""
import json
import os
import subprocess

import yaml

import rel_support
from rel_support import run_ansible

# RTVS_REL_SCENARIO lets two checkouts on one machine run the suite at once (their own containers and network)
SCENARIO = os.environ.get("RTVS_REL_SCENARIO", "reliability")
HOSTS = ["rel-a", "rel-b"]
PASSWORD = "Rel-Fleet-Pfx-6d3f0b"
# crypt(3) of "rel-user-password" (sha512); users need a hash, never the password itself.
USER_HASH = "$6$relsalt$b4p/6b4QZjijGVxVKppDDrlOyp/refIe8lZZuFUOd4yWRkLtLhurabNe4PxoT/C1hLimEZ6npgNeGf84z60Ve."
SHARED = os.path.join(rel_support.ROOT, "molecule", "shared")
LINUX = os.path.join(rel_support.ROOT, "playbooks", "linux.yml")
CONTAINERS_CONF = os.environ.get("CONTAINERS_CONF", os.path.join(rel_support.ROOT, ".work", "containers.conf"))

GROUP_VARS = {
    "rtvs_certificate_source": "selfsigned",
    "rtvs_daemon_install": False,
    "rtvs_linux_r_install_recommends": False,
    "rtvs_allowed_group": "rtvs-users",
    "rtvs_users": [{"name": "rtvs-rel", "password_hash": USER_HASH}],
    "rtvs_linux_controller_dir": "{{ inventory_dir }}/pki",  # the tests read the keys under the workdir
}


def _molecule_env():
    return {"MOLECULE_SCENARIO_NAME": SCENARIO, "CONTAINERS_CONF": CONTAINERS_CONF}


def _local(playbook, workdir, extra):
    result = rel_support.run_playbook(playbook, extra, env=_molecule_env())
    assert result.rc == 0, result
    return result


class Fleet:
    def __init__(self, workdir):
        self.workdir = workdir
        self.instance_config = workdir / "instances.yml"
        self.vault = workdir / "vault.json"
        self.vault.write_text(json.dumps({"rtvs_pfx_password": PASSWORD}))
        os.chmod(self.vault, 0o600)
        self.instances = {}

    def create(self):
        # CAP_NET_ADMIN: nft works in the host's own network namespace (test_rel_nftables.py), nothing else changes
        platforms = [{"name": h, "podman_args": ["--cap-add", "NET_ADMIN"]} for h in HOSTS]
        _local(os.path.join(SHARED, "create.yml"), self.workdir,
               {"molecule_yml": {"platforms": platforms}, "molecule_instance_config": str(self.instance_config)})
        self.load()

    def load(self):
        for entry in yaml.safe_load(self.instance_config.read_text()):
            self.instances[entry["instance"]] = entry

    def destroy(self):
        _local(os.path.join(SHARED, "destroy.yml"), self.workdir,
               {"molecule_instance_config": str(self.instance_config)})

    def host_vars(self, name):
        entry = self.instances[name]
        return {"ansible_host": entry["address"], "ansible_user": entry["user"], "ansible_port": entry["port"],
                "ansible_ssh_private_key_file": entry["identity_file"], "ansible_become_method": "sudo",
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"}

    def inventory(self, hosts=None, extra_hosts=None, path=None, **group_vars):
        hosts = hosts or HOSTS
        entries = {h: self.host_vars(h) for h in hosts}
        for name, host_vars in (extra_hosts or {}).items():
            entries[name] = host_vars
        ordered = {}
        for name in sorted(entries):
            ordered[name] = entries[name]
        data = {"all": {"children": {"rtvs_linux": {"hosts": ordered, "vars": dict(GROUP_VARS, **group_vars)}}}}
        path = path or (self.workdir / ("inventory-%d.json" % len(list(self.workdir.glob("inventory-*.json")))))
        path.write_text(json.dumps(data, indent=1))
        return path

    def converge(self, inventory=None, args=(), env=None, verbosity=0, limit=None, **group_vars):
        inventory = inventory or self.inventory(**group_vars)
        extra = ["-e", "@%s" % self.vault] + (["--limit", limit] if limit else []) + list(args)
        return run_ansible(LINUX, inventory, args=extra, env=env, verbosity=verbosity)

    def doctor_check(self, name, check_id, report, inventory=None, **doctor_vars):
        """The doctor's row ``check_id`` for host ``name`` (playbooks/doctor.yml with a JSON report at ``report``)."""
        extra = dict({"rtvs_doctor_fail": False, "rtvs_doctor_report_file": str(report)}, **doctor_vars)
        result = run_ansible(os.path.join(rel_support.ROOT, "playbooks", "doctor.yml"), inventory or self.inventory(),
                             args=["--limit", name, "-e", "@%s" % self.vault, "-e", json.dumps(extra)])
        assert result.rc == 0, result
        data = json.loads(report.read_text())
        hosts = data.get("hosts", data)
        checks = hosts[name]["checks"] if isinstance(hosts, dict) else [h for h in hosts if h["host"] == name][0]["checks"]
        return [c for c in checks if c["id"] == check_id][0]

    def prepare(self):
        inventory = self.inventory()
        result = run_ansible(os.path.join(SHARED, "install_broker_double.yml"), inventory)
        assert result.rc == 0, result

    def container(self, name):
        return self.instances[name]["container"]

    def sh(self, name, command, check=True):
        proc = subprocess.run(["podman", "exec", self.container(name), "sh", "-c", command], check=False,
                              capture_output=True, env=dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF))
        if check:
            assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
        return proc

    def read(self, name, path):
        proc = self.sh(name, "cat %s" % path, check=False)
        return proc.stdout if proc.returncode == 0 else None
