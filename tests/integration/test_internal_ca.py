"""rtvs.remote.internal_ca through real ansible-playbook on localhost, both ways (in-process and module)."""
import os
import subprocess

import pytest

from conftest import snapshot

PASSPHRASE = "ca-Passphrase-for-integration-4411"


def secret_vars(tmp_path, passphrase):
    """The passphrase in a vars file, as from vault: -vvvv prints the command line with every -e value."""
    path = tmp_path / ("vars-%d.json" % len(passphrase))
    path.write_text('{"passphrase": "%s"}' % passphrase)
    return ("-e", "@%s" % path)


@pytest.mark.parametrize("inprocess", ["1", "0"])
def test_cycle_issue_and_chain(playbook, tmp_path, inprocess):
    result = playbook("internal_ca/cycle.yml", {"work": str(tmp_path)}, verbosity=4,
                      args=("--diff",) + secret_vars(tmp_path, PASSPHRASE), env={"RTVS_REMOTE_INPROCESS": inprocess})
    assert result.rc == 0, result
    assert PASSPHRASE not in result.output
    assert "ENCRYPTED PRIVATE KEY" not in result.output and "BEGIN PRIVATE KEY" not in result.output
    assert ("rtvs.remote: ran in-process" in result.output) == (inprocess == "1")
    # openssl on its own: chain root -> intermediate -> leaf verifies for the name, keys need the passphrase
    proc = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "ca" / "root.crt"),
                           "-untrusted", str(tmp_path / "ca" / "intermediate.crt"), "-verify_hostname",
                           "rs1.rtvs.test", str(tmp_path / "broker.crt")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "ca" / "root.key"), "-passin", "pass:wrong-one"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert oct(os.stat(tmp_path / "ca").st_mode & 0o777) == "0o700"


def test_wrong_passphrase_fails_and_changes_nothing(playbook, tmp_path):
    assert playbook("internal_ca/cycle.yml", {"work": str(tmp_path)}, args=secret_vars(tmp_path, PASSPHRASE)).rc == 0
    files = [str(tmp_path / "ca" / n) for n in os.listdir(tmp_path / "ca")] + [str(tmp_path / "broker.crt")]
    before = snapshot(files)
    result = playbook("internal_ca/cycle.yml", {"work": str(tmp_path)}, verbosity=4,
                      args=secret_vars(tmp_path, "another-passphrase-99"))
    assert result.rc != 0
    assert "does not open with the given passphrase" in result.output
    assert "another-passphrase-99" not in result.output
    assert snapshot(files) == before
