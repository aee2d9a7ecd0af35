# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.key_access: its logic as a module_runner.Entry (module and action plugin share it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils import module_runner, posix_access

ENTRY = module_runner.Entry(
    "key_access", posix_access.apply_key_access, refusals=(posix_access.AccessError,), diff_only_when_changed=True,
)
