"""The doctor's check table on recorded fact shapes: healthy hosts pass, each breakage names exactly its cause."""
import copy
import json
import os

import pytest

from ansible_collections.rtvs.remote.plugins.filter import doctor as doctor_filter
from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as dc

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "doctor")


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


@pytest.fixture
def linux():
    return load("linux_healthy.json")


@pytest.fixture
def windows():
    return load("windows_healthy.json")


def row(report, check_id):
    return [r for r in report["checks"] if r["id"] == check_id][0]


# ---------------------------------------------------------------- the table itself


def test_table_ids_unique_faq_cited_and_prerequisites_exist():
    ids = [c.id for c in dc.CHECKS]
    assert len(ids) == len(set(ids))
    for check in dc.CHECKS:
        assert check.faq, check.id
        assert set(check.applies) <= {dc.LINUX, dc.WINDOWS, dc.CONTROLLER}
        for dep in check.after:
            assert dep in dc.CHECKS_BY_ID, (check.id, dep)


def test_prerequisites_have_no_cycles():
    def walk(check_id, path):
        assert check_id not in path, path + (check_id,)
        for dep in dc.CHECKS_BY_ID[check_id].after:
            walk(dep, path + (check_id,))

    for check in dc.CHECKS:
        walk(check.id, ())


def test_every_item_of_issue_5_and_known_issue_has_a_check():
    ids = set(c.id for c in dc.CHECKS)
    required = {
        # controller
        "name_resolves", "host_reachable", "tcp_connect", "tls_handshake", "certificate_name", "certificate_expiry",
        "certificate_trust", "info_about", "interpreters",
        # Windows
        "win_broker_service", "win_profile_service", "win_seclogon", "win_dotnet", "win_vcruntime", "firewall",
        "win_certificate_present", "win_private_key", "win_key_readable", "win_certificate_duplicates",
        "config_parses", "win_config_certificate", "r_installed", "r_version", "broker_log",
        # Linux
        "rtvsd_installed", "rtvsd_enabled", "rtvsd_wanted_at_boot", "rtvsd_active", "pfx_exists", "pfx_opens",
        "pfx_key_matches", "pfx_readable", "allowed_group", "allowed_users", "port_listening",
    }
    assert required <= ids, required - ids
    cited = set(ref for c in dc.CHECKS for ref in c.faq)
    for number in (3136, 3315, 3887, 3361, 3251, 3265, 3334, 2353, 2717, 4358, 4380):
        assert dc.rtvs_issue(number) in cited, number
    for question in (dc.FAQ_NOT_RESPONDING, dc.FAQ_SERVICE_NOT_RUNNING, dc.FAQ_401, dc.FAQ_404, dc.FAQ_OUTBOUND,
                     dc.FAQ_LOGS):
        assert question in cited, question


def test_platform_filter():
    linux_ids = set(c.id for c in dc.checks_for(dc.LINUX))
    windows_ids = set(c.id for c in dc.checks_for(dc.WINDOWS))
    assert "pfx_opens" in linux_ids and "pfx_opens" not in windows_ids
    assert "win_seclogon" in windows_ids and "win_seclogon" not in linux_ids
    assert {"tls_handshake", "r_version", "broker_log"} <= linux_ids & windows_ids


# ---------------------------------------------------------------- healthy hosts


def test_healthy_linux_every_check_ok(linux):
    report = dc.evaluate(linux)
    assert [(r["id"], r["status"]) for r in report["checks"] if r["status"] != dc.OK] == []
    assert report["status"] == "ok" and report["counts"]["ok"] == len(dc.checks_for(dc.LINUX))
    json.dumps(report)


def test_healthy_windows_every_check_ok_but_login_not_tried(windows):
    report = dc.evaluate(windows)
    assert [(r["id"], r["status"]) for r in report["checks"] if r["status"] != dc.OK] == [("interpreters", "skip")]
    assert report["status"] == "ok"


# ---------------------------------------------------------------- Linux breakages, each with its consequences


def _service_down(facts, state="failed"):
    b = facts["broker"]
    b["service"].update(active=state, sub_state=state)
    b["listening"].update(listening=False, addresses=[])
    _network_down(facts, "[Errno 111] Connection refused")


