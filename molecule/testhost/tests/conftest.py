"""Shared helpers for the testhost scenario's testinfra tests."""

import base64
import json
import os
import socket
import ssl
import urllib.request

import pytest
import testinfra.utils.ansible_runner

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
HOSTS = RUNNER.get_hosts("all")
PKI = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")
PORT = 5444


def address(host):
    """The address Ansible uses for this host (what a client on the controller would use)."""
    return host.ansible.get_variables()["ansible_host"]


def tls_client(version=ssl.TLSVersion.TLSv1_2):
    """A client context that trusts nothing in particular (the certificate is checked by hash)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = version
    context.maximum_version = version
    return context


def handshake(addr, version=ssl.TLSVersion.TLSv1_2, port=PORT):
    """(negotiated protocol, DER of the server certificate) from a real TLS handshake."""
    with socket.create_connection((addr, port), timeout=5) as raw:
        with tls_client(version).wrap_socket(raw) as tls:
            return tls.version(), tls.getpeercert(binary_form=True)


def http_get(addr, path, user=None, password="x", port=PORT):
    """(status, headers, body) of an HTTPS GET over TLS 1.2, with Basic credentials if a user is given."""
    request = urllib.request.Request("https://%s:%d%s" % (addr, port, path))
    if user is not None:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(request, context=tls_client(), timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def put_file(host, path, data, mode="0644", owner="root:root"):
    """Write bytes to a file on the host (as root), via base64 so no quoting can break it."""
    encoded = base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()
    with host.sudo():
        host.check_output("echo %s | base64 -d > %s && chmod %s %s && chown %s %s",
                          encoded, path, mode, path, owner, path)


def to_json(value):
    return json.dumps(value, indent=2) + "\n"


@pytest.fixture(scope="module")
def expected_fingerprint():
    """SHA-256 of the certificate converge put in the PFX (made on the controller)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    with open(os.path.join(PKI, "broker.crt"), "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read()).fingerprint(hashes.SHA256())
