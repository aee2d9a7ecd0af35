"""Each broker rule is defined once (issue 12): a grep of plugins/ and roles/ finds one definition.

The R range, the secret mask and the loopback rule live in plugins/module_utils/broker/broker_rules.py; every
other file asks it (Python imports, Jinja through the test rtvs.remote.supported_r). Documentation text
(DOCUMENTATION/RETURN blocks, *.md, argument_specs descriptions) may name the range; code may not.
"""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOME = "plugins/module_utils/broker/broker_rules.py"
# The Windows side is reduced to gathering on the win helper's branch (issue 12/13); drop these after the merge.
RULES = {
    # (3, 2) / (3, 9) tuples, Jinja or PowerShell comparisons of the minor with 2 and 9, the range as text
    "R range": re.compile(r"\(\s*3\s*,\s*[29]\s*\)|int\s*[<>]=\s*[29]\b|-(?:ge|le)\s+[29]\b|\b3\.2\s*(?:-|to)\s*3\.9\b"),
    "mask": re.compile(r"\*{8}"),
    "loopback": re.compile(r"127\\?\.|::1\b|['\"]localhost['\"]"),
}


def _code_files():
    for top in ("plugins", "roles"):
        for path in sorted((ROOT / top).rglob("*")):
            rel = path.relative_to(ROOT).as_posix()
            if not path.is_file() or path.suffix not in (".py", ".yml", ".yaml", ".ps1", ".j2"):
                continue
            if rel.endswith("meta/argument_specs.yml"):
                continue
            yield rel, path.read_text(encoding="utf-8")


def _code_lines(rel, text):
    """Lines that are code: not comments, not the modules' and plugins' documentation blocks."""
    if rel.startswith(("plugins/filter/", "plugins/test/")) and rel.endswith(".yml"):
        return  # documentation of a Jinja plugin
    in_doc = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if re.match(r'^(DOCUMENTATION|RETURN|EXAMPLES)\s*=\s*r?"""', stripped):
            in_doc = True
            continue
        if in_doc:
            in_doc = stripped != '"""'
            continue
        if stripped.startswith("#") or stripped.startswith('"""') and stripped.endswith('"""'):
            continue
        yield number, line


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_is_defined_once(rule):
    pattern = RULES[rule]
    hits = []
    for rel, text in _code_files():
        for number, line in _code_lines(rel, text):
            if pattern.search(line):
                hits.append("%s:%d: %s" % (rel, number, line.strip()))
    outside = [h for h in hits if not h.startswith(HOME + ":")]
    assert not outside, "%s defined outside %s:\n%s" % (rule, HOME, "\n".join(outside))
    assert any(h.startswith(HOME + ":") for h in hits), "%s no longer defined in %s" % (rule, HOME)


def test_the_grep_would_find_a_second_definition():
    assert RULES["R range"].search("R_MIN = (3, 2)")
    assert RULES["R range"].search("minor | int >= 2 and minor | int <= 9")
    assert RULES["R range"].search("R {{ v }} is outside 3.2-3.9")
    assert RULES["mask"].search('MASK = "********"')
    assert RULES["loopback"].search(r'_LOOPBACK = re.compile(r"^(localhost|127\.\d+)")')
    assert RULES["loopback"].search('str(host).startswith("127.")')
