# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which passwords the PKCS#12 and PEM layers and the RTVS brokers can take: the one password rule of the collection,
used by the modules (pfx, broker_config, broker_certificate, broker_info) and, through the filter
rtvs.remote.pfx_password_problem, by both roles' preflight. Checked before any crypto layer sees a secret.
judge() says whether a problem is an error (refused) or only a warning, so no caller reads that from the text.

Pure Python, no imports beyond the standard library. No message ever contains the value.

Control characters, for every target. A NUL byte makes the ``cryptography`` Rust layer panic (a BaseException
that kills an in-process worker and, on the module path, prints the password as byte values on stderr); a native
PKCS#12 loader such as the broker's ends the password at the NUL. Other control characters (U+0001-U+001F,
U+007F-U+009F) cannot be typed, are treated differently by the loaders that convert the password to BMPString,
and are refused with them.

Printable ASCII, for the Linux broker. It is .NET Core 1.x on the distribution's OpenSSL 1.0.x (Ubuntu 16.04
ships 1.0.2). OpenSSL before 1.1.0 turns a PKCS#12 password into the BMPString that the key derivation needs
byte by byte (each UTF-8 byte becomes one 16-bit character; openssl/openssl#3535 and #6179), while RFC 7292, the
Python ``cryptography`` library that builds our PFX, Windows and OpenSSL 1.1+ encode the characters. For
printable ASCII both give the same bytes; for anything else they differ, so the broker cannot open a correctly
made PFX and rtvsd stops at start-up, far from the cause (Mono's X509Certificate2 refuses such a PFX too:
tests/dotnet). .NET Framework on Windows encodes the password correctly, so there a non-ASCII password only earns
a warning (the same password would break a Linux broker or an older OpenSSL tool).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

CONTROL = re.compile(u"[\u0000-\u001f\u007f-\u009f]")
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


def control_character_problem(option, value):
    """An error naming ``option`` when ``value`` holds a NUL or another control character, else None."""
    if value is None or not isinstance(value, str):
        return None
    if u"\u0000" in value:
        return ("%s contains a NUL byte, which the PKCS#12 layers cannot take (it ends the password early or crashes "
                "the crypto library); choose a password of printable characters" % option)
    if CONTROL.search(value):
        return ("%s contains a control character (a newline, tab, escape ...), which the broker's PKCS#12 loader "
                "cannot be relied on to read as given; choose a password of printable characters" % option)
    return None


def nul_problem(option, value):
    """An error naming ``option`` when ``value`` holds a NUL byte (passphrases of PEM keys), else None."""
    if isinstance(value, str) and u"\u0000" in value:
        return ("%s contains a NUL byte, which the crypto library cannot take; give the key's real passphrase"
                % option)
    return None


def outside(password):
    """How many characters of ``password`` are outside printable ASCII (0x20-0x7E)."""
    return sum(1 for char in (password or "") if not FIRST <= ord(char) <= LAST)


ERROR, WARNING = "error", "warning"
SEVERITIES = (ERROR, WARNING)


def judge(password, target="linux", name="password"):
    """(severity, message) for ``password`` on ``target``'s broker: (None, None) when it suits it.

    A NUL or another control character gives control_character_problem's refusal for both targets, first
    (``error``). Any other character outside printable ASCII gives an ``error`` for linux and a ``warning``
    (its message starts with ``WARNING:``) for windows. ``name`` is how the message calls the password (an option
    or variable name).
    """
    if target not in TARGETS:
        raise ValueError("target must be one of %s, got %r" % (", ".join(TARGETS), target))
    control = control_character_problem(name, password)
    if control:
        return ERROR, control
    count = outside(password)
    if not count:
        return None, None
    what = "%s has %d character%s outside printable ASCII (non-ASCII letters such as \u00e9 or \u20ac)" % (
        name, count, "" if count == 1 else "s")
    if target == "linux":
        return ERROR, "%s. %s %s" % (what, WHY, FIX)
    return WARNING, (
        "WARNING: %s. The Windows broker (.NET Framework) opens such a PFX, but the same password would fail on a "
        "Linux broker: it runs .NET Core 1.x on OpenSSL 1.0.x, which converts a PFX password to BMPString byte by "
        "byte (openssl/openssl#3535, #6179), and so would older OpenSSL tools. Prefer printable ASCII (0x20-0x7E)."
        % what)


def problem(password, target="linux", name="password", severity=None):
    """None when ``password`` suits ``target``'s broker, else the message (judge()).

    With ``severity`` (``error`` or ``warning``) only a problem of that severity is returned, so a caller can
    refuse the errors and only warn about the rest.
    """
    if severity is not None and severity not in SEVERITIES:
        raise ValueError("severity must be one of %s, got %r" % (", ".join(SEVERITIES), severity))
    found, message = judge(password, target, name)
    if severity is not None and found != severity:
        return None
    return message
