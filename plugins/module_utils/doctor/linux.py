# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's Linux host checks (facts from rtvs.remote.broker_info), and the R checks both platforms share."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules
from ansible_collections.rtvs.remote.plugins.module_utils.broker.broker_rules import R_SUPPORTED_TEXT
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.common import (
    _broker,
    _lines,
    _missing,
    _opt,
    _port,
    fail,
    LINUX,
    ok,
    skip,
    warn,
    WINDOWS,
)
from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_firewall
from ansible_collections.rtvs.remote.plugins.module_utils.doctor.windows import (
    _check_windows_firewall,
)


# ---------------------------------------------------------------- Linux host checks


def check_rtvsd_installed(facts):
    svc = _broker(facts, "service")
    if svc is None:
        return _missing(facts) or skip("service facts missing")
    if svc.get("installed"):
        return ok("unit %s installed (%s)" % (svc.get("name"), svc.get("unit_path")))
    return fail(
        "no %s.service unit found" % svc.get("name"),
        "Install the rtvs-daemon package (rtvs-install or the broker role).",
    )


def check_rtvsd_enabled(facts):
    svc = _broker(facts, "service")
    if not svc or not svc.get("installed"):
        return skip("unit not installed")
    state = svc.get("enabled")
    if state in ("enabled", "enabled-runtime", "alias", "linked"):
        return ok("systemctl is-enabled: %s" % state)
    return fail(
        "systemctl is-enabled: %s" % state,
        "Enable it: systemctl enable rtvsd.",
    )


def check_rtvsd_wanted_at_boot(facts):
    svc = _broker(facts, "service")
    if not svc or not svc.get("installed"):
        return skip("unit not installed")
    wanted_by = svc.get("wanted_by") or []
    links = svc.get("wanted_links") or []
    if links:
        return ok("started at boot through %s (WantedBy=%s)" % (", ".join(links), ",".join(wanted_by) or "-"))
    if wanted_by:
        return fail(
            "WantedBy=%s is declared but no .wants link exists, so it does not start at boot" % ",".join(wanted_by),
            "Run systemctl enable rtvsd so systemd creates the .wants link.",
        )
    return fail(
        "the unit's [Install] section has no WantedBy (the shipped unit only has Alias=), so enable does not start it at boot",
        "Add a drop-in with [Install] WantedBy=multi-user.target and run systemctl reenable rtvsd.",
    )


def check_rtvsd_active(facts):
    svc = _broker(facts, "service")
    if not svc or not svc.get("installed"):
        return skip("unit not installed")
    state = svc.get("active")
    restarts = svc.get("n_restarts") or 0
    if restarts > 0 and not _broker(facts, "listening", "listening"):
        return fail(
            "rtvsd is restarting in a loop: systemd restarted it %d time(s) since it was last started "
            "(now %s/%s) and the port is not listening" % (restarts, state, svc.get("sub_state")),
            "Read the newest broker log (or journalctl -u rtvsd) for the start error and fix it, then systemctl restart rtvsd.",
        )
    if state == "active":
        return ok("systemctl is-active: active (%s)" % (svc.get("sub_state") or "running"))
    return fail(
        "systemctl is-active: %s" % state,
        "Start it (systemctl start rtvsd) and read the newest broker log if it stops again.",
    )


def check_config_parses(facts):
    cfg = _broker(facts, "config")
    if cfg is None:
        return _missing(facts) or skip("config facts missing")
    if not cfg.get("exists"):
        if facts.get("platform") == WINDOWS:
            return warn("%s does not exist; the broker runs on its defaults" % cfg.get("path"),
                        "Write the broker config (rerun the Windows broker role).")
        return fail("%s does not exist" % cfg.get("path"), "Write the broker config (rerun the broker role).")
    if cfg.get("parsed"):
        return ok("%s parses as JSON" % cfg.get("path"))
    return fail(
        "%s does not parse: %s" % (cfg.get("path"), cfg.get("error")),
        "Fix the JSON syntax of %s (or rerun the broker role, which validates it)." % cfg.get("path"),
    )


