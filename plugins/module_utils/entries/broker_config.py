# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.broker_config: its logic as a module_runner.Entry (module and action plugin share it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils import broker_config, fileio, module_runner

ENTRY = module_runner.Entry(
    "broker_config", broker_config.apply_file,
    refusals=(broker_config.BrokerConfigInvalid, broker_config.BrokerConfigError, fileio.FileError),
)
