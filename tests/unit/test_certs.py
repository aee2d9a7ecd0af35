"""Unit tests of module_utils/tls/certs.py: building, reasons to reissue, and every refusal."""
import datetime
import hashlib
import ipaddress
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.rtvs.remote.plugins.module_utils.tls import broker_certificate, certs, issuing, keys
from ansible_collections.rtvs.remote.plugins.module_utils.tls.certs import CertError

FQDN = "rtvs.example.com"
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def key():
    return keys.generate_key(2048)


@pytest.fixture(scope="module")
def other_key():
    return keys.generate_key(2048)


def make_ca(key, days=3650, ca=True, now=NOW, name="Test CA"):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - DAY)
        .not_valid_after(now + days * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(key, hashes.SHA256())


def custom_cert(key, names=(FQDN,), subject=None, not_before=NOW - DAY, not_after=NOW + 300 * DAY, eku=True, san=True):
    subject = subject or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(key, hashes.SHA256())


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


# ---------------------------------------------------------------- names


def test_wanted_names_detects_ipv4_and_ipv6_and_dedupes_dns_case_insensitively():
    dns, ips = certs.wanted_names(FQDN, ["10.1.2.3", "Alt.Example.com", "RTVS.example.com.", "fe80::1", "10.1.2.3"])
    assert dns == [FQDN, "alt.example.com"]
    assert ips == [ipaddress.ip_address("10.1.2.3"), ipaddress.ip_address("fe80::1")]


@pytest.mark.parametrize("fqdn", ["", "  ", "bad name", None])
def test_wanted_names_refuses_a_non_hostname_fqdn(fqdn):
    with pytest.raises(CertError, match="fqdn"):
        certs.wanted_names(fqdn, [])


@pytest.mark.parametrize("entry", ["", "two words", "10.0.0.0/8"])
def test_wanted_names_refuses_bad_subject_alt_names(entry):
    with pytest.raises(CertError, match="subject_alt_names"):
        certs.wanted_names(FQDN, [entry])


def test_wanted_names_asks_for_the_idna_form_of_unicode_names():
    with pytest.raises(CertError, match="IDNA form"):
        certs.wanted_names(FQDN, ["bücher.example"])
    assert certs.wanted_names(FQDN, ["xn--bcher-kva.example"])[0] == [FQDN, "xn--bcher-kva.example"]


# ---------------------------------------------------------------- building


def test_selfsigned_certificate_has_exact_subject_sans_eku_and_validity(key):
    cert = issuing.build_certificate(key, FQDN, ["10.0.0.5", "alt.example.com", "::1"], valid_days=90, now=NOW)
    assert cert.subject.rfc4514_string() == "CN=" + FQDN
    assert len(cert.subject) == 1
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [FQDN, "alt.example.com"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.0.0.5"), ipaddress.ip_address("::1")]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert cert.not_valid_after_utc == NOW + 90 * DAY
    assert cert.not_valid_before_utc <= NOW
    assert certs.is_self_signed(cert)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)


def test_ca_signed_certificate_verifies_against_the_ca_and_is_clamped_to_its_expiry(key):
    ca_key = keys.generate_key(2048)
    ca = make_ca(ca_key, days=100)
    cert = issuing.build_certificate(key, FQDN, [], valid_days=365, issuer_cert=ca, issuer_key=ca_key, now=NOW)
    assert certs.signed_by(cert, ca)
    assert not certs.is_self_signed(cert)
    assert cert.issuer == ca.subject
    assert cert.not_valid_after_utc == ca.not_valid_after_utc


def test_generate_key_refuses_weak_sizes():
    with pytest.raises(CertError, match="key_size 1024 is too weak"):
        keys.generate_key(1024)


def test_summary_fingerprints_and_windows_subject(key):
    cert = issuing.build_certificate(key, FQDN, ["10.0.0.5"], now=NOW)
    der = cert.public_bytes(serialization.Encoding.DER)
    info = certs.summary(cert)
    assert info["thumbprint_sha1"] == hashlib.sha1(der).hexdigest().upper()
    assert info["fingerprint_sha256"].replace(":", "") == hashlib.sha256(der).hexdigest().upper()
    assert info["subject"] == "CN=" + FQDN
    assert info["issuer"] == "CN=" + FQDN
    assert info["subject_alt_names"] == [FQDN, "10.0.0.5"]
    assert info["self_signed"] is True
    assert info["not_after"] == "2027-06-01T12:00:00Z"


def test_windows_name_orders_most_specific_first_and_quotes_specials():
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso, Ltd"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "WA"),
        x509.NameAttribute(NameOID.COMMON_NAME, FQDN),
    ])
    assert certs.windows_name(name) == 'CN=%s, S=WA, O="Contoso, Ltd", C=US' % FQDN


