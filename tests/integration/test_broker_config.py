"""rtvs.remote.broker_config through real ansible-playbook on localhost."""
import datetime
import glob
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from conftest import snapshot

PASSWORD = "Pfx-Pa55-7c1e9a"
OLD_PASSWORD = "Old-Pa55-41b2"
# Shipped-style file with odd key spelling, unmanaged keys and lifetime settings that must go.
EXISTING = (
    '{\n    "URLS": "https://0.0.0.0:5444",\n    "Security": {"X509CERTIFICATEPASSWORD": "%s", "allowedGroup": ""},\n'
    '    "Custom": {"keep": [1, 2]},\n    "Lifetime": {"pingTimeout": 1000}\n}' % OLD_PASSWORD
)


def make_pfx(path, password):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "broker.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=2))
            .sign(key, hashes.SHA256()))
    with open(path, "wb") as handle:
        handle.write(pkcs12.serialize_key_and_certificates(
            b"broker", key, cert, None, serialization.BestAvailableEncryption(password.encode())))


@pytest.fixture
def workdir(tmp_path):
    make_pfx(str(tmp_path / "broker.pfx"), PASSWORD)
    config = tmp_path / "rtvsd.config.json"
    config.write_text(EXISTING)
    os.chmod(str(config), 0o644)
    return tmp_path


def secret_vars(directory, **values):
    """Secrets go in a vars file as from a vault (ansible -vvvv echoes its own -e arguments)."""
    path = os.path.join(str(directory), "secrets.json")
    with open(path, "w") as handle:
        json.dump(values, handle)
    return ["-e", "@" + path]


def apply(playbook, workdir, verbosity=0, check=False, args=(), **options):
    extra = {"bc_path": str(workdir / "rtvsd.config.json")}
    args = list(args)
    if "certificate_password" in options:
        args += secret_vars(workdir, bc_certificate_password=options.pop("certificate_password"))
    extra.update(("bc_" + k, v) for k, v in options.items())
    return playbook("broker_config/apply.yml", extra, verbosity=verbosity, check=check, args=args)


def good_settings(workdir):
    return {"urls": "https://0.0.0.0:5444", "lifetime": None,
            "security": {"X509CertificateFile": str(workdir / "broker.pfx"), "allowedGroup": ""}}


def test_cycle_on_existing_file(playbook, workdir):
    result = playbook("broker_config/cycle.yml", {"bc_workdir": str(workdir)},
                      args=secret_vars(workdir, bc_password=PASSWORD))
    assert result.rc == 0, result
    path = workdir / "rtvsd.config.json"
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640
    data = json.loads(path.read_text())
    assert list(data) == ["URLS", "Security", "Custom", "logging"]
    assert list(data["Security"]) == ["X509CERTIFICATEPASSWORD", "allowedGroup", "X509CertificateFile"]
    backups = glob.glob(str(path) + ".*.bak")
    assert len(backups) == 1
    with open(backups[0]) as handle:
        assert handle.read() == EXISTING
    assert stat.S_IMODE(os.stat(backups[0]).st_mode) == 0o644  # the original's mode
    assert PASSWORD not in result.output and OLD_PASSWORD not in result.output


def test_unchanged_file_keeps_its_bytes_but_mode_is_fixed(playbook, workdir):
    path = workdir / "rtvsd.config.json"
    settings = {"urls": "https://0.0.0.0:5444", "lifetime": None}
    path.write_text(EXISTING.replace(', \n    "Lifetime": {"pingTimeout": 1000}', "").replace(
        ',\n    "Lifetime": {"pingTimeout": 1000}', ""))
    settings["security"] = {"X509CertificateFile": str(workdir / "broker.pfx")}
    before = path.read_bytes()
    # The file's password is the old one; it must open the PFX, so re-make the PFX with it.
    make_pfx(str(workdir / "broker.pfx"), OLD_PASSWORD)
    path.write_bytes(before.replace(b'"allowedGroup": ""', b'"allowedGroup": "", "X509CertificateFile": "%s"'
                                    % str(workdir / "broker.pfx").encode()))
    before = path.read_bytes()
    result = apply(playbook, workdir, settings=settings)
    assert result.rc == 0, result
    assert "changed=1" in result.stdout  # mode 0644 -> 0640
    assert path.read_bytes() == before
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640
    result = apply(playbook, workdir, settings=settings)
    assert result.rc == 0 and "changed=0" in result.stdout, result
    assert path.read_bytes() == before


