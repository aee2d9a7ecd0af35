"""The firewall part of the linux_broker plan (module_utils/host/linux_firewall.py), issue 14 M5.

Which firewall enforces rtvs_allowed_sources (ufw when active, else the role's own nftables table inet rtvs),
what the table is, how ``nft -j list table inet rtvs`` is read (fixtures printed by nftables 1.0.6 on Debian 12
from the ruleset nft_ruleset writes), and which steps the plan has the role run.
"""
import copy
import os

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_host_info, linux_firewall as fw, linux_plan

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "nftables")
# the sources the fixtures were loaded with (10.20.3.0/24 and 2001:db8:1::7 lie inside others: merged)
SOURCES = ("10.20.0.0/16", "10.0.0.5", "2001:db8::/32", "10.20.3.0/24", "2001:db8:1::7")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def _absent():
    return {"exists": False, "isdir": False, "owner": None, "group": None, "mode": None, "checksum": None}


def _file(text):
    return {"exists": True, "isdir": False, "owner": "root", "group": "root", "mode": "0644", "checksum": fw.sha1(text)}


def _paths(sources=SOURCES, files=True, wants=True):
    paths = {"/etc/rtvs": {"exists": True, "isdir": True, "owner": "root", "group": "root", "mode": "0755",
                           "checksum": None},
             fw.NFT_FILE: _file(fw.nft_ruleset(5444, sources)) if files else _absent(),
             fw.UNIT_FILE: _file(fw.UNIT) if files else _absent(),
             fw.UNIT_WANTS: dict(_absent(), exists=True) if wants else _absent()}
    return paths


def _plan(sources=SOURCES, backend="auto", state=None, check=False, manage=True):
    desired = {"port": 5444, "allowed_sources": list(sources), "firewall": manage, "firewall_backend": backend}
    state = dict({"ufw": False, "ufw_enabled": False, "ufw_rules": [], "nft": True}, **(state or {}))
    if "nft_table" not in state:
        state["nft_table"] = fw.wanted_table(5444, sources) if sources else {"present": False}
    if "paths" not in state:
        state["paths"] = _paths(sources)
    return fw.plan(desired, state, lambda p: state["paths"].get(p) or _absent(), check)


def _todo(result):
    return sorted(s for s in fw.STEPS if result["steps"][s]["todo"])


# ---------------------------------------------------------------- the table


def test_networks_merge_overlaps_and_split_the_families():
    assert fw.networks(SOURCES) == (["10.0.0.5/32", "10.20.0.0/16"], ["2001:db8::/32"])
    assert fw.networks(["any"]) == (["0.0.0.0/0"], ["::/0"])
    assert fw.open_to_all([]) and fw.open_to_all(["0.0.0.0/0", "::/0"]) and not fw.open_to_all(["0.0.0.0/0"])


@pytest.mark.parametrize("bad", ["10.0.0.300", "-bad-.test", "10.0.0.0/33", "any-thing"])
def test_a_bad_source_is_named_with_its_fix(bad):
    with pytest.raises(fw.SourceError, match=r"rtvs_allowed_sources: '%s' is not an IP address or network" % bad):
        fw.networks(["10.0.0.0/8", bad])
    result = _plan(sources=["10.0.0.0/8", bad], state={"nft_table": {"present": False}, "paths": _paths(files=False)})
    assert len(result["errors"]) == 1 and bad in result["errors"][0] and _todo(result) == []


def test_ruleset_is_its_own_table_replaced_whole_and_rejects_others():
    text = fw.nft_ruleset(5444, SOURCES)
    # replaced in one transaction, whether or not it exists; nothing outside table inet rtvs
    assert "table inet rtvs\ndelete table inet rtvs\ntable inet rtvs {\n" in text
    assert "flush ruleset" not in text and text.count("table ") == 3
    assert "elements = { 10.0.0.5, 10.20.0.0/16 }" in text and "elements = { 2001:db8::/32 }" in text
    assert "tcp dport 5444 jump broker_port" in text and 'iif "lo" accept' in text
    assert 'reject with tcp reset comment "rtvs.remote.linux_broker %s"' % fw.digest(
        5444, ["10.0.0.5/32", "10.20.0.0/16"], ["2001:db8::/32"]) in text
    # only IPv6 sources: the IPv4 set is empty (no "elements = { }", which nft refuses)
    assert "elements = {  }" not in fw.nft_ruleset(5444, ["2001:db8::/32"])


