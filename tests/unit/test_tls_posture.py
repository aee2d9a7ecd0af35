"""tls_posture against real TLS servers on 127.0.0.1: a TLS 1.2+ only server and one that accepts anything."""
import socket
import ssl

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.tls import tls_posture, tls_probe
from ansible_collections.rtvs.remote.tests.helpers import tls_server


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory):
    return tls_server.certificate_files(tmp_path_factory.mktemp("posture"), "localhost", ["127.0.0.1"])


def test_modern_server_refuses_every_legacy_probe(cert_files):
    with tls_server.serving(tls_server.context(*cert_files)) as port:
        result = tls_posture.posture("127.0.0.1", port, "localhost", 3)
    assert set(result) == {"tls1_0", "tls1_1", "weak_cipher"}
    for key, item in result.items():
        assert item["offered"] and not item["accepted"] and item["error"], (key, item)


def test_legacy_server_accepts_tls10_tls11_and_a_weak_suite(cert_files):
    with tls_server.serving(tls_server.context(*cert_files, legacy=True)) as port:
        result = tls_posture.posture("127.0.0.1", port, "localhost", 3)
    assert result["tls1_0"]["accepted"] and result["tls1_0"]["version"] == "TLSv1"
    assert result["tls1_1"]["accepted"] and result["tls1_1"]["version"] == "TLSv1.1"
    assert result["weak_cipher"]["accepted"] and result["weak_cipher"]["version"] == "TLSv1.2"
    # the suite chosen is one of the weak ones offered, never a forward-secret AEAD suite
    assert "GCM" not in result["weak_cipher"]["cipher"] or result["weak_cipher"]["cipher"].startswith(("AES", "ADH"))


def test_probe_includes_posture_and_nothing_listening_is_not_accepted(cert_files):
    with tls_server.serving(tls_server.context(*cert_files)) as port:
        result = tls_probe.probe("localhost", port, address="127.0.0.1", timeout=3)
    assert result["tls"]["ok"] and result["posture"]["tls1_0"]["offered"]
    assert not any(item["accepted"] for item in result["posture"].values())
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    free_port = unused.getsockname()[1]
    unused.close()  # nothing listens there now
    closed = tls_posture.try_handshake("127.0.0.1", free_port, "localhost", "tls1_0", 2)
    assert closed["offered"] and not closed["accepted"] and "TCP connect failed" in closed["error"]


def test_controller_that_cannot_offer_is_reported_as_not_offered(monkeypatch):
    def refuse(_probe_id):
        raise ssl.SSLError("No cipher can be selected.")

    monkeypatch.setattr(tls_posture, "legacy_context", refuse)
    result = tls_posture.try_handshake("127.0.0.1", 1, "localhost", "weak_cipher", 1)
    assert not result["offered"] and "cannot offer" in result["error"]
