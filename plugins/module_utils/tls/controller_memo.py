# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the plan task remembers of a controller check that passed, so an idempotent rerun need not redo it.

On every run rtvs.remote.linux_broker_plan runs broker_certificate and pfx on the controller for each host. When
nothing changed, most of their cost is opening the key and the PFX again: cryptography validates an RSA key on
every load (about 27 ms each on a 2-core VM), twice per host. After both passed, the plan task writes a memo in
the host's controller folder (``MEMO``, 0600, written atomically, never through a link): a SHA-256 of the options
both modules checked (secrets left out), and for every file they read the stat that any write, chmod or chown
changes (device, inode, size, mtime and ctime in ns, owner, group, mode) with the file's own SHA-256; and the
two results. A later run uses the results instead of running the modules only when all of this holds:

- the memo is a regular file of the current user, mode 0600, one link, in the host's folder;
- the options and every file (and the folder itself) are the same, byte for byte and stat for stat;
- the certificate is still before its renewal window (``renew_before_days`` before its notAfter);
- the PFX still opens with the password given now: its MAC, checked in pure Python (pfx_inspect.mac_verifies),
  so a changed password is noticed and the PFX rebuilt.

Not remembered (the modules run every time): a key encrypted at rest or a provided key with a passphrase (a
wrong passphrase must fail now, not at the next renewal; a cheap verifier of it would weaken the encryption), and
the source ca, whose CA key broker_certificate opens with its passphrase on every run for the same reason. The
internal CA is remembered: rtvs.remote.internal_ca opens its keys with the passphrase on every run before this
check (``ca_verified``), and the issuer's certificate and key files are part of the remembered state, so a new
intermediate or a CA rotation makes the modules run. Check mode reads the memo but never writes it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import hashlib
import json
import os
import time

from ansible_collections.rtvs.remote.plugins.module_utils.host import fileio
from ansible_collections.rtvs.remote.plugins.module_utils.tls import pfx_inspect

MEMO = ".rtvs-remote-checked.json"
VERSION = 1
# options that are secrets: never part of the memo (the PFX password is proven by the PFX's MAC instead)
SECRET_OPTIONS = ("password", "privatekey_passphrase", "ca_privatekey_passphrase", "provided_privatekey_passphrase")
# option names whose values are files the modules read or write
FILE_OPTIONS = ("path", "privatekey_path", "certificate_path", "ca_certificate_path", "ca_privatekey_path",
                "provided_certificate_path", "provided_privatekey_path")
# result keys not kept (the modules' results hold no secret; a diff is only shown for a change)
DROPPED = ("diff", "invocation", "failed", "msg")


def applies(certificate, pfx, ca_verified=False):
    """Whether a check of these options may be remembered (see the module docstring).

    ``ca_verified``: the issuing CA's key was opened with its passphrase in this run already (the internal CA:
    rtvs.remote.internal_ca runs before on every run), so source ca may be remembered too.
    """
    sources = ("selfsigned", "provided", "ca") if ca_verified else ("selfsigned", "provided")
    return (certificate.get("source") in sources
            and not certificate.get("privatekey_passphrase") and not pfx.get("privatekey_passphrase")
            and not certificate.get("provided_privatekey_passphrase"))


def _file_state(path):
    """What a write, chmod or chown of the file at ``path`` changes (None when it is missing)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if os.path.isdir(path) and not os.path.islink(path):
        # a folder: who owns it and who may write in it (its times change whenever a file in it is written)
        return [st.st_dev, st.st_ino, st.st_uid, st.st_gid, st.st_mode]
    state = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_uid, st.st_gid, st.st_mode,
             st.st_nlink]
    if os.path.isfile(path) and not os.path.islink(path):
        with open(path, "rb") as handle:
            state.append(hashlib.sha256(handle.read()).hexdigest())
    return state


def inputs(host_dir, certificate, pfx):
    """The SHA-256 of what the check depends on: the options without secrets and the state of every file."""
    files = {}
    for options in (certificate, pfx):
        for name in FILE_OPTIONS:
            if options.get(name):
                files[options[name]] = None
        for other in options.get("other_certificates") or []:
            files[other] = None
    for path in list(files):
        files[path] = _file_state(path)
    files[host_dir] = _file_state(host_dir)
    plain = {"certificate": dict((k, v) for k, v in certificate.items() if k not in SECRET_OPTIONS),
             "pfx": dict((k, v) for k, v in pfx.items() if k not in SECRET_OPTIONS), "files": files,
             "version": VERSION}
    return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _epoch(iso):
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))


def recall(host_dir, certificate, pfx, now=None, ca_verified=False):
    """The remembered (certificate result, pfx result), or None when the modules must run."""
    if not applies(certificate, pfx, ca_verified):
        return None
    path = os.path.join(host_dir, MEMO)
    try:
        fd = fileio.open_managed(path)
    except fileio.FileError:
        return None
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if st.st_uid != os.getuid() or st.st_mode & 0o777 != 0o600:
            return None
        try:
            memo = json.loads(handle.read().decode("utf-8"))
        except ValueError:
            return None
    if not isinstance(memo, dict) or memo.get("version") != VERSION or memo.get("inputs") != inputs(host_dir, certificate, pfx):
        return None
    try:
        renew_at = _epoch(memo["certificate"]["not_after"]) - 86400 * int(certificate.get("renew_before_days") or 0)
    except (KeyError, TypeError, ValueError):
        return None
    if (now or time.time()) >= renew_at:
        return None
    # the password given now must still open the PFX (its MAC), else the PFX is rebuilt by the module
    data = fileio.read_bytes(pfx["path"], managed=True)
    try:
        if not data or pfx_inspect.mac_verifies(pfx_inspect.inspect(data), pfx.get("password") or "") is not True:
            return None
    except (pfx_inspect.PfxMalformed, RecursionError, KeyError, ValueError):
        return None
    return memo["certificate"], memo["pfx"]


def remember(host_dir, certificate, pfx, certificate_result, pfx_result, ca_verified=False):
    """Write the memo after both modules passed and wrote what they had to (not in check mode)."""
    if not applies(certificate, pfx, ca_verified) or certificate_result.get("failed") or pfx_result.get("failed"):
        return
    kept = dict((k, v) for k, v in certificate_result.items() if k not in DROPPED)
    kept_pfx = dict((k, v) for k, v in pfx_result.items() if k not in DROPPED)
    # what a later run returns is the state of an unchanged check
    for result in (kept, kept_pfx):
        result.update(changed=False, reasons=[], backup_file=None)
        result.pop("privatekey_backup_file", None)
    if not kept.get("not_after") or not kept_pfx.get("checksum"):
        return
    memo = {"version": VERSION, "certificate": kept, "pfx": kept_pfx, "inputs": inputs(host_dir, certificate, pfx)}
    path = os.path.join(host_dir, MEMO)
    data = json.dumps(memo, sort_keys=True).encode("utf-8")
    if fileio.read_bytes(path, managed=True) != data:
        fileio.atomic_write(path, data, mode="0600")
