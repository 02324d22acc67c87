"""Plain language on every page of a real report (issue 14), in Japanese and in English.

From the HTML of a real report run on the sample data (the session's Japanese and English sample
reports, ``sample_runs``: organisation + one team, every notebook), every page:

* names teams and reps by display name: no team id or rep id in the visible text (an operator
  footer — ``<footer>`` or ``class="operator…"`` — may carry them, like the manifest);
* ends with its glossary, and the glossary lists every jargon term the page uses (found by
  this file's own list of tokens, not the package's) and nothing the page does not use;
* cites the seed articles by name, never a bare 「記事」 / "the article", and lists the full title
  of every article it names;
* keeps statistical jargon (p=, q=, τ, Cramér, ロジット, 自由度, XmR, BH, Simpson) out of its
  headline cards (on the page and on the index) and out of its first verdict sentences (the
  first sentences of the page's first generated text).

The unit tests at the end check :mod:`iskpi_analysis.glossary` on its own.
"""

from __future__ import annotations

import html as _html
import re
from pathlib import Path

import pytest
from test_report_language import page_lines

from iskpi_analysis import catalog, config, glossary

LANGS = ("ja", "en")

#: the seed articles' titles as they are (``/work/shared/seeds``; Japanese) — what a ja page cites
SEED_TITLES_JA = (
    "立ち上げ期・成長期・成熟期で変えるべきインサイドセールスのKPIとは?",
    "インサイドセールスのKPI設定とは",
)

#: jargon a page may use only with a glossary entry: token (regex) → glossary term id
JARGON = {
    "ja": {
        r"XmR|管理図": "xmr",
        r"変動係数": "cv",
        r"ケンドール|τ": "kendall",
        r"ロジスティック回帰|ロジット": "logistic",
        r"自由度": "dof",
        r"q値|補正後p": "q_value",
        r"p値|(?<![A-Za-z])p\s*[=<]": "p_value",
        r"Cramér": "cramer",
        r"信頼区間": "ci",
        r"Wilson": "wilson",
        r"BH|Benjamini": "bh",
        r"シンプソン": "simpson",
        r"尤度比": "lrt",
        r"カイ二乗": "chi_square",
    },
    "en": {
        r"XmR|control chart": "xmr",
        r"(?i)coefficient of variation": "cv",
        r"Kendall|τ": "kendall",
        r"(?i)logistic regression|logit": "logistic",
        r"(?i)degrees? of freedom": "dof",
        r"(?i)q-value|adjusted p": "q_value",
        r"(?i)p-value|(?<![A-Za-z])p\s*[=<]": "p_value",
        r"Cramér": "cramer",
        r"(?i)confidence interval|95% CI": "ci",
        r"Wilson": "wilson",
        r"\bBH\b|Benjamini": "bh",
        r"Simpson": "simpson",
        r"(?i)likelihood-ratio": "lrt",
        r"(?i)chi-square": "chi_square",
    },
}

#: the terms issue 14 names (XmR, 変動係数, ケンドールτ, ロジット, 自由度, q値, Cramér, p値, 信頼区間, Wilson, BH, Simpson)
ISSUE_TERMS = (
    "xmr",
    "cv",
    "kendall",
    "logistic",
    "dof",
    "q_value",
    "cramer",
    "p_value",
    "ci",
    "wilson",
    "bh",
    "simpson",
)

#: statistical jargon a headline card or a first verdict sentence must not carry
HEADLINE_JARGON = re.compile(
    r"(?<![A-Za-z])[pq]\s*[=<]|τ|Cramér|ロジット|(?i:logit)|自由度|(?i:degrees of freedom)|XmR|\bBH\b|Simpson|シンプソン"
)

#: a bare mention of the seed: 記事 / "article(s)" once the articles' names and titles are removed
BARE_SOURCE = {"ja": re.compile(r"記事"), "en": re.compile(r"(?i)\barticles?\b")}


# --- the report runs -----------------------------------------------------------------------------
#: one parameter per language, each in the pytest-xdist group of its run (``sample_runs``), so the
#: Japanese and the English run each happen once per session
LANG_RUNS = [pytest.param(lang, marks=pytest.mark.xdist_group(f"sample_{lang}"), id=lang) for lang in LANGS]