# ---------------------------------------------------------------- reasons to reissue


def test_no_reasons_for_a_matching_pair(key):
    cert = issuing.build_certificate(key, FQDN, ["10.0.0.5"], now=NOW)
    assert broker_certificate.regenerate_reasons(cert, key, FQDN, ["10.0.0.5"], 30, now=NOW) == []


def test_reasons_missing(key):
    assert broker_certificate.regenerate_reasons(None, None, FQDN, [], 30, now=NOW) == ["private key missing", "certificate missing"]
    assert broker_certificate.regenerate_reasons(None, key, FQDN, [], 30, now=NOW) == ["certificate missing"]


def test_reasons_names_differ(key):
    cert = issuing.build_certificate(key, FQDN, ["old.example.com"], now=NOW)
    reasons = broker_certificate.regenerate_reasons(cert, key, FQDN, ["new.example.com"], 30, now=NOW)
    assert len(reasons) == 1 and "subject alternative names" in reasons[0] and "new.example.com" in reasons[0]
    reasons = broker_certificate.regenerate_reasons(cert, key, "other.example.com", ["old.example.com"], 30, now=NOW)
    assert any("subject is 'CN=%s'" % FQDN in r for r in reasons)


def test_reasons_key_mismatch(key, other_key):
    cert = issuing.build_certificate(other_key, FQDN, [], now=NOW)
    assert "certificate does not match the private key" in broker_certificate.regenerate_reasons(cert, key, FQDN, [], 30, now=NOW)


def test_reasons_renew_window(key):
    cert = issuing.build_certificate(key, FQDN, [], valid_days=365, now=NOW)
    assert broker_certificate.regenerate_reasons(cert, key, FQDN, [], 30, now=NOW + 334 * DAY) == []
    reasons = broker_certificate.regenerate_reasons(cert, key, FQDN, [], 30, now=NOW + 336 * DAY)
    assert len(reasons) == 1 and "fewer than renew_before_days (30)" in reasons[0]
    # A larger renew window reaches a fresh certificate too.
    assert broker_certificate.regenerate_reasons(cert, key, FQDN, [], 400, now=NOW)


def test_reasons_issuer_changes(key):
    ca_key = keys.generate_key(2048)
    ca = make_ca(ca_key)
    selfsigned = issuing.build_certificate(key, FQDN, [], now=NOW)
    issued = issuing.build_certificate(key, FQDN, [], issuer_cert=ca, issuer_key=ca_key, now=NOW)
    assert broker_certificate.regenerate_reasons(selfsigned, key, FQDN, [], 30, issuer_cert=ca, now=NOW) == [
        "certificate is not signed by ca_certificate_path"]
    assert broker_certificate.regenerate_reasons(issued, key, FQDN, [], 30, issuer_cert=ca, now=NOW) == []
    assert broker_certificate.regenerate_reasons(issued, key, FQDN, [], 30, now=NOW) == [
        "certificate is not self-signed (source selfsigned)"]


def test_reasons_key_smaller_than_key_size(key):
    cert = issuing.build_certificate(key, FQDN, [], now=NOW)
    assert broker_certificate.regenerate_reasons(cert, key, FQDN, [], 30, key_size=3072, now=NOW) == [
        "private key has 2048 bits, key_size wants 3072"]


# ---------------------------------------------------------------- plans


def test_plan_issued_is_idempotent_and_reuses_the_key_when_only_names_change(key):
    first = broker_certificate.plan_issued(None, None, FQDN, [], now=NOW)
    assert first.reasons == ["private key missing", "certificate missing"]
    assert first.key_pem and first.cert_pem
    again = broker_certificate.plan_issued(first.cert_pem, first.key_pem, FQDN, [], now=NOW)
    assert again.reasons == [] and again.key_pem is None and again.cert_pem is None
    renamed = broker_certificate.plan_issued(first.cert_pem, first.key_pem, FQDN, ["10.9.9.9"], now=NOW)
    assert renamed.key_pem is None, "the key is kept when only the certificate must change"
    assert keys.key_matches(renamed.cert, first.key)
    assert "10.9.9.9" in certs.summary(renamed.cert)["subject_alt_names"]


def test_plan_issued_force_replaces_key_and_cert(key):
    first = broker_certificate.plan_issued(None, None, FQDN, [], now=NOW)
    forced = broker_certificate.plan_issued(first.cert_pem, first.key_pem, FQDN, [], force=True, now=NOW)
    assert forced.reasons == ["force is set"]
    assert forced.key_pem and not keys.same_private_key(forced.key, first.key)


