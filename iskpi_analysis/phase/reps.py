"""Each rep against the team (the seed's FAQ: a team straddling phases takes the lower phase, and
reps who are ahead are named and may get next-phase KPIs individually). Language-neutral: the
standing's label and note are added by :func:`iskpi_analysis.phase.label_reps`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import dataset
from .. import stats as kst
from ..phase_age import months_since_launch
from .activity import working_days

__all__ = ["REP_COLUMNS", "rep_standing"]

REP_COLUMNS = [
    "rep_id",
    "rep_name",
    "role",
    "joined_on",
    "tenure_months",
    "working_days",
    "per_day",
    "days_at_target",
    "share_at_target",
    "share_ci_low",
    "share_ci_high",
    "team_share",
    "deals_created",
    "leads_handled",
    "conversion",
    "conversion_ci_low",
    "conversion_ci_high",
    "role_conversion",
    "standing",
]
_ORDER = {"ahead": 0, "behind": 1, "in_line": 2, "insufficient": 3}


def _role_conversion(conv: pd.DataFrame | None, role_of: pd.Series) -> dict:
    """The team's deal conversion per role (SDR and BDR differ by design)."""
    if conv is None:
        return {}
    cr = conv.join(role_of, how="inner").groupby("role")[["deals_created", "leads_handled"]].sum()
    return {r: (v["deals_created"] / v["leads_handled"] if v["leads_handled"] else np.nan) for r, v in cr.iterrows()}


def _standing(r: dict, *, target, team_share, next_phase, growth_conversion_target, min_rep_days) -> str:
    """ahead / behind / in_line / insufficient for one rep's figures (see :func:`rep_standing`)."""
    if r["working_days"] < min_rep_days:
        return "insufficient"
    dn, tc = r["leads_handled"], r["role_conversion"]
    conv_low = bool(dn > 0 and np.isfinite(tc) and r["conversion_ci_high"] < tc)
    act_low = bool(target is not None and np.isfinite(team_share) and r["share_ci_high"] < team_share)
    if next_phase == "growth":
        ahead = target is not None and r["share_ci_low"] >= 0.5 and not conv_low
        behind = act_low or conv_low
    elif next_phase == "mature":
        gt = growth_conversion_target
        ahead = gt is not None and dn > 0 and r["conversion_ci_low"] >= gt and not act_low
        behind = conv_low
    else:
        ahead, behind = False, conv_low
    return "ahead" if ahead and not behind else ("behind" if behind else "in_line")


def rep_standing(
    rep_day: pd.DataFrame,
    rep_month: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    month: str,
    target: float | None,
    next_phase: str | None,
    growth_conversion_target: float | None,
    kpi: str = "calls",
    months: int = 3,
    min_rep_days: int = 10,
) -> pd.DataFrame:
    """Who is ahead of the team (candidates for next-phase KPIs, the seed's FAQ) and who is behind.

    *Ahead* = meets the next phase's condition individually (to growth: most working days at the
    activity target with 95 % confidence and deal conversion not clearly below the team's; to
    mature: deal conversion's Wilson lower bound ≥ the growth target); *behind* = clearly below
    the team (Wilson upper bound of the share of days at target, or of deal conversion, below the
    team's figure); reps with < ``min_rep_days`` working days: insufficient.

    Returns
    -------
    DataFrame (:data:`REP_COLUMNS`), one row per rep with working days in the window: rep_id,
    rep_name, role, joined_on, tenure_months, working_days, per_day (mean ``kpi`` per working
    day), days_at_target, share_at_target, share_ci_low, share_ci_high, team_share (the team's
    share of working days at target), deals_created, leads_handled, conversion,
    conversion_ci_low, conversion_ci_high, role_conversion (the team's rate for the rep's role:
    reps are compared within role), standing (ahead / in_line / behind / insufficient); ahead
    first, then behind, in line, insufficient.
    """
    start, end = dataset.month_bounds(month, months)
    w = working_days(rep_day, start, end)
    rm = rep_month[(rep_month["period"] >= start) & (rep_month["period"] < end)]
    conv = rm.groupby("rep_id")[["deals_created", "leads_handled"]].sum() if "deals_created" in rm else None
    team_share = (w[kpi] >= target).mean() if target is not None and len(w) else np.nan
    info = reps.set_index("rep_id")
    team_conv = _role_conversion(conv, w.groupby("rep_id")["role"].first())
    rows = []
    for rep_id, g in w.groupby("rep_id"):
        n = int(len(g))
        k = int((g[kpi] >= target).sum()) if target is not None else 0
        lo, hi = kst.wilson_ci(k, n) if target is not None else (np.nan, np.nan)
        has = conv is not None and rep_id in conv.index
        dk, dn = (int(conv.loc[rep_id, "deals_created"]), int(conv.loc[rep_id, "leads_handled"])) if has else (0, 0)
        clo, chi = kst.wilson_ci(dk, dn) if dn else (np.nan, np.nan)
        joined = info.loc[rep_id, "joined_on"] if rep_id in info.index else pd.NaT
        r = {
            "rep_id": rep_id,
            "rep_name": info.loc[rep_id, "rep_name"] if "rep_name" in info and rep_id in info.index else rep_id,
            "role": g["role"].iloc[0],
            "joined_on": joined,
            "tenure_months": months_since_launch(joined, month) if pd.notna(joined) else None,
            "working_days": n,
            "per_day": float(g[kpi].mean()),
            "days_at_target": k,
            "share_at_target": k / n if target is not None else np.nan,
            "share_ci_low": lo,
            "share_ci_high": hi,
            "team_share": team_share,
            "deals_created": dk,
            "leads_handled": dn,
            "conversion": dk / dn if dn else np.nan,
            "conversion_ci_low": clo,
            "conversion_ci_high": chi,
            "role_conversion": team_conv.get(g["role"].iloc[0], np.nan),
        }
        r["standing"] = _standing(
            r,
            target=target,
            team_share=team_share,
            next_phase=next_phase,
            growth_conversion_target=growth_conversion_target,
            min_rep_days=min_rep_days,
        )
        rows.append(r)
    out = pd.DataFrame(rows, columns=REP_COLUMNS)
    if out.empty:
        return out
    return out.sort_values(
        ["standing", "rep_id"], key=lambda s: s.map(_ORDER) if s.name == "standing" else s
    ).reset_index(drop=True)
