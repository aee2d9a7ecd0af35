"""The controller half of the windows_broker certificate step, run for real on localhost.

roles/windows_broker/tasks/certificate_controller.yml is what the role runs (delegated to the
controller) before copying the PFX to a Windows host. Here it runs through include_role, so the
role's own defaults apply, the community.crypto way: check, real, check, real. The PFX is then
opened with the real openssl binary to prove it uses the algorithms Server 2012 R2/2016 can import
(pbeWithSHA1And3-KeyTripleDES-CBC for key and certificates, SHA-1 MAC), and its certificate's SHA-1
fingerprint is the thumbprint the role will look for in Cert:\\LocalMachine\\My.
"""
import os
import re
import subprocess

import pytest

from conftest import run_playbook, snapshot, windows_controller_playbook

PASSWORD = "Pfx-Test-Secret-8c1e4d"
FQDN = "rserver.example.test"

PLAYBOOK = windows_controller_playbook(
    'thumbprint={{ windows_broker_thumbprint }}',
    'cert_changed={{ windows_broker_controller_cert is changed }}',
    'pfx_changed={{ windows_broker_controller_pfx is changed }}',
    'subject={{ windows_broker_subject }}',
    'chain={{ windows_broker_chain | length }}',
)


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, input=stdin, check=False)


@pytest.fixture
def setup(tmp_path):
    if subprocess.run(["which", "openssl"], capture_output=True, check=False).returncode != 0:
        pytest.skip("openssl binary not installed")
    playbook = tmp_path / "controller_pfx.yml"
    playbook.write_text(PLAYBOOK)
    controller_dir = tmp_path / "controller"
    report = tmp_path / "report.txt"
    # The password goes in a vars file, as from vault: -vvvv echoes the command line.
    secrets = tmp_path / "secrets.yml"
    secrets.write_text('rtvs_pfx_password: "%s"\n' % PASSWORD)
    extra = {
        "rtvs_fqdn": FQDN,
        "rtvs_windows_controller_dir": str(controller_dir),
        "report_path": str(report),
    }
    host_dir = controller_dir / "localhost"
    return playbook, extra, host_dir, report, ("-e", "@%s" % secrets)


def read_report(report):
    return dict(line.split("=", 1) for line in report.read_text().splitlines() if "=" in line)


def test_check_real_check_real_and_compat_pfx(setup):
    playbook, extra, host_dir, report, secret_args = setup
    files = [str(host_dir / n) for n in ("broker.crt", "broker.key", "broker.pfx")]

    first = run_playbook(str(playbook), extra, check=True, args=secret_args)
    assert first.rc == 0, first
    assert read_report(report) == {"thumbprint": "", "cert_changed": "True", "pfx_changed": "False",
                                   "subject": "CN=" + FQDN, "chain": "0"}, \
        "check mode: the certificate would be made, the PFX step waits for it"
    assert all(not os.path.exists(f) for f in files), "check mode wrote files"

    second = run_playbook(str(playbook), extra, args=secret_args)
    assert second.rc == 0, second
    real = read_report(report)
    assert real["cert_changed"] == "True" and real["pfx_changed"] == "True"
    assert re.fullmatch(r"[0-9A-F]{40}", real["thumbprint"]), real
    assert oct(os.stat(host_dir).st_mode & 0o777) == "0o700"
    assert oct(os.stat(host_dir / "broker.pfx").st_mode & 0o777) == "0o600"
    assert oct(os.stat(host_dir / "broker.key").st_mode & 0o777) == "0o600"
    before = snapshot(files)

    third = run_playbook(str(playbook), extra, check=True, args=secret_args)
    assert third.rc == 0, third
    assert read_report(report) == {"thumbprint": real["thumbprint"], "cert_changed": "False", "pfx_changed": "False",
                                   "subject": "CN=" + FQDN, "chain": "0"}

    fourth = run_playbook(str(playbook), extra, args=secret_args)
    assert fourth.rc == 0, fourth
    assert read_report(report) == {"thumbprint": real["thumbprint"], "cert_changed": "False", "pfx_changed": "False",
                                   "subject": "CN=" + FQDN, "chain": "0"}
    assert snapshot(files) == before, "an unchanged run rewrote a file"

    # Real openssl reads the PFX with the password and names the compat algorithms.
    info = openssl("pkcs12", "-in", str(host_dir / "broker.pfx"), "-info", "-noout", "-passin", "pass:" + PASSWORD)
    assert info.returncode == 0, info.stderr
    text = info.stdout + info.stderr
    assert "MAC: sha1" in text, text
    assert "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC" in text, text
    assert "PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC" in text, text
    assert "PBES2" not in text and "AES" not in text.upper(), text

    # The certificate inside is CN=<rtvs_fqdn> and its SHA-1 fingerprint is the role's thumbprint.
    pem = openssl("pkcs12", "-in", str(host_dir / "broker.pfx"), "-nokeys", "-clcerts", "-passin", "pass:" + PASSWORD)
    assert pem.returncode == 0, pem.stderr
    subject = openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", stdin=pem.stdout)
    assert subject.stdout.strip() == "subject=CN=" + FQDN
    fingerprint = openssl("x509", "-noout", "-fingerprint", "-sha1", stdin=pem.stdout)
    assert fingerprint.stdout.strip().split("=", 1)[1].replace(":", "") == real["thumbprint"]

    # A wrong password does not open it (the check above is not vacuous).
    wrong = openssl("pkcs12", "-in", str(host_dir / "broker.pfx"), "-info", "-noout", "-passin", "pass:wrong")
    assert wrong.returncode != 0


def test_modern_encryption_flows_through(setup):
    playbook, extra, host_dir, report, secret_args = setup
    extra = dict(extra, rtvs_windows_pfx_encryption="modern")
    result = run_playbook(str(playbook), extra, args=secret_args)
    assert result.rc == 0, result
    info = openssl("pkcs12", "-in", str(host_dir / "broker.pfx"), "-info", "-noout", "-passin", "pass:" + PASSWORD)
    assert info.returncode == 0, info.stderr
    text = info.stdout + info.stderr
    assert "PBES2" in text and "AES-256" in text.upper(), text
    assert "TripleDES" not in text


def test_password_never_in_verbose_output(setup):
    playbook, extra, host_dir, report, secret_args = setup
    result = run_playbook(str(playbook), extra, verbosity=4, args=secret_args)
    assert result.rc == 0, result
    assert PASSWORD not in result.output
