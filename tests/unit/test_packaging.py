"""Packaging facts a user relies on without reading the code.

- every collection a role, playbook or plugin calls by FQCN is declared in galaxy.yml (or is
  ansible.builtin / rtvs.remote itself); azure.azcollection is the one optional exception and is
  reached only through a dynamic include;
- requirements.yml and collections/requirements.yml say the same as galaxy.yml;
- runtime requirements.txt holds no development tool; requirements-dev.txt has the test tools;
- requirements.txt allows the ansible-core versions meta/runtime.yml's requires_ansible claims, no more, no
  fewer (and constraints.txt's pin is one of them);
- LICENSE is the GPL the metadata names; no invented repository host.
"""
import glob
import os
import re

import yaml
from packaging.version import Version

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FQCN = re.compile(r"^\s*-?\s*([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*):", re.M)
OPTIONAL = {"azure.azcollection": ["roles/windows_broker/tasks/azure.yml"]}


def galaxy():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)


def used_collections():
    used = {}
    files = []
    for pattern in ("roles/**/*.yml", "playbooks/**/*.yml"):
        files += glob.glob(os.path.join(ROOT, pattern), recursive=True)
    for path in files:
        text = open(path).read()
        for ns, coll, _name in FQCN.findall(text):
            if ns in ("ansible",) and coll == "builtin":
                continue
            used.setdefault("%s.%s" % (ns, coll), set()).add(os.path.relpath(path, ROOT))
    return used


def test_fqcn_scan_finds_the_known_dependencies():
    """The scan is meaningful: it sees ufw in linux_broker and azure in windows_broker."""
    used = used_collections()
    assert "roles/linux_broker/tasks/firewall.yml" in used["community.general"]
    assert used["azure.azcollection"] == {"roles/windows_broker/tasks/azure.yml"}


def test_every_used_collection_is_declared():
    declared = set(galaxy()["dependencies"]) | {"rtvs.remote"}
    missing = {}
    for coll, files in used_collections().items():
        if coll in declared:
            continue
        if coll in OPTIONAL and files <= set(OPTIONAL[coll]):
            continue
        missing[coll] = sorted(files)
    assert missing == {}, "declare these in galaxy.yml dependencies: %r" % missing


def test_declared_collections_are_used():
    used = set(used_collections())
    assert set(galaxy()["dependencies"]) - used == set()


def test_requirements_yml_files_match_galaxy():
    deps = galaxy()["dependencies"]
    for rel in ("requirements.yml", "collections/requirements.yml"):
        with open(os.path.join(ROOT, rel)) as handle:
            data = yaml.safe_load(handle)
        assert {c["name"]: c["version"] for c in data["collections"]} == deps, rel


def requirement_names(rel):
    names = []
    for line in open(os.path.join(ROOT, rel)):
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            names.append(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower())
    return names


def test_runtime_requirements_have_no_development_tools():
    runtime = requirement_names("requirements.txt")
    assert {"ansible-core", "cryptography", "pywinrm"} <= set(runtime)
    dev_tools = {"molecule", "molecule-plugins", "pytest", "pytest-xdist", "pytest-testinfra",
                 "ansible-lint", "yamllint", "tree-sitter", "tree-sitter-powershell", "antsibull-changelog"}
    assert set(runtime) & dev_tools == set()
    assert dev_tools <= set(requirement_names("requirements-dev.txt"))


def bounds(specifiers):
    """A version range as comparable data: each (operator, version), '2.16' and '2.16.0' alike."""
    from packaging.specifiers import SpecifierSet

    return sorted((spec.operator, Version(spec.version)) for spec in SpecifierSet(specifiers))


def ansible_core_requirement(rel):
    """The version specifiers of ansible-core in a pip requirements file (None when it has no such line)."""
    for line in open(os.path.join(ROOT, rel)):
        line = line.split("#", 1)[0].strip()
        match = re.match(r"ansible-core\s*([<>=!~].*)$", line, re.I)
        if match:
            return match.group(1).strip()
    return None


def test_the_range_check_sees_a_difference():
    assert bounds(">=2.16,<2.20") == bounds(">=2.16.0,<2.20.0")
    assert bounds(">=2.16") != bounds(">=2.16.0,<2.20.0")
    assert bounds(">=2.16,<2.21") != bounds(">=2.16.0,<2.20.0")


def test_requirements_txt_allows_the_ansible_core_that_requires_ansible_claims():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        requires = yaml.safe_load(handle)["requires_ansible"]
    pip = ansible_core_requirement("requirements.txt")
    assert pip, "requirements.txt has no ansible-core line"
    assert bounds(pip) == bounds(requires), (
        "requirements.txt says ansible-core%s, meta/runtime.yml requires_ansible says %s: make them the same range"
        % (pip, requires))
    pinned = ansible_core_requirement("constraints.txt")
    assert pinned.startswith("==")
    from packaging.specifiers import SpecifierSet

    assert pinned[2:] in SpecifierSet(requires), "constraints.txt pins an ansible-core outside requires_ansible"


def test_license_is_the_gpl_v3_galaxy_names():
    assert galaxy()["license"] == ["GPL-3.0-or-later"]
    text = open(os.path.join(ROOT, "LICENSE")).read()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_no_invented_urls_in_galaxy():
    meta = galaxy()
    for key in ("repository", "issues", "documentation", "homepage"):
        value = meta.get(key) or ""
        assert ".invalid" not in value and "example." not in value, (key, value)


def test_repository_ansible_cfg_checks_host_keys():
    """Fleet runs use ansible.cfg: it must not turn host key checking off for everyone."""
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "ansible.cfg"))
    assert cfg.get("defaults", "host_key_checking", fallback="True").lower() in ("true", "yes", "1")
    ssh_args = cfg.get("ssh_connection", "ssh_args", fallback="")
    assert "StrictHostKeyChecking" not in ssh_args and "UserKnownHostsFile" not in ssh_args


def test_throwaway_test_hosts_skip_host_keys_in_their_own_inventories():
    """... while the local test hosts (new keys with every container) skip it where they are defined."""
    testhost = open(os.path.join(ROOT, "scripts", "testhost.sh")).read()
    assert "ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null" in testhost
    for rel in ("tests/reliability/rel_hosts.py", "bench/hosts.py"):
        text = open(os.path.join(ROOT, rel)).read()
        assert "StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null" in text, rel


def test_ee_requirements_are_the_runtime_requirements_without_ansible_core():
    """meta/ee-requirements.txt (what an EE adds) = requirements.txt minus ansible-core (the EE brings it)."""
    runtime = set(requirement_names("requirements.txt")) - {"ansible-core"}
    assert set(requirement_names("meta/ee-requirements.txt")) == runtime
    with open(os.path.join(ROOT, "meta", "execution-environment.yml")) as handle:
        ee = yaml.safe_load(handle)
    assert ee["version"] == 1
    assert ee["dependencies"] == {"python": "meta/ee-requirements.txt", "system": "meta/ee-bindep.txt"}
    assert os.path.isfile(os.path.join(ROOT, ee["dependencies"]["system"]))
