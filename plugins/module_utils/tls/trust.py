# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What role rtvs.remote.client_trust puts into (or takes out of) a client's trust store.

The role gathers PEM texts on the controller (the internal CA's roots, a user's CA, or the
brokers' self-signed certificates as a fallback); this module turns them into entries the
tasks send as they are, for both kinds of client:

- Linux: one file ``<prefix>-<sha256 prefix>.crt`` per certificate in the role's own folder under
  /usr/local/share/ca-certificates (update-ca-certificates reads it), one PEM certificate each;
- Windows: the same PEM and its SHA-1 thumbprint (what ansible.windows.win_certificate_store
  compares), into LocalMachine\\Root for self-signed certificates (roots, self-signed brokers) and
  LocalMachine\\CA (store name CertificateAuthority) for intermediates.

A certificate both wanted and withdrawn stays wanted (the withdrawal of an old root must never
remove the root brokers are issued from). No Ansible imports; unit-tested.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs
from ansible_collections.rtvs.remote.plugins.module_utils.tls.certs import CertError

try:
    from cryptography.hazmat.primitives import serialization
except ImportError:  # pragma: no cover - certs.HAS_CRYPTOGRAPHY reports it
    pass


def entry(cert, prefix="rtvs-remote"):
    """One certificate as the tasks send it."""
    der = cert.public_bytes(serialization.Encoding.DER)
    info = certs.summary(cert)
    self_signed = info["self_signed"]
    return {
        "name": "%s-%s.crt" % (prefix, hashlib.sha256(der).hexdigest()[:16]),
        "pem": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "thumbprint": info["thumbprint_sha1"],
        "fingerprint_sha256": info["fingerprint_sha256"],
        "subject": info["subject"],
        "not_after": info["not_after"],
        "self_signed": self_signed,
        "windows_store": "Root" if self_signed else "CertificateAuthority",
    }


def _entries(pems, option, prefix):
    found, seen = [], set()
    for index, pem in enumerate(pems or []):
        if not pem or not str(pem).strip():
            raise CertError("%s[%d] is empty; give a PEM certificate (the file's content)" % (option, index))
        for cert in certs.load_certificates(pem, "%s[%d]" % (option, index)):
            item = entry(cert, prefix)
            if item["thumbprint"] not in seen:
                seen.add(item["thumbprint"])
                found.append(item)
    return found


def plan(wanted_pems, withdrawn_pems=None, state="present", prefix="rtvs-remote"):
    """{'present': [entries], 'absent': [entries]} for a client.

    state absent: every wanted and withdrawn certificate is absent. A certificate that is wanted
    and withdrawn at once stays present.
    """
    if state not in ("present", "absent"):
        raise CertError("state must be present or absent (now %r)" % (state,))
    wanted = _entries(wanted_pems, "certificates", prefix)
    withdrawn = _entries(withdrawn_pems, "withdraw", prefix)
    if state == "absent":
        seen = {w["thumbprint"] for w in wanted}
        return {"present": [], "absent": wanted + [w for w in withdrawn if w["thumbprint"] not in seen]}
    keep = {w["thumbprint"] for w in wanted}
    return {"present": wanted, "absent": [w for w in withdrawn if w["thumbprint"] not in keep]}
