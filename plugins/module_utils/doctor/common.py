# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's shared pieces: statuses, platforms, FAQ references, the Check row and the facts helpers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
STATUSES = (FAIL, WARN, OK, SKIP)

LINUX, WINDOWS, CONTROLLER = "linux", "windows", "controller"

# Seed FAQ questions (Troubleshooting section of the seed document).
FAQ_NOT_RESPONDING = "seed FAQ: The R server computer is not responding"
FAQ_SERVICE_NOT_RUNNING = "seed FAQ: remote computer is on, but the service is not running"
FAQ_401 = "seed FAQ: 401 Access denied"
FAQ_404 = "seed FAQ: 404 Not found"
FAQ_OUTBOUND = "seed FAQ: can't access internet/resource from the R interactive window"
FAQ_LOGS = "seed FAQ: tried all these solutions (log files)"
SEED_SELF_SIGNED = "seed: self-signed certificate causes RTVS to issue warnings"
SEED_LINUX_CONFIG = "seed: Configure RTVS daemon (rtvsd.config.json)"


def rtvs_issue(number):
    return "microsoft/RTVS#%d" % number


def facts_ref(section):
    return "rtvs-facts.md %s" % section


# ---------------------------------------------------------------- results


def ok(evidence):
    return (OK, evidence, "")


def warn(evidence, fix):
    return (WARN, evidence, fix)


def fail(evidence, fix):
    return (FAIL, evidence, fix)


def skip(evidence):
    return (SKIP, evidence, "")


class Check(object):
    """One row of the table: what is checked, where it applies, where it comes from, how it is judged."""

    def __init__(self, id, title, applies, faq, evaluate, after=()):
        self.id = id
        self.title = title
        self.applies = tuple(applies)
        self.faq = tuple(faq)
        self.evaluate = evaluate
        self.after = tuple(after)

    def applies_to(self, platform):
        return platform in self.applies or CONTROLLER in self.applies


# ---------------------------------------------------------------- helpers


def _get(data, *path):
    """Nested .get() that tolerates missing levels and None."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _probe(facts, *path):
    return _get(facts.get("probe"), *path)


def _broker(facts, *path):
    return _get(facts.get("broker"), *path)


def _opt(facts, name, default=None):
    value = _get(facts.get("options"), name)
    return default if value is None else value


def _now(facts):
    text = _opt(facts, "now")
    if text:
        return parse_time(text)
    return datetime.datetime.now(datetime.timezone.utc)


def parse_time(text):
    """ISO 8601 (as certs.iso() and PowerShell's 'o' format write it) to an aware UTC datetime."""
    text = str(text).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # PowerShell's round-trip format has 7 fractional digits; Python takes 6.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def _fqdn(facts):
    return _opt(facts, "fqdn") or facts.get("host")


def _port(facts):
    return int(_opt(facts, "port", 5444))


def _lines(items, limit=5):
    items = list(items or [])
    text = "; ".join(str(i) for i in items[-limit:])
    return text


def _missing(facts):
    if not facts.get("broker"):
        return skip("no broker facts were gathered from the host")
    return None