def test_the_table_nft_lists_reads_back_as_wanted():
    seen = fw.parse_table(fixture("table_inet_rtvs.json"))
    assert seen == fw.wanted_table(5444, SOURCES)


def test_an_element_added_by_hand_is_seen():
    seen = fw.parse_table(fixture("table_inet_rtvs_edited.json"))  # nft add element ... { 192.168.0.0-192.168.0.9 }
    assert seen["allowed"] == ["10.0.0.5/32", "10.20.0.0/16", "192.168.0.0/29", "192.168.0.8/31", "2001:db8::/32"]
    assert seen["digest"] == fw.wanted_table(5444, SOURCES)["digest"]


@pytest.mark.parametrize("answer, seen", [
    ((1, "", "Error: No such file or directory\nlist table inet rtvs\n                ^^^^\n"), {"present": False}),
    ((1, "", "Error: Could not process rule: Operation not permitted\n"),
     {"present": None, "error": "Error: Could not process rule: Operation not permitted"}),
    ((0, "not json", ""), None),
])
def test_read_table_tells_absent_from_unreadable(answer, seen):
    calls = []

    def run(args):
        calls.append(args)
        return answer

    result = fw.read_table(run)
    assert calls == [["-j", "list", "table", "inet", "rtvs"]]
    if seen is None:
        assert result["present"] is None and "nft -j printed what this role cannot read" in result["error"]
    else:
        assert result == seen


# ---------------------------------------------------------------- which firewall


@pytest.mark.parametrize("backend, manage, state, chosen, error", [
    ("auto", True, {"ufw": True, "ufw_enabled": True, "nft": True}, "ufw", None),
    ("auto", True, {"ufw": True, "ufw_enabled": False, "nft": True}, "nftables", None),
    ("auto", True, {"ufw": False, "nft": True}, "nftables", None),
    ("auto", True, {"ufw": True, "ufw_enabled": False, "nft": False}, "ufw", None),  # saved for when it is enabled
    ("auto", True, {"ufw": False, "nft": False}, "none", None),
    ("nftables", True, {"ufw": True, "ufw_enabled": True, "nft": True}, "nftables", None),
    ("nftables", True, {"nft": False}, "none", "apt-get install nftables"),
    ("ufw", True, {"ufw": False, "nft": True}, "none", "apt-get install ufw"),
    ("none", True, {"ufw": True, "ufw_enabled": True, "nft": True}, "none", None),
    ("auto", False, {"ufw": True, "ufw_enabled": True, "nft": True}, "none", None),
    ("iptables", True, {"nft": True}, "none", "must be one of auto, ufw, nftables, none"),
])
def test_backend_choice(backend, manage, state, chosen, error):
    got, _reason, problem = fw.choose_backend({"firewall_backend": backend, "firewall": manage}, state)
    assert got == chosen
    assert (problem is None) if error is None else (error in problem)


# ---------------------------------------------------------------- the steps


def test_converged_nftables_host_has_nothing_to_do():
    result = _plan()
    assert _todo(result) == [] and result["errors"] == [] and result["warnings"] == []
    assert result["facts"]["backend"] == "nftables" and result["facts"]["enforced"] is True
    assert result["facts"]["nftables"]["content"] == fw.nft_ruleset(5444, SOURCES)


def test_new_host_writes_enables_and_loads():
    state = {"nft_table": {"present": False}, "paths": _paths(files=False, wants=False)}
    assert _todo(_plan(state=state)) == ["nftables_enable", "nftables_files", "nftables_load"]
    # check mode: the unit cannot be enabled nor the file loaded before they are really written; all listed
    checked = _plan(state=state, check=True)
    assert _todo(checked) == ["nftables_files"]
    assert all(checked["steps"][s]["pending"] for s in ("nftables_files", "nftables_enable", "nftables_load"))


def test_changed_sources_rewrite_and_reload_the_table():
    old = ["10.9.0.0/16"]
    state = {"nft_table": fw.wanted_table(5444, old), "paths": _paths(sources=old)}
    result = _plan(state=state)
    assert _todo(result) == ["nftables_files", "nftables_load"]
    assert "allows 10.9.0.0/16, wanted 10.0.0.5/32, 10.20.0.0/16, 2001:db8::/32" in result["steps"]["nftables_load"]["why"]


