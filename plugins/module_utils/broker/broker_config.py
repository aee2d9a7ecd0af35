# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge, validate, render and redact the RTVS broker's JSON configuration.

Pure Python, no Ansible imports: the module rtvs.remote.broker_config uses it on a
Linux host (rtvsd.config.json) and the filter rtvs.remote.broker_config_render on
the controller for a Windows broker (Microsoft.R.Host.Broker.Config.json).

The broker reads the file through ASP.NET Core configuration, where key names are
case-insensitive. So a setting ``security.x509certificatepassword`` updates an
existing ``X509CertificatePassword`` key in place and keeps the file's spelling.
Keys nobody manages stay as they are, new keys get the broker's canonical spelling
and are appended in a stable (case-insensitive alphabetical) order, and a file the
settings do not change is returned byte for byte (see plan()).

Settings are nested dicts and/or dotted keys (``{"security": {"allowedGroup": ""}}``
or ``{"security.allowedGroup": ""}``). ``None`` removes a key. Lists replace.
``server.urls`` (the broker 1.1 key that 1.x still honours on Windows) is one
literal key, not ``server`` -> ``urls``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re
from collections import OrderedDict

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules, password_rules
from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host import fileio
from ansible_collections.rtvs.remote.plugins.module_utils.tls import pfx
from ansible_collections.rtvs.remote.plugins.module_utils.broker.broker_config_json import (  # noqa: F401  pylint: disable=unused-import
    _BOMS,
    BrokerConfigError,
    BrokerConfigInvalid,
    _CANONICAL,
    _canonical,
    decode,
    DEFAULT_PORT,
    _duplicate,
    find_key,
    _flat_leaf,
    flatten,
    get,
    LINUX,
    LITERAL_DOTTED_KEYS,
    _merge_sections,
    _no_constant,
    _pairs_hook,
    parse,
    PASSWORD_PATH,
    _plain,
    REDACTED,
    SECRET_KEYS,
    _split,
    _split_once,
    WINDOWS,
    _without_comments,
)


# ---------------------------------------------------------------- merge

def with_certificate_password(settings, certificate_password=None):
    """Settings plus security.X509CertificatePassword from ``certificate_password``.

    A password inside ``settings`` is refused: settings are module arguments that -vvvv
    echoes, the password option is no_log. ``None`` there (remove the key) is allowed.
    """
    settings = settings or {}
    for path, value in flatten(settings):
        if path[-1].lower() == "x509certificatepassword" and value is not None:
            raise BrokerConfigError(
                "settings.%s: do not put the PFX password in settings (they are logged with -vvvv); "
                "give it as certificate_password (from a vault variable)" % ".".join(path)
            )
    if certificate_password is None:
        return settings
    merged = OrderedDict(settings)
    merged["security.X509CertificatePassword"] = certificate_password
    return merged


def merge(existing_text, settings, path=None):
    """Merge ``settings`` into the parsed existing file; return the new config (an OrderedDict).

    The existing file's keys keep their spelling and order; new keys use the broker's
    canonical spelling, appended in case-insensitive alphabetical order at their level.
    """
    config = copy.deepcopy(parse(existing_text, path))
    additions = {}
    for segments, value in flatten(settings or {}):
        value = _plain(value, ".".join(segments))
        node = config
        for depth, part in enumerate(segments):
            flat = _flat_leaf(node, segments[depth:]) if len(segments) - depth > 1 else None
            if flat is not None:  # the file spells this setting as one 'a:b' key: update that key
                if value is None:
                    del node[flat]
                else:
                    node[flat] = value
                break
            last = depth == len(segments) - 1
            key = find_key(node, part)
            if last:
                if value is None:
                    if key is not None:
                        del node[key]
                elif key is not None:
                    if isinstance(node[key], dict) and isinstance(value, dict):
                        pass  # empty dict given: keep the existing section
                    else:
                        node[key] = value
                else:
                    key = _canonical(segments[: depth + 1])
                    node[key] = value
                    additions.setdefault(id(node), (node, []))[1].append(key)
                break
            if key is None:
                if value is None:
                    break  # removing something below a missing section: nothing to do
                key = _canonical(segments[: depth + 1])
                node[key] = OrderedDict()
                additions.setdefault(id(node), (node, []))[1].append(key)
            elif not isinstance(node[key], dict):
                if value is None:
                    break
                raise BrokerConfigError(
                    "settings.%s: %s is a %s in the file, not a section; give settings.%s as a whole value "
                    "instead" % (".".join(segments), ".".join(segments[: depth + 1]),
                                 type(node[key]).__name__, ".".join(segments[: depth + 1]))
                )
            node = node[key]
    for node, added in additions.values():
        _sort_new_keys(node, added)
    return config