@pytest.fixture
def sample(lang, request):
    """The session's sample report in ``lang`` (``sample_ja`` / ``sample_en``, tests/report/conftest.py)."""
    return request.getfixturevalue(f"sample_{lang}")


# --- helpers -------------------------------------------------------------------------------------
_FOOTER = re.compile(r"<footer\b.*?</footer>|<(\w+)\b[^>]*class=\"[^\"]*\boperator[^\"]*\"[^>]*>.*?</\1>", re.S | re.I)
_GLOSSARY = re.compile(r'<section class="glossary">.*?</section>', re.S)


def _without(page: str, *patterns: re.Pattern) -> str:
    for p in patterns:
        page = p.sub("", page)
    return page


def _lines_of(html_text: str, tmp: Path) -> list[str]:
    tmp.write_text(html_text, encoding="utf-8")
    return page_lines(tmp)


def _glossary_ids(page: str) -> list[str]:
    m = _GLOSSARY.search(page)
    return re.findall(r'data-term="([a-z0-9_]+)"', m.group(0)) if m else []


def _pages(res) -> list[Path]:
    return sorted(res.html_files)


def _first_sentences(page: str, n: int = 3) -> list[str]:
    """The first ``n`` sentences of the page's first generated text (its first two Markdown
    outputs): the summary's opening (01), the verdict (02), the window and the findings' opening
    (03, 04)."""
    blocks = re.findall(r'<div class="output_markdown[^"]*"[^>]*>(.*?)</div>', page, re.S)[:2]
    if not blocks:
        return []
    text = _html.unescape(re.sub(r"<[^>]+>", "\n", "\n".join(blocks)))
    parts = re.split(r"(?<=。)|(?<=[.!?])\s+|\n", text)
    return [p.strip() for p in parts if p.strip()][:n]


# --- the report pages ----------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANG_RUNS)
def test_no_team_or_rep_id_in_visible_text(lang, sample, tmp_path):
    s = sample
    ids = s["data"].names()  # team and rep ids, each with the display name a reader should see
    assert s["team"] in ids  # the sample's teams have display names, so ids are never needed
    pattern = re.compile(
        r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True))) + r")(?![A-Za-z0-9_])"
    )
    found = []
    for f in [*_pages(s["result"]), s["result"].index]:
        raw = _without(f.read_text(encoding="utf-8"), _FOOTER)
        for ln in _lines_of(raw, tmp_path / "p.html"):
            for m in pattern.finditer(ln.replace("manifest.json", "")):
                found.append((f"{f.parent.name}/{f.name}", m.group(1), ln[:120]))
    assert not found, f"{len(found)} id(s) in visible text, e.g. {found[:8]}"


@pytest.mark.parametrize("lang", LANG_RUNS)
def test_every_page_ends_with_a_glossary_of_the_terms_it_uses(lang, sample, tmp_path):
    s = sample
    title = catalog.t("glossary.title", lang=lang)
    seen_terms: set[str] = set()
    for f in _pages(s["result"]):
        name = f"{f.parent.name}/{f.name}"
        page = f.read_text(encoding="utf-8")
        m = _GLOSSARY.search(page)
        assert m, f"{name}: no glossary"
        assert f'<h2 id="glossary">{title}</h2>' in m.group(0)
        # the last section of the content (an operator footer may follow it)
        rest = _without(page[m.end() :], _FOOTER)
        assert re.sub(r"\s+", "", rest).startswith("</main>"), f"{name}: glossary is not last"
        assert 'href="#glossary"' in page, f"{name}: glossary not in the table of contents"
        listed = _glossary_ids(page)
        assert listed and len(listed) == len(set(listed))
        text = "\n".join(_lines_of(_without(page, _GLOSSARY), tmp_path / "p.html"))
        # every jargon term the page uses is explained (tokens of this file, not the package's)
        used = {term for token, term in JARGON[lang].items() if re.search(token, text)}
        assert used <= set(listed), f"{name}: used but not in the glossary: {sorted(used - set(listed))}"
        # ... and nothing else: each entry occurs on the page or in another entry's definition
        defs = {i: catalog.t(f"glossary.terms.{i}.definition", lang=lang) for i in listed}
        for i in listed:
            in_page = glossary.terms_used(text, lang=lang)
            in_defs = glossary.terms_used(" ".join(d for j, d in defs.items() if j != i), lang=lang)
            assert i in in_page or i in in_defs, f"{name}: glossary entry {i!r} is not used on the page"
        # the definitions are shown, one sentence each, in the page's language
        for i in listed:
            d = catalog.t(f"glossary.terms.{i}.definition", lang=lang)
            assert _html.escape(d) in m.group(0)
        seen_terms |= set(listed)
    # the statistics pages really use the terms the issue named
    assert set(ISSUE_TERMS) - {"p_value"} <= seen_terms


