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
import hmac

from ansible_collections.rtvs.remote.plugins.module_utils import broker_rules, certs, fileio, password_rules

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs12 as _pkcs12

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False

ENCRYPTIONS = ("compat", "modern")
REPLACE_FIX = "give the password it was made with, or set force: true to replace it"
DEFAULT_ITERATIONS = 2048


class PfxError(Exception):
    """A PFX could not be built or opened; the message names the fix."""


class PfxMalformed(PfxError):
    """The file is not a PKCS#12 structure this module understands."""


class PfxWrongPassword(PfxError):
    """The file is PKCS#12, but its MAC does not verify with the given password."""


# ---------------------------------------------------------------- minimal DER/BER reader

OIDS = {
    "1.2.840.113549.1.7.1": "data",
    "1.2.840.113549.1.7.6": "encryptedData",
    "1.2.840.113549.1.12.10.1.1": "keyBag",
    "1.2.840.113549.1.12.10.1.2": "pkcs8ShroudedKeyBag",
    "1.2.840.113549.1.12.10.1.3": "certBag",
    "1.2.840.113549.1.12.1.1": "pbeWithSHA1And128BitRC4",
    "1.2.840.113549.1.12.1.3": "pbeWithSHA1And3-KeyTripleDES-CBC",
    "1.2.840.113549.1.12.1.6": "pbeWithSHA1And40BitRC2-CBC",
    "1.2.840.113549.1.5.13": "PBES2",
    "1.2.840.113549.1.5.12": "PBKDF2",
    "1.2.840.113549.2.7": "hmacWithSHA1",
    "1.2.840.113549.2.9": "hmacWithSHA256",
    "2.16.840.1.101.3.4.1.2": "aes-128-cbc",
    "2.16.840.1.101.3.4.1.42": "aes-256-cbc",
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}

COMPAT_PBE = "pbeWithSHA1And3-KeyTripleDES-CBC"
MODERN_PBE = "PBES2(PBKDF2-hmacWithSHA256, aes-256-cbc)"


class _Node(object):
    __slots__ = ("tag", "content", "children")

    def __init__(self, tag, content, children):
        self.tag = tag
        self.content = content
        self.children = children

    @property
    def constructed(self):
        return bool(self.tag & 0x20)

    def __getitem__(self, index):
        return self.children[index]

    def __len__(self):
        return len(self.children)


