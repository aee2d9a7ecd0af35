# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""unknown_variables: inventory variable names a role does not know, each with the option it most likely meant."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible.errors import AnsibleFilterError


def _names(value, what):
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise AnsibleFilterError("unknown_variables: %s must be a list of variable names (or a dict keyed by them), got %s"
                             % (what, type(value).__name__))


def unknown_variables(names, known, ignore_prefixes=None, cutoff=0.8):
    """Names not in known (nor starting with one of ignore_prefixes) -> [{name, did_you_mean}], sorted by name.

    did_you_mean is the closest known name (difflib ratio >= cutoff) or '' when nothing is close.
    """
    names = _names(names, "names")
    known = set(_names(known, "known"))
    prefixes = tuple(_names(ignore_prefixes or [], "ignore_prefixes"))
    candidates = sorted(known)
    found = []
    for name in sorted(set(names)):
        if name in known or (prefixes and name.startswith(prefixes)):
            continue
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=float(cutoff))
        found.append({"name": name, "did_you_mean": close[0] if close else ""})
    return found


class FilterModule(object):
    def filters(self):
        return {"unknown_variables": unknown_variables}
