# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's controller checks (any OS): name, TCP, TLS, certificate, /info/about, interpreters."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules
from ansible_collections.rtvs.remote.plugins.module_utils.broker.broker_rules import R_SUPPORTED_TEXT
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.common import (
    _broker,
    _fqdn,
    _now,
    _opt,
    _probe,
    fail,
    LINUX,
    ok,
    parse_time,
    SKIP,
    skip,
    warn,
    WINDOWS,
)
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.windows import (
    _windows_selected_certificate,
)


# ---------------------------------------------------------------- controller checks (any OS)


def check_host_reachable(facts):
    if facts.get("unreachable"):
        return fail(
            "Ansible could not reach the host: %s"
            % (facts.get("gather_error") or facts.get("unreachable_msg") or "unreachable"),
            "Make sure the computer is running and reachable (ping it), then rerun the doctor.",
        )
    if not facts.get("broker"):
        return fail(
            "no broker facts were gathered from the host: %s" % (facts.get("gather_error") or "the gathering task did not run"),
            "Fix the error of the fact-gathering task (shown above in the run) and rerun the doctor.",
        )
    return ok("Ansible reached the host and gathered broker facts")


def check_name_resolves(facts):
    resolve = _probe(facts, "resolve")
    if not resolve:
        return skip("no TLS probe was run")
    name = _probe(facts, "name")
    if resolve.get("ok"):
        return ok("%s resolves to %s" % (name, ", ".join(resolve.get("addresses") or [])))
    if _probe(facts, "address_given"):
        return warn(
            "%s does not resolve from the controller (%s); probed the host's address %s instead"
            % (name, resolve.get("error"), _probe(facts, "tcp", "address")),
            "Add a DNS record (or a hosts-file entry on every client) for %s pointing to %s, so clients can "
            "connect by the name the certificate covers." % (name, _probe(facts, "tcp", "address")),
        )
    return fail(
        "%s does not resolve from the controller: %s" % (name, resolve.get("error")),
        "Add %s to DNS (or the clients' hosts file) so the name clients use resolves to the server." % name,
    )


def check_tcp_connect(facts):
    tcp = _probe(facts, "tcp")
    if not tcp:
        return skip("no TLS probe was run")
    target = "%s:%s" % (tcp.get("address") or _probe(facts, "name"), _probe(facts, "port"))
    if tcp.get("ok"):
        return ok("TCP connect to %s succeeded" % target)
    if tcp.get("address") is None and not _probe(facts, "resolve", "ok"):
        return skip("no address to connect to (name did not resolve)")
    return fail(
        "TCP connect to %s failed: %s" % (target, tcp.get("error")),
        "Start the broker and open TCP %s inbound on the host and any network firewall (Azure NSG) in between."
        % _probe(facts, "port"),
    )


def check_tls_handshake(facts):
    tls = _probe(facts, "tls")
    if not tls or not _probe(facts, "tcp", "ok"):
        return skip("no TCP connection, so no TLS handshake was tried")
    if tls.get("ok"):
        return ok("TLS handshake succeeded (%s, %s)" % (tls.get("version"), tls.get("cipher")))
    return fail(
        "TLS 1.2 handshake failed: %s" % tls.get("error"),
        "Give the broker a certificate with its private key it can read (TLS 1.2, RSA); see its log for the load error.",
    )


def _served_or_installed_certificate(facts):
    """(certificate summary, where) from the probe, else from the host's PFX/store facts."""
    cert = _probe(facts, "certificate")
    if cert:
        return cert, "served on %s:%s" % (_probe(facts, "name"), _probe(facts, "port"))
    if facts.get("platform") == LINUX:
        cert = _broker(facts, "pfx", "certificate")
        if cert:
            return cert, "in %s" % _broker(facts, "pfx", "path")
    if facts.get("platform") == WINDOWS:
        cert = _windows_selected_certificate(facts)
        if cert:
            return cert, "in Cert:\\LocalMachine\\%s" % cert.get("store")
    return None, None


