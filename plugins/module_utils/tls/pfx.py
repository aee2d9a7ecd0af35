# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build, open and compare the broker's PKCS#12 (PFX) bundle.

Pure Python on top of ``cryptography`` (no Ansible imports, no openssl binary).

Profiles (``encryption``):
- ``compat``: key and certificates encrypted with pbeWithSHA1And3-KeyTripleDES-CBC,
  SHA-1 MAC. This is what Windows Server 2012 R2/2016 and the broker's
  .NET Core 1.x import; OpenSSL 3's default (AES-256) fails there with
  "the specified network password is not correct".
- ``modern``: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), SHA-256 MAC.

Idempotence compares content (key, leaf, chain, friendly name, profile) after
opening the existing file with the password, never timestamps: every build
uses fresh salts, so bytes differ each time.

A small DER reader (RFC 7292 structures only) reports the algorithms actually
used and verifies the MAC with the PKCS#12 key derivation, which tells a wrong
password apart from a damaged or foreign file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules, password_rules
from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host import fileio
from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, keys
from ansible_collections.rtvs.remote.plugins.module_utils.tls.pfx_inspect import (  # noqa: F401  pylint: disable=unused-import
    _algorithm,
    _bmp,
    COMPAT_PBE,
    _explicit0,
    _HASHES,
    inspect,
    _int,
    _kdf,
    mac_verifies,
    MODERN_PBE,
    _name,
    _Node,
    _octets,
    _oid,
    OIDS,
    _parse,
    PfxError,
    PfxMalformed,
    PfxWrongPassword,
    profile,
    _read,
)

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs12 as _pkcs12

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False

ENCRYPTIONS = ("compat", "modern")
REPLACE_FIX = "give the password it was made with, or set force: true to replace it"
DEFAULT_ITERATIONS = 2048


# ---------------------------------------------------------------- build / open / compare


