"""M4 (issue 14) and the secret-leak tests for awkward passwords.

A NUL byte in a password made the ``cryptography`` Rust layer panic: a BaseException that killed the
in-process worker, and on the module path printed the password as byte values on stderr. NUL and
other control characters are now refused before any crypto call, with a message that does not echo
the value; any other panic of a native library is caught without its text. Passwords with quotes,
backslashes, $, %, unicode or 10,000 characters work and never show up in -vvvv --diff output.
"""
import json

import pytest

import rel_support
from rel_support import files_under, find_secrets, mode_of

CANARY = "Nul-Canary-5e0b"


def _needles(password):
    """The password, and the forms a panic message or a careless repr would print it in."""
    raw = password.encode("utf-8")
    return [raw, json.dumps(password).encode(), repr(password).encode(), repr(list(raw))[1:-1].encode()]


def _leaks(text, password):
    data = text.encode("utf-8", "surrogateescape")
    return [n for n in _needles(password) if n in data]


def _run(playbook, target, work, vault, password, inprocess, verbosity=4, **extra):
    values = {"rel_workdir": str(work)}
    values.update(extra)
    env = {} if inprocess else {"RTVS_REMOTE_INPROCESS": "0"}
    return playbook(rel_support.target(target), values, verbosity=verbosity, env=env,
                    args=["--diff"] + rel_support.secrets_file(vault / "secrets.json", rel_pfx_password=password))


@pytest.fixture
def dirs(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    vault = tmp_path / "vault"
    vault.mkdir(mode=0o700)
    return work, vault


@pytest.mark.parametrize("inprocess", [True, False], ids=["in-process", "module process"])
@pytest.mark.parametrize("password, message", [
    ("ab\u0000" + CANARY, "password contains a NUL byte"),
    ("line1\n" + CANARY, "password contains a control character"),
    ("esc\u001b" + CANARY, "password contains a control character"),
])
def test_pfx_password_with_nul_or_control_character_is_refused(playbook, dirs, password, message, inprocess):
    work, vault = dirs
    result = _run(playbook, "module_stack.yml", work, vault, password, inprocess)
    assert result.rc == 2, result
    assert message in result.output and "choose a password of printable characters" in result.output, result
    assert _leaks(result.output, password) == [] and CANARY not in result.output
    assert "PanicException" not in result.output and "Traceback" not in result.output
    assert not (work / "broker.pfx").exists()
    assert result.output.count("PLAY RECAP") == 1  # the play ended normally, the worker survived


@pytest.mark.parametrize("inprocess", [True, False], ids=["in-process", "module process"])
def test_broker_config_password_with_nul_is_refused_before_opening_the_pfx(playbook, dirs, tmp_path, inprocess):
    work, vault = dirs
    assert _run(playbook, "password_stack.yml", work, vault, "Good-Pfx-Password-1", inprocess, verbosity=0).rc == 0
    before = rel_support.snapshot([str(work / "rtvsd.config.json")])
    values = {"bc_path": str(work / "rtvsd.config.json"),
              "bc_settings": {"security": {"allowedGroup": "", "X509CertificateFile": str(work / "broker.pfx")}}}
    password = "x\u0000" + CANARY
    result = playbook("broker_config/apply.yml", values, verbosity=4, env={} if inprocess else {"RTVS_REMOTE_INPROCESS": "0"},
                      args=["--diff"] + rel_support.secrets_file(tmp_path / "s.json", bc_certificate_password=password))
    assert result.rc == 2, result
    assert "X509CertificatePassword (certificate_password) contains a NUL byte" in result.output, result
    assert _leaks(result.output, password) == [] and CANARY not in result.output
    assert rel_support.snapshot([str(work / "rtvsd.config.json")]) == before


def test_pem_passphrase_with_nul_is_refused(playbook, dirs, tmp_path):
    work, _vault = dirs
    key = rel_support.new_key()
    (work / "in.key").write_bytes(rel_support.key_pem(key))
    (work / "in.crt").write_bytes(rel_support.cert_pem(rel_support.issue(key, ["rtvs.example.test"])))
    result = playbook("broker_certificate/apply.yml", {
        "bc_path": str(work / "out.crt"), "bc_privatekey_path": str(work / "out.key"), "bc_fqdn": "rtvs.example.test",
        "bc_source": "provided", "bc_provided_certificate_path": str(work / "in.crt"),
        "bc_provided_privatekey_path": str(work / "in.key")},
        args=rel_support.secrets_file(tmp_path / "s.json", bc_provided_privatekey_passphrase="p\u0000" + CANARY))
    assert result.rc == 2 and "provided_privatekey_passphrase contains a NUL byte" in result.output, result
    assert CANARY not in result.output and not (work / "out.key").exists()


def test_a_native_library_panic_is_reported_without_its_text():
    """module_runner turns any BaseException of the logic (pyo3's PanicException is one) into a plain failure."""
    from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner

    class PanicException(BaseException):
        pass

    def logic(params, check_mode=False):
        raise PanicException("called `Result::unwrap()` on an `Err` value: NulError(2, [97, 98, 0, 99])")

    result = module_runner.outcome(module_runner.Entry("pfx", logic), {}, check_mode=False, diff=False)
    assert result["failed"] is True and "PanicException" in result["msg"]
    assert "97, 98" not in json.dumps(result) and "exception" not in result

    def interrupted(params, check_mode=False):
        raise KeyboardInterrupt()

    with pytest.raises(KeyboardInterrupt):
        module_runner.outcome(module_runner.Entry("pfx", interrupted), {}, check_mode=False, diff=False)


AWKWARD = {
    "quotes": "Pw'with\"quotes-7a1",
    "backslash": "Pw\\back\\\\slash-7a2",
    "dollar-percent": "Pw$HOME%s%%${x}-7a3",
    "unicode": "Pw-\u00e9\u00df\u4e2d\u6587-\U0001F511-7a4",
    "10k": "Pw-" + ("k9L!" * 2500) + "-7a5",
}


@pytest.mark.parametrize("label", sorted(AWKWARD))
def test_awkward_password_works_and_never_leaks(playbook, dirs, tmp_path, label):
    password = AWKWARD[label]
    work, vault = dirs
    result = _run(playbook, "password_stack.yml", work, vault, password, inprocess=True)
    assert result.rc == 0, result
    assert "********" in result.output
    assert _leaks(result.output, password) == [], label
    # On disk only the config holds the password (the broker reads it there), and only its owner can read it.
    needles = [password.encode("utf-8"), json.dumps(password)[1:-1].encode()]
    holders = find_secrets(files_under(work, tmp_path / "vault"), needles)
    assert set(holders) <= {str(work / "rtvsd.config.json"), str(vault / "secrets.json")}, holders
    assert mode_of(str(work / "rtvsd.config.json")) == 0o600
    # The config names the password so that the PFX opens with it (checked by broker_config itself too).
    from cryptography.hazmat.primitives.serialization import pkcs12
    stored = json.loads((work / "rtvsd.config.json").read_text(encoding="utf-8"))["security"]["X509CertificatePassword"]
    assert stored == password
    key, cert, _chain = pkcs12.load_key_and_certificates((work / "broker.pfx").read_bytes(), password.encode("utf-8"))
    assert key is not None and cert is not None
    # Module process path too, second run unchanged.
    again = _run(playbook, "password_stack.yml", work, vault, password, inprocess=False)
    assert again.rc == 0 and "changed=0" in again.output, again
    assert _leaks(again.output, password) == []