def check_config_server(facts):
    cfg = _broker(facts, "config")
    if not cfg or not cfg.get("parsed"):
        return skip("config not readable")
    problems = []
    fixes = []
    port = _port(facts)
    if cfg.get("port") != port:
        problems.append("urls %s listens on port %s, clients use %s" % (cfg.get("urls"), cfg.get("port"), port))
        fixes.append("set urls to https://0.0.0.0:%s" % port)
    if cfg.get("url_loopback"):
        problems.append("urls %s is a loopback host, which turns TLS off" % cfg.get("urls"))
        fixes.append("use https://0.0.0.0:%s" % port)
    if cfg.get("lifetime_keys"):
        problems.append("%s set: the daemon stops itself" % ", ".join(cfg["lifetime_keys"]))
        fixes.append("remove the lifetime section")
    if cfg.get("secret_set"):
        problems.append("security.secret set: it replaces the real login (local brokers only)")
        fixes.append("remove security.secret")
    if problems:
        return fail("; ".join(problems), "In %s: %s." % (cfg.get("path"), "; ".join(fixes)))
    return ok("urls %s, no lifetime or secret keys" % cfg.get("urls"))


def check_config_password(facts):
    cfg = _broker(facts, "config")
    if not cfg or not cfg.get("parsed"):
        return skip("config not readable")
    if cfg.get("password_is_default"):
        return warn(
            "X509CertificatePassword is the shipped default 'SnakeOil'",
            "Rebuild the PFX with a vaulted password (rtvs_pfx_password) and set it in the config.",
        )
    return ok("X509CertificatePassword %s" % ("set" if cfg.get("password_set") else "not set (PFX without password)"))


def check_snakeoil_pfx(facts):
    snake = _broker(facts, "snakeoil")
    if snake is None:
        return _missing(facts) or skip("snakeoil PFX facts missing")
    if not snake.get("exists"):
        return ok("%s is not on the host" % snake.get("path"))
    if snake.get("in_use"):
        return skip("the config names %s itself (see config_password)" % snake.get("path"))
    if snake.get("exposure"):
        return warn(
            "%s (the package's, password SnakeOil published) is readable by other accounts: %s, so any of them "
            "gets the host's snakeoil private key" % (snake.get("path"), snake["exposure"]),
            "Let only root read it: chown root:root %s && chmod 0600 %s (rerun the broker role, which does this); "
            "do not delete it, the package makes a new world-readable one when it is missing."
            % (snake.get("path"), snake.get("path")),
        )
    return ok("%s readable by root only (%s %s:%s)" % (snake.get("path"), snake.get("mode"), snake.get("owner"),
                                                       snake.get("group")))


def check_pfx_exists(facts):
    pfx = _broker(facts, "pfx")
    if pfx is None:
        return _missing(facts) or skip("PFX facts missing")
    if not _broker(facts, "config", "parsed"):
        return skip("config not readable, so the PFX path is unknown")
    if not pfx.get("path"):
        return fail(
            "security.X509CertificateFile is not set (X509CertificateName only searches the Root/CA stores on Linux)",
            "Set security.X509CertificateFile to a PFX readable by rtvssvc.",
        )
    if pfx.get("exists"):
        return ok("%s exists" % pfx["path"])
    return fail("%s does not exist" % pfx["path"], "Create the PFX (rerun the broker role) or fix X509CertificateFile.")


def check_pfx_opens(facts):
    pfx = _broker(facts, "pfx")
    if not pfx or not pfx.get("exists"):
        return skip("no PFX")
    if pfx.get("opens") is None:
        return skip("PFX not opened: %s" % (pfx.get("error") or "unknown"))
    if pfx.get("opens"):
        return ok("%s opens with the configured password" % pfx["path"])
    return fail(
        # the one wording of pfx.open_pfx, which names the file and the password it tried
        pfx.get("error") or "%s does not open with the configured X509CertificatePassword" % pfx["path"],
        "Set security.X509CertificatePassword to the PFX's password (rtvs_pfx_password) or rebuild the PFX with it.",
    )


def check_pfx_key_matches(facts):
    pfx = _broker(facts, "pfx")
    if not pfx or not pfx.get("opens"):
        return skip("PFX not opened")
    if not pfx.get("key_present"):
        return fail(
            "%s holds no private key" % pfx["path"],
            "Rebuild the PFX from the certificate and its private key (server mode SSL needs the key).",
        )
    if pfx.get("key_matches"):
        return ok("private key matches the certificate")
    return fail(
        "the private key in %s does not match its certificate" % pfx["path"],
        "Rebuild the PFX from the certificate and the key it was issued for.",
    )


