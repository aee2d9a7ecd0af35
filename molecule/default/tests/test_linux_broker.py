"""A converged linux_broker host, checked from the host (files, service, users, ufw) and from the
controller the way a client connects (TLS handshake, certificate, /info/about)."""

import json
import os
import re
import ssl

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from conftest import EPHEMERAL, HOSTS, fingerprint, handshake, http_get, lower_keys

testinfra_hosts = HOSTS
TEST_CA = os.path.join(EPHEMERAL, "testca", "ca.pem")


# --- certificate and PFX --------------------------------------------------------------------------

def test_only_the_pfx_is_on_the_host_root_rtvssvc_0640(broker):
    pfx = broker.host.file(broker.pfx_path)
    assert pfx.is_file
    assert (pfx.user, pfx.group, pfx.mode) == ("root", "rtvssvc", 0o640)
    with broker.host.sudo():
        leftovers = broker.host.check_output("find /etc/rtvs -name '*.key' -o -name '*.crt' -o -name '*.pem'")
    assert leftovers == "", "private keys or PEM files left on the host: %s" % leftovers


def test_pfx_opens_with_the_password_and_holds_the_controller_certificate(broker):
    key, certificate, chain = broker.pfx()
    assert key is not None
    assert fingerprint(certificate) == fingerprint(broker.controller_certificate())
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()
    if broker.source == "ca":
        with open(TEST_CA, "rb") as handle:
            ca = x509.load_pem_x509_certificate(handle.read())
        assert [fingerprint(c) for c in chain] == [fingerprint(ca)]
    if broker.source == "provided":  # the user's certificate, untouched
        with open(os.path.join(EPHEMERAL, "provided", "server.crt"), "rb") as handle:
            assert fingerprint(certificate) == fingerprint(x509.load_pem_x509_certificate(handle.read()))


def test_pfx_uses_compat_encryption_3des_sha1(broker):
    with broker.host.sudo():
        info = broker.host.run("PW=%s openssl pkcs12 -info -noout -legacy -in %s -passin env:PW",
                               broker.password, broker.pfx_path)
    assert info.rc == 0, info.stderr
    assert "pbeWithSHA1And3-KeyTripleDES-CBC" in info.stderr
    assert "MAC: sha1" in info.stderr


def test_only_rtvssvc_and_root_can_read_the_pfx(broker):
    with broker.host.sudo():
        assert broker.host.run("sudo -u rtvssvc test -r %s", broker.pfx_path).rc == 0
        for user in broker.users:
            assert broker.host.run("sudo -u %s test -r %s", user["name"], broker.pfx_path).rc != 0


