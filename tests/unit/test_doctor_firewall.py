"""The doctor's `firewall` check on Linux sees the whole host firewall (issue 14, M5).

broker_info reads the role's nftables table inet rtvs with the same reader the role uses
(linux_firewall.read_table), whether rtvs-firewall.service is active, and the host's own nftables rules about
the port (``nft -j list ruleset``); check_firewall evaluates: ufw active as before, else the table, else the host's
own rules, else a warning when rtvs_allowed_sources asks for a limit nothing enforces.

Fixtures printed by nftables 1.0.6 on Debian 12: tests/unit/fixtures/nftables/table_inet_rtvs*.json (the role's
table), ruleset_host_rules.json (``nft -j list ruleset`` on a test host with a table ``inet filter`` whose input
policy is drop and a table ``ip hostfw`` that accepts 5444 from 10.9.0.0/16 and rejects 5400-5500).
"""
import copy
import json
import os

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_info_firewall
from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as dc
from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_firewall as fw
from ansible_collections.rtvs.remote.plugins.module_utils.host.host_readers import Root

HERE = os.path.dirname(__file__)
NFT_FIXTURES = os.path.join(HERE, "fixtures", "nftables")
SOURCES = ["10.20.0.0/16", "10.0.0.5", "2001:db8::/32", "10.20.3.0/24", "2001:db8:1::7"]  # the table fixtures'


def nft_fixture(name):
    with open(os.path.join(NFT_FIXTURES, name)) as handle:
        return handle.read()


def ruleset(*tables):
    """The recorded ruleset with only the named tables ('inet filter', 'ip hostfw'), as nft would list them."""
    data = json.loads(nft_fixture("ruleset_host_rules.json"))
    kept = []
    for item in data["nftables"]:
        kind, body = list(item.items())[0]
        if kind == "metainfo":
            kept.append(item)
            continue
        name = body["name"] if kind == "table" else body["table"]
        if "%s %s" % (body["family"], name) in tables:
            kept.append(item)
    return json.dumps({"nftables": kept})


# ---------------------------------------------------------------- broker_info: what is read


@pytest.mark.parametrize("port, texts, input_drop", [
    (5444, ["ip hostfw in: ip saddr 10.9.0.0/16 tcp dport 5444 accept",
            "ip hostfw in: tcp dport 5400-5500 reject"], ["inet filter input"]),
    (5500, ["ip hostfw in: tcp dport 5400-5500 reject"], ["inet filter input"]),
    (443, ["inet filter input: tcp dport { 80, 443 } accept"], ["inet filter input"]),
    (22, ["inet filter input: tcp dport 22 accept"], ["inet filter input"]),
    (9999, [], ["inet filter input"]),
])
def test_host_rules_about_the_port_are_read_from_the_real_ruleset(port, texts, input_drop):
    seen = broker_info_firewall.nft_port_rules(nft_fixture("ruleset_host_rules.json"), port)
    assert [r["text"] for r in seen["rules"]] == texts
    assert seen["input_drop"] == input_drop


def test_the_roles_own_table_is_not_counted_as_a_host_rule():
    seen = broker_info_firewall.nft_port_rules(nft_fixture("table_inet_rtvs.json"), 5444)
    assert seen == {"rules": [], "input_drop": []}


def _nft(table_rc, table_out, ruleset_rc=0, ruleset_out='{"nftables": []}', err=""):
    calls = []

    def run(args):
        calls.append(list(args))
        if args[-1] == "ruleset":
            return ruleset_rc, ruleset_out, err
        return table_rc, table_out, err
    return run, calls


def _root(tmp_path, nft=True, unit=True):
    for path, wanted in ((fw.NFT, nft), (fw.UNIT_FILE, unit)):
        if wanted:
            full = tmp_path / path.lstrip("/")
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_text("")
    return Root(str(tmp_path))


