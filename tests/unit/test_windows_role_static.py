"""Static checks of the windows_broker role that need no Windows host.

- meta/argument_specs.yml documents exactly the role's inputs (defaults/main.yml plus the
  vault-only rtvs_pfx_password), with the same defaults;
- every rtvs_* variable the tasks use is an input (a typo would otherwise be an undefined
  variable only on a real host);
- variables the role sets itself carry the role prefix windows_broker_;
- every task file is reachable from main.yml and every included file exists;
- ansible-playbook --syntax-check accepts playbooks/windows.yml (this also resolves every module
  name, including rtvs.remote.win_broker_info and rtvs.remote.win_broker_cert_cleanup).
"""
import glob
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(ROOT, "roles", "windows_broker")
VAULT_ONLY = {"rtvs_pfx_password"}


def load(rel):
    with open(os.path.join(ROLE, rel)) as handle:
        return yaml.safe_load(handle)


def task_files():
    return sorted(glob.glob(os.path.join(ROLE, "tasks", "*.yml")) + glob.glob(os.path.join(ROLE, "handlers", "*.yml")))


def role_text():
    text = ""
    for path in task_files():
        with open(path) as handle:
            text += handle.read()
    return text


def spec_options():
    return load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]


def test_argument_specs_cover_exactly_the_inputs():
    defaults = set(load("defaults/main.yml"))
    options = set(spec_options())
    assert defaults - options == set(), "defaults without argument_specs entry"
    assert options - defaults - VAULT_ONLY == set(), "argument_specs entries without default"
    assert VAULT_ONLY <= options


def test_argument_spec_defaults_match_defaults_file():
    defaults = load("defaults/main.yml")
    for name, spec in spec_options().items():
        if name in VAULT_ONLY:
            assert "default" not in spec, "%s must have no default (vault only)" % name
            continue
        assert "default" in spec, name
        assert spec["default"] == defaults[name], "%s: spec %r vs defaults %r" % (name, spec["default"], defaults[name])


def test_every_option_is_described_and_typed():
    for name, spec in spec_options().items():
        assert spec.get("description"), name
        assert spec.get("type") in {"str", "int", "bool", "list", "dict", "path", "raw"}, name
        if spec["type"] == "list":
            assert spec.get("elements"), name


def test_tasks_use_only_declared_inputs():
    # a name ending in "_" is a prefix literal (e.g. ignore_prefixes in preflight_inputs.yml), not a variable
    used = {n for n in re.findall(r"\brtvs_[a-z0-9_]+\b", role_text()) if not n.endswith("_")}
    tags = {"rtvs_preflight", "rtvs_r", "rtvs_services", "rtvs_certificate", "rtvs_config",
            "rtvs_firewall", "rtvs_users", "rtvs_azure", "rtvs_health"}
    unknown = used - set(spec_options()) - tags
    assert unknown == set(), "variables used but not declared: %s" % sorted(unknown)


def test_role_set_variables_carry_the_role_prefix():
    names = set()
    for path in task_files():
        for task in walk_tasks(yaml.safe_load(open(path)) or []):
            if "register" in task:
                names.add(task["register"])
            if "ansible.builtin.set_fact" in task:
                names.update(task["ansible.builtin.set_fact"])
    assert names, "no registered variables found; the walk is broken"
    bad = sorted(n for n in names if not n.startswith("windows_broker_"))
    assert bad == [], bad


def walk_tasks(tasks):
    for task in tasks:
        yield task
        for key in ("block", "rescue", "always"):
            yield from walk_tasks(task.get(key) or [])


def included_file(value):
    """import_tasks/include_tasks take a file name or a dict with `file` (include_tasks + apply)."""
    return value["file"] if isinstance(value, dict) else value


def test_azure_is_included_dynamically():
    """Azure is optional: a static import would need azure.azcollection for every syntax check."""
    azure = [t for t in load("tasks/main.yml") if "azure.yml" in str(t)]
    assert len(azure) == 1 and "ansible.builtin.include_tasks" in azure[0], azure
    assert azure[0]["ansible.builtin.include_tasks"]["apply"]["tags"] == ["rtvs_azure"]


def test_every_task_file_is_reachable_and_exists():
    referenced = set()
    for path in task_files():
        for task in walk_tasks(yaml.safe_load(open(path)) or []):
            for key in ("ansible.builtin.import_tasks", "ansible.builtin.include_tasks"):
                if key in task:
                    referenced.add(included_file(task[key]))
    existing = {os.path.basename(p) for p in glob.glob(os.path.join(ROLE, "tasks", "*.yml"))}
    assert referenced - existing == set(), "included but missing"
    assert existing - referenced - {"main.yml"} == set(), "task files nobody includes"


def test_every_step_has_a_task_file_imported_by_main():
    steps = spec_options()["rtvs_windows_steps"]["choices"]
    main = load("tasks/main.yml")
    imported = {included_file(t.get("ansible.builtin.import_tasks") or t["ansible.builtin.include_tasks"])
                for t in main}
    # prerequisites.yml belongs to the preflight step but changes the host, so it is not tagged always.
    assert {s + ".yml" for s in steps} | {"prerequisites.yml"} == imported
    prerequisites = [t for t in main if t.get("ansible.builtin.import_tasks") == "prerequisites.yml"][0]
    assert "'preflight' in rtvs_windows_steps" in prerequisites["when"]