def _read(data, pos):
    """Parse one TLV at pos; return (node, next_pos). Handles BER indefinite lengths."""
    if pos + 2 > len(data):
        raise PfxMalformed("truncated DER")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise PfxMalformed("high tag numbers are not used by PKCS#12")
    first = data[pos + 1]
    pos += 2
    constructed = bool(tag & 0x20)
    if first == 0x80:
        if not constructed:
            raise PfxMalformed("indefinite length on a primitive value")
        children = []
        while True:
            if data[pos:pos + 2] == b"\x00\x00":
                pos += 2
                break
            child, pos = _read(data, pos)
            children.append(child)
        return _Node(tag, None, children), pos
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise PfxMalformed("bad DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    else:
        length = first
    end = pos + length
    if end > len(data):
        raise PfxMalformed("DER length runs past the end")
    content = data[pos:end]
    children = None
    if constructed:
        children = []
        inner = pos
        while inner < end:
            child, inner = _read(data, inner)
            children.append(child)
        if inner != end:
            raise PfxMalformed("DER children overrun their parent")
    return _Node(tag, content, children), end


def _parse(data):
    node, end = _read(bytes(data), 0)
    if end != len(data):
        raise PfxMalformed("trailing bytes after the PKCS#12 structure")
    return node


def _octets(node):
    """Bytes of an OCTET STRING, primitive (0x04) or BER-constructed (0x24)."""
    if node.tag == 0x04:
        return node.content
    if node.tag == 0x24:
        return b"".join(_octets(child) for child in node.children)
    raise PfxMalformed("expected OCTET STRING, found tag 0x%02x" % node.tag)


def _oid(node):
    if node.tag != 0x06 or not node.content:
        raise PfxMalformed("expected OBJECT IDENTIFIER")
    raw = bytearray(node.content)
    first = raw[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _int(node):
    if node.tag != 0x02:
        raise PfxMalformed("expected INTEGER")
    return int.from_bytes(node.content, "big", signed=True)


def _name(oid):
    return OIDS.get(oid, oid)


def _explicit0(node):
    if node.tag != 0xA0 or not node.children:
        raise PfxMalformed("expected [0] EXPLICIT")
    return node.children[0]


def _algorithm(alg):
    """Readable name of an AlgorithmIdentifier used for encryption."""
    oid = _oid(alg[0])
    if _name(oid) != "PBES2":
        return _name(oid)
    params = alg[1]
    kdf, scheme = params[0], params[1]
    kdf_name = _name(_oid(kdf[0]))
    prf = "hmacWithSHA1"  # PBKDF2 default PRF
    kdf_params = kdf[1]
    for child in kdf_params.children[2:]:
        if child.tag == 0x30:
            prf = _name(_oid(child[0]))
    return "PBES2(%s-%s, %s)" % (kdf_name, prf, _name(_oid(scheme[0])))


def inspect(data):
    """Describe a PFX's structure without the password.

    Returns {"mac": "sha1", "mac_iterations": 2048, "mac_salt": bytes, "auth_safe": bytes,
    "key_encryption": [...], "certificate_encryption": [...]}. Raises PfxMalformed.
    """
    try:
        pfx = _parse(data)
        if pfx.tag != 0x30 or len(pfx) < 2 or _int(pfx[0]) != 3:
            raise PfxMalformed("not a version 3 PFX")
        auth = pfx[1]
        if _name(_oid(auth[0])) != "data":
            raise PfxMalformed("public-key integrity mode is not supported")
        auth_safe = _octets(_explicit0(auth[1]))
        info = {"mac": None, "mac_iterations": None, "mac_salt": None, "mac_digest": None,
                "auth_safe": auth_safe, "key_encryption": [], "certificate_encryption": []}
        if len(pfx) > 2:
            mac_data = pfx[2]
            info["mac"] = _name(_oid(mac_data[0][0][0]))
            info["mac_digest"] = _octets(mac_data[0][1])
            info["mac_salt"] = _octets(mac_data[1])
            info["mac_iterations"] = _int(mac_data[2]) if len(mac_data) > 2 else 1
        for content_info in _parse(auth_safe).children:
            kind = _name(_oid(content_info[0]))
            if kind == "data":
                bags = _parse(_octets(_explicit0(content_info[1])))
                for bag in bags.children:
                    bag_type = _name(_oid(bag[0]))
                    if bag_type == "pkcs8ShroudedKeyBag":
                        info["key_encryption"].append(_algorithm(_explicit0(bag[1])[0]))
                    elif bag_type == "keyBag":
                        info["key_encryption"].append("none")
                    elif bag_type == "certBag":
                        info["certificate_encryption"].append("none")
            elif kind == "encryptedData":
                encrypted = _explicit0(content_info[1])
                info["certificate_encryption"].append(_algorithm(encrypted[1][1]))
            else:
                raise PfxMalformed("unexpected content type %s" % kind)
        return info
    except PfxMalformed:
        raise
    except (IndexError, TypeError, ValueError, AttributeError) as exc:
        raise PfxMalformed("not a PKCS#12 structure (%s)" % exc)


def profile(info):
    """'compat', 'modern' or 'other' from inspect()'s result."""
    algs = set(info["key_encryption"]) | set(info["certificate_encryption"])
    if algs == {COMPAT_PBE} and info["mac"] == "sha1":
        return "compat"
    if algs == {MODERN_PBE} and info["mac"] == "sha256":
        return "modern"
    return "other"


# ---------------------------------------------------------------- MAC check (RFC 7292 appendix B)

_HASHES = {"sha1": (hashlib.sha1, 64), "sha256": (hashlib.sha256, 64), "sha384": (hashlib.sha384, 128),
           "sha512": (hashlib.sha512, 128)}


def _bmp(password):
    return password.encode("utf-16-be") + b"\x00\x00" if password else b""


def _kdf(hash_name, password, salt, purpose, iterations, size):
    algo, v = _HASHES[hash_name]
    d = bytes([purpose]) * v

    def fill(value):
        if not value:
            return b""
        count = -(-len(value) // v) * v
        return (value * (count // len(value) + 1))[:count]

    block = bytearray(fill(salt) + fill(_bmp(password)))
    out = b""
    while len(out) < size:
        a = algo(d + bytes(block)).digest()
        for dummy in range(iterations - 1):
            a = algo(a).digest()
        out += a
        b = int.from_bytes((a * (v // len(a) + 1))[:v], "big")
        for start in range(0, len(block), v):
            chunk = int.from_bytes(block[start:start + v], "big") + b + 1
            block[start:start + v] = (chunk % (1 << (v * 8))).to_bytes(v, "big")
    return out[:size]


def mac_verifies(info, password):
    """True when the MAC verifies with password; None when the file has no MAC or an unknown MAC hash."""
    name = info.get("mac")
    if name not in _HASHES:
        return None
    algo = _HASHES[name][0]
    key = _kdf(name, password, info["mac_salt"], 3, info["mac_iterations"], algo().digest_size)
    return hmac.compare_digest(hmac.new(key, info["auth_safe"], algo).digest(), info["mac_digest"])


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
    key = certs.load_private_key(_read_input(params["privatekey_path"], "privatekey_path"), "privatekey_path",
                                 params.get("privatekey_passphrase"))
    leaf_and_chain = certs.load_certificates(_read_input(params["certificate_path"], "certificate_path"),
                                             "certificate_path")
    cert, chain = leaf_and_chain[0], leaf_and_chain[1:]
    if not certs.key_matches(cert, key):
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
