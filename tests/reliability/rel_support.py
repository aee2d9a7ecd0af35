"""Helpers shared by the reliability tests (tests/reliability).

The playbook runner and snapshot() come from tests/integration/conftest.py, loaded under its
own module name so the two suites never fight over the name ``conftest``.
"""
import datetime
import importlib.util
import os
import stat
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TARGETS = os.path.join(HERE, "targets")
AC = os.path.join(ROOT, ".work", "ac")


def _load_integration_conftest():
    spec = importlib.util.spec_from_file_location(
        "rtvs_integration_conftest", os.path.join(ROOT, "tests", "integration", "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_integration = _load_integration_conftest()
run_playbook = _integration.run_playbook
snapshot = _integration.snapshot

# ansible_collections.rtvs.remote importable in-process (same trick as tests/unit/conftest.py).
if not os.path.isdir(os.path.join(AC, "ansible_collections", "rtvs", "remote")):
    os.makedirs(os.path.join(AC, "ansible_collections", "rtvs"), exist_ok=True)
    os.symlink(ROOT, os.path.join(AC, "ansible_collections", "rtvs", "remote"))
if AC not in sys.path:
    sys.path.insert(0, AC)

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def target(name):
    return os.path.join(TARGETS, name)


def new_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def issue(key, names, issuer=None, issuer_key=None, days=300):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    return (
        x509.CertificateBuilder().subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY).not_valid_after(NOW + days * DAY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(issuer_key or key, hashes.SHA256())
    )


def secrets_file(path, **values):
    """Secrets go in a vars file as from a vault: ansible -vvvv echoes its own -e arguments."""
    import json
    path.write_text(json.dumps(values))
    os.chmod(path, 0o600)
    return ["-e", "@%s" % path]


def key_needles(key_bytes):
    """Byte strings that betray a private key: each base64 line of its PEM, and its raw DER forms."""
    key = serialization.load_pem_private_key(key_bytes, None)
    needles = [line.encode() for line in key_bytes.decode().splitlines()
               if line and not line.startswith("-----")]
    needles.append(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    needles.append(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption()))
    # The private exponent as hex, as a careless debug print of the numbers would show it.
    needles.append(("%x" % key.private_numbers().d).encode())
    return needles


def files_under(*roots):
    """Every regular file below the given folders (symlinks not followed)."""
    for root in roots:
        for folder, _dirs, names in os.walk(str(root)):
            for name in names:
                path = os.path.join(folder, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    yield path


def find_secrets(paths, needles):
    """{path: [index of needle found]} for every file holding any needle."""
    found = {}
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        hits = [i for i, needle in enumerate(needles) if needle in data]
        if hits:
            found[path] = hits
    return found


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def run_ansible(playbook, inventory, extra_vars=None, args=(), env=None, verbosity=0, timeout=900):
    """ansible-playbook against a real inventory (no forced local connection); returns PlaybookResult."""
    import json
    import subprocess

    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory)]
    for key, value in (extra_vars or {}).items():
        cmd += ["-e", json.dumps({key: value})]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    cmd += list(args) + [str(playbook)]
    full_env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    full_env.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
    full_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=timeout, check=False)
    return _integration.PlaybookResult(proc)


def write_inventory(path, groups):
    """groups: {group: {host: {var: value}}} -> YAML-compatible JSON inventory file."""
    import json

    data = {"all": {"children": {g: {"hosts": hosts} for g, hosts in groups.items()}}}
    path.write_text(json.dumps(data, indent=1))
    return path
