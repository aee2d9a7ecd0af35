# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which PFX passwords the broker can use: one rule for rtvs.remote.pfx and both roles' preflight.

The Linux broker is .NET Core 1.x on the distribution's OpenSSL 1.0.x (Ubuntu 16.04 ships 1.0.2).
OpenSSL before 1.1.0 turns a PKCS#12 password into the BMPString that the key derivation needs
byte by byte (each UTF-8 byte becomes one 16-bit character; openssl/openssl#3535 and #6179), while
RFC 7292, the Python ``cryptography`` library that builds our PFX, Windows and OpenSSL 1.1+ encode
the characters. For printable ASCII both give the same bytes; for anything else they differ, so
the broker cannot open a correctly made PFX and rtvsd stops at start-up, far from the cause
(Mono's X509Certificate2 refuses such a PFX too: tests/dotnet).

.NET Framework on Windows encodes the password correctly, so there a non-ASCII password only
earns a warning (the same password would break a Linux broker or an older OpenSSL tool).

Pure Python, no imports: used by a module payload (rtvs.remote.pfx) and by the filter
rtvs.remote.pfx_password_problem in the roles' preflight. No message ever contains the password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

TARGETS = ("linux", "windows")
CHARSETS = ("ascii", "any")
FIRST, LAST = 0x20, 0x7E  # printable ASCII: space to ~

WHY = (
    "The Linux broker runs .NET Core 1.x on OpenSSL 1.0.x, which converts a PFX password to BMPString byte by byte "
    "(openssl/openssl#3535, #6179), so it cannot open a PFX whose password has other characters, and rtvsd "
    "would refuse to start."
)
FIX = (
    "Use a password of printable ASCII characters only (letters, digits, space and punctuation, 0x20-0x7E), "
    "for example a long random one from 'openssl rand -base64 30'."
)


def outside(password):
    """How many characters of ``password`` are outside printable ASCII (0x20-0x7E)."""
    return sum(1 for char in (password or "") if not FIRST <= ord(char) <= LAST)


def problem(password, target="linux", name="password"):
    """None when ``password`` suits ``target``, else the message: an error for linux, a warning for windows.

    ``name`` is how the message calls the password (an option or variable name).
    """
    if target not in TARGETS:
        raise ValueError("target must be one of %s, got %r" % (", ".join(TARGETS), target))
    count = outside(password)
    if not count:
        return None
    what = "%s has %d character%s outside printable ASCII (non-ASCII letters such as \u00e9 or \u20ac, or control characters)" % (
        name, count, "" if count == 1 else "s")
    if target == "linux":
        return "%s. %s %s" % (what, WHY, FIX)
    return ("WARNING: %s. The Windows broker (.NET Framework) opens such a PFX, but the same password would fail on a "
            "Linux broker: it runs .NET Core 1.x on OpenSSL 1.0.x, which converts a PFX password to BMPString byte by "
            "byte (openssl/openssl#3535, #6179), and so would older OpenSSL tools. Prefer printable ASCII (0x20-0x7E)."
            % what)
