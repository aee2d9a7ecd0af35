"""The doctor's certificate checks name the lifecycle tools: rtvs.remote.rotate for expiry, client_trust for trust."""
import json
import os

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as dc

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "doctor")


@pytest.fixture
def linux():
    with open(os.path.join(FIXTURES, "linux_healthy.json")) as handle:
        return json.load(handle)


def row(report, check_id):
    return [r for r in report["checks"] if r["id"] == check_id][0]


def test_expiring_certificate_names_rotate_and_days_left(linux):
    linux["probe"]["certificate"]["not_after"] = "2026-12-10T00:00:00Z"
    check = row(dc.evaluate(linux), "certificate_expiry")
    assert check["status"] == "warn" and "in 14 days" in check["evidence"]
    assert "ansible-playbook rtvs.remote.rotate" in check["fix"]


def test_expired_certificate_names_forced_rotate_and_days_ago(linux):
    linux["probe"]["certificate"]["not_after"] = "2026-11-20T00:00:00Z"
    check = row(dc.evaluate(linux), "certificate_expiry")
    assert check["status"] == "fail" and "days ago" in check["evidence"]
    assert "ansible-playbook rtvs.remote.rotate" in check["fix"] and "rtvs_rotate_force=true" in check["fix"]


def test_untrusted_certificate_names_the_client_role(linux):
    linux["probe"]["certificate"].update(self_signed=True, issuer="CN=rtvs.example.test")
    linux["probe"]["trust"].update(ok=False, store="system store (/etc/ssl/certs)", error="self-signed certificate")
    assert "rtvs.remote.client_trust" in row(dc.evaluate(linux), "certificate_trust")["fix"]
    linux["probe"]["certificate"].update(self_signed=False)
    assert "rtvs.remote.client_trust" in row(dc.evaluate(linux), "certificate_trust")["fix"]


# ---------------------------------------------------------------- the doctor finds the internal CA's root


from ansible_collections.rtvs.remote.plugins.module_utils.doctor import doctor_fleet  # noqa: E402
from ansible_collections.rtvs.remote.plugins.module_utils.tls import ca  # noqa: E402


