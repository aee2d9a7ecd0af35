#!/usr/bin/env python3
"""Fill the result column of docs/reliability.md from pytest JUnit XML files.

The table rows name their tests in the "test" column as backticked pytest node ids
(`tests/reliability/test_rel_x.py::test_y`, optionally with a [parameter]). A node id without
a parameter stands for every parametrized case of that test.

    reliability_table.py --node-ids [DOC]            print the node ids the table references
    reliability_table.py --junit A.xml [--junit B.xml] [--doc DOC]
                                                     rewrite the result column and the "Last run" line

A case's result is "pass" when every referenced test passed, "FAIL (name, ...)" when any failed
or errored, "skipped" when all were skipped, "not run" when none of them appear in the XML.
Exit status 1 when any row is FAIL or not run, so the stage fails with the table.
"""
import argparse
import datetime
import os
import re
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "reliability.md")
NODE = re.compile(r"`(tests/[^`]+?\.py::[^`]+)`")
LAST_RUN = re.compile(r"^Last run: .*$", re.M)


def node_ids(text):
    seen = []
    for match in NODE.finditer(text):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def read_junit(paths):
    """{(classname, name): 'pass'|'fail'|'skipped'} from every testcase in the files."""
    results = {}
    for path in paths:
        for case in ET.parse(path).getroot().iter("testcase"):
            outcome = "pass"
            for child in case:
                if child.tag in ("failure", "error"):
                    outcome = "fail"
                elif child.tag == "skipped" and outcome == "pass":
                    outcome = "skipped"
            results[(case.get("classname"), case.get("name"))] = outcome
    return results


def outcomes_for(node, results):
    path, _, name = node.partition("::")
    classname = path[:-3].replace("/", ".")
    exact = [v for (c, n), v in results.items() if c == classname and n == name]
    if exact or "[" in name:
        return exact
    return [v for (c, n), v in results.items() if c == classname and n.startswith(name + "[")]


def cell(nodes, results):
    failed, skipped, passed, missing = [], 0, 0, []
    for node in nodes:
        found = outcomes_for(node, results)
        if not found:
            missing.append(node.split("::")[1])
        for outcome in found:
            if outcome == "fail":
                failed.append(node.split("::")[1])
            elif outcome == "skipped":
                skipped += 1
            else:
                passed += 1
    if failed:
        return "FAIL (%s)" % ", ".join(sorted(set(failed)))
    if missing:
        return "not run (%s)" % ", ".join(missing)
    if skipped and not passed:
        return "skipped"
    return "pass" if not skipped else "pass (%d skipped)" % skipped


def fill(text, results, stamp):
    out, bad, header = [], 0, None
    for line in text.splitlines():
        if line.startswith("|") and header is None and "result" in line.lower():
            header = [c.strip().lower() for c in line.strip().strip("|").split("|")]
            out.append(line)
            continue
        if header and line.startswith("|") and not set(line) <= set("|-: "):
            cells = line.strip().strip("|").split("|")
            if len(cells) == len(header):
                nodes = node_ids(cells[header.index("test")])
                if nodes:
                    value = cell(nodes, results)
                    bad += not value.startswith(("pass", "skipped"))
                    cells[header.index("result")] = " %s " % value
                    line = "|" + "|".join(cells) + "|"
        elif header and not line.startswith("|"):
            header = None
        out.append(line)
    counts = {}
    for value in results.values():
        counts[value] = counts.get(value, 0) + 1
    summary = "Last run: %s, %d tests: %d passed, %d failed, %d skipped (filled by scripts/reliability_table.py)." % (
        stamp, len(results), counts.get("pass", 0), counts.get("fail", 0), counts.get("skipped", 0))
    new = "\n".join(out) + "\n"
    new, replaced = LAST_RUN.subn(summary, new)
    if not replaced:
        raise SystemExit("docs/reliability.md has no 'Last run:' line to fill")
    return new, bad


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", default=DOC)
    parser.add_argument("--node-ids", action="store_true")
    parser.add_argument("--junit", action="append", default=[])
    args = parser.parse_args(argv)
    with open(args.doc) as handle:
        text = handle.read()
    if args.node_ids:
        print("\n".join(node_ids(text)))
        return 0
    if not args.junit:
        parser.error("give --junit or --node-ids")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    new, bad = fill(text, read_junit(args.junit), stamp)
    with open(args.doc, "w") as handle:
        handle.write(new)
    print("%s: %d row(s) not passing" % (os.path.relpath(args.doc, ROOT), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