def _sort_new_keys(node, added):
    """Move the keys added to ``node`` behind the existing ones, sorted case-insensitively."""
    added_set = set(k for k in added if k in node)
    tail = sorted(added_set, key=lambda k: (k.lower(), k))
    items = [(k, node[k]) for k in node if k not in added_set] + [(k, node[k]) for k in tail]
    node.clear()
    node.update(items)


def render(config):
    """JSON text: 2-space indent, key order kept, non-ASCII kept, trailing newline.

    NaN and Infinity (not JSON; the broker would not start) and absurd nesting are refused.
    """
    try:
        return json.dumps(config, indent=2, ensure_ascii=False, separators=(",", ": "), allow_nan=False) + "\n"
    except ValueError:
        raise BrokerConfigError("settings hold NaN or Infinity, which is not JSON and would stop the broker from "
                                "starting; give a number or null")
    except RecursionError:
        raise BrokerConfigError("settings are nested too deeply to be a broker configuration")


def _same(a, b):
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False)


def plan(existing_text, settings, path=None):
    """(config, text, changed): the merged config and the text to write.

    When merging changes nothing the existing text is returned unchanged, byte for byte,
    whatever its formatting.
    """
    existing_text = decode(existing_text, path or "broker configuration")
    config = merge(existing_text, settings, path)
    if existing_text and existing_text.strip("\ufeff \t\r\n") and _same(parse(existing_text, path), config):
        return config, existing_text, False
    return config, render(config), True


def redact(config):
    """Deep copy with every secret (X509CertificatePassword, secret, their 'a:b' forms) shown as the mask."""
    return broker_rules.redact(config)


# ---------------------------------------------------------------- validation

_URL = re.compile(r"^\s*(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>\[[^\]]*\]|[^:/\s]*)(:(?P<port>[^/\s]*))?(?P<rest>/.*)?\s*$")


def _url_errors(key, value):
    if not isinstance(value, str) or not value.strip():
        return ["%s must be a URL string like 'https://0.0.0.0:%d'" % (key, DEFAULT_PORT)]
    errors = []
    for url in [u for u in value.split(";") if u.strip()]:
        match = _URL.match(url)
        if not match:
            errors.append("%s: %r is not a URL; use 'https://0.0.0.0:%d'" % (key, url, DEFAULT_PORT))
            continue
        if match.group("scheme").lower() != "https":
            errors.append("%s: %r must use https (the client always connects with TLS); use 'https://0.0.0.0:%s'"
                          % (key, url, match.group("port") or DEFAULT_PORT))
        port = match.group("port")
        if not port or not port.isdigit() or not 1 <= int(port) <= 65535:
            errors.append("%s: %r needs a port between 1 and 65535, e.g. 'https://0.0.0.0:%d'"
                          % (key, url, DEFAULT_PORT))
        if broker_rules.is_loopback(match.group("host")):
            errors.append("%s: %r listens on a loopback name, which turns TLS off in the broker; use 0.0.0.0"
                          % (key, url))
    return errors


def _url_keys(config, platform):
    keys = ["urls"] + (["server.urls"] if platform == WINDOWS else [])
    return [(find_key(config, k), k) for k in keys if find_key(config, k) is not None]


def effective_port(config, platform=LINUX):
    """The port the broker listens on: from urls (or server.urls on Windows), else 5444."""
    for key, _name in _url_keys(config, platform):
        value = config[key]
        if isinstance(value, str):
            for url in value.split(";"):
                match = _URL.match(url)
                if match and (match.group("port") or "").isdigit():
                    return int(match.group("port"))
    return DEFAULT_PORT


