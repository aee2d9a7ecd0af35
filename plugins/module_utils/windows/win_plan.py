# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows broker: from raw observations (win_broker_info.ps1) to facts, and from facts to a plan.

PowerShell gathers; this module decides. ``derive`` turns what the PowerShell side gathered into
the result rtvs.remote.win_broker_info returns (the role and the doctor read the same result), and
``certificate_plan`` says what the role's certificate step has to do. Pure Python: no Ansible,
no cryptography; unit-tested with fixtures shaped like real Windows output
(tests/unit/fixtures/windows/).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import codecs
import datetime
import re

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_config
from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_certs, win_keys
from ansible_collections.rtvs.remote.plugins.module_utils.broker.broker_rules import (
    MASK, ci_get, r_supported, windows_broker_subject)

CONFIG_FILE = "Microsoft.R.Host.Broker.Config.json"
_SECRET_TEXT = re.compile(r'("(?:X509CertificatePassword|secret)"\s*:\s*)("(?:[^"\\]|\\.)*")', re.I)


class ConfigDecodeError(ValueError):
    """The broker configuration bytes are not UTF-8 or UTF-16 text."""


def decode_config(data, where=CONFIG_FILE):
    """(text, encoding) of a config file's bytes: UTF-8 with or without BOM, UTF-16 LE/BE with BOM.

    PowerShell 5.1 ``Out-File`` writes UTF-16 LE with a BOM; Notepad and .NET write UTF-8 with one;
    the MSI ships UTF-8. The BOM is not part of the returned text.
    """
    if isinstance(data, str):
        return data.lstrip("\ufeff"), "text"
    data = bytes(data or b"")
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name.replace("-sig", "")), name
            except UnicodeDecodeError as exc:
                raise ConfigDecodeError("%s starts with a %s byte order mark but is not %s text (%s); fix or "
                                        "remove the file, it was left untouched" % (where, name, name, exc))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        raise ConfigDecodeError("%s is neither UTF-8 nor UTF-16 with a byte order mark (%s); save it as UTF-8 "
                                "(Set-Content -Encoding UTF8) - the file was left untouched" % (where, exc))


def decode_config_b64(value, where=CONFIG_FILE):
    """decode_config of base64 text (ansible.windows.slurp content, the gatherer's bytes_b64)."""
    try:
        raw = base64.b64decode(value or "", validate=False)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise ConfigDecodeError("%s: the gathered content is not base64 (%s)" % (where, exc))
    return decode_config(raw, where)


def mask_text(text):
    """Config text with the certificate password (and secret) values replaced by the one mask."""
    return _SECRET_TEXT.sub(lambda m: '%s"%s"' % (m.group(1), MASK), text) if text is not None else None


def _section(observed, name):
    """(value, error) of a gathered section; a section is {'error': ...} when PowerShell caught one."""
    value = (observed or {}).get(name)
    if isinstance(value, dict) and set(value) == {"error"}:
        return None, value["error"]
    return value, None


def derive_config(section):
    """The ``config`` fact: path, exists, encoding, text and content masked, parse error."""
    section = section or {}
    fact = {"path": section.get("path"), "exists": bool(section.get("exists")), "text": None, "parsed": False,
            "error": section.get("error"), "content": None, "encoding": None}
    if not fact["exists"] or fact["error"] or section.get("bytes_b64") is None:
        return fact
    try:
        text, fact["encoding"] = decode_config_b64(section.get("bytes_b64"), fact["path"] or CONFIG_FILE)
    except ConfigDecodeError as exc:
        fact["error"] = str(exc)
        return fact
    fact["text"] = mask_text(text)
    try:
        fact["content"] = broker_config.redact(broker_config.parse(text, fact["path"]))
        fact["parsed"] = True
    except broker_config.BrokerConfigError as exc:
        fact["error"] = str(exc)
    return fact


def _parse_time(text):
    try:
        return datetime.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        return None


def certificate_fact(cert, now, fqdn=None, uses=None):
    """A gathered certificate with the key decision added (the shape win_broker_info returns)."""
    key = win_keys.locate(cert)
    not_after = _parse_time(cert.get("not_after"))
    thumb = win_certs.normalize_thumbprint(cert.get("thumbprint"))
    return {
        "store": cert.get("store"), "store_order": cert.get("store_order"), "thumbprint": thumb,
        "subject": cert.get("subject"), "issuer": cert.get("issuer"), "friendly_name": cert.get("friendly_name"),
        "not_before": cert.get("not_before"), "not_after": cert.get("not_after"),
        "expired": bool(not_after and not_after < now), "has_private_key": bool(cert.get("has_private_key")),
        "dns_names": list(cert.get("dns_names") or []),
        "key_provider": {"capi": "csp", "cng": "cng"}.get(key["provider"]), "key_file": key["file"],
        "key_status": key["status"], "key_error": None if key["status"] in ("found", "no_key") else key["detail"],
        "network_service_read": key["network_service_read"], "selected": bool(cert.get("selected")),
        "ours": win_certs.is_ours(cert, fqdn), "used_by": (uses or {}).get(thumb),
    }


