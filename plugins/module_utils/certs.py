# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build, load and validate the broker's RSA key and X.509 server certificate.

Pure Python on top of ``cryptography`` (no Ansible imports, no openssl
binary), so unit tests and controller-side plugins can use it directly.

The broker (Windows and Linux) needs:
- an RSA key (its .NET runtime predates ECDSA support in SslStream on some
  systems), at least 2048 bits;
- a certificate whose Subject is exactly ``CN=<fqdn>`` (the Windows broker
  finds its certificate by comparing the full Subject string) and whose
  SubjectAltName lists the FQDN plus any extra DNS names or IP addresses;
- the serverAuth extended key usage.

Every refusal raises CertError whose message names the option at fault and
the fix. Messages never contain key material.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import os
import re

from ansible_collections.rtvs.remote.plugins.module_utils import broker_rules, fileio, password_rules

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

MIN_KEY_SIZE = 2048
# Backdate notBefore a little so a client whose clock runs slightly behind still accepts a fresh certificate.
CLOCK_SKEW = datetime.timedelta(minutes=5)


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


_LOADED_KEYS = {}  # (PEM bytes, passphrase) -> key object, for this process only


def load_private_key(data, option, passphrase=None, check_strength=True):
    """Load a PEM private key; refuse malformed input, a wrong passphrase, or (check_strength) a weak/non-RSA key."""
    data = _as_bytes(data)
    if not data or b"PRIVATE KEY-----" not in data:
        raise CertError(
            "%s holds no PEM private key (no '-----BEGIN ... PRIVATE KEY-----' block); point %s at the PEM key file"
            % (option, option)
        )
    password = _as_bytes(passphrase) if passphrase else None
    # one process often loads the same key more than once (broker_certificate, then pfx, in the role's plan step);
    # loading an RSA key checks it, which costs more than the rest of an idempotence check
    key = _LOADED_KEYS.get((data, password))
    if key is not None:
        if check_strength:
            check_key_strength(key, option)
        return key
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        if password is None:
            raise CertError("%s is encrypted; give its passphrase in the matching *_passphrase option" % option)
        raise CertError("%s is not encrypted; remove the passphrase option for it" % option)
    except ValueError:
        if password is not None:
            raise CertError(
                "%s could not be decrypted or parsed; check its passphrase option and that the file is an intact PEM key"
                % option
            )
        raise CertError("%s is a malformed PEM private key; replace it with an intact copy" % option)
    except UnsupportedAlgorithm:
        raise CertError("%s uses an unsupported key algorithm; use an RSA key" % option)
    if len(_LOADED_KEYS) >= 4:
        _LOADED_KEYS.clear()
    _LOADED_KEYS[(data, password)] = key
    if check_strength:
        check_key_strength(key, option)
    return key


def check_key_strength(key, option, min_bits=MIN_KEY_SIZE):
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertError(
            "%s is a %s key; the RTVS broker's .NET runtime needs RSA: use an RSA key of %d bits or more"
            % (option, type(key).__name__.replace("_", "").replace("PrivateKey", ""), min_bits)
        )
    if key.key_size < min_bits:
        raise CertError(
            "%s is an RSA key of %d bits, too weak; use at least %d bits (openssl genrsa %d)"
            % (option, key.key_size, min_bits, min_bits)
        )


def key_matches(cert, key):
    return cert.public_key().public_numbers() == key.public_key().public_numbers()


def same_private_key(a, b):
    return a.private_numbers() == b.private_numbers()


