"""Unit tests of module_utils/broker/broker_config: merge, validate, render, redact."""
import datetime
import json
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_config as bc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the file the Debian package ships (the molecule broker double installs the same bytes; tests/dotnet reads it too)
SHIPPED_FILE = os.path.join(ROOT, "molecule", "shared", "broker_double", "rtvsd.config.json")
with open(SHIPPED_FILE, encoding="utf-8") as _shipped:
    SHIPPED = _shipped.read()

ODD = '{"URLS":"https://0.0.0.0:5444",   "Security": {"x509certificatefile": "/k.pfx", "X509CERTIFICATEPASSWORD": "old"},\n "Custom": {"keep": [1, 2]}}'


def no_host(**over):
    checks = {"group_exists": lambda name: True, "libr_exists": lambda base: True,
              "open_certificate": lambda path, password: None}
    checks.update(over)
    return checks


# ------------------------------------------------------------------ merge / plan

def test_unchanged_file_is_returned_byte_for_byte():
    config, text, changed = bc.plan(ODD, {"urls": "https://0.0.0.0:5444", "security": {"X509CertificateFile": "/k.pfx"}})
    assert changed is False
    assert text == ODD
    assert list(config) == ["URLS", "Security", "Custom"]


def test_case_insensitive_update_keeps_the_file_spelling_and_order():
    config, text, changed = bc.plan(ODD, {"security.x509certificatepassword": "new", "urls": "https://0.0.0.0:6000"})
    assert changed is True
    data = json.loads(text)
    assert list(data) == ["URLS", "Security", "Custom"]
    assert data["URLS"] == "https://0.0.0.0:6000"
    assert data["Security"] == {"x509certificatefile": "/k.pfx", "X509CERTIFICATEPASSWORD": "new"}
    assert data["Custom"] == {"keep": [1, 2]}
    assert "urls" not in data and "security" not in data


def test_new_keys_get_canonical_spelling_in_stable_order():
    settings_a = {"startup": {"name": "rtvsd"}, "security": {"allowedgroup": "rtvs-users", "x509certificatefile": "/a"},
                  "urls": "https://0.0.0.0:5444"}
    settings_b = {"urls": "https://0.0.0.0:5444", "security.X509CERTIFICATEFILE": "/a",
                  "security": {"AllowedGroup": "rtvs-users"}, "startup.name": "rtvsd"}
    text_a = bc.plan(None, settings_a)[1]
    text_b = bc.plan("", settings_b)[1]
    assert text_a == text_b
    data = json.loads(text_a)
    assert list(data) == ["security", "startup", "urls"]
    assert list(data["security"]) == ["allowedGroup", "X509CertificateFile"]


def test_new_keys_are_appended_after_existing_ones():
    config = bc.merge(SHIPPED, {"r": {"autodetect": False}, "logging.logHostOutput": True})
    assert list(config) == ["logging", "security", "startup", "urls", "r"]
    assert list(config["logging"]) == ["logFolder", "logHostOutput"]
    assert config["r"] == {"autoDetect": False}


def test_none_removes_and_lists_replace():
    existing = json.dumps({"lifetime": {"pingTimeout": 1000}, "r": {"interpreters": [{"basePath": "/a"}, {"basePath": "/b"}]}})
    config = bc.merge(existing, {"Lifetime": None, "r": {"interpreters": [{"name": "R", "basePath": "/usr/lib/R"}]},
                                 "missing": {"deeper": None}})
    assert "lifetime" not in config and "missing" not in config
    assert config["r"]["interpreters"] == [{"name": "R", "basePath": "/usr/lib/R"}]


def test_server_urls_is_one_literal_key():
    config = bc.merge('{"server.urls": "https://0.0.0.0:1"}', {"SERVER.URLS": "https://0.0.0.0:2"})
    assert config == {"server.urls": "https://0.0.0.0:2"}
    assert bc.merge(None, {"server.urls": "https://0.0.0.0:3"}) == {"server.urls": "https://0.0.0.0:3"}


def test_type_change_counts_as_change():
    # True == 1 in Python; the JSON differs, so the file must be rewritten.
    _config, text, changed = bc.plan('{"logging": {"logHostOutput": 1}}', {"logging.logHostOutput": True})
    assert changed is True
    assert json.loads(text)["logging"]["logHostOutput"] is True


