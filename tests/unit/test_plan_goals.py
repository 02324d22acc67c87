"""The reverse plan's goal (issue 14): with no goal set it scales with the team's headcount (a
larger team never gets a smaller goal), and the plan sentence never contradicts the month's
actuals beside it (a goal already reached is said to be reached)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from iskpi_analysis import aggregate, config, kpis, plan, scorecard

MONTH = "2026-10"


# --- plan.default_goal: the order of the sources and the headcount rule --------------------------
@pytest.mark.parametrize("phase", kpis.PHASES)
def test_a_larger_team_gets_a_larger_default_goal(phase):
    counts = {"deals_won": 40}
    goals = {n: plan.default_goal(counts=counts, phase=phase, headcount=n) for n in (5, 10, 13, 17)}
    assert all(b == "phase_deals_per_rep" and k == "deals_created" for _, b, k in goals.values())
    g = [goals[n][0] for n in (5, 10, 13, 17)]
    assert g == sorted(g) and len(set(g)) == 4
    # the seed's launch template: 15 deals created per rep and month (growth/mature have none:
    # the nearest lower phase's)
    assert g == [75, 150, 195, 255]


def test_the_default_goal_ignores_what_one_month_happened_to_bring():
    """Two teams of the same size get the same goal however many deals either won (the old
    rule, this month's wins + 10 %, gave a weak month a weak goal and a small team with a good
    month a bigger goal than a larger team)."""
    a = plan.default_goal(counts={"deals_won": 262}, phase="mature", headcount=13)
    b = plan.default_goal(counts={"deals_won": 5}, phase="mature", headcount=13)
    assert a == b == (195, "phase_deals_per_rep", "deals_created")


def test_goal_sources_in_order():
    c = {"deals_won": 20}
    kw = {"counts": c, "phase": "growth", "headcount": 10, "won_amount": 10_000_000.0}
    assert plan.default_goal(goal_won=7, goals={"deals_created": 99}, **kw) == (7, "parameter", "deals_won")
    assert plan.default_goal(goals={"deals_created": 99, "deals_won": 30}, **kw) == (
        99,
        "settings_deals",
        "deals_created",
    )
    assert plan.default_goal(goals={"deals_won": 30}, **kw) == (30, "settings_won", "deals_won")
    # 12,000,000 ÷ (10,000,000 / 20 wins = 500,000 per win) = 24
    assert plan.default_goal(goals={"won_amount_jpy": 12_000_000}, **kw) == (24, "settings_won_amount", "deals_won")
    assert plan.default_goal(**kw) == (150, "phase_deals_per_rep", "deals_created")
    # no team on the books: the older fallbacks
    kw0 = {**kw, "headcount": 0}
    assert plan.default_goal(won_amount_target=50_000_000, **kw0) == (100, "won_amount_target", "deals_won")
    assert plan.default_goal(**kw0) == (22, "actual_plus_10pct", "deals_won")
    with pytest.raises(ValueError, match="headcount"):
        plan.default_goal(counts=c, phase="growth", headcount=-1)


def test_per_rep_target_comes_from_the_targets_file(tmp_path):
    """An edited targets file with a growth deals-created target: growth and mature use it, launch
    keeps its own; a per-day target counts the month's business days (2026-10: 21)."""
    text = config.PHASE_TARGETS_FILE.read_text(encoding="utf-8")
    edited = text.replace(
        "[phases.growth]\n", '[phases.growth]\ndeals_created = { target = 20, per = "rep_month", importance = 2 }\n'
    )
    f = tmp_path / "t.toml"
    f.write_text(edited, encoding="utf-8")
    assert plan.per_rep_deals_target("launch", targets_file=f) == 15
    assert plan.per_rep_deals_target("growth", targets_file=f) == 20
    assert plan.per_rep_deals_target("mature", targets_file=f) == 20
    daily = tmp_path / "d.toml"
    daily.write_text(
        text.replace(
            'deals_created = { target = 15, per = "rep_month", importance = 2 }',
            'deals_created = { target = 1, per = "rep_day", importance = 2 }',
        ),
        encoding="utf-8",
    )
    assert plan.per_rep_deals_target("launch", targets_file=daily, month="2026-10") == 21
    assert plan.default_goal(counts={}, phase="launch", headcount=3, targets_file=daily, month="2026-10")[0] == 63
    with pytest.raises(ValueError, match="phase must be one of"):
        plan.per_rep_deals_target("adult")


