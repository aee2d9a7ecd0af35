"""The plan of linux_broker (module_utils/host/linux_plan.py): its truth tables, table-driven.

Two hosts frame every case: FRESH (Debian 12 as the test hosts start, nothing of the broker) and
CONVERGED (what a run leaves). Each row changes one observation or one wish and names the steps whose
``todo``/``pending`` must differ from the frame's.
"""
import copy

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_host_info, linux_plan

PFX = "/etc/rtvs/broker.pfx"
DROPIN = "/etc/systemd/system/rtvsd.service.d/50-rtvs-remote-wantedby.conf"
FOLDERS = [{"path": "/etc/rtvs", "owner": "root", "group": "root", "mode": "0755"},
           {"path": "/var/log/rtvs", "owner": "rtvssvc", "group": "rtvssvc", "mode": "0750"},
           {"path": "/etc/systemd/system/rtvsd.service.d", "owner": "root", "group": "root", "mode": "0755"}]

DESIRED = {
    "check_mode": False,
    "r": {"install": True, "source": "distro", "version": "", "require_supported": False},
    "daemon": {"install": False, "package": "", "version": "", "extra_packages": []},
    "service_account": "rtvssvc",
    "allowed_group": "rtvs-users",
    "folders": FOLDERS,
    "dropin": {"path": DROPIN, "checksum": "d" * 40, "owner": "root", "group": "root", "mode": "0644"},
    "pfx": {"path": PFX, "checksum": "p" * 40, "validate": True},
    "firewall": True,
    "service": "rtvsd",
    "port": 5444,
    "certificate_source": "ca",
    "allowed_sources": ["10.0.0.0/8"],
}


def _absent():
    return {"exists": False, "isdir": False, "owner": None, "group": None, "mode": None, "checksum": None}


def _dir(owner="root", group="root", mode="0755"):
    return {"exists": True, "isdir": True, "owner": owner, "group": group, "mode": mode, "checksum": None}


def _file(checksum, owner="root", group="root", mode="0644"):
    return {"exists": True, "isdir": False, "owner": owner, "group": group, "mode": mode, "checksum": checksum}


FRESH = {
    "os": {"os_family": "Debian", "name": "Debian GNU/Linux", "version_id": "12"},
    "packages": {},
    "accounts": {"groups": {"rtvs-users": False}, "users_to_change": ["alice"],
                 "service_account": {"name": "rtvssvc", "user": False, "group": False, "primary_group": None,
                                     "shell": None}},
    "paths": {"/etc/rtvs": _absent(), "/var/log/rtvs": _absent(), "/etc/systemd/system/rtvsd.service.d": _absent(),
              DROPIN: _absent(), PFX: _absent(), linux_plan.CRAN_SOURCES: _absent()},
    "ufw": False,
    "listeners": [],
    "key_access": {"pending": True, "reason": "no such file"},
    "service": {"installed": False, "enabled": "not-found", "active": "inactive"},
    "r_candidate": "4.2.2.20221110-2",
}

CONVERGED = {
    "os": FRESH["os"],
    "packages": {"r-base-core": {"version": "3.6.3-1", "held": False},
                 "python3-cryptography": {"version": "38.0.4-3", "held": False}},
    "accounts": {"groups": {"rtvs-users": True}, "users_to_change": [],
                 "service_account": {"name": "rtvssvc", "user": True, "group": True, "primary_group": "rtvssvc",
                                     "shell": "/usr/sbin/nologin"}},
    "paths": {"/etc/rtvs": _dir(), "/var/log/rtvs": _dir("rtvssvc", "rtvssvc", "0750"),
              "/etc/systemd/system/rtvsd.service.d": _dir(), DROPIN: _file("d" * 40),
              PFX: _file("p" * 40, "root", "rtvssvc", "0640"), linux_plan.CRAN_SOURCES: _absent()},
    "ufw": False,
    "listeners": [{"program": "rtvsd", "pid": 5, "unit": "rtvsd.service"}],
    "key_access": {"pending": False, "reason": None},
    "service": {"installed": True, "enabled": "enabled", "active": "active"},
}


