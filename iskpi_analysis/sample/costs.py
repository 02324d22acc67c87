"""Costs (package docstring, effect 9): per team and month from the launch month, FTE × (salary +
tools) + the team's fixed cost, rounded to 1,000 JPY."""

from __future__ import annotations

import pandas as pd

from .params import COST
from .roster import Rep
from .specs import TeamSpec

__all__ = ["fte", "costs_frame"]


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


def costs_frame(teams: list[TeamSpec], reps: list[Rep], end_d: pd.Timestamp) -> pd.DataFrame:
    """The ``costs`` table: one row per team and month from its launch month to ``end_d``'s."""
    cost_rows = []
    for t in teams:
        members = [rp for rp in reps if rp.team is t]
        for m in pd.period_range(pd.Timestamp(t.launched_on), end_d, freq="M"):
            cost = (
                fte(members, m) * (COST["salary_per_rep_month"] + COST["tools_per_rep_month"])
                + COST["team_fixed_month"]
            )
            cost_rows.append((str(m), t.team_id, float(round(cost / 1000) * 1000)))
    costs = pd.DataFrame(cost_rows, columns=["month", "team_id", "cost_jpy"])
    costs["month"] = costs["month"].astype("str")
    costs["team_id"] = costs["team_id"].astype("str")
    return costs
