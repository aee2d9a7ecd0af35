# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and check X.509 certificates: the names a certificate covers (and the broker wants), formatting
(Windows Subject, fingerprints, summary), loading PEM, signatures, validity and serverAuth.

Pure Python on top of ``cryptography`` (no Ansible imports, no openssl binary), so unit tests and
controller-side plugins can use it directly; HAS_CRYPTOGRAPHY / CRYPTOGRAPHY_IMPORT_ERROR say whether it is
installed, for every tls/ file. Keys are in keys.py, issuing a certificate (and checking a provided
certificate or a CA) in issuing.py.

The broker (Windows and Linux) needs a certificate whose Subject is exactly ``CN=<fqdn>`` (the Windows
broker finds its certificate by comparing the full Subject string) and whose SubjectAltName lists the FQDN
plus any extra DNS names or IP addresses, with the serverAuth extended key usage.

Every refusal raises CertError whose message names the option at fault and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import re

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - exercised only without cryptography
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = _exc


class CertError(Exception):
    """Refusal: the message names the option and the fix."""


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


# ---------------------------------------------------------------- names


def parse_ip(name):
    """Return an ipaddress object when ``name`` is an IPv4/IPv6 literal, else None."""
    try:
        return ipaddress.ip_address(str(name).strip())
    except ValueError:
        return None


def wanted_names(fqdn, subject_alt_names=None):
    """Return (dns_names, ip_addresses) for the certificate, FQDN first, duplicates removed.

    DNS names compare case-insensitively and are stored lower-case; IP
    literals (v4 or v6) among the extra names become IP SAN entries.
    """
    fqdn = (fqdn or "").strip()
    if not fqdn or any(ch.isspace() for ch in fqdn):
        raise CertError("fqdn %r is not a host name; set fqdn to the name clients use, e.g. rtvs.example.com" % (fqdn,))
    dns, ips = [], []
    for raw in [fqdn] + list(subject_alt_names or []):
        name = str(raw).strip()
        if not name:
            raise CertError("subject_alt_names contains an empty entry; remove it")
        ip = parse_ip(name)
        if ip is not None:
            if ip not in ips:
                ips.append(ip)
            continue
        if any(ch.isspace() for ch in name) or "/" in name:
            raise CertError("subject_alt_names entry %r is neither a DNS name nor an IP address; fix or remove it" % name)
        try:
            name.encode("ascii")
        except UnicodeEncodeError:
            raise CertError("%r is not ASCII; give internationalized names in their IDNA form (xn--...)" % name)
        name = name.rstrip(".").lower()
        problem = dns_name_problem(name)
        if problem:
            raise CertError("%r is not a valid DNS name (%s); fix it, or give an IP address" % (str(raw).strip(), problem))
        if name not in dns:
            dns.append(name)
    if len(fqdn) > CN_MAX and parse_ip(fqdn) is None:
        raise CertError("fqdn %s is %d characters; the certificate's CN, which the broker and clients match, holds at "
                        "most %d. Use a shorter name for clients (a CNAME) and keep this one in subject_alt_names"
                        % (fqdn, len(fqdn), CN_MAX))
    return dns, ips


CN_MAX = 64
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def dns_name_problem(name):
    """Why ``name`` (lower-case, without a trailing dot) is not a host name for a certificate, or None."""
    if len(name) > 253:
        return "longer than 253 characters"
    labels = name.split(".")
    for index, label in enumerate(labels):
        if label == "*" and index == 0 and len(labels) > 2:
            continue  # a wildcard as the whole first label
        if not DNS_LABEL.match(label):
            return ("label %r: labels are 1-63 letters, digits and '-', not starting or ending with '-'" % label)
    if labels[-1].isdigit():
        return "its last label is all digits, like a mistyped IP address"
    return None


def certificate_names(cert):
    """Return (dns_names lower-case, ip_addresses) from the certificate's SubjectAltName."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    dns = [name.rstrip(".").lower() for name in san.get_values_for_type(x509.DNSName)]
    return dns, list(san.get_values_for_type(x509.IPAddress))


def common_name(cert):
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


def covers(cert, name):
    """True when the certificate's SAN (or, without a SAN, its CN) covers ``name`` (broker_rules.name_covered)."""
    dns, ips = certificate_names(cert)
    return broker_rules.name_covered(name, dns, ips, common_name(cert))


# ---------------------------------------------------------------- formatting

# Attribute short names as Windows' X500DistinguishedName prints them (X509Certificate2.Subject).
_WINDOWS_RDN_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "SERIALNUMBER",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "S",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "T",
    "2.5.4.42": "G",
    "1.2.840.113549.1.9.1": "E",
    "0.9.2342.19200300.100.1.25": "DC",
}