def _network_down(facts, error):
    p = facts["probe"]
    p["tcp"].update(ok=False, error="192.0.2.10: %s" % error)
    p["tls"].update(ok=False, version=None, cipher=None)
    p.update(certificate=None, trust=None, about=None, interpreters=None)


def wrong_pfx_password(f):
    f["broker"]["pfx"].update(opens=False, error="Invalid password or PKCS12 data", key_present=None,
                              key_matches=None, certificate=None)
    f["broker"]["logs"]["error_lines"] = ["[Error] Unable to open /etc/rtvs/rtvsd.pfx: invalid password"]
    _service_down(f)


def key_unreadable(f):
    f["broker"]["pfx"]["access"].update(can_read=False, reason="mode 0600 root:root; rtvssvc is neither")
    _service_down(f)


def allowed_group_missing(f):
    f["broker"]["allowed_group"].update(exists=False, gid=None, members=[])
    f["probe"]["interpreters"].update(status=401, count=0, names=[])


def allowed_group_omitted(f):
    f["broker"]["config"].update(allowed_group_set=False, allowed_group=None)
    f["broker"]["allowed_group"] = {"name": "Users", "exists": False, "gid": None, "members": []}
    f["probe"]["interpreters"].update(status=401, count=0, names=[])


def service_stopped(f):
    _service_down(f, "inactive")


def expired_certificate(f):
    for cert in (f["probe"]["certificate"], f["broker"]["pfx"]["certificate"]):
        cert.update(not_before="2024-01-01T00:00:00Z", not_after="2025-01-01T00:00:00Z")
    f["probe"]["certificate"].update(expired=True, days_left=-328)
    f["probe"]["trust"].update(ok=False, error="certificate has expired (verify code 10)")


def ufw_blocks_port(f):
    f["broker"]["ufw"].update(port_allowed=False, rule="### tuple ### deny tcp 5444 0.0.0.0/0 any 0.0.0.0/0 in",
                              sources=[])
    _network_down(f, "timed out")


def not_listening(f):
    f["broker"]["listening"].update(listening=False, addresses=[])
    _network_down(f, "[Errno 111] Connection refused")


def r_removed(f):
    f["broker"]["r_installs"] = []
    f["probe"]["about"]["json"]["interpreters"] = []
    f["probe"]["interpreters"].update(count=0, names=[])


def name_mismatch(f):
    f["options"]["fqdn"] = "192.0.2.10"
    f["probe"]["name"] = "192.0.2.10"
    f["probe"]["certificate"]["covers_name"] = False


def not_wanted_at_boot(f):
    f["broker"]["service"].update(wanted_by=[], wanted_links=[], dropins=[], enabled="alias")


def config_broken(f):
    b = f["broker"]
    b["config"] = {"path": "/etc/rtvs/rtvsd.config.json", "exists": True, "parsed": False,
                   "error": "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 40",
                   "content": None}
    b["pfx"] = {"path": None, "exists": False, "opens": None, "error": None, "key_present": None, "key_matches": None,
                "certificate": None, "access": {"account": "rtvssvc", "can_read": None, "reason": None}}
    b["allowed_group"] = {"name": None, "exists": None, "gid": None, "members": []}
    b["logs"] = {"folder": None, "newest": None, "tail": [], "error_lines": [], "error": "no logging.logFolder"}
    _service_down(f)


def lifetime_set(f):
    f["broker"]["config"]["lifetime_keys"] = ["lifetime.pingTimeout"]
    _service_down(f, "inactive")


def pam_missing(f):
    f["broker"]["pam"]["exists"] = False
    f["probe"]["interpreters"].update(status=401, count=0, names=[])


def user_without_password(f):
    f["broker"]["allowed_group"]["members"][0].update(password_set=False)
    f["probe"]["interpreters"].update(status=401, count=0, names=[])


def name_unresolvable(f):
    f["probe"]["resolve"].update(ok=False, addresses=[], error="[Errno -2] Name or service not known")
    _network_down(f, "no address to connect to")
    f["probe"]["tcp"]["address"] = None


def unreachable(f):
    f["unreachable"] = True
    f["gather_error"] = "Failed to connect to the host via ssh: No route to host"
    f["broker"] = None
    _network_down(f, "No route to host")


