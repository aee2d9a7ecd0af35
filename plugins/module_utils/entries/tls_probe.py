# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.tls_probe: its logic as a module_runner.Entry (module and action plugin share it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible_collections.rtvs.remote.plugins.module_utils import module_runner

try:
    from ansible_collections.rtvs.remote.plugins.module_utils import tls_probe

    IMPORT_ERROR = None
except ImportError:
    tls_probe = None
    IMPORT_ERROR = traceback.format_exc()


class ProbeRefused(Exception):
    """An option the probe cannot work with; the message names it and the fix."""


def probe(params, check_mode=False):
    """Check the options, probe the broker; return the module result (read-only, check mode is the same)."""
    del check_mode
    if not 1 <= params["port"] <= 65535:
        raise ProbeRefused("port %s is out of range; use the broker port, 1-65535 (default 5444)" % params["port"])
    if params["ca_file"]:
        try:
            with open(params["ca_file"], "rb") as handle:
                holds_pem = b"-----BEGIN CERTIFICATE-----" in handle.read()
        except (IOError, OSError) as exc:
            raise ProbeRefused("ca_file %s cannot be read (%s); point ca_file at a readable PEM file" % (params["ca_file"], exc))
        if not holds_pem:
            raise ProbeRefused("ca_file %s holds no PEM certificate; point ca_file at the PEM CA bundle clients trust"
                               % params["ca_file"])
    if params["password"] and not params["user"]:
        raise ProbeRefused("password is given without user; set user to the account to log in with")
    result = tls_probe.probe(
        params["name"], params["port"], address=params["address"], ca_file=params["ca_file"],
        timeout=params["timeout"], user=params["user"], password=params["password"],
    )
    return dict(changed=False, probe=result)


ENTRY = module_runner.Entry(
    "tls_probe", probe, refusals=(ProbeRefused,),
    libraries=[("cryptography", IMPORT_ERROR is None and tls_probe.HAS_CRYPTOGRAPHY, IMPORT_ERROR)],
)
