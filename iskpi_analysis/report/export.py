"""HTML export of one executed notebook: header, headline, table of contents, data-quality pointer,
incomplete banner, embedded font subset; no code, no stderr, nothing loaded from the network."""

from __future__ import annotations

import base64
import html
import io as _stdio
import os
import re
from pathlib import Path

from .. import catalog, config, fmt, glossary
from ..catalog import t
from ..notebook import RECORD_MIME
from .params import ORG

__all__ = [
    "TEMPLATES_DIR",
    "TEMPLATE_NAME",
    "FONT_FILE_NAME",
    "REMOVE_TAGS",
    "INDEX_RECORDS",
    "TEAM_ONLY_TAG",
    "ORG_ONLY_TAG",
    "MAX_HTML_BYTES",
    "PRINT_CSS",
    "write_pdfs",
    "note_text",
    "LANG_TAG_PREFIX",
    "drop_other_languages",
    "export_html",
    "external_urls",
    "mark_incomplete",
    "strip_incomplete",
]

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


TEMPLATE_NAME = "iskpi"


FONT_FILE_NAME = "ipaexg.ttf"


#: cells with one of these tags are not shown in the HTML
REMOVE_TAGS = ("remove", "injected-parameters", "parameters")


MAX_HTML_BYTES = 5 * 1024 * 1024


#: the incomplete banner of staging pages sits between these markers (removed at the swap)
INCOMPLETE_START, INCOMPLETE_END = "<!--iskpi-incomplete-->", "<!--/iskpi-incomplete-->"


#: values a page records that the index's first screen reads (carried in the run's entry of the
#: manifest, so a merged month keeps them for the pages it keeps): see :mod:`.index`
INDEX_RECORDS = ("org_summary", "kpi_history", "kpi_table", "team_phase")


#: cells with this tag are left out of the organisation's page (``team="all"``): per-team detail
#: the organisation page replaces by its own section; cells with ORG_ONLY_TAG only appear there
TEAM_ONLY_TAG, ORG_ONLY_TAG = "team-only", "org-only"


#: the A4 print stylesheet, inlined after report.css (``@page`` and ``@media print`` only)
PRINT_CSS = "print.css"


def _css() -> str:
    d = TEMPLATES_DIR / TEMPLATE_NAME
    return "\n".join((d / name).read_text(encoding="utf-8") for name in ("report.css", PRINT_CSS))


def write_pdfs(pages, *, binary: str | None = None) -> list[Path]:
    """An A4 PDF beside every HTML page (``page.html`` → ``page.pdf``), printed by headless
    Chromium with the pages' print stylesheet (:func:`iskpi_analysis.browser.print_pdfs`)."""
    from .. import browser

    return browser.print_pdfs([Path(p) for p in pages], binary=binary)


def _font_face(text: str) -> str:
    """@font-face with the bundled IPAexGothic subset to the characters of ``text`` (WOFF, base64).

    Returns "" when the font or fontTools is unavailable (the CSS falls back to system fonts).
    """
    try:
        import matplotlib_fontja
        from fontTools import subset
    except ImportError:  # pragma: no cover
        return ""
    font = Path(matplotlib_fontja.__file__).parent / "fonts" / FONT_FILE_NAME
    if not font.exists():  # pragma: no cover
        return ""
    chars = {c for c in text if ord(c) > 0x7F} | set(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
    )
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    f = subset.load_font(str(font), opts)
    s = subset.Subsetter(opts)
    s.populate(unicodes=[ord(c) for c in chars])
    s.subset(f)
    buf = _stdio.BytesIO()
    subset.save_font(f, buf, opts)
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        "@font-face{font-family:'IPAexGothic Embedded';font-style:normal;font-weight:400 700;"
        f"src:url(data:font/woff;base64,{b64}) format('woff');}}"
    )


def _text_of_html(page: str) -> str:
    """Visible characters of a page (for font subsetting): tags and data URIs removed."""
    page = re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", "", page)
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _headline_html(items, *, lang: str) -> str:
    if not items:
        return ""
    cells = []
    for it in items:
        if not isinstance(it, dict) or "label" not in it:
            continue
        v = it.get("value")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = fmt.num(v, 0 if float(v).is_integer() else 1)
        note = f'<div class="note">{html.escape(str(it["note"]))}</div>' if it.get("note") else ""
        cells.append(
            f'<div class="kpi"><div class="label">{html.escape(str(it["label"]))}</div>'
            f'<div class="value">{html.escape("–" if v is None else str(v))}</div>{note}</div>'
        )
    return f'<div class="kpis">{"".join(cells)}</div>' if cells else ""


def note_text(problem, *, lang: str = config.DEFAULT_LANG) -> str:
    """The reader's sentence for one data-quality warning (an ``dataset.Problem``) in ``lang``.

    Chosen by the warning's ``code`` from the catalog (``report.note.<code>``) and filled from
    its file, column, count and ``fields``; a warning without a sentence in the catalog keeps
    the validator's own (English) summary.
    """
    key = f"report.note.{problem.code}"
    if not problem.code or not catalog.has(key, lang=lang):
        return problem.summary()
    extra = dict(getattr(problem, "fields", None) or {})
    n = extra.pop("n", problem.count)
    return t(key, lang=lang, file=problem.file, column=problem.column or "", n=n, count=fmt.num(n), **extra)


