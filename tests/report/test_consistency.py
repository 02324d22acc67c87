"""Issue 14: one report, one truth. From the recorded values of a real report run of the sample
month (the session's Japanese sample report, ``sample_runs``: the organisation and one team,
every notebook), for every team each KPI's value, target and verdict is identical on every page
that records it (``kpi_table``), and every page that records a phase for a team records the same.

Phase: pages record ``team_phase`` (``phase.team_phase``) once the phase decision is wired in
(issue 14, "one phase per team"). A page that does not record it yet is read from what it records
today: 01's ``phases`` (the phase its targets use), 02's ``verdicts`` (the diagnosed phase; a team
whose diagnosis is insufficient is left out). On main before issue 14, 01's phases were by months
since launch and 02's the diagnosis, and this test failed for 東京 (mature vs growth).

No sample-specific number is asserted (the sample is recalibrated separately): only equality
across pages, the record's shape and vocabulary, and that there is something to compare.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from iskpi_analysis import notebook as nbm
from iskpi_analysis import targets

#: values that must be identical on every page (floats to 1e-9 relative; NaN equals NaN)
FIELDS = ("actual", "target", "target_low", "target_high", "verdict")


def page_records(sample: dict) -> dict:
    """{(run folder, notebook): records} of every executed page of the sample report."""
    res = sample["result"]
    out = {}
    for ipynb in sorted(res.out_dir.glob("*/*.ipynb")):
        out[(ipynb.parent.name, ipynb.stem)] = nbm.read_records(ipynb)
    assert out, "the sample report wrote no executed notebook"
    return out


def page_phases(rec: dict) -> dict:
    """{team_id: phase} a page records (see the module docstring)."""
    if "team_phase" in rec:
        return {r["team_id"]: r["phase"] for r in rec["team_phase"]}
    if "phases" in rec:  # 01 before team_phase
        return dict(rec["phases"])
    if "verdicts" in rec:  # 02 before team_phase: its diagnosis (None = insufficient)
        return {t: v["phase"] for t, v in rec["verdicts"].items() if v.get("phase")}
    return {}


def same(a, b) -> bool:
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        a = math.nan if a is None else float(a)
        b = math.nan if b is None else float(b)
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_kpi_tables_have_the_contract_shape(sample_ja):
    pages = {k: pd.DataFrame(r["kpi_table"]) for k, r in page_records(sample_ja).items() if "kpi_table" in r}
    assert ("all", "01_scorecard") in pages, "the organisation's scorecard records no kpi_table"
    for key, kt in pages.items():
        assert set(targets.KPI_TABLE_COLUMNS) <= set(kt.columns), key
        assert len(kt), key
        assert set(kt["verdict"]) <= set(targets.VERDICTS), key
        assert not kt.duplicated(["team_id", "kpi_id"]).any(), f"{key}: a KPI recorded twice for a team"


def test_every_kpi_is_identical_on_every_page(sample_ja):
    rows = []
    for (run, nb), rec in page_records(sample_ja).items():
        for r in rec.get("kpi_table", []):
            rows.append({"page": f"{run}/{nb}", **r})
    kt = pd.DataFrame(rows)
    pages = set(kt["page"])
    assert len(pages) >= 3, f"fewer than three pages record kpi_table: {sorted(pages)}"
    compared, diffs = 0, []
    for (team, kpi), g in kt.groupby(["team_id", "kpi_id"]):
        if len(g) < 2:
            continue
        first = g.iloc[0]
        for _, r in g.iloc[1:].iterrows():
            compared += 1
            for f in FIELDS:
                if not same(first[f], r[f]):
                    diffs.append(f"{team} {kpi} {f}: {first['page']} {first[f]!r} vs {r['page']} {r[f]!r}")
    assert compared >= 5, "too few KPIs recorded on two pages to compare"
    assert not diffs, "\n".join(diffs[:20])
    # the scorecard of a team's own run and the organisation's scorecard both cover the team
    team = sample_ja["team"]
    assert {"all/01_scorecard", f"{team}/01_scorecard"} <= set(kt.loc[kt["team_id"] == team, "page"])


def test_every_page_records_one_phase_per_team(sample_ja):
    seen: dict = {}
    for (run, nb), rec in page_records(sample_ja).items():
        for team, phase in page_phases(rec).items():
            seen.setdefault(team, {})[f"{run}/{nb}"] = phase
    team = sample_ja["team"]
    assert len(seen.get(team, {})) >= 2, f"fewer than two pages record a phase for {team}: {seen.get(team)}"
    diffs = {t: p for t, p in seen.items() if len(set(p.values())) > 1}
    assert not diffs, f"pages disagree on the phase: {diffs}"


@pytest.mark.parametrize("field", ["target", "target_low", "target_high"])
def test_funnel_and_smart_targets_match_the_kpi_table(sample_ja, field):
    """Inside 01: the SMART check's targets are the kpi_table's for every team in that phase (a
    goal or a pro-rated month target aside), so the funnel, the KPI tree and the SMART check
    cannot show different targets for the same KPI."""
    rec = page_records(sample_ja)[("all", "01_scorecard")]
    kt = pd.DataFrame(rec["kpi_table"]).set_index(["team_id", "kpi_id"])
    sm = pd.DataFrame(rec["smart"])
    col = {"target": "target", "target_low": "low", "target_high": "high"}[field]
    checked = 0
    for team, phase in rec["phases"].items():
        for r in sm[sm["phase"] == phase].itertuples(index=False):
            if (team, r.kpi_id) not in kt.index or r.kpi_id in (
                "sql_count",
                "deals_created",
                "won_amount_jpy",
                "pipeline_jpy",
                "deal_amount_jpy",
            ):
                continue  # per-month counts and amounts: a goal or a pro-rated target may differ
            assert same(kt.loc[(team, r.kpi_id), field], getattr(r, col)), (team, r.kpi_id, field)
            checked += 1
    assert checked >= 3