def check_pfx_readable(facts):
    pfx = _broker(facts, "pfx")
    if not pfx or not pfx.get("exists"):
        return skip("no PFX")
    access = pfx.get("access") or {}
    account = access.get("account") or "rtvssvc"
    if not _broker(facts, "account", "exists"):
        return fail(
            "service account %s does not exist" % account,
            "Reinstall rtvs-daemon (its postinst creates %s) or create the system user." % account,
        )
    if access.get("can_read") is None:
        return skip("read access not determined: %s" % access.get("reason"))
    if access.get("can_read"):
        return ok("%s can read %s (%s)" % (account, pfx["path"], access.get("reason")))
    return fail(
        "%s cannot read %s: %s" % (account, pfx["path"], access.get("reason")),
        "Let %s read the PFX and traverse its folders (rtvs.remote.key_access), nobody else." % account,
    )


def check_pam_service(facts):
    pam = _broker(facts, "pam")
    if pam is None:
        return _missing(facts) or skip("PAM facts missing")
    if pam.get("exists"):
        return ok("%s exists" % pam.get("path"))
    return fail(
        "%s is missing, so PAM denies every login (401)" % pam.get("path"),
        "Restore /etc/pam.d/rtvs (common-auth, common-account, common-session-noninteractive) by reinstalling rtvs-daemon.",
    )


def check_allowed_group(facts):
    cfg = _broker(facts, "config")
    group = _broker(facts, "allowed_group")
    if not cfg or not cfg.get("parsed") or group is None:
        return skip("config not readable")
    name = group.get("name")
    if not cfg.get("allowed_group_set"):
        # Omitted key: the code default "Users" applies.
        if group.get("exists"):
            return ok("security.allowedGroup omitted; the default group %s exists" % name)
        return fail(
            "security.allowedGroup is omitted, so the code default %r applies and no such group exists" % name,
            'Set security.allowedGroup to an existing group (rtvs_allowed_group) or to "" for no group check.',
        )
    if name == "":
        return ok('security.allowedGroup is "": no group check, any account with a password may log in')
    if group.get("exists"):
        return ok("allowed group %s exists (gid %s)" % (name, group.get("gid")))
    return fail(
        "security.allowedGroup is %r but no such group exists, so every login fails (401)" % name,
        "Create group %s and add the R users to it (rtvs_allowed_group, rtvs_users), or fix the name." % name,
    )


def check_allowed_users(facts):
    group = _broker(facts, "allowed_group")
    if not group or not group.get("exists"):
        return skip("no allowed group to inspect")
    members = group.get("members") or []
    if not members:
        return warn(
            "group %s has no members, so nobody can log in" % group.get("name"),
            "Add the R users to %s (rtvs_users)." % group.get("name"),
        )
    no_password = [m["name"] for m in members if m.get("password_set") is False]
    unknown = [m["name"] for m in members if m.get("password_set") is None]
    no_home = [m["name"] for m in members if not m.get("home_exists")]
    problems = []
    if no_password:
        problems.append("no password: %s" % ", ".join(no_password))
    if no_home:
        problems.append("no home folder: %s" % ", ".join(no_home))
    if problems:
        return fail(
            "members of %s: %s" % (group.get("name"), "; ".join(problems)),
            "Give each R user a password (SSH keys alone do not work) and an existing home folder.",
        )
    if unknown:
        return skip("passwords of %s not known: /etc/shadow was not readable (gather with become)" % ", ".join(unknown))
    return ok("%d member(s) of %s, all with password and home: %s" % (
        len(members), group.get("name"), ", ".join(m["name"] for m in members)))


def _r_label(install):
    return "%s %s" % (install.get("name") or install.get("path") or "R", install.get("version"))


def check_r_installed(facts):
    installs = _broker(facts, "r_installs")
    if installs is None:
        return _missing(facts) \
            or skip("R facts missing")
    if installs:
        return ok("R registered: %s" % ", ".join(_r_label(i) for i in installs))
    if facts.get("platform") == LINUX:
        return fail(
            "no R registered in /var/lib/dpkg/status (r-base-core or microsoft-r-open-mro*), which is where the broker looks",
            "Install R %s as a package (r-base-core) and restart rtvsd." % R_SUPPORTED_TEXT,
        )
    return fail(
        "no R registered under HKLM\\SOFTWARE\\R-core",
        "Install R %s (CRAN R for Windows or Microsoft R Open) and restart the broker." % R_SUPPORTED_TEXT,
    )


