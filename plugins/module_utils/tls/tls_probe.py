# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Look at an RTVS broker the way a client does: name, TCP, TLS 1.2, certificate, /info/about.

Pure Python (socket, ssl, http.client; ``cryptography`` through certs.py for
the certificate), no Ansible imports. Read-only: it opens connections and
sends GET requests, nothing else. Credentials are only used to build the
Authorization header and are never part of the result.

Result shape (every section present; ``ok`` false with ``error`` when a step failed)::

    name, port, address_given,
    resolve:      {ok, addresses, error}
    tcp:          {ok, address, error}
    tls:          {ok, version, cipher, error}
    certificate:  certs.summary() + {covers_name, expired, days_left} or None
    trust:        {ok, store, error} or None
    about:        {status, json, www_authenticate, api_error, body_excerpt, error} or None
    interpreters: {user, status, count, names, api_error, error, credentials_sent, channel, skipped} or None
    posture:      tls_posture.posture() (TLS 1.0, TLS 1.1, weak cipher) or None

Credentials (the Basic header of ``/interpreters``, a real login) are sent only over a
connection that proved who answers, in that same connection: the chain verified against the
CA file or the system store AND the certificate covers ``name``, or, when the user pinned a
SHA-256 fingerprint, the served leaf certificate has exactly that fingerprint. Otherwise the
request is not made and ``interpreters.skipped`` says why. ``/info/about`` carries no secret
(a fixed placeholder login) and is asked over the unverified connection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import json
import re
import socket
import ssl

try:
    import http.client as http_client
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    import httplib as http_client

from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, tls_posture

try:
    from cryptography import x509

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False

BODY_LIMIT = 65536
ABOUT_USER = "rtvs-doctor"


def _error_text(exc):
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "%s (verify code %s)" % (exc.verify_message, exc.verify_code)
    if isinstance(exc, socket.timeout):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return text


