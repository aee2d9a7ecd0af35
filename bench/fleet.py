"""Benchmarks 1, 2, 4 and 5: playbooks/site.yml against podman test hosts (bench/hosts.py).

Every ansible-playbook run uses the repository's ansible.cfg (pipelining, ControlPersist) with
a control-path folder of its own, so the bench can see (and end) exactly its own SSH masters,
and the ansible.posix.profile_tasks callback, whose per-task times give the slow spots.
"""
import os
import resource
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


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _controller_cpu(runner, cmd, env):
    """(wall seconds, controller CPU seconds, hosts CPU seconds or None) of one run.

    The controller's CPU is that of the ansible-playbook process tree (its workers are its children, reaped
    before it exits), from getrusage(RUSAGE_CHILDREN): unlike the machine's busy time it holds nothing of
    other work on a shared machine. Detached SSH ControlPersist masters are not in it (their share is small).
    """
    _busy0, hosts0 = hosts.cpu_counters()
    own0 = _children_cpu()
    sec, _peak, _ = timing.run_once(cmd, memory_marker=env["ANSIBLE_SSH_CONTROL_PATH_DIR"], log=runner.logfile)
    own1 = _children_cpu()
    _busy1, hosts1 = hosts.cpu_counters()
    return sec, own1 - own0, (hosts1 - hosts0) if hosts0 is not None and hosts1 is not None else None


def bench_host_cost(runner, image, big, repeats):
    """5. Controller CPU per additional host: ping play vs idempotent rerun at 1 and at ``big`` hosts.

    A fleet is bounded by the controller's CPU per host. The hosts are converged untimed for the CPU split
    (host 1 alone, then the others together: that gives the converge's per-host cost too), then each round
    runs the ping play and the rerun at 1 and at ``big`` hosts (forks = hosts), CPU split as benchmark 4.
    """
    names = [hosts.name(i) for i in range(1, big + 1)]
    env = runner.env("hostcost")
    kill_ssh_masters(env["ANSIBLE_SSH_CONTROL_PATH_DIR"])
    hosts.remove(names)
    addresses = hosts.start(names, image)
    one = hosts.inventory(os.path.join(runner.work, "hostcost-1.json"), {names[0]: addresses[names[0]]}, ROLE_VARS)
    rest = hosts.inventory(os.path.join(runner.work, "hostcost-rest.json"),
                           dict((n, addresses[n]) for n in names[1:]), ROLE_VARS)
    every = hosts.inventory(os.path.join(runner.work, "hostcost-all.json"), addresses, ROLE_VARS)
    _log("benchmark 5: controller CPU per host, converge 1 + %d, then %d round(s) of ping and rerun at 1 and %d"
         % (big - 1, repeats, big))
    cpu = {}
    for label, inv, forks in (("converge 1", one, 1), ("converge %d" % (big - 1), rest, big - 1)):
        cmd = timing.Command(label, runner.playbook_argv(inv, SITE, forks=forks), env=env, check=expect(True))
        cpu[label] = [_controller_cpu(runner, cmd, env)]
        timing.stderr_progress("%s: %.1f s, controller CPU %.1f s" % (label, cpu[label][0][0], cpu[label][0][1]))
    runs = []
    for n, inv in ((1, one), (big, every)):
        runs.append(("ping %d" % n, runner.playbook_argv(inv, PING, forks=n)))
        runs.append(("rerun %d" % n, runner.playbook_argv(inv, SITE, forks=n)))
    for r in range(repeats):
        order = runs[r % len(runs):] + runs[:r % len(runs)]
        for label, argv in order:
            cmd = timing.Command(label, argv, env=env, check=expect(False))
            cpu.setdefault(label, []).append(_controller_cpu(runner, cmd, env))
            timing.stderr_progress("round %d %s: %.1f s, controller CPU %.1f s" % (
                r + 1, label, cpu[label][-1][0], cpu[label][-1][1]))
    kill_ssh_masters(env["ANSIBLE_SSH_CONTROL_PATH_DIR"])
    hosts.remove(names)

    def ctl(label):
        return report.median([c for _s, c, _h in cpu[label]])

    def per_host(small_label, big_label, extra):
        return (ctl(big_label) - ctl(small_label)) / float(extra)

    ping = per_host("ping 1", "ping %d" % big, big - 1)
    rerun = per_host("rerun 1", "rerun %d" % big, big - 1)
    converge = per_host("converge 1", "converge %d" % (big - 1), big - 2)
    rows = []
    for label in ["converge 1", "converge %d" % (big - 1), "ping 1", "ping %d" % big, "rerun 1", "rerun %d" % big]:
        host_cpu = [h for _s, _c, h in cpu[label] if h is not None]
        rows.append([label, "%.2f s" % report.median([s for s, _c, _h in cpu[label]]), "%.2f s" % ctl(label),
                     "%.2f s" % report.median(host_cpu) if host_cpu else "n/a", len(cpu[label])])
    comparisons = [report.compare("controller CPU per additional host: rerun / ping", max(rerun, 1e-6),
                                  max(ping, 1e-6), 3,
                                  note="rerun %.3f CPU-s/host, ping %.3f CPU-s/host" % (rerun, ping))]
    return {
        "title": "5. Controller CPU per additional host: idempotent rerun vs ping play",
        "what": "Controller CPU = user + system CPU of the ansible-playbook process tree (getrusage of the reaped "
                "children), so other work on the machine does not count; hosts CPU = their containers' cgroup CPU "
                "time (as benchmark 4). Per additional host = (CPU at %d hosts - CPU at 1 host) / %d, forks = "
                "hosts; the converge's from host 1 alone and the other %d together (%d - 1 hosts apart)."
                % (big, big - 1, big - 1, big - 1),
        "rows": [],
        "table": {"header": ["run", "wall (median)", "controller CPU (median)", "hosts CPU (median)", "runs"],
                  "rows": rows},
        "comparisons": comparisons,
        "notes": ["Per additional host, controller CPU: ping %.3f s, idempotent rerun %.3f s (%.2fx ping), "
                  "converge %.3f s. At 1000 hosts the rerun would cost the controller about %.0f CPU-minutes."
                  % (ping, rerun, rerun / ping if ping > 0 else float("inf"), converge, rerun * 1000 / 60.0)],
        "raw": dict((k, v) for k, v in cpu.items()),
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
            emit(bench_host_cost(runner, image, args.host_cost_hosts, args.host_cost_repeats))
        if 6 in only:
            import doctor_bench  # noqa: E402  pylint: disable=import-outside-toplevel
            emit(doctor_bench.bench_doctor(runner, image, args.doctor_fleet, args.doctor_repeats))
    finally:
        kill_ssh_masters(runner.cp_root)
        if not args.keep_hosts:
            hosts.remove_network()
