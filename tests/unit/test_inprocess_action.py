"""plugins/plugin_utils/inprocess.py: when a module's logic runs inside the controller, and how its result is made."""
import copy
import json
import os
import pwd
import stat
import sys

import pytest

from ansible_collections.rtvs.remote.plugins.action import broker_certificate as broker_certificate_action
from ansible_collections.rtvs.remote.plugins.action import pfx as pfx_action
from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner
from ansible_collections.rtvs.remote.plugins.plugin_utils import inprocess

SECRET = "Pfx 5ecret!'\"$x"
ME = pwd.getpwuid(os.getuid()).pw_name


class Refused(Exception):
    def __init__(self, msg, errors=None):
        super().__init__(msg)
        self.errors = errors


SPEC = dict(
    argument_spec=dict(
        path=dict(type="path", required=True),
        mode=dict(type="str", choices=["a", "b"], default="a"),
        password=dict(type="str", no_log=True),
        names=dict(type="list", elements="str", default=[]),
        left=dict(type="str"),
        right=dict(type="str"),
    ),
    required_if=[("mode", "b", ("left",))],
    mutually_exclusive=[("left", "right")],
    supports_check_mode=True,
)


class Recorder:
    """An entry point that records its calls and returns (or raises) what the test sets."""

    def __init__(self, result=None, raises=None):
        self.calls = []
        self.result = result if result is not None else {"changed": True, "diff": {"before": "", "after": "x"}}
        self.raises = raises

    def __call__(self, params, check_mode=False):
        self.calls.append((copy.deepcopy(params), check_mode))
        if self.raises:
            raise self.raises
        return copy.deepcopy(self.result)


class Obj:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


def _task(args, check_mode=False, diff=False, async_val=0, environment=None, action="rtvs.remote.fake"):
    # a task without environment: has [{}], as TaskExecutor gives it
    return Obj(args=args, check_mode=check_mode, diff=diff, async_val=async_val, environment=environment or [{}],
               action=action)


def _connection(transport="local"):
    load_name = {"local": "ansible.builtin.local", "ssh": "ansible.builtin.ssh"}[transport]
    return Obj(transport=transport, _load_name=load_name, has_native_async=False, _shell=Obj(tmpdir=None))


def _action(cls, args, transport="local", become=False, play_check_mode=False, **task):
    action = cls(_task(args, **task), _connection(transport), Obj(become=become, check_mode=play_check_mode),
                 loader=None, templar=None, shared_loader_obj=None)
    action.module_calls = []

    def execute_module(module_name=None, module_args=None, task_vars=None, wrap_async=False):
        action.module_calls.append(dict(module_name=module_name, module_args=module_args, wrap_async=wrap_async))
        return {"changed": False, "from": "module"}

    action._execute_module = execute_module
    action._remove_tmp_path = lambda path: None
    return action


def _fake(entry_point, diff_only_when_changed=False, libraries=()):
    entry = module_runner.Entry("fake", entry_point, refusals=(Refused,), libraries=libraries,
                                diff_only_when_changed=diff_only_when_changed)

    class Fake(inprocess.InProcessAction):
        spec = SPEC

    Fake.entry = entry
    return Fake


@pytest.fixture(autouse=True)
def _switch_unset(monkeypatch):
    monkeypatch.delenv(inprocess.SWITCH, raising=False)


# --- where it runs -------------------------------------------------------------------------------------------


def test_local_connection_without_become_runs_in_process():
    entry = Recorder()
    action = _action(_fake(entry), {"path": "/x"})
    result = action.run(task_vars={})
    assert action.module_calls == []
    assert len(entry.calls) == 1
    assert result["changed"] is True


@pytest.mark.parametrize("why", [
    dict(transport="ssh"),
    dict(become=True),
    dict(async_val=30),
    dict(environment=[{"HTTPS_PROXY": "http://proxy:3128"}]),
    dict(environment=[{}, "{{ proxy_env }}"]),
])
def test_remote_become_async_or_environment_run_the_module(why):
    entry = Recorder()
    args = {"path": "/x", "password": SECRET}
    action = _action(_fake(entry), args, **why)
    result = action.run(task_vars={})
    assert entry.calls == []
    assert result["from"] == "module"
    assert action.module_calls == [dict(module_name="rtvs.remote.fake", module_args=args,
                                        wrap_async=bool(why.get("async_val")))]


@pytest.mark.parametrize("value, in_process", [("0", False), (" 0 ", False), ("1", True), ("", True)])
def test_switch_rtvs_remote_inprocess(monkeypatch, value, in_process):
    monkeypatch.setenv("RTVS_REMOTE_INPROCESS", value)
    entry = Recorder()
    action = _action(_fake(entry), {"path": "/x"})
    action.run(task_vars={})
    assert bool(entry.calls) is in_process
    assert bool(action.module_calls) is not in_process


