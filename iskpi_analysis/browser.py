"""Open report pages in headless Chromium and check them (images, links, network), take screenshots.

No Python dependency beyond the standard library: Chromium is driven over the Chrome DevTools
Protocol on a pipe (``--remote-debugging-pipe``: the browser reads commands from fd 3 and writes
replies to fd 4, each JSON message terminated by NUL).

    from iskpi_analysis import browser
    res = browser.check_page("reports/2026-10/index.html", screenshot="index.png")
    res.problems   # [] when every image decoded and every link resolves

A page passes when every ``<img>`` is loaded and decoded (``naturalWidth > 0``), every link
(``<a href>``) resolves — an in-page ``#anchor`` to an element with that id, a ``file:`` link to an
existing file (and its ``#anchor``, if any, to an element of that page when it is HTML) — no request
leaves the machine (every request is ``file:`` or ``data:``), and no JavaScript error occurred.

Chromium is found via ``$ISKPI_CHROMIUM`` or on PATH (``chromium``, ``chromium-browser``,
``google-chrome``, ``chrome``); on Debian/Ubuntu: ``apt-get install -y chromium``.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = [
    "BrowserError",
    "PageCheck",
    "Chromium",
    "CANDIDATES",
    "A4_MM",
    "A4_POINTS",
    "find_chromium",
    "check_page",
    "check_pages",
    "print_pdfs",
    "pdf_page_sizes",
]

#: ISO A4 paper: millimetres and PostScript points (1/72 inch)
A4_MM = (210.0, 297.0)
A4_POINTS = (A4_MM[0] / 25.4 * 72, A4_MM[1] / 25.4 * 72)

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

_INSPECT_JS = r"""
(() => {
  const imgs = Array.from(document.images).map(i => ({
    src: (i.getAttribute('src') || '').slice(0, 80), complete: i.complete,
    width: i.naturalWidth, height: i.naturalHeight}));
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => {
    const raw = a.getAttribute('href');
    let target = null;
    if (raw.startsWith('#')) {
      const rawId = raw.slice(1);
      let id = rawId;
      try { id = decodeURIComponent(rawId); } catch (e) {}
      const has = x => document.getElementById(x) !== null || document.getElementsByName(x).length > 0;
      target = rawId === '' || has(rawId) || has(id);
    }
    return {raw: raw, href: a.href, in_page: target};
  });
  return {title: document.title, images: imgs, links: links,
          height: Math.max(document.body ? document.body.scrollHeight : 0, document.documentElement.scrollHeight),
          text_length: (document.body ? document.body.innerText : '').length,
          scripts: document.scripts.length};
})()
"""


_TABLES_JS = r"""
(() => {
  const page = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll('table')).map((t, i) => {
    // the box the table must fit in: its nearest block ancestor that is narrower than the page or
    // clips (overflow), else the page; a cell beyond that box's right edge is cut when printed
    let box = t.parentElement;
    const cells = Array.from(t.querySelectorAll('th, td'));
    const right = Math.max(t.getBoundingClientRect().right, ...cells.map(c => c.getBoundingClientRect().right));
    const limit = Math.min(page, box.getBoundingClientRect().left + box.clientWidth);
    return {index: i, scroll_width: Math.max(t.scrollWidth, box.scrollWidth), container_width: box.clientWidth,
            right: right, limit: limit, page_width: page,
            clipped: right > limit + 1 || box.scrollWidth > box.clientWidth + 1,
            header: Array.from(t.querySelectorAll('thead th')).map(h => h.innerText.trim()).slice(0, 12)};
  });
})()
"""


class BrowserError(RuntimeError):
    """Chromium is missing, crashed or did not answer."""


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    env = os.environ.get("ISKPI_CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for c in CANDIDATES:
        p = shutil.which(c)
        if p:
            return p
    return None


@dataclass
class PageCheck:
    """What the browser saw on one page."""

    url: str
    title: str = ""
    images: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    text_length: int = 0
    screenshot: Path | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Chromium:
    """A headless Chromium driven over the DevTools protocol on a pipe. Use as a context manager."""

    def __init__(self, binary: str | None = None, *, timeout: float = 60.0, width: int = 1200, height: int = 900):
        self.binary = binary or find_chromium()
        if not self.binary:
            raise BrowserError("Chromium not found (set ISKPI_CHROMIUM or install it: apt-get install -y chromium)")
        self.timeout = timeout
        self.width, self.height = width, height
        self._id = 0
        self._buf = b""
        self._events: list[dict] = []

    def __enter__(self) -> Chromium:
        self._profile = tempfile.mkdtemp(prefix="iskpi-chromium-")
        to_r, self._to_w = os.pipe()  # we write commands → browser reads fd 3
        self._from_r, from_w = os.pipe()  # browser writes fd 4 → we read
        args = [
            self.binary,
            "--headless=new",
            "--remote-debugging-pipe",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--mute-audio",
            "--hide-scrollbars",
            f"--user-data-dir={self._profile}",
            f"--window-size={self.width},{self.height}",
            "about:blank",
        ]

        def child():  # runs in the child before exec: put the pipe ends on fd 3 and 4
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child,
            pass_fds=(3, 4),
        )
        os.close(to_r)
        os.close(from_w)
        try:
            targets = self.send("Target.getTargets")["targetInfos"]
            page = next((t for t in targets if t["type"] == "page"), None)
            tid = page["targetId"] if page else self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.send("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Network"):
                self.send(f"{domain}.enable", session=True)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        try:
            if self._proc.poll() is None:
                try:
                    self.send("Browser.close", timeout=5)
                except Exception:  # noqa: BLE001
                    pass
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
        finally:
            for fd in (self._to_w, self._from_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self._profile, ignore_errors=True)

    # --- protocol ---------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("Chromium did not answer in time")
            r, _, _ = select.select([self._from_r], [], [], left)
            if r:
                chunk = os.read(self._from_r, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the DevTools pipe (crashed?)")
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, *, session: bool = False, timeout: float | None = None):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._id:
                if "error" in m:
                    raise BrowserError(f"{method}: {m['error'].get('message')}")
                return m.get("result", {})
            self._events.append(m)

    def wait_event(self, method: str, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, e in enumerate(self._events):
                if e.get("method") == method:
                    return self._events.pop(i)
            self._events.append(self._read_message(deadline))

    # --- high level -------------------------------------------------------------------------
    def open(self, url: str) -> None:
        self._events.clear()
        self.send("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str):
        r = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session=True
        )
        if "exceptionDetails" in r:
            raise BrowserError(f"JS error: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    def screenshot(self, path: str | Path, *, full_page: bool = True, max_height: int = 4000) -> Path:
        height = self.height
        if full_page:
            height = min(max_height, int(self.evaluate("document.documentElement.scrollHeight") or self.height))
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": max(height, 100), "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )
        clip = {"x": 0, "y": 0, "width": self.width, "height": max(height, 100), "scale": 1}
        data = self.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}, session=True
        )["data"]
        import base64

        path = Path(path)
        path.write_bytes(base64.b64decode(data))
        self.send("Emulation.clearDeviceMetricsOverride", session=True)
        return path

    def print_pdf(self, page: str | Path, out: str | Path) -> Path:
        """Print a local HTML page to an A4 PDF (the page's ``@page``/print CSS; backgrounds kept)."""
        page = Path(page).resolve()
        if not page.exists():
            raise FileNotFoundError(page)
        self.open(page.as_uri())
        self.evaluate("document.fonts.ready.then(() => true)")  # the embedded font, before printing
        inch = 25.4
        data = self.send(
            "Page.printToPDF",
            {
                "paperWidth": A4_MM[0] / inch,
                "paperHeight": A4_MM[1] / inch,
                "printBackground": True,
                "preferCSSPageSize": True,
                "displayHeaderFooter": False,
            },
            session=True,
            timeout=max(self.timeout, 120),
        )["data"]
        import base64

        out = Path(out)
        out.write_bytes(base64.b64decode(data))
        return out

    def print_layout(self, page: str | Path, *, width_px: int) -> list[dict]:
        """Lay a page out as printed (print media, ``width_px`` wide: the printable width of the
        paper) and measure every table against its container: ``[{index, scroll_width,
        container_width, right, clipped}]``; ``clipped`` when a column would be cut."""
        page = Path(page).resolve()
        self.send("Emulation.setEmulatedMedia", {"media": "print"}, session=True)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width_px, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )
        try:
            self.open(page.as_uri())
            return self.evaluate(_TABLES_JS)
        finally:
            self.send("Emulation.clearDeviceMetricsOverride", session=True)
            self.send("Emulation.setEmulatedMedia", {"media": ""}, session=True)

    def check(self, page: str | Path, *, screenshot: str | Path | None = None) -> PageCheck:
        """Open a local HTML file and check images, links, requests and JS errors."""
        page = Path(page).resolve()
        if not page.exists():
            raise FileNotFoundError(page)
        url = page.as_uri()
        self.open(url)
        info = self.evaluate(_INSPECT_JS)
        time.sleep(0.05)
        res = PageCheck(
            url=url, title=info["title"], images=info["images"], links=info["links"], text_length=info["text_length"]
        )
        for e in self._events:
            if e.get("method") == "Network.requestWillBeSent":
                res.requests.append(e["params"]["request"]["url"][:120])
            elif e.get("method") == "Runtime.exceptionThrown":
                res.exceptions.append(e["params"]["exceptionDetails"].get("text", "exception"))
        for img in res.images:
            if not img["complete"] or img["width"] == 0:
                res.problems.append(f"broken image: {img['src']}…")
        for link in res.links:
            bad = _link_problem(link, page)
            if bad:
                res.problems.append(bad)
        for u in res.requests:
            if not u.startswith(("file:", "data:", "about:")):
                res.problems.append(f"network request off the machine: {u}")
        res.problems += [f"JavaScript error: {x}" for x in res.exceptions]
        if screenshot:
            res.screenshot = self.screenshot(screenshot)
        return res


