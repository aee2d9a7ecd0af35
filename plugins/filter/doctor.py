# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side doctor filters: evaluate gathered facts with module_utils/doctor/checks and render the report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules
from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as doctor_checks


def doctor_report(facts):
    """One host's facts ({host, platform, options, probe, broker, ...}) -> its report."""
    if not isinstance(facts, dict):
        raise AnsibleFilterError("doctor_report expects the doctor facts of one host (a dict), got %s" % type(facts).__name__)
    if facts.get("platform") not in (doctor_checks.LINUX, doctor_checks.WINDOWS):
        raise AnsibleFilterError("doctor_report: platform must be linux or windows, got %r" % (facts.get("platform"),))
    return doctor_checks.evaluate(facts)


def doctor_text(report, width=100):
    """A host report (or the all-hosts report from doctor_summary) -> readable table."""
    if not isinstance(report, dict):
        raise AnsibleFilterError("doctor_text expects a report from doctor_report or doctor_summary")
    if "hosts" in report:
        return doctor_checks.render_all_text(report, int(width))
    return doctor_checks.render_text(report, int(width))


def doctor_summary(reports):
    """{host: report} (or a list of reports) -> {status, failed_hosts, warned_hosts, hosts}."""
    if isinstance(reports, list):
        reports = dict((r["host"], r) for r in reports if isinstance(r, dict))
    if not isinstance(reports, dict):
        raise AnsibleFilterError("doctor_summary expects a dict of host reports")
    hosts = dict((h, r) for h, r in reports.items() if isinstance(r, dict))
    failed = sorted(h for h, r in hosts.items() if r.get("status") == doctor_checks.FAIL)
    warned = sorted(h for h, r in hosts.items() if r.get("status") == doctor_checks.WARN)
    return {
        "status": doctor_checks.FAIL if failed else (doctor_checks.WARN if warned else doctor_checks.OK),
        "failed_hosts": failed,
        "warned_hosts": warned,
        "hosts": hosts,
    }


def doctor_broker_subject(win_facts):
    """The certificate Subject a Windows broker looks for: X509CertificateName from its config (any key case), else ''."""
    content = ((win_facts or {}).get("config") or {}).get("content")
    return broker_rules.windows_broker_subject(broker_rules.ci_get(content, "security", "X509CertificateName")) or ""


class FilterModule(object):
    def filters(self):
        return {
            "doctor_report": doctor_report,
            "doctor_text": doctor_text,
            "doctor_summary": doctor_summary,
            "doctor_broker_subject": doctor_broker_subject,
        }
