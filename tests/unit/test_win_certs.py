"""Windows certificate decisions (issue 13 findings 2, 4, 6, 7, 8 IP SAN) from fixtures shaped like the gatherer's output."""
import copy
import json
import os

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_certs

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "windows")
OURS = "3F2A9C1B0D4E5F60718293A4B5C6D7E8F9012345"
OLD = "1111111111111111111111111111111111111111"
WINRM = "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def stores(name="capi_import_no_acl.json"):
    return copy.deepcopy(fixture(name)["stores"])


def listeners(name="winrm_listener_shadow.json"):
    return fixture(name)["winrm"]["listeners"]


# ---------------------------------------------------------------- finding 2: cleanup


def test_cleanup_removes_only_our_certificates_and_fails_on_the_winrm_one():
    plan = win_certs.cleanup_plan(stores("winrm_listener_shadow.json"), "CN=r.example.com", OURS, "r.example.com",
                                  listeners())
    assert [c["thumbprint"] for c in plan["remove"]] == [OLD]
    assert [c["thumbprint"] for c in plan["conflicts"]] == [WINRM]
    assert plan["conflicts"][0]["used_by"] == "WinRM HTTPS listener on * port 5986"
    message = plan["message"]
    for part in (WINRM, "My\\", "issuer CN=r.example.com", "friendly name (none)", "WinRM HTTPS listener",
                 "nothing was changed", "Fix:"):
        assert part in message


def test_cleanup_without_others_has_no_conflict():
    plan = win_certs.cleanup_plan(stores(), "CN=r.example.com", OURS, "r.example.com", [])
    assert plan == {"remove": [], "conflicts": [], "kept_in_my": True, "message": None}


def test_cleanup_leaves_other_subjects_alone_and_matches_subject_ignoring_case():
    data = stores("winrm_listener_shadow.json")
    data["My"]["certificates"][0]["subject"] = "CN=other.example.com"
    data["Root"]["certificates"].append(dict(data["My"]["certificates"][1], thumbprint="2" * 40,
                                             friendly_name="Contoso", subject="cn=R.EXAMPLE.COM"))
    plan = win_certs.cleanup_plan(data, "CN=r.example.com", OURS, "r.example.com", [])
    assert [c["thumbprint"] for c in plan["conflicts"]] == ["2" * 40]
    assert plan["conflicts"][0]["store"] == "Root"


def test_our_friendly_name_for_another_host_is_not_ours():
    data = stores("winrm_listener_shadow.json")
    data["My"]["certificates"][2]["friendly_name"] = "RTVS broker other.example.com"
    plan = win_certs.cleanup_plan(data, "CN=r.example.com", OURS, "r.example.com", [])
    assert OLD in [c["thumbprint"] for c in plan["conflicts"]]
    assert plan["remove"] == []


def test_our_certificate_used_by_a_listener_is_never_removed():
    data = stores("winrm_listener_shadow.json")
    used = [dict(listeners()[1], thumbprint=OLD)]
    plan = win_certs.cleanup_plan(data, "CN=r.example.com", OURS, "r.example.com", used)
    assert OLD not in [c["thumbprint"] for c in plan["remove"]]


# ---------------------------------------------------------------- broker selection order


def test_selection_follows_the_broker_store_order():
    data = stores("winrm_listener_shadow.json")
    data["CA"]["certificates"].append(dict(data["My"]["certificates"][1], thumbprint="3" * 40))
    found = win_certs.with_subject(data, "cn=r.example.com")
    assert [c["store"] for c in found][:2] == ["CA", "My"]
    assert [c["selected"] for c in found] == [True, False, False, False]


def test_a_subject_with_more_parts_is_not_cn_only():
    data = stores()
    data["My"]["certificates"][0]["subject"] = "CN=r.example.com, OU=IT, O=Example Corp, C=US"
    assert win_certs.with_subject(data, "CN=r.example.com") == []
    assert len(win_certs.with_subject(data, "CN=r.example.com, OU=IT, O=Example Corp, C=US")) == 1


