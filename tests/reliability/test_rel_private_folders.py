"""M2 (issue 14): a pre-created controller folder or a key of another account is never adopted.

pki/<host> made in advance by another user (mode 0777, holding that user's key and a matching
certificate) was adopted: broker_certificate kept the key and chowned it, pfx bundled it, and that
user could impersonate the broker. Now broker_certificate and pfx (used by both the Linux and the
Windows role on the controller) refuse such a folder or key, naming the fix, and change nothing.
"""
import os
import pwd

import pytest

import rel_support
from rel_support import snapshot

FQDN = "rtvs.example.test"
PASSWORD = "Private-Folder-Pfx-9d2e"


def _stranger():
    return pwd.getpwnam("nobody").pw_uid


@pytest.fixture
def planted(tmp_path):
    """pki/<host> with a key and matching certificate, as another account would leave them."""
    folder = tmp_path / "pki" / "host1"
    folder.mkdir(parents=True)
    key = rel_support.new_key()
    (folder / "broker.key").write_bytes(rel_support.key_pem(key))
    (folder / "broker.crt").write_bytes(rel_support.cert_pem(rel_support.issue(key, [FQDN])))
    os.chmod(str(folder / "broker.key"), 0o600)
    return folder


def _files(folder):
    return snapshot([str(folder / n) for n in ("broker.key", "broker.crt", "broker.pfx")])


def _certificate(playbook, folder, **extra):
    values = {"bc_path": str(folder / "broker.crt"), "bc_privatekey_path": str(folder / "broker.key"),
              "bc_fqdn": FQDN, "bc_owner": "root", "bc_mode": "0600", "bc_privatekey_mode": "0600"}
    values.update(extra)
    return playbook("broker_certificate/apply.yml", values)


def _pfx(playbook, folder, tmp_path, **extra):
    values = {"pfx_path": str(folder / "broker.pfx"), "pfx_certificate_path": str(folder / "broker.crt"),
              "pfx_privatekey_path": str(folder / "broker.key"), "pfx_owner": "root", "pfx_mode": "0600"}
    values.update(extra)
    return playbook("pfx/apply.yml", values,
                    args=rel_support.secrets_file(tmp_path / "s.json", pfx_password=PASSWORD))


def _refused(result, *messages):
    assert result.rc == 2, result
    for message in messages:
        assert message in result.output, result
    assert "Traceback" not in result.output


def _setup(folder, case):
    if case == "folder of another account":
        for path in (folder, folder / "broker.key", folder / "broker.crt"):
            os.chown(str(path), _stranger(), -1)
        os.chmod(str(folder), 0o777)
        return "is owned by nobody, who could have put a key of their own there"
    if case == "folder writable by others":
        os.chmod(str(folder), 0o777)
        return "has mode 0777: other accounts can put a key of their own there"
    if case == "key of another account":
        os.chown(str(folder / "broker.key"), _stranger(), -1)
        return "privatekey_path %s is owned by nobody" % (folder / "broker.key")
    if case == "key readable by others":
        os.chmod(str(folder / "broker.key"), 0o644)
        return "has mode 0644: group or other could read or change this private key"
    raise AssertionError(case)


CASES = ["folder of another account", "folder writable by others", "key of another account", "key readable by others"]


@pytest.mark.parametrize("case", CASES)
def test_broker_certificate_refuses_a_planted_folder_or_key(playbook, planted, case):
    message = _setup(planted, case)
    before = _files(planted)
    result = _certificate(playbook, planted)
    _refused(result, message)
    assert _files(planted) == before


@pytest.mark.parametrize("case", CASES)
def test_pfx_refuses_to_bundle_a_planted_folder_or_key(playbook, planted, tmp_path, case):
    message = _setup(planted, case)
    before = _files(planted)
    result = _pfx(playbook, planted, tmp_path)
    _refused(result, message)
    assert _files(planted) == before and not (planted / "broker.pfx").exists()


def test_control_own_folder_and_key_are_used_and_a_root_group_key_is_bundled(playbook, planted, tmp_path):
    os.chmod(str(planted), 0o700)
    assert _certificate(playbook, planted).rc == 0
    assert _pfx(playbook, planted, tmp_path).rc == 0
    # A root-owned 0640 key (as in /etc/ssl/private with group ssl-cert) is fine as pfx input.
    os.chmod(str(planted / "broker.key"), 0o640)
    assert _pfx(playbook, planted, tmp_path, pfx_force=True).rc == 0


@pytest.mark.parametrize("extra, message", [
    ({"bc_privatekey_mode": "0666"}, "privatekey_mode 0666 lets other accounts read or change the private key"),
    ({"bc_privatekey_path": "SAME"}, "path and privatekey_path are the same file"),
])
def test_broker_certificate_refuses_unsafe_key_options(playbook, tmp_path, extra, message):
    if extra.get("bc_privatekey_path") == "SAME":
        extra = {"bc_privatekey_path": str(tmp_path / "broker.crt")}
    result = _certificate(playbook, tmp_path, **extra)
    _refused(result, message)
    assert sorted(os.listdir(str(tmp_path))) == []


def test_world_readable_pfx_mode_is_warned(playbook, planted, tmp_path):
    os.chmod(str(planted), 0o700)
    result = _pfx(playbook, planted, tmp_path, pfx_mode="0644")
    assert result.rc == 0, result
    assert "mode 0644 lets every account on the host read" in result.output, result


def test_bundling_an_expired_certificate_is_warned(playbook, tmp_path):
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    key = rel_support.new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, FQDN)])
    expired = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(rel_support.NOW - datetime.timedelta(days=30))
               .not_valid_after(rel_support.NOW - datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "broker.key").write_bytes(rel_support.key_pem(key))
    os.chmod(str(tmp_path / "broker.key"), 0o600)
    (tmp_path / "broker.crt").write_bytes(rel_support.cert_pem(expired))
    result = _pfx(playbook, tmp_path, tmp_path)
    assert result.rc == 0, result
    assert "certificate_path expired on" in result.output and "clients refuse" in " ".join(result.output.split())


@pytest.mark.parametrize("names", [["elsewhere.example.test"], [FQDN, "10.20.0.5"]])
def test_bundling_a_wrong_name_certificate_is_refused_and_nothing_written(playbook, planted, tmp_path, names):
    """Issue 14 (Low): a certificate whose names do not cover the wanted FQDN was bundled silently."""
    before = _files(planted)
    result = _pfx(playbook, planted, tmp_path, pfx_expected_names=names)
    missing = [n for n in names if n != FQDN]
    _refused(result, "certificate_path does not cover %s (it names %s)" % (", ".join(missing), FQDN),
             "issue one whose SubjectAltName includes %s (rtvs.remote.broker_certificate)" % ", ".join(missing),
             "name_mismatch: warn bundles it anyway")
    assert _files(planted) == before


def test_bundling_a_wrong_name_certificate_is_warned_when_asked(playbook, planted, tmp_path):
    result = _pfx(playbook, planted, tmp_path, pfx_expected_names=["elsewhere.example.test"], pfx_name_mismatch="warn")
    assert result.rc == 0, result
    flat = " ".join(result.output.split())
    assert "certificate_path does not cover elsewhere.example.test (it names %s)" % FQDN in flat, result
    assert "would refuse the broker's certificate" in flat
    assert (planted / "broker.pfx").exists()
    # the names the certificate covers pass without a word
    ok = _pfx(playbook, planted, tmp_path, pfx_expected_names=[FQDN.upper() + "."])
    assert ok.rc == 0 and "does not cover" not in ok.output, ok
