# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.broker_facts: its logic as a module_runner.Entry (module and action plugin share it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils import broker_facts, module_runner


class FactsRefused(Exception):
    """An option the facts cannot be read with; the message names it and the fix."""


def gather(params, check_mode=False):
    """Check the options, read the facts; return the module result (read-only, check mode is the same)."""
    del check_mode
    if params["port"] is not None and not 1 <= params["port"] <= 65535:
        raise FactsRefused("port %s is out of range; use the broker port, 1-65535" % params["port"])
    if params["log_lines"] < 0:
        raise FactsRefused("log_lines must be 0 or more")
    facts = broker_facts.gather(
        root="/",
        service=params["service"],
        config_path=params["config_path"],
        account=params["account"],
        port=params["port"],
        fqdn=params["fqdn"],
        log_lines=params["log_lines"],
        systemctl=module_runner.command_runner("systemctl", missing="no-systemctl"),
        can_read=broker_facts.posix_can_read,
    )
    return dict(changed=False, facts=facts)


ENTRY = module_runner.Entry("broker_facts", gather, refusals=(FactsRefused,))