def _plan(desired_changes=None, state_changes=None, base=None, check=False):
    base = CONVERGED if base is None else base
    desired = copy.deepcopy(DESIRED)
    desired["check_mode"] = check
    state = copy.deepcopy(base)
    for changes, target in ((desired_changes, desired), (state_changes, state)):
        for path, value in (changes or {}).items():
            node = target
            keys = path.split("/") if path.startswith(("paths/",)) is False else ["paths", path[len("paths/"):]]
            for key in keys[:-1]:
                node = node[key]
            node[keys[-1]] = value
    return linux_plan.plan(desired, state)


def _todo(plan):
    return sorted(step for step in linux_plan.STEPS if plan["todo"][step])


def test_converged_host_has_nothing_to_do_but_the_config_merge():
    # ufw installed, enabled and allowing the sources: the converged state of a host with rtvs_allowed_sources
    plan = _plan(state_changes={"ufw": True, "ufw_enabled": True, "ufw_rules": ["allow tcp 5444 10.0.0.0/8 in"]})
    assert _todo(plan) == ["config"]
    assert plan["pending"] == [] and plan["errors"] == [] and plan["warnings"] == []
    assert [f for f in plan["todo"] if f.startswith("file_") and plan["todo"][f]] == ["file_config"]
    assert not plan["todo"]["before_config"] and not plan["todo"]["after_config"]
    assert plan["config"] == {"allowed_group_pending": False, "r_pending": False, "validate_certificate": True}


def test_fresh_host_real_run_does_every_step():
    plan = _plan(base=FRESH)
    assert _todo(plan) == sorted(["packages", "service_group", "service_user", "pfx_copy", "key_access",
                                  "allowed_group", "users", "folders", "config", "dropin", "service"])
    assert [f["path"] for f in plan["folders"]] == [f["path"] for f in FOLDERS]
    assert plan["todo"]["before_config"] and plan["todo"]["after_config"]
    assert plan["r"]["version"] == "4.2.2.20221110-2" and plan["r"]["supported"] is False
    assert any("outside 3.2-3.9" in w for w in plan["warnings"])


def test_fresh_host_check_mode_plans_what_it_cannot_run():
    plan = _plan(base=FRESH, check=True, desired_changes={"pfx/checksum": None})
    # runnable in check mode: apt, group, user (it is created, so its group is not looked up), folders (made)
    assert _todo(plan) == sorted(["packages", "service_group", "service_user", "allowed_group", "folders", "config",
                                  "service"])
    pending = "\n".join(plan["pending"])
    for step in ("pfx_copy", "key_access", "users", "dropin", "allowed_group", "packages", "service"):
        assert step + ":" in pending
    assert plan["config"] == {"allowed_group_pending": True, "r_pending": True, "validate_certificate": False}
    assert plan["todo"]["report_pending"] is True


