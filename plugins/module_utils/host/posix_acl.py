# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""POSIX ACLs: the system.posix_acl_access xattr codec, reading and writing it without following links, and its
text form."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import grp
import os
import pwd
import stat
import struct
from collections import namedtuple

XATTR = "system.posix_acl_access"
VERSION = 2
UNDEFINED_ID = 0xFFFFFFFF
USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
TAG_NAMES = {USER_OBJ: "user", USER: "user", GROUP_OBJ: "group", GROUP: "group", MASK: "mask", OTHER: "other"}
R, W, X = 4, 2, 1
EVERYONE = "*"
_HEADER = struct.Struct("<I")
_ENTRY = struct.Struct("<HHI")

Entry = namedtuple("Entry", "tag qualifier perm")


class AccessError(Exception):
    """A path, account or group cannot be used; the message names it and the fix."""


# ------------------------------------------------------------------ xattr codec

def decode_acl(data):
    """Entries (tag, qualifier or None, perm) from the raw xattr value."""
    if len(data) < _HEADER.size or (len(data) - _HEADER.size) % _ENTRY.size:
        raise AccessError("malformed POSIX ACL attribute (%d bytes)" % len(data))
    (version,) = _HEADER.unpack_from(data, 0)
    if version != VERSION:
        raise AccessError("unsupported POSIX ACL attribute version %d" % version)
    entries = []
    for offset in range(_HEADER.size, len(data), _ENTRY.size):
        tag, perm, ident = _ENTRY.unpack_from(data, offset)
        if tag not in TAG_NAMES:
            raise AccessError("unknown POSIX ACL entry tag 0x%x" % tag)
        entries.append(Entry(tag, ident if tag in (USER, GROUP) else None, perm & 7))
    return entries


def _sort_key(entry):
    return (entry.tag, entry.qualifier if entry.qualifier is not None else -1)


def validate_acl(entries):
    """Raise AccessError unless entries form a valid access ACL."""
    tags = [e.tag for e in entries]
    for needed in (USER_OBJ, GROUP_OBJ, OTHER):
        if tags.count(needed) != 1:
            raise AccessError("an ACL needs exactly one %s:: entry" % TAG_NAMES[needed])
    if tags.count(MASK) > 1:
        raise AccessError("an ACL has at most one mask entry")
    if (USER in tags or GROUP in tags) and MASK not in tags:
        raise AccessError("an ACL with named user or group entries needs a mask entry")
    named = [(e.tag, e.qualifier) for e in entries if e.tag in (USER, GROUP)]
    if len(set(named)) != len(named):
        raise AccessError("an ACL names the same user or group twice")


def encode_acl(entries):
    """The raw xattr value for entries (sorted as the kernel requires)."""
    validate_acl(entries)
    data = _HEADER.pack(VERSION)
    for entry in sorted(entries, key=_sort_key):
        ident = entry.qualifier if entry.tag in (USER, GROUP) else UNDEFINED_ID
        data += _ENTRY.pack(entry.tag, entry.perm & 7, ident)
    return data


def acl_from_mode(mode):
    """The minimal ACL equivalent to permission bits."""
    return [Entry(USER_OBJ, None, (mode >> 6) & 7), Entry(GROUP_OBJ, None, (mode >> 3) & 7),
            Entry(OTHER, None, mode & 7)]


def is_extended(entries):
    return any(e.tag in (USER, GROUP, MASK) for e in entries)


def mode_bits(entries):
    """The rwx bits of the mode for an ACL (group bits show the mask when there is one)."""
    perms = dict((e.tag, e.perm) for e in entries if e.tag in (USER_OBJ, GROUP_OBJ, MASK, OTHER))
    group = perms.get(MASK, perms[GROUP_OBJ])
    return (perms[USER_OBJ] << 6) | (group << 3) | perms[OTHER]


