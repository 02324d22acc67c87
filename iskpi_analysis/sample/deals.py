"""Deals (package docstring, effects 5 and 8): appointments become deals whose qualification
(BANT, need clarity, decision process, next action) follows a latent deal quality that drives the
win probability; amounts and sales cycles by segment. Also the seed's 100-point quality score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calls import Calls
from .leads import LeadLinks, LeadOrder, Leads
from .params import DEAL, REP_SKILL_SD, SEGMENTS, sigmoid
from .roster import Rep
from .timebase import to_timestamps

__all__ = ["Deals", "draw_deals", "deals_frame", "quality_score", "score_points"]

NEED_CLARITY = ("clear", "overview", "unclear")
DECISION_PROCESS = ("detailed", "overview", "unknown")
NEXT_ACTION = ("scheduled", "timing_only", "none")
BANT_COLUMNS = ("budget_confirmed", "authority_confirmed", "need_confirmed", "timeline_confirmed")


def score_points(b, nc, dp, na):
    """The seed's score from BANT flags ``b`` (n × 4, NaN = not recorded) and the level indices
    of need clarity ``nc``, decision process ``dp`` and next action ``na`` (0 = best)."""
    n_conf = np.nan_to_num(b.astype(float), nan=0.0).sum(axis=1)
    bant = np.where(n_conf >= 4, 30, np.where(n_conf == 3, 20, 10))
    return bant + np.array([25, 15, 5])[nc] + np.array([25, 15, 5])[dp] + np.array([20, 10, 0])[na]


def quality_score(deals: pd.DataFrame) -> pd.Series:
    """The seed's 100-point deal quality score of generated deals (for tests/checks).

    Parameters
    ----------
    deals : pandas.DataFrame
        A ``deals`` table (BANT flags, ``need_clarity``, ``decision_process``, ``next_action``).

    Returns
    -------
    pandas.Series
        ``quality_score`` per deal (a missing BANT flag counts as not confirmed).
    """
    b = np.column_stack([deals[c].astype("boolean").fillna(False).to_numpy(dtype=float) for c in BANT_COLUMNS])
    nc = deals["need_clarity"].map({v: i for i, v in enumerate(NEED_CLARITY)}).to_numpy(int)
    dp = deals["decision_process"].map({v: i for i, v in enumerate(DECISION_PROCESS)}).to_numpy(int)
    na = deals["next_action"].map({v: i for i, v in enumerate(NEXT_ACTION)}).to_numpy(int)
    return pd.Series(score_points(b, nc, dp, na), index=deals.index, name="quality_score")


@dataclass(frozen=True)
class Deals:
    """Every deal, in drawing order (parallel arrays; times in local seconds).

    Attributes
    ----------
    lead, rep : numpy.ndarray
        Lead and rep index.
    created, closed : numpy.ndarray
        Created; closed (NaN = still open).
    amount : numpy.ndarray
        JPY, rounded to 10,000.
    bant : numpy.ndarray
        n × 4 floats: 1 confirmed, 0 not, NaN not recorded.
    need, proc, nxt : numpy.ndarray
        Level indices of need clarity, decision process, next action.
    status : numpy.ndarray
        ``open``, ``won`` or ``lost``.
    """

    lead: np.ndarray
    rep: np.ndarray
    created: np.ndarray
    closed: np.ndarray
    amount: np.ndarray
    bant: np.ndarray
    need: np.ndarray
    proc: np.ndarray
    nxt: np.ndarray
    status: np.ndarray


def _qualification(rng, q):
    """BANT (P = sigmoid(0.4 + q), 4 % not recorded) and three levels by thresholds of q + noise."""
    nd_ = len(q)
    bant = (rng.random((nd_, 4)) < sigmoid(0.4 + q)[:, None]).astype(float)
    bant[rng.random((nd_, 4)) < 0.04] = np.nan
    v1 = q + rng.normal(0, 0.7, nd_)
    need = np.where(v1 > 0.3, 0, np.where(v1 > -0.7, 1, 2))
    v2 = q + rng.normal(0, 0.7, nd_)
    proc = np.where(v2 > 0.5, 0, np.where(v2 > -0.5, 1, 2))
    v3 = q + rng.normal(0, 0.8, nd_)
    nxt = np.where(v3 > 0.0, 0, np.where(v3 > -1.0, 1, 2))
    return bant, need, proc, nxt


def _amount_and_close(rng, d_seg, d_created, scale):
    """Amount (lognormal around the segment's median × the team's ``scale``) and close time
    (lognormal sales cycle)."""
    nd_ = len(d_seg)
    med = np.array([DEAL["amount_median_jpy"][s] for s in SEGMENTS])[d_seg] * scale
    amount = np.clip(med * np.exp(rng.normal(0, DEAL["amount_sigma"], nd_)), *DEAL["amount_clip_jpy"])
    amount = np.round(amount / 10_000) * 10_000
    cycle = DEAL["cycle_median_days"] * np.exp(rng.normal(0, DEAL["cycle_sigma"], nd_))
    cycle = np.maximum(cycle * np.where(d_seg == 2, DEAL["cycle_enterprise_factor"], 1.0), 3)
    closed = (d_created // 86400 + np.rint(cycle).astype(np.int64)) * 86400 + rng.integers(10 * 3600, 19 * 3600, nd_)
    return amount, closed


def draw_deals(
    rng, reps: list[Rep], calls: Calls, links: LeadLinks, leads: Leads, appointment, sql, end_sec: int
) -> Deals:
    """Draw the deals: 75 % of the appointments that made their lead an SQL (``sql`` per lead, NaN =
    none), created 1-5 days later (dropped after ``end_sec``)."""
    appt_calls = np.flatnonzero(appointment)
    appt_calls = appt_calls[np.isfinite(sql[links.call_lead[appt_calls]])]
    ac = appt_calls[rng.random(len(appt_calls)) < DEAL["p_from_sql"]]
    d_created = (calls.secs[ac] // 86400 + rng.integers(1, 6, len(ac))) * 86400 + rng.integers(
        9 * 3600, 18 * 3600, len(ac)
    )
    keep = d_created <= end_sec
    ac, d_created = ac[keep], d_created[keep]
    d_lead = links.call_lead[ac]
    d_rep = calls.rep[ac]
    d_seg = leads.seg[d_lead]
    team_q = np.array([rp.team.deal_quality for rp in reps])
    q = team_q[d_rep] + 0.3 * np.array([rp.skill for rp in reps])[d_rep] / REP_SKILL_SD + rng.normal(0, 1, len(ac))
    bant, need, proc, nxt = _qualification(rng, q)
    p_win = sigmoid(DEAL["win_intercept"] + DEAL["win_slope_per_point"] * score_points(bant, need, proc, nxt))
    scale = np.array([rp.team.amount_scale for rp in reps])[d_rep]
    amount, closed = _amount_and_close(rng, d_seg, d_created, scale)
    won = rng.random(len(ac)) < p_win
    is_open = closed > end_sec
    status = np.where(is_open, "open", np.where(won, "won", "lost"))
    return Deals(d_lead, d_rep, d_created, np.where(is_open, np.nan, closed), amount, bant, need, proc, nxt, status)


def deals_frame(deals: Deals, rep_ids, order: LeadOrder) -> pd.DataFrame:
    """The ``deals`` table, ordered by creation time then rep."""
    dorder = np.lexsort((deals.rep, deals.created))
    bant = deals.bant[dorder]

    def _b(col):
        return pd.array(np.where(np.isnan(bant[:, col]), None, bant[:, col] == 1), dtype="boolean")

    return pd.DataFrame(
        {
            "deal_id": pd.array([f"D{i + 1:06d}" for i in range(len(dorder))], dtype="str"),
            "lead_id": pd.array(order.id_of(deals.lead[dorder]), dtype="str"),
            "rep_id": pd.array(rep_ids[deals.rep[dorder]], dtype="str"),
            "created_at": to_timestamps(deals.created[dorder]),
            "amount_jpy": deals.amount[dorder].astype(float),
            **{c: _b(i) for i, c in enumerate(BANT_COLUMNS)},
            "need_clarity": pd.array(np.array(NEED_CLARITY)[deals.need[dorder]], dtype="str"),
            "decision_process": pd.array(np.array(DECISION_PROCESS)[deals.proc[dorder]], dtype="str"),
            "next_action": pd.array(np.array(NEXT_ACTION)[deals.nxt[dorder]], dtype="str"),
            "status": pd.array(deals.status[dorder], dtype="str"),
            "closed_at": to_timestamps(deals.closed[dorder]),
        }
    )
