# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safe file handling shared by every module of rtvs.remote.

Pure Python, no Ansible imports, so it is unit-testable and usable from
action/filter plugins on the controller as well as from modules on a host.

Guarantees:
- atomic_write() never leaves a half-written file: data goes to a temporary
  file in the same directory, created 0600, fsync'd, given its final owner,
  group and mode, then renamed over the target (os.replace) and the directory
  fsync'd. A reader sees the old bytes or the new bytes, nothing in between.
- backups copy the original byte for byte with the original's owner, group
  and mode (never wider), next to it as ``<name>.<timestamp>.bak``.
- nothing here logs or returns file content.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import grp
import os
import pwd
import stat
import tempfile
import time


class FileError(Exception):
    """A file operation failed; the message names the path and the fix."""


def parse_mode(mode):
    """Return an int permission mode from None, an int or an octal string ('0640', '640')."""
    if mode is None:
        return None
    if isinstance(mode, int):
        return mode & 0o7777
    text = str(mode).strip()
    try:
        value = int(text, 8)
    except ValueError:
        raise FileError(
            "mode %r is not an octal number; quote it in YAML, e.g. mode: '0640'" % (mode,)
        )
    if value < 0 or value > 0o7777:
        raise FileError("mode %r is out of range; use a value like '0640'" % (mode,))
    return value


def resolve_uid(owner):
    """Return the uid for a user name or numeric id; None passes through."""
    if owner is None:
        return None
    if isinstance(owner, int) or str(owner).isdigit():
        return int(owner)
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise FileError(
            "user %r does not exist on this host; create it first or set a different owner" % owner
        )


def resolve_gid(group):
    """Return the gid for a group name or numeric id; None passes through."""
    if group is None:
        return None
    if isinstance(group, int) or str(group).isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise FileError(
            "group %r does not exist on this host; create it first or set a different group" % group
        )


def read_bytes(path):
    """Return the file's bytes, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IOError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise FileError("cannot read %s: %s" % (path, exc.strerror))


def attribute_changes(path, owner=None, group=None, mode=None):
    """List which of owner/group/mode differ from the wanted values ([] when the file matches).

    A missing file yields ['missing'].
    """
    try:
        st = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return ["missing"]
        raise FileError("cannot stat %s: %s" % (path, exc.strerror))
    changes = []
    uid, gid, want_mode = resolve_uid(owner), resolve_gid(group), parse_mode(mode)
    if uid is not None and st.st_uid != uid:
        changes.append("owner")
    if gid is not None and st.st_gid != gid:
        changes.append("group")
    if want_mode is not None and stat.S_IMODE(st.st_mode) != want_mode:
        changes.append("mode")
    return changes


def apply_attributes(path, owner=None, group=None, mode=None):
    """Set owner/group/mode on an existing file; return True when anything changed."""
    changes = attribute_changes(path, owner, group, mode)
    if not changes or changes == ["missing"]:
        return False
    uid, gid = resolve_uid(owner), resolve_gid(group)
    if "owner" in changes or "group" in changes:
        os.lchown(path, -1 if uid is None else uid, -1 if gid is None else gid)
    if "mode" in changes:
        os.chmod(path, parse_mode(mode))
    return True


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def backup_file(path, now=None):
    """Copy ``path`` next to itself with the original's bytes, owner, group and mode.

    Returns the backup's path, or None when ``path`` does not exist. The copy is
    created 0600 and only then given the original's mode, so it is never readable
    by more accounts than the original, not even for an instant.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise FileError("cannot stat %s: %s" % (path, exc.strerror))
    stamp = time.strftime("%Y-%m-%d@%H:%M:%S", time.localtime(now))
    dest = "%s.%s.bak" % (path, stamp)
    suffix = 0
    while os.path.exists(dest):
        suffix += 1
        dest = "%s.%s.%d.bak" % (path, stamp, suffix)
    data = read_bytes(path)
    _write_new(dest, data, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    os.utime(dest, (st.st_atime, st.st_mtime))
    return dest


def _write_new(dest, data, uid, gid, mode):
    """Write data to a brand-new temp file and rename it to dest, with uid/gid/mode."""
    directory = os.path.dirname(os.path.abspath(dest)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), suffix=".tmp", dir=directory)
    try:
        # mkstemp creates 0600: the secret is never readable by others, even briefly.
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if uid is not None or gid is not None:
            os.chown(tmp, -1 if uid is None else uid, -1 if gid is None else gid)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def atomic_write(path, data, owner=None, group=None, mode=None, backup=False, now=None):
    """Replace ``path`` with ``data`` atomically; return the backup path (or None).

    Unset owner/group/mode keep the existing file's values, or for a new file
    root-or-current-user ownership and mode 0600 (secure by default).
    """
    if not isinstance(data, bytes):
        raise TypeError("atomic_write() takes bytes")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileError(
            "directory %s does not exist; create it first (for example with ansible.builtin.file state=directory)"
            % directory
        )
    uid, gid, want_mode = resolve_uid(owner), resolve_gid(group), parse_mode(mode)
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None:
        uid = st.st_uid if uid is None else uid
        gid = st.st_gid if gid is None else gid
        want_mode = stat.S_IMODE(st.st_mode) if want_mode is None else want_mode
    elif want_mode is None:
        want_mode = 0o600
    backup_path = backup_file(path, now=now) if (backup and st is not None) else None
    try:
        _write_new(path, data, uid, gid, want_mode)
    except OSError as exc:
        raise FileError("cannot write %s: %s" % (path, exc.strerror or exc))
    return backup_path
