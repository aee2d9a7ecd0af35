"""module_utils/tls/controller_memo.py: a rerun trusts a remembered controller check only while nothing changed.

Real files made by the real broker_certificate and pfx code; every change that must make the modules run again
is tried, one by one.
"""
import json
import os

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs
from ansible_collections.rtvs.remote.plugins.module_utils.tls import broker_certificate, controller_memo, pfx

PASSWORD = "Memo-Pfx-Secret-1"


def _validated(spec, args):
    keywords = argument_specs.validator_keywords(dict(spec))
    result = ArgumentSpecValidator(**keywords).validate(dict((k, v) for k, v in args.items() if v is not None))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


@pytest.fixture
def host(tmp_path):
    folder = tmp_path / "pki" / "h1"
    folder.mkdir(parents=True, mode=0o700)
    os.chmod(str(folder), 0o700)
    d = str(folder)
    certificate = {"source": "selfsigned", "path": d + "/broker.crt", "privatekey_path": d + "/broker.key",
                   "fqdn": "h1.example.test", "mode": "0600", "privatekey_mode": "0600", "renew_before_days": 30,
                   "valid_days": 365}
    bundle = {"path": d + "/broker.pfx", "certificate_path": d + "/broker.crt", "privatekey_path": d + "/broker.key",
              "password": PASSWORD, "friendly_name": "h1.example.test", "expected_names": ["h1.example.test"],
              "mode": "0600"}

    def check(check_mode=False):
        """What the plan task does: recall, else run both modules and remember."""
        remembered = controller_memo.recall(d, certificate, bundle)
        if remembered:
            return "remembered", remembered
        try:
            cert = broker_certificate.run(_validated(argument_specs.BROKER_CERTIFICATE, certificate), check_mode)
            made = pfx.run(_validated(argument_specs.PFX, bundle), check_mode)
        except (broker_certificate.CertError, pfx.PfxError) as exc:
            return "refused", exc
        if not check_mode:
            controller_memo.remember(d, certificate, bundle, cert, made)
        return "ran", (cert, made)

    check()  # the first run makes key, certificate and PFX, and the memo
    return {"dir": d, "certificate": certificate, "pfx": bundle, "check": check}


def test_an_unchanged_rerun_is_remembered_with_the_modules_results(host):
    how, (cert, made) = host["check"]()
    assert how == "remembered"
    assert cert["changed"] is False and made["changed"] is False and made["reasons"] == []
    with open(host["pfx"]["path"], "rb") as handle:
        import hashlib
        assert made["checksum"] == hashlib.sha1(handle.read()).hexdigest()
    assert cert["fingerprint_sha256"] == made["fingerprint_sha256"]
    memo = os.path.join(host["dir"], controller_memo.MEMO)
    assert os.stat(memo).st_mode & 0o777 == 0o600
    text = open(memo).read()
    assert PASSWORD not in text and "PRIVATE KEY" not in text


def _touch_content(path):
    with open(path, "ab") as handle:
        handle.write(b"\n")


@pytest.mark.parametrize("change", [
    lambda h: os.chmod(h["certificate"]["privatekey_path"], 0o644),
    lambda h: os.chmod(h["dir"], 0o755),
    lambda h: _touch_content(h["certificate"]["path"]),
    lambda h: os.utime(h["pfx"]["path"], (1, 1)),
    lambda h: h["certificate"].update(fqdn="h2.example.test"),
    lambda h: h["certificate"].update(subject_alt_names=["h1b.example.test"]),
    lambda h: h["pfx"].update(password="Another-Pfx-Secret-2"),
    lambda h: h["pfx"].update(encryption="modern"),
    lambda h: h["certificate"].update(renew_before_days=400),
    lambda h: os.remove(h["pfx"]["path"]),
], ids=["key-chmod", "folder-chmod", "cert-content", "pfx-mtime", "fqdn", "sans", "password", "encryption",
        "renewal-window", "pfx-removed"])
