"""Snapshot of a test host's files: `python3 snapshot.py save|compare STATE_FILE ROOT...`.

Run with the raw module so no Ansible module payload appears in /tmp while it looks. `save`
writes {path: [kind, mode, uid, gid, size, sha256-or-target]} to STATE_FILE (keep it outside the
roots); `compare` prints {"differences": [...], "count": N} against it. Broker log files
(Microsoft.R.Host.Broker*.log) may only have grown: the broker appends a line for every request,
including the doctor's probe, so their earlier bytes must be an unchanged prefix; new ones are
allowed only when owned by rtvssvc (a crash-looping broker starts a log at every restart), never
as root, which is what the doctor's become runs as.
"""
import hashlib
import json
import os
import pwd
import stat
import sys


def digest(path, limit=None):
    h = hashlib.sha256()
    left = limit
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(65536 if left is None else min(65536, left))
            if not chunk:
                break
            h.update(chunk)
            if left is not None:
                left -= len(chunk)
                if left <= 0:
                    break
    return h.hexdigest()


def snapshot(roots):
    files = {}
    for root in roots:
        for folder, dirs, names in os.walk(root):
            for name in sorted(dirs + names):
                path = os.path.join(folder, name)
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):
                    files[path] = ["link", 0, st.st_uid, st.st_gid, 0, os.readlink(path)]
                elif stat.S_ISREG(st.st_mode):
                    files[path] = ["file", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_size, digest(path)]
                elif stat.S_ISDIR(st.st_mode):
                    files[path] = ["dir", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, 0, ""]
                else:
                    files[path] = ["other", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, 0, ""]
    return files


def _broker_uid():
    try:
        return pwd.getpwnam("rtvssvc").pw_uid
    except KeyError:
        return None


BROKER_UID = _broker_uid()


def is_broker_log(path):
    name = os.path.basename(path)
    return name.startswith("Microsoft.R.Host.Broker") and name.endswith(".log")


def compare(before, after):
    diffs = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old is None:
            if is_broker_log(path) and new[0] == "file" and new[2] == BROKER_UID:
                continue  # a crash-looping broker starts a new log at every restart, as its own user
            diffs.append("new: %s" % path)
        elif new is None:
            diffs.append("removed: %s" % path)
        elif old != new:
            if is_broker_log(path) and old[0] == new[0] == "file" and old[1:4] == new[1:4] and new[4] >= old[4] \
                    and digest(path, old[4]) == old[5]:
                continue  # appended to by the broker, earlier bytes unchanged
            diffs.append("changed: %s %s -> %s" % (path, old[:5], new[:5]))
    return diffs


action, state_file = sys.argv[1:3]
roots = sys.argv[3:]
current = snapshot([r for r in roots if os.path.exists(r)])
if action == "save":
    with open(state_file, "w") as handle:
        json.dump(current, handle)
    print(json.dumps({"saved": len(current)}))
else:
    with open(state_file) as handle:
        before = json.load(handle)
    print(json.dumps({"differences": compare(before, current), "count": len(current)}))
