#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: linux_host_info
short_description: Read, in one call, the host state rtvs.remote.linux_broker compares before it changes anything
version_added: 0.1.0
description:
  - Returns what the role rtvs.remote.linux_broker needs to know to skip every step whose state already matches,
    so an idempotent run costs one module call on the host for these checks instead of one per step
    (C(setup), C(apt), C(group), C(user), C(file), C(stat), C(copy), C(systemd_service) each cost an SSH round trip
    and a Python start on the host).
  - Reads C(/etc/os-release), dpkg's status, C(/etc/passwd), C(/etc/group), C(/etc/shadow), file metadata and
    SHA-1 checksums, C(/proc) (listening sockets and the processes and systemd units that hold them), and asks
    C(systemctl) for the unit's enabled and active state and, when the role manages the firewall and C(nft)
    exists, C(nft -j list table inet rtvs). Writes nothing.
  - Password hashes given in O(users) are compared on the host; only the names of the entries that differ come
    back (C(users_to_change) in RV(state.accounts)), never a hash.
author:
  - rtvs.remote contributors (@rtvs)
extends_documentation_fragment:
  - rtvs.remote.read_only
options:
  packages:
    description: Debian packages whose installed version (and hold) to report.
    type: list
    elements: str
    default: []
  service_account:
    description: Account (and group of the same name) the broker runs as, for example C(rtvssvc).
    type: str
  groups:
    description: Groups whose existence to report.
    type: list
    elements: str
    default: []
  users:
    description:
      - User entries as rtvs.remote.linux_broker takes them in C(rtvs_users). An entry matches when the account
        exists, belongs to O(users_group), has the given C(home) and C(shell) (when set), its home folder exists,
        and, with C(update_password=always), C(/etc/shadow) holds exactly C(password_hash).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Login name.
        type: str
        required: true
      password_hash:
        description: crypt(3) hash compared with C(/etc/shadow) (a secret; never returned).
        type: str
      home:
        description: Wanted home folder.
        type: str
      shell:
        description: Wanted login shell.
        type: str
      update_password:
        description: With C(on_create) the hash is not compared.
        type: str
        choices: [always, on_create]
        default: always
  users_group:
    description: Group every entry of O(users) must belong to.
    type: str
  paths:
    description: Files and folders whose owner, group, mode and SHA-1 checksum to report.
    type: list
    elements: path
    default: []
  key_access:
    description:
      - Options of rtvs.remote.key_access; C(pending) in RV(state.key_access) says whether that module would change
        something (it runs its own check mode).
    type: dict
  port:
    description: TCP port whose listening processes to report.
    type: int
  service:
    description: systemd unit name without C(.service) whose state to report.
    type: str
  desired:
    description:
      - The state rtvs.remote.linux_broker wants (its plan task builds it from the role's variables). When given, the module also returns
        RV(plan), and completes O(packages), O(groups), O(users_group), O(paths), O(key_access), O(service) and
        O(port) from it.
      - "Keys: C(check_mode), C(r) (C(install), C(source), C(version), C(require_supported)), C(daemon) (C(install),
        C(package), C(version), C(extra_packages)), C(service_account), C(allowed_group), C(folders) (list of
        C(path), C(owner), C(group), C(mode)), C(dropin) (C(path), C(checksum), C(owner), C(group), C(mode)),
        C(pfx) (C(path), C(checksum) of the controller's PFX, C(validate)), C(firewall), C(service), C(port), C(health_check),
        C(certificate_source), C(allowed_sources), C(config) (C(path), C(owner), C(group), C(mode), C(settings),
        C(r) (C(autodetect), C(interpreter_name), C(base_path)), C(overrides))."
      - With C(config), rtvs.remote.broker_config's own check mode runs here on the settings the plan derives
        (C(plan.config.settings)), so a configuration that would not change needs no broker_config call;
        RV(state.config) says whether it would change and why (never the file's content).
      - Without a pinned version, R not installed and the distribution as source, C(apt-cache policy r-base-core)
        is asked for the candidate version (read-only).
    type: dict
  certificate_password:
    description:
      - The PFX password broker_config puts into the configuration, for the check of O(desired) C(config). Never
        logged or returned.
    type: str
notes:
  - Run it with C(become) so C(/etc/shadow) can be read; without it every entry of O(users) with a password
    hash is reported as differing.
  - When the task runs on the controller (C(delegate_to=localhost) or connection C(local)) without become, this
    module's code runs inside the controller's own Python process instead of a separate module process (faster,
    same arguments and results); the environment variable C(RTVS_REMOTE_INPROCESS=0) turns that off.
  - The decisions live in the collection's C(linux_plan) module_utils (pure Python, unit-tested truth tables).
"""

EXAMPLES = r"""
- name: Read the host state once
  rtvs.remote.linux_host_info:
    packages: [r-base-core, python3-cryptography]
    service_account: rtvssvc
    groups: [rtvs-users]
    paths: [/etc/rtvs, /etc/rtvs/rtvsd.pfx]
    port: 5444
    service: rtvsd
  become: true
  register: host

- name: Install R only where it is missing
  ansible.builtin.apt:
    name: r-base-core
  when: "'r-base-core' not in host.state.packages"
"""

RETURN = r"""
plan:
  description:
    - For each step of rtvs.remote.linux_broker whether it is to do and why, from O(desired) and the state read.
    - C(todo) maps each step (C(packages), C(daemon), C(service_group), C(service_user), C(pfx_copy), C(key_access),
      C(allowed_group), C(users), C(folders), C(config), C(firewall), C(dropin), C(service) ...) and each task file
      (C(file_r), C(file_daemon) ...) to a bool. C(pending) lists the steps that would change the host, with why;
      C(errors) the host checks that stop the run; C(warnings); C(r) the R version and whether the broker accepts it;
      C(config) what broker_config is told (C(allowed_group_pending), C(r_pending), C(validate_certificate), and
      C(settings) when O(desired) has C(config)); C(todo.any) whether anything is left for the role to do;
      C(folders) the folders to fix.
  returned: when O(desired) is set
  type: dict
  sample: {todo: {packages: false, users: true, file_users: true}, pending: ["users: differ: alice"], errors: [],
           warnings: [], r: {version: 3.6.3-1, supported: true, range: 3.2-3.9}}
r_supported_range:
  description: The R versions the RTVS broker accepts, as text (the rule is defined once in the collection).
  returned: always
  type: str
  sample: 3.2-3.9
state:
  description: The host's state.
  returned: always
  type: dict
  contains:
    os:
      description: From C(/etc/os-release); C(os_family) is C(Debian) for Debian, Ubuntu and their derivatives, else null.
      type: dict
      returned: always
      sample: {id: debian, id_like: [], name: Debian GNU/Linux, version_id: "12", codename: bookworm, os_family: Debian}
    packages:
      description: The installed packages among O(packages), with version and whether dpkg holds them.
      type: dict
      returned: always
      sample: {r-base-core: {version: 4.2.2.20221110-2, held: false}}
    accounts:
      description: C(groups) (name to exists), C(service_account) (when O(service_account) is set) and
        C(users_to_change) (names of the O(users) entries that do not match; when O(users) is given).
      type: dict
      returned: always
      sample: {groups: {rtvs-users: true}, users_to_change: [alice],
               service_account: {name: rtvssvc, user: true, group: true, primary_group: rtvssvc, shell: /usr/sbin/nologin}}
    paths:
      description: For each of O(paths) - C(exists), C(isdir), C(owner), C(group), C(mode) (octal string) and
        C(checksum) (SHA-1 of a regular file, as ansible.builtin.stat reports it).
      type: dict
      returned: always
      sample: {/etc/rtvs: {exists: true, isdir: true, owner: root, group: root, mode: "0755", checksum: null}}
    key_access:
      description: C(pending) is true when rtvs.remote.key_access would change something or cannot run yet
        (C(reason) says why).
      type: dict
      returned: when O(key_access) is set
      sample: {pending: false, reason: null}
    listeners:
      description: Processes with a listening TCP socket on O(port), with their systemd unit (from their cgroup).
      type: list
      elements: dict
      returned: always
      sample: [{program: rtvsd, pid: 812, unit: rtvsd.service}]
    ufw:
      description: Whether C(/usr/sbin/ufw) exists.
      type: bool
      returned: always
    ufw_enabled:
      description: Whether ufw is enabled (C(ENABLED=yes) in C(/etc/ufw/ufw.conf)); its rules only apply then.
      type: bool
      returned: always
    ufw_rules:
      description: ufw's saved rules (C(/etc/ufw/user.rules), C(user6.rules)) as C(action proto port source direction).
      type: list
      elements: str
      returned: always
      sample: [allow tcp 5444 10.20.0.0/16 in]
    ufw_rules_ours:
      description: The same, only the rules carrying the comment C(rtvs.remote broker) (the ones rtvs.remote.linux_broker
        adds; ufw saves the comment hex-encoded).
      type: list
      elements: str
      returned: always
    nft:
      description: Whether C(/usr/sbin/nft) (nftables) exists.
      type: bool
      returned: always
    nft_table:
      description:
        - The role's nftables table C(inet rtvs) as C(nft -j list table inet rtvs) shows it - C(present), the
          source networks it C(allowed), the number of rules per chain (C(chains)) and the C(digest) its reject rule
          carries; C(present=null) with C(error) when nft cannot tell (no CAP_NET_ADMIN).
      type: dict
      returned: when O(desired) manages the firewall and nft exists
      sample: {present: true, allowed: [10.20.0.0/16], chains: {input: 1, broker_port: 4}, digest: 0f3a9c1d2e4b5a60}
    service:
      description: The unit as rtvs.remote.broker_info reports it (C(installed), C(enabled), C(active) ...).
      type: dict
      returned: when O(service) is set
    config:
      description: C(pending) is true when rtvs.remote.broker_config would change the configuration, or cannot
        check it yet (C(reason) says why).
      type: dict
      returned: when O(desired) has C(config)
      sample: {pending: false, reason: null}
"""

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host import linux_host_info


def main():
    module_runner.main(argument_specs.LINUX_HOST_INFO, linux_host_info.ENTRY)


if __name__ == "__main__":
    main()
