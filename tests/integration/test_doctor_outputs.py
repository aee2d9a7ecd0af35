"""The doctor's output wherever it runs: the table and the fleet summary under the default callback with an
empty configuration (as AWX or anyone's own project runs it), the yaml and json callbacks; the report files
(JSON, JUnit, HTML, mode 0600); and the probe of ansible_host when the name clients use does not resolve.
"""
import json
import os
import re
import stat
import sys
import xml.etree.ElementTree as ET

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".work", "ac"))
from ansible_collections.rtvs.remote.tests.helpers import tls_server as local_tls  # noqa: E402

PLAYBOOK = os.path.join(ROOT, "playbooks", "doctor.yml")
TABLE_LINES = (
    "FAIL  rtvsd_installed       rtvsd unit installed",
    "ok    name_resolves         Name clients use resolves",
)
FLEET_HEAD = "RTVS doctor fleet summary: FAIL - 1 host(s): 1 fail, 0 warn, 0 ok"


def inventory(tmp_path, line="localhost ansible_connection=local"):
    path = tmp_path / "inventory.ini"
    path.write_text("[rtvs_linux]\n%s ansible_python_interpreter=%s\n" % (line, sys.executable))
    return str(path)


@pytest.fixture
def empty_cfg(tmp_path):
    cfg = tmp_path / "empty.cfg"
    cfg.write_text("")
    return {"ANSIBLE_CONFIG": str(cfg)}


def _run(playbook, tmp_path, env, extra=None):
    values = {"rtvs_fqdn": "localhost", "rtvs_port": 1, "rtvs_doctor_timeout": 2, "rtvs_doctor_fail": False}
    values.update(extra or {})
    result = playbook(PLAYBOOK, values, check=True, env=env, args=("-i", inventory(tmp_path)))
    assert result.rc == 0, result
    return result


def test_default_callback_with_an_empty_config_prints_one_table_line_per_output_line(playbook, tmp_path, empty_cfg):
    result = _run(playbook, tmp_path, empty_cfg)
    for line in TABLE_LINES + (FLEET_HEAD, "Checks that fail most:"):
        # one JSON string per output line: readable, never joined by escaped newlines
        assert re.search(r'^\s+"%s",?$' % re.escape(line), result.stdout, re.M), (line, result)
    assert "\\n" not in result.stdout, result  # no line of the table is glued to the next
    evidence = re.search(r'^\s+"\s+evidence: no rtvsd\.service unit found",?$', result.stdout, re.M)
    assert evidence, result


def test_yaml_result_format_prints_plain_lines(playbook, tmp_path, empty_cfg):
    env = dict(empty_cfg, ANSIBLE_CALLBACK_RESULT_FORMAT="yaml")
    result = _run(playbook, tmp_path, env)
    for line in TABLE_LINES + (FLEET_HEAD,):
        # YAML quotes an item holding ": " or leading spaces; it folds none of them (the role wraps at 72)
        assert re.search(r"^    - '?%s'?$" % re.escape(line), result.stdout, re.M), (line, result)
    assert re.search(r"^    - '      evidence: no rtvsd\.service unit found'$", result.stdout, re.M), result
    items = re.findall(r"^    - (.*)$", result.stdout, re.M)
    assert len(items) > 40 and all(len(item) <= 74 for item in items), result


def test_json_callback_holds_the_lines_as_a_list(playbook, tmp_path, empty_cfg):
    env = dict(empty_cfg, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    result = _run(playbook, tmp_path, env)
    data = json.loads(result.stdout)
    messages = {}
    for play in data["plays"]:
        for task in play["tasks"]:
            for host, res in task["hosts"].items():
                if isinstance(res.get("msg"), list):
                    messages[task["task"]["name"].split(" : ")[-1]] = res["msg"]
    assert set(TABLE_LINES) <= set(messages["Show the report"])
    assert messages["Show the fleet summary"][0] == FLEET_HEAD


def test_report_files_are_written_0600_only_when_asked(playbook, tmp_path, empty_cfg):
    files = dict((kind, tmp_path / ("doctor." + kind)) for kind in ("json", "xml", "html"))
    old = os.umask(0o022)
    try:
        _run(playbook, tmp_path, empty_cfg)
        assert not any(path.exists() for path in files.values())
        _run(playbook, tmp_path, empty_cfg, {"rtvs_doctor_report_file": str(files["json"]),
                                             "rtvs_doctor_junit_file": str(files["xml"]),
                                             "rtvs_doctor_html_file": str(files["html"])})
    finally:
        os.umask(old)
    for path in files.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    report = json.loads(files["json"].read_text())
    host = report["hosts"]["localhost"]
    root = ET.fromstring(files["xml"].read_bytes())
    assert int(root.get("tests")) == len(host["checks"]) == len(root.findall("testsuite/testcase"))
    assert int(root.get("failures")) == len(host["failed"]) == len(root.findall(".//failure")) >= 1
    html = files["html"].read_text()
    assert html.count('<tr class="host-fail" data-host="localhost"') == 1
    assert 'data-check="rtvsd_installed" tabindex="0" title="rtvsd_installed: fail"' in html


@pytest.fixture
def tls_server(tmp_path):
    """A TLS 1.2 server on 127.0.0.1 with a certificate for rtvs-nowhere.invalid and 127.0.0.1 (not HTTP)."""
    cert_path, key_path = local_tls.certificate_files(tmp_path, "rtvs-nowhere.invalid",
                                                      ["rtvs-nowhere.invalid", "127.0.0.1"])
    with local_tls.serving(local_tls.context(cert_path, key_path)) as port:
        yield port, cert_path


def test_unresolvable_name_warns_and_the_network_checks_probe_ansible_host(playbook, tmp_path, tls_server):
    port, cert_path = tls_server
    report = tmp_path / "report.json"
    result = playbook(PLAYBOOK, {"rtvs_port": port, "rtvs_doctor_timeout": 2, "rtvs_doctor_fail": False,
                                 "rtvs_doctor_ca_file": cert_path, "rtvs_doctor_report_file": str(report)},
                      check=True,
                      args=("-i", inventory(tmp_path, "rtvs-nowhere.invalid ansible_host=127.0.0.1 ansible_connection=local")))
    assert result.rc == 0, result
    checks = dict((c["id"], c) for c in json.loads(report.read_text())["hosts"]["rtvs-nowhere.invalid"]["checks"])
    assert checks["name_resolves"]["status"] == "warn", checks["name_resolves"]
    assert "probed the host's address 127.0.0.1" in checks["name_resolves"]["evidence"]
    assert "DNS record" in checks["name_resolves"]["fix"]
    for check_id in ("tcp_connect", "tls_handshake", "certificate_name", "certificate_expiry", "certificate_trust",
                     "tls_posture"):
        assert checks[check_id]["status"] == "ok", checks[check_id]
    assert "also covers the address 127.0.0.1" in checks["certificate_name"]["evidence"]
    assert "127.0.0.1:%d" % port in checks["tcp_connect"]["evidence"]
    assert checks["info_about"]["status"] == "fail"  # a bare TLS server, not the broker: the probe really asked it
