"""Read-only modules are named *_info; the old names still resolve (meta/runtime.yml plugin_routing), for the
module and for its in-process action plugin, give the same result as the new name, and warn that they are
deprecated (removed in 2.0.0), naming the new module; the new name does not warn."""
import json
import os
import subprocess
import sys

import pytest

RENAMED = {"broker_facts": "broker_info", "linux_host_state": "linux_host_info"}
RAN_IN_PROCESS = "rtvs.remote: ran in-process"


def deprecation_of(old, output):
    """Whether ``output`` holds ansible-core's deprecation warning for the old name, naming the new module (the
    text folded to single spaces: ansible-core before 2.19 wraps warnings)."""
    text = " ".join(output.split())
    return ("[DEPRECATION WARNING]: rtvs.remote.%s has been deprecated. Use rtvs.remote.%s, its new name"
            % (old, RENAMED[old]) in text and "version 2.0.0" in text)


PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Old name
      rtvs.remote.%(old)s: %(args)s
      register: old
    - name: New name
      rtvs.remote.%(new)s: %(args)s
      register: new
    - ansible.builtin.copy:
        content: "{{ {'old': old, 'new': new} | to_json }}"
        dest: "%(out)s"
"""
ARGS = {
    # a config, unit and account that do not exist: the facts of a host without the broker, the same for both names
    "broker_facts": '{config_path: "%(dir)s/rtvsd.config.json", service: rtvs-no-such-unit, account: rtvs-no-such-account}',
    "linux_host_state": "{}",
}


@pytest.mark.parametrize("old", sorted(RENAMED))
def test_old_name_runs_the_new_module_in_process(playbook, tmp_path, old):
    out = tmp_path / "results.json"
    play = tmp_path / "play.yml"
    args = ARGS[old] % {"dir": tmp_path}
    play.write_text(PLAY % {"old": old, "new": RENAMED[old], "args": args, "out": out})
    result = playbook(str(play), verbosity=3)
    assert result.rc == 0, result
    # both tasks ran through the action plugin in the controller's process, none sent a module file
    assert result.output.count(RAN_IN_PROCESS) == 2, result
    for name in (old, RENAMED[old]):
        assert "AnsiballZ_%s.py" % name not in result.output
    results = json.loads(out.read_text())
    # ansible-core 2.19 also puts the routing's deprecation in the old name's task result
    for deprecation in results["old"].pop("deprecations", None) or []:
        assert "Use rtvs.remote.%s, its new name" % RENAMED[old] in deprecation["msg"]
    assert "deprecations" not in results["new"]
    for name in ("old", "new"):
        for key in ("invocation", "changed"):
            results[name].pop(key, None)
    assert results["old"] == results["new"]
    assert results["new"] and not results["new"].get("failed")
    assert deprecation_of(old, result.output), result


@pytest.mark.parametrize("old", sorted(RENAMED))
def test_old_name_runs_the_new_module_on_a_host(playbook, tmp_path, old):
    """With the in-process way switched off the old name sends the new module's file."""
    out = tmp_path / "results.json"
    play = tmp_path / "play.yml"
    play.write_text(PLAY % {"old": old, "new": RENAMED[old], "args": ARGS[old] % {"dir": tmp_path}, "out": out})
    result = playbook(str(play), verbosity=3, env={"RTVS_REMOTE_INPROCESS": "0"})
    assert result.rc == 0, result
    assert RAN_IN_PROCESS not in result.output
    assert result.output.count("AnsiballZ_%s.py" % RENAMED[old]) >= 2, result
    assert "AnsiballZ_%s.py" % old not in result.output
    assert deprecation_of(old, result.output), result


NEW_ONLY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: New names only
      rtvs.remote.%(new)s: %(args)s
"""


def test_the_new_names_do_not_warn(playbook, tmp_path):
    play = tmp_path / "play.yml"
    play.write_text("".join(NEW_ONLY % {"new": RENAMED[old], "args": ARGS[old] % {"dir": tmp_path}}
                            for old in sorted(RENAMED)))
    result = playbook(str(play))
    assert result.rc == 0, result
    assert "DEPRECATION" not in result.output, result
    assert not any(deprecation_of(old, result.output) for old in RENAMED)


@pytest.mark.parametrize("old", sorted(RENAMED))
def test_ansible_doc_resolves_the_old_name(old):
    doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    proc = subprocess.run([doc, "--json", "rtvs.remote." + old], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    (entry,) = data.values()
    assert entry["doc"]["module"] == RENAMED[old]
