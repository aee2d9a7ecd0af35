# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AnsibleModule keyword arguments of each rtvs.remote Python module, as data.

One definition each, read by two callers:
- the module itself: ``module_runner.main(argument_specs.PFX, pfx.ENTRY)`` makes ``AnsibleModule(**argument_specs.PFX)``;
- its action plugin (plugins/plugin_utils/inprocess.py), which validates the task's
  arguments with the same spec when it runs the module's logic inside the controller.

Pure data, no imports: a module's AnsiballZ payload only grows by this file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def file_options(mode, owner=None):
    """Argument spec entries for owner, group, mode and backup (doc fragment rtvs.remote.file_options)."""
    return dict(
        owner=dict(type="str", default=owner),
        group=dict(type="str"),
        mode=dict(type="raw", default=mode),
        backup=dict(type="bool", default=False),
        backup_keep=dict(type="int", default=0),
    )


BROKER_CERTIFICATE = dict(
    argument_spec=dict(
        path=dict(type="path", required=True),
        privatekey_path=dict(type="path", required=True, no_log=False),
        fqdn=dict(type="str", required=True),
        subject_alt_names=dict(type="list", elements="str", default=[]),
        source=dict(type="str", choices=["selfsigned", "ca", "provided"], default="selfsigned"),
        ca_certificate_path=dict(type="path"),
        ca_privatekey_path=dict(type="path", no_log=False),
        ca_privatekey_passphrase=dict(type="str", no_log=True),
        provided_certificate_path=dict(type="path"),
        provided_certificate_content=dict(type="str", no_log=True),
        provided_privatekey_path=dict(type="path", no_log=False),
        provided_privatekey_content=dict(type="str", no_log=True),
        provided_privatekey_passphrase=dict(type="str", no_log=True),
        key_size=dict(type="int", default=2048, no_log=False),
        valid_days=dict(type="int", default=365),
        renew_before_days=dict(type="int", default=30),
        force=dict(type="bool", default=False),
        privatekey_mode=dict(type="raw", default="0600", no_log=False),
        privatekey_passphrase=dict(type="str", no_log=True),
        **file_options(mode="0644")
    ),
    required_if=[
        ("source", "ca", ("ca_certificate_path", "ca_privatekey_path")),
        ("source", "provided", ("provided_certificate_path", "provided_certificate_content"), True),
        ("source", "provided", ("provided_privatekey_path", "provided_privatekey_content"), True),
    ],
    mutually_exclusive=[
        ("provided_certificate_path", "provided_certificate_content"),
        ("provided_privatekey_path", "provided_privatekey_content"),
    ],
    supports_check_mode=True,
)

INTERNAL_CA = dict(
    argument_spec=dict(
        path=dict(type="path"),
        passphrase=dict(type="str", required=True, no_log=True),
        intermediate=dict(type="bool"),
        permitted_domains=dict(type="list", elements="str"),
        root_name=dict(type="str"),
        root_valid_days=dict(type="int", default=7300),
        intermediate_valid_days=dict(type="int", default=1825),
        renew_before_days=dict(type="int", default=90),
        key_size=dict(type="int", default=3072, no_log=False),
        allow_in_repository=dict(type="bool", default=False),
    ),
    supports_check_mode=True,
)

PFX = dict(
    argument_spec=dict(
        path=dict(type="path", required=True),
        certificate_path=dict(type="path", required=True),
        privatekey_path=dict(type="path", required=True, no_log=False),
        privatekey_passphrase=dict(type="str", no_log=True),
        other_certificates=dict(type="list", elements="path", default=[]),
        password=dict(type="str", required=True, no_log=True),
        encryption=dict(type="str", choices=["compat", "modern"], default="compat"),
        password_charset=dict(type="str", choices=["ascii", "any"], default="ascii", no_log=False),
        friendly_name=dict(type="str"),
        expected_names=dict(type="list", elements="str", default=[]),
        name_mismatch=dict(type="str", choices=["refuse", "warn"], default="refuse"),
        force=dict(type="bool", default=False),
        **file_options(mode="0640", owner="root")
    ),
    supports_check_mode=True,
)

TLS_PROBE = dict(
    argument_spec=dict(
        name=dict(type="str", required=True),
        port=dict(type="int", default=5444),
        address=dict(type="str"),
        ca_file=dict(type="path"),
        timeout=dict(type="float", default=5.0),
        user=dict(type="str"),
        password=dict(type="str", no_log=True),
        pin_sha256=dict(type="str", no_log=False),
    ),
    supports_check_mode=True,
)

KEY_ACCESS = dict(
    argument_spec=dict(
        paths=dict(type="list", elements="path", required=True),
        account=dict(type="str", default="rtvssvc"),
        method=dict(type="str", choices=["group", "acl"], default="group"),
        group=dict(type="str"),
        owner=dict(type="str", default="root"),
        fix_parents=dict(type="bool", default=True),
    ),
    supports_check_mode=True,
)

BROKER_CONFIG = dict(
    argument_spec=dict(
        path=dict(type="path", default="/etc/rtvs/rtvsd.config.json"),
        settings=dict(type="dict", default={}, no_log=False),
        certificate_password=dict(type="str", no_log=True),
        platform=dict(type="str", choices=["linux", "windows"], default="linux"),
        validate_certificate=dict(type="bool", default=True),
        allowed_group_pending=dict(type="bool", default=False),
        r_pending=dict(type="bool", default=False),
        **file_options(mode="0640")
    ),
    supports_check_mode=True,
)

BROKER_INFO = dict(
    argument_spec=dict(
        config_path=dict(type="path", default="/etc/rtvs/rtvsd.config.json"),
        service=dict(type="str", default="rtvsd"),
        account=dict(type="str", default="rtvssvc"),
        port=dict(type="int"),
        fqdn=dict(type="str"),
        log_lines=dict(type="int", default=20),
    ),
    supports_check_mode=True,
)

LINUX_HOST_INFO = dict(
    argument_spec=dict(
        packages=dict(type="list", elements="str", default=[]),
        service_account=dict(type="str"),
        groups=dict(type="list", elements="str", default=[]),
        users=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            password_hash=dict(type="str", no_log=True),
            home=dict(type="str"),
            shell=dict(type="str"),
            update_password=dict(type="str", choices=["always", "on_create"], default="always"),
        )),
        users_group=dict(type="str"),
        paths=dict(type="list", elements="path", default=[]),
        key_access=dict(type="dict", no_log=False),
        port=dict(type="int"),
        service=dict(type="str"),
        desired=dict(type="dict", no_log=False),
        certificate_password=dict(type="str", no_log=True),
    ),
    supports_check_mode=True,
)

# Keywords of AnsibleModule that are not about validating arguments.
MODULE_ONLY_KEYWORDS = ("supports_check_mode", "bypass_checks", "no_log", "add_file_common_args")


def validator_keywords(spec):
    """The keywords of ``spec`` that ArgumentSpecValidator takes (argument_spec, required_if, ...)."""
    return dict((key, value) for key, value in spec.items() if key not in MODULE_ONLY_KEYWORDS)
