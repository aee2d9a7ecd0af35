# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only facts about rtvsd on a Linux host, for the doctor.

Pure Python, no Ansible imports. Every path is read below ``root`` (``/`` on a
real host, a temporary folder in unit tests), and the only process run is
``systemctl is-enabled/is-active/show`` through the ``systemctl`` callable the
caller passes, and ``nft -j list table inet rtvs`` / ``nft -j list ruleset`` through the ``nft`` callable.
Nothing is written, not even a temporary file. The PFX password
is used to open the PFX and never returned: the result says whether it is set
and whether it opens the file.

The shapes follow rtvs.remote.win_broker_info where the meaning is the same
(``config.parsed``, ``r_installs``, ``logs.newest``), so the doctor's checks read
both platforms alike.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re
import stat

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_info_firewall, broker_rules, password_rules
from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host import key_access
from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, keys, pfx
from ansible_collections.rtvs.remote.plugins.module_utils.host.host_readers import (
    NotTrusted, Root, check_owned_regular, dpkg_packages, grp_name, listening_facts, name_of, password_usable, pwd_name,
    read_groups, read_owned_tail, read_passwd, read_shadow, service_facts)

HAS_CRYPTOGRAPHY = pfx.HAS_CRYPTOGRAPHY

DEFAULT_URLS = "https://0.0.0.0:5444"
DEFAULT_GROUP = "Users"  # SecurityOptions.cs default when the key is omitted
DEFAULT_PASSWORD = "SnakeOil"  # the postinst's PFX password
LOG_PATTERN = "Microsoft.R.Host.Broker*.log"
ERROR_LINE = re.compile(r"(?i)\b(error|fail|failed|exception|not found|critical)\b")
# A line that carries a log level ([Information], [Error] ...) counts only at Error or Critical.
LEVEL_TAG = re.compile(r"\[(Trace|Debug|Information|Info|Warning|Warn|Error|Fail|Critical|Crit)\]", re.I)
ERROR_LEVELS = ("error", "fail", "critical", "crit")
TAIL_BYTES = 65536
# the broker's rules (broker_rules): case-insensitive keys ('a:b' forms too), loopback, the one mask
_ci = broker_rules.ci_get
_ci_has = broker_rules.ci_has
is_loopback = broker_rules.is_loopback
redact = broker_rules.redact


# ---------------------------------------------------------------- config


def parse_port(urls):
    """Port of the first URL in ``urls`` (';'-separated, as ASP.NET Core reads it); None when absent."""
    first = str(urls or "").split(";", 1)[0].strip()
    match = re.match(r"^[a-zA-Z]+://(\[[^\]]*\]|[^:/]*)(?::(\d+))?", first)
    if not match:
        return None
    if match.group(2):
        return int(match.group(2))
    return 443 if first.lower().startswith("https") else 80


def url_host(urls):
    first = str(urls or "").split(";", 1)[0].strip()
    match = re.match(r"^[a-zA-Z]+://(\[[^\]]*\]|[^:/]*)", first)
    return match.group(1).strip("[]") if match else None


def config_facts(root, path):
    facts = {"path": path, "exists": root.exists(path), "parsed": False, "error": None, "content": None}
    if not facts["exists"]:
        return facts, None
    try:
        text = root.read_text(path)
    except (IOError, OSError) as exc:
        facts["error"] = "cannot read: %s" % (exc.strerror or exc)
        return facts, None
    try:
        content = json.loads(text.lstrip("\ufeff"))
    except ValueError as exc:
        facts["error"] = "not valid JSON: %s" % exc
        return facts, None
    if not isinstance(content, dict):
        facts["error"] = "not a JSON object"
        return facts, None
    urls = _ci(content, "urls") or _ci(content, "server.urls") or DEFAULT_URLS
    password = _ci(content, "security", "X509CertificatePassword")
    facts.update({
        "parsed": True,
        "content": redact(content),
        "urls": urls,
        "port": parse_port(urls),
        "url_loopback": is_loopback(url_host(urls)),
        "allowed_group_set": _ci_has(content, "security", "allowedGroup"),
        "allowed_group": _ci(content, "security", "allowedGroup"),
        "certificate_file": _ci(content, "security", "X509CertificateFile"),
        "certificate_name": _ci(content, "security", "X509CertificateName"),
        "password_set": password is not None,
        "password_is_default": password == DEFAULT_PASSWORD,
        "secret_set": bool(_ci(content, "security", "secret")),
        "lifetime_keys": ["lifetime.%s" % k for k in ("pingTimeout", "parentProcessID")
                          if _ci(content, "lifetime", k) is not None],
        "log_folder": _ci(content, "logging", "logFolder") or "/tmp",
        "startup_name": _ci(content, "startup", "name"),
    })
    return facts, password


# ---------------------------------------------------------------- PFX


