# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input rules of role rtvs.remote.linux_broker, checked on the controller before anything changes.

rtvs.remote.linux_broker_plan (the role's plan task, and its ``inputs_only`` use in tasks/preflight.yml) calls
``problems`` with the role's variables as the play resolves them: the role's argument spec
(meta/argument_specs.yml, checked with ansible-core's own ArgumentSpecValidator, as the role-entry validation task
would), then the rules below, every broken input named with its fix, all at once. One definition for both paths;
the rules read the values as the user gave them (before the spec's type conversion), as the checks always did.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.rtvs.remote.plugins.module_utils.broker import password_rules
from ansible_collections.rtvs.remote.plugins.module_utils.common.variables import unknown_variables

INSECURE_PASSWORDS = ("snakeoil", "password", "changeme")
SOURCE_PATTERN = re.compile(r"^[0-9a-fA-F.:]+(/[0-9]{1,3})?$")
CERTIFICATE_SOURCES = ("selfsigned", "ca", "provided", "internal_ca")
R_SOURCES = ("distro", "cran")
# variables of the other roles and playbooks of the collection, which share the rtvs_ prefix
OTHER_PREFIXES = ("rtvs_windows_", "rtvs_doctor_", "rtvs_client_trust_", "rtvs_rotate_")


def spec_problems(options, values):
    """(messages, no_log values) of ``values`` checked against the role's argument spec ``options``."""
    given = dict((name, values[name]) for name in options if name in values)
    result = ArgumentSpecValidator(options).validate(given)
    messages = []
    if result.error_messages:
        messages.append("Validation of the role's variables against meta/argument_specs.yml failed: %s."
                        % "; ".join(result.error_messages))
    return messages, set(result._no_log_values)


def _text(value):
    return "" if value is None else (value if isinstance(value, str) else str(value))


def as_bool(value):
    """``value`` as the role's Jinja read it (``| bool``); linux_role.py reads the switches the same way."""
    return boolean(value, strict=False)


def as_int(value):
    """``value`` as the role's Jinja read it (``| int``: a float string is cut, anything else is 0); the port check
    here and the port linux_role.py builds the configuration with read it the same way."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _unknown_message(unknown):
    names = "; ".join(v["name"] + (" (did you mean %s?)" % v["did_you_mean"] if v["did_you_mean"] else "")
                      for v in unknown)
    many = len(unknown) > 1
    return ("Unknown variable%s: %s. rtvs.remote.linux_broker would ignore %s and use the default. Rename it to an "
            "option listed in the role README (meta/argument_specs.yml), or remove it."
            % ("s" if many else "", names, "them" if many else "it"))


def _users_without_hash(users):
    found = []
    for user in users or []:
        if not isinstance(user, dict):
            continue
        name = user.get("name", "<entry without name>")
        if "password_hash" not in user:
            found.append(name)
    for user in users or []:
        if isinstance(user, dict) and "password_hash" in user and not _text(user["password_hash"]).startswith("$"):
            found.append(user.get("name", "<entry without name>"))
    return found


def rule_problems(v, variable_names, known, is_file=os.path.isfile):
    """The role's input rules over the variables ``v`` (name -> value as resolved; defaults included).

    ``variable_names`` are every rtvs_ variable the host has (for the misspelling check), ``known`` the role's
    options. Returns the messages of the broken rules, in the order the role lists them.
    """
    errors = []
    unknown = unknown_variables([n for n in variable_names if n.startswith("rtvs_")], known, OTHER_PREFIXES)
    if unknown:
        errors.append(_unknown_message(unknown))
    password = _text(v.get("rtvs_pfx_password"))
    if not (password and (as_bool(v.get("rtvs_allow_insecure_defaults", False)) or password.lower() not in INSECURE_PASSWORDS)
            and not re.match("(?i)replace-me", password)):
        errors.append("rtvs_pfx_password is empty, a placeholder, or a published default (%s). Set rtvs_pfx_password "
                      "from an ansible-vault file (see inventories/example/group_vars), or set "
                      "rtvs_allow_insecure_defaults=true for a throw-away test host." % ", ".join(INSECURE_PASSWORDS))
    if len(password) < 8:
        errors.append("rtvs_pfx_password must have at least 8 characters (the Windows role's minimum); choose a long "
                      "random one.")
    # the one password rule (module_utils/broker/password_rules.py, as the pfx module applies it)
    problem = password_rules.problem(password, "linux", name="rtvs_pfx_password")
    if problem:
        errors.append(problem)
    source = _text(v.get("rtvs_certificate_source"))
    files = dict((name, _text(v.get(name))) for name in (
        "rtvs_ca_certificate", "rtvs_ca_privatekey", "rtvs_provided_certificate", "rtvs_provided_privatekey"))
    if not (source in CERTIFICATE_SOURCES
            and (source != "ca" or (is_file(files["rtvs_ca_certificate"]) and is_file(files["rtvs_ca_privatekey"])))
            and (source != "provided" or (is_file(files["rtvs_provided_certificate"])
                                          and is_file(files["rtvs_provided_privatekey"])))):
        errors.append(
            "rtvs_certificate_source=%s needs readable files on the controller: source ca needs rtvs_ca_certificate "
            "and rtvs_ca_privatekey (now '%s', '%s'), source provided needs rtvs_provided_certificate and "
            "rtvs_provided_privatekey (now '%s', '%s'); source is one of %s."
            % (source, files["rtvs_ca_certificate"], files["rtvs_ca_privatekey"], files["rtvs_provided_certificate"],
               files["rtvs_provided_privatekey"], ", ".join(CERTIFICATE_SOURCES)))
    if source == "internal_ca" and len(_text(v.get("rtvs_internal_ca_passphrase"))) < 12:
        errors.append("rtvs_certificate_source=internal_ca needs rtvs_internal_ca_passphrase (12 characters or more, "
                      "from a vault: ansible-vault encrypt_string); it encrypts the CA's keys on the controller.")
    if not 1 <= as_int(v.get("rtvs_port")) <= 65535:
        errors.append("rtvs_port must be 1-65535 (now %s)." % _text(v.get("rtvs_port")))
    group = _text(v.get("rtvs_allowed_group"))
    if not group or group == "Users":
        errors.append("rtvs_allowed_group must name a Linux group for the broker's users (not empty, not the Windows "
                      "'Users'; now '%s'), for example rtvs-users." % group)
    bad = [_text(s) for s in (v.get("rtvs_allowed_sources") or []) if not SOURCE_PATTERN.match(_text(s))]
    if bad:
        errors.append("rtvs_allowed_sources must be IP addresses or CIDRs like 10.20.0.0/16 (not: %s)."
                      % ", ".join(bad))
    package = _text(v.get("rtvs_daemon_package"))
    if as_bool(v.get("rtvs_daemon_install", False)) and not re.match("^https?://", package) and not is_file(package):
        errors.append("With rtvs_daemon_install=true, rtvs_daemon_package must be an http(s) URL or a .deb on the "
                      "controller (now '%s'), or set rtvs_daemon_install=false to manage configuration only." % package)
    r_source = _text(v.get("rtvs_linux_r_source"))
    if r_source not in R_SOURCES or (r_source == "cran" and not _text(v.get("rtvs_linux_r_cran_repository"))):
        errors.append("rtvs_linux_r_source is distro or cran (now '%s'), and cran needs rtvs_linux_r_cran_repository "
                      "(the CRAN apt line)." % r_source)
    # the broker logs users in through PAM, so SSH keys alone cannot log in
    without = _users_without_hash(v.get("rtvs_users"))
    if without:
        errors.append("rtvs_users entries without a crypt(3) password_hash (like $6$...): %s. The broker checks "
                      "passwords through PAM, so SSH keys alone cannot log in. Add password_hash: "
                      "\"{{ 'the password' | password_hash('sha512') }}\" (kept in a vault) to each entry."
                      % ", ".join(_text(n) for n in without))
    return errors


def problems(options, values, variable_names, is_file=os.path.isfile):
    """(messages, no_log values): the argument spec's complaints, then the role's rules."""
    messages, secrets = spec_problems(options, values)
    return messages + rule_problems(values, variable_names, options, is_file=is_file), secrets
