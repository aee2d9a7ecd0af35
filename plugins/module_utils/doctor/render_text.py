# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's report as text: one line a check, evidence, fix and FAQ under the rows that are not ok."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils.doctor.common import (
    FAIL,
    OK,
    SKIP,
    WARN,
)


# ---------------------------------------------------------------- rendering

_LABEL = {OK: "ok", WARN: "WARN", FAIL: "FAIL", SKIP: "skip"}


def _wrap(text, width, indent):
    words = str(text).split()
    lines, line = [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = (line + " " + word) if line else word
    if line:
        lines.append(line)
    return ("\n" + indent).join(lines)


def render_text(report, width=100):
    """A readable summary table for one host report: one line a check, evidence and fix under non-ok rows."""
    counts = report["counts"]
    head = "%s (%s, %s:%s): %s - %d fail, %d warn, %d ok, %d skip" % (
        report["host"], report["platform"], report["name"], report["port"], report["status"].upper(),
        counts[FAIL], counts[WARN], counts[OK], counts[SKIP],
    )
    id_width = max(len(r["id"]) for r in report["checks"]) if report["checks"] else 10
    lines = [head, "-" * min(width, max(len(head), 40))]
    # Details sit under the status column, so they keep most of the width (the role wraps at 72, which
    # the yaml result format prints without folding).
    indent = " " * 6
    for row in report["checks"]:
        lines.append("%-4s  %-*s  %s" % (_LABEL[row["status"]], id_width, row["id"], row["title"]))
        text_width = max(40, width - len(indent) - 2)
        if row["status"] != OK:
            lines.append(indent + _wrap("evidence: " + row["evidence"], text_width, indent + "  "))
            if row["fix"]:
                lines.append(indent + _wrap("fix: " + row["fix"], text_width, indent + "  "))
            if row["status"] in (FAIL, WARN) and row["faq"]:
                lines.append(indent + _wrap("see: " + "; ".join(row["faq"]), text_width, indent + "  "))
    return "\n".join(lines)


def render_all_text(full_report, width=100):
    parts = [render_text(full_report["hosts"][h], width) for h in sorted(full_report["hosts"])]
    return "\n\n".join(parts)
