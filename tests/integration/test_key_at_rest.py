"""Broker keys kept on the controller, encrypted at rest with rtvs_controller_key_passphrase.

The controller half of the windows_broker certificate step (roles/windows_broker/tasks/certificate_controller.yml,
through include_role, so the role's defaults apply) makes broker.key, broker.crt and broker.pfx on localhost.
With the passphrase set (from a vars file, as from vault): check, real, check, real = changed, changed,
unchanged, unchanged; the key file is PKCS#8 encrypted and opens only with the passphrase; the PFX holds the
same key. A key written unencrypted before the passphrase was set is rewritten encrypted (same key, same
certificate, same PFX). A wrong passphrase is refused with every file byte-identical. The passphrase is never
in the output, even at -vvvv with --diff.
"""
import os
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from conftest import run_playbook, snapshot, windows_controller_playbook

PFX_PASSWORD = "Pfx-Test-Secret-6b2f0a"
PASSPHRASE = "Key-At-Rest-\u20ac-'\"$%-91c3"
FQDN = "rserver.example.test"

PLAYBOOK = windows_controller_playbook(
    'cert_changed={{ windows_broker_controller_cert is changed }}',
    'pfx_changed={{ windows_broker_controller_pfx is changed }}',
    "reasons={{ windows_broker_controller_cert.reasons | default([]) | join('; ') }}",
)


@pytest.fixture
def setup(tmp_path):
    playbook = tmp_path / "controller.yml"
    playbook.write_text(PLAYBOOK)
    report = tmp_path / "report.txt"
    host_dir = tmp_path / "controller" / "localhost"
    extra = {"rtvs_fqdn": FQDN, "rtvs_windows_controller_dir": str(tmp_path / "controller"),
             "report_path": str(report)}

    def secrets(passphrase):
        path = tmp_path / "secrets.yml"
        lines = ['rtvs_pfx_password: "%s"' % PFX_PASSWORD]
        if passphrase is not None:
            lines.append("rtvs_controller_key_passphrase: %s" % _yaml_str(passphrase))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return ("-e", "@%s" % path)

    def run(passphrase=PASSPHRASE, check=False, verbosity=0, diff=False):
        args = secrets(passphrase) + (("--diff",) if diff else ())
        result = run_playbook(str(playbook), extra, check=check, verbosity=verbosity, args=args)
        report_values = {}
        if report.exists():
            report_values = dict(line.split("=", 1) for line in report.read_text().splitlines() if "=" in line)
            report.unlink()
        return result, report_values

    return run, host_dir


def _yaml_str(value):
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def _key(host_dir, passphrase):
    return serialization.load_pem_private_key((host_dir / "broker.key").read_bytes(),
                                              password=passphrase.encode("utf-8") if passphrase else None)


def _pfx_key(host_dir):
    key, _cert, _chain = pkcs12.load_key_and_certificates((host_dir / "broker.pfx").read_bytes(),
                                                          PFX_PASSWORD.encode())
    return key


def test_check_real_check_real_with_the_key_encrypted_at_rest_and_refusals(setup):
    run, host_dir = setup
    outcomes = []
    for check in (True, False, True, False):
        result, report = run(check=check)
        assert result.rc == 0, result
        assert PASSPHRASE not in result.output
        outcomes.append(report["cert_changed"])
    assert outcomes == ["True", "True", "False", "False"]
    assert (host_dir / "broker.key").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert oct(os.stat(host_dir / "broker.key").st_mode & 0o777) == "0o600"
    key = _key(host_dir, PASSPHRASE)
    assert _pfx_key(host_dir).private_numbers() == key.private_numbers()
    opened = subprocess.run(["openssl", "pkey", "-in", str(host_dir / "broker.key"), "-passin", "env:RTVS_PASS",
                             "-noout"], env=dict(os.environ, RTVS_PASS=PASSPHRASE), capture_output=True, check=False)
    assert opened.returncode == 0, opened.stderr
    without = subprocess.run(["openssl", "pkey", "-in", str(host_dir / "broker.key"), "-passin", "pass:", "-noout"],
                             capture_output=True, check=False)
    assert without.returncode != 0, "the key must not open without the passphrase"
    # a wrong or missing passphrase is refused, naming the variable, and every file stays byte-identical
    files = [str(host_dir / n) for n in ("broker.crt", "broker.key", "broker.pfx")]
    before = snapshot(files)
    for passphrase, message in (("Another-Passphrase-1234", "does not open with the given passphrase"),
                                (None, "encrypted at rest and no passphrase is given")):
        result = run(passphrase=passphrase, verbosity=4)[0]
        assert result.rc != 0, result
        assert message in result.output and "rtvs_controller_key_passphrase" in result.output
        assert PASSPHRASE not in result.output and "Another-Passphrase-1234" not in result.output
        assert snapshot(files) == before


def test_an_unencrypted_key_is_re_encrypted_keeping_key_certificate_and_pfx(setup):
    run, host_dir = setup
    result, report = run(passphrase=None)
    assert result.rc == 0 and report["cert_changed"] == "True", result
    plain = _key(host_dir, None)
    before = snapshot([str(host_dir / n) for n in ("broker.crt", "broker.pfx")])
    check, report = run(check=True)
    assert check.rc == 0 and report["cert_changed"] == "True", check
    assert "is not encrypted at rest" in report["reasons"]
    real, report = run(verbosity=4, diff=True)
    assert real.rc == 0 and report["cert_changed"] == "True" and report["pfx_changed"] == "False", real
    assert PASSPHRASE not in real.output
    assert "encrypted at rest" in real.output  # the diff says what changed, without key bytes
    assert _key(host_dir, PASSPHRASE).private_numbers() == plain.private_numbers()
    assert snapshot([str(host_dir / n) for n in ("broker.crt", "broker.pfx")]) == before
    again, report = run(verbosity=4, diff=True)
    assert again.rc == 0 and report == {"cert_changed": "False", "pfx_changed": "False", "reasons": ""}, again
    assert PASSPHRASE not in again.output
