"""rtvs.remote.pfx through real ansible-playbook on localhost, read back by the real openssl binary."""
import datetime
import json
import os
import stat
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from conftest import snapshot

FQDN = "rtvs.example.test"
PASSWORD = "Pfx 5ecret!'\"$x"
NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(key, cn, issuer_key=None, issuer=None, ca=False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY).not_valid_after(NOW + 200 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key or key, hashes.SHA256())
    )


def _pem(obj):
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture
def work(tmp_path):
    """broker.crt/.key issued by a test CA (other.crt); new.crt is a second certificate for the same key."""
    ca_key, key = _key(), _key()
    ca = _cert(ca_key, "pfx test CA", ca=True)
    (tmp_path / "other.crt").write_bytes(_pem(ca))
    (tmp_path / "broker.key").write_bytes(_pem(key))
    (tmp_path / "broker.crt").write_bytes(_pem(_cert(key, FQDN, ca_key, ca)))
    (tmp_path / "new.crt").write_bytes(_pem(_cert(key, FQDN, ca_key, ca)))
    (tmp_path / "stranger.crt").write_bytes(_pem(_cert(_key(), FQDN)))
    (tmp_path / "broken.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    os.chmod(tmp_path / "broker.key", 0o600)
    return tmp_path


def _secrets(path, **values):
    """Secrets go in a vars file as from a vault (ansible -vvvv echoes its own -e arguments)."""
    path.write_text(json.dumps(values))
    return ["-e", "@%s" % path]


def _apply(playbook, work, password=PASSWORD, verbosity=0, extra_args=(), **options):
    values = {"pfx_path": str(work / "broker.pfx"), "pfx_certificate_path": str(work / "broker.crt"),
              "pfx_privatekey_path": str(work / "broker.key")}
    values.update({"pfx_" + k: v for k, v in options.items()})
    args = _secrets(work / ("secrets-%d.json" % len(os.listdir(work))), pfx_password=password) + list(extra_args)
    return playbook("pfx/apply.yml", values, verbosity=verbosity, args=args)


def _openssl_info(path, password, legacy):
    cmd = ["openssl", "pkcs12"] + (["-legacy"] if legacy else []) + [
        "-info", "-nokeys", "-in", str(path), "-passin", "pass:" + password]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_compat_cycle_is_read_back_by_openssl_legacy(playbook, work):
    result = playbook("pfx/cycle.yml", {"pfx_workdir": str(work), "pfx_encryption": "compat"},
                      args=_secrets(work / "s.json", pfx_password=PASSWORD))
    assert result.rc == 0, result
    rc, out = _openssl_info(work / "broker.pfx", PASSWORD, legacy=True)
    assert rc == 0, out
    assert "MAC: sha1" in out
    assert "PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC" in out
    assert "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC" in out
    assert "friendlyName: rtvs broker" in out
    assert out.count("BEGIN CERTIFICATE") == 2, "leaf and the other_certificates chain"
    st = os.stat(work / "broker.pfx")
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0


def test_modern_cycle_uses_aes256_and_sha256(playbook, work):
    result = playbook("pfx/cycle.yml", {"pfx_workdir": str(work), "pfx_encryption": "modern"},
                      args=_secrets(work / "s.json", pfx_password=PASSWORD))
    assert result.rc == 0, result
    rc, out = _openssl_info(work / "broker.pfx", PASSWORD, legacy=False)
    assert rc == 0, out
    assert "MAC: sha256" in out
    assert "PBES2, PBKDF2, AES-256-CBC" in out and "PRF hmacWithSHA256" in out
    assert "3DES" not in out and "TripleDES" not in out


def test_changed_inputs_are_detected_by_content(playbook, work):
    assert _apply(playbook, work).rc == 0
    result = _apply(playbook, work, certificate_path=str(work / "new.crt"))
    assert result.rc == 0, result
    assert "reason: certificate differs" in result.stdout and "changed=1" in result.stdout
    result = _apply(playbook, work, certificate_path=str(work / "new.crt"), encryption="modern")
    assert "reason: encryption is compat, wanted modern" in result.stdout, result
    result = _apply(playbook, work, certificate_path=str(work / "new.crt"), encryption="modern")
    assert "changed=0" in result.stdout, result
    loaded = pkcs12.load_pkcs12((work / "broker.pfx").read_bytes(), PASSWORD.encode())
    assert loaded.cert.certificate.public_bytes(serialization.Encoding.PEM) == (work / "new.crt").read_bytes()


def test_group_and_mode_only_change(playbook, work):
    assert _apply(playbook, work).rc == 0
    data = (work / "broker.pfx").read_bytes()
    result = _apply(playbook, work, group="nogroup", mode="0600")
    assert result.rc == 0 and "reason: group differs; mode differs" in result.stdout, result
    st = os.stat(work / "broker.pfx")
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_gid != 0
    assert (work / "broker.pfx").read_bytes() == data, "attributes alone do not rebuild the file"


def test_wrong_password_fails_and_leaves_the_file_until_force(playbook, work):
    assert _apply(playbook, work).rc == 0
    before = snapshot([work / "broker.pfx"])
    for check in (True, False):
        result = _apply(playbook, work, password="another-password", extra_args=["--check"] if check else [])
        assert result.rc != 0, result
        assert "path does not open with password" in result.stdout and "force: true" in result.stdout
        assert snapshot([work / "broker.pfx"]) == before
    result = _apply(playbook, work, password="another-password", force=True, backup=True)
    assert result.rc == 0 and "existing file cannot be opened and force is set" in result.stdout, result
    assert _openssl_info(work / "broker.pfx", "another-password", legacy=True)[0] == 0
    backups = [p for p in work.iterdir() if p.name.startswith("broker.pfx.") and p.name.endswith(".bak")]
    assert len(backups) == 1 and backups[0].read_bytes() == before[work / "broker.pfx"][0]
    assert "changed=0" in _apply(playbook, work, password="another-password", force=True).stdout


FAILURES = [
    ("key mismatch", {"certificate_path": "stranger.crt"}, "privatekey_path does not belong to certificate_path"),
    ("malformed certificate", {"certificate_path": "broken.crt"}, "certificate_path is a malformed PEM certificate"),
    ("missing key", {"privatekey_path": "absent.key"}, "privatekey_path %(work)s/absent.key does not exist"),
    ("malformed chain", {"other_certificates": ["broken.crt"]}, "other_certificates[0] is a malformed PEM certificate"),
    ("unknown group", {"group": "no-such-group-rtvs", "encryption": "modern"}, "group 'no-such-group-rtvs' does not exist"),
    ("bad mode", {"mode": "rw-r", "encryption": "modern"}, "mode 'rw-r' is not an octal number"),
    ("bad encryption", {"encryption": "rc2"}, "value of encryption must be one of: compat, modern, got: rc2"),
]


@pytest.mark.parametrize("case,options,message", FAILURES, ids=[f[0] for f in FAILURES])
def test_refusals_leave_the_pfx_byte_identical(playbook, work, case, options, message):
    # An existing PFX to protect (made here rather than by a playbook run, to keep the suite fast).
    key = serialization.load_pem_private_key((work / "broker.key").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((work / "broker.crt").read_bytes())
    (work / "broker.pfx").write_bytes(pkcs12.serialize_key_and_certificates(
        None, key, cert, None, serialization.BestAvailableEncryption(PASSWORD.encode())))
    os.chmod(work / "broker.pfx", 0o640)
    before = snapshot([work / "broker.pfx"])
    options = {k: ([str(work / x) for x in v] if isinstance(v, list) else (str(work / v) if k.endswith("_path") else v))
               for k, v in options.items()}
    result = _apply(playbook, work, **options)
    assert result.rc != 0, result
    assert message % {"work": work} in result.stdout, result
    assert snapshot([work / "broker.pfx"]) == before


def test_empty_password_is_refused(playbook, work):
    result = _apply(playbook, work, password="")
    assert result.rc != 0 and "password is empty" in result.stdout, result
    assert not (work / "broker.pfx").exists()


def test_non_pfx_file_at_path_is_refused_unless_force(playbook, work):
    (work / "broker.pfx").write_bytes(b"precious notes, not a PFX\n")
    before = snapshot([work / "broker.pfx"])
    result = _apply(playbook, work)
    assert result.rc != 0 and "path is not a PKCS#12 (PFX) file" in result.stdout, result
    assert snapshot([work / "broker.pfx"]) == before
    assert _apply(playbook, work, force=True).rc == 0
    assert _openssl_info(work / "broker.pfx", PASSWORD, legacy=True)[0] == 0


def test_no_password_or_key_material_in_vvvv_output(playbook, work):
    result = _apply(playbook, work, verbosity=4, extra_args=["--diff"])
    assert result.rc == 0, result
    again = _apply(playbook, work, verbosity=4, extra_args=["--diff"], encryption="modern")
    assert again.rc == 0, again
    out = result.output + again.output
    # -vvvv: a module process says ESTABLISH, an in-process run (docs/architecture.md) says ran in-process
    assert "ESTABLISH LOCAL CONNECTION" in out or "rtvs.remote: ran in-process" in out
    assert "password: ********" in out
    key_lines = [line for line in (work / "broker.key").read_text().splitlines() if not line.startswith("-----")]
    assert PASSWORD not in out
    assert [line for line in key_lines if line in out] == []


def test_ansible_doc_renders_pfx():
    doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    proc = subprocess.run([doc, "rtvs.remote.pfx"], capture_output=True, text=True, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    assert proc.returncode == 0, proc.stderr
    for option in ("certificate_path", "privatekey_path", "other_certificates", "password", "encryption",
                   "friendly_name", "force", "owner", "group", "mode", "backup"):
        assert option in proc.stdout, option
    assert "ATTRIBUTES" in proc.stdout and "diff_mode" in proc.stdout