def test_ran_in_process_is_displayed_at_vvv(monkeypatch):
    lines = []
    monkeypatch.setattr(inprocess.display, "vvv", lambda msg, host=None: lines.append((msg, host)))
    _action(_fake(Recorder()), {"path": "/x"}).run(task_vars={"inventory_hostname": "web1"})
    assert lines == [("rtvs.remote: ran in-process", "web1")]
    lines.clear()
    _action(_fake(Recorder()), {"path": "/x"}, transport="ssh").run(task_vars={"inventory_hostname": "web1"})
    assert lines == []


# --- arguments -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, msg", [
    ({}, "missing required arguments: path"),
    ({"path": "/x", "mode": "c"}, "value of mode must be one of: a, b, got: c"),
    ({"path": "/x", "mode": "b"}, "mode is b but all of the following are missing: left"),
    ({"path": "/x", "left": "l", "right": "r"}, "parameters are mutually exclusive: left|right"),
    ({"path": "/x", "colour": "red"},
     "Unsupported parameters for (rtvs.remote.fake) module: colour. Supported parameters include: "
     "left, mode, names, password, path, right."),
])
def test_invalid_arguments_fail_like_ansible_module_and_never_call_the_entry_point(args, msg):
    entry = Recorder()
    result = _action(_fake(entry), args).run(task_vars={})
    assert result["failed"] is True
    assert result["msg"] == msg
    assert entry.calls == []


def test_validated_params_have_defaults_and_types_and_leave_task_args_and_spec_alone():
    entry = Recorder()
    args = {"path": "~/cert.pem", "names": "a,b"}
    before_spec = copy.deepcopy(SPEC)
    action = _action(_fake(entry), args)
    action.run(task_vars={})
    params, _check = entry.calls[0]
    assert params["path"] == os.path.expanduser("~/cert.pem")
    assert params["names"] == ["a", "b"]
    assert params["mode"] == "a" and params["password"] is None
    assert args == {"path": "~/cert.pem", "names": "a,b"}
    assert SPEC == before_spec


def test_an_entry_point_changing_a_default_list_does_not_change_the_next_task():
    def appends(params, check_mode=False):
        params["names"].append("leaked")
        return {"changed": False, "names": list(params["names"])}

    cls = _fake(appends)
    first = _action(cls, {"path": "/x"}).run(task_vars={})
    second = _action(cls, {"path": "/x"}).run(task_vars={})
    assert first["names"] == second["names"] == ["leaked"]
    assert SPEC["argument_spec"]["names"]["default"] == []


# --- no_log --------------------------------------------------------------------------------------------------


def test_no_log_values_are_masked_everywhere_in_the_result():
    entry = Recorder(result={"changed": True, "msg": "used %s here" % SECRET, "nested": {"list": [SECRET]},
                             "diff": {"before": "", "after": "password: %s\n" % SECRET}})
    result = _action(_fake(entry), {"path": "/x", "password": SECRET}, diff=True).run(task_vars={})
    text = json.dumps(result)
    assert SECRET not in text
    assert result["msg"] == "used ******** here"
    assert result["invocation"]["module_args"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["invocation"]["module_args"]["path"] == "/x"
    # the entry point itself got the real value
    assert entry.calls[0][0]["password"] == SECRET


def test_no_log_values_are_masked_in_failures_too():
    entry = Recorder(raises=RuntimeError("cannot use %s" % SECRET))
    result = _action(_fake(entry), {"path": "/x", "password": SECRET}).run(task_vars={})
    assert result["failed"] is True
    assert SECRET not in json.dumps(result)
    assert result["msg"] == "fake failed: cannot use ********"
    invalid = _action(_fake(Recorder()), {"path": "/x", "password": SECRET, "mode": "z"}).run(task_vars={})
    assert invalid["failed"] is True and SECRET not in json.dumps(invalid)


def test_real_pfx_action_never_returns_the_password_or_key(tmp_path):
    """rtvs.remote.pfx in-process with a real key and certificate: the result holds no secret."""
    crt, key = _self_signed(tmp_path)
    args = {"path": str(tmp_path / "broker.pfx"), "certificate_path": crt, "privatekey_path": key,
            "password": SECRET, "owner": ME}
    result = _action(pfx_action.ActionModule, args, diff=True).run(task_vars={})
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    text = json.dumps(result)
    assert SECRET not in text
    with open(key) as handle:
        key_body = handle.read().splitlines()[1]
    assert key_body not in text
    assert "********" in result["diff"]["after"]
    assert stat.S_IMODE(os.stat(tmp_path / "broker.pfx").st_mode) == 0o640


def _self_signed(tmp_path):
    args = {"path": str(tmp_path / "broker.crt"), "privatekey_path": str(tmp_path / "broker.key"),
            "fqdn": "rtvs.example.test", "key_size": 2048, "owner": ME}
    result = _action(broker_certificate_action.ActionModule, args).run(task_vars={})
    assert result["changed"] is True, result
    return args["path"], args["privatekey_path"]


def test_path_info_adds_what_ansible_module_adds_for_a_result_path(tmp_path):
    target = tmp_path / "file"
    target.write_bytes(b"12345")
    os.chmod(target, 0o604)
    os.link(target, tmp_path / "hard")
    os.symlink(target, tmp_path / "link")
    info = inprocess.path_info({"path": str(target)})
    assert info["mode"] == "0604" and info["size"] == 5 and info["state"] == "hard"
    assert info["owner"] == ME and info["uid"] == os.getuid() and info["gid"] == os.getgid()
    assert inprocess.path_info({"dest": str(tmp_path / "link")})["state"] == "link"
    assert inprocess.path_info({"path": str(tmp_path)})["state"] == "directory"
    assert inprocess.path_info({"path": str(tmp_path / "missing")}) == {"path": str(tmp_path / "missing")}
    assert inprocess.path_info({"changed": False}) == {"changed": False}


# --- check mode and diff -------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_check, play_check, expected", [
    (False, False, False), (True, False, True), (True, True, True),
    # check_mode: false on a task under --check runs for real, as the module way does
    (False, True, False),
    # a task that does not say: the play's
    (None, True, True), (None, False, False)])
