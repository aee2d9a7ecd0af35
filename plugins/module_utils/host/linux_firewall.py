# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall part of the linux_broker plan: which firewall limits the broker port to rtvs_allowed_sources,
and what it has to add or remove (issue 14, M5).

Pure Python, no Ansible imports. Two backends:

- **ufw**, when it is installed and active: one ``allow`` rule per source (ufw compares its own rules; the
  plan reads ufw's saved rules to skip the step, and removes the allow-from-anywhere rule of a run without
  sources);
- **nftables**, when ufw is not active and the ``nft`` command exists (Debian 12, Ubuntu 22.04 and later): the
  role's own table ``inet rtvs`` (never the host's other tables), written to ``/etc/rtvs/firewall.nft`` and
  loaded at boot by ``rtvs-firewall.service`` (Debian's nftables.service loads only /etc/nftables.conf and
  flushes the whole ruleset, so the unit runs after it and again when it is restarted or reloaded). TCP to the
  port from any address outside the sources (loopback aside) gets a TCP reset.

``rtvs_linux_firewall_backend`` (``desired["firewall_backend"]``) picks one: ``auto`` (ufw when active, else
nftables when ``nft`` exists, else ufw's saved rules when ufw is installed, else a loud warning), ``ufw``,
``nftables`` or ``none`` (the role touches no firewall). A table ``inet rtvs`` the role made is removed when it
is no longer wanted (empty sources, or ufw took over).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import json

BACKENDS = ("auto", "ufw", "nftables", "none")
UFW = "/usr/sbin/ufw"
UFW_COMMENT = "rtvs.remote broker"  # the comment of the ufw rules this role adds (firewall.yml)
NFT = "/usr/sbin/nft"
FAMILY, TABLE = "inet", "rtvs"
NFT_FILE = "/etc/rtvs/firewall.nft"
UNIT_NAME = "rtvs-firewall.service"
UNIT_FILE = "/etc/systemd/system/" + UNIT_NAME
UNIT_WANTS = "/etc/systemd/system/sysinit.target.wants/" + UNIT_NAME
PATHS = (NFT_FILE, UNIT_FILE, UNIT_WANTS)
MARK = "rtvs.remote.linux_broker"
# chain -> number of rules of the table nft_ruleset writes (an observed table with other counts was edited)
CHAINS = {"input": 1, "broker_port": 4}
FORMAT = "1"  # bump when nft_ruleset changes, so tables loaded by an older role are replaced

UNIT = """# Managed by rtvs.remote.linux_broker: loads the nftables table inet rtvs that limits the RTVS broker port
# to rtvs_allowed_sources (/etc/rtvs/firewall.nft). Debian's nftables.service flushes the whole ruleset when it
# starts or reloads, so this unit runs after it and again whenever it is restarted or reloaded.
[Unit]
Description=rtvs.remote: limit the RTVS broker port to rtvs_allowed_sources (nftables table inet rtvs)
Wants=network-pre.target
Before=network-pre.target shutdown.target rtvsd.service
After=nftables.service
PartOf=nftables.service
ReloadPropagatedFrom=nftables.service
Conflicts=shutdown.target
DefaultDependencies=no

[Service]
Type=oneshot
RemainAfterExit=yes
StandardInput=null
ExecStart=/usr/sbin/nft -f /etc/rtvs/firewall.nft
ExecReload=/usr/sbin/nft -f /etc/rtvs/firewall.nft

[Install]
WantedBy=sysinit.target
"""


class SourceError(ValueError):
    """An entry of rtvs_allowed_sources is not an address or network."""


def sha1(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def networks(sources):
    """(IPv4, IPv6) networks of ``sources``, overlaps merged (nft refuses overlapping intervals), as strings.

    'any' stands for every address of both families (ufw's word). Raises SourceError naming a bad entry.
    """
    v4, v6 = [], []
    for source in sources or []:
        text = str(source).strip()
        if text.lower() == "any":
            v4.append(ipaddress.ip_network(u"0.0.0.0/0"))
            v6.append(ipaddress.ip_network(u"::/0"))
            continue
        try:
            net = ipaddress.ip_network(u"%s" % text, strict=False)
        except ValueError:
            raise SourceError("rtvs_allowed_sources: %r is not an IP address or network (like 10.20.0.0/16 or "
                              "2001:db8::/32); fix or remove it" % text)
        (v4 if net.version == 4 else v6).append(net)
    return ([str(n) for n in ipaddress.collapse_addresses(v4)], [str(n) for n in ipaddress.collapse_addresses(v6)])


def open_to_all(sources):
    """Whether ``sources`` let every address in (empty, or 0.0.0.0/0 and ::/0)."""
    if not sources:
        return True
    v4, v6 = networks(sources)
    return "0.0.0.0/0" in v4 and "::/0" in v6


def digest(port, v4, v6):
    return sha1("%s|%s|%s|%s" % (FORMAT, port, ",".join(v4), ",".join(v6)))[:16]


def _elements(nets):
    # a single address (/32, /128) is written as the address itself, as nft lists it
    shown = []
    for text in nets:
        net = ipaddress.ip_network(u"%s" % text)
        shown.append(str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net))
    return "\t\telements = { %s }\n" % ", ".join(shown) if shown else ""


def nft_ruleset(port, sources):
    """The text of /etc/rtvs/firewall.nft: the table inet rtvs, replaced as a whole in one transaction."""
    v4, v6 = networks(sources)
    return (
        "#!/usr/sbin/nft -f\n"
        "# Managed by rtvs.remote.linux_broker (rtvs_allowed_sources): TCP %(port)s only from the sources below\n"
        "# and loopback; other addresses get a TCP reset. The role's own table: the host's other tables and\n"
        "# rules are left alone (a drop elsewhere still applies). Loaded at boot by %(unit)s.\n"
        "table inet rtvs\n"
        "delete table inet rtvs\n"
        "table inet rtvs {\n"
        "\tset allowed4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n%(v4)s\t}\n"
        "\tset allowed6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n%(v6)s\t}\n"
        "\tchain input {\n"
        "\t\ttype filter hook input priority filter; policy accept;\n"
        "\t\ttcp dport %(port)s jump broker_port\n"
        "\t}\n"
        "\tchain broker_port {\n"
        "\t\tiif \"lo\" accept\n"
        "\t\tip saddr @allowed4 accept\n"
        "\t\tip6 saddr @allowed6 accept\n"
        "\t\treject with tcp reset comment \"%(mark)s %(digest)s\"\n"
        "\t}\n"
        "}\n"
    ) % {"port": int(port), "unit": UNIT_NAME, "v4": _elements(v4), "v6": _elements(v6), "mark": MARK,
         "digest": digest(port, v4, v6)}


def wanted_table(port, sources):
    """What ``nft -j list table inet rtvs`` shows (as parse_table reads it) once nft_ruleset is loaded."""
    v4, v6 = networks(sources)
    return {"present": True, "allowed": sorted(v4 + v6), "chains": dict(CHAINS), "digest": digest(port, v4, v6)}


# ---------------------------------------------------------------- observation (the host side)


def _element_networks(elem):
    if isinstance(elem, dict) and "elem" in elem:  # an element with options (timeout, comment)
        return _element_networks(elem["elem"].get("val"))
    if isinstance(elem, dict) and "prefix" in elem:
        return [ipaddress.ip_network(u"%s/%s" % (elem["prefix"]["addr"], elem["prefix"]["len"]), strict=False)]
    if isinstance(elem, dict) and "range" in elem:
        low, high = [ipaddress.ip_address(u"%s" % a) for a in elem["range"]]
        return list(ipaddress.summarize_address_range(low, high))
    return [ipaddress.ip_network(u"%s" % elem, strict=False)]


def parse_table(text):
    """``nft -j list table inet rtvs`` -> {present, allowed, chains, digest} (digest None when no rule carries it)."""
    items = json.loads(text).get("nftables") or []
    allowed4, allowed6, chains, found = [], [], {}, None
    for item in items:
        if "set" in item:
            nets = []
            for elem in item["set"].get("elem") or []:
                nets.extend(_element_networks(elem))
            (allowed4 if item["set"].get("name") == "allowed4" else allowed6).extend(
                n for n in nets if item["set"].get("name") in ("allowed4", "allowed6"))
        elif "chain" in item:
            chains.setdefault(item["chain"].get("name"), 0)
        elif "rule" in item:
            rule = item["rule"]
            chains[rule.get("chain")] = chains.get(rule.get("chain"), 0) + 1
            comment = rule.get("comment") or ""
            if comment.startswith(MARK + " "):
                found = comment[len(MARK) + 1:]
    allowed = [str(n) for n in ipaddress.collapse_addresses([n for n in allowed4 if n.version == 4])]
    allowed += [str(n) for n in ipaddress.collapse_addresses([n for n in allowed6 if n.version == 6])]
    return {"present": True, "allowed": sorted(allowed), "chains": chains, "digest": found}


def read_table(run):
    """The table inet rtvs as the kernel has it: run(args) -> (rc, stdout, stderr) runs nft.

    {present: False} when there is none, {present: None, error} when nft cannot tell (no CAP_NET_ADMIN ...).
    """
    rc, out, err = run(["-j", "list", "table", FAMILY, TABLE])
    if rc == 0:
        try:
            return parse_table(out)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return {"present": None, "error": "nft -j printed what this role cannot read (%s)" % exc}
    if "No such file or directory" in (err or ""):
        return {"present": False}
    first = ((err or "").strip().splitlines() or ["nft exited with %s" % rc])[0]
    return {"present": None, "error": first}


# ---------------------------------------------------------------- decisions (the plan)


def _step(pending, why, runnable=True, check_mode=False):
    todo = pending is not False and (runnable or not check_mode)
    return {"pending": pending, "todo": bool(todo), "why": why}


def _skip(why):
    return {"pending": False, "todo": False, "why": why}


STEPS = ("firewall", "firewall_open", "firewall_stale", "nftables_files", "nftables_enable", "nftables_load",
         "nftables_remove", "nftables_remove_files")


def choose_backend(desired, state):
    """(backend, reason, error): the firewall that enforces rtvs_allowed_sources on this host, or 'none'."""
    wish = desired.get("firewall_backend") or "auto"
    if wish not in BACKENDS:
        return "none", "", ("rtvs_linux_firewall_backend must be one of %s (now %r)." % (", ".join(BACKENDS), wish))
    if not desired.get("firewall", True):
        return "none", "rtvs_linux_firewall_manage is false", None
    if wish == "none":
        return "none", "rtvs_linux_firewall_backend is none", None
    ufw, ufw_active, nft = state.get("ufw"), state.get("ufw") and state.get("ufw_enabled", True), state.get("nft")
    if wish == "ufw":
        if not ufw:
            return "none", "", ("rtvs_linux_firewall_backend=ufw, but ufw is not installed on this host. Install ufw "
                                "(apt-get install ufw; allow SSH before enabling it), or set "
                                "rtvs_linux_firewall_backend to auto or nftables.")
        return "ufw", "rtvs_linux_firewall_backend is ufw", None
    if wish == "nftables" or (not ufw_active and nft):
        if not nft:
            return "none", "", ("rtvs_linux_firewall_backend=nftables, but the nft command is not on this host. "
                                "Install it (apt-get install nftables), or set rtvs_linux_firewall_backend to auto "
                                "or ufw.")
        return "nftables", "rtvs_linux_firewall_backend is %s" % wish, None
    if ufw:
        return "ufw", "ufw is installed", None
    return "none", "neither ufw nor nftables (the nft command) is installed", None


def plan(desired, state, path_of, check=False):
    """{steps, errors, warnings, facts} of the firewall; ``path_of(path)`` gives linux_host_info's path facts."""
    port = desired.get("port")
    sources = list(desired.get("allowed_sources") or [])
    steps, errors, warnings = {}, [], []
    backend, reason, error = choose_backend(desired, state)
    if error:
        errors.append(error)
    try:
        v4, v6 = networks(sources)
        everyone = open_to_all(sources)
    except SourceError as exc:
        errors.append(str(exc))
        v4, v6, everyone, backend = [], [], True, "none"
    table = state.get("nft_table") or {"present": False}
    unreadable = False
    if backend == "nftables" and table.get("present") is None and table.get("error"):
        message = ("nft cannot read the table inet rtvs on this host (%s), so the role cannot limit TCP %s with "
                   "nftables. Run as root with the capability to change the firewall (CAP_NET_ADMIN; a container "
                   "needs --cap-add NET_ADMIN), or set rtvs_linux_firewall_backend to ufw or none."
                   % (table["error"], port))
        if desired.get("firewall_backend") == "nftables":
            errors.append(message)
        else:
            warnings.append(message)
        backend, unreadable = "none", True

    # ---- ufw (compares its rules itself; the saved rules let a converged host skip the step)
    if backend == "ufw":
        wanted_sources = sources or ["0.0.0.0/0"]
        wanted = ["allow tcp %s %s in" % (port, "0.0.0.0/0" if src == "any" else src) for src in wanted_sources]
        missing = [w.split()[3] for w in wanted if w not in (state.get("ufw_rules") or [])]
        steps["firewall"] = _step(True, "ufw does not allow TCP %s from %s" % (port, ", ".join(missing))) \
            if missing else _skip("ufw allows TCP %s from %s" % (port, ", ".join(wanted_sources)))
        # a run with empty rtvs_allowed_sources allowed the port from anywhere; once sources are set that rule goes
        open_rule = "allow tcp %s 0.0.0.0/0 in" % port
        open_wanted = any(w.split()[3] == "0.0.0.0/0" for w in wanted)
        if not open_wanted and open_rule in (state.get("ufw_rules") or []):
            steps["firewall_open"] = _step(True, "ufw still allows TCP %s from every address, although "
                                           "rtvs_allowed_sources is set" % port)
        else:
            steps["firewall_open"] = _skip("no allow-from-anywhere rule to remove")
        # rules this role made (its comment) for sources no longer listed go too; from anywhere is firewall_open's
        wanted_from = set(w.split()[3] for w in wanted)
        stale = []
        for rule in state.get("ufw_rules_ours") or []:
            parts = rule.split()
            if parts[:3] == ["allow", "tcp", str(port)] and parts[3] not in wanted_from | {"0.0.0.0/0", "::/0"} \
                    and parts[3] not in stale:
                stale.append(parts[3])
        steps["firewall_stale"] = _step(True, "ufw rules of this role still allow TCP %s from %s, no longer in "
                                        "rtvs_allowed_sources" % (port, ", ".join(stale))) if stale \
            else _skip("no rule of this role for a source no longer listed")
    else:
        stale = []
        steps["firewall"] = _skip("ufw is not the firewall used (%s)" % (reason or backend))
        steps["firewall_open"] = _skip("ufw is not the firewall used")
        steps["firewall_stale"] = _skip("ufw is not the firewall used")

    # ---- nftables: the role's own table inet rtvs, its file and the unit that loads it at boot
    nft_wanted = backend == "nftables" and not everyone
    facts = {"backend": backend, "reason": reason, "nftables": None, "ufw_stale": stale}
    file_seen, unit_seen, wants_seen = path_of(NFT_FILE), path_of(UNIT_FILE), path_of(UNIT_WANTS)
    if nft_wanted:
        content = nft_ruleset(port, sources)
        facts["nftables"] = {"file": NFT_FILE, "content": content, "unit": UNIT_FILE, "unit_content": UNIT,
                             "unit_name": UNIT_NAME}
        files_differ = [p for p, seen, text in ((NFT_FILE, file_seen, content), (UNIT_FILE, unit_seen, UNIT))
                        if [seen.get("checksum"), seen.get("owner"), seen.get("group"), seen.get("mode")]
                        != [sha1(text), "root", "root", "0644"]]
        folder_ready = path_of("/etc/rtvs").get("isdir")
        if files_differ:
            ending = "s" if len(files_differ) == 1 else ""
            steps["nftables_files"] = _step(True, "%s differ%s" % (", ".join(files_differ), ending), folder_ready, check)
        else:
            steps["nftables_files"] = _skip("%s and %s as wanted" % (NFT_FILE, UNIT_FILE))
        unit_new = UNIT_FILE in files_differ
        if unit_new or not wants_seen.get("exists"):
            state_text = "new or changed" if unit_new else "not enabled at boot"
            steps["nftables_enable"] = _step(True, "%s is %s" % (UNIT_NAME, state_text),
                                             unit_seen.get("exists") and not unit_new, check)
        else:
            steps["nftables_enable"] = _skip("%s enabled at boot" % UNIT_NAME)
        want = wanted_table(port, sources)
        seen = dict((k, table.get(k)) for k in want) if table.get("present") else {"present": False}
        # loaded by starting the unit, so that a restart or reload of nftables.service (PartOf) loads it again
        unit_active = state.get("nft_unit_active")
        if seen != want or (unit_active is not None and unit_active != "active"):
            if not table.get("present"):
                why = "the table inet rtvs is not loaded"
            elif table.get("allowed") != want["allowed"]:
                why = "the table inet rtvs allows %s, wanted %s" % (
                    ", ".join(table.get("allowed") or []) or "nothing", ", ".join(want["allowed"]))
            elif seen != want:
                why = "the table inet rtvs was changed outside this role"
            else:
                why = "%s is %s, so a restart of nftables.service would not load the table again" % (UNIT_NAME, unit_active)
            steps["nftables_load"] = _step(True, why, not files_differ and unit_seen.get("exists"), check)
        else:
            steps["nftables_load"] = _skip("the table inet rtvs allows TCP %s from %s" % (port, ", ".join(v4 + v6)))
    else:
        for name in ("nftables_files", "nftables_enable", "nftables_load"):
            steps[name] = _skip("nftables is not used to limit the port")
    # a table or files this role made that no longer match what is wanted go (sources emptied, ufw took over)
    managed = backend != "none" or reason == "neither ufw nor nftables (the nft command) is installed"
    leftover_files = [p for p, seen in ((NFT_FILE, file_seen), (UNIT_FILE, unit_seen), (UNIT_WANTS, wants_seen))
                      if seen.get("exists")]
    if managed and not nft_wanted and table.get("present"):
        steps["nftables_remove"] = _step(True, "the table inet rtvs is no longer wanted (%s)"
                                         % ("rtvs_allowed_sources lets every address in" if everyone
                                            else "the firewall used is %s" % backend), True, check)
    else:
        steps["nftables_remove"] = _skip("no table inet rtvs to remove")
    if managed and not nft_wanted and leftover_files:
        steps["nftables_remove_files"] = _step(True, "no longer wanted: %s" % ", ".join(leftover_files))
        facts["remove_files"] = leftover_files
    else:
        steps["nftables_remove_files"] = _skip("no file of the nftables table to remove")
        facts["remove_files"] = []

    # ---- rtvs_allowed_sources set where nothing enforces them: said loudly (issue 14, M5)
    enforced = (backend == "ufw" and state.get("ufw_enabled", True)) or backend == "nftables"
    if sources and not everyone and not enforced and not errors and not unreadable:
        if backend == "ufw":
            state_text = "ufw is inactive"
        elif reason.startswith("rtvs_linux_firewall"):
            state_text = "%s (this role manages no firewall)" % reason
        elif reason.startswith("neither"):
            state_text = "ufw is not installed and neither is nftables (the nft command)"
        else:
            state_text = "the firewall could not be used"
        warnings.append("rtvs_allowed_sources is set, but %s, so nothing limits TCP %s: it accepts every address. "
                        "Install nftables (apt-get install nftables; the role then adds its own table inet rtvs), or "
                        "install and enable ufw (allow SSH first), or limit the port in the host's own firewall "
                        "(iptables, a security group) to %s."
                        % (state_text, port, ", ".join(sources)))
    facts["enforced"] = bool(enforced and sources and not everyone)
    return {"steps": steps, "errors": errors, "warnings": warnings, "facts": facts}