@pytest.mark.parametrize("desired_changes, state_changes, check, todo, pending", [
    # R: missing cryptography; a pin that differs; a pin held already; CRAN in check mode before its source exists
    ({}, {"packages/python3-cryptography": None}, False, ["config", "packages"], ["packages"]),
    ({"r/version": "3.5.3-1"}, {}, False, ["config", "packages", "r_hold"], ["packages", "r_hold"]),
    ({"r/version": "3.6.3-1"}, {"packages/r-base-core": {"version": "3.6.3-1", "held": True}}, False, ["config"], []),
    ({"r/source": "cran", "r/version": "3.5.3-1"}, {}, True, ["config", "cran_repo", "r_hold"],
     ["packages", "r_hold"]),
    ({"r/install": False}, {"packages/r-base-core": None}, False, ["config"], []),
    # daemon: versioned .deb installed or not; unversioned always asks apt; controller .deb not in check mode
    ({"daemon/install": True, "daemon/package": "/x/rtvs-daemon_1.1_amd64.deb", "daemon/version": "1.1"},
     {"packages/rtvs-daemon": {"version": "1.1", "held": False}}, False, ["config"], []),
    ({"daemon/install": True, "daemon/package": "/x/rtvs-daemon_1.1_amd64.deb", "daemon/version": "1.1"},
     {}, False, ["config", "daemon"], ["daemon"]),
    ({"daemon/install": True, "daemon/package": "/x/rtvs-daemon_1.1_amd64.deb", "daemon/version": "1.1"},
     {}, True, ["config"], ["daemon"]),
    ({"daemon/install": True, "daemon/package": "https://h/rtvs-daemon_1.1_amd64.deb", "daemon/version": "1.1"},
     {}, True, ["config", "daemon"], ["daemon"]),
    ({"daemon/install": True, "daemon/package": "/x/rtvs.deb"}, {}, False, ["config", "daemon"], []),
    ({"daemon/install": True, "daemon/extra_packages": ["libfoo"]}, {}, False, ["config", "daemon", "daemon_packages"],
     ["daemon_packages"]),
    # service account: wrong shell; existing user whose group is missing cannot be checked in check mode
    ({}, {"accounts/service_account/shell": "/bin/bash"}, False, ["config", "service_user"], ["service_user"]),
    ({}, {"accounts/service_account/group": False, "accounts/service_account/primary_group": None}, True,
     ["config", "service_group"], ["service_group", "service_user"]),
    # PFX: differs -> copy then key_access; same file but access drifted -> key_access only
    ({"pfx/checksum": "q" * 40}, {}, False, ["config", "key_access", "pfx_copy"], ["key_access", "pfx_copy"]),
    ({}, {"key_access": {"pending": True, "reason": "mode 0644"}}, False, ["config", "key_access"], ["key_access"]),
    ({"pfx/checksum": None}, {}, False, ["config"], []),  # certificate step not selected (tags)
    # users: a drifted account; in check mode before the group exists they are only listed
    ({}, {"accounts/users_to_change": ["bob"]}, False, ["config", "users"], ["users"]),
    ({}, {"accounts/users_to_change": ["bob"], "accounts/groups": {"rtvs-users": False}}, True,
     ["allowed_group", "config"], ["allowed_group", "users"]),
    # folders, firewall, drop-in, service
    ({}, {"paths//var/log/rtvs": _dir("root", "root", "0755")}, False, ["config", "folders"], ["folders"]),
    ({}, {"ufw": True, "ufw_rules": []}, False, ["config", "firewall"], ["firewall"]),
    ({}, {"ufw": True, "ufw_rules": ["allow tcp 5444 10.0.0.0/8 in"]}, False, ["config"], []),
    ({"allowed_sources": []}, {"ufw": True, "ufw_rules": ["allow tcp 5444 10.0.0.0/8 in"]}, False,
     ["config", "firewall"], ["firewall"]),
    ({"allowed_sources": []}, {"ufw": True, "ufw_rules": ["allow tcp 5444 0.0.0.0/0 in"]}, False, ["config"], []),
    ({"firewall": False}, {"ufw": True}, False, ["config"], []),
    # sources set later: the allow-from-anywhere rule of an earlier run goes (issue 14, M5)
    ({}, {"ufw": True, "ufw_rules": ["allow tcp 5444 10.0.0.0/8 in", "allow tcp 5444 0.0.0.0/0 in"]}, False,
     ["config", "firewall_open"], ["firewall_open"]),
    ({"allowed_sources": ["any"]}, {"ufw": True, "ufw_rules": ["allow tcp 5444 0.0.0.0/0 in"]}, False, ["config"], []),
    ({}, {"paths/" + DROPIN: _file("x" * 40)}, False, ["config", "dropin", "service"], ["dropin", "service"]),
    ({}, {"service/active": "failed"}, False, ["config", "service"], ["service"]),
    ({}, {"service/enabled": "disabled"}, True, ["config", "service"], ["service"]),
])
def test_truth_table(desired_changes, state_changes, check, todo, pending):
    plan = _plan(desired_changes, _unset(state_changes), check=check)
    assert _todo(plan) == sorted(todo)
    assert sorted(p.split(":")[0] for p in plan["pending"]) == sorted(pending)