def test_nftables_facts_read_the_table_the_unit_and_the_ruleset_and_run_only_listing_commands(tmp_path):
    run, calls = _nft(0, nft_fixture("table_inet_rtvs.json"), ruleset_out=ruleset("inet filter"))
    facts = broker_info_firewall.nftables_facts(_root(tmp_path), 5444, run, lambda args: "active")
    assert facts["table"] == fw.parse_table(nft_fixture("table_inet_rtvs.json"))  # the role's reader, not a copy
    assert facts["table"]["present"] and facts["unit"] == "active" and facts["unit_file"]
    assert facts["input_drop"] == ["inet filter input"] and facts["error"] is None
    assert calls == [["-j", "list", "table", "inet", "rtvs"], ["-j", "list", "ruleset"]]


@pytest.mark.parametrize("nft, unit, table, ruleset_rc, expect", [
    (False, False, None, 0, {"installed": False, "table": None, "unit": None, "error": None}),
    (True, False, (1, "", "Error: No such file or directory; did you mean table 'rtvs' in family inet?"), 0,
     {"installed": True, "table": {"present": False}, "unit": None, "error": None}),
    (True, True, (1, "", "Error: Could not process rule: Operation not permitted"), 1,
     {"installed": True, "table": {"present": None, "error": "Error: Could not process rule: Operation not permitted"},
      "unit": "inactive", "error": "Error: Could not process rule: Operation not permitted"}),
])
def test_nftables_facts_without_nft_without_table_or_without_permission(tmp_path, nft, unit, table, ruleset_rc, expect):
    table_rc, table_out, err = table or (0, "", "")
    run, calls = _nft(table_rc, table_out, ruleset_rc=ruleset_rc, err=err)
    facts = broker_info_firewall.nftables_facts(_root(tmp_path, nft, unit), 5444, run, lambda args: "inactive")
    assert dict((k, facts[k]) for k in expect) == expect
    assert calls == ([] if not nft else [["-j", "list", "table", "inet", "rtvs"], ["-j", "list", "ruleset"]])


# ---------------------------------------------------------------- the doctor's check


@pytest.fixture
def linux():
    with open(os.path.join(HERE, "fixtures", "doctor", "linux_healthy.json")) as handle:
        return json.load(handle)


def _facts(linux, ufw_enabled=False, ufw_installed=True, table=None, unit="active", rules=None, sources=None,
           installed=True, port=5444):
    facts = copy.deepcopy(linux)
    facts["broker"]["ufw"].update(enabled=ufw_enabled, installed=ufw_installed, port=port)
    host_rules = broker_info_firewall.nft_port_rules(rules, 5444) if rules else {"rules": [], "input_drop": []}
    facts["broker"]["nftables"] = dict(
        installed=installed, table=fw.parse_table(nft_fixture(table)) if table else {"present": False},
        unit_file=unit is not None, unit=unit, error=None, **host_rules)
    if sources is not None:
        facts["options"]["allowed_sources"] = sources
    return facts


def _row(facts):
    return [r for r in dc.evaluate(facts)["checks"] if r["id"] == "firewall"][0]


