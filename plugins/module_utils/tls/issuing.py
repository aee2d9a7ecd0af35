# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issuing the broker's server certificate: build it (self-signed or signed by a CA), and the checks of what it
is issued from or replaced by (a CA that must be able to issue, a certificate and key the user provides).

The certificate the broker needs: Subject exactly ``CN=<fqdn>`` (the Windows broker finds its certificate by
comparing the full Subject string), a SubjectAltName listing the FQDN plus any extra DNS names or IP addresses,
the serverAuth extended key usage, an RSA key (keys.py). Every refusal raises certs.CertError whose message
names the option at fault and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.rtvs.remote.plugins.module_utils.tls.certs import (
    CertError,
    certificate_names,
    check_validity,
    covers,
    _days_left,
    has_server_auth,
    iso,
    not_after,
    utcnow,
    wanted_names,
    windows_name,
)
from ansible_collections.rtvs.remote.plugins.module_utils.tls.keys import check_key_strength, key_matches

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:  # pragma: no cover - certs.HAS_CRYPTOGRAPHY reports it
    pass

# Backdate notBefore a little so a client whose clock runs slightly behind still accepts a fresh certificate.
CLOCK_SKEW = datetime.timedelta(minutes=5)


def signature_hash():
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
    return builder.sign(issuer_key if issuer_key is not None else key, signature_hash())


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
