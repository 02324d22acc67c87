"""KPI tree, funnel, pacing and views on data: a small planted simulation and the sample data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_scorecard_fixtures import RATES, make_frames

from iskpi_analysis import aggregate, dataset, funnel, kpis, quality, sample, scorecard, targets


@pytest.fixture(scope="module")
def sim():
    frames = make_frames()
    data = dataset.Dataset.from_frames(frames, today=pd.Timestamp("2026-11-30"))
    rp = aggregate.rep_period(data, grain="month")
    tree = scorecard.label_tree(scorecard.kpi_tree(data, month="2026-10", rep_period=rp))
    return frames, data, rp, tree


def _team(tree, kpi):
    return tree[(tree["level"] == "team") & (tree["kpi_id"] == kpi)].iloc[0]


def test_tree_phase_and_units_by_hand(sim):
    frames, data, rp, tree = sim
    calls = frames["calls"].assign(t=pd.to_datetime(frames["calls"]["started_at"]))
    oct_calls = calls[calls["t"].dt.strftime("%Y-%m") == "2026-10"]
    # team launched 2026-02-01 → 8 months → growth; growth has a per-rep-day calls target
    row = _team(tree, "calls")
    assert row["phase"] == "growth" and row["per"] == "rep_day"
    # 3 reps × 21 business days in Oct 2026 (スポーツの日 10-12 excluded)
    assert row["n"] == 63 and row["total"] == len(oct_calls)
    assert row["actual"] == pytest.approx(len(oct_calls) / 63)
    growth = kpis.phase_targets("growth").set_index("kpi_id")
    assert row["target"] == growth.loc["calls", "target"]
    assert row["month_target"] == growth.loc["calls", "target"] * 63
    # a rate: ratio of sums, Wilson interval, previous month and change
    cr = _team(tree, "connect_rate")
    assert cr["k"] == oct_calls["connected"].sum() and cr["n"] == len(oct_calls)
    assert cr["actual"] == pytest.approx(oct_calls["connected"].mean())
    sep = calls[calls["t"].dt.strftime("%Y-%m") == "2026-09"]
    assert cr["previous"] == pytest.approx(sep["connected"].mean())
    assert cr["change"] == pytest.approx(cr["actual"] - cr["previous"])


def test_tree_planted_low_appointment_rate_is_a_miss(sim):
    _, data, rp, tree = sim
    ar = _team(tree, "appointment_rate")
    assert ar["actual"] == pytest.approx(RATES["appointment"], abs=0.04)
    # the seed's range 15–25 % is the target: the whole interval is below its low edge
    assert ar["verdict"] == "miss" and ar["ci_high"] < ar["low"] and np.isnan(ar["target"])
    assert "appointment_rate" in set(scorecard.off_target(tree)["kpi_id"])
    # per-rep rows exist for every rep and sum to the team
    reps = tree[(tree["level"] == "rep") & (tree["kpi_id"] == "calls")]
    assert set(reps["rep_id"]) == {"R1", "R2", "R3"}
    assert reps["total"].sum() == _team(tree, "calls")["total"]


def test_rep_table_one_row_per_rep(sim):
    _, _, _, tree = sim
    vals = scorecard.rep_table(tree, value="value_text")
    lev = scorecard.rep_table(tree, value="verdict")
    assert len(vals) == 3 and vals["rep_id"].tolist() == ["R1", "R2", "R3"]
    assert list(vals.columns) == list(lev.columns)
    assert set(lev.columns[4:]) == set(tree.loc[tree["in_phase"], "kpi_id"])
    assert set(lev.iloc[:, 4:].stack()) <= set(targets.VERDICTS)


def test_phase_override_and_targets_file(sim, tmp_path):
    _, data, rp, _ = sim
    t = scorecard.kpi_tree(data, month="2026-10", rep_period=rp, phase="launch")
    assert _team(t, "calls")["target"] == kpis.phase_targets("launch").set_index("kpi_id").loc["calls", "target"]
    # a user-edited targets file changes the target and the attainment
    text = kpis.config.PHASE_TARGETS_FILE.read_text(encoding="utf-8").replace(
        "calls = { target = 80,", "calls = { target = 40,"
    )
    f = tmp_path / "targets.toml"
    f.write_text(text, encoding="utf-8")
    t2 = scorecard.kpi_tree(data, month="2026-10", rep_period=rp, targets_file=str(f))
    assert _team(t2, "calls")["target"] == 40
    assert _team(t2, "calls")["attainment"] == pytest.approx(_team(t2, "calls")["actual"] / 40)
    with pytest.raises(ValueError, match="phase must be one of"):
        scorecard.kpi_tree(data, month="2026-10", rep_period=rp, phase="adult")


def test_team_scorecards_funnel_plan_pacing_summary(sim):
    _, data, rp, tree = sim
    rpd = aggregate.rep_period(data, grain="day")
    res = scorecard.describe_teams(
        scorecard.team_scorecards(
            data, month="2026-10", tree=tree, rep_period=rp, rep_period_day=rpd, as_of="2026-10-15", goal_won=10
        ),
        tree,
        month="2026-10",
    )
    r = res["T1"]
    assert r["bottleneck"]["stage"] == "appointment_rate" and r["bottleneck"]["certainty"] == "sure"
    assert r["stages"].set_index("stage").loc["calls", "count"] == _team(tree, "calls")["total"]
    pp = r["prob_plan"]
    assert pp["calls"].iloc[-1] > pp["calls"].iloc[0]  # 90 % needs more than plain division
    p = r["pacing"].set_index("kpi_id").loc["calls"]
    assert (p["business_days"], p["elapsed"], p["remaining"]) == (21, 10, 11)  # 10-12 holiday
    assert 3 <= len(r["summary"]) <= 5
    assert any(kpis.label("appointment_rate") in s for s in r["summary"])
    tree_en = scorecard.label_tree(scorecard.kpi_tree(data, month="2026-10", rep_period=rp), lang="en")
    bn_en = scorecard.describe_bottleneck(funnel.bottleneck(r["stages"]), lang="en")
    en = scorecard.findings_summary(tree_en, bottleneck=bn_en, month="2026-10", lang="en")
    assert len(en) >= 2 and "bottleneck" in " ".join(en)
    assert not any("\u3040" <= ch <= "\u30ff" for s in en for ch in s)  # no kana in English


def test_smart_check_flags_unrealistic_and_easy_targets(sim):
    _, data, rp, _ = sim
    sm = scorecard.smart_check(data, phase="growth", rep_period=rp, month="2026-10").set_index("kpi_id")
    # planted appointment rate 0.10 vs target 0.20: no rep-month reached it → not achievable
    assert sm.loc["appointment_rate", "achievable"] is False or not sm.loc["appointment_rate", "achievable"]
    assert sm.loc["appointment_rate", "share_reaching"] == 0
    assert bool(sm.loc["calls", "time_bound"]) and bool(sm.loc["calls", "measurable"])


def test_missing_tables_are_skipped():
    frames = make_frames(with_costs=False)
    frames = {k: v for k, v in frames.items() if k in ("teams", "reps", "calls")}
    data = dataset.Dataset.from_frames(frames, today=pd.Timestamp("2026-11-30"))
    rp = aggregate.rep_period(data, grain="month")
    tree = scorecard.kpi_tree(data, month="2026-10", rep_period=rp)
    assert "deal_quality_score" not in set(tree["kpi_id"]) and "calls" in set(tree["kpi_id"])
    assert scorecard.response_times(data, month="2026-10") is None
    assert scorecard.email_rates(data, month="2026-10", rep_period=rp) is None
    assert "省略" in scorecard.missing_note("deals")


# --- the sample data: planted truths ---------------------------------------------------------------
def test_quality_score_matches_the_generator(sample_data):
    mine = quality.quality_score(sample_data.deals)["score"].to_numpy()
    ref = sample.quality_score(sample_data.deals).to_numpy()
    assert np.array_equal(mine, ref)


def test_quality_win_relation_recovers_planted_slope(sample_data):
    # planted: P(won | closed) = sigmoid(−4 + 0.05 · score) → odds ratio per 10 points = e^0.5
    rel = quality.score_win_relation(quality.quality_score(sample_data.deals))
    assert rel["ci_low"] < np.exp(0.5) < rel["ci_high"]
    assert rel["odds_ratio_per_10"] == pytest.approx(np.exp(0.5), rel=0.1)


def test_response_time_recovers_planted_sdr_delays(sample_data):
    rt = scorecard.response_times(sample_data, month="2026-10")
    reps = sample_data.reps.set_index("rep_id")["role"]
    sdr = rt[rt["owner_rep_id"].map(reps) == "SDR"]
    # planted: 70 % Exp(20 min) + 20 % lognormal(median 2 h, σ 0.8) + 10 % ~20 h
    from scipy import stats as st

    expected = 0.7 * (1 - np.exp(-3)) + 0.2 * st.norm.cdf(np.log(0.5) / 0.8) + 0.1 * st.norm.cdf(np.log(1 / 20) / 0.7)
    assert (sdr["minutes"] <= 60).mean() == pytest.approx(expected, abs=0.03)
    assert (sdr["business_minutes"] <= sdr["minutes"] + 1e-9).all()