def pfx_key_mismatch(f):
    f["broker"]["pfx"]["key_matches"] = False
    _service_down(f)


LINUX_CASES = [
    (wrong_pfx_password, "pfx_opens", "X509CertificatePassword"),
    (key_unreadable, "pfx_readable", "rtvs.remote.key_access"),
    (allowed_group_missing, "allowed_group", "Create group rtvs-users"),
    (allowed_group_omitted, "allowed_group", "Set security.allowedGroup"),
    (service_stopped, "rtvsd_active", "systemctl start rtvsd"),
    (expired_certificate, "certificate_expiry", "Renew the certificate"),
    (ufw_blocks_port, "firewall", "ufw allow proto tcp"),
    (not_listening, "port_listening", "urls"),
    (r_removed, "r_installed", "r-base-core"),
    (name_mismatch, "certificate_name", "exact name clients connect with"),
    (not_wanted_at_boot, "rtvsd_wanted_at_boot", "WantedBy=multi-user.target"),
    (config_broken, "config_parses", "JSON syntax"),
    (lifetime_set, "config_server", "remove the lifetime section"),
    (pam_missing, "pam_service", "/etc/pam.d/rtvs"),
    (user_without_password, "allowed_users", "password"),
    (name_unresolvable, "name_resolves", "DNS"),
    (unreachable, "host_reachable", "ping"),
    (pfx_key_mismatch, "pfx_key_matches", "Rebuild the PFX"),
]


@pytest.mark.parametrize("breakage, cause, fix", LINUX_CASES, ids=[c[0].__name__ for c in LINUX_CASES])
def test_linux_breakage_names_exactly_its_cause(linux, breakage, cause, fix):
    facts = copy.deepcopy(linux)
    breakage(facts)
    report = dc.evaluate(facts)
    assert report["status"] == "fail"
    assert report["failed"] == [cause], dc.render_text(report)
    assert fix in row(report, cause)["fix"]
    # Consequences stay visible, marked with their cause, without a fix of their own.
    for r in report["checks"]:
        if r["cause"]:
            assert r["status"] == "skip" and r["fix"] == "" and r["evidence"].startswith("consequence of ")


def test_crash_loop_looks_active_but_fails(linux):
    wrong_pfx_password(linux)
    linux["broker"]["service"].update(active="active", sub_state="running", n_restarts=22)
    report = dc.evaluate(linux)
    assert report["failed"] == ["pfx_opens"]
    assert row(report, "rtvsd_active")["cause"] == "pfx_opens" and "restarted it 22 time(s)" in row(report, "rtvsd_active")["evidence"]
    # Without the underlying cause known, the loop itself is the failure named.
    linux["broker"]["pfx"].update(opens=True, key_present=True, key_matches=True, error=None)
    report = dc.evaluate(linux)
    assert report["failed"] == ["rtvsd_active"] and "journalctl -u rtvsd" in row(report, "rtvsd_active")["fix"]


def test_unreachable_shows_ansibles_message(linux):
    unreachable(linux)
    assert "No route to host" in row(dc.evaluate(linux), "host_reachable")["evidence"]


def test_wrong_password_consequences_are_named(linux):
    wrong_pfx_password(linux)
    report = dc.evaluate(linux)
    assert row(report, "rtvsd_active")["cause"] == "pfx_opens"
    assert row(report, "port_listening")["cause"] == "pfx_opens"
    assert row(report, "tcp_connect")["cause"] == "pfx_opens"
    assert row(report, "broker_log")["status"] == "warn"
    assert "invalid password" in row(report, "broker_log")["evidence"]


def test_expired_certificate_is_judged_from_the_pfx_when_nothing_is_served(linux):
    expired_certificate(linux)
    _service_down(linux)
    report = dc.evaluate(linux)
    assert row(report, "certificate_expiry")["status"] == "fail"
    assert "in /etc/rtvs/rtvsd.pfx" in row(report, "certificate_expiry")["evidence"]


def test_r_4_empty_interpreters_is_explained_by_r_version(linux):
    linux["broker"]["r_installs"] = [{"name": "r-base-core", "version": "4.2.2.20221110-2", "supported": False}]
    linux["probe"]["interpreters"].update(count=0, names=[])
    report = dc.evaluate(linux)
    assert report["failed"] == [] and report["warnings"] == ["r_version"]
    interp = row(report, "interpreters")
    assert interp["status"] == "skip" and interp["cause"] == "r_version" and "as expected" in interp["evidence"]


