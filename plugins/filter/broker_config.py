# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side broker configuration filters: the rtvs.remote.broker_config logic for a Windows broker."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_config


def broker_config_render(existing_text, settings, platform="windows", certificate_password=None, path=None):
    """Merge settings into the existing file's text, validate, return the text to write.

    The existing text comes back unchanged (byte for byte) when the settings change nothing.
    Host checks (group, certificate file, libR.so) are not run: the controller is not the broker host.
    """
    if settings is not None and not isinstance(settings, dict):
        raise AnsibleFilterError("broker_config_render: settings must be a dict, got %s" % type(settings).__name__)
    if platform not in (broker_config.LINUX, broker_config.WINDOWS):
        raise AnsibleFilterError("broker_config_render: platform must be linux or windows, got %r" % (platform,))
    where = path or ("Microsoft.R.Host.Broker.Config.json" if platform == broker_config.WINDOWS else "rtvsd.config.json")
    try:
        merged_settings = broker_config.with_certificate_password(settings or {}, certificate_password)
        config, text, _changed = broker_config.plan(existing_text or None, merged_settings, where)
        errors = broker_config.validate(config, platform, {})
        if errors:
            raise broker_config.BrokerConfigInvalid(where, errors)
    except broker_config.BrokerConfigError as exc:
        raise AnsibleFilterError("broker_config_render: %s" % exc)
    return text


def broker_config_redact(config):
    """A config (dict, or JSON text) with X509CertificatePassword and secret shown as ********."""
    if isinstance(config, (str, bytes)):
        try:
            config = broker_config.parse(config)
        except broker_config.BrokerConfigError as exc:
            raise AnsibleFilterError("broker_config_redact: %s" % exc)
    if not isinstance(config, dict):
        raise AnsibleFilterError("broker_config_redact expects a dict or JSON text, got %s" % type(config).__name__)
    return broker_config.redact(config)


class FilterModule(object):
    def filters(self):
        return {
            "broker_config_render": broker_config_render,
            "broker_config_redact": broker_config_redact,
        }