CASES = [
    # ufw active: as before, whatever nftables holds
    ("ufw active", dict(ufw_enabled=True, table="table_inet_rtvs.json", sources=["10.9.0.0/16"]), "ok",
     ["ufw allows TCP 5444"], None),
    # the role's table
    ("table as wanted", dict(table="table_inet_rtvs.json", sources=SOURCES), "ok",
     ["table inet rtvs", "rtvs-firewall.service active", "only from 10.0.0.5/32, 10.20.0.0/16, 2001:db8::/32"], None),
    ("table, sources unknown", dict(table="table_inet_rtvs.json"), "ok",
     ["only from 10.0.0.5/32, 10.20.0.0/16, 2001:db8::/32"], None),
    ("table differs from sources", dict(table="table_inet_rtvs.json", sources=["10.9.0.0/16"]), "warn",
     ["allows TCP 5444 from 10.0.0.5/32", "rtvs_allowed_sources is 10.9.0.0/16"], "linux_broker role again"),
    ("table but sources emptied", dict(table="table_inet_rtvs.json", sources=[]), "warn",
     ["rtvs_allowed_sources is empty"], "removes it when they are empty"),
    ("table edited outside the role", dict(table="table_inet_rtvs_edited.json"), "warn",
     ["changed outside rtvs.remote", "192.168.0.0/29"], "linux_broker role again"),
    ("table of another port", dict(table="table_inet_rtvs.json", port=5445), "warn",
     ["loaded for another port"], "linux_broker role again"),
    ("unit inactive", dict(table="table_inet_rtvs.json", unit="inactive"), "warn",
     ["rtvs-firewall.service is inactive", "a reboot"], "systemctl enable --now rtvs-firewall.service"),
    ("unit file missing", dict(table="table_inet_rtvs.json", unit=None), "warn",
     ["rtvs-firewall.service is not installed"], "systemctl enable --now"),
    ("table but a host chain drops everything", dict(table="table_inet_rtvs.json", rules=ruleset("inet filter")),
     "fail", ["inet filter input: policy drop"], "nft insert rule"),
    # no table: the host's own rules
    ("host policy drop", dict(rules=ruleset("inet filter")), "fail",
     ["no nftables table inet rtvs", "inet filter input: policy drop, and no rule of its table accepts TCP 5444"],
     "ip saddr <client network> tcp dport 5444 accept"),
    ("host rules limit the port", dict(rules=ruleset("ip hostfw")), "ok",
     ["limit TCP 5444", "ip saddr 10.9.0.0/16 tcp dport 5444 accept"], None),
    ("host rules limit, another table drops all", dict(rules=ruleset("ip hostfw", "inet filter")), "fail",
     ["inet filter input: policy drop"], "nft insert rule"),
    # nothing enforces
    ("nothing, sources set", dict(sources=["10.9.0.0/16"]), "warn",
     ["rtvs_allowed_sources is 10.9.0.0/16", "every address reaches the broker", "ufw installed but inactive"],
     "rtvs_linux_firewall_backend: nftables"),
    ("nothing, no nft, sources set", dict(sources=["10.9.0.0/16"], installed=False, ufw_installed=False), "warn",
     ["ufw not installed", "nft command) not installed"], "apt-get install nftables"),
    ("nothing, sources any", dict(sources=["any"]), "ok", ["no host firewall limits TCP 5444"], None),
    ("nothing, sources unknown", dict(), "ok", ["no host firewall limits TCP 5444", "no nftables table inet rtvs"],
     None),
]


@pytest.mark.parametrize("name, kwargs, status, evidence, fix", CASES, ids=[c[0] for c in CASES])
def test_firewall_check(linux, name, kwargs, status, evidence, fix):
    result = _row(_facts(linux, **kwargs))
    assert result["status"] == status, (name, result)
    for text in evidence:
        assert text in result["evidence"], (name, text, result["evidence"])
    if fix:
        assert fix in result["fix"], (name, result["fix"])


def test_facts_of_an_older_broker_info_without_nftables_read_as_before(linux):
    facts = copy.deepcopy(linux)
    facts["broker"]["ufw"].update(enabled=False)
    facts["broker"].pop("nftables", None)
    assert _row(facts)["status"] == "ok"
    facts["options"]["allowed_sources"] = ["10.9.0.0/16"]
    assert _row(facts)["status"] == "warn"


def test_nft_unreadable_is_said():
    facts = {"host": "h", "platform": "linux", "options": {"port": 5444},
             "broker": {"ufw": {"installed": False, "enabled": False, "port": 5444},
                        "nftables": {"installed": True, "table": {"present": None, "error": "Operation not permitted"},
                                     "rules": [], "input_drop": [], "error": "Operation not permitted"}}}
    assert "nft could not be read: Operation not permitted" in _row(facts)["evidence"]
