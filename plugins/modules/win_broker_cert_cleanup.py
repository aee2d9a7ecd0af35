# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only; the module is win_broker_cert_cleanup.ps1.

DOCUMENTATION = r"""
---
module: win_broker_cert_cleanup
short_description: Remove this collection's older RTVS broker certificates on Windows
description:
  - The RTVS broker searches LocalMachine C(Root), C(AuthRoot), C(CA) and C(My) in that order and
    serves the first certificate whose Subject equals its configured name, without checking
    expiry or whether it has a private key. An old certificate with the same Subject therefore
    hides a freshly imported one.
  - Removes exactly the certificates listed in O(remove), as chosen by the
    P(rtvs.remote.win_certificate_plan#filter) filter, and only when their friendly name is
    O(friendly_name) (this collection's C(RTVS broker <fqdn>)). Certificates of other services with
    the same Subject (the WinRM HTTPS listener's, AD CS auto-enrolled ones) are never removed; the
    plan stops the run and lists them instead.
  - Private key files of removed certificates are left in place.
version_added: 0.1.0
options:
  remove:
    description:
      - Certificates to remove, each a dict with C(store) (C(Root), C(AuthRoot), C(CA) or C(My)) and
        C(thumbprint) (40 hex digits; spaces and colons are ignored). Other keys are ignored.
    type: list
    elements: dict
    required: true
  keep_thumbprint:
    description:
      - SHA-1 thumbprint of the certificate the broker should use; never removed.
    type: str
    required: true
  friendly_name:
    description:
      - The friendly name a certificate must have to be removed; must start with C(RTVS broker ).
    type: str
    required: true
  require_kept:
    description:
      - Fail without removing anything when O(keep_thumbprint) is not in LocalMachine C(My), so
        a failed import never leaves the broker without a certificate.
      - Not enforced in check mode, where the import before it did not happen.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reports what would be removed; stores are opened read-only.
  diff_mode:
    support: full
    description: The removed certificates as C(store\\thumbprint).
  idempotent:
    support: full
    description: A second run finds nothing to remove.
  platform:
    platforms: windows
    support: full
    description: Windows hosts over WinRM or PSRP only.
seealso:
  - module: rtvs.remote.win_broker_info
  - module: ansible.windows.win_certificate_store
author:
  - rtvs.remote contributors (@rtvs)
"""

EXAMPLES = r"""
- name: Remove this collection's older certificates chosen by the plan
  rtvs.remote.win_broker_cert_cleanup:
    remove: "{{ plan.remove }}"
    keep_thumbprint: 0123456789ABCDEF0123456789ABCDEF01234567
    friendly_name: RTVS broker r.example.com
  register: cleanup
"""

RETURN = r"""
removed:
  description: Certificates removed (or, in check mode, that would be removed).
  returned: always
  type: list
  elements: dict
  contains:
    store: {description: 'Store name.', type: str, sample: My}
    thumbprint: {description: 'SHA-1 thumbprint.', type: str}
    subject: {description: 'Subject.', type: str}
    friendly_name: {description: 'Friendly name.', type: str}
    not_after: {description: 'ISO 8601 UTC.', type: str}
skipped:
  description: Listed certificates left in place, with the reason (not ours, the one to keep, store not readable).
  returned: always
  type: list
  elements: dict
  contains:
    store: {description: 'Store name.', type: str}
    thumbprint: {description: 'SHA-1 thumbprint.', type: str}
    reason: {description: 'Why it was not removed.', type: str}
kept_in_my:
  description: Whether O(keep_thumbprint) is in LocalMachine C(My).
  returned: always
  type: bool
"""
