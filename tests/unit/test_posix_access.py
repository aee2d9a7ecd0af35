"""Unit tests of module_utils/host/posix_access: ACL xattr codec (cross-checked with getfacl/setfacl), access rules."""
import os
import pwd
import shutil
import subprocess

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.host import posix_access as pa
from ansible_collections.rtvs.remote.plugins.module_utils.host.posix_access import (
    GROUP, GROUP_OBJ, MASK, OTHER, USER, USER_OBJ, Entry, R, W, X)

NOBODY = pwd.getpwnam("nobody").pw_uid
HAVE_ACL_TOOLS = shutil.which("getfacl") is not None and shutil.which("setfacl") is not None
needs_acl_tools = pytest.mark.skipif(not HAVE_ACL_TOOLS, reason="getfacl/setfacl (acl package) not installed")

# `setfacl -m u:nobody:r` on a 0644 root file, as read from the kernel.
SETFACL_BYTES = bytes.fromhex("0200000001000600ffffffff02000400feff000004000400ffffffff10000400ffffffff20000400ffffffff")


def getfacl(path):
    out = subprocess.run(["getfacl", "--omit-header", "--numeric", "--absolute-names", path],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("#")[0].strip() for line in out.splitlines() if line.strip()]


def test_decode_known_bytes():
    assert pa.decode_acl(SETFACL_BYTES) == [
        Entry(USER_OBJ, None, R | W), Entry(USER, NOBODY, R), Entry(GROUP_OBJ, None, R),
        Entry(MASK, None, R), Entry(OTHER, None, R)]


def test_encode_sorts_and_roundtrips():
    shuffled = [Entry(OTHER, None, R), Entry(MASK, None, R), Entry(USER, NOBODY, R),
                Entry(GROUP_OBJ, None, R), Entry(USER_OBJ, None, R | W)]
    assert pa.encode_acl(shuffled) == SETFACL_BYTES
    assert pa.decode_acl(pa.encode_acl(shuffled)) == sorted(shuffled, key=pa._sort_key)


@pytest.mark.parametrize("entries, message", [
    ([Entry(USER_OBJ, None, 6), Entry(OTHER, None, 0)], "group:: entry"),
    ([Entry(USER_OBJ, None, 6), Entry(GROUP_OBJ, None, 0), Entry(OTHER, None, 0), Entry(USER, 5, 4)], "needs a mask"),
    ([Entry(USER_OBJ, None, 6), Entry(GROUP_OBJ, None, 0), Entry(OTHER, None, 0), Entry(MASK, None, 4),
      Entry(GROUP, 5, 4), Entry(GROUP, 5, 1)], "same user or group twice"),
])
def test_invalid_acls_are_refused(entries, message):
    with pytest.raises(pa.AccessError, match=message):
        pa.encode_acl(entries)


@pytest.mark.parametrize("data, message", [
    (b"\x02\x00\x00\x00\x01", "malformed"),
    (b"\x01\x00\x00\x00", "version 1"),
    (b"\x02\x00\x00\x00" + b"\x40\x00\x04\x00\xff\xff\xff\xff", "unknown POSIX ACL entry tag"),
])
def test_malformed_xattr(data, message):
    with pytest.raises(pa.AccessError, match=message):
        pa.decode_acl(data)


@needs_acl_tools
def test_written_acl_is_what_getfacl_reports(tmp_path):
    path = str(tmp_path / "key.pfx")
    open(path, "w").close()
    os.chmod(path, 0o600)
    entries = pa.with_named_user(pa.read_acl(path), NOBODY, R)
    pa.write_acl(path, entries)
    assert getfacl(path) == ["user::rw-", "user:%d:r--" % NOBODY, "group::---", "mask::r--", "other::---"]
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o640)  # group bits show the mask
    assert pa.acl_text(pa.read_acl(path)) == ["user::rw-", "user:nobody:r--", "group::---", "mask::r--", "other::---"]


