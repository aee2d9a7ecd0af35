"""Bad inputs at module level not covered by tests/integration: a PFX without its private key and a
missing certificate path. Every refusal leaves config and PFX byte-identical."""
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

import rel_support
from rel_support import cert_pem, issue, key_pem, new_key, secrets_file, snapshot

PASSWORD = "Rel-BadInput-Pfx-77d1"
FQDN = "rtvs.example.test"
CONFIG_APPLY = os.path.join(rel_support.ROOT, "tests", "integration", "targets", "broker_config", "apply.yml")
PFX_APPLY = os.path.join(rel_support.ROOT, "tests", "integration", "targets", "pfx", "apply.yml")


def _enc():
    return serialization.BestAvailableEncryption(PASSWORD.encode())


@pytest.fixture
def host(tmp_path):
    """A working broker folder: key, cert, PFX with key, config pointing at it; plus a PFX without key."""
    key = new_key()
    cert = issue(key, [FQDN])
    (tmp_path / "broker.key").write_bytes(key_pem(key))
    os.chmod(tmp_path / "broker.key", 0o600)
    (tmp_path / "broker.crt").write_bytes(cert_pem(cert))
    (tmp_path / "broker.pfx").write_bytes(pkcs12.serialize_key_and_certificates(b"b", key, cert, None, _enc()))
    (tmp_path / "certonly.pfx").write_bytes(pkcs12.serialize_key_and_certificates(b"b", None, cert, None, _enc()))
    config = {"urls": "https://0.0.0.0:5444",
              "security": {"X509CertificateFile": str(tmp_path / "broker.pfx"),
                           "X509CertificatePassword": PASSWORD, "allowedGroup": ""}}
    (tmp_path / "rtvsd.config.json").write_text(json.dumps(config, indent=2))
    os.chmod(tmp_path / "rtvsd.config.json", 0o640)
    return tmp_path


def _files(host):
    return [str(host / n) for n in ("rtvsd.config.json", "broker.pfx", "certonly.pfx", "broker.key", "broker.crt")]


def _config(playbook, host, pfx):
    settings = {"urls": "https://0.0.0.0:5444", "security": {"X509CertificateFile": str(pfx), "allowedGroup": ""}}
    return playbook(CONFIG_APPLY, {"bc_path": str(host / "rtvsd.config.json"), "bc_settings": settings,
                                   "bc_backup": True},
                    args=secrets_file(host.parent / ("vault-%s.json" % host.name), bc_certificate_password=PASSWORD))


def test_config_pointing_at_a_pfx_without_private_key_is_refused(playbook, host):
    before = snapshot(_files(host))
    result = _config(playbook, host, host / "certonly.pfx")
    assert result.rc != 0, result
    assert ("%s must hold both the private key and the certificate" % (host / "certonly.pfx")) in result.stdout, result
    assert "rebuild it with rtvs.remote.pfx" in result.stdout, result
    assert snapshot(_files(host)) == before
    assert not [p for p in os.listdir(host) if p.endswith(".bak") or p.endswith(".tmp")]


def test_config_with_a_missing_certificate_path_is_refused(playbook, host):
    before = snapshot(_files(host))
    result = _config(playbook, host, host / "absent.pfx")
    assert result.rc != 0, result
    assert ("security.X509CertificateFile: cannot read %s (No such file or directory)"
            % (host / "absent.pfx")) in result.stdout, result
    assert "rtvs.remote.pfx" in result.stdout, result
    assert snapshot(_files(host)) == before


def test_pfx_without_private_key_is_rebuilt_from_the_key_and_backed_up(playbook, host):
    """The managed PFX lost its key (e.g. exported without it): rtvs.remote.pfx rebuilds it from the
    key, says why, and keeps the old file as a backup with the same mode."""
    os.replace(host / "certonly.pfx", host / "broker.pfx")
    os.chmod(host / "broker.pfx", 0o640)
    old = (host / "broker.pfx").read_bytes()
    values = {"pfx_path": str(host / "broker.pfx"), "pfx_certificate_path": str(host / "broker.crt"),
              "pfx_privatekey_path": str(host / "broker.key"), "pfx_backup": True, "pfx_encryption": "modern"}
    result = playbook(PFX_APPLY, values, args=secrets_file(host.parent / "v.json", pfx_password=PASSWORD))
    assert result.rc == 0, result
    assert "private key missing from the PFX" in result.stdout, result
    loaded = pkcs12.load_pkcs12((host / "broker.pfx").read_bytes(), PASSWORD.encode())
    assert loaded.key is not None
    backups = [p for p in host.iterdir() if p.name.startswith("broker.pfx.") and p.name.endswith(".bak")]
    assert len(backups) == 1 and backups[0].read_bytes() == old
    assert rel_support.mode_of(backups[0]) == 0o640