def test_plan_issued_refuses_unreadable_existing_files_unless_forced():
    with pytest.raises(CertError, match="privatekey_path is a malformed PEM private key.*force: true"):
        broker_certificate.plan_issued(None, b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", FQDN, now=NOW)
    with pytest.raises(CertError, match="path holds no PEM certificate.*force: true"):
        broker_certificate.plan_issued(b"garbage", None, FQDN, now=NOW)
    forced = broker_certificate.plan_issued(b"garbage", b"junk", FQDN, force=True, now=NOW)
    assert "path is unreadable and force is set" in forced.reasons
    assert forced.cert_pem and forced.key_pem


def test_plan_issued_replaces_a_weak_or_non_rsa_managed_key():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    plan = broker_certificate.plan_issued(None, keys.key_pem(weak), FQDN, now=NOW)
    assert plan.key.key_size == 2048 and plan.key_pem
    ec_key = ec.generate_private_key(ec.SECP256R1())
    plan = broker_certificate.plan_issued(None, keys.key_pem(ec_key), FQDN, now=NOW)
    assert "private key is not RSA" in plan.reasons and isinstance(plan.key, rsa.RSAPrivateKey)


@pytest.mark.parametrize("key_size,valid,renew,match", [
    (1024, 365, 30, "key_size 1024 is too weak"),
    (2048, 30, 30, "valid_days .30. must be greater than renew_before_days .30."),
    (2048, 365, -1, "renew_before_days must be 0 or more"),
])
def test_plan_issued_refuses_bad_settings(key_size, valid, renew, match):
    with pytest.raises(CertError, match=match):
        broker_certificate.plan_issued(None, None, FQDN, key_size=key_size, valid_days=valid, renew_before_days=renew, now=NOW)


def test_plan_issued_with_ca(key):
    ca_key = keys.generate_key(2048)
    ca = make_ca(ca_key)
    plan = broker_certificate.plan_issued(None, None, FQDN, ["10.0.0.1"], ca_cert=ca, ca_key=ca_key, now=NOW)
    assert certs.signed_by(plan.cert, ca)
    again = broker_certificate.plan_issued(plan.cert_pem, plan.key_pem, FQDN, ["10.0.0.1"], ca_cert=ca, ca_key=ca_key, now=NOW)
    assert again.reasons == []


def test_ca_refusals(key, other_key):
    ca_key = keys.generate_key(2048)
    with pytest.raises(CertError, match="ca_certificate_path is not a CA certificate"):
        broker_certificate.plan_issued(None, None, FQDN, ca_cert=make_ca(ca_key, ca=False), ca_key=ca_key, now=NOW)
    with pytest.raises(CertError, match="ca_privatekey_path does not belong to ca_certificate_path"):
        broker_certificate.plan_issued(None, None, FQDN, ca_cert=make_ca(ca_key), ca_key=other_key, now=NOW)
    with pytest.raises(CertError, match="ca_certificate_path expires on .* within renew_before_days"):
        broker_certificate.plan_issued(None, None, FQDN, ca_cert=make_ca(ca_key, days=10), ca_key=ca_key, now=NOW)
    with pytest.raises(CertError, match="ca_certificate_path expired on"):
        broker_certificate.plan_issued(None, None, FQDN, ca_cert=make_ca(ca_key, days=10), ca_key=ca_key, now=NOW + 20 * DAY)


# ---------------------------------------------------------------- provided: validation and refusals


def provided_pair(key, **kwargs):
    cert = kwargs.pop("cert", None) or issuing.build_certificate(key, FQDN, kwargs.pop("sans", []), now=NOW)
    return pem(cert), keys.key_pem(key)


def test_plan_provided_installs_then_is_idempotent(key):
    cert_pem, key_pem = provided_pair(key)
    plan = broker_certificate.plan_provided(None, None, cert_pem, key_pem, FQDN, now=NOW)
    assert plan.reasons == ["private key missing", "certificate missing"]
    assert plan.cert_pem == cert_pem
    again = broker_certificate.plan_provided(plan.cert_pem, plan.key_pem, cert_pem, key_pem, FQDN, now=NOW)
    assert again.reasons == [] and again.cert_pem is None and again.key_pem is None


def test_plan_provided_never_regenerates_even_inside_the_renew_window(key):
    cert_pem, key_pem = provided_pair(key)
    later = NOW + 350 * DAY
    plan = broker_certificate.plan_provided(cert_pem, key_pem, cert_pem, key_pem, FQDN, renew_before_days=30, now=later)
    assert plan.reasons == []
    assert any("fewer than renew_before_days" in w for w in plan.warnings)


def test_plan_provided_keeps_the_chain(key):
    ca_key = keys.generate_key(2048)
    ca = make_ca(ca_key)
    leaf = issuing.build_certificate(key, FQDN, [], issuer_cert=ca, issuer_key=ca_key, now=NOW)
    plan = broker_certificate.plan_provided(None, None, pem(leaf) + pem(ca), keys.key_pem(key), FQDN, now=NOW)
    assert plan.certs == [leaf, ca]
    assert plan.cert_pem == pem(leaf) + pem(ca)


def test_provided_wildcard_covers_one_label(key):
    cert = custom_cert(key, names=("*.example.com",), eku=False)
    plan = broker_certificate.plan_provided(None, None, pem(cert), keys.key_pem(key), FQDN, now=NOW)
    assert any("X509CertificateName" in w for w in plan.warnings), "CN differs from the FQDN: the Windows lookup needs a hint"
    with pytest.raises(CertError, match="does not cover a.rtvs.example.com"):
        broker_certificate.plan_provided(None, None, pem(cert), keys.key_pem(key), "a." + FQDN, now=NOW)


def test_refuses_provided_cert_not_covering_fqdn_or_extra_names(key):
    cert_pem, key_pem = provided_pair(key)
    with pytest.raises(CertError, match=r"provided_certificate_path does not cover other.example.com .*names rtvs.example.com"):
        broker_certificate.plan_provided(None, None, cert_pem, key_pem, "other.example.com", now=NOW)
    with pytest.raises(CertError, match=r"does not cover 10.0.0.9"):
        broker_certificate.plan_provided(None, None, cert_pem, key_pem, FQDN, ["10.0.0.9"], now=NOW)


def test_refuses_provided_cert_expired_or_not_yet_valid(key):
    expired = custom_cert(key, not_before=NOW - 100 * DAY, not_after=NOW - DAY, eku=False)
    with pytest.raises(CertError, match="provided_certificate_path expired on .*renew it"):
        broker_certificate.plan_provided(None, None, pem(expired), keys.key_pem(key), FQDN, now=NOW)
    future = custom_cert(key, not_before=NOW + DAY, not_after=NOW + 100 * DAY, eku=False)
    with pytest.raises(CertError, match="provided_certificate_path is not valid before .*fix the host clock"):
        broker_certificate.plan_provided(None, None, pem(future), keys.key_pem(key), FQDN, now=NOW)


def test_refuses_provided_key_mismatch(key, other_key):
    cert_pem = provided_pair(key)[0]
    with pytest.raises(CertError, match="provided_privatekey_path does not belong to provided_certificate_path"):
        broker_certificate.plan_provided(None, None, cert_pem, keys.key_pem(other_key), FQDN, now=NOW)


def test_refuses_provided_weak_or_non_rsa_key():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cert = custom_cert(weak, eku=False)
    with pytest.raises(CertError, match="RSA key of 1024 bits, too weak; use at least 2048"):
        broker_certificate.plan_provided(None, None, pem(cert), keys.key_pem(weak), FQDN, now=NOW)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    cert = custom_cert(ec_key, eku=False)
    with pytest.raises(CertError, match="needs RSA"):
        broker_certificate.plan_provided(None, None, pem(cert), keys.key_pem(ec_key), FQDN, now=NOW)


def test_refuses_provided_cert_without_server_auth(key):
    cert = custom_cert(key, eku=True)  # clientAuth only
    with pytest.raises(CertError, match="lacks the serverAuth extended key usage"):
        broker_certificate.plan_provided(None, None, pem(cert), keys.key_pem(key), FQDN, now=NOW)


@pytest.mark.parametrize("data,match", [
    (b"", "holds no PEM certificate"),
    (b"\x30\x82\x01\x00binary-der", "holds no PEM certificate.*openssl x509 -inform der"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "is a malformed PEM certificate"),
])
def test_refuses_malformed_certificate_pem(key, data, match):
    with pytest.raises(CertError, match="provided_certificate_content " + match):
        broker_certificate.plan_provided(None, None, data, keys.key_pem(key), FQDN, cert_option="provided_certificate_content", now=NOW)


def test_refuses_malformed_or_encrypted_key_pem(key):
    cert_pem, key_pem = provided_pair(key)
    with pytest.raises(CertError, match="provided_privatekey_path holds no PEM private key"):
        broker_certificate.plan_provided(None, None, cert_pem, b"not a key", FQDN, now=NOW)
    with pytest.raises(CertError, match="provided_privatekey_path is a malformed PEM private key"):
        broker_certificate.plan_provided(None, None, cert_pem, b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", FQDN, now=NOW)
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"pass-phrase"))
    with pytest.raises(CertError, match="is encrypted; give its passphrase"):
        broker_certificate.plan_provided(None, None, cert_pem, encrypted, FQDN, now=NOW)
    with pytest.raises(CertError, match="could not be decrypted"):
        broker_certificate.plan_provided(None, None, cert_pem, encrypted, FQDN, passphrase="wrong", now=NOW)
    plan = broker_certificate.plan_provided(None, None, cert_pem, encrypted, FQDN, passphrase="pass-phrase", now=NOW)
    assert plan.key_pem == key_pem, "an encrypted provided key is installed decrypted (the broker has no passphrase)"


