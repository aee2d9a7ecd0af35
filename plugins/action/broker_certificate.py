# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.broker_certificate: in the controller's process when the task runs there (plugin_utils/inprocess.py)."""

from __future__ import annotations

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs
from ansible_collections.rtvs.remote.plugins.module_utils.tls import broker_certificate
from ansible_collections.rtvs.remote.plugins.plugin_utils.inprocess import InProcessAction


class ActionModule(InProcessAction):
    spec = argument_specs.BROKER_CERTIFICATE
    entry = broker_certificate.ENTRY
