# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role rtvs.remote.linux_broker's variables -> the options of its plan task, and the paths its tasks use.

The plan task (rtvs.remote.linux_broker_plan with ``from_role``) reads the role's rtvs_* variables once, as the
play resolves them, checks them (linux_inputs.py) and builds here, in Python, what the role used to template
field by field in Jinja for every host: the controller's part (internal CA, certificate, PFX), the desired state
of the host (linux_plan.py plans against it), the health probe and which tagged parts the run selects. The role's
constants (service, account, folders, drop-in) stay in roles/linux_broker/vars/main.yml and come in as ``role``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re
from urllib.parse import unquote_plus

from ansible_collections.rtvs.remote.plugins.module_utils.host.linux_inputs import as_bool, as_int

# the role's constants, read from its vars/main.yml (the names its tasks use)
ROLE_CONSTANTS = ("linux_broker_service", "linux_broker_service_user", "linux_broker_etc", "linux_broker_dropin",
                  "linux_broker_dropin_content")
_DEB_NAME = re.compile(r"^rtvs-daemon_([^_]+)_[^_]+[.]deb$")


def _or_none(value):
    """As Jinja's ``default(none, true)``: a falsy value becomes None."""
    return value if value else None


def daemon_version(package):
    """The version in a Debian file name rtvs-daemon_<version>_<arch>.deb ('' when the name says none)."""
    found = _DEB_NAME.match(os.path.basename(str(package or "")))
    return unquote_plus(found.group(1)) if found else ""


def selected(run_tags, skip_tags, tag):
    """Whether the run's tags select the tagged part ``tag`` (the plan task itself always runs)."""
    return bool(set(run_tags or ()) & {"all", "tagged", tag}) and tag not in set(skip_tags or ())


def paths(v, role, hostname):
    """The paths the role's tasks and playbooks/rotate.yml use: the host's controller folder, the PFX on the host,
    and the CA the health check trusts (the internal CA's root is added by the plan task, which knows it)."""
    source = v.get("rtvs_certificate_source")
    return {
        "controller_host_dir": "%s/%s" % (v.get("rtvs_linux_controller_dir"), hostname),
        "pfx_path": "%s/%s.pfx" % (role["linux_broker_etc"], v.get("rtvs_linux_certificate_name")),
        "health_ca": (v.get("rtvs_linux_health_ca_file") or (v.get("rtvs_ca_certificate") if source == "ca" else "")
                      or ""),
    }


def _controller(v, where):
    host_dir = where["controller_host_dir"]
    owner = v.get("rtvs_linux_controller_owner")
    source = v.get("rtvs_certificate_source")
    key_passphrase = _or_none(v.get("rtvs_controller_key_passphrase"))
    internal_ca = {}
    if source == "internal_ca":
        internal_ca = {"path": _or_none(v.get("rtvs_internal_ca_dir")), "passphrase": v.get("rtvs_internal_ca_passphrase"),
                       "intermediate": v.get("rtvs_internal_ca_intermediate"),
                       "permitted_domains": v.get("rtvs_internal_ca_permitted_domains")}
    return {
        "host_dir": host_dir,
        "owner": owner,
        # one host at a time, so parallel forks never race to create it (docs/certificates.md)
        "internal_ca": internal_ca,
        "certificate": {
            # with internal_ca the plan task sets source ca and the issuer's paths from rtvs.remote.internal_ca's result
            "source": source,
            "path": host_dir + "/broker.crt",
            "privatekey_path": host_dir + "/broker.key",
            "fqdn": v.get("rtvs_fqdn"),
            "subject_alt_names": v.get("rtvs_subject_alt_names"),
            "ca_certificate_path": _or_none(v.get("rtvs_ca_certificate")),
            "ca_privatekey_path": _or_none(v.get("rtvs_ca_privatekey")),
            "ca_privatekey_passphrase": _or_none(v.get("rtvs_ca_privatekey_passphrase")),
            "provided_certificate_path": _or_none(v.get("rtvs_provided_certificate")),
            "provided_privatekey_path": _or_none(v.get("rtvs_provided_privatekey")),
            "provided_privatekey_passphrase": _or_none(v.get("rtvs_provided_privatekey_passphrase")),
            "valid_days": v.get("rtvs_certificate_valid_days"),
            "renew_before_days": v.get("rtvs_certificate_renew_before_days"),
            "owner": owner,
            "mode": "0600",
            "privatekey_mode": "0600",
            # the key kept on the controller encrypted at rest when a passphrase is given (docs/certificates.md)
            "privatekey_passphrase": key_passphrase,
        },
        # compat encryption, which .NET Core 1.x reads; the CA chain included
        "pfx": {
            "path": host_dir + "/broker.pfx",
            "certificate_path": host_dir + "/broker.crt",
            "privatekey_path": host_dir + "/broker.key",
            "privatekey_passphrase": key_passphrase,
            # a certificate whose names do not cover the name clients use is refused before anything is written
            "expected_names": [v.get("rtvs_fqdn")],
            "other_certificates": [v.get("rtvs_ca_certificate")] if source == "ca" else [],
            "password": v.get("rtvs_pfx_password"),
            "encryption": v.get("rtvs_linux_pfx_encryption"),
            "friendly_name": v.get("rtvs_fqdn"),
            "owner": owner,
            "mode": "0600",
        },
    }


