"""The index's first screen: organisation totals, each team's key KPIs with red/amber/green and a
13-month sparkline, phase and readiness, three actions (or the sentence that nothing is urgent),
operator details in the footer — from what the pages recorded, on the sample report and on a
null data set where nothing is missed or falling (no invented action)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report import MONTH

from iskpi_analysis import catalog, config, kpis, report
from iskpi_analysis import notebook as nbm
from iskpi_analysis.report.index import executive_inputs, sparkline_svg, write_index
from iskpi_analysis.sample import TeamSpec, write_sample
from iskpi_analysis.scorecard import executive as ex

ORG = report.ORG


def _first_screen(page: str) -> str:
    """The index's executive block (before the data-quality notes and the page list)."""
    m = re.search(
        r'<section class="exec" id="summary">(.*?)</section></section>(?=<section class="(data-quality|pages)")',
        page,
        re.S,
    )
    assert m, "no first screen"
    return m.group(1)


def _footer(page: str) -> str:
    return page[page.index('<footer class="operator"') :]


# --- sparkline -------------------------------------------------------------------------------------
def test_sparkline_draws_every_month_and_leaves_gaps():
    svg = sparkline_svg(list(range(13)), label="x")
    pts = re.findall(r' points="([^"]+)"', svg)
    assert len(pts) == 1 and len(pts[0].split()) == 13 and 'data-points="13"' in svg
    # rising values: y falls (SVG y grows downwards); the last point is the dot
    ys = [float(p.split(",")[1]) for p in pts[0].split()]
    assert ys == sorted(ys, reverse=True)
    assert "<script" not in svg and "http" not in svg
    gap = sparkline_svg([1, 2, None, 4, 5, float("nan"), 7], label="x")
    assert [len(p.split()) for p in re.findall(r' points="([^"]+)"', gap)] == [2, 2]
    assert 'data-points="5"' in gap
    assert sparkline_svg([None, None], label="x") == ""


# --- a constructed month: the index shows the recorded values -------------------------------------
def _runs(*, misses: bool, ready: bool = False, falling: bool = False) -> list[dict]:
    months = [str(pd.Period(MONTH, "M") - i) for i in range(12, -1, -1)]
    org = pd.DataFrame(
        {
            "kpi_id": ["calls", "connects", "appointments", "deals_created", "deals_won", "won_amount_jpy"],
            "actual": [1000.0, 250, 50, 20, 8, 8_000_000],
            "previous": [900.0, 260, 50, 25, 8, 6_000_000],
        }
    ).assign(change=lambda d: d["actual"] - d["previous"], change_rel=lambda d: d["change"] / d["previous"], teams=2)
    rows = []
    for m_i, m in enumerate(months):
        for i, k in enumerate(org["kpi_id"]):
            rows.append(
                {"team_id": ORG, "kpi_id": k, "per": "team_month", "month": m, "value": 100.0 + m_i, "order": i}
            )
        for team in ("t1", "t2"):
            for i, (k, per) in enumerate((("calls", "rep_day"), ("connect_rate", None), ("appointments", "rep_day"))):
                v = 100.0 - (m_i * 3 if falling and team == "t2" and k == "calls" else 0) + (m_i % 3)
                rows.append({"team_id": team, "kpi_id": k, "per": per, "month": m, "value": v, "order": i})
    hist = pd.DataFrame(rows)
    verdict = {("t1", "calls"): "miss" if misses else "ahead", ("t1", "connect_rate"): "watch"}
    table = pd.DataFrame(
        [
            {
                "team_id": team,
                "kpi_id": k,
                "actual": 80.0 if k != "connect_rate" else 0.18,
                "target": 100.0 if k != "connect_rate" else 0.2,
                "target_low": np.nan,
                "target_high": np.nan,
                "verdict": verdict.get((team, k), "on_target"),
                "previous": 85.0 if k != "connect_rate" else 0.17,
                "change": -5.0 if k != "connect_rate" else 0.01,
            }
            for team in ("t1", "t2")
            for k in ("calls", "connect_rate", "appointments")
        ]
    )
    phase = pd.DataFrame(
        {
            "team_id": ["t1", "t2"],
            "phase": ["launch", "growth"],
            "source": "age",
            "diagnosed": None,
            "age_phase": ["launch", "growth"],
            "months_since_launch": [3, 9],
            "next_phase": ["growth", "mature"],
            "ready": [False, ready],
        }
    )
    rec = {
        "org_summary": json.loads(org.to_json(orient="records")),
        "kpi_history": json.loads(hist.to_json(orient="records")),
        "kpi_table": json.loads(table.to_json(orient="records")),
        "team_phase": json.loads(phase.to_json(orient="records")),
    }
    base = {"status": "ok", "seconds": 12.3, "title": "月次KPIスコアカード", "headline": []}
    return [
        {**base, "team": ORG, "notebook": "01_scorecard", "index_records": rec},
        {**base, "team": "t1", "notebook": "01_scorecard", "index_records": {}},
        {**base, "team": "t1", "notebook": "02_phase", "index_records": {}},
        {**base, "team": "t2", "notebook": "01_scorecard", "index_records": {}},
        {**base, "team": "t2", "notebook": "02_phase", "index_records": {}},
    ]