def pfx_facts(root, path, password, account, can_read, fqdn=None):
    facts = {"path": path, "exists": False, "opens": None, "error": None, "key_present": None,
             "key_matches": None, "certificate": None, "access": {"account": account, "can_read": None, "reason": None}}
    if not path:
        return facts
    facts["exists"] = root.exists(path)
    if not facts["exists"]:
        return facts
    if can_read is not None:
        try:
            readable, reason = can_read(root.path(path), account)
            facts["access"].update({"can_read": readable, "reason": reason})
        except Exception as exc:  # keep every other fact when the access check cannot run
            facts["access"]["reason"] = "%s: %s" % (type(exc).__name__, exc)
    if not HAS_CRYPTOGRAPHY:
        facts["error"] = "python3-cryptography is not installed on the host"
        return facts
    try:
        with open(root.path(path), "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        facts["error"] = "cannot read as the connecting user: %s (run with become)" % (exc.strerror or exc)
        return facts
    if password is not None and u"\u0000" in password:  # would make the crypto library panic (issue 14, M4)
        facts["opens"] = False
        facts["error"] = password_rules.control_character_problem("X509CertificatePassword", password)
        return facts
    try:
        contents = pfx.open_pfx(data, password, path, password_name="the configured X509CertificatePassword")
    except pfx.PfxError as exc:
        facts["opens"] = False
        facts["error"] = str(exc)
        return facts
    key, cert = contents.key, contents.cert
    facts["opens"] = True
    facts["key_present"] = key is not None
    if cert is not None:
        summary = certs.summary(cert)
        if fqdn:
            summary["covers_name"] = certs.covers(cert, fqdn)
        facts["certificate"] = summary
        if key is not None:
            facts["key_matches"] = keys.key_matches(cert, key)
    else:
        facts["error"] = "the PFX holds no certificate"
    return facts


def posix_can_read(path, account_name):
    """(readable, reason) for the service account, from key_access (owner, mode, POSIX ACL, parent folders)."""
    try:
        uid, gids, _primary = key_access.account(account_name)
    except key_access.AccessError:
        return False, "account %s does not exist" % account_name
    for directory in key_access.parent_dirs(path):
        st = os.stat(directory)
        entries = key_access.read_acl(directory, st)
        if not key_access.allowed(uid, gids, st.st_uid, st.st_gid, entries, key_access.X):
            return False, "%s cannot enter %s (%s)" % (account_name, directory, ", ".join(key_access.acl_text(entries)))
    st = os.stat(path)
    entries = key_access.read_acl(path, st)
    acl = ", ".join(key_access.acl_text(entries))
    owner = "%s:%s" % (name_of(pwd_name, st.st_uid), name_of(grp_name, st.st_gid))
    if key_access.allowed(uid, gids, st.st_uid, st.st_gid, entries, key_access.R):
        return True, "%s may read (owner %s; %s)" % (account_name, owner, acl)
    return False, "%s may not read (owner %s; %s)" % (account_name, owner, acl)


# ---------------------------------------------------------------- users


def group_facts(root, name, passwd, groups, shadow):
    facts = {"name": name, "exists": None, "gid": None, "members": []}
    if name is None or name == "":
        return facts
    group = groups.get(name)
    facts["exists"] = group is not None
    if not group:
        return facts
    facts["gid"] = group["gid"]
    names = list(group["members"])
    names += sorted(u["name"] for u in passwd.values() if u["gid"] == group["gid"] and u["name"] not in names)
    for user in names:
        entry = passwd.get(user)
        home = entry["home"] if entry else None
        facts["members"].append({
            "name": user,
            "exists": entry is not None,
            "password_set": password_usable(shadow.get(user)) if shadow is not None else None,
            "home": home,
            "home_exists": bool(home) and root.isdir(home),
        })
    return facts


# ---------------------------------------------------------------- R (dpkg)


def r_facts(root):
    installs = []
    for name, info in sorted(dpkg_packages(root).items()):
        if name == "r-base-core" or name.startswith("microsoft-r-open-mro"):
            base = "/usr/lib/R" if name == "r-base-core" else None
            installs.append({
                "name": name,
                "version": info["version"],
                "path": base,
                "lib_exists": root.exists("%s/lib/libR.so" % base) if base else None,
                "supported": broker_rules.r_supported(info["version"]),
            })
    return installs


# ---------------------------------------------------------------- logs


def is_error_line(line):
    level = LEVEL_TAG.search(line)
    if level:
        return level.group(1).lower() in ERROR_LEVELS
    return bool(ERROR_LINE.search(line))


def log_facts(root, folder, lines=20, owners=(0,)):
    """The newest broker log's tail and error lines.

    The log folder belongs to the service account, which could plant a symbolic link to a root-only
    file for the doctor (running as root) to copy into its report: only regular files owned by one of
    the uids ``owners`` (root, the service account) are considered, opened without following links;
    every other match is listed in ``skipped`` with the reason.
    """
    facts = {"folder": folder, "newest": None, "tail": [], "error_lines": [], "error": None, "skipped": []}
    if not folder or not root.isdir(folder):
        facts["error"] = "folder does not exist" if folder else "no logging.logFolder"
        return facts
    candidates = []
    for path in root.glob("%s/%s" % (folder.rstrip("/"), LOG_PATTERN)):
        try:
            st = os.lstat(root.path(path))
            check_owned_regular(st, owners)
        except NotTrusted as exc:
            facts["skipped"].append("%s: %s" % (path, exc))
            continue
        except OSError:
            continue
        candidates.append((st.st_mtime, path, st.st_size))
    if not candidates:
        return facts
    mtime, newest, size = max(candidates)
    facts["newest"] = {
        "path": newest,
        "last_write_time": datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "size": size,
    }
    try:
        text = read_owned_tail(root.path(newest), owners, TAIL_BYTES).decode("utf-8", "replace")
    except NotTrusted as exc:  # replaced between the listing and the open
        facts["skipped"].append("%s: %s" % (newest, exc))
        facts["error"] = "cannot read: %s" % exc
        return facts
    except (IOError, OSError) as exc:
        facts["error"] = "cannot read: %s" % (exc.strerror or exc)
        return facts
    all_lines = [line for line in text.splitlines() if line.strip()]
    facts["tail"] = all_lines[-lines:]
    facts["error_lines"] = [line for line in all_lines if is_error_line(line)][-lines:]
    return facts


# ---------------------------------------------------------------- everything


def log_owners(passwd, account):
    """uids whose log files the doctor reads: root, the service account, and the account running it."""
    owners = {0, os.geteuid()}
    if account in passwd:
        owners.add(passwd[account]["uid"])
    return owners


def snakeoil_facts(root, config):
    """The package's snakeoil PFX (published password): exists, owner, group, mode, in_use, exposure (who else reads it)."""
    path = broker_rules.SNAKEOIL_PFX
    facts = {"path": path, "exists": False, "regular": None, "owner": None, "group": None, "mode": None,
             "in_use": config.get("certificate_file") == path, "exposure": None}
    try:
        st = os.lstat(root.path(path))
    except OSError:
        return facts
    facts.update(exists=True, regular=stat.S_ISREG(st.st_mode), owner=name_of(pwd_name, st.st_uid),
                 group=name_of(grp_name, st.st_gid), mode="%04o" % stat.S_IMODE(st.st_mode))
    facts["exposure"] = broker_rules.snakeoil_exposure(facts["owner"], facts["group"], facts["mode"])
    return facts


def gather(root="/", service="rtvsd", config_path="/etc/rtvs/rtvsd.config.json", account="rtvssvc",
           port=None, fqdn=None, log_lines=20, systemctl=None, can_read=None, pam_path="/etc/pam.d/rtvs", nft=None):
    """All facts; ``port`` defaults to the configured one (else 5444); ``nft(args) -> (rc, out, err)``."""
    host = Root(root)
    passwd = read_passwd(host)
    groups = read_groups(host)
    shadow = read_shadow(host)
    config, password = config_facts(host, config_path)
    if port is None:
        port = config.get("port") or 5444
    group_name = None
    if config.get("parsed"):
        group_name = config["allowed_group"] if config["allowed_group_set"] else DEFAULT_GROUP
    facts = {
        "service": service_facts(host, service, systemctl),
        "config": config,
        "pfx": pfx_facts(host, config.get("certificate_file"), password, account, can_read, fqdn),
        "snakeoil": snakeoil_facts(host, config),
        "account": {"name": account, "exists": account in passwd},
        "allowed_group": group_facts(host, group_name, passwd, groups, shadow),
        "shadow_readable": shadow is not None,
        "pam": {"path": pam_path, "exists": host.exists(pam_path)},
        "r_installs": r_facts(host),
        "listening": listening_facts(host, port),
        "ufw": broker_info_firewall.ufw_facts(host, port),
        "nftables": broker_info_firewall.nftables_facts(host, port, nft, systemctl),
        "logs": log_facts(host, config.get("log_folder") if config.get("parsed") else None, log_lines,
                          owners=log_owners(passwd, account)),
    }
    return facts


class FactsRefused(Exception):
    """An option the facts cannot be read with; the message names it and the fix."""


def run(params, check_mode=False):
    """The broker_info module: check the options, read the facts; return the module result (read-only, check mode
    is the same)."""
    del check_mode
    if params["port"] is not None and not 1 <= params["port"] <= 65535:
        raise FactsRefused("port %s is out of range; use the broker port, 1-65535" % params["port"])
    if params["log_lines"] < 0:
        raise FactsRefused("log_lines must be 0 or more")
    facts = gather(
        root="/",
        service=params["service"],
        config_path=params["config_path"],
        account=params["account"],
        port=params["port"],
        fqdn=params["fqdn"],
        log_lines=params["log_lines"],
        systemctl=module_runner.command_runner("systemctl", missing="no-systemctl"),
        can_read=posix_can_read,
        nft=module_runner.process_runner("nft"),
    )
    return dict(changed=False, facts=facts)


# The broker_info module: its logic and refusals (module and action plugin run this).
ENTRY = module_runner.Entry("broker_info", run, refusals=(FactsRefused,))