def test_scalar_in_the_way_of_a_section_is_refused():
    with pytest.raises(bc.BrokerConfigError, match=r"settings.security.allowedGroup: security is a str"):
        bc.merge('{"security": "oops"}', {"security": {"allowedGroup": "x"}})


@pytest.mark.parametrize("text, pattern", [
    ('{"urls": "https://0.0.0.0:5444",', r"/etc/rtvs/rtvsd.config.json is not valid JSON: .*line 1"),
    ('["a"]', r"must hold a JSON object"),
    ('{"urls": "a", "URLS": "b"}', r"keys 'urls' and 'URLS' are the same key"),
    (b'{"a": "\xff"}', r"is not UTF-8"),
])
def test_corrupt_existing_file_is_refused_with_path(text, pattern):
    with pytest.raises(bc.BrokerConfigError, match=pattern) as info:
        bc.plan(text, {"urls": "https://0.0.0.0:5444"}, path="/etc/rtvs/rtvsd.config.json")
    assert "/etc/rtvs/rtvsd.config.json" in str(info.value)


def test_bom_is_tolerated_and_kept_when_unchanged():
    text = "\ufeff" + SHIPPED
    _config, out, changed = bc.plan(text, {"urls": "https://0.0.0.0:5444"})
    assert changed is False and out == text


def test_render_format():
    assert bc.render({"a": {"b": "é"}}) == '{\n  "a": {\n    "b": "é"\n  }\n}\n'


# ------------------------------------------------------------------ password handling

def test_password_in_settings_is_refused():
    for settings in ({"security": {"x509certificatePassword": "p"}}, {"Security.X509CertificatePassword": "p"}):
        with pytest.raises(bc.BrokerConfigError, match="certificate_password") as info:
            bc.with_certificate_password(settings, None)
        assert "'p'" not in str(info.value)


def test_password_can_be_removed_through_settings():
    config = bc.merge(ODD, bc.with_certificate_password({"security.X509CertificatePassword": None}))
    assert config["Security"] == {"x509certificatefile": "/k.pfx"}


def test_certificate_password_fills_the_existing_key():
    settings = bc.with_certificate_password({"urls": "https://0.0.0.0:5444"}, "s3cret")
    config = bc.merge(ODD, settings)
    assert config["Security"]["X509CERTIFICATEPASSWORD"] == "s3cret"
    assert "X509CertificatePassword" not in config["Security"]


def test_redact_hides_password_and_secret_anywhere():
    config = bc.merge(ODD, {"security": {"SECRET": "x"}})
    red = bc.redact(config)
    assert red["Security"]["X509CERTIFICATEPASSWORD"] == "********"
    assert red["Security"]["secret"] == "********"
    assert "old" not in bc.render(red)
    assert config["Security"]["X509CERTIFICATEPASSWORD"] == "old"  # original untouched
    assert bc.redact({"security": {"X509CertificatePassword": None}})["security"]["X509CertificatePassword"] is None


# ------------------------------------------------------------------ validate

def good(**security):
    sec = {"allowedGroup": "rtvs-users", "X509CertificateFile": "/etc/rtvs/broker.pfx", "X509CertificatePassword": "p"}
    sec.update(security)
    return {"urls": "https://0.0.0.0:5444", "security": sec}


def test_good_config_has_no_errors():
    assert bc.validate(good(), "linux", no_host()) == []
    assert bc.validate(bc.parse(SHIPPED), "linux", no_host()) == []


@pytest.mark.parametrize("urls, fragment", [
    ("http://0.0.0.0:5444", "must use https"),
    ("https://0.0.0.0", "needs a port between 1 and 65535"),
    ("https://0.0.0.0:0", "needs a port"),
    ("https://0.0.0.0:65536", "needs a port"),
    ("https://0.0.0.0:port", "needs a port"),
    ("https://localhost:5444", "loopback"),
    ("https://127.0.0.1:5444", "loopback"),
    ("nonsense", "is not a URL"),
    (5444, "must be a URL string"),
])
def test_bad_urls(urls, fragment):
    config = good()
    config["urls"] = urls
    errors = bc.validate(config, "linux", no_host())
    assert len(errors) == 1 and errors[0].startswith("urls") and fragment in errors[0], errors


