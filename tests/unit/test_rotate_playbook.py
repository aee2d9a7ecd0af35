"""playbooks/rotate.yml as written: defaults from the broker roles, and the Windows order (import and bind before
removing; on failure the previous certificate back before the new one goes). Static: no Windows host exists here."""
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def text(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


def plays():
    return dict((p["hosts"], p) for p in load("playbooks", "rotate.yml"))


def modules(tasks):
    """Module names of tasks in order, blocks flattened (block, rescue, always)."""
    names = []
    for task in tasks or []:
        if "block" in task:
            names += modules(task["block"]) + modules(task.get("rescue")) + modules(task.get("always"))
            continue
        names.append([k for k in task if "." in k][0])
    return names


def test_role_defaults_come_from_the_roles_not_repeated_here():
    source = text("playbooks", "rotate.yml")
    for literal in ("5444", "/pki", ".rtvs-remote", "XDG_DATA_HOME", "inventory_dir"):
        assert literal not in source, literal
    for hosts, role, tasks_from in (("rtvs_linux", "rtvs.remote.linux_broker", "preflight.yml"),
                                    ("rtvs_windows", "rtvs.remote.windows_broker", "preflight_inputs.yml")):
        first = plays()[hosts]["tasks"][0]["ansible.builtin.include_role"]
        assert first == {"name": role, "tasks_from": tasks_from, "public": True}
        assert os.path.isfile(os.path.join(ROOT, "roles", role.rsplit(".", maxsplit=1)[-1], "tasks", tasks_from))


def _tasks(tasks):
    """Every task, blocks flattened."""
    found = []
    for task in tasks or []:
        found.append(task)
        found += _tasks(task.get("block")) + _tasks(task.get("rescue")) + _tasks(task.get("always"))
    return found


def test_linux_play_uses_the_roles_variables_as_they_are():
    """No aliases of the role's values and no service name of its own: rtvs_fqdn, rtvs_port,
    rtvs_linux_health_address and linux_broker_service come from linux_broker (defaults and vars/main.yml)."""
    linux = plays()["rtvs_linux"]
    assert set(linux["vars"]) == {"rotate_controller_host_dir", "rotate_force"}
    assert "linux_broker_controller_host_dir" in linux["vars"]["rotate_controller_host_dir"]
    probes = [t["rtvs.remote.tls_probe"] for t in _tasks(linux["tasks"]) if "rtvs.remote.tls_probe" in t]
    assert len(probes) == 2
    for probe in probes:
        assert probe == {"name": "{{ rtvs_fqdn }}", "address": "{{ rtvs_linux_health_address }}",
                         "port": "{{ rtvs_port }}"}
    restart = [t for t in _tasks(linux["tasks"]) if t.get("name") == "Restart the broker on the previous files"][0]
    assert "rtvsd" not in restart["ansible.builtin.shell"]["cmd"]
    assert "linux_broker_service" in restart["ansible.builtin.shell"]["cmd"]
    role_vars = load("roles", "linux_broker", "vars", "main.yml")
    assert role_vars["linux_broker_service"] == "rtvsd"
    defaults = load("roles", "linux_broker", "defaults", "main.yml")
    assert {"rtvs_fqdn", "rtvs_port", "rtvs_linux_health_address"} <= set(defaults)


def test_rotate_defaults_and_controller_scripts_are_written_once_for_both_plays():
    source = text("playbooks", "rotate.yml")
    assert source.count("rtvs_rotate_serial | default(2)") == 1
    assert source.count("rtvs_rotate_force | default(false)") == 1
    assert source.count(".before-rotate\"; fi") == 1 and source.count("echo set-aside") == 1
    linux, windows = plays()["rtvs_linux"], plays()["rtvs_windows"]
    assert linux["serial"] == windows["serial"] and linux["vars"]["rotate_force"] == windows["vars"]["rotate_force"]

    def scripts(play):
        return [t["ansible.builtin.shell"]["cmd"] for t in _tasks(play["tasks"])
                if "ansible.builtin.shell" in t and "before-rotate" in t["ansible.builtin.shell"]["cmd"]]

    assert scripts(linux) == scripts(windows) and len(scripts(linux)) == 2


def test_windows_rollback_brings_the_previous_certificate_back_before_removing_the_new():
    block = [t for t in plays()["rtvs_windows"]["tasks"] if "rescue" in t][0]
    order = modules(block["rescue"])
    imported = order.index("ansible.windows.win_certificate_store")
    assert imported < order.index("rtvs.remote.win_broker_cert_cleanup") < order.index("ansible.windows.win_service")
    assert order.index("ansible.windows.win_copy", imported + 1) < order.index("ansible.windows.win_service")
    decided = [t for t in block["rescue"] if "ansible.builtin.set_fact" in t][0]
    assert "rtvs.remote.win_rollback_plan" in decided["ansible.builtin.set_fact"]["rotate_rollback"]
    assert "rtvs.remote.win_served_certificate" in text("playbooks", "rotate.yml")


def test_windows_role_imports_before_it_removes_older_certificates():
    steps = [t.get("ansible.builtin.include_tasks") for t in load("roles", "windows_broker", "tasks", "certificate.yml")]
    assert steps.index("certificate_import.yml") < steps.index("certificate_finish.yml")
    finish = modules(load("roles", "windows_broker", "tasks", "certificate_finish.yml"))
    assert "rtvs.remote.win_broker_cert_cleanup" in finish
    # the configuration (which names the Subject) is written, and the one restart flushed, after the certificate step
    main = [t.get("ansible.builtin.import_tasks") for t in load("roles", "windows_broker", "tasks", "main.yml")]
    assert main.index("certificate.yml") < main.index("config.yml")
    config = load("roles", "windows_broker", "tasks", "config.yml")
    assert any(t.get("ansible.builtin.meta") == "flush_handlers" for t in config)
