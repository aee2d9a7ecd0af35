"""Benchmarks 1, 2 and 4: playbooks/site.yml against podman test hosts (bench/hosts.py).

Every ansible-playbook run uses the repository's ansible.cfg (pipelining, ControlPersist) with
a control-path folder of its own, so the bench can see (and end) exactly its own SSH masters,
and the ansible.posix.profile_tasks callback, whose per-task times give the slow spots.
"""
import os
import signal
import sys

import hosts
import report
import timing

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SITE = os.path.join(ROOT, "playbooks", "site.yml")
PING = os.path.join(HERE, "playbooks", "ping.yml")
MANUAL = os.path.join(HERE, "baseline_manual.sh")
PFX_PASSWORD = "Bench-Only-Secret-1"  # throwaway hosts, throwaway secret
ROLE_VARS = {
    "rtvs_pfx_password": PFX_PASSWORD,
    "rtvs_daemon_install": False,            # the test double is baked into the prepared image
    "rtvs_linux_r_install_recommends": False,  # as the prepared image has it
}


def _log(message):
    sys.stderr.write("[bench] %s\n" % message)
    sys.stderr.flush()


def kill_ssh_masters(marker):
    """End the SSH ControlPersist masters this bench started under `marker` (by pid)."""
    needle = marker.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        # ansible's ssh clients, and masters whose title is "ssh: <control path> [mux]"
        if cmdline.startswith(b"ssh") and needle in cmdline:
            try:
                os.kill(int(name), signal.SIGTERM)
            except OSError:
                pass


class Runner:
    def __init__(self, work, logfile):
        self.work = work
        self.logfile = logfile
        self.cp_root = os.path.join(work, "cp")
        os.makedirs(self.cp_root, exist_ok=True)

    def env(self, tag):
        cp = os.path.join(self.cp_root, tag)
        os.makedirs(cp, exist_ok=True)
        return {
            "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": cp,
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
            "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "200",
            "ANSIBLE_NOCOLOR": "1",
        }

    def playbook_argv(self, inventory, playbook, forks=1):
        return [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
                "-f", str(forks), playbook]

    def run_setup_playbook(self, addresses, playbook):
        """Untimed helper runs (image preparation, seeding)."""
        inv = hosts.inventory(os.path.join(self.work, "setup-inventory.json"), addresses, ROLE_VARS)
        timing.run_once(timing.Command("setup " + os.path.basename(playbook),
                                       self.playbook_argv(inv, playbook, forks=max(1, len(addresses))),
                                       env=self.env("setup")), log=self.logfile)


def expect(changed):
    def check(text):
        counts = report.recap(text)
        assert counts, "no PLAY RECAP in the output"
        bad = [h for h, (ok, ch, unreachable, failed) in counts.items() if unreachable or failed]
        assert not bad, "hosts unreachable or failed: %s" % bad
        if changed:
            idle = [h for h, c in counts.items() if c[1] == 0]
            assert not idle, "a converge changed nothing on %s" % idle
        else:
            moved = {h: c[1] for h, c in counts.items() if c[1]}
            assert not moved, "idempotent rerun reported changes: %s" % moved
    return check


def bench_rerun(runner, image, repeats):
    """1. Idempotent rerun of site.yml on one host vs a one-task ping play on the same host."""
    host = hosts.PREFIX + "rerun"
    addresses = hosts.start([host], image)
    inv = hosts.inventory(os.path.join(runner.work, "rerun.json"), addresses, ROLE_VARS)
    env = runner.env("rerun")
    timing.run_once(timing.Command("converge before the reruns", runner.playbook_argv(inv, SITE), env=env,
                                   check=expect(True)), log=runner.logfile)
    commands = [
        timing.Command("ping play, same host", runner.playbook_argv(inv, PING), env=env, check=expect(False)),
        timing.Command("site.yml idempotent rerun", runner.playbook_argv(inv, SITE), env=env, check=expect(False),
                       parse=report.parse_task_profile),
    ]
    _log("benchmark 1: idempotent rerun vs ping, %d interleaved rounds" % repeats)
    m = timing.interleave(commands, repeats, warmup=1, log=runner.logfile, progress=timing.stderr_progress)
    hosts.remove([host])
    ours, base = report.median(m[commands[1].label]["seconds"]), report.median(m[commands[0].label]["seconds"])
    slow = report.task_medians(m[commands[1].label]["parsed"], top=12)
    return {
        "title": "1. Idempotent rerun of site.yml on 1 host vs a one-task ping play",
        "what": "Both over the same warm SSH ControlPersist connection (one untimed warm-up round); the rerun "
                "must report changed=0.",
        "rows": [{"label": c.label, "stats": report.summarize(m[c.label]["seconds"])} for c in commands],
        "comparisons": [report.compare("rerun / ping", ours, base, 3)],
        "table": _task_table(slow),
        "notes": [],
    }, slow