def _write(tmp_path, runs, lang="ja") -> str:
    p = write_index(
        tmp_path / f"index-{lang}.html",
        month=MONTH,
        lang=lang,
        runs=runs,
        team_order=[ORG, "t1", "t2"],
        team_labels={ORG: "組織全体", "t1": "東京チーム", "t2": "大阪チーム"},
        fingerprint="fp-0123456789",
        version="9.9.9",
        generated_at="2026-11-01 09:00 JST",
        failed=False,
    )
    return p.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_first_screen_from_recorded_values(tmp_path, lang):
    page = _write(tmp_path, _runs(misses=True, ready=True, falling=True), lang=lang)
    first = _first_screen(page)
    # organisation totals, each with its change and a 13-month sparkline
    for k in ("calls", "connects", "appointments", "deals_created", "deals_won", "won_amount_jpy"):
        assert html.escape(kpis.label(k, lang=lang)) in first
    org = first[: first.index('class="exec-actions"')]
    assert "1,000" in org and "+11.1%" in org and "-3.8%" in org  # 1000 vs 900, 250 vs 260
    assert len(re.findall(r'data-points="13"', org)) == 6
    # every team: display name (never the id), phase, readiness, three KPI cells with RAG classes
    teams = first[first.index('class="exec-teams"') :]
    assert "東京チーム" in teams and "大阪チーム" in teams and ">t1<" not in teams
    assert teams.count('class="kpi-cell rag-') == 6
    assert teams.count("rag-red") >= 1 and teams.count("rag-amber") >= 1 and teams.count("rag-green") >= 1
    assert len(re.findall(r'<svg class="spark" data-points="13"', teams)) == 6
    assert html.escape(kpis.phase_label("launch", lang=lang)) in teams
    assert (
        html.escape(catalog.t("executive.readiness.ready", lang=lang, next=kpis.phase_label("mature", lang=lang)))
        in teams
    )
    # three actions: the miss, the team ready to move, the falling KPI, each linking its evidence
    acts = re.findall(r'<li class="action action-(\w+)">(.*?)</li>', first, re.S)
    assert [a[0] for a in acts] == ["miss", "ready", "decline"]
    assert 'href="t1/01_scorecard.html"' in acts[0][1] and "80" in acts[0][1] and "100" in acts[0][1]
    assert 'href="t2/02_phase.html"' in acts[1][1]
    assert 'href="t2/01_scorecard.html"' in acts[2][1]
    # operator details only in the footer, the pages below the first screen
    assert "fp-0123456789" not in page[: page.index('<footer class="operator"')]
    footer = _footer(page)
    assert "fp-0123456789" in footer and "01_scorecard.ipynb" in footer and "12" in footer and "manifest.json" in footer
    assert page.index('id="summary"') < page.index('id="pages"') < page.index('id="operator"')
    assert "01_scorecard.ipynb" not in page[: page.index('<footer class="operator"')]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_nothing_urgent_is_said_not_invented(tmp_path, lang):
    page = _write(tmp_path, _runs(misses=False, ready=False, falling=False), lang=lang)
    first = _first_screen(page)
    assert 'class="action' not in first
    assert html.escape(catalog.t("executive.action.nothing", lang=lang)) in first
    assert "rag-red" not in first


