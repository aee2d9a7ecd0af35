"""Every broker configuration the collection writes, read as ASP.NET Core 1.x reads it (Newtonsoft.Json
under Mono, RtvsReader.cs): the flattened "section:key" values the broker would see must be exactly the
ones intended, plus the existing file's other keys, and nothing else.

Linux: rtvs.remote.broker_config with the linux_broker role's settings (conftest.linux_settings), on a
fresh host, over the file the package ships, over files with other keys, a byte order mark and CRLF,
keys in other cases, comments. Windows: the windows_broker role's config_render.yml step (the
rtvs.remote.broker_config_render filter) over the files broker 1.1 and 1.3 ship and a hand-edited one.
Then the broker's own next step: open the PFX named by security:X509CertificateFile with
security:X509CertificatePassword, as read from the file.
"""
import json

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_config

from conftest import FQDN, GROUP, LINUX_CONFIGS, PFX_SHAPES, WINDOWS_CONFIGS

PASSWORDS = {shape[0]: shape[3] for shape in PFX_SHAPES}


def _lower(mapping):
    lowered = {}
    for key, value in mapping.items():
        assert key.lower() not in lowered, "the reader gave one key twice: %s" % key
        lowered[key.lower()] = value
    return lowered


@pytest.fixture(scope="module")
def read(reader, written):
    names = list(LINUX_CONFIGS) + list(WINDOWS_CONFIGS)
    results = reader([{"kind": "config", "path": str(written / (name + ".json"))} for name in names])
    return dict(zip(names, results))


@pytest.mark.parametrize("name", list(LINUX_CONFIGS))
def test_linux_config_gives_the_broker_exactly_the_intended_values(read, written, name):
    _existing, pfx, kept = LINUX_CONFIGS[name]
    result = read[name]
    assert result["ok"], result
    intended = {
        "urls": "https://0.0.0.0:5444",
        "logging:logFolder": "/var/log/rtvs",
        "security:allowedGroup": GROUP,
        "security:X509CertificateFile": str(written / (pfx + ".pfx")),
        "security:X509CertificatePassword": PASSWORDS[pfx],
        "startup:name": "rtvsd",
        "r:autoDetect": "False",
        "r:interpreters:0:name": "R 3.6.3",
        "r:interpreters:0:basePath": str(written / "R"),
    }
    intended.update(kept)
    assert _lower(result["data"]) == _lower(intended)


@pytest.mark.parametrize("name", list(WINDOWS_CONFIGS))
def test_windows_config_gives_the_broker_exactly_the_intended_values(read, name):
    _existing, group, kept = WINDOWS_CONFIGS[name]
    result = read[name]
    assert result["ok"], result
    intended = {"urls": "https://0.0.0.0:5444", "security:X509CertificateName": "CN=" + FQDN,
                "security:allowedGroup": group}
    intended.update(kept)
    assert _lower(result["data"]) == _lower(intended)


def test_the_broker_opens_the_pfx_its_config_names_with_the_password_its_config_holds(reader, read):
    requests = []
    for name in LINUX_CONFIGS:
        values = _lower(read[name]["data"])
        requests.append({"kind": "pfx", "path": values["security:x509certificatefile"],
                         "password": values["security:x509certificatepassword"]})
    for name, result in zip(LINUX_CONFIGS, reader(requests)):
        assert result["ok"] and result["constructor"]["has_private_key"], (name, result)
        assert result["constructor"]["sign_verify"] is True, (name, result)


# ------------------------------------------------------------------ our parser and ASP.NET's agree

def _flatten(node, prefix, out):
    """broker_config.parse's result flattened the ASP.NET way (values as .NET's JValue.ToString gives them)."""
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, prefix + [key], out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _flatten(value, prefix + [str(index)], out)
    else:
        key = ":".join(prefix).lower()
        assert key not in out, key
        out[key] = "" if node is None else str(node) if not isinstance(node, bool) else ("True" if node else "False")
    return out