def _quality_html(notes, *, lang: str, index_href: str | None = None) -> str:
    """The data-quality note: on the index the list (counts, no rows), on a page a pointer to it."""
    if not notes:
        return ""
    if index_href is not None:
        link = (
            f' <a href="{html.escape(index_href)}#data-quality">{html.escape(t("report.quality.title", lang=lang))}</a>'
        )
        pointer = t("report.quality.pointer", lang=lang, n=len(notes))
        return f'<p class="data-quality muted">{html.escape(pointer)}{link}</p>'
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (
        f'<section class="data-quality" id="data-quality"><h2>{html.escape(t("report.quality.title", lang=lang))}'
        f'</h2><p class="muted">{html.escape(t("report.quality.intro", lang=lang))}</p><ul>{items}</ul></section>'
    )


def _header_html(
    *, title, month, team_label, generated_at, fingerprint, version, lang, index_href=None, failed=False
) -> str:
    meta = [
        (t("report.page.month", lang=lang), month),
        (t("report.page.team", lang=lang), team_label),
        (t("report.page.generated", lang=lang), generated_at),
        (t("report.page.fingerprint", lang=lang), fingerprint),
        (t("report.page.version", lang=lang), version),
    ]
    # None leaves an item out: the index keeps the run's fingerprint and version for its footer
    dl = "".join(
        f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd></div>" for k, v in meta if v is not None
    )
    back = (
        f'<p class="back"><a href="{html.escape(index_href)}">{html.escape(t("report.page.back", lang=lang))}</a></p>'
        if index_href
        else ""
    )
    banner = f'<p class="failed-banner">{html.escape(t("report.index.failed_banner", lang=lang))}</p>' if failed else ""
    return (
        f'<header class="iskpi-header"><p class="kit">{html.escape(t("report.page.kit", lang=lang))}</p>'
        f'<h1 class="report-title">{html.escape(title)}</h1><dl class="meta">{dl}</dl>{back}</header>{banner}'
    )


_HEADING_RE = re.compile(r'<h([1-3])\s+id="([^"]+)"\s*>(.*?)</h\1>', re.S)


def _toc_html(body: str, *, lang: str, title: str | None = None) -> str:
    heads = [
        (int(lv), hid, re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip())
        for lv, hid, inner in _HEADING_RE.findall(body)
    ]
    heads = [h for h in heads if h[2]]
    if heads and heads[0][0] == 1 and title is not None and heads[0][2] == title:
        heads = heads[1:]  # the notebook title is already the page header
    if len(heads) < 3:
        return ""
    top = min(h[0] for h in heads)
    items = "".join(
        f'<li class="lv{lv - top}"><a href="#{hid}">{html.escape(html.unescape(text))}</a></li>'
        for lv, hid, text in heads
    )
    return f'<nav class="toc"><h2 class="toc-title">{html.escape(t("report.page.toc", lang=lang))}</h2><ol>{items}</ol></nav>'


#: markdown cells tagged ``lang-<code>`` exist in one language each; the report keeps its own
LANG_TAG_PREFIX = "lang-"


def drop_other_languages(nbnode, *, lang: str = config.DEFAULT_LANG):
    """``nbnode`` without the cells tagged for another language (``lang-ja``, ``lang-en``).

    A notebook's prose exists once per language, each cell tagged ``lang-<code>``; a report in
    ``lang`` keeps the cells tagged ``lang-<lang>`` and every untagged cell. Works on an
    ``nbformat`` node or a plain notebook dict; returns the same object, modified.
    """
    config.check_option("lang", lang, config.LANGS)
    other = {LANG_TAG_PREFIX + x for x in config.LANGS if x != lang}

    def keep(c):
        return not set((c.get("metadata") or {}).get("tags") or []) & other

    nbnode["cells"] = [c for c in nbnode["cells"] if keep(c)]
    return nbnode


def _notebook_title(nbnode, fallback: str) -> str:
    for c in nbnode.cells:
        if c.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", c.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


_OBJECT_REPR_RE = re.compile(r"^\s*[\[(]?\s*<(?:matplotlib|Axes|Figure|seaborn|[A-Za-z_.]+ object at 0x)")


def _clean_for_html(nbnode, *, org_page: bool = False):
    """Drop what leadership must not see: tagged cells, stderr, record-only outputs, errors' code;
    on the organisation's page (``org_page``) the per-team cells, elsewhere the organisation's."""
    remove = {*REMOVE_TAGS, TEAM_ONLY_TAG if org_page else ORG_ONLY_TAG}
    cells = []
    for c in nbnode.cells:
        tags = set(c.get("metadata", {}).get("tags", []))
        if tags & remove:
            continue
        if c.cell_type == "code":
            outs = []
            for o in c.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    continue
                if o.get("output_type") in ("display_data", "execute_result"):
                    data = {k: v for k, v in o.get("data", {}).items() if k != RECORD_MIME}
                    if not data:
                        continue
                    if set(data) == {"text/plain"} and _OBJECT_REPR_RE.match("".join(data["text/plain"])):
                        continue  # "<Axes: ...>", "[<matplotlib.lines.Line2D ...>]": noise for a reader
                    o["data"] = data
                outs.append(o)
            c["outputs"] = outs
            if not outs:
                continue
        cells.append(c)
    nbnode.cells = cells
    return nbnode