def resolve(name, port):
    """(ok, [addresses], error) for the name, in getaddrinfo order, duplicates removed."""
    try:
        infos = socket.getaddrinfo(name, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return {"ok": False, "addresses": [], "error": _error_text(exc)}
    addresses = []
    for info in infos:
        addr = info[4][0]
        if addr not in addresses:
            addresses.append(addr)
    return {"ok": True, "addresses": addresses, "error": None}


def _context(verify, ca_file=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The RTVS client forces TLS 1.2 and the broker (Kestrel) serves TLS 1.2 only.
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False  # names are compared by certs.covers(), and reported, not enforced
    if verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if ca_file:
            ctx.load_verify_locations(cafile=ca_file)
        else:
            ctx.load_default_certs()
    else:
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def trust_store_name(ca_file=None):
    if ca_file:
        return "CA file %s" % ca_file
    paths = ssl.get_default_verify_paths()
    where = paths.cafile or paths.capath or paths.openssl_cafile or "OpenSSL default"
    return "system store (%s)" % where


def _sni(name):
    return None if certs.parse_ip(name) is not None else name


def _wrap(address, port, name, ctx, timeout):
    raw = socket.create_connection((address, port), timeout=timeout)
    try:
        return ctx.wrap_socket(raw, server_hostname=_sni(name))
    except Exception:
        raw.close()
        raise


def _basic(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
    return "Basic " + token


PIN_HEX = re.compile(r"^[0-9a-f]{64}$")


def normalize_pin(text):
    """A SHA-256 fingerprint as the user may write it ('AB:CD:...', 'abcd...', 'sha256:AB CD ...')
    to 64 lowercase hex digits, or None when it is not one."""
    if text is None:
        return None
    value = str(text).strip().lower()
    if value.startswith("sha256:") or value.startswith("sha256/"):
        value = value[7:]
    value = re.sub(r"[\s:]", "", value)
    return value if PIN_HEX.match(value) else None


def der_sha256(der):
    return hashlib.sha256(der).hexdigest()


def colon_hex(hexdigest):
    return ":".join(hexdigest[i:i + 2] for i in range(0, len(hexdigest), 2)).upper()


def http_get(address, port, name, path, authorization, timeout):
    """GET over TLS without verification (trust is judged separately); returns (status, headers, body bytes).

    Never give it a real credential: it does not know who answers. See authenticated_get().
    """
    tls_sock = _wrap(address, port, name, _context(False), timeout)
    return _request(tls_sock, port, name, path, authorization, timeout)


class NotAuthenticated(Exception):
    """The connection did not prove who answers; the message says why (no secret in it)."""


def verified_connection(address, port, name, ca_file, pin_sha256, timeout):
    """A TLS socket whose peer proved its identity, and how: (socket, channel text).

    With ``pin_sha256`` (normalized hex) the served leaf must have that SHA-256 fingerprint;
    without it the chain must verify against ``ca_file`` (or the system store) and the
    certificate must cover ``name``. Raises NotAuthenticated otherwise. Everything is decided on
    this one connection, the one the credentials then go over.
    """
    store = trust_store_name(ca_file)
    try:
        tls_sock = _wrap(address, port, name, _context(not pin_sha256, ca_file), timeout)
    except ssl.SSLCertVerificationError as exc:
        raise NotAuthenticated("the certificate did not verify against %s: %s" % (store, _error_text(exc)))
    except (ssl.SSLError, OSError) as exc:
        raise NotAuthenticated("no verified TLS connection (%s)" % _error_text(exc))
    try:
        der = tls_sock.getpeercert(binary_form=True)
        if not der:
            raise NotAuthenticated("the server sent no certificate")
        if pin_sha256:
            served = der_sha256(der)
            if not hmac.compare_digest(served, pin_sha256):
                raise NotAuthenticated("the served certificate's SHA-256 fingerprint %s does not match the pinned %s"
                                       % (colon_hex(served), colon_hex(pin_sha256)))
            return tls_sock, "pinned SHA-256 fingerprint %s" % colon_hex(served)
        cert = x509.load_der_x509_certificate(der)
        if not certs.covers(cert, name):
            dns, ips = certs.certificate_names(cert)
            names = ", ".join(dns + [str(ip) for ip in ips]) or "no SubjectAltName"
            raise NotAuthenticated("the certificate verified against %s but does not cover %s (it names %s)"
                                   % (store, name, names))
        return tls_sock, "chain and name %s verified against %s" % (name, store)
    except BaseException:
        tls_sock.close()
        raise


def authenticated_get(address, port, name, path, authorization, timeout, ca_file=None, pin_sha256=None):
    """GET with a real credential, only over verified_connection(); returns (status, headers, body, channel).

    Raises NotAuthenticated (nothing was sent) when the connection did not prove who answers.
    """
    tls_sock, channel = verified_connection(address, port, name, ca_file, pin_sha256, timeout)
    status, headers, body = _request(tls_sock, port, name, path, authorization, timeout)
    return status, headers, body, channel


def _request(tls_sock, port, name, path, authorization, timeout):
    conn = http_client.HTTPSConnection(name, port, timeout=timeout, context=_context(False))
    conn.sock = tls_sock
    try:
        conn.request("GET", path, headers={"Authorization": authorization, "Accept": "application/json"})
        response = conn.getresponse()
        body = response.read(BODY_LIMIT)
        headers = dict((k.lower(), v) for k, v in response.getheaders())
        return response.status, headers, body
    finally:
        conn.close()


def _parse_json(body):
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return None


def _excerpt(body, limit=200):
    return body[:limit].decode("utf-8", "replace")


def certificate_facts(der, name, now=None):
    cert = x509.load_der_x509_certificate(der)
    now = now or certs.utcnow()
    facts = certs.summary(cert)
    days = (certs.not_after(cert) - now).total_seconds() / 86400.0
    facts.update({
        "covers_name": certs.covers(cert, name),
        "expired": days <= 0,
        "days_left": int(days),
    })
    return facts


class _NotAsked(Exception):
    """The caller did not ask for this step."""


def probe(name, port=5444, address=None, ca_file=None, timeout=5.0, user=None, password=None, now=None,
          pin_sha256=None, posture=True, verify=True):
    """Run every step that the previous one allows; never raises for network or TLS trouble.

    ``posture=False`` leaves out the legacy-protocol and weak-cipher handshakes, ``verify=False`` the handshake that
    verifies the chain (``trust`` is then null): the role's health check of a converged host without a CA.

    ``pin_sha256``: SHA-256 fingerprint of the broker's certificate (any form normalize_pin()
    takes); when given, credentials go only to a server presenting exactly that certificate.
    """
    pin = normalize_pin(pin_sha256) if pin_sha256 else None
    if pin_sha256 and not pin:
        raise ValueError("pin_sha256 is not a SHA-256 fingerprint (64 hex digits, colons allowed)")
    result = {
        "name": name,
        "port": port,
        "address_given": bool(address),
        "resolve": resolve(name, port),
        "tcp": {"ok": False, "address": address, "error": None},
        "tls": {"ok": False, "version": None, "cipher": None, "error": None},
        "certificate": None,
        "trust": None,
        "about": None,
        "interpreters": None,
        "posture": None,
    }
    candidates = [address] if address else result["resolve"]["addresses"]
    if not candidates:
        result["tcp"]["error"] = "no address to connect to"
        return result

    # TCP: the first address that accepts a connection is used for everything else.
    errors = []
    for candidate in candidates:
        try:
            sock = socket.create_connection((candidate, port), timeout=timeout)
        except (OSError, socket.timeout) as exc:
            errors.append("%s: %s" % (candidate, _error_text(exc)))
            continue
        sock.close()
        result["tcp"] = {"ok": True, "address": candidate, "error": None}
        break
    else:
        result["tcp"] = {"ok": False, "address": candidates[0], "error": "; ".join(errors)}
        return result
    target = result["tcp"]["address"]

    # TLS 1.2 without verification: does the broker complete a handshake at all, and with what certificate?
    try:
        tls_sock = _wrap(target, port, name, _context(False), timeout)
    except (ssl.SSLError, OSError, socket.timeout) as exc:
        result["tls"]["error"] = _error_text(exc)
        return result
    try:
        der = tls_sock.getpeercert(binary_form=True)
        cipher = tls_sock.cipher()
        result["tls"] = {"ok": True, "version": tls_sock.version(), "cipher": cipher[0] if cipher else None, "error": None}
    finally:
        tls_sock.close()
    if der:
        result["certificate"] = certificate_facts(der, name, now)
    else:
        result["tls"] = {"ok": False, "version": None, "cipher": None, "error": "the server sent no certificate"}
        return result

    # Trust: a second handshake that verifies the chain against the CA file or the system store.
    store = trust_store_name(ca_file)
    try:
        if not verify:
            raise _NotAsked()
        verified = _wrap(target, port, name, _context(True, ca_file), timeout)
        verified.close()
        result["trust"] = {"ok": True, "store": store, "error": None}
    except ssl.SSLCertVerificationError as exc:
        result["trust"] = {"ok": False, "store": store, "error": _error_text(exc)}
    except (ssl.SSLError, OSError) as exc:
        result["trust"] = {"ok": False, "store": store, "error": _error_text(exc)}
    except _NotAsked:
        pass

    # Legacy protocol versions and weak suites: one handshake each, nothing sent (tls_posture.py).
    if posture:
        result["posture"] = tls_posture.posture(target, port, name, timeout)

    # /info/about skips the credential check but still needs some Basic header.
    result["about"] = _api_get(target, port, name, "/info/about", _basic(ABOUT_USER, ABOUT_USER), timeout)
    if user:
        answer = _api_get(target, port, name, "/interpreters", _basic(user, password or ""), timeout,
                          authenticated=True, ca_file=ca_file, pin_sha256=pin)
        items = answer.pop("json", None)
        names = []
        if isinstance(items, list):
            names = [str(i.get("name") or i.get("id")) for i in items if isinstance(i, dict)]
        answer.update({"user": user, "count": len(items) if isinstance(items, list) else 0, "names": names})
        result["interpreters"] = answer
    return result


def _api_get(address, port, name, path, authorization, timeout, authenticated=False, ca_file=None, pin_sha256=None):
    extra = {}
    try:
        if authenticated:
            extra = {"credentials_sent": False, "channel": None, "skipped": None}
            status, headers, body, channel = authenticated_get(address, port, name, path, authorization, timeout,
                                                               ca_file=ca_file, pin_sha256=pin_sha256)
            extra.update(credentials_sent=True, channel=channel)
        else:
            status, headers, body = http_get(address, port, name, path, authorization, timeout)
    except NotAuthenticated as exc:
        extra["skipped"] = "credentials not sent: %s" % exc
        return dict({"status": None, "json": None, "www_authenticate": None, "api_error": None,
                     "body_excerpt": None, "error": None}, **extra)
    except (http_client.HTTPException, ssl.SSLError, OSError, socket.timeout) as exc:
        return dict({"status": None, "json": None, "www_authenticate": None, "api_error": None,
                     "body_excerpt": None, "error": _error_text(exc)}, **extra)
    return dict(extra, **{
        "status": status,
        "json": _parse_json(body),
        "www_authenticate": headers.get("www-authenticate"),
        "api_error": headers.get("rtvs-broker-api-error"),
        "body_excerpt": _excerpt(body) if status != 200 else None,
        "error": None,
    })


class ProbeRefused(Exception):
    """An option the probe cannot work with; the message names it and the fix."""


def run(params, check_mode=False):
    """The tls_probe module: check the options, probe the broker; return the module result (read-only, check mode
    is the same)."""
    del check_mode
    if not 1 <= params["port"] <= 65535:
        raise ProbeRefused("port %s is out of range; use the broker port, 1-65535 (default 5444)" % params["port"])
    if params["ca_file"]:
        try:
            with open(params["ca_file"], "rb") as handle:
                holds_pem = b"-----BEGIN CERTIFICATE-----" in handle.read()
        except (IOError, OSError) as exc:
            raise ProbeRefused("ca_file %s cannot be read (%s); point ca_file at a readable PEM file" % (params["ca_file"], exc))
        if not holds_pem:
            raise ProbeRefused("ca_file %s holds no PEM certificate; point ca_file at the PEM CA bundle clients trust"
                               % params["ca_file"])
    if params["password"] and not params["user"]:
        raise ProbeRefused("password is given without user; set user to the account to log in with")
    timeout = params["timeout"]
    if not timeout > 0 or timeout == float("inf"):
        raise ProbeRefused("timeout %s is not a positive number of seconds; use for example 5" % timeout)
    pin = params.get("pin_sha256")
    if pin and not normalize_pin(pin):
        raise ProbeRefused("pin_sha256 is not a SHA-256 fingerprint; give the 64 hex digits (colons allowed) that "
                           "openssl x509 -noout -fingerprint -sha256 -in <broker certificate> prints")
    result = probe(
        params["name"], params["port"], address=params["address"], ca_file=params["ca_file"],
        timeout=timeout, user=params["user"], password=params["password"], pin_sha256=pin or None,
    )
    return dict(changed=False, probe=result)


# The tls_probe module: its logic, refusals and library (module and action plugin run this).
ENTRY = module_runner.Entry(
    "tls_probe", run, refusals=(ProbeRefused,),
    libraries=["cryptography"],
)
