"""module_utils/host/linux_role.py: the Linux role's variables -> its plan task's options, built in Python.

(Checked once against the Jinja it replaced, roles/linux_broker/vars/main.yml at cffd9c9, for the default,
ca, internal_ca and provided sources with tags, a versioned .deb, string port and switches: no difference.)
"""
import os

import pytest
import yaml

from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_inputs, linux_role

ROLE_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "linux_broker")


def _load(name):
    with open(os.path.join(ROLE_DIR, name)) as handle:
        return yaml.safe_load(handle)


ROLE = dict((k, v) for k, v in _load("vars/main.yml").items() if k in linux_role.ROLE_CONSTANTS)


def _values(**changes):
    values = _load("defaults/main.yml")
    values.update(rtvs_fqdn="b1.example.test", rtvs_linux_controller_dir="/ctl/pki", rtvs_linux_controller_owner="ops",
                  rtvs_linux_certificate_name="b1.example.test", rtvs_linux_health_address="192.0.2.5",
                  rtvs_pfx_password="Pfx-secret-1")
    values.update(changes)
    return values


def test_every_role_constant_is_in_vars_main():
    assert sorted(ROLE) == sorted(linux_role.ROLE_CONSTANTS)


@pytest.mark.parametrize("package, version", [
    ("https://example.test/rtvs-daemon_1.0.2_amd64.deb", "1.0.2"),
    ("/srv/rtvs-daemon_1.0%2Bb1_amd64.deb", "1.0+b1"),
    ("/srv/rtvs-daemon.deb", ""),
    ("", ""),
])
def test_daemon_version_from_the_debian_file_name(package, version):
    assert linux_role.daemon_version(package) == version


@pytest.mark.parametrize("run, skip, tag, expected", [
    (["all"], [], "rtvs_certificate", True),
    (["rtvs_config"], [], "rtvs_certificate", False),
    (["rtvs_certificate"], [], "rtvs_certificate", True),
    (["tagged"], [], "rtvs_health", True),
    (["all"], ["rtvs_health"], "rtvs_health", False),
])
def test_tags_select_the_parts_as_tasks_would_be(run, skip, tag, expected):
    assert linux_role.selected(run, skip, tag) is expected


def test_defaults_build_the_controller_part_the_desired_state_and_the_probe():
    options, where = linux_role.plan_options(_values(), ROLE, "b1")
    assert where == {"controller_host_dir": "/ctl/pki/b1", "pfx_path": "/etc/rtvs/b1.example.test.pfx", "health_ca": ""}
    controller = options["controller"]
    assert controller["internal_ca"] == {} and controller["owner"] == "ops"
    assert controller["certificate"]["path"] == "/ctl/pki/b1/broker.crt"
    assert controller["certificate"]["ca_certificate_path"] is None
    assert controller["pfx"]["expected_names"] == ["b1.example.test"] and controller["pfx"]["other_certificates"] == []
    desired = options["host"]["desired"]
    assert desired["service_account"] == "rtvssvc" and desired["service"] == "rtvsd"
    assert desired["config"]["settings"]["security"]["X509CertificateFile"] == "/etc/rtvs/b1.example.test.pfx"
    assert desired["config"]["group"] == "rtvssvc" and desired["config"]["settings"]["lifetime"] is None
    assert desired["dropin"]["path"].endswith("50-rtvs-remote-wantedby.conf") and len(desired["dropin"]["checksum"]) == 40
    assert [f["path"] for f in desired["folders"]][0] == "/etc/rtvs"
    assert options["health"] == {"name": "b1.example.test", "address": "192.0.2.5", "port": 5444, "ca_file": ""}
    assert options["selected"] == {"certificate": True, "health": True}


def test_source_ca_puts_the_issuer_in_the_pfx_and_trusts_it_in_the_probe():
    options, where = linux_role.plan_options(
        _values(rtvs_certificate_source="ca", rtvs_ca_certificate="/ca.crt", rtvs_ca_privatekey="/ca.key"), ROLE, "b1")
    assert options["controller"]["pfx"]["other_certificates"] == ["/ca.crt"]
    assert where["health_ca"] == "/ca.crt" and options["health"]["ca_file"] == "/ca.crt"


def test_source_internal_ca_passes_the_ca_options():
    options, _where = linux_role.plan_options(
        _values(rtvs_certificate_source="internal_ca", rtvs_internal_ca_passphrase="long-ca-passphrase",
                rtvs_internal_ca_intermediate=True, rtvs_internal_ca_permitted_domains=["example.test"]), ROLE, "b1")
    assert options["controller"]["internal_ca"] == {"path": None, "passphrase": "long-ca-passphrase",
                                                    "intermediate": True, "permitted_domains": ["example.test"]}


def test_switches_are_read_as_ansible_reads_booleans():
    options, _where = linux_role.plan_options(
        _values(rtvs_linux_health_check="no", rtvs_linux_firewall_manage="false", rtvs_port="5445"), ROLE, "b1")
    desired = options["host"]["desired"]
    assert desired["health_check"] is False and desired["firewall"] is False and desired["port"] == 5445
    assert options["selected"]["health"] is False and options["health"]["port"] == 5445


def test_the_port_is_read_as_the_input_check_reads_it():
    """A port the input rules accept ("5445.0", as Jinja's | int reads it) is the port the options carry."""
    values = _values(rtvs_port="5445.0")
    problems = linux_inputs.rule_problems(values, list(values), list(values), is_file=lambda path: False)
    assert not [p for p in problems if p.startswith("rtvs_port")], problems
    options, _where = linux_role.plan_options(values, ROLE, "b1")
    assert options["health"]["port"] == 5445 and options["host"]["desired"]["port"] == 5445
