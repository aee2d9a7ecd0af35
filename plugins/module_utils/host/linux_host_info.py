# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state of a Linux host that rtvs.remote.linux_broker compares with what it wants, read in one go.

Pure Python, no Ansible imports, no cryptography: the role calls rtvs.remote.linux_host_info once
and lets every step whose state already matches skip, instead of paying a module call (an SSH round
trip and a Python start on the host) per step to learn that nothing changes. Read-only: nothing is
written; the only processes run are ``systemctl`` (through the callable the caller passes).

What is read, each below ``root`` (``/`` on a host, a temporary folder in unit tests):
- /etc/os-release (replaces the distribution facts of ansible.builtin.setup);
- dpkg's status for the named packages (installed version, held or not);
- passwd, group and shadow for the service account, groups and user accounts. A user entry's
  password hash is compared here and only the result leaves the host: the hashes are never returned;
- owner, group, mode and SHA-1 (as ansible.builtin.stat and copy compute it) of the named paths;
- whether the key files are already as rtvs.remote.key_access would leave them (its own check mode);
- the programs listening on a TCP port, with their systemd unit, from /proc;
- whether ufw is installed; the systemd unit's enabled and active state.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re
import stat

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_config, broker_rules
from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host import (fileio, host_readers, key_access, linux_firewall,
                                                                       linux_plan)

UFW = "/usr/sbin/ufw"
UFW_RULES = ("/etc/ufw/user.rules", "/etc/ufw/user6.rules")
UNIT_PATTERN = re.compile(r"([^/]+\.(?:service|scope))$")


class StateError(Exception):
    """Bad input to the state module; the message names the option to fix."""


# ---------------------------------------------------------------- operating system


def os_release(root):
    """ID, ID_LIKE, VERSION_ID, VERSION_CODENAME of /etc/os-release, and the os_family Ansible would name."""
    fields = {}
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            text = root.read_text(path)
        except (IOError, OSError):
            continue
        for line in text.splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                fields[key.strip()] = value.strip().strip("\"'")
        break
    ident = fields.get("ID", "").lower()
    like = fields.get("ID_LIKE", "").lower().split()
    family = "Debian" if ident in ("debian", "ubuntu") or "debian" in like or "ubuntu" in like else None
    return {
        "id": ident or None,
        "id_like": like,
        "name": fields.get("NAME"),
        "version_id": fields.get("VERSION_ID"),
        "codename": fields.get("VERSION_CODENAME") or fields.get("UBUNTU_CODENAME"),
        "os_family": family,
    }


# ---------------------------------------------------------------- packages


def packages(root, names):
    """{name: {version, held}} for the named packages dpkg has installed; the others are absent."""
    installed = host_readers.dpkg_packages(root)
    result = {}
    for name in names or []:
        info = installed.get(name)
        if info:
            result[name] = {"version": info["version"], "held": info["status"].startswith("hold ")}
    return result


# ---------------------------------------------------------------- accounts


def _user_matches(entry, passwd, groups, shadow, group, root):
    name = entry.get("name")
    user = passwd.get(name)
    if not user:
        return False
    if group:
        info = groups.get(group)
        if not info or (name not in info["members"] and user["gid"] != info["gid"]):
            return False
    if entry.get("home") and entry["home"] != user["home"]:
        return False
    if entry.get("shell") and entry["shell"] != user.get("shell"):
        return False
    if not root.isdir(user["home"]):
        return False
    if (entry.get("update_password") or "always") == "always" and entry.get("password_hash"):
        if shadow is None or shadow.get(name) != entry["password_hash"]:
            return False
    return True


