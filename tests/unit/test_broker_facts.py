"""broker_info (module_utils) on fake filesystem roots: every fact the doctor judges, and nothing secret returned."""
import datetime
import json
import os
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, NoEncryption, pkcs12

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_info as bf
from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, issuing

PASSWORD = "Pfx-Password-9182"
FQDN = "rtvs.example.test"

PASSWD = """root:x:0:0:root:/root:/bin/bash
rtvssvc:x:998:998::/home/rtvssvc:/usr/sbin/nologin
alice:x:1001:1001::/home/alice:/bin/bash
bob:x:1002:1002::/home/bob:/bin/bash
carol:x:1003:1500::/home/carol:/bin/bash
"""
GROUP = """root:x:0:
rtvssvc:x:998:
alice:x:1001:
bob:x:1002:
rtvs-users:x:1500:alice,bob
"""
SHADOW = """root:*:19000:0:99999:7:::
rtvssvc:!:19000::::::
alice:$y$j9T$abc$def:19000:0:99999:7:::
bob:!:19000:0:99999:7:::
carol:$6$salt$hash:19000:0:99999:7:::
"""
DPKG = """Package: bash
Status: install ok installed
Version: 5.2.15-2

Package: r-base-core
Status: install ok installed
Priority: optional
Version: 4.2.2.20221110-2
Description: GNU R core
 multi-line description: with a colon

Package: microsoft-r-open-mro-3.4
Status: deinstall ok config-files
Version: 3.4.4
"""
# 0.0.0.0:5444 and :::5444 listening, 127.0.0.1:22 listening, one established connection on 5444
TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1544 00000000:0000 0A 00000000:00000000 00:00000000 00000000   998        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1544 0100007F:D431 01 00000000:00000000 00:00000000 00000000   998        0 3 1 0000000000000000 100 0 0 10 0
"""
TCP6 = (  # columns after the inode left out; the parser reads local_address and st only
    "  sl  local_address                         remote_address                        st tx_queue rx_queue\n"
    "   0: 00000000000000000000000000000000:1544 00000000000000000000000000000000:0000 0A 00000000:00000000\n"
)
UNIT = """[Unit]
Description=rtvsd

[Service]
ExecStart=/usr/bin/rtvsd
User=rtvssvc