def test_new_file_and_diff_hides_password(playbook, tmp_path):
    make_pfx(str(tmp_path / "broker.pfx"), PASSWORD)
    result = apply(playbook, tmp_path, settings=good_settings(tmp_path), certificate_password=PASSWORD,
                   args=("--diff",))
    assert result.rc == 0, result
    assert '"X509CertificatePassword": "********"' in result.stdout
    assert PASSWORD not in result.output
    path = tmp_path / "rtvsd.config.json"
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640
    assert json.loads(path.read_text())["security"]["X509CertificatePassword"] == PASSWORD


def test_vvvv_never_shows_the_password(playbook, workdir):
    for check in (True, False):
        result = apply(playbook, workdir, verbosity=4, check=check, settings=good_settings(workdir),
                       certificate_password=PASSWORD, args=("--diff",))
        assert result.rc == 0, result
        assert "rtvs.remote.broker_config" in result.output
        assert PASSWORD not in result.output and OLD_PASSWORD not in result.output


def refused(playbook, workdir, **options):
    path = workdir / "rtvsd.config.json"
    before = snapshot([str(path)])
    result = apply(playbook, workdir, **options)
    assert result.rc != 0, result
    assert snapshot([str(path)]) == before
    assert not glob.glob(str(path) + ".*.bak")
    return result.output


def test_corrupt_json_is_refused_and_untouched(playbook, workdir):
    path = workdir / "rtvsd.config.json"
    path.write_text('{"urls": "https://0.0.0.0:5444",\n  "security": {')
    out = refused(playbook, workdir, settings=good_settings(workdir), certificate_password=PASSWORD, backup=True)
    assert "%s is not valid JSON" % path in out
    assert "line 2" in out


def test_lifetime_keys_are_refused(playbook, workdir):
    # The existing file has Lifetime.pingTimeout; merging without removing it must fail.
    settings = good_settings(workdir)
    del settings["lifetime"]
    out = refused(playbook, workdir, settings=settings, certificate_password=PASSWORD)
    assert "Lifetime.pingTimeout: lifetime settings make the broker stop itself" in out
    settings = dict(good_settings(workdir), lifetime={"parentProcessID": 42})
    out = refused(playbook, workdir, settings=settings, certificate_password=PASSWORD)
    assert "pingTimeout/parentProcessID" in out


def test_password_in_settings_is_refused(playbook, workdir):
    settings = good_settings(workdir)
    settings["security"]["x509CertificatePassword"] = "inline"
    out = refused(playbook, workdir, settings=settings)
    assert "give it as certificate_password" in out


def test_wrong_certificate_password_is_refused(playbook, workdir):
    settings = good_settings(workdir)
    out = refused(playbook, workdir, settings=settings, certificate_password="not-the-one")
    assert "does not open with the configured X509CertificatePassword" in out
    assert "not-the-one" not in out
    # The check can be turned off when the PFX comes later.
    result = apply(playbook, workdir, settings=settings, certificate_password="not-the-one",
                   validate_certificate=False)
    assert result.rc == 0, result


def test_unknown_group_and_bad_urls_are_refused(playbook, workdir):
    settings = dict(good_settings(workdir), urls="http://0.0.0.0:70000")
    settings["security"]["allowedGroup"] = "rtvs-no-such-group"
    out = refused(playbook, workdir, settings=settings, certificate_password=PASSWORD)
    assert "group 'rtvs-no-such-group' does not exist on this host; create it" in out
    assert "must use https" in out and "needs a port between 1 and 65535" in out


def test_missing_directory_names_the_fix(playbook, tmp_path):
    extra = {"bc_path": str(tmp_path / "nodir" / "c.json"), "bc_platform": "windows",
             "bc_settings": {"urls": "https://0.0.0.0:5444"}}
    result = playbook("broker_config/apply.yml", extra)
    assert result.rc != 0
    assert "does not exist; create it first" in result.output


def test_windows_platform_rules(playbook, tmp_path):
    path = tmp_path / "Microsoft.R.Host.Broker.Config.json"
    path.write_text('{"server.urls": "https://0.0.0.0:5444"}')
    extra = {"bc_path": str(path), "bc_platform": "windows",
             "bc_settings": {"security": {"X509CertificateName": "broker"}}}
    result = playbook("broker_config/apply.yml", extra)
    assert result.rc != 0
    assert "must be the certificate's full Subject like 'CN=" in result.output
    assert path.read_text() == '{"server.urls": "https://0.0.0.0:5444"}'


def test_filters_in_a_play(playbook, tmp_path):
    result = playbook("broker_config/filter.yml", args=secret_vars(tmp_path, bc_password=PASSWORD))
    assert result.rc == 0, result
    assert "ok=4" in result.stdout and "rescued=1" in result.stdout, result
    assert PASSWORD not in result.output
