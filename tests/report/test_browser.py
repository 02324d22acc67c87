"""The report in a real browser: headless Chromium opens index.html and a report page; every
image must decode, every link resolve, nothing may be fetched from the network.

Chromium comes from the system packages (``apt-get install -y chromium``; ``.ci/run`` installs it).
Without it the test is skipped locally but FAILS when ``ISKPI_REQUIRE_BROWSER=1`` (set by
``.ci/run``) or ``CI`` is set, so the check cannot silently disappear there.
"""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path

import pytest

from iskpi_analysis import browser

CHROMIUM = browser.find_chromium()


@pytest.fixture(autouse=True)
def _need_chromium():
    if CHROMIUM is None:
        if os.environ.get("ISKPI_REQUIRE_BROWSER") == "1" or os.environ.get("CI"):
            pytest.fail("Chromium is required here (apt-get install -y chromium)")
        pytest.skip("Chromium not installed (apt-get install -y chromium)")


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_index_and_report_open_in_chromium(sample_ja, tmp_path_factory):
    s = sample_ja  # the sample-data report, computed once per session
    res = s["result"]
    page = sorted((res.out_dir / s["team"]).glob("*.html"))[0]
    shots = Path(os.environ.get("ISKPI_SCREENSHOT_DIR") or tmp_path_factory.mktemp("shots"))
    index_check, page_check = browser.check_pages([res.index, page], screenshot_dir=shots)

    assert index_check.ok, index_check.problems
    assert page_check.ok, page_check.problems
    # the index links every report and the report's images really decoded in the browser
    linked = {Path(x["href"]).name for x in index_check.links if x["href"].endswith(".html")}
    assert {p.name for p in res.html_files} <= linked
    assert len(index_check.links) >= len(res.html_files)
    assert page_check.images, "the report has no chart"
    assert all(i["width"] > 0 for i in page_check.images)
    assert page_check.text_length > 200
    assert "2026-10" in index_check.title
    # nothing but the page itself and data: URIs was requested
    assert all(u.startswith(("file:", "data:")) for u in index_check.requests + page_check.requests)
    for c in (index_check, page_check):
        w, h = _png_size(c.screenshot)
        assert w == 1200 and h >= 300


def test_check_detects_broken_image_dead_link_and_network(tmp_path):
    ok_png = base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
    ).decode()
    (tmp_path / "other.html").write_text('<html><body><h2 id="there">x</h2></body></html>', encoding="utf-8")
    (tmp_path / "page.html").write_text(
        f"""<!DOCTYPE html><html><head><title>t</title></head><body>
<img src="data:image/png;base64,{ok_png}">
<img src="missing.png">
<a href="#here">ok anchor</a><h2 id="here">here</h2>
<a href="#nowhere">dead anchor</a>
<a href="other.html#there">ok file</a>
<a href="other.html#gone">dead file anchor</a>
<a href="nofile.html">dead file</a>
<img src="https://example.invalid/x.png">
</body></html>""",
        encoding="utf-8",
    )
    r = browser.check_page(tmp_path / "page.html", screenshot=tmp_path / "shot.png")
    text = "\n".join(r.problems)
    assert "broken image: missing.png" in text
    assert "missing anchor: #nowhere" in text
    assert "missing anchor: other.html#gone" in text
    assert "missing file: nofile.html" in text
    assert "network request off the machine: https://example.invalid/x.png" in text
    assert "#here" not in text and "other.html#there" not in text
    assert sum("broken image" in p for p in r.problems) == 2  # missing.png and the network image
    assert (tmp_path / "shot.png").stat().st_size > 100


def test_find_chromium_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("ISKPI_CHROMIUM", CHROMIUM)
    assert browser.find_chromium() == CHROMIUM
    monkeypatch.setenv("ISKPI_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert browser.find_chromium() is None
    with pytest.raises(browser.BrowserError, match="Chromium not found"):
        browser.Chromium()


_FIRST_SCREEN_JS = r"""JSON.stringify((() => {
  const box = s => { const e = document.querySelector(s); if (!e) return null;
    const r = e.getBoundingClientRect(); return [r.top + window.scrollY, r.bottom + window.scrollY, r.width]; };
  const sparks = [...document.querySelectorAll('.exec svg.spark polyline')].map(p => p.getBBox().width);
  return {org: box('.exec-org'), actions: box('.exec-actions'), teams: box('.exec-teams'), pages: box('#pages'),
          footer: box('footer.operator'), sparks: sparks, width: document.documentElement.scrollWidth};
})())"""


def test_index_first_screen_fits_a_laptop_screen(sample_ja, tmp_path_factory):
    """At 1366×768 the organisation totals, the actions and the teams' key KPIs are all on the
    first screen, the sparklines are drawn, nothing scrolls sideways; pages and operator details
    come after it."""
    import json

    s = sample_ja
    shots = Path(os.environ.get("ISKPI_SCREENSHOT_DIR") or tmp_path_factory.mktemp("shots"))
    with browser.Chromium(width=1366, height=768) as c:
        c.open(s["result"].index.resolve().as_uri())
        boxes = json.loads(c.evaluate(_FIRST_SCREEN_JS))
        shot = c.screenshot(shots / "index_first_screen.png", full_page=False)
    assert _png_size(shot) == (1366, 768)
    for part in ("org", "actions", "teams"):
        assert boxes[part] is not None and boxes[part][1] <= 768, (part, boxes)
    assert boxes["pages"][0] >= boxes["teams"][1] and boxes["footer"][0] > 768
    assert boxes["width"] <= 1366
    assert len(boxes["sparks"]) >= 6 and all(w > 20 for w in boxes["sparks"])
