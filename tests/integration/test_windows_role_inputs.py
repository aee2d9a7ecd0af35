"""The windows_broker input checks (tasks/preflight_inputs.yml) run on the controller only, so
they run here for real: bad inputs fail before any host is touched, naming the variable and the fix.
"""
import pytest

from conftest import run_playbook

PLAYBOOK = """\
- name: Input checks of the windows_broker role
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run preflight_inputs.yml from the role
      ansible.builtin.include_role:
        name: rtvs.remote.windows_broker
        tasks_from: preflight_inputs.yml
"""

GOOD = {
    "rtvs_fqdn": "r.example.test",
    "rtvs_pfx_password": "Input-Check-Secret-71",
    "rtvs_allowed_sources": ["10.1.0.0/16"],
    "rtvs_certificate_source": "ca",
    "rtvs_ca_certificate": "/srv/pki/ca.crt",
    "rtvs_ca_privatekey": "/srv/pki/ca.key",
}


@pytest.fixture
def playbook_file(tmp_path):
    path = tmp_path / "inputs.yml"
    path.write_text(PLAYBOOK)
    return str(path)


def test_good_inputs_pass_without_warnings(playbook_file):
    result = run_playbook(playbook_file, GOOD)
    assert result.rc == 0, result
    assert "WARNING: rtvs_certificate_source=selfsigned" not in result.output
    assert "accepts every address" not in result.output


def test_defaults_warn_about_selfsigned_and_open_port(playbook_file):
    result = run_playbook(playbook_file, {"rtvs_pfx_password": "Another-Secret-99"})
    assert result.rc == 0, result
    assert "rtvs_certificate_source=selfsigned is for testing" in result.output
    assert "rtvs_allowed_sources is empty" in result.output


@pytest.mark.parametrize("override, expected", [
    ({"rtvs_fqdn": "*.example.test"}, "rtvs_fqdn must be the host name"),
    ({"rtvs_port": 70000}, "rtvs_port 1-65535"),
    ({"rtvs_certificate_source": "acme"}, "rtvs_certificate_source selfsigned|ca|provided"),
    ({"rtvs_allowed_sources": "10.0.0.0/8"}, "rtvs_allowed_sources a list"),
    ({"rtvs_ca_privatekey": ""}, "needs rtvs_ca_certificate and rtvs_ca_privatekey"),
    ({"rtvs_certificate_source": "provided"}, "needs rtvs_provided_certificate and rtvs_provided_privatekey"),
])
def test_bad_input_fails_naming_the_variable(playbook_file, override, expected):
    result = run_playbook(playbook_file, dict(GOOD, **override))
    assert result.rc != 0, result
    assert expected in result.output, result


def test_missing_or_weak_pfx_password_fails_without_showing_it(playbook_file):
    values = dict(GOOD)
    del values["rtvs_pfx_password"]
    missing = run_playbook(playbook_file, values)
    assert missing.rc != 0
    # no_log hides the assert message itself; the task name says what to fix.
    assert "Check the PFX password" in missing.output

    short = run_playbook(playbook_file, dict(GOOD, rtvs_pfx_password="Zq7#xK"), verbosity=3)
    assert short.rc != 0
    assert "Check the PFX password" in short.output
    assert "Zq7#xK" not in short.output.split("PLAY [", 1)[1], "the rejected password was printed"

    snakeoil = run_playbook(playbook_file, dict(GOOD, rtvs_pfx_password="SnakeOil"))
    assert snakeoil.rc != 0

    allowed = run_playbook(playbook_file, dict(GOOD, rtvs_pfx_password="SnakeOil", rtvs_allow_insecure_defaults=True))
    assert allowed.rc == 0, allowed


@pytest.mark.parametrize("password, expected", [
    ("Nul\u0000-Secret-Canary-5", "rtvs_pfx_password contains a NUL byte"),
    ("Tab\t-Secret-Canary-5", "rtvs_pfx_password contains a control character"),
    ("Line\n-Secret-Canary-5", "rtvs_pfx_password contains a control character"),
])
def test_control_character_in_pfx_password_is_refused_before_the_host(playbook_file, password, expected):
    """The one password rule's refusal stops the Windows preflight (it only warned before, and pfx failed later)."""
    result = run_playbook(playbook_file, dict(GOOD, rtvs_pfx_password=password), verbosity=3)
    assert result.rc != 0, result
    assert "Refuse a PFX password with a control character" in result.output, result
    assert expected in result.output, result
    assert "Secret-Canary" not in result.output.split("PLAY [", 1)[1], "the rejected password was printed"


def test_non_ascii_pfx_password_only_warns_on_windows(playbook_file):
    result = run_playbook(playbook_file, dict(GOOD, rtvs_pfx_password="Caf\u00e9-Secret-Canary-5"))
    assert result.rc == 0, result
    assert "WARNING: rtvs_pfx_password has 1 character outside printable ASCII" in result.output, result
    assert "Caf\u00e9" not in result.output


def test_on_host_certificate_needs_no_pfx_password(playbook_file):
    values = dict(GOOD, rtvs_windows_certificate_on_host=True)
    del values["rtvs_pfx_password"]
    result = run_playbook(playbook_file, values)
    assert result.rc == 0, result


ROLE_PLAYBOOK = """\
- name: The whole role with no steps selected (argument validation only)
  hosts: localhost
  gather_facts: false
  roles:
    - role: rtvs.remote.windows_broker
"""


@pytest.mark.parametrize("override, expected", [
    ({}, None),
    ({"rtvs_port": "not-a-port"}, "rtvs_port"),
    ({"rtvs_windows_steps": ["bogus"]}, "rtvs_windows_steps"),
    ({"rtvs_windows_pfx_encryption": "rc2"}, "rtvs_windows_pfx_encryption"),
    ({"rtvs_users": [{"password": "x"}]}, "name"),
])
def test_argument_specs_validate_before_anything_runs(tmp_path, override, expected):
    playbook = tmp_path / "role.yml"
    playbook.write_text(ROLE_PLAYBOOK)
    values = dict(GOOD, rtvs_windows_steps=[], **{k: v for k, v in override.items() if k != "rtvs_windows_steps"})
    if "rtvs_windows_steps" in override:
        values["rtvs_windows_steps"] = override["rtvs_windows_steps"]
    result = run_playbook(str(playbook), values)
    if expected is None:
        assert result.rc == 0, result
        assert "Validating arguments against arg spec 'main'" in result.output
        return
    assert result.rc != 0, result
    assert "Validating arguments against arg spec 'main'" in result.output
    assert expected in result.output, result
    assert GOOD["rtvs_pfx_password"] not in result.output
