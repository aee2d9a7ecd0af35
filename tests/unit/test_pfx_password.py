"""The one password rule (module_utils/broker/password_rules.py), as rtvs.remote.pfx and the roles' preflight use it."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.filter.pfx_password import pfx_password_problem
from ansible_collections.rtvs.remote.plugins.module_utils.broker import password_rules

PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))


@pytest.mark.parametrize("password", [PRINTABLE, "a" * 200, "p'\"\\$% {{x}} ~", " leading and trailing "])
def test_printable_ascii_passes_for_both_brokers(password):
    assert password_rules.problem(password, "linux") is None
    assert password_rules.problem(password, "windows") is None
    assert pfx_password_problem(password, "linux") == ""


@pytest.mark.parametrize("password, count", [
    ("caf\u00e9-secret", 1), ("\u20ac\u20acuro", 2), ("\U0001F511 key", 1), ("\u00a0nbsp", 1),
])
def test_anything_else_is_refused_on_linux_with_why_and_what_to_use(password, count):
    message = password_rules.problem(password, "linux", name="rtvs_pfx_password")
    assert message.startswith("rtvs_pfx_password has %d character" % count)
    assert "OpenSSL 1.0.x" in message and "BMPString byte by byte" in message
    assert "openssl/openssl#3535" in message and "#6179" in message
    assert "printable ASCII" in message and "0x20-0x7E" in message
    assert password not in message  # never the secret itself


def test_windows_gets_a_warning_not_an_error():
    message = password_rules.problem("caf\u00e9-secret", "windows")
    assert message.startswith("WARNING: password has 1 character outside printable ASCII")
    assert ".NET Framework" in message and "Linux broker" in message
    assert "caf\u00e9" not in message


def test_the_filter_returns_the_same_messages_and_refuses_bad_arguments():
    assert pfx_password_problem("\u00e9t\u00e9", "linux") == password_rules.problem("\u00e9t\u00e9", "linux", "rtvs_pfx_password")
    assert pfx_password_problem("\u00e9t\u00e9", "windows", name="pw").startswith("WARNING: pw has 2 characters")
    assert pfx_password_problem(None) == ""
    with pytest.raises(AnsibleFilterError, match="target must be one of linux, windows"):
        pfx_password_problem("\u00e9", "macos")
    with pytest.raises(AnsibleFilterError, match="expects the password as a string"):
        pfx_password_problem(12345)


@pytest.mark.parametrize("password, specific", [
    ("Pfx\u0000-secret", "contains a NUL byte"), ("tab\there", "contains a control character"),
    ("new\nline", "contains a control character"), ("\x7f-del-caf\u00e9", "contains a control character"),
    ("\x85-next-line", "contains a control character"),
])
@pytest.mark.parametrize("target", ["linux", "windows"])
def test_control_characters_come_first_with_their_own_message_for_both_targets(password, specific, target):
    """Issue 14: one rule; the filter names a control character itself (no Jinja regex of its own in preflight)."""
    message = pfx_password_problem(password, target)
    assert message.startswith("rtvs_pfx_password " + specific), message
    assert "outside printable ASCII" not in message and not message.startswith("WARNING")
    assert password not in message


@pytest.mark.parametrize("password, target, severity, starts", [
    ("Printable-ASCII ~ 123", "linux", None, None),
    ("Printable-ASCII ~ 123", "windows", None, None),
    ("caf\u00e9-secret", "linux", "error", "pw has 1 character outside printable ASCII"),
    ("caf\u00e9-secret", "windows", "warning", "WARNING: pw has 1 character outside printable ASCII"),
    ("nul\u0000-secret", "linux", "error", "pw contains a NUL byte"),
    ("nul\u0000-secret", "windows", "error", "pw contains a NUL byte"),
    ("tab\t-caf\u00e9", "windows", "error", "pw contains a control character"),
    ("esc\u001b-secret", "windows", "error", "pw contains a control character"),
    ("\u0085-next-line", "windows", "error", "pw contains a control character"),
])
def test_judge_says_which_problem_is_a_refusal_and_which_a_warning(password, target, severity, starts):
    """Issue 12: the Windows preflight refuses what judge() calls an error and only warns about a warning; the
    decision is Python's, not a test of the message's text in Jinja."""
    found, message = password_rules.judge(password, target, "pw")
    assert found == severity
    assert (message is None) if starts is None else message.startswith(starts), message
    # problem() and the filter give the message for its own severity and nothing for the other
    assert password_rules.problem(password, target, "pw") == message
    for wanted in password_rules.SEVERITIES:
        expected = message if wanted == severity else None
        assert password_rules.problem(password, target, "pw", severity=wanted) == expected
        assert pfx_password_problem(password, target, "pw", severity=wanted) == (expected or "")
    if message:
        assert password not in message


def test_unknown_severity_is_refused():
    with pytest.raises(ValueError, match="severity must be one of error, warning"):
        password_rules.problem("x", "windows", severity="fatal")
    with pytest.raises(AnsibleFilterError, match="severity must be one of error, warning, got 'fatal'"):
        pfx_password_problem("x", "windows", severity="fatal")