def check_certificate_name(facts):
    cert, where = _served_or_installed_certificate(facts)
    if not cert:
        return skip("no certificate could be read (see the TLS and certificate checks)")
    name = _fqdn(facts)
    covers = cert.get("covers_name")
    names = ", ".join(cert.get("subject_alt_names") or []) or "(no SAN)"
    if covers is None:
        covers = _name_in_certificate(name, cert)
    address = _probe(facts, "tcp", "address") if _probe(facts, "address_given") else None
    also = ""
    if address and str(address).lower() != str(name).lower():
        verb = "also covers" if _name_in_certificate(address, cert) else "does not cover"
        also = "; %s the address %s" % (verb, address)
    if covers:
        return ok("certificate %s covers %s (subject %s; SAN %s)%s" % (where, name, cert.get("subject"), names, also))
    return fail(
        "certificate %s does not cover %s: subject %s; SAN %s%s" % (where, name, cert.get("subject"), names, also),
        "Issue the certificate for the exact name clients connect with (FQDN, or add the IP as a SAN) "
        "and have clients use that name.",
    )


def _name_in_certificate(name, cert):
    """broker_rules.name_covered() on a certificate summary (for fact sources that did not say)."""
    dns, ips = [], []
    for entry in cert.get("subject_alt_names") or []:
        (ips if _is_ip(entry) else dns).append(entry)
    match = re.search(r"CN=([^,]+)", cert.get("subject") or "")
    return broker_rules.name_covered(name, dns, ips, match.group(1).strip() if match else None)


def _is_ip(text):
    try:
        ipaddress.ip_address(str(text).strip("[]"))
    except ValueError:
        return False
    return True


def certificate_days_left(facts):
    """{not_after, days_left} of the certificate served (or installed), for the fleet summary; None when unknown."""
    try:
        cert = _served_or_installed_certificate(facts)[0]
        if not cert or not cert.get("not_after"):
            return None
        days = (parse_time(cert["not_after"]) - _now(facts)).total_seconds() / 86400.0
    except Exception:  # a malformed fact shows in certificate_expiry's row; the summary just omits it
        return None
    # whole days, as certificate_expiry's evidence says them ("in 14 days", "6 days ago")
    return {"not_after": cert["not_after"], "days_left": int(days)}


def check_certificate_expiry(facts):
    cert, where = _served_or_installed_certificate(facts)
    if not cert or not cert.get("not_after"):
        return skip("no certificate could be read (see the TLS and certificate checks)")
    not_after = parse_time(cert["not_after"])
    now = _now(facts)
    days = (not_after - now).total_seconds() / 86400.0
    limit = int(_opt(facts, "expiry_warn_days", 30))
    if cert.get("not_before") and parse_time(cert["not_before"]) > now:
        return fail(
            "certificate %s is not valid before %s" % (where, cert["not_before"]),
            "Fix the server clock or issue a certificate that is valid now.",
        )
    if days <= 0:
        return fail(
            "certificate %s expired on %s (%d days ago)" % (where, cert["not_after"], int(-days)),
            "Renew the certificate now: ansible-playbook rtvs.remote.rotate -i <inventory> -l <host> "
            "-e rtvs_rotate_force=true (it restarts the broker and verifies it).",
        )
    if days < limit:
        return warn(
            "certificate %s expires on %s, in %d days" % (where, cert["not_after"], int(days)),
            "Renew the certificate before %s: ansible-playbook rtvs.remote.rotate -i <inventory> "
            "(renews every certificate inside the renewal window, host by host)." % cert["not_after"],
        )
    return ok("certificate %s valid until %s (%d days)" % (where, cert["not_after"], int(days)))


