"""controller_dir_exposure: warn when the controller's key folder could be committed to git."""
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.filter.controller_dir import controller_dir_exposure


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path / "inv")], check=True)
    return tmp_path / "inv"


def test_outside_any_work_tree_is_fine(tmp_path):
    assert controller_dir_exposure(str(tmp_path / "data" / "pki")) == ""


def test_unignored_folder_in_a_work_tree_warns_with_the_fix(repo):
    message = controller_dir_exposure(str(repo / "pki"))
    assert "no ignore rule" in message and str(repo) in message
    assert "'pki/'" in message and ".gitignore" in message


def test_missing_nested_folder_is_checked_too(repo):
    assert "no ignore rule" in controller_dir_exposure(str(repo / "keys" / "pki"))


def test_ignored_folder_is_fine_even_before_it_exists(repo):
    (repo / ".gitignore").write_text("pki/\n")
    assert not (repo / "pki").exists()
    assert controller_dir_exposure(str(repo / "pki")) == ""
    (repo / "pki").mkdir()
    assert controller_dir_exposure(str(repo / "pki")) == ""


def test_ignore_rule_for_another_folder_does_not_count(repo):
    (repo / ".gitignore").write_text("files/\n")
    assert "no ignore rule" in controller_dir_exposure(str(repo / "pki"))


def test_work_tree_root_itself_warns(repo):
    assert "root of the git work tree" in controller_dir_exposure(str(repo))


def test_git_missing_still_warns(repo):
    message = controller_dir_exposure(str(repo / "pki"), git="/nonexistent/git")
    assert "could not be run" in message


def test_tilde_is_expanded(monkeypatch, repo):
    monkeypatch.setenv("HOME", str(repo))
    assert str(repo / "pki") in controller_dir_exposure("~/pki")


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="non-empty path"):
        controller_dir_exposure("")
    with pytest.raises(AnsibleFilterError):
        controller_dir_exposure(None)
