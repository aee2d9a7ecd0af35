"""The broker never reads a half-written config or PFX: writes are atomic replaces.

A reader in another process (poll_reader.py) opens the file in a tight loop while it is
rewritten many times, and checks every read the way the broker would use it (JSON parses, PFX
opens with the password and holds key and certificate). A naive writer is run through the same
reader first, to prove the reader does catch partial files.
"""
import json
import os
import subprocess
import sys
import time

import pytest

import rel_support
from rel_support import cert_pem, issue, key_pem, new_key, secrets_file

from ansible_collections.rtvs.remote.plugins.module_utils.host import fileio
from ansible_collections.rtvs.remote.plugins.module_utils.tls import pkcs12

PASSWORD = "Atomic-Pfx-9f2b"
FQDN = "rtvs.example.test"


class Reader:
    def __init__(self, tmp_path, path, kind, password=None):
        self.stop = tmp_path / ("stop-%s" % os.path.basename(str(path)))
        args = [sys.executable, os.path.join(rel_support.HERE, "poll_reader.py"), str(path), kind, str(self.stop)]
        if password is not None:
            pw_file = tmp_path / "reader-password"
            pw_file.write_text(password)
            args.append(str(pw_file))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self):
        self.stop.write_text("")
        out, err = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, err
        return json.loads(out)


def _config(version):
    # ~200 KB, so one write takes several write() calls and a reader can land in the middle.
    return json.dumps({"urls": "https://0.0.0.0:5444", "version": version,
                       "padding": ["x" * 1000] * 200}, indent=2).encode()


def _naive_write(path, data):
    with open(path, "wb") as handle:
        half = len(data) // 2
        handle.write(data[:half])
        handle.flush()
        time.sleep(0.002)
        handle.write(data[half:])


def test_reader_catches_a_non_atomic_writer(tmp_path):
    """Control: the same reader sees partial files when the writer is not atomic."""
    path = tmp_path / "rtvsd.config.json"
    _naive_write(path, _config(0))
    reader = Reader(tmp_path, path, "json")
    time.sleep(0.3)
    for version in range(1, 150):
        _naive_write(path, _config(version))
    stats = reader.finish()
    assert stats["invalid"] > 0, stats


def test_config_atomic_write_never_shows_a_partial_file(tmp_path):
    path = tmp_path / "rtvsd.config.json"
    fileio.atomic_write(str(path), _config(0), mode="0640")
    reader = Reader(tmp_path, path, "json")
    time.sleep(0.3)
    for version in range(1, 300):
        fileio.atomic_write(str(path), _config(version), mode="0640", backup=(version % 50 == 0))
    stats = reader.finish()
    assert stats["invalid"] == 0, stats
    assert stats["distinct"] >= 10, ("the reader must overlap the writes", stats)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def _pfx_params(tmp_path, encryption):
    return {"path": str(tmp_path / "broker.pfx"), "certificate_path": str(tmp_path / "broker.crt"),
            "privatekey_path": str(tmp_path / "broker.key"), "password": PASSWORD, "encryption": encryption,
            "owner": None, "group": None, "mode": "0640", "other_certificates": [], "force": False}


@pytest.fixture
def pair(tmp_path):
    key = new_key()
    (tmp_path / "broker.key").write_bytes(key_pem(key))
    (tmp_path / "broker.crt").write_bytes(cert_pem(issue(key, [FQDN])))
    os.chmod(tmp_path / "broker.key", 0o600)
    return tmp_path


def test_pfx_rewrites_never_show_a_partial_file(pair):
    """pkcs12.run (what rtvs.remote.pfx runs) rewrites the PFX each time the profile flips."""
    assert pkcs12.run(_pfx_params(pair, "compat"))["changed"]
    reader = Reader(pair, pair / "broker.pfx", "pfx", PASSWORD)
    time.sleep(0.3)
    for i in range(16):
        result = pkcs12.run(_pfx_params(pair, "modern" if i % 2 == 0 else "compat"))
        assert result["changed"], result
    stats = reader.finish()
    assert stats["invalid"] == 0, stats
    assert stats["distinct"] >= 5, ("the reader must overlap the writes", stats)


def test_pfx_module_runs_never_show_a_partial_file(playbook, pair):
    """The same through real ansible-playbook runs of rtvs.remote.pfx."""
    values = {"pfx_path": str(pair / "broker.pfx"), "pfx_certificate_path": str(pair / "broker.crt"),
              "pfx_privatekey_path": str(pair / "broker.key")}
    args = secrets_file(pair / "secrets.json", pfx_password=PASSWORD)
    first = playbook(os.path.join(rel_support.ROOT, "tests/integration/targets/pfx/apply.yml"),
                     values, args=args)
    assert first.rc == 0, first
    reader = Reader(pair, pair / "broker.pfx", "pfx", PASSWORD)
    for i in range(4):
        result = playbook(os.path.join(rel_support.ROOT, "tests/integration/targets/pfx/apply.yml"),
                          dict(values, pfx_encryption="modern" if i % 2 == 0 else "compat"), args=args)
        assert result.rc == 0 and "changed=1" in result.stdout, result
    stats = reader.finish()
    assert stats["invalid"] == 0, stats
    assert stats["distinct"] >= 2, stats
