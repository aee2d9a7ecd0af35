"""rtvs.remote benchmarks: five comparisons against baselines, measured in one invocation.

  1. idempotent rerun of playbooks/site.yml on 1 host  vs  a one-task ansible.builtin.ping play
  2. configuration converge on 1 host (packages installed)  vs  bench/baseline_manual.sh over one SSH connection
  3. certificate + PFX on localhost: rtvs.remote modules  vs  community.crypto
  4. fleet of 1/5/10/20 hosts: converge and idempotent rerun, forks = hosts; controller peak memory
  5. controller CPU per additional host: idempotent rerun vs a ping play, at 1 and 20 hosts
  6. the doctor over 20 hosts vs over 1 host (bench/doctor_bench.py; not in the default --only)

Run it with bench/run.sh (sets up the environment). Results: bench/results/latest.md and .json.
See docs/performance.md for the method.
"""
import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import report  # noqa: E402  pylint: disable=wrong-import-position
import timing  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOKS = os.path.join(HERE, "playbooks")
PFX_PASSWORD = "Bench-Only-Secret-1"  # a throwaway value for throwaway files


def log(message):
    sys.stderr.write("[bench %s] %s\n" % (datetime.datetime.now().strftime("%H:%M:%S"), message))
    sys.stderr.flush()


def ansible_playbook():
    return os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def expect_changed(text):
    hosts = report.recap(text)
    assert hosts, "no PLAY RECAP in the output"
    unchanged = [h for h, counts in hosts.items() if counts[1] == 0]
    assert not unchanged, "expected changes (a real converge) but these hosts had none: %s" % unchanged


