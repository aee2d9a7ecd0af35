#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: internal_ca
short_description: Ensure the internal CA rtvs.remote keeps on the controller for the broker certificates
version_added: 0.2.0
description:
  - Creates once, in a folder of the user running Ansible, a root CA (long-lived, C(pathlen), keyCertSign and cRLSign)
    or a root plus an issuing intermediate CA, whose private keys are stored encrypted with O(passphrase)
    (PKCS#8, the best encryption C(cryptography) offers).
  - With O(permitted_domains) the CA certificates carry critical name constraints, so they can only vouch for
    names in those domains.
  - A later run opens the keys with O(passphrase) and changes nothing; the intermediate is reissued from the root
    when it is missing, not signed by the root, or inside O(renew_before_days). The root is never replaced;
    a new root is a CA rotation (a second folder, see docs/certificates.md).
  - Refuses a folder that is a symlink, owned by another account, writable by group or others, or inside a git
    work tree (unless O(allow_in_repository=true)); refuses a wrong passphrase, an unencrypted CA key, half a key
    pair, and a change of O(permitted_domains) or O(root_name) of an existing root. Nothing is written then.
  - M(rtvs.remote.broker_certificate) issues from it with its option C(source=ca),
    RV(issuer_certificate_path), RV(issuer_privatekey_path) and the same passphrase.
author:
  - rtvs.remote contributors (@rtvs)
requirements:
  - cryptography >= 39.0 on the controller
attributes:
  check_mode:
    support: full
    description: Reports what would be created without writing; fingerprints of certificates not made yet are null.
  diff_mode:
    support: partial
    description: Names the files a real run writes; key material shows as C(********).
  idempotent:
    support: partial
    description: Idempotent, except that the intermediate is reissued once it enters the O(renew_before_days) window.
options:
  path:
    description:
      - Folder of the CA (created mode 0700). Default C($XDG_DATA_HOME/rtvs-remote/ca), else C(~/.local/share/rtvs-remote/ca).
    type: path
  passphrase:
    description:
      - Passphrase the CA keys are encrypted with, at least 12 characters; keep it in Ansible Vault. Never logged.
    type: str
    required: true
  intermediate:
    description:
      - Also keep an issuing intermediate CA signed by the root, and issue broker certificates from it; the root key is
        then used only to sign the intermediate.
      - Must be decided when the root is created (the root's C(pathlen) is 0 without an intermediate).
      - Unset, an existing CA is used as it is (with its intermediate if the folder has one) and a new CA gets none.
    type: bool
  permitted_domains:
    description:
      - DNS domains the CA may vouch for (each covers every name under it), written as critical name constraints.
        Empty for no constraints. Fixed when the root is created.
      - Unset, an existing root's constraints are accepted as they are and a new root gets none.
    type: list
    elements: str
  root_name:
    description:
      - Common name of a new root. Default C(rtvs.remote root CA <creation time>), which keeps roots of a CA rotation apart.
    type: str
  root_valid_days:
    description:
      - Validity of a new root in days.
    type: int
    default: 7300
  intermediate_valid_days:
    description:
      - Validity of a new intermediate in days (never past the root's expiry).
    type: int
    default: 1825
  renew_before_days:
    description:
      - Reissue the intermediate when fewer days remain; for the root only a warning is given.
    type: int
    default: 90
  key_size:
    description:
      - RSA key size of new CA keys.
    type: int
    default: 3072
  allow_in_repository:
    description:
      - Allow O(path) inside a git work tree. The keys are encrypted, but a CA is better kept out of version control.
    type: bool
    default: false
seealso:
  - module: rtvs.remote.broker_certificate
notes:
  - Run it on the controller (C(delegate_to=localhost), C(run_once=true)); its action plugin then runs it inside the
    controller's Python process.
"""

EXAMPLES = r"""
- name: Internal CA with an issuing intermediate, limited to the fleet's domain
  rtvs.remote.internal_ca:
    passphrase: "{{ vault_rtvs_internal_ca_passphrase }}"
    intermediate: true
    permitted_domains: [rtvs.example.com]
  delegate_to: localhost
  run_once: true
  register: ca

- name: Broker certificate issued by it
  rtvs.remote.broker_certificate:
    path: "{{ playbook_dir }}/pki/{{ inventory_hostname }}/broker.crt"
    privatekey_path: "{{ playbook_dir }}/pki/{{ inventory_hostname }}/broker.key"
    fqdn: "{{ inventory_hostname }}.rtvs.example.com"
    source: ca
    ca_certificate_path: "{{ ca.issuer_certificate_path }}"
    ca_privatekey_path: "{{ ca.issuer_privatekey_path }}"
    ca_privatekey_passphrase: "{{ vault_rtvs_internal_ca_passphrase }}"
  delegate_to: localhost
"""

RETURN = r"""
reasons:
  description: What was (or in check mode would be) created; empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: ["CA folder /home/u/.local/share/rtvs-remote/ca missing", "root CA created"]
path:
  description: The CA folder.
  returned: always
  type: str
root_certificate_path:
  description: The root certificate clients trust (see role rtvs.remote.client_trust).
  returned: always
  type: str
issuer_certificate_path:
  description: The certificate broker certificates are issued from (the intermediate, else the root).
  returned: always
  type: str
issuer_privatekey_path:
  description: Its encrypted key.
  returned: always
  type: str
chain_paths:
  description: The certificates to put in a broker's PFX after its own (intermediate if any, then root).
  returned: always
  type: list
  elements: str
issuer_ready:
  description: Whether RV(issuer_certificate_path) exists; false only in check mode before a real run creates it.
  returned: always
  type: bool
permitted_domains:
  description: The root's permitted DNS domains.
  returned: always
  type: list
  elements: str
root:
  description: Subject, SHA-256 fingerprint, SHA-1 thumbprint, expiry and serial of the root (null values in check mode before it exists).
  returned: always
  type: dict
intermediate:
  description: The same for the intermediate; null without one.
  returned: always
  type: dict
"""

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.tls import internal_ca


def main():
    module_runner.main(argument_specs.INTERNAL_CA, internal_ca.ENTRY)


if __name__ == "__main__":
    main()
