# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A PFX's structure without its password: a minimal DER reader (RFC 7292 structures only) that reports the
algorithms used, and the MAC check (RFC 7292 appendix B) that tells a wrong password from a damaged file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac


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