def expect_unchanged(text):
    hosts = report.recap(text)
    assert hosts, "no PLAY RECAP in the output"
    changed = {h: counts[1] for h, counts in hosts.items() if counts[1]}
    assert not changed, "idempotent rerun reported changes: %s" % changed


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2.0 ** 30
    ansible = subprocess.run([sys.executable, "-c", "import ansible; print(ansible.__version__)"],
                             capture_output=True, text=True, check=False).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "memory": "%.1f GiB" % mem_gib,
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "ansible-core": ansible,
        "load average at start": "%.2f %.2f %.2f" % os.getloadavg(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def stats_rows(measured, labels):
    return [{"label": label, "stats": report.summarize(measured[label]["seconds"])} for label in labels]


def med(measured, label):
    return report.median(measured[label]["seconds"])


# ---------------------------------------------------------------- benchmark 3 (localhost)

def bench_cert_pfx(repeats, work, logfile):
    """rtvs.remote.broker_certificate + rtvs.remote.pfx vs community.crypto, fresh and rerun."""
    local = [ansible_playbook(), "-i", "localhost,", "-c", "local",
             "-e", "ansible_python_interpreter=%s" % sys.executable,
             "-e", "bench_fqdn=rtvs.example.com", "-e", "bench_pfx_password=%s" % PFX_PASSWORD]

    def play(name, folder):
        return local + ["-e", "bench_dir=%s" % folder, os.path.join(PLAYBOOKS, name + ".yml")]

    def fresh(folder):
        def prepare():
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
        return prepare

    keys = ("ours-fresh", "crypto-fresh", "ours-rerun", "crypto-rerun", "module-fresh", "module-rerun")
    dirs = {k: os.path.join(work, "cert_pfx", k) for k in keys}
    # ours again with RTVS_REMOTE_INPROCESS=0: the modules as separate processes, as community.crypto's run
    module_way = dict(os.environ, RTVS_REMOTE_INPROCESS="0")
    for key in ("ours-rerun", "crypto-rerun", "module-rerun"):
        fresh(dirs[key])()
        name = "cert_pfx_crypto" if key.startswith("crypto") else "cert_pfx_ours"
        timing.run_once(timing.Command("seed " + key, play(name, dirs[key]), check=expect_changed,
                                       env=module_way if key.startswith("module") else None), log=logfile)
    commands = [
        timing.Command("floor: ping play (localhost)", local + [os.path.join(PLAYBOOKS, "ping.yml")]),
        timing.Command("ours, new files", play("cert_pfx_ours", dirs["ours-fresh"]),
                       prepare=fresh(dirs["ours-fresh"]), check=expect_changed),
        timing.Command("community.crypto, new files", play("cert_pfx_crypto", dirs["crypto-fresh"]),
                       prepare=fresh(dirs["crypto-fresh"]), check=expect_changed),
        timing.Command("ours, rerun", play("cert_pfx_ours", dirs["ours-rerun"]), check=expect_unchanged),
        timing.Command("community.crypto, rerun", play("cert_pfx_crypto", dirs["crypto-rerun"]),
                       check=expect_unchanged),
        timing.Command("ours as module processes, new files", play("cert_pfx_ours", dirs["module-fresh"]),
                       env=module_way, prepare=fresh(dirs["module-fresh"]), check=expect_changed),
        timing.Command("ours as module processes, rerun", play("cert_pfx_ours", dirs["module-rerun"]),
                       env=module_way, check=expect_unchanged),
    ]
    log("benchmark 3: certificate + PFX on localhost, %d interleaved rounds" % repeats)
    m = timing.interleave(commands, repeats, warmup=1, log=logfile, progress=timing.stderr_progress)
    floor = med(m, commands[0].label)
    comparisons = []
    notes = []
    for case, ours_label, base_label in (("new files", commands[1].label, commands[2].label),
                                         ("rerun", commands[3].label, commands[4].label),
                                         ("new files, ours as module processes", commands[5].label, commands[2].label),
                                         ("rerun, ours as module processes", commands[6].label, commands[4].label)):
        ours, base = med(m, ours_label), med(m, base_label)
        ours_tasks, base_tasks = ours - floor, base - floor
        if ours_tasks > 0 and base_tasks > 0:
            comparisons.append(report.compare(
                "%s, module time (wall minus the ping-play floor)" % case, ours_tasks, base_tasks, 2,
                kind=report.MIN_SPEEDUP,
                note="%.2f s vs %.2f s" % (ours_tasks, base_tasks)))
        comparisons.append(report.compare(
            "%s, whole ansible-playbook wall time" % case, ours, base, 2, kind=report.MIN_SPEEDUP,
            note="includes %.2f s of ansible-playbook start-up common to both" % floor))
    notes.append("Same result on both sides: 2048-bit RSA key (0600), self-signed CN=rtvs.example.com with SAN "
                 "DNS/DNS/IP and serverAuth, 365 days, PFX 0640 with 3DES/SHA-1. community.crypto needs a CSR "
                 "(openssl_csr_pipe, in memory) to carry the names: 4 module calls against our 2. Ours runs "
                 "in the controller's process (action plugins, docs/architecture.md); the 'as module processes' "
                 "rows run the same two modules with RTVS_REMOTE_INPROCESS=0, as separate processes like "
                 "community.crypto's. Where ours takes less than the ping play, module time is not computed.")
    return {
        "title": "3. Certificate + PFX on one host (localhost): rtvs.remote vs community.crypto",
        "what": "Each round runs all seven commands in rotated order. 'new files' deletes the output folder "
                "first (untimed); 'rerun' finds correct files and must report no change.",
        "rows": stats_rows(m, [c.label for c in commands]),
        "comparisons": comparisons,
        "notes": notes,
    }


# ---------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="1,2,3,4,5", help="comma-separated benchmark numbers (default all)")
    p.add_argument("--repeats", type=int, default=5, help="timed rounds for benchmarks 1 and 2 (default 5)")
    p.add_argument("--cert-repeats", type=int, default=7, help="timed rounds for benchmark 3 (default 7)")
    p.add_argument("--fleet", default="1,5,10,20", help="fleet sizes for benchmark 4 (default 1,5,10,20)")
    p.add_argument("--fleet-repeats", type=int, default=2,
                   help="converge + rerun pairs per fleet size (default 2; 20 hosts on 2 cores is heavy)")
    p.add_argument("--host-cost-hosts", type=int, default=20, help="fleet size of benchmark 5 (default 20)")
    p.add_argument("--host-cost-repeats", type=int, default=2,
                   help="rounds of ping and rerun at 1 and N hosts for benchmark 5 (default 2)")
    p.add_argument("--doctor-fleet", type=int, default=20, help="hosts for benchmark 6 (default 20)")
    p.add_argument("--doctor-repeats", type=int, default=3, help="timed rounds for benchmark 6 (default 3)")
    p.add_argument("--out", default=os.path.join(HERE, "results"), help="where latest.md/latest.json go")
    p.add_argument("--keep-hosts", action="store_true", help="leave the bench- test hosts running")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    only = {int(x) for x in args.only.split(",") if x.strip()}
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="rtvs-bench-")
    results = {"machine": machine_info(), "settings": {"repeats (1, 2)": args.repeats,
                                                      "repeats (3)": args.cert_repeats,
                                                      "fleet": args.fleet,
                                                      "fleet repeats": args.fleet_repeats,
                                                      "host-cost hosts (5)": args.host_cost_hosts,
                                                      "host-cost repeats (5)": args.host_cost_repeats,
                                                      "doctor fleet (6)": args.doctor_fleet,
                                                      "doctor repeats (6)": args.doctor_repeats},
               "sections": []}
    log_path = os.path.join(work, "bench.log")
    log("work folder %s (full ansible output in %s)" % (work, log_path))

    def emit(section):
        """Keep a finished benchmark and rewrite the results at once (a later failure keeps it)."""
        results["sections"].append(section)
        results["sections"].sort(key=lambda s: s["title"])
        with open(os.path.join(args.out, "latest.md"), "w") as fh:
            fh.write(report.render_markdown(results))
        with open(os.path.join(args.out, "latest.json"), "w") as fh:
            fh.write(report.render_json(results))

    with open(log_path, "w") as logfile:
        if 3 in only:
            emit(bench_cert_pfx(args.cert_repeats, work, logfile))
        if only & {1, 2, 4, 5, 6}:
            import fleet  # noqa: E402  pylint: disable=import-outside-toplevel
            fleet.run(args, only, work, logfile, emit)
    sys.stdout.write(report.render_markdown(results))
    sys.stdout.write("\nSummary:\n" + "\n".join(report.summary_lines(results)) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
