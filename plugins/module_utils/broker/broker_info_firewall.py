# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""broker_info's firewall facts: whether ufw or nftables lets the broker's port in (read-only, for the doctor).

ufw from its saved state (ufw.conf, /etc/default/ufw, user.rules), nftables from ``nft -j`` through the
``nft`` callable the caller passes: the role's own table inet rtvs (host/linux_firewall.py reads it) and the
host's other rules about the port. Paths are read below ``root`` (host_readers.Root); nothing is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_firewall


def _ufw_port_matches(spec, port):
    if spec == "any":
        return True
    for part in spec.split(","):
        if ":" in part:
            low, high = part.split(":", 1)
            if low.isdigit() and high.isdigit() and int(low) <= port <= int(high):
                return True
        elif part.isdigit() and int(part) == port:
            return True
    return False


def _read_kv(root, path):
    values = {}
    try:
        text = root.read_text(path)
    except (IOError, OSError):
        return None
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip('"')
    return values


def ufw_facts(root, port):
    """ufw's saved state (ufw.conf, /etc/default/ufw, user.rules): first matching tuple wins, as in ufw."""
    conf = _read_kv(root, "/etc/ufw/ufw.conf")
    facts = {"installed": conf is not None or root.exists("/usr/sbin/ufw"), "enabled": False, "port": port,
             "default_input": None, "port_allowed": None, "rule": None, "sources": []}
    if conf is None:
        return facts
    facts["enabled"] = conf.get("ENABLED", "no").lower() == "yes"
    default = (_read_kv(root, "/etc/default/ufw") or {}).get("DEFAULT_INPUT_POLICY", "DROP")
    facts["default_input"] = default
    decision = None
    for rules in ("/etc/ufw/user.rules", "/etc/ufw/user6.rules"):
        try:
            text = root.read_text(rules)
        except (IOError, OSError):
            continue
        for line in text.splitlines():
            if not line.startswith("### tuple ###"):
                continue
            # ### tuple ### <action> <proto> <dport> <dst> <sport> <src> <direction> [comment=...]
            parts = line[len("### tuple ###"):].split()
            if len(parts) < 7:
                continue
            action, proto, dport, _dst, _sport, src, direction = parts[:7]
            action = action.split("_")[0]  # allow_log, deny_log-all ...
            if direction != "in" or proto not in ("tcp", "any") or not _ufw_port_matches(dport, port):
                continue
            if action in ("allow", "limit"):
                facts["sources"].append(src)
            if decision is None:
                decision = (action, line.strip())
    if decision:
        facts["port_allowed"] = decision[0] in ("allow", "limit")
        facts["rule"] = decision[1]
    else:
        facts["port_allowed"] = default.upper() == "ACCEPT"
    return facts


def _nft_text(value):
    """A short nft-like text of one side of a match (payload, meta, ct, prefix, set, range), for the doctor."""
    if isinstance(value, dict):
        if "payload" in value:
            return "%s %s" % (value["payload"].get("protocol", "th"), value["payload"].get("field"))
        if "meta" in value:
            return value["meta"].get("key")
        if "ct" in value:
            return "ct %s" % value["ct"].get("key")
        if "prefix" in value:
            return "%s/%s" % (value["prefix"].get("addr"), value["prefix"].get("len"))
        if "range" in value:
            return "%s-%s" % tuple(value["range"][:2])
        if "set" in value:
            return "{ %s }" % ", ".join(_nft_text(v) for v in value["set"])
        return json.dumps(value, sort_keys=True)
    if isinstance(value, list):
        return "{ %s }" % ", ".join(_nft_text(v) for v in value)
    return str(value)


