# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's check table: every troubleshooting item as data, plus the report.

Pure Python, no Ansible imports: the filter ``rtvs.remote.doctor_report`` calls
:func:`evaluate` on the controller and unit tests call it with recorded facts.

Input (one host)::

    {
      "host": "rtvs1",                 # inventory name
      "platform": "linux" | "windows",
      "options": {"fqdn": ..., "port": 5444, "expiry_warn_days": 30,
                  "require_supported_r": False, "credentials_given": False,
                  "now": "2026-01-01T00:00:00Z" (optional)},
      "probe":  {...},   # rtvs.remote.tls_probe result (controller side)
      "broker": {...},   # rtvs.remote.broker_facts (Linux) or rtvs.remote.win_broker_info (Windows)
      "unreachable": False,            # Ansible could not reach the host
    }

Each check answers ``ok``, ``warn`` or ``fail`` with the evidence and a one
sentence fix, citing the FAQ item it comes from (a question of the seed's
Troubleshooting section, a microsoft/RTVS issue, or rtvs-facts.md).  Two more
statuses keep the report honest:

- ``skip``: the facts a check needs were not gathered (the evidence says why);
- a check that fails while one of its prerequisites (``after``) failed is
  reported as ``skip`` with ``cause`` naming that prerequisite, so a broken
  host names its root cause once instead of every consequence.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils.broker.broker_rules import R_SUPPORTED_TEXT
from ansible_collections.rtvs.remote.plugins.module_utils.doctor import doctor_checks_tls
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.common import (  # noqa: F401  pylint: disable=unused-import
    _fqdn,
    _port,
    Check,
    CONTROLLER,
    facts_ref,
    FAIL,
    FAQ_401,
    FAQ_404,
    FAQ_LOGS,
    FAQ_NOT_RESPONDING,
    FAQ_OUTBOUND,
    FAQ_SERVICE_NOT_RUNNING,
    LINUX,
    OK,
    parse_time,
    rtvs_issue,
    SEED_LINUX_CONFIG,
    SEED_SELF_SIGNED,
    SKIP,
    STATUSES,
    WARN,
    WINDOWS,
)
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.controller import (  # noqa: F401  pylint: disable=unused-import
    certificate_days_left,
    check_certificate_expiry,
    check_certificate_name,
    check_certificate_trust,
    check_host_reachable,
    check_info_about,
    check_interpreters,
    check_name_resolves,
    check_tcp_connect,
    check_tls_handshake,
)
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.linux import (  # noqa: F401  pylint: disable=unused-import
    check_allowed_group,
    check_allowed_users,
    check_broker_log,
    check_config_parses,
    check_config_password,
    check_config_server,
    check_firewall,
    check_pam_service,
    check_pfx_exists,
    check_pfx_key_matches,
    check_pfx_opens,
    check_pfx_readable,
    check_port_listening,
    check_r_installed,
    check_r_version,
    check_rtvsd_active,
    check_rtvsd_enabled,
    check_rtvsd_installed,
    check_rtvsd_wanted_at_boot,
    check_snakeoil_pfx,
)
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.render_text import (  # noqa: F401  pylint: disable=unused-import
    render_all_text,
    render_text,
)
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.windows import (  # noqa: F401  pylint: disable=unused-import
    check_win_broker_service,
    check_win_certificate_duplicates,
    check_win_certificate_present,
    check_win_config_certificate,
    check_win_dotnet,
    check_win_key_readable,
    check_win_private_key,
    check_win_profile_service,
    check_win_seclogon,
    check_win_vcruntime,
)


# ---------------------------------------------------------------- the table

_BOTH = (LINUX, WINDOWS)

