"""Broker keys kept on the controller, encrypted at rest (broker_certificate's privatekey_passphrase).

One implementation of "a key encrypted with a vault passphrase" (keys.encrypted_key_pem) serves the internal
CA and the broker keys; pfx reads such a key with its privatekey_passphrase.
"""
import datetime
import os

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.rtvs.remote.plugins.module_utils.tls import broker_certificate, certs, issuing, keys
from ansible_collections.rtvs.remote.plugins.module_utils.tls import internal_ca as ca
from ansible_collections.rtvs.remote.plugins.module_utils.tls import pfx as pkcs12
from ansible_collections.rtvs.remote.plugins.module_utils.tls.certs import CertError

FQDN = "rtvs.example.com"
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
PASSPHRASE = "Controller-Key-\u20ac-'\"\\$%-pass"
OTHER = "another-passphrase-4711"
PFX_PASSWORD = "pfx-Password-2211"


@pytest.fixture(scope="module")
def key():
    return keys.generate_key(2048)


def _params(tmp_path, **extra):
    params = {"path": str(tmp_path / "b.crt"), "privatekey_path": str(tmp_path / "b.key"), "fqdn": FQDN,
              "subject_alt_names": [], "source": "selfsigned", "key_size": 2048, "valid_days": 365,
              "renew_before_days": 30, "force": False, "privatekey_mode": "0600", "mode": "0644",
              "owner": None, "group": None, "backup": False, "privatekey_passphrase": PASSPHRASE}
    params.update(extra)
    return params


def _files(tmp_path):
    return {name: (tmp_path / name).read_bytes() for name in sorted(os.listdir(tmp_path))}


def _opens(data, passphrase):
    return serialization.load_pem_private_key(data, password=passphrase.encode("utf-8"))


def test_one_implementation_for_the_ca_and_the_broker_keys(key):
    assert not hasattr(ca, "encrypted_key_pem"), "ca.py uses keys.encrypted_key_pem, not a copy of its own"
    assert ca.MIN_PASSPHRASE == keys.MIN_KEY_PASSPHRASE
    data = keys.key_pem(key, PASSPHRASE)
    assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") and keys.key_pem_encrypted(data)
    assert keys.same_private_key(_opens(data, PASSPHRASE), key)
    assert not keys.key_pem_encrypted(keys.key_pem(key))
    with pytest.raises((TypeError, ValueError)):
        _opens(data, OTHER)


def test_check_run_check_run_is_changed_changed_unchanged_unchanged(tmp_path):
    check1 = broker_certificate.run(_params(tmp_path), check_mode=True)
    assert check1["changed"] and os.listdir(tmp_path) == []
    real1 = broker_certificate.run(_params(tmp_path))
    assert real1["changed"]
    written = (tmp_path / "b.key").read_bytes()
    assert keys.key_pem_encrypted(written)
    assert keys.key_matches(certs.load_certificate((tmp_path / "b.crt").read_bytes(), "path"),
                            _opens(written, PASSPHRASE))
    check2 = broker_certificate.run(_params(tmp_path), check_mode=True)
    real2 = broker_certificate.run(_params(tmp_path))
    assert not check2["changed"] and not real2["changed"] and real2["reasons"] == []
    assert (tmp_path / "b.key").read_bytes() == written
    assert "encrypted at rest" in real2["diff"]["after"]
    for result in (check1, real1, check2, real2):
        assert PASSPHRASE not in repr(result)
        assert written.decode().splitlines()[1] not in repr(result)


def test_an_unencrypted_key_is_re_encrypted_keeping_key_and_certificate(tmp_path):
    plain = broker_certificate.run(_params(tmp_path, privatekey_passphrase=None))
    assert plain["changed"] and not keys.key_pem_encrypted((tmp_path / "b.key").read_bytes())
    before = _files(tmp_path)
    old_key = keys.load_private_key(before["b.key"], "k")
    check = broker_certificate.run(_params(tmp_path), check_mode=True)
    assert check["changed"] and _files(tmp_path) == before, "check mode writes nothing"
    assert any("not encrypted at rest" in r for r in check["reasons"])
    assert "encrypted at rest" not in check["diff"]["before"] and "encrypted at rest" in check["diff"]["after"]
    real = broker_certificate.run(_params(tmp_path))
    assert real["changed"] and real["fingerprint_sha256"] == plain["fingerprint_sha256"]
    after = _files(tmp_path)
    assert after["b.crt"] == before["b.crt"], "only the key file is rewritten"
    assert keys.same_private_key(_opens(after["b.key"], PASSPHRASE), old_key)
    assert not broker_certificate.run(_params(tmp_path))["changed"]