def _unset(changes):
    """None removes a package (the observation 'not installed'); 'paths//x' addresses path /x."""
    result = {}
    for key, value in (changes or {}).items():
        if key.startswith("packages/") and value is None:
            result["packages"] = dict((k, v) for k, v in CONVERGED["packages"].items() if k != key.split("/", 1)[1])
        elif key.startswith("paths//"):
            result["paths/" + key[len("paths/"):]] = value
        else:
            result[key] = value
    return result


def test_host_errors_and_warnings():
    plan = _plan({"r/require_supported": True, "certificate_source": "selfsigned", "allowed_sources": []},
                 {"os": {"os_family": None, "name": "Fedora", "version_id": "40"},
                  "listeners": [{"program": "nginx", "pid": 9, "unit": "nginx.service"}],
                  "packages": {"r-base-core": {"version": "4.3.1-1", "held": False}}})
    assert len(plan["errors"]) == 3
    assert "Fedora 40" in plan["errors"][0] and "nginx 9 nginx.service" in plan["errors"][1]
    assert "R 4.3.1-1 is outside 3.2-3.9, the only versions the RTVS broker accepts" in plan["errors"][2]
    assert len(plan["warnings"]) == 2 and plan["todo"]["warn"]  # R refused is an error, not a warning too


@pytest.mark.parametrize("version, upstream", [
    ("1:3.6.3-1build1", "3.6.3"), ("4.2.2.20221110-2", "4.2.2"), ("3.5.3", "3.5.3"), ("", "")])
def test_upstream_version(version, upstream):
    assert linux_plan.upstream_version(version) == upstream


def test_pinned_version_wins_over_installed_and_candidate():
    plan = _plan({"r/version": "3.5.3-1"}, {"r_candidate": "4.2.2-1"})
    assert plan["r"]["version"] == "3.5.3-1" and plan["r"]["supported"]


def test_bad_desired_is_refused():
    with pytest.raises(linux_plan.PlanError):
        linux_plan.plan(["not", "a", "dict"], CONVERGED)