def derive(observed, subject=None, fqdn=None, min_dotnet_release=394254, now=None):
    """The win_broker_info result from the gathered observations.

    ``subject``: the Subject to list certificates for (default CN=<computer name>, the broker's
    default). Sections that failed on the host come back as data: their error in ``errors``.
    """
    now = now or datetime.datetime.utcnow()
    observed = observed or {}
    errors = {}
    machine = observed.get("machine_name")
    config = derive_config(_section(observed, "config")[0] or {})
    _value, error = _section(observed, "config")
    if error:
        errors["config"] = error
    searched = subject or windows_broker_subject(None, machine)
    broker_subject = windows_broker_subject(ci_get(config["content"], "security", "X509CertificateName"), machine)

    stores, error = _section(observed, "stores")
    stores = stores or {}
    if error:
        errors["certificates"] = error
    for name, message in win_certs.store_errors(stores).items():
        errors["certificates.%s" % name] = message
    listeners, error = _section(observed, "winrm")
    if error:
        errors["winrm"] = error
    uses = win_certs.listener_uses((listeners or {}).get("listeners"))
    certificates = [certificate_fact(c, now, fqdn, uses) for c in win_certs.with_subject(stores, searched)]

    os_fact, error = _section(observed, "os")
    if error:
        errors["os"] = error
    dotnet, error = _section(observed, "dotnet")
    if error:
        errors["dotnet"] = error
    dotnet = dict(dotnet or {})
    release = dotnet.get("release")
    dotnet.update(minimum_release=min_dotnet_release,
                  meets_minimum=release is not None and int(release) >= int(min_dotnet_release))

    r_installs, error = _section(observed, "r_installs")
    if error:
        errors["r_installs"] = error
    r_installs = [dict(r, supported=r_supported(r.get("version"))) for r in (r_installs or {}).get("installs", [])]

    firewall, error = _section(observed, "firewall")
    if error:
        errors["firewall"] = error
    logs, error = _section(observed, "logs")
    if error:
        errors["logs"] = error
    for name in ("vc_runtime", "services", "install"):
        if _section(observed, name)[1]:
            errors[name] = _section(observed, name)[1]
    install = _section(observed, "install")[0] or {}
    return {
        "os": os_fact or {"caption": None, "version": None, "build": None, "product_type": None},
        "dotnet": dotnet,
        "vc_runtime": _section(observed, "vc_runtime")[0] or {"installed": None, "version": None, "registry_key": None},
        "r_installs": r_installs,
        "install_folder": install.get("folder"),
        "install_folder_source": install.get("source"),
        "broker_executable": install.get("broker_executable"),
        "rhost_executable": install.get("rhost_executable"),
        "services": _section(observed, "services")[0] or dict(
            (name, {"name": None, "exists": False, "state": None, "start_mode": None, "username": None, "path": None})
            for name in ("broker", "user_profile", "seclogon")),
        "machine_name": machine,
        "certificate_subject": searched,
        "broker_subject": broker_subject,
        "certificates": certificates,
        "managed_certificates": [certificate_fact(c, now, fqdn, uses) for c in win_certs.in_order(stores)
                                 if win_certs.is_ours(c, fqdn)],
        "winrm_listeners": (listeners or {}).get("listeners") or [],
        "config": config,
        "firewall_rules": (firewall or {}).get("rules") or [],
        "logs": logs or {"folder": None, "newest": None, "tail": [], "error_lines": []},
        "errors": errors,
    }


def observed_subjects(observed):
    """Subjects the gatherer was asked to include (its ``subject_contains`` filter, lower case)."""
    return [str(s).lower() for s in (observed or {}).get("subject_contains") or []]


def needs_second_gather(observed, subject):
    """Whether the certificates for ``subject`` may be missing because the gatherer filtered for others."""
    if not subject:
        return False
    wanted = str(subject).lower()
    return not any(part and part in wanted for part in observed_subjects(observed))


