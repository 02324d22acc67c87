"""Deal quality: the seed's 100-point 商談品質スコア and its relation to the handoff win rate.

Point table (phase-kpi-design, 商談品質スコアの導入):

============================  ===  ====================================================
item                          max  points
============================  ===  ====================================================
BANT (budget, authority,      30   4 confirmed = 30, 3 = 20, 2 or fewer = 10
need, timeline)
need clarity                  25   clear = 25, overview = 15, unclear = 5
decision process              25   detailed = 25, overview = 15, unknown = 5
next action                   20   scheduled = 20, timing_only = 10, none = 0
============================  ===  ====================================================

A missing BANT flag counts as not confirmed and a missing category as the lowest level (what
was not recorded was not established); ``missing_items`` says how many inputs were missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats as kst

__all__ = [
    "BANT_COLUMNS",
    "BANT_POINTS",
    "BANT_FLOOR",
    "NEED_POINTS",
    "PROCESS_POINTS",
    "NEXT_POINTS",
    "CATEGORY_COLUMNS",
    "bant_points",
    "quality_score",
    "score_by_rep",
    "win_rate_by_score",
    "score_win_relation",
]

BANT_COLUMNS = ("budget_confirmed", "authority_confirmed", "need_confirmed", "timeline_confirmed")
BANT_POINTS = {4: 30, 3: 20}  # 2 or fewer → BANT_FLOOR
BANT_FLOOR = 10
NEED_POINTS = {"clear": 25, "overview": 15, "unclear": 5}
PROCESS_POINTS = {"detailed": 25, "overview": 15, "unknown": 5}
NEXT_POINTS = {"scheduled": 20, "timing_only": 10, "none": 0}
CATEGORY_COLUMNS = {"need_clarity": NEED_POINTS, "decision_process": PROCESS_POINTS, "next_action": NEXT_POINTS}


def bant_points(n_confirmed) -> np.ndarray:
    """BANT points from the number of confirmed items (4 → 30, 3 → 20, ≤2 → 10)."""
    n = np.asarray(n_confirmed)
    return np.where(n >= 4, 30, np.where(n == 3, 20, BANT_FLOOR))


def quality_score(deals: pd.DataFrame) -> pd.DataFrame:
    """The 100-point quality score of every deal.

    Parameters
    ----------
    deals : the deals table (docs/api.md): BANT flags, need_clarity, decision_process,
        next_action; deal_id, rep_id, status etc. are carried through when present.

    Returns
    -------
    DataFrame aligned with ``deals``: the deals' id columns present among deal_id, rep_id,
    team_id, status, month, closed_month, then bant_confirmed (0–4), bant_points,
    need_points, process_points, next_points, score (0–100), missing_items.
    """
    missing_cols = [c for c in (*BANT_COLUMNS, *CATEGORY_COLUMNS) if c not in deals.columns]
    if missing_cols:
        raise ValueError(f"deals lacks columns needed for the quality score: {missing_cols}")
    keep = [
        c
        for c in ("deal_id", "rep_id", "team_id", "status", "month", "closed_month", "amount_jpy")
        if c in deals.columns
    ]
    out = deals[keep].copy()
    flags = pd.DataFrame({c: deals[c].astype("boolean") for c in BANT_COLUMNS})
    missing = flags.isna().sum(axis=1)
    out["bant_confirmed"] = flags.fillna(False).astype(int).sum(axis=1).astype("int64")
    out["bant_points"] = bant_points(out["bant_confirmed"].to_numpy()).astype("int64")
    for col, name in (
        ("need_clarity", "need_points"),
        ("decision_process", "process_points"),
        ("next_action", "next_points"),
    ):
        table = CATEGORY_COLUMNS[col]
        vals = deals[col].astype("object").where(deals[col].notna(), None)
        unknown = {v for v in vals.dropna().unique() if v not in table}
        if unknown:
            raise ValueError(f"{col} has values {sorted(unknown)}; allowed: {list(table)}")
        missing = missing + vals.isna().astype(int)
        out[name] = vals.map(lambda v, t=table: t.get(v, min(t.values()))).astype("int64")
    out["score"] = (out["bant_points"] + out["need_points"] + out["process_points"] + out["next_points"]).astype(
        "int64"
    )
    out["missing_items"] = missing.astype("int64")
    return out


def score_by_rep(scores: pd.DataFrame) -> pd.DataFrame:
    """Average quality score per rep.

    Returns
    -------
    DataFrame, one row per rep_id: rep_id, n_deals, mean_score, share_75 (share of deals ≥ 75
    points, the growth-phase example target level), min_score, max_score.
    """
    g = scores.groupby("rep_id", observed=True)["score"]
    return pd.DataFrame(
        {
            "n_deals": g.size(),
            "mean_score": g.mean(),
            "share_75": g.apply(lambda s: float((s >= 75).mean())),
            "min_score": g.min(),
            "max_score": g.max(),
        }
    ).reset_index()


def win_rate_by_score(scores: pd.DataFrame, *, bins=(0, 60, 75, 90, 101), min_trials: int = 10) -> pd.DataFrame:
    """Handoff win rate (won / (won + lost)) of closed deals by quality-score band.

    Returns
    -------
    DataFrame, one row per band: band (label "lo–hi"), lo, hi (score lo ≤ s < hi), n (closed
    deals), k (won), rate, ci_low, ci_high (Wilson 95 %), too_small (n < min_trials).
    """
    closed = scores[scores["status"].isin(["won", "lost"])]
    edges = list(bins)
    cats = pd.cut(closed["score"], edges, right=False)
    won = (closed["status"] == "won").astype(int)
    g = pd.DataFrame({"band": cats, "won": won}).groupby("band", observed=False)["won"]
    k, n = g.sum(), g.size()
    t = kst.proportion_table(k.to_numpy(), n.to_numpy(), min_trials=min_trials)
    t.insert(0, "band", [f"{int(a)}–{min(int(b) - 1, 100)}" for a, b in zip(edges[:-1], edges[1:])])
    t.insert(1, "lo", edges[:-1])
    t.insert(2, "hi", edges[1:])
    return t.reset_index(drop=True)


def score_win_relation(scores: pd.DataFrame) -> dict:
    """Does a higher score go with winning? Logistic regression of won on score (closed deals).

    Returns
    -------
    dict with n (closed deals), mean_score_won, mean_score_lost, odds_ratio_per_10 (odds of
    winning per +10 points), ci_low, ci_high (95 %), p_val; NaN when fewer than 10 closed deals
    or only one outcome.
    """
    closed = scores[scores["status"].isin(["won", "lost"])]
    y = (closed["status"] == "won").astype(float).to_numpy()
    x = closed["score"].astype(float).to_numpy()
    out = {
        "n": int(len(y)),
        "mean_score_won": float(np.mean(x[y == 1])) if (y == 1).any() else np.nan,
        "mean_score_lost": float(np.mean(x[y == 0])) if (y == 0).any() else np.nan,
        "odds_ratio_per_10": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_val": np.nan,
    }
    if len(y) < 10 or y.min() == y.max() or np.ptp(x) == 0:
        return out
    import statsmodels.api as sm

    try:
        fit = sm.Logit(y, sm.add_constant(x / 10.0)).fit(disp=0)
    except Exception:  # perfect separation etc.: leave NaN
        return out
    b, se = float(fit.params[1]), float(fit.bse[1])
    out.update(
        {
            "odds_ratio_per_10": float(np.exp(b)),
            "ci_low": float(np.exp(b - 1.96 * se)),
            "ci_high": float(np.exp(b + 1.96 * se)),
            "p_val": float(fit.pvalues[1]),
        }
    )
    return out
