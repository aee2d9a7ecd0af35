# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every rtvs.remote Python module does around its logic, written once.

A module is an ``Entry``: its name, its entry point ``entry_point(params, check_mode=...)``
returning the result dict, the exception classes whose message is meant for the user as
is (refusals), and the Python libraries it cannot work without (checked here, once, before the entry point
runs, with ansible-core's missing_required_lib message).

- outcome(): calls the entry point and turns what happened into the task result: refusals
  into a failure with their message (and ``errors`` when the exception has them), anything
  unexpected into a failure with a traceback, the diff kept only in diff mode, the entry
  point's warnings under ``warnings``. Used by both ways a module runs:
- run(): the module way, inside an AnsiballZ process (AnsibleModule); main(spec, entry) is a module's whole
  main(), so every Python module is its documentation plus one call;
- plugins/plugin_utils/inprocess.py: the action plugin way, inside the controller's
  worker process when the task runs there.

command_runner() stands in for AnsibleModule.run_command in entry points, which have no module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os
import subprocess
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.process import get_bin_path
from ansible.module_utils.common.text.converters import to_text


class Entry(object):
    """One module's logic and how its failures read.

    ``libraries`` names the Python libraries the entry point cannot work without, for example
    ``["cryptography"]``: each is imported when the entry runs (not when the module_utils file is
    imported, so modules that do not need it do not pay for it) and a failed import is reported by
    missing_library().
    """

    def __init__(self, name, entry_point, refusals=(), libraries=(), diff_only_when_changed=False):
        self.name = name
        self.entry_point = entry_point
        self.refusals = tuple(refusals)
        self.libraries = tuple(libraries)
        self.diff_only_when_changed = diff_only_when_changed


def missing_library(entry):
    """The failure result for the first library ``entry`` needs and cannot import, else None."""
    for name in entry.libraries:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            return dict(failed=True, msg=missing_required_lib(name), exception=str(exc))
    return None


def outcome(entry, params, check_mode, diff):
    """Run ``entry`` on validated ``params``; return the task result dict.

    A failure has ``failed: True``; warnings are a list under ``warnings``; ``diff`` is
    there only when ``diff`` (the task's diff mode) is true, and with
    ``diff_only_when_changed`` only when something changed.
    """
    failure = missing_library(entry)
    if failure:
        return failure
    try:
        result = dict(entry.entry_point(params, check_mode=check_mode))
    except Exception as exc:  # pylint: disable=broad-except
        if isinstance(exc, entry.refusals):
            failure = dict(failed=True, msg=str(exc))
            if getattr(exc, "errors", None):
                failure["errors"] = exc.errors
            return failure
        return dict(failed=True, msg="%s failed: %s" % (entry.name, exc), exception=traceback.format_exc())
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # pylint: disable=broad-except
        # A panic of a native library (pyo3's PanicException is a BaseException): it must not kill the
        # controller's worker (in-process runs) and its text may hold the inputs as byte values, secrets
        # included, so neither the message nor the traceback is shown.
        return dict(failed=True, msg="%s failed inside a native library (%s); its message is not shown because it "
                                     "may contain the inputs, secrets included. Check the inputs (a NUL byte or a "
                                     "control character in a password is a known cause)"
                                     % (entry.name, type(exc).__name__))
    warnings = list(result.pop("warnings", None) or [])
    changes = result.pop("diff", None)
    if diff and changes is not None and (result.get("changed") or not entry.diff_only_when_changed):
        result["diff"] = changes
    if warnings:
        result["warnings"] = warnings
    return result


def run(module, entry):
    """Run ``entry`` with ``module``'s params and exit the module with its result."""
    result = outcome(entry, module.params, check_mode=module.check_mode, diff=module._diff)
    for warning in result.pop("warnings", None) or []:
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


def main(spec, entry):
    """A Python module's main(): AnsibleModule(**spec) (argument_specs.<NAME>), then run() with ``entry``."""
    run(AnsibleModule(**spec), entry)


def command_runner(name, missing):
    """A function ``run(args)`` returning the stripped stdout of ``name args`` run in the C locale.

    ``name`` is looked up as AnsibleModule.get_bin_path does (PATH and the sbin folders); when it
    is not installed ``run`` returns ``missing``. Exit codes are not checked: callers read stdout.
    """
    try:
        path = get_bin_path(name)
    except ValueError:
        path = None

    def run_command(args):
        if not path:
            return missing
        env = dict(os.environ, LC_ALL="C", LANG="C")
        proc = subprocess.Popen([path] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        out, _err = proc.communicate()
        return to_text(out, errors="surrogate_or_strict").strip()

    return run_command


def process_runner(name):
    """A function ``run(args)`` returning (rc, stdout, stderr) of ``name args`` in the C locale, or None when
    ``name`` is not installed (looked up as command_runner does)."""
    try:
        path = get_bin_path(name)
    except ValueError:
        return None

    def run_process(args):
        env = dict(os.environ, LC_ALL="C", LANG="C")
        proc = subprocess.Popen([path] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        out, err = proc.communicate()
        return proc.returncode, to_text(out, errors="surrogate_or_strict"), to_text(err, errors="surrogate_or_strict")

    return run_process
