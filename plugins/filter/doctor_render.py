# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side doctor renderers for a whole run: fleet summary lines, JUnit XML, the HTML page."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.module_utils.doctor import doctor_fleet, doctor_render_html, doctor_render_junit


def _checked(name, reports):
    try:
        doctor_fleet.hosts(reports)
    except TypeError as exc:
        raise AnsibleFilterError("%s: %s" % (name, exc))
    return reports


def doctor_fleet_lines(reports, host_lines=12, check_lines=8, warn_lines=4, width=100):
    """Host reports -> the fleet summary, a list of lines (print it with ansible.builtin.debug msg)."""
    return doctor_fleet.summary_lines(_checked("doctor_fleet_lines", reports), int(host_lines), int(check_lines),
                                      int(warn_lines), int(width))


def doctor_junit(reports, name="rtvs.remote doctor", timestamp=None):
    """Host reports -> JUnit XML text."""
    return doctor_render_junit.render(_checked("doctor_junit", reports), name, timestamp)


def doctor_html(reports, generated="", inventory="", title="RTVS doctor"):
    """Host reports -> a self-contained HTML page."""
    return doctor_render_html.render(_checked("doctor_html", reports), generated, inventory, title)


class FilterModule(object):
    def filters(self):
        return {
            "doctor_fleet_lines": doctor_fleet_lines,
            "doctor_junit": doctor_junit,
            "doctor_html": doctor_html,
        }
