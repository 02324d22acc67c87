"""Phase by age: a team's phase from whole months since its launch (the seeds' launch 0–6,
growth 6–12, mature 12+ months), or a phase the reader forces. Language-neutral apart from
the ``phase_label`` column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import kpis

__all__ = ["months_since_launch", "phase_of", "team_phases"]


def months_since_launch(launched_on, month: str) -> int:
    """Whole months from the launch date to the first day of ``month`` (0 in the launch month)."""
    start = pd.Period(month, freq="M").start_time
    lo = pd.Timestamp(launched_on)
    m = (start.year - lo.year) * 12 + (start.month - lo.month)
    return int(m - (1 if start.day < lo.day else 0)) if m > 0 else max(m, 0)


def phase_of(months: int) -> str:
    """The seed's phase for months since launch (launch 0–6, growth 6–12, mature 12+)."""
    for ph in kpis.PHASES:
        lo, hi = kpis.phase_months(ph)
        if lo <= months < hi:
            return ph
    return kpis.PHASES[-1]


def team_phases(data, *, month: str, phase: str | None = None, lang: str | None = None) -> pd.DataFrame:
    """Phase of every team for the month.

    Parameters
    ----------
    phase : None/"" = by months since launch; a phase name overrides it for every team.
    lang : when given, a ``phase_label`` column in that language is added (for display).

    Returns
    -------
    DataFrame, one row per team: team_id, team_name, launched_on, months_since_launch, phase,
    phase_basis ("months_since_launch", "parameter" or "no_launch_date").
    """
    if phase not in (None, "", *kpis.PHASES):
        raise ValueError(f"phase must be one of {('', *kpis.PHASES)}, got {phase!r}")
    if data.has("teams"):
        t = data.teams[["team_id", "team_name", "launched_on"]].copy()
    else:
        t = pd.DataFrame({"team_id": sorted(data.reps["team_id"].unique())})
        t["team_name"], t["launched_on"] = t["team_id"], pd.NaT
    rows = []
    for r in t.itertuples(index=False):
        m = months_since_launch(r.launched_on, month) if pd.notna(r.launched_on) else np.nan
        if phase:
            ph, basis = phase, "parameter"
        elif pd.notna(r.launched_on):
            ph, basis = phase_of(int(m)), "months_since_launch"
        else:
            ph, basis = "launch", "no_launch_date"
        rows.append(
            {
                "team_id": r.team_id,
                "team_name": r.team_name,
                "launched_on": r.launched_on,
                "months_since_launch": m,
                "phase": ph,
                "phase_basis": basis,
            }
        )
    out = pd.DataFrame(rows)
    if lang is not None:
        out.insert(
            out.columns.get_loc("phase") + 1, "phase_label", [kpis.phase_label(p, lang=lang) for p in out["phase"]]
        )
    return out