CHECKS = [
    Check("host_reachable", "Ansible reaches the host", (CONTROLLER,), [FAQ_NOT_RESPONDING], check_host_reachable),
    Check("name_resolves", "Name clients use resolves", (CONTROLLER,), [FAQ_NOT_RESPONDING], check_name_resolves),
    # Linux service and configuration
    Check("rtvsd_installed", "rtvsd unit installed", (LINUX,), [facts_ref("section 1 systemd")], check_rtvsd_installed),
    Check("rtvsd_enabled", "rtvsd enabled", (LINUX,), [facts_ref("section 1 systemd")], check_rtvsd_enabled,
          after=("rtvsd_installed",)),
    Check("rtvsd_wanted_at_boot", "rtvsd wanted at boot (WantedBy link)", (LINUX,), [facts_ref("section 1 systemd")],
          check_rtvsd_wanted_at_boot, after=("rtvsd_installed",)),
    Check("config_parses", "Broker config parses", _BOTH,
          [SEED_LINUX_CONFIG, facts_ref("section 2 config file"), rtvs_issue(3265)], check_config_parses,
          after=("rtvsd_installed",)),
    Check("config_server", "Config: port, TLS, no local-broker keys", (LINUX,), [facts_ref("section 1 config keys")],
          check_config_server, after=("config_parses",)),
    Check("config_password", "Config: PFX password not the shipped default", (LINUX,), [facts_ref("section 1 .deb package")],
          check_config_password, after=("config_parses",)),
    Check("snakeoil_pfx", "Package's snakeoil PFX not readable by others", (LINUX,), [facts_ref("section 1 .deb package")],
          check_snakeoil_pfx, after=("config_parses",)),
    Check("pfx_exists", "PFX file exists", (LINUX,), [SEED_LINUX_CONFIG], check_pfx_exists, after=("config_parses",)),
    Check("pfx_opens", "PFX opens with the configured password", (LINUX,), [SEED_LINUX_CONFIG, rtvs_issue(3361)],
          check_pfx_opens, after=("pfx_exists",)),
    Check("pfx_key_matches", "PFX holds the certificate's private key", (LINUX,), [rtvs_issue(3315), rtvs_issue(3887)],
          check_pfx_key_matches, after=("pfx_opens",)),
    Check("pfx_readable", "rtvssvc can read the PFX", (LINUX,), [FAQ_401, rtvs_issue(3361)], check_pfx_readable,
          after=("pfx_exists",)),
    # Windows services, prerequisites, certificate
    Check("win_broker_service", "Broker service automatic and running", (WINDOWS,), [FAQ_SERVICE_NOT_RUNNING, rtvs_issue(3251)],
          check_win_broker_service,
          after=("win_certificate_present", "win_certificate_duplicates", "win_private_key", "win_key_readable",
                 "config_parses", "win_dotnet")),
    Check("win_profile_service", "RUserProfileService automatic and running", (WINDOWS,), [FAQ_SERVICE_NOT_RUNNING],
          check_win_profile_service),
    Check("win_seclogon", "seclogon automatic and running", (WINDOWS,), [FAQ_401], check_win_seclogon),
    Check("win_dotnet", ".NET Framework 4.6.1 or later", (WINDOWS,), [FAQ_SERVICE_NOT_RUNNING], check_win_dotnet),
    Check("win_vcruntime", "Visual C++ runtime installed", (WINDOWS,), [FAQ_404, rtvs_issue(2353)], check_win_vcruntime),
    Check("win_config_certificate", "Config names the certificate clients expect", (WINDOWS,),
          [rtvs_issue(3136), facts_ref("section 2 certificate lookup")], check_win_config_certificate, after=("config_parses",)),
    Check("win_certificate_present", "Certificate with Subject CN=<name> installed", (WINDOWS,),
          [FAQ_SERVICE_NOT_RUNNING, rtvs_issue(3136)], check_win_certificate_present,
          after=("config_parses", "win_config_certificate")),
    Check("win_certificate_duplicates", "Only one certificate with that Subject", (WINDOWS,),
          [rtvs_issue(3136), facts_ref("section 2 certificate lookup")], check_win_certificate_duplicates,
          after=("win_certificate_present",)),
    Check("win_private_key", "Certificate has its private key", (WINDOWS,), [rtvs_issue(3315), rtvs_issue(3887)],
          check_win_private_key, after=("win_certificate_present",)),
    Check("win_key_readable", "NETWORK SERVICE can read the private key", (WINDOWS,), [FAQ_401, rtvs_issue(3361)],
          check_win_key_readable, after=("win_private_key",)),
    # Linux service state (after what makes it crash)
    Check("rtvsd_active", "rtvsd running", (LINUX,), [FAQ_SERVICE_NOT_RUNNING, rtvs_issue(3251)], check_rtvsd_active,
          after=("rtvsd_installed", "config_parses", "config_server", "pfx_exists", "pfx_opens", "pfx_key_matches",
                 "pfx_readable")),
    # Logins and R
    Check("pam_service", "PAM service rtvs present", (LINUX,), [FAQ_401, facts_ref("section 1 logins")], check_pam_service,
          after=("rtvsd_installed",)),
    Check("allowed_group", "allowedGroup empty or an existing group", (LINUX,), [FAQ_401, rtvs_issue(3334)],
          check_allowed_group, after=("config_parses",)),
    Check("allowed_users", "Allowed users have passwords and home folders", (LINUX,), [FAQ_401, rtvs_issue(3334)],
          check_allowed_users, after=("allowed_group",)),
    Check("r_installed", "R installed and registered", _BOTH, [FAQ_404, rtvs_issue(4358)], check_r_installed),
    Check("r_version", "R in the supported %s range" % R_SUPPORTED_TEXT, _BOTH, [rtvs_issue(4380), rtvs_issue(4358)], check_r_version,
          after=("r_installed",)),
    # Network
    Check("port_listening", "Broker port listening on the host", (LINUX,), [FAQ_SERVICE_NOT_RUNNING], check_port_listening,
          after=("rtvsd_installed", "rtvsd_active", "config_server")),
    Check("firewall", "Host firewall allows the broker port", _BOTH, [FAQ_SERVICE_NOT_RUNNING, FAQ_OUTBOUND, rtvs_issue(3251)],
          check_firewall),
    Check("tcp_connect", "TCP connect from the controller", (CONTROLLER,), [FAQ_NOT_RESPONDING, FAQ_SERVICE_NOT_RUNNING],
          check_tcp_connect, after=("host_reachable", "name_resolves", "port_listening", "firewall", "rtvsd_active",
                                    "win_broker_service")),
    Check("tls_handshake", "TLS 1.2 handshake", (CONTROLLER,), [rtvs_issue(3361), rtvs_issue(3315), rtvs_issue(3887)],
          check_tls_handshake, after=("tcp_connect", "pfx_key_matches", "win_private_key", "win_key_readable")),
    Check("certificate_name", "Certificate covers the name clients use", (CONTROLLER,), [rtvs_issue(2717), rtvs_issue(3136)],
          check_certificate_name),
    Check("certificate_expiry", "Certificate not expired or expiring soon", (CONTROLLER,),
          [FAQ_SERVICE_NOT_RUNNING, rtvs_issue(3136)], check_certificate_expiry, after=("win_certificate_duplicates",)),
    Check("certificate_trust", "Certificate chain trusted (or self-signed)", (CONTROLLER,), [SEED_SELF_SIGNED],
          check_certificate_trust, after=("certificate_expiry", "tls_handshake")),
    Check("tls_posture", "Broker refuses TLS 1.0/1.1 and weak ciphers", (CONTROLLER,), [facts_ref("section 4 client")],
          doctor_checks_tls.check_tls_posture, after=("tls_handshake",)),
    Check("info_about", "GET /info/about answers 200", (CONTROLLER,), [facts_ref("section 3 HTTP API"), rtvs_issue(3251)],
          check_info_about, after=("tls_handshake",)),
    Check("interpreters", "GET /interpreters lists R (with credentials)", (CONTROLLER,),
          [FAQ_401, FAQ_404, rtvs_issue(4358), rtvs_issue(3334)], check_interpreters,
          after=("info_about", "r_installed", "r_version", "allowed_group", "allowed_users", "pam_service",
                 "win_seclogon", "win_profile_service", "win_vcruntime")),
    Check("broker_log", "Newest broker log has no errors", _BOTH, [FAQ_LOGS], check_broker_log),
]

