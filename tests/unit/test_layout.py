"""How the plugins are laid out (issue 12): imports point from plugins to module_utils, never from a
controller-side plugin into plugins/modules/ (a module is a thin host-side entry point; its logic and its
module_runner.Entry live in module_utils, where the module and its action plugin both import them).
"""
import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "plugins"
# Every Python plugin but the modules themselves (the brief names action/ and plugin_utils/; filter/ and test/
# are held to the same rule).
NOT_MODULES = sorted(p for p in PLUGINS.rglob("*.py") if p.relative_to(PLUGINS).parts[0] not in ("modules", "module_utils"))
MODULES_IMPORT = re.compile(r"(^|\.)plugins\.modules(\.|$)")


def imports_of_modules(source):
    """The names under plugins.modules that ``source`` imports (import statements and importlib strings)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and MODULES_IMPORT.search(node.module):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if MODULES_IMPORT.search(alias.name)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULES_IMPORT.search(node.value):
            found.append(node.value)
    return found


def test_the_check_finds_an_import_of_a_module():
    assert imports_of_modules("from ansible_collections.rtvs.remote.plugins.modules.pfx import ENTRY\n")
    assert imports_of_modules("import ansible_collections.rtvs.remote.plugins.modules.pfx as m\n")
    assert imports_of_modules("import importlib\nimportlib.import_module('ansible_collections.rtvs.remote.plugins.modules.pfx')\n")
    assert not imports_of_modules("from ansible_collections.rtvs.remote.plugins.module_utils.tls import pfx\n"
                                  "# plugins/modules/pfx.py documents it\n")


def test_there_are_action_plugins_and_plugin_utils_to_check():
    names = {p.relative_to(PLUGINS).as_posix() for p in NOT_MODULES}
    assert "action/pfx.py" in names and "action/linux_broker_plan.py" in names
    assert "plugin_utils/inprocess.py" in names


@pytest.mark.parametrize("path", NOT_MODULES, ids=[p.relative_to(PLUGINS).as_posix() for p in NOT_MODULES])
def test_no_plugin_imports_from_plugins_modules(path):
    found = imports_of_modules(path.read_text(encoding="utf-8"))
    assert not found, ("%s imports %s: import the module's logic and ENTRY from plugins/module_utils instead"
                       % (path.relative_to(ROOT), ", ".join(found)))


# --- size: no module_utils file over 500 lines (issue 12: split by concern, names that say what they hold) ----

MAX_LINES = 500
MODULE_UTILS = sorted((PLUGINS / "module_utils").rglob("*.py"))


def too_long(paths, limit=MAX_LINES):
    """(path, lines) of every file in ``paths`` longer than ``limit`` lines."""
    found = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            count = sum(1 for _line in handle)
        if count > limit:
            found.append((path, count))
    return found


def test_the_size_check_finds_a_long_file(tmp_path):
    path = tmp_path / "long.py"
    path.write_text("x = 1\n" * (MAX_LINES + 1))
    assert too_long([path]) == [(path, MAX_LINES + 1)]
    path.write_text("x = 1\n" * MAX_LINES)
    assert too_long([path]) == []


def test_there_are_module_utils_to_measure():
    names = {p.relative_to(PLUGINS).as_posix() for p in MODULE_UTILS}
    assert {"module_utils/tls/certs.py", "module_utils/broker/broker_info.py"} <= names


def test_no_module_utils_file_is_over_500_lines():
    found = too_long(MODULE_UTILS)
    assert not found, "split by concern (docs/architecture.md lists the files): " + ", ".join(
        "%s has %d lines" % (p.relative_to(ROOT), n) for p, n in found)
