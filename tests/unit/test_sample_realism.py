"""The committed sample looks like a real inside-sales team (issue 14): its sample month's KPI
attainments, CAC, LTV/CAC and ROI land where a Japanese IS team's would, not at 1,000 % or an
LTV/CAC of 100.

Bands (team level, month 2026-10, no settings file):

- attainment (KPI tree, actual ÷ the seed's phase target, "higher is better" KPIs): most within
  50-150 %, none above 300 % and none below 30 %;
- CAC between 10万 and 100万円 for every team; the sample's teams are diagnosed launch and growth
  (issue 14), so the seed's mature template (CAC ≤ 50万円, LTV/CAC ≥ 3) is checked on a generated
  team the diagnosis judges mature;
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

import dataclasses

import numpy as np
import pandas as pd
import pytest

from iskpi_analysis import aggregate, dataset, economics, phase, sample, scorecard
from iskpi_analysis.sample.specs import DEFAULT_TEAMS

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


# A mature team of the generator: the sample's 東京 roster and activity (16 reps, 100 calls a day),
# launched 30 months before the sample month, a clear conversion edge, its reps' skill gap closed
# (skill_convergence) and its deals the healthy, full-size ones of a settled team.
MATURE = dataclasses.replace(
    DEFAULT_TEAMS[0],
    team_id="mature_is",
    team_name="成熟ISチーム",
    launched_on="2024-04-01",
    data_start="2025-04-01",
    skill=0.25,
    deal_quality=0.3,
    amount_scale=1.0,
    skill_convergence=1.0,
    new_hire_share=0.1,
)


def test_the_mature_team_meets_the_seeds_mature_template(tree):
    """The seed's mature template: CAC ≤ 50万円 and LTV/CAC ≥ 3, on a team judged mature.

    Issue 14: the phase is the evidence-based diagnosis (``phase.team_phase``), and the sample's
    teams are diagnosed launch (福岡) and growth (大阪, 東京: skill gap large, efficiency not yet
    stable) — the sample has no mature team, and a growth team need not meet the mature template
    (東京's many small deals keep its deal amount near the growth target instead). Overriding 東京
    to mature would judge a growth team's economics by the wrong template, so the template is
    checked on a generated team the diagnosis itself judges mature: its CAC and LTV/CAC land
    there, and its ROI stays believable.
    """
    assert "mature" not in set(tree.loc[tree["level"] == "team", "phase"])  # the decided phases
    d = dataset.Dataset.from_frames(sample.generate(0, teams=[MATURE]))
    ph = phase.team_phase(d, month=MONTH).set_index("team_id").loc["mature_is"]
    assert ph["phase"] == "mature" and ph["source"] == "diagnosis", ph
    e = economics.economics(d, month=MONTH).set_index("team_id").loc["mature_is"]
    assert 100_000 <= e["cac_jpy"] <= 500_000, e
    assert 3.0 <= e["ltv_cac"] <= 12.0, e
    assert 0.0 < e["roi"] <= 3.0, e


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
