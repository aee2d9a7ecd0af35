# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only stdout callback for ansible-core before 2.19 (the stage 25 matrix runs the integration tests there).

ansible-core 2.19 prints a failed task's message on one line ("[ERROR]: Task failed: ... <msg>") and does not
wrap warnings; 2.16-2.18 show the message only inside the YAML result, folded at 80 columns, and wrap warnings
at 79. The integration tests look for the modules' messages verbatim, so on those versions conftest.py selects
this callback: ansible-core's default callback, plus each failure's msg and each warning printed unfolded, and
results dumped without folding (so a secret could not hide across a line break either). Nothing is hidden or
rewritten: every line the default callback prints is still printed.
"""
from __future__ import annotations

DOCUMENTATION = r"""
name: rtvs_unwrapped
type: stdout
short_description: the default callback, messages and warnings unfolded (tests on ansible-core < 2.19)
description:
  - Test helper of rtvs.remote's integration tests; not part of the collection.
extends_documentation_fragment:
  - default_callback
  - result_format_callback
"""

import ansible.plugins.callback as _callback_base
from ansible import constants as C
from ansible.plugins.callback.default import CallbackModule as DefaultCallback


class _UnfoldedYaml(object):
    """The yaml module as the base callback uses it, with dump() never folding long lines."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        return getattr(self._module, name)

    def dump(self, *args, **kwargs):
        kwargs.setdefault("width", 1 << 30)
        return self._module.dump(*args, **kwargs)


if not isinstance(_callback_base.yaml, _UnfoldedYaml):
    _callback_base.yaml = _UnfoldedYaml(_callback_base.yaml)


class CallbackModule(DefaultCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "rtvs_unwrapped"

    def _show_msg(self, result):
        msg = result._result.get("msg")
        if msg:
            self._display.display("[ERROR]: %s" % msg, color=C.COLOR_ERROR)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        super(CallbackModule, self).v2_runner_on_failed(result, ignore_errors)
        self._show_msg(result)

    def v2_runner_item_on_failed(self, result):
        super(CallbackModule, self).v2_runner_item_on_failed(result)
        self._show_msg(result)

    def _handle_warnings(self, res):
        if C.ACTION_WARNINGS and res.get("warnings"):
            for warning in res["warnings"]:
                self._display.display("[WARNING]: %s" % warning, color=C.COLOR_WARN, stderr=True)
            del res["warnings"]
        super(CallbackModule, self)._handle_warnings(res)
