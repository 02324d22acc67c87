"""The one target table and the one verdict (issue 14): the seed's ranges judged as bands, 参考値 at
launch, lower-is-better KPIs, small samples, industry presets and goals; the KPI tree, the funnel,
the SMART check and the economics table agree on the same target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_scorecard_fixtures import make_frames

from iskpi_analysis import aggregate, dataset, economics, funnel, kpis, scorecard, targets
from iskpi_analysis.settings import industry_presets

V = targets.verdict


# --- the verdict at the band's edges -------------------------------------------------------------
@pytest.mark.parametrize(
    "actual, expected",
    [
        (0.20, "on_target"),  # the low edge is inside
        (0.25, "on_target"),
        (0.30, "on_target"),  # the high edge is inside
        (0.3001, "ahead"),  # beyond the range
        (0.1999, "watch"),  # just short: ≥ 80 % of the edge
        (0.161, "watch"),  # just over 80 % of 0.20
        (0.159, "miss"),
    ],
)
def test_band_edges_connect_rate(actual, expected):
    assert V(actual, low=0.20, high=0.30) == expected


def test_band_is_not_judged_against_a_midpoint():
    """23 % is inside コネクト率 20–30 %: on target, although it is below the old midpoint 25 %."""
    assert V(0.23, low=0.20, high=0.30) == "on_target"
    assert targets.attainment(0.23, low=0.20, high=0.30) == pytest.approx(0.23 / 0.20)


def test_noise_turns_a_miss_into_watch_only_when_the_interval_reaches_the_edge():
    # 10 % is half the edge: a miss, unless the Wilson interval still reaches 20 %
    assert V(0.10, low=0.20, high=0.30, ci_low=0.05, ci_high=0.15) == "miss"
    assert V(0.10, low=0.20, high=0.30, ci_low=0.02, ci_high=0.21) == "watch"


@pytest.mark.parametrize(
    "actual, expected",
    [(450_000, "on_target"), (500_000, "on_target"), (430_000, "on_target"), (600_000, "watch"), (700_000, "miss")],
)
def test_lower_is_better_point_target_is_a_ceiling(actual, expected):
    """CAC ≤ 50万円: at or under the ceiling is on target; 60万円 is 83 % (watch), 70万円 a miss."""
    assert V(actual, target=500_000, direction="lower") == expected
    assert targets.attainment(400_000, target=500_000, direction="lower") == pytest.approx(1.25)


def test_lower_is_better_point_target_far_under_the_ceiling_is_ahead():
    assert V(400_000, target=500_000, direction="lower", ahead_from=1.2) == "ahead"  # 125 %
    assert V(450_000, target=500_000, direction="lower", ahead_from=1.2) == "on_target"  # 111 %


def test_lower_is_better_band():
    # a response-time band 30–60 minutes: under 30 is ahead, over 60 short (watch/miss)
    assert V(20, low=30, high=60, direction="lower") == "ahead"
    assert V(45, low=30, high=60, direction="lower") == "on_target"
    assert V(70, low=30, high=60, direction="lower") == "watch"  # 60/70 = 86 %
    assert V(90, low=30, high=60, direction="lower") == "miss"


def test_point_target_higher():
    assert V(3.0, target=3.0) == "on_target"  # LTV/CAC ≥ 3.0
    assert V(2.9, target=3.0) == "watch"
    assert V(1.0, target=3.0) == "miss"
    assert V(100.55, target=3.0) == "ahead"  # the sample's 100 is not merely "healthy"


def test_reference_small_none_order():
    # 参考値: measured, never red, even far below
    assert V(0.01, low=0.20, high=0.30, judged=False) == "reference"
    assert V(0.01, low=0.20, high=0.30, too_small=True) == "small"
    assert V(0.5, judged=False) == "none"  # no target at all
    assert V(np.nan, target=3.0) == "none"  # no value
    assert set(targets.RAG) == set(targets.VERDICTS)
    assert targets.RAG["reference"] == "grey" and targets.RAG["miss"] == "red"


def test_verdicts_vectorised_equals_scalar():
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 0.5, 200)
    lo, hi = a - 0.05, a + 0.05
    tg = np.where(rng.random(200) < 0.5, 0.2, np.nan)
    low = np.where(np.isnan(tg), 0.15, np.nan)
    high = np.where(np.isnan(tg), 0.25, np.nan)
    d = np.where(rng.random(200) < 0.3, "lower", "higher")
    vec = targets.verdicts(a, target=tg, low=low, high=high, direction=d, ci_low=lo, ci_high=hi)
    one = [
        V(a[i], target=tg[i], low=low[i], high=high[i], direction=d[i], ci_low=lo[i], ci_high=hi[i]) for i in range(200)
    ]
    assert list(vec) == one
    assert len(set(one)) >= 4


def test_verdict_rejects_bad_options():
    with pytest.raises(ValueError, match="direction"):
        V(1.0, target=1.0, direction="up")
    with pytest.raises(ValueError, match="watch_from"):
        V(1.0, target=1.0, watch_from=1.5)


# --- the target table ----------------------------------------------------------------------------
def test_target_table_seed_ranges_and_points():
    g = targets.target_table("growth").set_index("kpi_id")
    assert list(targets.target_table("growth").columns) == targets.TABLE_COLUMNS
    for k, lo, hi in (
        ("connect_rate", 0.20, 0.30),
        ("conversation_rate", 0.50, 0.70),
        ("appointment_rate", 0.15, 0.25),
        ("email_reply_rate", 0.03, 0.08),
    ):
        assert (g.loc[k, "low"], g.loc[k, "high"]) == (lo, hi) and np.isnan(g.loc[k, "target"]), k
        assert g.loc[k, "judged"]
    m = targets.target_table("mature").set_index("kpi_id")
    assert m.loc["cac_jpy", "target"] == 500_000 and m.loc["cac_jpy", "direction"] == "lower"
    assert m.loc["ltv_cac", "target"] == 3.0 and m.loc["ltv_cac", "direction"] == "higher"
    assert m.loc["cac_jpy", "judged"] and m.loc["ltv_cac", "judged"]


def test_efficiency_kpis_at_launch_are_reference_values():
    la = targets.target_table("launch")
    rates = la[la["kpi_id"].map(lambda k: kpis.get(k).unit == "rate")]
    assert set(rates["kpi_id"]) >= {"connect_rate", "conversation_rate", "appointment_rate", "deal_conversion"}
    assert not rates["judged"].any()
    assert la[la["kpi_id"] == "calls"]["judged"].all()  # activity is what launch judges


def test_industry_preset_replaces_the_range():
    presets = industry_presets()
    for name, (lo, hi) in (("saas", (0.15, 0.20)), ("enterprise", (0.05, 0.10))):
        assert presets[name]["deal_conversion"] == (lo, hi)
        r = targets.target_row(targets.target_table("growth", industry=name), "deal_conversion")
        assert (r["low"], r["high"], r["source"]) == (lo, hi, "industry") and np.isnan(r["target"])
    # 8 % deal conversion: a miss for SaaS, on target for enterprise
    ent = targets.target_row(targets.target_table("growth", industry="enterprise"), "deal_conversion")
    saas = targets.target_row(targets.target_table("growth", industry="saas"), "deal_conversion")
    assert V(0.08, low=ent["low"], high=ent["high"]) == "on_target"
    assert V(0.08, low=saas["low"], high=saas["high"]) == "miss"
    with pytest.raises(ValueError, match="industry must be one of"):
        targets.target_table("growth", industry="retail")


def test_goals_replace_a_team_month_target():
    t = targets.target_table("mature", goals={"won_amount_jpy": 12_000_000, "deals_created": 40})
    w = targets.target_row(t, "won_amount_jpy")
    assert (w["target"], w["per"], w["source"], w["judged"]) == (12_000_000, "team_month", "goal", True)
    d = targets.target_row(t, "deals_created")  # not in the mature template: added, ★★
    assert d["importance"] == 2 and d["source"] == "goal"
    assert (t["kpi_id"] == "won_amount_jpy").sum() == 1


def test_targets_file_errors_name_the_file_and_key(tmp_path):
    base = (kpis.config.PHASE_TARGETS_FILE).read_text(encoding="utf-8")
    bad = tmp_path / "t.toml"
    bad.write_text(
        base.replace(
            "connect_rate = { low = 0.20, high = 0.30, importance = 1 }",
            "connect_rate = { low = 0.30, high = 0.20, importance = 1 }",
            1,
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"t\.toml: \[growth\] connect_rate: low 0.3 is above high 0.2; swap them"):
        targets.target_table("launch", targets_file=bad)
    bad2 = tmp_path / "t2.toml"
    bad2.write_text(
        base.replace("deals_created = { target = 15,", "deals_created = { judged = 1, target = 15,", 1),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="judged must be true or false"):
        targets.target_table("launch", targets_file=bad2)


# --- every page reads the same table and agrees --------------------------------------------------
@pytest.fixture(scope="module")
def sim():
    frames = make_frames()
    data = dataset.Dataset.from_frames(frames)
    rp = aggregate.rep_period(data, grain="month")
    return data, rp


@pytest.mark.parametrize("phase", ["launch", "growth", "mature"])
def test_tree_funnel_and_table_agree(sim, phase):
    data, rp = sim
    tree = scorecard.kpi_tree(data, month="2026-10", rep_period=rp, phase=phase)
    team = tree[tree["level"] == "team"].set_index("kpi_id")
    table = targets.target_table(phase).set_index("kpi_id")
    for k in team.index:
        r = team.loc[k]
        if k in table.index and r["target_basis"] != "prorated":
            for c in ("target", "low", "high"):
                assert r[c] == pytest.approx(table.loc[k, c], nan_ok=True), (k, c)
            assert r["judged"] == table.loc[k, "judged"]
        elif k not in table.index:
            assert r["verdict"] == "none" and r["target_basis"] == "none", k
    # the funnel judges its stage rates exactly as the tree does
    counts = funnel.funnel_counts(data, month="2026-10", rep_period=rp, by="team_id")
    st = funnel.funnel(counts, targets=team.reset_index()[lambda d: d["target_basis"] != "none"]).set_index("rate_id")
    for rid in ("connect_rate", "conversation_rate", "appointment_rate", "handoff_win_rate"):
        if rid in team.index:
            assert st.loc[rid, "verdict"] == team.loc[rid, "verdict"], (phase, rid)
            assert st.loc[rid, "rate"] == pytest.approx(team.loc[rid, "actual"])
    if phase == "launch":  # efficiency at launch: 参考値, never red
        rates = team[team["unit"] == "rate"]
        assert not (rates["verdict"] == "miss").any()
        assert (rates.loc[["connect_rate", "appointment_rate"], "verdict"] == "reference").all()


def test_smart_check_measures_cac_from_costs(sim):
    """The SMART check says CAC is measurable when costs and deals exist (issue 14: it said
    「データから測定できません」 beside an economics table showing CAC)."""
    data, rp = sim
    sm = scorecard.smart_check(data, phase="mature", rep_period=rp, month="2026-10").set_index("kpi_id")
    assert sm.loc["cac_jpy", "measurable"] and sm.loc["ltv_cac", "measurable"]
    assert sm.loc["cac_jpy", "verdict"] != "not_measurable"
    ec = economics.economics(data, month="2026-10")
    assert ec is not None and np.isfinite(ec["cac_jpy"]).all()


def test_economics_rows_judge_cac_and_ltv_cac_against_the_table(sim):
    data, _ = sim
    ec = economics.economics(data, month="2026-10")
    tt = scorecard.team_targets(pd.DataFrame({"team_id": ec["team_id"], "phase": "mature"}))
    rows = economics.kpi_rows(ec, tables=tt).set_index(["team_id", "kpi_id"])
    assert list(economics.kpi_rows(ec, tables=tt).columns) == targets.KPI_TABLE_COLUMNS
    for team_id, r in ec.set_index("team_id").iterrows():
        assert rows.loc[(team_id, "cac_jpy"), "verdict"] == V(r["cac_jpy"], target=500_000, direction="lower")
        assert rows.loc[(team_id, "ltv_cac"), "verdict"] == V(r["ltv_cac"], target=3.0)
        assert rows.loc[(team_id, "roi"), "verdict"] == "none"  # the seed gives ROI no target
    # growth: no CAC target in the template, so no verdict
    tg = scorecard.team_targets(pd.DataFrame({"team_id": ec["team_id"], "phase": "growth"}))
    assert set(economics.kpi_rows(ec, tables=tg)["verdict"]) == {"none"}


def test_kpi_table_shape_and_values_from_the_tree(sim):
    data, rp = sim
    tree = scorecard.kpi_tree(data, month="2026-10", rep_period=rp, phase="growth")
    kt = targets.kpi_table(tree)
    assert list(kt.columns) == targets.KPI_TABLE_COLUMNS
    team = tree[tree["level"] == "team"]
    assert len(kt) == len(team) and set(kt["verdict"]) <= set(targets.VERDICTS)
    m = kt.merge(team, on=["team_id", "kpi_id"])
    assert np.allclose(m["actual_x"], m["actual_y"], equal_nan=True)
    assert np.allclose(m["target_low"], m["low"], equal_nan=True)


def test_small_samples_are_not_judged_in_the_tree(sim):
    """A rate from fewer trials than ``min_trials`` is ``small`` (grey), whatever its value; a
    参考値 stays ``reference``; counts are still judged."""
    data, rp = sim
    n_calls = int(rp.loc[rp["period"] == "2026-10-01", "calls"].sum())
    tree = scorecard.kpi_tree(data, month="2026-10", rep_period=rp, phase="growth", min_trials=n_calls + 1)
    team = tree[tree["level"] == "team"].set_index("kpi_id")
    rates = team[(team["unit"] == "rate") & (team["target_basis"] != "none")]
    assert len(rates) >= 4 and (rates["verdict"] == "small").all() and rates["too_small"].all()
    assert team.loc["calls", "verdict"] in targets.JUDGED
    launch = scorecard.kpi_tree(data, month="2026-10", rep_period=rp, phase="launch", min_trials=n_calls + 1)
    lt = launch[launch["level"] == "team"].set_index("kpi_id")
    assert lt.loc["connect_rate", "verdict"] == "reference"
