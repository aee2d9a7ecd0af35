# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's check table: every troubleshooting item as data, plus the report.

Pure Python, no Ansible imports: the filter ``rtvs.remote.doctor_report`` calls
:func:`evaluate` on the controller and unit tests call it with recorded facts.

Input (one host)::

    {
      "host": "rtvs1",                 # inventory name
      "platform": "linux" | "windows",
      "options": {"fqdn": ..., "port": 5444, "expiry_warn_days": 30,
                  "require_supported_r": False, "credentials_given": False,
                  "now": "2026-01-01T00:00:00Z" (optional)},
      "probe":  {...},   # rtvs.remote.tls_probe result (controller side)
      "broker": {...},   # rtvs.remote.broker_facts (Linux) or rtvs.remote.win_broker_info (Windows)
      "unreachable": False,            # Ansible could not reach the host
    }

Each check answers ``ok``, ``warn`` or ``fail`` with the evidence and a one
sentence fix, citing the FAQ item it comes from (a question of the seed's
Troubleshooting section, a microsoft/RTVS issue, or rtvs-facts.md).  Two more
statuses keep the report honest:

- ``skip``: the facts a check needs were not gathered (the evidence says why);
- a check that fails while one of its prerequisites (``after``) failed is
  reported as ``skip`` with ``cause`` naming that prerequisite, so a broken
  host names its root cause once instead of every consequence.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import re

from ansible_collections.rtvs.remote.plugins.module_utils import broker_rules, doctor_checks_tls
from ansible_collections.rtvs.remote.plugins.module_utils.broker_rules import R_SUPPORTED_TEXT, ci_get

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
STATUSES = (FAIL, WARN, OK, SKIP)

LINUX, WINDOWS, CONTROLLER = "linux", "windows", "controller"

# Seed FAQ questions (Troubleshooting section of the seed document).
FAQ_NOT_RESPONDING = "seed FAQ: The R server computer is not responding"
FAQ_SERVICE_NOT_RUNNING = "seed FAQ: remote computer is on, but the service is not running"
FAQ_401 = "seed FAQ: 401 Access denied"
FAQ_404 = "seed FAQ: 404 Not found"
FAQ_OUTBOUND = "seed FAQ: can't access internet/resource from the R interactive window"
FAQ_LOGS = "seed FAQ: tried all these solutions (log files)"
SEED_SELF_SIGNED = "seed: self-signed certificate causes RTVS to issue warnings"
SEED_LINUX_CONFIG = "seed: Configure RTVS daemon (rtvsd.config.json)"


def rtvs_issue(number):
    return "microsoft/RTVS#%d" % number


def facts_ref(section):
    return "rtvs-facts.md %s" % section


# ---------------------------------------------------------------- results


def ok(evidence):
    return (OK, evidence, "")


def warn(evidence, fix):
    return (WARN, evidence, fix)


def fail(evidence, fix):
    return (FAIL, evidence, fix)


def skip(evidence):
    return (SKIP, evidence, "")


class Check(object):
    """One row of the table: what is checked, where it applies, where it comes from, how it is judged."""

    def __init__(self, id, title, applies, faq, evaluate, after=()):
        self.id = id
        self.title = title
        self.applies = tuple(applies)
        self.faq = tuple(faq)
        self.evaluate = evaluate
        self.after = tuple(after)

    def applies_to(self, platform):
        return platform in self.applies or CONTROLLER in self.applies


# ---------------------------------------------------------------- helpers