def test_server_urls_is_checked_on_windows_only():
    config = {"server.urls": "http://0.0.0.0:5444"}
    assert any(e.startswith("server.urls") and "https" in e for e in bc.validate(config, "windows"))
    assert not any("server.urls" in e for e in bc.validate(config, "linux", no_host()))


def test_effective_port():
    assert bc.effective_port({"URLS": "https://0.0.0.0:6001"}) == 6001
    assert bc.effective_port({"server.urls": "https://0.0.0.0:6002"}, "windows") == 6002
    assert bc.effective_port({"server.urls": "https://0.0.0.0:6002"}, "linux") == 5444
    assert bc.effective_port({}) == 5444


def test_lifetime_keys_are_refused():
    config = good()
    config["Lifetime"] = {"pingTimeout": 1000, "parentProcessID": None}
    errors = bc.validate(config, "linux", no_host())
    assert len(errors) == 1 and "Lifetime.pingTimeout" in errors[0] and "stop itself" in errors[0]
    config["Lifetime"] = {"pingTimeout": None}
    assert bc.validate(config, "windows") == []


def test_secret_is_refused():
    errors = bc.validate(good(Secret="abc"), "linux", no_host())
    assert len(errors) == 1 and "security.Secret" in errors[0] and "abc" not in errors[0]


def test_allowed_group_must_exist():
    seen = []

    def exists(name):
        seen.append(name)
        return name == "rtvs-users"
    assert bc.validate(good(), "linux", no_host(group_exists=exists)) == []
    errors = bc.validate(good(allowedGroup="nosuch"), "linux", no_host(group_exists=exists))
    assert len(errors) == 1 and "'nosuch' does not exist" in errors[0]
    assert bc.validate(good(allowedGroup=""), "linux", no_host(group_exists=exists)) == []
    assert seen == ["rtvs-users", "nosuch"]


def test_missing_allowed_group_means_users_on_linux():
    config = good()
    del config["security"]["allowedGroup"]
    errors = bc.validate(config, "linux", no_host(group_exists=lambda n: False))
    assert len(errors) == 1 and "group 'Users'" in errors[0]
    assert bc.validate(config, "linux", no_host(group_exists=lambda n: n == "Users")) == []


def test_certificate_check_gets_path_and_password():
    calls = []

    def opener(path, password):
        calls.append((path, password))
        return "bad pfx"
    errors = bc.validate(good(), "linux", no_host(open_certificate=opener))
    assert errors == ["security.X509CertificateFile: bad pfx"]
    assert calls == [("/etc/rtvs/broker.pfx", "p")]


def test_linux_needs_a_certificate_file():
    config = good()
    config["security"]["X509CertificateFile"] = ""
    errors = bc.validate(config, "linux", no_host())
    assert len(errors) == 1 and "X509CertificateFile is not set" in errors[0]
    assert bc.validate({"urls": "https://0.0.0.0:5444"}, "windows") == []


def test_windows_certificate_name_must_be_a_subject():
    assert bc.validate({"security": {"X509CertificateName": "CN=broker.example.com"}}, "windows") == []
    errors = bc.validate({"security": {"x509certificatename": "broker.example.com"}}, "windows")
    assert len(errors) == 1 and "security.x509certificatename" in errors[0] and "CN=" in errors[0]


def test_interpreters_map_and_list():
    present = {"/usr/lib/R"}
    checks = no_host(libr_exists=lambda base: base in present)
    ok = good()
    ok["r"] = {"interpreters": {"0": {"name": "R", "basePath": "/usr/lib/R"}}}
    assert bc.validate(ok, "linux", checks) == []
    bad = good()
    bad["R"] = {"Interpreters": [{"name": "R", "basePath": "/usr/lib/R"}, {"name": "MRO", "BasePath": "/opt/mro"},
                                 {"name": "none"}]}
    errors = bc.validate(bad, "linux", checks)
    assert len(errors) == 2
    assert errors[0].startswith("r.Interpreters.1.BasePath: /opt/mro has no lib/libR.so")
    assert errors[1].startswith("r.Interpreters.2 needs basePath")
    # Windows has no libR.so; the host check is not used there.
    assert bc.validate({"r": {"interpreters": {"0": {"basePath": "C:/R"}}}}, "windows", checks) == []
    assert "must map an id" in bc.validate({"r": {"interpreters": "x"}}, "windows")[0]


