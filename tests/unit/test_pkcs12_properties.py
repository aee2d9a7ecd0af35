"""Property-based tests of the hand-written DER/PFX reader (module_utils/tls/pfx_inspect.py) and of
open_pfx(), which every module and fact reader uses on PFX files they did not make.

Whatever the bytes - random, a valid PFX cut short, a valid PFX with bytes changed, inserted or
removed, nesting thousands of levels deep, a MAC or key-derivation iteration count of two thousand
million - the reader either describes the file or raises PfxMalformed, and open_pfx() either opens it
or raises a PfxError with its one set of messages: never another exception (IndexError,
RecursionError, ValueError, ...), never a hang (hypothesis fails an example that takes longer than
its deadline).
"""
import datetime

import pytest

# requirements-dev.txt installs hypothesis (stage 20); the ansible-core matrix venvs (stage 25) do not, and
# this reader does not depend on ansible-core.
pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ansible_collections.rtvs.remote.plugins.module_utils.tls import issuing, keys, pfx, pfx_inspect  # noqa: E402

PASSWORD = "Pfx-pa55word"
NOW = datetime.datetime.now(datetime.timezone.utc)
SETTINGS = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

_VALID = {}


def valid_pfx(encryption):
    """A PFX made with cryptography through the module's own build() (one key for the whole run)."""
    if encryption not in _VALID:
        if "key" not in _VALID:
            key = keys.generate_key(2048)
            _VALID["key"] = (key, issuing.build_certificate(key, "rtvs.example.com", ["10.0.0.5"], now=NOW))
        key, cert = _VALID["key"]
        _VALID[encryption] = pfx.build(key, cert, chain=[cert], password=PASSWORD, encryption=encryption,
                                       friendly_name="rtvs.example.com")
    return _VALID[encryption]


def check_inspect(data):
    """inspect() returns a description or raises PfxMalformed, nothing else."""
    try:
        info = pfx_inspect.inspect(data)
    except pfx_inspect.PfxMalformed as exc:
        assert str(exc)
        return None
    assert set(info) >= {"mac", "mac_iterations", "key_encryption", "certificate_encryption"}
    assert pfx_inspect.profile(info) in ("compat", "modern", "other")
    return info


def check_open(data, password=PASSWORD):
    """open_pfx() returns Contents or raises a PfxError with the caller's option and fix, nothing else."""
    try:
        contents = pfx.open_pfx(data, password, option="path", fix="the fix")
    except pfx.PfxError as exc:
        text = str(exc)
        assert text.startswith("path ") and text.endswith("; the fix"), text
        assert password not in text
        return None
    assert contents.encryption in ("compat", "modern", "other")
    return contents


def der(tag, content):
    """One DER TLV (definite length)."""
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def children(tlv):
    """The raw child TLVs of a definite-length constructed DER value."""
    first = tlv[1]
    if first & 0x80:
        count = first & 0x7F
        start = 2 + count
    else:
        start = 2
    out, pos = [], start
    while pos < len(tlv):
        child_first = tlv[pos + 1]
        if child_first & 0x80:
            count = child_first & 0x7F
            length = int.from_bytes(tlv[pos + 2:pos + 2 + count], "big")
            end = pos + 2 + count + length
        else:
            end = pos + 2 + child_first
        out.append(tlv[pos:end])
        pos = end
    return out


