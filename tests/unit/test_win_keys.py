"""Windows key decisions (issue 13 finding 1 and 4): where the key file is, and whether NETWORK SERVICE reads it.

Fixtures are shaped like what win_broker_info.ps1 gathers (tests/unit/fixtures/windows/).
"""
import copy
import json
import os

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_keys

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "windows")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def our_cert(name="capi_import_no_acl.json"):
    return copy.deepcopy(fixture(name)["stores"]["My"]["certificates"][-1])


# ---------------------------------------------------------------- SDDL


@pytest.mark.parametrize("sddl, readable", [
    ("O:BAG:SYD:PAI(A;;FA;;;BA)(A;;FA;;;SY)", False),                      # what an import leaves
    ("O:BAG:SYD:PAI(A;;FA;;;BA)(A;;FA;;;SY)(A;;0x120089;;;NS)", True),     # Read for NETWORK SERVICE
    ("D:PAI(A;;0x80120089;;;S-1-5-20)", True),                              # win_acl's CAPI Read mask
    ("D:PAI(A;;GR;;;NS)", True),                                            # generic read
    ("D:PAI(A;;GA;;;S-1-5-6)", True),                                       # SERVICE group, generic all
    ("D:PAI(A;;FR;;;BU)", True),                                            # Users (S-1-5-32-545)
    ("D:PAI(A;;FR;;;WD)", True),                                            # Everyone
    ("D:PAI(A;;FR;;;AU)", True),                                            # Authenticated Users
    ("D:PAI(A;;FR;;;S-1-5-32-545)", True),
    ("D:PAI(D;;FR;;;WD)(A;;FA;;;NS)", False),                               # explicit deny first wins
    ("D:PAI(A;;FA;;;NS)(D;;FR;;;WD)", True),                                # allow before a (non-canonical) deny
    ("D:PAI(A;OICIIO;FA;;;NS)", False),                                     # inherit-only: not for this file
    ("D:AI(A;ID;0x1200a9;;;NS)", True),                                     # inherited allow counts
    ("D:PAI(A;;0x100000;;;NS)", False),                                     # SYNCHRONIZE only
    ("D:PAI(A;;FW;;;NS)", False),                                           # write is not read
    ("D:PAI(A;;FR;;;S-1-5-19)", False),                                     # LOCAL SERVICE is another account
    ("D:NO_ACCESS_CONTROL", True),                                          # NULL DACL
    ("D:P", False),                                                         # empty DACL
])
def test_network_service_can_read(sddl, readable):
    assert win_keys.can_read(sddl) is readable


def test_no_dacl_is_undecided():
    assert win_keys.can_read("O:SYG:SY") is None


@pytest.mark.parametrize("bad", ["", None, "D:(A;;FA;;NS)", "D:(A;;ZZ;;;NS)"])
def test_unreadable_sddl_raises(bad):
    with pytest.raises(win_keys.SddlError):
        win_keys.can_read(bad)


# ---------------------------------------------------------------- key file location


def test_capi_key_is_found_in_machinekeys_although_dotnet_returns_rsacng():
    """Finding 1: GetRSAPrivateKey returns RSACng for the CAPI key the PFX import made; the file is in
    RSA\\MachineKeys, not Crypto\\Keys, and its ACL is read from there."""
    cert = our_cert()
    assert cert["key"]["rsa_class"] == "System.Security.Cryptography.RSACng"
    key = win_keys.locate(cert)
    assert key["status"] == "found"
    assert key["provider"] == "capi"
    assert key["file"].endswith("\\Crypto\\RSA\\MachineKeys\\" + cert["key"]["csp_unique_name"])
    assert key["network_service_read"] is False


def test_cng_key_is_found_in_keys():
    cert = fixture("winrm_listener_shadow.json")["stores"]["My"]["certificates"][0]
    key = win_keys.locate(cert)
    assert key["provider"] == "cng"
    assert key["status"] == "found"
    assert "\\Crypto\\Keys\\" in key["file"]
    assert key["network_service_read"] is False


def test_cng_system_key_in_systemkeys():
    cert = our_cert()
    cert["key"].update(provider_type=None, provider_name=None, csp_unique_name=None, csp_error="Invalid provider type specified.",
                       cng_provider="Microsoft Software Key Storage Provider")
    for entry in cert["key_files"]:
        entry.update(exists=entry["folder"] == "SystemKeys",
                     sddl="D:P(A;;GA;;;SY)(A;;GR;;;NS)" if entry["folder"] == "SystemKeys" else None)
    key = win_keys.locate(cert)
    assert (key["status"], key["provider"], key["network_service_read"]) == ("found", "cng", True)
    assert "\\SystemKeys\\" in key["file"]


def test_missing_key_file_is_not_found():
    cert = our_cert()
    cert["key"].update(csp_error="Keyset does not exist (HResult 0x80090016)", csp_unique_name=None,
                       provider_type=None, cng_error="Keyset does not exist (HResult 0x80090016)",
                       cng_unique_name=None)
    for entry in cert["key_files"]:
        entry.update(exists=False, sddl=None)
    key = win_keys.locate(cert)
    assert key["status"] == "not_found"
    assert key["network_service_read"] is None


def test_key_name_known_but_no_file_is_not_found():
    cert = our_cert()
    for entry in cert["key_files"]:
        entry.update(exists=False, sddl=None)
    key = win_keys.locate(cert)
    assert key["status"] == "not_found"
    assert "MachineKeys" in key["detail"]


def test_access_denied_is_not_reported_as_not_found():
    cert = our_cert()
    for entry in cert["key_files"]:
        if entry["folder"] == "RSA\\MachineKeys":
            entry.update(sddl=None, error="Attempted to perform an unauthorized operation. (HResult 0x80070005)")
    key = win_keys.locate(cert)
    assert key["status"] == "access_denied"
    assert key["network_service_read"] is None


def test_handle_acl_is_used_when_no_machine_folder_has_the_file():
    cert = our_cert()
    for entry in cert["key_files"]:
        entry.update(exists=False, sddl=None)
    cert["key"]["handle_sddl"] = "D:P(A;;GA;;;SY)(A;;GR;;;NS)"
    key = win_keys.locate(cert)
    assert (key["status"], key["network_service_read"]) == ("found", True)


def test_no_private_key():
    cert = our_cert()
    cert["has_private_key"] = False
    assert win_keys.locate(cert)["status"] == "no_key"


@pytest.mark.parametrize("key, kind", [
    ({"provider_type": 1}, "capi"), ({"provider_type": 24}, "capi"), ({"provider_type": 0}, "cng"),
    ({"rsa_class": "System.Security.Cryptography.RSACng", "csp_unique_name": "x"}, "capi"),
    ({"cng_provider": "Microsoft Software Key Storage Provider"}, "cng"),
    ({"provider_name": "Microsoft Enhanced RSA and AES Cryptographic Provider"}, "capi"), ({}, None),
])
def test_provider_kind_from_type_not_from_dotnet_class(key, kind):
    assert win_keys.provider_kind(key) == kind