def key_pem(key):
    """Unencrypted PKCS#8 PEM: the file the broker's tooling (and openssl) reads."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certs_pem(certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


# ---------------------------------------------------------------- building


def generate_key(key_size=MIN_KEY_SIZE):
    if key_size < MIN_KEY_SIZE:
        raise CertError("key_size %d is too weak; use %d or more" % (key_size, MIN_KEY_SIZE))
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _signature_hash():
    return hashes.SHA256()


def build_certificate(key, fqdn, subject_alt_names=None, valid_days=365, issuer_cert=None, issuer_key=None, now=None):
    """Issue a server certificate for ``fqdn``: self-signed, or signed by issuer_cert/issuer_key."""
    now = now or utcnow()
    dns, ips = wanted_names(fqdn, subject_alt_names)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn.strip())])
    expires = now + datetime.timedelta(days=valid_days)
    if issuer_cert is not None and expires > not_after(issuer_cert):
        expires = not_after(issuer_cert)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(expires)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=True,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns] + [x509.IPAddress(ip) for ip in ips]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False
        )
    return builder.sign(issuer_key if issuer_key is not None else key, _signature_hash())


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


def validate_provided(certs, key, fqdn, subject_alt_names=None, now=None, cert_option="provided_certificate", key_option="provided_privatekey"):
    """Refuse a user-supplied certificate/key that the broker cannot serve for ``fqdn``.

    Returns a list of warnings (for example: CN differs from the FQDN, which the
    Windows broker's default Subject lookup would not find).
    """
    now = now or utcnow()
    leaf = certs[0]
    dns, ips = wanted_names(fqdn, subject_alt_names)
    missing = [n for n in dns + [str(ip) for ip in ips] if not covers(leaf, n)]
    if missing:
        have_dns, have_ips = certificate_names(leaf)
        raise CertError(
            "%s does not cover %s (it names %s); issue a certificate whose SubjectAltName includes them, "
            "or correct fqdn/subject_alt_names"
            % (cert_option, ", ".join(missing), ", ".join(have_dns + [str(i) for i in have_ips]) or "no SubjectAltName")
        )
    check_validity(leaf, cert_option, now)
    check_key_strength(key, key_option)
    if not key_matches(leaf, key):
        raise CertError(
            "%s does not belong to %s (their public keys differ); give the key the certificate was issued for"
            % (key_option, cert_option)
        )
    if not has_server_auth(leaf):
        raise CertError(
            "%s lacks the serverAuth extended key usage, so TLS clients reject it; issue it with extendedKeyUsage=serverAuth"
            % cert_option
        )
    warnings = []
    if leaf.subject != x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn.strip())]):
        warnings.append(
            "%s has Subject %r, not 'CN=%s'; the Windows broker finds its certificate by exact Subject, "
            "so set X509CertificateName to %r there" % (cert_option, windows_name(leaf.subject), fqdn, windows_name(leaf.subject))
        )
    return warnings


def validate_ca(ca_cert, ca_key, renew_before_days, now=None):
    """Refuse a CA that cannot issue: not a CA, key mismatch, expired or about to expire."""
    now = now or utcnow()
    try:
        bc = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = bc.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise CertError(
            "ca_certificate_path is not a CA certificate (basicConstraints CA:TRUE missing); point it at the issuing CA"
        )
    if not key_matches(ca_cert, ca_key):
        raise CertError("ca_privatekey_path does not belong to ca_certificate_path; give the CA's own key")
    check_validity(ca_cert, "ca_certificate_path", now)
    if _days_left(ca_cert, now) < renew_before_days:
        raise CertError(
            "ca_certificate_path expires on %s, within renew_before_days (%d); renew the CA first"
            % (iso(not_after(ca_cert)), renew_before_days)
        )


def names_outside_constraints(ca_cert, dns_names):
    """DNS names a CA certificate's nameConstraints do not permit ([] when it has none). IPs are not constrained here."""
    try:
        nc = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return []
    permitted = [n.value.lower().lstrip(".") for n in (nc.permitted_subtrees or []) if isinstance(n, x509.DNSName)]
    excluded = [n.value.lower().lstrip(".") for n in (nc.excluded_subtrees or []) if isinstance(n, x509.DNSName)]

    def within(name, domain):
        return name == domain or name.endswith("." + domain)

    return [n for n in dns_names
            if (permitted and not any(within(n, d) for d in permitted)) or any(within(n, d) for d in excluded)]


def regenerate_reasons(cert, key, fqdn, subject_alt_names, renew_before_days, key_size=MIN_KEY_SIZE, issuer_cert=None, now=None):
    """Why an existing certificate/key pair must be reissued ([] = keep it).

    ``cert``/``key`` are None when missing. ``issuer_cert`` None means the
    certificate should be self-signed.
    """
    now = now or utcnow()
    if key is None:
        return ["private key missing"] + ([] if cert is not None else ["certificate missing"])
    reasons = []
    if not isinstance(key, rsa.RSAPrivateKey):
        reasons.append("private key is not RSA")
        return reasons + ([] if cert is not None else ["certificate missing"])
    if key.key_size < key_size:
        reasons.append("private key has %d bits, key_size wants %d" % (key.key_size, key_size))
    if cert is None:
        return reasons + ["certificate missing"]
    dns, ips = wanted_names(fqdn, subject_alt_names)
    if common_name(cert) != fqdn.strip() or len(cert.subject) != 1:
        reasons.append("subject is %r, wanted 'CN=%s'" % (windows_name(cert.subject), fqdn.strip()))
    have_dns, have_ips = certificate_names(cert)
    if sorted(have_dns) != sorted(dns) or sorted(map(str, have_ips)) != sorted(map(str, ips)):
        reasons.append(
            "subject alternative names are [%s], wanted [%s]"
            % (", ".join(have_dns + [str(i) for i in have_ips]), ", ".join(dns + [str(i) for i in ips]))
        )
    if not key_matches(cert, key):
        reasons.append("certificate does not match the private key")
    if not has_server_auth(cert):
        reasons.append("certificate lacks serverAuth extended key usage")
    if issuer_cert is None:
        if not is_self_signed(cert):
            reasons.append("certificate is not self-signed (source selfsigned)")
    elif not signed_by(cert, issuer_cert):
        reasons.append("certificate is not signed by ca_certificate_path")
    if not_before(cert) > now:
        reasons.append("certificate is not valid before %s" % iso(not_before(cert)))
    days = _days_left(cert, now)
    if days < renew_before_days:
        reasons.append(
            "certificate expires on %s, %.1f days left, fewer than renew_before_days (%d)"
            % (iso(not_after(cert)), max(days, 0.0), renew_before_days)
        )
    return reasons


# ---------------------------------------------------------------- planning (what a module run does)


class Plan(object):
    """Outcome of deciding a run: what to write and why. Holds key bytes: never log it."""

    def __init__(self):
        self.reasons = []
        self.warnings = []
        self.key = None
        self.certs = []
        self.key_pem = None  # bytes to write to privatekey_path, or None to leave it
        self.cert_pem = None  # bytes to write to path, or None to leave it

    @property
    def cert(self):
        return self.certs[0] if self.certs else None


def _load_existing(data, loader, option, force, reasons):
    """Parse a file this module manages; unreadable content is refused unless force."""
    if data is None:
        return None
    try:
        return loader(data)
    except CertError as exc:
        if not force:
            raise CertError("%s; it is not replaced without force: true (or remove the file)" % exc)
        reasons.append("%s is unreadable and force is set" % option)
        return None


def plan_issued(existing_cert, existing_key, fqdn, subject_alt_names=None, key_size=MIN_KEY_SIZE, valid_days=365,
                renew_before_days=30, force=False, ca_cert=None, ca_key=None, now=None):
    """Decide the run for source selfsigned (ca_cert None) or ca. ``existing_*`` are file bytes or None."""
    now = now or utcnow()
    check_settings(key_size, valid_days, renew_before_days)
    wanted_names(fqdn, subject_alt_names)
    if ca_cert is not None:
        validate_ca(ca_cert, ca_key, renew_before_days, now)
        outside = names_outside_constraints(ca_cert, wanted_names(fqdn, subject_alt_names)[0])
        if outside:
            raise CertError(
                "%s outside the domains the CA may vouch for (its name constraints); use names under those domains "
                "in fqdn/subject_alt_names, or a CA without constraints" % ", ".join(outside)
            )
    plan = Plan()
    early = []
    key = _load_existing(existing_key, lambda d: load_private_key(d, "privatekey_path", check_strength=False),
                         "privatekey_path", force, early)
    certs = _load_existing(existing_cert, lambda d: load_certificates(d, "path"), "path", force, early)
    cert = certs[0] if certs else None
    reasons = regenerate_reasons(cert, key, fqdn, subject_alt_names, renew_before_days, key_size, ca_cert, now)
    if force:
        reasons = ["force is set"] + reasons
    plan.reasons = early + [r for r in reasons if r not in early]
    if not plan.reasons:
        plan.key, plan.certs = key, certs
        return plan
    reuse_key = (
        not force
        and isinstance(key, rsa.RSAPrivateKey)
        and key.key_size >= key_size
    )
    if reuse_key:
        plan.key = key
    else:
        plan.key = generate_key(key_size)
        plan.key_pem = key_pem(plan.key)
    plan.certs = [build_certificate(plan.key, fqdn, subject_alt_names, valid_days, ca_cert, ca_key, now)]
    plan.cert_pem = certs_pem(plan.certs)
    return plan


def plan_provided(existing_cert, existing_key, provided_cert, provided_key, fqdn, subject_alt_names=None,
                  passphrase=None, cert_option="provided_certificate_path", key_option="provided_privatekey_path",
                  renew_before_days=30, now=None):
    """Decide the run for source provided: validate, then install only what differs. Never regenerates."""
    now = now or utcnow()
    certs = load_certificates(provided_cert, cert_option)
    key = load_private_key(provided_key, key_option, passphrase)
    plan = Plan()
    plan.warnings = validate_provided(certs, key, fqdn, subject_alt_names, now, cert_option, key_option)
    days = _days_left(certs[0], now)
    plan.key, plan.certs = key, certs
    try:
        have_key = load_private_key(existing_key, "privatekey_path", check_strength=False) if existing_key else None
    except CertError:
        have_key = None
    try:
        have_certs = load_certificates(existing_cert, "path") if existing_cert else None
    except CertError:
        have_certs = None
    if have_key is None or not isinstance(have_key, rsa.RSAPrivateKey) or not same_private_key(have_key, key):
        plan.reasons.append("private key missing" if existing_key is None else "private key differs from %s" % key_option)
        plan.key_pem = key_pem(key)
    want = [c.public_bytes(serialization.Encoding.DER) for c in certs]
    have = [c.public_bytes(serialization.Encoding.DER) for c in have_certs] if have_certs else None
    if have != want:
        plan.reasons.append("certificate missing" if existing_cert is None else "certificate differs from %s" % cert_option)
        plan.cert_pem = certs_pem(certs)
    if days < renew_before_days:
        plan.warnings.append(
            "%s expires on %s (%.1f days left, fewer than renew_before_days %d); supply a renewed certificate"
            % (cert_option, iso(not_after(certs[0])), days, renew_before_days)
        )
    return plan


MAX_KEY_SIZE = 16384
MAX_VALID_DAYS = 36500


def check_settings(key_size, valid_days, renew_before_days):
    if key_size < MIN_KEY_SIZE:
        raise CertError("key_size %d is too weak; use %d or more" % (key_size, MIN_KEY_SIZE))
    if key_size > MAX_KEY_SIZE:
        raise CertError("key_size %d would take very long to generate and slow every TLS handshake; use at most %d "
                        "(2048 or 3072 is usual)" % (key_size, MAX_KEY_SIZE))
    if renew_before_days < 0:
        raise CertError("renew_before_days must be 0 or more")
    if valid_days > MAX_VALID_DAYS:
        raise CertError("valid_days %d is beyond what a certificate can express usefully; use at most %d (clients "
                        "accept 398 days for public CAs)" % (valid_days, MAX_VALID_DAYS))
    if valid_days <= renew_before_days:
        raise CertError(
            "valid_days (%d) must be greater than renew_before_days (%d), or every run would reissue the certificate"
            % (valid_days, renew_before_days)
        )


def public_key_fingerprint(key):
    """SHA-256 of the public key (SubjectPublicKeyInfo DER): identifies a key without revealing it."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return _hex(digest.finalize(), ":")


# ---------------------------------------------------------------- module runner (file I/O, no Ansible imports)


def _read_input(path, option):
    data = fileio.read_bytes(path)
    if data is None:
        raise CertError("%s %s does not exist; check the path (it is read on the host the module runs on)" % (option, path))
    return data


def _describe(cert, key, pending_cert=False, pending_key=False):
    """Diff text for a certificate/key pair: names and fingerprints only, never key bytes.

    ``pending_*`` (check mode): the item would be created by a real run, so its
    fingerprint is not known yet and is shown as such.
    """
    if cert is None and key is None:
        return ""
    lines = []
    if cert is not None:
        info = summary(cert)
        for name in ("subject", "subject_alt_names", "issuer", "not_after", "fingerprint_sha256"):
            value = "(issued by a real run)" if pending_cert and name in ("not_after", "fingerprint_sha256") else info[name]
            lines.append("%s: %s" % (name, ", ".join(value) if isinstance(value, list) else value))
    if key is not None:
        identity = "new key generated by a real run" if pending_key else "public key sha256 %s" % public_key_fingerprint(key)
        lines.append("privatekey: %s (%s)" % (broker_rules.MASK, identity))
    return "\n".join(lines) + "\n"


def _existing_pair(cert_bytes, key_bytes):
    try:
        cert = load_certificate(cert_bytes, "path") if cert_bytes else None
    except CertError:
        cert = None
    try:
        key = load_private_key(key_bytes, "privatekey_path", check_strength=False) if key_bytes else None
    except CertError:
        key = None
    return cert, key


def run(params, check_mode=False, now=None):
    """Do what rtvs.remote.broker_certificate does; return the module result (without secrets).

    Raises CertError or fileio.FileError with a message naming the option and the fix.
    Nothing is written before every check has passed.
    """
    now = now or utcnow()
    for option in ("ca_privatekey_passphrase", "provided_privatekey_passphrase"):
        problem = password_rules.nul_problem(option, params.get(option))
        if problem:
            raise CertError(problem)
    path, key_path = params["path"], params["privatekey_path"]
    if os.path.abspath(path) == os.path.abspath(key_path):
        raise CertError("path and privatekey_path are the same file (%s): the certificate would overwrite the key; "
                        "give them different names, e.g. broker.crt and broker.key" % path)
    key_mode_wanted = fileio.parse_mode(params.get("privatekey_mode"))
    if key_mode_wanted is not None and key_mode_wanted & 0o027:
        raise CertError("privatekey_mode %04o lets other accounts read or change the private key; use 0600 (or 0640 "
                        "for a group that must read it)" % key_mode_wanted)
    owners = fileio.trusted_owners(params.get("owner"))
    problem = (fileio.private_folder_problem(key_path, "privatekey_path", owners)
               or fileio.private_file_problem(key_path, "privatekey_path", owners,
                                              0o600 if key_mode_wanted is None else key_mode_wanted))
    if problem:
        raise CertError(problem)
    existing_cert = fileio.read_bytes(path, managed=True)
    existing_key = fileio.read_bytes(key_path, managed=True)
    source = params["source"]
    sans = params.get("subject_alt_names") or []
    if source == "provided":
        if params.get("provided_certificate_content"):
            cert_in, cert_option = params["provided_certificate_content"], "provided_certificate_content"
        else:
            cert_in = _read_input(params["provided_certificate_path"], "provided_certificate_path")
            cert_option = "provided_certificate_path"
        if params.get("provided_privatekey_content"):
            key_in, key_option = params["provided_privatekey_content"], "provided_privatekey_content"
        else:
            key_in = _read_input(params["provided_privatekey_path"], "provided_privatekey_path")
            key_option = "provided_privatekey_path"
        plan = plan_provided(existing_cert, existing_key, cert_in, key_in, params["fqdn"], sans,
                             params.get("provided_privatekey_passphrase"), cert_option, key_option,
                             params.get("renew_before_days", 30), now)
    else:
        ca_cert = ca_key = None
        if source == "ca":
            ca_cert = load_certificate(_read_input(params["ca_certificate_path"], "ca_certificate_path"),
                                       "ca_certificate_path")
            ca_key = load_private_key(_read_input(params["ca_privatekey_path"], "ca_privatekey_path"),
                                      "ca_privatekey_path", params.get("ca_privatekey_passphrase"))
        plan = plan_issued(existing_cert, existing_key, params["fqdn"], sans, params["key_size"],
                           params["valid_days"], params["renew_before_days"], params.get("force", False),
                           ca_cert, ca_key, now)
    owner, group = params.get("owner"), params.get("group")
    key_mode, cert_mode = params.get("privatekey_mode"), params.get("mode")
    # Validate owner/group/mode before writing anything.
    for value, resolve in ((owner, fileio.resolve_uid), (group, fileio.resolve_gid),
                           (key_mode, fileio.parse_mode), (cert_mode, fileio.parse_mode)):
        resolve(value)
    result = {"changed": False, "reasons": list(plan.reasons), "warnings": list(plan.warnings),
              "backup_file": None, "privatekey_backup_file": None}
    if plan.key_pem is None and existing_key is not None:
        result["reasons"] += ["privatekey_path %s differs" % c
                              for c in fileio.attribute_changes(key_path, owner, group, key_mode)]
    if plan.cert_pem is None and existing_cert is not None:
        result["reasons"] += ["path %s differs" % c for c in fileio.attribute_changes(path, owner, group, cert_mode)]
    result["changed"] = bool(result["reasons"])
    before_cert, before_key = _existing_pair(existing_cert, existing_key)
    pending = check_mode and plan.cert_pem is not None
    result["diff"] = {"before": _describe(before_cert, before_key),
                      "after": _describe(plan.cert, plan.key, pending, pending and plan.key_pem is not None
                                         and params["source"] != "provided")}
    info = summary(plan.cert)
    if check_mode and plan.cert_pem is not None:
        # The certificate that would be issued does not exist yet: no fingerprint to promise.
        for name in ("fingerprint_sha256", "thumbprint_sha1", "not_before", "not_after", "serial_number"):
            info[name] = None
    result.update(info)
    if check_mode or not result["changed"]:
        return result
    backup = params.get("backup", False)
    keep = params.get("backup_keep") or 0
    if plan.key_pem is not None:
        result["privatekey_backup_file"] = fileio.atomic_write(key_path, plan.key_pem, owner, group, key_mode, backup,
                                                               backup_keep=keep)
    else:
        fileio.apply_attributes(key_path, owner, group, key_mode)
    if plan.cert_pem is not None:
        result["backup_file"] = fileio.atomic_write(path, plan.cert_pem, owner, group, cert_mode, backup,
                                                    backup_keep=keep)
    else:
        fileio.apply_attributes(path, owner, group, cert_mode)
    return result
