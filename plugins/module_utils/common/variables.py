# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Misspelt role variables: inventory variable names a role does not know, each with the option it most likely meant.

Used by the filter rtvs.remote.unknown_variables (the Windows role's preflight) and by the Linux role's input rules
(module_utils/host/linux_inputs.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib


def unknown_variables(names, known, ignore_prefixes=(), cutoff=0.8):
    """Names not in ``known`` (nor starting with one of ``ignore_prefixes``): [{name, did_you_mean}], sorted by name.

    did_you_mean is the closest known name (difflib ratio >= cutoff) or '' when nothing is close.
    """
    known = set(known)
    prefixes = tuple(ignore_prefixes)
    candidates = sorted(known)
    found = []
    for name in sorted(set(names)):
        if name in known or (prefixes and name.startswith(prefixes)):
            continue
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=float(cutoff))
        found.append({"name": name, "did_you_mean": close[0] if close else ""})
    return found
