# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows broker certificate rotation: what the broker serves before, and how to put it back.

PowerShell gathers (win_broker_info.ps1, the same observations the role plans from); this module
decides. Playbook rtvs.remote.rotate records :func:`served_certificate` before the broker role runs;
when the role or the verification after it fails, :func:`rollback_plan` says, from facts gathered
after the failure, which thumbprint the broker must serve again, whether that certificate has to be
imported again from the controller's PFX (the role removed it after importing the new one), which of
this collection's certificates to remove (never before the previous one is back: the broker is never
without a certificate), and whether the configuration backup goes back. Pure Python, no Ansible, no
cryptography: the controller passes thumbprints in.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_certs


def served_certificate(facts):
    """What the broker picks now (win_broker_info's ``selected`` certificate) and which of ours exist.

    {thumbprint, subject, store, ours, has_private_key, not_after, ours_before}: the broker serves the
    first exact Subject match in Root, AuthRoot, CA, My; win_broker_info marks it ``selected``.
    ``ours_before`` lists the thumbprints of this collection's certificates present now, so a rollback
    removes only what the rotation brought. ``thumbprint`` is None when nothing is selected.
    """
    facts = facts or {}
    ours = sorted(set(win_certs.normalize_thumbprint(c.get("thumbprint"))
                      for c in facts.get("managed_certificates") or [] if c.get("thumbprint")))
    for cert in facts.get("certificates") or []:
        if cert.get("selected"):
            return {
                "thumbprint": win_certs.normalize_thumbprint(cert.get("thumbprint")),
                "subject": cert.get("subject"), "store": cert.get("store"), "ours": bool(cert.get("ours")),
                "has_private_key": bool(cert.get("has_private_key")), "not_after": cert.get("not_after"),
                "ours_before": ours,
            }
    return {"thumbprint": None, "subject": None, "store": None, "ours": False, "has_private_key": False,
            "not_after": None, "ours_before": ours}


def _observed_stores(facts):
    observed = (facts or {}).get("observed") if isinstance((facts or {}).get("observed"), dict) else facts
    stores = (observed or {}).get("stores") or {}
    return {} if set(stores) == {"error"} else stores


def _listeners(facts):
    observed = (facts or {}).get("observed") if isinstance((facts or {}).get("observed"), dict) else facts
    winrm = (observed or {}).get("winrm") or {}
    return winrm.get("listeners") if isinstance(winrm, dict) else None


def rollback_plan(facts, previous, new_thumbprint, fqdn, previous_pfx_thumbprint=None, config_backup=None):
    """How to put the broker back on what it served before a failed rotation.

    ``facts``: win_broker_info's result gathered after the failure (its ``observed`` stores are read).
    ``previous``: :func:`served_certificate` before the rotation (None: it served nothing).
    ``new_thumbprint``: the certificate the rotation brought. ``previous_pfx_thumbprint``: the SHA-1
    thumbprint of the certificate in the controller's PFX kept before the rotation (None: no PFX).
    ``config_backup``: the backup file the configuration write made on the host (None or '': unchanged).

    Returns ``restore_thumbprint`` (None when there is nothing to go back to), ``import_previous`` (the
    previous certificate is not usable in My: import the controller's PFX first), ``remove`` (this
    collection's certificates the rotation brought (not in ``previous['ours_before']``), for win_broker_cert_cleanup with
    ``keep_thumbprint`` = restore_thumbprint: done only after the import), ``restore_config`` (the backup
    to copy back, or None), ``restart``, ``steps`` (what will be done, for the message) and ``fail``
    (None, or why the previous certificate cannot be restored: then nothing is removed, so the broker
    keeps the new certificate rather than none).
    """
    stores = _observed_stores(facts)
    new = win_certs.normalize_thumbprint(new_thumbprint)
    prev = win_certs.normalize_thumbprint((previous or {}).get("thumbprint"))
    pfx = win_certs.normalize_thumbprint(previous_pfx_thumbprint)
    plan = {"restore_thumbprint": None, "import_previous": False, "remove": [], "restore_config": config_backup or None,
            "restart": False, "steps": [], "fail": None}
    if config_backup:
        plan["steps"].append("configuration back from %s" % config_backup)
    if not prev:
        plan["steps"].append("no certificate was served before the rotation, so %s stays" % (new or "the new one"))
    elif prev == new:
        plan["restore_thumbprint"] = prev
        plan["steps"].append("the certificate did not change (%s)" % prev)
    else:
        plan["restore_thumbprint"] = prev
        missing = win_certs.import_reason(stores, prev)
        if missing:
            if pfx != prev:
                plan["restore_thumbprint"] = None
                plan["fail"] = (
                    "the previous certificate %s is %s and the controller has %s, so it cannot be imported again; "
                    "the broker keeps %s. Fix the cause and run rtvs.remote.rotate again, or import the previous "
                    "certificate by hand" % (prev, missing, "no PFX kept from before the rotation" if not pfx
                                             else "the PFX of another certificate (%s)" % pfx, new or "the new one"))
            else:
                plan["import_previous"] = True
                plan["steps"].append("previous certificate %s imported again from the controller's PFX (%s)"
                                     % (prev, missing))
        if plan["restore_thumbprint"]:
            subject = (previous or {}).get("subject")
            cleanup = win_certs.cleanup_plan(stores, subject, prev, fqdn, _listeners(facts))
            # only what the rotation brought: ours that were not there before (older ones are the role's business)
            existed = set((previous or {}).get("ours_before") or [])
            plan["remove"] = [{"store": c["store"], "thumbprint": c["thumbprint"]} for c in cleanup["remove"]
                              if c["thumbprint"] not in existed]
            if plan["remove"]:
                plan["steps"].append("then removed: %s" % ", ".join(
                    "%s\\%s" % (c["store"], c["thumbprint"]) for c in plan["remove"]))
    plan["restart"] = bool(plan["import_previous"] or plan["remove"] or plan["restore_config"])
    return plan
