"""What follows the verdict: the next phase's KPI set from the phase templates and the seed's
migration plan as dated steps. Language-neutral: labels, target texts and the steps' words are
added by :func:`iskpi_analysis.phase.label_next_kpis` and :func:`iskpi_analysis.phase.label_plan`.

Migration plan: preparation in the month after the report month (the seed's 移行1ヶ月前), the
parallel run in the two months after that (移行後1〜2ヶ月), the full switch from the following
month (移行後3ヶ月〜), each with the seed's actions. A team that is not ready gets the earliest
plan if it meets the conditions at the next report (every step a month later, provisional).
"""

from __future__ import annotations

import pandas as pd

from .. import config, kpis
from .rules import PLAN_ACTIONS, PLAN_STEPS

__all__ = ["NEXT_KPI_COLUMNS", "PLAN_COLUMNS", "CHANGES", "next_phase_kpis", "migration_plan"]

NEXT_KPI_COLUMNS = [
    "phase",
    "kpi_id",
    "tier",
    "target",
    "per",
    "direction",
    "importance",
    "stars",
    "change",
    "low",
    "high",
]
PLAN_COLUMNS = ["step", "start", "end", "months", "actions", "status", "next_phase"]
#: what happens to a KPI at the move: new, new as a reference value, kept (new target), downgraded
CHANGES = ("new", "reference", "kept", "downgraded")


def next_phase_kpis(next_phase: str | None, *, phase: str | None = None, targets_file=None) -> pd.DataFrame:
    """The next phase's KPI set and targets (phase template), and what happens to the set of
    ``phase`` (the phase whose KPIs the team follows now).

    Returns
    -------
    DataFrame (:data:`NEXT_KPI_COLUMNS`): phase, kpi_id, tier, target, per, direction,
    importance, stars, change ("new" = not in the current template, "reference" = new with
    importance 1 (the template's reference levels), "kept", "downgraded" = a current KPI of
    importance ≥ 2 the next template drops: it becomes a supporting indicator; the growth
    template's importance-1 references are not listed). Empty when there is no next phase.
    """
    if next_phase is None:
        return pd.DataFrame(columns=NEXT_KPI_COLUMNS)
    config.check_option("next_phase", next_phase, kpis.PHASES)
    nxt = kpis.phase_targets(next_phase, targets_file=targets_file or None)
    cur = kpis.phase_targets(phase, targets_file=targets_file or None) if phase else nxt.iloc[0:0]
    rows = []
    dropped = cur[~cur["kpi_id"].isin(nxt["kpi_id"]) & (cur["importance"] >= 2)]
    kept = set(cur.loc[cur["judged"], "kpi_id"])  # a 参考値 of the current phase is new when it gets a target
    for src, change in ((nxt, None), (dropped, "downgraded")):
        for r in src.itertuples(index=False):
            ch = change or ("kept" if r.kpi_id in kept else ("reference" if r.importance < 2 else "new"))
            rows.append(
                {
                    "phase": r.phase,
                    "kpi_id": r.kpi_id,
                    "tier": r.tier,
                    "target": r.target,
                    "per": r.per,
                    "direction": r.direction,
                    "importance": r.importance,
                    "stars": "★" * r.importance + "☆" * (3 - r.importance),
                    "change": ch,
                    "low": r.low,
                    "high": r.high,
                }
            )
    return pd.DataFrame(rows, columns=NEXT_KPI_COLUMNS)


def migration_plan(month: str, *, next_phase: str | None, ready: bool = True) -> pd.DataFrame:
    """The seed's migration plan as dated steps from the report month (see the module docstring).

    Returns
    -------
    DataFrame (:data:`PLAN_COLUMNS`), one row per step: step (preparation / parallel / full),
    start (first day), end (last day; NaT for the open-ended full switch), months (list of
    "YYYY-MM"; the full switch lists its first month), actions (the step's action ids,
    ``PLAN_ACTIONS``), status (planned when ``ready``, else provisional), next_phase. Empty
    without a next phase.
    """
    if next_phase is None:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    config.check_option("next_phase", next_phase, kpis.PHASES)
    p0 = pd.Period(month, freq="M") + (0 if ready else 1)
    spans = {"preparation": (p0 + 1, p0 + 1), "parallel": (p0 + 2, p0 + 3), "full": (p0 + 4, None)}
    rows = []
    for step in PLAN_STEPS:
        a, b = spans[step]
        rows.append(
            {
                "step": step,
                "start": a.start_time,
                "end": b.end_time.normalize() if b is not None else pd.NaT,
                "months": [str(p) for p in pd.period_range(a, b or a, freq="M")],
                "actions": list(PLAN_ACTIONS[step]),
                "status": "planned" if ready else "provisional",
                "next_phase": next_phase,
            }
        )
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)
