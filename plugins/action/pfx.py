# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.pfx: in the controller's process when the task runs there (plugin_utils/inprocess.py)."""

from __future__ import annotations

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs
from ansible_collections.rtvs.remote.plugins.module_utils.tls import pfx
from ansible_collections.rtvs.remote.plugins.plugin_utils.inprocess import InProcessAction


class ActionModule(InProcessAction):
    spec = argument_specs.PFX
    entry = pfx.ENTRY
