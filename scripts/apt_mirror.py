#!/usr/bin/env python3
"""Find the Debian mirror (and security mirror) this machine's apt already uses.

The test-host image is built with mmdebstrap from a Debian mirror. The repository names no
mirror: the one the machine is configured with is the one it can reach (a local mirror, a
proxy, a snapshot), so it is read from apt's own sources:

  /etc/apt/sources.list, /etc/apt/sources.list.d/*.list  (one-line format)
  /etc/apt/sources.list.d/*.sources                     (deb822 format)

Only binary (`deb`) entries over http(s) for a Debian suite count; a file marked
`Enabled: no` does not, and neither do files apt itself ignores (other suffixes).

Usage: apt_mirror.py [--root /]   prints two lines, `MIRROR=<uri>` and `SECURITY=<uri>`
(SECURITY empty when the machine has no Debian security source); exits 1 with a message naming
RTVS_DEBIAN_MIRROR when no Debian mirror is configured.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import sys

# Debian release names and aliases a mirror of Debian serves (any of them proves the URI is a
# Debian archive, which serves bookworm too).
DEBIAN_SUITES = frozenset((
    "buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid",
    "oldoldstable", "oldstable", "stable", "testing", "unstable",
))
POCKETS = ("-updates", "-backports", "-proposed-updates")


def base_suite(suite):
    """('bookworm', False) for 'bookworm-updates'; ('bookworm', True) for the security forms."""
    for tail in ("-security", "/updates"):
        if suite.endswith(tail):
            return suite[: -len(tail)], True
    for tail in POCKETS:
        if suite.endswith(tail):
            return suite[: -len(tail)], False
    return suite, False


def _one_line_entries(text):
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        line = re.sub(r"\[[^\]]*\]", " ", line, count=1)  # [arch=amd64 signed-by=...]
        parts = line.split()
        if len(parts) < 3:
            continue
        yield parts[0], parts[1], parts[2]


def _deb822_entries(text):
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    for block in re.split(r"\n\s*\n", "\n".join(lines)):
        fields = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
                continue
            if ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() in ("no", "false", "0"):
            continue
        for kind in fields.get("types", "").split():
            for uri in fields.get("uris", "").split():
                for suite in fields.get("suites", "").split():
                    yield kind, uri, suite


def source_files(root="/"):
    """apt's source files in the order apt reads them."""
    etc = os.path.join(root, "etc/apt")
    files = [os.path.join(etc, "sources.list")]
    files += sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list")))
    files += sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources")))
    return [path for path in files if os.path.isfile(path)]


def entries(root="/"):
    """(type, uri, suite) of every source entry, in apt's order."""
    for path in source_files(root):
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        parse = _deb822_entries if path.endswith(".sources") else _one_line_entries
        yield from parse(text)


def find_mirrors(root="/"):
    """(mirror, security) URIs without a trailing slash; either may be None."""
    mirror = security = None
    for kind, uri, suite in entries(root):
        if kind != "deb" or not uri.startswith(("http://", "https://")):
            continue
        base, is_security = base_suite(suite)
        if base not in DEBIAN_SUITES:
            continue
        uri = uri.rstrip("/")
        if is_security:
            security = security or uri
        else:
            mirror = mirror or uri
    return mirror, security


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--root", default="/", help="file system root holding etc/apt (tests)")
    args = parser.parse_args(argv)
    mirror, security = find_mirrors(args.root)
    if not mirror:
        searched = ", ".join(source_files(args.root)) or "no apt source files"
        print(
            "ERROR: no Debian mirror in this machine's apt sources (read: %s). The test-host image "
            "is Debian 12: set RTVS_DEBIAN_MIRROR to a Debian mirror this machine reaches (and "
            "RTVS_DEBIAN_SECURITY_MIRROR to its security archive), for example your local mirror "
            "or proxy." % searched,
            file=sys.stderr,
        )
        return 1
    print("MIRROR=%s" % mirror)
    print("SECURITY=%s" % (security or ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
