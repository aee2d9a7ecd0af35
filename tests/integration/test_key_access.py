"""rtvs.remote.key_access through real ansible-playbook on localhost, with throwaway accounts."""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import snapshot

SVC = "rtvska-svc"
OTHER = "rtvska-other"
KEYS_GROUP = "rtvska-keys"
NOT_MEMBER_GROUP = "rtvska-empty"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None,
                                reason="needs root and useradd to create throwaway accounts")


def _run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def accounts():
    """rtvska-svc and rtvska-other, both in rtvska-keys; rtvska-empty has no members. Removed afterwards."""
    for name in (SVC, OTHER):
        subprocess.run(["userdel", name], capture_output=True, check=False)
    for name in (SVC, OTHER, KEYS_GROUP, NOT_MEMBER_GROUP):
        subprocess.run(["groupdel", name], capture_output=True, check=False)
    _run("groupadd", KEYS_GROUP)
    _run("groupadd", NOT_MEMBER_GROUP)
    _run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/bin/sh", "-G", KEYS_GROUP, SVC)
    _run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/bin/sh", "-G", KEYS_GROUP, OTHER)
    yield
    for name in (SVC, OTHER):
        subprocess.run(["userdel", name], capture_output=True, check=False)
    for name in (KEYS_GROUP, NOT_MEMBER_GROUP, SVC, OTHER):
        subprocess.run(["groupdel", name], capture_output=True, check=False)


@pytest.fixture
def base(accounts):
    """/tmp/rtvska-XXXX (0700) / keys (0750 root:root) / broker.pfx (0644): the account can reach nothing."""
    directory = tempfile.mkdtemp(prefix="rtvska-", dir="/tmp")
    keys = os.path.join(directory, "keys")
    os.mkdir(keys)
    os.chmod(keys, 0o750)
    with open(os.path.join(keys, "broker.pfx"), "wb") as handle:
        handle.write(b"not really a pfx")
    os.chmod(os.path.join(keys, "broker.pfx"), 0o644)
    yield directory
    shutil.rmtree(directory)


def can_read(account, path):
    proc = subprocess.run(["su", "-s", "/bin/sh", account, "-c", "cat %s" % path], capture_output=True, check=False)
    return proc.returncode == 0


def getfacl(path):
    out = subprocess.run(["getfacl", "--omit-header", "--absolute-names", path],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("#")[0].strip() for line in out.splitlines() if line.strip()]


def apply(playbook, paths, **options):
    extra = {"ka_paths": paths}
    extra.update(("ka_" + k, v) for k, v in options.items())
    return playbook("key_access/apply.yml", extra, args=("--diff",))


def test_cycle_acl_method(playbook, base):
    key = os.path.join(base, "keys", "broker.pfx")
    assert can_read(OTHER, "/etc/hostname") and not can_read(SVC, key)
    result = playbook("key_access/cycle.yml", {"ka_base": base, "ka_account": SVC})
    assert result.rc == 0, result
    assert can_read(SVC, key)
    assert not can_read(OTHER, key)
    assert getfacl(key) == ["user::rw-", "user:%s:r--" % SVC, "group::---", "mask::r--", "other::---"]
    assert "user:%s:--x" % SVC in getfacl(base)
    assert "group::---" in getfacl(base)  # the mask was widened by x only; the group still cannot enter
    assert not can_read(OTHER, os.path.join(base, "keys"))


def test_group_method_reports_other_members(playbook, base):
    key = os.path.join(base, "keys", "broker.pfx")
    # Closed parents hide the key from other group members: they are no readers.
    result = apply(playbook, [key], account=SVC, method="group", group=KEYS_GROUP)
    assert result.rc == 0, result
    assert "other accounts can read" not in result.output
    assert can_read(SVC, key) and not can_read(OTHER, key)
    # Open parents: the other member of the group can read the key, and that is reported.
    os.chmod(base, 0o755)
    os.chmod(os.path.join(base, "keys"), 0o755)
    result = apply(playbook, [key], account=SVC, method="group", group=KEYS_GROUP)
    assert result.rc == 0, result
    assert "other accounts can read %s: %s" % (key, OTHER) in result.output
    assert "other_readers:\n        - %s" % OTHER in result.stdout
    st = os.stat(key)
    assert (st.st_mode & 0o777, st.st_uid) == (0o640, 0)
    assert can_read(SVC, key) and can_read(OTHER, key)
    # Switching to acl takes the group away: only the account reads now.
    result = apply(playbook, [key], account=SVC, method="acl")
    assert result.rc == 0, result
    assert can_read(SVC, key) and not can_read(OTHER, key)
    assert "other accounts can read" not in result.output


def refused(playbook, base, **options):
    key = os.path.join(base, "keys", "broker.pfx")
    watched = [key]
    before = snapshot(watched)
    acl_before = [getfacl(p) for p in (base, os.path.join(base, "keys"), key)]
    result = apply(playbook, [key], **options)
    assert result.rc != 0, result
    assert snapshot(watched) == before
    assert [getfacl(p) for p in (base, os.path.join(base, "keys"), key)] == acl_before
    return result.output


def test_unknown_account(playbook, base):
    out = refused(playbook, base, account="rtvska-nosuch")
    assert "account 'rtvska-nosuch' does not exist on this host; create it first" in out


def test_unknown_group(playbook, base):
    out = refused(playbook, base, account=SVC, group="rtvska-nosuch")
    assert "group 'rtvska-nosuch' does not exist on this host; create it first" in out


def test_account_not_in_group(playbook, base):
    out = refused(playbook, base, account=SVC, group=NOT_MEMBER_GROUP)
    assert "account '%s' is not a member of group '%s'; add it" % (SVC, NOT_MEMBER_GROUP) in out


def test_closed_parents_without_fix(playbook, base):
    out = refused(playbook, base, account=SVC, method="acl", fix_parents=False)
    assert "account '%s' cannot enter %s, %s/keys; set fix_parents: true" % (SVC, base, base) in out


def test_missing_file(playbook, base):
    result = apply(playbook, [os.path.join(base, "nope.pfx")], account=SVC)
    assert result.rc != 0
    assert "nope.pfx: No such file or directory; create it first" in result.output
