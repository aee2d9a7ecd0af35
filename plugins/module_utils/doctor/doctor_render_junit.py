# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's reports as JUnit XML: one testsuite per host, one testcase per host and check.

A failed check is a ``<failure>`` (message: the evidence; text: evidence, fix and FAQ reference), a
skipped check is ``<skipped>``, a warning passes with its evidence and fix in ``<system-out>`` (CI
systems show it without failing the build). Built with xml.etree, which escapes markup; characters
XML 1.0 cannot hold at all (control characters from a log line) are replaced, so the file always parses.
Pure Python, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

from ansible_collections.rtvs.remote.plugins.module_utils.doctor import doctor_fleet

# Everything XML 1.0 forbids: C0 controls except tab/LF/CR, surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile(u"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(value):
    """Text safe for an XML attribute or element: forbidden characters become U+FFFD."""
    return _NOT_XML.sub(u"\ufffd", u"%s" % ("" if value is None else value))


def _details(row):
    lines = ["status: %s" % row.get("status"), "evidence: %s" % (row.get("evidence") or "")]
    if row.get("fix"):
        lines.append("fix: %s" % row["fix"])
    if row.get("faq"):
        lines.append("see: %s" % "; ".join(str(f) for f in row["faq"]))
    if row.get("cause"):
        lines.append("cause: %s" % row["cause"])
    return clean("\n".join(lines))


def render(reports, name="rtvs.remote doctor", timestamp=None):
    """JUnit XML (str, with an XML declaration) for the host reports (see doctor_fleet.hosts for the shapes)."""
    items = doctor_fleet.hosts(reports)
    root = ET.Element("testsuites", {"name": clean(name)})
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for host, report in items:
        rows = [r for r in report.get("checks") or [] if isinstance(r, dict)]
        suite = ET.SubElement(root, "testsuite", {
            "name": clean(host),
            "hostname": clean(report.get("name") or host),
            "tests": str(len(rows)),
            "failures": str(sum(1 for r in rows if r.get("status") == doctor_fleet.FAIL)),
            "errors": "0",
            "skipped": str(sum(1 for r in rows if r.get("status") == doctor_fleet.SKIP)),
            "time": "0",
        })
        if timestamp:
            suite.set("timestamp", clean(timestamp))
        props = ET.SubElement(suite, "properties")
        for key in ("platform", "name", "port", "status"):
            ET.SubElement(props, "property", {"name": key, "value": clean(report.get(key))})
        for row in rows:
            case = ET.SubElement(suite, "testcase", {
                "classname": clean("rtvs_doctor.%s" % host),
                "name": clean("%s: %s" % (row.get("id"), row.get("title") or "")),
                "time": "0",
            })
            status = row.get("status")
            if status == doctor_fleet.FAIL:
                failure = ET.SubElement(case, "failure", {"message": clean(row.get("evidence")), "type": "fail"})
                failure.text = _details(row)
            elif status == doctor_fleet.SKIP:
                ET.SubElement(case, "skipped", {"message": clean(row.get("evidence"))})
            elif status == doctor_fleet.WARN:
                ET.SubElement(case, "system-out").text = _details(row)
        for key in totals:
            totals[key] += int(suite.get(key))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    body = ET.tostring(root, encoding="unicode")
    return u'<?xml version="1.0" encoding="UTF-8"?>\n' + body + u"\n"