def test_index_without_organisation_run_still_lists_pages(tmp_path):
    runs = [r for r in _runs(misses=True) if r["team"] != ORG]
    page = _write(tmp_path, runs)
    assert catalog.t("executive.index.no_summary", lang="ja") in page
    assert 'href="t1/01_scorecard.html"' in page


# --- the sample report: recorded values travel to the index ------------------------------------------
def test_sample_index_first_screen(sample_ja):
    s = sample_ja
    res = s["result"]
    page = res.index.read_text(encoding="utf-8")
    first = _first_screen(page)
    rec = nbm.read_records(res.out_dir / ORG / "01_scorecard.ipynb")
    # the organisation's 01 run recorded the totals and 13 months per team × key KPI
    org = pd.DataFrame(rec["org_summary"])
    hist = pd.DataFrame(rec["kpi_history"])
    assert list(org["kpi_id"]) == ["calls", "connects", "appointments", "deals_created", "deals_won", "won_amount_jpy"]
    assert hist.groupby(["team_id", "kpi_id"]).size().eq(13).all()
    assert set(hist["team_id"]) == {ORG, *s["data"].team_ids()}
    # the index shows the recorded totals, formatted, and a 13-point sparkline for each
    from iskpi_analysis.scorecard import executive_tables as xt

    for r in org.to_dict("records"):
        assert html.escape(xt.value_text(r["kpi_id"], r["actual"], lang="ja")) in first
    org_block = first[: first.index('class="exec-actions"')]
    assert len(re.findall(r'data-points="13"', org_block)) == 6
    # the key KPIs' last month is the recorded kpi_table's actual (the same value on both)
    table = pd.DataFrame(rec["kpi_table"]).set_index(["team_id", "kpi_id"])
    last = hist[(hist["month"] == MONTH) & (hist["team_id"] != ORG)]
    for r in last.itertuples():
        assert r.value == pytest.approx(table.loc[(r.team_id, r.kpi_id), "actual"])
    # the team shown: its display name, its RAG per verdict of the recorded table
    team = s["team"]
    name = s["data"].names()[team]
    teams = first[first.index('class="exec-teams"') :]
    assert html.escape(name) in teams and f">{team}<" not in first
    ids = hist[hist["team_id"] == team].sort_values("order")["kpi_id"].unique()
    want = [f"rag-{ex.rag(table.loc[(team, k), 'verdict'])}" for k in ids]
    assert re.findall(r'class="kpi-cell (rag-\w+)"', teams) == want
    # every action is backed by a recorded value: a miss is a recorded miss with its figures
    inp = executive_inputs(json.loads(res.manifest.read_text(encoding="utf-8"))["runs"])
    acts = inp["actions"]
    shown = re.findall(r'<li class="action action-(\w+)">', first)
    assert shown == list(acts["code"]) and 1 <= len(shown) <= 3
    for a in acts.to_dict("records"):
        if a["code"] == "miss":
            assert table.loc[(a["team_id"], a["kpi_id"]), "verdict"] == "miss"
            assert a["actual"] == pytest.approx(table.loc[(a["team_id"], a["kpi_id"]), "actual"])
    # operator details moved to the footer
    fp = json.loads(res.manifest.read_text(encoding="utf-8"))["data"]["fingerprint"]
    assert fp in _footer(page) and fp not in page[: page.index('<footer class="operator"')]


