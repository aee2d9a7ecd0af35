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
    interpreters: {user, status, count, names, api_error, error} or None
    posture:      tls_posture.posture() (TLS 1.0, TLS 1.1, weak cipher) or None
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import socket
import ssl

try:
    import http.client as http_client
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    import httplib as http_client

from ansible_collections.rtvs.remote.plugins.module_utils import certs, tls_posture

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


def http_get(address, port, name, path, authorization, timeout):
    """GET over TLS without verification (trust is judged separately); returns (status, headers, body bytes)."""
    tls_sock = _wrap(address, port, name, _context(False), timeout)
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


def probe(name, port=5444, address=None, ca_file=None, timeout=5.0, user=None, password=None, now=None):
    """Run every step that the previous one allows; never raises for network or TLS trouble."""
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
        verified = _wrap(target, port, name, _context(True, ca_file), timeout)
        verified.close()
        result["trust"] = {"ok": True, "store": store, "error": None}
    except ssl.SSLCertVerificationError as exc:
        result["trust"] = {"ok": False, "store": store, "error": _error_text(exc)}
    except (ssl.SSLError, OSError) as exc:
        result["trust"] = {"ok": False, "store": store, "error": _error_text(exc)}

    # Legacy protocol versions and weak suites: one handshake each, nothing sent (tls_posture.py).
    result["posture"] = tls_posture.posture(target, port, name, timeout)

    # /info/about skips the credential check but still needs some Basic header.
    result["about"] = _api_get(target, port, name, "/info/about", _basic(ABOUT_USER, ABOUT_USER), timeout)
    if user:
        answer = _api_get(target, port, name, "/interpreters", _basic(user, password or ""), timeout)
        items = answer.pop("json", None)
        names = []
        if isinstance(items, list):
            names = [str(i.get("name") or i.get("id")) for i in items if isinstance(i, dict)]
        answer.update({"user": user, "count": len(items) if isinstance(items, list) else 0, "names": names})
        result["interpreters"] = answer
    return result


def _api_get(address, port, name, path, authorization, timeout):
    try:
        status, headers, body = http_get(address, port, name, path, authorization, timeout)
    except (http_client.HTTPException, ssl.SSLError, OSError, socket.timeout) as exc:
        return {"status": None, "json": None, "www_authenticate": None, "api_error": None,
                "body_excerpt": None, "error": _error_text(exc)}
    return {
        "status": status,
        "json": _parse_json(body),
        "www_authenticate": headers.get("www-authenticate"),
        "api_error": headers.get("rtvs-broker-api-error"),
        "body_excerpt": _excerpt(body) if status != 200 else None,
        "error": None,
    }