def test_unknown_platform():
    assert bc.validate({}, "solaris") == ["platform must be linux or windows, got 'solaris'"]


# ------------------------------------------------------------------ real host checks

def make_pfx(path, password):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "broker.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=2))
            .sign(key, hashes.SHA256()))
    data = pkcs12.serialize_key_and_certificates(b"b", key, cert, None,
                                                 serialization.BestAvailableEncryption(password.encode()))
    with open(path, "wb") as handle:
        handle.write(data)


def test_linux_host_checks(tmp_path):
    pfx = str(tmp_path / "b.pfx")
    make_pfx(pfx, "right")
    checks = bc.linux_host_checks()
    assert checks["open_certificate"](pfx, "right") is None
    assert "does not open" in checks["open_certificate"](pfx, "wrong")
    assert "cannot read" in checks["open_certificate"](str(tmp_path / "missing.pfx"), "right")
    (tmp_path / "junk.pfx").write_bytes(b"junk")
    assert "is not a PKCS#12" in checks["open_certificate"](str(tmp_path / "junk.pfx"), "right")
    os.makedirs(str(tmp_path / "R" / "lib"))
    assert checks["libr_exists"](str(tmp_path / "R")) is False
    (tmp_path / "R" / "lib" / "libR.so").write_bytes(b"")
    assert checks["libr_exists"](str(tmp_path / "R")) is True
    assert checks["group_exists"]("root") is True
    assert checks["group_exists"]("no-such-group-rtvs") is False
    assert "open_certificate" not in bc.linux_host_checks(validate_certificate=False)


# ---------------------------------------------------------------- keys written as 'a:b'


def test_flattened_password_is_masked_validated_and_updated_in_place(tmp_path):
    existing = '{"urls": "https://0.0.0.0:5444", "security:X509CertificatePassword": "old", "security:secret": "s"}'
    red = bc.redact(bc.parse(existing))
    assert red["security:X509CertificatePassword"] == bc.REDACTED and red["security:secret"] == bc.REDACTED
    errors = bc.validate(bc.parse(existing), bc.LINUX, {})
    assert any("security.secret" in e for e in errors)  # the flattened secret is seen
    assert not any("X509CertificateFile is not set" in e for e in
                   bc.validate(bc.parse('{"security:X509CertificateFile": "/etc/rtvs/b.pfx"}'), bc.LINUX, {}))
    config = bc.merge(existing, bc.with_certificate_password({}, "new"))
    assert config["security:X509CertificatePassword"] == "new" and "security" not in config
    assert bc.validate(bc.parse('{"security": {"allowedGroup": "a"}, "security:allowedGroup": "b"}'), bc.LINUX, {})


def test_pending_group_and_r_are_reported_not_failed():
    config = bc.parse('{"security": {"allowedGroup": "rtvs-nonexistent-group", "X509CertificateFile": "/x.pfx"},'
                      ' "r": {"interpreters": {"0": {"name": "R", "basePath": "/nonexistent/R"}}}}')
    strict = bc.validate(config, bc.LINUX, bc.linux_host_checks(False))
    assert len(strict) == 2
    lenient = bc.validate(config, bc.LINUX, bc.linux_host_checks(False, "rtvs-nonexistent-group", True))
    assert lenient == []
    notes = bc.pending_notes(config, "rtvs-nonexistent-group", True)
    assert len(notes) == 2 and "creates it" in notes[0] and "installs it" in notes[1]


def test_the_shipped_fixture_is_the_file_the_debian_package_ships():
    """SHIPPED (also tests/dotnet's SHIPPED_LINUX and the molecule double's file) is the package's own
    src/Linux/Host/Broker/Impl/rtvsd.config.json (shared/reference/rtvs-facts.md), newline-terminated, no BOM."""
    assert json.loads(SHIPPED) == {
        "logging": {"logFolder": "/tmp"},
        "security": {"allowedGroup": "", "X509CertificateFile": "/etc/rtvs/ssl-cert-snakeoil.pfx",
                     "X509CertificatePassword": "SnakeOil"},
        "startup": {"name": "rtvsd"},
        "urls": "https://0.0.0.0:5444",
    }
    assert SHIPPED.startswith("{\n  \"logging\"") and SHIPPED.endswith("}\n") and "\r" not in SHIPPED
