# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.broker_health_problems: the Linux broker's health rule (module_utils/host/linux_plan.py), for
roles/linux_broker/tasks/health.yml. The plan step (plugins/action/linux_broker_plan.py) applies the same function."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_plan


def broker_health_problems(probe, fingerprint_sha256, verify=False):
    """What is wrong with the broker as rtvs.remote.tls_probe saw it (RV probe); an empty list when it is healthy."""
    if probe is not None and not isinstance(probe, dict):
        raise AnsibleFilterError("broker_health_problems expects the probe (RV probe of rtvs.remote.tls_probe) as a "
                                 "dict, got %s" % type(probe).__name__)
    if fingerprint_sha256 is not None and not isinstance(fingerprint_sha256, str):
        raise AnsibleFilterError("broker_health_problems expects the PFX's SHA-256 fingerprint as a string, got %s"
                                 % type(fingerprint_sha256).__name__)
    return linux_plan.health_problems(probe, fingerprint_sha256, bool(verify))


class FilterModule(object):
    def filters(self):
        return {"broker_health_problems": broker_health_problems}
