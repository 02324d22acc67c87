"""Scorecard formulas against hand-computed values and exact references (issue 6)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from iskpi_analysis import economics, funnel, kpis, pacing, plan, quality, scorecard


# --- reverse plan (the seed's worked example) ------------------------------------------------
def test_reverse_plan_seed_example():
    # kpi-setting-guide: 10 orders, 商談化率 20 % → 50 deals, 有効会話率 40 % → 125, 接続率 50 % → 250 calls
    r = plan.reverse_plan(10, stages=["calls", "conversations", "deals", "orders"], rates=[0.5, 0.4, 0.2])
    assert r["needed_ceil"].tolist() == [250, 125, 50, 10]
    assert r["needed"].tolist() == pytest.approx([250, 125, 50, 10])
    assert r["cumulative_rate"].iloc[0] == pytest.approx(0.04)


def test_reverse_plan_rounds_up_only_the_exact_quotient():
    r = plan.reverse_plan(10, stages=list("abcde"), rates=[0.2, 0.5, 0.3, 0.25])
    # 10 / 0.0075 = 1333.33 → 1334 calls (not the per-stage rounded 1340)
    assert r["needed_ceil"].tolist() == [1334, 267, 134, 40, 10]


@pytest.mark.parametrize("bad", [[0.5, 0.0], [0.5, 1.2], [0.5, float("nan")]])
def test_reverse_plan_rejects_bad_rates(bad):
    with pytest.raises(ValueError, match="rate"):
        plan.reverse_plan(10, stages=["a", "b", "c"], rates=bad)


# --- probability plan vs exact binomial ---------------------------------------------------------
RATES = [0.2, 0.5, 0.3, 0.25]


def test_reach_probability_is_exact_binomial():
    p = plan.reach_probability(10, 1334, rates=RATES)
    assert p == pytest.approx(0.543, abs=0.0005)
    # independent: sum of binomial pmf
    ref = 1 - sum(math.comb(1334, k) * 0.0075**k * 0.9925 ** (1334 - k) for k in range(10))
    assert p == pytest.approx(ref, rel=1e-9)


def test_calls_for_90_percent_matches_exact_search():
    n = plan.calls_for_probability(10, 0.9, rates=RATES)
    assert n == 1892
    assert st.binom.sf(9, 1892, 0.0075) >= 0.9 > st.binom.sf(9, 1891, 0.0075)


def test_probability_plan_table():
    pp = plan.probability_plan(10, stages=list("abcde"), rates=RATES, probabilities=(0.9,))
    assert pp["calls"].tolist() == [1334, 1892]
    assert pp["probability"].iloc[0] == pytest.approx(0.543, abs=0.0005)
    assert pp["needed_e"].iloc[1] == pytest.approx(1892 * 0.0075)


def test_observed_rate_uncertainty_needs_more_calls_and_tends_to_exact():
    # huge samples: the posterior is tight → close to the exact 1,892
    big = [10**7] * 4
    k_big = [int(r * n) for r, n in zip(RATES, big)]
    n_big = plan.calls_for_probability(10, 0.9, successes=k_big, trials=big)
    assert abs(n_big - 1892) <= 5
    # small samples: uncertain rates → clearly more calls for the same 90 %
    small = [100, 40, 40, 20]
    k_small = [20, 20, 12, 5]
    n_small = plan.calls_for_probability(10, 0.9, successes=k_small, trials=small)
    assert n_small > 2100
    # and the probability at that number, checked by an independent simulation
    rng = np.random.default_rng(1)
    p = np.prod([rng.beta(k + 0.5, n - k + 0.5, 200_000) for k, n in zip(k_small, small)], axis=0)
    sim = np.mean(rng.binomial(n_small, p) >= 10)
    assert sim == pytest.approx(0.9, abs=0.01)


# --- pacing across a month with a holiday ---------------------------------------------------------
def test_month_days_november_2026_two_holidays():
    # Nov 2026: 21 weekdays − 文化の日 (Tue 3rd) − 勤労感謝の日 (Mon 23rd) = 19 business days
    d = pacing.month_days("2026-11", "2026-11-10")
    assert (d["business_days"], d["elapsed"], d["remaining"]) == (19, 6, 13)
    assert pacing.month_days("2026-11", "2026-11-23")["elapsed"] == 14  # holiday: not counted
    assert pacing.month_days("2026-11", "2026-11-24")["elapsed"] == 15


def test_project_hand_computed():
    # 10 per business day Nov 2–10 (6 business days, the 3rd is a holiday with no activity)
    days = pd.to_datetime(["2026-11-02", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-09", "2026-11-10"])
    vals = [8.0, 12.0, 9.0, 11.0, 10.0, 10.0]
    p = pacing.project(pd.Series(vals, index=days), month="2026-11", as_of="2026-11-10", target=200)
    assert p["actual"] == 60
    assert p["run_rate"] == pytest.approx(10.0)
    assert p["projected"] == pytest.approx(60 + 10 * 13)
    s2 = np.var(vals, ddof=1)  # = 2.0
    sd = math.sqrt(13 * s2 + 13**2 * s2 / 6)
    z = st.norm.ppf(0.95)
    assert p["projected_high"] == pytest.approx(190 + z * sd)
    assert p["projected_low"] == pytest.approx(190 - z * sd)
    assert p["needed_per_day"] == pytest.approx(140 / 13)
    assert p["on_track"] is False
    assert p["p_reach"] == pytest.approx(st.norm.sf(200, 190, sd))


def test_project_weekend_activity_counts_but_not_the_day():
    s = pd.Series([10.0, 5.0], index=pd.to_datetime(["2026-11-06", "2026-11-07"]))  # Fri, Sat
    p = pacing.project(s, month="2026-11", as_of="2026-11-08")
    assert p["actual"] == 15 and p["elapsed"] == 4
    path = pacing.cumulative_path(s, month="2026-11", as_of="2026-11-08")
    assert path.loc[path["date"] == "2026-11-06", "cumulative"].item() == 15  # Sat → Fri


def test_project_complete_month_has_no_interval():
    s = pd.Series(1.0, index=pd.date_range("2026-11-01", "2026-11-30"))
    p = pacing.project(s, month="2026-11", target=30)
    assert p["remaining"] == 0 and p["projected"] == p["projected_low"] == p["projected_high"] == 30
    assert p["p_reach"] == 1.0


# --- deal quality score table ----------------------------------------------------------------------
def _deal(b, a, n, t, need, proc, nxt, status="won"):
    return {
        "deal_id": "d",
        "rep_id": "r",
        "status": status,
        "budget_confirmed": b,
        "authority_confirmed": a,
        "need_confirmed": n,
        "timeline_confirmed": t,
        "need_clarity": need,
        "decision_process": proc,
        "next_action": nxt,
    }


@pytest.mark.parametrize(
    "row, expected",
    [
        (_deal(True, True, True, True, "clear", "detailed", "scheduled"), 100),
        (_deal(True, True, True, False, "overview", "overview", "timing_only"), 20 + 15 + 15 + 10),
        (_deal(True, True, False, False, "unclear", "unknown", "none"), 10 + 5 + 5 + 0),
        (_deal(False, False, False, False, "clear", "unknown", "scheduled"), 10 + 25 + 5 + 20),
        (_deal(True, True, True, None, None, "detailed", None), 20 + 5 + 25 + 0),  # missing = lowest
    ],
)
def test_quality_score_table(row, expected):
    q = quality.quality_score(pd.DataFrame([row]))
    assert q["score"].item() == expected


def test_quality_score_parts_and_missing_count():
    q = quality.quality_score(pd.DataFrame([_deal(True, True, True, None, None, "detailed", None)]))
    r = q.iloc[0]
    assert (r.bant_confirmed, r.bant_points, r.need_points, r.process_points, r.next_points) == (3, 20, 5, 25, 0)
    assert r.missing_items == 3


def test_quality_score_rejects_unknown_category():
    with pytest.raises(ValueError, match="allowed"):
        quality.quality_score(pd.DataFrame([_deal(True, True, True, True, "vague", "detailed", "none")]))


def test_win_rate_by_score_and_relation():
    rows = (
        [_deal(True, True, True, True, "clear", "detailed", "scheduled", "won")] * 8
        + [_deal(True, True, True, True, "clear", "detailed", "scheduled", "lost")] * 2
        + [_deal(False, False, False, False, "unclear", "unknown", "none", "won")] * 2
        + [_deal(False, False, False, False, "unclear", "unknown", "none", "lost")] * 8
        + [_deal(False, False, False, False, "unclear", "unknown", "none", "open")] * 5
    )
    q = quality.quality_score(pd.DataFrame(rows))
    b = quality.win_rate_by_score(q, min_trials=5)
    assert b.loc[b["band"] == "90–100", ["k", "n"]].values.tolist() == [[8, 10]]
    assert b.loc[b["band"] == "0–59", ["k", "n"]].values.tolist() == [[2, 10]]  # open deals excluded
    rel = quality.score_win_relation(q)
    # logistic regression on two groups: OR per 10 points = ((8/2)/(2/8))^(10/80)
    assert rel["odds_ratio_per_10"] == pytest.approx(16 ** (10 / 80), rel=1e-4)
    assert rel["mean_score_won"] == pytest.approx((8 * 100 + 2 * 20) / 10)


# --- funnel & bottleneck --------------------------------------------------------------------------
COUNTS = pd.Series(
    {
        "calls": 1000,
        "connects": 250,
        "valid_conversations": 150,
        "appointments": 15,
        "deals_created": 10,
        "deals_won": 3,
        "deals_closed": 10,
    }
)


def test_funnel_rates_and_wilson():
    s = funnel.funnel(COUNTS, targets={"connect_rate": 0.25, "conversation_rate": 0.6, "appointment_rate": 0.2})
    r = s.set_index("stage")
    assert r.loc["connects", "rate"] == 0.25 and r.loc["appointments", "rate"] == 0.1
    # Wilson 95 % for 15 / 150 by hand
    z = st.norm.ppf(0.975)
    p, n = 0.1, 150
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert r.loc["appointments", "ci_low"] == pytest.approx(c - h)
    assert r.loc["appointments", "ci_high"] == pytest.approx(c + h)
    assert r.loc["appointments", "attainment"] == pytest.approx(0.5)
    assert bool(r.loc["appointments", "below_sure"])
    assert r.loc["deals_won", "rate"] == 0.3  # won / closed


def test_bottleneck_high_connect_low_appointment_reads_conversation_quality():
    s = funnel.funnel(COUNTS, targets={"connect_rate": 0.25, "conversation_rate": 0.6, "appointment_rate": 0.2})
    b = scorecard.describe_bottleneck(funnel.bottleneck(s), lang="ja")
    assert b["stage"] == "appointment_rate" and b["certainty"] == "sure"
    assert "トークスクリプト" in b["reading"] and kpis.label("connect_rate") in b["reading"]


def test_bottleneck_low_connect_reads_hours_and_list():
    c = COUNTS.copy()
    c["connects"], c["valid_conversations"], c["appointments"] = 120, 80, 16
    s = funnel.funnel(c, targets={"connect_rate": 0.25, "conversation_rate": 0.6, "appointment_rate": 0.2})
    b = scorecard.describe_bottleneck(funnel.bottleneck(s), lang="en")
    assert b["stage"] == "connect_rate"
    assert "calling hours" in b["reading"] and "list" in b["reading"]


def test_bottleneck_volume_when_rates_meet_targets():
    s = funnel.funnel(COUNTS, targets={"connect_rate": 0.2})
    assert funnel.bottleneck(s, calls_attainment=0.7)["stage"] == "calls"
    assert funnel.bottleneck(s, calls_attainment=1.1)["stage"] is None


def test_stage_targets_are_the_phase_target_table_rows():
    """Issue 14: the funnel reads the team's own target table — no fallback to another phase's
    midpoint; the launch phase has the efficiency rates as 参考値 (not judged), with the seed's
    ranges."""
    launch = funnel.stage_targets("launch").set_index("kpi_id")
    assert not launch.loc["connect_rate", "judged"]
    assert (launch.loc["connect_rate", "low"], launch.loc["connect_rate", "high"]) == (0.20, 0.30)
    assert np.isnan(launch.loc["connect_rate", "target"])  # no made-up midpoint
    growth = funnel.stage_targets("growth").set_index("kpi_id")
    assert growth.loc["handoff_win_rate", "target"] == 0.25 and growth.loc["handoff_win_rate", "judged"]
    assert "appointment_to_deal_rate" not in growth.index  # the seed gives no target for it


# --- phase, alerts, response time ----------------------------------------------------------------
@pytest.mark.parametrize(
    "launched, month, months, phase",
    [
        ("2026-07-01", "2026-10", 3, "launch"),
        ("2026-04-15", "2026-10", 5, "launch"),
        ("2026-04-01", "2026-10", 6, "growth"),
        ("2025-10-01", "2026-10", 12, "mature"),
    ],
)
def test_months_since_launch_and_phase(launched, month, months, phase):
    m = scorecard.months_since_launch(launched, month)
    assert m == months and scorecard.phase_of(m) == phase


def test_business_minutes_over_weekend_and_holiday():
    # Fri 2026-10-09 17:30 → Tue 10-13 09:30 (Mon 10-12 is スポーツの日): 30 + 30 minutes
    assert scorecard.business_minutes(["2026-10-09 17:30"], ["2026-10-13 09:30"])[0] == 60
    m = scorecard.business_minutes(
        ["2026-10-10 08:00", "2026-10-13 08:00", "2026-10-13 10:00"],
        ["2026-10-13 10:00", "2026-10-13 08:30", "2026-10-13 10:45"],
    )
    assert m.tolist() == [60, 0, 45]


# --- economics ---------------------------------------------------------------------------------------
class _Data:
    """Minimal stand-in for a Dataset with deals and costs."""

    tz = "Asia/Tokyo"

    def __init__(self, deals, costs):
        self.deals, self.costs = deals, costs

    def has(self, t):
        return getattr(self, t, None) is not None


def _ts(s):
    return pd.Timestamp(s, tz="Asia/Tokyo")


def test_economics_hand_computed():
    deals = pd.DataFrame(
        {
            "team_id": ["t"] * 4,
            "status": ["won", "won", "lost", "open"],
            "amount_jpy": [1_000_000.0, 3_000_000.0, 5_000_000.0, 7_000_000.0],
            "created_at": [_ts("2026-09-10"), _ts("2026-10-02"), _ts("2026-10-03"), _ts("2026-10-04")],
            "closed_at": [_ts("2026-10-05"), _ts("2026-10-20"), _ts("2026-10-21"), pd.NaT],
            "month": ["2026-09", "2026-10", "2026-10", "2026-10"],
            "closed_month": ["2026-10", "2026-10", "2026-10", None],
        }
    )
    costs = pd.DataFrame({"month": ["2026-10"], "team_id": ["t"], "cost_jpy": [2_000_000.0]})
    e = economics.economics(_Data(deals, costs), month="2026-10", gross_margin=0.5, lifetime_years=2)
    r = e.iloc[0]
    assert r.won_amount_jpy == 4_000_000 and r.deals_won == 2
    assert r.cac_jpy == 1_000_000  # 2,000,000 / 2 won
    assert r.ltv_jpy == 2_000_000 * 0.5 * 2  # average won × margin × years
    assert r.ltv_cac == pytest.approx(2.0)
    assert r.roi == pytest.approx((4_000_000 * 0.5 - 2_000_000) / 2_000_000)
    assert r.pipeline_jpy == 7_000_000 and r.deal_amount_jpy == 15_000_000
    assert economics.economics(_Data(deals, None), month="2026-10") is None


def test_forecast_accuracy_hand_computed():
    days = pacing.jcal.month_business_days("2026-11")
    vals = np.where(np.arange(len(days)) < 10, 10.0, 20.0)  # first half slower
    daily = pd.DataFrame({"calls": vals}, index=days)
    fa = economics.forecast_accuracy(daily, months=["2026-11"], at_business_day=10)
    r = fa.iloc[0]
    actual = 10 * 10 + 20 * 9
    assert r.actual == actual and r.projected == pytest.approx(10 * 19)
    assert r.accuracy == pytest.approx(1 - abs(190 - actual) / actual)


def test_change_text_and_format_value():
    assert scorecard.change_text("connect_rate", 0.012) == "+1.2pt"
    assert scorecard.change_text("calls", -3.25, "rep_day") == "-3.2"
    assert scorecard.change_text("calls", float("nan")) == "–"
    assert scorecard.format_value("calls", 99.0, "rep_day") == "99.0"
    assert scorecard.format_value("won_amount_jpy", 50_000_000) == "5,000万円"


def test_plots_colour_by_verdict_and_mute_small():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.colors as mc
    import matplotlib.pyplot as plt

    from iskpi_analysis.plots import scorecard as psc

    card = pd.DataFrame(
        {
            "label": ["a", "b", "c"],
            "attainment": [1.2, 0.5, 0.9],
            "verdict": ["on_target", "miss", "small"],
            "value_text": ["1", "2", "3"],
            "target_text": ["1", "4", "3"],
        }
    )
    ax = psc.attainment_cards(card)
    colours = [mc.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours == [psc.VERDICT_COLORS["on_target"], psc.VERDICT_COLORS["miss"], psc.VERDICT_COLORS["small"]]
    s = funnel.funnel(COUNTS, targets={"appointment_rate": 0.2}, min_trials=200)
    ax = psc.funnel_chart(s, bottleneck="appointment_rate")
    fc = [mc.to_hex(p.get_facecolor()) for p in ax.patches]
    assert fc[3] == psc.VERDICT_COLORS["miss"]  # the bottleneck stage
    assert fc[5] == psc.VERDICT_COLORS["small"]  # 10 closed deals < min_trials
    path = pacing.cumulative_path(
        pd.Series(10.0, index=pd.date_range("2026-11-02", "2026-11-10")), month="2026-11", as_of="2026-11-10"
    )
    proj = pacing.project(
        pd.Series(10.0, index=pd.date_range("2026-11-02", "2026-11-10")),
        month="2026-11",
        as_of="2026-11-10",
        target=200,
    )
    ax = psc.pacing_chart(path, proj, kpi_id="calls")
    assert ax.get_xlim()[1] == pytest.approx(19.5)
    plt.close("all")


def test_team_daily_totals_cut_from_the_organisation_equal_the_team_filter(sample_data):
    from iskpi_analysis import aggregate, pacing

    rpd = aggregate.rep_period(sample_data, grain="day")
    for t in sample_data.team_ids():
        r = rpd[rpd["team_id"] == t]
        cut = pacing.daily_totals(sample_data, rep_period=r, team=t)
        alone = pacing.daily_totals(sample_data.filter(team=t), rep_period=r)
        pd.testing.assert_frame_equal(cut, alone, check_exact=True)
        assert cut["sql_count"].sum() == sample_data.filter(team=t).leads["sql_at"].notna().sum() > 0
