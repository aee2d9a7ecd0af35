#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: linux_broker_plan
short_description: The plan step of rtvs.remote.linux_broker - inputs, controller certificate and PFX, one read of the host
version_added: 0.2.0
description:
  - The first task of the role rtvs.remote.linux_broker, on each host, in one task (an action plugin; it runs on the
    controller and calls M(rtvs.remote.linux_host_info) once on the host). Each task costs the controller a worker
    process for every host even when skipped, so an idempotent rerun of the role is this task plus one skipped
    include.
  - With O(from_role=true) (how the role runs it), first reads the role's variables (the options of
    rtvs.remote.linux_broker's C(meta/argument_specs.yml), as the play resolves them), checks them with ansible-core's
    argument spec validator and the role's input rules (the collection's C(linux_inputs) module_utils), and fails
    before anything is done with every broken input named and its fix; then builds O(selected), O(controller),
    O(host) and O(health) from the same variables in Python (the collection's C(linux_role) module_utils). The
    collection's C(linux.yml) play imports the role with C(rolespec_validate=false), since this task validates the
    same spec.
  - On the controller, in this process, does what M(rtvs.remote.internal_ca) (one host at a time),
    M(rtvs.remote.broker_certificate) and M(rtvs.remote.pfx) do with O(controller) (their own code, their own check
    mode and diff), and makes the host's folder (mode 0700) under the controller folder.
  - After both passed, remembers the check in the host's folder (C(.rtvs-remote-checked.json), 0600); a later run
    with every option, file and the folder unchanged, the certificate before its renewal window and a PFX the
    password still opens takes the remembered results instead of opening the key and the PFX again. Source C(ca)
    and keys with a passphrase are always checked in full; with C(internal_ca) the CA module runs first on every
    run (docs/certificates.md).
  - Calls M(rtvs.remote.linux_host_info) once on the host with O(host) and the controller's PFX checksum; that
    read-only call also runs M(rtvs.remote.broker_config)'s check mode for the configuration, and returns the plan
    (the collection's C(linux_plan) module_utils).
  - Fails with the plan's host errors (not Debian or Ubuntu, the port taken, R refused).
  - When the plan has nothing to do on the host, probes the broker from the controller as the role's health check
    does (TLS 1.2, the PFX's certificate, C(/info/about) 200, with a CA the chain and the name); the health check's
    tasks run only when this probe finds a problem.
author:
  - rtvs.remote contributors (@rtvs)
attributes:
  check_mode:
    support: full
    description: The controller's modules run in check mode; the host is only read; no probe.
  diff_mode:
    support: full
    description: The diffs of the controller's certificate and PFX, keys and passwords masked.
  idempotent:
    support: full
    description: Reports a change only when the controller's certificate, PFX or folder changed.
options:
  from_role:
    description:
      - Read the variables of the role the task runs in (its C(role_path) and C(vars/main.yml) constants), check them
        against its argument spec and input rules, and build the other options from them. Secrets (no_log options of
        the spec) are masked in every message. Mutually exclusive with O(selected), O(controller), O(host) and
        O(health).
    type: bool
    default: false
  inputs_only:
    description:
      - With O(from_role=true), stop after the input check (the role's C(tasks/preflight.yml), used by
        C(playbooks/rotate.yml)); RV(role) is returned. Without O(from_role), O(controller) and O(host) are required.
    type: bool
    default: false
  selected:
    description: Which optional parts the run's tags select.
    type: dict
    default: {}
    suboptions:
      certificate:
        description: Issue or check the controller's certificate and PFX (tag C(rtvs_certificate)).
        type: bool
        default: true
      health:
        description: Probe the broker when the plan has nothing else to do (tag C(rtvs_health)).
        type: bool
        default: true
  controller:
    description: The controller's part (required unless O(inputs_only=true)).
    type: dict
    suboptions:
      host_dir:
        description: The host's folder for its key, certificate and PFX.
        type: path
        required: true
      owner:
        description: Owner of O(controller.host_dir) when it is made.
        type: str
      internal_ca:
        description: Options of M(rtvs.remote.internal_ca), or empty when the internal CA is not the source.
        type: dict
      certificate:
        description: Options of M(rtvs.remote.broker_certificate) (with the internal CA, its issuer is filled in).
        type: dict
        required: true
      pfx:
        description: Options of M(rtvs.remote.pfx).
        type: dict
        required: true
  host:
    description:
      - Options of M(rtvs.remote.linux_host_info) (C(users), C(desired), C(certificate_password)); required unless
        O(inputs_only=true).
    type: dict
    suboptions:
      users:
        description: As O(rtvs.remote.linux_host_info#module:users).
        type: list
        elements: dict
        default: []
      desired:
        description: As O(rtvs.remote.linux_host_info#module:desired); C(check_mode) and C(pfx.checksum) are set here.
        type: dict
        required: true
      certificate_password:
        description: The PFX password, for the configuration check on the host. Marked no_log; never logged or returned.
        type: str
  health:
    description: Where the broker is probed (as the role's health check probes it); omit to leave the probe out.
    type: dict
    suboptions:
      name:
        description: The name clients use.
        type: str
        required: true
      address:
        description: Address to connect to instead of resolving O(health.name).
        type: str
      port:
        description: The broker's port.
        type: int
        required: true
      ca_file:
        description: CA file clients trust; with it the chain and the name are checked too.
        type: str
        default: ""
      timeout:
        description: Seconds per connection.
        type: float
        default: 5.0
seealso:
  - module: rtvs.remote.linux_host_info
notes:
  - Meant for the role rtvs.remote.linux_broker (its C(tasks/plan.yml)); run with C(become) so the host can be read.
"""

EXAMPLES = r"""
# roles/linux_broker/tasks/plan.yml: register the result and look up plan.todo.<step>
- name: Check the inputs, certificate and PFX on the controller, read the host and plan
  rtvs.remote.linux_broker_plan:
    from_role: true
  register: linux_broker_host

# roles/linux_broker/tasks/preflight.yml: the role's inputs alone (before playbooks/rotate.yml changes anything)
- name: Check the role's inputs on the controller, naming every broken one
  rtvs.remote.linux_broker_plan:
    from_role: true
    inputs_only: true
  register: linux_broker_host
"""

RETURN = r"""
role:
  description: With O(from_role=true), the paths the role's tasks use, built from its variables.
  returned: with from_role, once the inputs are valid
  type: dict
  contains:
    controller_host_dir:
      description: The host's folder on the controller (key, certificate, PFX).
      type: str
    pfx_path:
      description: The PFX on the host.
      type: str
    health_ca:
      description: The CA file the health check trusts (empty when none is known).
      type: str
plan:
  description: The plan, as RV(rtvs.remote.linux_host_info#module:plan), with C(todo.any) (one include is run when
    true), C(todo.act) and, after this task's probe, C(health) (C(probed), C(problems)).
  returned: success
  type: dict
state:
  description: The host's state, as RV(rtvs.remote.linux_host_info#module:state), with C(config) (C(pending), C(reason)).
  returned: success
  type: dict
controller:
  description: The results of C(internal_ca), C(certificate) and C(pfx) on the controller (C(pfx.checksum) and
    C(pfx.fingerprint_sha256) among them), and C(folder).
  returned: success
  type: dict
r_supported_range:
  description: The R versions the RTVS broker accepts, as text.
  returned: success
  type: str
  sample: 3.2-3.9
"""
