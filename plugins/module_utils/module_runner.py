# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every rtvs.remote module does around its logic, written once.

- file_options(): the owner/group/mode/backup argument spec behind the
  ``rtvs.remote.file_options`` doc fragment, with each module's secure defaults.
- run(): calls the module_utils entry point, turns its refusals (exceptions that
  carry a fix-naming message) into fail_json, anything unexpected into a failure
  with a traceback, passes warnings on, and returns the diff only in diff mode.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback


def file_options(mode, owner=None):
    """Argument spec entries for owner, group, mode and backup."""
    return dict(
        owner=dict(type="str", default=owner),
        group=dict(type="str"),
        mode=dict(type="raw", default=mode),
        backup=dict(type="bool", default=False),
    )


def run(module, name, entry_point, refusals, diff_only_when_changed=False):
    """Run ``entry_point(params, check_mode)`` and exit the module with its result dict.

    ``refusals`` are the exception classes whose message is meant for the user as is;
    an exception with an ``errors`` attribute also returns that list.
    """
    try:
        result = entry_point(module.params, check_mode=module.check_mode)
    except Exception as exc:  # pylint: disable=broad-except
        if isinstance(exc, tuple(refusals)):
            extra = {"errors": exc.errors} if getattr(exc, "errors", None) else {}
            module.fail_json(msg=str(exc), **extra)
        module.fail_json(msg="%s failed: %s" % (name, exc), exception=traceback.format_exc())
    for warning in result.pop("warnings", None) or []:
        module.warn(warning)
    diff = result.pop("diff", None)
    if module._diff and diff is not None and (result.get("changed") or not diff_only_when_changed):
        result["diff"] = diff
    module.exit_json(**result)
