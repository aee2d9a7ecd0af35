# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers of a Linux host's own files, shared by broker_facts (the doctor) and host_state (the role).

Pure Python, no Ansible imports, no cryptography: every path is read below ``root`` (``/`` on a real
host, a temporary folder in unit tests) and nothing is written. The only process run is
``systemctl`` through the callable a caller passes to service_facts().
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import glob
import grp
import os
import pwd
import socket
import stat
import struct

UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")


class Root(object):
    """Paths of the host as seen below ``root``."""

    def __init__(self, root="/"):
        self.root = root or "/"

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def read_text(self, path):
        with open(self.path(path), "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def exists(self, path):
        return os.path.lexists(self.path(path))

    def isdir(self, path):
        return os.path.isdir(self.path(path))

    def glob(self, pattern):
        prefix = self.path("/")
        return sorted("/" + p[len(prefix):].lstrip("/") for p in glob.glob(self.path(pattern)))


# ---------------------------------------------------------------- files another account can plant


class NotTrusted(Exception):
    """A file that is not read because another account could have put it there; the message says why."""


def _describe_type(mode):
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_owned_regular(st, owners):
    """Raise NotTrusted unless ``st`` is a regular file owned by one of the uids ``owners``, with one link.

    A second hard link means the file also lives elsewhere (a link to /etc/shadow planted where
    a log is expected has root as its owner), so it is refused too.
    """
    if not stat.S_ISREG(st.st_mode):
        raise NotTrusted("%s, not read" % _describe_type(st.st_mode))
    if st.st_uid not in owners:
        raise NotTrusted("owned by %s, not by root or the service account, not read" % name_of(pwd_name, st.st_uid))
    if st.st_nlink > 1:
        raise NotTrusted("has %d hard links (it is also another file), not read" % st.st_nlink)


def read_owned_tail(path, owners, limit):
    """The last ``limit`` bytes of ``path`` when it is a regular file owned by one of ``owners``.

    Opened with O_NOFOLLOW (a symbolic link is refused, never followed) and O_NONBLOCK (a FIFO
    cannot hang the reader), then checked on the open descriptor, so the file judged is the file
    read. Raises NotTrusted with the reason, or OSError.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotTrusted("a symbolic link, not read")
        raise
    try:
        st = os.fstat(fd)
        check_owned_regular(st, owners)
        os.lseek(fd, max(0, st.st_size - limit), os.SEEK_SET)
        chunks, size = [], 0
        while size < limit:
            chunk = os.read(fd, min(65536, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- passwd, group, shadow


def read_passwd(root):
    users = {}
    try:
        text = root.read_text("/etc/passwd")
    except (IOError, OSError):
        return users
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 7 and parts[0]:
            users[parts[0]] = {"name": parts[0], "uid": int(parts[2]), "gid": int(parts[3]),
                               "home": parts[5], "shell": parts[6]}
    return users


def read_groups(root):
    groups = {}
    try:
        text = root.read_text("/etc/group")
    except (IOError, OSError):
        return groups
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[0]:
            members = [m for m in parts[3].split(",") if m]
            groups[parts[0]] = {"name": parts[0], "gid": int(parts[2]), "members": members}
    return groups


def read_shadow(root):
    """{user: password field}; None when /etc/shadow cannot be read (not root)."""
    try:
        text = root.read_text("/etc/shadow")
    except (IOError, OSError):
        return None
    result = {}
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 2 and parts[0]:
            result[parts[0]] = parts[1]
    return result


def password_usable(field):
    """A shadow field that lets PAM log in: non-empty, not locked ('!'), not disabled ('*')."""
    return bool(field) and not field.startswith("!") and not field.startswith("*")


# ---------------------------------------------------------------- systemd


def _unit_sections(text):
    """{section: {key: [values]}} of a systemd unit or drop-in."""
    sections, current = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        if current is None or "=" not in line:
            continue
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service_facts(root, name, systemctl=None):
    unit = "%s.service" % name
    unit_path = None
    for folder in UNIT_DIRS:
        if root.exists("%s/%s" % (folder, unit)):
            unit_path = "%s/%s" % (folder, unit)
            break
    dropins = []
    for folder in UNIT_DIRS:
        dropins.extend(root.glob("%s/%s.d/*.conf" % (folder, unit)))
    wanted_by, aliases = [], []
    for path in ([unit_path] if unit_path else []) + dropins:
        try:
            install = _unit_sections(root.read_text(path)).get("Install", {})
        except (IOError, OSError):
            continue
        for key, target in (("WantedBy", wanted_by), ("RequiredBy", wanted_by), ("Alias", aliases)):
            for value in install.get(key, []):
                if value == "":
                    del target[:]  # an empty assignment resets the list, as systemd does
                target.extend(v for v in value.split() if v not in target)
    links = []
    for folder in ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"):
        links.extend(root.glob("%s/*.wants/%s" % (folder, unit)))
        links.extend(root.glob("%s/*.requires/%s" % (folder, unit)))
    facts = {
        "name": name,
        "installed": unit_path is not None,
        "unit_path": unit_path,
        "dropins": dropins,
        "wanted_by": wanted_by,
        "aliases": aliases,
        "wanted_links": links,
        "enabled": None,
        "active": None,
        "sub_state": None,
        "n_restarts": None,
    }
    if systemctl is not None and unit_path:
        facts["enabled"] = systemctl(["is-enabled", unit]) or "unknown"
        facts["active"] = systemctl(["is-active", unit]) or "unknown"
        facts["sub_state"] = systemctl(["show", "--property=SubState", "--value", unit]) or None
        # Restart=on-failure: a daemon that dies at start looks "active" between restarts; systemd
        # counts the automatic restarts since the last manual start.
        restarts = systemctl(["show", "--property=NRestarts", "--value", unit])
        facts["n_restarts"] = int(restarts) if str(restarts).isdigit() else None
    return facts


# ---------------------------------------------------------------- dpkg


def dpkg_packages(root):
    """Installed packages from /var/lib/dpkg/status: {name: {version, status}} (status 'install ok installed')."""
    result = {}
    try:
        text = root.read_text("/var/lib/dpkg/status")
    except (IOError, OSError):
        return result
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
        name = fields.get("Package")
        if name and fields.get("Status", "").endswith(" installed"):
            result[name] = {"version": fields.get("Version"), "status": fields.get("Status")}
    return result


# ---------------------------------------------------------------- sockets


def _decode_address(hex_addr):
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, struct.pack("<I", struct.unpack(">I", raw)[0]))
    words = struct.unpack(">4I", raw)
    return socket.inet_ntop(socket.AF_INET6, struct.pack("<4I", *words))


def listening_sockets(root, port):
    """(address, inode) of every listening TCP socket on ``port``, from /proc/net/tcp and tcp6.

    The inode is None when the table line stops before that column.
    """
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            text = root.read_text(table)
        except (IOError, OSError):
            continue
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4 or fields[3] != "0A":  # 0A = TCP_LISTEN
                continue
            addr_hex, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port:
                yield _decode_address(addr_hex), (fields[9] if len(fields) > 9 else None)


def listening_facts(root, port):
    addresses = []
    for address, _inode in listening_sockets(root, port):
        if address not in addresses:
            addresses.append(address)
    return {"port": port, "listening": bool(addresses), "addresses": addresses}


# ---------------------------------------------------------------- owners


def name_of(lookup, ident):
    """The name ``lookup`` (pwd_name or grp_name) gives ``ident``, or the number itself when it has none."""
    try:
        return lookup(ident)
    except KeyError:
        return str(ident)


def pwd_name(uid):
    return pwd.getpwuid(uid).pw_name


def grp_name(gid):
    return grp.getgrgid(gid).gr_name
