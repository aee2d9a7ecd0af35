# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows certificate decisions for the RTVS broker, over what rtvs.remote.win_broker_info gathers.

Pure Python. The broker looks in LocalMachine Root, AuthRoot, CA (CertificateAuthority) and My, in
that order, and serves the first certificate whose Subject equals its X509CertificateName ignoring
case, whatever its expiry or key (RTVS Security/Certificates.cs, docs/windows.md). From that follow:
which certificate it serves, which certificates this collection may remove (only its own, known by
friendly name), which other certificates would shadow ours, which chain certificates go to which
store, and whether our certificate still has to be imported.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_keys

STORE_ORDER = ("Root", "AuthRoot", "CA", "My")
FRIENDLY_PREFIX = "RTVS broker "


class WinCertError(ValueError):
    """A decision input is malformed (the message names it)."""


def friendly_name(fqdn):
    """The friendly name this collection gives the certificates it makes or imports."""
    return "%s%s" % (FRIENDLY_PREFIX, str(fqdn).strip())


def normalize_thumbprint(value):
    """Upper-case hex without separators; '' when empty. Raises WinCertError if not 40 hex digits."""
    text = re.sub(r"[\s:]", "", str(value or "")).upper()
    if text and not re.match(r"^[0-9A-F]{40}$", text):
        raise WinCertError("%r is not a SHA-1 thumbprint (40 hex digits)" % value)
    return text


def same_subject(a, b):
    """The broker's comparison: equal ignoring case (ordinal)."""
    return a is not None and b is not None and str(a).lower() == str(b).lower()


def is_ours(cert, fqdn=None):
    """Whether this collection made the certificate: its friendly name (exactly, for fqdn when given)."""
    name = str(cert.get("friendly_name") or "")
    if fqdn:
        return name.lower() == friendly_name(fqdn).lower()
    return name.lower().startswith(FRIENDLY_PREFIX.lower())


def in_order(stores):
    """All gathered certificates as one list in the broker's store order, each with store/store_order."""
    result = []
    for order, store in enumerate(STORE_ORDER):
        entry = (stores or {}).get(store)
        if not isinstance(entry, dict):
            continue
        for cert in entry.get("certificates") or []:
            item = dict(cert)
            item["store"] = store
            item["store_order"] = order
            result.append(item)
    return result


def store_errors(stores):
    """{store: error} for the stores that could not be read."""
    return dict((name, entry["error"]) for name, entry in (stores or {}).items()
                if isinstance(entry, dict) and entry.get("error"))


def with_subject(stores, subject):
    """Certificates with exactly this Subject in search order; the first has ``selected`` true."""
    found = [c for c in in_order(stores) if same_subject(c.get("subject"), subject)]
    for index, cert in enumerate(found):
        cert["selected"] = index == 0
    return found


def listener_uses(listeners):
    """{thumbprint: 'WinRM HTTPS listener on <address>:<port>'} from the gathered WinRM listeners."""
    uses = {}
    for listener in listeners if isinstance(listeners, list) else []:
        thumb = normalize_thumbprint(listener.get("thumbprint")) if listener.get("thumbprint") else ""
        if thumb:
            uses[thumb] = "WinRM %s listener on %s port %s" % (
                listener.get("transport") or "HTTPS", listener.get("address") or "*", listener.get("port") or "?")
    return uses


def describe(cert, uses=None):
    """One line about a certificate for messages: store, thumbprint, issuer, friendly name, use."""
    thumb = normalize_thumbprint(cert.get("thumbprint"))
    use = (uses or {}).get(thumb)
    return "%s\\%s (issuer %s, friendly name %s, until %s%s)" % (
        cert.get("store"), thumb, cert.get("issuer") or "?", cert.get("friendly_name") or "(none)",
        cert.get("not_after") or "?", ", used by the %s" % use if use else "")


def cleanup_plan(stores, subject, keep_thumbprint, fqdn, listeners=None):
    """What to remove and what blocks: only our own certificates go, others that would shadow ours fail.

    Returns ``remove`` (list of {store, thumbprint}: certificates with our friendly name other than
    the one kept, in any searched store), ``conflicts`` (certificates not ours with the broker's
    Subject: the broker could pick one of them instead of ours, so the run stops), ``kept_in_my``
    and ``message`` (the failure text with the fix, or None).
    """
    keep = normalize_thumbprint(keep_thumbprint)
    uses = listener_uses(listeners)
    certs = in_order(stores)
    kept_in_my = any(c["store"] == "My" and normalize_thumbprint(c.get("thumbprint")) == keep for c in certs)
    remove, conflicts = [], []
    for cert in certs:
        thumb = normalize_thumbprint(cert.get("thumbprint"))
        if thumb == keep:
            continue
        if is_ours(cert, fqdn) and thumb not in uses:
            remove.append({"store": cert["store"], "thumbprint": thumb, "subject": cert.get("subject"),
                           "friendly_name": cert.get("friendly_name")})
        elif same_subject(cert.get("subject"), subject):
            item = dict((k, cert.get(k)) for k in ("store", "subject", "issuer", "friendly_name", "not_after"))
            item["thumbprint"] = thumb
            item["used_by"] = uses.get(thumb)
            conflicts.append(item)
    message = None
    if conflicts:
        message = (
            "Other certificates have the Subject '%s' the broker looks for, and it serves the first match in "
            "Root, AuthRoot, CA, My without checking which: %s. This collection removes only the certificates "
            "it made (friendly name '%s'), so nothing was changed. Fix: remove or move the listed "
            "certificate(s) if nothing needs them (a WinRM listener must first get another certificate: "
            "winrm set winrm/config/Listener?Address=*+Transport=HTTPS @{CertificateThumbprint=\"...\"}), or "
            "give the broker a certificate with a Subject nothing else uses (rtvs_certificate_source=provided "
            "with an added OU, or rtvs_windows_broker_settings.security.X509CertificateName)."
            % (subject, "; ".join(describe(c, uses) for c in conflicts), friendly_name(fqdn)))
    return {"remove": remove, "conflicts": conflicts, "kept_in_my": kept_in_my, "message": message}


