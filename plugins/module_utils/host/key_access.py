# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who can read a file on Linux, and making sure only the broker's account (and the owner) can.

Pure Python, no Ansible imports. POSIX ACLs are read and written through the
``system.posix_acl_access`` extended attribute (os.getxattr/os.setxattr), so the
``acl`` package (getfacl/setfacl) is not needed on the host. Its format (Linux
``posix_acl_xattr``): a little-endian u32 version (2), then one 8-byte entry per
ACL entry: u16 tag, u16 permissions (r=4, w=2, x=1), u32 uid/gid (0xFFFFFFFF for
entries that name nobody). Entries are sorted by tag, then id. When named entries
exist a mask entry is required; the mode's group bits then show the mask.

Readers are evaluated with the POSIX ACL access algorithm for every account in
the user database (owner, named users, owning/named groups with the mask, others);
root's override of permissions is not listed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import grp
import os
import pwd
import stat

from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host.posix_acl import (  # noqa: F401  pylint: disable=unused-import
    AccessError,
    acl_from_mode,
    acl_text,
    decode_acl,
    encode_acl,
    Entry,
    _ENTRY,
    EVERYONE,
    GROUP,
    _group_name,
    GROUP_OBJ,
    _HEADER,
    is_extended,
    MASK,
    mode_bits,
    NOFOLLOW,
    open_key_file,
    OTHER,
    perm_text,
    R,
    read_acl,
    refuse_links,
    remove_acl,
    _sort_key,
    TAG_NAMES,
    UNDEFINED_ID,
    USER,
    _user_name,
    USER_OBJ,
    validate_acl,
    VERSION,
    W,
    with_named_user,
    write_acl,
    X,
    XATTR,
)


# ------------------------------------------------------------------ access evaluation

def allowed(uid, gids, owner_uid, owner_gid, entries, want):
    """POSIX ACL access check (as the kernel does it, without root's override)."""
    mask = next((e.perm for e in entries if e.tag == MASK), None)

    def masked(perm):
        return perm & mask if mask is not None else perm
    perms = dict((e.tag, e.perm) for e in entries if e.tag in (USER_OBJ, GROUP_OBJ, OTHER))
    if uid == owner_uid:
        return perms[USER_OBJ] & want == want
    for e in entries:
        if e.tag == USER and e.qualifier == uid:
            return masked(e.perm) & want == want
    matched = False
    if owner_gid in gids:
        matched = True
        if masked(perms[GROUP_OBJ]) & want == want:
            return True
    for e in entries:
        if e.tag == GROUP and e.qualifier in gids:
            matched = True
            if masked(e.perm) & want == want:
                return True
    if matched:
        return False
    return perms[OTHER] & want == want


def accounts():
    """[(name, uid, set of gids)] for every account in the user database."""
    members = {}
    for group in grp.getgrall():
        for name in group.gr_mem:
            members.setdefault(name, set()).add(group.gr_gid)
    return [(pw.pw_name, pw.pw_uid, set([pw.pw_gid]) | members.get(pw.pw_name, set())) for pw in pwd.getpwall()]


