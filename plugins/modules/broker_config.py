#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: broker_config
short_description: Merge, validate and write the RTVS broker's JSON configuration
version_added: 0.1.0
description:
  - Merges O(settings) into the broker's configuration file (C(/etc/rtvs/rtvsd.config.json) on Linux),
    validates the result and writes it atomically.
  - Key names are case-insensitive, as the broker (ASP.NET Core configuration) treats them. A setting
    C(security.x509certificatefile) updates an existing C(X509CertificateFile) key in place and keeps
    the file's spelling. Keys not given in O(settings) are kept. New keys get the broker's spelling and
    are appended in case-insensitive alphabetical order. A file the settings do not change is left
    byte for byte as it is, whatever its formatting; a changed file is written with 2-space indentation.
  - "Validation before writing: C(urls) is https with a port in 1-65535 (on Windows also the legacy
    C(server.urls)); C(lifetime.*) keys are refused (they make a server broker stop itself); C(security.secret)
    is refused (it replaces the real login); C(security.allowedGroup) exists when not empty (when missing on Linux,
    the broker's default C(Users) must exist); the certificate file exists and opens with the configured password;
    C(r.interpreters) base paths hold C(lib/libR.so); on Windows C(security.X509CertificateName) looks like C(CN=...)."
  - Host checks (group, certificate, C(libR.so)) run only for O(platform=linux), on the host that runs the module.
  - An existing file that is not valid JSON is refused with its path and the parse error, and left untouched.
  - The existing file is read as the broker's ASP.NET Core 1.x JSON provider reads it, comments, trailing commas
    and a UTF-16/UTF-32 byte order mark included; the same setting twice in two cases is refused. Comments are
    not kept when the file is rewritten.
  - The file holds the PFX password, so it defaults to mode C(0640); give the broker's group read access with O(group).
  - For a Windows broker use the filter P(rtvs.remote.broker_config_render#filter) on the controller, which runs the same logic.
author:
  - rtvs.remote contributors (@rtvs)
requirements:
  - cryptography on the host, for O(validate_certificate=true)
extends_documentation_fragment:
  - rtvs.remote.file_options
attributes:
  check_mode:
    support: full
    description: Merges and validates, reports whether the file would change, writes nothing.
  diff_mode:
    support: full
    description: Shows the configuration before and after; the password and C(secret) show as C(********).
  idempotent:
    support: full
    description: A second run with the same settings reports no change and leaves the file's bytes alone.
options:
  path:
    description:
      - The broker configuration file.
    type: path
    default: /etc/rtvs/rtvsd.config.json
  settings:
    description:
      - "Settings to merge, as nested dicts and/or dotted keys, for example
        C({urls: 'https://0.0.0.0:5444', security: {allowedGroup: rtvs-users}}) or C({'security.allowedGroup': rtvs-users})."
      - "A value of V(null) removes the key (for example C(lifetime: null)). Lists replace the existing value."
      - C(server.urls) is one key (the broker 1.1 name), not C(server) then C(urls).
      - Never put C(X509CertificatePassword) here (module arguments show with C(-vvvv)); use O(certificate_password).
    type: dict
    default: {}
  certificate_password:
    description:
      - Password of the PFX in C(security.X509CertificateFile); written as C(security.X509CertificatePassword).
      - Take it from a vault variable. Never logged, shown as C(********) in diff and results.
      - Unset keeps the password already in the file.
      - A NUL byte or another control character in it is refused, as by M(rtvs.remote.pfx).
    type: str
  platform:
    description:
      - Which broker reads the file; selects the validation rules.
    type: str
    choices: [linux, windows]
    default: linux
  validate_certificate:
    description:
      - Open C(security.X509CertificateFile) with the configured password before writing (O(platform=linux) only).
      - Turn off only when the PFX is written later in the same play.
    type: bool
    default: true
  allowed_group_pending:
    description:
      - The group in C(security.allowedGroup) is created later in the same run (a check run on a new host plans it).
        Validation then counts it as existing and lists it in RV(pending) instead of failing.
    type: bool
    default: false
  r_pending:
    description:
      - R is installed later in the same run; C(lib/libR.so) below each interpreter's C(basePath) is not looked for,
        and RV(pending) says so.
    type: bool
    default: false
  mode:
    description:
      - Permissions of the file. It holds the PFX password, so keep it unreadable by others.
    type: raw
    default: '0640'
seealso:
  - module: rtvs.remote.pfx
  - module: rtvs.remote.key_access
notes:
  - When the task runs on the controller (C(delegate_to=localhost) or connection C(local)) without become, this
    module's code runs inside the controller's own Python process instead of a separate module process (faster,
    same arguments and results); the environment variable C(RTVS_REMOTE_INPROCESS=0) turns that off.
"""

EXAMPLES = r"""
- name: Configure rtvsd
  rtvs.remote.broker_config:
    path: /etc/rtvs/rtvsd.config.json
    settings:
      urls: "https://0.0.0.0:{{ rtvs_port }}"
      security:
        allowedGroup: "{{ rtvs_allowed_group }}"
        X509CertificateFile: /etc/rtvs/broker.pfx
      lifetime: null
    certificate_password: "{{ rtvs_pfx_password }}"
    owner: root
    group: rtvssvc
    backup: true
"""

RETURN = r"""
path:
  description: The configuration file.
  returned: success
  type: str
  sample: /etc/rtvs/rtvsd.config.json
config:
  description: The configuration as written (or as it would be written), with the password and C(secret) as C(********).
  returned: success
  type: dict
  sample: {"urls": "https://0.0.0.0:5444", "security": {"X509CertificatePassword": "********"}}
port:
  description: The port the broker listens on according to the configuration.
  returned: success
  type: int
  sample: 5444
content_changed:
  description: Whether the file's content changed (as opposed to only owner, group or mode).
  returned: success
  type: bool
attributes_changed:
  description: Which of owner, group and mode of an existing file differ (or differed) from the options.
  returned: when any differs
  type: list
  elements: str
  sample: ["mode"]
pending:
  description: What validation took on trust because O(allowed_group_pending) or O(r_pending) says this run creates it.
  returned: success, O(platform=linux)
  type: list
  elements: str
  sample: ["security.allowedGroup: group 'rtvs-users' does not exist yet; this run creates it"]
errors:
  description: Validation errors, each naming the key and the fix.
  returned: failure
  type: list
  elements: str
backup_file:
  description: Backup of the replaced file.
  returned: when O(backup=true) and the content was replaced
  type: str
"""

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_config
from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner


def main():
    module_runner.main(argument_specs.BROKER_CONFIG, broker_config.ENTRY)


if __name__ == "__main__":
    main()
