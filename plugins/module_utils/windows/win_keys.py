# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows private keys: where a certificate's key file is, and whether NETWORK SERVICE can read it.

Pure Python over what rtvs.remote.win_broker_info gathers (no Windows API here). Sources for the
facts used are in docs/windows.md ("Key storage"):

- CAPI (CSP) machine keys live in ``%ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys`` (SYSTEM's own in
  ``RSA\\S-1-5-18``), CNG (KSP) machine keys in ``Crypto\\Keys`` (SYSTEM's own in ``Crypto\\SystemKeys``).
  The file name is the key's unique container name.
- .NET Framework 4.6+ ``GetRSAPrivateKey`` returns ``RSACng`` for CAPI keys too, so the class of the
  object says nothing about the folder; the provider type does (0 = CNG, non-zero = CAPI).
- A file ACL is read as SDDL; NETWORK SERVICE (S-1-5-20) reads through its own SID and the groups in
  its token: Everyone, Authenticated Users, Users, SERVICE.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

NETWORK_SERVICE = "S-1-5-20"
# The SIDs in a NETWORK SERVICE token that key ACLs commonly name (well-known SIDs, docs/windows.md).
NETWORK_SERVICE_TOKEN = (
    NETWORK_SERVICE,
    "S-1-1-0",       # Everyone
    "S-1-5-11",      # Authenticated Users
    "S-1-5-32-545",  # BUILTIN\Users
    "S-1-5-6",       # SERVICE
)

# SDDL SID aliases (Microsoft "SID strings") for the SIDs above and the usual key-file owners.
SID_ALIASES = {
    "NS": "S-1-5-20", "WD": "S-1-1-0", "AU": "S-1-5-11", "BU": "S-1-5-32-545", "SU": "S-1-5-6",
    "SY": "S-1-5-18", "LS": "S-1-5-19", "BA": "S-1-5-32-544", "CO": "S-1-3-0", "IU": "S-1-5-4",
    "NU": "S-1-5-2", "AN": "S-1-5-7", "BG": "S-1-5-32-546", "PU": "S-1-5-32-547", "OW": "S-1-3-4",
}

FILE_READ_DATA = 0x1
GENERIC_ALL = 0x10000000
GENERIC_READ = 0x80000000
FILE_GENERIC_READ = 0x120089
FILE_ALL_ACCESS = 0x1F01FF
# Two-letter SDDL rights (only the ones that can grant or deny reading a file matter here).
_RIGHT_CODES = {
    "GA": GENERIC_ALL, "GR": GENERIC_READ, "GW": 0x40000000, "GX": 0x20000000,
    "FA": FILE_ALL_ACCESS, "FR": FILE_GENERIC_READ, "FW": 0x120116, "FX": 0x1200A0,
    "RC": 0x20000, "SD": 0x10000, "WD": 0x40000, "WO": 0x80000,
    "CC": 0x1, "DC": 0x2, "LC": 0x4, "SW": 0x8, "RP": 0x10, "WP": 0x20, "DT": 0x40, "LO": 0x80, "CR": 0x100,
    "KA": 0xF003F, "KR": 0x20019, "KW": 0x20006, "KX": 0x20019,
}
_ALLOW_TYPES = ("A", "OA", "XA", "ZA")
_DENY_TYPES = ("D", "OD", "XD")


class SddlError(ValueError):
    """The SDDL text is not something this parser understands."""


def _sid(text):
    text = text.strip()
    return SID_ALIASES.get(text.upper(), text.upper() if text.upper().startswith("S-") else text)


def _rights(text):
    text = text.strip()
    if re.match(r"^0[xX][0-9a-fA-F]+$", text):
        return int(text, 16)
    if re.match(r"^[0-9]+$", text):
        return int(text)
    if len(text) % 2:
        raise SddlError("cannot read the rights %r" % text)
    mask = 0
    for index in range(0, len(text), 2):
        code = text[index:index + 2].upper()
        if code not in _RIGHT_CODES:
            raise SddlError("unknown right %r in %r" % (code, text))
        mask |= _RIGHT_CODES[code]
    return mask


def parse_dacl(sddl):
    """The DACL of an SDDL string as a list of ACE dicts, in order; None when the SDDL has no DACL.

    Each ACE: ``type`` (allow/deny/other), ``flags`` (set of two-letter flags), ``mask`` (int), ``sid``.
    A NULL DACL (``D:NO_ACCESS_CONTROL``) gives ``[{'type': 'allow', 'mask': GENERIC_ALL, 'sid': 'S-1-1-0'}]``.
    """
    if not isinstance(sddl, str) or not sddl.strip():
        raise SddlError("empty security descriptor")
    match = re.search(r"D:([^()]*)((?:\([^()]*\))*)", sddl)
    if not match:
        return None
    if "NO_ACCESS_CONTROL" in match.group(1).upper():
        return [{"type": "allow", "flags": set(), "mask": GENERIC_ALL, "sid": "S-1-1-0"}]
    aces = []
    for body in re.findall(r"\(([^()]*)\)", match.group(2)):
        fields = body.split(";")
        if len(fields) < 6:
            raise SddlError("ACE %r has %d fields, expected 6" % (body, len(fields)))
        kind = fields[0].strip().upper()
        flags = set(fields[1][i:i + 2].upper() for i in range(0, len(fields[1].strip()), 2))
        ace_type = "allow" if kind in _ALLOW_TYPES else "deny" if kind in _DENY_TYPES else "other"
        aces.append({"type": ace_type, "flags": flags, "mask": _rights(fields[2]), "sid": _sid(fields[5])})
    return aces


def _reads_data(mask):
    return bool(mask & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL))


