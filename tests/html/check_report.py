#!/usr/bin/env python3
"""Renders report.html in headless Chromium and checks what a person would see.

    check_report.py REPORT.html REPORT.json WORKDIR [--png OUT.png]

- the rendered DOM's text holds the report's numbers, taken from report.json (rows, mean, the
  drifted feature and its PSI, a rejected row's line and reason, the model's SHA-256);
- screenshots at 1100 px and at a phone's 390 px are not blank (many non-white pixels, several
  colours), and the page does not overflow the phone's width;
- printing to PDF gives a document.
With --png, the desktop screenshot is also copied to OUT.png (docs/report.png, the demo's, is made
as docs/REPORT.md says).
"""
import html.parser
import json
import os
import shutil
import subprocess
import sys

from PIL import Image

CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-dev-shm-usage", "--user-data-dir=%s"]


def chromium(work, *arguments):
    command = [a % os.path.join(work, "chromium-profile") if "%s" in a else a for a in CHROMIUM] + list(arguments)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit("chromium failed (%d): %s" % (result.returncode, result.stderr[-2000:]))
    return result.stdout


class TextOf(html.parser.HTMLParser):
    """The text a reader sees: everything outside <style>, whitespace collapsed."""

    def __init__(self):
        super().__init__()
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)

    def text(self):
        return " ".join(" ".join(self.parts).split())


def not_blank(path, what):
    image = Image.open(path).convert("RGB")
    width, height = image.size
    counts = image.getcolors(width * height)  # [(count, (r, g, b))]
    white = sum(count for count, colour in counts if colour == (255, 255, 255))
    colours = len(counts)
    share = (width * height - white) / (width * height)
    if share < 0.02 or colours < 8:
        sys.exit("%s screenshot looks blank: %.2f%% non-white, %d colours" % (what, 100 * share, colours))
    return image


def main():
    page, report_path, work = sys.argv[1], sys.argv[2], sys.argv[3]
    png_out = sys.argv[sys.argv.index("--png") + 1] if "--png" in sys.argv else None
    report = json.load(open(report_path))
    url = "file://" + os.path.abspath(page)
    size = os.path.getsize(page)
    if size >= 200_000:
        sys.exit("report.html is %d bytes, over 200 KB" % size)

    dom = chromium(work, "--dump-dom", url)
    parser = TextOf()
    parser.feed(dom)
    text = parser.text()
    failures = []

    def expect(fragment, why):
        if fragment not in text:
            failures.append("%s: %r not in the rendered text" % (why, fragment))

    rows = report["rows"]
    expect("Rows read %s" % format(rows["read"], ","), "rows read")
    expect("Predicted %s" % format(rows["predicted"], ","), "rows predicted")
    expect("Rejected %s" % format(rows["rejected"], ","), "rows rejected")
    statistics = report["statistics"]
    expect("Mean %.4f" % statistics["mean"], "score mean")
    expect("Max %.4f" % statistics["max"], "score max")
    expect(format(statistics["distribution"][4]["count"], ","), "top score bin")
    drift = report["drift"]
    if drift is None or drift["alerted"] != ["credit_score"]:
        failures.append("report.json should alert on credit_score alone: %r" % (drift and drift["alerted"]))
    else:
        shifted = next(f for f in drift["features"] if f["name"] == "credit_score")
        expect("credit_score %.4f alert" % shifted["psi"], "the drifted feature's PSI and level")
        expect("Max PSI %.3f alert" % drift["max_psi"], "max PSI tile")
    first = report["validation"]["rejected_sample"][0]
    expect("%d %s (%d)" % (first["line"], first["column_name"], first["column"]), "first rejected row")
    expect(first["message"], "first rejected reason")
    expect(report["model"]["sha256"], "model SHA-256")
    feature = report["features"][0]
    expect("%s %s" % (feature["name"], format(feature["count"], ",")), "per-feature table")
    if failures:
        sys.exit("report.html, rendered:\n  " + "\n  ".join(failures) + "\n\nrendered text:\n" + text[:3000])

    desktop = os.path.join(work, "desktop.png")
    chromium(work, "--window-size=1100,2400", "--screenshot=" + desktop, url)
    not_blank(desktop, "desktop")
    phone = os.path.join(work, "phone.png")
    chromium(work, "--window-size=390,2400", "--screenshot=" + phone, url)
    image = not_blank(phone, "phone")
    # Nothing drawn past the right edge: the last column of pixels is background at every height
    # where the page has content (tables scroll inside their own boxes).
    width, height = image.size
    edge = [image.getpixel((width - 1, y)) for y in range(height)]
    if sum(1 for p in edge if p != (255, 255, 255)) > height * 0.05:
        sys.exit("the phone screenshot runs past the screen's right edge")
    pdf = os.path.join(work, "report.pdf")
    chromium(work, "--print-to-pdf=" + pdf, "--no-pdf-header-footer", url)
    if not open(pdf, "rb").read(5) == b"%PDF-" or os.path.getsize(pdf) < 10_000:
        sys.exit("printing report.html gave no PDF")
    if png_out:
        shutil.copyfile(desktop, png_out)
    print("report.html: %d bytes; rendered text has the report's numbers; desktop, phone and print render" % size)


if __name__ == "__main__":
    main()