def test_goal_progress():
    assert plan.goal_progress(240, 336) == {"actual": 336.0, "share": 1.4, "reached": True, "remaining": 0.0}
    p = plan.goal_progress(180, 137)
    assert p["reached"] is False and p["remaining"] == 43 and p["share"] == pytest.approx(137 / 180)
    assert plan.goal_progress(10, 10)["reached"] is True
    with pytest.raises(ValueError, match="goal must be positive"):
        plan.goal_progress(0, 3)


# --- on the sample: goals by headcount, sentences that agree with the actuals ----------------------
@pytest.fixture(scope="module")
def teams(sample_data):
    rp = aggregate.rep_period(sample_data, grain="month")
    rpd = aggregate.rep_period(sample_data, grain="day")
    tree = scorecard.kpi_tree(sample_data, month=MONTH, rep_period=rp)
    t = scorecard.team_scorecards(sample_data, month=MONTH, tree=tree, rep_period=rp, rep_period_day=rpd, goal_won=0)
    return tree, scorecard.describe_teams(t, tree, month=MONTH, lang="ja"), rp


def test_sample_goals_follow_headcount(sample_data, teams):
    tree, t, rp = teams
    start = pd.Period(MONTH, freq="M").start_time
    heads = rp[(rp["period"] == start) & (rp["n_days"] > 0)].groupby("team_id").size()
    # by hand from the reps table: on the team on some day of the month
    reps = sample_data.reps
    end = start + pd.offsets.MonthEnd(0)
    on = reps[(pd.to_datetime(reps["joined_on"]) <= end) & ~(pd.to_datetime(reps["left_on"]) < start)]
    assert heads.to_dict() == on.groupby("team_id").size().to_dict()
    goals = {k: r["plan_summary"]["goal"] for k, r in t.items()}
    assert goals == {k: 15 * int(heads[k]) for k in goals}
    by_size = sorted(goals, key=lambda k: heads[k])
    assert [goals[k] for k in by_size] == sorted(goals.values())
    assert goals["tokyo_is"] > goals["osaka_is"]  # the larger 東京 gets the larger goal
    # the launch team's goal is its KPI tree's deals-created month target (one number on the page)
    row = tree[(tree["team_id"] == "fukuoka_is") & (tree["level"] == "team") & (tree["kpi_id"] == "deals_created")]
    assert row["month_target"].iloc[0] == goals["fukuoka_is"]


def test_plan_sentences_agree_with_the_actuals(teams):
    tree, t, _ = teams
    seen = set()
    for team_id, r in t.items():
        ps = r["plan_summary"]
        c = r["counts"]
        assert ps["goal_actual"] == c["deals_created"] and ps["calls_actual"] == c["calls"]
        s = scorecard.findings_summary(tree, team_id=team_id, plan=ps, month=MONTH, lang="ja")[-1]
        en = scorecard.findings_summary(tree, team_id=team_id, plan=ps, month=MONTH, lang="en")[-1]
        calls = f"{int(c['calls']):,}"
        assert calls in s and f"{int(c['deals_created']):,}" in s
        if ps["reached"]:
            seen.add("reached")
            assert "すでに達成" in s and "already past the goal" in en
            # the plain plan's calls are fewer than made: said as what the goal needed, in the past
            assert ps["calls_plain"] <= c["calls"] and "でした" in s
        else:
            seen.add("open")
            assert "すでに達成" not in s
            # a goal above the actual needs more calls than were made, at the same month's rates
            assert ps["calls_plain"] == math.ceil(ps["goal"] * c["calls"] / c["deals_created"] - 1e-9)
            assert ps["calls_plain"] > c["calls"] and ps["calls_prob"] >= ps["calls_plain"]
    assert seen == {"reached", "open"}  # the sample shows both kinds of team
