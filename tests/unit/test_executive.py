"""The executive view (scorecard.executive): organisation totals and 13-month history against
independent counts of the raw sample files, and the actions' selection on planted tables
(worst miss per team, a team ready to move, a falling KPI) and on null series (no action)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from iskpi_analysis import aggregate, config, dataset, scorecard, targets
from iskpi_analysis.phase_age import team_phases
from iskpi_analysis.scorecard import executive as ex
from iskpi_analysis.scorecard import executive_tables as xt

MONTH = "2026-10"
TZ = "Asia/Tokyo"


@pytest.fixture(scope="module")
def sample():
    data = dataset.load_data(config.SAMPLE_DATA_DIR)
    return data, aggregate.rep_period(data, grain="month")


def _raw_month_counts(month: str) -> dict:
    d = config.SAMPLE_DATA_DIR
    calls = pd.read_parquet(d / "calls.parquet")
    deals = pd.read_parquet(d / "deals.parquet")
    calls = calls[calls.get("direction", "out").fillna("out") == "out"] if "direction" in calls else calls
    cm = pd.to_datetime(calls["started_at"], utc=True).dt.tz_convert(TZ).dt.strftime("%Y-%m")
    c = calls[cm == month]
    created = pd.to_datetime(deals["created_at"], utc=True).dt.tz_convert(TZ).dt.strftime("%Y-%m")
    closed = pd.to_datetime(deals["closed_at"], utc=True).dt.tz_convert(TZ).dt.strftime("%Y-%m")
    won = deals[(closed == month) & (deals["status"] == "won")]
    return {
        "calls": len(c),
        "connects": int(c["connected"].sum()),
        "deals_created": int((created == month).sum()),
        "deals_won": len(won),
        "won_amount_jpy": float(won["amount_jpy"].sum()),
    }


def test_org_summary_matches_the_raw_files(sample):
    data, rp = sample
    org = ex.org_summary(data, month=MONTH, rep_period=rp).set_index("kpi_id")
    assert list(org.index) == list(ex.ORG_KPIS)
    prev = str(pd.Period(MONTH, "M") - 1)
    for month, col in ((MONTH, "actual"), (prev, "previous")):
        raw = _raw_month_counts(month)
        for k, v in raw.items():
            assert org.loc[k, col] == pytest.approx(v), (month, k)
    assert np.allclose(org["change"], org["actual"] - org["previous"])
    assert np.allclose(org["change_rel"], org["change"] / org["previous"])
    assert (org["teams"] == len(data.team_ids())).all()


def test_kpi_history_is_13_months_and_ends_with_the_kpi_tree(sample):
    data, rp = sample
    tree = scorecard.kpi_tree(data, month=MONTH, rep_period=rp)
    phases = dict(zip(*team_phases(data, month=MONTH)[["team_id", "phase"]].T.values))
    team_kpis = {t: ex.key_kpis(p) for t, p in phases.items()}
    h = ex.kpi_history(data, month=MONTH, rep_period=rp, team_kpis=team_kpis)
    assert sorted(h["month"].unique()) == [str(pd.Period(MONTH, "M") - i) for i in range(12, -1, -1)]
    assert h.groupby(["team_id", "kpi_id"]).size().eq(13).all()
    # the organisation's own line: its last month is org_summary's actual, month by month raw counts
    org = h[h["team_id"] == "all"]
    raw = _raw_month_counts("2026-05")
    for k in ("calls", "deals_won"):
        assert org[(org["kpi_id"] == k) & (org["month"] == "2026-05")]["value"].item() == pytest.approx(raw[k])
    # each team's key KPIs: the report month's value is the tree's actual (one rule, one home)
    kt = targets.kpi_table(tree).set_index(["team_id", "kpi_id"])
    last = h[(h["month"] == MONTH) & (h["team_id"] != "all")]
    assert len(last) == sum(len(v) for v in team_kpis.values())
    for r in last.itertuples():
        assert r.value == pytest.approx(kt.loc[(r.team_id, r.kpi_id), "actual"])
        assert _unit(r.per) == _unit(kt.loc[(r.team_id, r.kpi_id), "per"])


def _unit(per):
    return per if isinstance(per, str) else None


def test_key_kpis_are_the_phases_most_important():
    tt = __import__("iskpi_analysis.kpis", fromlist=["phase_targets"]).phase_targets("launch")
    top = tt[tt["kpi_id"].isin(scorecard.TREE_KPIS)].sort_values("importance", ascending=False, kind="stable")
    got = ex.key_kpis("launch")
    assert [k for k, _ in got] == list(top["kpi_id"].head(3))
    assert all(tt.set_index("kpi_id").loc[k, "importance"] == 3 for k, _ in got)


def test_rag_and_verdict_vocabulary():
    assert {v: ex.rag(v) for v in ex.VERDICTS} == {
        "ahead": "green",
        "on_target": "green",
        "watch": "amber",
        "miss": "red",
        "reference": "grey",
        "small": "grey",
        "none": "grey",
    }
    assert ex.rag(None) == "grey"
    with pytest.raises(ValueError, match="verdict must be one of"):
        ex.rag("alert")


def _table(rows):
    return pd.DataFrame(rows, columns=["team_id", "kpi_id", "actual", "target", "verdict", "previous", "change"])


def test_actions_pick_the_worst_miss_per_team_then_ready_then_decline():
    kt = _table(
        [
            ("a", "calls", 50.0, 100.0, "miss", 55.0, -5.0),  # 50 % short
            ("a", "connect_rate", 0.15, 0.20, "miss", 0.15, 0.0),  # 25 % short
            ("b", "appointments", 2.7, 3.0, "miss", 2.0, 0.7),  # 10 % short
            ("b", "sql_count", 30.0, 20.0, "ahead", 25.0, 5.0),
            ("c", "calls", 99.0, 100.0, "watch", 99.0, 0.0),
        ]
    )
    ph = pd.DataFrame(
        {
            "team_id": ["a", "b", "c"],
            "phase": ["launch", "growth", "launch"],
            "next_phase": ["growth", "mature", "growth"],
        }
    ).assign(ready=[False, None, True])
    months = [str(pd.Period(MONTH, "M") - i) for i in range(12, -1, -1)]
    falling = np.r_[np.full(7, 100.0), [99, 97, 95, 92, 90, 88]]
    hist = pd.DataFrame(
        {"team_id": "c", "kpi_id": "calls", "per": "rep_day", "month": months, "value": falling, "order": 0}
    )
    a = ex.actions(kt, team_phase=ph, history=hist)
    assert list(a["code"]) == ["miss", "ready", "decline"]
    assert list(a["rank"]) == [1, 2, 3]
    worst = a.iloc[0]
    assert (worst["team_id"], worst["kpi_id"]) == ("a", "calls")
    assert worst["gap"] == pytest.approx(-50.0) and worst["shortfall"] == pytest.approx(0.5)
    assert (a.iloc[1]["team_id"], a.iloc[1]["next_phase"]) == ("c", "growth")
    # the decline's p-value is Kendall's one-sided exact test; one series → Holm changes nothing
    exact = stats.kendalltau(np.arange(6), falling[-6:], alternative="less", method="exact").pvalue
    assert a.iloc[2]["p_val"] == pytest.approx(exact) and a.iloc[2]["p_adj"] == pytest.approx(exact)
    assert exact == pytest.approx(1 / math.factorial(6))  # a strictly falling run of six: 1 order in 720
    # more places: team b's miss comes next (one miss per team, by shortfall)
    a5 = ex.actions(kt, team_phase=ph, history=hist, n=5)
    assert list(zip(a5["code"], a5["team_id"])) == [("miss", "a"), ("ready", "c"), ("decline", "c"), ("miss", "b")]


def test_no_candidate_no_action():
    kt = _table([("a", "calls", 120.0, 100.0, "ahead", 110.0, 10.0), ("a", "connect_rate", 0.1, 0.2, "small", 0.1, 0)])
    ph = pd.DataFrame({"team_id": ["a"], "phase": ["mature"], "next_phase": [None], "ready": [None]})
    assert ex.actions(kt, team_phase=ph).empty
    assert ex.actions(kt.iloc[0:0], team_phase=ph).empty


def test_noise_is_not_a_decline():
    """Null series (no trend): the trend action fires in at most alpha of the runs (Holm over the
    series looked at), so noise does not become an action."""
    rng = np.random.default_rng(11)
    months = [str(pd.Period(MONTH, "M") - i) for i in range(12, -1, -1)]
    empty = _table([])
    fired = 0
    runs = 150
    for _ in range(runs):
        h = pd.concat(
            pd.DataFrame(
                {"team_id": t, "kpi_id": k, "per": None, "month": months, "value": rng.normal(100, 5, 13), "order": 0}
            )
            for t in ("a", "b", "c")
            for k in ("calls", "connects", "appointments")
        )
        fired += len(ex.actions(empty, history=h))
    assert fired / runs <= 0.05


def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    for m in (1, 2, 5, 12):
        p = rng.uniform(0, 0.2, m)
        assert np.allclose(ex._holm(p), multipletests(p, method="holm")[1])


def test_actions_reject_bad_n():
    with pytest.raises(ValueError, match="n must be at least 1"):
        ex.actions(_table([]), n=0)


def test_action_sentences_in_both_languages():
    names = {"a": "東京ISチーム"}
    miss = {"code": "miss", "team_id": "a", "kpi_id": "connect_rate", "actual": 0.15, "target": 0.2, "gap": -0.05}
    ja = xt.action_sentence(miss, team_names=names, lang="ja")
    en = xt.action_sentence(miss, team_names=names, lang="en")
    assert "東京ISチーム" in ja and "15.0%" in ja and "20.0%" in ja and "5.0pt" in ja
    assert "15.0%" in en and "20.0%" in en and "5.0pt" in en and "東京ISチーム" in en
    ready = {"code": "ready", "team_id": "a", "next_phase": "growth"}
    assert "成長期" in xt.action_sentence(ready, team_names=names, lang="ja")
    assert "Growth" in xt.action_sentence(ready, team_names=names, lang="en")
    with pytest.raises(ValueError, match="code must be one of"):
        xt.action_sentence({"code": "x", "team_id": "a", "kpi_id": "calls"}, team_names=names)