def check_certificate_trust(facts):
    trust = _probe(facts, "trust")
    cert = _probe(facts, "certificate")
    if not trust or not cert:
        return skip("no certificate was served, so trust was not checked")
    store = trust.get("store")
    origin = _opt(facts, "trust_origin", "given")
    note = _opt(facts, "trust_note")
    if origin == "internal_ca":
        store = "the internal CA's root (%s)" % store
    if trust.get("ok"):
        extra = " (self-signed, trusted because the CA file holds it)" if cert.get("self_signed") else ""
        return ok("chain trusted against %s%s" % (store, extra))
    if note:
        store = "%s; %s" % (store, note)
    if cert.get("self_signed"):
        return warn(
            "self-signed certificate (%s), not trusted by %s: RTVS clients will show a certificate warning"
            % (cert.get("subject"), store),
            "Use a certificate from a CA the clients trust (rtvs_certificate_source: internal_ca, ca or provided) "
            "and let role rtvs.remote.client_trust install it on the clients (group rtvs_clients); "
            "self-signed is for testing only.",
        )
    if origin == "internal_ca":
        return fail(
            "chain not trusted against %s: %s" % (store, trust.get("error")),
            "The broker does not serve a certificate from the internal CA clients trust: re-issue it "
            "(ansible-playbook rtvs.remote.rotate -i <inventory> -l <host> -e rtvs_rotate_force=true) and let role "
            "rtvs.remote.client_trust install the root on the clients (group rtvs_clients). During a CA rotation, "
            "rtvs_internal_ca_dir names the CA brokers are issued from (docs/certificates.md).",
        )
    return fail(
        "chain not trusted against %s: %s" % (store, trust.get("error")),
        "Serve the full chain and make sure clients trust the issuing CA (role rtvs.remote.client_trust on group "
        "rtvs_clients; pass that CA as rtvs_doctor_ca_file to check it from here).",
    )


def check_info_about(facts):
    about = _probe(facts, "about")
    if not about or not _probe(facts, "tls", "ok"):
        return skip("no TLS connection, so /info/about was not asked")
    status = about.get("status")
    if status == 200 and isinstance(about.get("json"), dict):
        info = about["json"]
        return ok(
            "GET /info/about: 200, version %s, interpreters %s"
            % (info.get("version"), info.get("interpreters"))
        )
    if status == 401:
        return fail(
            "GET /info/about with a Basic header answered 401 (%s)" % (about.get("www_authenticate") or "no challenge"),
            "Something other than the RTVS broker answers on this port, or a proxy strips the Authorization header; "
            "check what listens there.",
        )
    return fail(
        "GET /info/about answered %s: %s" % (status, about.get("error") or about.get("body_excerpt")),
        "Check that the RTVS broker (not another web server) listens on this port and read its log.",
    )


def check_interpreters(facts):
    if not _opt(facts, "credentials_given"):
        return skip("no credentials given (set rtvs_doctor_user and rtvs_doctor_password to log in)")
    interp = _probe(facts, "interpreters")
    if not interp or not _probe(facts, "tls", "ok"):
        return skip("no TLS connection, so /interpreters was not asked")
    if interp.get("skipped"):
        # tls_probe sends the login only over a connection that verified (or matched the pin).
        return (SKIP, "GET /interpreters as %s not asked: %s" % (interp.get("user"), interp["skipped"]),
                "Give rtvs_doctor_ca_file the CA bundle clients trust (and a certificate covering rtvs_fqdn), or set "
                "rtvs_doctor_pin_sha256 to the SHA-256 fingerprint of the broker's certificate read on the broker "
                "(openssl x509 -noout -fingerprint -sha256 -in <its certificate>).")
    status = interp.get("status")
    if status == 200 and interp.get("count"):
        return ok("GET /interpreters as %s: %d interpreter(s): %s" % (
            interp.get("user"), interp["count"], ", ".join(interp.get("names") or [])))
    installs = _broker(facts, "r_installs")
    if status == 200 and installs and not any(broker_rules.r_supported(i.get("version")) for i in installs):
        return (SKIP, "GET /interpreters as %s answered an empty list, as expected: no R in %s is installed"
                % (interp.get("user"), R_SUPPORTED_TEXT), "", "r_version")
    if status == 200:
        return fail(
            "GET /interpreters as %s answered an empty list" % interp.get("user"),
            "Install R %s registered with the package manager (Linux: r-base-core) and restart the broker."
            % R_SUPPORTED_TEXT,
        )
    if status in (401, 403):
        return fail(
            "GET /interpreters as %s answered %s" % (interp.get("user"), status),
            "Give the account a password, a home folder and membership of the allowed group; "
            "on Windows let NETWORK SERVICE read the private key and run seclogon.",
        )
    return fail(
        "GET /interpreters as %s answered %s %s" % (interp.get("user"), status, interp.get("api_error") or interp.get("error") or ""),
        "Read the broker log: 400 NoRInterpreters means no R %s was found." % R_SUPPORTED_TEXT,
    )
