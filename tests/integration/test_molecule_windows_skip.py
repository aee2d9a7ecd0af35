"""molecule/windows: without RTVS_WINDOWS_HOST the whole `molecule test -s windows` exits 0 and
says SKIPPED; with it set, the scenario really targets that host (here an address where nothing
listens, so converge must fail as unreachable rather than skip).
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MOLECULE = os.path.join(os.path.dirname(sys.executable), "molecule")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTVS_WINDOWS_")}
    env.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
    env["ANSIBLE_NOCOLOR"] = "1"
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def need_molecule():
    if not os.path.exists(MOLECULE) and not shutil.which("molecule"):
        pytest.skip("molecule not installed")


def test_without_a_host_the_scenario_skips_and_passes():
    proc = subprocess.run([MOLECULE, "test", "-s", "windows"], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "SKIPPED: molecule scenario 'windows' needs a real Windows host" in out
    for step in ("syntax", "converge", "idempotence", "check", "verify"):
        assert re.search(r"windows (>|➜) %s\]?:? Executed: Successful" % step, out), step
    assert "actions=5  successful=5" in out
    assert not re.search(r"^rtvs-windows-molecule\s+:", out, re.M), \
        "a play ran against the Windows host although none was given"


def test_with_a_host_the_scenario_really_connects():
    env = clean_env(RTVS_WINDOWS_HOST="127.0.0.1", RTVS_WINDOWS_PORT="9", RTVS_WINDOWS_USER="nobody",
                    RTVS_WINDOWS_PASSWORD="not-a-password")
    proc = subprocess.run([MOLECULE, "converge", "-s", "windows"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-4000:]
    assert "SKIPPED: molecule scenario" not in out
    assert "UNREACHABLE" in out or "unreachable=1" in out, out[-4000:]
