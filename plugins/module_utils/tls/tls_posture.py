# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS posture of a broker: does it still accept TLS 1.0, TLS 1.1 or a weak cipher?

Pure Python (socket, ssl), no Ansible imports, no credentials: each probe is one
handshake that the controller offers with only the legacy protocol version (or
only weak cipher suites) and then closes; nothing is sent after the handshake.

The controller's OpenSSL 3 refuses to offer these by default (security level 1+,
Debian's MinProtocol = TLSv1.2), so the probes lower the security level to 0
and set the protocol range on the context. When the controller's OpenSSL cannot
offer a probe at all (built without TLS 1.0, or without any weak suite) the
result says so (``offered`` false) instead of claiming the broker refused it.

Result of :func:`posture` (one entry a probe)::

    {"tls1_0":      {"offered", "accepted", "version", "cipher", "error"},
     "tls1_1":      {...},
     "weak_cipher": {...}}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import ssl
import warnings

# Suites nobody should accept: no encryption, no authentication, export grade, RC4, (3)DES, MD5 MACs. Static
# RSA key exchange (no forward secrecy) is not counted: OpenSSL's DEFAULT still serves it at security level 2,
# so every stock broker would warn. Unknown tokens are ignored; what this OpenSSL cannot offer is left out.
WEAK_CIPHERS = "eNULL:aNULL:EXPORT:RC4:DES:3DES:MD5:@SECLEVEL=0"
LEGACY_CIPHERS = "ALL:@SECLEVEL=0"

PROBES = (
    ("tls1_0", "TLS 1.0"),
    ("tls1_1", "TLS 1.1"),
    ("weak_cipher", "a weak cipher suite"),
)


def _result(offered, accepted=False, version=None, cipher=None, error=None):
    return {"offered": offered, "accepted": accepted, "version": version, "cipher": cipher, "error": error}


def legacy_context(probe_id):
    """The client context for one probe, or raise ssl.SSLError/ValueError when this OpenSSL cannot offer it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1/1_1 are deprecated, on purpose here
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if probe_id == "weak_cipher":
            ctx.set_ciphers(WEAK_CIPHERS)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # TLS 1.3 suites cannot be made weak
        else:
            version = ssl.TLSVersion.TLSv1 if probe_id == "tls1_0" else ssl.TLSVersion.TLSv1_1
            ctx.set_ciphers(LEGACY_CIPHERS)
            ctx.minimum_version = version
            ctx.maximum_version = version
    if not ctx.get_ciphers():
        raise ssl.SSLError("no cipher suite to offer")
    return ctx


def _sni(name):
    if not name:
        return None
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in name else socket.AF_INET, name)
        return None  # no SNI for an IP address
    except (OSError, ValueError):
        return name


def _offer_failed(exc):
    """True when the handshake failed on the controller's side before the server could choose."""
    text = str(exc).lower()
    return any(s in text for s in ("no protocols available", "no ciphers available", "no cipher", "unsupported protocol"))


def try_handshake(address, port, name, probe_id, timeout=5.0):
    """One handshake offering only what probe_id names; never raises for network or TLS trouble."""
    try:
        ctx = legacy_context(probe_id)
    except (ssl.SSLError, ValueError) as exc:
        return _result(False, error="this controller's OpenSSL cannot offer it: %s" % (exc,))
    try:
        raw = socket.create_connection((address, port), timeout=timeout)
    except (OSError, socket.timeout) as exc:
        return _result(True, error="TCP connect failed: %s" % (exc,))
    try:
        with ctx.wrap_socket(raw, server_hostname=_sni(name)) as tls:
            cipher = tls.cipher()
            return _result(True, True, tls.version(), cipher[0] if cipher else None)
    except ssl.SSLError as exc:
        if _offer_failed(exc) and "alert" not in str(exc).lower():
            return _result(False, error="this controller's OpenSSL cannot offer it: %s" % (exc,))
        return _result(True, error=str(exc) or type(exc).__name__)
    except (OSError, socket.timeout) as exc:
        return _result(True, error=str(exc) or type(exc).__name__)
    finally:
        raw.close()


def posture(address, port, name=None, timeout=5.0):
    """Every legacy probe against address:port (the address the TLS 1.2 handshake already reached)."""
    return dict((probe_id, try_handshake(address, port, name, probe_id, timeout)) for probe_id, _label in PROBES)
