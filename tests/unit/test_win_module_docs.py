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


def info_action_spec():
    from ansible_collections.rtvs.remote.plugins.action import win_broker_info as action
    return action


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_match_the_spec(name):
    """win_broker_cert_cleanup: its PowerShell $spec; win_broker_info: its action plugin's spec."""
    doc = yaml.safe_load(doc_strings(name)["DOCUMENTATION"])
    documented = doc["options"]
    spec = ps_spec(name) if name != "win_broker_info" else info_action_spec().LOCAL_SPEC
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


def test_info_passes_only_options_the_ps1_accepts():
    action = info_action_spec()
    spec = ps_spec("win_broker_info")
    assert set(action.PASSED) | {"subject_contains", "sections"} <= set(spec)
    for option in action.PASSED:
        assert spec[option].get("default") == action.LOCAL_SPEC[option].get("default"), option


def _derived():
    import datetime
    import json
    from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_plan
    with open(os.path.join(ROOT, "tests", "unit", "fixtures", "windows", "winrm_listener_shadow.json")) as handle:
        observed = json.load(handle)
    facts = win_plan.derive(observed, "CN=r.example.com", "r.example.com", now=datetime.datetime(2027, 1, 1))
    facts["observed"] = info_action_spec().public_observations(observed)
    return facts


def test_info_returns_what_is_documented():
    """Every top-level key the action plugin returns is documented, and vice versa."""
    documented = set(yaml.safe_load(doc_strings("win_broker_info")["RETURN"]))
    assert set(_derived()) == documented


@pytest.mark.parametrize("return_key", ["certificates", "config", "dotnet", "logs"])
def test_info_nested_keys_are_documented(return_key):
    documented = yaml.safe_load(doc_strings("win_broker_info")["RETURN"])[return_key]["contains"]
    value = _derived()[return_key]
    value = value[0] if isinstance(value, list) else value
    assert set(value) == set(documented), return_key


def test_info_result_never_holds_the_config_bytes():
    assert "bytes_b64" not in str(_derived())


def test_every_ps1_section_is_wrapped():
    """Finding 5: each gathered section runs through Invoke-Section, so one failing section is data."""
    with open(os.path.join(ROOT, "plugins", "modules", "win_broker_info.ps1")) as handle:
        source = handle.read()
    results = re.findall(r"^\$module\.Result\.(\w+) = (.*)$", source, re.M)
    for key, value in results:
        if key in ("changed", "machine_name", "subject_contains", "install"):
            continue
        assert value.startswith("Invoke-Section -Name '%s'" % key), key
    assert "$install = Invoke-Section -Name 'install'" in source
    firewall = source.split("function Get-FirewallFact", 1)[1].split("\nfunction ", 1)[0]
    assert "HNetCfg.FwPolicy2" in firewall
    log = source.split("function Get-LogFact", 1)[1].split("\nfunction ", 1)[0]
    assert log.index("try {") < log.index("System.IO.FileStream")
