"""plugins/action/linux_broker_plan.py: the role's one plan task - inputs, controller part, one host call, probe."""
import copy
import json
import os

import pytest
import yaml

from ansible_collections.rtvs.remote.plugins.action import linux_broker_plan as plan_action
from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner

SECRET = "Plan-5ecret-Pfx!"
ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "linux_broker")


class Obj:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class Recorder:
    def __init__(self, result):
        self.calls = []
        self.result = result

    def __call__(self, params, check_mode=False):
        self.calls.append((copy.deepcopy(params), check_mode))
        return copy.deepcopy(self.result)


def _plan(todo=None, errors=(), warnings=()):
    base = {"any": True, "act": True, "health": True, "probe": False, "report_pending": False}
    base.update(todo or {})
    return {"todo": base, "errors": list(errors), "warnings": list(warnings), "pending": []}


def _args(tmp_path, **changes):
    args = {
        "selected": {"certificate": True, "health": True},
        "controller": {
            "host_dir": str(tmp_path / "pki" / "h1"), "owner": None, "internal_ca": None,
            "certificate": {"source": "selfsigned", "path": str(tmp_path / "b.crt"),
                            "privatekey_path": str(tmp_path / "b.key"), "fqdn": "h1.example.test",
                            "ca_certificate_path": None},
            "pfx": {"path": str(tmp_path / "b.pfx"), "certificate_path": str(tmp_path / "b.crt"),
                    "privatekey_path": str(tmp_path / "b.key"), "password": SECRET},
        },
        "host": {"users": [], "desired": {"check_mode": False, "pfx": {"path": "/etc/rtvs/h1.pfx"}},
                 "certificate_password": SECRET},
        "health": {"name": "h1.example.test", "address": "192.0.2.1", "port": 5444, "ca_file": ""},
    }
    args.update(changes)
    return args


@pytest.fixture
def entries(monkeypatch):
    """broker_certificate and pfx replaced by recorders (their own code is tested elsewhere)."""
    found = {
        "certificate": Recorder({"changed": False, "fingerprint_sha256": "AA:BB"}),
        "pfx": Recorder({"changed": False, "checksum": "c" * 40, "fingerprint_sha256": "AA:BB"}),
    }
    monkeypatch.setattr(plan_action, "CERTIFICATE", module_runner.Entry("broker_certificate", found["certificate"]))
    monkeypatch.setattr(plan_action, "PFX", module_runner.Entry("pfx", found["pfx"]))
    return found


def _action(args, host_result, check_mode=False, probe=None):
    action = plan_action.ActionModule(
        Obj(args=args, check_mode=check_mode, diff=False, async_val=0, environment=[{}],
            action="rtvs.remote.linux_broker_plan"),
        Obj(transport="ssh", _load_name="ansible.builtin.ssh", has_native_async=False, _shell=Obj(tmpdir=None)),
        Obj(become=True, check_mode=check_mode), loader=None, templar=Obj(template=lambda value: value),
        shared_loader_obj=None)
    action.module_calls = []
    action.probes = []

    def execute_module(module_name=None, module_args=None, task_vars=None, wrap_async=False):
        action.module_calls.append(dict(module_name=module_name, module_args=copy.deepcopy(module_args)))
        return copy.deepcopy(host_result)

    def fake_probe(health, fingerprint, ca_file):
        action.probes.append((health["name"], fingerprint, ca_file))
        return list(probe or [])

    action._execute_module = execute_module
    action._remove_tmp_path = lambda path: None
    action._probe = fake_probe
    return action


def _role_vars(**changes):
    """The role's variables as a play resolves them: its defaults, a good password, ``changes`` over them."""
    with open(os.path.join(ROLE, "defaults", "main.yml")) as handle:
        found = yaml.safe_load(handle)
    with open(os.path.join(ROLE, "vars", "main.yml")) as handle:
        found.update((k, v) for k, v in yaml.safe_load(handle).items() if "{{" not in str(v))
    found.update(rtvs_fqdn="h1.example.test", rtvs_linux_controller_dir="/nonexistent/pki",
                 rtvs_linux_controller_owner="root", rtvs_linux_certificate_name="h1.example.test",
                 rtvs_linux_health_address="192.0.2.1", rtvs_pfx_password=SECRET, role_path=ROLE,
                 inventory_hostname="h1", rtvs_daemon_install=False)
    found.update(changes)
    return found


def test_role_inputs_fail_before_the_controller_or_the_host_is_touched(tmp_path, entries):
    action = _action({"from_role": True}, {"plan": _plan()})
    result = action.run(task_vars=_role_vars(rtvs_port=0, rtvs_prot=5444, rtvs_users=[{"name": "ann"}]))
    assert result["failed"]
    assert result["msg"].startswith("Unknown variable: rtvs_prot (did you mean rtvs_port?). ")
    assert "rtvs_port must be 1-65535 (now 0)." in result["msg"]
    assert "rtvs_users entries without a crypt(3) password_hash (like $6$...): ann." in result["msg"]
    assert action.module_calls == [] and entries["certificate"].calls == [] and entries["pfx"].calls == []
    assert not (tmp_path / "pki").exists()


