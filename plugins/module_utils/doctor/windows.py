# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's Windows host checks (facts from rtvs.remote.win_broker_info)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules
from ansible_collections.rtvs.remote.plugins.module_utils.broker.broker_rules import ci_get
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.common import (
    _broker,
    _fqdn,
    _missing,
    _port,
    fail,
    ok,
    skip,
    warn,
)


# ---------------------------------------------------------------- Windows host checks
# Facts: the return of rtvs.remote.win_broker_info (see its RETURN), plus ``machine_name``
# added by the doctor role (the NetBIOS name, from the module's default certificate_subject).


def _service_check(facts, key, what, fix_install):
    svc = _broker(facts, "services", key)
    if svc is None:
        return _missing(facts) or skip("service facts missing")
    name = svc.get("name") or key
    if not svc.get("exists"):
        return fail("%s (%s) is not installed" % (what, name), fix_install)
    problems = []
    if str(svc.get("start_mode") or "").lower() not in ("auto", "delayed"):
        problems.append("start mode %s" % svc.get("start_mode"))
    if str(svc.get("state") or "").lower() != "running":
        problems.append("state %s" % svc.get("state"))
    if problems:
        return fail(
            "%s: %s" % (name, ", ".join(problems)),
            "Set %s to start automatically and start it (Set-Service %s -StartupType Automatic; Start-Service %s)."
            % (name, name, name),
        )
    return ok("%s automatic and running (%s)" % (name, svc.get("username") or "account unknown"))


def check_win_broker_service(facts):
    return _service_check(
        facts, "broker", "Broker service (RRemoteService or RHostBrokerService)",
        "Install R Services for Visual Studio (the RTVS.Remote MSI) and reboot.",
    )


def check_win_profile_service(facts):
    return _service_check(
        facts, "user_profile", "R User Profile Service",
        "Reinstall R Services for Visual Studio; it installs RUserProfileService.",
    )


def check_win_seclogon(facts):
    return _service_check(
        facts, "seclogon", "Secondary Logon",
        "Secondary Logon is part of Windows; restore the seclogon service and set it to Automatic.",
    )


def check_win_dotnet(facts):
    dotnet = _broker(facts, "dotnet")
    if dotnet is None:
        return _missing(facts) or skip(".NET facts missing")
    release = dotnet.get("release")
    minimum = dotnet.get("minimum_release") or 394254
    if release is not None and int(release) >= int(minimum):
        return ok(".NET Framework %s (release %s >= %s)" % (dotnet.get("version"), release, minimum))
    return fail(
        ".NET Framework 4.6.1 or later not found (release %s, need %s)" % (release, minimum),
        "Install .NET Framework 4.6.1 or later and reboot.",
    )


def check_win_vcruntime(facts):
    vc = _broker(facts, "vc_runtime")
    if vc is None:
        return _missing(facts) or skip("VC++ facts missing")
    if vc.get("installed"):
        return ok("Visual C++ 2015+ x64 runtime %s" % (vc.get("version") or "installed"))
    return fail(
        "Visual C++ 2015 (or later) x64 runtime not found",
        "Install the Visual C++ 2015-2022 x64 redistributable; without it R sessions end with 404.",
    )


def _inbound_allow(rule):
    return rule.get("enabled") and str(rule.get("direction") or "").lower() == "in" \
        and str(rule.get("action") or "").lower() == "allow"


def _check_windows_firewall(facts):
    rules = _broker(facts, "firewall_rules")
    if rules is None:
        return _missing(facts) or skip("firewall facts missing")
    port = _port(facts)
    blocking = [r for r in rules if r.get("enabled") and str(r.get("direction") or "").lower() == "in"
                and str(r.get("action") or "").lower() == "block"]
    if blocking:
        return fail(
            "enabled inbound block rule(s) for the broker: %s" % ", ".join(r.get("name") for r in blocking),
            "Remove or disable the block rules; in Windows Firewall a block rule wins over allow rules.",
        )
    broker_rule = [r for r in rules if r.get("name") == "Microsoft.R.Host.Broker" and _inbound_allow(r)]
    port_rule = [r for r in rules if r.get("matched_by") == "port" and _inbound_allow(r)]
    host_rule = [r for r in rules if r.get("name") == "Microsoft.R.Host" and _inbound_allow(r)]
    if not broker_rule and not port_rule:
        return fail(
            "no enabled inbound allow rule Microsoft.R.Host.Broker nor one for TCP %s" % port,
            "Enable the inbound rule Microsoft.R.Host.Broker (or allow TCP %s) and restart." % port,
        )
    via = "Microsoft.R.Host.Broker" if broker_rule else "rule %s for TCP %s" % (port_rule[0].get("name"), port)
    if not host_rule:
        return warn(
            "broker allowed through %s, but no enabled inbound rule Microsoft.R.Host" % via,
            "Enable the firewall rule Microsoft.R.Host (in and out) as the R Services installer creates it.",
        )
    return ok("inbound allowed through %s; Microsoft.R.Host enabled" % via)


def _windows_broker_subject(facts):
    """The Subject the broker looks for: X509CertificateName, else CN=<NetBIOS name>."""
    configured = ci_get(_broker(facts, "config", "content"), "security", "X509CertificateName")
    return (broker_rules.windows_broker_subject(configured, _broker(facts, "machine_name"))
            or _broker(facts, "certificate_subject"))


