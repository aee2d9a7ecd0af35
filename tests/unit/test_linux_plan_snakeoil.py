"""The plan's snakeoil step (issue 14, Low): the package's /etc/rtvs/ssl-cert-snakeoil.pfx (password SnakeOil
published) is locked to root once the configuration names the role's PFX."""
import copy
import importlib.util
import os

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules
from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_plan

_SPEC = importlib.util.spec_from_file_location("plan_fixtures", os.path.join(os.path.dirname(__file__), "test_linux_plan.py"))
FIXTURES = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(FIXTURES)


def _plan(snakeoil=None, pfx_path=None):
    desired = copy.deepcopy(FIXTURES.DESIRED)
    if pfx_path:
        desired["pfx"]["path"] = pfx_path
    state = copy.deepcopy(FIXTURES.CONVERGED)
    if snakeoil:
        state["paths"][broker_rules.SNAKEOIL_PFX] = snakeoil
    return linux_plan.plan(desired, state)


def _file(owner="root", group="root", mode="0644"):
    return {"exists": True, "isdir": False, "owner": owner, "group": group, "mode": mode, "checksum": "s" * 40}


@pytest.mark.parametrize("seen, why", [
    (_file(mode="0644"), "mode 0644 lets every account read it"),
    (_file(group="ssl-cert", mode="0640"), "group ssl-cert can read it (mode 0640)"),
    (_file(owner="rtvssvc", mode="0600"), "it is owned by rtvssvc"),
])
def test_a_snakeoil_pfx_others_can_read_is_locked(seen, why):
    plan = _plan(seen)
    assert plan["todo"]["snakeoil_lock"] and plan["todo"]["file_snakeoil"] and plan["todo"]["after_config"]
    assert why in plan["steps"]["snakeoil_lock"]["why"] and "published password" in plan["steps"]["snakeoil_lock"]["why"]


@pytest.mark.parametrize("seen, pfx_path", [
    (None, None),  # not on the host
    (_file(mode="0600"), None),  # locked already: a converged host skips it
    (_file(group="root", mode="0640"), None),  # root's group only
    (dict(_file(), checksum=None), None),  # not a regular file (a link): not touched
    (_file(mode="0644"), broker_rules.SNAKEOIL_PFX),  # it is the broker's PFX (rtvs_linux_certificate_name)
])
def test_nothing_to_lock(seen, pfx_path):
    plan = _plan(seen, pfx_path)
    assert not plan["todo"]["snakeoil_lock"] and not plan["todo"]["file_snakeoil"]
