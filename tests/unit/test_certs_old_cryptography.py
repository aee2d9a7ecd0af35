"""certs works on hosts whose cryptography predates *_utc (42) and verify_directly_issued_by (40).

Debian 12 ships python3-cryptography 38; the doctor's broker_info and the modules run there.
The proxy below hides the newer attributes of a real certificate, as cryptography 38 lacks them.
"""
import datetime

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, issuing, keys

HIDDEN = ("not_valid_before_utc", "not_valid_after_utc", "verify_directly_issued_by")


class OldCertificate:
    def __init__(self, cert):
        self._cert = cert

    def __getattr__(self, name):
        if name in HIDDEN:
            raise AttributeError(name)
        return getattr(self._cert, name)


@pytest.fixture(scope="module")
def ca_and_leaf():
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    ca_key = keys.generate_key()
    ca = issuing.build_certificate(ca_key, "ca.example.test", now=now)
    leaf_key = keys.generate_key()
    leaf = issuing.build_certificate(leaf_key, "host.example.test", issuer_cert=ca, issuer_key=ca_key, now=now)
    other = issuing.build_certificate(keys.generate_key(), "ca.example.test", now=now)
    return ca, leaf, other


def test_summary_without_utc_attributes(ca_and_leaf):
    _ca, leaf, _other = ca_and_leaf
    assert certs.summary(OldCertificate(leaf)) == certs.summary(leaf)


def test_signature_check_without_verify_directly_issued_by(ca_and_leaf):
    ca, leaf, other = ca_and_leaf
    assert certs.signed_by(OldCertificate(leaf), ca) is True
    # same issuer name, different key: the signature must not verify
    assert certs.signed_by(OldCertificate(leaf), other) is False
    assert certs.is_self_signed(OldCertificate(ca)) is True


def test_validity_helpers_are_aware_utc(ca_and_leaf):
    _ca, leaf, _other = ca_and_leaf
    old = OldCertificate(leaf)
    assert certs.not_after(old) == leaf.not_valid_after_utc
    assert certs.not_before(old).tzinfo is not None
