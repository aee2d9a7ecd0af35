"""tls_probe against a real TLS 1.2 server on 127.0.0.1 with certificates made by cryptography."""
import base64
import datetime
import http.server
import json
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, issuing, tls_probe

NOW = datetime.datetime.now(datetime.timezone.utc)
USER, PASSWORD = "alice", "s3cret-pw"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(key, cn, sans=(), issuer=None, issuer_key=None, days=(-1, 90), ca=False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + datetime.timedelta(days=days[0]))
        .not_valid_after(NOW + datetime.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        entries = []
        for san in sans:
            ip = certs.parse_ip(san)
            entries.append(x509.IPAddress(ip) if ip else x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _pem(obj):
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca_key = _key()
    ca = _cert(ca_key, "Doctor Test CA", ca=True, days=(-10, 3650))
    other_ca_key = _key()
    other_ca = _cert(other_ca_key, "Unrelated CA", ca=True)
    leaf_key = _key()
    files = {}

    def write(label, cert, key, chain=()):
        cert_path = d / ("%s.pem" % label)
        cert_path.write_bytes(_pem(cert) + b"".join(_pem(c) for c in chain))
        key_path = d / ("%s.key" % label)
        key_path.write_bytes(_pem(key))
        files[label] = (str(cert_path), str(key_path), cert)

    write("trusted", _cert(leaf_key, "localhost", ["localhost", "127.0.0.1"], ca, ca_key), leaf_key)
    write("mismatch", _cert(leaf_key, "rtvs.example.com", ["rtvs.example.com"], ca, ca_key), leaf_key)
    write("expired", _cert(leaf_key, "localhost", ["localhost"], ca, ca_key, days=(-400, -5)), leaf_key)
    write("expiring", _cert(leaf_key, "localhost", ["localhost"], ca, ca_key, days=(-300, 10)), leaf_key)
    self_signed = issuing.build_certificate(leaf_key, "localhost", ["127.0.0.1"])
    write("selfsigned", self_signed, leaf_key)
    ca_path = d / "ca.pem"
    ca_path.write_bytes(_pem(ca))
    other_path = d / "other-ca.pem"
    other_path.write_bytes(_pem(other_ca))
    files["ca"] = str(ca_path)
    files["other_ca"] = str(other_path)
    return files


class BrokerDouble(http.server.BaseHTTPRequestHandler):
    """Answers like the RTVS broker's Basic-auth API (rtvs-facts.md section 3)."""

    def log_message(self, *args):
        pass

    def _send(self, status, body=None, headers=()):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Basic "):
            return self._send(401, None, [("WWW-Authenticate", 'Basic realm="Protected Area"')])
        user, _sep, password = base64.b64decode(auth[6:]).decode().partition(":")
        if self.path == "/info/about":
            return self._send(200, {"version": "1.3.0.0", "interpreters": ["[0] R 3.4.4 (Default)"]})
        if self.path == "/interpreters":
            if (user, password) != (USER, PASSWORD):
                return self._send(401, None, [("WWW-Authenticate", 'Basic realm="Protected Area"')])
            return self._send(200, self.server.interpreters)
        return self._send(404)


def serve(cert_path, key_path, interpreters=None, about_needs_basic=True, handler=BrokerDouble):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.seen = []
    server.interpreters = interpreters if interpreters is not None else [
        {"id": "0", "name": "R 3.4.4", "path": "/usr/lib/R", "binPath": "/usr/lib/R/bin", "version": "3.4.4"}]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def broker(pki):
    servers = []

    def start(label, **kw):
        cert_path, key_path = pki[label][:2]
        server = serve(cert_path, key_path, **kw)
        servers.append(server)
        return server, server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_trusted_certificate_covering_the_name(broker, pki):
    server, port = broker("trusted")
    result = tls_probe.probe("localhost", port, ca_file=pki["ca"])
    assert result["resolve"]["ok"] and "127.0.0.1" in result["resolve"]["addresses"]
    assert result["tcp"]["ok"] is True and result["tcp"]["address"] in result["resolve"]["addresses"]
    assert result["tls"]["ok"] and result["tls"]["version"] == "TLSv1.2"
    cert = result["certificate"]
    assert cert["covers_name"] is True and cert["expired"] is False and cert["self_signed"] is False
    assert cert["subject"] == "CN=localhost"
    assert result["trust"] == {"ok": True, "store": "CA file %s" % pki["ca"], "error": None}
    assert result["about"]["status"] == 200 and result["about"]["json"]["version"] == "1.3.0.0"
    # /info/about was asked with some Basic header, as the broker requires
    assert server.seen[0][0] == "/info/about" and server.seen[0][1].startswith("Basic ")
    assert result["interpreters"] is None  # no credentials given


def test_ip_address_is_not_covered_by_a_dns_only_certificate(broker, pki):
    _server, port = broker("mismatch")
    result = tls_probe.probe("rtvs.example.com", port, address="127.0.0.1", ca_file=pki["ca"])
    assert result["certificate"]["covers_name"] is True
    result = tls_probe.probe("127.0.0.1", port, ca_file=pki["ca"])
    assert result["certificate"]["covers_name"] is False
    # Trust is judged separately from names: the chain itself is fine.
    assert result["trust"]["ok"] is True


def test_name_mismatch(broker, pki):
    _server, port = broker("mismatch")
    result = tls_probe.probe("localhost", port, ca_file=pki["ca"])
    assert result["tls"]["ok"] is True
    assert result["certificate"]["covers_name"] is False
    assert result["certificate"]["subject_alt_names"] == ["rtvs.example.com"]


def test_expired_certificate(broker, pki):
    _server, port = broker("expired")
    result = tls_probe.probe("localhost", port, ca_file=pki["ca"])
    assert result["tls"]["ok"] is True  # the handshake itself does not verify
    assert result["certificate"]["expired"] is True and result["certificate"]["days_left"] < 0
    assert result["trust"]["ok"] is False and "expired" in result["trust"]["error"]


def test_expiring_certificate_reports_days_left(broker, pki):
    _server, port = broker("expiring")
    result = tls_probe.probe("localhost", port, ca_file=pki["ca"])
    assert result["certificate"]["expired"] is False
    assert 8 <= result["certificate"]["days_left"] <= 10


def test_self_signed_untrusted_by_system_store(broker, pki):
    _server, port = broker("selfsigned")
    result = tls_probe.probe("localhost", port)
    assert result["certificate"]["self_signed"] is True
    assert result["trust"]["ok"] is False
    assert result["trust"]["store"].startswith("system store")
    assert "self" in result["trust"]["error"].lower()


def test_self_signed_trusted_when_given_as_ca_file(broker, pki):
    _server, port = broker("selfsigned")
    result = tls_probe.probe("localhost", port, ca_file=pki["selfsigned"][0])
    assert result["certificate"]["self_signed"] is True
    assert result["trust"]["ok"] is True


def test_chain_from_unrelated_ca_is_untrusted(broker, pki):
    _server, port = broker("trusted")
    result = tls_probe.probe("localhost", port, ca_file=pki["other_ca"])
    assert result["trust"]["ok"] is False
    assert result["trust"]["store"] == "CA file %s" % pki["other_ca"]


def test_credentials_200_and_401(broker, pki):
    server, port = broker("trusted")
    good = tls_probe.probe("localhost", port, ca_file=pki["ca"], user=USER, password=PASSWORD)
    assert good["interpreters"]["status"] == 200
    assert good["interpreters"]["count"] == 1 and good["interpreters"]["names"] == ["R 3.4.4"]
    bad = tls_probe.probe("localhost", port, ca_file=pki["ca"], user=USER, password="wrong")
    assert bad["interpreters"]["status"] == 401 and bad["interpreters"]["count"] == 0
    assert "Protected Area" in bad["interpreters"]["www_authenticate"]
    # The password never appears in the result.
    assert PASSWORD not in json.dumps(good) and "wrong" not in json.dumps(bad)
    sent = [auth for path, auth in server.seen if path == "/interpreters"]
    assert base64.b64decode(sent[0][6:]).decode() == "%s:%s" % (USER, PASSWORD)


def test_empty_interpreter_list(broker, pki):
    _server, port = broker("trusted", interpreters=[])
    result = tls_probe.probe("localhost", port, ca_file=pki["ca"], user=USER, password=PASSWORD)
    assert result["interpreters"]["status"] == 200 and result["interpreters"]["count"] == 0


def test_about_without_basic_header_answers_401(pki):
    # Directly: http_get with a non-Basic header gets the challenge, which the probe reports as-is.
    server = serve(pki["trusted"][0], pki["trusted"][1])
    try:
        port = server.server_address[1]
        status, headers, _body = tls_probe.http_get("127.0.0.1", port, "localhost", "/info/about", "Bearer x", 5)
        assert status == 401 and headers["www-authenticate"] == 'Basic realm="Protected Area"'
    finally:
        server.shutdown()
        server.server_close()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_nothing_listening():
    port = _free_port()
    result = tls_probe.probe("localhost", port, address="127.0.0.1", timeout=2)
    assert result["tcp"]["ok"] is False and "refused" in result["tcp"]["error"].lower()
    assert result["tls"]["ok"] is False and result["certificate"] is None and result["about"] is None


def test_name_does_not_resolve():
    result = tls_probe.probe("no-such-host.invalid", 5444, timeout=2)
    assert result["resolve"]["ok"] is False and result["resolve"]["error"]
    assert result["tcp"]["ok"] is False and result["tcp"]["error"] == "no address to connect to"


def test_plain_http_server_fails_tls():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BrokerDouble)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = tls_probe.probe("localhost", server.server_address[1], address="127.0.0.1", timeout=3)
        assert result["tcp"]["ok"] is True
        assert result["tls"]["ok"] is False and result["tls"]["error"]
    finally:
        server.shutdown()
        server.server_close()


def test_tls13_only_server_fails_the_tls12_handshake(pki):
    # The client forces TLS 1.2: a server that refuses it must not pass as a working broker.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BrokerDouble)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(pki["trusted"][0], pki["trusted"][1])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = tls_probe.probe("localhost", server.server_address[1], timeout=3)
        assert result["tls"]["ok"] is False
    finally:
        server.shutdown()
        server.server_close()


def test_health_check_form_leaves_out_the_trust_and_posture_handshakes(broker, pki):
    """posture=False, verify=False (the linux_broker plan step's probe without a CA): one handshake for the
    certificate, one for /info/about; trust and posture are null, the rest as in a full probe."""
    server, port = broker("trusted")
    result = tls_probe.probe("localhost", port, posture=False, verify=False)
    assert result["tls"]["ok"] and result["certificate"]["subject"] == "CN=localhost"
    assert result["trust"] is None and result["posture"] is None
    assert result["about"]["status"] == 200 and [seen[0] for seen in server.seen] == ["/info/about"]
