# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's fleet view: every host report of a run, summarised for people and shared by the renderers.

Pure Python, no Ansible imports. :func:`hosts` normalises what the filters get (the all-hosts report
of ``doctor_summary``, a ``{host: report}`` dict or a list of reports); :func:`summary_lines` is the
fleet summary printed once at the end of a run: one line per status, the worst hosts one line each,
then the checks that fail (and warn) on most hosts, capped so 100 hosts fit on one screen.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
SEVERITY = {FAIL: 0, WARN: 1, OK: 2, SKIP: 3}
LABEL = {OK: "ok", WARN: "WARN", FAIL: "FAIL", SKIP: "skip"}


def hosts(reports):
    """[(host, report)] sorted by host name, from a doctor_summary result, a {host: report} dict or a list."""
    if isinstance(reports, dict) and isinstance(reports.get("hosts"), dict):
        reports = reports["hosts"]
    if isinstance(reports, dict):
        items = [(str(h), r) for h, r in reports.items() if isinstance(r, dict)]
    elif isinstance(reports, (list, tuple)):
        items = [(str(r.get("host")), r) for r in reports if isinstance(r, dict)]
    else:
        raise TypeError("expected doctor reports (a dict of host reports, a list of them, or doctor_summary's result)")
    return sorted(items, key=lambda item: item[0])


def host_status(report):
    status = report.get("status")
    return status if status in SEVERITY else FAIL


def counts(report):
    return dict((s, int((report.get("counts") or {}).get(s, 0))) for s in (FAIL, WARN, OK, SKIP))


def worst_first(items):
    """Hosts sorted worst first: status, then most failed checks, then most warnings, then name."""
    def key(item):
        c = counts(item[1])
        return (SEVERITY[host_status(item[1])], -c[FAIL], -c[WARN], item[0])
    return sorted(items, key=key)


def status_counts(items):
    result = dict((s, 0) for s in (FAIL, WARN, OK))
    for _host, report in items:
        status = host_status(report)
        result[status if status in result else OK] += 1
    return result


def checks_by_status(items, status):
    """[(check id, [hosts])] for the checks with that status on most hosts first (ties by id)."""
    found = {}
    for host, report in items:
        for row in report.get("checks") or []:
            if row.get("status") == status:
                found.setdefault(str(row.get("id")), []).append(host)
    return sorted(found.items(), key=lambda item: (-len(item[1]), item[0]))


def _names(names, limit, room=None):
    """At most limit names, fewer when the text would not fit in room characters, then 'and N more'."""
    names = [str(n) for n in names]
    for count in range(min(limit, len(names)), -1, -1):
        text = ", ".join(names[:count])
        if count < len(names):
            text = ("%s and %d more" % (text, len(names) - count)) if count else "%d" % len(names)
        if room is None or len(text) <= room or count == 0:
            return text
    return ""  # pragma: no cover - the loop always returns


def _clip(text, width):
    return text if len(text) <= width else text[:max(0, width - 3)] + "..."


def summary_lines(reports, host_lines=12, check_lines=8, warn_lines=4, width=100):
    """The fleet summary as a list of lines (at most about host_lines + check_lines + warn_lines + 8)."""
    items = hosts(reports)
    by_status = status_counts(items)
    if not items:
        return ["RTVS doctor fleet summary: no host was diagnosed"]
    worst = "FAIL" if by_status[FAIL] else ("WARN" if by_status[WARN] else "OK")
    lines = ["RTVS doctor fleet summary: %s - %d host(s): %d fail, %d warn, %d ok"
             % (worst, len(items), by_status[FAIL], by_status[WARN], by_status[OK])]
    ordered = worst_first(items)
    not_ok = [(h, r) for h, r in ordered if host_status(r) in (FAIL, WARN)]
    name_width = min(30, max([len(h) for h, _r in not_ok] + [4]))
    if not_ok:
        lines.append("Hosts, worst first:")
    for host, report in not_ok[:host_lines]:
        # a failed host names its failed checks (the causes); a warned host its warnings
        c = counts(report)
        shown = FAIL if c[FAIL] else WARN
        ids = [row.get("id") for row in report.get("checks") or [] if row.get("status") == shown]
        prefix = "  %-4s  %-*s  %d %s: " % (LABEL[host_status(report)], name_width, host, c[shown], shown)
        suffix = "; %d warn" % c[WARN] if shown == FAIL else ""
        lines.append(_clip(prefix + _names(ids, 6, width - len(prefix) - len(suffix)) + suffix, width))
    rest = not_ok[host_lines:]
    if rest:
        rest_counts = status_counts(rest)
        lines.append("  ... and %d more host(s) not ok (%d fail, %d warn)" % (len(rest), rest_counts[FAIL], rest_counts[WARN]))
    healthy = [h for h, r in ordered if host_status(r) == OK]
    if healthy:
        prefix = "  ok    %d host(s): " % len(healthy)
        lines.append(_clip(prefix + _names(healthy, 5, width - len(prefix)), width))
    lines.extend(expiry_lines(items, width))
    for title, status, limit in (("Checks that fail most:", FAIL, check_lines), ("Checks that warn most:", WARN, warn_lines)):
        ranked = checks_by_status(items, status)
        if not ranked:
            continue
        lines.append(title)
        id_width = max(len(check_id) for check_id, _hosts in ranked[:limit])
        for check_id, names in ranked[:limit]:
            prefix = "  %-*s  %3d host(s): " % (id_width, check_id, len(names))
            lines.append(_clip(prefix + _names(names, 4, width - len(prefix)), width))
        if len(ranked) > limit:
            lines.append("  ... and %d more check(s)" % (len(ranked) - limit))
    return lines


ROTATE_FIX = "ansible-playbook rtvs.remote.rotate -i <inventory>"


def expiry_lines(items, width=100, limit=5):
    """Certificates to renew: the hosts whose certificate_expiry check warns or fails, fewest days left first,
    each with its days left, and the rotate command (forced and limited for expired ones)."""
    due = []
    for host, report in items:
        row = [r for r in report.get("checks") or [] if r.get("id") == "certificate_expiry"]
        if not row or row[0].get("status") not in (WARN, FAIL):
            continue
        days = ((report.get("certificate") or {}).get("days_left"))
        due.append((days if isinstance(days, int) else -10 ** 6, host, row[0].get("status")))
    if not due:
        return []
    due.sort()
    expired = [d for d in due if d[0] < 0]
    text = ", ".join("%s %s" % (host, ("%d d" % days) if days > -10 ** 6 else "?") for days, host, _s in due[:limit])
    if len(due) > limit:
        text += " and %d more" % (len(due) - limit)
    lines = [_clip("Certificates to renew (%d, %d expired): %s" % (len(due), len(expired), text), width),
             _clip("  renew inside the window: %s" % ROTATE_FIX, width)]
    if expired:
        lines.append(_clip("  expired, now: %s -l %s -e rtvs_rotate_force=true"
                           % (ROTATE_FIX, ",".join(host for _d, host, _s in expired[:limit])), width))
    return lines