def account(name):
    """(uid, gids, primary gid) of an account; AccessError naming the fix when it does not exist."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        raise AccessError("account %r does not exist on this host; create it first (the rtvs-daemon package "
                          "creates rtvssvc) or set account to the broker's service account" % name)
    gids = set([pw.pw_gid]) | set(g.gr_gid for g in grp.getgrall() if name in g.gr_mem)
    return pw.pw_uid, gids, pw.pw_gid


def readers(owner_uid, owner_gid, entries, all_accounts=None, parents=()):
    """Names of the accounts that may read, sorted; '*' when any other account may.

    ``parents`` are (uid, gid, entries) of the directories above the file: an account that
    cannot enter all of them is no reader. '*' needs read for others on the file and
    search (x) for others on every parent.
    """
    names = set()
    others_read = next(e.perm for e in entries if e.tag == OTHER) & R and all(
        next(e.perm for e in p_entries if e.tag == OTHER) & X for _u, _g, p_entries in parents)
    for name, uid, gids in (all_accounts if all_accounts is not None else accounts()):
        if not allowed(uid, gids, owner_uid, owner_gid, entries, R):
            continue
        if not all(allowed(uid, gids, p_uid, p_gid, p_entries, X) for p_uid, p_gid, p_entries in parents):
            continue
        # An account that reads only through "other" is covered by '*'.
        matched_specific = uid == owner_uid or owner_gid in gids or any(
            (e.tag == USER and e.qualifier == uid) or (e.tag == GROUP and e.qualifier in gids) for e in entries)
        if matched_specific or not others_read:
            names.add(name)
    if others_read:
        names.add(EVERYONE)
    return sorted(names)


# ------------------------------------------------------------------ parents

def parent_dirs(path):
    """Every directory above path, from / down (key_access refuses paths through links, see refuse_links)."""
    seen, result = set(), []
    for candidate in (os.path.abspath(path),):
        parts = []
        current = os.path.dirname(candidate)
        while True:
            parts.append(current)
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for directory in reversed(parts):
            if directory not in seen:
                seen.add(directory)
                result.append(directory)
    return result


def directory_states(directories):
    """{directory: (uid, gid, entries)} as they are now."""
    states = {}
    for directory in directories:
        st = os.lstat(directory)
        if stat.S_ISLNK(st.st_mode):  # replaced by a link since the paths were checked
            refuse_links(directory)
        states[directory] = (st.st_uid, st.st_gid, read_acl(directory, st))
    return states


def _write_directory_acl(directory, entries):
    """write_acl() on the folder itself, opened without following a link."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            refuse_links(directory)
        raise AccessError("cannot open %s: %s" % (directory, exc.strerror))
    try:
        write_acl(fd, entries, directory)
    finally:
        os.close(fd)


def ensure_traversable(directories, uid, gids, fix, check_mode, states=None):
    """Directories the account cannot enter: fixed with a user:<uid>:--x entry (or listed when fix is False).

    Returns (fixed, blocked): directories given (or that would get) an ACL entry, and ones left blocked.
    ``states`` (from directory_states) is updated with the planned entries.
    """
    states = directory_states(directories) if states is None else states
    fixed, blocked = [], []
    for directory in directories:
        d_uid, d_gid, entries = states[directory]
        if allowed(uid, gids, d_uid, d_gid, entries, X):
            continue
        if not fix:
            blocked.append(directory)
            continue
        current = next((e.perm for e in entries if e.tag == USER and e.qualifier == uid), 0)
        planned = with_named_user(entries, uid, current | X)
        if not check_mode:
            _write_directory_acl(directory, planned)
        states[directory] = (d_uid, d_gid, planned)
        fixed.append(directory)
    return fixed, blocked


# ------------------------------------------------------------------ key files

