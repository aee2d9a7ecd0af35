# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an rtvs.remote module's logic inside the controller's worker process.

A module that runs on the controller anyway (``delegate_to: localhost``, connection
``local``) pays for a new Python process that imports ansible and cryptography again:
about a second per task. Its logic is a plain function (module_runner.Entry), so when the
task runs over the ``local`` connection, without become, without async and without
``environment:``, the action plugin calls that function here, with the arguments validated
by the same spec AnsibleModule uses (module_utils/common/argument_specs.py) and the result built
by the same module_runner.outcome(), then masks every no_log value in it as AnsibleModule
does. Anywhere else, and when RTVS_REMOTE_INPROCESS=0, it runs the module as usual.

Each task runs in its own forked worker; this class keeps nothing between tasks and never
changes the task's arguments.
"""

from __future__ import annotations

import copy
import grp
import os
import pwd
import stat

from ansible.module_utils.compat import selinux
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner

display = Display()

SWITCH = "RTVS_REMOTE_INPROCESS"
RAN_IN_PROCESS = "rtvs.remote: ran in-process"


def path_info(result):
    """Add what AnsibleModule.add_path_info adds for a result naming a ``path`` (or ``dest``)."""
    path = result.get("path", result.get("dest"))
    if path is None or not os.path.lexists(path):
        return result
    st = os.lstat(path)
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    if stat.S_ISLNK(st.st_mode):
        state = "link"
    elif stat.S_ISDIR(st.st_mode):
        state = "directory"
    elif os.stat(path).st_nlink > 1:
        state = "hard"
    else:
        state = "file"
    result.update(uid=st.st_uid, gid=st.st_gid, owner=owner, group=group,
                  mode="0%03o" % stat.S_IMODE(st.st_mode), state=state, size=st.st_size)
    if selinux.is_selinux_enabled() == 1:
        result["secontext"] = selinux.lgetfilecon_raw(path)[1]
    return result


class InProcessAction(ActionBase):
    """Base of the action plugins of rtvs.remote's Python modules.

    A subclass sets ``spec`` (the module's AnsibleModule keywords from argument_specs) and
    ``entry`` (its module_runner.Entry).
    """

    _supports_check_mode = True
    _supports_async = True

    spec: dict = {}
    entry: module_runner.Entry | None = None

    def in_process(self):
        """Whether this task may run here: local connection, no become/async/environment, switch not 0."""
        if os.environ.get(SWITCH, "1").strip() == "0":
            return False
        connection = self._connection
        names = {getattr(connection, "transport", None), getattr(connection, "_load_name", None)}
        if not names & {"local", "ansible.builtin.local"}:
            return False
        if self._play_context.become or self._task.async_val:
            return False
        # environment: is [{}] when not set; any entry (a variable name not yet templated too) means the module way
        return not any(self._task.environment or [])

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if not self.in_process():
            return self._run_module(result, task_vars)
        result.update(self._run_here())
        display.vvv(RAN_IN_PROCESS, host=self._task_host_name(task_vars))
        return result

    def _task_host_name(self, task_vars):
        return (task_vars or {}).get("inventory_hostname")

    def _run_module(self, result, task_vars):
        """The module the usual way: AnsiballZ over the connection, as ansible.builtin.normal does."""
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result.update(self._execute_module(module_name=self._task.action, module_args=self._task.args,
                                           task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _check_mode(self):
        """The task's check_mode (what the module way passes as _ansible_check_mode); the play's when unset."""
        if self._task.check_mode is not None:
            return bool(self._task.check_mode)
        return bool(getattr(self._play_context, "check_mode", False))

    def _run_here(self):
        """Validate the task's arguments, call the entry point; the result masked as AnsibleModule masks it."""
        keywords = argument_specs.validator_keywords(copy.deepcopy(self.spec))
        args = copy.deepcopy(dict(self._task.args))
        validation = ArgumentSpecValidator(**keywords).validate(args)
        no_log_values = validation._no_log_values
        if validation.error_messages:
            msg = validation.errors.msg
            if isinstance(validation.errors[0], UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (self._task.action, msg)
            result = dict(failed=True, msg=msg)
        else:
            params = validation.validated_parameters
            check_mode = self._check_mode()
            result = module_runner.outcome(self.entry, params, check_mode=check_mode, diff=bool(self._task.diff))
        path_info(result)
        result["invocation"] = dict(module_args=validation.validated_parameters)
        return remove_values(result, no_log_values)
