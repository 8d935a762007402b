#!/usr/bin/env python3
"""Annotated screenshots of a report for the book's "Reading the evidence" chapter.

    cargo run -p attest-cli -- run examples/chest-xray/attest.yaml --out /tmp/bundle
    python3 book/screenshots/annotate.py /tmp/bundle/report.html book/src/images

For each part of the report listed in SHOTS, writes a copy of the page that keeps the
document's head (its stylesheet) and only that part, puts numbered callouts before chosen
places, screenshots it in headless Chromium (`chromium` on PATH) and trims the blank margin
below (Pillow). The numbers match the numbered lists in book/src/evidence.md. Nothing of
the report is altered but the callouts: the figures shown are the run's own.
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

CALLOUT_STYLE = """
<style>
.callout { display: inline-block; min-width: 1.45em; height: 1.45em; line-height: 1.45em;
  border-radius: 50%; background: #c2185b; color: #fff; font: bold 13px Helvetica, Arial,
  sans-serif; text-align: center; margin: 0 0.35em 0 0; vertical-align: middle;
  box-shadow: 0 0 0 2px #fff; }
body { margin: 16px 20px; }
</style>
"""

# (file name, first marker kept, marker where the part ends (exclusive) or None for the end
# of the section, callouts: (text to place the callout before, number)).
SHOTS = [
    (
        "report-identification.png",
        "<h1>",
        '<h2 id="scope">',
        [
            ("Overall verdict", 1),
            ("<th>Spec SHA-256</th>", 2),
            ("<th>Seed</th>", 3),
            ("<th>Libraries</th>", 4),
            ("<h3>Execution against the approved test plan", 5),
        ],
    ),
    (
        "report-verdicts.png",
        '<h2 id="summary">',
        '<h2 id="tests">',
        [
            ("<th>criteria (as written in the spec)</th>", 1),
            ("<th>verdict</th>", 2),
            ("<th>headline</th>", 3),
            ("<th>reason</th>", 4),
            ("<h3>Operating points", 5),
            ("<h3>Excluded cases", 6),
        ],
    ),
    (
        "report-performance.png",
        '<section class="test" id="PERF-001">',
        '<section class="test" id="PERF-002">',
        [
            ("<p><b>Rationale:</b>", 1),
            ('<p class="reason">', 2),
            ("<th>interval</th>", 3),
            ("<th>threshold</th>", 4),
            ("<th>criterion</th>", 5),
            ('<div class="plots">', 6),
            ("<th>score (threshold)</th>", 7),
        ],
    ),
    (
        "report-subgroups.png",
        '<section class="test" id="FAIR-001">',
        '<section class="test" id="ROB-001">',
        [
            ("<th>method, level</th>", 1),
            ("<td>gap:sensitivity</td>", 2),
            ('<div class="plots">', 3),
        ],
    ),
    (
        "report-robustness.png",
        '<section class="test" id="ROB-001">',
        '<section class="test" id="ROB-002">',
        [
            ("<p><b>Breaking level:</b>", 1),
            ("<td>drop:auc</td>", 2),
            ('<div class="plots">', 3),
            ('<table class="gallery">', 4),
        ],
    ),
    (
        "report-traceability.png",
        '<h2 id="traceability">',
        '<h2 id="spec">',
        [
            ("<th>requirement</th>", 1),
            ("<td><a href=\"#CAL-001\">", 2),
            ('<p>By signing', 3),
        ],
    ),
]


def callout(n: int) -> str:
    return f'<span class="callout">{n}</span>'


def place(html: str, before: str, n: int) -> str:
    """Puts callout n at the first `before`: inside a table cell or a heading/paragraph
    when `before` opens one, so the layout stays that of the report."""
    index = html.find(before)
    if index < 0:
        raise SystemExit(f"annotate: {before!r} not found in the report part")
    opening = re.match(r"<(th|td|h\d|p)(\s[^>]*)?>", before)
    if opening:
        at = index + opening.end()
        return html[:at] + callout(n) + html[at:]
    if before.startswith("<div") or before.startswith("<table"):
        return html[:index] + f"<p>{callout(n)}</p>" + html[index:]
    return html[:index] + callout(n) + html[index:]


def part(report: str, start: str, end: str | None) -> str:
    head = report[: report.index("<body>") + len("<body>")]
    i = report.index(start)
    j = report.index(end, i) if end else report.index("</body>")
    return head.replace("</head>", CALLOUT_STYLE + "</head>") + report[i:j] + "</body></html>"


def screenshot(html: str, out: Path, width: int = 1200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(html, encoding="utf-8")
        raw = Path(tmp) / "shot.png"
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--window-size={width},3000",
                f"--screenshot={raw}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
        image = Image.open(raw).convert("RGB")
        background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
        box = ImageChops.difference(image, background).getbbox()
        if box is None:
            raise SystemExit(f"annotate: {out.name} came out blank")
        bottom = min(image.height, box[3] + 16)
        # A 256-colour palette: a third of the bytes, no visible change on these pages.
        image.crop((0, 0, width, bottom)).quantize(colors=256).save(out, optimize=True)


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: annotate.py REPORT.html OUT_DIR")
    report = Path(sys.argv[1]).read_text(encoding="utf-8")
    out_dir = Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, start, end, callouts in SHOTS:
        html = part(report, start, end)
        for before, n in callouts:
            html = place(html, before, n)
        screenshot(html, out_dir / name)
        print(f"wrote {out_dir / name}")


if __name__ == "__main__":
    main()