@needs_acl_tools
def test_setfacl_output_is_decoded(tmp_path):
    path = str(tmp_path / "f")
    open(path, "w").close()
    os.chmod(path, 0o750)
    subprocess.run(["setfacl", "-m", "u:%d:rx,g:0:w" % NOBODY, path], check=True)
    entries = pa.read_acl(path)
    assert entries == [Entry(USER_OBJ, None, 7), Entry(USER, NOBODY, R | X), Entry(GROUP_OBJ, None, R | X),
                       Entry(GROUP, 0, W), Entry(MASK, None, 7), Entry(OTHER, None, 0)]
    assert pa.acl_text(entries) == getfacl(path)[:1] + ["user:nobody:r-x"] + getfacl(path)[2:3] + \
        ["group:root:-w-"] + getfacl(path)[4:]
    # Back to a minimal ACL: the xattr goes away and the mode carries the bits.
    pa.write_acl(path, pa.acl_from_mode(0o640))
    assert getfacl(path) == ["user::rw-", "group::r--", "other::---"]
    with pytest.raises(OSError):
        os.getxattr(path, pa.XATTR)


def test_with_named_user_keeps_the_mask_right():
    minimal = pa.acl_from_mode(0o700)
    added = pa.with_named_user(minimal, NOBODY, X)
    assert Entry(MASK, None, X) in added and Entry(GROUP_OBJ, None, 0) in added
    # An existing mask is widened only by the new bits, never recomputed wider.
    existing = [Entry(USER_OBJ, None, 7), Entry(GROUP_OBJ, None, 5), Entry(GROUP, 9, 7), Entry(MASK, None, 4),
                Entry(OTHER, None, 0)]
    added = pa.with_named_user(existing, NOBODY, X)
    assert Entry(MASK, None, 5) in added
    assert [e for e in added if e.tag == USER] == [Entry(USER, NOBODY, X)]
    again = pa.with_named_user(added, NOBODY, R | X)
    assert [e for e in again if e.tag == USER] == [Entry(USER, NOBODY, R | X)]


def test_allowed_follows_posix_order():
    acl = [Entry(USER_OBJ, None, 6), Entry(USER, 10, 6), Entry(GROUP_OBJ, None, 4), Entry(GROUP, 20, 4),
           Entry(MASK, None, 4), Entry(OTHER, None, 4)]
    owner, group = 0, 30
    assert pa.allowed(0, {0}, owner, group, acl, W)              # owner: user_obj, no mask
    assert pa.allowed(10, {99}, owner, group, acl, R)
    assert not pa.allowed(10, {99}, owner, group, acl, W)        # named user limited by the mask
    assert pa.allowed(11, {20}, owner, group, acl, R)            # named group
    no_group_read = [Entry(USER_OBJ, None, 6), Entry(GROUP_OBJ, None, 0), Entry(OTHER, None, 4)]
    assert not pa.allowed(11, {30}, owner, group, no_group_read, R)  # group matched: other is not consulted
    assert pa.allowed(11, {31}, owner, group, no_group_read, R)      # others


def test_readers_lists_specific_accounts_and_everyone():
    people = [("root", 0, {0}), ("svc", 10, {50}), ("alice", 11, {30, 50}), ("bob", 12, {12})]
    group_mode = pa.acl_from_mode(0o640)
    assert pa.readers(0, 50, group_mode, people) == ["alice", "root", "svc"]
    world = pa.acl_from_mode(0o644)
    assert pa.readers(0, 50, world, people) == ["*", "alice", "root", "svc"]
    acl = [Entry(USER_OBJ, None, 6), Entry(USER, 10, 4), Entry(GROUP_OBJ, None, 0), Entry(MASK, None, 4),
           Entry(OTHER, None, 0)]
    assert pa.readers(0, 50, acl, people) == ["root", "svc"]


def test_readers_need_to_reach_the_file():
    people = [("root", 0, {0}), ("svc", 10, {50}), ("alice", 11, {50})]
    key = pa.acl_from_mode(0o644)
    closed = (0, 0, pa.acl_from_mode(0o700))
    svc_only = (0, 0, pa.with_named_user(pa.acl_from_mode(0o700), 10, X))
    assert pa.readers(0, 50, key, people, [(0, 0, pa.acl_from_mode(0o755))]) == ["*", "alice", "root", "svc"]
    assert pa.readers(0, 50, key, people, [svc_only]) == ["root", "svc"]
    assert pa.readers(0, 50, key, people, [svc_only, closed]) == ["root"]