def read_acl(path, st=None, name=None):
    """The file's access ACL: its xattr, or the one equivalent to its mode when it has none.

    ``path`` may be an open descriptor (then ``name`` is the path for messages).
    """
    st = st or os.stat(path)
    try:
        data = os.getxattr(path, XATTR)
    except OSError as exc:
        if exc.errno in (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP):
            return acl_from_mode(st.st_mode)
        raise AccessError("cannot read the ACL of %s: %s" % (name or path, exc.strerror))
    return sorted(decode_acl(data), key=_sort_key)


def write_acl(path, entries, name=None):
    """Store entries as the file's access ACL (a minimal ACL becomes plain mode bits).

    ``path`` may be an open descriptor (then ``name`` is the path for messages).
    """
    try:
        if is_extended(entries):
            os.setxattr(path, XATTR, encode_acl(entries))
        else:
            remove_acl(path, name)
            os.chmod(path, (os.stat(path).st_mode & 0o7000) | mode_bits(entries))
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            raise AccessError("the filesystem of %s has no POSIX ACL support; use method: group, or make the "
                              "directory traversable with chmod o+x" % (name or path))
        raise AccessError("cannot set the ACL of %s: %s" % (name or path, exc.strerror))


def remove_acl(path, name=None):
    try:
        os.removexattr(path, XATTR)
    except OSError as exc:
        if exc.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise AccessError("cannot remove the ACL of %s: %s" % (name or path, exc.strerror))


NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def refuse_links(path):
    """AccessError when ``path`` is, or goes through, a symbolic link.

    key_access changes owner, mode and ACLs: following a link would change its target (a link to
    /etc/shadow would hand the service account the password hashes), and fix_parents would open
    the folders above the target. The real path must be given.
    """
    absolute = os.path.abspath(path)
    if os.path.islink(absolute):
        raise AccessError("%s is a symbolic link (to %s); key_access does not follow links, since it would change "
                          "the permissions of the target. Give the real path of the key file, or remove the link"
                          % (path, os.readlink(absolute)))
    real = os.path.realpath(absolute)
    if real != absolute:
        raise AccessError("%s goes through a symbolic link (it resolves to %s); key_access does not follow links, "
                          "since fix_parents would open the folders of the target. Give the real path %s"
                          % (path, real, real))


def open_key_file(path):
    """(fd, fstat) of a key file, opened without following a link; AccessError for anything but a
    regular file with one link (another hard link would get the key's owner, mode and ACL too)."""
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            refuse_links(path)
        raise AccessError("%s: %s; create it first (rtvs.remote.pfx / rtvs.remote.broker_certificate) or fix "
                          "paths" % (path, exc.strerror))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise AccessError("%s is not a regular file; paths lists key and PFX files" % path)
        if st.st_nlink > 1:
            raise AccessError("%s has %d hard links, so it is also another file (a hard link to /etc/shadow, say); "
                              "key_access would give that file the key's owner, mode and ACL too. Remove the other "
                              "links (or recreate the key file with rtvs.remote.pfx / rtvs.remote.broker_certificate)"
                              % (path, st.st_nlink))
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def with_named_user(entries, uid, perm):
    """Entries with ``user:<uid>:perm`` set, the mask widened just enough to let it take effect."""
    result = [e for e in entries if not (e.tag == USER and e.qualifier == uid) and e.tag != MASK]
    result.append(Entry(USER, uid, perm))
    old_mask = next((e.perm for e in entries if e.tag == MASK), None)
    group_obj = next(e.perm for e in entries if e.tag == GROUP_OBJ)
    mask = (group_obj if old_mask is None else old_mask) | perm
    result.append(Entry(MASK, None, mask))
    return sorted(result, key=_sort_key)


def perm_text(perm):
    return "".join(c if perm & bit else "-" for c, bit in (("r", R), ("w", W), ("x", X)))


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def acl_text(entries):
    """getfacl-style lines: user::rw-, user:rtvssvc:r--, group::---, mask::r--, other::---."""
    lines = []
    for e in sorted(entries, key=_sort_key):
        name = ""
        if e.tag == USER:
            name = _user_name(e.qualifier)
        elif e.tag == GROUP:
            name = _group_name(e.qualifier)
        lines.append("%s:%s:%s" % (TAG_NAMES[e.tag], name, perm_text(e.perm)))
    return lines
