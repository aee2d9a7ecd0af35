# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the RTVS broker itself accepts: each rule once, for the Linux role, the Windows role and the doctor.

Pure Python, no Ansible and no cryptography imports, so host-side modules, controller-side
filters and the doctor can all import it cheaply. The rules follow the broker's sources: its R
discovery, its case-insensitive configuration binding and its Windows certificate lookup by exact
Subject (docs/architecture.md).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import socket
from collections import OrderedDict

# R: the broker's interpreter discovery accepts 3.2 up to and including 3.9 (never R 4.x).
R_SUPPORTED_MIN = (3, 2)
R_SUPPORTED_MAX = (3, 9)
R_SUPPORTED_TEXT = "%d.%d-%d.%d" % (R_SUPPORTED_MIN + R_SUPPORTED_MAX)
# the first major.minor after a Debian epoch: '1:3.5.2-1', 'R version 3.6.3', 'R-3.5.3', '4.2.2.20221110-2'
_R_VERSION = re.compile(r"([0-9]+)\.([0-9]+)")

# The one mask for secrets in results, diffs and reports.
MASK = "********"
# The package's postinst makes this PFX (with the published password SnakeOil) whenever it is missing, with the
# default umask, so every local account can read it and the host's snakeoil private key in it.
SNAKEOIL_PFX = "/etc/rtvs/ssl-cert-snakeoil.pfx"


def snakeoil_exposure(owner, group, mode):
    """Why an account other than root can read the package's snakeoil PFX (owner, group, octal mode text), or None."""
    try:
        bits = int(str(mode), 8)
    except (TypeError, ValueError):
        return None
    if bits & 0o004:
        return "mode %04o lets every account read it" % bits
    if bits & 0o040 and group != "root":
        return "group %s can read it (mode %04o)" % (group, bits)
    if owner != "root":
        return "it is owned by %s" % owner
    return None


# Configuration keys whose values are secrets (compared lower-case; the last ':'-part of a flattened key).
SECRET_KEYS = ("x509certificatepassword", "secret")


def r_major_minor(version):
    """(major, minor) of an R or Debian package version ('3.6.3', '1:3.5.2-1', (3, 6)); None if unreadable."""
    if isinstance(version, (tuple, list)):
        return tuple(int(v) for v in version[:2]) if len(version) >= 2 else None
    text = str(version or "").strip()
    text = text.split(":", 1)[1] if re.match(r"^[0-9]+:", text) else text
    match = _R_VERSION.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def r_supported(version):
    """Whether the broker accepts this R version (3.2 to 3.9)."""
    parsed = r_major_minor(version)
    return parsed is not None and R_SUPPORTED_MIN <= parsed <= R_SUPPORTED_MAX


def ci_key(mapping, name):
    """The key of ``mapping`` equal to ``name`` ignoring case (the last one, as the broker binds), or None."""
    if not isinstance(mapping, dict):
        return None
    low = str(name).lower()
    found = None
    for key in mapping:
        if str(key).lower() == low:
            found = key
    return found


def _colon_parts(key):
    return [p.lower() for p in str(key).split(":")]


def _ci_walk(node, parts):
    """(found, value) for ``parts`` below ``node``; a key 'a:b' stands for a -> b, as ASP.NET reads it."""
    if not parts:
        return True, node
    if not isinstance(node, dict):
        return False, None
    found, value = False, None
    for key in node:
        keyparts = _colon_parts(key)
        if keyparts == parts[:len(keyparts)]:
            hit, below = _ci_walk(node[key], parts[len(keyparts):])
            if hit:
                found, value = True, below  # the last one wins, as the broker binds
    return found, value


def ci_has(mapping, *path):
    """Whether the key at ``path`` is present (even with a null value), matched as ci_get matches."""
    return _ci_walk(mapping, [str(p).lower() for p in path])[0]


def ci_get(mapping, *path):
    """Case-insensitive nested lookup, as the broker binds its JSON keys; None when absent.

    A key that spells several levels with ':' (``"security:X509CertificatePassword"``) is the same
    setting for ASP.NET Core's configuration as the nested form, so it is found too.
    """
    return _ci_walk(mapping, [str(p).lower() for p in path])[1]


