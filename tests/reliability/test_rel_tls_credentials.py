"""H1 (issue 14): the doctor's login goes only over TLS that proved who answers.

Real HTTPS servers on 127.0.0.1 record every request and its Authorization header. One presents a
certificate from another CA (the impostor: a local user who bound 5444 while rtvsd is down), one
from the CA the doctor was given, one self-signed (pinned or not). The impostor must never receive
the login; the right server must.
"""
import base64
import hashlib
import http.server
import json
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

import rel_support
from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as doctor_checks
from ansible_collections.rtvs.remote.plugins.module_utils.tls import tls_probe

USER = "alice"
PASSWORD = "Login-Canary-7d1e'\"$%\\"
NAME = "rtvs.example.test"


class Recorder(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        if self.path == "/info/about":
            body = {"version": "1.3.0.0", "interpreters": []}
        else:
            body = [{"id": "0", "name": "R 3.6.3"}]
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _ca(name):
    key = rel_support.new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(rel_support.NOW - rel_support.DAY).not_valid_after(rel_support.NOW + 300 * rel_support.DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("h1")
    right_key, right_ca = _ca("Right CA")
    evil_key, evil_ca = _ca("Impostor CA")
    leaf_key = rel_support.new_key()
    files = {"ca": d / "right-ca.pem"}
    files["ca"].write_bytes(rel_support.cert_pem(right_ca))
    leaves = {
        "right": rel_support.issue(leaf_key, [NAME], right_ca, right_key),
        "impostor": rel_support.issue(leaf_key, [NAME], evil_ca, evil_key),
        "wrong-name": rel_support.issue(leaf_key, ["elsewhere.example.test"], right_ca, right_key),
        "selfsigned": rel_support.issue(leaf_key, [NAME]),
    }
    (d / "leaf.key").write_bytes(rel_support.key_pem(leaf_key))
    for label, cert in leaves.items():
        (d / ("%s.pem" % label)).write_bytes(rel_support.cert_pem(cert))
        files[label] = d / ("%s.pem" % label)
        files[label + "-sha256"] = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    files["key"] = d / "leaf.key"
    return files


@pytest.fixture
def server(pki):
    started = []

    def start(label):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(pki[label]), str(pki["key"]))
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.seen = []
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.shutdown()
        srv.server_close()


def _logins(srv):
    """Every Authorization header the server received that carries the real password."""
    found = []
    for _path, auth in srv.seen:
        if auth and auth.startswith("Basic ") and PASSWORD in base64.b64decode(auth[6:]).decode("utf-8", "replace"):
            found.append(auth)
    return found


def _probe(srv, **kw):
    return tls_probe.probe(NAME, srv.server_address[1], address="127.0.0.1", timeout=5,
                           user=USER, password=PASSWORD, **kw)


def _doctor_interpreters(result):
    report = doctor_checks.evaluate({"host": "h", "platform": "linux", "probe": result, "broker": None,
                                     "options": {"fqdn": NAME, "port": 5444, "credentials_given": True}})
    return [c for c in report["checks"] if c["id"] == "interpreters"][0]


def test_login_not_sent_to_a_certificate_from_another_ca(server, pki):
    srv = server("impostor")
    result = _probe(srv, ca_file=str(pki["ca"]))
    assert result["trust"]["ok"] is False
    assert _logins(srv) == [], "the impostor received the login"
    assert [p for p, _a in srv.seen] == ["/info/about"]  # /interpreters was not even asked
    interp = result["interpreters"]
    assert interp["credentials_sent"] is False and interp["status"] is None
    assert interp["skipped"].startswith("credentials not sent: the certificate did not verify against CA file")
    check = _doctor_interpreters(result)
    assert check["status"] == "skip" and "not asked: credentials not sent" in check["evidence"]
    assert "rtvs_doctor_ca_file" in check["fix"] and "rtvs_doctor_pin_sha256" in check["fix"]
    assert PASSWORD not in json.dumps(result)


def test_login_not_sent_to_a_self_signed_certificate_without_ca_or_pin(server):
    srv = server("selfsigned")
    result = _probe(srv)  # system store
    assert _logins(srv) == []
    assert "system store" in result["interpreters"]["skipped"]


def test_login_not_sent_when_the_verified_certificate_names_another_host(server, pki):
    srv = server("wrong-name")
    result = _probe(srv, ca_file=str(pki["ca"]))
    assert result["trust"]["ok"] is True  # the chain is fine; the name is not
    assert _logins(srv) == []
    assert "does not cover %s" % NAME in result["interpreters"]["skipped"]


def test_login_sent_over_a_verified_chain_and_name(server, pki):
    srv = server("right")
    result = _probe(srv, ca_file=str(pki["ca"]))
    assert len(_logins(srv)) == 1, srv.seen
    interp = result["interpreters"]
    assert interp["credentials_sent"] is True and interp["status"] == 200 and interp["names"] == ["R 3.6.3"]
    assert interp["channel"] == "chain and name %s verified against CA file %s" % (NAME, pki["ca"])
    assert _doctor_interpreters(result)["status"] == "ok"


def test_login_sent_to_the_pinned_self_signed_certificate_only(server, pki):
    srv = server("selfsigned")
    pin = ":".join(pki["selfsigned-sha256"][i:i + 2] for i in range(0, 64, 2)).upper()
    result = _probe(srv, pin_sha256=pin)
    assert len(_logins(srv)) == 1
    assert result["interpreters"]["channel"].startswith("pinned SHA-256 fingerprint")
    # A pin is strict: a certificate that verifies but is not the pinned one gets no login either.
    right = server("right")
    result = _probe(right, ca_file=str(pki["ca"]), pin_sha256=pki["selfsigned-sha256"])
    assert _logins(right) == []
    assert "does not match the pinned" in result["interpreters"]["skipped"]


def test_module_path_never_sends_the_login_to_an_impostor(playbook, server, pki, tmp_path):
    """The same through ansible-playbook and the doctor's options (module or in-process path)."""
    srv = server("impostor")
    out = tmp_path / "probe.json"
    secrets = rel_support.secrets_file(tmp_path / "secrets.json", tp_password=PASSWORD)
    result = playbook("tls_probe/cycle.yml", {
        "tp_name": NAME, "tp_port": srv.server_address[1], "tp_address": "127.0.0.1",
        "tp_ca_file": str(pki["ca"]), "tp_user": USER, "tp_out": str(out)}, verbosity=3, args=secrets)
    assert result.rc == 0, result
    assert _logins(srv) == []
    assert json.loads(out.read_text())["interpreters"]["credentials_sent"] is False
    assert PASSWORD not in result.output


@pytest.mark.parametrize("args, message", [
    ({"tp_pin": "abc"}, "pin_sha256 is not a SHA-256 fingerprint"),
    ({"tp_timeout": -1}, "timeout -1.0 is not a positive number of seconds"),
])
def test_bad_pin_or_timeout_is_refused_with_the_fix(playbook, args, message):
    result = playbook("tls_probe/bad.yml", dict(args, tp_name="x"))
    assert result.rc != 0 and message in result.output, result
    assert "Traceback" not in result.output


def _doctor(playbook, tmp_path, srv, **options):
    import os
    import sys
    inv = tmp_path / "inventory.ini"
    inv.write_text("[rtvs_linux]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    report = tmp_path / "report.json"
    secrets = rel_support.secrets_file(tmp_path / "vault.json", rtvs_doctor_password=PASSWORD)
    values = {"rtvs_fqdn": NAME, "rtvs_port": srv.server_address[1], "rtvs_doctor_address": "127.0.0.1",
              "rtvs_doctor_user": USER, "rtvs_doctor_fail": False, "rtvs_doctor_timeout": 3,
              "rtvs_doctor_report_file": str(report)}
    values.update(options)
    result = playbook(os.path.join(rel_support.ROOT, "playbooks", "doctor.yml"), values, check=True,
                      args=["-i", str(inv)] + secrets)
    assert result.rc == 0, result
    assert PASSWORD not in result.output
    checks = dict((c["id"], c) for c in json.loads(report.read_text())["hosts"]["localhost"]["checks"])
    return checks["interpreters"], report


def test_doctor_role_skips_the_login_to_an_impostor_and_says_why(playbook, server, pki, tmp_path):
    srv = server("impostor")
    check, _report = _doctor(playbook, tmp_path, srv, rtvs_doctor_ca_file=str(pki["ca"]))
    assert _logins(srv) == []
    assert check["status"] == "skip" and "credentials not sent" in check["evidence"], check
    assert "rtvs_doctor_pin_sha256" in check["fix"]


def test_doctor_role_sends_the_login_to_the_pinned_certificate(playbook, server, pki, tmp_path):
    srv = server("selfsigned")
    check, _report = _doctor(playbook, tmp_path, srv, rtvs_doctor_pin_sha256=pki["selfsigned-sha256"].upper())
    assert len(_logins(srv)) >= 1
    assert check["status"] == "ok" and "R 3.6.3" in check["evidence"], check