def test_r_4_only_warns_unless_required(linux):
    linux["broker"]["r_installs"] = [{"name": "r-base-core", "version": "4.2.2.20221110-2", "supported": False}]
    report = dc.evaluate(linux)
    assert report["failed"] == [] and report["warnings"] == ["r_version"] and report["status"] == "warn"
    assert "4.2.2" in row(report, "r_version")["evidence"]
    linux["options"]["require_supported_r"] = True
    assert dc.evaluate(linux)["failed"] == ["r_version"]


def test_self_signed_untrusted_warns(linux):
    linux["probe"]["certificate"].update(self_signed=True, issuer="CN=rtvs.example.test")
    linux["probe"]["trust"].update(ok=False, store="system store (/etc/ssl/certs)", error="self-signed certificate")
    report = dc.evaluate(linux)
    assert report["warnings"] == ["certificate_trust"] and report["failed"] == []
    assert "clients will show a certificate warning" in row(report, "certificate_trust")["evidence"]


def test_untrusted_chain_fails_and_says_which_store(linux):
    linux["probe"]["trust"].update(ok=False, error="unable to get local issuer certificate (verify code 20)")
    report = dc.evaluate(linux)
    assert report["failed"] == ["certificate_trust"]
    assert "CA file /etc/pki/example-ca.pem" in row(report, "certificate_trust")["evidence"]


def test_expiring_within_30_days_warns(linux):
    linux["probe"]["certificate"]["not_after"] = "2026-12-10T00:00:00Z"
    report = dc.evaluate(linux)
    assert report["warnings"] == ["certificate_expiry"] and "in 14 days" in row(report, "certificate_expiry")["evidence"]


def test_snakeoil_password_warns(linux):
    linux["broker"]["config"]["password_is_default"] = True
    assert dc.evaluate(linux)["warnings"] == ["config_password"]


def test_empty_allowed_group_is_ok_and_members_skipped(linux):
    linux["broker"]["config"].update(allowed_group="")
    linux["broker"]["allowed_group"] = {"name": "", "exists": None, "gid": None, "members": []}
    report = dc.evaluate(linux)
    assert row(report, "allowed_group")["status"] == "ok" and row(report, "allowed_users")["status"] == "skip"


def test_shadow_unknown_is_not_a_failure(linux):
    linux["broker"]["allowed_group"]["members"][0]["password_set"] = None
    report = dc.evaluate(linux)
    assert row(report, "allowed_users")["status"] == "skip"


def test_no_credentials_skips_login(linux):
    linux["options"]["credentials_given"] = False
    assert row(dc.evaluate(linux), "interpreters")["status"] == "skip"


def test_address_given_and_name_unresolvable_warns_with_the_fix_and_probes_the_address(linux):
    # One DNS gap does not blind the doctor: the role probes ansible_host, every network check still runs.
    linux["probe"]["address_given"] = True
    linux["probe"]["resolve"].update(ok=False, addresses=[], error="Name or service not known")
    report = dc.evaluate(linux)
    assert report["failed"] == [] and report["warnings"] == ["name_resolves"]
    name_row = row(report, "name_resolves")
    assert "192.0.2.10" in name_row["evidence"] and "DNS record" in name_row["fix"]
    assert "hosts-file entry" in name_row["fix"]
    for check_id in ("tcp_connect", "tls_handshake", "certificate_name", "certificate_trust", "info_about"):
        assert row(report, check_id)["status"] == "ok", check_id


def test_certificate_name_also_reports_the_probed_address(linux):
    linux["probe"]["address_given"] = True
    report = dc.evaluate(linux)
    assert row(report, "certificate_name")["status"] == "ok"
    assert "does not cover the address 192.0.2.10" in row(report, "certificate_name")["evidence"]
    linux["probe"]["certificate"]["subject_alt_names"].append("192.0.2.10")
    report = dc.evaluate(linux)
    assert "also covers the address 192.0.2.10" in row(report, "certificate_name")["evidence"]
    linux["probe"]["certificate"].update(covers_name=False, subject_alt_names=["192.0.2.10"])
    report = dc.evaluate(linux)
    assert report["failed"] == ["certificate_name"]
    assert "also covers the address 192.0.2.10" in row(report, "certificate_name")["evidence"]


