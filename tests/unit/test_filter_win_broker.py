"""The role's Windows filters: thin over win_plan/win_certs; win_chain and win_leaf_pem split a PEM bundle."""
import base64

import pytest
from ansible.errors import AnsibleFilterError
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.rtvs.remote.plugins.filter import win_broker
from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, issuing, keys


@pytest.fixture(scope="module")
def bundle():
    ca_key = keys.generate_key()
    ca = issuing.build_certificate(ca_key, "root-ca.example.test", valid_days=60)
    leaf_key = keys.generate_key()
    leaf = issuing.build_certificate(leaf_key, "r.example.com", ["10.0.0.5"], 30, ca, ca_key)
    return leaf, ca, certs.certs_pem([leaf, ca]).decode("ascii")


def test_chain_and_leaf_split(bundle):
    leaf, ca, pem = bundle
    chain = win_broker.win_chain(pem)
    assert [c["thumbprint"] for c in chain] == [certs.thumbprint_sha1(ca)]
    assert chain[0]["self_signed"] is True
    assert chain[0]["subject"] == certs.windows_name(ca.subject)
    der = base64.b64decode(chain[0]["der_b64"])
    assert x509.load_der_x509_certificate(der) == ca
    only = certs.load_certificates(win_broker.win_leaf_pem(pem), "x")
    assert only == [leaf]


def test_chain_extra_pem_once(bundle):
    leaf, ca, pem = bundle
    extra = ca.public_bytes(serialization.Encoding.PEM).decode("ascii")
    assert len(win_broker.win_chain(pem, extra)) == 1
    leaf_pem = leaf.public_bytes(serialization.Encoding.PEM).decode("ascii")
    assert [c["self_signed"] for c in win_broker.win_chain(leaf_pem, extra)] == [True]


def test_config_text_filter_errors_clearly():
    assert win_broker.win_config_text(base64.b64encode("\ufeff{}".encode("utf-16-le")).decode()) == "{}"
    with pytest.raises(AnsibleFilterError, match="win_config_text"):
        win_broker.win_config_text(base64.b64encode(b"\x80\x81").decode())


def test_plan_needs_the_info_result():
    with pytest.raises(AnsibleFilterError, match="win_broker_info"):
        win_broker.win_certificate_plan({"os": {}}, "", "CN=x", "x")


def test_san_text_filter():
    assert win_broker.win_san_text("r.example.com", ["10.0.0.5"]) == \
        "2.5.29.17={text}DNS=r.example.com&IPAddress=10.0.0.5"


@pytest.mark.parametrize("version, supported", [("3.6.3", True), ("3.2.0", True), ("4.0.0", False), ("3.1.3", False)])
def test_r_support_uses_the_one_rule(version, supported):
    assert win_broker.win_r_support(version) == {"supported": supported, "range": "3.2-3.9"}
