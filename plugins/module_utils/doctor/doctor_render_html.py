# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doctor's reports as one self-contained HTML page people look at.

One row per host, one column per check, each cell coloured by status; a click (or Enter) on a cell opens
a panel with the evidence, the fix, the FAQ reference and the cause. Hosts sort by any column and filter by
status. The header holds the time, the inventory and the counts. No external assets: CSS and JS are inline.

Everything from a report is escaped: evidence can hold attacker-controlled text from a broker log. Table
text goes through html.escape; the data the panel shows is embedded as JSON with ``<``, ``>`` and ``&``
written as \\u escapes (so no ``</script>`` can close the block) and is put into the page with
textContent only. Pure Python, no Ansible imports.

Test hooks (used by tests/integration/test_doctor_html_chromium.py): the URL fragment ``#open=<host>/<check>``
opens that panel, ``#click=<host>/<check>`` clicks that cell (the real click handler opens the panel),
``#filter=fail,warn`` shows only those hosts, ``#sort=<column>`` sorts; when the script has run,
``<body data-ready="1">``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json
import re

from ansible_collections.rtvs.remote.plugins.module_utils.doctor import checks as doctor_checks, doctor_fleet

COLOURS = {
    doctor_fleet.FAIL: "#d1242f",
    doctor_fleet.WARN: "#f0a500",
    doctor_fleet.OK: "#2da44e",
    doctor_fleet.SKIP: "#aab4c0",
}
SYMBOL = {doctor_fleet.FAIL: "\u2717", doctor_fleet.WARN: "!", doctor_fleet.OK: "\u2713", doctor_fleet.SKIP: "\u2013"}
_CONTROL = re.compile(u"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(value):
    """Escaped text for HTML content and quoted attributes (control characters dropped)."""
    return html.escape(_CONTROL.sub(u"\ufffd", u"%s" % ("" if value is None else value)), quote=True)


def script_json(data):
    """JSON that is safe inside <script type="application/json">: no <, >, & and no line separators."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                          ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _group(check):
    """Columns every host has come first (controller and both-platform checks), then Linux, then Windows."""
    if doctor_checks.CONTROLLER in check.applies or len(check.applies) > 1:
        return 0
    return 1 if doctor_checks.LINUX in check.applies else 2


def columns(items):
    """Check ids grouped as _group() says, in the check table's order within a group, then unknown ids as seen."""
    seen = []
    for _host, report in items:
        for row in report.get("checks") or []:
            if row.get("id") not in seen:
                seen.append(row.get("id"))
    known = [c.id for c in sorted(doctor_checks.CHECKS, key=_group) if c.id in seen]  # sorted() is stable
    return known + [c for c in seen if c not in known]


_CSS = u"""
:root { --fail: %(fail)s; --warn: %(warn)s; --ok: %(ok)s; --skip: %(skip)s; }
* { box-sizing: border-box; }
body { font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #fff; }
header { padding: 10px 16px; background: #f6f8fa; border-bottom: 1px solid #d0d7de; }
header h1 { font-size: 17px; margin: 0 0 4px 0; }
header .meta { color: #57606a; }
.counts span { display: inline-block; margin-right: 10px; font-weight: 600; }
.badge { display: inline-block; min-width: 44px; padding: 1px 6px; border-radius: 3px; color: #fff; text-align: center;
  font-weight: 600; }
.badge.st-fail { background: var(--fail); } .badge.st-warn { background: var(--warn); color: #1f2328; }
.badge.st-ok { background: var(--ok); } .badge.st-skip { background: var(--skip); }
.filters { margin-top: 6px; }
.filters label { margin-right: 12px; cursor: pointer; }
main { padding: 12px 16px; }
.wrap { overflow: auto; max-width: 100%%; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: 0; }
thead th { background: #f6f8fa; cursor: pointer; user-select: none; font-weight: 600; vertical-align: bottom; }
thead th.check { writing-mode: vertical-rl; transform: rotate(180deg); padding: 4px 2px; font-weight: 500;
  white-space: nowrap; }
thead th.host, thead th.num, thead th.stat { padding: 4px 8px; text-align: left; }
thead th[aria-sort="ascending"]::after { content: " \\25B2"; }
thead th[aria-sort="descending"]::after { content: " \\25BC"; }
td.host { padding: 3px 8px; white-space: nowrap; font-weight: 600; }
td.num, td.stat { padding: 3px 8px; text-align: right; }
td.cell { width: 22px; min-width: 22px; height: 22px; text-align: center; cursor: pointer; color: #fff; font-weight: 700; }
td.cell.st-fail { background: var(--fail); } td.cell.st-warn { background: var(--warn); color: #1f2328; }
td.cell.st-ok { background: var(--ok); } td.cell.st-skip { background: var(--skip); }
td.cell.st-na { background: #fff; cursor: default; }
td.cell.selected { outline: 3px solid #0969da; outline-offset: -3px; }
tr.hidden { display: none; }
#details { position: fixed; right: 16px; top: 16px; width: 380px; max-width: calc(100%% - 32px); max-height: calc(100%% - 32px);
  overflow: auto; border: 1px solid #8c959f; border-radius: 6px; padding: 10px 12px; background: #fff;
  box-shadow: 0 8px 24px rgba(31, 35, 40, 0.25); }
#details h2 { font-size: 14px; margin: 0 0 6px 0; }
#details dt { font-weight: 600; margin-top: 6px; }
#details dd { margin: 2px 0 0 0; white-space: pre-wrap; word-break: break-word; }
#details button { float: right; }
.legend span { margin-right: 10px; }
"""

_JS = u"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("doctor-data").textContent);
  var order = {fail: 0, warn: 1, ok: 2, skip: 3, na: 4};
  var table = document.getElementById("fleet");
  var tbody = table.tBodies[0];
  var panel = document.getElementById("details");
  function text(id, value) { document.getElementById(id).textContent = value || ""; }
  function open(host, check) {
    var report = data.hosts[host];
    if (!report) { return false; }
    var row = (report.checks || []).filter(function (r) { return r.id === check; })[0];
    if (!row) { return false; }
    text("d-title", host + " \\u2014 " + row.id);
    text("d-check", row.title);
    text("d-status", row.status.toUpperCase());
    document.getElementById("d-status").className = "badge st-" + row.status;
    text("d-evidence", row.evidence);
    text("d-fix", row.fix || "(none)");
    text("d-faq", (row.faq || []).join("; "));
    text("d-cause", row.cause || "(root cause)");
    panel.hidden = false;
    panel.dataset.host = host;
    panel.dataset.check = check;
    Array.prototype.forEach.call(document.querySelectorAll("td.cell.selected"), function (c) { c.classList.remove("selected"); });
    var cell = tbody.querySelector('td.cell[data-host="' + CSS.escape(host) + '"][data-check="' + CSS.escape(check) + '"]');
    if (cell) { cell.classList.add("selected"); }
    return true;
  }
  function close() { panel.hidden = true; panel.dataset.host = ""; panel.dataset.check = "";
    Array.prototype.forEach.call(document.querySelectorAll("td.cell.selected"), function (c) { c.classList.remove("selected"); }); }
  tbody.addEventListener("click", function (ev) {
    var cell = ev.target.closest("td.cell");
    if (cell && cell.dataset.status !== "na") { open(cell.dataset.host, cell.dataset.check); }
  });
  tbody.addEventListener("keydown", function (ev) {
    var cell = ev.target.closest("td.cell");
    if (cell && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); open(cell.dataset.host, cell.dataset.check); }
  });
  document.getElementById("d-close").addEventListener("click", close);
  function key(tr, col) {
    var td = tr.cells[col];
    if (td.dataset.status) { return order[td.dataset.status]; }
    if (td.dataset.num !== undefined) { return -parseInt(td.dataset.num, 10); }
    return td.textContent.toLowerCase();
  }
  function sort(col, dir) {
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      var c = x < y ? -1 : (x > y ? 1 : 0);
      if (c === 0) { c = a.dataset.host < b.dataset.host ? -1 : 1; return c; }
      return dir === "descending" ? -c : c;
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      if (i === col) { th.setAttribute("aria-sort", dir); } else { th.removeAttribute("aria-sort"); }
    });
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.addEventListener("click", function () {
      sort(i, th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending");
    });
  });
  function filter() {
    var shown = {};
    Array.prototype.forEach.call(document.querySelectorAll("input.filter"), function (box) { shown[box.value] = box.checked; });
    var visible = 0;
    Array.prototype.forEach.call(tbody.rows, function (tr) {
      var hide = !shown[tr.dataset.status];
      tr.classList.toggle("hidden", hide);
      if (!hide) { visible += 1; }
    });
    document.getElementById("shown").textContent = visible;
  }
  Array.prototype.forEach.call(document.querySelectorAll("input.filter"), function (box) { box.addEventListener("change", filter); });
  function fromHash() {
    var hash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
    hash.split("&").forEach(function (part) {
      var eq = part.indexOf("=");
      if (eq < 0) { return; }
      var name = part.slice(0, eq), value = part.slice(eq + 1);
      if (name === "filter") {
        var wanted = value.split(",");
        Array.prototype.forEach.call(document.querySelectorAll("input.filter"), function (box) {
          box.checked = wanted.indexOf(box.value) >= 0;
        });
        filter();
      } else if (name === "sort") {
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
          if (th.dataset.column === value) { sort(i, "ascending"); }
        });
      } else if (name === "click") {
        var at = value.lastIndexOf("/");
        var target = tbody.querySelector('td.cell[data-host="' + CSS.escape(value.slice(0, at)) + '"][data-check="' +
          CSS.escape(value.slice(at + 1)) + '"]');
        if (target) { target.click(); }
      } else if (name === "open") {
        var slash = value.lastIndexOf("/");
        if (slash > 0) { open(value.slice(0, slash), value.slice(slash + 1)); }
      }
    });
  }
  sort(1, "ascending");
  filter();
  fromHash();
  window.addEventListener("hashchange", fromHash);
  window.doctorOpen = open;
  document.body.dataset.ready = "1";
}());
"""


def render(reports, generated="", inventory="", title="RTVS doctor"):
    """The page (str). reports: see doctor_fleet.hosts; generated, inventory: shown in the header."""
    items = doctor_fleet.hosts(reports)
    check_ids = columns(items)
    titles = {}
    for _host, report in items:
        for row in report.get("checks") or []:
            titles.setdefault(row.get("id"), row.get("title"))
    by_status = doctor_fleet.status_counts(items)
    overall = doctor_fleet.FAIL if by_status[doctor_fleet.FAIL] else (
        doctor_fleet.WARN if by_status[doctor_fleet.WARN] else doctor_fleet.OK)
    out = []
    add = out.append
    add(u"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    add(u"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
    add(u"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        u"script-src 'unsafe-inline'; img-src data:\">\n")
    add(u"<title>%s: %s</title>\n" % (esc(title), esc(overall.upper())))
    add(u"<style>%s</style>\n</head>\n" % (_CSS % COLOURS))
    add(u"<body data-status=\"%s\" data-hosts=\"%d\">\n<header>\n" % (esc(overall), len(items)))
    add(u"<h1>%s <span class=\"badge st-%s\" id=\"overall\">%s</span></h1>\n" % (esc(title), esc(overall), esc(overall.upper())))
    add(u"<div class=\"meta\">Generated <time id=\"generated\">%s</time> &middot; inventory <span id=\"inventory\">%s</span>"
        u" &middot; %d host(s), %d check(s)</div>\n" % (esc(generated), esc(inventory), len(items), len(check_ids)))
    add(u"<div class=\"counts\" id=\"counts\">")
    for status in (doctor_fleet.FAIL, doctor_fleet.WARN, doctor_fleet.OK):
        add(u"<span class=\"count\" data-status=\"%s\"><span class=\"badge st-%s\">%d</span> %s</span>"
            % (status, status, by_status[status], esc(status)))
    add(u"</div>\n<div class=\"filters\">Show hosts: ")
    for status in (doctor_fleet.FAIL, doctor_fleet.WARN, doctor_fleet.OK):
        add(u"<label><input type=\"checkbox\" class=\"filter\" value=\"%s\" checked> %s</label>" % (status, status))
    add(u" &middot; <span id=\"shown\">%d</span> shown &middot; click a cell for evidence and fix, a column header to sort"
        % len(items))
    add(u"</div>\n<div class=\"legend\">")
    for status in doctor_fleet.FAIL, doctor_fleet.WARN, doctor_fleet.OK, doctor_fleet.SKIP:
        add(u"<span><span class=\"badge st-%s\">%s</span> %s</span>" % (status, esc(SYMBOL[status]), status))
    add(u"</div>\n</header>\n<main>\n<div class=\"wrap\">\n<table id=\"fleet\">\n<thead><tr>")
    add(u"<th class=\"host\" data-column=\"host\">Host</th><th class=\"stat\" data-column=\"status\">Status</th>"
        u"<th class=\"num\" data-column=\"fail\">Fail</th><th class=\"num\" data-column=\"warn\">Warn</th>")
    for check_id in check_ids:
        add(u"<th class=\"check\" data-column=\"%s\" title=\"%s\">%s</th>" % (esc(check_id), esc(titles.get(check_id)), esc(check_id)))
    add(u"</tr></thead>\n<tbody>\n")
    for host, report in items:
        status = doctor_fleet.host_status(report)
        counts = doctor_fleet.counts(report)
        rows = dict((r.get("id"), r) for r in report.get("checks") or [] if isinstance(r, dict))
        add(u"<tr class=\"host-%s\" data-host=\"%s\" data-status=\"%s\">" % (status, esc(host), status))
        add(u"<td class=\"host\" title=\"%s\">%s</td>" % (esc("%s (%s, %s:%s)" % (
            host, report.get("platform"), report.get("name"), report.get("port"))), esc(host)))
        add(u"<td class=\"stat\" data-status=\"%s\"><span class=\"badge st-%s\">%s</span></td>" % (status, status, esc(status.upper())))
        add(u"<td class=\"num\" data-num=\"%d\">%d</td><td class=\"num\" data-num=\"%d\">%d</td>"
            % (counts[doctor_fleet.FAIL], counts[doctor_fleet.FAIL], counts[doctor_fleet.WARN], counts[doctor_fleet.WARN]))
        for check_id in check_ids:
            row = rows.get(check_id)
            if row is None:
                add(u"<td class=\"cell st-na\" data-status=\"na\" data-host=\"%s\" data-check=\"%s\" "
                    u"title=\"not applicable\"></td>" % (esc(host), esc(check_id)))
                continue
            cell_status = row.get("status") if row.get("status") in COLOURS else doctor_fleet.FAIL
            values = (cell_status, cell_status, esc(host), esc(check_id), esc(check_id), esc(cell_status),
                      esc(SYMBOL[cell_status]))
            add(u"<td class=\"cell st-%s\" data-status=\"%s\" data-host=\"%s\" data-check=\"%s\" tabindex=\"0\" "
                u"title=\"%s: %s\">%s</td>" % values)
        add(u"</tr>\n")
    add(u"</tbody>\n</table>\n</div>\n")
    add(u"<aside id=\"details\" hidden aria-live=\"polite\"><button type=\"button\" id=\"d-close\">close</button>"
        u"<h2 id=\"d-title\"></h2><dl><dt>Check</dt><dd id=\"d-check\"></dd><dt>Status</dt>"
        u"<dd><span id=\"d-status\" class=\"badge\"></span></dd><dt>Evidence</dt><dd id=\"d-evidence\"></dd>"
        u"<dt>Fix</dt><dd id=\"d-fix\"></dd><dt>See</dt><dd id=\"d-faq\"></dd><dt>Cause</dt><dd id=\"d-cause\"></dd>"
        u"</dl></aside>\n</main>\n")
    data = {"generated": generated, "inventory": inventory, "hosts": dict(items)}
    add(u"<script id=\"doctor-data\" type=\"application/json\">%s</script>\n" % script_json(data))
    add(u"<script>%s</script>\n</body>\n</html>\n" % _JS)
    return u"".join(out)
