# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which secrets the PKCS#12 and PEM layers can take, checked before any of them sees one.

Pure Python, no imports beyond the standard library. A NUL byte makes the ``cryptography`` Rust
layer panic (a BaseException that kills an in-process worker and, on the module path, prints the
password as byte values on stderr); a native PKCS#12 loader such as the broker's ends the password
at the NUL. Other control characters (U+0001-U+001F, U+007F-U+009F) cannot be typed, are
treated differently by the loaders that convert the password to BMPString, and are refused with
them. Messages never contain the value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

CONTROL = re.compile(u"[\u0000-\u001f\u007f-\u009f]")


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