def _encryption(encryption, password, iterations):
    if encryption not in ENCRYPTIONS:
        raise PfxError("encryption %r is unknown; use one of %s" % (encryption, ", ".join(ENCRYPTIONS)))
    if not password:
        raise PfxError("password is empty; give the PFX a password (from a vault variable)")
    builder = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(iterations)
    if encryption == "compat":
        builder = builder.key_cert_algorithm(_pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1())
    else:
        builder = builder.key_cert_algorithm(_pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
    return builder.build(password.encode("utf-8"))


def build(key, cert, chain=None, password=None, encryption="compat", friendly_name=None, iterations=DEFAULT_ITERATIONS):
    """Serialize key + leaf certificate (+ chain) into PKCS#12 bytes with the chosen profile."""
    name = friendly_name.encode("utf-8") if friendly_name else None
    return _pkcs12.serialize_key_and_certificates(name, key, cert, list(chain or []) or None,
                                                  _encryption(encryption, password, iterations))


class Contents(object):
    """An opened PFX. Holds the private key: never log it."""

    def __init__(self, key, cert, chain, friendly_name, encryption, info):
        self.key = key
        self.cert = cert
        self.chain = chain
        self.friendly_name = friendly_name
        self.encryption = encryption
        self.info = info


# The one set of messages for a PFX that does not open; every caller adds its own fix.
PFX_UNREADABLE = "cannot read %(what)s (%(detail)s)"
PFX_NO_LIBRARY = "cannot open %(what)s: the Python cryptography library is missing on this machine"
PFX_MALFORMED = "%(what)s is not a PKCS#12 (PFX) file: %(detail)s"
PFX_WRONG_PASSWORD = "%(what)s does not open with %(password)s (wrong password, or not the file it was made with)"
PFX_DAMAGED = "%(what)s is damaged or uses unsupported algorithms (%(detail)s)"
PFX_INCOMPLETE = "%(what)s must hold both the private key and the certificate"


def _pfx_message(template, fix, **values):
    text = template % values
    return "%s; %s" % (text, fix) if fix else text


def _load(data, secret):
    """(key, cert, chain, friendly_name) with what this cryptography has (load_pkcs12 needs 36+)."""
    if hasattr(_pkcs12, "load_pkcs12"):
        loaded = _pkcs12.load_pkcs12(data, secret)
        cert = loaded.cert.certificate if loaded.cert is not None else None
        name = loaded.cert.friendly_name if loaded.cert is not None else None
        return loaded.key, cert, [c.certificate for c in loaded.additional_certs], name
    key, cert, chain = _pkcs12.load_key_and_certificates(data, secret)
    return key, cert, list(chain or []), None


def open_pfx(data, password, option="path", fix="", password_name="password", require_key_and_cert=False):
    """Open PFX bytes with password -> Contents; the one way every module and fact reader opens a PFX.

    Raises PfxMalformed or PfxWrongPassword with the messages above, naming ``option`` and ending
    with the caller's ``fix``; the password is never part of a message.
    """
    if not HAS_CRYPTOGRAPHY:
        raise PfxError(_pfx_message(PFX_NO_LIBRARY, fix, what=option))
    try:
        info = inspect(data)
    except PfxMalformed as exc:
        raise PfxMalformed(_pfx_message(PFX_MALFORMED, fix, what=option, detail=exc))
    except RecursionError:
        raise PfxMalformed(_pfx_message(PFX_MALFORMED, fix, what=option, detail="its ASN.1 is nested too deeply"))
    # an empty password has two encodings (none, or an empty BMPString) that the loader both tries
    verified = mac_verifies(info, password) if password else None
    wrong = _pfx_message(PFX_WRONG_PASSWORD, fix, what=option, password=password_name)
    if verified is False:
        raise PfxWrongPassword(wrong)
    try:
        key, cert, chain, name = _load(data, password.encode("utf-8") if password else None)
    except (ValueError, TypeError) as exc:
        if verified is None:
            raise PfxWrongPassword(wrong)
        detail = str(exc).split("\n", 1)[0]
        if password and password in detail:  # never echo the password
            detail = "unreadable content"
        raise PfxMalformed(_pfx_message(PFX_DAMAGED, fix, what=option, detail=detail))
    if require_key_and_cert and (key is None or cert is None):
        raise PfxMalformed(_pfx_message(PFX_INCOMPLETE, fix, what=option))
    return Contents(key, cert, chain, name.decode("utf-8", "replace") if name else None, profile(info), info)


def read_pfx(path, password, fix="", password_name="password", require_key_and_cert=False):
    """open_pfx() of the file at ``path``; an unreadable file raises PfxError with the same wording."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise PfxError(_pfx_message(PFX_UNREADABLE, fix, what=path, detail=exc.strerror or exc))
    return open_pfx(data, password, path, fix, password_name, require_key_and_cert)


def _der(cert):
    return cert.public_bytes(serialization.Encoding.DER) if cert is not None else None


def differences(contents, key, cert, chain=None, encryption="compat", friendly_name=None):
    """Why an opened PFX differs from what is wanted ([] = keep it). Mentions no secret."""
    reasons = []
    if contents.key is None:
        reasons.append("private key missing from the PFX")
    elif contents.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) or (
        hasattr(key, "private_numbers") and contents.key.private_numbers() != key.private_numbers()
    ):
        reasons.append("private key differs")
    if _der(contents.cert) != _der(cert):
        reasons.append("certificate differs")
    if [_der(c) for c in contents.chain] != [_der(c) for c in (chain or [])]:
        reasons.append("chain differs (other_certificates)")
    if (contents.friendly_name or None) != (friendly_name or None):
        reasons.append("friendly name differs")
    if contents.encryption != encryption:
        reasons.append("encryption is %s, wanted %s" % (contents.encryption, encryption))
    return reasons


# ---------------------------------------------------------------- module runner (file I/O, no Ansible imports)


def _read_input(path, option):
    data = fileio.read_bytes(path)
    if data is None:
        raise PfxError("%s %s does not exist; check the path (it is read on the host the module runs on)" % (option, path))
    return data


def _describe(contents):
    if contents is None:
        return ""
    lines = []
    if contents.cert is not None:
        lines.append("certificate: %s (sha256 %s)" % (certs.windows_name(contents.cert.subject),
                                                      certs.fingerprint_sha256(contents.cert)))
    lines.append("chain: %s" % (", ".join(certs.fingerprint_sha256(c) for c in contents.chain) or "(none)"))
    lines.append("privatekey: %s" % broker_rules.MASK)
    lines.append("friendly_name: %s" % (contents.friendly_name or ""))
    lines.append("encryption: %s" % contents.encryption)
    lines.append("password: %s" % broker_rules.MASK)
    return "\n".join(lines) + "\n"


def run(params, check_mode=False):
    """Do what rtvs.remote.pfx does; return the module result (no secrets in it).

    Raises PfxError, certs.CertError or fileio.FileError naming the option and the fix;
    nothing is written before every check has passed.
    """
    path, password = params["path"], params["password"]
    encryption = params.get("encryption") or "compat"
    friendly_name = params.get("friendly_name") or None
    if not password:
        raise PfxError("password is empty; give the PFX a password (from a vault variable)")
    problem = (password_rules.control_character_problem("password", password)
               or password_rules.nul_problem("privatekey_passphrase", params.get("privatekey_passphrase")))
    if problem:
        raise PfxError(problem)
    if encryption not in ENCRYPTIONS:
        raise PfxError("encryption %r is unknown; use one of %s" % (encryption, ", ".join(ENCRYPTIONS)))
    charset = params.get("password_charset") or "ascii"
    if charset not in password_rules.CHARSETS:
        raise PfxError("password_charset %r is unknown; use one of %s" % (charset, ", ".join(password_rules.CHARSETS)))
    warnings = []
    if charset == "ascii":
        refusal = password_rules.problem(password, "linux")
        if refusal:
            raise PfxError(refusal + " For a PFX only Windows reads, set password_charset: any.")
    else:
        warning = password_rules.problem(password, "windows")
        if warning:
            warnings.append(warning)
    # The key bundled must be ours: not one another account planted or could have copied (a 0640 key of
    # a group such as ssl-cert, owned by root, is fine).
    owners = fileio.trusted_owners(params.get("owner"), root=True)
    problem = (fileio.private_folder_problem(params["privatekey_path"], "privatekey_path", owners)
               or fileio.private_file_problem(
                   params["privatekey_path"], "privatekey_path", owners, 0o640,
                   fix="if nobody else made or copied it, chmod 0600 it (0640 for a group that must read it); "
                       "otherwise make a new key (rtvs.remote.broker_certificate)"))
    if problem:
        raise PfxError(problem)
    key = keys.load_private_key(_read_input(params["privatekey_path"], "privatekey_path"), "privatekey_path",
                                params.get("privatekey_passphrase"))
    leaf_and_chain = certs.load_certificates(_read_input(params["certificate_path"], "certificate_path"),
                                             "certificate_path")
    cert, chain = leaf_and_chain[0], leaf_and_chain[1:]
    if not keys.key_matches(cert, key):
        raise PfxError("privatekey_path does not belong to certificate_path (their public keys differ); "
                       "give the key the certificate was issued for")
    # the names clients use must be covered (broker_rules.name_covered, the one rule), before anything is written
    missing = [n for n in params.get("expected_names") or [] if not certs.covers(cert, n)]
    if missing:
        have_dns, have_ips = certs.certificate_names(cert)
        have = ", ".join(have_dns + [str(i) for i in have_ips]) or "no SubjectAltName, CN %s" % certs.common_name(cert)
        text = ("certificate_path does not cover %s (it names %s): clients connecting by %s would refuse the broker's "
                "certificate" % (", ".join(missing), have, "that name" if len(missing) == 1 else "those names"))
        if (params.get("name_mismatch") or "refuse") == "refuse":
            raise PfxError(text + "; issue one whose SubjectAltName includes %s (rtvs.remote.broker_certificate) and "
                           "bundle it, or correct expected_names (name_mismatch: warn bundles it anyway)"
                           % ", ".join(missing))
        warnings.append(text + "; issue one whose SubjectAltName includes %s (rtvs.remote.broker_certificate) and "
                        "bundle again" % ", ".join(missing))
    for index, other in enumerate(params.get("other_certificates") or []):
        option = "other_certificates[%d]" % index
        chain += certs.load_certificates(_read_input(other, option), option)
    # A CA given both after the leaf in certificate_path and in other_certificates is stored once.
    seen, unique = {_der(cert)}, []
    for item in chain:
        if _der(item) not in seen:
            seen.add(_der(item))
            unique.append(item)
    chain = unique
    owner, group, mode = params.get("owner"), params.get("group"), params.get("mode")
    fileio.resolve_uid(owner)
    fileio.resolve_gid(group)
    fileio.parse_mode(mode)

    existing = fileio.read_bytes(path, managed=True)
    current = None
    reasons = []
    if existing is None:
        reasons.append("missing")
    else:
        try:
            current = open_pfx(existing, password, fix=REPLACE_FIX)
        except PfxError as exc:
            if not params.get("force"):
                raise
            reasons.append("existing file cannot be opened and force is set: %s" % exc)
        if current is not None:
            reasons += differences(current, key, cert, chain, encryption, friendly_name)
    write = bool(reasons)
    if not write:
        reasons += ["%s differs" % c for c in fileio.attribute_changes(path, owner, group, mode)]
    if certs.not_after(cert) <= certs.utcnow():
        warnings.append("certificate_path expired on %s: the broker would serve an expired certificate, which clients "
                        "refuse; renew it (rtvs.remote.broker_certificate) and bundle again"
                        % certs.iso(certs.not_after(cert)))
    wanted_mode = fileio.parse_mode(mode)
    if wanted_mode is not None and wanted_mode & 0o006:
        warnings.append("mode %04o lets every account on the host read %s, so its password is the only protection of "
                        "the private key in it; use 0640 with the broker's group (the default) or 0600"
                        % (wanted_mode, path))
    wanted = Contents(key, cert, chain, friendly_name, encryption, None)
    result = {
        "changed": bool(reasons),
        "reasons": reasons,
        "reason": "; ".join(reasons) or None,
        "fingerprint_sha256": certs.fingerprint_sha256(cert),
        "thumbprint_sha1": certs.thumbprint_sha1(cert),
        "encryption": encryption,
        "backup_file": None,
        # SHA-1 of the PFX file as ansible.builtin.stat/copy compute it (None while a write is pending in
        # check mode): lets a play skip copying an unchanged PFX to a host.
        "checksum": None if write else hashlib.sha1(existing).hexdigest(),
        "diff": {"before": _describe(current), "after": _describe(wanted)},
    }
    if warnings:
        result["warnings"] = warnings
    if check_mode or not result["changed"]:
        return result
    if write:
        data = build(key, cert, chain, password, encryption, friendly_name)
        result["backup_file"] = fileio.atomic_write(path, data, owner, group, mode, params.get("backup", False),
                                                    backup_keep=params.get("backup_keep") or 0)
        result["checksum"] = hashlib.sha1(data).hexdigest()
    else:
        fileio.apply_attributes(path, owner, group, mode)
    return result


# The pfx module: its logic, refusals and library (module and action plugin run this).
ENTRY = module_runner.Entry(
    "pfx", run, refusals=(PfxError, certs.CertError, fileio.FileError),
    libraries=["cryptography"],
)
