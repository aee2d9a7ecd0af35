"""tls_posture against real TLS servers on 127.0.0.1: a TLS 1.2+ only server and one that accepts anything."""
import socket
import ssl
import threading
import warnings

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ansible_collections.rtvs.remote.plugins.module_utils.tls import issuing, tls_posture, tls_probe


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("posture")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = issuing.build_certificate(key, "localhost", ["127.0.0.1"])
    (d / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    return str(d / "c.pem"), str(d / "k.pem")


def _serve(ctx):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def loop():
        while True:
            try:
                conn = server.accept()[0]
            except OSError:
                return
            try:
                ctx.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return server


def _modern(files):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*files)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _legacy(files):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*files)
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    return ctx


def test_modern_server_refuses_every_legacy_probe(cert_files):
    server = _serve(_modern(cert_files))
    try:
        result = tls_posture.posture("127.0.0.1", server.getsockname()[1], "localhost", 3)
    finally:
        server.close()
    assert set(result) == {"tls1_0", "tls1_1", "weak_cipher"}
    for key, item in result.items():
        assert item["offered"] and not item["accepted"] and item["error"], (key, item)


def test_legacy_server_accepts_tls10_tls11_and_a_weak_suite(cert_files):
    server = _serve(_legacy(cert_files))
    try:
        result = tls_posture.posture("127.0.0.1", server.getsockname()[1], "localhost", 3)
    finally:
        server.close()
    assert result["tls1_0"]["accepted"] and result["tls1_0"]["version"] == "TLSv1"
    assert result["tls1_1"]["accepted"] and result["tls1_1"]["version"] == "TLSv1.1"
    assert result["weak_cipher"]["accepted"] and result["weak_cipher"]["version"] == "TLSv1.2"
    # the suite chosen is one of the weak ones offered, never a forward-secret AEAD suite
    assert "GCM" not in result["weak_cipher"]["cipher"] or result["weak_cipher"]["cipher"].startswith(("AES", "ADH"))


def test_probe_includes_posture_and_nothing_listening_is_not_accepted(cert_files):
    server = _serve(_modern(cert_files))
    port = server.getsockname()[1]
    try:
        result = tls_probe.probe("localhost", port, address="127.0.0.1", timeout=3)
    finally:
        server.close()
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
