# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""client_trust_plan: the certificates role rtvs.remote.client_trust adds to and removes from a client (module_utils/tls/trust.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: client_trust_plan
short_description: What a client's trust store gets, from PEM certificates
version_added: 0.2.0
description:
  - Turns PEM texts into the entries role rtvs.remote.client_trust sends to clients - file name, PEM, SHA-1
    thumbprint and Windows store (C(Root) for self-signed certificates, C(CertificateAuthority) for intermediates).
  - A certificate that is both wanted and withdrawn stays present.
options:
  _input:
    description: Controller paths of PEM files to trust (each may hold several certificates; C(~) is expanded).
    type: list
    elements: str
    required: true
  withdraw:
    description: Controller paths of PEM files to remove from the client (for example an old root after a CA rotation).
    type: list
    elements: str
    default: []
  state:
    description: C(present) to trust the input, C(absent) to remove the input and the withdrawn certificates.
    type: str
    default: present
author:
  - rtvs.remote contributors (@rtvs)
"""

EXAMPLES = r"""
- name: Entries for the internal CA's root
  ansible.builtin.set_fact:
    trust: "{{ [root_path] | rtvs.remote.client_trust_plan }}"
"""

RETURN = r"""
_value:
  description: C(present) and C(absent), each a list of dicts with name, pem, thumbprint, fingerprint_sha256, subject,
    not_after, self_signed and windows_store.
  type: dict
"""

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, trust


def _read(paths, option):
    if isinstance(paths, str) or not isinstance(paths, (list, tuple)):
        raise AnsibleFilterError("client_trust_plan: %s must be a list of controller paths" % option)
    texts = []
    for path in paths:
        full = os.path.expanduser(str(path))
        try:
            with open(full, "rb") as handle:
                texts.append(handle.read())
        except (IOError, OSError) as exc:
            raise AnsibleFilterError("client_trust_plan: cannot read %s %s (%s); check the path on the controller"
                                     % (option, full, exc.strerror or exc))
    return texts


def client_trust_plan(paths, withdraw=None, state="present"):
    if not certs.HAS_CRYPTOGRAPHY:
        raise AnsibleFilterError("client_trust_plan needs the Python library cryptography on the controller")
    try:
        return trust.plan(_read(paths or [], "certificate"), _read(withdraw or [], "withdraw"), state)
    except certs.CertError as exc:
        raise AnsibleFilterError("client_trust_plan: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"client_trust_plan": client_trust_plan}