def _port_in(right, port):
    """Whether the right side of a ``tcp dport`` match holds ``port``; None when it names a set (@name)."""
    if isinstance(right, dict) and "set" in right:
        right = right["set"]
    if isinstance(right, list):
        found = [_port_in(item, port) for item in right]
        return True if True in found else (None if None in found else False)
    if isinstance(right, dict) and "range" in right:
        low, high = right["range"][:2]
        return int(low) <= port <= int(high)
    if isinstance(right, str) and right.startswith("@"):
        return None
    try:
        return int(right) == port
    except (TypeError, ValueError):
        return None


VERDICTS = ("accept", "drop", "reject", "jump", "goto")


def nft_port_rules(text, port):
    """The host's own nftables rules about TCP ``port`` (``nft -j list ruleset``), the table inet rtvs aside.

    {rules: [{table, chain, verdict, conditional, text}], input_drop: ["inet filter input", ...]}: the rules
    whose ``tcp dport`` (or ``th dport``) match holds the port, in the order nft lists them, and the input
    hook chains with policy drop. ``conditional`` rules match more than the port (a source address ...).
    """
    items = json.loads(text).get("nftables") or []
    rules, input_drop = [], []
    for item in items:
        chain = item.get("chain")
        if chain and (chain.get("family"), chain.get("table")) != (linux_firewall.FAMILY, linux_firewall.TABLE):
            if chain.get("hook") == "input" and chain.get("policy") == "drop":
                input_drop.append("%s %s %s" % (chain.get("family"), chain.get("table"), chain.get("name")))
        rule = item.get("rule")
        if not rule or (rule.get("family"), rule.get("table")) == (linux_firewall.FAMILY, linux_firewall.TABLE):
            continue
        holds, others, verdict, dport = False, [], None, port
        for expr in rule.get("expr") or []:
            match = expr.get("match") if isinstance(expr, dict) else None
            if match:
                left = match.get("left") or {}
                payload = left.get("payload") if isinstance(left, dict) else None
                if payload and payload.get("field") == "dport" and payload.get("protocol") in ("tcp", "th") \
                        and match.get("op") in ("==", "in"):
                    holds = _port_in(match.get("right"), port) is not False
                    dport = _nft_text(match.get("right"))
                    if not holds:
                        break
                    continue
                others.append("%s %s%s" % (_nft_text(left), "" if match.get("op") in ("==", "in") else
                                           match.get("op") + " ", _nft_text(match.get("right"))))
            elif isinstance(expr, dict):
                for name in VERDICTS:
                    if name in expr:
                        verdict = name
                        if name in ("jump", "goto"):
                            verdict = "%s %s" % (name, (expr[name] or {}).get("target"))
        if holds and verdict:
            where = "%s %s %s" % (rule.get("family"), rule.get("table"), rule.get("chain"))
            rules.append({"table": "%s %s" % (rule.get("family"), rule.get("table")), "chain": rule.get("chain"),
                          "verdict": verdict, "conditional": bool(others),
                          "text": "%s: %stcp dport %s %s" % (where, "".join(o + " " for o in others), dport, verdict)})
    return {"rules": rules, "input_drop": input_drop}


def nftables_facts(root, port, nft=None, systemctl=None):
    """The role's table inet rtvs (linux_firewall.read_table), its unit, and the host's own rules about the port."""
    facts = {"installed": root.exists(linux_firewall.NFT), "table": None, "unit": None, "unit_file": False,
             "rules": [], "input_drop": [], "error": None}
    facts["unit_file"] = root.exists(linux_firewall.UNIT_FILE)
    if facts["unit_file"] and systemctl is not None:
        facts["unit"] = systemctl(["is-active", linux_firewall.UNIT_NAME]) or "unknown"
    if not facts["installed"] or nft is None:
        return facts
    facts["table"] = linux_firewall.read_table(nft)
    rc, out, err = nft(["-j", "list", "ruleset"])
    if rc != 0:
        facts["error"] = ((err or "").strip().splitlines() or ["nft exited with %s" % rc])[0]
        return facts
    try:
        facts.update(nft_port_rules(out, port))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        facts["error"] = "nft -j list ruleset printed what the doctor cannot read (%s)" % exc
    return facts