def accounts(root, service_account=None, group_names=None, users=None, users_group=None):
    """Which accounts and groups exist, and which user entries would change (names only, never hashes)."""
    passwd = host_readers.read_passwd(root)
    groups = host_readers.read_groups(root)
    result = {"groups": dict((name, name in groups) for name in group_names or [])}
    if service_account:
        user = passwd.get(service_account)
        primary = [g for g, info in groups.items() if user and info["gid"] == user["gid"]]
        result["service_account"] = {
            "name": service_account,
            "user": user is not None,
            "group": service_account in groups,
            "primary_group": primary[0] if primary else None,
            "shell": user.get("shell") if user else None,
        }
    if users:
        shadow = host_readers.read_shadow(root)
        result["users_to_change"] = [e.get("name") for e in users
                                     if not _user_matches(e, passwd, groups, shadow, users_group, root)]
    return result


def ufw_enabled(host):
    """Whether ufw is enabled at boot and now (ENABLED=yes in /etc/ufw/ufw.conf, as `ufw enable` writes)."""
    try:
        text = host.read_text("/etc/ufw/ufw.conf")
    except (IOError, OSError):
        return False
    for line in text.splitlines():
        key, _sep, value = line.partition("=")
        if key.strip() == "ENABLED":
            return value.strip().strip("'\"").lower() == "yes"
    return False


# ---------------------------------------------------------------- files


def _sha1(path):
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def path_facts(root, paths):
    """{path: {exists, isdir, owner, group, mode, checksum}}; checksum is the SHA-1 of a regular file."""
    result = {}
    for path in paths or []:
        real = root.path(path)
        try:
            st = os.lstat(real)
        except OSError:
            result[path] = {"exists": False, "isdir": False, "owner": None, "group": None, "mode": None,
                            "checksum": None}
            continue
        regular = stat.S_ISREG(st.st_mode)
        try:
            checksum = _sha1(real) if regular else None
        except (IOError, OSError):
            checksum = None
        result[path] = {
            "exists": True,
            "isdir": stat.S_ISDIR(st.st_mode),
            "owner": host_readers.name_of(host_readers.pwd_name, st.st_uid),
            "group": host_readers.name_of(host_readers.grp_name, st.st_gid),
            "mode": "%04o" % stat.S_IMODE(st.st_mode),
            "checksum": checksum,
        }
    return result


def key_access_pending(params):
    """Whether rtvs.remote.key_access with ``params`` would change something (its own check mode).

    A file or account that does not exist yet means pending, with the reason.
    """
    try:
        result = key_access.apply_key_access(params, check_mode=True)
    except (key_access.AccessError, KeyError, OSError) as exc:
        return {"pending": True, "reason": str(exc)}
    return {"pending": bool(result["changed"]), "reason": None}


def config_pending(desired, state, certificate_password=None):
    """Whether rtvs.remote.broker_config would change the configuration (its own check mode, the same merge and
    validation), with the settings and flags the plan gives it. A file or check it cannot pass yet means pending:
    broker_config then runs and says what is wrong. Only the reason leaves the host, never the file's content."""
    config = desired["config"]
    params = dict(linux_plan.config_flags(desired, state))
    params.update(path=config.get("path") or "/etc/rtvs/rtvsd.config.json", platform=broker_config.LINUX,
                  settings=linux_plan.config_settings(desired, linux_plan.r_facts(desired, state)),
                  certificate_password=certificate_password, owner=config.get("owner"), group=config.get("group"),
                  mode=config.get("mode"))
    try:
        result = broker_config.apply_file(params, check_mode=True)
    except (broker_config.BrokerConfigError, fileio.FileError, ImportError, OSError, ValueError) as exc:
        return {"pending": True, "reason": "broker_config has to run: %s" % exc}
    if not result["changed"]:
        return {"pending": False, "reason": None}
    why = ["the settings differ" if result["content_changed"] else None]
    if result.get("attributes_changed"):
        why.append("%s differ" % ", ".join(result["attributes_changed"]))
    return {"pending": True, "reason": "%s: %s" % (params["path"], "; ".join(w for w in why if w))}


# ---------------------------------------------------------------- ufw


def _ufw_comment(parts):
    """The comment of a saved ufw rule (ufw writes it hex-encoded: comment=72747673...), or None."""
    for part in parts[7:]:
        if part.startswith("comment="):
            try:
                return bytes.fromhex(part[len("comment="):]).decode("utf-8", "replace")
            except ValueError:
                return None
    return None