def _interpreters(value):
    if isinstance(value, list):
        return [(str(i), v) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return list(value.items())
    return None


def validate(config, platform=LINUX, host_checks=None):
    """List of error strings (empty when the config is good), each naming the key and the fix.

    ``host_checks`` holds optional callables for checks on the host that runs the broker:
    ``group_exists(name) -> bool``, ``libr_exists(base_path) -> bool`` and
    ``open_certificate(path, password) -> None or error text``. Missing ones are skipped.
    """
    if platform not in (LINUX, WINDOWS):
        return ["platform must be linux or windows, got %r" % (platform,)]
    checks = host_checks or {}
    errors = ["%s and %s are the same setting for the broker (ASP.NET Core reads 'a:b' as a -> b and refuses a "
              "file that sets one twice); keep one of them" % pair for pair in broker_rules.duplicate_settings(config)]
    config = broker_rules.expand(config)  # 'security:X509CertificatePassword' is checked as the nested key

    for key, _name in _url_keys(config, platform):
        errors.extend(_url_errors(key, config[key]))

    lifetime_key = find_key(config, "lifetime")
    if lifetime_key is not None and config[lifetime_key] not in (None, {}):
        inner = config[lifetime_key]
        names = [k for k, v in inner.items() if v is not None] if isinstance(inner, dict) else [lifetime_key]
        if names:
            errors.append(
                "%s.%s: lifetime settings make the broker stop itself (they are for local brokers); "
                "remove them, e.g. settings: {lifetime: null}" % (lifetime_key, "/".join(names))
            )
    for key in config:
        if key.lower().startswith(("lifetime.", "lifetime:")) and config[key] is not None:
            errors.append("%s: lifetime settings make the broker stop itself; remove the key" % key)

    security = get(config, "security")
    if security is not None and not isinstance(security, dict):
        errors.append("security must be a section ({...}), found %s" % type(security).__name__)
        security = {}
    security = security or {}

    secret_key = find_key(security, "secret")
    if secret_key is not None and security[secret_key] not in (None, ""):
        errors.append("security.%s replaces the real login with a shared secret and is for local brokers only; "
                      "remove it (settings: {security: {secret: null}})" % secret_key)

    group_key = find_key(security, "allowedGroup")
    group = security.get(group_key) if group_key else None
    if group_key is not None and group is not None and not isinstance(group, str):
        errors.append("security.%s must be a group name or '' (no group check)" % group_key)
    elif "group_exists" in checks:
        if group_key is None and platform == LINUX:
            if not checks["group_exists"]("Users"):
                errors.append("security.allowedGroup is not set, so the broker requires group 'Users', which does "
                              "not exist on this host and every login fails; set security.allowedGroup to an "
                              "existing group (e.g. rtvs-users) or '' for no group check")
        elif group and not checks["group_exists"](group):
            errors.append("security.%s: group %r does not exist on this host; create it (ansible.builtin.group) "
                          "or set allowedGroup to an existing group" % (group_key, group))

    file_key = find_key(security, "X509CertificateFile")
    cert_file = security.get(file_key) if file_key else None
    password_key = find_key(security, "X509CertificatePassword")
    password = security.get(password_key) if password_key else None
    if password is not None and not isinstance(password, str):
        errors.append("security.%s must be a string or null" % password_key)
    password_problem = password_rules.control_character_problem(
        "security.%s (certificate_password)" % password_key, password)
    if password_problem:
        errors.append(password_problem)
    if cert_file:
        if not isinstance(cert_file, str):
            errors.append("security.%s must be a path string" % file_key)
        elif "open_certificate" in checks and not password_problem:
            problem = checks["open_certificate"](cert_file, password if isinstance(password, str) else None)
            if problem:
                errors.append("security.%s: %s" % (file_key, problem))
    elif platform == LINUX:
        errors.append("security.X509CertificateFile is not set: on Linux the broker finds its certificate only "
                      "through this PFX file; set it (e.g. /etc/rtvs/broker.pfx, made by rtvs.remote.pfx)")

    name_key = find_key(security, "X509CertificateName")
    if platform == WINDOWS and name_key is not None and security[name_key]:
        name = security[name_key]
        if not isinstance(name, str) or not re.match(r"^\s*CN\s*=\s*\S", name, re.IGNORECASE):
            errors.append("security.%s: %r must be the certificate's full Subject like 'CN=broker.example.com' "
                          "(the broker compares the whole Subject)" % (name_key, name))

    r_section = get(config, "r")
    interp_key = find_key(r_section, "interpreters") if isinstance(r_section, dict) else None
    if interp_key is not None and r_section[interp_key] is not None:
        entries = _interpreters(r_section[interp_key])
        if entries is None:
            errors.append("r.%s must map an id to {name, basePath} (or be a list of them)" % interp_key)
            entries = []
        for ident, entry in entries:
            where = "r.%s.%s" % (interp_key, ident)
            base_key = find_key(entry, "basePath") if isinstance(entry, dict) else None
            base = entry.get(base_key) if base_key else None
            if not isinstance(base, str) or not base:
                errors.append("%s needs basePath, the R folder (on Linux the one holding lib/libR.so, "
                              "e.g. /usr/lib/R)" % where)
            elif platform == LINUX and "libr_exists" in checks and not checks["libr_exists"](base):
                errors.append("%s.%s: %s has no lib/libR.so; set it to the folder that holds lib/libR.so "
                              "(e.g. /usr/lib/R)" % (where, base_key, base))
    return errors


# ---------------------------------------------------------------- host checks (Linux)

def _group_exists(name):
    import grp
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _libr_exists(base_path):
    return os.path.isfile(os.path.join(base_path, "lib", "libR.so"))


CERTIFICATE_FIX = ("give the PFX's password as certificate_password or rebuild it with rtvs.remote.pfx "
                   "(or set validate_certificate: false)")


def _open_certificate(path, password):
    """None when ``path`` is a PKCS#12 file that ``password`` opens with a key and a certificate, else the problem."""
    try:
        pfx.read_pfx(path, password, fix=CERTIFICATE_FIX, password_name="the configured X509CertificatePassword",
                     require_key_and_cert=True)
    except pfx.PfxError as exc:
        return str(exc)
    return None


def linux_host_checks(validate_certificate=True, pending_group=None, r_pending=False):
    """host_checks for validate() on the Linux host that runs rtvsd.

    ``pending_group``: a group this run creates (check mode plans it, it does not exist yet), counted as
    existing; ``r_pending``: R is installed by this run, so libR.so is not looked for.
    """
    def group_exists(name):
        return (pending_group is not None and name == pending_group) or _group_exists(name)

    checks = {"group_exists": group_exists}
    if not r_pending:
        checks["libr_exists"] = _libr_exists
    if validate_certificate:
        checks["open_certificate"] = _open_certificate
    return checks


def pending_notes(config, pending_group=None, r_pending=False):
    """What validation took on trust because this run creates it (shown in check mode instead of failing)."""
    notes = []
    if pending_group is not None and broker_rules.ci_get(config, "security", "allowedGroup") == pending_group:
        notes.append("security.allowedGroup: group %r does not exist yet; this run creates it" % pending_group)
    if r_pending and broker_rules.ci_get(config, "r", "interpreters"):
        notes.append("r.interpreters: R is not installed yet, so lib/libR.so was not looked for; this run installs it")
    return notes


# ---------------------------------------------------------------- the module's work

def apply_file(params, check_mode=False):
    """_apply_file() with absurd nesting (settings or file) refused instead of a RecursionError."""
    try:
        return _apply_file(params, check_mode)
    except RecursionError:
        raise BrokerConfigError("%s: the settings or the file are nested too deeply to be a broker configuration; "
                                "nothing was written" % params["path"])


def _apply_file(params, check_mode=False):
    """Merge, validate and (unless check_mode) write params['path']; return the module result.

    Keys of ``params``: path, settings, certificate_password, platform, validate_certificate,
    owner, group, mode, backup. Nothing is written when anything fails.
    """
    path = params["path"]
    platform = params.get("platform") or LINUX
    settings = with_certificate_password(params.get("settings") or {}, params.get("certificate_password"))
    existing = fileio.read_bytes(path, managed=True)
    config, text, content_changed = plan(existing, settings, path)
    pending_group = (broker_rules.ci_get(config, "security", "allowedGroup")
                     if params.get("allowed_group_pending") else None)
    r_pending = bool(params.get("r_pending"))
    checks = linux_host_checks(params.get("validate_certificate", True), pending_group,
                               r_pending) if platform == LINUX else {}
    errors = validate(config, platform, checks)
    if errors:
        raise BrokerConfigInvalid(path, errors)
    if existing is None:
        content_changed = True
    attr_changes = [] if existing is None else fileio.attribute_changes(
        path, params.get("owner"), params.get("group"), params.get("mode"))
    before = "" if existing is None else render(redact(parse(existing, path)))
    result = {
        "changed": bool(content_changed or attr_changes),
        "content_changed": bool(content_changed),
        "path": path,
        "config": redact(config),
        "port": effective_port(config, platform),
        "diff": {
            "before": before, "after": render(redact(config)),
            "before_header": path if existing is not None else "(absent)", "after_header": path,
        },
    }
    if attr_changes:
        result["attributes_changed"] = sorted(attr_changes)
    if platform == LINUX:
        result["pending"] = pending_notes(config, pending_group, r_pending)
        if result["pending"]:
            result["warnings"] = ["validated on trust: %s" % note for note in result["pending"]]
    if check_mode or not result["changed"]:
        return result
    if content_changed:
        backup = fileio.atomic_write(path, text.encode("utf-8"), owner=params.get("owner"),
                                     group=params.get("group"), mode=params.get("mode"),
                                     backup=params.get("backup", False), backup_keep=params.get("backup_keep") or 0)
        if backup:
            result["backup_file"] = backup
    else:
        fileio.apply_attributes(path, params.get("owner"), params.get("group"), params.get("mode"))
    return result


# The broker_config module: its logic and refusals (module and action plugin run this).
ENTRY = module_runner.Entry(
    "broker_config", apply_file, refusals=(BrokerConfigInvalid, BrokerConfigError, fileio.FileError),
)