def test_role_inputs_are_checked_against_the_argument_spec_too(tmp_path, entries):
    action = _action({"from_role": True}, {"plan": _plan()})
    result = action.run(task_vars=_role_vars(rtvs_linux_firewall_backend="iptables"))
    assert result["failed"]
    assert result["msg"].startswith("Validation of the role's variables against meta/argument_specs.yml failed: ")
    assert "rtvs_linux_firewall_backend" in result["msg"] and "iptables" in result["msg"]
    assert action.module_calls == []


def test_inputs_only_checks_without_controller_or_host(entries):
    action = _action({"from_role": True, "inputs_only": True}, {"plan": _plan()})
    result = action.run(task_vars=_role_vars())
    assert not result.get("failed") and result["changed"] is False, result
    assert action.module_calls == [] and entries["certificate"].calls == []
    bad = action.run(task_vars=_role_vars(rtvs_pfx_password="Ab1-sec"))
    assert bad["failed"] and "at least 8 characters" in bad["msg"]
    # the password is a no_log option of the role's spec: never echoed, even inside a message
    assert "Ab1-sec" not in json.dumps(bad)


def test_without_from_role_the_controller_and_host_options_are_required(entries):
    action = _action({}, {"plan": _plan()})
    result = action.run(task_vars={})
    assert result["failed"] and "controller and host are required unless from_role=true" == result["msg"]
    assert action.run(task_vars={})["failed"]
    only = _action({"inputs_only": True}, {"plan": _plan()}).run(task_vars={})
    assert only["failed"] and "inputs_only needs from_role=true" in only["msg"]


def test_from_role_and_explicit_options_exclude_each_other(tmp_path, entries):
    args = _args(tmp_path)
    args["from_role"] = True
    result = _action(args, {"plan": _plan()}).run(task_vars=_role_vars())
    assert result["failed"] and "mutually exclusive" in result["msg"]


def test_from_role_builds_the_options_from_the_role_variables(tmp_path, entries):
    host = {"changed": False, "state": {}, "plan": _plan({"act": False, "probe": True})}
    action = _action({"from_role": True}, host, probe=[])
    result = action.run(task_vars=_role_vars(rtvs_linux_controller_dir=str(tmp_path / "pki"), rtvs_port="5445",
                                             ansible_run_tags=["all"], ansible_skip_tags=["rtvs_health"]))
    assert not result.get("failed"), result
    host_dir = str(tmp_path / "pki" / "h1")
    assert result["role"] == {"controller_host_dir": host_dir, "pfx_path": "/etc/rtvs/h1.example.test.pfx",
                              "health_ca": ""}
    cert = entries["certificate"].calls[0][0]
    assert cert["path"] == host_dir + "/broker.crt" and cert["fqdn"] == "h1.example.test"
    pfx = entries["pfx"].calls[0][0]
    assert pfx["password"] == SECRET and pfx["expected_names"] == ["h1.example.test"]
    (call,) = action.module_calls
    desired = call["module_args"]["desired"]
    assert desired["port"] == 5445 and desired["config"]["settings"]["urls"] == "https://0.0.0.0:5445"
    assert desired["pfx"]["path"] == "/etc/rtvs/h1.example.test.pfx" and desired["service_account"] == "rtvssvc"
    assert desired["pfx"]["checksum"] == "c" * 40
    # rtvs_health skipped by the run's tags: no probe
    assert action.probes == [] and result["plan"]["health"]["probed"] is False
    # secrets never come back
    assert SECRET not in json.dumps(result)


def test_converged_host_one_module_call_the_pfx_checksum_in_desired_and_a_probe(tmp_path, entries):
    host = {"changed": False, "state": {"os": {}}, "plan": _plan({"act": False, "probe": True}, warnings=["w1"]),
            "invocation": {"module_args": {"certificate_password": SECRET}}}
    action = _action(_args(tmp_path), host, probe=[])
    result = action.run(task_vars={})
    assert not result.get("failed"), result
    assert [c["module_name"] for c in action.module_calls] == [plan_action.HOST_MODULE]
    sent = action.module_calls[0]["module_args"]
    assert sent["desired"]["pfx"]["checksum"] == "c" * 40 and sent["desired"]["check_mode"] is False
    assert sent["certificate_password"] == SECRET  # for the configuration check on the host (no_log there)
    assert action.probes == [("h1.example.test", "AA:BB", None)]
    todo = result["plan"]["todo"]
    assert todo["any"] is False and todo["health"] is False and result["plan"]["health"]["probed"] is True
    assert result["changed"] is True  # the controller folder was made
    assert (tmp_path / "pki" / "h1").is_dir() and oct((tmp_path / "pki" / "h1").stat().st_mode & 0o777) == "0o700"
    assert result["warnings"] == ["w1"] and "invocation" not in result
    assert SECRET not in repr(result)


