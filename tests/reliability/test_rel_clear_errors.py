"""Issue 14, low items: inputs that gave a traceback, or were accepted but must not be, now get a
clear error naming the fix (nothing written); a killed write's temporary file does not stay forever.
"""
import json
import os
import time

import pytest

import rel_support
from rel_support import snapshot

FQDN = "rtvs.example.test"


def _refused(result, message):
    assert result.rc == 2, result
    assert message in result.output, result
    assert "Traceback" not in result.output and "RecursionError" not in result.output


@pytest.mark.parametrize("extra, message", [
    ({"bc_fqdn": "a" * 60 + ".example.test"},
     "characters; the certificate's CN, which the broker and clients match, holds at most 64"),
    ({"bc_valid_days": 10000000}, "valid_days 10000000 is beyond what a certificate can express usefully"),
    ({"bc_fqdn": "rtvs\u0000evil.example.test"}, "is not a valid DNS name (label"),
    ({"bc_subject_alt_names": ["10.0.0.300"]}, "'10.0.0.300' is not a valid DNS name (its last label is all digits"),
    ({"bc_subject_alt_names": ["-bad-.test"]}, "'-bad-.test' is not a valid DNS name (label '-bad-'"),
], ids=["fqdn over 64", "valid_days huge", "NUL in fqdn", "10.0.0.300", "-bad-.test"])
def test_broker_certificate_bad_names_and_numbers(playbook, tmp_path, extra, message):
    values = {"bc_path": str(tmp_path / "broker.crt"), "bc_privatekey_path": str(tmp_path / "broker.key"),
              "bc_fqdn": FQDN}
    values.update(extra)
    _refused(playbook("broker_certificate/apply.yml", values), message)
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize("text, message", [
    ("[" * 100000 + "]" * 100000, "is nested too deeply to be a broker configuration"),
    ('{"server": {"urls": "https://0.0.0.0:5444"}, "limit": NaN}', "holds NaN, which is not JSON"),
], ids=["deeply nested", "NaN"])
def test_broker_config_existing_file_refused_without_traceback(playbook, tmp_path, text, message):
    path = tmp_path / "rtvsd.config.json"
    path.write_text(text)
    before = snapshot([str(path)])
    result = playbook("broker_config/apply.yml", {"bc_path": str(path), "bc_validate_certificate": False,
                                                  "bc_settings": {"security": {"allowedGroup": ""}}})
    _refused(result, message)
    assert snapshot([str(path)]) == before and os.listdir(str(tmp_path)) == ["rtvsd.config.json"]


def test_broker_config_settings_with_nan_or_absurd_nesting_refused(tmp_path):
    from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_config as bc
    deep = leaf = {}
    for _level in range(5000):
        leaf["a"] = {}
        leaf = leaf["a"]
    for settings, message in (({"limit": float("nan")}, "settings hold NaN or Infinity"),
                              ({"deep": deep}, "nested too deeply")):
        with pytest.raises(bc.BrokerConfigError, match=message):
            bc.apply_file({"path": str(tmp_path / "c.json"), "settings": settings, "platform": "linux",
                           "validate_certificate": False})
    assert os.listdir(str(tmp_path)) == []


def test_pfx_existing_file_with_deeply_nested_asn1_is_refused(playbook, tmp_path):
    key = rel_support.new_key()
    (tmp_path / "k.pem").write_bytes(rel_support.key_pem(key))
    os.chmod(str(tmp_path / "k.pem"), 0o600)
    (tmp_path / "c.pem").write_bytes(rel_support.cert_pem(rel_support.issue(key, [FQDN])))
    (tmp_path / "broker.pfx").write_bytes(b"\x30\x80" * 100000)
    before = snapshot([str(tmp_path / "broker.pfx")])
    result = playbook("pfx/apply.yml", {
        "pfx_path": str(tmp_path / "broker.pfx"), "pfx_certificate_path": str(tmp_path / "c.pem"),
        "pfx_privatekey_path": str(tmp_path / "k.pem"), "pfx_group": "root"},
        args=rel_support.secrets_file(tmp_path / "s.json", pfx_password="Deep-Asn1-Pfx-4411"))
    _refused(result, "is not a PKCS#12 (PFX) file: ASN.1 nested more than 64 levels deep")
    assert "set force: true to replace it" in result.output, result
    assert snapshot([str(tmp_path / "broker.pfx")]) == before


def test_a_killed_writes_old_temporary_file_is_removed_by_the_next_write(playbook, tmp_path):
    path = tmp_path / "rtvsd.config.json"
    stale = tmp_path / ".rtvsd.config.json.k1ll3d.tmp"
    fresh = tmp_path / ".rtvsd.config.json.running.tmp"  # a write running right now keeps its file
    for temp in (stale, fresh):
        temp.write_text('{"security": {"X509CertificatePassword": "left-behind"}}')
        os.chmod(str(temp), 0o600)
    old = time.time() - 3600
    os.utime(str(stale), (old, old))
    result = playbook("broker_config/apply.yml", {
        "bc_path": str(path), "bc_validate_certificate": False,
        "bc_settings": {"server": {"urls": "https://0.0.0.0:5444"},
                        "security": {"allowedGroup": "", "X509CertificateFile": "/etc/rtvs/x.pfx"}}})
    assert result.rc == 0, result
    assert not stale.exists() and fresh.exists()
    assert json.loads(path.read_text())["server"]["urls"] == "https://0.0.0.0:5444"


def test_backup_keep_prunes_old_backups_of_passwords_and_keys(playbook, tmp_path):
    """Backups of old PFXs (old passwords) no longer pile up when backup_keep is set."""
    key = rel_support.new_key()
    (tmp_path / "k.pem").write_bytes(rel_support.key_pem(key))
    os.chmod(str(tmp_path / "k.pem"), 0o600)
    (tmp_path / "c.pem").write_bytes(rel_support.cert_pem(rel_support.issue(key, [FQDN])))
    for index in range(4):
        result = playbook("pfx/apply.yml", {
            "pfx_path": str(tmp_path / "broker.pfx"), "pfx_certificate_path": str(tmp_path / "c.pem"),
            "pfx_privatekey_path": str(tmp_path / "k.pem"), "pfx_group": "root", "pfx_backup": True,
            "pfx_backup_keep": 2, "pfx_force": True},
            args=rel_support.secrets_file(tmp_path / "s.json", pfx_password="Rotated-Pfx-%d-aa" % index))
        assert result.rc == 0, result
        time.sleep(1.1)  # backups are named by the second
    backups = sorted(n for n in os.listdir(str(tmp_path)) if n.startswith("broker.pfx.") and n.endswith(".bak"))
    assert len(backups) == 2, backups
