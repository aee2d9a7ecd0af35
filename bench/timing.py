"""Run commands interleaved and time them; sample the controller's memory while they run.

Interleaving (round 1: A B C, round 2: B C A, ...) makes a burst of machine noise hit
every command alike instead of one command's whole series, which is what a ratio needs.
Timing is wall-clock (time.perf_counter) around the subprocess, like hyperfine's.
"""
import os
import subprocess
import sys
import threading
import time


class Command:
    """One thing to time.

    argv      the command (run with env, cwd), or a callable returning it (called after prepare)
    prepare   optional callable run (untimed) before every timed run, e.g. resetting state
    check     optional callable(stdout_text) raising AssertionError when the output shows the
              run did not do what it should (e.g. an idempotent rerun reporting changes)
    parse     optional callable(stdout_text) whose results are kept (e.g. per-task times)
    """

    def __init__(self, label, argv, env=None, cwd=None, prepare=None, check=None, parse=None):
        self.label = label
        self.argv = argv if callable(argv) else list(argv)
        self.parse = parse
        self.env = env
        self.cwd = cwd
        self.prepare = prepare
        self.check = check


class CommandFailed(RuntimeError):
    pass


def _pss_kib(pid):
    """Proportional set size of a process in KiB (shared pages split among sharers), or RSS."""
    try:
        with open("/proc/%d/smaps_rollup" % pid, "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/proc/%d/statm" % pid, "rb") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return 0


def _session_and_cmdline(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as fh:
            stat = fh.read()
        # fields after the "(comm)" part: state ppid pgrp session ...
        rest = stat[stat.rindex(b")") + 2:].split()
        sid = int(rest[3])
        with open("/proc/%d/cmdline" % pid, "rb") as fh:
            cmdline = fh.read()
        return sid, cmdline
    except (OSError, ValueError, IndexError):
        return None, b""


class MemorySampler(threading.Thread):
    """Peak total PSS of a process session plus processes whose command line holds `marker`.

    ansible-playbook is started in its own session, so its forks and the ssh clients they
    start share that session id; SSH ControlPersist masters detach into their own session,
    so they are found by their ControlPath (the marker) instead.
    """

    def __init__(self, session_id, marker=None, interval=0.1):
        super().__init__(daemon=True)
        self.session_id = session_id
        self.marker = marker.encode() if marker else None
        self.interval = interval
        self.peak_kib = 0
        self.peak_processes = 0
        self._halt = threading.Event()

    def sample(self):
        total = 0
        count = 0
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            sid, cmdline = _session_and_cmdline(pid)
            if sid == self.session_id or (self.marker and self.marker in cmdline):
                total += _pss_kib(pid)
                count += 1
        if total > self.peak_kib:
            self.peak_kib = total
        self.peak_processes = max(self.peak_processes, count)

    def run(self):
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join()


def run_once(cmd, memory_marker=None, log=None):
    """Run one Command, return (seconds, peak_kib or None, stdout)."""
    if cmd.prepare:
        cmd.prepare()
    env = dict(os.environ)
    env.update(cmd.env or {})
    t0 = time.perf_counter()
    argv = cmd.argv() if callable(cmd.argv) else cmd.argv
    proc = subprocess.Popen(argv, env=env, cwd=cmd.cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    sampler = None
    if memory_marker is not None:
        sampler = MemorySampler(proc.pid, marker=memory_marker or None)
        sampler.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - t0
    if sampler:
        sampler.stop()
    text = out.decode("utf-8", "replace")
    if log:
        log.write("### %s (%.2fs, rc=%d)\n%s\n" % (cmd.label, elapsed, proc.returncode, text))
        log.flush()
    if proc.returncode != 0:
        raise CommandFailed("%s failed (rc=%d):\n%s" % (cmd.label, proc.returncode, text[-4000:]))
    if cmd.check:
        try:
            cmd.check(text)
        except AssertionError as exc:
            raise CommandFailed("%s: %s\n%s" % (cmd.label, exc, text[-4000:]))
    return elapsed, (sampler.peak_kib if sampler else None), text


def interleave(commands, repeats, warmup=1, memory_marker=None, log=None, progress=None):
    """Time every command `repeats` times, rotating the order each round.

    Returns {label: {"seconds": [...], "peak_kib": [...], "parsed": [...]}}. Warm-up rounds (untimed) fill
    caches (Python bytecode, SSH control masters) for all commands alike.
    """
    results = {c.label: {"seconds": [], "peak_kib": [], "parsed": []} for c in commands}
    n = len(commands)
    for r in range(warmup + repeats):
        order = commands[r % n:] + commands[:r % n]
        for cmd in order:
            seconds, peak, text = run_once(cmd, memory_marker=memory_marker, log=log)
            if progress:
                progress("%s %s %.2fs" % ("warmup" if r < warmup else "run %d" % (r - warmup + 1),
                                          cmd.label, seconds))
            if r >= warmup:
                results[cmd.label]["seconds"].append(seconds)
                if peak is not None:
                    results[cmd.label]["peak_kib"].append(peak)
                if cmd.parse:
                    results[cmd.label]["parsed"].append(cmd.parse(text))
    return results


def stderr_progress(message):
    sys.stderr.write("  " + message + "\n")
    sys.stderr.flush()