def test_check_mode_comes_from_the_task_or_else_the_play(task_check, play_check, expected):
    entry = Recorder()
    _action(_fake(entry), {"path": "/x"}, check_mode=task_check, play_check_mode=play_check).run(task_vars={})
    assert entry.calls[0][1] is expected


@pytest.mark.parametrize("diff, changed, only_when_changed, has_diff", [
    (False, True, False, False),
    (True, True, False, True),
    (True, False, False, True),
    (True, False, True, False),
    (True, True, True, True),
])
def test_diff_only_in_diff_mode(diff, changed, only_when_changed, has_diff):
    entry = Recorder(result={"changed": changed, "diff": {"before": "a", "after": "b"}})
    result = _action(_fake(entry, diff_only_when_changed=only_when_changed), {"path": "/x"}, diff=diff).run(task_vars={})
    assert ("diff" in result) is has_diff
    if has_diff:
        assert result["diff"] == {"before": "a", "after": "b"}


def test_warnings_are_returned_as_a_list():
    entry = Recorder(result={"changed": False, "warnings": ["first", "second"]})
    result = _action(_fake(entry), {"path": "/x"}).run(task_vars={})
    assert result["warnings"] == ["first", "second"]
    quiet = _action(_fake(Recorder(result={"changed": False, "warnings": []})), {"path": "/x"}).run(task_vars={})
    assert "warnings" not in quiet


# --- refusals and failures -----------------------------------------------------------------------------------


def test_refusal_is_its_message_with_errors_and_no_traceback():
    entry = Recorder(raises=Refused("path /x is a folder; point path at a file", errors=["e1", "e2"]))
    result = _action(_fake(entry), {"path": "/x"}).run(task_vars={})
    assert result["failed"] is True
    assert result["msg"] == "path /x is a folder; point path at a file"
    assert result["errors"] == ["e1", "e2"]
    assert "exception" not in result


def test_unexpected_exception_names_the_module_and_keeps_the_traceback():
    result = _action(_fake(Recorder(raises=KeyError("boom"))), {"path": "/x"}).run(task_vars={})
    assert result["failed"] is True
    assert result["msg"] == "fake failed: 'boom'"
    assert "Traceback" in result["exception"] and "KeyError" in result["exception"]


def test_missing_library_is_reported_like_missing_required_lib(monkeypatch):
    entry = Recorder()
    monkeypatch.setitem(sys.modules, "cryptography", None)  # import cryptography now raises ImportError
    cls = _fake(entry, libraries=["json", "cryptography"])
    result = _action(cls, {"path": "/x"}).run(task_vars={})
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to import the required Python library (cryptography)")
    assert "cryptography" in result["exception"]
    assert entry.calls == []


def test_a_library_that_imports_lets_the_entry_run():
    entry = Recorder()
    result = _action(_fake(entry, libraries=["json"]), {"path": "/x"}).run(task_vars={})
    assert not result.get("failed") and len(entry.calls) == 1


