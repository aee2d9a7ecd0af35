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

MIN_KEY_SIZE = 2048
# Passphrases of keys encrypted at rest (internal CA, broker keys on the controller): vault strings, 12+ characters.
MIN_KEY_PASSPHRASE = 12
# Where the passphrase of a broker key kept on the controller comes from, for messages.
KEY_PASSPHRASE_SOURCE = "privatekey_passphrase (in the roles: rtvs_controller_key_passphrase, from vault)"
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


def key_pem(key, passphrase=None):
    """PKCS#8 PEM: unencrypted (what openssl and the broker's tooling read), or, with a passphrase, encrypted at rest."""
    if passphrase:
        return encrypted_key_pem(key, passphrase)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def encrypted_key_pem(key, passphrase):
    """PKCS#8 PEM encrypted with the best algorithm cryptography offers (AES-256-CBC, PBKDF2).

    The one implementation of keys encrypted at rest: the internal CA's keys (ca.py) and the broker keys kept on
    the controller (privatekey_passphrase of broker_certificate).
    """
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_as_bytes(passphrase)),
    )


def key_pem_encrypted(data):
    """Whether PEM key bytes are encrypted (PKCS#8 ENCRYPTED PRIVATE KEY, or a legacy Proc-Type ENCRYPTED block)."""
    data = _as_bytes(data) or b""
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data or b"Proc-Type: 4,ENCRYPTED" in data


def passphrase_problem(option, passphrase, variable):
    """A passphrase for keys at rest that is too short to resist guessing, or None; ``variable`` is the role's name."""
    if passphrase is not None and len(passphrase) < MIN_KEY_PASSPHRASE:
        return ("%s must have at least %d characters; set %s to a longer one (ansible-vault encrypt_string)"
                % (option, MIN_KEY_PASSPHRASE, variable))
    return None


def load_key_at_rest(data, option, passphrase, variable):
    """Load a key this collection keeps (encrypted with ``passphrase`` when one is given).

    Returns (key, reason): reason says why the file must be rewritten to be encrypted at rest (it is not
    encrypted although a passphrase is set), else None. Refuses an encrypted key without its passphrase, or
    with another one, naming ``variable`` (the role variable that holds the passphrase).
    """
    if key_pem_encrypted(data):
        if not passphrase:
            raise CertError(
                "%s is encrypted at rest and no passphrase is given; set %s to the passphrase it was written with"
                % (option, variable))
        try:
            return load_private_key(data, option, passphrase, check_strength=False), None
        except CertError:
            raise CertError(
                "%s does not open with the given passphrase (%s); give the passphrase it was written with, or "
                "remove the key file to have a new key issued" % (option, variable))
    key = load_private_key(data, option, check_strength=False)
    if passphrase:
        return key, "%s is not encrypted at rest; it is rewritten encrypted with the passphrase" % option
    return key, None


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