def config_paths(mapping, prefix=(), spelled=()):
    """[(lower-case path tuple, spelling)] of every value in a configuration, with ':'-keys split."""
    result = []
    if not isinstance(mapping, dict):
        return result
    for key, value in mapping.items():
        path = prefix + tuple(_colon_parts(key))
        spelling = spelled + (str(key),)
        if isinstance(value, dict) and value:
            result.extend(config_paths(value, path, spelling))
        else:
            result.append((path, ".".join(spelling)))
    return result


def duplicate_settings(mapping):
    """Pairs of spellings that name the same setting (ASP.NET Core refuses such a file: duplicate key)."""
    seen = {}
    duplicates = []
    for path, spelling in config_paths(mapping):
        if path in seen:
            duplicates.append((seen[path], spelling))
        else:
            seen[path] = spelling
    return duplicates


def expand(mapping):
    """Copy of a configuration with every 'a:b' key written as nested sections, as ASP.NET Core binds it.

    Sections are matched ignoring case (the first spelling is kept); a later value replaces an earlier one.
    """
    if isinstance(mapping, list):
        return [expand(v) for v in mapping]
    if not isinstance(mapping, dict):
        return mapping
    result = OrderedDict()
    for key, value in mapping.items():
        parts = str(key).split(":") if ":" in str(key) else [key]
        node = result
        for part in parts[:-1]:
            found = ci_key(node, part)
            if found is None or not isinstance(node[found], dict):
                found = part if found is None else found
                node[found] = OrderedDict()
            node = node[found]
        leaf = ci_key(node, parts[-1])
        value = expand(value)
        if leaf is not None and isinstance(node[leaf], dict) and isinstance(value, dict):
            node[leaf] = _merged(node[leaf], value)
        else:
            node[leaf if leaf is not None else parts[-1]] = value
    return result


def _merged(base, extra):
    result = OrderedDict(base)
    for key, value in extra.items():
        found = ci_key(result, key)
        if found is not None and isinstance(result[found], dict) and isinstance(value, dict):
            result[found] = _merged(result[found], value)
        else:
            result[found if found is not None else key] = value
    return result


def is_secret_key(key):
    """Whether a configuration key holds a secret (X509CertificatePassword, secret; flattened forms too)."""
    return _colon_parts(key)[-1] in SECRET_KEYS


def redact(value):
    """Deep copy of a configuration with every secret value shown as MASK (null stays null)."""
    if isinstance(value, dict):
        result = OrderedDict()
        for key, item in value.items():
            if is_secret_key(key) and item is not None and not isinstance(item, dict):
                result[key] = MASK
            else:
                result[key] = redact(item)
        return result
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def is_loopback(host):
    """Whether a listen or connect host is a loopback name or address, in any spelling.

    Covers localhost (with a trailing dot too), 127.0.0.0/8, ::1, IPv4-mapped IPv6 and the
    numeric forms inet_aton accepts (0x7f000001, 2130706433, 127.1).
    """
    text = str(host or "").strip().strip("[]").rstrip(".").lower()
    if not text:
        return False
    if text == "localhost" or text.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.inet_aton(text))
        except (OSError, ValueError):
            return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def windows_broker_subject(configured_name=None, machine_name=None):
    """The Subject the Windows broker looks up by exact match: X509CertificateName, else CN=<machine name>."""
    if configured_name:
        return str(configured_name)
    return "CN=%s" % machine_name if machine_name else None


def _dns_covers(pattern, name):
    if pattern == name:
        return True
    # RFC 6125: a wildcard matches exactly one left-most label.
    return pattern.startswith("*.") and "." in name and name.split(".", 1)[1] == pattern[2:]


def name_covered(name, dns_names=(), ip_addresses=(), common_name=None):
    """Whether a certificate with these SAN DNS names and IP addresses (or, without any SAN, this CN) covers ``name``.

    The rule clients apply: an IP address only by an IP SAN, a DNS name by an equal or one-label
    wildcard SAN, ignoring case and a trailing dot.
    """
    text = str(name or "").strip().strip("[]")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    ips = []
    for value in ip_addresses or ():
        try:
            ips.append(ipaddress.ip_address(str(value)))
        except ValueError:
            continue
    if address is not None:
        return address in ips
    text = text.rstrip(".").lower()
    patterns = [str(n).rstrip(".").lower() for n in dns_names or ()]
    if not patterns and not ips and common_name:
        patterns = [str(common_name).rstrip(".").lower()]
    return any(_dns_covers(p, text) for p in patterns)
