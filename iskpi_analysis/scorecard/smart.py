"""The SMART check of a phase target file against the teams' own history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import economics, kpis, targets
from .tree import BDR_KPIS, TREE_KPIS, _bdr_teams, _measurable, _sums, _values, measures

__all__ = ["VERDICTS", "ECONOMICS_KPIS", "history_measures", "smart_check"]


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
#: KPIs measured by :func:`economics.economics` (deals and costs), not by the KPI tree
ECONOMICS_KPIS = ("cac_jpy", "ltv_jpy", "ltv_cac", "roi")


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
    industry: str | dict | None = None,
    gross_margin: float = 0.7,
    lifetime_years: float = 3.0,
) -> pd.DataFrame:
    """SMART check of the phase's targets (the one target table, :func:`targets.target_table`).

    Specific: the KPI is in the dictionary with a formula. Measurable: the data can compute it
    (the KPI tree's tables, or deals and costs for the economics KPIs CAC, LTV, LTV/CAC, ROI).
    Time-bound: a count/amount has a period (``per``); rates, points and ratios are judged per
    month. Achievable: the target lies within what the team's own rep-months (per-rep targets,
    rates and points; team-months for team targets, amounts and the economics) reached in the
    ``months`` before ``month`` — at least 10 % of them reached it (``share_reaching``: on target
    or ahead by :func:`targets.attainment`, so a range counts from its edge); ``too_easy`` when 90 %
    already do. Relevant needs people's judgement and is not scored. Reference rows (参考値,
    ``judged`` False) are checked like the others. ``history`` (from :func:`history_measures`)
    avoids recomputing the months; ``team_ids`` restricts the history to the teams that use these
    targets; ``industry`` is the preset those teams use; ``gross_margin`` / ``lifetime_years``
    are the economics' assumptions (:func:`economics.economics`).

    Returns
    -------
    DataFrame, one row per target: kpi_id, target, low, high, per, judged, specific, measurable,
    time_bound, n_history (periods in the history), share_reaching, achievable (bool or NA
    without history), too_easy, ok (all judged items pass), verdict (one of :data:`VERDICTS`;
    the sentences are in :func:`tables.smart_table`).
    """
    t = targets.target_table(phase, targets_file=targets_file or None, industry=industry)
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
    keep = None if team_ids is None else set([team_ids] if isinstance(team_ids, str) else team_ids)
    if keep is not None:
        hist = {k: v[v["team_id"].isin(keep)] for k, v in hist.items()}
    econ = _economics_history(data, list(hist), keep, gross_margin, lifetime_years)
    rows = []
    sums: dict = {}  # each month's sums once, for every KPI of the table
    for r in t.itertuples(index=False):
        k = kpis.get(r.kpi_id)
        specific = bool(k.formula)
        if r.kpi_id in ECONOMICS_KPIS:
            measurable = econ is not None
            vals = econ[r.kpi_id].to_numpy(float) if measurable else np.array([])
        else:
            measurable = r.kpi_id in TREE_KPIS and _measurable(r.kpi_id, data)
            vals = _history_values(hist, r, k, sums=sums) if measurable else np.array([])
        vals = vals[np.isfinite(vals)]
        time_bound = k.unit not in ("count", "jpy") or r.per is not None
        if len(vals):
            att = targets.attainment(vals, target=r.target, low=r.low, high=r.high, direction=k.direction)
            share = float((np.asarray(att) >= 1).mean())
            achievable, too_easy = share >= 0.1, share >= 0.9
        else:
            share, achievable, too_easy = np.nan, pd.NA, pd.NA
        judged = [specific, measurable, time_bound] + ([bool(achievable)] if achievable is not pd.NA else [])
        ok = all(judged) and too_easy is not True
        rows.append(
            {
                "kpi_id": r.kpi_id,
                "target": r.target,
                "low": r.low,
                "high": r.high,
                "per": r.per,
                "judged": r.judged,
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


def _economics_history(data, months, keep, gross_margin, lifetime_years) -> pd.DataFrame | None:
    """Team-months of :func:`economics.economics` in ``months`` (None without deals and costs)."""
    if not (data.has("deals") and data.has("costs")):
        return None
    parts = [
        economics.economics(data, month=m, gross_margin=gross_margin, lifetime_years=lifetime_years) for m in months
    ]
    parts = [p for p in parts if p is not None]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["team_id", *ECONOMICS_KPIS])
    return out[out["team_id"].isin(keep)] if keep is not None else out


def _history_values(hist: dict, r, k, *, sums: dict | None = None) -> np.ndarray:
    """The KPI's value in every past rep-month (per-rep targets, rates, points) or team-month.

    ``sums``: a dict kept across the KPIs of one table, where each month's :func:`_sums` are
    remembered (they do not depend on the KPI)."""
    by_rep = r.per in ("rep_day", "rep_month") or k.unit in ("rate", "points")
    sums = {} if sums is None else sums
    vals = []
    for key, mm in hist.items():
        if not len(mm):
            continue
        if (key, False) not in sums:
            sums[key, False] = _sums(mm)
        s = sums[key, False]
        if r.kpi_id in BDR_KPIS:
            if (key, True) not in sums:
                sums[key, True] = _sums(mm, bdr_only=True)
            s = _bdr_teams(s, sums[key, True])
        s = s[s["level"] == ("rep" if by_rep else "team")]
        vals.append(_values(r.kpi_id, s, r.per)["actual"])
    return np.concatenate(vals) if vals else np.array([])


def _verdict(measurable, time_bound, share, n) -> str:
    if not measurable:
        return "not_measurable"
    if not time_bound:
        return "no_period"
    if n == 0:
        return "no_history"
    return "unrealistic" if share < 0.1 else "too_easy" if share >= 0.9 else "fair"
