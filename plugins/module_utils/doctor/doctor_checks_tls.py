# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's TLS posture check: the broker should refuse TLS 1.0, TLS 1.1 and weak cipher suites.

Kept apart from checks.py (which lists it in its table) so the table's file only gains a row.
It judges the ``posture`` section that tls_probe.probe() fills from tls_posture.posture().
Returns the same (status, evidence, fix) tuples as the other checks; no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

OK, WARN, SKIP = "ok", "warn", "skip"

LABELS = (("tls1_0", "TLS 1.0"), ("tls1_1", "TLS 1.1"), ("weak_cipher", "weak cipher suite"))


def check_tls_posture(facts):
    probe = facts.get("probe") or {}
    if not (probe.get("tls") or {}).get("ok"):
        return (SKIP, "no TLS handshake, so legacy protocols were not tried", "")
    posture = probe.get("posture")
    if not isinstance(posture, dict):
        return (SKIP, "the probe did not try legacy protocols (older rtvs.remote.tls_probe)", "")
    accepted, refused, untested = [], [], []
    for key, label in LABELS:
        result = posture.get(key) or {}
        if not result.get("offered"):
            untested.append("%s (%s)" % (label, result.get("error") or "not offered"))
        elif result.get("accepted"):
            accepted.append("%s (%s, %s)" % (label, result.get("version"), result.get("cipher")))
        else:
            refused.append(label)
    parts = []
    if accepted:
        parts.append("accepts " + ", ".join(accepted))
    if refused:
        parts.append("refuses " + ", ".join(refused))
    if untested:
        parts.append("not tried: " + ", ".join(untested))
    evidence = "the broker " + "; ".join(parts)
    if accepted:
        return (WARN, evidence,
                "Allow only TLS 1.2 (and 1.3) with forward-secret AEAD suites on the host: RTVS clients use TLS 1.2, "
                "so nothing needs the rest (Windows: disable TLS 1.0/1.1 and weak suites in SChannel; Linux: "
                "MinProtocol = TLSv1.2 and CipherString = DEFAULT:@SECLEVEL=2 in /etc/ssl/openssl.cnf).")
    if not refused:
        return (SKIP, evidence, "")
    return (OK, evidence, "")
