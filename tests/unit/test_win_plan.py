"""Windows observe -> facts -> plan (issue 12 Windows half; issue 13 findings 3, 5, 8 config decoding)."""
import base64
import codecs
import copy
import datetime
import json
import os

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_plan
from ansible_collections.rtvs.remote.plugins.module_utils.broker.broker_rules import MASK

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "windows")
OURS = "3F2A9C1B0D4E5F60718293A4B5C6D7E8F9012345"
OLD = "1111111111111111111111111111111111111111"
NOW = datetime.datetime(2027, 1, 1)


def observed(name="capi_import_no_acl.json"):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


# ---------------------------------------------------------------- config bytes (finding 8)

TEXT = '{"security": {"X509CertificatePassword": "p\u00e4ss", "allowedGroup": "Users"}}'


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),   # PowerShell 5.1 Out-File default
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
])
def test_config_decodes_utf8_and_utf16(data, encoding):
    assert win_plan.decode_config(data) == (TEXT, encoding)
    assert win_plan.decode_config_b64(base64.b64encode(data).decode()) == (TEXT, encoding)


@pytest.mark.parametrize("data", [b"\xff\xfe\x00\xd8", b"\x80\x81{}", TEXT.encode("utf-16-le")])
def test_undecodable_config_is_a_clear_error(data):
    with pytest.raises(win_plan.ConfigDecodeError, match="left untouched|byte order mark"):
        win_plan.decode_config(data, "C:\\x\\Microsoft.R.Host.Broker.Config.json")


# ---------------------------------------------------------------- derive


def test_derive_decodes_utf16_config_and_masks_the_password():
    facts = win_plan.derive(observed(), "CN=r.example.com", "r.example.com", now=NOW)
    config = facts["config"]
    assert config["parsed"] and config["encoding"] == "utf-16-le"
    assert config["content"]["security"]["X509CertificatePassword"] == MASK
    assert "hunter2" not in json.dumps(facts)
    assert MASK in config["text"]


def test_errors_of_one_section_are_data_not_a_failure():
    """Finding 5: a stopped firewall service and a locked log are reported, the rest still derived."""
    facts = win_plan.derive(observed(), "CN=r.example.com", "r.example.com", now=NOW)
    assert facts["errors"]["firewall"].startswith("Exception from HRESULT: 0x800706D9")
    assert facts["firewall_rules"] == []
    assert facts["logs"]["error"].startswith("The process cannot access the file")
    assert facts["certificates"][0]["thumbprint"] == OURS


def test_every_section_failing_still_derives():
    sections = ("os", "dotnet", "vc_runtime", "r_installs", "services", "install", "stores", "winrm", "config",
                "firewall", "logs")
    data = dict((k, {"error": "boom"}) for k in sections)
    data["machine_name"] = "RTVS-WIN"
    facts = win_plan.derive(data, now=NOW)
    assert set(facts["errors"]) >= {"os", "dotnet", "certificates", "winrm", "config", "firewall", "logs"}
    assert facts["certificates"] == [] and facts["dotnet"]["meets_minimum"] is False
    assert facts["certificate_subject"] == "CN=RTVS-WIN"
    assert facts["services"]["broker"]["exists"] is False


def test_derive_decides_r_support_and_dotnet_in_python():
    facts = win_plan.derive(observed(), now=NOW)
    assert [r["supported"] for r in facts["r_installs"]] == [True, False]
    assert facts["dotnet"]["meets_minimum"] is True
    assert win_plan.derive(observed(), min_dotnet_release=600000, now=NOW)["dotnet"]["meets_minimum"] is False


def test_derive_certificate_fact_shape():
    cert = win_plan.derive(observed(), "CN=r.example.com", "r.example.com", now=NOW)["certificates"][0]
    assert cert["selected"] and cert["ours"] and cert["store"] == "My"
    assert cert["key_provider"] == "csp" and cert["key_status"] == "found"
    assert cert["key_file"].endswith(observed()["stores"]["My"]["certificates"][0]["key"]["csp_unique_name"])
    assert cert["network_service_read"] is False
    assert cert["expired"] is False