def integer(value):
    return der(0x02, value.to_bytes((value.bit_length() + 8) // 8, "big"))


# ---------------------------------------------------------------- random and damaged input


@SETTINGS
@given(st.binary(max_size=2048))
@example(b"")
@example(b"\x30")
@example(b"\x30\x80")
@example(b"\x30\x84\xff\xff\xff\xff")
@example(b"\x04\x80\x00\x00")
@example(b"\x1f\x00")
def test_random_bytes(data):
    check_inspect(data)
    check_open(data)


@SETTINGS
@given(st.binary(max_size=64).map(lambda tail: b"\x30" + tail))
def test_random_bytes_that_start_like_a_sequence(data):
    check_inspect(data)
    check_open(data)


@pytest.mark.parametrize("encryption", ["compat", "modern"])
def test_every_truncation_of_a_valid_pfx(encryption):
    data = valid_pfx(encryption)
    assert check_open(data) is not None  # the untouched file opens
    for size in range(len(data)):
        assert check_inspect(data[:size]) is None, size  # every prefix is refused
        assert check_open(data[:size]) is None, size


@SETTINGS
@given(st.sampled_from(["compat", "modern"]), st.data())
def test_mutated_valid_pfx(encryption, data):
    blob = bytearray(valid_pfx(encryption))
    for dummy in range(data.draw(st.integers(1, 8), label="edits")):
        pos = data.draw(st.integers(0, len(blob) - 1), label="position")
        kind = data.draw(st.sampled_from(["replace", "insert", "delete"]), label="edit")
        if kind == "replace":
            blob[pos] = data.draw(st.integers(0, 255), label="byte")
        elif kind == "insert":
            blob[pos:pos] = data.draw(st.binary(min_size=1, max_size=8), label="bytes")
        elif len(blob) > 1:
            del blob[pos:pos + data.draw(st.integers(1, 8), label="count")]
    check_inspect(bytes(blob))
    check_open(bytes(blob))
    check_open(bytes(blob), password="another password")


@SETTINGS
@given(st.sampled_from(["compat", "modern"]), st.integers(0, 255), st.data())
def test_a_changed_byte_never_opens_with_another_meaning(encryption, value, data):
    """A byte changed anywhere: refused, or (when the byte did not matter to the reader) the same contents."""
    blob = bytearray(valid_pfx(encryption))
    pos = data.draw(st.integers(0, len(blob) - 1), label="position")
    blob[pos] = value
    contents = check_open(bytes(blob))
    if contents is not None:
        original = check_open(valid_pfx(encryption))
        assert contents.cert == original.cert
        assert pfx.differences(contents, original.key, original.cert, original.chain, encryption,
                               original.friendly_name) == []


# ---------------------------------------------------------------- nesting and work factors


@pytest.mark.parametrize("depth", [100, 1000, 5000, 50000])
def test_deep_nesting_is_refused_not_a_recursion_error(depth):
    indefinite = b"\x30\x80" * depth + b"\x00\x00" * depth
    definite = b"\x05\x00"
    for dummy in range(min(depth, 5000)):
        definite = der(0x30, definite)
    # a PFX whose authSafe content nests deeply
    data_oid = der(0x06, bytes.fromhex("2a864886f70d010701"))
    nested_auth = der(0x30, integer(3) + der(0x30, data_oid + der(0xA0, der(0x04, b"\x30\x80" * depth))))
    for data in (indefinite, definite, nested_auth):
        assert check_inspect(data) is None
        assert check_open(data) is None


def _with_mac_iterations(blob, iterations):
    version, auth_safe, mac_data = children(blob)
    digest_info, salt = children(mac_data)[:2]
    return der(0x30, version + auth_safe + der(0x30, digest_info + salt + integer(iterations)))


@pytest.mark.parametrize("encryption", ["compat", "modern"])
def test_the_mac_iteration_count_is_bounded(encryption):
    """A MAC iteration count of 2**31 - 1 would keep the pure-Python MAC check busy for hours."""
    blob = valid_pfx(encryption)
    assert check_open(_with_mac_iterations(blob, 2048)) is not None  # rebuilt as it was: still opens
    assert check_open(_with_mac_iterations(blob, 2049)) is None  # another count: the MAC does not verify
    huge = _with_mac_iterations(blob, 2 ** 31 - 1)
    with pytest.raises(pfx_inspect.PfxMalformed, match="MAC iteration count"):
        pfx_inspect.inspect(huge)
    with pytest.raises(pfx.PfxMalformed, match="iteration"):
        pfx.open_pfx(huge, PASSWORD)
    assert pfx_inspect.inspect(_with_mac_iterations(blob, pfx_inspect.MAX_ITERATIONS))["mac_iterations"] \
        == pfx_inspect.MAX_ITERATIONS


def test_the_key_derivation_iteration_count_is_bounded():
    """Bag encryption iterations are read too: OpenSSL would spend them before it finds the password wrong."""
    key, cert = _VALID.get("key") or (valid_pfx("compat") and _VALID["key"])
    for encryption in ("compat", "modern"):
        normal = pfx.build(key, cert, password=PASSWORD, encryption=encryption, iterations=2048)
        assert pfx_inspect.inspect(normal)["max_kdf_iterations"] == 2048
        big = pfx.build(key, cert, password=PASSWORD, encryption=encryption,
                        iterations=pfx_inspect.MAX_ITERATIONS + 1)
        with pytest.raises(pfx_inspect.PfxMalformed, match="key derivation iteration count"):
            pfx_inspect.inspect(big)