def desired_subject(known_subject, facts, fqdn):
    """The Subject our certificate has, in Windows format: the one the certificate step reported,
    else that of our newest certificate in My (friendly name), else CN=<fqdn>."""
    if known_subject:
        return known_subject
    ours = [c for c in (facts or {}).get("managed_certificates") or []
            if c.get("store") == "My" and win_certs.is_ours(c, fqdn) and c.get("has_private_key")]
    ours.sort(key=lambda c: c.get("not_after") or "", reverse=True)
    return ours[0]["subject"] if ours else "CN=%s" % fqdn


def certificate_plan(observed, thumbprint, subject, fqdn, chain=None, install_root=False):
    """What the certificate step does on this host, decided from the raw observations.

    ``observed``: the gatherer's output, or the win_broker_info result (its ``observed`` is used).

    Returns ``todo`` ({import, chain, cleanup, key_acl}: bools), ``reasons`` (text per step),
    ``remove`` (our old certificates), ``conflicts`` (others that would shadow ours), ``fail``
    (message or None: the run must stop before changing anything), ``chain_add``, ``chain_skipped``.
    """
    facts = observed if isinstance((observed or {}).get("observed"), dict) else None
    if facts is not None:
        observed = facts["observed"]
    # Facts gathered for another Subject, or a gathering filter that may have left ours out: gather again.
    gather = bool(facts is not None and not win_certs.same_subject(facts.get("certificate_subject"), subject)) \
        or needs_second_gather(observed, subject) and not win_certs.find((observed or {}).get("stores"), thumbprint)
    stores = (_section(observed, "stores")[0]) or {}
    listeners = (_section(observed, "winrm")[0] or {}).get("listeners")
    thumb = win_certs.normalize_thumbprint(thumbprint)
    reasons = {}
    import_reason = win_certs.import_reason(stores, thumb) if thumb else None
    if import_reason:
        reasons["import"] = import_reason
    chain_result = win_certs.chain_plan(chain, stores, install_root)
    if chain_result["add"]:
        reasons["chain"] = "missing: %s" % ", ".join("%s in %s" % (c["subject"], c["store"]) for c in chain_result["add"])
    cleanup = win_certs.cleanup_plan(stores, subject, thumb, fqdn, listeners) if thumb else \
        {"remove": [], "conflicts": [], "message": None}
    if cleanup["remove"]:
        reasons["cleanup"] = "our older certificates: %s" % ", ".join(
            "%s\\%s" % (c["store"], c["thumbprint"]) for c in cleanup["remove"])
    acl_reason = None if import_reason else win_certs.key_acl_reason(stores, thumb)
    if acl_reason:
        reasons["key_acl"] = acl_reason
    return {
        "todo": dict((step, step in reasons) for step in ("import", "chain", "cleanup", "key_acl")),
        "reasons": reasons,
        "remove": cleanup["remove"],
        "conflicts": cleanup["conflicts"],
        "fail": cleanup["message"],
        "chain_add": chain_result["add"],
        "chain_skipped": chain_result["skipped"],
        # win_certificate_store skips a thumbprint already in the store whose entry claims a key, so an
        # entry whose key container is gone is removed first (ansible.windows win_certificate_store.ps1).
        "replace_entry": bool(import_reason and win_certs.find(stores, thumb) is not None),
        "gather": gather,
    }


def certificate_problems(facts, thumbprint, subject):
    """What is wrong with the certificate the broker will serve (empty list when it is ours and usable)."""
    thumb = win_certs.normalize_thumbprint(thumbprint)
    selected = [c for c in (facts or {}).get("certificates") or [] if c.get("selected")]
    problems = []
    if not win_certs.same_subject((facts or {}).get("certificate_subject"), subject):
        return ["the facts were gathered for %s, not %s" % ((facts or {}).get("certificate_subject"), subject)]
    if not selected:
        return ["no certificate with Subject %s in Root, AuthRoot, CA or My" % subject]
    cert = selected[0]
    if cert["thumbprint"] != thumb:
        problems.append("the broker would serve %s\\%s, not %s" % (cert["store"], cert["thumbprint"], thumb))
    if cert.get("store") != "My":
        problems.append("it is in %s, not My" % cert.get("store"))
    if not cert.get("has_private_key"):
        problems.append("it has no private key")
    elif cert.get("key_status") != "found":
        problems.append("its key: %s (%s)" % (cert.get("key_status"), cert.get("key_error")))
    elif not cert.get("network_service_read"):
        problems.append("NETWORK SERVICE cannot read its key %s" % cert.get("key_file"))
    if cert.get("expired"):
        problems.append("it expired on %s" % cert.get("not_after"))
    return problems