CHECKS_BY_ID = dict((c.id, c) for c in CHECKS)


def checks_for(platform):
    return [c for c in CHECKS if c.applies_to(platform)]


# ---------------------------------------------------------------- evaluation


def _root_cause(check_id, raw, applicable, seen=()):
    """The first failed prerequisite of a failed check, following chains of consequences; None when it is a cause."""
    check = CHECKS_BY_ID[check_id]
    for dep in check.after:
        if dep not in applicable or dep in seen:
            continue
        if raw[dep][0] == FAIL:
            return _root_cause(dep, raw, applicable, seen + (check_id,)) or dep
    return None


def evaluate(facts):
    """Evaluate every check that applies to facts['platform']; return the host report (JSON-able)."""
    platform = facts.get("platform") or LINUX
    checks = checks_for(platform)
    applicable = set(c.id for c in checks)
    raw = {}
    for check in checks:
        try:
            raw[check.id] = check.evaluate(facts)
        except Exception as exc:  # a malformed fact must not hide every other check
            raw[check.id] = (
                FAIL,
                "the doctor could not evaluate this check: %s: %s" % (type(exc).__name__, exc),
                "Report this as a bug in rtvs.remote with the gathered facts.",
            )
    results = []
    for check in checks:
        status, evidence, fix = raw[check.id][:3]
        cause = _root_cause(check.id, raw, applicable) if status == FAIL else None
        if len(raw[check.id]) > 3:  # the check itself names what explains it
            cause = raw[check.id][3]
        results.append({
            "id": check.id,
            "title": check.title,
            "status": SKIP if cause else status,
            "evidence": "consequence of %s: %s" % (cause, evidence) if cause and status == FAIL else evidence,
            "fix": "" if cause else fix,
            "faq": list(check.faq),
            "cause": cause,
        })
    counts = dict((s, sum(1 for r in results if r["status"] == s)) for s in STATUSES)
    return {
        "host": facts.get("host"),
        "platform": platform,
        "name": _fqdn(facts),
        "port": _port(facts),
        "status": FAIL if counts[FAIL] else (WARN if counts[WARN] else OK),
        "counts": counts,
        "failed": [r["id"] for r in results if r["status"] == FAIL],
        "warnings": [r["id"] for r in results if r["status"] == WARN],
        "checks": results,
        "certificate": certificate_days_left(facts),
    }