def _task_table(rows):
    return {"header": ["slowest tasks of ours (median s)", "seconds"],
            "rows": [[name.replace("|", "/"), "%.2f" % sec] for name, sec in rows]}


def bench_converge(runner, image, repeats):
    """2. Configuration converge on one host (packages installed) vs bench/baseline_manual.sh."""
    ours_host, manual_host = hosts.PREFIX + "conv-ours", hosts.PREFIX + "conv-manual"
    state = {}
    inv = os.path.join(runner.work, "converge.json")
    env_ours, env_manual = runner.env("conv-ours"), runner.env("conv-manual")

    def fresh_ours():
        kill_ssh_masters(env_ours["ANSIBLE_SSH_CONTROL_PATH_DIR"])
        hosts.inventory(inv, hosts.start([ours_host], image), ROLE_VARS)

    def fresh_manual():
        state["manual"] = hosts.start([manual_host], image)[manual_host]

    def manual_argv():
        return ["bash", MANUAL, "ansible@" + state["manual"], hosts.identity_file(), PFX_PASSWORD]

    commands = [
        timing.Command("baseline_manual.sh over one SSH connection", manual_argv, prepare=fresh_manual),
        timing.Command("site.yml converge (packages installed)", runner.playbook_argv(inv, SITE), env=env_ours,
                       prepare=fresh_ours, check=expect(True), parse=report.parse_task_profile),
    ]
    _log("benchmark 2: converge vs manual script, %d interleaved rounds (a fresh host before each run)" % repeats)
    m = timing.interleave(commands, repeats, warmup=1, log=runner.logfile, progress=timing.stderr_progress)
    kill_ssh_masters(env_ours["ANSIBLE_SSH_CONTROL_PATH_DIR"])
    hosts.remove([ours_host, manual_host])
    ours, base = report.median(m[commands[1].label]["seconds"]), report.median(m[commands[0].label]["seconds"])
    slow = report.task_medians(m[commands[1].label]["parsed"], top=12)
    return {
        "title": "2. Configuration converge on 1 host (packages installed) vs the seed's manual steps",
        "what": "Before every run (untimed) the host is recreated from the prepared image: packages installed, "
                "nothing configured, no SSH connection open. Ours runs all of site.yml (preflight, facts, "
                "certificate, PFX, access, config, service start, health probe from the controller); the "
                "baseline runs make-ssl-cert, openssl pkcs12, a JSON edit, chgrp/chmod and systemctl restart.",
        "rows": [{"label": c.label, "stats": report.summarize(m[c.label]["seconds"])} for c in commands],
        "comparisons": [report.compare("converge / manual script", ours, base, 2)],
        "table": _task_table(slow),
        "notes": [],
    }, slow


