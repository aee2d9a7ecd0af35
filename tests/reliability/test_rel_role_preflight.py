"""Role inputs refused before any host change.

The inventory's only host is unreachable (127.0.0.1, port 9, nothing listens): a run that fails
with the input message and reports the host *failed*, not *unreachable*, proves the refusal came
from the controller-side preflight, before any connection to the host, so nothing on it changed.
"""
import os

import pytest

import rel_support
from rel_support import run_ansible, secrets_file, write_inventory

LINUX = os.path.join(rel_support.ROOT, "playbooks", "linux.yml")
WINDOWS = os.path.join(rel_support.ROOT, "playbooks", "windows.yml")
HASH = "$6$rtvsrel$0Y9b1Hk6uX2G8o0yqkY3VbFj3b8q2Xq0H1m7mW0n9o6uQ0b2Gd1bq8Y5qS7o1mJx0R2x9cF8hVb5Q1y3uZ2s/"

UNREACHABLE = {"ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_user": "nobody",
               "ansible_ssh_common_args": "-o ConnectTimeout=2"}


def _run(tmp_path, group, playbook, secrets, **host_vars):
    if group == "rtvs_linux":
        host_vars.setdefault("rtvs_daemon_install", False)
    inventory = write_inventory(tmp_path / "inventory.json", {group: {"rel-nohost": dict(UNREACHABLE, **host_vars)}})
    return run_ansible(playbook, inventory, args=secrets_file(tmp_path / "vault.json", **secrets))


def _assert_refused_before_connecting(result, *messages):
    assert result.rc != 0, result
    for message in messages:
        assert message in result.output, (message, result)
    assert "UNREACHABLE" not in result.output, ("preflight tried to reach the host", result)
    assert "unreachable=0" in result.stdout and "failed=1" in result.stdout, result
    assert "changed=0" in result.stdout, result


GOOD = {"rtvs_pfx_password": "Rel-Preflight-Pfx-2a7c"}


def test_control_valid_inputs_pass_preflight_and_reach_for_the_host(tmp_path):
    """Without a bad input the same run gets past the controller checks and fails only as unreachable,
    so each refusal below is caused by its bad value."""
    result = _run(tmp_path, "rtvs_linux", LINUX, GOOD,
                  rtvs_users=[{"name": "rtvs-carol", "password_hash": HASH}])
    assert result.rc != 0
    assert "unreachable=1" in result.stdout and "failed=0" in result.stdout, result


def test_user_entry_without_password(tmp_path):
    result = _run(tmp_path, "rtvs_linux", LINUX, GOOD,
                  rtvs_users=[{"name": "rtvs-carol", "password_hash": HASH}, {"name": "rtvs-dave"}])
    _assert_refused_before_connecting(
        result, "rtvs_users entries without a crypt(3) password_hash (like $6$...): rtvs-dave.",
        "password_hash('sha512')")


@pytest.mark.parametrize("password", ["SnakeOil", "sNaKeOiL"])
def test_snakeoil_password_refused_linux(tmp_path, password):
    result = _run(tmp_path, "rtvs_linux", LINUX, {"rtvs_pfx_password": password})
    _assert_refused_before_connecting(
        result, "rtvs_pfx_password is empty, a placeholder, or a published default",
        "rtvs_allow_insecure_defaults=true")
    assert password not in result.output.replace("'SnakeOil'", "").replace("snakeoil", ""), \
        "the refused password itself is not echoed"


@pytest.mark.parametrize("password", ["SnakeOil", "snakeoil", "SNAKEOIL", "sNaKeOiL"])
def test_snakeoil_password_refused_windows(tmp_path, password):
    """Issue 14 (Low): the Windows role's refusal was case-sensitive; the published password in any case is refused."""
    result = _run(tmp_path, "rtvs_windows", WINDOWS, {"rtvs_pfx_password": password}, ansible_connection="winrm",
                  ansible_winrm_transport="basic", ansible_password="x")
    _assert_refused_before_connecting(result, "Set rtvs_pfx_password", "rtvs_allow_insecure_defaults=true")


def test_misspelt_choice_value_caught_by_argument_specs(tmp_path):
    result = _run(tmp_path, "rtvs_linux", LINUX, GOOD, rtvs_certificate_source="selfsign")
    _assert_refused_before_connecting(result, "rtvs_certificate_source", "selfsigned, ca, provided")


def test_misspelt_required_variable_name(tmp_path):
    result = _run(tmp_path, "rtvs_linux", LINUX, {"rtvs_pfx_pasword": "Rel-Preflight-Pfx-2a7c"})
    _assert_refused_before_connecting(result, "rtvs_pfx_password")


def test_misspelt_optional_variable_name(tmp_path):
    """rtvs_alowed_group would be silently ignored and the default group used: the role must say so."""
    result = _run(tmp_path, "rtvs_linux", LINUX, GOOD, rtvs_alowed_group="rtvs-analysts")
    _assert_refused_before_connecting(result, "rtvs_alowed_group", "rtvs_allowed_group")


@pytest.mark.parametrize("name,value,message", [
    ("rtvs_port", 70000, "rtvs_port must be 1-65535"),
    ("rtvs_allowed_sources", ["10.0.0.0/8", "everyone"], "rtvs_allowed_sources must be IP addresses or CIDRs"),
    ("rtvs_daemon_package", "rtvs-daemon.zip", "rtvs_daemon_package must be an http(s) URL or a .deb"),
])
def test_other_bad_inputs_refused_before_connecting(tmp_path, name, value, message):
    result = _run(tmp_path, "rtvs_linux", LINUX, GOOD, **{name: value, "rtvs_daemon_install": name == "rtvs_daemon_package"})
    _assert_refused_before_connecting(result, message)


@pytest.mark.parametrize("password, message", [
    ("Rel-Pre\u0000flight-Canary", "rtvs_pfx_password contains a NUL byte, which the PKCS#12 layers cannot take"),
    ("Rel-Pre\nflight-Canary", "rtvs_pfx_password contains a control character (a newline, tab, escape ...)"),
    ("Sh0rt!", "rtvs_pfx_password must have at least 8 characters"),
], ids=["NUL", "newline", "7 characters"])
def test_pfx_password_with_control_character_or_too_short_refused_linux(tmp_path, password, message):
    """Issue 14 M4: a NUL crashed the crypto layer; the Windows role already requires 8 characters. The control
    characters are named by the one password rule (the filter rtvs.remote.pfx_password_problem), first."""
    result = _run(tmp_path, "rtvs_linux", LINUX, {"rtvs_pfx_password": password})
    _assert_refused_before_connecting(result, message)
    assert "outside printable ASCII" not in result.output
    assert "Canary" not in result.output and "Sh0rt!" not in result.output


@pytest.mark.parametrize("password, message", [
    ("Rel-Pre\u0000flight-Canary", "rtvs_pfx_password contains a NUL byte, which the PKCS#12 layers cannot take"),
    ("Rel-Pre\u001bflight-Canary", "rtvs_pfx_password contains a control character (a newline, tab, escape ...)"),
], ids=["NUL", "escape"])
def test_pfx_password_with_control_character_refused_windows(tmp_path, password, message):
    """The Windows preflight only warned (its debug showed the refusal and went on, until pfx failed on the
    controller later); the one password rule now says it is an error and the preflight stops."""
    result = _run(tmp_path, "rtvs_windows", WINDOWS, {"rtvs_pfx_password": password}, ansible_connection="winrm",
                  ansible_winrm_transport="basic", ansible_password="x")
    _assert_refused_before_connecting(result, message)
    assert "Canary" not in result.output