def ufw_rules(root, comment=None):
    """ufw's saved rules as 'action proto port source direction' ('allow tcp 5444 10.0.0.0/8 in'), both files;
    with ``comment``, only the rules carrying that comment (the ones this role made)."""
    rules = []
    for path in UFW_RULES:
        try:
            text = root.read_text(path)
        except (IOError, OSError):
            continue
        for line in text.splitlines():
            # ### tuple ### <action> <proto> <dport> <dst> <sport> <src> <direction> [comment=...]
            if line.startswith("### tuple ###"):
                parts = line[len("### tuple ###"):].split()
                if len(parts) >= 7 and (comment is None or _ufw_comment(parts) == comment):
                    rules.append(" ".join([parts[0], parts[1], parts[2], parts[5], parts[6]]))
    return rules


# ---------------------------------------------------------------- sockets


def _unit_of(root, pid):
    """The systemd unit of a process from its cgroup (unified 0:: or the name=systemd hierarchy)."""
    try:
        text = root.read_text("/proc/%s/cgroup" % pid)
    except (IOError, OSError):
        return None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[0].isdigit() and parts[1] in ("", "name=systemd"):
            match = UNIT_PATTERN.search(parts[2].strip())
            if match:
                return match.group(1)
    return None


def port_listeners(root, port):
    """[{program, pid, unit}] of the processes holding a listening TCP socket on ``port``."""
    inodes = set(inode for _address, inode in host_readers.listening_sockets(root, port) if inode)
    found = []
    if not inodes:
        return found
    wanted = set("socket:[%s]" % inode for inode in inodes)
    try:
        pids = [p for p in os.listdir(root.path("/proc")) if p.isdigit()]
    except OSError:
        return found
    for pid in sorted(pids, key=int):
        fd_dir = root.path("/proc/%s/fd" % pid)
        try:
            links = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in links:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target in wanted:
                try:
                    program = root.read_text("/proc/%s/comm" % pid).strip()
                except (IOError, OSError):
                    program = None
                found.append({"program": program, "pid": int(pid), "unit": _unit_of(root, pid)})
                break
    return found


# ---------------------------------------------------------------- everything


def _with_desired(params):
    """The options to read, completed from ``desired`` (the role's desired state) when it is given."""
    desired = params.get("desired")
    if not desired:
        return dict(params)
    if not isinstance(desired, dict):
        raise StateError("desired must be a dict (module_utils/host/linux_role.py builds it)")
    merged = dict(params)
    daemon = desired.get("daemon") or {}
    packages = list(params.get("packages") or [])
    for name in [linux_plan.R_PACKAGE, linux_plan.CRYPTOGRAPHY, linux_plan.DAEMON_PACKAGE] + list(
            daemon.get("extra_packages") or []):
        if name not in packages:
            packages.append(name)
    merged["packages"] = packages
    merged["service_account"] = params.get("service_account") or desired.get("service_account")
    group = desired.get("allowed_group")
    groups = list(params.get("groups") or [])
    merged["groups"] = groups + ([group] if group and group not in groups else [])
    merged["users_group"] = params.get("users_group") or group
    pfx_path = (desired.get("pfx") or {}).get("path")
    dropin = (desired.get("dropin") or {}).get("path")
    paths = list(params.get("paths") or [])
    wanted = [f["path"] for f in desired.get("folders") or []] + [p for p in (dropin, pfx_path) if p]
    wanted += [linux_plan.CRAN_SOURCES, broker_rules.SNAKEOIL_PFX if pfx_path else None,
               os.path.dirname(pfx_path) if pfx_path else None,
               os.path.dirname(dropin) if dropin else None]
    for path in wanted:
        if path and path not in paths:
            paths.append(path)
    merged["paths"] = paths
    if pfx_path and not params.get("key_access"):
        merged["key_access"] = {"paths": [pfx_path], "account": merged["service_account"], "method": "group",
                                "owner": "root"}
    # the firewall's files (linux_firewall.py), unless the role manages no firewall
    if desired.get("firewall", True) and desired.get("firewall_backend", "auto") != "none":
        merged["firewall_paths"] = True
        paths.extend(p for p in linux_firewall.PATHS if p not in paths)
    if not params.get("service") and desired.get("service"):
        merged["service"] = desired["service"]
    if params.get("port") is None and desired.get("port") is not None:
        merged["port"] = int(desired["port"])
    return merged


