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
- a managed path (a file a module writes or whose permissions it sets) is never followed
  when it is a symbolic link: reads with ``managed=True``, attribute_changes(),
  apply_attributes(), backup_file() and atomic_write() refuse a link with a FileError
  naming the fix, and refuse to read or re-permission a file with more than one hard link
  (a hard link to /etc/shadow would otherwise get the key's owner and mode). Owner and
  mode are set on an open descriptor (fchown/fchmod), so the file checked is the file changed.
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


def link_refusal(path):
    return FileError(
        "%s is a symbolic link; rtvs.remote does not follow links at the paths it manages (the link's target would "
        "be read or changed instead). Point the option at the real file, or remove the link" % path
    )


def hard_link_refusal(path, links):
    return FileError(
        "%s has %d hard links, so it is also another file (a hard link to /etc/shadow, say); reading it or setting "
        "its owner and mode would reach that file too. Remove the other links, or point the option at a file of "
        "its own" % (path, links)
    )


def check_managed_stat(path, st):
    """Raise FileError unless ``st`` (an lstat or fstat of ``path``) is a regular file with one link."""
    if stat.S_ISLNK(st.st_mode):
        raise link_refusal(path)
    if not stat.S_ISREG(st.st_mode):
        raise FileError("%s is not a regular file; point the option at a file (or remove what is there)" % path)
    if st.st_nlink > 1:
        raise hard_link_refusal(path, st.st_nlink)


def managed_lstat(path):
    """lstat of a managed path (None when it does not exist), refused when it is a link (see module doc)."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise FileError("cannot stat %s: %s" % (path, exc.strerror))
    check_managed_stat(path, st)
    return st


OPEN_NOFOLLOW = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def open_managed(path):
    """A read-only descriptor of the managed file at ``path`` (never through a link), or None when missing.

    The caller closes it. The checks of check_managed_stat() run on the descriptor.
    """
    try:
        fd = os.open(path, OPEN_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno == errno.ELOOP:
            raise link_refusal(path)
        raise FileError("cannot open %s: %s" % (path, exc.strerror))
    try:
        check_managed_stat(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path, managed=False):
    """Return the file's bytes, or None when it does not exist.

    ``managed``: ``path`` is a file the module manages: refused when it is a symbolic link, not a
    regular file, or has more than one hard link (inputs such as a provided certificate may be links).
    """
    if managed:
        fd = open_managed(path)
        if fd is None:
            return None
        with os.fdopen(fd, "rb") as handle:
            return handle.read()
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
    st = managed_lstat(path)
    if st is None:
        return ["missing"]
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
    fd = open_managed(path)  # the same checks again, on the descriptor that is changed
    if fd is None:
        return False
    try:
        if "owner" in changes or "group" in changes:
            os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
        if "mode" in changes:
            os.fchmod(fd, parse_mode(mode))
    except OSError as exc:
        raise FileError("cannot set owner or mode of %s: %s" % (path, exc.strerror))
    finally:
        os.close(fd)
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
    st = managed_lstat(path)
    if st is None:
        return None
    stamp = time.strftime("%Y-%m-%d@%H:%M:%S", time.localtime(now))
    dest = "%s.%s.bak" % (path, stamp)
    suffix = 0
    while os.path.exists(dest):
        suffix += 1
        dest = "%s.%s.%d.bak" % (path, stamp, suffix)
    data = read_bytes(path, managed=True)
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


STALE_TEMP_SECONDS = 600


def remove_stale_temps(path, now=None):
    """Delete temporary files a killed write of ``path`` left behind; return their paths.

    They are named ``.<name>.<random>.tmp`` (see _write_new), created 0600, and may hold a secret (a
    killed config write keeps the PFX password). Only regular files of this account, older than
    STALE_TEMP_SECONDS (so a write running at the same time keeps its own), are removed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    prefix = ".%s." % os.path.basename(path)
    now = time.time() if now is None else now
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        candidate = os.path.join(directory, name)
        try:
            st = os.lstat(candidate)
            if (stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid()
                    and now - st.st_mtime > STALE_TEMP_SECONDS):
                os.unlink(candidate)
                removed.append(candidate)
        except OSError:
            continue
    return removed


def prune_backups(path, keep):
    """Delete the oldest backups of ``path`` (``<name>.<timestamp>[.N].bak``) beyond the newest ``keep``.

    ``keep`` 0 or None keeps every backup. Only regular files (not links) of this account are
    counted and deleted; returns the deleted paths.
    """
    if not keep or keep < 1:
        return []
    directory = os.path.dirname(os.path.abspath(path))
    prefix = os.path.basename(path) + "."
    found = []
    for name in os.listdir(directory):
        if not (name.startswith(prefix) and name.endswith(".bak")):
            continue
        candidate = os.path.join(directory, name)
        try:
            st = os.lstat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
            found.append((st.st_ctime, name, candidate))  # ctime: when the backup was made (mtime is the original's)
    found.sort()
    removed = []
    for _ctime, _name, candidate in found[:max(0, len(found) - keep)]:
        try:
            os.unlink(candidate)
            removed.append(candidate)
        except OSError:
            continue
    return removed


def atomic_write(path, data, owner=None, group=None, mode=None, backup=False, now=None, backup_keep=0):
    """Replace ``path`` with ``data`` atomically; return the backup path (or None).

    Unset owner/group/mode keep the existing file's values, or for a new file
    root-or-current-user ownership and mode 0600 (secure by default). ``backup_keep``: after a
    backup, keep only that many backups of ``path`` (0 keeps all).
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
        st = os.lstat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise link_refusal(path)
    if st is not None:
        uid = st.st_uid if uid is None else uid
        gid = st.st_gid if gid is None else gid
        want_mode = stat.S_IMODE(st.st_mode) if want_mode is None else want_mode
    elif want_mode is None:
        want_mode = 0o600
    backup_path = backup_file(path, now=now) if (backup and st is not None) else None
    remove_stale_temps(path)
    try:
        _write_new(path, data, uid, gid, want_mode)
    except OSError as exc:
        raise FileError("cannot write %s: %s" % (path, exc.strerror or exc))
    if backup_path:
        prune_backups(path, backup_keep)
    return backup_path


# ---------------------------------------------------------------- private keys and their folders


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def trusted_owners(owner=None, root=False):
    """uids that may own a private key file: the account running the module, ``owner``, and root if asked."""
    uids = {os.geteuid()}
    uid = resolve_uid(owner)
    if uid is not None:
        uids.add(uid)
    if root:
        uids.add(0)
    return uids


def private_folder_problem(path, option, owners):
    """Why the folder holding ``path`` cannot be trusted with a private key, or None.

    A folder owned by another account, or one group or other can write to (without the sticky
    bit), lets that account plant its own key and a matching certificate, which would then be
    adopted and bundled: it could impersonate the broker to every client.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        st = os.lstat(folder)
    except OSError:
        return None  # a missing folder is reported by the write itself
    if stat.S_ISLNK(st.st_mode):
        return ("the folder of %s, %s, is a symbolic link; give the real folder (owned by you, mode 0700)"
                % (option, folder))
    fix = ("make it yours with mode 0700 (chown %s %s && chmod 0700 %s; the rtvs.remote roles do this on every run) "
           "after checking that the files in it are yours, or use another folder" % (_user(os.geteuid()), folder, folder))
    if st.st_uid not in owners | {0}:
        return "the folder of %s, %s, is owned by %s, who could have put a key of their own there; %s" % (
            option, folder, _user(st.st_uid), fix)
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        return "the folder of %s, %s, has mode %04o: other accounts can put a key of their own there; %s" % (
            option, folder, stat.S_IMODE(st.st_mode), fix)
    return None


def private_file_problem(path, option, owners, allowed_mode=0o600, fix=None):
    """Why the existing private key at ``path`` cannot be trusted, or None (also None when missing).

    Owned by an account not in ``owners``, or with group/other permission bits beyond
    ``allowed_mode``: another account may hold a copy of the key.
    """
    st = managed_lstat(path)
    if st is None:
        return None
    fix = fix or ("remove it (after checking who made it) so that a new key is made, or give a key of your own "
                  "with mode 0600")
    if st.st_uid not in owners:
        return "%s %s is owned by %s, not by %s: another account may hold a copy of this private key; %s" % (
            option, path, _user(st.st_uid), " or ".join(sorted(_user(u) for u in owners)), fix)
    extra = stat.S_IMODE(st.st_mode) & 0o077 & ~allowed_mode
    if extra:
        return "%s %s has mode %04o: group or other could read or change this private key; %s" % (
            option, path, stat.S_IMODE(st.st_mode), fix)
    return None


def git_work_tree(path):
    """The nearest folder at or above ``path`` (existing or not) holding a .git entry (a work tree), else None."""
    current = os.path.abspath(path)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