# ---------------------------------------------------------------- issue 13, role side


def test_preflight_is_tagged_always_and_reaches_every_check():
    """Finding 8: --tags for one step still runs the input checks (the published-password refusal)."""
    main = load("tasks/main.yml")
    preflight = [t for t in main if t.get("ansible.builtin.import_tasks") == "preflight.yml"][0]
    assert "always" in preflight["tags"]
    prerequisites = [t for t in main if t.get("ansible.builtin.import_tasks") == "prerequisites.yml"][0]
    assert "always" not in prerequisites["tags"]
    # include_tasks would not pass the tag on to the included tasks
    assert all("ansible.builtin.include_tasks" not in t for t in load("tasks/preflight.yml"))


def test_accounts_by_sid():
    """Finding 8: NETWORK SERVICE by SID, never by a (localized) name."""
    text = role_text()
    assert "user: S-1-5-20" in text
    assert "NT AUTHORITY" not in text


def test_subject_is_not_hard_coded():
    """Finding 3: the real Subject everywhere the broker's Subject is used."""
    for name in ("config_render.yml", "info.yml", "certificate_finish.yml", "certificate_import.yml"):
        with open(os.path.join(ROLE, "tasks", name)) as handle:
            text = handle.read()
        assert "CN={{" not in text and "'CN=' ~" not in text, name


def test_existing_config_never_logged():
    """Finding 8: the current config (may hold the password) passes slurp, set_fact and win_copy with no_log."""
    for name, module in (("config.yml", "ansible.windows.slurp"), ("config.yml", "ansible.windows.win_copy"),
                         ("config_render.yml", "ansible.builtin.set_fact")):
        tasks = list(walk_tasks(load("tasks/" + name)))
        using = [t for t in tasks if module in t]
        assert using and all(t.get("no_log") is True for t in using), (name, module)


def test_snakeoil_refused_in_any_case():
    text = open(os.path.join(ROLE, "tasks", "preflight_inputs.yml")).read()
    assert "| lower != 'snakeoil'" in text


def test_key_acl_and_import_are_guarded_by_the_plan():
    """Findings 4 and 7: win_acl and the import run only when the Python plan says so."""
    finish = list(walk_tasks(load("tasks/certificate_finish.yml")))
    acl = [t for t in finish if "ansible.windows.win_acl" in t][0]
    assert acl["when"] == "windows_broker_cert_plan.todo.key_acl"
    cleanup = [t for t in finish if "rtvs.remote.win_broker_cert_cleanup" in t][0]
    assert cleanup["rtvs.remote.win_broker_cert_cleanup"]["remove"] == "{{ windows_broker_cert_plan.remove }}"
    certificate = list(walk_tasks(load("tasks/certificate.yml")))
    imp = [t for t in certificate if t.get("ansible.builtin.include_tasks") == "certificate_import.yml"][0]
    assert "windows_broker_cert_plan.todo.import" in imp["when"]


def test_new_self_signed_certificate_uses_ipaddress_sans_and_tests_parameters():
    """Finding 8: IP SANs as IPAddress= (the text comes from rtvs.remote.win_san_text), route by cmdlet parameters."""
    with open(os.path.join(ROLE, "files", "new_self_signed_certificate.ps1")) as handle:
        text = handle.read()
    assert "OSVersion" not in text
    assert "(Get-Command -Name New-SelfSignedCertificate).Parameters" in text
    assert "-TextExtension @($SanText)" in text
    assert "-FriendlyName $FriendlyName" in text and "$cert.FriendlyName = $FriendlyName" in text
    on_host = load("tasks/certificate_on_host.yml")[0]["ansible.windows.win_powershell"]["parameters"]
    assert "rtvs.remote.win_san_text" in on_host["SanText"]
    assert on_host["FriendlyName"] == "RTVS broker {{ rtvs_fqdn }}"


def test_windows_playbook_syntax_check():
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
    proc = subprocess.run(
        [ansible_playbook, "--syntax-check", "-i", "localhost,", "playbooks/windows.yml"],
        cwd=ROOT, capture_output=True, text=True, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_syntax_check_catches_an_unknown_module(tmp_path):
    """The syntax check above is meaningful: a misspelt module name fails it."""
    playbook = tmp_path / "bad.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Misspelt\n      rtvs.remote.win_broker_infoo: {}\n"
    )
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run([ansible_playbook, "--syntax-check", "-i", "localhost,", str(playbook)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode != 0


def test_every_task_file_passes_syntax_check(tmp_path):
    """include_tasks files are not parsed by a syntax check of the playbook; import each one."""
    files = sorted(glob.glob(os.path.join(ROLE, "tasks", "*.yml")))
    lines = ["- hosts: localhost", "  gather_facts: false", "  tasks:"]
    for path in files:
        lines += ["    - name: Import %s" % os.path.basename(path), "      ansible.builtin.import_tasks: %s" % path]
    playbook = tmp_path / "all_tasks.yml"
    playbook.write_text("\n".join(lines) + "\n")
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run([ansible_playbook, "--syntax-check", "-i", "localhost,", str(playbook)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
