#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tls_probe
short_description: Look at an RTVS broker from the client side - name, TCP, TLS 1.2, certificate, /info/about
version_added: 0.1.0
description:
  - Resolves O(name), connects to O(port), completes a TLS 1.2 handshake (the only version the RTVS client and
    broker speak) and reads the served certificate - subject, names, expiry, SHA-256 fingerprint, self-signed -
    and whether it covers O(name), the name clients use.
  - Verifies the chain in a second handshake against O(ca_file), or the controller's system store when it is
    not given, and says which one it used.
  - Sends C(GET /info/about) with a Basic header (any user:password works, the broker only needs the header) and
    returns the status and JSON. With O(user) and O(password), also C(GET /interpreters), which proves the login
    works and R was detected.
  - The login is sent only over a connection that proved who answers, checked on that same connection - the chain
    verified against O(ca_file) (or the system store) and the certificate covers O(name), or, with O(pin_sha256),
    the served certificate has exactly that SHA-256 fingerprint. Otherwise C(GET /interpreters) is not sent and
    C(skipped) in RV(probe.interpreters) says why. C(/info/about) carries no secret and is asked without verification.
  - Meant to run on the controller (C(delegate_to=localhost)); read-only, it only opens connections and sends
    GET requests. The rtvs.remote.doctor role uses it.
author:
  - rtvs.remote contributors (@rtvs)
requirements:
  - cryptography >= 39.0 on the host that runs the module
extends_documentation_fragment:
  - rtvs.remote.read_only
options:
  name:
    description:
      - Name clients use to connect (the FQDN, or an IP address when clients use one). The certificate is checked
        against it and it is sent as the TLS server name (SNI) unless it is an IP address.
    type: str
    required: true
  port:
    description:
      - Broker port.
    type: int
    default: 5444
  address:
    description:
      - Connect to this address instead of resolving O(name), for example a test host's IP. O(name) is still
        resolved and reported, and still used for SNI and the certificate name check.
    type: str
  ca_file:
    description:
      - PEM file with the CA certificates clients trust. Without it the controller's system store is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each connection and answer.
    type: float
    default: 5.0
  user:
    description:
      - Account to log in with for C(GET /interpreters). Without it only C(/info/about) is asked.
    type: str
  password:
    description:
      - Password of O(user). Never logged or returned, and only sent as described above.
    type: str
  pin_sha256:
    description:
      - SHA-256 fingerprint of the broker's certificate (as C(openssl x509 -noout -fingerprint -sha256) prints it,
        colons optional). When given, the login is sent only to a server presenting exactly that certificate, even
        when it is self-signed or its chain does not verify; a different certificate is never sent the login, even
        one that verifies.
      - Read the fingerprint on the broker itself (or from the certificate file you deployed), not from a probe's
        result, which shows whatever certificate answered.
    type: str
notes:
  - When the task runs on the controller (C(delegate_to=localhost) or connection C(local)) without become, this
    module's code runs inside the controller's own Python process instead of a separate module process (faster,
    same arguments and results); the environment variable C(RTVS_REMOTE_INPROCESS=0) turns that off.
"""

EXAMPLES = r"""
- name: Probe the broker the way a client does
  rtvs.remote.tls_probe:
    name: "{{ rtvs_fqdn }}"
    port: 5444
    ca_file: files/ca.pem
  delegate_to: localhost
  register: probe

- name: The certificate covers the name clients use and /info/about answers
  ansible.builtin.assert:
    that:
      - probe.probe.certificate.covers_name
      - probe.probe.about.status == 200
"""

RETURN = r"""
probe:
  description: Everything the probe saw; each step runs only when the previous one worked.
  returned: always
  type: dict
  contains:
    name: {description: O(name)., type: str, returned: always}
    port: {description: O(port)., type: int, returned: always}
    address_given: {description: Whether O(address) was given., type: bool, returned: always}
    resolve:
      description: Name resolution of O(name) on the controller.
      type: dict
      returned: always
      sample: {ok: true, addresses: [192.0.2.10], error: null}
    tcp:
      description: TCP connect; C(address) is the address used.
      type: dict
      returned: always
      sample: {ok: true, address: 192.0.2.10, error: null}
    tls:
      description: TLS 1.2 handshake without verification.
      type: dict
      returned: always
      sample: {ok: true, version: TLSv1.2, cipher: ECDHE-RSA-AES256-GCM-SHA384, error: null}
    certificate:
      description:
        - The served leaf certificate, or null when no handshake happened. C(covers_name) tells whether its
          SubjectAltName (or CN without a SAN) covers O(name).
      type: dict
      returned: always
      sample:
        subject: CN=rtvs.example.com
        subject_alt_names: [rtvs.example.com]
        issuer: CN=rtvs.example.com
        not_before: '2026-11-25T22:00:00Z'
        not_after: '2027-11-25T22:00:00Z'
        fingerprint_sha256: 'AB:CD:...'
        thumbprint_sha1: ABCD...
        self_signed: true
        serial_number: 1A2B
        covers_name: true
        expired: false
        days_left: 364
    trust:
      description: Chain verification; C(store) names the CA file or the system store used.
      type: dict
      returned: always
      sample: {ok: false, store: CA file /etc/ssl/ca.pem, error: 'self-signed certificate (verify code 18)'}
    about:
      description: C(GET /info/about) with a Basic header; C(json) is the parsed body.
      type: dict
      returned: always
      sample: {status: 200, json: {version: 1.3.0.0}, www_authenticate: null, api_error: null, body_excerpt: null, error: null}
    interpreters:
      description:
        - C(GET /interpreters) as O(user); null without O(user). C(names) lists the interpreter names.
        - C(credentials_sent) tells whether the login was sent; C(channel) how the connection was proved (verified
          chain and name, or the pinned fingerprint); C(skipped) why the request was not made (the certificate did
          not verify, does not cover O(name), or does not match O(pin_sha256)), else null.
      type: dict
      returned: always
      sample: {user: alice, status: 200, count: 1, names: [R 3.4.4], api_error: null, error: null,
               credentials_sent: true, channel: chain and name rtvs.example.com verified against CA file /etc/ssl/ca.pem,
               skipped: null}
    posture:
      description:
        - Handshakes offering only TLS 1.0, only TLS 1.1, or only weak cipher suites (C(accepted) true means
          the broker took it); C(offered) false when the controller's OpenSSL cannot offer that probe. Null
          when no TLS 1.2 handshake happened.
      type: dict
      returned: always
      sample:
        tls1_0: {offered: true, accepted: false, version: null, cipher: null, error: 'tlsv1 alert protocol version'}
        tls1_1: {offered: true, accepted: false, version: null, cipher: null, error: 'tlsv1 alert protocol version'}
        weak_cipher: {offered: true, accepted: false, version: null, cipher: null, error: 'alert handshake failure'}
"""

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.tls import tls_probe


def main():
    module_runner.main(argument_specs.TLS_PROBE, tls_probe.ENTRY)


if __name__ == "__main__":
    main()
