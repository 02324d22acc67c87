"""Printing the report: the A4 print stylesheet and ``iskpi report --pdf``, checked in headless
Chromium — PDF pages exist and are A4, and, laid out as printed (print media, the printable width
of A4), no table is wider than the box it sits in (no column cut off: the KPI table's 前月 /
前月差 / 判定 included). The same check on the pages without the print stylesheet finds cut
tables, so it can fail.

Chromium as in tests/report/test_browser.py: skipped locally without it, a failure under
``ISKPI_REQUIRE_BROWSER=1`` or ``CI``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_report import FIXTURE_NOTEBOOKS, MONTH, make_tiny_data

from iskpi_analysis import browser, report

CHROMIUM = browser.find_chromium()
BIN = Path(sys.executable).parent
#: A4 less the print stylesheet's left and right page margins (10 mm each), in CSS pixels
A4_PRINT_WIDTH_PX = round((browser.A4_MM[0] - 20) / 25.4 * 96)
PRINT_CSS = (report.TEMPLATES_DIR / report.TEMPLATE_NAME / "print.css").read_text(encoding="utf-8")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _need_chromium():
    if CHROMIUM is None:
        if os.environ.get("ISKPI_REQUIRE_BROWSER") == "1" or os.environ.get("CI"):
            pytest.fail("Chromium is required here (apt-get install -y chromium)")
        pytest.skip("Chromium not installed (apt-get install -y chromium)")


def assert_a4(pdf: Path) -> int:
    sizes = browser.pdf_page_sizes(pdf)
    assert len(sizes) > 0
    for w, h in sizes:  # Chromium rounds the paper to whole CSS pixels: within 1 pt of A4
        assert abs(w - browser.A4_POINTS[0]) < 1.0 and abs(h - browser.A4_POINTS[1]) < 1.0, (pdf, w, h)
    return len(sizes)


def test_pages_carry_the_a4_print_stylesheet(sample_ja):
    page = sample_ja["result"].html_files[0].read_text(encoding="utf-8")
    assert re.search(r"@page\s*\{\s*size:\s*A4", page)
    assert "@media print" in page and "overflow-wrap: anywhere" in page


def test_sample_pages_print_to_a4_without_cut_tables(sample_ja, tmp_path):
    s = sample_ja
    res = s["result"]
    pages = [res.index, *res.html_files]
    with browser.Chromium() as b:
        layouts = {p: b.print_layout(p, width_px=A4_PRINT_WIDTH_PX) for p in pages}
    cut = [
        (p.name, x["header"], round(x["right"]), round(x["limit"]))
        for p, lay in layouts.items()
        for x in lay
        if x["clipped"]
    ]
    assert not cut, cut
    tree = [x for lay in layouts.values() for x in lay if {"前月", "前月差", "判定"} <= set(x["header"])]
    assert tree, "no KPI table with 前月 / 前月差 / 判定 on the pages"
    assert sum(len(lay) for lay in layouts.values()) >= 10
    # one PDF per page, every page of it A4
    pdfs = report.write_pdfs(pages)
    assert [p.with_suffix(".pdf") for p in pages] == pdfs
    counts = {p.name: assert_a4(p) for p in pdfs}
    assert all(n >= 1 for n in counts.values()), counts
    scorecard = next(p for p in pdfs if p.stem.startswith("01_"))
    assert counts[scorecard.name] >= 3  # a long page paginates instead of being cut


def test_without_the_print_stylesheet_tables_are_cut(sample_ja, tmp_path):
    """The check above can fail: the same page with only the screen CSS has tables wider than A4."""
    res = sample_ja["result"]
    page = next(p for p in res.html_files if p.stem.startswith("01_"))
    text = page.read_text(encoding="utf-8")
    assert PRINT_CSS in text
    screen_only = tmp_path / page.name
    screen_only.write_text(text.replace(PRINT_CSS, ""), encoding="utf-8")
    with browser.Chromium() as b:
        cut = [x for x in b.print_layout(screen_only, width_px=A4_PRINT_WIDTH_PX) if x["clipped"]]
    assert any({"前月差", "判定"} <= set(x["header"]) for x in cut), [x["header"] for x in cut]


def test_report_pdf_option_writes_an_a4_pdf_beside_every_page(tmp_path):
    data = make_tiny_data(tmp_path / "data")
    out = tmp_path / "out"
    r = subprocess.run(
        [
            str(BIN / "iskpi"),
            "report",
            "--month",
            MONTH,
            "--data",
            str(data),
            "--out",
            str(out),
            "--notebooks-dir",
            str(FIXTURE_NOTEBOOKS),
            "--notebooks",
            "01_tiny",
            "--pdf",
            "-j",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    html = sorted((out / MONTH).rglob("*.html"))
    assert len(html) == 4  # index + organisation + two teams
    for h in html:
        assert_a4(h.with_suffix(".pdf"))
    assert "A4 PDF(s)" in r.stderr


def test_pdf_page_sizes_rejects_what_is_not_a_pdf(tmp_path):
    bad = tmp_path / "x.pdf"
    bad.write_text("<html></html>", encoding="utf-8")
    with pytest.raises(ValueError, match="not a PDF"):
        browser.pdf_page_sizes(bad)
