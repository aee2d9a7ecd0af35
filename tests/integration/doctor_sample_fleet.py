"""A mixed-health fleet of doctor reports, evaluated by the real check table from the unit-test fixtures.

Used by test_doctor_html_chromium.py and to make docs/img/doctor-fleet.png:
    python tests/integration/doctor_sample_fleet.py out.html
"""
import copy
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".work", "ac"))
from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as dc  # noqa: E402
from ansible_collections.rtvs.remote.plugins.module_utils.doctor import doctor_render_html  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "doctor")
HOSTILE_LOG = '[Error] login failed for <img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'


def _load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def _host(facts, host):
    facts = copy.deepcopy(facts)
    facts["host"] = host
    facts.setdefault("options", {})["fqdn"] = host + ".example.test"
    return facts


def _network_down(facts, error):
    probe = facts["probe"]
    probe["tcp"].update(ok=False, error="192.0.2.10: %s" % error)
    probe["tls"].update(ok=False, version=None, cipher=None)
    probe.update(certificate=None, trust=None, about=None, interpreters=None, posture=None)


def fleet():
    """{host: report}: healthy, broken certificate (expired), stopped broker, a warning with log text, Windows."""
    linux, windows = _load("linux_healthy.json"), _load("windows_healthy.json")
    hosts = {}
    healthy = _host(linux, "rtvs-healthy")
    healthy["probe"]["certificate"]["covers_name"] = True
    hosts["rtvs-healthy"] = healthy

    badcert = _host(linux, "rtvs-badcert")
    badcert["probe"]["certificate"].update(not_after="2025-12-01T00:00:00Z", expired=True, days_left=-364)
    badcert["broker"]["pfx"]["certificate"]["not_after"] = "2025-12-01T00:00:00Z"
    badcert["probe"]["trust"].update(ok=False, error="certificate has expired (verify code 10)")
    hosts["rtvs-badcert"] = badcert

    stopped = _host(linux, "rtvs-stopped")
    stopped["broker"]["service"].update(active="inactive", sub_state="dead")
    stopped["broker"]["listening"].update(listening=False, addresses=[])
    _network_down(stopped, "[Errno 111] Connection refused")
    hosts["rtvs-stopped"] = stopped

    noisy = _host(linux, "rtvs-noisy")
    noisy["broker"]["logs"]["error_lines"] = [HOSTILE_LOG]
    noisy["probe"]["posture"]["tls1_0"].update(accepted=True, version="TLSv1", cipher="ECDHE-RSA-AES256-SHA")
    hosts["rtvs-noisy"] = noisy

    hosts["rtvs-win"] = _host(windows, "rtvs-win")
    reports = {}
    for host, facts in hosts.items():
        facts["probe"]["name"] = facts["options"]["fqdn"]
        if facts["probe"].get("certificate"):
            facts["probe"]["certificate"]["covers_name"] = True
        reports[host] = dc.evaluate(facts)
    return reports


def html(generated="2026-11-30T16:00:00Z", inventory="inventories/lab/hosts.yml"):
    return doctor_render_html.render(fleet(), generated, inventory)


if __name__ == "__main__":
    with open(sys.argv[1], "w") as out:
        out.write(html())
    for host, report in sorted(fleet().items()):
        print(host, report["status"], report["failed"], report["warnings"])
