"""roles/linux_broker/tasks/health.yml for real, from the controller against a local TLS server standing in for the
broker (tests/helpers/tls_server.py): the assert is the one health rule (rtvs.remote.broker_health_problems, i.e.
linux_plan.health_problems), so a healthy server passes and each broken one fails naming its problem."""
import hashlib
import http.server
import os
import ssl
import sys

import pytest

from conftest import ROOT, run_playbook

sys.path.insert(0, os.path.join(ROOT, ".work", "ac"))
from ansible_collections.rtvs.remote.plugins.module_utils.tls import tls_probe  # noqa: E402
from ansible_collections.rtvs.remote.tests.helpers import tls_server as local_tls  # noqa: E402

NAME = "rtvs-health.example.test"
PLAYBOOK = """\
- name: The health step of the linux_broker role
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run health.yml from the role
      ansible.builtin.include_role:
        name: rtvs.remote.linux_broker
        tasks_from: health.yml
"""


class About(http.server.BaseHTTPRequestHandler):
    """GET /info/about answers ``status`` (the broker answers 200 to any Basic header)."""
    status = 200

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = b'{"version": "1.3.0.0"}'
        self.send_response(self.status if self.path == "/info/about" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


class Unavailable(About):
    status = 503


@pytest.fixture
def certificate(tmp_path):
    cert_path, key_path = local_tls.certificate_files(tmp_path, NAME, [NAME, "127.0.0.1"])
    with open(cert_path) as handle:
        der = ssl.PEM_cert_to_DER_cert(handle.read())
    return cert_path, key_path, tls_probe.colon_hex(hashlib.sha256(der).hexdigest())


def _run(tmp_path, port, fingerprint, ca="", retries=0):
    playbook = tmp_path / "health.yml"
    playbook.write_text(PLAYBOOK)
    return run_playbook(str(playbook), {
        "rtvs_fqdn": NAME, "rtvs_port": port, "rtvs_linux_health_address": "127.0.0.1",
        "rtvs_linux_health_retries": retries, "rtvs_linux_log_folder": "/var/log/rtvs-health-test",
        # what the role's plan step would have given (extra vars win over the role's vars/main.yml)
        "linux_broker_pfx": {"fingerprint_sha256": fingerprint}, "linux_broker_health_ca": ca})


def test_healthy_broker_passes_without_and_with_a_ca(tmp_path, certificate):
    cert_path, key_path, fingerprint = certificate
    with local_tls.serving(local_tls.context(cert_path, key_path), handler=About) as port:
        plain = _run(tmp_path, port, fingerprint)
        verified = _run(tmp_path, port, fingerprint, ca=cert_path)
    assert plain.rc == 0, plain
    assert verified.rc == 0, verified
    assert "is not healthy" not in plain.output + verified.output


def test_another_certificate_fails_naming_both_fingerprints_and_where_to_look(tmp_path, certificate):
    cert_path, key_path, fingerprint = certificate
    with local_tls.serving(local_tls.context(cert_path, key_path), handler=About) as port:
        result = _run(tmp_path, port, "AB:CD:EF")
    assert result.rc != 0, result
    assert ("The broker on 127.0.0.1:%d is not healthy: serves %s, not the PFX's AB:CD:EF." % (port, fingerprint)
            in result.output), result
    assert "journalctl -u rtvsd" in result.output and "/var/log/rtvs-health-test on the host" in result.output


def test_a_ca_that_did_not_issue_it_fails_the_chain(tmp_path, certificate):
    cert_path, key_path, fingerprint = certificate
    other = tmp_path / "other"
    other.mkdir()
    other_ca = local_tls.certificate_files(other, NAME, [NAME])[0]
    with local_tls.serving(local_tls.context(cert_path, key_path), handler=About) as port:
        result = _run(tmp_path, port, fingerprint, ca=other_ca)
    assert result.rc != 0, result
    assert "is not healthy: the chain does not verify" in result.output, result


def test_retries_until_about_answers_200(tmp_path, certificate):
    """The probe is retried (delay 1 s) while /info/about does not answer 200, as a starting broker needs; after the
    last attempt the assert fails naming the status (not the probe task with its raw result)."""
    cert_path, key_path, fingerprint = certificate
    with local_tls.serving(local_tls.context(cert_path, key_path), handler=Unavailable) as port:
        result = _run(tmp_path, port, fingerprint, retries=2)
    assert result.rc != 0, result
    assert result.output.count("FAILED - RETRYING: [localhost]: Probe the broker from the controller") == 2, result
    assert "/info/about answers 503" in result.output, result