def test_certificate_names_the_fqdn(broker):
    certificate = broker.controller_certificate()
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == broker.fqdn
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = san.get_values_for_type(x509.DNSName) + [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    assert broker.fqdn in names
    for extra in broker.extra_names:
        assert extra in names


# --- configuration --------------------------------------------------------------------------------

def test_config_file_is_root_rtvssvc_0640(broker):
    config = broker.host.file("/etc/rtvs/rtvsd.config.json")
    assert (config.user, config.group, config.mode) == ("root", "rtvssvc", 0o640)


def test_config_contents(broker):
    config = lower_keys(broker.config())
    assert config["urls"] == "https://0.0.0.0:%d" % broker.port
    assert config["logging"]["logfolder"] == "/var/log/rtvs"
    assert config["security"]["allowedgroup"] == broker.group
    assert config["security"]["x509certificatefile"] == broker.pfx_path
    assert config["security"]["x509certificatepassword"] == broker.password
    assert config["startup"]["name"] == "rtvsd"
    assert "lifetime" not in config
    assert config["r"]["autodetect"] is False
    interpreter = config["r"]["interpreters"]["0"]
    assert interpreter["basepath"] == "/usr/lib/R"
    version = broker.host.check_output("dpkg-query -W -f '${Version}' r-base-core")  # e.g. 4.2.2.20221110-2
    assert interpreter["name"] == "R " + re.match(r"(?:\d+:)?(\d+\.\d+\.\d+)", version).group(1)


def test_log_folder_is_dedicated_and_the_broker_writes_there(broker):
    folder = broker.host.file("/var/log/rtvs")
    assert folder.is_directory
    assert (folder.user, folder.group, folder.mode) == ("rtvssvc", "rtvssvc", 0o750)
    with broker.host.sudo():
        logs = broker.host.check_output("ls /var/log/rtvs")
    assert "Microsoft.R.Host.Broker_rtvsd_" in logs


def test_r_is_installed_without_recommends(broker):
    assert broker.host.package("r-base-core").is_installed
    assert broker.host.file("/usr/lib/R/lib/libR.so").exists
    # r-recommended (and its ~250 MB of packages) only comes with recommends
    assert not broker.host.package("r-recommended").is_installed


# --- service --------------------------------------------------------------------------------------

def test_service_running_enabled_and_wanted_at_boot(broker):
    service = broker.host.service("rtvsd")
    assert service.is_running
    assert service.is_enabled
    dropin = broker.host.file("/etc/systemd/system/rtvsd.service.d/50-rtvs-remote-wantedby.conf")
    assert "WantedBy=multi-user.target" in dropin.content_string
    wants = broker.host.file("/etc/systemd/system/multi-user.target.wants/rtvsd.service")
    assert wants.is_symlink
    assert "multi-user.target" in broker.host.check_output("systemctl show -p WantedBy --value rtvsd")


def test_port_listening(broker):
    assert broker.host.socket("tcp://%d" % broker.port).is_listening or \
        broker.host.socket("tcp://0.0.0.0:%d" % broker.port).is_listening


# --- what a client sees, from the controller -------------------------------------------------------

def test_tls12_handshake_serves_the_pfx_certificate(broker):
    version, served = handshake(broker.address, broker.port)
    assert version == "TLSv1.2"
    _key, in_pfx, _chain = broker.pfx()
    assert fingerprint(served) == fingerprint(in_pfx)


def test_trust(broker):
    """selfsigned: no public trust; ca/provided: trusted by the test CA alone, for the FQDN only."""
    if broker.source == "selfsigned":
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(broker.address, broker.port, ssl.create_default_context(), broker.fqdn)
        return
    only_test_ca = ssl.create_default_context(cafile=TEST_CA)
    version, served = handshake(broker.address, broker.port, only_test_ca, broker.fqdn)
    assert version == "TLSv1.2"
    assert fingerprint(served) == fingerprint(broker.controller_certificate())
    with pytest.raises(ssl.SSLCertVerificationError):  # hostname is checked
        handshake(broker.address, broker.port, ssl.create_default_context(cafile=TEST_CA), "not-" + broker.fqdn)
    with pytest.raises(ssl.SSLCertVerificationError):  # the system store does not know the test CA
        handshake(broker.address, broker.port, ssl.create_default_context(), broker.fqdn)


def test_info_about_answers_200_with_a_basic_header_and_401_without(broker):
    status, _headers, body = http_get(broker.address, broker.port, "/info/about", user="anyone", password="any")
    assert status == 200
    about = json.loads(body)
    assert "version" in about and "interpreters" in about
    status, headers, _body = http_get(broker.address, broker.port, "/info/about")
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic")


# --- users and firewall ---------------------------------------------------------------------------

def test_users_exist_with_their_hash_home_and_the_allowed_group(broker):
    assert broker.users, "the scenario must define rtvs_users"
    assert broker.host.group(broker.group).exists
    for entry in broker.users:
        user = broker.host.user(entry["name"])
        assert user.exists
        assert broker.group in user.groups
        home = entry.get("home", "/home/" + entry["name"])
        assert user.home == home
        assert broker.host.file(home).is_directory
        assert broker.host.file(home).user == entry["name"]
        with broker.host.sudo():
            shadow = broker.host.check_output("getent shadow %s", entry["name"]).split(":")
        assert shadow[1] == entry["password_hash"]


def test_broker_lets_members_of_the_allowed_group_in_and_no_one_else(broker):
    member = broker.users[0]["name"]
    status, _h, _b = http_get(broker.address, broker.port, "/interpreters", user=member, password="x")
    assert status == 200
    status, _h, _b = http_get(broker.address, broker.port, "/interpreters", user="rtvssvc", password="x")
    assert status == 401


def test_ufw_allows_the_port_from_the_allowed_sources_only(broker):
    with broker.host.sudo():
        added = broker.host.check_output("ufw show added")
    rules = [line for line in added.splitlines() if str(broker.port) in line]
    if broker.sources:
        for source in broker.sources:
            assert any("from %s" % source in rule and "port %d" % broker.port in rule and "proto tcp" in rule
                       for rule in rules), added
        assert not any(rule.startswith("ufw allow %d/tcp" % broker.port) for rule in rules), added
    else:
        assert any(rule.startswith("ufw allow %d/tcp" % broker.port) for rule in rules), added