@pytest.mark.parametrize("accepted", [("tls1_0",), ("tls1_1",), ("weak_cipher",), ("tls1_0", "tls1_1", "weak_cipher")])
def test_tls_posture_warns_for_each_legacy_handshake_accepted(linux, accepted):
    for key in accepted:
        linux["probe"]["posture"][key].update(accepted=True, version="TLSv1", cipher="AES128-SHA", error=None)
    report = dc.evaluate(linux)
    assert report["warnings"] == ["tls_posture"] and report["failed"] == []
    evidence = row(report, "tls_posture")["evidence"]
    labels = {"tls1_0": "TLS 1.0", "tls1_1": "TLS 1.1", "weak_cipher": "weak cipher suite"}
    for key in accepted:
        assert labels[key] in evidence.split(";")[0]
    assert "MinProtocol = TLSv1.2" in row(report, "tls_posture")["fix"]


def test_tls_posture_not_offered_by_the_controller_is_not_a_refusal(linux):
    for key in ("tls1_0", "tls1_1", "weak_cipher"):
        linux["probe"]["posture"][key].update(offered=False, error="this controller's OpenSSL cannot offer it")
    assert row(dc.evaluate(linux), "tls_posture")["status"] == "skip"
    linux["probe"]["posture"]["weak_cipher"]["offered"] = True
    result = row(dc.evaluate(linux), "tls_posture")
    assert result["status"] == "ok" and "not tried: TLS 1.0" in result["evidence"]


def test_tls_posture_skipped_without_handshake_or_posture(linux):
    del linux["probe"]["posture"]
    assert row(dc.evaluate(linux), "tls_posture")["status"] == "skip"
    _network_down(linux, "[Errno 111] Connection refused")
    assert row(dc.evaluate(linux), "tls_posture")["status"] == "skip"


def test_log_errors_warn(linux):
    linux["broker"]["logs"]["error_lines"] = ["[Error] login failed for alice"]
    report = dc.evaluate(linux)
    assert report["warnings"] == ["broker_log"] and "login failed" in row(report, "broker_log")["evidence"]


def test_malformed_fact_fails_one_check_only(linux):
    linux["broker"]["listening"] = {"listening": True, "addresses": 5}  # not a list
    report = dc.evaluate(linux)
    assert report["failed"] == ["port_listening"]
    assert "could not evaluate" in row(report, "port_listening")["evidence"]


# ---------------------------------------------------------------- Windows breakages


def _win_network_down(f, error="[Errno 111] Connection refused"):
    p = f["probe"]
    p["tcp"].update(ok=False, error="192.0.2.20: %s" % error)
    p["tls"].update(ok=False, version=None, cipher=None)
    p.update(certificate=None, trust=None, about=None, interpreters=None)


def _broker_stopped(f):
    f["broker"]["services"]["broker"]["state"] = "stopped"
    _win_network_down(f)


def win_service_stopped(f):
    _broker_stopped(f)


def win_profile_service_manual(f):
    f["broker"]["services"]["user_profile"].update(start_mode="manual", state="stopped")


def win_seclogon_disabled(f):
    f["broker"]["services"]["seclogon"].update(start_mode="disabled", state="stopped")


def win_dotnet_old(f):
    f["broker"]["dotnet"].update(release=379893, version="4.5.2", meets_minimum=False)
    _broker_stopped(f)


def win_no_vcruntime(f):
    f["broker"]["vc_runtime"].update(installed=False, version=None)


def win_no_certificate(f):
    f["broker"]["certificates"] = []
    f["broker"]["logs"]["error_lines"] = ["TLS certificate not found"]
    _broker_stopped(f)


def win_config_names_netbios(f):
    # Azure: the broker looks for CN=<NetBIOS> (#3136) while clients use the FQDN.
    f["broker"]["config"]["content"] = {"urls": "https://0.0.0.0:5444"}
    f["broker"]["certificate_subject"] = "CN=RTVS-WIN"
    f["broker"]["certificates"] = []
    _broker_stopped(f)


