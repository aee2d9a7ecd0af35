"""rtvs.remote.broker_certificate through real ansible-playbook on localhost.

The playbooks in targets/broker_certificate assert the check/real/check/real
cycle themselves; these tests add what a playbook cannot see: files checked
with the openssl binary, modes, byte-identical files after every refusal, and
no secret in -vvvv output.
"""
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
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import snapshot

FQDN = "rtvs.example.test"
NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
CA_PASSPHRASE = "ca-Passphrase-7731"


def _key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _key_pem(key, passphrase=None):
    enc = serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def _cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _issue(key, names, issuer=None, issuer_key=None, not_before=None, not_after=None, ca=False, eku=True):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 300 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA (encrypted key) and a CA-issued 'provided' certificate for FQDN, all made here."""
    d = tmp_path_factory.mktemp("pki")
    ca_key = _key()
    ca = _issue(ca_key, ["rtvs.remote test CA"], ca=True, eku=False, not_after=NOW + 900 * DAY)
    (d / "ca.crt").write_bytes(_cert_pem(ca))
    (d / "ca.key").write_bytes(_key_pem(ca_key, CA_PASSPHRASE))
    leaf_key = _key()
    leaf = _issue(leaf_key, [FQDN, "alias.example.test"], ca, ca_key)
    (d / "provided.crt").write_bytes(_cert_pem(leaf) + _cert_pem(ca))
    (d / "provided.key").write_bytes(_key_pem(leaf_key))
    other_key = _key()
    (d / "other.key").write_bytes(_key_pem(other_key))
    (d / "wrongname.crt").write_bytes(_cert_pem(_issue(leaf_key, ["elsewhere.example.test"], ca, ca_key)))
    (d / "expired.crt").write_bytes(_cert_pem(_issue(leaf_key, [FQDN], ca, ca_key, NOW - 90 * DAY, NOW - DAY)))
    (d / "future.crt").write_bytes(_cert_pem(_issue(leaf_key, [FQDN], ca, ca_key, NOW + 10 * DAY, NOW + 90 * DAY)))
    weak_key = _key(1024)
    (d / "weak.key").write_bytes(_key_pem(weak_key))
    (d / "weak.crt").write_bytes(_cert_pem(_issue(weak_key, [FQDN])))
    (d / "malformed.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----\n")
    (d / "notca.crt").write_bytes(_cert_pem(leaf))
    return d


def _vars(workdir, **extra):
    values = {"bc_path": str(workdir / "broker.crt"), "bc_privatekey_path": str(workdir / "broker.key"), "bc_fqdn": FQDN}
    values.update({"bc_" + k: v for k, v in extra.items()})
    return values


def _openssl(*args, data=None):
    proc = subprocess.run(["openssl"] + list(args), input=data, capture_output=True, check=False)
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "replace")


def _results(workdir):
    return json.loads((workdir / "results.json").read_text())


def test_selfsigned_cycle(playbook, tmp_path):
    result = playbook("broker_certificate/cycle.yml", {
        "bc_workdir": str(tmp_path), "bc_fqdn": FQDN, "bc_source": "selfsigned",
        "bc_subject_alt_names": ["rtvs", "192.0.2.10", "2001:db8::5"]})
    assert result.rc == 0, result
    rc, text = _openssl("x509", "-in", str(tmp_path / "broker.crt"), "-noout", "-text", "-fingerprint", "-sha256")
    assert rc == 0, text
    assert "Subject: CN = %s" % FQDN in text
    assert "DNS:%s, DNS:rtvs, IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:5" % FQDN in text
    assert "TLS Web Server Authentication" in text
    assert "Public-Key: (2048 bit)" in text
    real2 = _results(tmp_path)["real2"]
    assert ("sha256 Fingerprint=" + real2["fingerprint_sha256"]) in text
    assert stat.S_IMODE(os.stat(tmp_path / "broker.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "broker.crt").st_mode) == 0o644
    rc, text = _openssl("pkey", "-in", str(tmp_path / "broker.key"), "-noout", "-check")
    assert rc == 0, text


def test_ca_cycle_and_openssl_verifies_the_chain(playbook, tmp_path, pki):
    result = playbook("broker_certificate/cycle.yml", {
        "bc_workdir": str(tmp_path), "bc_fqdn": FQDN, "bc_source": "ca",
        "bc_ca_certificate_path": str(pki / "ca.crt"), "bc_ca_privatekey_path": str(pki / "ca.key"),
        "bc_ca_privatekey_passphrase": CA_PASSPHRASE})
    assert result.rc == 0, result
    rc, text = _openssl("verify", "-purpose", "sslserver", "-CAfile", str(pki / "ca.crt"), str(tmp_path / "broker.crt"))
    assert rc == 0 and ": OK" in text, text
    assert _results(tmp_path)["real2"]["issuer"] == "CN=rtvs.remote test CA"


def test_provided_cycle_installs_leaf_and_chain(playbook, tmp_path, pki):
    result = playbook("broker_certificate/cycle.yml", {
        "bc_workdir": str(tmp_path), "bc_fqdn": FQDN, "bc_source": "provided",
        "bc_provided_certificate_path": str(pki / "provided.crt"),
        "bc_provided_privatekey_path": str(pki / "provided.key")})
    assert result.rc == 0, result
    assert (tmp_path / "broker.crt").read_bytes() == (pki / "provided.crt").read_bytes()
    installed = serialization.load_pem_private_key((tmp_path / "broker.key").read_bytes(), None)
    original = serialization.load_pem_private_key((pki / "provided.key").read_bytes(), None)
    assert installed.private_numbers() == original.private_numbers()


def test_switching_source_from_selfsigned_to_ca_reissues_and_keeps_the_key(playbook, tmp_path, pki):
    assert playbook("broker_certificate/apply.yml", _vars(tmp_path)).rc == 0
    key_before = (tmp_path / "broker.key").read_bytes()
    result = playbook("broker_certificate/apply.yml", _vars(
        tmp_path, source="ca", ca_certificate_path=str(pki / "ca.crt"), ca_privatekey_path=str(pki / "ca.key"),
        ca_privatekey_passphrase=CA_PASSPHRASE))
    assert result.rc == 0, result
    assert "certificate is not signed by ca_certificate_path" in result.stdout
    assert (tmp_path / "broker.key").read_bytes() == key_before


def test_renewal_window(playbook, tmp_path):
    result = playbook("broker_certificate/renew.yml", {"bc_workdir": str(tmp_path), "bc_fqdn": FQDN})
    assert result.rc == 0, result


def test_attributes_only_change_is_reported_and_fixed(playbook, tmp_path):
    assert playbook("broker_certificate/apply.yml", _vars(tmp_path)).rc == 0
    os.chmod(tmp_path / "broker.key", 0o400)  # narrower than wanted; wider is refused (issue 14 M2, tests/reliability)
    before = (tmp_path / "broker.key").read_bytes()
    result = playbook("broker_certificate/apply.yml", _vars(tmp_path))
    assert result.rc == 0, result
    assert "privatekey_path mode differs" in result.stdout and "changed=1" in result.stdout
    assert stat.S_IMODE(os.stat(tmp_path / "broker.key").st_mode) == 0o600
    assert (tmp_path / "broker.key").read_bytes() == before


def test_backup_keeps_the_old_pair_with_its_modes(playbook, tmp_path, pki):
    assert playbook("broker_certificate/apply.yml", _vars(tmp_path)).rc == 0
    old_cert = (tmp_path / "broker.crt").read_bytes()
    old_key = (tmp_path / "broker.key").read_bytes()
    result = playbook("broker_certificate/apply.yml", _vars(tmp_path, force=True, backup=True))
    assert result.rc == 0, result
    backups = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".bak"))
    assert len(backups) == 2, backups
    key_backup = next(tmp_path / b for b in backups if b.startswith("broker.key."))
    assert key_backup.read_bytes() == old_key and stat.S_IMODE(os.stat(key_backup).st_mode) == 0o600
    assert next((tmp_path / b).read_bytes() for b in backups if b.startswith("broker.crt.")) == old_cert
    assert (tmp_path / "broker.key").read_bytes() != old_key


# ---------------------------------------------------------------- refusals leave files byte-identical


def _provided(pki, cert="provided.crt", key="provided.key", **extra):
    values = {"source": "provided", "provided_certificate_path": str(pki / cert), "provided_privatekey_path": str(pki / key)}
    values.update(extra)
    return values


FAILURES = [
    ("name", lambda pki: _provided(pki, "wrongname.crt"),
     "provided_certificate_path does not cover rtvs.example.test (it names elsewhere.example.test)"),
    ("extra name", lambda pki: _provided(pki, subject_alt_names=["10.1.1.1"]), "does not cover 10.1.1.1"),
    ("expired", lambda pki: _provided(pki, "expired.crt"), "provided_certificate_path expired on"),
    ("not yet valid", lambda pki: _provided(pki, "future.crt"), "provided_certificate_path is not valid before"),
    ("key mismatch", lambda pki: _provided(pki, key="other.key"),
     "provided_privatekey_path does not belong to provided_certificate_path"),
    ("weak key", lambda pki: _provided(pki, "weak.crt", "weak.key"), "RSA key of 1024 bits, too weak; use at least 2048"),
    ("malformed", lambda pki: _provided(pki, "malformed.crt"), "provided_certificate_path is a malformed PEM certificate"),
    ("missing input", lambda pki: _provided(pki, "absent.crt"), "provided_certificate_path %s does not exist"),
    ("not a CA", lambda pki: {"source": "ca", "ca_certificate_path": str(pki / "notca.crt"),
                              "ca_privatekey_path": str(pki / "provided.key")},
     "ca_certificate_path is not a CA certificate"),
    ("CA passphrase", lambda pki: {"source": "ca", "ca_certificate_path": str(pki / "ca.crt"),
                                   "ca_privatekey_path": str(pki / "ca.key")},
     "ca_privatekey_path is encrypted; give its passphrase"),
    ("weak key_size", lambda pki: {"key_size": 1024, "force": True}, "key_size 1024 is too weak; use 2048 or more"),
    ("validity", lambda pki: {"valid_days": 20, "renew_before_days": 30, "fqdn": "new.example.test"},
     "valid_days (20) must be greater than renew_before_days (30)"),
    ("owner", lambda pki: {"owner": "no-such-user-rtvs", "fqdn": "new.example.test"},
     "user 'no-such-user-rtvs' does not exist"),
    ("missing source input", lambda pki: {"source": "ca"}, "source is ca but all of the following are missing"),
]


@pytest.mark.parametrize("case,args,message", FAILURES, ids=[f[0] for f in FAILURES])
def test_refusal_leaves_files_byte_identical(playbook, tmp_path, pki, case, args, message):
    # An installed pair to protect (made here rather than by a playbook run, to keep the suite fast).
    key = _key()
    (tmp_path / "broker.key").write_bytes(_key_pem(key))
    (tmp_path / "broker.crt").write_bytes(_cert_pem(_issue(key, [FQDN])))
    os.chmod(tmp_path / "broker.key", 0o600)
    files = [tmp_path / "broker.crt", tmp_path / "broker.key"]
    before = snapshot(files)
    args = args(pki)
    fqdn = args.pop("fqdn", FQDN)
    values = _vars(tmp_path, **args)
    values["bc_fqdn"] = fqdn
    result = playbook("broker_certificate/apply.yml", values)
    assert result.rc != 0, result
    assert (message % str(pki / "absent.crt") if "%s" in message else message) in result.stdout, result
    assert snapshot(files) == before
    assert sorted(os.listdir(tmp_path)) == ["broker.crt", "broker.key"], "no temporary or backup file left"


def test_unreadable_existing_key_is_refused_then_replaced_with_force(playbook, tmp_path):
    (tmp_path / "broker.key").write_bytes(b"this is not a key\n")
    os.chmod(tmp_path / "broker.key", 0o600)
    before = snapshot([tmp_path / "broker.key"])
    result = playbook("broker_certificate/apply.yml", _vars(tmp_path))
    assert result.rc != 0
    assert "privatekey_path holds no PEM private key" in result.stdout and "force: true" in result.stdout, result
    assert snapshot([tmp_path / "broker.key"]) == before
    assert not (tmp_path / "broker.crt").exists()
    result = playbook("broker_certificate/apply.yml", _vars(tmp_path, force=True))
    assert result.rc == 0, result
    assert b"PRIVATE KEY" in (tmp_path / "broker.key").read_bytes()


# ---------------------------------------------------------------- secrets


def _secret_lines(pem):
    return [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]


def _vars_file(path, values):
    """Secrets go in a vars file, as from a vault: ansible -vvvv echoes its own command line, -e values included."""
    path.write_text(json.dumps(values))
    return ["-e", "@%s" % path]


def test_no_key_material_or_passphrase_in_vvvv_output(playbook, tmp_path, pki):
    provided_key = (pki / "provided.key").read_bytes()
    work = tmp_path / "provided"
    work.mkdir()
    secrets_file = _vars_file(tmp_path / "provided.json", {"bc_provided_privatekey_content": provided_key.decode()})
    result = playbook("broker_certificate/apply.yml", _vars(
        work, source="provided", provided_certificate_content=(pki / "provided.crt").read_text()),
        verbosity=4, args=["--diff"] + secrets_file)
    assert result.rc == 0, result
    ca_dir = tmp_path / "ca"
    ca_dir.mkdir()
    secrets_file = _vars_file(tmp_path / "ca.json", {"bc_ca_privatekey_passphrase": CA_PASSPHRASE})
    result_ca = playbook("broker_certificate/apply.yml", _vars(
        ca_dir, source="ca", ca_certificate_path=str(pki / "ca.crt"), ca_privatekey_path=str(pki / "ca.key")),
        verbosity=4, args=["--diff"] + secrets_file)
    assert result_ca.rc == 0, result_ca
    assert (work / "broker.key").exists() and (ca_dir / "broker.key").exists()
    secrets = (_secret_lines(provided_key) + _secret_lines((ca_dir / "broker.key").read_bytes())
               + _secret_lines((pki / "ca.key").read_bytes()) + [CA_PASSPHRASE])
    out = result.output + result_ca.output
    # -vvvv: a module process says ESTABLISH, an in-process run (docs/architecture.md) says ran in-process
    assert "ESTABLISH LOCAL CONNECTION" in out or "rtvs.remote: ran in-process" in out, "-vvvv output expected"
    leaked = [s for s in secrets if s in out]
    assert leaked == []
    assert "privatekey: ********" in out


def test_ansible_doc_renders_both_modules():
    doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    for module, options in (
        ("rtvs.remote.broker_certificate", ["privatekey_path", "subject_alt_names", "renew_before_days",
                                            "provided_privatekey_content", "ca_privatekey_passphrase", "backup"]),
        ("rtvs.remote.pfx", ["certificate_path", "other_certificates", "encryption", "friendly_name", "force", "password"]),
    ):
        proc = subprocess.run([doc, module], capture_output=True, text=True, check=False,
                              env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
        assert proc.returncode == 0, proc.stderr
        for option in options:
            assert option in proc.stdout, (module, option)
        assert "ATTRIBUTES" in proc.stdout and "check_mode" in proc.stdout
