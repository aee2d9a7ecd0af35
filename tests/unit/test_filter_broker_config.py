"""Unit tests of the controller-side filters rtvs.remote.broker_config_render / broker_config_redact."""
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.filter.broker_config import (
    FilterModule, broker_config_redact, broker_config_render)

WINDOWS_SHIPPED = '{"urls":"https://0.0.0.0:5444"}'


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"broker_config_render", "broker_config_redact"}


def test_windows_render_merges_and_keeps_unchanged_text():
    settings = {"urls": "https://0.0.0.0:5444",
                "security": {"X509CertificateName": "CN=broker.example.com", "allowedGroup": "Users"}}
    text = broker_config_render(WINDOWS_SHIPPED, settings)
    assert text.endswith("}\n")
    assert json.loads(text) == {"urls": "https://0.0.0.0:5444",
                                "security": {"allowedGroup": "Users", "X509CertificateName": "CN=broker.example.com"}}
    # Rendering the result again changes nothing, byte for byte (win_copy then reports ok).
    assert broker_config_render(text, settings) == text
    assert broker_config_render(WINDOWS_SHIPPED, {"URLS": "https://0.0.0.0:5444"}) == WINDOWS_SHIPPED


def test_empty_input_means_new_file():
    assert json.loads(broker_config_render("", {"urls": "https://0.0.0.0:5444"})) == {"urls": "https://0.0.0.0:5444"}
    assert json.loads(broker_config_render(None, {"urls": "https://0.0.0.0:5444"})) == {"urls": "https://0.0.0.0:5444"}


def test_legacy_server_urls_is_validated_on_windows():
    with pytest.raises(AnsibleFilterError, match=r"server.urls: 'http://0.0.0.0:5444' must use https"):
        broker_config_render('{"server.urls": "http://0.0.0.0:5444"}', {})


def test_validation_errors_name_key_and_file():
    with pytest.raises(AnsibleFilterError) as info:
        broker_config_render(WINDOWS_SHIPPED, {"security": {"X509CertificateName": "broker"},
                                               "lifetime": {"pingTimeout": 5}})
    message = str(info.value)
    assert message.startswith("broker_config_render: Microsoft.R.Host.Broker.Config.json")
    assert "X509CertificateName" in message and "lifetime.pingTimeout" in message


def test_corrupt_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="is not valid JSON"):
        broker_config_render('{"urls": ', {"urls": "https://0.0.0.0:5444"})


def test_password_only_through_its_argument():
    with pytest.raises(AnsibleFilterError, match="certificate_password"):
        broker_config_render(WINDOWS_SHIPPED, {"security": {"X509CertificatePassword": "p"}})
    text = broker_config_render(WINDOWS_SHIPPED, {"security.X509CertificateFile": "C:/broker.pfx"},
                                certificate_password="p4ss")
    assert json.loads(text)["security"] == {"X509CertificateFile": "C:/broker.pfx", "X509CertificatePassword": "p4ss"}
    assert "p4ss" not in json.dumps(broker_config_redact(text))


def test_linux_platform_without_host_checks():
    text = broker_config_render(None, {"urls": "https://0.0.0.0:5444", "security": {
        "X509CertificateFile": "/nonexistent.pfx", "allowedGroup": "no-such-group"}}, platform="linux")
    assert json.loads(text)["security"]["allowedGroup"] == "no-such-group"
    with pytest.raises(AnsibleFilterError, match="X509CertificateFile is not set"):
        broker_config_render(None, {"urls": "https://0.0.0.0:5444"}, platform="linux")


@pytest.mark.parametrize("settings, platform, pattern", [
    (["urls"], "windows", "settings must be a dict"),
    ({}, "macos", "platform must be linux or windows"),
])
def test_bad_arguments(settings, platform, pattern):
    with pytest.raises(AnsibleFilterError, match=pattern):
        broker_config_render(WINDOWS_SHIPPED, settings, platform=platform)


def test_redact_accepts_dict_and_text():
    assert broker_config_redact({"Security": {"SECRET": "s", "x": 1}}) == {"Security": {"SECRET": "********", "x": 1}}
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        broker_config_redact(5)
    with pytest.raises(AnsibleFilterError, match="not valid JSON"):
        broker_config_redact("{")