def check_r_version(facts):
    installs = _broker(facts, "r_installs") or []
    if not installs:
        return skip("no R installed")
    good = [i for i in installs if broker_rules.r_supported(i.get("version"))]
    if good:
        return ok("R in the broker's %s range: %s" % (R_SUPPORTED_TEXT, ", ".join(_r_label(i) for i in good)))
    evidence = "no R in the broker's %s range (found %s); the broker rejects R 4.x" % (
        R_SUPPORTED_TEXT, ", ".join(_r_label(i) for i in installs))
    fix = "Install an R 3.x (%s) next to it; RTVS is unsupported and never accepted R 4." % R_SUPPORTED_TEXT
    if _opt(facts, "require_supported_r"):
        return fail(evidence, fix)
    return warn(evidence, fix)


def check_port_listening(facts):
    listen = _broker(facts, "listening")
    if listen is None:
        return _missing(facts) or skip("socket facts missing")
    if listen.get("listening"):
        return ok("TCP %s listening on %s" % (listen.get("port"), ", ".join(listen.get("addresses") or [])))
    return fail(
        "nothing listens on TCP %s on the host" % listen.get("port"),
        "Start the broker and check that urls in its config uses port %s." % listen.get("port"),
    )


def _nft_host_rules(nft, port):
    """(blocks, limits): what the host's own nftables rules (outside the table inet rtvs) do to TCP ``port``.

    A rule or an input chain's drop policy that drops every address is a block; accept rules that match more
    than the port (a source address) in a table that drops the rest limit the port to those addresses.
    """
    rules = nft.get("rules") or []
    limited = set(r["table"] for r in rules if r.get("verdict") == "accept" and r.get("conditional"))
    accepted = set(r["table"] for r in rules if r.get("verdict") == "accept")
    blocks = [r["text"] for r in rules if r.get("verdict") in ("drop", "reject") and not r.get("conditional")
              and r["table"] not in limited]
    blocks += ["%s: policy drop, and no rule of its table accepts TCP %s" % (chain, port)
               for chain in nft.get("input_drop") or [] if " ".join(chain.split()[:2]) not in accepted]
    limits = [r["text"] for r in rules if r.get("verdict") == "accept" and r.get("conditional")
              and any(o.get("table") == r["table"] and o.get("verdict") in ("drop", "reject") for o in rules)]
    return blocks, limits


def _check_nft_table(table, nft, port, sources):
    """The role's table inet rtvs is loaded: ok naming its sources, warn where it differs or would not survive."""
    allowed = ", ".join(table.get("allowed") or []) or "no address"
    if sources is not None:
        try:
            v4, v6 = linux_firewall.networks(sources)
            wanted = sorted(v4 + v6)
        except linux_firewall.SourceError as exc:
            return warn("the table inet rtvs allows TCP %s from %s; %s" % (port, allowed, exc),
                        "Correct rtvs_allowed_sources and run the rtvs.remote.linux_broker role again.")
        if wanted != sorted(table.get("allowed") or []):
            return warn(
                "the nftables table inet rtvs allows TCP %s from %s, but rtvs_allowed_sources is %s"
                % (port, allowed, ", ".join(sources) or "empty (every address)"),
                "Run the rtvs.remote.linux_broker role again: it loads the table from rtvs_allowed_sources "
                "(or removes it when they are empty).")
    try:
        marked = linux_firewall.digest(port, *linux_firewall.networks(table.get("allowed")))
    except linux_firewall.SourceError:
        marked = None
    if table.get("chains") != linux_firewall.CHAINS or table.get("digest") != marked:
        return warn(
            "the nftables table inet rtvs allows TCP %s from %s, but was changed outside rtvs.remote or loaded for "
            "another port (chains and rule counts %s; mark %s)"
            % (port, allowed, ", ".join("%s: %s" % kv for kv in sorted((table.get("chains") or {}).items())),
               table.get("digest") or "missing"),
            "Run the rtvs.remote.linux_broker role again to load the table it writes (/etc/rtvs/firewall.nft).")
    unit = nft.get("unit") if nft.get("unit_file") else "not installed"
    if unit != "active":
        return warn(
            "the nftables table inet rtvs allows TCP %s from %s, but %s is %s, so a reboot or a restart of "
            "nftables.service loses the table and the port is open to every address"
            % (port, allowed, linux_firewall.UNIT_NAME, unit or "unknown"),
            "Run systemctl enable --now %s, or run the rtvs.remote.linux_broker role again."
            % linux_firewall.UNIT_NAME)
    blocks, _limits = _nft_host_rules(nft, port)
    if blocks:
        return fail(
            "the nftables table inet rtvs allows TCP %s from %s, but the host's own rules drop it for every "
            "address: %s" % (port, allowed, _lines(blocks, 3)),
            "Accept TCP %s from the client networks in those tables too (a drop in any table wins), e.g. "
            "nft insert rule <family> <table> <chain> tcp dport %s accept." % (port, port))
    return ok("nftables table inet rtvs (%s active) allows TCP %s only from %s and loopback; other addresses "
              "get a TCP reset" % (linux_firewall.UNIT_NAME, port, allowed))