def _get(data, *path):
    """Nested .get() that tolerates missing levels and None."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _probe(facts, *path):
    return _get(facts.get("probe"), *path)


def _broker(facts, *path):
    return _get(facts.get("broker"), *path)


def _opt(facts, name, default=None):
    value = _get(facts.get("options"), name)
    return default if value is None else value


def _now(facts):
    text = _opt(facts, "now")
    if text:
        return parse_time(text)
    return datetime.datetime.now(datetime.timezone.utc)


def parse_time(text):
    """ISO 8601 (as certs.iso() and PowerShell's 'o' format write it) to an aware UTC datetime."""
    text = str(text).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # PowerShell's round-trip format has 7 fractional digits; Python takes 6.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def _fqdn(facts):
    return _opt(facts, "fqdn") or facts.get("host")


def _port(facts):
    return int(_opt(facts, "port", 5444))


def _lines(items, limit=5):
    items = list(items or [])
    text = "; ".join(str(i) for i in items[-limit:])
    return text


# ---------------------------------------------------------------- controller checks (any OS)


def check_host_reachable(facts):
    if facts.get("unreachable"):
        return fail(
            "Ansible could not reach the host: %s"
            % (facts.get("gather_error") or facts.get("unreachable_msg") or "unreachable"),
            "Make sure the computer is running and reachable (ping it), then rerun the doctor.",
        )
    if not facts.get("broker"):
        return fail(
            "no broker facts were gathered from the host: %s" % (facts.get("gather_error") or "the gathering task did not run"),
            "Fix the error of the fact-gathering task (shown above in the run) and rerun the doctor.",
        )
    return ok("Ansible reached the host and gathered broker facts")


def check_name_resolves(facts):
    resolve = _probe(facts, "resolve")
    if not resolve:
        return skip("no TLS probe was run")
    name = _probe(facts, "name")
    if resolve.get("ok"):
        return ok("%s resolves to %s" % (name, ", ".join(resolve.get("addresses") or [])))
    if _probe(facts, "address_given"):
        return warn(
            "%s does not resolve from the controller (%s); probed the host's address %s instead"
            % (name, resolve.get("error"), _probe(facts, "tcp", "address")),
            "Add a DNS record (or a hosts-file entry on every client) for %s pointing to %s, so clients can "
            "connect by the name the certificate covers." % (name, _probe(facts, "tcp", "address")),
        )
    return fail(
        "%s does not resolve from the controller: %s" % (name, resolve.get("error")),
        "Add %s to DNS (or the clients' hosts file) so the name clients use resolves to the server." % name,
    )


def check_tcp_connect(facts):
    tcp = _probe(facts, "tcp")
    if not tcp:
        return skip("no TLS probe was run")
    target = "%s:%s" % (tcp.get("address") or _probe(facts, "name"), _probe(facts, "port"))
    if tcp.get("ok"):
        return ok("TCP connect to %s succeeded" % target)
    if tcp.get("address") is None and not _probe(facts, "resolve", "ok"):
        return skip("no address to connect to (name did not resolve)")
    return fail(
        "TCP connect to %s failed: %s" % (target, tcp.get("error")),
        "Start the broker and open TCP %s inbound on the host and any network firewall (Azure NSG) in between."
        % _probe(facts, "port"),
    )


def check_tls_handshake(facts):
    tls = _probe(facts, "tls")
    if not tls or not _probe(facts, "tcp", "ok"):
        return skip("no TCP connection, so no TLS handshake was tried")
    if tls.get("ok"):
        return ok("TLS handshake succeeded (%s, %s)" % (tls.get("version"), tls.get("cipher")))
    return fail(
        "TLS 1.2 handshake failed: %s" % tls.get("error"),
        "Give the broker a certificate with its private key it can read (TLS 1.2, RSA); see its log for the load error.",
    )


def _served_or_installed_certificate(facts):
    """(certificate summary, where) from the probe, else from the host's PFX/store facts."""
    cert = _probe(facts, "certificate")
    if cert:
        return cert, "served on %s:%s" % (_probe(facts, "name"), _probe(facts, "port"))
    if facts.get("platform") == LINUX:
        cert = _broker(facts, "pfx", "certificate")
        if cert:
            return cert, "in %s" % _broker(facts, "pfx", "path")
    if facts.get("platform") == WINDOWS:
        cert = _windows_selected_certificate(facts)
        if cert:
            return cert, "in Cert:\\LocalMachine\\%s" % cert.get("store")
    return None, None


def check_certificate_name(facts):
    cert, where = _served_or_installed_certificate(facts)
    if not cert:
        return skip("no certificate could be read (see the TLS and certificate checks)")
    name = _fqdn(facts)
    covers = cert.get("covers_name")
    names = ", ".join(cert.get("subject_alt_names") or []) or "(no SAN)"
    if covers is None:
        covers = _name_in_certificate(name, cert)
    address = _probe(facts, "tcp", "address") if _probe(facts, "address_given") else None
    also = ""
    if address and str(address).lower() != str(name).lower():
        verb = "also covers" if _name_in_certificate(address, cert) else "does not cover"
        also = "; %s the address %s" % (verb, address)
    if covers:
        return ok("certificate %s covers %s (subject %s; SAN %s)%s" % (where, name, cert.get("subject"), names, also))
    return fail(
        "certificate %s does not cover %s: subject %s; SAN %s%s" % (where, name, cert.get("subject"), names, also),
        "Issue the certificate for the exact name clients connect with (FQDN, or add the IP as a SAN) "
        "and have clients use that name.",
    )


def _name_in_certificate(name, cert):
    """broker_rules.name_covered() on a certificate summary (for fact sources that did not say)."""
    dns, ips = [], []
    for entry in cert.get("subject_alt_names") or []:
        (ips if _is_ip(entry) else dns).append(entry)
    match = re.search(r"CN=([^,]+)", cert.get("subject") or "")
    return broker_rules.name_covered(name, dns, ips, match.group(1).strip() if match else None)


def _is_ip(text):
    try:
        ipaddress.ip_address(str(text).strip("[]"))
    except ValueError:
        return False
    return True


def check_certificate_expiry(facts):
    cert, where = _served_or_installed_certificate(facts)
    if not cert or not cert.get("not_after"):
        return skip("no certificate could be read (see the TLS and certificate checks)")
    not_after = parse_time(cert["not_after"])
    now = _now(facts)
    days = (not_after - now).total_seconds() / 86400.0
    limit = int(_opt(facts, "expiry_warn_days", 30))
    if cert.get("not_before") and parse_time(cert["not_before"]) > now:
        return fail(
            "certificate %s is not valid before %s" % (where, cert["not_before"]),
            "Fix the server clock or issue a certificate that is valid now.",
        )
    if days <= 0:
        return fail(
            "certificate %s expired on %s (%d days ago)" % (where, cert["not_after"], int(-days)),
            "Renew the certificate now: ansible-playbook rtvs.remote.rotate -i <inventory> -l <host> "
            "-e rtvs_rotate_force=true (it restarts the broker and verifies it).",
        )
    if days < limit:
        return warn(
            "certificate %s expires on %s, in %d days" % (where, cert["not_after"], int(days)),
            "Renew the certificate before %s: ansible-playbook rtvs.remote.rotate -i <inventory> "
            "(renews every certificate inside the renewal window, host by host)." % cert["not_after"],
        )
    return ok("certificate %s valid until %s (%d days)" % (where, cert["not_after"], int(days)))


def check_certificate_trust(facts):
    trust = _probe(facts, "trust")
    cert = _probe(facts, "certificate")
    if not trust or not cert:
        return skip("no certificate was served, so trust was not checked")
    store = trust.get("store")
    if trust.get("ok"):
        extra = " (self-signed, trusted because the CA file holds it)" if cert.get("self_signed") else ""
        return ok("chain trusted against %s%s" % (store, extra))
    if cert.get("self_signed"):
        return warn(
            "self-signed certificate (%s), not trusted by %s: RTVS clients will show a certificate warning"
            % (cert.get("subject"), store),
            "Use a certificate from a CA the clients trust (rtvs_certificate_source: internal_ca, ca or provided) "
            "and let role rtvs.remote.client_trust install it on the clients (group rtvs_clients); "
            "self-signed is for testing only.",
        )
    return fail(
        "chain not trusted against %s: %s" % (store, trust.get("error")),
        "Serve the full chain and make sure clients trust the issuing CA (role rtvs.remote.client_trust on group "
        "rtvs_clients; pass that CA as rtvs_doctor_ca_file to check it from here).",
    )


def check_info_about(facts):
    about = _probe(facts, "about")
    if not about or not _probe(facts, "tls", "ok"):
        return skip("no TLS connection, so /info/about was not asked")
    status = about.get("status")
    if status == 200 and isinstance(about.get("json"), dict):
        info = about["json"]
        return ok(
            "GET /info/about: 200, version %s, interpreters %s"
            % (info.get("version"), info.get("interpreters"))
        )
    if status == 401:
        return fail(
            "GET /info/about with a Basic header answered 401 (%s)" % (about.get("www_authenticate") or "no challenge"),
            "Something other than the RTVS broker answers on this port, or a proxy strips the Authorization header; "
            "check what listens there.",
        )
    return fail(
        "GET /info/about answered %s: %s" % (status, about.get("error") or about.get("body_excerpt")),
        "Check that the RTVS broker (not another web server) listens on this port and read its log.",
    )


def check_interpreters(facts):
    if not _opt(facts, "credentials_given"):
        return skip("no credentials given (set rtvs_doctor_user and rtvs_doctor_password to log in)")
    interp = _probe(facts, "interpreters")
    if not interp or not _probe(facts, "tls", "ok"):
        return skip("no TLS connection, so /interpreters was not asked")
    if interp.get("skipped"):
        # tls_probe sends the login only over a connection that verified (or matched the pin).
        return (SKIP, "GET /interpreters as %s not asked: %s" % (interp.get("user"), interp["skipped"]),
                "Give rtvs_doctor_ca_file the CA bundle clients trust (and a certificate covering rtvs_fqdn), or set "
                "rtvs_doctor_pin_sha256 to the SHA-256 fingerprint of the broker's certificate read on the broker "
                "(openssl x509 -noout -fingerprint -sha256 -in <its certificate>).")
    status = interp.get("status")
    if status == 200 and interp.get("count"):
        return ok("GET /interpreters as %s: %d interpreter(s): %s" % (
            interp.get("user"), interp["count"], ", ".join(interp.get("names") or [])))
    installs = _broker(facts, "r_installs")
    if status == 200 and installs and not any(broker_rules.r_supported(i.get("version")) for i in installs):
        return (SKIP, "GET /interpreters as %s answered an empty list, as expected: no R in %s is installed"
                % (interp.get("user"), R_SUPPORTED_TEXT), "", "r_version")
    if status == 200:
        return fail(
            "GET /interpreters as %s answered an empty list" % interp.get("user"),
            "Install R %s registered with the package manager (Linux: r-base-core) and restart the broker."
            % R_SUPPORTED_TEXT,
        )
    if status in (401, 403):
        return fail(
            "GET /interpreters as %s answered %s" % (interp.get("user"), status),
            "Give the account a password, a home folder and membership of the allowed group; "
            "on Windows let NETWORK SERVICE read the private key and run seclogon.",
        )
    return fail(
        "GET /interpreters as %s answered %s %s" % (interp.get("user"), status, interp.get("api_error") or interp.get("error") or ""),
        "Read the broker log: 400 NoRInterpreters means no R %s was found." % R_SUPPORTED_TEXT,
    )


# ---------------------------------------------------------------- Linux host checks


def _missing(facts):
    if not facts.get("broker"):
        return skip("no broker facts were gathered from the host")
    return None


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
        # the one wording of pkcs12.open_pfx, which names the file and the password it tried
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


def check_firewall(facts):
    if facts.get("platform") == WINDOWS:
        return _check_windows_firewall(facts)
    ufw = _broker(facts, "ufw")
    if ufw is None:
        return _missing(facts) or skip("firewall facts missing")
    if not ufw.get("installed"):
        return ok("ufw not installed; no host firewall rules read")
    if not ufw.get("enabled"):
        return ok("ufw installed but inactive")
    if ufw.get("port_allowed"):
        return ok("ufw allows TCP %s: %s" % (ufw.get("port"), ufw.get("rule") or "default incoming policy"))
    return fail(
        "ufw blocks TCP %s: %s" % (ufw.get("port"), ufw.get("rule") or "default incoming policy %s" % ufw.get("default_input")),
        "Allow it: ufw allow proto tcp to any port %s (from the client networks only)." % ufw.get("port"),
    )


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


# ---------------------------------------------------------------- Windows host checks
# Facts: the return of rtvs.remote.win_broker_info (see its RETURN), plus ``machine_name``
# added by the doctor role (the NetBIOS name, from the module's default certificate_subject).


def _service_check(facts, key, what, fix_install):
    svc = _broker(facts, "services", key)
    if svc is None:
        return _missing(facts) or skip("service facts missing")
    name = svc.get("name") or key
    if not svc.get("exists"):
        return fail("%s (%s) is not installed" % (what, name), fix_install)
    problems = []
    if str(svc.get("start_mode") or "").lower() not in ("auto", "delayed"):
        problems.append("start mode %s" % svc.get("start_mode"))
    if str(svc.get("state") or "").lower() != "running":
        problems.append("state %s" % svc.get("state"))
    if problems:
        return fail(
            "%s: %s" % (name, ", ".join(problems)),
            "Set %s to start automatically and start it (Set-Service %s -StartupType Automatic; Start-Service %s)."
            % (name, name, name),
        )
    return ok("%s automatic and running (%s)" % (name, svc.get("username") or "account unknown"))


def check_win_broker_service(facts):
    return _service_check(
        facts, "broker", "Broker service (RRemoteService or RHostBrokerService)",
        "Install R Services for Visual Studio (the RTVS.Remote MSI) and reboot.",
    )


def check_win_profile_service(facts):
    return _service_check(
        facts, "user_profile", "R User Profile Service",
        "Reinstall R Services for Visual Studio; it installs RUserProfileService.",
    )


def check_win_seclogon(facts):
    return _service_check(
        facts, "seclogon", "Secondary Logon",
        "Secondary Logon is part of Windows; restore the seclogon service and set it to Automatic.",
    )


def check_win_dotnet(facts):
    dotnet = _broker(facts, "dotnet")
    if dotnet is None:
        return _missing(facts) or skip(".NET facts missing")
    release = dotnet.get("release")
    minimum = dotnet.get("minimum_release") or 394254
    if release is not None and int(release) >= int(minimum):
        return ok(".NET Framework %s (release %s >= %s)" % (dotnet.get("version"), release, minimum))
    return fail(
        ".NET Framework 4.6.1 or later not found (release %s, need %s)" % (release, minimum),
        "Install .NET Framework 4.6.1 or later and reboot.",
    )


def check_win_vcruntime(facts):
    vc = _broker(facts, "vc_runtime")
    if vc is None:
        return _missing(facts) or skip("VC++ facts missing")
    if vc.get("installed"):
        return ok("Visual C++ 2015+ x64 runtime %s" % (vc.get("version") or "installed"))
    return fail(
        "Visual C++ 2015 (or later) x64 runtime not found",
        "Install the Visual C++ 2015-2022 x64 redistributable; without it R sessions end with 404.",
    )


def _inbound_allow(rule):
    return rule.get("enabled") and str(rule.get("direction") or "").lower() == "in" \
        and str(rule.get("action") or "").lower() == "allow"


def _check_windows_firewall(facts):
    rules = _broker(facts, "firewall_rules")
    if rules is None:
        return _missing(facts) or skip("firewall facts missing")
    port = _port(facts)
    blocking = [r for r in rules if r.get("enabled") and str(r.get("direction") or "").lower() == "in"
                and str(r.get("action") or "").lower() == "block"]
    if blocking:
        return fail(
            "enabled inbound block rule(s) for the broker: %s" % ", ".join(r.get("name") for r in blocking),
            "Remove or disable the block rules; in Windows Firewall a block rule wins over allow rules.",
        )
    broker_rule = [r for r in rules if r.get("name") == "Microsoft.R.Host.Broker" and _inbound_allow(r)]
    port_rule = [r for r in rules if r.get("matched_by") == "port" and _inbound_allow(r)]
    host_rule = [r for r in rules if r.get("name") == "Microsoft.R.Host" and _inbound_allow(r)]
    if not broker_rule and not port_rule:
        return fail(
            "no enabled inbound allow rule Microsoft.R.Host.Broker nor one for TCP %s" % port,
            "Enable the inbound rule Microsoft.R.Host.Broker (or allow TCP %s) and restart." % port,
        )
    via = "Microsoft.R.Host.Broker" if broker_rule else "rule %s for TCP %s" % (port_rule[0].get("name"), port)
    if not host_rule:
        return warn(
            "broker allowed through %s, but no enabled inbound rule Microsoft.R.Host" % via,
            "Enable the firewall rule Microsoft.R.Host (in and out) as the R Services installer creates it.",
        )
    return ok("inbound allowed through %s; Microsoft.R.Host enabled" % via)


def _windows_broker_subject(facts):
    """The Subject the broker looks for: X509CertificateName, else CN=<NetBIOS name>."""
    configured = ci_get(_broker(facts, "config", "content"), "security", "X509CertificateName")
    return (broker_rules.windows_broker_subject(configured, _broker(facts, "machine_name"))
            or _broker(facts, "certificate_subject"))


def _windows_certificates(facts):
    """Certificates with the Subject the broker looks for, in its store order (as gathered)."""
    certs = _broker(facts, "certificates") or []
    subject = _broker(facts, "certificate_subject")
    wanted = _windows_broker_subject(facts)
    if subject and wanted and subject.lower() != wanted.lower():
        return []  # gathered for another Subject; the role gathers for the broker's
    return sorted(certs, key=lambda c: c.get("store_order", 99))


def _windows_selected_certificate(facts):
    certs = _windows_certificates(facts)
    selected = [c for c in certs if c.get("selected")]
    return selected[0] if selected else (certs[0] if certs else None)


def _windows_certificate_file(facts):
    return ci_get(_broker(facts, "config", "content"), "security", "X509CertificateFile")


def check_win_certificate_present(facts):
    if _broker(facts, "certificates") is None:
        return _missing(facts) or skip("certificate facts missing")
    subject = _windows_broker_subject(facts)
    if _windows_certificate_file(facts):
        return ok("the config loads a certificate file: %s" % _windows_certificate_file(facts))
    selected = _windows_selected_certificate(facts)
    if selected:
        return ok("the broker picks %s from %s (thumbprint %s)" % (subject, selected.get("store"), selected.get("thumbprint")))
    return fail(
        "no certificate with Subject exactly %s in LocalMachine Root, AuthRoot, CA or My; the broker logs "
        "'TLS certificate not found', stops, and restarts in a loop" % subject,
        "Install a certificate whose Subject is exactly %s in LocalMachine\\My, or set X509CertificateName "
        "to the Subject of the installed one." % subject,
    )


def check_win_certificate_duplicates(facts):
    certs = _windows_certificates(facts)
    if len(certs) <= 1:
        return ok("%d certificate(s) with Subject %s" % (len(certs), _windows_broker_subject(facts)))
    first = _windows_selected_certificate(facts)
    listing = ", ".join("%s/%s until %s" % (c.get("store"), c.get("thumbprint"), c.get("not_after")) for c in certs)
    subject = _windows_broker_subject(facts)
    if first.get("expired") or not first.get("has_private_key"):
        return fail(
            "%d certificates with Subject %s; the broker takes the first in store order (%s), which is %s: %s"
            % (len(certs), subject, first.get("thumbprint"),
               "expired" if first.get("expired") else "without private key", listing),
            "Remove the old certificates with Subject %s (rtvs.remote.win_broker_cert_cleanup) so only the current one is left."
            % subject,
        )
    return warn(
        "%d certificates with Subject %s; the broker takes the first in store order: %s" % (len(certs), subject, listing),
        "Remove the other certificates with Subject %s (rtvs.remote.win_broker_cert_cleanup)." % subject,
    )


def check_win_private_key(facts):
    cert = _windows_selected_certificate(facts)
    if not cert:
        return skip("no certificate selected")
    if cert.get("has_private_key"):
        return ok("certificate %s has its private key (%s)" % (cert.get("thumbprint"), cert.get("key_provider")))
    return fail(
        "certificate %s has no private key: server mode SSL must use a certificate with the associated private key"
        % cert.get("thumbprint"),
        "Import the certificate from a PFX with its key into LocalMachine\\My with machine key storage.",
    )


def check_win_key_readable(facts):
    cert = _windows_selected_certificate(facts)
    if not cert or not cert.get("has_private_key"):
        return skip("no certificate with private key selected")
    readable = cert.get("network_service_read")
    if readable is None:
        return skip("key file not found, so its ACL was not read: %s" % (cert.get("key_error") or "unknown"))
    if readable:
        return ok("NETWORK SERVICE can read the private key of %s (%s)" % (cert.get("thumbprint"), cert.get("key_file")))
    return fail(
        "NETWORK SERVICE cannot read the private key of %s (%s)" % (cert.get("thumbprint"), cert.get("key_file")),
        "Grant NETWORK SERVICE Read on Cert:\\LocalMachine\\My\\%s (ansible.windows.win_acl) and restart the broker."
        % cert.get("thumbprint"),
    )


def check_win_config_certificate(facts):
    cfg = _broker(facts, "config")
    if cfg is None:
        return _missing(facts) or skip("config facts missing")
    if cfg.get("exists") and not cfg.get("parsed"):
        return skip("config does not parse (see config_parses)")
    if _windows_certificate_file(facts):
        return ok("X509CertificateFile %s" % _windows_certificate_file(facts))
    expected = "CN=%s" % _fqdn(facts)
    subject = _windows_broker_subject(facts)
    source = "X509CertificateName" if ci_get(cfg.get("content"), "security", "X509CertificateName") else \
        "the default CN=<computer name>"
    if subject and subject.lower() != expected.lower():
        return fail(
            "the broker looks for %s (%s), but clients connect to %s" % (subject, source, _fqdn(facts)),
            'Set security.X509CertificateName to "%s" in %s and install that certificate.' % (expected, cfg.get("path")),
        )
    return ok("the broker looks for %s (%s)" % (subject, source))


# ---------------------------------------------------------------- the table

_BOTH = (LINUX, WINDOWS)

CHECKS = [
    Check("host_reachable", "Ansible reaches the host", (CONTROLLER,), [FAQ_NOT_RESPONDING], check_host_reachable),
    Check("name_resolves", "Name clients use resolves", (CONTROLLER,), [FAQ_NOT_RESPONDING], check_name_resolves),
    # Linux service and configuration
    Check("rtvsd_installed", "rtvsd unit installed", (LINUX,), [facts_ref("section 1 systemd")], check_rtvsd_installed),
    Check("rtvsd_enabled", "rtvsd enabled", (LINUX,), [facts_ref("section 1 systemd")], check_rtvsd_enabled,
          after=("rtvsd_installed",)),
    Check("rtvsd_wanted_at_boot", "rtvsd wanted at boot (WantedBy link)", (LINUX,), [facts_ref("section 1 systemd")],
          check_rtvsd_wanted_at_boot, after=("rtvsd_installed",)),
    Check("config_parses", "Broker config parses", _BOTH,
          [SEED_LINUX_CONFIG, facts_ref("section 2 config file"), rtvs_issue(3265)], check_config_parses,
          after=("rtvsd_installed",)),
    Check("config_server", "Config: port, TLS, no local-broker keys", (LINUX,), [facts_ref("section 1 config keys")],
          check_config_server, after=("config_parses",)),
    Check("config_password", "Config: PFX password not the shipped default", (LINUX,), [facts_ref("section 1 .deb package")],
          check_config_password, after=("config_parses",)),
    Check("snakeoil_pfx", "Package's snakeoil PFX not readable by others", (LINUX,), [facts_ref("section 1 .deb package")],
          check_snakeoil_pfx, after=("config_parses",)),
    Check("pfx_exists", "PFX file exists", (LINUX,), [SEED_LINUX_CONFIG], check_pfx_exists, after=("config_parses",)),
    Check("pfx_opens", "PFX opens with the configured password", (LINUX,), [SEED_LINUX_CONFIG, rtvs_issue(3361)],
          check_pfx_opens, after=("pfx_exists",)),
    Check("pfx_key_matches", "PFX holds the certificate's private key", (LINUX,), [rtvs_issue(3315), rtvs_issue(3887)],
          check_pfx_key_matches, after=("pfx_opens",)),
    Check("pfx_readable", "rtvssvc can read the PFX", (LINUX,), [FAQ_401, rtvs_issue(3361)], check_pfx_readable,
          after=("pfx_exists",)),
    # Windows services, prerequisites, certificate
    Check("win_broker_service", "Broker service automatic and running", (WINDOWS,), [FAQ_SERVICE_NOT_RUNNING, rtvs_issue(3251)],
          check_win_broker_service,
          after=("win_certificate_present", "win_certificate_duplicates", "win_private_key", "win_key_readable",
                 "config_parses", "win_dotnet")),
    Check("win_profile_service", "RUserProfileService automatic and running", (WINDOWS,), [FAQ_SERVICE_NOT_RUNNING],
          check_win_profile_service),
    Check("win_seclogon", "seclogon automatic and running", (WINDOWS,), [FAQ_401], check_win_seclogon),
    Check("win_dotnet", ".NET Framework 4.6.1 or later", (WINDOWS,), [FAQ_SERVICE_NOT_RUNNING], check_win_dotnet),
    Check("win_vcruntime", "Visual C++ runtime installed", (WINDOWS,), [FAQ_404, rtvs_issue(2353)], check_win_vcruntime),
    Check("win_config_certificate", "Config names the certificate clients expect", (WINDOWS,),
          [rtvs_issue(3136), facts_ref("section 2 certificate lookup")], check_win_config_certificate, after=("config_parses",)),
    Check("win_certificate_present", "Certificate with Subject CN=<name> installed", (WINDOWS,),
          [FAQ_SERVICE_NOT_RUNNING, rtvs_issue(3136)], check_win_certificate_present,
          after=("config_parses", "win_config_certificate")),
    Check("win_certificate_duplicates", "Only one certificate with that Subject", (WINDOWS,),
          [rtvs_issue(3136), facts_ref("section 2 certificate lookup")], check_win_certificate_duplicates,
          after=("win_certificate_present",)),
    Check("win_private_key", "Certificate has its private key", (WINDOWS,), [rtvs_issue(3315), rtvs_issue(3887)],
          check_win_private_key, after=("win_certificate_present",)),
    Check("win_key_readable", "NETWORK SERVICE can read the private key", (WINDOWS,), [FAQ_401, rtvs_issue(3361)],
          check_win_key_readable, after=("win_private_key",)),
    # Linux service state (after what makes it crash)
    Check("rtvsd_active", "rtvsd running", (LINUX,), [FAQ_SERVICE_NOT_RUNNING, rtvs_issue(3251)], check_rtvsd_active,
          after=("rtvsd_installed", "config_parses", "config_server", "pfx_exists", "pfx_opens", "pfx_key_matches",
                 "pfx_readable")),
    # Logins and R
    Check("pam_service", "PAM service rtvs present", (LINUX,), [FAQ_401, facts_ref("section 1 logins")], check_pam_service,
          after=("rtvsd_installed",)),
    Check("allowed_group", "allowedGroup empty or an existing group", (LINUX,), [FAQ_401, rtvs_issue(3334)],
          check_allowed_group, after=("config_parses",)),
    Check("allowed_users", "Allowed users have passwords and home folders", (LINUX,), [FAQ_401, rtvs_issue(3334)],
          check_allowed_users, after=("allowed_group",)),
    Check("r_installed", "R installed and registered", _BOTH, [FAQ_404, rtvs_issue(4358)], check_r_installed),
    Check("r_version", "R in the supported %s range" % R_SUPPORTED_TEXT, _BOTH, [rtvs_issue(4380), rtvs_issue(4358)], check_r_version,
          after=("r_installed",)),
    # Network
    Check("port_listening", "Broker port listening on the host", (LINUX,), [FAQ_SERVICE_NOT_RUNNING], check_port_listening,
          after=("rtvsd_installed", "rtvsd_active", "config_server")),
    Check("firewall", "Host firewall allows the broker port", _BOTH, [FAQ_SERVICE_NOT_RUNNING, FAQ_OUTBOUND, rtvs_issue(3251)],
          check_firewall),
    Check("tcp_connect", "TCP connect from the controller", (CONTROLLER,), [FAQ_NOT_RESPONDING, FAQ_SERVICE_NOT_RUNNING],
          check_tcp_connect, after=("host_reachable", "name_resolves", "port_listening", "firewall", "rtvsd_active",
                                    "win_broker_service")),
    Check("tls_handshake", "TLS 1.2 handshake", (CONTROLLER,), [rtvs_issue(3361), rtvs_issue(3315), rtvs_issue(3887)],
          check_tls_handshake, after=("tcp_connect", "pfx_key_matches", "win_private_key", "win_key_readable")),
    Check("certificate_name", "Certificate covers the name clients use", (CONTROLLER,), [rtvs_issue(2717), rtvs_issue(3136)],
          check_certificate_name),
    Check("certificate_expiry", "Certificate not expired or expiring soon", (CONTROLLER,),
          [FAQ_SERVICE_NOT_RUNNING, rtvs_issue(3136)], check_certificate_expiry, after=("win_certificate_duplicates",)),
    Check("certificate_trust", "Certificate chain trusted (or self-signed)", (CONTROLLER,), [SEED_SELF_SIGNED],
          check_certificate_trust, after=("certificate_expiry", "tls_handshake")),
    Check("tls_posture", "Broker refuses TLS 1.0/1.1 and weak ciphers", (CONTROLLER,), [facts_ref("section 4 client")],
          doctor_checks_tls.check_tls_posture, after=("tls_handshake",)),
    Check("info_about", "GET /info/about answers 200", (CONTROLLER,), [facts_ref("section 3 HTTP API"), rtvs_issue(3251)],
          check_info_about, after=("tls_handshake",)),
    Check("interpreters", "GET /interpreters lists R (with credentials)", (CONTROLLER,),
          [FAQ_401, FAQ_404, rtvs_issue(4358), rtvs_issue(3334)], check_interpreters,
          after=("info_about", "r_installed", "r_version", "allowed_group", "allowed_users", "pam_service",
                 "win_seclogon", "win_profile_service", "win_vcruntime")),
    Check("broker_log", "Newest broker log has no errors", _BOTH, [FAQ_LOGS], check_broker_log),
]

CHECKS_BY_ID = dict((c.id, c) for c in CHECKS)


def checks_for(platform):
    return [c for c in CHECKS if c.applies_to(platform)]


# ---------------------------------------------------------------- evaluation


def _root_cause(check_id, raw, applicable, seen=()):
    """The first failed prerequisite of a failed check, following chains of consequences; None when it is a cause."""
    check = CHECKS_BY_ID[check_id]
    for dep in check.after:
        if dep not in applicable or dep in seen:
            continue
        if raw[dep][0] == FAIL:
            return _root_cause(dep, raw, applicable, seen + (check_id,)) or dep
    return None


def evaluate(facts):
    """Evaluate every check that applies to facts['platform']; return the host report (JSON-able)."""
    platform = facts.get("platform") or LINUX
    checks = checks_for(platform)
    applicable = set(c.id for c in checks)
    raw = {}
    for check in checks:
        try:
            raw[check.id] = check.evaluate(facts)
        except Exception as exc:  # a malformed fact must not hide every other check
            raw[check.id] = (
                FAIL,
                "the doctor could not evaluate this check: %s: %s" % (type(exc).__name__, exc),
                "Report this as a bug in rtvs.remote with the gathered facts.",
            )
    results = []
    for check in checks:
        status, evidence, fix = raw[check.id][:3]
        cause = _root_cause(check.id, raw, applicable) if status == FAIL else None
        if len(raw[check.id]) > 3:  # the check itself names what explains it
            cause = raw[check.id][3]
        results.append({
            "id": check.id,
            "title": check.title,
            "status": SKIP if cause else status,
            "evidence": "consequence of %s: %s" % (cause, evidence) if cause and status == FAIL else evidence,
            "fix": "" if cause else fix,
            "faq": list(check.faq),
            "cause": cause,
        })
    counts = dict((s, sum(1 for r in results if r["status"] == s)) for s in STATUSES)
    return {
        "host": facts.get("host"),
        "platform": platform,
        "name": _fqdn(facts),
        "port": _port(facts),
        "status": FAIL if counts[FAIL] else (WARN if counts[WARN] else OK),
        "counts": counts,
        "failed": [r["id"] for r in results if r["status"] == FAIL],
        "warnings": [r["id"] for r in results if r["status"] == WARN],
        "checks": results,
    }


# ---------------------------------------------------------------- rendering

_LABEL = {OK: "ok", WARN: "WARN", FAIL: "FAIL", SKIP: "skip"}


def _wrap(text, width, indent):
    words = str(text).split()
    lines, line = [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = (line + " " + word) if line else word
    if line:
        lines.append(line)
    return ("\n" + indent).join(lines)


def render_text(report, width=100):
    """A readable summary table for one host report: one line a check, evidence and fix under non-ok rows."""
    counts = report["counts"]
    head = "%s (%s, %s:%s): %s - %d fail, %d warn, %d ok, %d skip" % (
        report["host"], report["platform"], report["name"], report["port"], report["status"].upper(),
        counts[FAIL], counts[WARN], counts[OK], counts[SKIP],
    )
    id_width = max(len(r["id"]) for r in report["checks"]) if report["checks"] else 10
    lines = [head, "-" * min(width, max(len(head), 40))]
    # Details sit under the status column, so they keep most of the width (the role wraps at 72, which
    # the yaml result format prints without folding).
    indent = " " * 6
    for row in report["checks"]:
        lines.append("%-4s  %-*s  %s" % (_LABEL[row["status"]], id_width, row["id"], row["title"]))
        text_width = max(40, width - len(indent) - 2)
        if row["status"] != OK:
            lines.append(indent + _wrap("evidence: " + row["evidence"], text_width, indent + "  "))
            if row["fix"]:
                lines.append(indent + _wrap("fix: " + row["fix"], text_width, indent + "  "))
            if row["status"] in (FAIL, WARN) and row["faq"]:
                lines.append(indent + _wrap("see: " + "; ".join(row["faq"]), text_width, indent + "  "))
    return "\n".join(lines)


def render_all_text(full_report, width=100):
    parts = [render_text(full_report["hosts"][h], width) for h in sorted(full_report["hosts"])]
    return "\n\n".join(parts)