# ---------------------------------------------------------------- finding 7: import


def test_imported_with_key_needs_no_import():
    assert win_certs.import_reason(stores(), OURS) is None


def test_lost_key_container_is_imported_again():
    data = stores()
    cert = data["My"]["certificates"][0]
    cert["key"].update(csp_unique_name=None, cng_unique_name=None, provider_type=None,
                       csp_error="Keyset does not exist (HResult 0x80090016)",
                       cng_error="Keyset does not exist (HResult 0x80090016)")
    for entry in cert["key_files"]:
        entry["exists"] = False
    assert cert["has_private_key"] is True
    assert "private key is missing" in win_certs.import_reason(data, OURS)


@pytest.mark.parametrize("change, reason", [
    (lambda d: d["My"]["certificates"].clear(), "not in LocalMachine\\My"),
    (lambda d: d["My"]["certificates"][0].update(has_private_key=False), "without its private key"),
    (lambda d: d["My"].update(error="Access is denied."), "could not be read"),
])
def test_import_reasons(change, reason):
    data = stores()
    change(data)
    assert reason in win_certs.import_reason(data, OURS)


# ---------------------------------------------------------------- finding 4: key ACL only when needed


def test_key_acl_needed_when_network_service_is_missing():
    assert "NETWORK SERVICE cannot read" in win_certs.key_acl_reason(stores(), OURS)


def test_key_acl_not_needed_with_the_mask_win_acl_writes_on_capi_keys():
    data = stores()
    for entry in data["My"]["certificates"][0]["key_files"]:
        if entry["exists"]:
            entry["sddl"] += "(A;;0x80120089;;;NS)"
    assert win_certs.key_acl_reason(data, OURS) is None


def test_key_acl_not_planned_for_a_missing_key():
    data = stores()
    for entry in data["My"]["certificates"][0]["key_files"]:
        entry["exists"] = False
    assert win_certs.key_acl_reason(data, OURS) is None


# ---------------------------------------------------------------- finding 6: chain stores


CHAIN = [
    {"thumbprint": "4" * 40, "subject": "CN=Example Issuing CA", "self_signed": False, "der_b64": "AA=="},
    {"thumbprint": "5" * 40, "subject": "CN=Example Root CA", "self_signed": True, "der_b64": "AA=="},
]


def test_intermediates_go_to_ca_and_the_root_only_when_asked():
    plan = win_certs.chain_plan(CHAIN, stores())
    assert [(c["store"], c["thumbprint"]) for c in plan["add"]] == [("CA", "4" * 40)]
    assert [c["thumbprint"] for c in plan["skipped"]] == ["5" * 40]
    plan = win_certs.chain_plan(CHAIN, stores(), install_root=True)
    assert [(c["store"], c["thumbprint"]) for c in plan["add"]] == [("CA", "4" * 40), ("Root", "5" * 40)]


def test_chain_certificates_already_there_are_not_added_again():
    data = stores()
    data["CA"]["certificates"].append({"thumbprint": "4" * 40, "subject": "CN=Example Issuing CA"})
    assert win_certs.chain_plan(CHAIN, data)["add"] == []


# ---------------------------------------------------------------- finding 8: IP SAN


def test_ip_addresses_become_ipaddress_entries():
    text = win_certs.san_text_extension("r.example.com", ["10.0.0.5", "R.example.com", "r2.example.com", "fe80::1"])
    assert text == "2.5.29.17={text}DNS=r.example.com&IPAddress=10.0.0.5&DNS=r2.example.com&IPAddress=fe80::1"


def test_bad_san_is_refused():
    with pytest.raises(win_certs.WinCertError):
        win_certs.san_text_extension("r.example.com", ["a b"])


def test_thumbprint_normalised():
    assert win_certs.normalize_thumbprint("3f:2a 9c1b0d4e5f60718293a4b5c6d7e8f9012345") == OURS
    with pytest.raises(win_certs.WinCertError):
        win_certs.normalize_thumbprint("xyz")
