"""The statistics and report code of bench/ (bench/report.py)."""
import json
import os
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench")
sys.path.insert(0, BENCH)
import report  # noqa: E402  pylint: disable=wrong-import-position


def test_median_odd_even_and_unsorted():
    assert report.median([3, 1, 2]) == 2
    assert report.median([4, 1, 3, 2]) == 2.5
    assert report.median([7]) == 7


def test_median_ignores_outlier_unlike_mean():
    assert report.median([1.0, 1.1, 1.2, 50.0, 1.05]) == 1.1


def test_median_of_nothing_refused():
    with pytest.raises(ValueError):
        report.median([])


def test_summarize():
    s = report.summarize([2.0, 1.0, 4.0])
    assert s == {"median": 2.0, "min": 1.0, "max": 4.0, "n": 3, "samples": [2.0, 1.0, 4.0]}


def test_ratio_refuses_zero_denominator():
    assert report.ratio(3, 1.5) == 2.0
    with pytest.raises(ValueError):
        report.ratio(1, 0)


def test_max_ratio_met_and_missed():
    ok = report.compare("rerun vs ping", ours=5.0, baseline=2.0, target=3)
    assert ok["value"] == 2.5 and ok["met"] is True
    assert ok["margin"] == pytest.approx(1 / 6)
    bad = report.compare("rerun vs ping", ours=8.0, baseline=2.0, target=3)
    assert bad["value"] == 4.0 and bad["met"] is False
    assert bad["margin"] == pytest.approx(-1 / 3)
    assert "MISSED by 33 %" in report.describe(bad)
    assert report.describe(ok).endswith(": met")


def test_max_ratio_boundary_is_met():
    assert report.compare("x", ours=6.0, baseline=2.0, target=3)["met"] is True


def test_min_speedup_uses_baseline_over_ours():
    fast = report.compare("cert", ours=1.0, baseline=2.5, target=2, kind=report.MIN_SPEEDUP)
    assert fast["value"] == 2.5 and fast["met"] is True
    slow = report.compare("cert", ours=1.0, baseline=1.5, target=2, kind=report.MIN_SPEEDUP)
    assert slow["value"] == 1.5 and slow["met"] is False
    assert slow["margin"] == pytest.approx(-0.25)
    assert "baseline/ours = 1.50x faster (target >= 2x): MISSED by 25 %" == report.describe(slow)


def test_unknown_kind_refused():
    with pytest.raises(ValueError):
        report.compare("x", 1, 1, 1, kind="fastest")


def _results():
    return {
        "machine": {"nproc": 2, "cpu": "AMD EPYC"},
        "settings": {"repeats": 3},
        "sections": [{
            "title": "3. Certificate + PFX",
            "what": "fresh files each run",
            "rows": [
                {"label": "ours", "stats": report.summarize([1.0, 1.2, 1.1])},
                {"label": "community.crypto", "stats": report.summarize([3.0, 3.3, 2.9])},
            ],
            "comparisons": [report.compare("fresh", 1.1, 3.0, 2, kind=report.MIN_SPEEDUP, note="task time")],
            "table": {"header": ["hosts", "converge"], "rows": [[1, "1.00 s"], [20, "3.00 s"]]},
            "notes": ["peak memory 300 MiB"],
        }],
    }


def test_markdown_has_medians_ratios_machine_and_tables():
    md = report.render_markdown(_results())
    assert "Machine: nproc 2, cpu AMD EPYC" in md
    assert "## 3. Certificate + PFX" in md
    assert "| ours | 1.10 s | 1.00 s | 1.20 s | 3 |" in md
    assert "| community.crypto | 3.00 s | 2.90 s | 3.30 s | 3 |" in md
    assert "baseline/ours = 2.73x faster (target >= 2x): met (task time)" in md
    assert "| 20 | 3.00 s |" in md
    assert "- peak memory 300 MiB" in md


def test_json_round_trips_and_summary_lines():
    data = _results()
    assert json.loads(report.render_json(data)) == data
    lines = report.summary_lines(data)
    assert lines == ["3. Certificate + PFX | fresh: baseline/ours = 2.73x faster (target >= 2x): met"]


PROFILE_OUTPUT = """PLAY RECAP *********
h1 : ok=3 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0

TASKS RECAP ********************************************************************
Wednesday 25 November 2026  23:26:14 +0000 (0:00:03.585)       0:00:03.728 ****
===============================================================================
rtvs.remote.linux_broker : Key and certificate on the host ------------- 1.25s
Gather the distribution facts only - with dashes -------------------------- 0.50s
Ping -------------------------------------------------------------------- 0.10s
Ping -------------------------------------------------------------------- 0.05s
"""


def test_parse_task_profile_reads_names_with_dashes_and_sums_repeats():
    times = report.parse_task_profile(PROFILE_OUTPUT)
    assert times == {
        "rtvs.remote.linux_broker : Key and certificate on the host": 1.25,
        "Gather the distribution facts only - with dashes": 0.5,
        "Ping": pytest.approx(0.15),
    }


def test_parse_task_profile_without_recap_is_empty():
    assert report.parse_task_profile("PLAY RECAP\nh1 : ok=1") == {}


def test_task_medians_slowest_first_missing_counts_as_zero():
    rows = report.task_medians([{"a": 1.0, "b": 3.0}, {"a": 2.0, "b": 5.0}, {"b": 4.0}])
    assert rows == [("b", 4.0), ("a", 1.0)]
    assert report.task_medians([{"a": 1.0, "b": 3.0}], top=1) == [("b", 3.0)]


def test_recap_reads_every_host():
    text = ("PLAY RECAP ****\n"
            "bench-rtvs-01              : ok=20   changed=7    unreachable=0    failed=0    skipped=3\n"
            "bench-rtvs-02              : ok=19   changed=0    unreachable=1    failed=2    skipped=3\n")
    assert report.recap(text) == {"bench-rtvs-01": (20, 7, 0, 0), "bench-rtvs-02": (19, 0, 1, 2)}
    assert report.recap("no recap here") == {}


# bench/timing.py: the interleaved runner and the memory sampler the report figures come from.
import timing  # noqa: E402  pylint: disable=wrong-import-position,wrong-import-order


def _py(code):
    return [sys.executable, "-c", code]


def test_interleave_rotates_order_and_skips_warmup(tmp_path):
    trace = tmp_path / "trace"
    cmds = [timing.Command(label, _py("open(%r, 'a').write(%r)" % (str(trace), label))) for label in "ABC"]
    result = timing.interleave(cmds, repeats=2, warmup=1)
    assert trace.read_text() == "ABC" + "BCA" + "CAB"
    assert all(len(result[label]["seconds"]) == 2 for label in "ABC")
    assert all(s > 0 for label in "ABC" for s in result[label]["seconds"])


def test_failed_command_or_failed_check_stops_the_bench():
    with pytest.raises(timing.CommandFailed, match="rc=3"):
        timing.run_once(timing.Command("bad", _py("raise SystemExit(3)")))

    def must_say_ok(text):
        assert "ok" in text, "no ok"

    with pytest.raises(timing.CommandFailed, match="no ok"):
        timing.run_once(timing.Command("quiet", _py("print('nope')"), check=must_say_ok))


def test_memory_sampler_sees_a_child_of_the_session():
    code = "import time; b = bytearray(60 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.6)"
    seconds, peak_kib, _output = timing.run_once(timing.Command("alloc", _py(code)), memory_marker="")
    assert seconds >= 0.6
    assert peak_kib > 50 * 1024
