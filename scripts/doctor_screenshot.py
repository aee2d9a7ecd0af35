#!/usr/bin/env python3
"""Make docs/img/doctor-fleet.png: the doctor's HTML page for a mixed-health sample fleet in headless Chromium.

    python scripts/doctor_screenshot.py [docs/img/doctor-fleet.png]

The fleet is tests/integration/doctor_sample_fleet.py (healthy, expired certificate, stopped broker, a warning,
Windows), evaluated by the real check table. Chromium's PNG is reduced to a 256-colour palette (the page is
mostly flat colours) so the image stays small; only zlib is used.
"""
import collections
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import doctor_sample_fleet  # noqa: E402
from test_doctor_html_chromium import png_pixels  # noqa: E402


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def palette_png(width, height, pixels):
    """An 8-bit palette PNG: the 256 most frequent colours, every other colour mapped to its nearest."""
    palette = [colour for colour, _n in collections.Counter(pixels).most_common(256)]
    index = dict((colour, i) for i, colour in enumerate(palette))

    def nearest(colour):
        return min(range(len(palette)), key=lambda i: sum((a - b) ** 2 for a, b in zip(colour, palette[i])))

    for colour in set(pixels) - set(index):
        index[colour] = nearest(colour)
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        raw.extend(index[p] for p in pixels[y * width:(y + 1) * width])
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
            + _chunk(b"PLTE", b"".join(bytes(c) for c in palette)) + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + _chunk(b"IEND", b""))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "img", "doctor-fleet.png")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is missing: run scripts/bootstrap.sh test")
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "doctor.html")
        with open(page, "w", encoding="utf-8") as handle:
            handle.write(doctor_sample_fleet.html())
        shot = os.path.join(tmp, "shot.png")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--user-data-dir=" + os.path.join(tmp, "profile"), "--window-size=1600,470",
                        "--virtual-time-budget=2000", "--screenshot=" + shot,
                        "file://" + page + "#click=rtvs-badcert/certificate_expiry"],
                       check=True, capture_output=True)
        with open(shot, "rb") as handle:
            width, height, pixels = png_pixels(handle.read())
    data = palette_png(width, height, pixels)
    with open(out, "wb") as handle:
        handle.write(data)
    print("%s: %dx%d, %d bytes" % (out, width, height, len(data)))


if __name__ == "__main__":
    main()