def test_any_change_makes_the_modules_run_again(host, change):
    """The modules then decide: change what they manage, or refuse (a loosened key, a PFX the password no longer
    opens) exactly as without a memo."""
    change(host)
    how, _results = host["check"](check_mode=True)
    assert how in ("ran", "refused")


@pytest.mark.parametrize("change", [
    lambda m: os.chmod(m, 0o644),
    lambda m: open(m, "w").write("{not json"),
    lambda m: open(m, "w").write(json.dumps({"version": 0})),
], ids=["memo-mode", "memo-garbage", "memo-version"])
def test_a_memo_that_is_not_ours_or_not_whole_is_ignored(host, change):
    change(os.path.join(host["dir"], controller_memo.MEMO))
    assert controller_memo.recall(host["dir"], host["certificate"], host["pfx"]) is None


def test_a_memo_behind_a_link_is_ignored(host, tmp_path):
    memo = os.path.join(host["dir"], controller_memo.MEMO)
    elsewhere = str(tmp_path / "planted.json")
    os.rename(memo, elsewhere)
    os.symlink(elsewhere, memo)
    assert controller_memo.recall(host["dir"], host["certificate"], host["pfx"]) is None


@pytest.mark.parametrize("changes", [
    {"source": "ca"}, {"source": "internal_ca"}, {"privatekey_passphrase": "at-rest-passphrase"},
    {"provided_privatekey_passphrase": "x"},
])
def test_sources_and_keys_with_a_passphrase_are_never_remembered(host, changes):
    certificate = dict(host["certificate"], **changes)
    assert controller_memo.applies(certificate, host["pfx"]) is False
    assert controller_memo.recall(host["dir"], certificate, host["pfx"]) is None


def test_source_ca_is_remembered_only_when_the_ca_key_was_opened_in_this_run(host):
    """The internal CA: rtvs.remote.internal_ca opens its keys with the passphrase before every check."""
    certificate = dict(host["certificate"], source="ca", ca_certificate_path="/ca.crt", ca_privatekey_path="/ca.key")
    assert controller_memo.applies(certificate, host["pfx"]) is False
    assert controller_memo.applies(certificate, host["pfx"], ca_verified=True) is True
    # but never a key encrypted at rest, whoever verified the CA
    assert controller_memo.applies(dict(certificate, privatekey_passphrase="p"), host["pfx"], ca_verified=True) is False


def test_a_changed_issuer_file_makes_the_modules_run(host, tmp_path):
    issuer = tmp_path / "issuer.crt"
    issuer.write_text("one")
    host["certificate"].update(ca_certificate_path=str(issuer))
    before = controller_memo.inputs(host["dir"], host["certificate"], host["pfx"])
    issuer.write_text("two")
    assert controller_memo.inputs(host["dir"], host["certificate"], host["pfx"]) != before


def test_check_mode_does_not_write_a_memo(host):
    os.remove(os.path.join(host["dir"], controller_memo.MEMO))
    how, _results = host["check"](check_mode=True)
    assert how == "ran" and not os.path.exists(os.path.join(host["dir"], controller_memo.MEMO))


def test_after_a_change_the_modules_fix_it_and_the_next_run_is_remembered_again(host):
    os.chmod(host["certificate"]["path"], 0o644)
    how, (cert, _made) = host["check"]()
    assert how == "ran" and cert["changed"] is True
    assert os.stat(host["certificate"]["path"]).st_mode & 0o777 == 0o600
    assert host["check"]()[0] == "remembered"


def test_inside_the_renewal_window_the_modules_run(host):
    memo = json.load(open(os.path.join(host["dir"], controller_memo.MEMO)))
    late = controller_memo._epoch(memo["certificate"]["not_after"]) - 86400
    assert controller_memo.recall(host["dir"], host["certificate"], host["pfx"], now=late) is None


def test_a_loosened_key_is_refused_as_without_a_memo(host):
    os.chmod(host["certificate"]["privatekey_path"], 0o644)
    how, exc = host["check"](check_mode=True)
    assert how == "refused" and "has mode 0644" in str(exc)
