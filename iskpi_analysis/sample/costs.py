"""Costs (package docstring, effect 9): per team and month from the launch month, FTE × (salary +
tools) + the team's fixed cost + what its new leads cost (cost per lead by source), rounded to
1,000 JPY."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import COST
from .roster import Rep
from .specs import TeamSpec

__all__ = ["fte", "lead_spend", "costs_frame"]


def fte(members: list[Rep], month: pd.Period) -> float:
    """Full-time equivalents of ``members`` in ``month``: employed days / days of the month, summed."""
    m0, m1 = month.start_time.normalize(), month.end_time.normalize()
    total = 0.0
    for rp in members:
        a = max(m0, rp.joined)
        b = m1 if pd.isna(rp.left) else min(m1, rp.left - pd.Timedelta(days=1))
        if b >= a:
            total += ((b - a).days + 1) / month.days_in_month
    return total


def lead_spend(reps: list[Rep], links, leads) -> dict[tuple[str, str], float]:
    """Marketing cost of the leads created per (team_id, "YYYY-MM"): each lead costs its source's
    ``COST["lead_cost_jpy"]``, in the month it was created (the owner rep's team)."""
    team_of_rep = np.array([rp.team.team_id for rp in reps], dtype=object)
    month = pd.to_datetime(np.asarray(leads.created, dtype="int64"), unit="s").strftime("%Y-%m")
    cost = np.array([COST["lead_cost_jpy"][s] for s in leads.source], dtype=float)
    spend = pd.Series(cost).groupby([team_of_rep[links.rep], np.asarray(month)]).sum()
    return {k: float(v) for k, v in spend.items()}


def costs_frame(
    teams: list[TeamSpec], reps: list[Rep], end_d: pd.Timestamp, *, lead_spend: dict | None = None
) -> pd.DataFrame:
    """The ``costs`` table: one row per team and month from its launch month to ``end_d``'s.

    ``lead_spend``: ``{(team_id, "YYYY-MM"): yen}`` of the leads created (:func:`lead_spend`).
    """
    lead_spend = lead_spend or {}
    cost_rows = []
    for t in teams:
        members = [rp for rp in reps if rp.team is t]
        for m in pd.period_range(pd.Timestamp(t.launched_on), end_d, freq="M"):
            cost = (
                fte(members, m) * (COST["salary_per_rep_month"] + COST["tools_per_rep_month"])
                + COST["team_fixed_month"]
                + lead_spend.get((t.team_id, str(m)), 0.0)
            )
            cost_rows.append((str(m), t.team_id, float(round(cost / 1000) * 1000)))
    costs = pd.DataFrame(cost_rows, columns=["month", "team_id", "cost_jpy"])
    costs["month"] = costs["month"].astype("str")
    costs["team_id"] = costs["team_id"].astype("str")
    return costs
