"""rtvs_certificate_source internal_ca through the windows_broker controller step, for real on localhost.

certificate_controller.yml is the part of a broker role that runs on the controller alone, so it shows the
wiring of the internal CA into a role without a host: check mode on an empty controller issues nothing
(the CA does not exist yet), the real run creates the CA and issues CN=<fqdn> from it, and check/real again
change nothing.
"""
import subprocess

from cryptography import x509

from conftest import run_playbook, snapshot, windows_controller_playbook

PLAYBOOK = windows_controller_playbook(
    'thumbprint={{ windows_broker_thumbprint }}',
    'ca_changed={{ windows_broker_internal_ca is changed }}',
    'cert_changed={{ windows_broker_controller_cert is changed }}',
    'pfx_changed={{ windows_broker_controller_pfx is changed }}',
)
FQDN = "ws1.rtvs.test"


def test_internal_ca_source_check_real_check_real(tmp_path):
    playbook = tmp_path / "pb.yml"
    playbook.write_text(PLAYBOOK)
    secrets = tmp_path / "secrets.yml"
    secrets.write_text('rtvs_pfx_password: "Pfx-Test-Secret-1f2e"\nrtvs_internal_ca_passphrase: "ca-secret-passphrase-77"\n')
    report = tmp_path / "report.txt"
    extra = {"rtvs_fqdn": FQDN, "rtvs_certificate_source": "internal_ca", "rtvs_internal_ca_dir": str(tmp_path / "ca"),
             "rtvs_internal_ca_permitted_domains": ["rtvs.test"], "rtvs_windows_controller_dir": str(tmp_path / "ctl"),
             "report_path": str(report)}
    args = ("-e", "@%s" % secrets)

    def reported():
        return dict(line.split("=", 1) for line in report.read_text().splitlines() if "=" in line)

    first = run_playbook(str(playbook), extra, check=True, args=args)
    assert first.rc == 0, first
    assert reported() == {"thumbprint": "", "ca_changed": "True", "cert_changed": "False", "pfx_changed": "False"}
    assert not (tmp_path / "ca").exists()

    second = run_playbook(str(playbook), extra, args=args, verbosity=4)
    assert second.rc == 0, second
    assert "ca-secret-passphrase-77" not in second.output
    real = reported()
    assert real["ca_changed"] == real["cert_changed"] == real["pfx_changed"] == "True"
    files = [str(tmp_path / "ctl" / "localhost" / n) for n in ("broker.crt", "broker.key", "broker.pfx")]
    files += [str(tmp_path / "ca" / n) for n in ("root.crt", "root.key")]
    before = snapshot(files)

    for check in (True, False):
        again = run_playbook(str(playbook), extra, check=check, args=args)
        assert again.rc == 0, again
        assert reported() == {"thumbprint": real["thumbprint"], "ca_changed": "False", "cert_changed": "False",
                              "pfx_changed": "False"}
    assert snapshot(files) == before

    leaf = x509.load_pem_x509_certificate((tmp_path / "ctl" / "localhost" / "broker.crt").read_bytes())
    assert leaf.subject.rfc4514_string() == "CN=" + FQDN
    proc = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "ca" / "root.crt"), "-verify_hostname", FQDN,
                           str(tmp_path / "ctl" / "localhost" / "broker.crt")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_internal_ca_source_without_passphrase_is_refused_before_anything(tmp_path):
    playbook = tmp_path / "pb.yml"
    playbook.write_text(PLAYBOOK.replace("tasks_from: certificate_controller.yml", "tasks_from: preflight_inputs.yml"))
    result = run_playbook(str(playbook), {"rtvs_certificate_source": "internal_ca", "rtvs_pfx_password": "Pfx-Test-1234",
                                          "report_path": str(tmp_path / "r.txt")})
    assert result.rc != 0
    assert "rtvs_internal_ca_passphrase (12 characters or more" in result.output


def test_windows_pfx_holds_the_intermediate_not_the_root(tmp_path):
    """Root + intermediate: the Windows PFX carries leaf and intermediate (the host can send the chain), never the root;
    the chain plan still gets both (intermediate to CA, root to Root only when asked)."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    playbook = tmp_path / "pb.yml"
    playbook.write_text(PLAYBOOK.replace("pfx_changed={{ windows_broker_controller_pfx is changed }}",
                                         "pfx_changed={{ windows_broker_controller_pfx is changed }}\n"
                                         "          chain={{ windows_broker_chain | map(attribute='self_signed') | list }}"))
    secrets = tmp_path / "secrets.yml"
    secrets.write_text('rtvs_pfx_password: "Pfx-Test-Secret-1f2e"\nrtvs_internal_ca_passphrase: "ca-secret-passphrase-77"\n')
    report = tmp_path / "report.txt"
    extra = {"rtvs_fqdn": FQDN, "rtvs_certificate_source": "internal_ca", "rtvs_internal_ca_dir": str(tmp_path / "ca"),
             "rtvs_internal_ca_intermediate": True, "rtvs_windows_controller_dir": str(tmp_path / "ctl"),
             "report_path": str(report)}
    result = run_playbook(str(playbook), extra, args=("-e", "@%s" % secrets))
    assert result.rc == 0, result
    assert "chain=[False, True]" in report.read_text()
    _key, leaf, extras = pkcs12.load_key_and_certificates(
        (tmp_path / "ctl" / "localhost" / "broker.pfx").read_bytes(), b"Pfx-Test-Secret-1f2e")
    intermediate = x509.load_pem_x509_certificate((tmp_path / "ca" / "intermediate.crt").read_bytes())
    assert leaf.subject.rfc4514_string() == "CN=" + FQDN
    assert [c.subject for c in extras] == [intermediate.subject]
    assert leaf.issuer == intermediate.subject
