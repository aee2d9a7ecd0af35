"""Fleet summary, JUnit XML and HTML rendering of doctor reports (module_utils/doctor/doctor_fleet, doctor_render_*)."""
import json
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.rtvs.remote.plugins.filter import doctor_render as filters
from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as dc
from ansible_collections.rtvs.remote.plugins.module_utils.doctor import doctor_fleet, doctor_render_html, doctor_render_junit

EVIL = 'pwned </script><script>alert("x")</script> <img src=x onerror=alert(1)> & \x1b[31m \x00 end'


def report(host, statuses, platform=dc.LINUX, evidence=None):
    """A report shaped like doctor_checks.evaluate()'s, with the given {check id: status} (others ok)."""
    rows = []
    for check in dc.checks_for(platform):
        status = statuses.get(check.id, dc.OK)
        rows.append({"id": check.id, "title": check.title, "status": status,
                     "evidence": (evidence or "evidence of %s on %s") % (check.id, host) if evidence is None else evidence,
                     "fix": "fix %s" % check.id if status in (dc.FAIL, dc.WARN) else "",
                     "faq": list(check.faq), "cause": "pfx_opens" if status == dc.SKIP and check.id == "rtvsd_active" else None})
    counts = dict((s, sum(1 for r in rows if r["status"] == s)) for s in dc.STATUSES)
    return {"host": host, "platform": platform, "name": host + ".example.test", "port": 5444,
            "status": dc.FAIL if counts[dc.FAIL] else (dc.WARN if counts[dc.WARN] else dc.OK), "counts": counts,
            "failed": [r["id"] for r in rows if r["status"] == dc.FAIL],
            "warnings": [r["id"] for r in rows if r["status"] == dc.WARN], "checks": rows}


def fleet_of_100():
    """100 hosts: 70 healthy, 18 warn (r_version, 6 of them also certificate_trust), 12 fail in three patterns."""
    reports = []
    for i in range(100):
        host = "rtvs-%03d" % i
        if i < 70:
            statuses = {}
        elif i < 88:
            statuses = {"r_version": dc.WARN}
            if i % 3 == 0:
                statuses["certificate_trust"] = dc.WARN
        elif i < 96:
            statuses = {"rtvsd_active": dc.FAIL, "tcp_connect": dc.SKIP, "r_version": dc.WARN}
        elif i < 99:
            statuses = {"pfx_opens": dc.FAIL, "firewall": dc.FAIL}
        else:
            statuses = {"certificate_expiry": dc.FAIL, "pfx_opens": dc.FAIL, "firewall": dc.FAIL}
        reports.append(report(host, statuses))
    return reports


# ---------------------------------------------------------------- fleet summary


def test_fleet_summary_of_100_hosts_fits_a_screen_worst_first():
    lines = filters.doctor_fleet_lines(fleet_of_100())
    assert len(lines) <= 30 and all(len(line) <= 100 for line in lines), "\n".join(lines)
    assert lines[0] == "RTVS doctor fleet summary: FAIL - 100 host(s): 12 fail, 18 warn, 70 ok"
    hosts = [line for line in lines if re.match(r"  (FAIL|WARN) ", line)]
    assert len(hosts) == 12  # capped
    # worst first: the host with three failures, then the two-failure hosts, then single failures
    assert hosts[0] == "  FAIL  rtvs-099  3 fail: pfx_opens, firewall, certificate_expiry; 0 warn"
    assert [h.split()[1] for h in hosts[1:4]] == ["rtvs-096", "rtvs-097", "rtvs-098"]
    assert all(h.startswith("  FAIL") for h in hosts)
    assert hosts[-1] == "  FAIL  rtvs-095  1 fail: rtvsd_active; 1 warn"
    assert "  ... and 18 more host(s) not ok (0 fail, 18 warn)" in lines
    assert any(line.startswith("  ok    70 host(s): rtvs-000, rtvs-001") and line.endswith("and 65 more") for line in lines)
    fail_block = lines[lines.index("Checks that fail most:") + 1:lines.index("Checks that warn most:")]
    assert [line.split()[0] for line in fail_block] == ["rtvsd_active", "firewall", "pfx_opens", "certificate_expiry"]
    assert "8 host(s): rtvs-088, rtvs-089, rtvs-090, rtvs-091 and 4 more" in fail_block[0]
    warn_block = lines[lines.index("Checks that warn most:") + 1:]
    assert warn_block[0].split()[:2] == ["r_version", "26"] and warn_block[1].split()[:2] == ["certificate_trust", "6"]


def test_fleet_summary_caps_check_lines_and_accepts_every_input_shape():
    reports = [report("h%02d" % i, {dc.CHECKS[i].id: dc.FAIL}) for i in range(20) if dc.CHECKS[i].applies_to(dc.LINUX)]
    by_list = doctor_fleet.summary_lines(reports, check_lines=5)
    assert by_list[-1].startswith("  ... and ") and by_list[-1].endswith("more check(s)")
    as_dict = dict((r["host"], r) for r in reports)
    assert doctor_fleet.summary_lines(as_dict, check_lines=5) == by_list
    assert doctor_fleet.summary_lines({"status": "fail", "hosts": as_dict}, check_lines=5) == by_list