def check_firewall(facts):
    """ufw when active; else the role's nftables table inet rtvs; else the host's own nftables rules about the
    port; else nothing limits the port (a warning when rtvs_allowed_sources asks for a limit)."""
    if facts.get("platform") == WINDOWS:
        return _check_windows_firewall(facts)
    ufw = _broker(facts, "ufw")
    if ufw is None:
        return _missing(facts) or skip("firewall facts missing")
    port = ufw.get("port") or _port(facts)
    if ufw.get("enabled"):
        if ufw.get("port_allowed"):
            return ok("ufw allows TCP %s: %s" % (port, ufw.get("rule") or "default incoming policy"))
        return fail(
            "ufw blocks TCP %s: %s" % (port, ufw.get("rule") or "default incoming policy %s" % ufw.get("default_input")),
            "Allow it: ufw allow proto tcp to any port %s (from the client networks only)." % port,
        )
    sources = _opt(facts, "allowed_sources")
    nft = _broker(facts, "nftables") or {}
    table = nft.get("table") or {}
    if table.get("present"):
        return _check_nft_table(table, nft, port, sources)
    seen = ["ufw installed but inactive" if ufw.get("installed") else "ufw not installed"]
    if not nft.get("installed"):
        seen.append("nftables (the nft command) not installed")
    elif table.get("present") is None and (table.get("error") or nft.get("error")):
        seen.append("nft could not be read: %s" % (table.get("error") or nft.get("error")))
    elif nft.get("error"):
        seen.append("no table inet rtvs; the ruleset could not be read: %s" % nft["error"])
    else:
        seen.append("no nftables table inet rtvs")
    blocks, limits = _nft_host_rules(nft, port)
    if blocks:
        return fail(
            "the host's own nftables rules drop TCP %s for every address (%s): %s" % (port, "; ".join(seen), _lines(blocks, 3)),
            "Accept TCP %s from the client networks in that table (a drop in any table wins), e.g. nft insert rule "
            "<family> <table> <chain> ip saddr <client network> tcp dport %s accept, or let the "
            "rtvs.remote.linux_broker role limit the port (rtvs_allowed_sources)." % (port, port))
    if limits:
        return ok("the host's own nftables rules limit TCP %s (%s): %s" % (port, "; ".join(seen), _lines(limits, 3)))
    try:
        limited = bool(sources) and not linux_firewall.open_to_all(sources)
    except linux_firewall.SourceError:
        limited = bool(sources)
    if limited:
        return warn(
            "rtvs_allowed_sources is %s, but nothing on the host limits TCP %s (%s; no nftables or ufw rule "
            "about the port read), so every address reaches the broker" % (", ".join(sources), port, "; ".join(seen)),
            "Run the rtvs.remote.linux_broker role with rtvs_linux_firewall_backend: nftables (apt-get install "
            "nftables first) or ufw (installed and enabled, SSH allowed first), or limit the port in the network's "
            "own firewall.")
    return ok("no host firewall limits TCP %s (%s)" % (port, "; ".join(seen)))


def check_broker_log(facts):
    logs = _broker(facts, "logs")
    if logs is None:
        return _missing(facts) \
            or skip("log facts missing")
    newest = logs.get("newest")
    if logs.get("skipped"):  # a link or a file of another account where the broker writes its logs
        return warn(
            "not read, as they could expose another file: %s" % _lines(logs["skipped"], 3),
            "Remove these from the log folder: the broker writes its logs as regular files owned by its account; "
            "a link or another owner there means someone else put them.",
        )
    if not newest:
        return ok("no broker log in %s%s" % (logs.get("folder"), " (%s)" % logs["error"] if logs.get("error") else ""))
    errors = logs.get("error_lines") or []
    if errors:
        return warn(
            "newest log %s (%s) has error lines: %s" % (newest.get("path"), newest.get("last_write_time"), _lines(errors, 3)),
            "Read the newest broker log; its error lines name what failed at start or at login.",
        )
    return ok("newest log %s (%s) has no error lines" % (newest.get("path"), newest.get("last_write_time")))
