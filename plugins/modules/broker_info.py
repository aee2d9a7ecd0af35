#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: broker_info
short_description: Read-only facts about rtvsd (the RTVS broker) on a Linux host
version_added: 0.1.0
description:
  - Gathers what the rtvs.remote.doctor role judges on Linux - the C(rtvsd) unit (installed, enabled, actually
    wanted at boot through a C(WantedBy) in its C([Install]) section or a drop-in and a C(.wants) link, active),
    the broker configuration (parses, its values, the PFX password only as set/not set), the PFX (exists, opens
    with the configured password, key matches certificate, the service account can read it), the allowed group
    and its members (password set in C(/etc/shadow), home folder exists), PAM service C(rtvs), R as dpkg
    registers it (C(r-base-core), C(microsoft-r-open-mro*)), whether the port is listening (C(/proc/net/tcp),
    C(/proc/net/tcp6)), what ufw's saved rules say about the port, the nftables table C(inet rtvs) of
    rtvs.remote.linux_broker and the host's own nftables rules about the port, and the newest broker log with
    its error lines.
  - Changes nothing and writes nothing. The only commands run are C(systemctl is-enabled), C(is-active) and
    C(show --property=SubState), and C(nft -j list table inet rtvs) and C(nft -j list ruleset) (which only list).
    Run it with C(become) so C(/etc/shadow) and the PFX can be read.
  - The return keys follow rtvs.remote.win_broker_info where the meaning is the same.
author:
  - rtvs.remote contributors (@rtvs)
requirements:
  - cryptography on the host (python3-cryptography) to open the PFX; without it the PFX is reported as not opened.
extends_documentation_fragment:
  - rtvs.remote.read_only
options:
  config_path:
    description:
      - Broker configuration file.
    type: path
    default: /etc/rtvs/rtvsd.config.json
  service:
    description:
      - systemd unit name without C(.service).
    type: str
    default: rtvsd
  account:
    description:
      - Account the broker runs as, which must be able to read the PFX.
    type: str
    default: rtvssvc
  port:
    description:
      - Port to look for in the listening sockets and ufw rules. Defaults to the port in the config's C(urls).
    type: int
  fqdn:
    description:
      - Name clients use; the PFX certificate is checked against it (C(covers_name) in RV(facts.pfx)).
    type: str
  log_lines:
    description:
      - How many lines of the newest broker log to return in C(tail) and C(error_lines) of RV(facts.logs).
    type: int
    default: 20
notes:
  - When the task runs on the controller (C(delegate_to=localhost) or connection C(local)) without become, this
    module's code runs inside the controller's own Python process instead of a separate module process (faster,
    same arguments and results); the environment variable C(RTVS_REMOTE_INPROCESS=0) turns that off.
"""

EXAMPLES = r"""
- name: Gather rtvsd facts
  rtvs.remote.broker_info:
    fqdn: "{{ rtvs_fqdn }}"
  become: true
  register: broker

- name: The PFX opens with the configured password
  ansible.builtin.assert:
    that: broker.facts.pfx.opens
