"""The broker's rules, once: R range, case-insensitive lookup, loopback, Windows Subject."""
import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules as rules


@pytest.mark.parametrize("version,supported", [
    ("3.2.0", True), ("3.9.9", True), ("1:3.6.3-1", True), ("R version 3.5.2", True), ((3, 4), True),
    ("3.1.3", False), ("4.0.0", False), ("4.2.2.20221110-2", False), ("", False), (None, False), ("abc", False),
])
def test_r_supported(version, supported):
    assert rules.r_supported(version) is supported


def test_r_range_text():
    assert rules.R_SUPPORTED_TEXT == "3.2-3.9"


def test_ci_get_takes_the_last_key_differing_in_case():
    config = {"Security": {"allowedGroup": "a"}, "security": {"ALLOWEDGROUP": "b"}}
    assert rules.ci_get(config, "SECURITY", "allowedgroup") == "b"
    assert rules.ci_get(config, "security", "missing") is None
    assert rules.ci_get({"a": "x"}, "a", "b") is None


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "127.0.0.1", "127.8.9.1", "[::1]", "::1",
                                  "::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "0x7f000001", "2130706433",
                                  "127.1", "foo.localhost"])
def test_loopback_spellings(host):
    assert rules.is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "*", "+", "10.0.0.5", "rserver1.example.com", "", None, "::",
                                  "128.0.0.1", "localhost.example.com"])
def test_not_loopback(host):
    assert not rules.is_loopback(host)


def test_windows_subject():
    assert rules.windows_broker_subject("CN=r1.example.com, OU=RTVS", "R1") == "CN=r1.example.com, OU=RTVS"
    assert rules.windows_broker_subject(None, "R1") == "CN=R1"
    assert rules.windows_broker_subject(None, None) is None


@pytest.mark.parametrize("text, version", [
    ("4.2.2.20221110-2", (4, 2)), ("3.4.4-1xenial0", (3, 4)), ("1:3.6.3-2", (3, 6)), ("R version 3.5.3", (3, 5)),
    ("R-3.5.3", (3, 5)), ("garbage", None), (None, None)])
def test_r_major_minor(text, version):
    assert rules.r_major_minor(text) == version


# ---------------------------------------------------------------- keys written as 'a:b' (ASP.NET Core reads them nested)

FLAT = {"urls": "https://0.0.0.0:5444", "security:X509CertificatePassword": "pw", "Security": {"secret": "s"}}


def test_ci_get_finds_flattened_keys():
    assert rules.ci_get(FLAT, "security", "x509certificatepassword") == "pw"
    assert rules.ci_get({"a:B:c": 1}, "A", "b", "C") == 1
    assert rules.ci_has({"security": {"allowedGroup": None}}, "security", "allowedgroup")
    assert not rules.ci_has({"security": {}}, "security", "allowedGroup")


@pytest.mark.parametrize("config, masked", [
    ({"security": {"X509CertificatePassword": "pw"}}, {"security": {"X509CertificatePassword": rules.MASK}}),
    ({"security:x509certificatepassword": "pw"}, {"security:x509certificatepassword": rules.MASK}),
    ({"SECURITY": {"Secret": "s"}}, {"SECURITY": {"Secret": rules.MASK}}),
    ({"security:secret": "s", "n": [{"secret": "t"}]}, {"security:secret": rules.MASK, "n": [{"secret": rules.MASK}]}),
    ({"security": {"X509CertificatePassword": None}}, {"security": {"X509CertificatePassword": None}}),
    ({"security": {"allowedGroup": "g"}}, {"security": {"allowedGroup": "g"}}),
])
def test_redact_masks_every_secret_spelling(config, masked):
    assert rules.redact(config) == masked


def test_expand_and_duplicates():
    config = {"security": {"allowedGroup": "a"}, "security:X509CertificateFile": "/f", "SECURITY:allowedgroup": "b"}
    assert rules.expand(config) == {"security": {"allowedGroup": "b", "X509CertificateFile": "/f"}}
    assert rules.duplicate_settings(config) == [("security.allowedGroup", "SECURITY:allowedgroup")]
    assert rules.duplicate_settings({"security": {"a": 1}, "security:b": 2}) == []


@pytest.mark.parametrize("name, dns, ips, cn, covered", [
    ("r1.example.com", ["r1.example.com"], [], None, True),
    ("R1.Example.com.", ["r1.example.com"], [], None, True),
    ("r1.example.com", ["*.example.com"], [], None, True),
    ("a.r1.example.com", ["*.example.com"], [], None, False),
    ("example.com", ["*.example.com"], [], None, False),
    ("r1.example.com", [], [], "r1.example.com", True),  # CN only without any SAN
    ("r1.example.com", ["other.example.com"], [], "r1.example.com", False),
    ("192.0.2.7", ["192.0.2.7"], [], None, False),  # an IP only by an IP SAN
    ("192.0.2.7", [], ["192.0.2.7"], None, True),
    ("[2001:db8::1]", [], ["2001:db8::1"], None, True),
])
def test_name_covered(name, dns, ips, cn, covered):
    assert rules.name_covered(name, dns, ips, cn) is covered


def test_supported_r_jinja_test_is_the_rule():
    from ansible_collections.rtvs.remote.plugins.test import broker_rules as tests
    assert tests.TestModule().tests()["supported_r"] is tests.supported_r
    assert tests.supported_r("1:3.6.3-1") and not tests.supported_r("4.3.1")
