# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The broker certificate's lifecycle: why a certificate is to be made again, the plan of a module run, and rtvs.remote.broker_certificate's run()."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules, password_rules
from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host import fileio
from ansible_collections.rtvs.remote.plugins.module_utils.tls.certs import (
    CertError,
    certificate_names,
    certs_pem,
    common_name,
    _days_left,
    has_server_auth,
    _hex,
    is_self_signed,
    iso,
    load_certificate,
    load_certificates,
    not_after,
    not_before,
    signed_by,
    summary,
    utcnow,
    wanted_names,
    windows_name,
)
from ansible_collections.rtvs.remote.plugins.module_utils.tls.issuing import (
    build_certificate,
    names_outside_constraints,
    validate_ca,
    validate_provided,
)
from ansible_collections.rtvs.remote.plugins.module_utils.tls.keys import (
    generate_key,
    KEY_PASSPHRASE_SOURCE,
    key_matches,
    key_pem,
    key_pem_encrypted,
    load_key_at_rest,
    load_private_key,
    MIN_KEY_SIZE,
    passphrase_problem,
    same_private_key,
)

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError:  # pragma: no cover - certs.HAS_CRYPTOGRAPHY reports it
    pass


def regenerate_reasons(cert, key, fqdn, subject_alt_names, renew_before_days, key_size=MIN_KEY_SIZE, issuer_cert=None, now=None):
    """Why an existing certificate/key pair must be reissued ([] = keep it).

    ``cert``/``key`` are None when missing. ``issuer_cert`` None means the
    certificate should be self-signed.
    """
    now = now or utcnow()
    if key is None:
        return ["private key missing"] + ([] if cert is not None else ["certificate missing"])
    reasons = []
    if not isinstance(key, rsa.RSAPrivateKey):
        reasons.append("private key is not RSA")
        return reasons + ([] if cert is not None else ["certificate missing"])
    if key.key_size < key_size:
        reasons.append("private key has %d bits, key_size wants %d" % (key.key_size, key_size))
    if cert is None:
        return reasons + ["certificate missing"]
    dns, ips = wanted_names(fqdn, subject_alt_names)
    if common_name(cert) != fqdn.strip() or len(cert.subject) != 1:
        reasons.append("subject is %r, wanted 'CN=%s'" % (windows_name(cert.subject), fqdn.strip()))
    have_dns, have_ips = certificate_names(cert)
    if sorted(have_dns) != sorted(dns) or sorted(map(str, have_ips)) != sorted(map(str, ips)):
        reasons.append(
            "subject alternative names are [%s], wanted [%s]"
            % (", ".join(have_dns + [str(i) for i in have_ips]), ", ".join(dns + [str(i) for i in ips]))
        )
    if not key_matches(cert, key):
        reasons.append("certificate does not match the private key")
    if not has_server_auth(cert):
        reasons.append("certificate lacks serverAuth extended key usage")
    if issuer_cert is None:
        if not is_self_signed(cert):
            reasons.append("certificate is not self-signed (source selfsigned)")
    elif not signed_by(cert, issuer_cert):
        reasons.append("certificate is not signed by ca_certificate_path")
    if not_before(cert) > now:
        reasons.append("certificate is not valid before %s" % iso(not_before(cert)))
    days = _days_left(cert, now)
    if days < renew_before_days:
        reasons.append(
            "certificate expires on %s, %.1f days left, fewer than renew_before_days (%d)"
            % (iso(not_after(cert)), max(days, 0.0), renew_before_days)
        )
    return reasons


# ---------------------------------------------------------------- planning (what a module run does)


class Plan(object):
    """Outcome of deciding a run: what to write and why. Holds key bytes: never log it."""

    def __init__(self):
        self.reasons = []
        self.warnings = []
        self.key = None
        self.certs = []
        self.key_pem = None  # bytes to write to privatekey_path, or None to leave it
        self.cert_pem = None  # bytes to write to path, or None to leave it

    @property
    def cert(self):
        return self.certs[0] if self.certs else None


def _load_existing(data, loader, option, force, reasons):
    """Parse a file this module manages; unreadable content is refused unless force."""
    if data is None:
        return None
    try:
        return loader(data)
    except CertError as exc:
        if not force:
            raise CertError("%s; it is not replaced without force: true (or remove the file)" % exc)
        reasons.append("%s is unreadable and force is set" % option)
        return None


