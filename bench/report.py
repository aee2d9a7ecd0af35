"""Statistics and report rendering for bench/run.py (pure Python, no Ansible, no I/O).

A benchmark compares "ours" with a baseline measured in the same invocation. Each
comparison has a target: either ours/baseline must stay at or below a limit
(``max_ratio``: "rerun within 3x of a ping play") or baseline/ours must reach a
floor (``min_speedup``: "at least 2x faster than community.crypto").
"""
import json
import math
import re

MAX_RATIO = "max_ratio"
MIN_SPEEDUP = "min_speedup"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(text):
    """{host: (ok, changed, unreachable, failed)} from an ansible-playbook PLAY RECAP."""
    return {m.group(1): tuple(int(m.group(i)) for i in range(2, 6)) for m in RECAP.finditer(text)}


def median(samples):
    """Median of a non-empty sequence of numbers."""
    values = sorted(float(s) for s in samples)
    if not values:
        raise ValueError("median() of no samples")
    mid = len(values) // 2
    if len(values) % 2:
        return values[mid]
    return (values[mid - 1] + values[mid]) / 2.0


def summarize(samples):
    """Median, min, max, count and the raw samples (seconds) of one measured command."""
    values = [float(s) for s in samples]
    return {
        "median": median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "samples": values,
    }


def ratio(numerator, denominator):
    """numerator/denominator; refuses a non-positive denominator instead of dividing by it."""
    if denominator <= 0:
        raise ValueError("ratio needs a positive denominator, got %r" % (denominator,))
    return float(numerator) / float(denominator)


def compare(name, ours, baseline, target, kind=MAX_RATIO, note=""):
    """Judge one comparison from the two medians (seconds).

    kind=max_ratio:   value = ours/baseline, met when value <= target.
    kind=min_speedup: value = baseline/ours, met when value >= target.
    ``margin`` is how far the value is from the target as a fraction of the target:
    negative means missed by that much (e.g. -0.25 = 25 % worse than the target).
    """
    if kind == MAX_RATIO:
        value = ratio(ours, baseline)
        met = value <= target
        margin = (target - value) / target
    elif kind == MIN_SPEEDUP:
        value = ratio(baseline, ours)
        met = value >= target
        margin = (value - target) / target
    else:
        raise ValueError("unknown comparison kind %r" % (kind,))
    return {
        "name": name,
        "ours": float(ours),
        "baseline": float(baseline),
        "kind": kind,
        "value": value,
        "target": float(target),
        "met": met,
        "margin": margin,
        "note": note,
    }


def describe(comparison):
    """One line: value against target and how far off it is."""
    c = comparison
    if c["kind"] == MAX_RATIO:
        text = "ours/baseline = %.2fx (target <= %gx)" % (c["value"], c["target"])
    else:
        text = "baseline/ours = %.2fx faster (target >= %gx)" % (c["value"], c["target"])
    if c["met"]:
        return "%s: met" % text
    return "%s: MISSED by %.0f %%" % (text, abs(c["margin"]) * 100)


def _fmt(seconds):
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    return "%.2f s" % seconds


def render_markdown(results):
    """Markdown for bench/results/latest.md from the dict run.py builds.

    results = {"machine": {...}, "settings": {...}, "sections": [
        {"title", "what", "rows": [{"label", "stats"}], "comparisons": [...], "notes": [...],
         "table": {"header": [...], "rows": [[...]]} (optional)}]}
    """
    out = ["# rtvs.remote benchmark results", ""]
    machine = results.get("machine", {})
    if machine:
        out.append("Machine: " + ", ".join("%s %s" % (k, v) for k, v in machine.items()))
        out.append("")
    settings = results.get("settings", {})
    if settings:
        out.append("Settings: " + ", ".join("%s=%s" % (k, v) for k, v in settings.items()))
        out.append("")
    for section in results.get("sections", []):
        out.append("## " + section["title"])
        out.append("")
        if section.get("what"):
            out.append(section["what"])
            out.append("")
        rows = section.get("rows", [])
        if rows:
            out.append("| command | median | min | max | runs |")
            out.append("|---|---|---|---|---|")
            for row in rows:
                s = row["stats"]
                out.append("| %s | %s | %s | %s | %d |" % (
                    row["label"], _fmt(s["median"]), _fmt(s["min"]), _fmt(s["max"]), s["n"]))
            out.append("")
        table = section.get("table")
        if table:
            out.append("| " + " | ".join(table["header"]) + " |")
            out.append("|" + "---|" * len(table["header"]))
            for trow in table["rows"]:
                out.append("| " + " | ".join(str(x) for x in trow) + " |")
            out.append("")
        for comp in section.get("comparisons", []):
            line = "- **%s**: %s" % (comp["name"], describe(comp))
            if comp.get("note"):
                line += " (%s)" % comp["note"]
            out.append(line)
        for note in section.get("notes", []):
            out.append("- " + note)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_json(results):
    """Stable JSON text of the same results (sorted keys, for diffs between runs)."""
    return json.dumps(results, indent=2, sort_keys=True) + "\n"


def summary_lines(results):
    """The short console summary: one line per comparison."""
    lines = []
    for section in results.get("sections", []):
        for comp in section.get("comparisons", []):
            lines.append("%s | %s: %s" % (section["title"], comp["name"], describe(comp)))
    return lines


def parse_task_profile(text):
    """{task name: seconds} from the TASKS RECAP of the ansible.posix.profile_tasks callback.

    The same task name seen twice (e.g. in two plays) is summed.
    """
    times = {}
    _, sep, recap = text.rpartition("TASKS RECAP")
    if not sep:
        return times
    for line in recap.splitlines():
        line = line.rstrip()
        if not line.endswith("s") or " -" not in line:
            continue
        head, _, tail = line.rpartition(" ")
        name = head.rstrip("-").rstrip()
        try:
            seconds = float(tail[:-1])
        except ValueError:
            continue
        if name:
            times[name] = times.get(name, 0.0) + seconds
    return times


def task_medians(profiles, top=None):
    """[(task, median seconds)] over several runs' profiles, slowest first (missing = 0 s)."""
    names = set()
    for p in profiles:
        names.update(p)
    rows = [(n, median([p.get(n, 0.0) for p in profiles])) for n in names]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return rows[:top] if top else rows
