"""Secrets never leak: not in -vvvv output, diffs, callback output or logs, and never in a file
readable by more accounts than the key itself.

Each scenario runs with its own ANSIBLE_LOCAL_TEMP, ANSIBLE_REMOTE_TMP, log file and tree
callback directory under the test's folder, so every file Ansible creates can be scanned.
"""
import os
import stat

import pytest

import rel_support
from rel_support import files_under, find_secrets, key_needles, mode_of, secrets_file

PASSWORD = "Leak-Canary-Pfx-51c7e2"


def _controller_env(base):
    env = {}
    for name, var in (("local-tmp", "ANSIBLE_LOCAL_TEMP"), ("remote-tmp", "ANSIBLE_REMOTE_TMP"),
                      ("tree", "ANSIBLE_CALLBACK_TREE_DIR")):
        folder = base / name
        folder.mkdir(parents=True)
        env[var] = str(folder)
    env["ANSIBLE_LOG_PATH"] = str(base / "logs" / "ansible.log")
    (base / "logs").mkdir()
    env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.builtin.tree"
    env["ANSIBLE_KEEP_REMOTE_FILES"] = "0"
    return env


@pytest.fixture
def scene(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    controller = tmp_path / "controller"
    controller.mkdir()
    vault = tmp_path / "vault"
    vault.mkdir(mode=0o700)
    return work, controller, vault


def _run_stack(playbook, work, controller, vault, callback="ansible.builtin.default", **extra):
    values = {"rel_workdir": str(work), "rel_group": "nogroup"}
    values.update({"rel_" + k: v for k, v in extra.items()})
    env = _controller_env(controller / ("run%d" % len(os.listdir(controller))))
    args = ["--diff"] + secrets_file(vault / "secrets.json", rel_pfx_password=PASSWORD)
    result = playbook(rel_support.target("module_stack.yml"), values, verbosity=4, args=args,
                      env=dict(env, ANSIBLE_STDOUT_CALLBACK=callback))
    assert result.rc == 0, result
    assert "changed=" in result.output or '"changed"' in result.output
    return [result.output]


def _assert_no_leak(outputs, scanned_roots, needles, allowed):
    leaked_output = [i for i, needle in enumerate(needles) for out in outputs if needle in out.encode()]
    assert leaked_output == [], "secret %s in ansible output" % leaked_output
    holders = find_secrets(files_under(*scanned_roots), needles)
    assert set(holders) <= set(allowed), sorted(set(holders) - set(allowed))
    return holders


def test_module_stack_vvvv_diff_callbacks_logs_and_files(playbook, scene):
    work, controller, vault = scene
    outputs = _run_stack(playbook, work, controller, vault)
    first_key = (work / "broker.key").read_bytes()
    # Regenerate everything with backups, and flip the PFX profile: more output, diffs and backups.
    outputs += _run_stack(playbook, work, controller, vault, callback="ansible.posix.json",
                          force=True, encryption="modern")
    second_key = (work / "broker.key").read_bytes()
    assert first_key != second_key
    # -vvvv: a module process says ESTABLISH, an in-process run (docs/architecture.md) says ran in-process
    assert "ESTABLISH LOCAL CONNECTION" in outputs[0] or "rtvs.remote: ran in-process" in outputs[0]
    assert "password: ********" in "".join(outputs)
    needles = [PASSWORD.encode()] + key_needles(first_key) + key_needles(second_key)

    key_backups = [p for p in work.iterdir() if p.name.startswith("broker.key.") and p.name.endswith(".bak")]
    assert len(key_backups) >= 1
    allowed = [str(work / "broker.key")] + [str(p) for p in key_backups]
    holders = _assert_no_leak(outputs, [work, controller], needles, allowed)
    assert str(work / "broker.key") in holders, "the scan must find the key where it belongs"
    for path in holders:
        assert mode_of(path) == 0o600, "%s holds key material with mode %o" % (path, mode_of(path))
    # The tree callback and the log really captured the runs (so their scan meant something).
    tree_files = [p for p in files_under(controller) if os.sep + "tree" + os.sep in p]
    assert tree_files, "tree callback wrote nothing"
    assert any(p.endswith("ansible.log") and os.path.getsize(p) > 0 for p in files_under(controller))
    # Nothing the stack wrote (backups and PFX included) grants anything to 'other', certificates aside.
    for path in files_under(work):
        if os.path.basename(path).startswith("broker.crt"):
            continue
        assert mode_of(path) & stat.S_IRWXO == 0, "%s is mode %o" % (path, mode_of(path))