def plan_issued(existing_cert, existing_key, fqdn, subject_alt_names=None, key_size=MIN_KEY_SIZE, valid_days=365,
                renew_before_days=30, force=False, ca_cert=None, ca_key=None, now=None, key_passphrase=None):
    """Decide the run for source selfsigned (ca_cert None) or ca. ``existing_*`` are file bytes or None.

    ``key_passphrase``: the key at privatekey_path is kept encrypted with it (an unencrypted one is re-encrypted).
    """
    now = now or utcnow()
    check_settings(key_size, valid_days, renew_before_days)
    wanted_names(fqdn, subject_alt_names)
    if ca_cert is not None:
        validate_ca(ca_cert, ca_key, renew_before_days, now)
        outside = names_outside_constraints(ca_cert, wanted_names(fqdn, subject_alt_names)[0])
        if outside:
            raise CertError(
                "%s outside the domains the CA may vouch for (its name constraints); use names under those domains "
                "in fqdn/subject_alt_names, or a CA without constraints" % ", ".join(outside)
            )
    plan = Plan()
    early = []
    loaded = _load_existing(existing_key, lambda d: load_key_at_rest(d, "privatekey_path", key_passphrase,
                                                                     KEY_PASSPHRASE_SOURCE),
                            "privatekey_path", force, early)
    key, at_rest = loaded if loaded is not None else (None, None)
    certs = _load_existing(existing_cert, lambda d: load_certificates(d, "path"), "path", force, early)
    cert = certs[0] if certs else None
    reasons = regenerate_reasons(cert, key, fqdn, subject_alt_names, renew_before_days, key_size, ca_cert, now)
    if force:
        reasons = ["force is set"] + reasons
    plan.reasons = early + [r for r in reasons if r not in early]
    if not plan.reasons:
        plan.key, plan.certs = key, certs
        if at_rest:
            plan.reasons.append(at_rest)
            plan.key_pem = key_pem(key, key_passphrase)
        return plan
    reuse_key = (
        not force
        and isinstance(key, rsa.RSAPrivateKey)
        and key.key_size >= key_size
    )
    if reuse_key:
        plan.key = key
        if at_rest:
            plan.reasons.append(at_rest)
            plan.key_pem = key_pem(key, key_passphrase)
    else:
        plan.key = generate_key(key_size)
        plan.key_pem = key_pem(plan.key, key_passphrase)
    plan.certs = [build_certificate(plan.key, fqdn, subject_alt_names, valid_days, ca_cert, ca_key, now)]
    plan.cert_pem = certs_pem(plan.certs)
    return plan


def plan_provided(existing_cert, existing_key, provided_cert, provided_key, fqdn, subject_alt_names=None,
                  passphrase=None, cert_option="provided_certificate_path", key_option="provided_privatekey_path",
                  renew_before_days=30, now=None, key_passphrase=None):
    """Decide the run for source provided: validate, then install only what differs. Never regenerates.

    ``key_passphrase``: the installed key is kept encrypted with it (an unencrypted one is re-encrypted).
    """
    now = now or utcnow()
    certs = load_certificates(provided_cert, cert_option)
    key = load_private_key(provided_key, key_option, passphrase)
    plan = Plan()
    plan.warnings = validate_provided(certs, key, fqdn, subject_alt_names, now, cert_option, key_option)
    days = _days_left(certs[0], now)
    plan.key, plan.certs = key, certs
    at_rest = None
    try:
        if existing_key:
            have_key, at_rest = load_key_at_rest(existing_key, "privatekey_path", key_passphrase,
                                                 KEY_PASSPHRASE_SOURCE)
        else:
            have_key = None
    except CertError:
        have_key = None  # replaced by the provided key: nothing of value is lost
    try:
        have_certs = load_certificates(existing_cert, "path") if existing_cert else None
    except CertError:
        have_certs = None
    if have_key is None or not isinstance(have_key, rsa.RSAPrivateKey) or not same_private_key(have_key, key):
        plan.reasons.append("private key missing" if existing_key is None else "private key differs from %s" % key_option)
        plan.key_pem = key_pem(key, key_passphrase)
    elif at_rest:
        plan.reasons.append(at_rest)
        plan.key_pem = key_pem(key, key_passphrase)
    want = [c.public_bytes(serialization.Encoding.DER) for c in certs]
    have = [c.public_bytes(serialization.Encoding.DER) for c in have_certs] if have_certs else None
    if have != want:
        plan.reasons.append("certificate missing" if existing_cert is None else "certificate differs from %s" % cert_option)
        plan.cert_pem = certs_pem(certs)
    if days < renew_before_days:
        plan.warnings.append(
            "%s expires on %s (%.1f days left, fewer than renew_before_days %d); supply a renewed certificate"
            % (cert_option, iso(not_after(certs[0])), days, renew_before_days)
        )
    return plan


