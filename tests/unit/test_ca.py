"""Unit tests of module_utils/tls/internal_ca.py (the internal CA) and of issuing broker certificates from it."""
import datetime
import os
import shutil
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.rtvs.remote.plugins.module_utils.tls import broker_certificate, certs, issuing, keys
from ansible_collections.rtvs.remote.plugins.module_utils.tls import internal_ca as ca
from ansible_collections.rtvs.remote.plugins.module_utils.tls.certs import CertError

PASS = "correct horse battery staple"
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def params(folder, **kw):
    base = {"path": str(folder), "passphrase": PASS, "intermediate": False, "permitted_domains": [],
            "root_name": None, "root_valid_days": 7300, "intermediate_valid_days": 1825,
            "renew_before_days": 90, "key_size": 2048, "allow_in_repository": False}
    base.update(kw)
    return base


def snapshot(folder):
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}


def ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One root + intermediate CA with name constraints, shared by the read-only tests."""
    folder = tmp_path_factory.mktemp("made") / "ca"
    result = ca.run(params(folder, intermediate=True, permitted_domains=["Example.COM", ".rtvs.test"]), now=NOW)
    return folder, result


def test_default_dir_is_per_user_data_folder():
    assert ca.default_dir({"XDG_DATA_HOME": "/x/data"}) == "/x/data/rtvs-remote/ca"
    assert ca.default_dir({}) == os.path.join(os.path.expanduser("~"), ".local", "share", "rtvs-remote", "ca")


@pytest.mark.parametrize("intermediate", [False, True])
def test_check_real_check_real(tmp_path, intermediate):
    folder = tmp_path / "ca"
    p = params(folder, intermediate=intermediate)
    first = ca.run(p, check_mode=True, now=NOW)
    assert first["changed"] and not folder.exists()
    assert first["root"]["fingerprint_sha256"] is None and first["issuer_ready"] is False
    second = ca.run(p, now=NOW)
    assert second["changed"]
    before = snapshot(folder)
    third = ca.run(p, check_mode=True, now=NOW)
    fourth = ca.run(p, now=NOW)
    assert [third["changed"], fourth["changed"]] == [False, False]
    assert snapshot(folder) == before
    assert fourth["root"] == second["root"] and third["issuer_ready"] and fourth["issuer_ready"]
    expected = {"root.crt", "root.key"} | ({"intermediate.crt", "intermediate.key"} if intermediate else set())
    assert set(before) == expected
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(folder / "root.key").st_mode) == 0o600
    assert fourth["issuer_certificate_path"] == str(folder / ("intermediate.crt" if intermediate else "root.crt"))
    assert fourth["chain_paths"][-1] == str(folder / "root.crt")


def test_root_extensions(made):
    folder, _result = made
    root = x509.load_pem_x509_certificate((folder / "root.crt").read_bytes())
    bc = ext(root, x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 1
    ku = ext(root, x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and not ku.value.digital_signature
    assert certs.is_self_signed(root)
    assert (certs.not_after(root) - NOW).days >= 7299
    assert ext(root, x509.SubjectKeyIdentifier)


def test_name_constraints_critical_and_normalised(made):
    folder, result = made
    for name in ("root.crt", "intermediate.crt"):
        cert = x509.load_pem_x509_certificate((folder / name).read_bytes())
        nc = ext(cert, x509.NameConstraints)
        assert nc.critical
        assert sorted(n.value for n in nc.value.permitted_subtrees) == ["example.com", "rtvs.test"]
    assert result["permitted_domains"] == ["example.com", "rtvs.test"]


def test_intermediate_signed_by_root_pathlen_zero(made):
    folder, _result = made
    root = x509.load_pem_x509_certificate((folder / "root.crt").read_bytes())
    inter = x509.load_pem_x509_certificate((folder / "intermediate.crt").read_bytes())
    assert certs.signed_by(inter, root) and not certs.is_self_signed(inter)
    assert ext(inter, x509.BasicConstraints).value.path_length == 0
    assert ext(inter, x509.AuthorityKeyIdentifier).value.key_identifier == \
        ext(root, x509.SubjectKeyIdentifier).value.digest
    assert certs.common_name(inter) != certs.common_name(root)


@pytest.mark.parametrize("name", ["root.key", "intermediate.key"])
def test_keys_encrypted_at_rest(made, name):
    folder, _result = made
    data = (folder / name).read_bytes()
    assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(data, password=None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(data, password=b"wrong passphrase!")
    key = serialization.load_pem_private_key(data, password=PASS.encode())
    assert key.key_size == 2048


def test_broker_certificate_from_intermediate(made, tmp_path):
    folder, result = made
    out = {"path": str(tmp_path / "b.crt"), "privatekey_path": str(tmp_path / "b.key"),
           "fqdn": "rserver1.example.com", "subject_alt_names": ["rserver1.rtvs.test", "10.0.0.5"],
           "source": "ca", "ca_certificate_path": result["issuer_certificate_path"],
           "ca_privatekey_path": result["issuer_privatekey_path"], "ca_privatekey_passphrase": PASS,
           "key_size": 2048, "valid_days": 365, "renew_before_days": 30}
    res = broker_certificate.run(out, now=NOW)
    assert res["changed"]
    leaf = x509.load_pem_x509_certificate((tmp_path / "b.crt").read_bytes())
    assert leaf.subject == x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rserver1.example.com")])
    assert res["subject"] == "CN=rserver1.example.com"
    assert ExtendedKeyUsageOID.SERVER_AUTH in ext(leaf, x509.ExtendedKeyUsage).value
    assert res["subject_alt_names"] == ["rserver1.example.com", "rserver1.rtvs.test", "10.0.0.5"]
    inter = x509.load_pem_x509_certificate((folder / "intermediate.crt").read_bytes())
    assert certs.signed_by(leaf, inter)
    assert broker_certificate.run(out, now=NOW)["changed"] is False
    # the broker key on disk is the unencrypted PKCS#8 the PFX step reads
    serialization.load_pem_private_key((tmp_path / "b.key").read_bytes(), password=None)


def test_broker_certificate_outside_constraints_refused(made, tmp_path):
    _folder, result = made
    out = {"path": str(tmp_path / "b.crt"), "privatekey_path": str(tmp_path / "b.key"),
           "fqdn": "rserver1.example.org", "subject_alt_names": ["rserver1"], "source": "ca",
           "ca_certificate_path": result["issuer_certificate_path"],
           "ca_privatekey_path": result["issuer_privatekey_path"], "ca_privatekey_passphrase": PASS,
           "key_size": 2048, "valid_days": 365, "renew_before_days": 30}
    with pytest.raises(CertError, match="rserver1.example.org, rserver1 outside the domains"):
        broker_certificate.run(out, now=NOW)
    assert not (tmp_path / "b.crt").exists()


def test_ca_key_needs_passphrase_in_broker_certificate(made, tmp_path):
    _folder, result = made
    out = {"path": str(tmp_path / "b.crt"), "privatekey_path": str(tmp_path / "b.key"),
           "fqdn": "rserver1.example.com", "source": "ca", "ca_certificate_path": result["issuer_certificate_path"],
           "ca_privatekey_path": result["issuer_privatekey_path"], "key_size": 2048, "valid_days": 365,
           "renew_before_days": 30}
    with pytest.raises(CertError, match="is encrypted; give its passphrase"):
        broker_certificate.run(out, now=NOW)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl binary")
def test_openssl_enforces_the_name_constraints(made, tmp_path):
    """An independent verifier: a leaf inside the domains verifies, one outside is a subtree violation."""
    folder, _result = made
    inter = x509.load_pem_x509_certificate((folder / "intermediate.crt").read_bytes())
    inter_key = serialization.load_pem_private_key((folder / "intermediate.key").read_bytes(), PASS.encode())
    now = certs.utcnow()
    for name, ok in (("good.rtvs.test", True), ("evil.example.org", False)):
        leaf = issuing.build_certificate(keys.generate_key(2048), name, [], 30, inter, inter_key, now=now)
        (tmp_path / "leaf.pem").write_bytes(certs.certs_pem([leaf]))
        proc = subprocess.run(
            ["openssl", "verify", "-CAfile", str(folder / "root.crt"), "-untrusted", str(folder / "intermediate.crt"),
             "-purpose", "sslserver", str(tmp_path / "leaf.pem")], capture_output=True, text=True, check=False)
        assert (proc.returncode == 0) is ok, proc.stdout + proc.stderr
        if not ok:
            assert "subtree" in (proc.stdout + proc.stderr).lower()


def test_wrong_passphrase_refused_nothing_changed(made):
    folder, _result = made
    before = snapshot(folder)
    with pytest.raises(CertError, match="does not open with the given passphrase"):
        ca.run(params(folder, passphrase="another passphrase", intermediate=True,
                      permitted_domains=["example.com", "rtvs.test"]), now=NOW)
    assert snapshot(folder) == before


def test_changed_domains_refused(made):
    folder, _result = made
    with pytest.raises(CertError, match="a root cannot change"):
        ca.run(params(folder, intermediate=True, permitted_domains=["example.com"]), now=NOW)


def test_short_passphrase_refused(tmp_path):
    with pytest.raises(CertError, match="at least 12 characters"):
        ca.run(params(tmp_path / "ca", passphrase="short"), now=NOW)
    assert not (tmp_path / "ca").exists()


@pytest.mark.parametrize("bad", ["*.example.com", "10.0.0.0", "a b", ""])
def test_bad_domain_refused(tmp_path, bad):
    with pytest.raises(CertError, match="not a DNS domain"):
        ca.run(params(tmp_path / "ca", permitted_domains=[bad]), now=NOW)


def test_folder_of_other_owner_refused(tmp_path):
    folder = tmp_path / "ca"
    folder.mkdir(mode=0o700)
    with pytest.raises(CertError, match="owned by uid"):
        ca.check_folder(str(folder), euid=os.geteuid() + 1)


@pytest.mark.parametrize("mode", [0o770, 0o702, 0o777])
def test_writable_folder_refused(tmp_path, mode):
    folder = tmp_path / "ca"
    folder.mkdir()
    os.chmod(folder, mode)
    with pytest.raises(CertError, match="writable by group or others"):
        ca.run(params(folder), now=NOW)
    assert os.listdir(folder) == []


def test_readable_folder_tightened(tmp_path):
    folder = tmp_path / "ca"
    folder.mkdir()
    os.chmod(folder, 0o755)
    result = ca.run(params(folder), now=NOW)
    assert "mode differs" in " ".join(result["reasons"])
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


def test_symlink_folder_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    os.symlink(real, tmp_path / "ca")
    with pytest.raises(CertError, match="is a symlink"):
        ca.run(params(tmp_path / "ca"), now=NOW)
    assert os.listdir(real) == []


def test_symlink_key_refused(tmp_path):
    folder = tmp_path / "ca"
    ca.run(params(folder), now=NOW)
    os.rename(folder / "root.key", tmp_path / "elsewhere.key")
    os.symlink(tmp_path / "elsewhere.key", folder / "root.key")
    with pytest.raises(CertError, match="not a regular file"):
        ca.run(params(folder), now=NOW)


def test_inside_git_work_tree_refused(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    folder = tmp_path / "repo" / "inventories" / "ca"
    with pytest.raises(CertError, match="inside the git work tree"):
        ca.run(params(folder), now=NOW)
    assert not folder.exists()
    assert ca.run(params(folder, allow_in_repository=True), now=NOW)["changed"]


def test_half_pair_refused(tmp_path):
    folder = tmp_path / "ca"
    ca.run(params(folder), now=NOW)
    os.unlink(folder / "root.key")
    before = snapshot(folder)
    with pytest.raises(CertError, match="incomplete .root.key is missing"):
        ca.run(params(folder), now=NOW)
    assert snapshot(folder) == before


def test_unencrypted_ca_key_refused(tmp_path):
    folder = tmp_path / "ca"
    ca.run(params(folder), now=NOW)
    key = serialization.load_pem_private_key((folder / "root.key").read_bytes(), PASS.encode())
    (folder / "root.key").write_bytes(keys.key_pem(key))
    with pytest.raises(CertError, match="not encrypted"):
        ca.run(params(folder), now=NOW)


def test_intermediate_on_root_without_pathlen_refused(tmp_path):
    folder = tmp_path / "ca"
    ca.run(params(folder), now=NOW)
    with pytest.raises(CertError, match="pathlen 0"):
        ca.run(params(folder, intermediate=True), now=NOW)


def test_intermediate_reissued_in_renewal_window_root_kept(tmp_path):
    folder = tmp_path / "ca"
    ca.run(params(folder, intermediate=True, intermediate_valid_days=400), now=NOW)
    before = snapshot(folder)
    later = NOW + 320 * DAY
    result = ca.run(params(folder, intermediate=True, intermediate_valid_days=400), now=later)
    assert result["changed"] and "within renew_before_days" in result["reasons"][0]
    after = snapshot(folder)
    assert after["root.crt"] == before["root.crt"] and after["root.key"] == before["root.key"]
    assert after["intermediate.crt"] != before["intermediate.crt"]
    assert any(n.startswith("intermediate.crt.") and n.endswith(".bak") for n in after)


def test_root_expiring_warns(tmp_path):
    folder = tmp_path / "ca"
    ca.run(params(folder, root_valid_days=400), now=NOW)
    result = ca.run(params(folder, root_valid_days=400), now=NOW + 350 * DAY)
    assert not result["changed"]
    assert "introduce a new root" in result["warnings"][0]


def test_result_and_diff_hold_no_secret(tmp_path):
    folder = tmp_path / "ca"
    result = ca.run(params(folder, intermediate=True), now=NOW)
    text = repr(result)
    assert PASS not in text and "PRIVATE KEY" not in text
    assert "******** (encrypted key)" in result["diff"]["after"]


def test_unset_settings_accept_an_existing_ca_as_it_is(tmp_path):
    folder = tmp_path / "ca"
    made = ca.run(params(folder, intermediate=True, permitted_domains=["rtvs.test"]), now=NOW)
    before = snapshot(folder)
    again = ca.run(params(folder, intermediate=None, permitted_domains=None), now=NOW)
    assert not again["changed"] and snapshot(folder) == before
    assert again["permitted_domains"] == ["rtvs.test"]
    assert again["issuer_certificate_path"] == made["issuer_certificate_path"] == str(folder / "intermediate.crt")
    fresh = ca.run(params(tmp_path / "fresh", intermediate=None, permitted_domains=None), now=NOW)
    assert fresh["permitted_domains"] == [] and fresh["intermediate"] is None
    assert fresh["issuer_certificate_path"] == str(tmp_path / "fresh" / "root.crt")
