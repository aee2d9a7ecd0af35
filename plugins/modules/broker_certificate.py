#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: broker_certificate
short_description: Ensure the RTVS broker's RSA private key and TLS server certificate
version_added: 0.1.0
description:
  - Ensures a private key and an X.509 certificate for the R Tools for Visual Studio broker, in one call.
  - The certificate's Subject is exactly C(CN=<fqdn>) (the Windows broker finds its certificate by comparing
    the full Subject), its SubjectAltName holds O(fqdn) plus O(subject_alt_names) (IP literals become IP entries),
    it carries the serverAuth extended key usage and an RSA key of O(key_size) bits.
  - With O(source=selfsigned) or O(source=ca) the pair is (re)issued only when a file is missing, the names differ,
    key and certificate do not match, the issuer differs, or fewer than O(renew_before_days) days remain.
    An existing key is kept when only the certificate must change.
  - With O(source=provided) a user-supplied certificate and key are validated and installed; they are never regenerated.
  - Idempotence compares content (names, keys, issuer, expiry), never file timestamps.
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
    description: Reports what would change without writing; fingerprints of a certificate not issued yet are null.
  diff_mode:
    support: full
    description: Shows subject, names, issuer, expiry and fingerprints before and after; key material shows as C(********).
  idempotent:
    support: partial
    description: Idempotent unless O(force=true), or the certificate enters the O(renew_before_days) window between runs.