[Install]
Alias=rtvsd.service
"""


def _pfx(password=PASSWORD, fqdn=FQDN, no_key=False):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = issuing.build_certificate(key, fqdn)
    enc = BestAvailableEncryption(password.encode()) if password else NoEncryption()
    return pkcs12.serialize_key_and_certificates(b"rtvs", None if no_key else key, cert, None, enc)


@pytest.fixture(scope="module")
def good_pfx():
    return _pfx()


def write(root, path, data, mode=0o644):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
    os.chmod(full, mode)
    return full


def config(**security):
    sec = {"allowedGroup": "rtvs-users", "X509CertificateFile": "/etc/rtvs/rtvsd.pfx", "X509CertificatePassword": PASSWORD}
    sec.update(security)
    sec = dict((k, v) for k, v in sec.items() if v is not Ellipsis)
    return json.dumps({"logging": {"logFolder": "/var/log/rtvs"}, "security": sec, "startup": {"name": "rtvsd"},
                       "urls": "https://0.0.0.0:5444"})


@pytest.fixture
def host(tmp_path, good_pfx):
    write(tmp_path, "/etc/passwd", PASSWD)
    write(tmp_path, "/etc/group", GROUP)
    write(tmp_path, "/etc/shadow", SHADOW, 0o640)
    write(tmp_path, "/var/lib/dpkg/status", DPKG)
    write(tmp_path, "/proc/net/tcp", TCP)
    write(tmp_path, "/proc/net/tcp6", TCP6)
    write(tmp_path, "/lib/systemd/system/rtvsd.service", UNIT)
    write(tmp_path, "/etc/systemd/system/rtvsd.service.d/wantedby.conf", "[Install]\nWantedBy=multi-user.target\n")
    os.makedirs(str(tmp_path / "etc/systemd/system/multi-user.target.wants"))
    os.symlink("/lib/systemd/system/rtvsd.service", str(tmp_path / "etc/systemd/system/multi-user.target.wants/rtvsd.service"))
    write(tmp_path, "/etc/pam.d/rtvs", "@include common-auth\n")
    write(tmp_path, "/etc/rtvs/rtvsd.config.json", config(), 0o640)
    write(tmp_path, "/etc/rtvs/rtvsd.pfx", good_pfx, 0o640)
    write(tmp_path, "/usr/lib/R/lib/libR.so", b"\x7fELF")
    for user in ("alice", "bob"):
        os.makedirs(str(tmp_path / "home" / user))
    return tmp_path


def systemctl_answers(enabled="enabled", active="active", sub="running", restarts="0"):
    calls = []

    def systemctl(args):
        calls.append(args)
        if args[0] == "show":
            return {"--property=SubState": sub, "--property=NRestarts": restarts}[args[1]]
        return {"is-enabled": enabled, "is-active": active}[args[0]]

    systemctl.calls = calls
    return systemctl


def readable(_path, account):
    return True, "group rtvssvc has read (fake)"


def gather(host, **kw):
    kw.setdefault("systemctl", systemctl_answers())
    kw.setdefault("can_read", readable)
    kw.setdefault("fqdn", FQDN)
    return bf.gather(root=str(host), **kw)


def tree_state(root):
    """Every path under root with its bytes and mtime: proves gather() writes nothing."""
    state = {}
    for folder, dirs, files in os.walk(str(root)):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            data = open(path, "rb").read() if os.path.isfile(path) and not os.path.islink(path) else None
            state[path] = (st.st_mode, st.st_mtime_ns, data)
    return state


def test_healthy_host_facts(host):
    before = tree_state(host)
    facts = gather(host)
    assert tree_state(host) == before
    svc = facts["service"]
    assert svc["installed"] and svc["unit_path"] == "/lib/systemd/system/rtvsd.service"
    assert svc["wanted_by"] == ["multi-user.target"] and svc["aliases"] == ["rtvsd.service"]
    assert svc["wanted_links"] == ["/etc/systemd/system/multi-user.target.wants/rtvsd.service"]
    assert (svc["enabled"], svc["active"], svc["sub_state"], svc["n_restarts"]) == ("enabled", "active", "running", 0)
    cfg = facts["config"]
    assert cfg["parsed"] and cfg["port"] == 5444 and not cfg["url_loopback"]
    assert cfg["allowed_group"] == "rtvs-users" and cfg["password_set"] and not cfg["password_is_default"]
    pfx = facts["pfx"]
    assert pfx["opens"] is True and pfx["key_present"] and pfx["key_matches"]
    assert pfx["certificate"]["covers_name"] is True and pfx["certificate"]["subject"] == "CN=%s" % FQDN
    assert pfx["access"] == {"account": "rtvssvc", "can_read": True, "reason": "group rtvssvc has read (fake)"}
    group = facts["allowed_group"]
    assert group["exists"] and group["gid"] == 1500
    members = dict((m["name"], m) for m in group["members"])
    assert sorted(members) == ["alice", "bob", "carol"]  # carol through her primary group
    assert members["alice"]["password_set"] and members["alice"]["home_exists"]
    assert members["bob"]["password_set"] is False  # locked with '!'
    assert members["carol"]["home_exists"] is False
    assert facts["r_installs"] == [{"name": "r-base-core", "version": "4.2.2.20221110-2", "path": "/usr/lib/R",
                                    "lib_exists": True, "supported": False}]
    assert facts["listening"] == {"port": 5444, "listening": True, "addresses": ["0.0.0.0", "::"]}
    assert facts["ufw"]["installed"] is False
    assert facts["pam"]["exists"] and facts["account"]["exists"]


def test_password_never_returned(host):
    facts = gather(host)
    text = json.dumps(facts)
    assert PASSWORD not in text
    assert facts["config"]["content"]["security"]["X509CertificatePassword"] == "********"


def test_wrong_password_in_config(host):
    write(host, "/etc/rtvs/rtvsd.config.json", config(X509CertificatePassword="not-the-password"))
    pfx = gather(host)["pfx"]
    assert pfx["opens"] is False and pfx["key_matches"] is None and "not-the-password" not in json.dumps(pfx)


def test_pfx_without_password_opens_with_null(host):
    write(host, "/etc/rtvs/rtvsd.pfx", _pfx(password=None))
    write(host, "/etc/rtvs/rtvsd.config.json", config(X509CertificatePassword=None))
    facts = gather(host)
    assert facts["config"]["password_set"] is False and facts["pfx"]["opens"] is True


def test_mismatched_key_and_missing_key(host, monkeypatch):
    # cryptography refuses to write a PFX whose key does not match, so hand the loader's answer in.
    real = bf.pfx._load
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def mismatched(data, password):
        _key, cert, extra, name = real(data, password)
        return other, cert, extra, name

    monkeypatch.setattr(bf.pfx, "_load", mismatched)
    assert gather(host)["pfx"]["key_matches"] is False
    monkeypatch.undo()
    write(host, "/etc/rtvs/rtvsd.pfx", _pfx(no_key=True))
    pfx = gather(host)["pfx"]
    assert pfx["opens"] is True and pfx["key_present"] is False


def test_missing_pfx_and_unset_file(host):
    os.remove(str(host / "etc/rtvs/rtvsd.pfx"))
    assert gather(host)["pfx"]["exists"] is False
    write(host, "/etc/rtvs/rtvsd.config.json", config(X509CertificateFile=Ellipsis))
    assert gather(host)["pfx"]["path"] is None


def test_access_check_reports_its_answer(host):
    pfx = gather(host, can_read=lambda path, account: (False, "mode 0600 owner root"))["pfx"]
    assert pfx["access"]["can_read"] is False and pfx["access"]["reason"] == "mode 0600 owner root"


def test_config_that_does_not_parse(host):
    write(host, "/etc/rtvs/rtvsd.config.json", '{"security": {"allowedGroup": ""},}')
    facts = gather(host)
    assert facts["config"]["parsed"] is False and "not valid JSON" in facts["config"]["error"]
    assert facts["pfx"]["path"] is None and facts["allowed_group"]["exists"] is None


def test_config_keys_are_case_insensitive_and_defaults_apply(host):
    write(host, "/etc/rtvs/rtvsd.config.json", json.dumps({
        "SECURITY": {"x509certificatefile": "/etc/rtvs/rtvsd.pfx", "X509CERTIFICATEPASSWORD": PASSWORD},
        "Lifetime": {"pingtimeout": 1000}, "URLS": "https://localhost:6000"}))
    cfg = gather(host)["config"]
    assert cfg["certificate_file"] == "/etc/rtvs/rtvsd.pfx" and cfg["password_set"]
    assert cfg["allowed_group_set"] is False  # omitted: the code default Users applies
    assert cfg["port"] == 6000 and cfg["url_loopback"] is True
    assert cfg["lifetime_keys"] == ["lifetime.pingTimeout"]
    assert cfg["log_folder"] == "/tmp"
    assert PASSWORD not in json.dumps(cfg)


def test_omitted_allowed_group_looks_for_users(host):
    write(host, "/etc/rtvs/rtvsd.config.json", config(allowedGroup=Ellipsis))
    group = gather(host)["allowed_group"]
    assert group == {"name": "Users", "exists": False, "gid": None, "members": []}


def test_empty_allowed_group(host):
    write(host, "/etc/rtvs/rtvsd.config.json", config(allowedGroup=""))
    facts = gather(host)
    assert facts["config"]["allowed_group_set"] and facts["allowed_group"]["exists"] is None


def test_shadow_unreadable_is_unknown_not_false(host, monkeypatch):
    monkeypatch.setattr(bf, "read_shadow", lambda root: None)
    facts = gather(host)
    assert facts["shadow_readable"] is False
    assert all(m["password_set"] is None for m in facts["allowed_group"]["members"])


def test_unit_without_wantedby_and_no_link(host):
    os.remove(str(host / "etc/systemd/system/rtvsd.service.d/wantedby.conf"))
    os.remove(str(host / "etc/systemd/system/multi-user.target.wants/rtvsd.service"))
    svc = gather(host, systemctl=systemctl_answers(enabled="alias"))["service"]
    assert svc["wanted_by"] == [] and svc["wanted_links"] == [] and svc["enabled"] == "alias"


def test_wantedby_reset_by_empty_assignment(host):
    write(host, "/etc/systemd/system/rtvsd.service.d/zz-reset.conf", "[Install]\nWantedBy=\n")
    assert gather(host)["service"]["wanted_by"] == []


def test_unit_missing(host):
    os.remove(str(host / "lib/systemd/system/rtvsd.service"))
    answers = systemctl_answers()
    svc = gather(host, systemctl=answers)["service"]
    assert svc["installed"] is False and svc["active"] is None and answers.calls == []


def test_systemctl_is_only_asked_read_only_questions(host):
    answers = systemctl_answers(active="activating", sub="auto-restart", restarts="22")
    svc = gather(host, systemctl=answers)["service"]
    assert (svc["active"], svc["sub_state"], svc["n_restarts"]) == ("activating", "auto-restart", 22)
    assert [c[0] for c in answers.calls] == ["is-enabled", "is-active", "show", "show"]


def test_r_removed(host):
    removed = DPKG.replace("Status: install ok installed\nPriority", "Status: deinstall ok config-files\nPriority")
    write(host, "/var/lib/dpkg/status", removed)
    assert gather(host)["r_installs"] == []


def test_r_3x_is_supported(host):
    write(host, "/var/lib/dpkg/status", DPKG.replace("4.2.2.20221110-2", "3.6.3-2"))
    assert gather(host)["r_installs"][0]["supported"] is True


def test_not_listening(host):
    write(host, "/proc/net/tcp", TCP.replace(":1544 00000000:0000 0A", ":1545 00000000:0000 0A"))
    write(host, "/proc/net/tcp6", TCP6.split("\n", 1)[0] + "\n")
    facts = gather(host)
    # The established connection on 5444 (state 01) does not count as listening.
    assert facts["listening"] == {"port": 5444, "listening": False, "addresses": []}


UFW_RULES = """*filter
### RULES ###

### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in
-A ufw-user-input -p tcp --dport 22 -j ACCEPT

%s
### END RULES ###
"""


@pytest.mark.parametrize("tuples, default, allowed, sources", [
    ("### tuple ### allow tcp 5444 0.0.0.0/0 any 10.0.0.0/8 in", "DROP", True, ["10.0.0.0/8"]),
    ("### tuple ### deny tcp 5444 0.0.0.0/0 any 0.0.0.0/0 in", "DROP", False, []),
    ("### tuple ### deny tcp 5444 0.0.0.0/0 any 0.0.0.0/0 in\n### tuple ### allow tcp 5444 0.0.0.0/0 any 0.0.0.0/0 in",
     "DROP", False, ["0.0.0.0/0"]),
    ("### tuple ### allow tcp 5000:6000 0.0.0.0/0 any 0.0.0.0/0 in", "DROP", True, ["0.0.0.0/0"]),
    ("### tuple ### allow any 80,5444 0.0.0.0/0 any 0.0.0.0/0 in comment=web", "DROP", True, ["0.0.0.0/0"]),
    ("### tuple ### allow tcp 5444 0.0.0.0/0 any 0.0.0.0/0 out", "DROP", False, []),
    ("", "DROP", False, []),
    ("", "ACCEPT", True, []),
])
def test_ufw_first_matching_rule_wins(host, tuples, default, allowed, sources):
    write(host, "/etc/ufw/ufw.conf", "ENABLED=yes\nLOGLEVEL=low\n")
    write(host, "/etc/default/ufw", 'IPV6=yes\nDEFAULT_INPUT_POLICY="%s"\n' % default)
    write(host, "/etc/ufw/user.rules", UFW_RULES % tuples)
    ufw = gather(host)["ufw"]
    assert ufw["installed"] and ufw["enabled"] and ufw["default_input"] == default
    assert ufw["port_allowed"] is allowed and ufw["sources"] == sources


def test_ufw_disabled(host):
    write(host, "/etc/ufw/ufw.conf", "ENABLED=no\n")
    ufw = gather(host)["ufw"]
    assert ufw["installed"] and ufw["enabled"] is False


def test_newest_log_and_its_error_lines(host):
    old = write(host, "/var/log/rtvs/Microsoft.R.Host.Broker_rtvsd_20261120_101010_pid10.log", "[Error] old failure\n")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    write(host, "/var/log/rtvs/Microsoft.R.Host.Broker_rtvsd_20261125_101010_pid22.log",
          "[Information] started\n\n[Error] Unable to open /etc/rtvs/rtvsd.pfx\n"
          "[Information] TLS handshake with 10.0.0.1 failed: unknown ca\n"
          "Unhandled exception without a level\n[Information] still here\n")
    write(host, "/var/log/rtvs/unrelated.log", "[Error] not a broker log\n")
    logs = gather(host)["logs"]
    assert logs["newest"]["path"].endswith("pid22.log")
    # An [Information] line mentioning "failed" is no error; a line without a level is judged by its words.
    assert logs["error_lines"] == ["[Error] Unable to open /etc/rtvs/rtvsd.pfx", "Unhandled exception without a level"]
    assert logs["tail"][-1] == "[Information] still here" and "" not in logs["tail"]
    assert datetime.datetime.strptime(logs["newest"]["last_write_time"], "%Y-%m-%dT%H:%M:%SZ")


def test_no_log_folder(host):
    logs = gather(host)["logs"]
    assert logs["newest"] is None and logs["error"] == "folder does not exist"


@pytest.mark.parametrize("urls, port", [
    ("https://0.0.0.0:5444", 5444), ("https://[::]:7000;http://x:1", 7000), ("https://host", 443), ("garbage", None)])
def test_parse_port(urls, port):
    assert bf.parse_port(urls) == port


@pytest.fixture
def open_dir():
    # pytest's tmp_path sits below a 0700 folder; this test needs parents others may enter.
    import pathlib
    import shutil
    import tempfile

    path = pathlib.Path(tempfile.mkdtemp(dir="/var/tmp", prefix="rtvs-doctor-test-"))
    os.chmod(str(path), 0o755)
    yield path
    shutil.rmtree(str(path))


def test_posix_can_read_real_files(open_dir):
    # Real files and the real account database: "nobody" exists on every Debian/Ubuntu host.
    folder = open_dir / "etc-rtvs"
    folder.mkdir()
    os.chmod(str(folder), 0o755)
    pfx = folder / "broker.pfx"
    pfx.write_bytes(b"x")
    os.chmod(str(pfx), 0o600)
    readable, reason = bf.posix_can_read(str(pfx), "nobody")
    assert readable is False and "may not read" in reason and "other::---" in reason
    os.chmod(str(pfx), 0o644)
    readable, reason = bf.posix_can_read(str(pfx), "nobody")
    assert readable is True and "may read" in reason
    os.chmod(str(folder), 0o700)
    readable, reason = bf.posix_can_read(str(pfx), "nobody")
    assert readable is False and "cannot enter %s" % folder in reason
    assert bf.posix_can_read(str(pfx), "no-such-account-xyz") == (False, "account no-such-account-xyz does not exist")


class _Cryptography38(object):
    """A certificate as cryptography 38 (Debian 12's python3-cryptography) exposes it: no *_utc attributes."""

    def __init__(self, cert):
        self._cert = cert
        self.not_valid_before = cert.not_valid_before_utc.replace(tzinfo=None)
        self.not_valid_after = cert.not_valid_after_utc.replace(tzinfo=None)

    def __getattr__(self, name):
        if name.endswith("_utc") or name == "verify_directly_issued_by":
            raise AttributeError(name)
        return getattr(self._cert, name)


def test_certificate_summary_on_old_cryptography():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = issuing.build_certificate(key, FQDN, ["192.0.2.7"])
    modern = certs.summary(cert)
    old = certs.summary(_Cryptography38(cert))
    assert old == modern


def test_nul_in_the_configured_password_is_reported_not_used(host):
    """Issue 14 M4: the doctor must not hand a NUL to the crypto library (it panics)."""
    write(host, "/etc/rtvs/rtvsd.config.json", config(X509CertificatePassword="ab\u0000cd-Canary"), 0o640)
    pfx = gather(host)["pfx"]
    assert pfx["opens"] is False and "contains a NUL byte" in pfx["error"] and "Canary" not in pfx["error"]