def test_broker_subject_from_config_and_default():
    facts = win_plan.derive(observed(), now=NOW)
    assert facts["certificate_subject"] == "CN=RTVS-WIN"
    assert facts["broker_subject"] == "CN=r.example.com"
    data = observed()
    data["config"] = {"path": None, "exists": False, "bytes_b64": None, "error": None}
    assert win_plan.derive(data, now=NOW)["broker_subject"] == "CN=RTVS-WIN"


def test_second_gather_only_when_the_subject_was_not_included():
    data = observed()
    assert not win_plan.needs_second_gather(data, "CN=r.example.com, OU=IT")
    assert win_plan.needs_second_gather(data, "CN=broker.corp.example")
    assert not win_plan.needs_second_gather(data, None)


# ---------------------------------------------------------------- finding 3: the real Subject


def test_real_subject_with_more_parts_is_found_and_verified():
    data = observed()
    subject = "CN=r.example.com, OU=IT, O=Example Corp, C=US"
    data["stores"]["My"]["certificates"][0]["subject"] = subject
    for entry in data["stores"]["My"]["certificates"][0]["key_files"]:
        if entry["exists"]:
            entry["sddl"] += "(A;;FR;;;NS)"
    facts = win_plan.derive(data, subject, "r.example.com", now=NOW)
    assert win_plan.certificate_problems(facts, OURS, subject) == []
    assert win_plan.certificate_plan(data, OURS, subject, "r.example.com")["todo"] == \
        {"import": False, "chain": False, "cleanup": False, "key_acl": False}
    cn_only = win_plan.derive(data, "CN=r.example.com", "r.example.com", now=NOW)
    assert win_plan.certificate_problems(cn_only, OURS, "CN=r.example.com")


def test_desired_subject():
    facts = win_plan.derive(observed(), "CN=r.example.com", "r.example.com", now=NOW)
    assert win_plan.desired_subject("CN=a, O=b", facts, "r.example.com") == "CN=a, O=b"
    assert win_plan.desired_subject(None, facts, "r.example.com") == "CN=r.example.com"
    facts["managed_certificates"][0]["subject"] = "CN=r.example.com, O=x"
    assert win_plan.desired_subject("", facts, "r.example.com") == "CN=r.example.com, O=x"
    assert win_plan.desired_subject(None, {}, "new.example.com") == "CN=new.example.com"


# ---------------------------------------------------------------- the certificate plan


def test_plan_after_import_grants_the_acl_only():
    plan = win_plan.certificate_plan(observed(), OURS, "CN=r.example.com", "r.example.com")
    assert plan["todo"] == {"import": False, "chain": False, "cleanup": False, "key_acl": True}
    assert plan["fail"] is None


def test_plan_fresh_host_imports_and_decides_acl_after():
    data = observed()
    data["stores"]["My"]["certificates"] = []
    plan = win_plan.certificate_plan(data, OURS, "CN=r.example.com", "r.example.com")
    assert plan["todo"] == {"import": True, "chain": False, "cleanup": False, "key_acl": False}


def test_plan_with_a_shadowing_winrm_certificate_fails_before_changing_anything():
    plan = win_plan.certificate_plan(observed("winrm_listener_shadow.json"), OURS, "CN=r.example.com", "r.example.com")
    assert plan["fail"] and "WinRM HTTPS listener" in plan["fail"]
    assert [c["thumbprint"] for c in plan["remove"]] == [OLD]


def test_plan_in_check_mode_without_thumbprint_does_nothing():
    plan = win_plan.certificate_plan(observed(), "", "CN=r.example.com", "r.example.com")
    assert plan["todo"] == {"import": False, "chain": False, "cleanup": False, "key_acl": False}


def test_problems_name_what_is_wrong():
    facts = win_plan.derive(observed(), "CN=r.example.com", "r.example.com", now=NOW)
    assert any("NETWORK SERVICE cannot read" in p for p in win_plan.certificate_problems(facts, OURS, "CN=r.example.com"))
    facts2 = copy.deepcopy(facts)
    facts2["certificates"][0]["thumbprint"] = OLD
    assert any("would serve" in p for p in win_plan.certificate_problems(facts2, OURS, "CN=r.example.com"))
    assert win_plan.certificate_problems(dict(facts, certificates=[]), OURS, "CN=r.example.com")
