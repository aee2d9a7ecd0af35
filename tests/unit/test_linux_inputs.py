"""module_utils/host/linux_inputs.py: the Linux role's input rules and its argument spec, one table."""
import os

import pytest
import yaml

from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_inputs

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "linux_broker")
GOOD_HASH = "$6$salt$hash"


def _options():
    with open(os.path.join(ROLE, "meta", "argument_specs.yml")) as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def _values(**changes):
    with open(os.path.join(ROLE, "defaults", "main.yml")) as handle:
        values = yaml.safe_load(handle)
    values.update(rtvs_fqdn="h1.example.test", rtvs_linux_controller_dir="/srv/pki", rtvs_linux_controller_owner="root",
                  rtvs_linux_certificate_name="h1.example.test", rtvs_linux_health_address="192.0.2.1",
                  rtvs_pfx_password="Long-enough-1", rtvs_daemon_install=False)
    values.update(changes)
    return values


def _errors(files=(), **changes):
    values = _values(**changes)
    return linux_inputs.rule_problems(values, list(values), _options(), is_file=lambda path: path in files)


def test_good_inputs_have_no_problem():
    assert _errors() == []
    messages, secrets = linux_inputs.problems(_options(), _values(), list(_values()))
    assert messages == [] and "Long-enough-1" in secrets


@pytest.mark.parametrize("changes, files, expected", [
    (dict(rtvs_pfx_password=""), (), "rtvs_pfx_password is empty, a placeholder, or a published default "
                                     "(snakeoil, password, changeme)."),
    (dict(rtvs_pfx_password="SnakeOil"), (), "rtvs_pfx_password is empty, a placeholder"),
    (dict(rtvs_pfx_password="REPLACE-ME-with-vault"), (), "rtvs_pfx_password is empty, a placeholder"),
    (dict(rtvs_pfx_password="short1"), (), "rtvs_pfx_password must have at least 8 characters"),
    (dict(rtvs_pfx_password="Pässwörd-lang"), (), "rtvs_pfx_password has 2 characters outside printable ASCII"),
    (dict(rtvs_pfx_password="Tab\there-long"), (), "rtvs_pfx_password contains"),
    (dict(rtvs_certificate_source="ca"), (), "rtvs_certificate_source=ca needs readable files on the controller: "
                                             "source ca needs rtvs_ca_certificate and rtvs_ca_privatekey (now '', '')"),
    (dict(rtvs_certificate_source="provided", rtvs_provided_certificate="/c.pem", rtvs_provided_privatekey="/k.pem"),
     ("/c.pem",), "rtvs_certificate_source=provided needs readable files"),
    (dict(rtvs_certificate_source="internal_ca", rtvs_internal_ca_passphrase="too-short"), (),
     "rtvs_certificate_source=internal_ca needs rtvs_internal_ca_passphrase (12 characters or more"),
    (dict(rtvs_port=0), (), "rtvs_port must be 1-65535 (now 0)."),
    (dict(rtvs_port="x"), (), "rtvs_port must be 1-65535 (now x)."),
    (dict(rtvs_port=65536), (), "rtvs_port must be 1-65535 (now 65536)."),
    (dict(rtvs_allowed_group="Users"), (), "rtvs_allowed_group must name a Linux group"),
    (dict(rtvs_allowed_group=""), (), "now ''), for example rtvs-users."),
    (dict(rtvs_allowed_sources=["10.0.0.0/8", "clients.example.com"]), (),
     "rtvs_allowed_sources must be IP addresses or CIDRs like 10.20.0.0/16 (not: clients.example.com)."),
    (dict(rtvs_daemon_install=True, rtvs_daemon_package="/nope.deb"), (),
     "With rtvs_daemon_install=true, rtvs_daemon_package must be an http(s) URL or a .deb on the controller "
     "(now '/nope.deb')"),
    (dict(rtvs_linux_r_source="cran", rtvs_linux_r_cran_repository=""), (),
     "rtvs_linux_r_source is distro or cran (now 'cran'), and cran needs rtvs_linux_r_cran_repository"),
    (dict(rtvs_linux_r_source="conda"), (), "rtvs_linux_r_source is distro or cran (now 'conda')"),
    (dict(rtvs_users=[{"name": "ann"}, {"name": "bob", "password_hash": "plain"}, {"name": "cy", "password_hash": GOOD_HASH}]),
     (), "rtvs_users entries without a crypt(3) password_hash (like $6$...): ann, bob. The broker checks passwords "
         "through PAM"),
    (dict(rtvs_prot=1), (), "Unknown variable: rtvs_prot (did you mean rtvs_port?). rtvs.remote.linux_broker would "
                            "ignore it and use the default."),
    (dict(rtvs_prot=1, rtvs_zzz=2), (), "Unknown variables: rtvs_prot (did you mean rtvs_port?); rtvs_zzz. "
                                        "rtvs.remote.linux_broker would ignore them"),
])
def test_each_rule_names_the_broken_input_and_its_fix(changes, files, expected):
    errors = _errors(files=files, **changes)
    assert any(e.startswith(expected) or expected in e for e in errors), errors


@pytest.mark.parametrize("changes, files", [
    (dict(rtvs_pfx_password="SnakeOil", rtvs_allow_insecure_defaults=True), ()),
    (dict(rtvs_certificate_source="ca", rtvs_ca_certificate="/c", rtvs_ca_privatekey="/k"), ("/c", "/k")),
    (dict(rtvs_daemon_install=True, rtvs_daemon_package="https://example.test/rtvs-daemon_1.0_amd64.deb"), ()),
    (dict(rtvs_allowed_sources=["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]), ()),
    (dict(rtvs_windows_port=5444, rtvs_doctor_pin_sha256="x", rtvs_client_trust_state="present"), ()),
])
def test_allowed_variants_pass(changes, files):
    assert _errors(files=files, **changes) == []


def test_every_broken_input_is_named_at_once():
    errors = _errors(rtvs_port=0, rtvs_allowed_group="", rtvs_pfx_password="short")
    assert len(errors) == 3


def test_the_argument_spec_is_applied_with_ansible_cores_validator():
    messages, _secrets = linux_inputs.problems(_options(), _values(rtvs_linux_firewall_backend="iptables"),
                                               list(_values()))
    assert len(messages) == 1
    assert messages[0].startswith("Validation of the role's variables against meta/argument_specs.yml failed: ")
    assert "rtvs_linux_firewall_backend" in messages[0]
