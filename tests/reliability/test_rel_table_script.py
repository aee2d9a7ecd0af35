"""scripts/reliability_table.py fills the result column from JUnit XML, and never says pass by default."""
import os
import subprocess
import sys

import rel_support

SCRIPT = os.path.join(rel_support.ROOT, "scripts", "reliability_table.py")

DOC = """\
# t

Last run: never.

| case | what the user sees | test | result |
|---|---|---|---|
| one | msg | `tests/a/test_x.py::test_ok` | ? |
| param | msg | `tests/a/test_x.py::test_p` | ? |
| one param | msg | `tests/a/test_x.py::test_p[key mismatch]` | ? |
| broken | msg | `tests/a/test_x.py::test_ok`<br>`tests/a/test_x.py::test_bad` | ? |
| absent | msg | `tests/a/test_x.py::test_gone` | ? |
| skip | msg | `tests/a/test_x.py::test_skip` | ? |
"""

JUNIT = """<?xml version="1.0"?><testsuites><testsuite name="pytest">
<testcase classname="tests.a.test_x" name="test_ok" time="0.1"/>
<testcase classname="tests.a.test_x" name="test_p[key mismatch]" time="0.1"/>
<testcase classname="tests.a.test_x" name="test_p[other]" time="0.1"/>
<testcase classname="tests.a.test_x" name="test_bad" time="0.1"><failure message="x">x</failure></testcase>
<testcase classname="tests.a.test_x" name="test_skip" time="0.1"><skipped message="no host"/></testcase>
</testsuite></testsuites>
"""


def _run(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True, check=False)


def test_fills_results_and_fails_on_failed_or_missing_rows(tmp_path):
    doc, junit = tmp_path / "doc.md", tmp_path / "junit.xml"
    doc.write_text(DOC)
    junit.write_text(JUNIT)
    proc = _run("--doc", str(doc), "--junit", str(junit))
    assert proc.returncode == 1, proc
    rows = {line.split("|")[1].strip(): line.split("|")[4].strip() for line in doc.read_text().splitlines()
            if line.startswith("| ") and "`" in line}
    assert rows == {"one": "pass", "param": "pass", "one param": "pass", "broken": "FAIL (test_bad)",
                    "absent": "not run (test_gone)", "skip": "skipped"}
    assert "Last run: 20" in doc.read_text() and "5 tests: 3 passed, 1 failed, 1 skipped" in doc.read_text()


def test_lists_referenced_node_ids(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    proc = _run("--node-ids", "--doc", str(doc))
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["tests/a/test_x.py::test_ok", "tests/a/test_x.py::test_p",
                                        "tests/a/test_x.py::test_p[key mismatch]", "tests/a/test_x.py::test_bad",
                                        "tests/a/test_x.py::test_gone", "tests/a/test_x.py::test_skip"]
