"""Unit tests of module_utils/tls/trust.py and the client_trust_plan filter: what a client's trust store gets."""
import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.filter import client_trust_plan as plan_filter
from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, issuing, keys, trust
from ansible_collections.rtvs.remote.plugins.module_utils.tls import internal_ca as ca
from ansible_collections.rtvs.remote.plugins.module_utils.tls.certs import CertError

PASS = "correct horse battery staple"
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def cas(tmp_path_factory):
    base = tmp_path_factory.mktemp("trust")
    out = {}
    for name in ("old", "new"):
        out[name] = ca.run({"path": str(base / name), "passphrase": PASS, "intermediate": True,
                            "permitted_domains": [], "key_size": 2048}, now=NOW)
    key = keys.generate_key(2048)
    selfsigned = issuing.build_certificate(key, "broker1.example.com", [], 30, now=NOW)
    (base / "broker1.crt").write_bytes(certs.certs_pem([selfsigned]))
    out["selfsigned"] = str(base / "broker1.crt")
    return out


def read(path):
    return open(path, "rb").read()


def test_root_goes_to_windows_root_store_intermediate_to_ca_store(cas):
    old = cas["old"]
    result = trust.plan([read(p) for p in old["chain_paths"]])
    assert result["absent"] == []
    by_store = {e["windows_store"]: e for e in result["present"]}
    assert by_store["Root"]["thumbprint"] == old["root"]["thumbprint_sha1"]
    assert by_store["CertificateAuthority"]["thumbprint"] == old["intermediate"]["thumbprint_sha1"]
    for item in result["present"]:
        assert item["pem"].startswith("-----BEGIN CERTIFICATE-----") and item["pem"].count("BEGIN") == 1
        assert item["name"].startswith("rtvs-remote-") and item["name"].endswith(".crt")
        assert len(item["thumbprint"]) == 40 and item["thumbprint"] == item["thumbprint"].upper()


def test_names_are_stable_and_distinct(cas):
    a = trust.plan([read(cas["old"]["root_certificate_path"])])["present"][0]
    b = trust.plan([read(cas["old"]["root_certificate_path"])])["present"][0]
    c = trust.plan([read(cas["new"]["root_certificate_path"])])["present"][0]
    assert a == b and a["name"] != c["name"]


def test_rotation_steps(cas):
    old_root, new_root = read(cas["old"]["root_certificate_path"]), read(cas["new"]["root_certificate_path"])
    both = trust.plan([old_root, new_root])
    assert len(both["present"]) == 2 and both["absent"] == []
    withdrawn = trust.plan([new_root], [old_root])
    assert [e["thumbprint"] for e in withdrawn["present"]] == [cas["new"]["root"]["thumbprint_sha1"]]
    assert [e["thumbprint"] for e in withdrawn["absent"]] == [cas["old"]["root"]["thumbprint_sha1"]]


def test_wanted_and_withdrawn_stays_present(cas):
    root = read(cas["new"]["root_certificate_path"])
    result = trust.plan([root], [root])
    assert len(result["present"]) == 1 and result["absent"] == []


def test_state_absent_removes_everything_once(cas):
    old_root, new_root = read(cas["old"]["root_certificate_path"]), read(cas["new"]["root_certificate_path"])
    result = trust.plan([old_root, new_root, new_root], [old_root], state="absent")
    assert result["present"] == []
    assert sorted(e["thumbprint"] for e in result["absent"]) == sorted(
        [cas["old"]["root"]["thumbprint_sha1"], cas["new"]["root"]["thumbprint_sha1"]])


def test_selfsigned_broker_is_a_root_store_entry(cas):
    entry = trust.plan([read(cas["selfsigned"])])["present"][0]
    assert entry["windows_store"] == "Root" and entry["subject"] == "CN=broker1.example.com"


def test_refusals():
    with pytest.raises(CertError, match="no PEM certificate"):
        trust.plan([b"garbage"])
    with pytest.raises(CertError, match="is empty"):
        trust.plan([""])
    with pytest.raises(CertError, match="state must be present or absent"):
        trust.plan([], state="gone")


def test_filter_reads_controller_paths(cas, tmp_path):
    result = plan_filter.client_trust_plan([cas["new"]["root_certificate_path"]],
                                           withdraw=[cas["old"]["root_certificate_path"]])
    assert result["present"][0]["thumbprint"] == cas["new"]["root"]["thumbprint_sha1"]
    with pytest.raises(AnsibleFilterError, match="cannot read certificate .*missing.crt"):
        plan_filter.client_trust_plan([str(tmp_path / "missing.crt")])
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        plan_filter.client_trust_plan("/etc/hosts")
    (tmp_path / "bad.crt").write_text("not a certificate")
    with pytest.raises(AnsibleFilterError, match="client_trust_plan: .*no PEM certificate"):
        plan_filter.client_trust_plan([str(tmp_path / "bad.crt")])
