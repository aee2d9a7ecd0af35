# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.linux_broker_plan: the role's inputs, the controller's certificate and PFX, one read of the host and the
plan, in one task (plugins/modules/linux_broker_plan.py documents it).

Each task costs the controller a worker process and its templating for every host, skipped or not, so the steps
rtvs.remote.linux_broker needs on every run are done here in one: the input errors the role computed are reported,
rtvs.remote.internal_ca, rtvs.remote.broker_certificate and rtvs.remote.pfx run in this process (their own code, as
their in-process action plugins run it), the read-only host module is called once (it also runs broker_config's
check), the plan (module_utils/linux_plan.py) gets the PFX's checksum, and on a host with nothing to do the broker is
probed here (module_utils/tls_probe.py) instead of in two more tasks.
"""

from __future__ import annotations

import copy
import errno
import fcntl
import hashlib
import json
import os
import tempfile

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.rtvs.remote.plugins.module_utils.common import argument_specs, module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host import fileio, linux_inputs, linux_plan, linux_role
from ansible_collections.rtvs.remote.plugins.module_utils.tls import controller_memo
from ansible_collections.rtvs.remote.plugins.module_utils.tls.broker_certificate import ENTRY as CERTIFICATE
from ansible_collections.rtvs.remote.plugins.module_utils.tls.internal_ca import ENTRY as INTERNAL_CA
from ansible_collections.rtvs.remote.plugins.module_utils.tls.pfx import ENTRY as PFX

# The read-only host module (named once here, so a rename is one line).
HOST_MODULE = "rtvs.remote.linux_host_info"

SPEC = dict(
    argument_spec=dict(
        from_role=dict(type="bool", default=False),
        inputs_only=dict(type="bool", default=False),
        selected=dict(type="dict", default={}, options=dict(
            certificate=dict(type="bool", default=True),
            health=dict(type="bool", default=True),
        )),
        controller=dict(type="dict", options=dict(
            host_dir=dict(type="path", required=True),
            owner=dict(type="str"),
            internal_ca=dict(type="dict", no_log=False),
            certificate=dict(type="dict", required=True, no_log=False),
            pfx=dict(type="dict", required=True, no_log=False),
        )),
        host=dict(type="dict", options=dict(
            users=dict(type="list", elements="dict", default=[]),
            desired=dict(type="dict", required=True, no_log=False),
            certificate_password=dict(type="str", no_log=True),
        )),
        health=dict(type="dict", options=dict(
            name=dict(type="str", required=True),
            address=dict(type="str"),
            port=dict(type="int", required=True),
            ca_file=dict(type="str", default=""),
            timeout=dict(type="float", default=5.0),
        )),
    ),
    mutually_exclusive=[("from_role", "controller"), ("from_role", "host"), ("from_role", "health"),
                        ("from_role", "selected")],
)
# The role whose variables from_role reads: its argument spec's entry point
ROLE_ENTRY_POINT = "main"


class PlanFailed(Exception):
    """A step of the plan task failed; ``result`` is what to return."""

    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


def _plain(value):
    """``value`` as plain dicts, lists and strings: the templated task arguments carry tags (ansible-core 2.19)
    that make every later copy slow; JSON data as they are, anything else deep-copied."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return copy.deepcopy(value)


def _role_options(role_path):
    """The options of the role's argument spec (meta/argument_specs.yml, entry point main), read with the C loader."""
    path = os.path.join(role_path or "", "meta", "argument_specs.yml")
    try:
        with open(path, "rb") as handle:
            data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise PlanFailed(dict(failed=True, msg="from_role needs the role's meta/argument_specs.yml (run the "
                                               "task from rtvs.remote.linux_broker): %s" % exc))
    return ((data or {}).get("argument_specs") or {}).get(ROLE_ENTRY_POINT, {}).get("options") or {}


def _validated(spec, args):
    """(params, no_log values) of ``args`` checked against a module's argument spec, defaults filled in."""
    keywords = argument_specs.validator_keywords(copy.deepcopy(spec))
    validation = ArgumentSpecValidator(**keywords).validate(args)
    if validation.error_messages:
        raise PlanFailed(dict(failed=True, msg=validation.errors.msg))
    return validation.validated_parameters, set(validation._no_log_values)


class _Lock:
    """One host at a time (the old task's throttle: 1): an exclusive lock on a file named after the CA folder."""

    def __init__(self, key):
        name = "rtvs-remote-internal-ca-%d-%s.lock" % (os.getuid(), hashlib.sha1(key.encode("utf-8")).hexdigest()[:16])
        self.path = os.path.join(tempfile.gettempdir(), name)
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


