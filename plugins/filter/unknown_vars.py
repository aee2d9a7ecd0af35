# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""unknown_variables: inventory variable names a role does not know, each with the option it most likely meant."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.module_utils.common import variables


def _names(value, what):
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise AnsibleFilterError("unknown_variables: %s must be a list of variable names (or a dict keyed by them), got %s"
                             % (what, type(value).__name__))


def unknown_variables(names, known, ignore_prefixes=None, cutoff=0.8):
    """Names not in known (nor starting with one of ignore_prefixes) -> [{name, did_you_mean}], sorted by name."""
    return variables.unknown_variables(_names(names, "names"), _names(known, "known"),
                                       _names(ignore_prefixes or [], "ignore_prefixes"), cutoff=cutoff)


class FilterModule(object):
    def filters(self):
        return {"unknown_variables": unknown_variables}