"""

RETURN = r"""
facts:
  description: Everything gathered; see the keys below.
  returned: always
  type: dict
  contains:
    service:
      description: The unit. C(enabled), C(active), C(sub_state) are systemctl's answers, null when the unit is missing.
      type: dict
      returned: always
      sample:
        name: rtvsd
        installed: true
        unit_path: /lib/systemd/system/rtvsd.service
        dropins: [/etc/systemd/system/rtvsd.service.d/install.conf]
        wanted_by: [multi-user.target]
        aliases: [rtvsd.service]
        wanted_links: [/etc/systemd/system/multi-user.target.wants/rtvsd.service]
        enabled: enabled
        active: active
        sub_state: running
    config:
      description:
        - The configuration file. C(content) has C(X509CertificatePassword) masked as C(********); the password is
          otherwise only reported as C(password_set) and C(password_is_default) (the shipped C(SnakeOil)).
        - C(allowed_group_set) is false when the key is omitted, so the code default C(Users) applies.
      type: dict
      returned: always
      sample:
        path: /etc/rtvs/rtvsd.config.json
        exists: true
        parsed: true
        error: null
        urls: https://0.0.0.0:5444
        port: 5444
        url_loopback: false
        allowed_group_set: true
        allowed_group: rtvs-users
        certificate_file: /etc/rtvs/rtvsd.pfx
        password_set: true
        password_is_default: false
        secret_set: false
        lifetime_keys: []
        log_folder: /var/log/rtvs
    pfx:
      description: The PFX named by C(X509CertificateFile); C(access) says whether O(account) can read it and why.
      type: dict
      returned: always
      sample:
        path: /etc/rtvs/rtvsd.pfx
        exists: true
        opens: true
        error: null
        key_present: true
        key_matches: true
        certificate: {subject: CN=rtvs.example.com, not_after: '2027-11-25T22:00:00Z', covers_name: true}
        access: {account: rtvssvc, can_read: true, reason: group rtvssvc may read}
    account:
      description: Whether O(account) exists.
      type: dict
      returned: always
      sample: {name: rtvssvc, exists: true}
    allowed_group:
      description: The group logins must belong to (C(exists) null when C(allowedGroup) is empty); members with
        C(password_set) (from C(/etc/shadow); null when unreadable) and C(home_exists).
      type: dict
      returned: always
      sample: {name: rtvs-users, exists: true, gid: 1500, members: [{name: alice, exists: true, password_set: true,
               home: /home/alice, home_exists: true}]}
    shadow_readable: {description: Whether /etc/shadow could be read (needs become)., type: bool, returned: always}
    pam: {description: The PAM service file of the broker's login helper., type: dict, returned: always,
          sample: {path: /etc/pam.d/rtvs, exists: true}}
    r_installs:
      description: R packages dpkg lists as installed, as the broker detects them; C(supported) is 3.2-3.9.
      type: list
      elements: dict
      returned: always
      sample: [{name: r-base-core, version: 4.2.2.20221110-2, path: /usr/lib/R, lib_exists: true, supported: false}]
    listening:
      description: Local addresses listening on the port.
      type: dict
      returned: always
      sample: {port: 5444, listening: true, addresses: ['0.0.0.0', '::']}
    ufw:
      description: ufw's saved state; C(port_allowed) from the first matching rule, else the default input policy.
      type: dict
      returned: always
      sample: {installed: true, enabled: true, port: 5444, default_input: DROP, port_allowed: true,
               rule: '### tuple ### allow tcp 5444 0.0.0.0/0 any 10.0.0.0/8 in', sources: [10.0.0.0/8]}
    nftables:
      description:
        - The nftables side of the host firewall (issue 14, M5). C(table) is the table C(inet rtvs) that
          rtvs.remote.linux_broker loads when ufw is not active (C(present), C(allowed) sources, C(chains) with
          their rule counts), null without the nft command; C(unit) is C(systemctl is-active rtvs-firewall.service).
        - C(rules) are the host's own rules (outside C(inet rtvs)) whose C(tcp dport) holds the port, in the order
          C(nft -j list ruleset) lists them; C(conditional) rules match more than the port (a source address).
          C(input_drop) names the input hook chains with policy drop. Rules of legacy iptables are not read.
      type: dict
      returned: always
      sample:
        installed: true
        table: {present: true, allowed: [10.20.0.0/16], chains: {input: 1, broker_port: 4}, digest: 0f3c2a9e1b7d4c55}
        unit_file: true
        unit: active
        rules: [{table: ip hostfw, chain: in, verdict: accept, conditional: true,
                 text: 'ip hostfw in: ip saddr 10.9.0.0/16 tcp dport 5444 accept'}]
        input_drop: [inet filter input]
        error: null
    logs:
      description:
        - The newest C(Microsoft.R.Host.Broker*.log) in C(logging.logFolder).
        - Only regular files owned by root, O(account) or the account the module runs as are read, opened without
          following symbolic links (the folder belongs to the service account, which could plant a link to a
          root-only file); C(skipped) lists every other match with the reason.
      type: dict
      returned: always
      sample:
        folder: /var/log/rtvs
        newest: {path: /var/log/rtvs/Microsoft.R.Host.Broker_rtvsd_20261125_101010_pid22.log,
                 last_write_time: '2026-11-25T10:10:10Z', size: 1234}
        tail: ['[Information] started']
        error_lines: []
        error: null
        skipped: ['/var/log/rtvs/Microsoft.R.Host.Broker_x.log: a symbolic link, not read']
"""

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_info
from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner


def main():
    module_runner.main(argument_specs.BROKER_INFO, broker_info.ENTRY)


if __name__ == "__main__":
    main()
