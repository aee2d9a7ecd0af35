"""The doctor role and playbook end to end on the controller itself (a Linux host without rtvsd).

The Molecule scenario molecule/doctor runs it against real broken test hosts; this fast test covers
the plumbing: check mode, the table, the JSON report file, the exit status and the no_log password.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, "playbooks", "doctor.yml")
SECRET = "doctor-Secret-5521"


def inventory(tmp_path):
    path = tmp_path / "inventory.ini"
    path.write_text("[rtvs_linux]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    return str(path)


def test_check_mode_reports_fails_and_writes_json(playbook, tmp_path):
    report = tmp_path / "report.json"
    result = playbook(PLAYBOOK, {"rtvs_fqdn": "localhost", "rtvs_port": 1, "rtvs_doctor_report_file": str(report),
                                 "rtvs_doctor_timeout": 2},
                      check=True, args=("-i", inventory(tmp_path)))
    assert result.rc == 2, result  # a failed check fails the host
    assert "FAIL  rtvsd_installed" in result.stdout
    assert "check(s) failed on localhost: rtvsd_installed" in result.output
    data = json.loads(report.read_text())
    assert data["status"] == "fail" and data["failed_hosts"] == ["localhost"]
    host = data["hosts"]["localhost"]
    assert host["platform"] == "linux" and host["failed"][0] == "rtvsd_installed"
    ids = [c["id"] for c in host["checks"]]
    assert "pfx_opens" in ids and "win_seclogon" not in ids


def test_no_fail_option_and_password_never_shown(playbook, tmp_path):
    secrets = tmp_path / "vault.json"
    secrets.write_text(json.dumps({"rtvs_doctor_password": SECRET}))
    result = playbook(PLAYBOOK, {"rtvs_fqdn": "localhost", "rtvs_port": 1, "rtvs_doctor_fail": False,
                                 "rtvs_doctor_user": "alice", "rtvs_doctor_timeout": 2},
                      verbosity=4, args=("-i", inventory(tmp_path), "-e", "@%s" % secrets))
    assert result.rc == 0, result
    assert SECRET not in result.output
    assert "skip  interpreters" in result.stdout  # nothing listens on port 1, so no login was tried


def test_bad_role_argument_is_named(playbook, tmp_path):
    result = playbook(PLAYBOOK, {"rtvs_doctor_platform": "solaris"}, args=("-i", inventory(tmp_path)))
    assert result.rc != 0 and "rtvs_doctor_platform" in result.output, result


def test_unreachable_windows_host_is_reported_and_probed_from_the_controller(playbook, tmp_path):
    # A WinRM host nobody answers for: gathering is unreachable, the probe still runs on the controller
    # (delegated with a local connection and sh, not the host's PowerShell), and the report names it.
    inv = tmp_path / "windows.ini"
    inv.write_text("[rtvs_windows]\nwinhost ansible_host=127.0.0.1 ansible_port=1 ansible_connection=winrm "
                   "ansible_shell_type=powershell ansible_user=x ansible_password=y-long-password "
                   "ansible_winrm_transport=basic ansible_winrm_scheme=http\n")
    report = tmp_path / "report.json"
    result = playbook(PLAYBOOK, {"rtvs_fqdn": "localhost", "rtvs_port": 1, "rtvs_doctor_timeout": 2,
                                 "rtvs_doctor_report_file": str(report)}, check=True, args=("-i", str(inv)))
    assert result.rc == 2, result
    host = json.loads(report.read_text())["hosts"]["winhost"]
    assert host["platform"] == "windows" and host["failed"] == ["host_reachable"]
    checks = dict((c["id"], c) for c in host["checks"])
    assert "Connection refused" in checks["host_reachable"]["evidence"]
    assert checks["tcp_connect"]["cause"] == "host_reachable"  # the probe ran: port 1 refused
