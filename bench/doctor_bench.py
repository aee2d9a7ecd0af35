"""Benchmark 6: the doctor (playbooks/doctor.yml) over a fleet of N hosts vs over 1 host (issue 15: at most 4x).

The hosts are converged once (untimed) with site.yml, so the doctor sees healthy brokers; then the doctor is
timed over the first host only (--limit) and over all of them (forks = hosts), interleaved. Every probe goes
to ansible_host (the controller cannot resolve the test hosts' names), as after `make site`.
Run: bench/run.sh --only 6 [--doctor-fleet 20] [--doctor-repeats 3].
"""
import os

import fleet
import hosts
import report
import timing

DOCTOR = os.path.join(fleet.ROOT, "playbooks", "doctor.yml")


def _doctor_ok(text):
    counts = report.recap(text)
    assert counts, "no PLAY RECAP in the output"
    bad = [h for h, (_ok, _changed, unreachable, failed) in counts.items() if unreachable or failed]
    assert not bad, "the doctor failed or could not reach: %s (a converged host must not fail a check)" % bad


def bench_doctor(runner, image, size, repeats):
    names = [hosts.name(i) for i in range(1, size + 1)]
    env = runner.env("doctor")
    fleet.kill_ssh_masters(env["ANSIBLE_SSH_CONTROL_PATH_DIR"])
    hosts.remove(names)
    inv = hosts.inventory(os.path.join(runner.work, "doctor.json"), hosts.start(names, image), fleet.ROLE_VARS)
    timing.run_once(timing.Command("converge before the doctor", runner.playbook_argv(inv, fleet.SITE, forks=size),
                                   env=env, check=fleet.expect(True)), log=runner.logfile)
    one = runner.playbook_argv(inv, DOCTOR, forks=1) + ["--limit", names[0]]
    commands = [
        timing.Command("doctor, 1 host", one, env=env, check=_doctor_ok),
        timing.Command("doctor, %d hosts" % size, runner.playbook_argv(inv, DOCTOR, forks=size), env=env,
                       check=_doctor_ok),
    ]
    fleet._log("benchmark 6: doctor over 1 vs %d hosts, %d interleaved rounds" % (size, repeats))
    m = timing.interleave(commands, repeats, warmup=1, log=runner.logfile, progress=timing.stderr_progress)
    fleet.kill_ssh_masters(env["ANSIBLE_SSH_CONTROL_PATH_DIR"])
    hosts.remove(names)
    many, single = report.median(m[commands[1].label]["seconds"]), report.median(m[commands[0].label]["seconds"])
    return {
        "title": "6. Doctor over %d hosts vs 1 host" % size,
        "what": "Hosts converged once with site.yml (untimed); playbooks/doctor.yml (read-only facts on each host, "
                "probes from the controller: TCP, TLS 1.2, three legacy handshakes, trust, /info/about) timed "
                "over the first host (--limit) and over all, forks = hosts, one untimed warm-up round.",
        "rows": [{"label": c.label, "stats": report.summarize(m[c.label]["seconds"])} for c in commands],
        "comparisons": [report.compare("doctor: %d hosts / 1 host" % size, many, single, 4)],
        "notes": [],
    }