def test_parent_dirs_from_root_down(tmp_path):
    target = tmp_path / "real" / "key.pfx"
    target.parent.mkdir()
    target.write_text("k")
    link = tmp_path / "link.pfx"
    link.symlink_to(target)
    dirs = pa.parent_dirs(str(target))
    assert dirs[0] == "/" and dirs.index(str(tmp_path)) < dirs.index(str(tmp_path / "real"))
    # A link's target is never walked (key_access refuses links before it gets here).
    assert str(tmp_path / "real") not in pa.parent_dirs(str(link))
    with pytest.raises(pa.AccessError, match="is a symbolic link"):
        pa.refuse_links(str(link))


def test_ensure_traversable(tmp_path):
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    os.chmod(str(closed), 0o700)
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(str(open_dir), 0o755)
    dirs = [str(open_dir), str(closed)]
    assert pa.ensure_traversable(dirs, NOBODY, {65534}, False, False) == ([], [str(closed)])
    assert pa.ensure_traversable(dirs, NOBODY, {65534}, True, True) == ([str(closed)], [])
    assert pa.read_acl(str(closed)) == pa.acl_from_mode(0o700)  # check mode wrote nothing
    assert pa.ensure_traversable(dirs, NOBODY, {65534}, True, False) == ([str(closed)], [])
    entries = pa.read_acl(str(closed))
    assert Entry(USER, NOBODY, X) in entries and Entry(GROUP_OBJ, None, 0) in entries
    assert pa.ensure_traversable(dirs, NOBODY, {65534}, True, False) == ([], [])


def test_unknown_names():
    with pytest.raises(pa.AccessError, match=r"account 'rtvs-nosuch' does not exist on this host; create it first"):
        pa.account("rtvs-nosuch")
    with pytest.raises(pa.AccessError, match=r"group 'rtvs-nosuch' does not exist"):
        pa.apply_key_access({"paths": ["/etc/hostname"], "account": "nobody", "group": "rtvs-nosuch"}, True)
    with pytest.raises(pa.AccessError, match=r"owner 'rtvs-nosuch' does not exist"):
        pa.apply_key_access({"paths": ["/etc/hostname"], "account": "nobody", "owner": "rtvs-nosuch"}, True)


def _key(tmp_path, mode=0o644):
    directory = tmp_path / "keys"
    directory.mkdir()
    os.chmod(str(directory), 0o755)
    os.chmod(str(tmp_path), 0o755)
    path = directory / "broker.pfx"
    path.write_bytes(b"secret")
    os.chmod(str(path), mode)
    return str(path)


def test_apply_acl_method_check_then_real(tmp_path, monkeypatch):
    path = _key(tmp_path)
    params = {"paths": [path], "account": "nobody", "method": "acl", "owner": "root", "fix_parents": True}
    # tmp_path's parents (/tmp/pytest-of-root is 0700) are outside the test's control: look only at ours.
    monkeypatch.setattr(pa, "parent_dirs", lambda p: [str(tmp_path), os.path.dirname(p)])
    result = pa.apply_key_access(params, check_mode=True)
    assert result["changed"] and result["files"][0]["changes"] == ["acl"]
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert " root:root 0644 " in result["diff"]["before"] and " root:root 0640 " in result["diff"]["after"]
    result = pa.apply_key_access(params, check_mode=False)
    info = result["files"][0]
    assert info["mode"] == "0640" and info["acl"] == ["user::rw-", "user:nobody:r--", "group::---", "mask::r--",
                                                      "other::---"]
    assert info["readers"] == ["nobody", "root"] and result["other_readers"] == []
    assert pa.apply_key_access(params, check_mode=True)["changed"] is False


def test_apply_group_method_reports_other_members(tmp_path, monkeypatch):
    path = _key(tmp_path, 0o666)
    monkeypatch.setattr(pa, "parent_dirs", lambda p: [os.path.dirname(p)])
    with pytest.raises(pa.AccessError, match="not a member of group 'root'; add it"):
        pa.apply_key_access({"paths": [path], "account": "nobody", "group": "root"}, True)
    result = pa.apply_key_access({"paths": [path], "account": "nobody", "method": "group"}, False)
    info = result["files"][0]
    assert info["mode"] == "0640" and info["group"] == "nogroup" and "nobody" in info["readers"]
    assert sorted(info["changes"]) == ["group", "mode"]
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(pa.AccessError, match="No such file or directory; create it first"):
        pa.apply_key_access({"paths": [str(tmp_path / "nope")], "account": "nobody"}, True)
    with pytest.raises(pa.AccessError, match="is not a regular file"):
        pa.apply_key_access({"paths": [str(tmp_path)], "account": "nobody"}, True)