def _link_problem(link: dict, page: Path) -> str | None:
    raw, href = link["raw"], link["href"]
    if raw.startswith("#"):
        return None if link["in_page"] else f"in-page link to a missing anchor: {raw}"
    parts = urlsplit(href)
    if parts.scheme == "file":
        target = Path(unquote(parts.path))
        if not target.exists():
            return f"link to a missing file: {raw}"
        if parts.fragment and target.suffix == ".html" and target != page:
            text = target.read_text(encoding="utf-8", errors="replace")
            frags = {parts.fragment, unquote(parts.fragment)}
            if not any(f'id="{f}"' in text or f'name="{f}"' in text for f in frags):
                return f"link to a missing anchor: {raw}"
        return None
    if parts.scheme in ("http", "https", "mailto"):
        return None  # outbound links are allowed (not loaded); requests are checked separately
    return f"link with an unexpected scheme: {raw}"


def check_page(page: str | Path, *, screenshot: str | Path | None = None, binary: str | None = None) -> PageCheck:
    """Open one page in a fresh headless Chromium and check it (see :class:`Chromium.check`)."""
    with Chromium(binary) as b:
        return b.check(page, screenshot=screenshot)


def check_pages(pages, *, screenshot_dir: str | Path | None = None, binary: str | None = None) -> list[PageCheck]:
    """Check several pages in one browser; screenshots as ``<screenshot_dir>/<parent>_<stem>.png``."""
    out = []
    if screenshot_dir:
        Path(screenshot_dir).mkdir(parents=True, exist_ok=True)
    with Chromium(binary) as b:
        for p in pages:
            p = Path(p)
            shot = Path(screenshot_dir) / f"{p.parent.name}_{p.stem}.png" if screenshot_dir else None
            out.append(b.check(p, screenshot=shot))
    return out