def _windows_value(value):
    value = str(value)
    if value == "" or value != value.strip() or any(ch in value for ch in ',+="<>#;\n'):
        return '"%s"' % value.replace('"', '""')
    return value


def windows_name(name):
    """Format an x509.Name the way Windows prints X509Certificate2.Subject: 'CN=a, O=b'."""
    parts = []
    for rdn in reversed(list(name.rdns)):
        attrs = []
        for attr in rdn:
            label = _WINDOWS_RDN_NAMES.get(attr.oid.dotted_string, "OID.%s" % attr.oid.dotted_string)
            attrs.append("%s=%s" % (label, _windows_value(attr.value)))
        parts.append(" + ".join(attrs))
    return ", ".join(parts)


def _hex(digest, sep):
    return sep.join("%02X" % b for b in bytearray(digest))


def fingerprint_sha256(cert):
    """SHA-256 of the DER, 'AB:CD:...' as `openssl x509 -fingerprint -sha256` prints it."""
    return _hex(cert.fingerprint(hashes.SHA256()), ":")


def thumbprint_sha1(cert):
    """SHA-1 of the DER in upper-case hex without separators: Windows' certificate Thumbprint."""
    return _hex(cert.fingerprint(hashes.SHA1()), "")  # nosec - identification only, as Windows does


def iso(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_self_signed(cert):
    if cert.issuer != cert.subject:
        return False
    return signed_by(cert, cert)


def not_before(cert):
    """Start of validity as an aware UTC datetime (cryptography < 42 has only the naive attribute)."""
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def not_after(cert):
    """End of validity as an aware UTC datetime (cryptography < 42 has only the naive attribute)."""
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _verify_signature(cert, issuer_cert):
    """Signature check for cryptography < 40, which lacks verify_directly_issued_by (RSA and EC issuers)."""
    public_key = issuer_cert.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    else:
        raise UnsupportedAlgorithm("issuer key type %s" % type(public_key).__name__)


def signed_by(cert, issuer_cert):
    """True when ``issuer_cert``'s key verifies ``cert``'s signature."""
    if cert.issuer != issuer_cert.subject:
        return False
    try:
        if hasattr(cert, "verify_directly_issued_by"):
            cert.verify_directly_issued_by(issuer_cert)
        else:
            _verify_signature(cert, issuer_cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def summary(cert):
    """What modules return about a certificate; contains nothing secret."""
    dns, ips = certificate_names(cert)
    return {
        "fingerprint_sha256": fingerprint_sha256(cert),
        "thumbprint_sha1": thumbprint_sha1(cert),
        "not_before": iso(not_before(cert)),
        "not_after": iso(not_after(cert)),
        "subject": windows_name(cert.subject),
        "subject_alt_names": dns + [str(ip) for ip in ips],
        "issuer": windows_name(cert.issuer),
        "self_signed": is_self_signed(cert),
        "serial_number": "%X" % cert.serial_number,
    }


# ---------------------------------------------------------------- loading


def _pem_blocks(data, label):
    begin = ("-----BEGIN %s-----" % label).encode()
    return data.count(begin) if isinstance(data, bytes) else 0


def _as_bytes(data):
    if data is None:
        return None
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


def load_certificates(data, option):
    """Every certificate in a PEM text (leaf first, as written). Refuses empty or malformed input."""
    data = _as_bytes(data)
    if not data or _pem_blocks(data, "CERTIFICATE") == 0:
        raise CertError(
            "%s holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' block); "
            "point %s at a PEM certificate (convert DER with: openssl x509 -inform der -in FILE -out FILE.pem)"
            % (option, option)
        )
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CertError("%s is a malformed PEM certificate (%s); replace it with an intact copy" % (option, exc))
    return certs


def load_certificate(data, option):
    return load_certificates(data, option)[0]


def certs_pem(certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


# ---------------------------------------------------------------- validation


def has_server_auth(cert):
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True  # no EKU extension means any usage
    return ExtendedKeyUsageOID.SERVER_AUTH in eku or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku


def _days_left(cert, now):
    return (not_after(cert) - now).total_seconds() / 86400.0


def check_validity(cert, option, now=None):
    now = now or utcnow()
    if not_before(cert) > now:
        raise CertError(
            "%s is not valid before %s (now %s); fix the host clock or issue a certificate valid now"
            % (option, iso(not_before(cert)), iso(now))
        )
    if not_after(cert) <= now:
        raise CertError("%s expired on %s; renew it and point %s at the new certificate" % (option, iso(not_after(cert)), option))