def r_candidate(apt_cache):
    """The version apt would install for r-base-core ('Candidate:' of apt-cache policy), '' when none."""
    if apt_cache is None:
        return ""
    match = re.search(r"Candidate:\s*([^\s(]+)", apt_cache(["policy", linux_plan.R_PACKAGE]) or "")
    return match.group(1) if match and match.group(1) != "(none)" else ""


def nft_table(host, nft):
    """The table inet rtvs as ``nft -j`` lists it (linux_firewall.read_table); None without the nft command."""
    if nft is None or not host.exists(linux_firewall.NFT):
        return None
    return linux_firewall.read_table(nft)


def gather(params, root="/", systemctl=None, apt_cache=None, nft=None):
    """The module result for rtvs.remote.linux_host_info (with ``plan`` when ``desired`` is given)."""
    host = host_readers.Root(root)
    params = _with_desired(params)
    port = params.get("port")
    if port is not None and not 0 < int(port) < 65536:
        raise StateError("port must be 1-65535 (now %s)" % port)
    users = params.get("users") or []
    for entry in users:
        if not entry.get("name"):
            raise StateError("every entry of users needs a name")
    state = {
        "os": os_release(host),
        "packages": packages(host, params.get("packages")),
        "accounts": accounts(host, params.get("service_account"), params.get("groups"), users,
                             params.get("users_group")),
        "paths": path_facts(host, params.get("paths")),
        "ufw": host.exists(UFW),
        "ufw_enabled": ufw_enabled(host),
        "ufw_rules": ufw_rules(host),
        "ufw_rules_ours": ufw_rules(host, linux_firewall.UFW_COMMENT),
        "nft": host.exists(linux_firewall.NFT),
        "listeners": port_listeners(host, int(port)) if port is not None else [],
    }
    if params.get("firewall_paths") and state["nft"]:
        state["nft_table"] = nft_table(host, nft)
        if systemctl is not None and host.exists(linux_firewall.UNIT_FILE):
            state["nft_unit_active"] = systemctl(["is-active", linux_firewall.UNIT_NAME]) or "unknown"
    if params.get("key_access"):
        state["key_access"] = key_access_pending(params["key_access"])
    if params.get("service"):
        state["service"] = host_readers.service_facts(host, params["service"], systemctl)
    result = {"changed": False, "state": state, "r_supported_range": broker_rules.R_SUPPORTED_TEXT}
    desired = params.get("desired")
    if desired:
        r_want = desired.get("r") or {}
        # apt's candidate only matters when R is to be installed from the distribution without a pin
        if (r_want.get("install") and r_want.get("source", "distro") == "distro" and not r_want.get("version")
                and linux_plan.R_PACKAGE not in state["packages"]):
            state["r_candidate"] = r_candidate(apt_cache)
        try:
            if desired.get("config"):
                state["config"] = config_pending(desired, state, params.get("certificate_password"))
            result["plan"] = linux_plan.plan(desired, state)
        except (linux_plan.PlanError, KeyError, TypeError) as exc:
            raise StateError("desired: %s" % exc)
    return result


def run(params, check_mode=False):
    """The linux_host_info module: read the state and plan on this host (read-only: check mode is the same)."""
    del check_mode
    return gather(params, root="/", systemctl=module_runner.command_runner("systemctl", missing="no-systemctl"),
                  apt_cache=module_runner.command_runner("apt-cache", missing=""),
                  nft=module_runner.process_runner("nft"))


# The linux_host_info module: its logic and refusals (module and action plugin run this).
ENTRY = module_runner.Entry("linux_host_info", run, refusals=(StateError,))
