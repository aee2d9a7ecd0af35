"""linux_host_info (module_utils) on fake filesystem roots: what linux_broker skips on, and no password hash returned."""
import hashlib
import json
import os
import grp
import pwd

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_host_info as hs
from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_plan

HASH = "$6$salt$Vb0hash"
PASSWD = """root:x:0:0:root:/root:/bin/bash
rtvssvc:x:998:998::/var/lib/rtvssvc:/usr/sbin/nologin
alice:x:1001:1001::/home/alice:/bin/bash
bob:x:1002:1002::/home/bob:/bin/bash
carol:x:1003:1500::/home/carol:/bin/sh
"""
GROUP = """root:x:0:
rtvssvc:x:998:
alice:x:1001:
bob:x:1002:
rtvs-users:x:1500:alice,bob
"""
SHADOW = "alice:%s:19000::::::\nbob:$6$other$x:19000::::::\ncarol:%s:19000::::::\n" % (HASH, HASH)
DPKG = """Package: r-base-core
Status: install ok installed
Version: 4.2.2.20221110-2

Package: python3-cryptography
Status: hold ok installed
Version: 38.0.4-3

Package: rtvs-daemon
Status: deinstall ok config-files
Version: 1.3
"""
OS_RELEASE = 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n' \
             'VERSION_CODENAME=jammy\n'
# 0.0.0.0:5444 listening (inode 4711), 127.0.0.1:22 listening (inode 22), an established one on 5444 (inode 9)
TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1544 00000000:0000 0A 00000000:00000000 00:00000000 00000000   998        0 4711 1 0 100 0 0 10 0
   1: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22 1 0 100 0 0 10 0
   2: 0100007F:1544 0100007F:D431 01 00000000:00000000 00:00000000 00000000   998        0 9 1 0 100 0 0 10 0