def win_expired_duplicate_first(f):
    old = dict(f["broker"]["certificates"][0], store="Root", store_order=0, thumbprint="1111", selected=True,
               not_after="2025-01-01T00:00:00Z", expired=True)
    f["broker"]["certificates"][0]["selected"] = False
    f["broker"]["certificates"].insert(0, old)
    f["probe"]["certificate"].update(not_after="2025-01-01T00:00:00Z", expired=True, thumbprint_sha1="1111")
    f["probe"]["trust"].update(ok=False, error="certificate has expired")


def win_no_private_key(f):
    f["broker"]["certificates"][0].update(
        has_private_key=False, key_provider=None, key_file=None, network_service_read=None, key_error="no private key")
    f["probe"]["tls"].update(ok=False, error="[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] handshake failure")
    f["probe"].update(certificate=None, trust=None, about=None)


def win_key_not_readable(f):
    f["broker"]["certificates"][0]["network_service_read"] = False
    f["probe"]["tls"].update(ok=False, error="[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] handshake failure")
    f["probe"].update(certificate=None, trust=None, about=None)


def win_firewall_rule_disabled(f):
    f["broker"]["firewall_rules"][0]["enabled"] = False
    _win_network_down(f, "timed out")


def win_block_rule(f):
    f["broker"]["firewall_rules"].append({"name": "Block 5444", "matched_by": "port", "enabled": True,
                                          "direction": "in", "action": "block", "local_ports": "5444"})
    _win_network_down(f, "timed out")


def win_no_r(f):
    f["broker"]["r_installs"] = []


def win_config_unparsable(f):
    f["broker"]["config"].update(parsed=False, content=None, error="Not valid JSON: Invalid object passed in")
    _broker_stopped(f)


WINDOWS_CASES = [
    (win_service_stopped, "win_broker_service", "Start-Service RRemoteService"),
    (win_profile_service_manual, "win_profile_service", "RUserProfileService"),
    (win_seclogon_disabled, "win_seclogon", "seclogon"),
    (win_dotnet_old, "win_dotnet", ".NET Framework 4.6.1"),
    (win_no_vcruntime, "win_vcruntime", "redistributable"),
    (win_no_certificate, "win_certificate_present", "Subject is exactly CN=rtvs-win.example.test"),
    (win_config_names_netbios, "win_config_certificate", 'X509CertificateName to "CN=rtvs-win.example.test"'),
    (win_expired_duplicate_first, "win_certificate_duplicates", "win_broker_cert_cleanup"),
    (win_no_private_key, "win_private_key", "PFX with its key"),
    (win_key_not_readable, "win_key_readable", "NETWORK SERVICE Read"),
    (win_firewall_rule_disabled, "firewall", "Microsoft.R.Host.Broker"),
    (win_block_rule, "firewall", "block rule"),
    (win_no_r, "r_installed", "CRAN R for Windows"),
    (win_config_unparsable, "config_parses", "JSON syntax"),
]


@pytest.mark.parametrize("breakage, cause, fix", WINDOWS_CASES, ids=[c[0].__name__ for c in WINDOWS_CASES])
def test_windows_breakage_names_exactly_its_cause(windows, breakage, cause, fix):
    facts = copy.deepcopy(windows)
    breakage(facts)
    report = dc.evaluate(facts)
    assert report["failed"] == [cause], dc.render_text(report)
    assert fix in row(report, cause)["fix"]


def test_windows_duplicate_current_first_only_warns(windows):
    newer = dict(windows["broker"]["certificates"][0], thumbprint="2222", selected=False,
                 not_after="2025-06-01T00:00:00Z", expired=True)
    windows["broker"]["certificates"].append(newer)
    report = dc.evaluate(windows)
    assert report["failed"] == [] and report["warnings"] == ["win_certificate_duplicates"]


def test_windows_port_rule_instead_of_program_rule(windows):
    windows["broker"]["firewall_rules"][0]["enabled"] = False
    windows["broker"]["firewall_rules"].append({"name": "RTVS 5444", "matched_by": "port", "enabled": True,
                                                "direction": "in", "action": "allow", "local_ports": "5444"})
    assert row(dc.evaluate(windows), "firewall")["status"] == "ok"