def print_pdfs(pages, *, binary: str | None = None) -> list[Path]:
    """An A4 PDF beside every page (``x.html`` → ``x.pdf``), printed in one headless Chromium."""
    out = []
    with Chromium(binary) as b:
        for p in pages:
            p = Path(p)
            out.append(b.print_pdf(p, p.with_suffix(".pdf")))
    return out


_PAGE_RE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_MEDIABOX_RE = re.compile(rb"/MediaBox\s*\[\s*([-\d.\s]+?)\s*\]")


def pdf_page_sizes(path: str | Path) -> list[tuple[float, float]]:
    """``(width, height)`` in points of every page of a PDF as Chromium writes it (uncompressed
    page objects; a MediaBox per page, or one inherited from the page tree), without a PDF library."""
    raw = Path(path).read_bytes()
    if not raw.startswith(b"%PDF-"):
        raise ValueError(f"{path}: not a PDF")
    n = len(_PAGE_RE.findall(raw))
    boxes = [[float(x) for x in m.split()] for m in _MEDIABOX_RE.findall(raw)]
    if not n or not boxes:
        raise ValueError(f"{path}: no page objects or MediaBox found (compressed object streams?)")
    sizes = [(b[2] - b[0], b[3] - b[1]) for b in boxes]
    if len(sizes) == 1:  # inherited from /Pages
        sizes *= n
    if len(sizes) != n:
        raise ValueError(f"{path}: {n} pages but {len(sizes)} MediaBox entries")
    return sizes