def can_read(sddl, token=NETWORK_SERVICE_TOKEN):
    """Whether a token with these SIDs may read the file's data, by the Windows DACL walk.

    ACEs are taken in order; inherit-only ones (IO) do not apply to the file itself. The first ACE
    naming a SID of the token that allows or denies reading decides (explicit deny comes first in a
    canonical DACL, so a deny for Everyone beats an allow for NETWORK SERVICE after it). No DACL
    means no decision (None); a DACL without a matching allow denies.
    """
    aces = parse_dacl(sddl)
    if aces is None:
        return None
    members = set(sid.upper() for sid in token)
    for ace in aces:
        if "IO" in ace["flags"] or ace["type"] == "other" or ace["sid"].upper() not in members:
            continue
        if not _reads_data(ace["mask"]):
            continue
        return ace["type"] == "allow"
    return False


def acl_summary(sddl, token=NETWORK_SERVICE_TOKEN):
    """Short text of the ACEs that name the token's SIDs, for messages ('allow 0x120089 S-1-5-20')."""
    try:
        aces = parse_dacl(sddl) or []
    except SddlError as exc:
        return str(exc)
    members = set(sid.upper() for sid in token)
    parts = ["%s 0x%X %s%s" % (a["type"], a["mask"], a["sid"], " (inherit-only)" if "IO" in a["flags"] else "")
             for a in aces if a["sid"].upper() in members]
    return ", ".join(parts) or "no entry for NETWORK SERVICE or its groups"


# ---------------------------------------------------------------- where the key file is

# Folders under %ProgramData%\Microsoft\Crypto, in the order each provider kind is searched.
CAPI_FOLDERS = ("RSA\\MachineKeys", "RSA\\S-1-5-18", "SystemKeys", "Keys")
CNG_FOLDERS = ("Keys", "SystemKeys", "RSA\\MachineKeys", "RSA\\S-1-5-18")

_NOT_FOUND = re.compile(r"keyset does not exist|0x80090016|cannot find|not found|NTE_BAD_KEYSET|0x80090011", re.I)
_DENIED = re.compile(r"access is denied|0x80070005|unauthorized|NTE_PERM|0x80090010", re.I)