def _windows_certificates(facts):
    """Certificates with the Subject the broker looks for, in its store order (as gathered)."""
    certs = _broker(facts, "certificates") or []
    subject = _broker(facts, "certificate_subject")
    wanted = _windows_broker_subject(facts)
    if subject and wanted and subject.lower() != wanted.lower():
        return []  # gathered for another Subject; the role gathers for the broker's
    return sorted(certs, key=lambda c: c.get("store_order", 99))


def _windows_selected_certificate(facts):
    certs = _windows_certificates(facts)
    selected = [c for c in certs if c.get("selected")]
    return selected[0] if selected else (certs[0] if certs else None)


def _windows_certificate_file(facts):
    return ci_get(_broker(facts, "config", "content"), "security", "X509CertificateFile")


def check_win_certificate_present(facts):
    if _broker(facts, "certificates") is None:
        return _missing(facts) or skip("certificate facts missing")
    subject = _windows_broker_subject(facts)
    if _windows_certificate_file(facts):
        return ok("the config loads a certificate file: %s" % _windows_certificate_file(facts))
    selected = _windows_selected_certificate(facts)
    if selected:
        return ok("the broker picks %s from %s (thumbprint %s)" % (subject, selected.get("store"), selected.get("thumbprint")))
    return fail(
        "no certificate with Subject exactly %s in LocalMachine Root, AuthRoot, CA or My; the broker logs "
        "'TLS certificate not found', stops, and restarts in a loop" % subject,
        "Install a certificate whose Subject is exactly %s in LocalMachine\\My, or set X509CertificateName "
        "to the Subject of the installed one." % subject,
    )


def check_win_certificate_duplicates(facts):
    certs = _windows_certificates(facts)
    if len(certs) <= 1:
        return ok("%d certificate(s) with Subject %s" % (len(certs), _windows_broker_subject(facts)))
    first = _windows_selected_certificate(facts)
    listing = ", ".join("%s/%s until %s" % (c.get("store"), c.get("thumbprint"), c.get("not_after")) for c in certs)
    subject = _windows_broker_subject(facts)
    if first.get("expired") or not first.get("has_private_key"):
        return fail(
            "%d certificates with Subject %s; the broker takes the first in store order (%s), which is %s: %s"
            % (len(certs), subject, first.get("thumbprint"),
               "expired" if first.get("expired") else "without private key", listing),
            "Remove the old certificates with Subject %s (rtvs.remote.win_broker_cert_cleanup) so only the current one is left."
            % subject,
        )
    return warn(
        "%d certificates with Subject %s; the broker takes the first in store order: %s" % (len(certs), subject, listing),
        "Remove the other certificates with Subject %s (rtvs.remote.win_broker_cert_cleanup)." % subject,
    )


def check_win_private_key(facts):
    cert = _windows_selected_certificate(facts)
    if not cert:
        return skip("no certificate selected")
    if cert.get("has_private_key"):
        return ok("certificate %s has its private key (%s)" % (cert.get("thumbprint"), cert.get("key_provider")))
    return fail(
        "certificate %s has no private key: server mode SSL must use a certificate with the associated private key"
        % cert.get("thumbprint"),
        "Import the certificate from a PFX with its key into LocalMachine\\My with machine key storage.",
    )


def check_win_key_readable(facts):
    cert = _windows_selected_certificate(facts)
    if not cert or not cert.get("has_private_key"):
        return skip("no certificate with private key selected")
    readable = cert.get("network_service_read")
    if readable is None:
        return skip("key file not found, so its ACL was not read: %s" % (cert.get("key_error") or "unknown"))
    if readable:
        return ok("NETWORK SERVICE can read the private key of %s (%s)" % (cert.get("thumbprint"), cert.get("key_file")))
    return fail(
        "NETWORK SERVICE cannot read the private key of %s (%s)" % (cert.get("thumbprint"), cert.get("key_file")),
        "Grant NETWORK SERVICE Read on Cert:\\LocalMachine\\My\\%s (ansible.windows.win_acl) and restart the broker."
        % cert.get("thumbprint"),
    )


def check_win_config_certificate(facts):
    cfg = _broker(facts, "config")
    if cfg is None:
        return _missing(facts) or skip("config facts missing")
    if cfg.get("exists") and not cfg.get("parsed"):
        return skip("config does not parse (see config_parses)")
    if _windows_certificate_file(facts):
        return ok("X509CertificateFile %s" % _windows_certificate_file(facts))
    expected = "CN=%s" % _fqdn(facts)
    subject = _windows_broker_subject(facts)
    source = "X509CertificateName" if ci_get(cfg.get("content"), "security", "X509CertificateName") else \
        "the default CN=<computer name>"
    if subject and subject.lower() != expected.lower():
        return fail(
            "the broker looks for %s (%s), but clients connect to %s" % (subject, source, _fqdn(facts)),
            'Set security.X509CertificateName to "%s" in %s and install that certificate.' % (expected, cfg.get("path")),
        )
    return ok("the broker looks for %s (%s)" % (subject, source))
