"""broker_config.parse accepts what ASP.NET Core 1.x's JSON configuration provider accepts.

tests/dotnet reads the same texts with Newtonsoft.Json under Mono (the provider's way); here the
Python side alone, so the rule is checked even where Mono is not installed.
"""
import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_config as bc

URLS = "https://0.0.0.0:5444"


@pytest.mark.parametrize("text", [
    '// the broker\n{"urls": "%s" // port\n}' % URLS,
    '{/* a */"urls": /* b */ "%s"}\n/* end */' % URLS,
    '{\r\n  // comment\r\n  "urls": "%s",\r\n}' % URLS,
    '{"urls": "%s", "r": {"interpreters": [{"name": "R", "basePath": "/usr/lib/R"},]},}' % URLS,
])
def test_comments_and_trailing_commas_are_read(text):
    config = bc.parse(text)
    assert config["urls"] == URLS


def test_comment_markers_inside_strings_stay():
    config = bc.parse('{"a": "x // y", "b": "/* z */", "c": "q\\" // r", "d": ",}"}')
    assert dict(config) == {"a": "x // y", "b": "/* z */", "c": 'q" // r', "d": ",}"}


def test_unclosed_block_comment_is_refused():
    with pytest.raises(bc.BrokerConfigError, match="/\\* comment that is never closed"):
        bc.parse('{"urls": "x"} /* open')


def test_a_comment_keeps_error_positions():
    with pytest.raises(bc.BrokerConfigError, match="line 3"):
        bc.parse('{ /* one\ntwo */\n "urls": }')


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-32-le", b"\xff\xfe\x00\x00"),
])
def test_a_byte_order_mark_names_the_encoding(encoding, bom):
    data = bom + ('{"security": {"allowedGroup": "r\u00e9seau"}}').encode(encoding)
    assert bc.parse(data)["security"]["allowedGroup"] == "r\u00e9seau"
    config, text, changed = bc.plan(data, {"urls": URLS})
    assert changed and text.startswith("{") and config["security"]["allowedGroup"] == "r\u00e9seau"


def test_the_same_spelling_twice_keeps_the_last_value_in_the_first_place():
    config = bc.parse('{"urls": "https://0.0.0.0:1", "security": {}, "urls": "%s"}' % URLS)
    assert list(config) == ["urls", "security"] and config["urls"] == URLS


def test_one_section_in_two_cases_is_merged():
    config = bc.parse('{"Security": {"allowedGroup": "g"}, "security": {"X509CertificateFile": "/f", "x": {"A": 1}},'
                      ' "SECURITY": {"X": {"b": 2}}}')
    assert list(config) == ["Security"]
    assert config["Security"] == {"allowedGroup": "g", "X509CertificateFile": "/f", "x": {"A": 1, "b": 2}}


@pytest.mark.parametrize("text, one, other", [
    ('{"urls": "a", "URLS": "b"}', "urls", "URLS"),
    ('{"Security": {"allowedGroup": "a"}, "security": {"ALLOWEDGROUP": "b"}}', "Security:allowedGroup",
     "Security:ALLOWEDGROUP"),
    ('{"r": {"x": 1}, "R": 2}', "r", "R"),  # ASP.NET keeps r:x and R; a dict cannot, so refused (stricter)
])
def test_the_same_setting_in_two_cases_is_refused(text, one, other):
    with pytest.raises(bc.BrokerConfigError, match="keys '%s' and '%s' are the same key" % (one, other)):
        bc.parse(text)


def test_an_unchanged_file_with_comments_is_kept_byte_for_byte():
    text = '// managed by hand\n{"urls": "%s", /* keep */ "logging": {"logFolder": "/var/log/rtvs"},}\n' % URLS
    config, out, changed = bc.plan(text, {"urls": URLS, "logging": {"logFolder": "/var/log/rtvs"}})
    assert not changed and out == text
