"""Issue 14 (Low) on a real host: the package's /etc/rtvs/ssl-cert-snakeoil.pfx opens with the published password
SnakeOil. The real postinst (OpenSSL 1.0 of its time) leaves it 0644, readable by every local account; once the
configuration names the role's PFX, the role locks it to root (0600 root:root, kept in place because the
postinst makes a new world-readable one whenever it is missing), and the doctor warns while others can read it.
"""
import json

import rel_hosts

HOST = "rel-b"
SNAKEOIL = "/etc/rtvs/ssl-cert-snakeoil.pfx"


def _stat(fleet):
    return fleet.sh(HOST, "stat -c '%a %U %G' " + SNAKEOIL).stdout.decode().split()


def _doctor(fleet, tmp_path):
    return fleet.doctor_check(HOST, "snakeoil_pfx", tmp_path / "doctor.json")


def test_snakeoil_pfx_is_locked_to_root_and_the_doctor_warns_before(fleet, tmp_path):
    assert fleet.sh(HOST, "test -f " + SNAKEOIL, check=False).returncode == 0, "the broker double makes it"
    # as the package's postinst leaves it (openssl pkcs12 -export with the default umask)
    fleet.sh(HOST, "chown root:root %s && chmod 0644 %s" % (SNAKEOIL, SNAKEOIL))
    before = fleet.sh(HOST, "sha256sum " + SNAKEOIL).stdout

    check = _doctor(fleet, tmp_path)
    assert check["status"] == "warn", check
    assert "readable by other accounts: mode 0644 lets every account read it" in check["evidence"]
    assert "chmod 0600 %s" % SNAKEOIL in check["fix"]

    result = fleet.converge(limit=HOST)
    assert result.rc == 0, result
    assert "Lock the package's snakeoil PFX" in result.output
    assert _stat(fleet) == ["600", "root", "root"]
    assert fleet.sh(HOST, "sha256sum " + SNAKEOIL).stdout == before  # locked, not changed or removed
    config = json.loads(fleet.read(HOST, "/etc/rtvs/rtvsd.config.json"))
    assert config["security"]["X509CertificateFile"] != SNAKEOIL

    # a converged host skips the step; the doctor is content
    again = fleet.converge(limit=HOST)
    assert again.rc == 0, again
    assert "Lock the package's snakeoil PFX" not in again.output
    assert _doctor(fleet, tmp_path)["status"] == "ok"
    assert rel_hosts.HOSTS  # the shared fleet stays converged
