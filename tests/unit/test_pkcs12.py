"""Unit tests of module_utils/tls/pfx.py: profiles checked in the DER, wrong password, comparison."""
import datetime
import hashlib
import os
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12 as crypto_pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, issuing, keys, pfx

FQDN = "rtvs.example.com"
PASSWORD = "Pfx-pa55word"
NOW = datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture(scope="module")
def pair():
    key = keys.generate_key(2048)
    return key, issuing.build_certificate(key, FQDN, ["10.0.0.5"], now=NOW)


@pytest.fixture(scope="module")
def ca():
    key = keys.generate_key(2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Unit CA")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=900))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def test_compat_profile_in_the_der(pair):
    key, cert = pair
    info = pfx.inspect(pfx.build(key, cert, password=PASSWORD, encryption="compat"))
    assert info["key_encryption"] == ["pbeWithSHA1And3-KeyTripleDES-CBC"]
    assert info["certificate_encryption"] == ["pbeWithSHA1And3-KeyTripleDES-CBC"]
    assert info["mac"] == "sha1"
    assert info["mac_iterations"] == 2048
    assert pfx.profile(info) == "compat"


def test_modern_profile_in_the_der(pair):
    key, cert = pair
    info = pfx.inspect(pfx.build(key, cert, password=PASSWORD, encryption="modern"))
    assert info["key_encryption"] == ["PBES2(PBKDF2-hmacWithSHA256, aes-256-cbc)"]
    assert info["certificate_encryption"] == ["PBES2(PBKDF2-hmacWithSHA256, aes-256-cbc)"]
    assert info["mac"] == "sha256"
    assert pfx.profile(info) == "modern"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl binary not installed")
def test_openssl_binary_agrees_with_our_reading_of_the_compat_file(pair, tmp_path):
    key, cert = pair
    path = tmp_path / "c.pfx"
    path.write_bytes(pfx.build(key, cert, password=PASSWORD, encryption="compat"))
    proc = subprocess.run(
        ["openssl", "pkcs12", "-legacy", "-info", "-nokeys", "-noout", "-in", str(path), "-passin", "pass:" + PASSWORD],
        capture_output=True, text=True, check=True,
    )
    out = proc.stdout + proc.stderr
    assert "MAC: sha1" in out
    assert "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC" in out
    assert "PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC" in out


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl binary not installed")
def test_mac_check_and_profile_on_a_file_openssl_made(pair, tmp_path):
    """Our PKCS#12 KDF/MAC check is verified against an independent implementation's output."""
    key, cert = pair
    (tmp_path / "k.pem").write_bytes(keys.key_pem(key))
    (tmp_path / "c.pem").write_bytes(certs.certs_pem([cert]))
    subprocess.run(
        ["openssl", "pkcs12", "-export", "-legacy", "-inkey", str(tmp_path / "k.pem"), "-in", str(tmp_path / "c.pem"),
         "-out", str(tmp_path / "o.pfx"), "-passout", "pass:" + PASSWORD],
        check=True, capture_output=True,
    )
    data = (tmp_path / "o.pfx").read_bytes()
    info = pfx.inspect(data)
    assert pfx.mac_verifies(info, PASSWORD) is True
    assert pfx.mac_verifies(info, PASSWORD + "x") is False
    # openssl -legacy encrypts certificates with 40-bit RC2: neither of our profiles.
    assert info["certificate_encryption"] == ["pbeWithSHA1And40BitRC2-CBC"]
    assert pfx.profile(info) == "other"
    contents = pfx.open_pfx(data, PASSWORD)
    assert pfx.differences(contents, key, cert, [], "compat") == ["encryption is other, wanted compat"]


def test_open_round_trip_with_chain_and_friendly_name(pair, ca):
    key, cert = pair
    data = pfx.build(key, cert, [ca[1]], PASSWORD, "compat", friendly_name="rtvs broker")
    contents = pfx.open_pfx(data, PASSWORD)
    assert contents.friendly_name == "rtvs broker"
    assert contents.chain == [ca[1]]
    assert contents.cert == cert
    assert contents.encryption == "compat"
    assert pfx.differences(contents, key, cert, [ca[1]], "compat", "rtvs broker") == []


def test_differences_name_each_part(pair, ca):
    key, cert = pair
    contents = pfx.open_pfx(pfx.build(key, cert, None, PASSWORD, "compat"), PASSWORD)
    other_key = keys.generate_key(2048)
    other_cert = issuing.build_certificate(key, FQDN, ["other.example.com"], now=NOW)
    assert pfx.differences(contents, other_key, cert) == ["private key differs"]
    assert pfx.differences(contents, key, other_cert) == ["certificate differs"]
    assert pfx.differences(contents, key, cert, [ca[1]]) == ["chain differs (other_certificates)"]
    assert pfx.differences(contents, key, cert, friendly_name="x") == ["friendly name differs"]
    assert pfx.differences(contents, key, cert, encryption="modern") == ["encryption is compat, wanted modern"]


def test_chain_order_is_compared(pair, ca):
    key, cert = pair
    second = issuing.build_certificate(keys.generate_key(2048), "intermediate.example.com", now=NOW)
    contents = pfx.open_pfx(pfx.build(key, cert, [ca[1], second], PASSWORD), PASSWORD)
    assert contents.chain == [ca[1], second]
    assert pfx.differences(contents, key, cert, [second, ca[1]]) == ["chain differs (other_certificates)"]


@pytest.mark.parametrize("encryption", ["compat", "modern"])
def test_wrong_password_is_detected_not_reported_as_damage(pair, encryption):
    key, cert = pair
    data = pfx.build(key, cert, None, PASSWORD, encryption)
    with pytest.raises(pfx.PfxWrongPassword, match="path does not open with password.*force: true"):
        pfx.open_pfx(data, "not-the-password", fix=pfx.REPLACE_FIX)


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x30\x03\x02\x01\x03", b"\x30\x82\xff\xff\x02"])
def test_malformed_files_are_reported_as_such(data):
    with pytest.raises(pfx.PfxMalformed, match="path is not a PKCS#12"):
        pfx.open_pfx(data, PASSWORD)


def test_truncated_pfx_is_malformed(pair):
    key, cert = pair
    data = pfx.build(key, cert, None, PASSWORD)
    with pytest.raises(pfx.PfxMalformed):
        pfx.open_pfx(data[:-10], PASSWORD)


def test_ber_indefinite_length_outer_sequence_is_read(pair):
    key, cert = pair
    der = pfx.build(key, cert, None, PASSWORD)
    assert der[0] == 0x30 and der[1] == 0x82
    body = der[4:]
    ber = b"\x30\x80" + body + b"\x00\x00"
    info = pfx.inspect(ber)
    assert pfx.profile(info) == "compat"
    assert pfx.mac_verifies(info, PASSWORD) is True


def test_build_refuses_empty_password_and_unknown_encryption(pair):
    key, cert = pair
    with pytest.raises(pfx.PfxError, match="password is empty"):
        pfx.build(key, cert, None, "", "compat")
    with pytest.raises(pfx.PfxError, match="encryption 'weak' is unknown; use one of compat, modern"):
        pfx.build(key, cert, None, PASSWORD, "weak")


def test_cryptography_reads_what_we_build_with_non_ascii_password(pair):
    key, cert = pair
    data = pfx.build(key, cert, None, "pässwörd", "compat")
    loaded = crypto_pkcs12.load_pkcs12(data, "pässwörd".encode("utf-8"))
    assert loaded.cert.certificate == cert
    assert pfx.mac_verifies(pfx.inspect(data), "pässwörd") is True


def _run_params(tmp_path, **extra):
    params = {"path": str(tmp_path / "b.pfx"), "certificate_path": str(tmp_path / "b.crt"),
              "privatekey_path": str(tmp_path / "b.key"), "password": PASSWORD, "encryption": "compat",
              "other_certificates": [], "friendly_name": None, "force": False, "owner": None, "group": None,
              "mode": "0640", "backup": False}
    params.update(extra)
    return params


def test_run_stores_a_ca_given_twice_once_and_check_mode_writes_nothing(tmp_path, pair, ca):
    key, cert = pair
    (tmp_path / "b.key").write_bytes(keys.key_pem(key))
    os.chmod(str(tmp_path / "b.key"), 0o600)
    (tmp_path / "b.crt").write_bytes(certs.certs_pem([cert, ca[1]]))
    (tmp_path / "ca.crt").write_bytes(certs.certs_pem([ca[1]]))
    params = _run_params(tmp_path, other_certificates=[str(tmp_path / "ca.crt")])
    checked = pfx.run(params, check_mode=True)
    assert checked["changed"] and checked["reason"] == "missing" and not (tmp_path / "b.pfx").exists()
    assert checked["checksum"] is None  # nothing written yet
    written = pfx.run(params)
    assert written["changed"]
    data = (tmp_path / "b.pfx").read_bytes()
    assert written["checksum"] == hashlib.sha1(data).hexdigest()
    contents = pfx.open_pfx(data, PASSWORD)
    assert contents.chain == [ca[1]]
    again = pfx.run(params)
    assert not again["changed"] and again["reason"] is None
    assert again["checksum"] == written["checksum"]
    assert PASSWORD not in repr(again) and "password: ********" in again["diff"]["after"]


def test_run_refuses_a_non_ascii_password_by_default_and_writes_nothing(tmp_path, pair):
    key, cert = pair
    (tmp_path / "b.key").write_bytes(keys.key_pem(key))
    (tmp_path / "b.crt").write_bytes(certs.certs_pem([cert]))
    params = _run_params(tmp_path, password="p\u00e4ss-w\u00f6rd-\u20ac")
    for check_mode in (True, False):
        with pytest.raises(pfx.PfxError) as caught:
            pfx.run(params, check_mode=check_mode)
        message = str(caught.value)
        assert "3 characters outside printable ASCII" in message and "OpenSSL 1.0.x" in message
        assert "set password_charset: any" in message and "p\u00e4ss" not in message
        assert not (tmp_path / "b.pfx").exists()
    # the same with password_charset: ascii given explicitly
    with pytest.raises(pfx.PfxError, match="outside printable ASCII"):
        pfx.run(dict(params, password_charset="ascii"))
    with pytest.raises(pfx.PfxError, match="password_charset 'utf8' is unknown; use one of ascii, any"):
        pfx.run(dict(params, password_charset="utf8"))


def test_run_with_password_charset_any_writes_and_warns(tmp_path, pair):
    key, cert = pair
    (tmp_path / "b.key").write_bytes(keys.key_pem(key))
    os.chmod(str(tmp_path / "b.key"), 0o600)  # pfx refuses a key others can read
    (tmp_path / "b.crt").write_bytes(certs.certs_pem([cert]))
    params = _run_params(tmp_path, password="p\u00e4ss-w\u00f6rd", password_charset="any")
    written = pfx.run(params)
    assert written["changed"] and written["warnings"][0].startswith("WARNING: password has 2 characters")
    assert pfx.open_pfx((tmp_path / "b.pfx").read_bytes(), "p\u00e4ss-w\u00f6rd").cert == cert
    again = pfx.run(params)
    assert not again["changed"] and len(again["warnings"]) == 1
    # printable ASCII: no warning at all
    ascii_params = _run_params(tmp_path, path=str(tmp_path / "c.pfx"), password_charset="any")
    assert "warnings" not in pfx.run(ascii_params)