def export_html(
    ipynb: str | Path,
    html_path: str | Path,
    *,
    month: str,
    team: str,
    team_label: str,
    lang: str = config.DEFAULT_LANG,
    fingerprint: str = "",
    version: str = "",
    generated_at: str = "",
    index_href: str | None = "../index.html",
    embed_font: bool = True,
    data_notes=None,
    incomplete: bool = False,
) -> dict:
    """Export an executed notebook to the leadership HTML (see the :mod:`iskpi_analysis.report` docstring).

    (Long because the page is assembled in one visible order: read, keep the report language,
    clean, convert, then header + data-quality note + headline + TOC, banner, CSS and font.)

    ``data_notes``: the data's quality notes (``Dataset.quality_notes()``); the page says how
    many there are and points to the index, which lists them.
    ``incomplete=True`` puts the *incomplete* banner on the page (pages of a staging folder;
    :func:`strip_incomplete` removes it).

    Returns a dict: html (path), html_bytes, title, headline (the recorded headline list or
    None), external_urls (script/link/img URLs pointing off the page; should be empty).
    """
    import nbformat
    from nbconvert import HTMLExporter

    from .. import notebook as nbmod

    ipynb, html_path = Path(ipynb), Path(html_path)
    records = nbmod.read_records(ipynb)
    node = drop_other_languages(nbformat.read(str(ipynb), as_version=4), lang=lang)
    title = _notebook_title(node, ipynb.stem)
    node = _clean_for_html(node, org_page=team == ORG)
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        anchor_link_text="",
    )
    resources = {"metadata": {"name": title}, "iskpi": {"lang": lang, "title": title}}
    body, _ = exporter.from_notebook_node(node, resources=resources)
    headline = records.get("headline")
    header = _header_html(
        title=title,
        month=month,
        team_label=team_label,
        generated_at=generated_at,
        fingerprint=fingerprint,
        version=version,
        lang=lang,
        index_href=index_href,
    )
    summary = ""
    if headline:
        summary = (
            f'<section class="headline"><h2 class="headline-title">{html.escape(t("report.page.headline", lang=lang))}'
            f"</h2>{_headline_html(headline, lang=lang)}</section>"
        )
    body = body.replace(
        'alt="No description has been provided for this image"',
        f'alt="{html.escape(t("report.page.chart", lang=lang))}"',
    )
    body = glossary.add_to_page(body, _text_of_html(body), lang=lang)  # the terms this page uses, last
    quality = _quality_html(data_notes, lang=lang, index_href=index_href)  # no index: the list itself
    page = body.replace("<!--ISKPI-HEADER-->", header + quality + summary + _toc_html(body, lang=lang, title=title))
    if incomplete:
        page = mark_incomplete(page, lang=lang)
    css = _css()
    if embed_font:  # the banner's glyphs always: a kept page gets it again in a later staging folder
        css = _font_face(_text_of_html(page) + title + t("report.page.incomplete", lang=lang)) + css
    page = page.replace("/*ISKPI-CSS*/", css)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    return {
        "html": str(html_path),
        "html_bytes": html_path.stat().st_size,
        "title": title,
        "headline": headline if isinstance(headline, list) else None,
        "index_records": {k: records[k] for k in INDEX_RECORDS if k in records},
        "external_urls": external_urls(page),
    }


_EXT_RE = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
    re.I,
)


_CSS_URL_RE = re.compile(r"""url\(\s*["']?((?:https?:)?//[^"')\s]+)""", re.I)


def external_urls(page: str) -> list[str]:
    """URLs a page would load from the network (scripts, stylesheets, images, CSS url())."""
    return sorted(set(_EXT_RE.findall(page)) | set(_CSS_URL_RE.findall(page)))


def mark_incomplete(page: str, *, lang: str) -> str:
    """``page`` with the *incomplete* banner first in its body (see :func:`strip_incomplete`)."""
    banner = (
        f'{INCOMPLETE_START}<p class="failed-banner incomplete">{html.escape(t("report.page.incomplete", lang=lang))}'
        f"</p>{INCOMPLETE_END}"
    )
    return re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + banner, page, count=1)


_INCOMPLETE_RE = re.compile(re.escape(INCOMPLETE_START) + ".*?" + re.escape(INCOMPLETE_END), re.S)


def strip_incomplete(path: Path) -> None:
    """Remove the *incomplete* banner of a staging page (a new file: kept pages are hard links)."""
    page = path.read_text(encoding="utf-8")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(_INCOMPLETE_RE.sub("", page, count=1), encoding="utf-8")
    os.replace(tmp, path)
