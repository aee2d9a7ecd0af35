"""The doctor's certificate checks name the lifecycle tools: rtvs.remote.rotate for expiry, client_trust for trust."""
import json
import os

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as dc

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "doctor")


@pytest.fixture
def linux():
    with open(os.path.join(FIXTURES, "linux_healthy.json")) as handle:
        return json.load(handle)


def row(report, check_id):
    return [r for r in report["checks"] if r["id"] == check_id][0]


def test_expiring_certificate_names_rotate_and_days_left(linux):
    linux["probe"]["certificate"]["not_after"] = "2026-12-10T00:00:00Z"
    check = row(dc.evaluate(linux), "certificate_expiry")
    assert check["status"] == "warn" and "in 14 days" in check["evidence"]
    assert "ansible-playbook rtvs.remote.rotate" in check["fix"]


def test_expired_certificate_names_forced_rotate_and_days_ago(linux):
    linux["probe"]["certificate"]["not_after"] = "2026-11-20T00:00:00Z"
    check = row(dc.evaluate(linux), "certificate_expiry")
    assert check["status"] == "fail" and "days ago" in check["evidence"]
    assert "ansible-playbook rtvs.remote.rotate" in check["fix"] and "rtvs_rotate_force=true" in check["fix"]


def test_untrusted_certificate_names_the_client_role(linux):
    linux["probe"]["certificate"].update(self_signed=True, issuer="CN=rtvs.example.test")
    linux["probe"]["trust"].update(ok=False, store="system store (/etc/ssl/certs)", error="self-signed certificate")
    assert "rtvs.remote.client_trust" in row(dc.evaluate(linux), "certificate_trust")["fix"]
    linux["probe"]["certificate"].update(self_signed=False)
    assert "rtvs.remote.client_trust" in row(dc.evaluate(linux), "certificate_trust")["fix"]