@pytest.fixture
def ca_home(tmp_path):
    """An XDG data home whose default CA folder holds a root, and one without."""
    folder = tmp_path / "data" / "rtvs-remote" / "ca"
    folder.mkdir(parents=True)
    (folder / "root.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    return {"XDG_DATA_HOME": str(tmp_path / "data")}, str(folder / "root.crt"), {"XDG_DATA_HOME": str(tmp_path / "none")}


def test_given_ca_file_wins(ca_home):
    env, _root, _empty = ca_home
    assert ca.doctor_trust_root("/etc/pki/x.pem", "internal_ca", environ=env) == {
        "path": "/etc/pki/x.pem", "origin": "given", "note": None}


def test_internal_ca_source_uses_the_default_folders_root(ca_home):
    env, root, _empty = ca_home
    assert ca.doctor_trust_root("", "internal_ca", environ=env) == {"path": root, "origin": "internal_ca", "note": None}


def test_no_source_set_but_the_folder_exists_uses_its_root(ca_home):
    env, root, empty = ca_home
    assert ca.doctor_trust_root("", "", environ=env)["path"] == root
    assert ca.doctor_trust_root("", "", environ=empty) == {"path": None, "origin": "system", "note": None}


def test_configured_ca_dir_is_used(tmp_path, ca_home):
    env, _root, _empty = ca_home
    other = tmp_path / "ca-2031"
    other.mkdir()
    (other / "root.crt").write_text("x")
    assert ca.doctor_trust_root("", "internal_ca", str(other), environ=env)["path"] == str(other / "root.crt")


def test_internal_ca_source_without_a_root_says_so_and_uses_the_system_store(ca_home):
    _env, _root, empty = ca_home
    result = ca.doctor_trust_root("", "internal_ca", environ=empty)
    assert result["path"] is None and result["origin"] == "system" and "does not exist" in result["note"]


def test_other_sources_never_use_the_internal_root(tmp_path, ca_home):
    """A file replaces the system store: a provided public-CA certificate must not be checked against our root."""
    env, _root, _empty = ca_home
    for source in ("selfsigned", "provided"):
        assert ca.doctor_trust_root("", source, environ=env) == {"path": None, "origin": "system", "note": None}
    mine = tmp_path / "my-ca.pem"
    mine.write_text("x")
    assert ca.doctor_trust_root("", "ca", ca_certificate=str(mine), environ=env)["path"] == str(mine)
    assert "not a file" in ca.doctor_trust_root("", "ca", ca_certificate=str(tmp_path / "no"), environ=env)["note"]


def test_trust_against_the_internal_root_says_so(linux):
    linux["options"].update(trust_origin="internal_ca")
    linux["probe"]["trust"].update(ok=True, store="CA file /home/u/.local/share/rtvs-remote/ca/root.crt")
    check = row(dc.evaluate(linux), "certificate_trust")
    assert check["status"] == "ok" and "internal CA's root" in check["evidence"]


def test_untrusted_against_the_internal_root_names_rotate_and_client_role(linux):
    linux["options"].update(trust_origin="internal_ca")
    linux["probe"]["trust"].update(ok=False, store="CA file /ca/root.crt", error="unable to get local issuer certificate")
    check = row(dc.evaluate(linux), "certificate_trust")
    assert check["status"] == "fail"
    assert "rtvs.remote.client_trust" in check["fix"] and "rtvs.remote.rotate" in check["fix"]
    assert "rtvs_doctor_ca_file" not in check["fix"]


def test_missing_internal_root_is_named_in_the_evidence(linux):
    linux["options"].update(trust_origin="system", trust_note="the internal CA root /x/root.crt does not exist")
    linux["probe"]["trust"].update(ok=False, store="system store (/etc/ssl/certs)", error="unable to get local issuer")
    assert "/x/root.crt does not exist" in row(dc.evaluate(linux), "certificate_trust")["evidence"]


# ---------------------------------------------------------------- expiry in the fleet summary


def _report(linux, host, not_after):
    facts = json.loads(json.dumps(linux))
    facts["host"] = host
    facts["probe"]["certificate"]["not_after"] = not_after
    return dc.evaluate(facts)


def test_host_report_carries_days_left(linux):
    assert _report(linux, "a", "2026-12-10T00:00:00Z")["certificate"]["days_left"] == 14


def test_fleet_summary_lists_certificates_to_renew_with_the_rotate_command(linux):
    reports = [_report(linux, "fresh", "2030-01-01T00:00:00Z"), _report(linux, "soon", "2026-12-10T00:00:00Z"),
               _report(linux, "gone", "2026-11-20T00:00:00Z")]
    lines = doctor_fleet.summary_lines(reports, width=200)
    start = [i for i, line in enumerate(lines) if line.startswith("Certificates to renew")]
    assert start, lines
    block = lines[start[0]:start[0] + 3]
    assert block[0] == "Certificates to renew (2, 1 expired): gone -5 d, soon 14 d"
    assert "ansible-playbook rtvs.remote.rotate -i <inventory>" in block[1]
    assert block[2].endswith("-l gone -e rtvs_rotate_force=true")
    assert "fresh" not in " ".join(block)


def test_fleet_summary_without_certificates_to_renew_has_no_block(linux):
    lines = doctor_fleet.summary_lines([_report(linux, "fresh", "2030-01-01T00:00:00Z")])
    assert not [line for line in lines if "renew" in line]


def test_filter_passes_the_role_variables_through(tmp_path):
    from ansible_collections.rtvs.remote.plugins.filter import doctor_trust_root as f

    folder = tmp_path / "ca"
    folder.mkdir()
    (folder / "root.crt").write_text("x")
    flt = f.FilterModule().filters()["doctor_trust_root"]
    expected = {"path": str(folder / "root.crt"), "origin": "internal_ca", "note": None}
    assert flt("", source="internal_ca", ca_dir=str(folder)) == expected
    assert flt(None, source=None, ca_dir=str(tmp_path / "none"))["origin"] == "system"