def _resolve_group(name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise AccessError("group %r does not exist on this host; create it first (ansible.builtin.group) or set "
                          "group to an existing group the account belongs to" % name)


def _resolve_owner(name):
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        raise AccessError("owner %r does not exist on this host; set owner to an existing account (default root)"
                          % name)


def desired_state(st, method, owner_uid, group_gid, account_uid):
    """(uid, gid, entries) the file should have."""
    gid = st.st_gid if group_gid is None else group_gid
    if method == "group" or account_uid == owner_uid:
        group_perm = R if method == "group" and account_uid != owner_uid else 0
        return owner_uid, gid, [Entry(USER_OBJ, None, R | W), Entry(GROUP_OBJ, None, group_perm),
                                Entry(OTHER, None, 0)]
    return owner_uid, gid, sorted([Entry(USER_OBJ, None, R | W), Entry(USER, account_uid, R),
                                   Entry(GROUP_OBJ, None, 0), Entry(MASK, None, R), Entry(OTHER, None, 0)],
                                  key=_sort_key)


def describe(path, uid, gid, mode, entries, all_accounts, parents=()):
    return {
        "path": path,
        "owner": _user_name(uid),
        "group": _group_name(gid),
        "mode": "%04o" % mode,
        "acl": acl_text(entries),
        "readers": readers(uid, gid, entries, all_accounts, parents),
    }


def _summary(info):
    return "%s %s:%s %s %s\n" % (info["path"], info["owner"], info["group"], info["mode"], ",".join(info["acl"]))


def apply_key_access(params, check_mode=False):
    """The work of rtvs.remote.key_access; returns the module result (without 'diff' when unchanged)."""
    method = params.get("method") or "group"
    account_name = params.get("account") or "rtvssvc"
    account_uid, account_gids, primary_gid = account(account_name)
    owner_uid = _resolve_owner(params.get("owner") or "root")
    group_gid = None
    if params.get("group"):
        group_gid = _resolve_group(params["group"])
    elif method == "group":
        group_gid = primary_gid
    if method == "group" and account_uid != owner_uid and group_gid not in account_gids:
        raise AccessError("account %r is not a member of group %r; add it (ansible.builtin.user groups, append) "
                          "or use method: acl" % (account_name, _group_name(group_gid)))
    paths = params.get("paths") or []
    if not paths:
        raise AccessError("paths is empty; list the key and PFX files the broker must read")
    stats = {}
    for path in paths:
        refuse_links(path)
        fd, stats[path] = open_key_file(path)
        os.close(fd)

    directories = []
    for path in paths:
        for directory in parent_dirs(path):
            if directory not in directories:
                directories.append(directory)
    all_accounts = accounts()
    states_before = directory_states(directories)
    _none, blocked = ensure_traversable(directories, account_uid, account_gids, False, True, dict(states_before))
    if blocked and not params.get("fix_parents", True):
        raise AccessError("account %r cannot enter %s; set fix_parents: true (adds an ACL entry user:%s:--x) or "
                          "chmod o+x those directories" % (account_name, ", ".join(blocked), account_name))
    states_after = dict(states_before)
    fixed, _none = ensure_traversable(directories, account_uid, account_gids, True, True, states_after)

    files, before_text, after_text, changed = [], "", "", bool(fixed)
    for path in paths:
        st = stats[path]
        entries = read_acl(path, st) if check_mode else None
        fd = None
        if not check_mode:
            fd, st = open_key_file(path)  # the file changed is the file judged: every change goes through fd
            entries = read_acl(fd, st, path)
        uid, gid, want = desired_state(st, method, owner_uid, group_gid, account_uid)
        want_mode = (st.st_mode & 0o7000) | mode_bits(want)
        changes = []
        if st.st_uid != uid:
            changes.append("owner")
        if st.st_gid != gid:
            changes.append("group")
        if sorted(entries, key=_sort_key) != sorted(want, key=_sort_key):
            changes.append("acl" if is_extended(entries) or is_extended(want) else "mode")
        elif stat.S_IMODE(st.st_mode) != want_mode:
            changes.append("mode")
        parents = parent_dirs(path)
        before = describe(path, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), entries, all_accounts,
                          [states_before[d] for d in parents])
        after = describe(path, uid, gid, want_mode, want, all_accounts, [states_after[d] for d in parents])
        if fd is not None:
            try:
                if changes:
                    if st.st_uid != uid or st.st_gid != gid:
                        os.chown(fd, uid, gid)
                    write_acl(fd, want, path)
                    os.chmod(fd, want_mode)
            finally:
                os.close(fd)
        after.update(changed=bool(changes), changes=changes)
        files.append(after)
        before_text += _summary(before)
        after_text += _summary(after)
        changed = changed or bool(changes)
    for directory in fixed:
        before_text += "%s %s\n" % (directory, ",".join(acl_text(states_before[directory][2])))
        after_text += "%s %s\n" % (directory, ",".join(acl_text(states_after[directory][2])))
    if fixed and not check_mode:
        ensure_traversable(fixed, account_uid, account_gids, True, False)
    owner_name = _user_name(owner_uid)
    other = set()
    for info in files:
        other.update(r for r in info["readers"] if r not in (owner_name, account_name))
    warnings = []
    if other:
        warnings.append("other accounts can read %s: %s" % (", ".join(paths), ", ".join(sorted(other))))
    return {
        "changed": changed,
        "files": files,
        "other_readers": sorted(other),
        "parents_fixed": fixed,
        "warnings": warnings,
        "diff": {"before": before_text, "after": after_text},
    }


# The key_access module: its logic and refusals (module and action plugin run this).
ENTRY = module_runner.Entry("key_access", apply_key_access, refusals=(AccessError,), diff_only_when_changed=True)
