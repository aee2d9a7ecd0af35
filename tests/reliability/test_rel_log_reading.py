"""M1 (issue 14): the doctor reads broker logs as root from a folder the service account owns.

The service account could plant a symbolic link or a hard link named like a broker log pointing at a
root-only file, or a FIFO to hang the reader: none of them is read, each is listed with the reason,
and the doctor's check warns. Runs rtvs.remote.broker_facts through ansible-playbook on localhost.
"""
import json
import os
import pwd

import pytest

import rel_support

SECRET = b"root-only-Canary-3f9a"
LOG = "Microsoft.R.Host.Broker_rtvsd_20261130_101010_pid%d.log"


def _service_uid():
    for name in ("nobody", "daemon"):
        try:
            return name, pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
    pytest.skip("no unprivileged account to own the log folder")


@pytest.fixture
def host(tmp_path):
    account, uid = _service_uid()
    logs = tmp_path / "logs"
    logs.mkdir()
    os.chown(str(logs), uid, -1)
    secret = tmp_path / "root-only.txt"
    secret.write_bytes(b"[Error] " + SECRET + b"\n")
    os.chmod(str(secret), 0o600)
    config = tmp_path / "rtvsd.config.json"
    config.write_text(json.dumps({"logging": {"logFolder": str(logs)}}))
    return tmp_path, logs, secret, config, account, uid


def _gather(playbook, tmp_path, config, account):
    out = tmp_path / "facts.json"
    result = playbook(os.path.join(rel_support.TARGETS, "broker_facts.yml"),
                      {"bf_config_path": str(config), "bf_account": account, "bf_out": str(out)})
    assert result.rc == 0, result
    assert SECRET.decode() not in result.output
    return json.loads(out.read_text())["facts"]["logs"]


def _plant(kind, logs, secret, uid, index=9):
    path = logs / (LOG % index)
    if kind == "symlink":
        os.symlink(str(secret), str(path))
    elif kind == "hardlink":
        os.link(str(secret), str(path))
    elif kind == "fifo":
        os.mkfifo(str(path))
        _feed_fifo_when_opened(str(path))
    elif kind == "other owner":
        path.write_bytes(b"[Error] " + SECRET + b"\n")
        os.chown(str(path), 54321, 54321)
    return path


def _feed_fifo_when_opened(path):
    """A reader that opens the FIFO gets the secret (so a reader without the rule fails instead of hanging)."""
    import errno
    import threading
    import time

    def feed():
        deadline = time.time() + 300
        while time.time() < deadline and os.path.exists(path):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: nobody has it open for reading yet
                    return
                time.sleep(0.1)
                continue
            os.write(fd, b"[Error] " + SECRET + b"\n")
            os.close(fd)
            return

    threading.Thread(target=feed, daemon=True).start()


@pytest.mark.parametrize("kind, reason", [
    ("symlink", "a symbolic link, not read"),
    ("hardlink", "has 2 hard links"),
    ("fifo", "a FIFO, not read"),
    ("other owner", "owned by 54321, not by root or the service account"),
])
def test_planted_log_is_not_read(playbook, host, kind, reason):
    tmp_path, logs, secret, config, account, uid = host
    good = logs / (LOG % 1)
    good.write_text("[Information] started\n")
    os.chown(str(good), uid, -1)
    os.utime(str(good), (1, 1))  # older than the planted one: without the rule the plant would be "newest"
    planted = _plant(kind, logs, secret, uid)
    facts = _gather(playbook, tmp_path, config, account)
    assert SECRET.decode() not in json.dumps(facts)
    assert facts["newest"]["path"] == str(good)
    assert facts["skipped"] == ["%s: %s" % (planted, facts["skipped"][0].split(": ", 1)[1])]
    assert reason in facts["skipped"][0]


def test_doctor_warns_about_a_planted_log():
    from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as doctor_checks
    status, evidence, fix = doctor_checks.check_broker_log({"platform": "linux", "broker": {"logs": {
        "folder": "/var/log/rtvs", "newest": None, "tail": [], "error_lines": [], "error": None,
        "skipped": ["/var/log/rtvs/Microsoft.R.Host.Broker_x.log: a symbolic link, not read"]}}})
    assert status == "warn" and "a symbolic link, not read" in evidence and "Remove these" in fix


def test_service_account_log_is_read(playbook, host):
    tmp_path, logs, _secret, config, account, uid = host
    good = logs / (LOG % 1)
    good.write_text("[Information] started\n[Error] Unable to open the PFX\n")
    os.chown(str(good), uid, -1)
    facts = _gather(playbook, tmp_path, config, account)
    assert facts["skipped"] == [] and facts["error_lines"] == ["[Error] Unable to open the PFX"]


def test_doctor_report_file_is_0600(playbook, tmp_path):
    import sys
    inv = tmp_path / "inventory.ini"
    inv.write_text("[rtvs_linux]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    report = tmp_path / "report.json"
    report.write_text("{}")
    os.chmod(str(report), 0o644)  # an earlier report left world-readable is tightened too
    result = playbook(os.path.join(rel_support.ROOT, "playbooks", "doctor.yml"),
                      {"rtvs_fqdn": "localhost", "rtvs_port": 1, "rtvs_doctor_fail": False, "rtvs_doctor_timeout": 2,
                       "rtvs_doctor_report_file": str(report)}, check=True, args=("-i", str(inv)))
    assert result.rc == 0, result
    assert rel_support.mode_of(str(report)) == 0o600
    assert json.loads(report.read_text())["hosts"]
