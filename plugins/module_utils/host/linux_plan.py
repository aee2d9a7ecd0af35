# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of rtvs.remote.linux_broker: which steps are to do on a host, and why, from what it wants and what is there.

Pure Python, no Ansible imports, no I/O: ``plan(desired, state)`` takes the desired state (computed once
from the role's variables by module_utils/host/linux_role.py) and the
observations of rtvs.remote.linux_host_info (host_state.gather) and returns, for every step of the role,

- ``pending``: the step would change the host (True), would not (False), or only its module can tell (None);
- ``todo``: the role runs the step's task. In a normal run that is every pending step and every step only its
  module can judge. In check mode a step whose module cannot run before an earlier step really happened
  (a copy into a folder not made yet, a user in a group not created yet, a .deb not copied yet) is pending but
  not run, so ``--check --diff`` on a new host passes and lists it instead of failing;
- ``why``: one line for the log.

``plan["todo"]`` maps each step and each task file of the role to a bool, so a task's ``when:`` is one lookup.
``plan["pending"]`` lists every pending step with its reason (shown in check mode). ``plan["errors"]`` holds the
host checks that must stop the run before anything changes, ``plan["warnings"]`` what is worth telling.
The truth tables are unit-tested in tests/unit/test_linux_plan.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules
from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_firewall

NOLOGIN = "/usr/sbin/nologin"
CRAN_SOURCES = "/etc/apt/sources.list.d/cran-r.sources"
CRYPTOGRAPHY = "python3-cryptography"
R_PACKAGE = "r-base-core"
DAEMON_PACKAGE = "rtvs-daemon"

# The role's task files and the steps each holds (an include is skipped when none of its steps is to do).
FILES = (
    ("r", ("cran_repo", "packages", "r_hold")),
    ("daemon", ("daemon_packages", "daemon", "service_group", "service_user")),
    ("certificate", ("pfx_copy", "key_access")),
    ("users", ("allowed_group", "users")),
    ("folders", ("folders",)),
    ("config", ("config",)),
    ("firewall", linux_firewall.STEPS),
    ("service", ("dropin", "service")),
    ("snakeoil", ("snakeoil_lock",)),
)
STEPS = tuple(step for _file, steps in FILES for step in steps)


class PlanError(Exception):
    """The desired state is malformed; the message names the key."""


def _step(pending, why, runnable=True, check_mode=False):
    """A step: run it when pending (or when only its module can tell), except in check mode when it cannot run yet."""
    todo = pending is not False and (runnable or not check_mode)
    return {"pending": pending, "todo": bool(todo), "why": why}


def _skip(why):
    return {"pending": False, "todo": False, "why": why}


def upstream_version(version):
    """R's own version in a Debian package version: '1:3.6.3-1build1' -> '3.6.3', '4.2.2.20221110-2' -> '4.2.2'."""
    text = re.sub(r"^[0-9]+:", "", str(version or ""))
    text = re.sub(r"[-+~].*$", "", text)
    match = re.match(r"^([0-9]+\.[0-9]+\.[0-9]+)", text)
    return match.group(1) if match else text


def r_facts(desired, state):
    """The R version the broker will see (pinned, else installed, else apt's candidate) and whether it accepts it."""
    r = desired.get("r") or {}
    packages = state.get("packages") or {}
    pinned = r.get("version") or "" if r.get("install") else ""
    installed = (packages.get(R_PACKAGE) or {}).get("version") or ""
    version = pinned or installed or (state.get("r_candidate") or "" if r.get("install") else "")
    supported = broker_rules.r_supported(version)
    return {
        "version": version,
        "upstream_version": upstream_version(version),
        "supported": supported,
        "range": broker_rules.R_SUPPORTED_TEXT,
        "refused": bool(r.get("require_supported")) and not supported,
    }


def health_problems(probe, fingerprint_sha256, ca_given):
    """What is wrong with the broker as rtvs.remote.tls_probe saw it (an empty list when it is healthy): TLS 1.2,
    the PFX's certificate (SHA-256 fingerprint), /info/about 200, and with a CA the chain and the name."""
    probe = probe or {}
    tls = probe.get("tls") or {}
    certificate = probe.get("certificate") or {}
    problems = []
    if not tls.get("ok") or tls.get("version") != "TLSv1.2":
        problems.append("no TLS 1.2 handshake (%s)" % (tls.get("error") or tls.get("version")))
    if certificate.get("fingerprint_sha256") != fingerprint_sha256:
        problems.append("serves %s, not the PFX's %s" % (certificate.get("fingerprint_sha256"), fingerprint_sha256))
    if (probe.get("about") or {}).get("status") != 200:
        problems.append("/info/about answers %s" % (probe.get("about") or {}).get("status"))
    if ca_given and not (probe.get("trust") or {}).get("ok"):
        problems.append("the chain does not verify (%s)" % (probe.get("trust") or {}).get("error"))
    if ca_given and not certificate.get("covers_name"):
        problems.append("the certificate does not cover %s" % probe.get("name"))
    return problems


def probed(the_plan, problems):
    """The plan after the plan step's own health probe of a host with nothing else to do: the health task file is
    left out when the broker is healthy, and run (it retries and names what is wrong) when it is not."""
    result = dict(the_plan)
    todo = dict(result["todo"])
    todo["health"] = bool(problems)
    todo["probe"] = False
    todo["any"] = todo["act"] or todo["health"]
    result["todo"] = todo
    result["health"] = {"probed": True, "problems": list(problems)}
    return result


ABSENT = {"exists": False, "isdir": False, "owner": None, "group": None, "mode": None, "checksum": None}


def _path(state, path):
    return (state.get("paths") or {}).get(path) or ABSENT


def _parent(path):
    return path.rsplit("/", 1)[0] or "/"


def merge_settings(base, override):
    """``base`` with ``override`` merged in, dicts key by key and anything else replaced (Jinja's combine(recursive=true))."""
    result = dict(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_settings(result[key], value)
        else:
            result[key] = value
    return result


def config_settings(desired, r):
    """The settings rtvs.remote.broker_config is given: the role's keys, the R interpreter (once R is known) and the
    user's rtvs_linux_broker_settings over them. ``r`` is r_facts(); None when ``desired`` has no ``config``."""
    config = desired.get("config")
    if not config:
        return None
    r_config = config.get("r") or {}
    r_settings = {"autoDetect": bool(r_config.get("autodetect"))}
    if (desired.get("r") or {}).get("install") or r["version"]:
        r_settings["interpreters"] = {"0": {"name": r_config.get("interpreter_name") or "R %s" % r["upstream_version"],
                                            "basePath": r_config.get("base_path")}}
    settings = merge_settings(config.get("settings") or {}, {"r": r_settings})
    return merge_settings(settings, config.get("overrides") or {})


def config_flags(desired, state):
    """What broker_config is told: in check mode a PFX not copied yet is not opened, and a group or R this run creates
    counts as there (validated on trust) instead of failing validation."""
    check = bool(desired.get("check_mode"))
    group = desired.get("allowed_group")
    pfx = desired.get("pfx") or {}
    controller_sum = pfx.get("checksum")
    current = controller_sum is not None and _path(state, pfx.get("path") or "").get("checksum") == controller_sum
    allowed_missing = bool(group) and not ((state.get("accounts") or {}).get("groups") or {}).get(group)
    r_pending = bool((desired.get("r") or {}).get("install")) and R_PACKAGE not in (state.get("packages") or {})
    return {
        "allowed_group_pending": check and allowed_missing,
        "r_pending": check and r_pending,
        "validate_certificate": bool(pfx.get("validate", True)) and not (check and not current),
    }


def plan(desired, state):
    """{steps, todo, pending, errors, warnings, r, config, folders} for ``desired`` on a host in ``state``."""
    if not isinstance(desired, dict):
        raise PlanError("desired must be a dict (module_utils/host/linux_role.py builds it)")
    check = bool(desired.get("check_mode"))
    r_want = desired.get("r") or {}
    daemon = desired.get("daemon") or {}
    account = desired.get("service_account") or "rtvssvc"
    group = desired.get("allowed_group")
    packages = state.get("packages") or {}
    accounts = state.get("accounts") or {}
    service_account = accounts.get("service_account") or {}
    steps = {}

    # ---- R and python3-cryptography (one apt call), the CRAN repository, the hold on a pinned R
    cran = bool(r_want.get("install")) and r_want.get("source") == "cran"
    steps["cran_repo"] = _step(None, "deb822_repository compares the CRAN source itself") if cran \
        else _skip("R from the distribution")
    missing = []
    if CRYPTOGRAPHY not in packages:
        missing.append("%s is not installed" % CRYPTOGRAPHY)
    if r_want.get("install"):
        installed = (packages.get(R_PACKAGE) or {}).get("version")
        if installed is None:
            missing.append("%s is not installed" % R_PACKAGE)
        elif r_want.get("version") and installed != r_want["version"]:
            missing.append("%s is %s, not the pinned %s" % (R_PACKAGE, installed, r_want["version"]))
    # a pinned CRAN version cannot be looked up in check mode before the repository is really added
    cran_ready = not cran or _path(state, CRAN_SOURCES)["exists"]
    steps["packages"] = _step(bool(missing), "; ".join(missing) or "R and %s installed as wanted" % CRYPTOGRAPHY,
                              cran_ready, check)
    hold = bool(r_want.get("install") and r_want.get("version"))
    held = (packages.get(R_PACKAGE) or {}).get("held")
    steps["r_hold"] = _step(not held, "hold %s at the pinned version" % R_PACKAGE) if hold and not held \
        else _skip("no pinned R, or held already")

    # ---- rtvs-daemon and its service account
    extra = [p for p in daemon.get("extra_packages") or [] if p not in packages]
    steps["daemon_packages"] = _step(True, "missing: %s" % ", ".join(extra)) if daemon.get("install") and extra \
        else _skip("no extra package missing")
    from_controller = not re.match(r"^https?://", daemon.get("package") or "")
    if daemon.get("install"):
        wanted = daemon.get("version") or ""
        have = (packages.get(DAEMON_PACKAGE) or {}).get("version") or ""
        if not wanted:
            steps["daemon"] = _step(None, "the package's file name states no version, so apt compares it", not from_controller,
                                    check)
        elif have != wanted:
            steps["daemon"] = _step(True, "%s %s is installed, %s wanted" % (DAEMON_PACKAGE, have or "nothing", wanted),
                                    not from_controller, check)
        else:
            steps["daemon"] = _skip("%s %s installed" % (DAEMON_PACKAGE, have))
    else:
        steps["daemon"] = _skip("rtvs_daemon_install is false")
    group_missing = not service_account.get("group")
    steps["service_group"] = _step(True, "group %s does not exist" % account) if group_missing \
        else _skip("group %s exists" % account)
    user_diff = []
    if not service_account.get("user"):
        user_diff.append("user %s does not exist" % account)
    else:
        if service_account.get("primary_group") != account:
            user_diff.append("primary group is %s" % service_account.get("primary_group"))
        if service_account.get("shell") != NOLOGIN:
            user_diff.append("shell is %s" % service_account.get("shell"))
    # the user module refuses a group that does not exist, even in check mode, unless it creates the user
    steps["service_user"] = _step(True, "; ".join(user_diff), not (group_missing and service_account.get("user")), check) \
        if user_diff else _skip("user %s as wanted" % account)

    # ---- the PFX on the host and who may read it
    pfx = desired.get("pfx") or {}
    pfx_path = pfx.get("path")
    on_host = _path(state, pfx_path) if pfx_path else _path(state, "")
    controller_sum = pfx.get("checksum")
    current = controller_sum is not None and on_host.get("checksum") == controller_sum
    if not pfx_path:
        steps["pfx_copy"] = _skip("no PFX")
    elif controller_sum is None:
        # check mode before the controller's PFX exists; in a real run the certificate step was not selected (tags)
        steps["pfx_copy"] = _step(True, "the controller's PFX is made by this run", False, True) if check \
            else _skip("the controller's PFX was not made in this run (certificate step not selected)")
    elif not current:
        folder_ready = _path(state, _parent(pfx_path))["isdir"] and not group_missing
        steps["pfx_copy"] = _step(True, "%s differs from the controller's PFX" % pfx_path if on_host["exists"]
                                  else "%s is not on the host" % pfx_path, folder_ready, check)
    else:
        steps["pfx_copy"] = _skip("%s has the controller's PFX" % pfx_path)
    key_access = state.get("key_access") or {}
    if steps["pfx_copy"]["pending"]:
        steps["key_access"] = _step(True, "after the PFX copy", steps["pfx_copy"]["todo"] and on_host["exists"], check)
    elif current and key_access.get("pending"):
        steps["key_access"] = _step(True, key_access.get("reason") or "key_access would change owner, group, mode or ACL")
    else:
        steps["key_access"] = _skip("only %s and root may read the PFX" % account)

    # ---- the allowed group and the accounts
    groups = accounts.get("groups") or {}
    allowed_missing = bool(group) and not groups.get(group)
    steps["allowed_group"] = _step(True, "group %s does not exist" % group) if allowed_missing \
        else _skip("group %s exists" % group)
    to_change = list(accounts.get("users_to_change") or [])
    steps["users"] = _step(True, "differ: %s" % ", ".join(to_change), not allowed_missing, check) if to_change \
        else _skip("every account as wanted")

    # ---- folders
    folders = []
    waiting = []
    service_pending = group_missing or not service_account.get("user")
    for folder in desired.get("folders") or []:
        seen = _path(state, folder["path"])
        wanted = [folder.get("owner"), folder.get("group"), folder.get("mode")]
        if seen["isdir"] and [seen["owner"], seen["group"], seen["mode"]] == wanted:
            continue
        # file refuses an owner or group that does not exist, even in check mode, on a folder that exists
        if check and seen["exists"] and service_pending and account in (folder.get("owner"), folder.get("group")):
            waiting.append(folder["path"])
            continue
        folders.append(folder)
    if folders or waiting:
        steps["folders"] = _step(True, "not as wanted: %s" % ", ".join([f["path"] for f in folders] + waiting))
        steps["folders"]["todo"] = bool(folders)
    else:
        steps["folders"] = _skip("folders as wanted")

    # ---- configuration: broker_config's own check mode, run by linux_host_info (state["config"]) when the
    # settings are given; without it only the module can tell
    config = config_flags(desired, state)
    seen = state.get("config")
    if seen is None:
        steps["config"] = _step(None, "broker_config merges the settings into the file on the host")
    elif seen.get("pending"):
        steps["config"] = _step(True, seen.get("reason") or "broker_config would change the file")
    else:
        steps["config"] = _skip("the configuration holds the role's settings, owner and mode")

    # ---- the package's snakeoil PFX (published password): root only once the config names ours (issue 14)
    snakeoil = _path(state, broker_rules.SNAKEOIL_PFX)
    exposure = broker_rules.snakeoil_exposure(snakeoil["owner"], snakeoil["group"], snakeoil["mode"])
    # only a regular file (checksum); it stays in place because the postinst makes a new one when it is missing
    if pfx_path and pfx_path != broker_rules.SNAKEOIL_PFX and snakeoil["checksum"] is not None and exposure:
        steps["snakeoil_lock"] = _step(True, "%s opens with the published password and %s"
                                       % (broker_rules.SNAKEOIL_PFX, exposure))
    else:
        steps["snakeoil_lock"] = _skip("no snakeoil PFX readable by others, or it is the broker's PFX")

    # ---- firewall (ufw or the role's own nftables table; module_utils/host/linux_firewall.py), drop-in, service
    firewall = linux_firewall.plan(desired, state, lambda path: _path(state, path), check)
    steps.update(firewall["steps"])
    dropin = desired.get("dropin") or {}
    if dropin.get("path"):
        seen = _path(state, dropin["path"])
        wanted = [dropin.get("checksum"), dropin.get("owner"), dropin.get("group"), dropin.get("mode")]
        if [seen["checksum"], seen["owner"], seen["group"], seen["mode"]] != wanted:
            steps["dropin"] = _step(True, "%s %s" % (dropin["path"], "differs" if seen["exists"] else "is missing"),
                                    _path(state, _parent(dropin["path"]))["isdir"], check)
        else:
            steps["dropin"] = _skip("drop-in as wanted")
    else:
        steps["dropin"] = _skip("no drop-in")
    service = state.get("service") or {}
    service_diff = []
    if steps["dropin"]["pending"]:
        service_diff.append("the drop-in is new")
    if service.get("enabled") != "enabled":
        service_diff.append("not enabled (%s)" % service.get("enabled"))
    if service.get("active") != "active":
        service_diff.append("not active (%s)" % service.get("active"))
    # the restart handler enables and (re)starts; it is a command, so check mode skips it by itself
    steps["service"] = _step(True, "; ".join(service_diff)) if service_diff else _skip("enabled and active")

    # ---- what stops the run, what is worth a warning
    r = r_facts(desired, state)
    settings = config_settings(desired, r)
    if settings is not None:
        config["settings"] = settings
    errors = []
    os_facts = state.get("os") or {}
    if os_facts.get("os_family") != "Debian":
        errors.append("rtvs.remote.linux_broker supports Debian and Ubuntu (apt, systemd); this host is %s %s."
                      % (os_facts.get("name") or "unknown", os_facts.get("version_id") or ""))
    unit = "%s.service" % (desired.get("service") or "rtvsd")
    others = [o for o in state.get("listeners") or [] if o.get("unit") != unit]
    if others:
        holders = ", ".join("%s %s %s" % (o.get("program"), o.get("pid"), o.get("unit") or "unknown") for o in others)
        errors.append("rtvs_port %s is already in use by %s (program pid unit), so rtvsd could not listen there. Stop "
                      "that program or set rtvs_port to a free port. Nothing was changed." % (desired.get("port"), holders))
    errors.extend(firewall["errors"])
    r = r_facts(desired, state)
    if r["refused"]:
        errors.append("R %s is outside %s, the only versions the RTVS broker accepts, so no R session could start. "
                      "Pin a 3.x version with rtvs_linux_r_source=cran and rtvs_linux_r_version, or set "
                      "rtvs_require_supported_r=false to install anyway. Nothing was changed."
                      % (r["version"] or "(unknown)", r["range"]))
    warnings = []
    if desired.get("certificate_source") == "selfsigned":
        warnings.append("rtvs_certificate_source=selfsigned is for testing on a trusted network. RTVS clients warn on "
                        "every connection and cannot tell an attacker's certificate from this one; use source ca or "
                        "provided in production.")
    if not desired.get("allowed_sources"):
        warnings.append("rtvs_allowed_sources is empty, so TCP %s accepts every address. The broker's /remoteuri "
                        "forwards requests before checking credentials; list your clients' networks in "
                        "rtvs_allowed_sources." % desired.get("port"))
    warnings.extend(firewall["warnings"])
    if not r["supported"] and not r["refused"]:
        warnings.append("R %s is outside %s; the RTVS broker will list no interpreter and refuse sessions (400 "
                        "NoRInterpreters). Set rtvs_require_supported_r=true to fail instead."
                        % (r["version"] or "(unknown)", r["range"]))

    todo = dict((name, steps[name]["todo"]) for name in STEPS)
    for name, members in FILES:
        todo["file_" + name] = any(steps[m]["todo"] for m in members)
    todo["before_config"] = any(todo["file_" + f] for f in ("r", "daemon", "certificate", "users", "folders"))
    todo["after_config"] = todo["file_firewall"] or todo["file_service"] or todo["file_snakeoil"]
    pending = ["%s: %s" % (name, steps[name]["why"]) for name in STEPS if steps[name]["pending"]]
    todo["report_pending"] = check and bool(pending)
    # the .deb is copied from the controller first (a URL goes to apt directly); the health probe needs a real run
    todo["daemon_copy"] = todo["daemon"] and from_controller
    todo["health"] = bool(desired.get("health_check", True)) and not check
    todo["warn"] = bool(warnings)
    todo["tell"] = todo["warn"] or todo["report_pending"]
    # whether the role has anything to do on the host after the plan (one guarded include, apply.yml); on a host
    # with nothing else to do the health probe is asked by the plan step itself first (probed() below)
    todo["act"] = any(steps[name]["todo"] for name in STEPS) or todo["report_pending"]
    todo["probe"] = todo["health"] and not todo["act"]
    todo["any"] = todo["act"] or todo["health"]
    return {
        "check_mode": check,
        "steps": steps,
        "todo": todo,
        "pending": pending,
        "errors": errors,
        "warnings": warnings,
        "r": r,
        "config": config,
        "folders": folders,
        "firewall": firewall["facts"],
    }