@pytest.mark.parametrize("edit", [
    {"allowed": ["10.0.0.5/32", "10.20.0.0/16", "192.168.0.0/29", "2001:db8::/32"]},  # element added by hand
    {"chains": {"input": 1, "broker_port": 3}},  # a rule deleted
    {"digest": None},  # the marked reject rule replaced
])
def test_a_table_changed_by_hand_is_loaded_again(edit):
    table = dict(fw.wanted_table(5444, SOURCES), **edit)
    assert _todo(_plan(state={"nft_table": table})) == ["nftables_load"]


def test_a_loaded_table_whose_unit_is_not_active_is_loaded_through_the_unit():
    """Only an active unit is restarted with nftables.service (PartOf), which flushes the whole ruleset."""
    result = _plan(state={"nft_unit_active": "inactive"})
    assert _todo(result) == ["nftables_load"]
    assert "rtvs-firewall.service is inactive" in result["steps"]["nftables_load"]["why"]
    assert _todo(_plan(state={"nft_unit_active": "active"})) == []


def test_emptied_sources_remove_the_table_and_its_files():
    state = {"nft_table": fw.wanted_table(5444, SOURCES), "paths": _paths()}
    result = _plan(sources=[], state=state)
    assert _todo(result) == ["nftables_remove", "nftables_remove_files"]
    assert result["facts"]["remove_files"] == [fw.NFT_FILE, fw.UNIT_FILE, fw.UNIT_WANTS]


def test_ufw_taking_over_removes_the_table():
    state = {"ufw": True, "ufw_enabled": True, "ufw_rules": ["allow tcp 5444 %s in" % s for s in SOURCES],
             "nft_table": fw.wanted_table(5444, SOURCES), "paths": _paths()}
    result = _plan(state=state)
    assert result["facts"]["backend"] == "ufw"
    assert _todo(result) == ["nftables_remove", "nftables_remove_files"]
    assert "the firewall used is ufw" in result["steps"]["nftables_remove"]["why"]


def test_backend_none_leaves_a_table_in_place():
    result = _plan(backend="none", state={"paths": _paths()})
    assert _todo(result) == []
    assert any("rtvs_linux_firewall_backend is none (this role manages no firewall)" in w for w in result["warnings"])


def test_nft_unreadable_is_a_warning_with_auto_and_an_error_when_chosen():
    table = {"present": None, "error": "Error: Could not process rule: Operation not permitted"}
    auto = _plan(state={"nft_table": table})
    assert _todo(auto) == [] and auto["errors"] == []
    assert len(auto["warnings"]) == 1 and "CAP_NET_ADMIN" in auto["warnings"][0]
    assert "Operation not permitted" in auto["warnings"][0]
    chosen = _plan(backend="nftables", state={"nft_table": table})
    assert len(chosen["errors"]) == 1 and "--cap-add NET_ADMIN" in chosen["errors"][0]


@pytest.mark.parametrize("state, warned", [
    ({"nft": False, "nft_table": None}, "ufw is not installed and neither is nftables (the nft command)"),
    ({"nft": False, "nft_table": None, "ufw": True, "ufw_enabled": False}, "ufw is inactive"),
    ({}, None),  # nftables enforces them
    ({"ufw": True, "ufw_enabled": True}, None),
])
def test_unenforced_sources_are_warned_naming_nftables(state, warned):
    found = [w for w in _plan(state=state)["warnings"] if "rtvs_allowed_sources is set" in w]
    if warned:
        assert len(found) == 1 and warned in found[0] and "apt-get install nftables" in found[0]
    else:
        assert not found


def test_the_linux_plan_runs_the_firewall_file_for_nftables_steps():
    """linux_plan.plan wires the firewall steps into the role's firewall task file and passes the facts on."""
    spec = __import__("importlib").util.spec_from_file_location(
        "plan_fixtures", os.path.join(os.path.dirname(__file__), "test_linux_plan.py"))
    fixtures = __import__("importlib").util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    desired = dict(copy.deepcopy(fixtures.DESIRED), firewall_backend="auto")
    state = dict(copy.deepcopy(fixtures.CONVERGED), nft=True, nft_table={"present": False})
    plan = linux_plan.plan(desired, state)
    assert plan["todo"]["nftables_files"] and plan["todo"]["file_firewall"] and plan["todo"]["after_config"]
    assert plan["firewall"]["nftables"]["file"] == "/etc/rtvs/firewall.nft"
    assert not any("rtvs_allowed_sources is set" in w for w in plan["warnings"])


# ---------------------------------------------------------------- observation (linux_host_info)


