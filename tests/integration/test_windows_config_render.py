"""The controller half of the windows_broker config step (tasks/config_render.yml), run for real.

On a Windows host the role slurps Microsoft.R.Host.Broker.Config.json, renders it here through
rtvs.remote.broker_config_render, and writes the text with win_copy. This feeds the task what
ansible.windows.slurp returns (base64) and checks the text win_copy would get: the role's keys
merged into what the installer shipped, extra settings merged recursively, a second pass
byte-identical (so win_copy reports no change), and broken input failing.
"""
import base64
import json

import pytest

from conftest import CORE_VERSION, run_playbook

PLAYBOOK = """\
- name: Config render step of the windows_broker role
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run config_render.yml from the role
      ansible.builtin.include_role:
        name: rtvs.remote.windows_broker
        tasks_from: config_render.yml

    - name: Save the text win_copy would write
      ansible.builtin.copy:
        dest: "{{ out_path }}"
        content: "{{ windows_broker_config_text }}"
        mode: "0600"
"""

SHIPPED_13 = '\ufeff{\r\n  "urls": "https://0.0.0.0:5444"\r\n}\r\n'


@pytest.fixture
def render(tmp_path):
    playbook = tmp_path / "render.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "rendered.json"

    def _render(existing, encoding="utf-8", verbosity=0, **extra):
        values = {
            "rtvs_fqdn": "rwin1.example.test",
            "out_path": str(out),
            "windows_broker_info": {"config": {"path": "C:\\x\\Microsoft.R.Host.Broker.Config.json",
                                               "exists": existing is not None}},
        }
        if existing is not None:
            values["windows_broker_config_current"] = {
                "content": base64.b64encode(existing.encode(encoding)).decode("ascii")}
        values.update(extra)
        result = run_playbook(str(playbook), values, verbosity=verbosity)
        text = out.read_text(encoding="utf-8") if result.rc == 0 else None
        if out.exists():
            out.unlink()
        return result, text

    return _render


def test_shipped_config_gets_urls_name_and_group(render):
    result, text = render(SHIPPED_13)
    assert result.rc == 0, result
    config = json.loads(text)
    assert config["urls"] == "https://0.0.0.0:5444"
    assert config["security"]["X509CertificateName"] == "CN=rwin1.example.test"
    assert config["security"]["allowedGroup"] == "Users"
    assert text.endswith("\n") and not text.startswith("\ufeff")

    again, second = render(text)
    assert again.rc == 0, again
    assert second == text, "a second render changed the text, so win_copy would report a change every run"


def test_port_extra_settings_and_no_file_yet(render):
    result, text = render(None, rtvs_port=6444, rtvs_allowed_group="EXAMPLE\\R Users",
                          rtvs_windows_broker_settings={"logging": {"logFolder": "D:\\rtvs-logs"}})
    assert result.rc == 0, result
    config = json.loads(text)
    assert config["urls"] == "https://0.0.0.0:6444"
    assert config["security"]["allowedGroup"] == "EXAMPLE\\R Users"
    assert config["logging"]["logFolder"] == "D:\\rtvs-logs"


def test_unmanaged_keys_survive(render):
    existing = json.dumps({"urls": "https://0.0.0.0:5444", "r": {"autoDetect": False,
                           "interpreters": {"0": {"name": "R 3.6", "basePath": "C:\\R\\R-3.6.3"}}}})
    result, text = render(existing)
    assert result.rc == 0, result
    config = json.loads(text)
    assert config["r"]["interpreters"]["0"]["basePath"] == "C:\\R\\R-3.6.3"
    assert config["r"]["autoDetect"] is False


def test_broken_json_fails_the_step(render):
    result, text = render('{"urls": "https://0.0.0.0:5444",')
    assert result.rc != 0
    assert text is None
    if CORE_VERSION >= (2, 19):
        assert "json" in result.output.lower()
    else:  # before 2.19, no_log on the task also hides a filter's error message
        assert "no_log: true" in result.output


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_utf16_and_bom_configs_render(render, encoding):
    """Issue 13 finding 8: PowerShell 5.1's Out-File writes UTF-16 LE with a BOM; no UnicodeDecodeError."""
    existing = '{"urls": "https://0.0.0.0:5444", "security": {"allowedGroup": "Benutzer \u00e4"}}'
    if encoding == "utf-16-be":
        existing = "\ufeff" + existing
    result, text = render(existing, encoding=encoding, rtvs_allowed_group="Benutzer \u00e4")
    assert result.rc == 0, result
    assert json.loads(text)["security"]["allowedGroup"] == "Benutzer \u00e4"


def test_real_subject_goes_to_the_config(render):
    """Issue 13 finding 3: the certificate's real Subject, not CN=<fqdn>."""
    subject = "CN=rwin1.example.test, OU=IT, O=Example Corp, C=US"
    result, text = render(SHIPPED_13, windows_broker_subject=subject)
    assert result.rc == 0, result
    assert json.loads(text)["security"]["X509CertificateName"] == subject


def test_existing_password_never_shown(render):
    """Issue 13 finding 8: the current config's password is not in the output even at -vvvv."""
    existing = json.dumps({"urls": "https://0.0.0.0:5444",
                           "security": {"X509CertificatePassword": "Existing-Secret-77c2"}})
    result, text = render(existing, verbosity=4)
    assert result.rc == 0, result
    assert "Existing-Secret-77c2" not in result.output
