"""Every PowerShell file in the repository parses with tree-sitter-powershell.

pwsh is not available here (not packaged for Debian, and PSScriptAnalyzer needs it), so a
grammar parse is the check that the .ps1 files are at least well-formed. A file fails when
the tree has an ERROR or MISSING node; the report names the line and the text.
"""
import os
import subprocess

import pytest

tree_sitter = pytest.importorskip("tree_sitter")
tree_sitter_powershell = pytest.importorskip("tree_sitter_powershell")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def powershell_files():
    """Tracked and untracked (not ignored) .ps1/.psm1 files, so new files are covered before commit."""
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "--", "*.ps1", "*.psm1"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return sorted(p for p in out.splitlines() if not p.startswith(".work/") and os.path.exists(os.path.join(ROOT, p)))


def syntax_problems(source):
    """List of (line, column, kind, text) for every ERROR or MISSING node."""
    tree = PARSER.parse(source)
    problems = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            text = source[node.start_byte:node.end_byte][:60].decode("utf-8", "replace")
            kind = "MISSING " + node.type if node.is_missing else "ERROR"
            problems.append((node.start_point[0] + 1, node.start_point[1] + 1, kind, text))
        stack.extend(node.children)
    return sorted(problems)


def test_there_are_powershell_files_to_check():
    files = powershell_files()
    assert "plugins/modules/win_broker_info.ps1" in files
    assert "plugins/modules/win_broker_cert_cleanup.ps1" in files


@pytest.mark.parametrize("path", powershell_files())
def test_powershell_file_parses(path):
    with open(os.path.join(ROOT, path), "rb") as handle:
        source = handle.read()
    assert source.strip(), "%s is empty" % path
    problems = syntax_problems(source)
    assert not problems, "%s does not parse:\n%s" % (
        path, "\n".join("  line %d col %d %s: %r" % p for p in problems))


BROKEN = [
    # unclosed script block
    b"function Get-Thing {\n    if ($x) {\n        'y'\n",
    # unclosed parenthesis in a condition
    b"if ($a -eq 1 {\n    'x'\n}\n",
    # hashtable missing its closing brace
    b"$spec = @{\n    options = @{ name = @{ type = 'str' }\n",
    # unterminated string
    b"$module.FailJson(\"no end)\n",
]


@pytest.mark.parametrize("source", BROKEN, ids=["unclosed-block", "unclosed-paren", "unclosed-hashtable", "unterminated-string"])
def test_broken_powershell_is_flagged(source):
    assert syntax_problems(source), "a broken snippet was accepted: %r" % source


def test_valid_snippet_in_module_style_is_accepted():
    source = (
        b"#AnsibleRequires -CSharpUtil Ansible.Basic\n"
        b"$spec = @{ options = @{ subject = @{ type = 'str'; required = $true } }; supports_check_mode = $true }\n"
        b"$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)\n"
        b"if (-not $module.CheckMode) {\n    $module.Result.changed = $true\n}\n"
        b"$module.ExitJson()\n"
    )
    assert syntax_problems(source) == []
