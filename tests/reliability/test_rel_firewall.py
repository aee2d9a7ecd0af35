"""M5 (issue 14): rtvs_allowed_sources is said to be unenforced where ufw cannot enforce it, and the
allow-from-anywhere rule of an earlier run goes once sources are set.

roles/linux_broker/tasks/firewall.yml runs on localhost with the preflight's host state given as
variables; a stand-in ``ufw`` on PATH answers like ufw 0.36 and logs every command it gets.
"""
import os

import pytest

import rel_support

FAKE_UFW = """#!/bin/sh
echo "$*" >> "%s"
case "$*" in
  --version) echo "ufw 0.36.2";;
  "status verbose"|"status") echo "Status: active";;
  *) echo "Rules updated";;
esac
"""


@pytest.fixture
def ufw(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "ufw.log"
    script = folder / "ufw"
    script.write_text(FAKE_UFW % log)
    script.chmod(0o755)
    return {"PATH": "%s:%s" % (folder, os.environ["PATH"])}, log


def _run(playbook, env, **values):
    result = playbook(rel_support.target("firewall.yml"), {"fw_" + k: v for k, v in values.items()}, env=env)
    assert result.rc == 0, result
    return result


def _commands(log):
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("installed, enabled, state", [
    (False, False, "ufw is not installed"),
    (True, False, "ufw is inactive"),
])
def test_sources_set_but_ufw_absent_or_inactive_is_warned(playbook, ufw, installed, enabled, state):
    env, _log = ufw
    result = _run(playbook, env, sources=["10.20.0.0/16"], ufw=installed, ufw_enabled=enabled)
    assert "WARNING: rtvs_allowed_sources is set, but %s on localhost" % state in result.output, result
    assert "it accepts every\naddress" in result.output or "accepts every address" in " ".join(result.output.split())


def test_no_warning_when_ufw_enforces_the_sources(playbook, ufw):
    env, _log = ufw
    result = _run(playbook, env, sources=["10.20.0.0/16"], ufw=True, ufw_enabled=True)
    assert "rtvs_allowed_sources is set, but" not in result.output


def test_allow_from_anywhere_is_removed_once_sources_are_set(playbook, ufw):
    env, log = ufw
    _run(playbook, env, sources=[], ufw=True, ufw_enabled=True)
    first = [c for c in _commands(log) if "5444" in c]
    assert first == ["allow from any to any port 5444 proto tcp comment rtvs.remote broker"], first
    log.unlink()
    _run(playbook, env, sources=["10.20.0.0/16"], ufw=True, ufw_enabled=True)
    second = [c for c in _commands(log) if "5444" in c]
    assert "allow from 10.20.0.0/16 to any port 5444 proto tcp comment rtvs.remote broker" in second, second
    assert "delete allow from any to any port 5444 proto tcp comment rtvs.remote broker" in second, second