MAX_KEY_SIZE = 16384
MAX_VALID_DAYS = 36500


def check_settings(key_size, valid_days, renew_before_days):
    if key_size < MIN_KEY_SIZE:
        raise CertError("key_size %d is too weak; use %d or more" % (key_size, MIN_KEY_SIZE))
    if key_size > MAX_KEY_SIZE:
        raise CertError("key_size %d would take very long to generate and slow every TLS handshake; use at most %d "
                        "(2048 or 3072 is usual)" % (key_size, MAX_KEY_SIZE))
    if renew_before_days < 0:
        raise CertError("renew_before_days must be 0 or more")
    if valid_days > MAX_VALID_DAYS:
        raise CertError("valid_days %d is beyond what a certificate can express usefully; use at most %d (clients "
                        "accept 398 days for public CAs)" % (valid_days, MAX_VALID_DAYS))
    if valid_days <= renew_before_days:
        raise CertError(
            "valid_days (%d) must be greater than renew_before_days (%d), or every run would reissue the certificate"
            % (valid_days, renew_before_days)
        )


def public_key_fingerprint(key):
    """SHA-256 of the public key (SubjectPublicKeyInfo DER): identifies a key without revealing it."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return _hex(digest.finalize(), ":")


# ---------------------------------------------------------------- module runner (file I/O, no Ansible imports)


def _read_input(path, option):
    data = fileio.read_bytes(path)
    if data is None:
        raise CertError("%s %s does not exist; check the path (it is read on the host the module runs on)" % (option, path))
    return data


def _describe(cert, key, pending_cert=False, pending_key=False, encrypted=False):
    """Diff text for a certificate/key pair: names and fingerprints only, never key bytes.

    ``pending_*`` (check mode): the item would be created by a real run, so its
    fingerprint is not known yet and is shown as such. ``encrypted``: the key file is encrypted at rest.
    """
    if cert is None and key is None:
        return ""
    lines = []
    if cert is not None:
        info = summary(cert)
        for name in ("subject", "subject_alt_names", "issuer", "not_after", "fingerprint_sha256"):
            value = "(issued by a real run)" if pending_cert and name in ("not_after", "fingerprint_sha256") else info[name]
            lines.append("%s: %s" % (name, ", ".join(value) if isinstance(value, list) else value))
    if key is not None:
        identity = "new key generated by a real run" if pending_key else "public key sha256 %s" % public_key_fingerprint(key)
        lines.append("privatekey: %s (%s%s)" % (broker_rules.MASK, identity, ", encrypted at rest" if encrypted else ""))
    return "\n".join(lines) + "\n"


def _existing_pair(cert_bytes, key_bytes, key_passphrase=None):
    try:
        cert = load_certificate(cert_bytes, "path") if cert_bytes else None
    except CertError:
        cert = None
    try:
        key = load_key_at_rest(key_bytes, "privatekey_path", key_passphrase, KEY_PASSPHRASE_SOURCE)[0] if key_bytes else None
    except CertError:
        key = None
    return cert, key


def run(params, check_mode=False, now=None):
    """Do what rtvs.remote.broker_certificate does; return the module result (without secrets).

    Raises CertError or fileio.FileError with a message naming the option and the fix.
    Nothing is written before every check has passed.
    """
    now = now or utcnow()
    for option in ("ca_privatekey_passphrase", "provided_privatekey_passphrase", "privatekey_passphrase"):
        problem = password_rules.nul_problem(option, params.get(option))
        if problem:
            raise CertError(problem)
    key_passphrase = params.get("privatekey_passphrase") or None
    problem = passphrase_problem("privatekey_passphrase", key_passphrase, KEY_PASSPHRASE_SOURCE)
    if problem:
        raise CertError(problem)
    path, key_path = params["path"], params["privatekey_path"]
    if os.path.abspath(path) == os.path.abspath(key_path):
        raise CertError("path and privatekey_path are the same file (%s): the certificate would overwrite the key; "
                        "give them different names, e.g. broker.crt and broker.key" % path)
    key_mode_wanted = fileio.parse_mode(params.get("privatekey_mode"))
    if key_mode_wanted is not None and key_mode_wanted & 0o027:
        raise CertError("privatekey_mode %04o lets other accounts read or change the private key; use 0600 (or 0640 "
                        "for a group that must read it)" % key_mode_wanted)
    owners = fileio.trusted_owners(params.get("owner"))
    problem = (fileio.private_folder_problem(key_path, "privatekey_path", owners)
               or fileio.private_file_problem(key_path, "privatekey_path", owners,
                                              0o600 if key_mode_wanted is None else key_mode_wanted))
    if problem:
        raise CertError(problem)
    existing_cert = fileio.read_bytes(path, managed=True)
    existing_key = fileio.read_bytes(key_path, managed=True)
    source = params["source"]
    sans = params.get("subject_alt_names") or []
    if source == "provided":
        if params.get("provided_certificate_content"):
            cert_in, cert_option = params["provided_certificate_content"], "provided_certificate_content"
        else:
            cert_in = _read_input(params["provided_certificate_path"], "provided_certificate_path")
            cert_option = "provided_certificate_path"
        if params.get("provided_privatekey_content"):
            key_in, key_option = params["provided_privatekey_content"], "provided_privatekey_content"
        else:
            key_in = _read_input(params["provided_privatekey_path"], "provided_privatekey_path")
            key_option = "provided_privatekey_path"
        plan = plan_provided(existing_cert, existing_key, cert_in, key_in, params["fqdn"], sans,
                             params.get("provided_privatekey_passphrase"), cert_option, key_option,
                             params.get("renew_before_days", 30), now, key_passphrase)
    else:
        ca_cert = ca_key = None
        if source == "ca":
            ca_cert = load_certificate(_read_input(params["ca_certificate_path"], "ca_certificate_path"),
                                       "ca_certificate_path")
            ca_key = load_private_key(_read_input(params["ca_privatekey_path"], "ca_privatekey_path"),
                                      "ca_privatekey_path", params.get("ca_privatekey_passphrase"))
        plan = plan_issued(existing_cert, existing_key, params["fqdn"], sans, params["key_size"],
                           params["valid_days"], params["renew_before_days"], params.get("force", False),
                           ca_cert, ca_key, now, key_passphrase)
    owner, group = params.get("owner"), params.get("group")
    key_mode, cert_mode = params.get("privatekey_mode"), params.get("mode")
    # Validate owner/group/mode before writing anything.
    for value, resolve in ((owner, fileio.resolve_uid), (group, fileio.resolve_gid),
                           (key_mode, fileio.parse_mode), (cert_mode, fileio.parse_mode)):
        resolve(value)
    result = {"changed": False, "reasons": list(plan.reasons), "warnings": list(plan.warnings),
              "backup_file": None, "privatekey_backup_file": None}
    if plan.key_pem is None and existing_key is not None:
        result["reasons"] += ["privatekey_path %s differs" % c
                              for c in fileio.attribute_changes(key_path, owner, group, key_mode)]
    if plan.cert_pem is None and existing_cert is not None:
        result["reasons"] += ["path %s differs" % c for c in fileio.attribute_changes(path, owner, group, cert_mode)]
    result["changed"] = bool(result["reasons"])
    before_cert, before_key = _existing_pair(existing_cert, existing_key, key_passphrase)
    pending = check_mode and plan.cert_pem is not None
    after_encrypted = key_pem_encrypted(plan.key_pem if plan.key_pem is not None else existing_key)
    result["diff"] = {"before": _describe(before_cert, before_key, encrypted=key_pem_encrypted(existing_key)),
                      "after": _describe(plan.cert, plan.key, pending, pending and plan.key_pem is not None
                                         and params["source"] != "provided", after_encrypted)}
    info = summary(plan.cert)
    if check_mode and plan.cert_pem is not None:
        # The certificate that would be issued does not exist yet: no fingerprint to promise.
        for name in ("fingerprint_sha256", "thumbprint_sha1", "not_before", "not_after", "serial_number"):
            info[name] = None
    result.update(info)
    if check_mode or not result["changed"]:
        return result
    backup = params.get("backup", False)
    keep = params.get("backup_keep") or 0
    if plan.key_pem is not None:
        result["privatekey_backup_file"] = fileio.atomic_write(key_path, plan.key_pem, owner, group, key_mode, backup,
                                                               backup_keep=keep)
    else:
        fileio.apply_attributes(key_path, owner, group, key_mode)
    if plan.cert_pem is not None:
        result["backup_file"] = fileio.atomic_write(path, plan.cert_pem, owner, group, cert_mode, backup,
                                                    backup_keep=keep)
    else:
        fileio.apply_attributes(path, owner, group, cert_mode)
    return result


# The broker_certificate module: its logic, refusals and library (module and action plugin run this).
ENTRY = module_runner.Entry(
    "broker_certificate", run, refusals=(CertError, fileio.FileError),
    libraries=["cryptography"],
)
