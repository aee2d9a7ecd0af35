"""Helpers for the default scenario's testinfra tests (hosts broker-default, broker-ca, broker-provided).

Expectations come from each host's inventory (group_vars and host_vars in molecule.yml) and from the files the
role left on the controller; nothing about the result is hard-coded here.
"""

import base64
import json
import os
import socket
import ssl
import urllib.error
import urllib.request

import pytest
import testinfra.utils.ansible_runner
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
HOSTS = RUNNER.get_hosts("rtvs_linux")
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]


class Broker:
    """What one test host should look like, from its inventory variables."""

    def __init__(self, host):
        self.host = host
        self.vars = host.ansible.get_variables()
        self.name = self.vars["inventory_hostname"]
        self.address = self.vars["ansible_host"]
        self.fqdn = self.vars.get("rtvs_fqdn", self.name)
        self.port = int(self.vars.get("rtvs_port", 5444))
        self.source = self.vars.get("rtvs_certificate_source", "selfsigned")
        self.password = self.vars["rtvs_pfx_password"]
        self.group = self.vars.get("rtvs_allowed_group", "rtvs-users")
        self.users = self.vars.get("rtvs_users", [])
        self.sources = self.vars.get("rtvs_allowed_sources", [])
        self.extra_names = self.vars.get("rtvs_subject_alt_names", [])
        self.pfx_path = "/etc/rtvs/%s.pfx" % self.fqdn
        self.controller_dir = os.path.join(os.path.dirname(INVENTORY), "pki", self.name)

    def controller_certificate(self):
        with open(os.path.join(self.controller_dir, "broker.crt"), "rb") as handle:
            return x509.load_pem_x509_certificate(handle.read())

    def read_root_file(self, path):
        with self.host.sudo():
            return base64.b64decode(self.host.check_output("base64 -w0 %s", path))

    def pfx(self):
        """(key, certificate, chain) of the PFX on the host, opened with the configured password."""
        return pkcs12.load_key_and_certificates(self.read_root_file(self.pfx_path), self.password.encode())

    def config(self):
        return json.loads(self.read_root_file("/etc/rtvs/rtvsd.config.json"))


@pytest.fixture(scope="module")
def broker(host):
    """The testinfra ``host`` (ansible backend, one per entry of the test module's testinfra_hosts)."""
    return Broker(host)


def fingerprint(certificate):
    return certificate.fingerprint(hashes.SHA256())


def lower_keys(value):
    """The broker reads keys case-insensitively; compare the same way."""
    if isinstance(value, dict):
        return {k.lower(): lower_keys(v) for k, v in value.items()}
    return value


def unverified_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def handshake(address, port, context=None, server_hostname=None):
    """(TLS version, served leaf certificate) from a real handshake from the controller."""
    with socket.create_connection((address, port), timeout=10) as raw:
        with (context or unverified_context()).wrap_socket(raw, server_hostname=server_hostname) as tls:
            return tls.version(), x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def http_get(address, port, path, user=None, password="x"):
    """(status, headers, body) of an HTTPS GET; Basic credentials when a user is given."""
    request = urllib.request.Request("https://%s:%d%s" % (address, port, path))
    if user is not None:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(request, context=unverified_context(), timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
