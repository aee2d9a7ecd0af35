"""Controller-side modules run in-process: same results as the module way, really in-process, no secret shown.

targets/inprocess/cycle.yml runs check, real, check, real for broker_certificate (CA-issued, passphrase-protected
CA key), pfx, key_access and broker_config on localhost over connection local, once with
RTVS_REMOTE_INPROCESS=0 (AnsiballZ module processes, as before) and once without it (the action plugins run the
logic inside ansible-playbook's worker).
"""
import datetime
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

FQDN = "rtvs.example.test"
CA_PASSPHRASE = "ca-Passphrase-5521"
PFX_PASSWORD = "Pfx 5ecret!'\"$x-9402"
MODULES = ["broker_certificate", "pfx", "key_access", "broker_config"]
RAN_IN_PROCESS = "rtvs.remote: ran in-process"
# Values that differ between two runs by nature (a new key, a new serial, a time).
RANDOM_KEYS = {"fingerprint_sha256", "thumbprint_sha1", "serial_number", "not_before", "not_after", "checksum",
               "diff", "public_key_sha256"}


def _write_ca(workdir):
    now = datetime.datetime.now(datetime.timezone.utc)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "in-process test CA")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=900))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (workdir / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (workdir / "ca.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(CA_PASSPHRASE.encode())))
    os.chmod(workdir / "ca.key", 0o600)


@pytest.fixture
def make_workdir(tmp_path):
    """A work directory; "viamodule" and "inprocess" have the same length, so do the paths in the results."""
    def make(name):
        workdir = tmp_path / name
        workdir.mkdir()
        _write_ca(workdir)
        (workdir / "rtvsd.config.json").write_text('{\n  "server": {"name": "kept"}\n}\n')
        # secrets come from a vars file, as from a vault (ansible -vvvv echoes its -e arguments)
        (tmp_path / ("%s-secrets.json" % name)).write_text(
            json.dumps({"ip_ca_passphrase": CA_PASSPHRASE, "ip_pfx_password": PFX_PASSWORD}))
        return workdir
    return make


def _cycle(playbook, workdir, in_process, verbosity=0, args=()):
    env = {} if in_process else {"RTVS_REMOTE_INPROCESS": "0"}
    secrets = "@%s" % (workdir.parent / ("%s-secrets.json" % workdir.name))
    result = playbook("inprocess/cycle.yml", {"ip_workdir": str(workdir), "ip_fqdn": FQDN}, verbosity=verbosity,
                      env=env, args=["-e", secrets] + list(args))
    assert result.rc == 0, result
    with open(workdir / "results.json") as handle:
        return result, json.load(handle)


def _files(workdir):
    """Name -> (mode, uid, gid) of every file the modules left, results.json aside."""
    return {entry.name: (stat.S_IMODE(entry.stat().st_mode), entry.stat().st_uid, entry.stat().st_gid)
            for entry in os.scandir(workdir) if entry.name != "results.json"}


def _comparable(value, workdir):
    """A result value with the work directory's path replaced, so two runs can be compared."""
    return json.loads(json.dumps(value).replace(str(workdir), "WORKDIR"))


def test_module_way_and_in_process_way_give_the_same_results(playbook, make_workdir):
    module_dir, inprocess_dir = make_workdir("viamodule"), make_workdir("inprocess")
    by_module = _cycle(playbook, module_dir, in_process=False)[1]
    in_process = _cycle(playbook, inprocess_dir, in_process=True)[1]
    for name in MODULES:
        assert [r["changed"] for r in by_module[name]] == [True, True, False, False], name
        assert [r["changed"] for r in in_process[name]] == [True, True, False, False], name
        for step, (expected, got) in enumerate(zip(by_module[name], in_process[name])):
            assert sorted(expected) == sorted(got), (name, step)
            for key in set(expected) - RANDOM_KEYS:
                assert _comparable(got[key], inprocess_dir) == _comparable(expected[key], module_dir), (name, step, key)
    assert _files(module_dir) == _files(inprocess_dir)
    assert _files(inprocess_dir)["broker.pfx"][0] == 0o600  # 0644 from pfx, narrowed by key_access to root
    for workdir in (module_dir, inprocess_dir):
        key, cert, chain = pkcs12.load_key_and_certificates((workdir / "broker.pfx").read_bytes(),
                                                            PFX_PASSWORD.encode())
        assert cert.subject.rfc4514_string() == "CN=" + FQDN and key is not None and len(chain) == 1
        config = json.loads((workdir / "rtvsd.config.json").read_text())
        assert config["server"]["name"] == "kept"  # unmanaged keys kept
        assert config["security"]["X509CertificatePassword"] == PFX_PASSWORD


def test_in_process_is_used_on_localhost_and_switched_off_by_the_variable(playbook, make_workdir):
    tasks = 4 * len(MODULES)
    inprocess_run = _cycle(playbook, make_workdir("inprocess"), in_process=True, verbosity=3)[0]
    module_run = _cycle(playbook, make_workdir("viamodule"), in_process=False, verbosity=3)[0]
    assert inprocess_run.output.count(RAN_IN_PROCESS) == tasks
    assert RAN_IN_PROCESS not in module_run.output
    for name in MODULES:
        # -vvv names the module file it sends to the host
        assert "AnsiballZ_%s.py" % name not in inprocess_run.output
        assert "AnsiballZ_%s.py" % name in module_run.output


def test_secrets_never_shown_in_process_even_at_vvvv_with_diff(playbook, make_workdir):
    workdir = make_workdir("inprocess")
    result, results = _cycle(playbook, workdir, in_process=True, verbosity=4, args=["--diff"])
    assert result.output.count(RAN_IN_PROCESS) == 4 * len(MODULES)
    key_lines = (workdir / "broker.key").read_text().splitlines()[1:-1]
    for text in (result.output, json.dumps(results)):
        assert PFX_PASSWORD not in text
        assert CA_PASSPHRASE not in text
        assert not [line for line in key_lines if line in text]
    # -vvvv shows each task's arguments (YAML result format), the secrets masked as AnsibleModule masks them
    assert "password: VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in result.output
    assert "ca_privatekey_passphrase: VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in result.output
    assert "certificate_password: VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in result.output
    assert "password: ********" in result.output  # the PFX diff
