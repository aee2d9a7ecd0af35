# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rtvs.remote.broker_certificate: its logic as a module_runner.Entry (module and action plugin share it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils import certs, fileio, module_runner

ENTRY = module_runner.Entry(
    "broker_certificate", certs.run, refusals=(certs.CertError, fileio.FileError),
    libraries=[("cryptography", certs.HAS_CRYPTOGRAPHY, certs.CRYPTOGRAPHY_IMPORT_ERROR)],
)