def test_gather_completes_the_options_from_desired_and_asks_apt_only_when_needed(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n')
    asked = []

    def apt_cache(args):
        asked.append(args)
        return "r-base-core:\n  Installed: (none)\n  Candidate: 4.2.2.20221110-2\n"

    result = linux_host_info.gather({"desired": DESIRED, "users": [{"name": "alice", "password_hash": "$6$x"}]},
                                    root=str(tmp_path), systemctl=lambda args: "", apt_cache=apt_cache)
    assert asked == [["policy", "r-base-core"]]
    state, plan = result["state"], result["plan"]
    assert set(state["paths"]) >= {PFX, DROPIN, "/etc/rtvs", "/var/log/rtvs", linux_plan.CRAN_SOURCES}
    assert state["accounts"]["groups"] == {"rtvs-users": False}
    assert plan["r"]["version"] == "4.2.2.20221110-2" and plan["todo"]["users"]
    asked[:] = []
    pinned = dict(DESIRED, r=dict(DESIRED["r"], version="3.6.3-1"))
    linux_host_info.gather({"desired": pinned}, root=str(tmp_path), systemctl=lambda args: "", apt_cache=apt_cache)
    assert asked == []


def test_ufw_rules_are_read_from_both_files(tmp_path):
    (tmp_path / "etc/ufw").mkdir(parents=True)
    (tmp_path / "etc/ufw/user.rules").write_text(
        "*filter\n### tuple ### allow tcp 5444 0.0.0.0/0 any 10.0.0.0/8 in comment=7274\n"
        "-A ufw-user-input -p tcp --dport 5444 -s 10.0.0.0/8 -j ACCEPT\n### tuple ### deny udp 53 0.0.0.0/0 any 0.0.0.0/0\n")
    (tmp_path / "etc/ufw/user6.rules").write_text("### tuple ### allow tcp 5444 ::/0 any ::/0 in\n")
    rules = linux_host_info.ufw_rules(linux_host_info.host_readers.Root(str(tmp_path)))
    assert rules == ["allow tcp 5444 10.0.0.0/8 in", "allow tcp 5444 ::/0 in"]


@pytest.mark.parametrize("package, check, copy", [("/x/rtvs-daemon_1.1_amd64.deb", False, True),
                                                  ("https://h/rtvs-daemon_1.1_amd64.deb", False, False),
                                                  ("/x/rtvs-daemon_1.1_amd64.deb", True, False)])
def test_daemon_copy_only_for_a_controller_deb_in_a_real_run(package, check, copy):
    plan = _plan({"daemon/install": True, "daemon/package": package, "daemon/version": "1.1"}, {}, check=check)
    assert plan["todo"]["daemon_copy"] is copy


@pytest.mark.parametrize("health_check, check, health", [(True, False, True), (True, True, False), (False, False, False)])
def test_health_probe_only_in_a_real_run(health_check, check, health):
    assert _plan({"health_check": health_check}, check=check)["todo"]["health"] is health


@pytest.mark.parametrize("state_changes,warned", [
    ({"ufw": False}, "ufw is not installed"),
    ({"ufw": True, "ufw_enabled": False}, "ufw is inactive"),
    ({"ufw": True, "ufw_enabled": True}, None),
])
def test_allowed_sources_not_enforced_is_a_warning(state_changes, warned):
    """Issue 14, M5: rtvs_allowed_sources set where ufw cannot enforce it is said loudly."""
    plan = _plan({}, _unset(state_changes))
    found = [w for w in plan["warnings"] if "rtvs_allowed_sources is set" in w]
    if warned:
        assert len(found) == 1 and warned in found[0] and "10.0.0.0/8" in found[0]
    else:
        assert not found


# ---- the configuration planned on the host (broker_config's check mode), the plan step's probe (performance part
# of issue 12: an idempotent rerun is the plan task and one skipped include)

CONFIG = {"path": "/etc/rtvs/rtvsd.config.json", "owner": "root", "group": "rtvssvc", "mode": "0640",
          "settings": {"urls": "https://0.0.0.0:5444", "security": {"allowedGroup": "rtvs-users"}, "lifetime": None},
          "r": {"autodetect": False, "interpreter_name": "", "base_path": "/usr/lib/R"},
          "overrides": {}}


@pytest.mark.parametrize("seen, todo, pending", [
    (None, True, None),  # no check on the host: only broker_config can tell
    ({"pending": False, "reason": None}, False, False),
    ({"pending": True, "reason": "the settings differ"}, True, True),
])
def test_config_step_follows_the_check_on_the_host(seen, todo, pending):
    state = {} if seen is None else {"config": seen}
    plan = _plan(state_changes=state)
    assert plan["steps"]["config"]["todo"] is todo and plan["steps"]["config"]["pending"] is pending
    assert plan["todo"]["file_config"] is todo


@pytest.mark.parametrize("check, act, health, probe, any_", [
    (False, False, True, True, True),   # a real rerun: nothing to act on, the plan step probes first
    (True, False, False, False, False),  # check mode: no probe, nothing to include
])
def test_converged_host_with_the_config_checked_has_nothing_to_do(check, act, health, probe, any_):
    plan = _plan(state_changes={"config": {"pending": False, "reason": None}}, check=check)
    assert _todo(plan) == []
    todo = plan["todo"]
    assert (todo["act"], todo["health"], todo["probe"], todo["any"]) == (act, health, probe, any_)


def test_probed_leaves_the_include_out_only_for_a_healthy_broker():
    plan = _plan(state_changes={"config": {"pending": False, "reason": None}})
    healthy = linux_plan.probed(plan, [])
    assert healthy["todo"]["any"] is False and healthy["todo"]["health"] is False
    assert healthy["health"] == {"probed": True, "problems": []}
    sick = linux_plan.probed(plan, ["/info/about answers 503"])
    assert sick["todo"]["any"] is True and sick["todo"]["health"] is True and sick["todo"]["act"] is False
    assert plan["todo"]["probe"] is True  # the input is not changed


def test_config_settings_add_the_interpreter_once_r_is_known_and_the_users_settings_win():
    desired = dict(DESIRED, config=CONFIG)
    settings = _plan({"config": CONFIG})["config"]["settings"]
    assert settings["r"] == {"autoDetect": False, "interpreters": {"0": {"name": "R 3.6.3", "basePath": "/usr/lib/R"}}}
    assert settings["lifetime"] is None and settings["security"] == {"allowedGroup": "rtvs-users"}
    named = dict(CONFIG, r=dict(CONFIG["r"], interpreter_name="R site"),
                 overrides={"security": {"allowedGroup": "staff"}, "r": {"autoDetect": True}, "lifetime": {"x": 1}})
    settings = _plan({"config": named})["config"]["settings"]
    assert settings["security"] == {"allowedGroup": "staff"}  # merged key by key, the user's value wins
    assert settings["r"]["autoDetect"] is True and settings["r"]["interpreters"]["0"]["name"] == "R site"
    assert settings["lifetime"] == {"x": 1}
    # R neither installed nor to install: no interpreter (the broker's autodetect decides)
    r_off = dict(desired, r=dict(DESIRED["r"], install=False))
    state = dict(CONVERGED, packages={})
    assert "interpreters" not in linux_plan.config_settings(r_off, linux_plan.r_facts(r_off, state))["r"]
    assert linux_plan.config_settings(DESIRED, linux_plan.r_facts(DESIRED, CONVERGED)) is None


FINGERPRINT = "AB:CD"
HEALTHY = {"name": "r.example.com", "tls": {"ok": True, "version": "TLSv1.2"}, "trust": {"ok": True},
           "certificate": {"fingerprint_sha256": FINGERPRINT, "covers_name": True}, "about": {"status": 200}}


@pytest.mark.parametrize("change, ca_given, problem", [
    ({}, True, None),
    ({"tls": {"ok": False, "version": None, "error": "refused"}}, False, "no TLS 1.2 handshake (refused)"),
    ({"tls": {"ok": True, "version": "TLSv1.3"}}, False, "no TLS 1.2 handshake (TLSv1.3)"),
    ({"certificate": {"fingerprint_sha256": "EF", "covers_name": True}}, False, "serves EF, not the PFX's AB:CD"),
    ({"about": {"status": 503}}, False, "/info/about answers 503"),
    ({"trust": {"ok": False, "error": "self-signed"}}, True, "the chain does not verify (self-signed)"),
    ({"trust": {"ok": False, "error": "self-signed"}}, False, None),  # no CA known: the chain is not judged
    ({"certificate": {"fingerprint_sha256": FINGERPRINT, "covers_name": False}}, True,
     "the certificate does not cover r.example.com"),
    ({"certificate": None, "about": None, "trust": None, "tls": {}}, False, "no TLS 1.2 handshake (None)"),
])
def test_health_problems(change, ca_given, problem):
    probe = dict(HEALTHY, **change)
    problems = linux_plan.health_problems(probe, FINGERPRINT, ca_given)
    assert (problems[0] if problems else None) == problem
