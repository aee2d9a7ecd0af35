"""Role READMEs carry the variables table rendered from meta/argument_specs.yml (scripts/role_readme.py),
and every role default is documented there with the same default value."""

import importlib.util
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SPEC = importlib.util.spec_from_file_location("role_readme", os.path.join(ROOT, "scripts", "role_readme.py"))
role_readme = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(role_readme)

ROLES = role_readme.role_dirs(ROOT)


def _ids(paths):
    return [os.path.basename(p) for p in paths]


def test_roles_are_found():
    names = _ids(ROLES)
    assert "linux_broker" in names


@pytest.mark.parametrize("role_dir", ROLES, ids=_ids(ROLES))
def test_readme_table_is_up_to_date(role_dir):
    expected, current = role_readme.check_role(role_dir)
    name = os.path.basename(role_dir)
    if current is None:
        pytest.skip("roles/%s has no README.md yet; create it with: python scripts/role_readme.py roles/%s" % (name, name))
    assert role_readme.BEGIN in current and role_readme.END in current, (
        "roles/%s/README.md lacks the generated variables table; run: python scripts/role_readme.py roles/%s" % (name, name))
    assert current == expected, (
        "roles/%s/README.md is out of date with meta/argument_specs.yml; run: python scripts/role_readme.py roles/%s"
        % (name, name))


@pytest.mark.parametrize("role_dir", ROLES, ids=_ids(ROLES))
def test_every_default_is_documented_with_the_same_value(role_dir):
    defaults_path = os.path.join(role_dir, "defaults", "main.yml")
    if not os.path.exists(defaults_path):
        pytest.skip("no defaults")
    with open(defaults_path) as handle:
        defaults = yaml.safe_load(handle) or {}
    with open(os.path.join(role_dir, "meta", "argument_specs.yml")) as handle:
        options = {}
        for entry in (yaml.safe_load(handle)["argument_specs"] or {}).values():
            options.update(entry.get("options") or {})
    undocumented = sorted(set(defaults) - set(options))
    assert not undocumented, "defaults not in meta/argument_specs.yml: %s" % undocumented
    differing = {name: (value, options[name].get("default")) for name, value in defaults.items()
                 if options[name].get("default") != value}
    assert not differing, "defaults/main.yml vs argument_specs default: %s" % differing


# --- the renderer itself ---------------------------------------------------------------------------

SPECS = {"argument_specs": {"main": {"short_description": "Demo role", "options": {
    "demo_port": {"type": "int", "default": 5444, "description": "Port, see O(demo_name) and C(a|b)."},
    "demo_name": {"type": "str", "required": True, "description": ["First line", "second V(x)."]},
    "demo_list": {"type": "list", "elements": "dict", "default": [], "description": "Items.",
                  "options": {"key": {"type": "str", "required": True, "description": "Key."}}},
    "demo_mode": {"type": "str", "choices": ["a", "b"], "default": "", "description": "Mode."},
    "demo_flag": {"type": "bool", "default": False, "description": "Flag."},
}}}}


def test_render_rows_types_defaults_and_markup():
    block = role_readme.render(SPECS)
    lines = block.splitlines()
    assert lines[0] == role_readme.BEGIN and lines[-1] == role_readme.END
    assert "| `demo_port` | int | `5444` | Port, see `demo_name` and `a\\|b`. |" in lines
    assert "| `demo_name` | str | **required** | First line second `x`. |" in lines
    assert "| `demo_list` | list of dict | `[]` | Items. |" in lines
    assert "| `demo_list[].key` | str | **required** | Key. |" in lines
    assert "| `demo_mode` | str (a, b) | `\"\"` | Mode. |" in lines
    assert "| `demo_flag` | bool | `false` | Flag. |" in lines
    # rows keep the order of argument_specs.yml
    order = [line.split("`")[1] for line in lines if line.startswith("| `")]
    assert order == ["demo_port", "demo_name", "demo_list", "demo_list[].key", "demo_mode", "demo_flag"]


def _role(tmp_path, readme):
    role = tmp_path / "roles" / "demo"
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "argument_specs.yml").write_text(yaml.safe_dump(SPECS))
    if readme is not None:
        (role / "README.md").write_text(readme)
    return role


def test_check_flags_a_stale_table_and_write_fixes_it_keeping_the_prose(tmp_path, capsys):
    stale = "# demo\n\nIntro.\n\n%s\n| old |\n%s\n\nOutro.\n" % (role_readme.BEGIN, role_readme.END)
    role = _role(tmp_path, stale)
    assert role_readme.main(["--check", str(role)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert (role / "README.md").read_text() == stale  # --check never writes
    assert role_readme.main([str(role)]) == 0
    text = (role / "README.md").read_text()
    assert text.startswith("# demo\n\nIntro.\n\n" + role_readme.BEGIN)
    assert text.endswith(role_readme.END + "\n\nOutro.\n")
    assert "| old |" not in text and "`demo_port`" in text
    assert role_readme.main(["--check", str(role)]) == 0


def test_missing_markers_or_readme_are_out_of_date_and_get_a_section(tmp_path):
    role = _role(tmp_path, "# demo\n\nNo table here.\n")
    assert role_readme.main(["--check", str(role)]) == 1
    role_readme.main([str(role)])
    assert "## Role variables\n\n" + role_readme.BEGIN in (role / "README.md").read_text()
    (role / "README.md").unlink()
    assert role_readme.main(["--check", str(role)]) == 1
    role_readme.main([str(role)])
    assert (role / "README.md").read_text().startswith("# demo\n")