def chain_plan(chain, stores, install_root=False):
    """Where each chain certificate goes: intermediates to CA, a self-signed root to Root only if asked.

    ``chain``: dicts with thumbprint, subject, self_signed, der_b64 (from the rtvs.remote.win_chain filter).
    Returns ``add`` (the ones missing from their store, with ``store``) and ``skipped`` (roots not asked for).
    """
    present = {}
    for cert in in_order(stores):
        present.setdefault(cert["store"], set()).add(normalize_thumbprint(cert.get("thumbprint")))
    add, skipped = [], []
    for cert in chain or []:
        thumb = normalize_thumbprint(cert.get("thumbprint"))
        if not thumb:
            raise WinCertError("a chain certificate has no thumbprint")
        store = "Root" if cert.get("self_signed") else "CA"
        if store == "Root" and not install_root:
            skipped.append({"thumbprint": thumb, "subject": cert.get("subject"), "store": store})
            continue
        if thumb in present.get(store, set()):
            continue
        add.append({"store": store, "thumbprint": thumb, "subject": cert.get("subject"), "der_b64": cert.get("der_b64")})
    return {"add": add, "skipped": skipped}


def find(stores, thumbprint, store="My"):
    """The gathered certificate with this thumbprint in this store, or None."""
    thumb = normalize_thumbprint(thumbprint)
    for cert in in_order(stores):
        if cert["store"] == store and normalize_thumbprint(cert.get("thumbprint")) == thumb:
            return cert
    return None


def import_reason(stores, thumbprint):
    """Why our certificate must be imported into My (None when it is there with a key that exists).

    'Already imported' needs the key container too: a store entry that still claims a private key
    whose file is gone is imported again.
    """
    if not normalize_thumbprint(thumbprint):
        return None
    if store_errors(stores).get("My"):
        return "LocalMachine\\My could not be read: %s" % store_errors(stores)["My"]
    cert = find(stores, thumbprint)
    if cert is None:
        return "not in LocalMachine\\My"
    if not cert.get("has_private_key"):
        return "in LocalMachine\\My without its private key"
    key = win_keys.locate(cert)
    if key["status"] == "not_found":
        return "in LocalMachine\\My but its private key is missing (%s)" % key["detail"]
    return None


def key_acl_reason(stores, thumbprint):
    """Why NETWORK SERVICE must be granted Read on our key (None when it can already read it).

    Only a key that exists and does not grant NETWORK SERVICE read (or whose ACL could not be read)
    gets the ACL task, so an unchanged host is not changed - and the broker not restarted - again.
    """
    cert = find(stores, thumbprint)
    if cert is None or not cert.get("has_private_key"):
        return None
    key = win_keys.locate(cert)
    if key["status"] == "found":
        if key["network_service_read"]:
            return None
        return "NETWORK SERVICE cannot read the key: %s" % key["detail"]
    if key["status"] in ("access_denied", "error"):
        return "the key's ACL could not be read: %s" % key["detail"]
    return None


def san_text_extension(fqdn, subject_alt_names=None):
    """New-SelfSignedCertificate ``-TextExtension`` value for the SAN: DNS names and IP addresses apart.

    ``-DnsName`` puts every entry in a DNS SAN, so a client connecting by IP fails the name check
    (microsoft/RTVS#2717); the text extension writes ``IPAddress=`` for addresses (PowerShell pki docs,
    New-SelfSignedCertificate example 9). The fqdn comes first, duplicates once.
    """
    import ipaddress

    entries, seen = [], set()
    for name in [fqdn] + list(subject_alt_names or []):
        text = str(name or "").strip()
        if not text or text.lower() in seen:
            continue
        seen.add(text.lower())
        try:
            entries.append("IPAddress=%s" % ipaddress.ip_address(text.strip("[]")))
        except ValueError:
            if not re.match(r"^[A-Za-z0-9*._-]+$", text):
                raise WinCertError("subject alternative name %r is neither a DNS name nor an IP address" % text)
            entries.append("DNS=%s" % text)
    return "2.5.29.17={text}%s" % "&".join(entries)
