# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only; the module is win_broker_cert_cleanup.ps1.

DOCUMENTATION = r"""
---
module: win_broker_cert_cleanup
short_description: Remove certificates that would shadow the RTVS broker certificate on Windows
description:
  - The RTVS broker searches LocalMachine C(Root), C(AuthRoot), C(CA) and C(My) in that order and
    serves the first certificate whose Subject equals its configured name, without checking
    expiry or whether it has a private key. An old certificate with the same Subject therefore
    hides a freshly imported one.
  - This module removes every certificate with exactly O(subject) (compared ignoring case) from
    those stores, except the one with O(keep_thumbprint), and reports which it removed.
  - Private key files of removed certificates are left in place.
version_added: 0.1.0
options:
  subject:
    description:
      - Exact Subject, such as C(CN=r.example.com). Certificates whose Subject merely contains
        this name are not touched.
    type: str
    required: true
  keep_thumbprint:
    description:
      - SHA-1 thumbprint of the certificate to keep (40 hex digits; spaces and colons are ignored).
    type: str
    required: true
  stores:
    description:
      - LocalMachine stores to clean; only C(Root), C(AuthRoot), C(CA) and C(My) are accepted.
    type: list
    elements: str
    default: [Root, AuthRoot, CA, My]
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
    description: Thumbprints with the Subject per store, before and after.
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
- name: Remove older certificates for the broker's name
  rtvs.remote.win_broker_cert_cleanup:
    subject: CN=r.example.com
    keep_thumbprint: 0123456789ABCDEF0123456789ABCDEF01234567
  register: cleanup
"""

RETURN = r"""
removed:
  description: Certificates removed (or, in check mode, that would be removed).
  returned: always
  type: list
  elements: dict
  contains:
    store: {description: 'Store name.', type: str, sample: Root}
    thumbprint: {description: 'SHA-1 thumbprint.', type: str}
    subject: {description: 'Subject.', type: str}
    not_after: {description: 'ISO 8601 UTC.', type: str}
    has_private_key: {description: 'Whether it had a private key.', type: bool}
kept:
  description: Entries with O(keep_thumbprint) found in the cleaned stores.
  returned: always
  type: list
  elements: dict
  contains:
    store: {description: 'Store name.', type: str}
    thumbprint: {description: 'SHA-1 thumbprint.', type: str}
kept_in_my:
  description: Whether O(keep_thumbprint) is in LocalMachine C(My).
  returned: always
  type: bool
"""
