"""The committed sample looks like a real inside-sales team (issue 14): its sample month's KPI
attainments, CAC, LTV/CAC and ROI land where a Japanese IS team's would, not at 1,000 % or an
LTV/CAC of 100.

Bands (team level, month 2026-10, no settings file):

- attainment (KPI tree, actual ÷ the seed's phase target, "higher is better" KPIs): most within
  50-150 %, none above 300 % and none below 30 %;
- CAC between 10万 and 100万円 for every team, and the mature team inside the seed's mature
  template (CAC ≤ 50万円, LTV/CAC ≥ 3);
- LTV/CAC between 1 and 10 (LTV = average won amount × 0.7 gross margin × 3 years, the
  notebook's defaults);
- ROI = (won amount × 0.7 − cost) ÷ cost between −80 % and +200 %: a launch or growth team may
  still cost more than its month's won contracts return, a mature team returns up to about
  twice its cost — a full cost (salaries, tools, the team's fixed cost and the leads' marketing
  cost), never the 3,252 % of an IS-only cost against ten-times-too-large deals.

Each figure is recomputed here from the raw tables (costs ÷ won deals …) as well as read from
the package, so the bands hold for what the report shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iskpi_analysis import aggregate, economics, scorecard

MONTH = "2026-10"
TZ = "Asia/Tokyo"


@pytest.fixture(scope="module")
def tree(sample_data):
    rp = aggregate.rep_period(sample_data, grain="month")
    return scorecard.kpi_tree(sample_data, month=MONTH, rep_period=rp)


@pytest.fixture(scope="module")
def econ(sample_data):
    return economics.economics(sample_data, month=MONTH).set_index("team_id")


def test_most_team_attainments_lie_within_50_to_150_percent(tree):
    # "higher is better" KPIs: a ceiling KPI's attainment (target ÷ actual, e.g. CAC against the
    # 50万円 ceiling) grows without bound as the cost falls; CAC is held to its band below
    t = tree[(tree["level"] == "team") & np.isfinite(tree["attainment"]) & (tree["direction"] == "higher")]
    att = t["attainment"].to_numpy()
    shown = t[["team_id", "kpi_id", "attainment"]].round(3).to_string()
    assert len(att) >= 15, shown  # every team has targets to judge
    inside = (att >= 0.5) & (att <= 1.5)
    assert inside.mean() > 0.5, shown
    assert att.max() <= 3.0 and att.min() >= 0.3, shown
    # every team has most of its own attainments inside the band, not one team carrying the rest
    per_team = pd.Series(inside, index=t["team_id"].to_numpy()).groupby(level=0).mean()
    assert (per_team > 0.5).all(), per_team


def test_cac_ltv_cac_and_roi_are_plausible(sample_data, econ):
    d = sample_data.deals
    costs = sample_data.costs
    closed = d["closed_at"].dt.tz_convert(TZ).dt.strftime("%Y-%m")
    for team in sample_data.team_ids():
        won = d[(d["team_id"] == team) & (closed == MONTH) & (d["status"] == "won")]
        cost = float(costs[(costs["month"] == MONTH) & (costs["team_id"] == team)]["cost_jpy"].sum())
        cac = cost / len(won)
        ltv = won["amount_jpy"].mean() * 0.7 * 3
        roi = (won["amount_jpy"].sum() * 0.7 - cost) / cost
        e = econ.loc[team]
        assert e["cac_jpy"] == pytest.approx(cac) and e["ltv_cac"] == pytest.approx(ltv / cac)
        assert e["roi"] == pytest.approx(roi)
        assert 100_000 <= cac <= 1_000_000, (team, cac)
        assert 1.0 <= ltv / cac <= 10.0, (team, ltv / cac)
        assert -0.8 <= roi <= 2.0, (team, roi)


def test_the_mature_team_meets_the_seeds_mature_template(tree, econ):
    """The seed's mature template: CAC ≤ 50万円 and LTV/CAC ≥ 3 (the sample's mature team is a
    healthy one; the growth and launch teams need not be)."""
    mature = tree.loc[(tree["level"] == "team") & (tree["phase"] == "mature"), "team_id"].unique()
    assert len(mature) == 1
    e = econ.loc[mature[0]]
    assert e["cac_jpy"] <= 500_000 and e["ltv_cac"] >= 3.0


def test_deals_are_annual_contracts_of_an_smb_saas(sample_data):
    """Won deals of 10万-500万円 (median 20-60万円), a handful of wins per rep and month."""
    d = sample_data.deals
    won = d[d["status"] == "won"]
    assert won["amount_jpy"].between(100_000, 5_000_000).all()
    assert 200_000 <= won["amount_jpy"].median() <= 600_000
    closed = d["closed_at"].dt.tz_convert(TZ).dt.strftime("%Y-%m")
    m = won[closed[won.index] == MONTH]
    reps = sample_data.reps
    per_rep = m.groupby("team_id").size() / reps.groupby("team_id").size()
    assert ((per_rep > 1) & (per_rep < 10)).all(), per_rep