def provider_kind(key):
    """'capi', 'cng' or None, from the gathered key handle facts.

    The provider type decides (CERT_KEY_PROV_INFO dwProvType: 0 for a KSP, non-zero for a CSP);
    a CSP object from ``$cert.PrivateKey`` means CAPI; the .NET class of GetRSAPrivateKey does not
    (CAPI keys are up-converted to RSACng).
    """
    key = key or {}
    ptype = key.get("provider_type")
    if ptype not in (None, ""):
        return "capi" if int(ptype) != 0 else "cng"
    if key.get("csp_unique_name"):
        return "capi"
    name = str(key.get("provider_name") or key.get("cng_provider") or "")
    if "key storage provider" in name.lower() or "platform crypto provider" in name.lower():
        return "cng"
    if "cryptographic provider" in name.lower():
        return "capi"
    return None


def unique_name(key):
    """The key's file name: the CSP's unique container name, else the CNG key's unique name."""
    key = key or {}
    return key.get("csp_unique_name") or key.get("cng_unique_name") or None


def classify_error(message):
    """'not_found', 'access_denied' or 'error' for an error text from opening a key or reading its ACL."""
    text = str(message or "")
    if _DENIED.search(text):
        return "access_denied"
    if _NOT_FOUND.search(text):
        return "not_found"
    return "error"


def locate(cert):
    """Where the private key of a gathered certificate is and whether NETWORK SERVICE can read it.

    Returns a dict: ``status`` (no_key, found, not_found, access_denied, error), ``provider``
    (capi/cng/None), ``file`` (path or None), ``sddl`` (or None), ``network_service_read``
    (True/False, None when not decidable), ``detail`` (text for messages).
    """
    result = {"status": None, "provider": None, "file": None, "sddl": None, "network_service_read": None,
              "detail": None}
    if not cert.get("has_private_key"):
        result.update(status="no_key", detail="the certificate has no private key in the store")
        return result
    key = cert.get("key") or {}
    kind = provider_kind(key)
    result["provider"] = kind
    name = unique_name(key)
    files = cert.get("key_files") or []
    order = CNG_FOLDERS if kind == "cng" else CAPI_FOLDERS

    def rank(entry):
        folder = order.index(entry.get("folder")) if entry.get("folder") in order else len(order)
        other_name = bool(name and str(entry.get("name") or "").lower() != name.lower())
        return (other_name, folder)

    ranked = sorted(files, key=rank)
    for entry in ranked:
        if not entry.get("exists"):
            continue
        result["file"] = entry.get("path")
        if entry.get("error"):
            status = classify_error(entry["error"])
            result.update(status="access_denied" if status == "access_denied" else "error",
                          detail="key file %s exists but its ACL cannot be read: %s" % (entry.get("path"), entry["error"]))
            return result
        result["sddl"] = entry.get("sddl")
        try:
            result["network_service_read"] = can_read(entry.get("sddl"))
        except SddlError as exc:
            result.update(status="error", detail="cannot read the ACL of %s: %s" % (entry.get("path"), exc))
            return result
        result.update(status="found", detail="%s (%s)" % (entry.get("path"), acl_summary(entry.get("sddl"))))
        return result
    # No file in the machine folders: the handle's own security descriptor (NCryptGetProperty
    # "Security Descr", as ansible.windows' _CertACLHelper reads it) still tells who may read the key.
    if key.get("handle_sddl"):
        try:
            result["network_service_read"] = can_read(key["handle_sddl"])
        except SddlError as exc:
            result.update(status="error", detail="cannot read the key handle's ACL: %s" % exc)
            return result
        result.update(status="found", sddl=key["handle_sddl"],
                      detail="ACL read through the key handle (%s)" % acl_summary(key["handle_sddl"]))
        return result
    errors = [key.get("error"), key.get("csp_error"), key.get("cng_error")]
    kinds = [classify_error(e) for e in errors if e]
    if "access_denied" in kinds:
        result.update(status="access_denied", detail="opening the key was refused: %s" % "; ".join(e for e in errors if e))
        return result
    if not name:
        detail = "; ".join(e for e in errors if e) or "the key handle gave no unique container name"
        result.update(status="not_found" if "not_found" in kinds or not kinds else "error",
                      detail="key container not found: %s" % detail)
        return result
    searched = ", ".join(f.get("path") or "?" for f in ranked) or "no folder"
    result.update(status="not_found", detail="key file %s not found (searched %s)" % (name, searched))
    return result
