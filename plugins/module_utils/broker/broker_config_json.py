# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The broker configuration as ASP.NET Core 1.x reads it: the constants and errors, the JSON parser (comments,
byte order marks, keys equal ignoring case) and the case-insensitive lookups."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from collections import OrderedDict

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules

REDACTED = broker_rules.MASK
DEFAULT_PORT = 5444
LINUX = "linux"
WINDOWS = "windows"
PASSWORD_PATH = ("security", "X509CertificatePassword")
SECRET_KEYS = broker_rules.SECRET_KEYS
LITERAL_DOTTED_KEYS = ("server.urls",)

# Canonical spelling of the keys the broker reads (rtvs-facts sections 1-2), by lower-case path.
_CANONICAL = {}
for _path in (
    "urls", "server.urls",
    "logging", "logging.logFolder", "logging.logHostOutput", "logging.logPackets",
    "security", "security.allowedGroup", "security.X509CertificateFile",
    "security.X509CertificatePassword", "security.X509CertificateName", "security.secret",
    "startup", "startup.name", "startup.isService",
    "lifetime", "lifetime.pingTimeout", "lifetime.parentProcessID",
    "r", "r.autoDetect", "r.interpreters", "r.rHostPath",
):
    _parts = tuple(_path.split(".")) if _path not in LITERAL_DOTTED_KEYS else (_path,)
    _CANONICAL[tuple(p.lower() for p in _parts)] = _parts[-1]


class BrokerConfigError(Exception):
    """The existing file or the settings cannot be used; the message names the path/key and the fix."""


class BrokerConfigInvalid(BrokerConfigError):
    """The merged configuration fails validation; ``errors`` lists every problem."""

    def __init__(self, where, errors):
        self.errors = list(errors)
        super(BrokerConfigInvalid, self).__init__(
            "%s: the merged configuration is not valid, nothing was written: %s" % (where, "; ".join(self.errors))
        )


# ---------------------------------------------------------------- parsing
#
# The broker reads its file with ASP.NET Core 1.x's JSON configuration provider on Newtonsoft.Json
# (tests/dotnet reads every file we write the same way, with Mono). What it accepts, we accept:
# a byte order mark (UTF-8, UTF-16, UTF-32), // and /* */ comments, a trailing comma before } or ],
# a key repeated with the same spelling in one object (the last one wins, in the first one's place),
# and the same section spelt in two cases (its keys are merged). Two values under keys equal
# ignoring case are the same setting twice: ASP.NET stops with "A duplicate key", and so do we.
# Stricter than ASP.NET: a section and a value under one name in two cases ({"r": {...}, "R": 1}),
# which it would keep as "r:..." and "R", is refused. Comments are lost when the file is rewritten
# (a file the settings do not change is kept byte for byte).

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode(data, where="broker configuration"):
    """Text of the file's bytes: the encoding its byte order mark names, else UTF-8 (as .NET's StreamReader)."""
    if not isinstance(data, bytes):
        return data
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom):], name
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BrokerConfigError(
            "%s is not %s text (%s); fix or remove the file, it was left untouched" % (where, encoding.upper(), exc)
        )


def _without_comments(text, where):
    """``text`` with comments blanked (newlines kept, so error positions stay right) and trailing commas dropped."""
    out = []
    i, n = 0, len(text)
    last = None  # index in out of the last significant character outside strings and comments
    while i < n:
        char = text[i]
        if char == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            last = len(out) - 1
            i = j + 1
        elif text.startswith("//", i):
            j = i
            while j < n and text[j] not in "\r\n":
                j += 1
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise BrokerConfigError("%s has a /* comment that is never closed; fix or remove the file, it was "
                                        "left untouched" % where)
            out.append(re.sub(r"[^\r\n]", " ", text[i:j + 2]))
            i = j + 2
        else:
            if char in "}]" and last is not None and out[last] == ",":
                out[last] = " "
            out.append(char)
            if not char.isspace():
                last = len(out) - 1
            i += 1
    return "".join(out)


def _merge_sections(first, second, where, path):
    """Keys of ``second`` added to ``first`` (same section, spelt in another case), recursively."""
    for key, value in second.items():
        mine = find_key(first, key)
        if mine is None:
            first[key] = value
        elif isinstance(first[mine], dict) and isinstance(value, dict):
            _merge_sections(first[mine], value, where, path + (mine,))
        else:
            _duplicate(where, path + (mine,), path + (key,))
    return first


