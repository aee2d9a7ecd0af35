"""rtvs.remote.broker_health_problems: health.yml's assert is linux_plan.health_problems (issue 12: one health rule)."""
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.filter.broker_health import FilterModule, broker_health_problems
from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_plan

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FINGERPRINT = "AB:CD:EF"
HEALTHY = {"name": "r.example.com", "tls": {"ok": True, "version": "TLSv1.2", "error": None},
           "trust": {"ok": True, "error": None}, "about": {"status": 200},
           "certificate": {"fingerprint_sha256": FINGERPRINT, "covers_name": True}}


def test_registered():
    assert FilterModule().filters() == {"broker_health_problems": broker_health_problems}


@pytest.mark.parametrize("change, verify, expected", [
    ({}, False, []),
    ({}, True, []),
    ({"tls": {"ok": False, "version": None, "error": "connection refused"}}, False,
     ["no TLS 1.2 handshake (connection refused)"]),
    ({"tls": {"ok": True, "version": "TLSv1.3"}}, False, ["no TLS 1.2 handshake (TLSv1.3)"]),
    ({"certificate": {"fingerprint_sha256": "12:34", "covers_name": True}}, False,
     ["serves 12:34, not the PFX's AB:CD:EF"]),
    ({"about": {"status": 401}}, False, ["/info/about answers 401"]),
    ({"about": None}, False, ["/info/about answers None"]),
    ({"trust": {"ok": False, "error": "unable to get local issuer certificate"}}, True,
     ["the chain does not verify (unable to get local issuer certificate)"]),
    ({"trust": {"ok": False, "error": "self-signed"}}, False, []),  # no CA known: the chain is not judged
    ({"certificate": {"fingerprint_sha256": FINGERPRINT, "covers_name": False}}, True,
     ["the certificate does not cover r.example.com"]),
    ({"certificate": {"fingerprint_sha256": FINGERPRINT, "covers_name": False}}, False, []),
    # nothing answered: every problem at once, in the order the assert's message lists them
    ({"tls": {"ok": False, "version": None, "error": "timed out"}, "certificate": None, "about": None,
      "trust": None}, True,
     ["no TLS 1.2 handshake (timed out)", "serves None, not the PFX's AB:CD:EF", "/info/about answers None",
      "the chain does not verify (None)", "the certificate does not cover r.example.com"]),
])
def test_each_broken_case_names_its_problem(change, verify, expected):
    probe = dict(HEALTHY, **change)
    assert broker_health_problems(probe, FINGERPRINT, verify) == expected
    # the same answer as the plan step's probe gets (plugins/action/linux_broker_plan.py)
    assert linux_plan.health_problems(probe, FINGERPRINT, verify) == expected


def test_no_probe_and_no_fingerprint_are_problems_not_crashes():
    assert broker_health_problems(None, FINGERPRINT) == [
        "no TLS 1.2 handshake (None)", "serves None, not the PFX's AB:CD:EF", "/info/about answers None"]
    assert broker_health_problems(HEALTHY, None) == ["serves AB:CD:EF, not the PFX's None"]


@pytest.mark.parametrize("probe, fingerprint, match", [
    ("TLSv1.2", FINGERPRINT, "expects the probe .* as a dict, got str"),
    ([HEALTHY], FINGERPRINT, "as a dict, got list"),
    (HEALTHY, 12, "fingerprint as a string, got int"),
])
def test_wrong_input_is_refused_naming_what_is_expected(probe, fingerprint, match):
    with pytest.raises(AnsibleFilterError, match=match):
        broker_health_problems(probe, fingerprint)


def test_health_yml_asserts_the_filter_and_keeps_the_probe_retries():
    with open(os.path.join(ROOT, "roles", "linux_broker", "tasks", "health.yml")) as handle:
        probe, check = yaml.safe_load(handle)
    assert probe["until"].startswith("linux_broker_probe.probe.about.status | default(0) == 200 or ")
    assert probe["retries"] == "{{ rtvs_linux_health_retries }}" and probe["register"] == "linux_broker_probe"
    assert check["ansible.builtin.assert"]["that"] == "linux_broker_health_problems | length == 0"
    rule = check["vars"]["linux_broker_health_problems"]
    assert "rtvs.remote.broker_health_problems(" in rule and "linux_broker_probe.probe" in rule
    message = check["ansible.builtin.assert"]["fail_msg"]
    assert "is not healthy" in message and "linux_broker_health_problems | join" in message
    assert "journalctl -u rtvsd" in message and "rtvs_linux_log_folder" in message
    # no truth table of its own in Jinja any more
    assert "fingerprint_sha256 ==" not in str(check) and "TLSv1.2" not in str(check)
