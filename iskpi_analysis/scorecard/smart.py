"""The SMART check of a phase target file against the teams' own history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import kpis
from .tree import TREE_KPIS, _measurable, _value, measures

__all__ = ["VERDICTS", "history_measures", "smart_check"]


# ---------------------------------------------------------------------------------------------
# SMART check
def history_measures(data, *, rep_period: pd.DataFrame, month: str, months: int = 6, response: bool = False) -> dict:
    """:func:`measures` of the ``months`` months before ``month`` that are in rep_period
    ({"YYYY-MM": DataFrame}); pass to :func:`smart_check` to reuse across phases."""
    last = pd.Period(month, freq="M")
    present = set(pd.to_datetime(rep_period["period"]))
    out = {}
    for i in range(months, 0, -1):
        p = last - i
        if p.start_time in present:
            out[str(p)] = measures(data, month=str(p), rep_period=rep_period, response=response)
    return out


#: Verdict codes of :func:`smart_check` (the sentence of each is ``scorecard.smart.<verdict>``).
VERDICTS = ("not_measurable", "no_period", "no_history", "unrealistic", "too_easy", "fair")


def smart_check(
    data,
    *,
    phase: str,
    rep_period: pd.DataFrame,
    month: str,
    targets_file: str | None = None,
    months: int = 6,
    history: dict | None = None,
    team_ids=None,
) -> pd.DataFrame:
    """SMART check of the phase's targets in the targets file.

    Specific: the KPI is in the dictionary with a formula. Measurable: the data can compute it
    (its tables are present). Time-bound: a count/amount has a period (``per``); rates, points
    and ratios are judged per month. Achievable: the target lies within what the team's own
    rep-months (per-rep targets, rates and points; team-months for team targets and ratios)
    reached in the ``months`` before ``month`` — at least
    10 % of them reached it (``share_reaching``); ``too_easy`` when 90 % already do.
    Relevant needs people's judgement and is not scored. ``history`` (from
    :func:`history_measures`) avoids recomputing the months; ``team_ids`` restricts the history
    to the teams that use these targets.

    Returns
    -------
    DataFrame, one row per target: kpi_id, target, per, specific, measurable, time_bound,
    n_history (periods in the history), share_reaching, achievable (bool or NA without
    history), too_easy, ok (all judged items pass), verdict (one of :data:`VERDICTS`; the
    sentences are in :func:`narrative.smart_table`).
    """
    t = kpis.phase_targets(phase, targets_file=targets_file or None)
    hist = (
        history
        if history is not None
        else history_measures(
            data,
            rep_period=rep_period,
            month=month,
            months=months,
            response="first_response_minutes" in set(t["kpi_id"]),
        )
    )
    if team_ids is not None:
        keep = set([team_ids] if isinstance(team_ids, str) else team_ids)
        hist = {k: v[v["team_id"].isin(keep)] for k, v in hist.items()}
    rows = []
    for r in t.itertuples(index=False):
        k = kpis.get(r.kpi_id)
        specific = bool(k.formula)
        measurable = r.kpi_id in TREE_KPIS and _measurable(r.kpi_id, data)
        time_bound = k.unit not in ("count", "jpy") or r.per is not None
        vals = _history_values(hist, r, k) if measurable else np.array([])
        if len(vals):
            reach = vals <= r.target if k.direction == "lower" else vals >= r.target
            share = float(reach.mean())
            achievable, too_easy = share >= 0.1, share >= 0.9
        else:
            share, achievable, too_easy = np.nan, pd.NA, pd.NA
        judged = [specific, measurable, time_bound] + ([bool(achievable)] if achievable is not pd.NA else [])
        ok = all(judged) and too_easy is not True
        rows.append(
            {
                "kpi_id": r.kpi_id,
                "target": r.target,
                "per": r.per,
                "specific": specific,
                "measurable": measurable,
                "time_bound": time_bound,
                "n_history": int(len(vals)),
                "share_reaching": share,
                "achievable": achievable,
                "too_easy": too_easy,
                "ok": ok,
                "verdict": _verdict(measurable, time_bound, share, len(vals)),
            }
        )
    return pd.DataFrame(rows)


def _history_values(hist: dict, r, k) -> np.ndarray:
    """The KPI's value in every past rep-month (per-rep targets, rates, points) or team-month."""
    vals = []
    for mm in hist.values():
        if not len(mm):
            continue
        if r.per in ("rep_day", "rep_month") or k.unit in ("rate", "points"):
            for rep_id in mm.index[mm["n_days"] > 0]:
                vals.append(_value(r.kpi_id, mm.loc[[rep_id]], r.per, "rep")["actual"])
        else:
            for _, g in mm.groupby("team_id"):
                vals.append(_value(r.kpi_id, g, r.per, "team")["actual"])
    return np.array([v for v in vals if v is not None and np.isfinite(v)])


def _verdict(measurable, time_bound, share, n) -> str:
    if not measurable:
        return "not_measurable"
    if not time_bound:
        return "no_period"
    if n == 0:
        return "no_history"
    return "unrealistic" if share < 0.1 else "too_easy" if share >= 0.9 else "fair"