URLS = "https://0.0.0.0:5444"
TEXTS = {
    "plain": ('{"urls": "%s", "security": {"allowedGroup": ""}}' % URLS).encode(),
    "utf8-bom": ('\ufeff{"urls": "%s"}' % URLS).encode("utf-8"),
    "utf16-bom": ('\ufeff{"security": {"allowedGroup": "r\u00e9seau"}}').encode("utf-16-le"),
    "utf16be-bom": ('\ufeff{"urls": "%s"}' % URLS).encode("utf-16-be"),
    "line-comments": ('// head\n{"urls": "%s" // tail\n}' % URLS).encode(),
    "block-comments": ('/* a */{/* b */"urls": /* c */"%s"/* d */, /* e */"x": 1}/* f */' % URLS).encode(),
    "comment-markers-in-strings": b'{"a": "x // y", "b": "/* z */", "c": "q\\" // r"}',
    "trailing-commas": ('{"urls": "%s", "r": {"interpreters": [{"name": "R",}, ],}, }' % URLS).encode(),
    "same-spelling-twice": b'{"urls": "https://0.0.0.0:1", "urls": "https://0.0.0.0:2"}',
    "same-section-twice": b'{"security": {"a": "1"}, "security": {"b": "2"}}',
    "one-section-two-cases": b'{"Security": {"a": "1"}, "security": {"B": "2"}, "SECURITY": {"c": {"d": 3}}}',
    "nested-arrays": b'{"r": {"interpreters": [{"name": "a", "basePath": "/x"}, {"name": "b", "basePath": "/y"}]}}',
    "types": b'{"a": true, "b": false, "c": null, "d": 12, "e": "2017-01-01T00:00:00"}',
    "unicode": '{"security": {"allowedGroup": "gr\u00fcppe \u20ac \\u00e9"}}'.encode("utf-8"),
    # refused by both
    "same-key-two-cases": b'{"urls": "a", "URLS": "b"}',
    "same-key-two-cases-nested": b'{"Security": {"allowedGroup": "a"}, "security": {"ALLOWEDGROUP": "b"}}',
    "broken": b'{"urls": "a",\n "security": {',
    "not-an-object": b'["a"]',
}
# Known differences, kept on purpose and shown here so a change on either side is noticed:
# ASP.NET reads these, ours refuses them with the parse error (nothing is written). Newtonsoft.Json
# stops after the root object and reads JavaScript-style quoting; a section and a value under one
# name in two cases would be two settings ("r:x" and "R"), which one dict cannot hold.
STRICTER = {
    "text-after-the-root-object": b'{"urls": "a"} /* open',
    "single-quotes-and-bare-names": b"{'urls': 'a', security: {allowedGroup: ''}}",
    "section-and-value-in-two-cases": b'{"r": {"x": "1"}, "R": "2"}',
}
# ASP.NET refuses these, ours reads them: a comment between a name and its colon.
LENIENT = {
    "comment-before-colon": b'{"urls" /* c */ : "a"}',
}


@pytest.fixture(scope="module")
def parity(reader, tmp_path_factory):
    folder = tmp_path_factory.mktemp("parity")
    texts = dict(TEXTS, **STRICTER, **LENIENT)
    for name, data in texts.items():
        (folder / (name + ".json")).write_bytes(data)
    results = reader([{"kind": "config", "path": str(folder / (name + ".json"))} for name in texts])
    return dict(zip(texts, results))


@pytest.mark.parametrize("name", list(TEXTS))
def test_our_parser_reads_what_aspnet_reads_and_refuses_what_it_refuses(parity, name):
    theirs = parity[name]
    refusal = None
    try:
        ours = _flatten(broker_config.parse(TEXTS[name], name), [], {})
    except broker_config.BrokerConfigError as exc:
        ours = None
        refusal = str(exc)
    if theirs["ok"]:
        assert ours is not None, "ASP.NET reads %s, ours refuses it: %s" % (name, refusal)
        assert ours == _lower(theirs["data"]), json.dumps(theirs, indent=1)
    else:
        # ASP.NET stops on it (the broker would not start), so must we
        assert ours is None, "ASP.NET refuses %s (%s), ours reads %r" % (name, theirs["error"], ours)


@pytest.mark.parametrize("name", list(STRICTER))
def test_known_differences_where_ours_is_stricter(parity, name):
    assert parity[name]["ok"], parity[name]
    with pytest.raises(broker_config.BrokerConfigError):
        broker_config.parse(STRICTER[name], name)


@pytest.mark.parametrize("name", list(LENIENT))
def test_known_differences_where_ours_is_more_lenient(parity, name):
    assert not parity[name]["ok"], parity[name]
    assert broker_config.parse(LENIENT[name], name)
