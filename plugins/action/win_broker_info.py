# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.win_broker_info: PowerShell gathers on the host, Python decides here.

Runs the PowerShell module (plugins/modules/win_broker_info.ps1) for raw observations, then
plugins/module_utils/windows/win_plan.derive() for the facts the role and the doctor read. When the broker's
configuration names a Subject the first gathering did not include, the certificate stores are read
once more for it (only the stores). The raw configuration bytes never leave this plugin: the result
holds the text with the password masked.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_plan

MODULE = "rtvs.remote.win_broker_info"

# Options handled here (decisions); the others go to the PowerShell side unchanged.
LOCAL_SPEC = {
    "subject": {"type": "str"},
    "fqdn": {"type": "str"},
    "thumbprints": {"type": "list", "elements": "str", "default": []},
    "min_dotnet_release": {"type": "int", "default": 394254},
    "service_names": {"type": "list", "elements": "str", "default": ["RRemoteService", "RHostBrokerService"]},
    "port": {"type": "int", "default": 5444},
    "firewall_rule_names": {"type": "list", "elements": "str", "default": ["Microsoft.R.Host.Broker", "Microsoft.R.Host"]},
    "log_folder": {"type": "str", "default": "%SystemRoot%\\ServiceProfiles\\NetworkService\\AppData\\Local\\Temp"},
    "log_lines": {"type": "int", "default": 20},
}
PASSED = ("thumbprints", "service_names", "port", "firewall_rule_names", "log_folder", "log_lines")


def merge_stores(first, second):
    """Stores from two gatherings, each certificate once (by store and thumbprint)."""
    if not isinstance(second, dict) or "error" in second and len(second) == 1:
        return first
    merged = {}
    for name in set(first or {}) | set(second):
        a, b = (first or {}).get(name) or {}, second.get(name) or {}
        seen = set(str(c.get("thumbprint")).upper() for c in a.get("certificates") or [])
        certs = list(a.get("certificates") or []) + [c for c in b.get("certificates") or []
                                                     if str(c.get("thumbprint")).upper() not in seen]
        entry = {"certificates": certs}
        if a.get("error") or b.get("error"):
            entry["error"] = a.get("error") or b.get("error")
        merged[name] = entry
    return merged


def public_observations(observed):
    """The part of the observations the role's plan needs; never the configuration bytes."""
    return dict((k, observed.get(k)) for k in ("machine_name", "subject_contains", "stores", "winrm"))


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        validated = ArgumentSpecValidator(LOCAL_SPEC).validate(self._task.args)
        if validated.error_messages:
            raise AnsibleActionFail("%s: %s" % (MODULE, "; ".join(validated.error_messages)))
        params = validated.validated_parameters
        contains = [p for p in (params.get("subject"), params.get("fqdn")) if p]
        module_args = dict((k, params[k]) for k in PASSED)
        module_args["subject_contains"] = contains
        observed = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        if observed.get("failed"):
            result.update(dict((k, v) for k, v in observed.items() if k != "config"))
            return result
        facts = win_plan.derive(observed, params.get("subject"), params.get("fqdn"), params["min_dotnet_release"])
        if win_plan.needs_second_gather(observed, facts["broker_subject"]):
            again = dict(module_args, sections=["stores"], subject_contains=[facts["broker_subject"]])
            more = self._execute_module(module_name=MODULE, module_args=again, task_vars=task_vars)
            if not more.get("failed"):
                observed["stores"] = merge_stores(observed.get("stores"), more.get("stores"))
                observed["subject_contains"] = list(observed.get("subject_contains") or []) + [facts["broker_subject"]]
                facts = win_plan.derive(observed, params.get("subject"), params.get("fqdn"), params["min_dotnet_release"])
        facts["observed"] = public_observations(observed)
        result.update(facts)
        result["changed"] = False
        return result
