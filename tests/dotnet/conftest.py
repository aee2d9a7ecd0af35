"""Independent .NET readers (Mono from Debian) for the files rtvs.remote hands the RTVS broker.

RtvsReader.cs is compiled with mcs at test time and cached under .work/dotnet/ by the hash of its
source (and of the compiler and Newtonsoft.Json it was built with). One mono process answers a
batch of requests (see the comment at the top of RtvsReader.cs).

Mono is installed by `scripts/bootstrap.sh test`, so a missing mono or mcs fails these tests;
RTVS_SKIP_DOTNET=1 turns that into a skip for a machine set up without it.
"""
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "RtvsReader.cs")
CACHE = os.path.join(ROOT, ".work", "dotnet")
NEWTONSOFT_GLOB = "/usr/lib/cli/Newtonsoft.Json-*/Newtonsoft.Json.dll"

AC = os.path.join(ROOT, ".work", "ac")
if AC not in sys.path:
    sys.path.insert(0, AC)


def _integration_conftest():
    """tests/integration/conftest.py (run_playbook), loaded under its own name."""
    spec = importlib.util.spec_from_file_location(
        "rtvs_integration_conftest", os.path.join(ROOT, "tests", "integration", "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _missing():
    missing = [tool for tool in ("mono", "mcs") if shutil.which(tool) is None]
    if not glob.glob(NEWTONSOFT_GLOB):
        missing.append("Newtonsoft.Json (%s)" % NEWTONSOFT_GLOB)
    return missing


def _compile():
    newtonsoft = sorted(glob.glob(NEWTONSOFT_GLOB))[-1]
    mcs_version = subprocess.run(["mcs", "--version"], capture_output=True, text=True, check=False).stdout
    digest = hashlib.sha256()
    for part in (open(SOURCE, "rb").read(), mcs_version.encode(), newtonsoft.encode(),
                 str(os.path.getmtime(newtonsoft)).encode()):
        digest.update(part)
    exe = os.path.join(CACHE, "RtvsReader-%s.exe" % digest.hexdigest()[:16])
    if os.path.exists(exe):
        return exe
    os.makedirs(CACHE, exist_ok=True)
    partial = "%s.%d.tmp" % (exe, os.getpid())
    proc = subprocess.run(
        ["mcs", "-nologo", "-warnaserror+", "-out:" + partial, "-r:System.Security", "-r:Mono.Security",
         "-r:" + newtonsoft, SOURCE], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail("mcs could not compile %s:\n%s%s" % (SOURCE, proc.stdout, proc.stderr))
    os.replace(partial, exe)  # atomic: parallel sessions share the cache
    return exe


@pytest.fixture(scope="session")
def reader():
    """read(requests) -> results, one mono process per call; results keep the requests' order."""
    missing = _missing()
    if missing:
        message = ("the .NET readers need %s, which scripts/bootstrap.sh test installs "
                   "(apt: mono-runtime mono-mcs libmono-system-security4.0-cil libnewtonsoft-json5.0-cil)"
                   % ", ".join(missing))
        if os.environ.get("RTVS_SKIP_DOTNET") == "1":
            pytest.skip("SKIPPED (RTVS_SKIP_DOTNET=1): " + message)
        pytest.fail(message + "; set RTVS_SKIP_DOTNET=1 to skip these tests on purpose")
    exe = _compile()

    def read(requests):
        proc = subprocess.run(["mono", "--debug", exe], input=json.dumps(requests).encode("utf-8"),
                              capture_output=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
        results = json.loads(proc.stdout.decode("utf-8"))
        assert [r["path"] for r in results] == [r["path"] for r in requests]
        return results

    return read


# ------------------------------------------------------------------ what the collection writes

FQDN = "rtvs-dotnet.example.test"
GROUP = "root"  # broker_config checks on this host that allowedGroup exists
PFX_SHAPES = [
    # name, certificate source, chain included, password, encryption, password_charset
    ("compat-chain", "ca", True, "Chain-Pfx-2b9d", "compat", None),
    ("compat-leaf", "selfsigned", False, "Leaf-Pfx-77c1", "compat", None),
    ("quotes", "ca", True, "it's \"quoted\" 'twice'", "compat", None),
    ("backslash", "ca", True, "C:\\rtvs\\pfx\\\\end\\", "compat", None),
    ("dollar", "selfsigned", False, "$HOME$(id)${x}$$", "compat", None),
    ("percent", "ca", True, "100%%d %s %PATH% %", "compat", None),
    ("spaces", "ca", True, "  spaces around and  inside  ", "compat", None),
    ("long", "ca", True, "L0ng-" + "abcdefghij" * 12 + "-!@#^&*()_+=[]{};:,.<>/?|~`", "compat", None),
    ("printable", "selfsigned", False, "".join(chr(c) for c in range(0x20, 0x7F)), "compat", None),
    ("modern", "ca", True, "Modern-Pfx-41f0", "modern", None),
    ("non-ascii", "selfsigned", False, "P\u00e4ss-\u20ac-w\u00f6rd", "compat", "any"),
]
MODERN = "modern"
NON_ASCII = "non-ascii"


def linux_settings(workdir, pfx_name, interpreters=None):
    """The keys roles/linux_broker/tasks/config.yml gives rtvs.remote.broker_config (linux_broker_settings).

    The R folder is a stand-in holding lib/libR.so, because the module checks that on this host.
    """
    return {
        "urls": "https://0.0.0.0:5444",
        "logging": {"logFolder": "/var/log/rtvs"},
        "security": {"allowedGroup": GROUP, "X509CertificateFile": os.path.join(str(workdir), pfx_name + ".pfx")},
        "startup": {"name": "rtvsd"},
        "r": {"autoDetect": False,
              "interpreters": interpreters or {"0": {"name": "R 3.6.3", "basePath": os.path.join(str(workdir), "R")}}},
        "lifetime": None,
    }


# the file the Debian package ships, as the molecule broker double installs it (tests/unit/test_broker_config.py
# reads the same file)
with open(os.path.join(ROOT, "molecule", "shared", "broker_double", "rtvsd.config.json"), encoding="utf-8") as _shipped:
    SHIPPED_LINUX = _shipped.read()

# name -> (existing file text or None, PFX it points at, keys the existing file adds that must stay)
LINUX_CONFIGS = {
    "linux-fresh": (None, "compat-chain", {}),
    "linux-shipped": (SHIPPED_LINUX, "compat-leaf", {}),
    "linux-other-keys": (
        '{"logging": {"logHostOutput": true, "logPackets": false}, "custom": {"keep": "me", "list": [1, "two"]},\n'
        ' "security": {"X509CertificateName": "CN=kept"}, "startup": {"isService": true}}\n',
        "quotes",
        {"logging:logHostOutput": "True", "logging:logPackets": "False", "custom:keep": "me", "custom:list:0": "1",
         "custom:list:1": "two", "security:X509CertificateName": "CN=kept", "startup:isService": "True"}),
    "linux-bom-crlf": ("\ufeff" + SHIPPED_LINUX.replace("\n", "\r\n"), "backslash", {}),
    "linux-case": (
        '{"URLS": "https://0.0.0.0:1", "Security": {"x509certificatefile": "/old.pfx", '
        '"X509CERTIFICATEPASSWORD": "old", "ALLOWEDGROUP": "old"},\n "Logging": {"LOGFOLDER": "/tmp"}, '
        '"R": {"AutoDetect": true, "Interpreters": {"0": {"Name": "old", "BASEPATH": "/opt/R"}}}}\n',
        "dollar", {}),
    "linux-comments": (
        '// edited by hand\n{\n  "urls": "https://0.0.0.0:1", /* old port */\n  "logging": {"logFolder": "/tmp",},\n'
        '  "extra": "kept", // a key the role does not manage\n}\n',
        "percent", {"extra": "kept"}),
    "linux-sections-in-two-cases": (
        '{"Security": {"allowedGroup": "x"}, "security": {"secret": null}, "urls": "https://0.0.0.0:1"}\n',
        "spaces", {"Security:secret": ""}),
    "linux-long-password": (None, "long", {}),
    "linux-printable-password": (None, "printable", {}),
}

SHIPPED_WINDOWS_13 = '\ufeff{\r\n  "urls": "https://0.0.0.0:5444"\r\n}\r\n'
SHIPPED_WINDOWS_11 = '{\r\n  "server.urls": "https://0.0.0.0:5444"\r\n}\r\n'
# name -> (existing text or None, allowed group, keys the existing file adds that must stay)
WINDOWS_CONFIGS = {
    "windows-fresh": (None, "Users", {}),
    "windows-shipped-13": (SHIPPED_WINDOWS_13, "RTVS Users", {}),
    "windows-shipped-11": (SHIPPED_WINDOWS_11, "Users", {"server.urls": "https://0.0.0.0:5444"}),
    "windows-case-and-comments": (
        '\ufeff{\r\n  // shipped\r\n  "URLS": "https://0.0.0.0:1",\r\n  "Security": {"x509certificatename": "CN=old"},\r\n'
        '  "R": {"rHostPath": "C:\\\\R\\\\bin"},\r\n}\r\n',
        "Users", {"R:rHostPath": "C:\\R\\bin"}),
}


def _write_ca(workdir):
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rtvs dotnet test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=400))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    (workdir / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (workdir / "ca.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    os.chmod(workdir / "ca.key", 0o600)


@pytest.fixture(scope="session")
def written(tmp_path_factory):
    """Run tests/dotnet/targets/write_all.yml once; the folder holding every file it wrote."""
    run_playbook = _integration_conftest().run_playbook
    workdir = tmp_path_factory.mktemp("dotnet")
    _write_ca(workdir)
    (workdir / "R" / "lib").mkdir(parents=True)
    (workdir / "R" / "lib" / "libR.so").write_bytes(b"")
    passwords = {shape[0]: shape[3] for shape in PFX_SHAPES}
    for name, (existing, _pfx, _kept) in LINUX_CONFIGS.items():
        if existing is not None:
            (workdir / (name + ".json")).write_bytes(existing.encode("utf-8"))
    values = {
        "dn_dir": str(workdir),
        "dn_fqdn": FQDN,
        "dn_pfx": [dict(name=n, source=s, chain=c, password=p, encryption=e, **({"charset": cs} if cs else {}))
                   for n, s, c, p, e, cs in PFX_SHAPES],
        "dn_linux": [{"name": name, "settings": linux_settings(workdir, pfx), "password": passwords[pfx]}
                     for name, (_existing, pfx, _kept) in LINUX_CONFIGS.items()],
        "dn_windows": [{"name": name, "current": existing, "allowed_group": group}
                       for name, (existing, group, _kept) in WINDOWS_CONFIGS.items()],
    }
    # secrets in a vars file, as from a vault
    (workdir / "vars.json").write_text(json.dumps(values))
    result = run_playbook(os.path.join(HERE, "targets", "write_all.yml"), args=["-e", "@%s" % (workdir / "vars.json")])
    assert result.rc == 0, result
    return workdir
