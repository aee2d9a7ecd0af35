# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows broker decisions for the windows_broker role: thin filters over module_utils/windows/win_plan.py and win_certs.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules
from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_certs, win_plan, win_rotate


def _observed(info):
    if not isinstance(info, dict) or not isinstance(info.get("observed"), dict):
        raise AnsibleFilterError("expects the registered result of rtvs.remote.win_broker_info (with 'observed')")
    return info["observed"]


def win_config_text(content_b64, path=None):
    """Text of a broker config from base64 bytes (slurp): UTF-8 with or without BOM, UTF-16 with BOM."""
    try:
        return win_plan.decode_config_b64(content_b64, path or win_plan.CONFIG_FILE)[0]
    except win_plan.ConfigDecodeError as exc:
        raise AnsibleFilterError("win_config_text: %s" % exc)


def win_certificate_plan(info, thumbprint, subject, fqdn, chain=None, install_root=False):
    """What the certificate step does: todo.{import,chain,cleanup,key_acl}, remove, conflicts, fail."""
    try:
        return win_plan.certificate_plan(_observed(info), thumbprint, subject, fqdn, chain, bool(install_root))
    except win_certs.WinCertError as exc:
        raise AnsibleFilterError("win_certificate_plan: %s" % exc)


def win_certificate_problems(info, thumbprint, subject):
    """What keeps the broker from serving our certificate; empty when it is ours and usable."""
    return win_plan.certificate_problems(info, thumbprint, subject)


def win_desired_subject(info, known_subject, fqdn):
    """The Subject of our certificate in Windows format (known, else our newest in My, else CN=<fqdn>)."""
    return win_plan.desired_subject(known_subject, info if isinstance(info, dict) else {}, fqdn)


def win_chain(pem_text, extra_pem=None):
    """The CA certificates after the leaf in a PEM bundle (plus extra_pem), for win_certificate_plan."""
    from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs
    from cryptography.hazmat.primitives import serialization

    try:
        found = certs.load_certificates(pem_text, "certificate")[1:]
        if extra_pem:
            found += certs.load_certificates(extra_pem, "ca_certificate")
    except certs.CertError as exc:
        raise AnsibleFilterError("win_chain: %s" % exc)
    result, seen = [], set()
    for cert in found:
        thumb = certs.thumbprint_sha1(cert).replace(":", "")
        if thumb in seen:
            continue
        seen.add(thumb)
        result.append({"thumbprint": thumb, "subject": certs.windows_name(cert.subject),
                       "self_signed": certs.is_self_signed(cert),
                       "der_b64": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")})
    return result


def win_leaf_pem(pem_text):
    """The first certificate of a PEM bundle, so the PFX holds only the leaf and its key."""
    from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs

    try:
        return certs.certs_pem(certs.load_certificates(pem_text, "certificate")[:1]).decode("ascii")
    except certs.CertError as exc:
        raise AnsibleFilterError("win_leaf_pem: %s" % exc)


def win_pfx_pem(pem_text, ca_pem=None):
    """The leaf, then the intermediate CAs (not self-signed) after it in the bundle or in ca_pem: what the Windows
    PFX holds, so the broker host has the chain to send even before the CA store step; roots stay out of My."""
    from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs

    try:
        found = certs.load_certificates(pem_text, "certificate")
        if ca_pem:
            found += certs.load_certificates(ca_pem, "ca_certificate")
    except certs.CertError as exc:
        raise AnsibleFilterError("win_pfx_pem: %s" % exc)
    chosen, seen = [found[0]], {certs.thumbprint_sha1(found[0])}
    for cert in found[1:]:
        thumb = certs.thumbprint_sha1(cert)
        if thumb in seen or certs.is_self_signed(cert):
            continue
        seen.add(thumb)
        chosen.append(cert)
    return certs.certs_pem(chosen).decode("ascii")


def win_served_certificate(info):
    """The certificate the Windows broker picks now (thumbprint, subject, store, ours ...), or None."""
    try:
        return win_rotate.served_certificate(info if isinstance(info, dict) else {})
    except win_certs.WinCertError as exc:
        raise AnsibleFilterError("win_served_certificate: %s" % exc)


def win_rollback_plan(info, previous, new_thumbprint, fqdn, previous_pem="", config_backup=""):
    """How to put the broker back on its previous certificate and configuration (module_utils/windows/win_rotate.py)."""
    from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs

    pfx_thumbprint = None
    if previous_pem:
        try:
            pfx_thumbprint = certs.thumbprint_sha1(certs.load_certificates(previous_pem, "previous")[0]).replace(":", "")
        except certs.CertError as exc:
            raise AnsibleFilterError("win_rollback_plan: the certificate kept before the rotation: %s" % exc)
    try:
        return win_rotate.rollback_plan(info if isinstance(info, dict) else {}, previous, new_thumbprint, fqdn,
                                        pfx_thumbprint, config_backup or None)
    except win_certs.WinCertError as exc:
        raise AnsibleFilterError("win_rollback_plan: %s" % exc)


def win_san_text(fqdn, subject_alt_names=None):
    """New-SelfSignedCertificate -TextExtension value with DNS= and IPAddress= entries."""
    try:
        return win_certs.san_text_extension(fqdn, subject_alt_names)
    except win_certs.WinCertError as exc:
        raise AnsibleFilterError("win_san_text: %s" % exc)


def win_r_support(version):
    """{supported, range} for an R version, by the one rule in broker_rules (the broker accepts 3.2-3.9)."""
    return {"supported": broker_rules.r_supported(version), "range": broker_rules.R_SUPPORTED_TEXT}


class FilterModule(object):
    def filters(self):
        return {
            "win_config_text": win_config_text,
            "win_certificate_plan": win_certificate_plan,
            "win_certificate_problems": win_certificate_problems,
            "win_desired_subject": win_desired_subject,
            "win_chain": win_chain,
            "win_leaf_pem": win_leaf_pem,
            "win_pfx_pem": win_pfx_pem,
            "win_served_certificate": win_served_certificate,
            "win_rollback_plan": win_rollback_plan,
            "win_san_text": win_san_text,
            "win_r_support": win_r_support,
        }