def _duplicate(where, one, other):
    raise BrokerConfigError(
        "%s: keys %r and %r are the same key for the broker (names are case-insensitive, and ASP.NET stops at "
        "'A duplicate key'); remove one of them" % (where, ":".join(one), ":".join(other))
    )


def _pairs_hook(where):
    def hook(pairs):
        result = OrderedDict()
        for key, value in pairs:
            if key in result:
                result[key] = value  # the same spelling again: the last one wins, as Newtonsoft's JObject.Load
                continue
            other = find_key(result, key)
            if other is None:
                result[key] = value
            elif isinstance(result[other], dict) and isinstance(value, dict):
                _merge_sections(result[other], value, where, (other,))
            else:
                _duplicate(where, (other,), (key,))
        return result
    return hook


def parse(text, path=None):
    """Parse the existing file's text into an OrderedDict; '' or None means no file ({}).

    A corrupt file raises BrokerConfigError naming the path and the parse error.
    """
    where = path or "broker configuration"
    if text is None:
        return OrderedDict()
    body = decode(text, where).lstrip("\ufeff")
    if not body.strip():
        return OrderedDict()
    try:
        data = json.loads(_without_comments(body, where), object_pairs_hook=_pairs_hook(where),
                          parse_constant=_no_constant(where))
    except ValueError as exc:
        if isinstance(exc, BrokerConfigError):
            raise
        raise BrokerConfigError(
            "%s is not valid JSON: %s; fix or remove the file, it was left untouched" % (where, exc)
        )
    except RecursionError:
        raise BrokerConfigError(
            "%s is nested too deeply to be a broker configuration; fix or remove the file, it was left untouched"
            % where
        )
    if not isinstance(data, dict):
        raise BrokerConfigError(
            "%s must hold a JSON object ({...}), found %s; fix or remove the file, it was left untouched"
            % (where, type(data).__name__)
        )
    return data


# ---------------------------------------------------------------- lookups

# Case-insensitive lookups are the broker's rule (broker_rules); kept under these names for callers.
find_key = broker_rules.ci_key
get = broker_rules.ci_get


def _flat_leaf(node, segments):
    """The key of ``node`` that spells all of ``segments`` with ':' (``"security:X509CertificatePassword"``), or None."""
    wanted = [p.lower() for p in segments]
    found = None
    for key in node:
        if ":" in str(key) and [p.lower() for p in str(key).split(":")] == wanted:
            found = key
    return found


def _plain(value, where):
    """Copy a settings value into plain JSON types (Ansible passes str/dict subclasses)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return OrderedDict((str(k), _plain(v, "%s.%s" % (where, k))) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    raise BrokerConfigError(
        "settings.%s: %s values cannot be written to JSON; use a string, number, bool, list or dict"
        % (where, type(value).__name__)
    )


def _split(key):
    """Split a settings key into path segments; dots and ':' separate, server.urls stays whole."""
    parts = []
    rest = str(key)
    while rest:
        low = rest.lower()
        literal = next((lit for lit in LITERAL_DOTTED_KEYS if low == lit or low.startswith(lit + ".")), None)
        if literal:
            parts.append(rest[:len(literal)])
            rest = rest[len(literal) + 1:]
            continue
        head, _sep, rest = _split_once(rest)
        parts.append(head)
    if any(p == "" for p in parts):
        raise BrokerConfigError("settings key %r has an empty segment; write it like 'security.allowedGroup'" % key)
    return parts


def _split_once(text):
    match = re.search(r"[.:]", text)
    if not match:
        return text, "", ""
    return text[:match.start()], match.group(0), text[match.end():]


def flatten(settings, prefix=()):
    """[(path_segments, value)] for nested and/or dotted settings; dict values become deeper paths."""
    if not isinstance(settings, dict):
        raise BrokerConfigError("settings must be a dict such as {'urls': 'https://0.0.0.0:5444'}")
    result = []
    for key, value in settings.items():
        path = prefix + tuple(_split(key))
        if isinstance(value, dict) and value:
            result.extend(flatten(value, path))
        else:
            result.append((path, value))
    return result


def _canonical(path_segments):
    return _CANONICAL.get(tuple(p.lower() for p in path_segments), path_segments[-1])


def _no_constant(where):
    def refuse(name):
        raise BrokerConfigError("%s holds %s, which is not JSON (the broker's reader refuses it); replace it with a "
                                "number or null, the file was left untouched" % (where, name))
    return refuse