def bench_fleet(runner, image, sizes, repeats):
    """4. Fleet converge and rerun at several sizes, forks = hosts, with controller peak memory."""
    seconds = {(n, kind): [] for n in sizes for kind in ("converge", "rerun")}
    peaks = {(n, kind): [] for n in sizes for kind in ("converge", "rerun")}
    # CPU seconds of the run: the hosts (their containers' cgroup) and the rest of the machine (the
    # controller: ansible-playbook, its workers, ssh), which share this machine's cores
    cpu = {(n, kind): [] for n in sizes for kind in ("converge", "rerun")}
    names_all = [hosts.name(i) for i in range(1, max(sizes) + 1)]
    _log("benchmark 4: fleet %s, %d round(s), sizes rotated each round" % (sizes, repeats))
    for r in range(repeats):
        order = sizes[r % len(sizes):] + sizes[:r % len(sizes)]
        for n in order:
            env = runner.env("fleet")
            kill_ssh_masters(env["ANSIBLE_SSH_CONTROL_PATH_DIR"])
            hosts.remove(names_all)
            names = names_all[:n]
            inv = hosts.inventory(os.path.join(runner.work, "fleet.json"), hosts.start(names, image), ROLE_VARS)
            for kind, changed in (("converge", True), ("rerun", False)):
                cmd = timing.Command("%d hosts %s" % (n, kind), runner.playbook_argv(inv, SITE, forks=n), env=env,
                                     check=expect(changed))
                busy0, hosts0 = hosts.cpu_counters()
                sec, peak, _ = timing.run_once(cmd, memory_marker=env["ANSIBLE_SSH_CONTROL_PATH_DIR"],
                                               log=runner.logfile)
                busy1, hosts1 = hosts.cpu_counters()
                split = None
                if hosts0 is not None and hosts1 is not None:
                    split = (busy1 - busy0 - (hosts1 - hosts0), hosts1 - hosts0)
                    cpu[(n, kind)].append(split)
                timing.stderr_progress("round %d %s %.2fs, controller peak %.0f MiB%s" % (
                    r + 1, cmd.label, sec, peak / 1024.0,
                    ", CPU controller %.1f s + hosts %.1f s" % split if split else ""))
                seconds[(n, kind)].append(sec)
                peaks[(n, kind)].append(peak)
    kill_ssh_masters(runner.env("fleet")["ANSIBLE_SSH_CONTROL_PATH_DIR"])
    hosts.remove(names_all)
    def cpu_cell(n, kind):
        if not cpu[(n, kind)]:
            return "n/a"
        return "%.1f s + %.1f s" % (report.median([c for c, _h in cpu[(n, kind)]]),
                                    report.median([h for _c, h in cpu[(n, kind)]]))

    table_rows = []
    for n in sizes:
        c, re_ = report.median(seconds[(n, "converge")]), report.median(seconds[(n, "rerun")])
        table_rows.append([n, "%.2f s" % c, "%.2f" % (c / report.median(seconds[(sizes[0], "converge")])),
                           "%.2f s" % re_, "%.2f" % (re_ / report.median(seconds[(sizes[0], "rerun")])),
                           cpu_cell(n, "converge"), cpu_cell(n, "rerun"),
                           "%.0f MiB" % (max(peaks[(n, "converge")] + peaks[(n, "rerun")]) / 1024.0)])
    notes = []
    big = sizes[-1]
    if cpu[(big, "converge")] and len(sizes) > 1:
        cores = os.cpu_count() or 1
        ctl = report.median([c for c, _h in cpu[(big, "converge")]])
        floor = ctl / cores
        notes.append("CPU at %d hosts (converge): controller %.1f s, hosts %.1f s, on %d cores shared by both. "
                     "Were the hosts on their own CPUs (a real fleet), the controller's own CPU time alone would "
                     "take at least %.1f s on these %d cores = %.2fx the 1-host converge: the floor of the "
                     "ratio on this controller (a projection from the measured CPU, not a measurement)." % (
                         big, ctl, report.median([h for _c, h in cpu[(big, "converge")]]), cores, floor, cores,
                         floor / report.median(seconds[(sizes[0], "converge")])))
    comparisons = []
    if len(sizes) > 1:
        big, small = sizes[-1], sizes[0]
        for kind in ("converge", "rerun"):
            comparisons.append(report.compare("%s: %d hosts / %d host" % (kind, big, small),
                                              report.median(seconds[(big, kind)]),
                                              report.median(seconds[(small, kind)]), 4))
    return {
        "title": "4. Fleet: converge and idempotent rerun, forks = hosts",
        "what": "Each round recreates the hosts from the prepared image, then times a converge and a rerun "
                "(sizes in rotated order each round). Peak memory is the summed PSS of ansible-playbook, its "
                "workers and the SSH clients and ControlPersist masters, sampled every 0.1 s. CPU is "
                "controller + hosts: the hosts' share is their containers' cgroup CPU time, the controller's "
                "the rest of the machine's busy time (/proc/stat) during the run.",
        "rows": [],
        "table": {"header": ["hosts", "converge (median)", "x 1 host", "rerun (median)", "x 1 host",
                             "CPU converge (controller + hosts)", "CPU rerun (controller + hosts)",
                             "controller peak memory"],
                  "rows": table_rows},
        "comparisons": comparisons,
        "notes": notes,
        "raw": {"%d %s" % k: {"seconds": v, "peak_kib": peaks[k], "cpu_controller_hosts": cpu[k]}
                for k, v in seconds.items()},
    }


def run(args, only, work, logfile, emit):
    """Run benchmarks 1, 2, 4 and 5 as selected; emit(section) as each one finishes."""
    runner = Runner(work, logfile)
    image = hosts.prepared_image(runner.run_setup_playbook, _log)
    slow_spots = {}
    try:
        if 1 in only:
            section, slow_spots["rerun"] = bench_rerun(runner, image, args.repeats)
            emit(section)
        if 2 in only:
            section, slow_spots["converge"] = bench_converge(runner, image, args.repeats)
            emit(section)
        if 4 in only:
            sizes = [int(x) for x in args.fleet.split(",") if x.strip()]
            emit(bench_fleet(runner, image, sizes, args.fleet_repeats))
        if 5 in only:
            import doctor_bench  # noqa: E402  pylint: disable=import-outside-toplevel
            emit(doctor_bench.bench_doctor(runner, image, args.doctor_fleet, args.doctor_repeats))
    finally:
        kill_ssh_masters(runner.cp_root)
        if not args.keep_hosts:
            hosts.remove_network()