def test_windows_missing_r_host_rule_warns(windows):
    windows["broker"]["firewall_rules"].pop(1)
    assert dc.evaluate(windows)["warnings"] == ["firewall"]


def test_windows_r4_only_warns(windows):
    windows["broker"]["r_installs"] = [{"version": "4.3.1", "supported": False}]
    assert dc.evaluate(windows)["warnings"] == ["r_version"]


def test_windows_config_keys_case_insensitive(windows):
    windows["broker"]["config"]["content"] = {"SECURITY": {"x509certificatename": "CN=rtvs-win.example.test"}}
    assert row(dc.evaluate(windows), "win_config_certificate")["status"] == "ok"


# ---------------------------------------------------------------- report and rendering


def test_evaluate_all_and_text(linux, windows):
    broken = copy.deepcopy(linux)
    wrong_pfx_password(broken)
    reports = {}
    for host, facts in (("good", linux), ("bad", broken), ("win", windows)):
        reports[host] = dc.evaluate(dict(facts, host=host))
    full = doctor_filter.doctor_summary(reports)
    assert full["status"] == "fail" and full["failed_hosts"] == ["bad"]
    assert json.loads(json.dumps(full)) == full
    text = dc.render_all_text(full)
    assert text.index("bad (linux") < text.index("good (linux") < text.index("win (windows")
    bad = dc.render_text(full["hosts"]["bad"])
    assert "bad (linux, rtvs.example.test:5444): FAIL - 1 fail" in bad
    lines = bad.splitlines()
    fail_line = [i for i, line in enumerate(lines) if line.startswith("FAIL")][0]
    assert "pfx_opens" in lines[fail_line]
    block = []
    for line in lines[fail_line + 1:]:
        if not line.startswith(" "):
            break
        block.append(line.strip())
    starts = [line.split(":")[0] for line in block if line.split(":")[0] in ("evidence", "fix", "see")]
    assert starts == ["evidence", "fix", "see"], block
    assert "consequence of pfx_opens" in bad
    good = dc.render_text(full["hosts"]["good"])
    assert "evidence:" not in good  # ok rows are one line each
    assert all(len(line) <= 100 for line in bad.splitlines())


def test_parse_time_accepts_powershell_round_trip():
    assert dc.parse_time("2027-11-25T22:00:00.1234567Z").year == 2027
    assert dc.parse_time("2027-11-25T22:00:00+01:00").hour == 21


SNAKEOIL = {"path": "/etc/rtvs/ssl-cert-snakeoil.pfx", "exists": True, "regular": True, "owner": "root",
            "group": "root", "mode": "0644", "in_use": False, "exposure": "mode 0644 lets every account read it"}


@pytest.mark.parametrize("changes, status", [
    ({}, "warn"),
    ({"mode": "0600", "exposure": None}, "ok"),
    ({"exists": False}, "ok"),
    ({"in_use": True}, "skip"),
])
def test_snakeoil_pfx_readable_by_others_warns(linux, changes, status):
    """Issue 14 (Low): the package's PFX with the published password, left readable by every account."""
    linux["broker"]["snakeoil"] = dict(SNAKEOIL, **changes)
    report = dc.evaluate(linux)
    found = row(report, "snakeoil_pfx")
    assert found["status"] == status, found
    if status == "warn":
        assert report["warnings"] == ["snakeoil_pfx"]
        assert "mode 0644 lets every account read it" in found["evidence"]
        assert "chmod 0600 /etc/rtvs/ssl-cert-snakeoil.pfx" in found["fix"]


def test_snakeoil_facts_of_a_host(tmp_path):
    from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_facts
    (tmp_path / "etc/rtvs").mkdir(parents=True)
    pfx = tmp_path / "etc/rtvs/ssl-cert-snakeoil.pfx"
    pfx.write_bytes(b"0")
    pfx.chmod(0o644)
    root = broker_facts.Root(str(tmp_path))
    facts = broker_facts.snakeoil_facts(root, {"certificate_file": "/etc/rtvs/broker.pfx"})
    assert facts["exists"] and facts["mode"] == "0644" and facts["in_use"] is False
    assert facts["exposure"] == "mode 0644 lets every account read it"
    pfx.chmod(0o600)
    assert broker_facts.snakeoil_facts(root, {})["exposure"] in (None, "it is owned by %s" % facts["owner"])