@pytest.mark.parametrize("lang", LANG_RUNS)
def test_the_seed_is_cited_by_name_and_title(lang, sample, tmp_path):
    s = sample
    names = {i: catalog.t(f"glossary.sources.{i}.name", lang=lang) for i in glossary.source_ids(lang=lang)}
    titles = {i: catalog.t(f"glossary.sources.{i}.title", lang=lang) for i in names}
    if lang == "ja":  # the titles are the seeds' own
        assert [t.strip("『』").split("|")[0] for t in titles.values()] == list(SEED_TITLES_JA)
    cited_pages = 0
    for f in _pages(s["result"]):
        name = f"{f.parent.name}/{f.name}"
        page = f.read_text(encoding="utf-8")
        body = "\n".join(_lines_of(_without(page, _GLOSSARY), tmp_path / "p.html"))
        stripped = body
        for x in [*titles.values(), *names.values()]:
            stripped = re.sub(re.escape(x), "", stripped, flags=re.I)  # "The phase KPI article" starts a sentence
        bare = [ln for ln in stripped.splitlines() if BARE_SOURCE[lang].search(ln)]
        assert not bare, f"{name}: the seed cited without its name: {bare[:3]}"
        sources = _GLOSSARY.search(page).group(0)
        for i, n in names.items():
            if n.casefold() in body.casefold() or titles[i] in body:
                cited_pages += 1
                assert f'data-source="{i}"' in sources and _html.escape(titles[i]) in sources, (
                    f"{name}: cites {n!r} without its title in the sources"
                )
    assert cited_pages >= 3  # 01, 02 and 03 cite the articles


@pytest.mark.parametrize("lang", LANG_RUNS)
def test_headlines_and_first_verdicts_carry_no_statistical_jargon(lang, sample):
    s = sample
    bad = []
    for f in _pages(s["result"]):
        page = f.read_text(encoding="utf-8")
        name = f"{f.parent.name}/{f.name}"
        m = re.search(r'<section class="headline">(.*?)</section>', page, re.S)
        cards = _html.unescape(re.sub(r"<[^>]+>", " ", m.group(1))) if m else ""
        if HEADLINE_JARGON.search(cards):
            bad.append((name, "headline", cards[:200]))
        first = _first_sentences(page)
        assert first, f"{name}: no generated text"
        for sentence in first:
            if HEADLINE_JARGON.search(sentence):
                bad.append((name, "first sentences", sentence[:200]))
    index = s["result"].index.read_text(encoding="utf-8")
    tiles = " ".join(
        re.sub(r"<[^>]+>", " ", x) for x in re.findall(r'<div class="kpi">(.*?)</div>\s*</div>', index, re.S)
    )
    if HEADLINE_JARGON.search(_html.unescape(tiles)):
        bad.append(("index.html", "tiles", HEADLINE_JARGON.findall(_html.unescape(tiles))))
    assert not bad, bad


def test_a_three_month_headline_says_its_window(sample_ja):
    """03 and 04 analyse three months up to the report month: their headline cards say so."""
    res = sample_ja["result"]
    for nb in ("03_correlation", "04_time_of_day"):
        page = (res.out_dir / sample_ja["team"] / f"{nb}.html").read_text(encoding="utf-8")
        cards = re.search(r'<section class="headline">(.*?)</section>', page, re.S).group(1)
        assert "2026-08〜2026-10(3ヶ月)" in cards, nb