def test_fleet_summary_all_healthy_and_empty():
    lines = filters.doctor_fleet_lines([report("a", {}), report("b", {})])
    assert lines == ["RTVS doctor fleet summary: OK - 2 host(s): 0 fail, 0 warn, 2 ok", "  ok    2 host(s): a, b"]
    warned = filters.doctor_fleet_lines([report("a", {"r_version": dc.WARN, "broker_log": dc.WARN}), report("b", {})])
    assert warned[2] == "  WARN  a     2 warn: r_version, broker_log"
    assert filters.doctor_fleet_lines([]) == ["RTVS doctor fleet summary: no host was diagnosed"]
    with pytest.raises(Exception, match="doctor_fleet_lines"):
        filters.doctor_fleet_lines("not reports")


# ---------------------------------------------------------------- JUnit


def test_junit_one_testcase_per_host_and_check_with_right_counts():
    reports = fleet_of_100()
    xml = filters.doctor_junit(reports, timestamp="2026-11-30T16:00:00Z")
    root = ET.fromstring(xml.encode("utf-8"))
    per_host = len(dc.checks_for(dc.LINUX))
    assert root.tag == "testsuites" and len(root.findall("testsuite")) == 100
    assert int(root.get("tests")) == 100 * per_host == len(root.findall("testsuite/testcase"))
    expected_failures = sum(len(r["failed"]) for r in reports)
    assert int(root.get("failures")) == expected_failures == len(root.findall("testsuite/testcase/failure"))
    assert int(root.get("skipped")) == 8 == len(root.findall("testsuite/testcase/skipped"))
    suite = root.find("testsuite[@name='rtvs-099']")
    assert suite.get("failures") == "3" and suite.get("tests") == str(per_host) and suite.get("timestamp")
    failure = suite.find("testcase[@name='pfx_opens: PFX opens with the configured password']/failure")
    assert failure.get("message") == "evidence of pfx_opens on rtvs-099"
    assert "fix: fix pfx_opens" in failure.text and "see: " in failure.text
    warned = root.find("testsuite[@name='rtvs-070']/testcase[@name='r_version: R in the supported 3.2-3.9 range']")
    assert warned.find("failure") is None and "fix: fix r_version" in warned.find("system-out").text


def test_junit_escapes_attacker_text_and_always_parses():
    xml = doctor_render_junit.render([report("evil<host>", {"broker_log": dc.FAIL}, evidence=EVIL)])
    root = ET.fromstring(xml.encode("utf-8"))  # raises if a control character or markup leaked
    failure = root.find(".//failure")
    assert "<script>" in failure.get("message") and "\x1b" not in failure.get("message")
    assert "<script>" not in xml and "\x00" not in xml
    assert root.find("testsuite").get("name") == "evil<host>"


# ---------------------------------------------------------------- HTML


def mixed():
    return [report("healthy", {"r_version": dc.WARN}),
            report("badcert", {"certificate_expiry": dc.FAIL, "certificate_trust": dc.SKIP}),
            report("stopped", {"rtvsd_active": dc.FAIL, "port_listening": dc.SKIP, "tcp_connect": dc.SKIP}),
            report("winhost", {}, platform=dc.WINDOWS)]


def test_html_one_row_per_host_one_column_per_check_coloured_by_status():
    page = filters.doctor_html(mixed(), "2026-11-30T16:00:00Z", "inventories/test")
    assert page.startswith("<!DOCTYPE html>")
    assert len(re.findall(r'<tr class="host-', page)) == 4
    columns = re.findall(r'<th class="check" data-column="([^"]+)"', page)
    assert set(columns) == set(c.id for c in dc.CHECKS) and len(columns) == len(dc.CHECKS)
    # checks every host has first, then Linux-only, then Windows-only, each group in the check table's order
    groups = [[c.id for c in dc.CHECKS if dc.CONTROLLER in c.applies or len(c.applies) > 1],
              [c.id for c in dc.CHECKS if c.applies == (dc.LINUX,)],
              [c.id for c in dc.CHECKS if c.applies == (dc.WINDOWS,)]]
    assert columns == groups[0] + groups[1] + groups[2]
    assert columns[0] == "host_reachable" and columns[-1] == "win_key_readable"
    assert 'class="cell st-fail" data-status="fail" data-host="badcert" data-check="certificate_expiry"' in page
    assert 'class="cell st-na" data-status="na" data-host="winhost" data-check="pfx_opens"' in page
    for colour in doctor_render_html.COLOURS.values():
        assert colour in page
    assert "2026-11-30T16:00:00Z" in page and "inventories/test" in page
    assert re.search(r'data-status="fail"><span class="badge st-fail">2</span> fail', page)
    assert re.search(r'data-status="warn"><span class="badge st-warn">1</span> warn', page)
    assert re.search(r'data-status="ok"><span class="badge st-ok">1</span> ok', page)


def test_html_has_no_external_assets():
    page = doctor_render_html.render(mixed(), "now", "inv")
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:|//)', page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page


def test_html_escapes_attacker_controlled_evidence_everywhere():
    page = doctor_render_html.render([report("x<b>y", {"broker_log": dc.FAIL}, evidence=EVIL)], EVIL, EVIL)
    assert "<img src=x" not in page and 'alert("x")</script>' not in page
    assert page.count("<script") == 2 and page.count("</script>") == 2  # only the page's own two blocks
    assert "\x1b" not in page and "\x00" not in page
    data = re.search(r'<script id="doctor-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    decoded = json.loads(data)
    assert decoded["hosts"]["x<b>y"]["checks"][0]["evidence"] == EVIL  # the panel shows the original text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # header: escaped, still readable
