"""The report speaks one language: bilingual notebooks, notes and headers in the report's language.

* unit: :func:`report.drop_other_languages` and :func:`report.note_text` (data-quality notes
  rendered from the catalog by their code).
* report: a tiny bilingual notebook (``tests/data/report_notebooks/bilingual``) reported in
  ``en`` and ``ja`` keeps only that language's cells, title and table of contents.
* slow: the sample report in ``en`` has no Japanese character outside data values (team and rep
  names), and in ``ja`` no stray English prose (parameter names, "seed", "article",
  "notebook"). It covers the notebooks already bilingual (``BILINGUAL_NOTEBOOKS``) for the
  organisation and one team (``tokyo_is``): the session's shared sample reports (``sample_runs``),
  which run exactly that; ``ISKPI_LANG_TEST_TEAMS=all`` runs every team in a report of its own.

Run ``python tests/report/test_report_language.py DIR`` to print the share of Japanese lines of an
English report folder (how issue 13's figures were measured).
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from sample_runs import SAMPLE_TEAM, every_notebook

from iskpi_analysis import config, report
from iskpi_analysis import dataset as iskpi_io

HERE = Path(__file__).resolve().parents[1]  # tests/
BILINGUAL = HERE / "data" / "report_notebooks" / "bilingual"
MONTH = "2026-10"
JA_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60\u3000-\u303f]")
#: English prose that must not reach a Japanese reader: parameter names and kit jargon
STRAY_EN = re.compile(
    r"\b(min_denominator|min_trials|min_rep_trials|min_calls|min_rep_calls|goal_won|"
    r"window_months|current_phase|kpi_phase|p_value|q_value|seeds?|articles?|notebooks?)\b",
    re.I,
)


# --- helpers -------------------------------------------------------------------------------------
_BLOCK_END = re.compile(
    r"</(p|li|h[1-6]|tr|div|dt|dd|pre|caption|header|nav|section|title|ul|ol|table)>|<br\s*/?>", re.I
)
_CELL_END = re.compile(r"</t[dh]>", re.I)


def page_lines(path: Path) -> list[str]:
    """The visible text lines of an HTML page: one per paragraph, heading, list item, table row
    (cells joined by spaces); tags, styles, scripts and data URIs removed."""
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", "", page)
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S | re.I)
    page = _CELL_END.sub(" ", _BLOCK_END.sub("\n", page))
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return [" ".join(ln.split()) for ln in text.splitlines() if ln.strip()]


def data_names(data_dir: Path) -> list[str]:
    """Team and rep display names of a data directory: data values a report may show as they are."""
    names = []
    for table, col in (("teams", "team_name"), ("reps", "rep_name")):
        for suffix, read in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
            f = data_dir / f"{table}{suffix}"
            if f.exists():
                names += [str(x) for x in read(f)[col].dropna()]
                break
    # longest first, and each part of a "family given" name on its own (a chart may show either)
    parts = {p for n in names for p in n.split()}
    return sorted(set(names) | parts, key=len, reverse=True)


def strip_names(line: str, names: list[str]) -> str:
    for n in names:
        line = line.replace(n, "")
    return line


def japanese_lines(folder: Path, names: list[str]) -> tuple[list[tuple[str, str]], int]:
    """``([(page, line), ...] with a Japanese character outside data values, total lines)``."""
    bad, total = [], 0
    for page in sorted(folder.rglob("*.html")):
        for ln in page_lines(page):
            total += 1
            if JA_CHAR.search(strip_names(ln, names)):
                bad.append((str(page.relative_to(folder)), ln))
    return bad, total


def stray_english(folder: Path) -> list[tuple[str, str]]:
    bad = []
    for page in sorted(folder.rglob("*.html")):
        for ln in page_lines(page):
            if STRAY_EN.search(ln.replace("manifest.json", "")):
                bad.append((str(page.relative_to(folder)), ln))
    return bad


def _summary(found: list[tuple[str, str]], limit: int = 60) -> str:
    by_page: dict[str, int] = {}
    for p, _ in found:
        by_page[p] = by_page.get(p, 0) + 1
    lines = [f"{n:4d} line(s)  {p}" for p, n in by_page.items()]
    lines += [f"  {p}: {ln[:160]}" for p, ln in found[:limit]]
    return "\n".join(lines)


# --- unit ----------------------------------------------------------------------------------------
def _nb(*cells):
    return {"cells": [{"cell_type": "markdown", "metadata": {"tags": tags}, "source": src} for src, tags in cells]}


@pytest.mark.unit
def test_drop_other_languages_keeps_own_and_untagged_cells():
    nb = _nb(("# 題", ["lang-ja"]), ("# Title", ["lang-en"]), ("shared", []), ("x", ["remove", "lang-en"]))
    assert [c["source"] for c in report.drop_other_languages(nb, lang="en")["cells"]] == ["# Title", "shared", "x"]
    nb = _nb(("# 題", ["lang-ja"]), ("# Title", ["lang-en"]), ("shared", []))
    assert [c["source"] for c in report.drop_other_languages(nb, lang="ja")["cells"]] == ["# 題", "shared"]
    with pytest.raises(ValueError, match="lang"):
        report.drop_other_languages(_nb(), lang="fr")


@pytest.mark.unit
def test_data_quality_notes_follow_the_report_language():
    p = iskpi_io.Problem(
        "calls.csv", "direction", "1,200 inbound call(s) ...", code="inbound_calls", fields={"n": 1200}
    )
    en, ja = report.note_text(p, lang="en"), report.note_text(p, lang="ja")
    assert en.startswith("calls.csv, column 'direction': 1,200 inbound calls") and not JA_CHAR.search(en)
    assert "受電 1,200 件" in ja and "inbound" not in ja
    one = iskpi_io.Problem("deals.csv", "closed_at", "won/lost deal without closed_at", count=1, code="no_closed_at")
    assert "1 won/lost deal without closed_at" in report.note_text(one, lang="en")
    cols = iskpi_io.Problem(
        "calls.csv", None, "2 column(s) ...", code="ignored_columns", fields={"n": 2, "columns": "memo, owner"}
    )
    assert report.note_text(cols, lang="en") == ("calls.csv: 2 columns not in the data contract, ignored: memo, owner")
    assert "memo, owner" in report.note_text(cols, lang="ja") and "無視" in report.note_text(cols, lang="ja")
    # a warning without a sentence in the catalog keeps the validator's own summary
    odd = iskpi_io.Problem("calls.csv", None, "something new", count=3, code="no_such_code")
    assert report.note_text(odd, lang="ja") == odd.summary()


@pytest.mark.unit
def test_notes_of_real_data_are_rendered_in_both_languages(tmp_path):
    """Every warning code the validator emits on this data has a sentence in both languages."""
    from helpers import CALLS, REPS, TEAMS, write_dir

    calls = CALLS.assign(direction=["out", "in", "out", "out"], memo=["", "", "", ""])
    d = write_dir(tmp_path / "d", {"teams": TEAMS, "reps": REPS, "calls": calls})
    data = iskpi_io.load_data(d)
    codes = {p.code for p in data.notes}
    assert {"inbound_calls", "ignored_columns"} <= codes
    for p in data.notes:
        assert not JA_CHAR.search(report.note_text(p, lang="en")), p
        assert JA_CHAR.search(report.note_text(p, lang="ja")), p


# --- a bilingual notebook through the report -----------------------------------------------------
@pytest.mark.parametrize(
    "lang, own, other",
    [
        ("en", "Bilingual test report", "二言語テストのレポート"),
        ("ja", "二言語テストのレポート", "Bilingual test report"),
    ],
)
def test_bilingual_notebook_reports_one_language(tmp_path, lang, own, other):
    from test_report import make_tiny_data

    data = make_tiny_data(tmp_path / "data")
    res = report.run_report(
        MONTH,
        teams=["all"],
        data_dir=data,
        out_dir=tmp_path / "out",
        lang=lang,
        notebooks_dir=BILINGUAL,
        jobs=1,
        progress=False,
        kernel_name="python3",
    )
    page = res.out_dir / "all" / "01_bilingual.html"
    html = page.read_text(encoding="utf-8")
    lines = page_lines(page)
    assert own in html and other not in html
    assert f"<title>{own}</title>" in html or own in lines[:5]  # the page title is the own-language one
    assert "Untagged cell: kept in both languages" in html
    toc = re.search(r'<nav class="toc">(.*?)</nav>', html, re.S).group(1)
    want = ["Overview", "Details", "Notes"] if lang == "en" else ["概要", "詳細", "補足"]
    assert [re.sub(r"<[^>]+>", "", x) for x in re.findall(r"<li[^>]*>(.*?)</li>", toc)] == want
    executed = json.loads((res.out_dir / "all" / "01_bilingual.ipynb").read_text(encoding="utf-8"))
    tags = [t for c in executed["cells"] for t in c.get("metadata", {}).get("tags", [])]
    assert f"lang-{lang}" in tags and not [t for t in tags if t.startswith("lang-") and t != f"lang-{lang}"]
    index = res.index.read_text(encoding="utf-8")
    assert own in index and other not in index
    if lang == "en":
        bad, _ = japanese_lines(res.out_dir, data_names(data))
        assert not bad, _summary(bad)


# --- the sample report ---------------------------------------------------------------------------
def _teams() -> list[str] | None:
    return None if os.environ.get("ISKPI_LANG_TEST_TEAMS") == "all" else [SAMPLE_TEAM]


#: The notebooks whose prose, tables and sentences come from the catalog in both languages
#: (all four notebooks since issue 13's phase and timing parts).
BILINGUAL_NOTEBOOKS = ["01_scorecard", "02_phase", "03_correlation", "04_time_of_day"]


def _sample_run(lang: str, request, tmp_path):
    """The sample report in ``lang`` for the organisation and ``_teams()``, every bilingual notebook.

    With the default team and every notebook bilingual, these are the arguments of the session's
    shared sample report (``sample_runs``), so that run is read instead of a second, identical one.
    """
    teams = _teams()
    if teams == [SAMPLE_TEAM] and every_notebook() == BILINGUAL_NOTEBOOKS:
        return request.getfixturevalue(f"sample_{lang}")["result"]
    res = report.run_report(
        MONTH,
        teams=teams,
        out_dir=tmp_path,
        lang=lang,
        notebooks=BILINGUAL_NOTEBOOKS,
        progress=False,
        raise_on_failure=False,
        kernel_name="python3",
    )
    assert res.status == "complete", [report.describe_failure(r) for r in res.runs if r["status"] != "ok"]
    return res


@pytest.mark.slow
@pytest.mark.xdist_group("sample_en")
def test_english_sample_report_has_no_japanese_outside_data_values(request, tmp_path):
    res = _sample_run("en", request, tmp_path)
    bad, total = japanese_lines(res.out_dir, data_names(config.SAMPLE_DATA_DIR))
    print(f"English report: {len(bad)} of {total} lines ({len(bad) / max(total, 1):.1%}) have Japanese")
    assert not bad, f"{len(bad)} of {total} lines with Japanese:\n" + _summary(bad)


@pytest.mark.slow
@pytest.mark.xdist_group("sample_ja")
def test_japanese_sample_report_has_no_stray_english_prose(request, tmp_path):
    res = _sample_run("ja", request, tmp_path)
    bad = stray_english(res.out_dir)
    assert not bad, f"{len(bad)} line(s) with English prose:\n" + _summary(bad)


if __name__ == "__main__":  # python tests/report/test_report_language.py REPORT_DIR [ja]
    folder = Path(sys.argv[1])
    if len(sys.argv) > 2 and sys.argv[2] == "ja":
        found = stray_english(folder)
        print(f"{len(found)} line(s) with stray English prose\n" + _summary(found, 200))
    else:
        found, n = japanese_lines(folder, data_names(config.SAMPLE_DATA_DIR))
        print(
            f"{len(found)} of {n} lines ({len(found) / max(n, 1):.1%}) have Japanese outside data values\n"
            + _summary(found, 200)
        )
