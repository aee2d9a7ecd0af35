"""Filters of plugins/filter/doctor.py: input validation, summary across hosts, Windows subject lookup."""
import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.filter import doctor

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "doctor")


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def test_filters_registered():
    assert set(doctor.FilterModule().filters()) == {"doctor_report", "doctor_text", "doctor_summary", "doctor_broker_subject"}


def test_report_rejects_bad_input():
    with pytest.raises(AnsibleFilterError, match="platform must be linux or windows"):
        doctor.doctor_report({"platform": "aix"})
    with pytest.raises(AnsibleFilterError, match="a dict"):
        doctor.doctor_report("text")


def test_summary_from_list_and_text():
    linux = doctor.doctor_report(load("linux_healthy.json"))
    broken = load("windows_healthy.json")
    broken["broker"]["services"]["seclogon"]["state"] = "stopped"
    windows = doctor.doctor_report(broken)
    summary = doctor.doctor_summary([linux, windows, None])
    assert summary["status"] == "fail" and summary["failed_hosts"] == ["rtvs-win-1"]
    assert sorted(summary["hosts"]) == ["rtvs-linux-1", "rtvs-win-1"]
    text = doctor.doctor_text(summary, 90)
    assert "rtvs-linux-1 (linux" in text and "FAIL  win_seclogon" in text
    assert doctor.doctor_text(linux).startswith("rtvs-linux-1 (linux, rtvs.example.test:5444): OK")


def test_broker_subject_is_case_insensitive():
    facts = load("windows_healthy.json")["broker"]
    assert doctor.doctor_broker_subject(facts) == "CN=rtvs-win.example.test"
    facts["config"]["content"] = {"Security": {"x509certificatename": "CN=Other"}}
    assert doctor.doctor_broker_subject(facts) == "CN=Other"
    facts["config"]["content"] = None
    assert doctor.doctor_broker_subject(facts) == ""
    assert doctor.doctor_broker_subject(None) == ""
