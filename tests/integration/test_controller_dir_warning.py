"""The roles warn once when the controller folder for private keys could be committed to git.

The Windows role's controller half (certificate_controller.yml, runs on localhost) is run for real
with the folder inside a git work tree without an ignore rule (warning), with one (no warning), and
outside any work tree (no warning); the keys are made in each case.
"""
import subprocess

import pytest

from conftest import run_playbook, windows_controller_playbook

PLAYBOOK = windows_controller_playbook()


@pytest.fixture
def run(tmp_path):
    playbook = tmp_path / "controller_dir.yml"
    playbook.write_text(PLAYBOOK)
    secrets = tmp_path / "secrets.yml"
    secrets.write_text('rtvs_pfx_password: "Controller-Dir-Test-5b1f"\n')

    def _run(controller_dir):
        result = run_playbook(str(playbook), {"rtvs_fqdn": "rserver.example.test",
                                              "rtvs_windows_controller_dir": str(controller_dir)},
                              args=("-e", "@%s" % secrets))
        assert result.rc == 0, result
        assert (controller_dir / "localhost" / "broker.key").is_file()
        return result.stdout
    return _run


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path / "inventory")], check=True)
    return tmp_path / "inventory"


def test_warns_inside_a_work_tree_without_ignore_rule(run, repo):
    out = run(repo / "pki")
    assert "WARNING: the controller folder %s" % (repo / "pki") in out
    assert "no ignore rule covers it" in out


def test_quiet_when_ignored(run, repo):
    (repo / ".gitignore").write_text("pki/\n")
    assert "WARNING: the controller folder" not in run(repo / "pki")


def test_quiet_outside_any_work_tree(run, tmp_path):
    assert "WARNING: the controller folder" not in run(tmp_path / "data" / "pki")
