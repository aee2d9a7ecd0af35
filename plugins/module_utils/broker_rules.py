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

# R: the broker's interpreter discovery accepts 3.2 up to and including 3.9 (never R 4.x).
R_SUPPORTED_MIN = (3, 2)
R_SUPPORTED_MAX = (3, 9)
R_SUPPORTED_TEXT = "%d.%d-%d.%d" % (R_SUPPORTED_MIN + R_SUPPORTED_MAX)
_R_VERSION = re.compile(r"^(?:[0-9]+:)?(?:R version )?([0-9]+)\.([0-9]+)")

# The one mask for secrets in results, diffs and reports.
MASK = "********"


def r_major_minor(version):
    """(major, minor) of an R or Debian package version ('3.6.3', '1:3.5.2-1', (3, 6)); None if unreadable."""
    if isinstance(version, (tuple, list)):
        return tuple(int(v) for v in version[:2]) if len(version) >= 2 else None
    match = _R_VERSION.match(str(version or "").strip())
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


def ci_get(mapping, *path):
    """Case-insensitive nested lookup, as the broker binds its JSON keys; None when absent."""
    node = mapping
    for part in path:
        key = ci_key(node, part)
        if key is None:
            return None
        node = node[key]
    return node


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