def test_error_messages_never_contain_key_material(key):
    cert_pem, key_pem = provided_pair(key)
    body = key_pem.decode().splitlines()[1]
    for call in (
        lambda: broker_certificate.plan_provided(None, None, cert_pem, key_pem, "other.example.com", now=NOW),
        lambda: broker_certificate.plan_provided(None, None, cert_pem, key_pem[:-40], FQDN, now=NOW),
    ):
        with pytest.raises(CertError) as err:
            call()
        assert body not in str(err.value)


# ---------------------------------------------------------------- run(): what the module does with files


def _params(tmp_path, **extra):
    params = {"path": str(tmp_path / "b.crt"), "privatekey_path": str(tmp_path / "b.key"), "fqdn": FQDN,
              "subject_alt_names": ["192.0.2.7"], "source": "selfsigned", "key_size": 2048, "valid_days": 365,
              "renew_before_days": 30, "force": False, "privatekey_mode": "0600", "mode": "0644",
              "owner": None, "group": None, "backup": False}
    params.update(extra)
    return params


def test_run_check_mode_writes_nothing_and_promises_no_fingerprint(tmp_path):
    result = broker_certificate.run(_params(tmp_path), check_mode=True)
    assert result["changed"] and os.listdir(tmp_path) == []
    assert result["fingerprint_sha256"] is None and result["thumbprint_sha1"] is None
    assert result["subject"] == "CN=" + FQDN and result["subject_alt_names"] == [FQDN, "192.0.2.7"]
    assert "fingerprint_sha256: (issued by a real run)" in result["diff"]["after"]
    assert "privatekey: ******** (new key generated by a real run)" in result["diff"]["after"]