def test_host_state_reads_the_table_only_when_the_role_manages_the_firewall(tmp_path):
    os.makedirs(str(tmp_path / "usr/sbin"))
    (tmp_path / "usr/sbin/nft").write_text("")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text("ID=debian\nVERSION_ID=12\n")
    calls = []

    def nft(args):
        calls.append(args)
        return 0, fixture("table_inet_rtvs.json"), ""

    desired = {"firewall": True, "firewall_backend": "auto", "port": 5444, "allowed_sources": SOURCES}
    result = linux_host_info.gather({"desired": desired}, root=str(tmp_path), nft=nft)
    assert result["state"]["nft"] is True and result["state"]["nft_table"] == fw.wanted_table(5444, SOURCES)
    assert set(fw.PATHS) <= set(result["state"]["paths"])
    assert calls == [["-j", "list", "table", "inet", "rtvs"]]
    linux_host_info.gather({"desired": dict(desired, firewall_backend="none")}, root=str(tmp_path), nft=nft)
    assert len(calls) == 1
    # with the unit on the host, whether it is active (one systemctl call)
    os.makedirs(str(tmp_path / "etc/systemd/system"))
    (tmp_path / "etc/systemd/system/rtvs-firewall.service").write_text(fw.UNIT)
    asked = []
    state = linux_host_info.gather({"desired": desired}, root=str(tmp_path), nft=nft,
                                   systemctl=lambda args: asked.append(args) or "inactive")["state"]
    assert state["nft_unit_active"] == "inactive" and asked == [["is-active", "rtvs-firewall.service"]]


# ---------------------------------------------------------------- ufw: rules this role made that no longer match


def test_ufw_rules_of_this_role_are_read_by_their_hex_comment(tmp_path):
    # as ufw 0.36.2 on Debian 12 saves them (ufw allow ... comment "rtvs.remote broker")
    (tmp_path / "etc/ufw").mkdir(parents=True)
    (tmp_path / "etc/ufw/user.rules").write_text(
        "### tuple ### allow tcp 5444 0.0.0.0/0 any 10.9.0.0/16 in comment=727476732e72656d6f74652062726f6b6572\n"
        "### tuple ### allow tcp 5444 0.0.0.0/0 any 10.8.0.0/16 in\n"
        "### tuple ### allow tcp 5444 0.0.0.0/0 any 10.7.0.0/16 in comment=6f74686572\n")
    (tmp_path / "etc/ufw/user6.rules").write_text(
        "### tuple ### allow tcp 5444 ::/0 any 2001:db8::/32 in comment=727476732e72656d6f74652062726f6b6572\n")
    root = linux_host_info.host_readers.Root(str(tmp_path))
    assert linux_host_info.ufw_rules(root, fw.UFW_COMMENT) == ["allow tcp 5444 10.9.0.0/16 in", "allow tcp 5444 2001:db8::/32 in"]
    assert len(linux_host_info.ufw_rules(root)) == 4


def test_ufw_rules_of_sources_no_longer_listed_are_removed_and_only_ours():
    state = {"ufw": True, "ufw_enabled": True, "nft": False, "nft_table": None, "paths": _paths(files=False, wants=False),
             "ufw_rules": ["allow tcp 5444 10.20.0.0/16 in", "allow tcp 5444 10.9.0.0/16 in", "allow tcp 5444 10.8.0.0/16 in",
                           "allow tcp 5444 2001:db8::/32 in", "allow tcp 22 10.7.0.0/16 in", "allow tcp 5444 0.0.0.0/0 in"],
             # 10.8.0.0/16 was added by someone else (no comment of ours): it stays
             "ufw_rules_ours": ["allow tcp 5444 10.20.0.0/16 in", "allow tcp 5444 10.9.0.0/16 in",
                                "allow tcp 5444 2001:db8::/32 in", "allow tcp 5444 0.0.0.0/0 in", "allow tcp 22 10.7.0.0/16 in"]}
    result = _plan(sources=["10.20.0.0/16"], state=state)
    assert _todo(result) == ["firewall_open", "firewall_stale"]
    assert result["facts"]["ufw_stale"] == ["10.9.0.0/16", "2001:db8::/32"]
    assert "no longer in rtvs_allowed_sources" in result["steps"]["firewall_stale"]["why"]
    # converged: only the wanted rule of ours is left
    state.update(ufw_rules=["allow tcp 5444 10.20.0.0/16 in"], ufw_rules_ours=["allow tcp 5444 10.20.0.0/16 in"])
    assert _todo(_plan(sources=["10.20.0.0/16"], state=state)) == []