options:
  path:
    description:
      - Where the PEM certificate is written (for O(source=provided), the leaf followed by any chain certificates given).
    type: path
    required: true
  privatekey_path:
    description:
      - Where the PKCS#8 PEM private key is written, unencrypted (what C(openssl) and the broker's tooling read) or
        encrypted with O(privatekey_passphrase) when that is set.
      - Refused, with nothing changed, when its folder belongs to another account (root aside) or group or other
        may write to it, or when an existing key there belongs to an account other than the one running the module
        and O(owner), or has permission bits beyond O(privatekey_mode) - another account could have planted or copied
        that key. A symbolic link or a second hard link at O(path) or O(privatekey_path) is refused too.
    type: path
    required: true
  fqdn:
    description:
      - The name clients use to reach the broker; becomes the certificate's CN and first DNS SubjectAltName.
    type: str
    required: true
  subject_alt_names:
    description:
      - Extra names for the SubjectAltName. Entries that parse as IPv4 or IPv6 addresses become IP entries,
        the rest DNS names (compared case-insensitively).
    type: list
    elements: str
    default: []
  source:
    description:
      - V(selfsigned) issues a self-signed certificate (for testing; clients warn about it).
      - V(ca) issues a certificate signed by the CA in O(ca_certificate_path) and O(ca_privatekey_path).
      - V(provided) validates and installs the certificate and key given in the C(provided_*) options.
    type: str
    choices: [selfsigned, ca, provided]
    default: selfsigned
  ca_certificate_path:
    description:
      - PEM certificate of the issuing CA, read on the host the module runs on. Required for O(source=ca).
      - To use a CA kept on the controller, run the module with C(delegate_to=localhost) or copy the files first.
    type: path
  ca_privatekey_path:
    description:
      - PEM private key of the issuing CA. Required for O(source=ca).
    type: path
  ca_privatekey_passphrase:
    description:
      - Passphrase of O(ca_privatekey_path) when it is encrypted.
    type: str
  provided_certificate_path:
    description:
      - PEM certificate (optionally followed by its chain) to install with O(source=provided).
      - Mutually exclusive with O(provided_certificate_content).
    type: path
  provided_certificate_content:
    description:
      - PEM text of the certificate (optionally followed by its chain) to install with O(source=provided). Not logged.
    type: str
  provided_privatekey_path:
    description:
      - PEM private key of the provided certificate. Mutually exclusive with O(provided_privatekey_content).
    type: path
  provided_privatekey_content:
    description:
      - PEM text of the provided private key. Never logged.
    type: str
  provided_privatekey_passphrase:
    description:
      - Passphrase of the provided key when it is encrypted. The key is installed decrypted (the broker reads it
        through the PFX, see M(rtvs.remote.pfx)), or encrypted with O(privatekey_passphrase) when that is set.
    type: str
  key_size:
    description:
      - RSA key size in bits for a newly generated key. An existing smaller key is replaced.
    type: int
    default: 2048
  valid_days:
    description:
      - Validity of a newly issued certificate in days (with O(source=ca), never past the CA's own expiry).
    type: int
    default: 365
  renew_before_days:
    description:
      - Reissue when fewer than this many days of validity remain. With O(source=provided) only a warning is given.
    type: int
    default: 30
  force:
    description:
      - Regenerate key and certificate even when they are fine, and replace files at O(path) or O(privatekey_path)
        that cannot be read as PEM (without it the module refuses to overwrite them).
      - Has no effect with O(source=provided), which never regenerates.
    type: bool
    default: false
  privatekey_passphrase:
    description:
      - Keep the key at O(privatekey_path) encrypted at rest with this passphrase (PKCS#8, AES-256-CBC with PBKDF2, the
        same encryption as the internal CA's keys), for keys kept on the controller. At least 12 characters; give it
        from vault. Never logged.
      - An existing unencrypted key is kept and rewritten encrypted (reported as a change); a key encrypted with
        another passphrase, or an encrypted key when this is not set, is refused with nothing changed (give the
        passphrase it was written with, or remove the key file to have a new one issued).
      - M(rtvs.remote.pfx) reads the key with its O(rtvs.remote.pfx#module:privatekey_passphrase) option.
      - Unset (the default), the key is written unencrypted.
    type: str
  privatekey_mode:
    description:
      - Permissions of the private key file. Modes that let other accounts read it, or a group change it (like
        C(0666)), are refused.
    type: raw
    default: '0600'
  mode:
    description:
      - Permissions of the certificate file.
    type: raw
    default: '0644'
seealso:
  - module: rtvs.remote.pfx
notes:
  - O(owner), O(group) and O(backup) apply to both files; a replaced key's backup is returned in RV(privatekey_backup_file).
  - When the task runs on the controller (C(delegate_to=localhost) or connection C(local)) without become, this
    module's code runs inside the controller's own Python process instead of a separate module process (faster,
    same arguments and results); the environment variable C(RTVS_REMOTE_INPROCESS=0) turns that off.
"""

EXAMPLES = r"""
- name: Self-signed certificate for a test broker
  rtvs.remote.broker_certificate:
    path: /etc/rtvs/broker.crt
    privatekey_path: /etc/rtvs/broker.key
    fqdn: rtvs.example.com
    subject_alt_names:
      - rtvs
      - 192.0.2.10

- name: Certificate signed by the internal CA kept on the controller
  rtvs.remote.broker_certificate:
    path: "{{ playbook_dir }}/pki/{{ inventory_hostname }}.crt"
    privatekey_path: "{{ playbook_dir }}/pki/{{ inventory_hostname }}.key"
    fqdn: "{{ rtvs_fqdn }}"
    source: ca
    ca_certificate_path: "{{ rtvs_ca_certificate }}"
    ca_privatekey_path: "{{ rtvs_ca_privatekey }}"
    ca_privatekey_passphrase: "{{ vault_ca_passphrase }}"
    privatekey_passphrase: "{{ vault_controller_key_passphrase }}"  # the key is kept encrypted on the controller
  delegate_to: localhost

- name: Install the certificate the security team issued
  rtvs.remote.broker_certificate:
    path: /etc/rtvs/broker.crt
    privatekey_path: /etc/rtvs/broker.key
    fqdn: rtvs.example.com
    source: provided
    provided_certificate_path: /srv/pki/rtvs.example.com.pem
    provided_privatekey_content: "{{ vault_rtvs_key_pem }}"
"""

RETURN = r"""
reasons:
  description: Why anything changed (missing files, names differ, key mismatch, renewal window, attributes); empty when unchanged.
  returned: always
  type: list
  elements: str
  sample: ["certificate expires on 2026-12-01T00:00:00Z, 12.0 days left, fewer than renew_before_days (30)"]
fingerprint_sha256:
  description: SHA-256 fingerprint of the certificate, as C(openssl x509 -fingerprint -sha256) prints it. Null in check mode before issuing.
  returned: always
  type: str
  sample: "BF:2B:4F:39:46:D5:CD:01:53:DD:45:B2:A2:90:06:6B:47:C8:A9:20:68:39:5C:65:B6:C2:ED:80:A4:D1:EF:36"
thumbprint_sha1:
  description: SHA-1 thumbprint in upper-case hex, as Windows certificate stores show it (C(Cert:\LocalMachine\My\<thumbprint>)).
  returned: always
  type: str
  sample: "AF7B145D83256F2848B46C698C63D6AAD89A8614"
not_before:
  description: Start of validity, ISO 8601 UTC.
  returned: always
  type: str
not_after:
  description: End of validity, ISO 8601 UTC.
  returned: always
  type: str
  sample: "2027-11-25T22:56:37Z"
subject:
  description: Subject formatted the way the Windows broker compares it (X509Certificate2.Subject), for X509CertificateName.
  returned: always
  type: str
  sample: "CN=rtvs.example.com"
subject_alt_names:
  description: DNS names then IP addresses in the SubjectAltName.
  returned: always
  type: list
  elements: str
  sample: ["rtvs.example.com", "rtvs", "192.0.2.10"]
issuer:
  description: Issuer, formatted like RV(subject).
  returned: always
  type: str
self_signed:
  description: Whether the certificate is self-signed.
  returned: always
  type: bool
serial_number:
  description: Serial number in upper-case hex.
  returned: always
  type: str
backup_file:
  description: Backup of the replaced certificate file.
  returned: when O(backup=true) and the certificate was replaced
  type: str
privatekey_backup_file:
  description: Backup of the replaced private key file (same owner and mode as the original).
  returned: when O(backup=true) and the key was replaced
  type: str
"""

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.tls import broker_certificate


def main():
    module_runner.main(argument_specs.BROKER_CERTIFICATE, broker_certificate.ENTRY)


if __name__ == "__main__":
    main()