def test_unhealthy_broker_includes_the_health_tasks(tmp_path, entries):
    host = {"state": {}, "plan": _plan({"act": False, "probe": True})}
    result = _action(_args(tmp_path), host, probe=["/info/about answers 503"]).run(task_vars={})
    assert result["plan"]["todo"]["any"] is True and result["plan"]["todo"]["health"] is True
    assert result["plan"]["health"]["problems"] == ["/info/about answers 503"]


def test_host_errors_fail_with_every_message(tmp_path, entries):
    host = {"state": {}, "plan": _plan(errors=["not Debian.", "rtvs_port 5444 is already in use."])}
    result = _action(_args(tmp_path), host).run(task_vars={})
    assert result["failed"] and result["msg"] == "not Debian. rtvs_port 5444 is already in use."


def test_check_mode_with_a_certificate_to_issue_bundles_nothing_and_makes_no_folder(tmp_path, entries):
    entries["certificate"].result = {"changed": True, "fingerprint_sha256": None}
    host = {"state": {}, "plan": _plan({"report_pending": True})}
    action = _action(_args(tmp_path), host, check_mode=True)
    result = action.run(task_vars={})
    assert entries["certificate"].calls[0][1] is True and entries["pfx"].calls == []
    sent = action.module_calls[0]["module_args"]["desired"]
    assert sent["check_mode"] is True and sent["pfx"]["checksum"] is None
    assert result["changed"] is True and not (tmp_path / "pki").exists() and action.probes == []


def test_certificate_not_selected_by_tags_leaves_the_controller_alone(tmp_path, entries):
    args = _args(tmp_path, selected={"certificate": False, "health": True})
    host = {"state": {}, "plan": _plan({"act": False, "probe": True})}
    action = _action(args, host)
    result = action.run(task_vars={})
    assert entries["certificate"].calls == [] and action.module_calls[0]["module_args"]["desired"]["pfx"]["checksum"] is None
    # no fingerprint to compare with: no probe, and the health tasks are not included either
    assert action.probes == [] and result["plan"]["health"]["probed"] is False and result["plan"]["todo"]["any"] is False


def test_a_failing_host_module_fails_the_task_naming_it(tmp_path, entries):
    result = _action(_args(tmp_path), {"failed": True, "msg": "desired: bad"}).run(task_vars={})
    assert result["failed"] and result["msg"] == "%s: desired: bad" % plan_action.HOST_MODULE


def test_a_rerun_with_nothing_changed_opens_no_key_and_no_pfx(tmp_path, monkeypatch):
    """The second run takes the first run's remembered check (module_utils/tls/controller_memo.py)."""
    calls = []

    def counting(entry):
        def run(params, check_mode=False):
            calls.append(entry.name)
            return entry.entry_point(params, check_mode)
        return module_runner.Entry(entry.name, run, refusals=entry.refusals, libraries=entry.libraries)

    monkeypatch.setattr(plan_action, "CERTIFICATE", counting(plan_action.CERTIFICATE))
    monkeypatch.setattr(plan_action, "PFX", counting(plan_action.PFX))
    host_dir = tmp_path / "pki" / "h1"
    args = _args(tmp_path)
    args["controller"].update(host_dir=str(host_dir), owner=None)
    args["controller"]["certificate"].update(path=str(host_dir / "b.crt"), privatekey_path=str(host_dir / "b.key"))
    args["controller"]["pfx"].update(path=str(host_dir / "b.pfx"), certificate_path=str(host_dir / "b.crt"),
                                     privatekey_path=str(host_dir / "b.key"))
    host = {"changed": False, "state": {}, "plan": _plan({"act": False, "probe": True})}
    first = _action(copy.deepcopy(args), host, probe=[]).run(task_vars={})
    assert not first.get("failed") and first["changed"] is True, first
    assert calls == ["broker_certificate", "pfx"]
    second = _action(copy.deepcopy(args), host, probe=[]).run(task_vars={})
    assert not second.get("failed") and second["changed"] is False, second
    assert calls == ["broker_certificate", "pfx"], "the rerun opened the key or the PFX again"
    assert second["controller"]["pfx"]["checksum"] == first["controller"]["pfx"]["checksum"]
    assert second["controller"]["pfx"]["fingerprint_sha256"] == first["controller"]["pfx"]["fingerprint_sha256"]
    os.chmod(str(host_dir / "b.crt"), 0o644)
    third = _action(copy.deepcopy(args), host, probe=[]).run(task_vars={})
    assert not third.get("failed") and calls[2:] == ["broker_certificate", "pfx"], "a changed file was trusted"
