#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pfx
short_description: Bundle the RTVS broker's key and certificate into a password-protected PKCS#12 (PFX) file
version_added: 0.1.0
description:
  - Writes a PKCS#12 file holding the private key, the certificate and an optional chain, protected by O(password).
    The RTVS broker loads its TLS certificate from such a file (C(X509CertificateFile)), and Windows imports it into
    the machine certificate store.
  - O(encryption=compat) (the default) uses pbeWithSHA1And3-KeyTripleDES-CBC for key and certificates and a SHA-1 MAC,
    which Windows Server 2012 R2/2016 and the broker's .NET Core 1.x can import. O(encryption=modern) uses
    AES-256-CBC with PBKDF2-HMAC-SHA256 and a SHA-256 MAC.
  - Idempotent by opening the existing file with O(password) and comparing key, certificate, chain,
    friendly name and encryption profile, never by timestamps.
  - An existing file that O(password) does not open is reported and left alone, unless O(force=true).
  - Built on the Python C(cryptography) library; no openssl binary is needed.
author:
  - rtvs.remote contributors (@rtvs)
requirements:
  - cryptography >= 39.0 on the host that runs the module
extends_documentation_fragment:
  - rtvs.remote.file_options
attributes:
  check_mode:
    support: full
    description: Opens and compares the existing file, reports what would change, writes nothing.
  diff_mode:
    support: full
    description: Shows certificate subject and fingerprints, chain, friendly name and encryption; key and password show as C(********).
  idempotent:
    support: full
    description: A second run with the same inputs reports no change.
options:
  path:
    description:
      - Where the PKCS#12 file is written.
    type: path
    required: true
  certificate_path:
    description:
      - PEM certificate of the broker. Certificates after the first in this file are added to the chain.
    type: path
    required: true
  privatekey_path:
    description:
      - PEM private key belonging to O(certificate_path).
      - Refused when its folder belongs to another account (root aside) or group or other may write to it, or when
        the key belongs to an account other than root, the one running the module and O(owner), or is readable by
        other or writable by its group - another account could have planted or copied it.
    type: path
    required: true
  privatekey_passphrase:
    description:
      - Passphrase of O(privatekey_path) when it is encrypted.
    type: str
  other_certificates:
    description:
      - PEM files with chain certificates (intermediate and root CAs) to include, in this order.
        A certificate already present (for example after the leaf in O(certificate_path)) is included once.
    type: list
    elements: path
    default: []
  password:
    description:
      - Password protecting the PFX; take it from a vault variable. Never logged.
      - A NUL byte or another control character (newline, tab, escape ...) is refused, since the PKCS#12 layers
        cannot take it.
    type: str
    required: true
  encryption:
    description:
      - V(compat) is PBE-SHA1-3DES with a SHA-1 MAC (Windows Server 2012 R2/2016, .NET Core 1.x).
      - V(modern) is AES-256-CBC/PBKDF2-SHA256 with a SHA-256 MAC (Windows Server 2019 and later, OpenSSL 3).
    type: str
    choices: [compat, modern]
    default: compat
  password_charset:
    description:
      - Which characters O(password) may hold.
      - V(ascii) (the default) refuses a password with any character outside printable ASCII (0x20-0x7E, space to
        C(~)). The Linux broker runs .NET Core 1.x on OpenSSL 1.0.x, which converts a PFX password to BMPString byte by
        byte (openssl/openssl#3535 and openssl/openssl#6179), so it cannot open a PFX whose non-ASCII password was encoded correctly
        (as this module does) and rtvsd refuses to start. Mono's C(X509Certificate2) refuses such a PFX too.
      - V(any) accepts every character and warns about the others; use it only for a PFX that only Windows
        (.NET Framework, which encodes the password correctly) reads.
    type: str
    choices: [ascii, any]
    default: ascii
  friendly_name:
    description:
      - Friendly name stored with the certificate (shown by Windows certificate stores).
    type: str
  expected_names:
    description:
      - Names clients use to reach the broker (its FQDN, other DNS names, IP addresses) that O(certificate_path) must
        cover, by the rule TLS clients apply (a SubjectAltName equal to the name or a one-label wildcard; an IP address
        only by an IP SubjectAltName; the CN only when there is no SubjectAltName).
      - A certificate that does not cover one of them is refused before anything is written (O(name_mismatch)).
      - Empty (the default) checks no name.
    type: list
    elements: str
    default: []
  name_mismatch:
    description:
      - What to do when O(certificate_path) does not cover one of O(expected_names).
      - V(refuse) fails naming the missing names and those the certificate has; nothing is written.
      - V(warn) bundles it anyway and returns a warning (clients connecting by a missing name refuse the broker).
    type: str
    choices: [refuse, warn]
    default: refuse
  force:
    description:
      - Replace an existing file that O(password) does not open or that is not PKCS#12 at all.
    type: bool
    default: false
  owner:
    description:
      - User that owns the PFX.
    type: str
    default: root
  mode:
    description:
      - Permissions of the PFX. Give the broker's service group read access through O(group).
    type: raw
    default: '0640'
seealso:
  - module: rtvs.remote.broker_certificate
notes:
  - When the task runs on the controller (C(delegate_to=localhost) or connection C(local)) without become, this
    module's code runs inside the controller's own Python process instead of a separate module process (faster,
    same arguments and results); the environment variable C(RTVS_REMOTE_INPROCESS=0) turns that off.
"""

EXAMPLES = r"""
- name: PFX the Linux broker reads
  rtvs.remote.pfx:
    path: /etc/rtvs/broker.pfx
    certificate_path: /etc/rtvs/broker.crt
    privatekey_path: /etc/rtvs/broker.key
    password: "{{ rtvs_pfx_password }}"
    group: rtvssvc

- name: PFX for a Windows broker, built on the controller
  rtvs.remote.pfx:
    path: "{{ playbook_dir }}/pki/{{ inventory_hostname }}.pfx"
    certificate_path: "{{ playbook_dir }}/pki/{{ inventory_hostname }}.crt"
    privatekey_path: "{{ playbook_dir }}/pki/{{ inventory_hostname }}.key"
    other_certificates:
      - "{{ rtvs_ca_certificate }}"
    password: "{{ rtvs_pfx_password }}"
    encryption: compat
    owner: "{{ lookup('env', 'USER') }}"
    mode: '0600'
  delegate_to: localhost
"""

RETURN = r"""
reason:
  description: Why the file was (or would be) written, all reasons joined by C(; ); null when unchanged.
  returned: always
  type: str
  sample: "certificate differs"
reasons:
  description: The same reasons as a list.
  returned: always
  type: list
  elements: str
  sample: ["missing"]
fingerprint_sha256:
  description: SHA-256 fingerprint of the leaf certificate (C(AB:CD:...)).
  returned: always
  type: str
thumbprint_sha1:
  description: SHA-1 thumbprint of the leaf certificate in upper-case hex, as Windows shows it.
  returned: always
  type: str
checksum:
  description:
    - SHA-1 of the PFX file as ansible.builtin.stat and ansible.builtin.copy compute it; compare it with the
      checksum of a copy on a host to skip copying an unchanged PFX.
    - Null in check mode while a new PFX would be written.
  returned: always
  type: str
  sample: 6f1ed002ab5595859014ebf0951522d9e3f8f8c5
encryption:
  description: The encryption profile of the file.
  returned: always
  type: str
  sample: compat
backup_file:
  description: Backup of the replaced file.
  returned: when O(backup=true) and the file was replaced
  type: str
"""

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.tls import pfx


def main():
    module_runner.main(argument_specs.PFX, pfx.ENTRY)


if __name__ == "__main__":
    main()