# --- the glossary module -------------------------------------------------------------------------
@pytest.mark.unit
def test_glossary_catalog_has_the_same_entries_and_one_sentence_each():
    assert glossary.term_ids(lang="ja") == glossary.term_ids(lang="en")
    assert glossary.source_ids(lang="ja") == glossary.source_ids(lang="en") == ["phase", "guide"]
    for lang in LANGS:
        for i in glossary.term_ids(lang=lang):
            d = catalog.t(f"glossary.terms.{i}.definition", lang=lang)
            ends = d.count("。") if lang == "ja" else len(re.findall(r"[.!?](\s|$)", d))
            assert ends == 1 and d.rstrip().endswith(("。", ".")), (lang, i, d)
            assert catalog.t(f"glossary.terms.{i}.match", lang=lang).strip("| ")
    # every term the issue names has an entry
    assert set(ISSUE_TERMS) <= set(glossary.term_ids())


@pytest.mark.unit
@pytest.mark.parametrize(
    "lang, text, want",
    [
        ("ja", "管理図(XmR)で見ると安定しています。", ["xmr"]),
        (
            "ja",
            "担当者内 r = -0.49、補正後p<0.001、自由度 908",
            ["p_value", "q_value", "correlation", "within_rep", "dof"],
        ),
        ("ja", "集計値どうしのカイ二乗検定(Cramér's V=0.10)", ["chi_square", "cramer"]),
        ("ja", "特に専門用語のない文です。", []),
        ("en", "The 95% CI and the XmR chart", ["ci", "xmr"]),
        ("en", "top=3 and stop<2 are not p-values", ["p_value"]),  # p= inside a word is not a p-value
        ("en", "CIRCLE, SOCIAL and LOGITECH", []),  # ASCII forms match whole words only
    ],
)
def test_terms_used(lang, text, want):
    assert glossary.terms_used(text, lang=lang) == [i for i in glossary.term_ids(lang=lang) if i in want]


@pytest.mark.unit
def test_glossary_html_lists_terms_their_definitions_need_and_the_cited_titles():
    h = glossary.glossary_html("q値 が 0.05 未満。フェーズ別KPIの記事のFAQ", lang="ja")
    ids = re.findall(r'data-term="(\w+)"', h)
    # q値's definition speaks of p値, so p値 is explained too; the article's name says KPI
    assert ids == ["p_value", "q_value", "kgi_kpi"]
    assert "『立ち上げ期・成長期・成熟期で変えるべきインサイドセールスのKPIとは?』" in h
    assert 'data-source="guide"' not in h
    assert glossary.glossary_html("nothing to explain", lang="en") == ""
    with pytest.raises(ValueError, match="lang"):
        glossary.glossary_html("x", lang="fr")


@pytest.mark.unit
def test_add_to_page_puts_the_glossary_last_in_main():
    body = "<body><main><h1>T</h1><p>自由度 12</p></main></body>"
    out = glossary.add_to_page(body, "自由度 12", lang="ja")
    assert out.index('<section class="glossary">') > out.index("<p>自由度 12</p>")
    assert out.endswith("</section></main></body>")
    assert glossary.add_to_page(body, "", lang="ja") == body
    assert config.DEFAULT_LANG == "ja"


@pytest.mark.unit
def test_charts_of_several_months_say_their_window():
    import matplotlib.pyplot as plt
    import pandas as pd

    from iskpi_analysis import timing
    from iskpi_analysis.plots import timing as ptm

    period = timing.period_label("2026-10", 3, lang="ja")
    assert period == "2026-08〜2026-10(3ヶ月)"
    empty = pd.DataFrame(columns=["weekday", "hour", "n", "rate", "too_small"])
    with_window = ptm.heatmap(empty, lang="ja", period=period).get_title()
    plain = ptm.heatmap(empty, lang="ja").get_title()
    assert with_window == f"{plain} — {period}" and period not in plain
    plt.close("all")


@pytest.mark.unit
def test_sources_are_found_by_name_or_title_whatever_the_case():
    assert glossary.sources_used("The KPI setting article's example", lang="en") == ["guide"]
    assert glossary.sources_used("as the FAQ of the phase KPI article says", lang="en") == ["phase"]
    assert glossary.sources_used(
        "『インサイドセールスのKPI設定とは|マーケティング成果を上げる指標項目と方法を解説』", lang="ja"
    ) == ["guide"]
    assert glossary.sources_used("記事のFAQ", lang="ja") == []  # a bare 記事 names no article