def test_sample_organisation_page_shows_totals_not_team_pages(sample_ja):
    s = sample_ja
    org_page = (s["result"].out_dir / ORG / "01_scorecard.html").read_text(encoding="utf-8")
    team_page = (s["result"].out_dir / s["team"] / "01_scorecard.html").read_text(encoding="utf-8")
    org_heading = "<h2" in org_page and "組織全体" in org_page
    assert org_heading and catalog.t("executive.org.heading", lang="ja", teams=3) in org_page
    # the per-team sections (summary, KPI cards, funnel, pacing, per rep, KPI tree, plan) are on
    # the team pages only: their headings, read from the notebook's team-only cells
    nb = json.loads((config.NOTEBOOKS_DIR / "01_scorecard.ipynb").read_text(encoding="utf-8"))
    headings = [
        line.lstrip("#").strip()
        for c in nb["cells"]
        if c["cell_type"] == "markdown" and {"team-only", "lang-ja"} <= set(c["metadata"].get("tags", []))
        for line in "".join(c["source"]).splitlines()
        if line.startswith("#")
    ]
    assert len(headings) >= 6
    for heading in headings:
        assert f">{html.escape(heading)}<" not in org_page and f">{html.escape(heading)}<" in team_page, heading
    assert catalog.t("executive.org.heading", lang="ja", teams=3) not in team_page
    # the organisation page's headline is its totals
    assert html.escape(kpis.label("won_amount_jpy", lang="ja")) in org_page.split('class="toc"')[0]


# --- null data: nothing missed, nothing falling → no invented action ---------------------------------
def _easy_targets(path: Path) -> Path:
    """The shipped phase targets, each set where any team reaches it (floors for "higher" KPIs,
    ceilings for "lower" ones): a month in which nothing is missed."""
    import tomllib

    src = tomllib.loads(config.PHASE_TARGETS_FILE.read_text(encoding="utf-8"))["phases"]
    lines = []
    for ph, spec in src.items():
        lines.append(f"[phases.{ph}]")
        lines.append(f'label_ja = "{spec["label_ja"]}"\nlabel_en = "{spec["label_en"]}"\nmonths = {spec["months"]}')
        for k, v in spec.items():
            if not isinstance(v, dict):
                continue
            target = 1e12 if kpis.get(k).direction == "lower" else 1e-9
            per = f', per = "{v["per"]}"' if v.get("per") else ""
            lines.append(f"{k} = {{ target = {target}{per}, importance = {v.get('importance', 1)} }}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_null_data_gets_no_invented_action(tmp_path):
    flat = [
        TeamSpec("north_is", "北チーム", "2025-01-06", n_sdr=3, n_bdr=1),
        TeamSpec("south_is", "南チーム", "2025-06-02", n_sdr=3, n_bdr=1),
    ]
    data_dir = tmp_path / "null"
    write_sample(data_dir, seed=5, teams=flat, hour_effect=False, tradeoff=0, hour_confounding=0)
    targets = _easy_targets(tmp_path / "easy_targets.toml")
    res = report.run_report(
        MONTH,
        data_dir=data_dir,
        out_dir=tmp_path / "out",
        targets_file=targets,
        notebooks=["01_scorecard"],
        progress=False,
        jobs=2,
    )
    page = res.index.read_text(encoding="utf-8")
    first = _first_screen(page)
    rec = nbm.read_records(res.out_dir / ORG / "01_scorecard.ipynb")
    verdicts = set(pd.DataFrame(rec["kpi_table"])["verdict"])
    assert "miss" not in verdicts and "watch" not in verdicts  # the month really has no miss
    assert 'class="action' not in first, re.findall(r'<li class="action[^>]*>(.*?)</li>', first)
    assert html.escape(catalog.t("executive.action.nothing", lang="ja")) in first
    assert "rag-red" not in first and "北チーム" in first and "南チーム" in first
