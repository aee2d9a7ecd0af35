"""The doctor's HTML page in headless Chromium (Debian's chromium package, scripts/bootstrap.sh test):
the rows, the status colours, clicking a cell opens the details panel, filtering, sorting, and text from a
broker log stays text. The screenshot's pixels are counted with a small PNG decoder (zlib only).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import doctor_sample_fleet  # noqa: E402

from ansible_collections.rtvs.remote.plugins.module_utils.doctor import doctor_render_html  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTS = ["rtvs-badcert", "rtvs-healthy", "rtvs-noisy", "rtvs-stopped", "rtvs-win"]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    assert CHROMIUM, "chromium is missing: run scripts/bootstrap.sh test (it installs Debian's chromium)"
    path = tmp_path_factory.mktemp("html") / "doctor.html"
    path.write_text(doctor_sample_fleet.html(), encoding="utf-8")
    return path


def chromium(*args):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--disable-extensions", "--user-data-dir=%s" % os.environ.get("TMPDIR", "/tmp") + "/doctor-chromium-profile"]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def dom(page, fragment):
    return chromium("--dump-dom", "--virtual-time-budget=2000", page.as_uri() + "#" + fragment)


def element(html, element_id):
    match = re.search(r'<(\w+)([^>]*\bid="%s"[^>]*)>(.*?)</\1>' % re.escape(element_id), html, re.S)
    assert match, element_id
    return match.group(2), match.group(3)


def test_rows_colours_and_clicking_a_cell_opens_the_details_panel(page):
    html = dom(page, "click=rtvs-badcert/certificate_expiry")
    assert 'data-ready="1"' in html  # the script ran
    rows = re.findall(r'<tr class="host-(\w+)" data-host="([^"]+)"', html)
    assert sorted(host for _s, host in rows) == HOSTS
    assert dict((host, status) for status, host in rows) == {
        "rtvs-badcert": "fail", "rtvs-stopped": "fail", "rtvs-noisy": "warn", "rtvs-healthy": "ok", "rtvs-win": "ok"}
    assert [host for _s, host in rows][:2] == ["rtvs-badcert", "rtvs-stopped"]  # worst first by default
    attrs, _body = element(html, "details")
    assert "hidden" not in attrs and 'data-check="certificate_expiry"' in attrs
    assert element(html, "d-title")[1] == "rtvs-badcert \u2014 certificate_expiry"
    assert 'class="badge st-fail"' in element(html, "d-status")[0]
    assert "expired on 2025-12-01" in element(html, "d-evidence")[1]
    assert "Renew the certificate" in element(html, "d-fix")[1]
    assert re.search(r'class="cell st-fail selected" data-status="fail" data-host="rtvs-badcert" '
                     r'data-check="certificate_expiry"', html)
    assert re.search(r'class="cell st-fail" data-status="fail" data-host="rtvs-stopped" data-check="rtvsd_active"', html)


def test_filter_and_sort(page):
    html = dom(page, "filter=fail&sort=host")
    rows = re.findall(r'<tr class="host-(\w+)( hidden)?" data-host="([^"]+)"', html)
    assert [host for _s, _h, host in rows] == HOSTS  # sorted by name
    assert [host for status, hidden, host in rows if not hidden] == ["rtvs-badcert", "rtvs-stopped"]
    assert element(html, "shown")[1] == "2"


def test_text_from_a_broker_log_stays_text(page):
    html = dom(page, "open=rtvs-noisy/broker_log")
    assert "<img" not in html and "pwned" not in element(html, "d-title")[1]
    assert "<title>RTVS doctor: FAIL</title>" in html
    evidence = element(html, "d-evidence")[1]
    assert "&lt;img src=x onerror=" in evidence and "&lt;script&gt;" in evidence


def png_pixels(data):
    """(width, height, [(r, g, b)]) of an 8-bit RGB/RGBA non-interlaced PNG: the subset Chromium writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
    width, height, depth, colour, _c, _f, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    pixels = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
        pixels.extend(tuple(line[x:x + 3]) for x in range(0, stride, bpp))
        prev = line
    return width, height, pixels


def test_screenshot_shows_every_status_colour(page, tmp_path):
    shot = tmp_path / "fleet.png"
    chromium("--screenshot=%s" % shot, "--window-size=1000,460", "--virtual-time-budget=2000", page.as_uri())
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 460)
    counts = dict((status, 0) for status in doctor_render_html.COLOURS)
    wanted = dict((tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)), status)
                  for status, colour in doctor_render_html.COLOURS.items())
    for pixel in pixels:
        if pixel in wanted:
            counts[wanted[pixel]] += 1
    # one cell is about 22x25 pixels; the page has 2 failed and 2 warned cells, 5 skips, the rest ok
    assert counts["fail"] > 2 * 300 and counts["warn"] > 2 * 300 and counts["skip"] > 3 * 300, counts
    assert counts["ok"] > 100 * 300, counts
