# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""doctor_trust_root: the CA file the doctor's trust check uses (module_utils/tls/ca.py doctor_trust_root)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: doctor_trust_root
short_description: The CA file the doctor verifies brokers against, found on the controller
version_added: 0.2.0
description:
  - The input (O(rtvs.remote.doctor#role:main:rtvs_doctor_ca_file)) when given.
  - Else the internal CA's C(root.crt) when O(source) is C(internal_ca), or when no source is set and the CA
    folder (O(ca_dir), default C($XDG_DATA_HOME/rtvs-remote/ca)) holds a root; for O(source=ca) the file
    O(ca_certificate); otherwise none, and the controller's system store is used.
options:
  _input:
    description: The CA file given by the user; empty to find one.
    type: str
    required: true
  source:
    description: C(rtvs_certificate_source) of the host (empty when not set).
    type: str
    default: ""
  ca_dir:
    description: C(rtvs_internal_ca_dir); empty for the default folder.
    type: str
    default: ""
  ca_certificate:
    description: C(rtvs_ca_certificate), used for O(source=ca).
    type: str
    default: ""
author:
  - rtvs.remote contributors (@rtvs)
"""

EXAMPLES = r"""
- name: Which CA the trust check uses
  ansible.builtin.set_fact:
    trust_root: "{{ rtvs_doctor_ca_file | rtvs.remote.doctor_trust_root(source=rtvs_certificate_source | default('')) }}"
"""

RETURN = r"""
_value:
  description: C(path) (null for the system store), C(origin) (given, internal_ca, ca or system) and C(note) (what was
    looked for and not found, or null).
  type: dict
"""

from ansible_collections.rtvs.remote.plugins.module_utils.tls import ca


def doctor_trust_root(ca_file, source="", ca_dir="", ca_certificate=""):
    return ca.doctor_trust_root(ca_file or "", source or "", ca_dir or "", ca_certificate or "")


class FilterModule(object):
    def filters(self):
        return {"doctor_trust_root": doctor_trust_root}
