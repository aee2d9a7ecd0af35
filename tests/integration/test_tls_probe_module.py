"""rtvs.remote.tls_probe through real ansible-playbook against a local TLS 1.2 broker stand-in."""
import base64
import http.server
import json
import ssl
import sys
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", ".work", "ac"))
from ansible_collections.rtvs.remote.plugins.module_utils.tls import issuing, keys  # noqa: E402

PASSWORD = "probe-Secret-4411"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        auth = self.headers.get("Authorization") or ""
        password = base64.b64decode(auth[6:]).decode().partition(":")[2] if auth.startswith("Basic ") else ""
        if not auth.startswith("Basic ") or (self.path == "/interpreters" and password != PASSWORD):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="Protected Area"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"version": "1.3"} if self.path == "/info/about" else [{"id": "0", "name": "R 3.6.3"}]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = issuing.build_certificate(key, "rtvs.example.test", ["127.0.0.1"])
    (d / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "k.pem").write_bytes(keys.key_pem(key))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(d / "c.pem"), str(d / "k.pem"))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1], str(d / "c.pem")
    srv.shutdown()
    srv.server_close()


def test_cycle_never_changes_and_secret_stays_out_of_vvvv(playbook, server, tmp_path):
    port, ca = server
    out = tmp_path / "probe.json"
    secrets = tmp_path / "secrets.json"  # from a file, as a vault would give it: not on the command line
    secrets.write_text(json.dumps({"tp_password": PASSWORD}))
    result = playbook("tls_probe/cycle.yml", {
        "tp_name": "rtvs.example.test", "tp_port": port, "tp_address": "127.0.0.1", "tp_ca_file": ca,
        "tp_user": "alice", "tp_out": str(out)}, verbosity=4, args=("-e", "@%s" % secrets))
    assert result.rc == 0, result
    assert PASSWORD not in result.output
    probe = json.loads(out.read_text())
    assert probe["certificate"]["covers_name"] is True and probe["trust"]["ok"] is True
    assert probe["interpreters"]["status"] == 200 and probe["interpreters"]["names"] == ["R 3.6.3"]


@pytest.mark.parametrize("args, message", [
    ({"tp_port": 70000}, "port 70000 is out of range"),
    ({"tp_password": "a-long-password"}, "password is given without user"),
    ({"tp_ca_file": "/nonexistent/ca.pem"}, "ca_file /nonexistent/ca.pem cannot be read"),
])
def test_bad_input_names_the_option(playbook, args, message):
    result = playbook("tls_probe/bad.yml", dict(args, tp_name="x"))
    assert result.rc != 0
    assert message in result.output, result


def test_ca_file_without_certificate(playbook, tmp_path):
    bogus = tmp_path / "notpem.txt"
    bogus.write_text("hello")
    result = playbook("tls_probe/bad.yml", {"tp_name": "x", "tp_ca_file": str(bogus)})
    assert result.rc != 0 and "holds no PEM certificate" in result.output, result