def desired(v, role, where, check_mode=False):
    """The desired state of the host that linux_host_info reads it against (module_utils/host/linux_plan.py)."""
    user = role["linux_broker_service_user"]
    dropin = role["linux_broker_dropin"]
    return {
        "check_mode": bool(check_mode),
        "r": {"install": as_bool(v.get("rtvs_linux_r_install")), "source": v.get("rtvs_linux_r_source"),
              "version": v.get("rtvs_linux_r_version"), "require_supported": as_bool(v.get("rtvs_require_supported_r"))},
        "daemon": {"install": as_bool(v.get("rtvs_daemon_install")), "package": v.get("rtvs_daemon_package"),
                   "version": daemon_version(v.get("rtvs_daemon_package")),
                   "extra_packages": v.get("rtvs_daemon_extra_packages")},
        "service_account": user,
        "allowed_group": v.get("rtvs_allowed_group"),
        "folders": [
            {"path": role["linux_broker_etc"], "owner": "root", "group": "root", "mode": "0755"},
            {"path": v.get("rtvs_linux_log_folder"), "owner": user, "group": user, "mode": "0750"},
            {"path": os.path.dirname(dropin), "owner": "root", "group": "root", "mode": "0755"},
        ],
        "dropin": {"path": dropin,
                   "checksum": hashlib.sha1(role["linux_broker_dropin_content"].encode("utf-8")).hexdigest(),
                   "owner": "root", "group": "root", "mode": "0644"},
        # the controller's PFX: the plan task sets its checksum
        "pfx": {"path": where["pfx_path"], "validate": as_bool(v.get("rtvs_linux_config_validate_certificate"))},
        # /etc/rtvs/rtvsd.config.json: broker_config's check mode runs in the host read; the settings (the R
        # interpreter once R is known, rtvs_linux_broker_settings over the role's keys) come from the plan
        "config": {
            "path": v.get("rtvs_linux_config_path"), "owner": "root", "group": user, "mode": "0640",
            "settings": {
                "urls": "https://0.0.0.0:%s" % v.get("rtvs_port"),
                "logging": {"logFolder": v.get("rtvs_linux_log_folder")},
                "security": {"allowedGroup": v.get("rtvs_allowed_group"), "X509CertificateFile": where["pfx_path"]},
                "startup": {"name": role["linux_broker_service"]},
                # local-broker keys: either one makes a server broker stop itself
                "lifetime": None,
            },
            "r": {"autodetect": as_bool(v.get("rtvs_linux_r_autodetect")),
                  "interpreter_name": v.get("rtvs_linux_r_interpreter_name") or "",
                  "base_path": v.get("rtvs_linux_r_base_path")},
            "overrides": v.get("rtvs_linux_broker_settings"),
        },
        "firewall": as_bool(v.get("rtvs_linux_firewall_manage")),
        "firewall_backend": v.get("rtvs_linux_firewall_backend"),
        "service": role["linux_broker_service"],
        "port": as_int(v.get("rtvs_port")),
        "health_check": as_bool(v.get("rtvs_linux_health_check")),
        "certificate_source": v.get("rtvs_certificate_source"),
        "allowed_sources": v.get("rtvs_allowed_sources"),
    }


def plan_options(v, role, hostname, run_tags=("all",), skip_tags=(), check_mode=False):
    """(options of the plan task, the paths of ``paths``) built from the role's variables ``v``."""
    where = paths(v, role, hostname)
    options = {
        "selected": {"certificate": selected(run_tags, skip_tags, "rtvs_certificate"),
                     "health": selected(run_tags, skip_tags, "rtvs_health") and as_bool(v.get("rtvs_linux_health_check"))},
        "controller": _controller(v, where),
        "host": {"users": v.get("rtvs_users") or [], "desired": desired(v, role, where, check_mode),
                 "certificate_password": v.get("rtvs_pfx_password")},
        "health": {"name": v.get("rtvs_fqdn"), "address": v.get("rtvs_linux_health_address"),
                   "port": as_int(v.get("rtvs_port")), "ca_file": where["health_ca"]},
    }
    return options, where