@pytest.mark.parametrize("name", ["broker_certificate", "pfx", "internal_ca", "tls_probe"])
def test_the_modules_that_need_cryptography_say_so(name):
    import importlib
    logic = importlib.import_module("ansible_collections.rtvs.remote.plugins.module_utils.tls.%s" % name)
    assert logic.ENTRY.libraries == ("cryptography",)


class FakeModule:
    """The parts of AnsibleModule module_runner.run uses."""

    def __init__(self, params, check_mode=False, diff=False):
        self.params, self.check_mode, self._diff = params, check_mode, diff
        self.warnings = []
        self.exit = None

    def warn(self, warning):
        self.warnings.append(warning)

    def fail_json(self, **kwargs):
        self.exit = ("fail", kwargs)
        raise SystemExit(1)

    def exit_json(self, **kwargs):
        self.exit = ("exit", kwargs)
        raise SystemExit(0)


@pytest.mark.parametrize("raises", [None, Refused("no; fix it", errors=["e"]), ValueError("odd")])
def test_module_path_and_action_path_map_the_same_way(raises):
    result = {"changed": True, "warnings": ["w"], "diff": {"before": "", "after": "x"}}
    entry = module_runner.Entry("fake", Recorder(result=result, raises=raises), refusals=(Refused,))
    module = FakeModule({"path": "/x"}, check_mode=True, diff=True)
    with pytest.raises(SystemExit):
        module_runner.run(module, entry)
    kind, module_result = module.exit
    action_result = _action(_fake(Recorder(result=result, raises=raises)), {"path": "/x"}, check_mode=True,
                            diff=True).run(task_vars={})
    assert (kind == "fail") is bool(action_result.get("failed"))
    assert module_result["msg" if raises else "changed"] == action_result["msg" if raises else "changed"]
    if raises is None:
        assert module.warnings == action_result["warnings"] == ["w"]
        assert module_result["diff"] == action_result["diff"]
    if isinstance(raises, Refused):
        assert module_result["errors"] == action_result["errors"] == ["e"]


def test_main_makes_the_module_from_the_spec_and_runs_the_entry(monkeypatch):
    made = []

    def fake_module(**spec):
        made.append(spec)
        return FakeModule({"path": "/x"})

    monkeypatch.setattr(module_runner, "AnsibleModule", fake_module)
    entry = Recorder(result={"changed": False, "out": 1})
    with pytest.raises(SystemExit):
        module_runner.main(SPEC, module_runner.Entry("fake", entry))
    assert made == [SPEC]
    assert entry.calls == [({"path": "/x"}, False)]


# --- the six action plugins ----------------------------------------------------------------------------------


# Each module's logic and Entry live in module_utils (plugins/action imports nothing from plugins/modules:
# tests/unit/test_layout.py); the module and its action plugin run the same Entry with the same spec.
LOGIC = {"broker_certificate": "tls", "pfx": "tls", "tls_probe": "tls", "internal_ca": "tls", "key_access": "host",
         "linux_host_info": "host", "broker_config": "broker", "broker_info": "broker"}


@pytest.mark.parametrize("name", sorted(LOGIC))
def test_each_action_uses_its_module_spec_and_entry(name, monkeypatch):
    import importlib
    action = importlib.import_module("ansible_collections.rtvs.remote.plugins.action.%s" % name).ActionModule
    logic = importlib.import_module("ansible_collections.rtvs.remote.plugins.module_utils.%s.%s" % (LOGIC[name], name))
    module = importlib.import_module("ansible_collections.rtvs.remote.plugins.modules.%s" % name)
    assert action.spec is getattr(argument_specs, name.upper())
    assert action.entry is logic.ENTRY
    assert logic.ENTRY.name == name
    ran = []
    monkeypatch.setattr(module_runner, "main", lambda spec, entry: ran.append((spec, entry)))
    module.main()
    assert ran == [(action.spec, action.entry)]
    assert ran[0][0] is action.spec


# --- command_runner (module.run_command for entry points) ----------------------------------------------------


def test_command_runner_runs_in_the_c_locale_and_strips_stdout(monkeypatch):
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    run = module_runner.command_runner("sh", missing="no-sh")
    assert run(["-c", "echo; echo \"$LC_ALL $LANG\"; echo ' out '; echo err >&2; exit 3"]) == "C C\n out"


def test_command_runner_returns_missing_when_the_program_is_not_installed():
    run = module_runner.command_runner("no-such-program-rtvs", missing="no-systemctl")
    assert run(["is-active", "rtvsd"]) == "no-systemctl"
