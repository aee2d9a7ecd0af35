"""M5 (issue 14): rtvs_allowed_sources is said to be unenforced where ufw cannot enforce it, and the
allow-from-anywhere rule of an earlier run goes once sources are set.

The decisions are the plan's (module_utils/host/linux_plan.py, fed here with a host state as linux_host_state
reads it); roles/linux_broker/tasks/firewall.yml then runs on localhost guarded by that plan, and a
stand-in ``ufw`` on PATH answers like ufw 0.36 and logs every command it gets.
"""
import copy
import importlib.util
import os

import pytest

import rel_support
from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_plan

# the converged host and the role's desired state of the plan's own unit tests
_SPEC = importlib.util.spec_from_file_location(
    "plan_fixtures", os.path.join(os.path.dirname(__file__), "..", "unit", "test_linux_plan.py"))
PLAN_FIXTURES = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(PLAN_FIXTURES)

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


def _plan(sources, ufw, ufw_enabled, ufw_rules=(), ufw_rules_ours=()):
    desired = copy.deepcopy(PLAN_FIXTURES.DESIRED)
    desired.update(allowed_sources=list(sources), port=5444, firewall=True, check_mode=False)
    state = copy.deepcopy(PLAN_FIXTURES.CONVERGED)
    state.update(ufw=ufw, ufw_enabled=ufw_enabled, ufw_rules=list(ufw_rules), ufw_rules_ours=list(ufw_rules_ours))
    return linux_plan.plan(desired, state)


def _run(playbook, env, sources, ufw, ufw_enabled, ufw_rules=(), ufw_rules_ours=()):
    values = {"fw_sources": sources, "fw_plan": _plan(sources, ufw, ufw_enabled, ufw_rules, ufw_rules_ours)}
    result = playbook(rel_support.target("firewall.yml"), values, env=env)
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
    assert "WARNING: rtvs_allowed_sources is set, but %s" % state in result.output, result
    assert "it accepts every\naddress" in result.output or "accepts every address" in " ".join(result.output.split())


def test_no_warning_when_ufw_enforces_the_sources(playbook, ufw):
    env, _log = ufw
    result = _run(playbook, env, sources=["10.20.0.0/16"], ufw=True, ufw_enabled=True)
    assert "rtvs_allowed_sources is set, but" not in result.output


def test_allow_from_anywhere_is_removed_once_sources_are_set(playbook, ufw):
    env, log = ufw
    _run(playbook, env, sources=[], ufw=True, ufw_enabled=True, ufw_rules=[])
    first = [c for c in _commands(log) if "5444" in c]
    assert first == ["allow from any to any port 5444 proto tcp comment rtvs.remote broker"], first
    log.unlink()
    # ufw now holds the rule the first run added (as /etc/ufw/user.rules shows it to linux_host_state)
    _run(playbook, env, sources=["10.20.0.0/16"], ufw=True, ufw_enabled=True, ufw_rules=["allow tcp 5444 0.0.0.0/0 in"])
    second = [c for c in _commands(log) if "5444" in c]
    assert "allow from 10.20.0.0/16 to any port 5444 proto tcp comment rtvs.remote broker" in second, second
    assert "delete allow from any to any port 5444 proto tcp comment rtvs.remote broker" in second, second


def test_rules_this_role_made_for_sources_no_longer_listed_are_removed(playbook, ufw):
    """M5: "remove rules this role made that no longer match" - a source dropped from rtvs_allowed_sources kept its
    ufw rule before. Only rules carrying the role's comment are removed (ufw saves it hex-encoded; host_state reads it)."""
    env, log = ufw
    ours = ["allow tcp 5444 10.20.0.0/16 in", "allow tcp 5444 10.9.0.0/16 in"]
    _run(playbook, env, sources=["10.20.0.0/16"], ufw=True, ufw_enabled=True,
         ufw_rules=ours + ["allow tcp 5444 10.8.0.0/16 in"], ufw_rules_ours=ours)
    commands = [c for c in _commands(log) if "5444" in c]
    assert commands == ["delete allow from 10.9.0.0/16 to any port 5444 proto tcp comment rtvs.remote broker"], commands