def test_run_writes_with_modes_then_is_unchanged(tmp_path):
    first = broker_certificate.run(_params(tmp_path))
    assert first["changed"]
    assert stat.S_IMODE(os.stat(tmp_path / "b.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "b.crt").st_mode) == 0o644
    key_bytes = (tmp_path / "b.key").read_bytes()
    second = broker_certificate.run(_params(tmp_path))
    assert not second["changed"] and second["reasons"] == []
    assert second["fingerprint_sha256"] == first["fingerprint_sha256"]
    body = key_bytes.decode().splitlines()[1]
    assert body not in repr(first) and body not in repr(second), "results never carry key material"


def test_run_provided_content_is_installed(tmp_path, key):
    cert = issuing.build_certificate(key, FQDN, ["192.0.2.7"])
    params = _params(tmp_path, source="provided", provided_certificate_content=pem(cert).decode(),
                     provided_privatekey_content=keys.key_pem(key).decode())
    result = broker_certificate.run(params)
    assert result["changed"] and (tmp_path / "b.crt").read_bytes() == pem(cert)
    assert not broker_certificate.run(params)["changed"]


def test_a_key_loaded_twice_in_one_process_is_parsed_once(monkeypatch):
    """broker_certificate then pfx in the role's plan step load the same key: the second load reuses the first
    (the RSA check is the costly part), and still applies check_strength."""
    pem = _pem_of_new_key()
    calls = []
    real = certs.serialization.load_pem_private_key
    monkeypatch.setattr(certs.serialization, "load_pem_private_key",
                        lambda data, password=None: calls.append(1) or real(data, password=password))
    keys._LOADED_KEYS.clear()
    first = keys.load_private_key(pem, "privatekey_path")
    second = keys.load_private_key(pem, "privatekey_path", check_strength=False)
    assert first is second and len(calls) == 1
    with pytest.raises(certs.CertError):
        keys.load_private_key(pem, "privatekey_path", passphrase="not-encrypted")  # another key: parsed again
    assert len(calls) == 2


def _pem_of_new_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
