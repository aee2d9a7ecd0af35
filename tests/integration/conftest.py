"""Run real ansible-playbook against localhost for module integration tests.

Each target lives in tests/integration/targets/<name>/ as playbooks that assert
check/real/check/real results themselves (the community.crypto way); pytest adds
what a playbook cannot see: byte-identical files after failures and secrets
absent from -vvvv output.
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = os.path.join(ROOT, "tests", "integration", "targets")


def _core_version():
    from ansible.release import __version__  # the ansible-core next to sys.executable, which runs the playbooks
    return tuple(int(part) for part in __version__.split(".")[:2])


# ansible-core before 2.19 (the stage 25 matrix) folds a failed task's message inside the YAML result and wraps
# warnings; callback_plugins/rtvs_unwrapped.py prints them unfolded as 2.19 does, so the same assertions hold.
CORE_VERSION = _core_version()
OLD_CORE_ENV = {} if CORE_VERSION >= (2, 19) else {
    "ANSIBLE_CALLBACK_PLUGINS": os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins"),
    "ANSIBLE_STDOUT_CALLBACK": "rtvs_unwrapped",
}


class PlaybookResult:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def output(self):
        return self.stdout + self.stderr

    def __repr__(self):
        return "rc=%s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (self.rc, self.stdout[-6000:], self.stderr[-3000:])


def run_playbook(playbook, extra_vars=None, verbosity=0, check=False, env=None, args=()):
    """Run ansible-playbook on localhost (connection local); return PlaybookResult."""
    if not os.path.isabs(playbook):
        playbook = os.path.join(TARGETS, playbook)
    cmd = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        "-i", "localhost,", "-c", "local",
        "-e", "ansible_python_interpreter=%s" % sys.executable,
    ]
    for key, value in (extra_vars or {}).items():
        # JSON keeps types (bools, lists) and quoting intact.
        cmd += ["-e", json.dumps({key: value})]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    if check:
        cmd.append("--check")
    cmd += list(args)
    cmd.append(playbook)
    full_env = dict(os.environ)
    full_env.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
    full_env["ANSIBLE_NOCOLOR"] = "1"
    full_env["ANSIBLE_FORCE_COLOR"] = "0"
    full_env.update(OLD_CORE_ENV)
    full_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=ROOT, check=False)
    return PlaybookResult(proc)


@pytest.fixture
def playbook():
    return run_playbook


def snapshot(paths):
    """Bytes and stat of each path (None when missing), for byte-identical assertions."""
    result = {}
    for path in paths:
        try:
            st = os.stat(path)
            with open(path, "rb") as handle:
                result[path] = (handle.read(), st.st_mode, st.st_uid, st.st_gid)
        except FileNotFoundError:
            result[path] = None
    return result


def windows_controller_playbook(*report_lines):
    """A play running the windows_broker role's controller step (certificate_controller.yml) on localhost; with
    ``report_lines`` (``name={{ expression }}``) it then writes them to ``report_path``, also in check mode."""
    text = """\
- name: Controller side of the windows_broker certificate step
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run certificate_controller.yml from the role
      ansible.builtin.include_role:
        name: rtvs.remote.windows_broker
        tasks_from: certificate_controller.yml
"""
    if not report_lines:
        return text
    return text + """
    - name: Report what the role did
      ansible.builtin.copy:
        dest: "{{ report_path }}"
        mode: "0600"
        content: |
%s
      check_mode: false
""" % "\n".join("          " + line for line in report_lines)
