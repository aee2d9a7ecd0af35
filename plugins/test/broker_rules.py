# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for the broker's rules (module_utils/broker/broker_rules.py), so roles ask the one definition."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules


def supported_r(version):
    """Whether the RTVS broker accepts this R version (broker_rules.r_supported)."""
    return broker_rules.r_supported(version)


class TestModule(object):
    def tests(self):
        return {"supported_r": supported_r}
