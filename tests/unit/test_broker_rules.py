"""The broker's rules, once: R range, case-insensitive lookup, loopback, Windows Subject."""
import pytest

from ansible_collections.rtvs.remote.plugins.module_utils import broker_rules as rules


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
