"""The glossary at the end of every report page: the terms that page uses, in plain words.

The terms, their one-sentence definitions and the forms they take in a text live in the text
catalog (``messages/<lang>/glossary.toml``, keys ``glossary.terms.<id>.{term,match,definition}``);
the seed articles the pages cite live there too (``glossary.sources.<id>.{name,title,note}``):
a page names an article by its short name (「フェーズ別KPIの記事」) and its glossary gives the
full title. This module only decides which entries a page needs and writes the section;
:func:`iskpi_analysis.report.export_html` calls :func:`add_to_page` for every page, so the rule
lives in one place and no notebook repeats it.

A term is used by a page when one of its ``match`` forms occurs in the page's visible text.
Forms written in ASCII (``XmR``, ``p=``, ``CI``) match whole words only and ignore case, so
``CI`` is not found inside ``CIRCLE``; other forms (``変動係数``) match anywhere.

Examples
--------
>>> terms_used("管理図(XmR)の中心線", lang="ja")
['xmr']
>>> terms_used("The 95% CI of the rate", lang="en")
['ci']
>>> sources_used("フェーズ別KPIの記事のFAQに従い", lang="ja")
['phase']
"""

from __future__ import annotations

import html
import re
from functools import cache

from . import catalog, config
from .catalog import t

__all__ = [
    "TERM_PREFIX",
    "SOURCE_PREFIX",
    "term_ids",
    "source_ids",
    "terms_used",
    "sources_used",
    "glossary_html",
    "add_to_page",
]

TERM_PREFIX = "glossary.terms."
SOURCE_PREFIX = "glossary.sources."

#: the heading id of the glossary section (the page's table of contents links to it)
ANCHOR = "glossary"


def _ids(prefix: str, lang: str) -> list[str]:
    """Entry ids under ``prefix`` in catalog order (each entry is a table of fields)."""
    seen: dict[str, None] = {}
    for key in catalog.messages(lang):
        if key.startswith(prefix):
            seen.setdefault(key[len(prefix) :].split(".")[0], None)
    return list(seen)


def term_ids(*, lang: str = config.DEFAULT_LANG) -> list[str]:
    """Ids of every glossary term, in catalog order."""
    return _ids(TERM_PREFIX, lang)


def source_ids(*, lang: str = config.DEFAULT_LANG) -> list[str]:
    """Ids of the seed articles the pages may cite, in catalog order."""
    return _ids(SOURCE_PREFIX, lang)


def _form_pattern(form: str) -> str:
    """One match form as a regex: ASCII word characters at its ends must not touch another
    ASCII word character (``p=`` is not inside ``top=``); non-ASCII forms match anywhere."""
    body = re.escape(form)
    if form.isascii():
        if re.match(r"[A-Za-z0-9_]", form):
            body = r"(?<![A-Za-z0-9_])" + body
        if re.search(r"[A-Za-z0-9_]$", form):
            body += r"(?![A-Za-z0-9_])"
        return "(?i:" + body + ")"
    return body


@cache
def _matcher(key: str, lang: str) -> re.Pattern:
    forms = [f.strip() for f in t(key, lang=lang).split("|") if f.strip()]
    if not forms:
        raise ValueError(f"glossary entry {key!r} ({lang}) has no match form")
    return re.compile("|".join(_form_pattern(f) for f in forms))


def terms_used(text: str, *, lang: str = config.DEFAULT_LANG) -> list[str]:
    """Ids of the glossary terms that occur in ``text`` (catalog order)."""
    return [i for i in term_ids(lang=lang) if _matcher(f"glossary.terms.{i}.match", lang).search(text)]


def _closed_terms(text: str, *, lang: str) -> list[str]:
    """The terms of ``text`` and, repeatedly, those the chosen definitions use (a definition of
    q値 that says p値 brings p値 along), in catalog order."""
    terms: list[str] = []
    while True:
        words = text + "".join(t(f"glossary.terms.{i}.definition", lang=lang) for i in terms)
        more = terms_used(words, lang=lang)
        if more == terms:
            return terms
        terms = more


def sources_used(text: str, *, lang: str = config.DEFAULT_LANG) -> list[str]:
    """Ids of the seed articles ``text`` cites, by short name or full title, ignoring case (a
    sentence may start with "The phase KPI article"), in catalog order."""
    low = text.casefold()
    out = []
    for i in source_ids(lang=lang):
        forms = (t(f"glossary.sources.{i}.name", lang=lang), t(f"glossary.sources.{i}.title", lang=lang))
        if any(f.casefold() in low for f in forms):
            out.append(i)
    return out


def glossary_html(text: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """The glossary section for a page whose visible text is ``text``: the terms it uses and the
    articles it cites. "" when it uses none."""
    config.check_option("lang", lang, config.LANGS)
    terms, sources = _closed_terms(text, lang=lang), sources_used(text, lang=lang)
    if not terms and not sources:
        return ""
    esc = html.escape
    parts = [
        f'<section class="glossary"><h2 id="{ANCHOR}">{esc(t("glossary.title", lang=lang))}</h2>',
        f'<p class="muted">{esc(t("glossary.intro", lang=lang))}</p>' if terms else "",
    ]
    if terms:
        items = "".join(
            f'<div class="term" data-term="{esc(i)}"><dt>{esc(t(f"glossary.terms.{i}.term", lang=lang))}</dt>'
            f"<dd>{esc(t(f'glossary.terms.{i}.definition', lang=lang))}</dd></div>"
            for i in terms
        )
        parts.append(f"<dl>{items}</dl>")
    if sources:
        lines = "".join(
            f'<li data-source="{esc(i)}">'
            + esc(
                t(
                    "glossary.source_line",
                    lang=lang,
                    name=t(f"glossary.sources.{i}.name", lang=lang),
                    title=t(f"glossary.sources.{i}.title", lang=lang),
                    note=t(f"glossary.sources.{i}.note", lang=lang),
                )
            )
            + "</li>"
            for i in sources
        )
        parts.append(f'<h3>{esc(t("glossary.sources_title", lang=lang))}</h3><ul class="sources">{lines}</ul>')
    parts.append("</section>")
    return "".join(parts)


def add_to_page(body: str, text: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """``body`` (a page's HTML) with its glossary as the last section of ``<main>`` (else of the
    body); ``text`` is the page's visible text, from which the terms are found."""
    section = glossary_html(text, lang=lang)
    if not section:
        return body
    for end in ("</main>", "</body>"):
        i = body.rfind(end)
        if i >= 0:
            return body[:i] + section + body[i:]
    return body + section
