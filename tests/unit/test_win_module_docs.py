"""The Windows modules' documentation stubs agree with their PowerShell argument specs.

ansible-test's validate-modules compares a .ps1 module's $spec with its documentation by running
pwsh, which is not available here; this test does the same comparison from the source: option
names, types, required flags, defaults and choices, and that DOCUMENTATION/RETURN are well-formed
(every RETURN entry a mapping with only known keys, so a stray comma in a flow mapping is caught).
"""
import ast
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = ["win_broker_info", "win_broker_cert_cleanup"]
RETURN_KEYS = {"description", "type", "returned", "sample", "elements", "contains"}


def doc_strings_of(path):
    """String constants assigned at module level or in a class body (doc fragments), by name."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    values = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value.value
    return values


def doc_strings(name):
    return doc_strings_of(os.path.join(ROOT, "plugins", "modules", name + ".py"))


def ps_value(text):
    """Convert a PowerShell literal from a $spec line to Python."""
    text = text.strip()
    if text == "$true":
        return True
    if text == "$false":
        return False
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    match = re.fullmatch(r"@\((.*)\)", text)
    if match:
        return [ps_value(part) for part in re.findall(r"'(?:[^']|'')*'|[^,\s]+", match.group(1))]
    raise ValueError("unhandled PowerShell literal %r" % text)


def ps_spec(name):
    """Options of the module's $spec (one option per line, as these modules write it)."""
    with open(os.path.join(ROOT, "plugins", "modules", name + ".ps1")) as handle:
        source = handle.read()
    block = re.search(r"\$spec = @\{\s*options = @\{\n(.*?)\n    \}\n", source, re.S)
    assert block, "no $spec options block in %s.ps1" % name
    options = {}
    for line in block.group(1).splitlines():
        match = re.fullmatch(r"\s*(\w+) = @\{ (.*) \}", line)
        assert match, "unexpected $spec line: %r" % line
        entry = {}
        for part in re.split(r";\s*(?=\w+ = )", match.group(2)):
            key, value = part.split(" = ", 1)
            entry[key.strip()] = ps_value(value)
        options[match.group(1)] = entry
    assert "supports_check_mode = $true" in source
    return options


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_match_the_powershell_spec(name):
    doc = yaml.safe_load(doc_strings(name)["DOCUMENTATION"])
    documented = doc["options"]
    spec = ps_spec(name)
    assert set(documented) == set(spec)
    for option, ps in spec.items():
        entry = documented[option]
        assert entry["type"] == ps.get("type", "str"), option
        assert bool(entry.get("required", False)) == bool(ps.get("required", False)), option
        assert entry.get("default") == ps.get("default"), option
        assert entry.get("elements") == ps.get("elements"), option
        assert entry.get("description"), option


def fragment_attributes(doc):
    """Attributes contributed by this collection's doc fragments named in extends_documentation_fragment."""
    attributes = {}
    for fragment in doc.get("extends_documentation_fragment") or []:
        namespace, collection, name = fragment.split(".")
        assert (namespace, collection) == ("rtvs", "remote"), fragment
        strings = doc_strings_of(os.path.join(ROOT, "plugins", "doc_fragments", name + ".py"))
        attributes.update(yaml.safe_load(strings["DOCUMENTATION"]).get("attributes") or {})
    return attributes


@pytest.mark.parametrize("name", MODULES)
def test_documentation_is_complete(name):
    strings = doc_strings(name)
    doc = yaml.safe_load(strings["DOCUMENTATION"])
    assert doc["module"] == name
    attributes = dict(fragment_attributes(doc), **doc.get("attributes", {}))
    assert set(attributes) >= {"check_mode", "diff_mode", "idempotent"}
    assert all(re.fullmatch(r".+ \(@[\w-]+\)", a) for a in doc["author"])
    examples = yaml.safe_load(strings["EXAMPLES"])
    assert any("rtvs.remote." + name in task for task in examples)


def walk_return(entries, path):
    for key, value in entries.items():
        where = path + "." + key
        assert isinstance(value, dict), "%s is not a mapping: %r" % (where, value)
        assert set(value) <= RETURN_KEYS, "%s has unknown keys %s" % (where, set(value) - RETURN_KEYS)
        assert value.get("description"), where
        assert value.get("type") in {"str", "int", "bool", "list", "dict", "float", "raw"}, where
        if "contains" in value:
            walk_return(value["contains"], where)


@pytest.mark.parametrize("name", MODULES)
def test_return_is_well_formed(name):
    walk_return(yaml.safe_load(doc_strings(name)["RETURN"]), "RETURN")


def test_flow_mapping_with_a_comma_is_caught():
    broken = yaml.safe_load("path: {description: Path, or null., type: str}\n")
    with pytest.raises(AssertionError):
        walk_return(broken, "RETURN")


def test_info_returns_what_the_ps1_sets():
    """Every top-level key the module sets on $module.Result is documented, and vice versa."""
    with open(os.path.join(ROOT, "plugins", "modules", "win_broker_info.ps1")) as handle:
        source = handle.read()
    set_keys = set(re.findall(r"\$module\.Result\.(\w+) =", source)) - {"changed"}
    documented = set(yaml.safe_load(doc_strings("win_broker_info")["RETURN"]))
    assert set_keys == documented


@pytest.mark.parametrize("function, return_key", [
    ("Get-CertificateFact", "certificates"),
    ("Get-ServiceFact", "services.broker"),
    ("Get-ConfigFact", "config"),
    ("Get-DotNetFact", None),
])
def test_info_nested_keys_are_documented(function, return_key):
    """Keys of the hashtables the info module builds match the documented `contains`."""
    with open(os.path.join(ROOT, "plugins", "modules", "win_broker_info.ps1")) as handle:
        source = handle.read()
    body = source.split("function %s {" % function, 1)[1].split("\nfunction ", 1)[0]
    table = re.search(r"\$fact = @\{(.*?)\n?\s*\}\n", body, re.S) or re.search(r"return @\{(.*?)\n\s*\}\n", body, re.S)
    assert table, function
    keys = set(re.findall(r"(?:^|;|\n)\s*(\w+) = ", table.group(1)))
    documented = yaml.safe_load(doc_strings("win_broker_info")["RETURN"])
    for part in (return_key or "dotnet").split("."):
        documented = documented[part] if part in documented else documented["contains"][part]
    assert keys == set(documented["contains"]), function
