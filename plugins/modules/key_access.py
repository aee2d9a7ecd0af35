#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: key_access
short_description: Let the RTVS broker's service account read its key and PFX files, and nobody else
version_added: 0.1.0
description:
  - Makes every file in O(paths) readable by O(account) (the account C(rtvsd) runs as) and by O(owner), and by
    nobody else as far as the file's permissions go.
  - O(method=group) sets O(owner):O(group) and mode C(0640) and removes any POSIX ACL. Other members of
    O(group) can read too; they are listed in RV(other_readers) and warned about.
  - O(method=acl) sets O(owner), mode C(0600) for the owner and a POSIX ACL entry C(user:<account>:r--)
    with mask C(r--); group and others get nothing, other ACL entries are removed.
  - Every directory above each path must let O(account) enter it. With O(fix_parents=true) a directory that does
    not gets an ACL entry C(user:<account>:--x) (the mask widened only by C(x)); otherwise the module fails and names them.
  - ACLs are read and written through the C(system.posix_acl_access) extended attribute in Python;
    the C(acl) package is not needed on the host.
  - Reports, for every file, its owner, group, mode, ACL and the accounts that can read it (root, which can
    read anything, is listed only as owner or member).
author:
  - rtvs.remote contributors (@rtvs)
attributes:
  check_mode:
    support: full
    description: Computes the changes, the resulting permissions and readers, changes nothing.
  diff_mode:
    support: full
    description: Shows owner, group, mode and ACL of each file before and after.
  idempotent:
    support: full
    description: A second run reports no change.
  platform:
    support: full
    platforms: posix
    description: Linux (POSIX ACLs through extended attributes).
options:
  paths:
    description:
      - The key, certificate and PFX files the broker reads. They must exist.
    type: list
    elements: path
    required: true
  account:
    description:
      - The account that must read the files (the broker's service account).
    type: str
    default: rtvssvc
  method:
    description:
      - V(group) gives read through the file's group; V(acl) through a POSIX ACL entry for O(account) only.
    type: str
    choices: [group, acl]
    default: group
  group:
    description:
      - Group of the files. For O(method=group) O(account) must be a member; default its primary group.
      - For O(method=acl) unset keeps the files' group (which gets no access).
    type: str
  owner:
    description:
      - Owner of the files (read and write).
    type: str
    default: root
  fix_parents:
    description:
      - Add an ACL entry C(user:<account>:--x) to every parent directory O(account) cannot enter.
      - With V(false) such directories make the module fail.
    type: bool
    default: true
seealso:
  - module: rtvs.remote.pfx
  - module: rtvs.remote.broker_config
notes:
  - When the task runs on the controller (C(delegate_to=localhost) or connection C(local)) without become, this
    module's code runs inside the controller's own Python process instead of a separate module process (faster,
    same arguments and results); the environment variable C(RTVS_REMOTE_INPROCESS=0) turns that off.
"""

EXAMPLES = r"""
- name: Only root and rtvssvc may read the broker's PFX
  rtvs.remote.key_access:
    paths:
      - /etc/rtvs/broker.pfx
      - /etc/rtvs/broker.key
    account: rtvssvc
    method: acl

- name: Read through the service group; fail when a parent directory is closed
  rtvs.remote.key_access:
    paths: [/etc/rtvs/broker.pfx]
    group: rtvssvc
    fix_parents: false
  register: key_access

- name: Nobody else may read the key
  ansible.builtin.assert:
    that: key_access.other_readers == []
"""

RETURN = r"""
files:
  description: One entry per path, describing the file after the run (or as it would be after it, in check mode).
  returned: success
  type: list
  elements: dict
  contains:
    path:
      description: The path.
      type: str
    owner:
      description: Owner name.
      type: str
    group:
      description: Group name.
      type: str
    mode:
      description: Permission bits as octal (group bits show the ACL mask when there is an ACL).
      type: str
      sample: "0640"
    acl:
      description: ACL entries as getfacl shows them.
      type: list
      elements: str
      sample: ["user::rw-", "user:rtvssvc:r--", "group::---", "mask::r--", "other::---"]
    readers:
      description: Accounts that can read the file; C(*) means every other account (others have read).
      type: list
      elements: str
      sample: ["root", "rtvssvc"]
    changed:
      description: Whether this file was (or would be) changed.
      type: bool
    changes:
      description: What differed, among C(owner), C(group), C(mode), C(acl).
      type: list
      elements: str
  sample: [{"path": "/etc/rtvs/broker.pfx", "owner": "root", "group": "rtvssvc", "mode": "0640",
            "acl": ["user::rw-", "group::r--", "other::---"], "readers": ["root", "rtvssvc"],
            "changed": true, "changes": ["mode"]}]
other_readers:
  description: Accounts other than O(owner) and O(account) that can read any of the files; C(*) for everyone.
  returned: success
  type: list
  elements: str
  sample: ["alice"]
parents_fixed:
  description: Directories that got (or would get) an ACL entry so O(account) can enter them.
  returned: success
  type: list
  elements: str
"""

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host import key_access


def main():
    module_runner.main(argument_specs.KEY_ACCESS, key_access.ENTRY)


if __name__ == "__main__":
    main()
