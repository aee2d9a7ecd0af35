"""rtvs.remote.linux_host_info through real ansible-playbook on this machine (a Debian host with dpkg)."""
import hashlib
import json
import os
import socket

import pytest

HASH = "$6$rtvs.test.salt$NotTheRealShadowEntryOfRootOnThisMachine0123456789"


@pytest.fixture
def listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def test_cycle_reads_the_host_and_never_returns_the_hash(playbook, listener, tmp_path):
    path = tmp_path / "broker.pfx"
    path.write_bytes(b"\x30\x82 pfx bytes")
    os.chmod(path, 0o640)
    out = tmp_path / "state.json"
    secrets = tmp_path / "secrets.json"  # from a file, as a vault would give it
    secrets.write_text(json.dumps({"hs_hash": HASH}))
    result = playbook("linux_host_info/cycle.yml", {"hs_path": str(path), "hs_port": listener, "hs_out": str(out)},
                      verbosity=4, args=("-e", "@%s" % secrets))
    assert result.rc == 0, result
    assert HASH not in result.output, "the password hash must not appear, even at -vvvv"
    state = json.loads(out.read_text())
    file_state = state["paths"][str(path)]
    assert file_state["checksum"] == hashlib.sha1(path.read_bytes()).hexdigest()
    assert (file_state["mode"], file_state["isdir"]) == ("0640", False)
    assert state["paths"][str(tmp_path)]["isdir"] is True
    assert state["key_access"]["pending"] is True  # owner-only (0600) is what key_access leaves for root
    mine = [item for item in state["listeners"] if item["pid"] == os.getpid()]
    assert len(mine) == 1 and mine[0]["program"].startswith("python"), state["listeners"]
    assert state["accounts"]["service_account"]["user"] is True


def test_bad_port_names_the_option(playbook, tmp_path):
    result = playbook("linux_host_info/cycle.yml", {"hs_path": str(tmp_path), "hs_port": 70000, "hs_hash": "x",
                                                    "hs_out": str(tmp_path / "o")})
    assert result.rc != 0 and "port must be 1-65535 (now 70000)" in result.output, result
