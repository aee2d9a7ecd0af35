"""linux_broker preflight refuses a PFX password outside printable ASCII before touching the host.

Same set-up as tests/reliability/test_rel_role_preflight.py: the only host is unreachable, so a run that
fails with the message and reports the host failed (not unreachable) was stopped by the controller-side
input check. The password's own characters never appear in the output.
"""
import json
import os
import subprocess
import sys

from conftest import ROOT, PlaybookResult

PASSWORD = "Caf\u00e9-Pfx-\u20ac-2b41"
HASH = "$6$rtvsrel$0Y9b1Hk6uX2G8o0yqkY3VbFj3b8q2Xq0H1m7mW0n9o6uQ0b2Gd1bq8Y5qS7o1mJx0R2x9cF8hVb5Q1y3uZ2s/"


def test_non_ascii_pfx_password_is_refused_on_the_controller_with_why_and_what_to_use(tmp_path):
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"all": {"children": {"rtvs_linux": {"hosts": {"pfx-nohost": {
        "ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_user": "nobody", "rtvs_daemon_install": False,
        "ansible_connection": "ssh", "ansible_ssh_common_args": "-o ConnectTimeout=2",
        "rtvs_users": [{"name": "rtvs-carol", "password_hash": HASH}]}}}}}}))
    secrets = tmp_path / "vault.json"
    secrets.write_text(json.dumps({"rtvs_pfx_password": PASSWORD}))
    os.chmod(secrets, 0o600)
    # no forced local connection: the host must stay unreachable
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
           "-e", "@%s" % secrets, os.path.join(ROOT, "playbooks", "linux.yml")]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
    result = PlaybookResult(subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
                                           check=False))
    assert result.rc != 0, result
    out = result.output
    assert "rtvs_pfx_password has 2 characters outside printable ASCII" in out, result
    assert "OpenSSL 1.0.x" in out and "openssl/openssl#3535" in out and "0x20-0x7E" in out, result
    assert "UNREACHABLE" not in out and "unreachable=0" in result.stdout and "failed=1" in result.stdout, result
    assert "changed=0" in result.stdout, result
    for part in ("Caf\u00e9", "\u20ac-2b41", PASSWORD):
        assert part not in out, "the password leaked"
