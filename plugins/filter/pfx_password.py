# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.pfx_password_problem: the PFX password rule of rtvs.remote.pfx, for the roles' preflight."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.module_utils.broker import password_rules


def pfx_password_problem(password, target="linux", name="rtvs_pfx_password", severity=None):
    """'' when the password suits the target's broker, else the message (never the password itself); with
    ``severity`` (error or warning) only a problem of that severity (password_rules.judge decides which)."""
    if password is None:
        return ""
    if not isinstance(password, str):
        raise AnsibleFilterError("pfx_password_problem expects the password as a string, got %s" % type(password).__name__)
    try:
        return password_rules.problem(str(password), target, name, severity) or ""
    except ValueError as exc:
        raise AnsibleFilterError("pfx_password_problem: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"pfx_password_problem": pfx_password_problem}