class ActionModule(ActionBase):
    """Inputs, controller certificate and PFX, one read of the host, the plan; see the module's documentation."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        no_log = set()
        try:
            params, no_log = _validated(SPEC, _plain(self._task.args))
            check = self._check_mode()
            if params["from_role"]:
                # the role's argument spec and input rules, every broken input named, before anything is done; then
                # the options built from the same variables (module_utils/host/linux_role.py)
                built, result["role"] = self._from_role(task_vars or {}, check, no_log)
                if params["inputs_only"]:
                    return remove_values(dict(result, changed=False, msg="The role's inputs are valid."), no_log)
                params, secrets = _validated(SPEC, built)
                no_log.update(secrets)
            elif params["inputs_only"]:
                raise PlanFailed(dict(failed=True, msg="inputs_only needs from_role=true (the role's variables)"))
            elif not (params.get("controller") and params.get("host")):
                raise PlanFailed(dict(failed=True, msg="controller and host are required unless from_role=true"))
            result.update(self._plan(params, check, task_vars, no_log))
            if "role" in result and result.get("controller", {}).get("internal_ca"):
                # the internal CA's root, which the health check trusts when no other CA is given
                result["role"]["health_ca"] = result["role"]["health_ca"] or \
                    result["controller"]["internal_ca"].get("root_certificate_path") or ""
        except PlanFailed as exc:
            result.update(exc.result)
        return remove_values(result, no_log)

    def _from_role(self, task_vars, check, no_log):
        """The role's variables as the play resolves them, checked (module_utils/host/linux_inputs.py); then this
        task's options and the role's paths built from them (module_utils/host/linux_role.py)."""
        options = _role_options(task_vars.get("role_path"))
        names = [name for name in task_vars if isinstance(name, str) and name.startswith("rtvs_")]
        values = dict((name, _plain(self._templar.template(task_vars[name]))) for name in options if name in task_vars)
        errors, secrets = linux_inputs.problems(options, values, names)
        no_log.update(secrets)
        if errors:
            raise PlanFailed(dict(failed=True, msg=" ".join(errors)))
        missing = [name for name in linux_role.ROLE_CONSTANTS if name not in task_vars]
        if missing:
            raise PlanFailed(dict(failed=True, msg="from_role needs the role's vars/main.yml (missing %s): run the task "
                                                   "inside rtvs.remote.linux_broker" % ", ".join(missing)))
        role = dict((name, self._templar.template(task_vars[name])) for name in linux_role.ROLE_CONSTANTS)
        return linux_role.plan_options(
            values, role, task_vars.get("inventory_hostname"), run_tags=task_vars.get("ansible_run_tags") or ["all"],
            skip_tags=task_vars.get("ansible_skip_tags") or [], check_mode=check)

    def _check_mode(self):
        if self._task.check_mode is not None:
            return bool(self._task.check_mode)
        return bool(getattr(self._play_context, "check_mode", False))

    # ------------------------------------------------------------ controller

    def _entry(self, entry, spec, args, check, no_log, what):
        """Run a module's own code here (validated as the module validates it); fail the task as it would."""
        # an option given as null or empty is left out, as `default(omit, true)` leaves it out of a task (before
        # ansible-core 2.19 a template giving null renders as an empty string)
        params, secrets = _validated(spec, dict((k, v) for k, v in args.items() if v is not None and v != ""))
        no_log.update(secrets)
        outcome = module_runner.outcome(entry, params, check_mode=check, diff=bool(self._task.diff))
        if outcome.get("failed"):
            outcome["msg"] = "%s: %s" % (what, outcome.get("msg"))
            raise PlanFailed(outcome)
        return outcome

    def _controller(self, spec, check, no_log):
        """The internal CA, the host's folder, certificate and PFX on the controller, as certificate_controller did."""
        done = {}
        certificate_args = dict(spec["certificate"])
        pfx_args = dict(spec["pfx"])
        issuable = True
        if spec.get("internal_ca"):
            ca_args = spec["internal_ca"]
            with _Lock(str(ca_args.get("path") or "default")):
                ca = self._entry(INTERNAL_CA, argument_specs.INTERNAL_CA, ca_args, check, no_log, "rtvs.remote.internal_ca")
            done["internal_ca"] = ca
            issuable = bool(ca.get("issuer_ready", True))
            certificate_args.update(source="ca", ca_certificate_path=ca.get("issuer_certificate_path"),
                                    ca_privatekey_path=ca.get("issuer_privatekey_path"),
                                    ca_privatekey_passphrase=ca_args.get("passphrase"))
            pfx_args["other_certificates"] = list(ca.get("chain_paths") or [])
        host_dir = spec["host_dir"]
        done["folder"] = {"changed": not os.path.isdir(host_dir), "path": host_dir}
        if done["folder"]["changed"] and not check:
            self._make_folder(host_dir, spec.get("owner"))
        # an unchanged check the last run remembered (module_utils/tls/controller_memo.py): no key or PFX opened
        # (with the internal CA, rtvs.remote.internal_ca has just opened the CA's keys with their passphrase)
        ca_verified = bool(spec.get("internal_ca"))
        remembered = controller_memo.recall(host_dir, certificate_args, pfx_args,
                                            ca_verified=ca_verified) if issuable else None
        if remembered:
            done["certificate"], done["pfx"] = remembered
            return done
        if not issuable:
            # in check mode an internal CA not created yet cannot issue
            done["certificate"] = {"changed": False, "skipped": True, "skip_reason": "the internal CA is made by this run"}
        else:
            done["certificate"] = self._entry(CERTIFICATE, argument_specs.BROKER_CERTIFICATE, certificate_args, check,
                                              no_log, "rtvs.remote.broker_certificate")
        if check and (done["certificate"].get("changed") or done["certificate"].get("skipped")):
            # in check mode a certificate not issued yet cannot be bundled
            done["pfx"] = {"changed": True, "skipped": True, "checksum": None, "fingerprint_sha256": None,
                           "skip_reason": "the certificate is issued by this run"}
        else:
            done["pfx"] = self._entry(PFX, argument_specs.PFX, pfx_args, check, no_log, "rtvs.remote.pfx")
            if not check:
                controller_memo.remember(host_dir, certificate_args, pfx_args, done["certificate"], done["pfx"],
                                         ca_verified=ca_verified)
        return done

    @staticmethod
    def _make_folder(path, owner):
        """The host's folder under rtvs_linux_controller_dir, 0700 (parents as ansible.builtin.file makes them)."""
        parent = os.path.dirname(path.rstrip("/"))
        if parent:
            os.makedirs(parent, exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise PlanFailed(dict(failed=True, msg="cannot create %s: %s" % (path, exc.strerror)))
        os.chmod(path, 0o700)
        uid = fileio.resolve_uid(owner) if owner else None
        if uid is not None and uid != os.stat(path).st_uid:
            os.chown(path, uid, -1)

    # ------------------------------------------------------------ host and plan

    def _host(self, params, task_vars):
        """The read-only host module, once; its result without the arguments it echoes."""
        args = dict(params)
        found = self._execute_module(module_name=HOST_MODULE, module_args=args, task_vars=task_vars)
        self._remove_tmp_path(self._connection._shell.tmpdir)
        found.pop("invocation", None)
        if found.get("failed") or "plan" not in found:
            found.setdefault("failed", True)
            found["msg"] = "%s: %s" % (HOST_MODULE, found.get("msg") or "no plan returned")
            raise PlanFailed(found)
        return found

    def _probe(self, health, fingerprint, ca_file):
        """The broker as a client sees it (module_utils/tls_probe.py, without the posture handshakes); its problems."""
        # imported here: only a host with nothing else to do is probed by this task
        from ansible_collections.rtvs.remote.plugins.module_utils.tls import tls_probe

        seen = tls_probe.probe(health["name"], health["port"], address=health.get("address") or None,
                               ca_file=ca_file or None, timeout=health["timeout"], posture=False, verify=bool(ca_file))
        return linux_plan.health_problems(seen, fingerprint, bool(ca_file))

    def _plan(self, params, check, task_vars, no_log):
        controller = {}
        if params["selected"]["certificate"]:
            controller = self._controller(params["controller"], check, no_log)
        host = copy.deepcopy(params["host"])
        desired = host["desired"]
        desired["check_mode"] = check
        # the controller's PFX (None while check mode has not made it yet, or when the certificate step is not selected)
        desired.setdefault("pfx", {})["checksum"] = (controller.get("pfx") or {}).get("checksum")
        found = self._host(host, task_vars)
        plan = found["plan"]
        if plan["errors"]:
            raise PlanFailed(dict(failed=True, msg=" ".join(plan["errors"]), state=found.get("state"), plan=plan))
        fingerprint = (controller.get("pfx") or {}).get("fingerprint_sha256")
        health = params.get("health")
        if plan["todo"].get("probe"):
            if health and params["selected"]["health"] and fingerprint:
                ca_file = health.get("ca_file") or (controller.get("internal_ca") or {}).get("root_certificate_path")
                plan = linux_plan.probed(plan, self._probe(health, fingerprint, ca_file))
            else:
                plan = linux_plan.probed(plan, [])
                plan["health"]["probed"] = False
        diffs = [part["diff"] for part in controller.values() if isinstance(part, dict) and part.get("diff")]
        warnings = [w for part in controller.values() if isinstance(part, dict) for w in part.get("warnings") or []]
        result = {
            "changed": any(part.get("changed") for part in controller.values() if isinstance(part, dict)),
            "controller": controller,
            "state": found["state"],
            "plan": plan,
            "r_supported_range": found.get("r_supported_range"),
            "warnings": warnings + list(found.get("warnings") or []) + list(plan["warnings"]),
        }
        if check and controller.get("pfx", {}).get("skipped"):
            result["changed"] = True
        if diffs:
            result["diff"] = diffs
        return result