"""


def write(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)
    return full


def process(root, pid, comm, cgroup, sockets):
    write(root, "/proc/%s/comm" % pid, comm + "\n")
    write(root, "/proc/%s/cgroup" % pid, cgroup)
    fd_dir = os.path.join(str(root), "proc", str(pid), "fd")
    os.makedirs(fd_dir)
    os.symlink("/dev/null", os.path.join(fd_dir, "0"))
    for number, inode in enumerate(sockets, start=3):
        os.symlink("socket:[%s]" % inode, os.path.join(fd_dir, str(number)))


@pytest.fixture
def host(tmp_path):
    write(tmp_path, "/etc/passwd", PASSWD)
    write(tmp_path, "/etc/group", GROUP)
    write(tmp_path, "/etc/shadow", SHADOW)
    write(tmp_path, "/var/lib/dpkg/status", DPKG)
    write(tmp_path, "/etc/os-release", OS_RELEASE)
    write(tmp_path, "/proc/net/tcp", TCP)
    for home in ("/home/alice", "/home/bob"):  # carol's home is missing
        os.makedirs(os.path.join(str(tmp_path), home.lstrip("/")))
    return tmp_path


def gather(root, **params):
    return hs.gather(params, root=str(root))


def test_os_release_gives_the_family_of_a_debian_derivative(host):
    state = gather(host)["state"]
    assert state["os"] == {"id": "ubuntu", "id_like": ["debian"], "name": "Ubuntu", "version_id": "22.04",
                           "codename": "jammy", "os_family": "Debian"}


def test_a_non_debian_host_has_no_family(host):
    write(host, "/etc/os-release", 'ID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\n')
    assert gather(host)["state"]["os"]["os_family"] is None


def test_packages_report_installed_and_held_only(host):
    state = gather(host, packages=["r-base-core", "python3-cryptography", "rtvs-daemon", "ufw"])["state"]
    assert state["packages"] == {
        "r-base-core": {"version": "4.2.2.20221110-2", "held": False},
        "python3-cryptography": {"version": "38.0.4-3", "held": True},
    }


def test_service_account_and_groups(host):
    accounts = gather(host, service_account="rtvssvc", groups=["rtvs-users", "nobody-here"])["state"]["accounts"]
    assert accounts["groups"] == {"rtvs-users": True, "nobody-here": False}
    assert accounts["service_account"] == {"name": "rtvssvc", "user": True, "group": True,
                                           "primary_group": "rtvssvc", "shell": "/usr/sbin/nologin"}
    missing = gather(host, service_account="rtvsd2")["state"]["accounts"]["service_account"]
    assert missing["user"] is False and missing["group"] is False and missing["primary_group"] is None


def test_users_to_change_names_every_entry_that_differs(host):
    users = [
        {"name": "alice", "password_hash": HASH},                      # matches
        {"name": "bob", "password_hash": HASH},                        # other hash in shadow
        {"name": "bob2", "password_hash": HASH},                       # no such account
        {"name": "carol", "password_hash": HASH},                      # primary group ok, home missing
        {"name": "alice", "password_hash": HASH, "shell": "/bin/zsh"},  # other shell
        {"name": "alice", "password_hash": HASH, "home": "/srv/alice"},  # other home
    ]
    result = gather(host, users=users, users_group="rtvs-users")
    assert result["state"]["accounts"]["users_to_change"] == ["bob", "bob2", "carol", "alice", "alice"]
    assert HASH not in json.dumps(result), "a password hash must never leave the host"


def test_on_create_ignores_the_hash_and_group_membership_counts(host):
    users = [{"name": "bob", "password_hash": HASH, "update_password": "on_create"}]
    assert gather(host, users=users, users_group="rtvs-users")["state"]["accounts"]["users_to_change"] == []
    write(host, "/etc/group", GROUP.replace("alice,bob", "alice"))
    assert gather(host, users=users, users_group="rtvs-users")["state"]["accounts"]["users_to_change"] == ["bob"]


def test_unreadable_shadow_counts_as_differing(host):
    os.remove(os.path.join(str(host), "etc", "shadow"))
    users = [{"name": "alice", "password_hash": HASH}]
    assert gather(host, users=users, users_group="rtvs-users")["state"]["accounts"]["users_to_change"] == ["alice"]


def test_paths_give_owner_mode_and_the_sha1_copy_compares(host):
    full = write(host, "/etc/rtvs/rtvsd.pfx", "pfx bytes")
    os.chmod(full, 0o640)
    os.chmod(os.path.dirname(full), 0o755)
    state = gather(host, paths=["/etc/rtvs", "/etc/rtvs/rtvsd.pfx", "/etc/missing"])["state"]["paths"]
    assert state["/etc/rtvs"]["isdir"] and state["/etc/rtvs"]["mode"] == "0755"
    assert state["/etc/rtvs"]["checksum"] is None
    pfx = state["/etc/rtvs/rtvsd.pfx"]
    assert pfx["mode"] == "0640" and not pfx["isdir"]
    assert pfx["checksum"] == hashlib.sha1(b"pfx bytes").hexdigest()
    assert pfx["owner"] == pwd.getpwuid(os.getuid())[0]
    assert state["/etc/missing"] == {"exists": False, "isdir": False, "owner": None, "group": None, "mode": None,
                                     "checksum": None}


def test_listeners_name_program_pid_and_unit(host):
    process(host, 812, "rtvsd", "0::/system.slice/rtvsd.service\n", ["4711"])
    process(host, 900, "nginx", "12:name=systemd:/system.slice/nginx.service\n1:cpu:/\n", ["9", "4711"])
    process(host, 901, "sshd", "0::/system.slice/ssh.service\n", ["22"])
    process(host, 902, "python3", "0::/user.slice/user-1000.slice/session-3.scope\n", ["4711"])
    state = gather(host, port=5444)["state"]
    assert state["listeners"] == [
        {"program": "rtvsd", "pid": 812, "unit": "rtvsd.service"},
        {"program": "nginx", "pid": 900, "unit": "nginx.service"},
        {"program": "python3", "pid": 902, "unit": "session-3.scope"},
    ]
    assert gather(host, port=2222)["state"]["listeners"] == []


def test_bad_port_names_the_option(host):
    with pytest.raises(hs.StateError, match="port must be 1-65535"):
        gather(host, port=70000)


def test_key_access_pending_reports_a_missing_file_with_the_reason(host):
    state = gather(host, key_access={"paths": [os.path.join(str(host), "no.pfx")], "account": "root",
                                     "method": "group", "owner": "root"})["state"]
    assert state["key_access"]["pending"] is True
    assert "no.pfx" in state["key_access"]["reason"]


def test_key_access_pending_follows_key_access_check_mode(host):
    full = write(host, "/k/broker.pfx", "x")
    os.chmod(os.path.dirname(full), 0o755)
    params = {"paths": [full], "account": "root", "method": "group", "owner": "root", "group": "root"}
    os.chmod(full, 0o644)  # others may read: key_access would narrow it
    assert gather(host, key_access=params)["state"]["key_access"]["pending"] is True
    os.chmod(full, 0o600)  # the account is the owner, so owner-only is what key_access leaves
    assert gather(host, key_access=params)["state"]["key_access"] == {"pending": False, "reason": None}


def test_service_state_comes_from_systemctl(host):
    write(host, "/lib/systemd/system/rtvsd.service", "[Service]\nExecStart=/bin/true\n")
    calls = []

    def systemctl(args):
        calls.append(args)
        return {"is-enabled": "enabled", "is-active": "active"}.get(args[0], "")

    state = hs.gather({"service": "rtvsd"}, root=str(host), systemctl=systemctl)["state"]
    assert state["service"]["enabled"] == "enabled" and state["service"]["active"] == "active"
    assert ["is-enabled", "rtvsd.service"] in calls
    assert gather(host)["state"].get("service") is None


def test_ufw_and_nothing_changes(host):
    result = gather(host)
    assert result["changed"] is False and result["state"]["ufw"] is False
    write(host, "/usr/sbin/ufw", "#!/bin/sh\n")
    assert gather(host)["state"]["ufw"] is True


def test_ufw_enabled_is_read_from_ufw_conf(host):
    assert gather(host)["state"]["ufw_enabled"] is False  # no ufw.conf
    write(host, "/etc/ufw/ufw.conf", "# /etc/ufw/ufw.conf\nENABLED=no\nLOGLEVEL=low\n")
    assert gather(host)["state"]["ufw_enabled"] is False
    write(host, "/etc/ufw/ufw.conf", "ENABLED=yes\n")
    assert gather(host)["state"]["ufw_enabled"] is True


# ---- broker_config's own check mode in the host read (the plan's config step)

def _config_desired(path, pfx_validate=False):
    me = pwd.getpwuid(os.getuid()).pw_name
    mine = grp.getgrgid(os.getgid()).gr_name
    return {"check_mode": False, "r": {"install": False}, "allowed_group": mine,
            "pfx": {"path": str(path) + ".pfx", "checksum": None, "validate": pfx_validate},
            "config": {"path": str(path), "owner": me, "group": mine, "mode": "0640",
                       "settings": {"security": {"allowedGroup": mine, "X509CertificateFile": str(path) + ".pfx"}},
                       "r": {"autodetect": True, "interpreter_name": "", "base_path": "/usr/lib/R"},
                       "overrides": {}}}


def test_config_pending_runs_broker_configs_own_check(tmp_path):
    from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_config
    path = tmp_path / "rtvsd.config.json"
    desired = _config_desired(path)
    state = {"packages": {}, "accounts": {"groups": {desired["allowed_group"]: True}}, "paths": {}}
    missing = hs.config_pending(desired, state, "Pfx-Secret-123")
    assert missing["pending"] is True and str(path) in missing["reason"]
    # what broker_config writes is what the check then finds unchanged
    params = dict(path=str(path), settings=linux_plan.config_settings(desired, linux_plan.r_facts(desired, state)),
                  certificate_password="Pfx-Secret-123", platform="linux", validate_certificate=False,
                  owner=desired["config"]["owner"], group=desired["config"]["group"], mode="0640")
    broker_config.apply_file(params)
    assert hs.config_pending(desired, state, "Pfx-Secret-123") == {"pending": False, "reason": None}
    # another password, another mode: pending, and the reason holds neither password
    changed = hs.config_pending(desired, state, "Other-Secret-456")
    assert changed["pending"] and "settings differ" in changed["reason"] and "Secret" not in changed["reason"]
    os.chmod(str(path), 0o644)
    assert "mode" in hs.config_pending(desired, state, "Pfx-Secret-123")["reason"]


def test_config_pending_when_validation_fails_lets_broker_config_say_why(tmp_path):
    path = tmp_path / "rtvsd.config.json"
    desired = _config_desired(path, pfx_validate=True)  # the PFX is not there
    state = {"packages": {}, "accounts": {"groups": {}}, "paths": {}}
    seen = hs.config_pending(desired, state, "Pfx-Secret-123")
    assert seen["pending"] is True and seen["reason"].startswith("broker_config has to run: ")
    assert "Pfx-Secret-123" not in seen["reason"]
