# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.linux_host_state: its logic as a module_runner.Entry (module and action plugin share it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils import host_state, module_runner


def gather(params, check_mode=False):
    """Read the state and plan (read-only: check mode is the same)."""
    del check_mode
    return host_state.gather(params, root="/", systemctl=module_runner.command_runner("systemctl", missing="no-systemctl"),
                             apt_cache=module_runner.command_runner("apt-cache", missing=""))


ENTRY = module_runner.Entry("linux_host_state", gather, refusals=(host_state.StateError,))