def test_an_unencrypted_key_inside_the_renewal_window_is_reused_and_encrypted(tmp_path, key):
    cert = issuing.build_certificate(key, FQDN, [], valid_days=40, now=NOW - datetime.timedelta(days=20))
    plan = broker_certificate.plan_issued(certs.certs_pem([cert]), keys.key_pem(key), FQDN, [],
                                          renew_before_days=30, now=NOW, key_passphrase=PASSPHRASE)
    assert plan.cert_pem is not None, "the certificate is renewed"
    assert keys.same_private_key(plan.key, key), "with the same key"
    assert keys.same_private_key(_opens(plan.key_pem, PASSPHRASE), key)


@pytest.mark.parametrize("given, match", [
    (None, "encrypted at rest and no passphrase is given; set privatekey_passphrase"),
    (OTHER, "does not open with the given passphrase"),
])
def test_an_encrypted_key_without_its_passphrase_is_refused_and_nothing_changes(tmp_path, given, match):
    broker_certificate.run(_params(tmp_path))
    before = _files(tmp_path)
    for check_mode in (True, False):
        with pytest.raises(CertError, match=match) as info:
            broker_certificate.run(_params(tmp_path, privatekey_passphrase=given), check_mode=check_mode)
        assert "rtvs_controller_key_passphrase" in str(info.value)
        assert PASSPHRASE not in str(info.value) and (given is None or given not in str(info.value))
    assert _files(tmp_path) == before


def test_force_replaces_a_key_that_does_not_open(tmp_path):
    broker_certificate.run(_params(tmp_path))
    result = broker_certificate.run(_params(tmp_path, privatekey_passphrase=OTHER, force=True))
    assert result["changed"]
    _opens((tmp_path / "b.key").read_bytes(), OTHER)


@pytest.mark.parametrize("passphrase, match", [
    ("short", "privatekey_passphrase must have at least 12 characters"),
    ("twelve-chars\x00nul", "privatekey_passphrase"),
])
def test_weak_or_nul_passphrases_are_refused_before_anything_is_written(tmp_path, passphrase, match):
    with pytest.raises(CertError, match=match) as info:
        broker_certificate.run(_params(tmp_path, privatekey_passphrase=passphrase))
    assert passphrase not in str(info.value)
    assert os.listdir(tmp_path) == []


def test_provided_key_is_installed_encrypted_and_re_encrypted(tmp_path, key):
    cert = issuing.build_certificate(key, FQDN, [])
    provided = {"source": "provided", "provided_certificate_content": certs.certs_pem([cert]).decode(),
                "provided_privatekey_content": keys.key_pem(key).decode()}
    plain = broker_certificate.run(_params(tmp_path, privatekey_passphrase=None, **provided))
    assert plain["changed"] and (tmp_path / "b.key").read_bytes() == keys.key_pem(key)
    again = broker_certificate.run(_params(tmp_path, **provided))
    assert again["changed"] and any("not encrypted at rest" in r for r in again["reasons"])
    assert keys.same_private_key(_opens((tmp_path / "b.key").read_bytes(), PASSPHRASE), key)
    assert not broker_certificate.run(_params(tmp_path, **provided))["changed"]
    assert not broker_certificate.run(_params(tmp_path, **provided), check_mode=True)["changed"]


def test_pfx_reads_the_encrypted_key_with_its_passphrase(tmp_path):
    broker_certificate.run(_params(tmp_path))
    pfx = {"path": str(tmp_path / "b.pfx"), "certificate_path": str(tmp_path / "b.crt"),
           "privatekey_path": str(tmp_path / "b.key"), "privatekey_passphrase": PASSPHRASE,
           "password": PFX_PASSWORD, "encryption": "compat", "other_certificates": [], "friendly_name": None,
           "force": False, "owner": None, "group": None, "mode": "0600", "backup": False}
    first = pkcs12.run(pfx)
    assert first["changed"]
    contents = pkcs12.open_pfx((tmp_path / "b.pfx").read_bytes(), PFX_PASSWORD)
    assert keys.same_private_key(contents.key, _opens((tmp_path / "b.key").read_bytes(), PASSPHRASE))
    assert not pkcs12.run(pfx)["changed"]
    with pytest.raises(certs.CertError, match="is encrypted; give its passphrase"):
        pkcs12.run(dict(pfx, privatekey_passphrase=None, force=True))
    assert PASSPHRASE not in repr(first)
