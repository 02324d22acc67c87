"""Activity evidence (checklist items 2 and 5, sign 1): how much data the team has, the phase's
activity target, the XmR chart of the team's daily activity per working rep and each rep's own
chart, and the share of rep working days at target. Language-neutral."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, control_chart, dataset, kpis
from .. import stats as kst

__all__ = ["data_span", "activity_target", "team_daily", "working_days", "rep_stability", "activity_stability"]

_SUMMARY_FROM_CHART = (
    "lcl",
    "ucl",
    "mr_bar",
    "n_beyond",
    "n_beyond_low",
    "longest_run",
    "run_signal",
    "stable",
    "mean_at_target",
    "lcl_clears_target",
)


def data_span(rep_day: pd.DataFrame, *, month: str) -> dict:
    """How much activity data the team has up to the end of the report month.

    Returns
    -------
    dict with first_date, last_date (first / last day with a call or e-mail), span_days,
    span_months (days / 30.44), n_months (calendar months with activity).
    """
    end = pd.Period(month, freq="M").end_time.normalize()
    act = rep_day[(rep_day["period"] <= end) & ((rep_day["calls"] + rep_day.get("emails_sent", 0)) > 0)]
    if act.empty:
        return {"first_date": None, "last_date": None, "span_days": 0, "span_months": 0.0, "n_months": 0}
    first, last = act["period"].min(), act["period"].max()
    days = int((last - first).days) + 1
    return {
        "first_date": first,
        "last_date": last,
        "span_days": days,
        "span_months": days / 30.44,
        "n_months": int(act["period"].dt.to_period("M").nunique()),
    }


def activity_target(phase: str, *, kpi: str = "calls", targets_file=None) -> tuple[float | None, str | None]:
    """The per-rep-day target of ``kpi`` for ``phase``; a phase without one uses the nearest lower
    phase that has one. Returns (target, phase the target comes from)."""
    config.check_option("phase", phase, kpis.PHASES)
    t = kpis.phase_targets(None, targets_file=targets_file or None)
    t = t[(t["kpi_id"] == kpi) & (t["per"] == "rep_day")]
    for ph in reversed(kpis.PHASES[: kpis.PHASES.index(phase) + 1]):
        row = t[t["phase"] == ph]
        if len(row):
            return float(row["target"].iloc[0]), ph
    return None, None


def working_days(rep_day: pd.DataFrame, start, end) -> pd.DataFrame:
    """Rep-days in [start, end) on business days with at least one call or e-mail (days off are
    left out, not counted as zeros)."""
    emails = rep_day["emails_sent"] if "emails_sent" in rep_day else 0
    m = (
        (rep_day["period"] >= pd.Timestamp(start))
        & (rep_day["period"] < pd.Timestamp(end))
        & rep_day["business_day"].astype(bool)
        & ((rep_day["calls"] + emails) > 0)
    )
    return rep_day[m]


def team_daily(rep_day: pd.DataFrame, *, start, end, kpi: str = "calls") -> pd.DataFrame:
    """The team's daily activity per working rep on business days in [start, end).

    Returns
    -------
    DataFrame, one row per business day: date, reps_working, total (sum of ``kpi``), value
    (total / reps_working).
    """
    if kpi not in rep_day.columns:
        raise ValueError(f"kpi must be a count column of the rep-day table, got {kpi!r}")
    w = working_days(rep_day, start, end)
    g = w.groupby("period").agg(reps_working=("rep_id", "nunique"), total=(kpi, "sum")).reset_index()
    g = g.rename(columns={"period": "date"})
    g["value"] = g["total"] / g["reps_working"]
    return g


def rep_stability(
    rep_day: pd.DataFrame,
    *,
    start,
    end,
    kpi: str = "calls",
    run_length: int = 9,
    max_out_share: float = 0.02,
    min_points: int = 20,
) -> pd.DataFrame:
    """Each rep's own XmR chart of ``kpi`` on their working business days in [start, end).

    A team mean averages day-to-day swings of its reps away, so stability is judged where it
    lives: per rep. Reps with fewer than ``min_points`` working days are not judged.

    Returns
    -------
    DataFrame, one row per rep: rep_id, n_points, mean, lcl, ucl, n_beyond, longest_run,
    run_signal, stable (None when not judged).
    """
    cols = ["rep_id", "n_points", "mean", "lcl", "ucl", "n_beyond", "longest_run", "run_signal", "stable"]
    w = working_days(rep_day, start, end).sort_values(["rep_id", "period"])
    rows = []
    for rep, g in w.groupby("rep_id", sort=True):
        ch = control_chart.xmr(g[kpi].to_numpy(float), run_length=run_length)
        sm = control_chart.xmr_summary(ch, max_out_share=max_out_share)
        judged = sm["n"] >= min_points
        rows.append(
            {
                "rep_id": rep,
                "n_points": int(sm["n"]),
                **{c: sm[c] for c in cols[2:-1]},
                "stable": bool(sm["stable"]) if judged else None,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def _share_at_target(w: pd.DataFrame, kpi: str, target: float | None) -> dict:
    """Working rep-days at or above the target, with a (nominal) Wilson 95 % interval."""
    n = int(len(w))
    k = int((w[kpi] >= target).sum()) if target is not None and n else 0
    lo, hi = kst.wilson_ci(k, n) if n else (np.nan, np.nan)
    return {
        "n_rep_days": n,
        "k_at_target": k,
        "share": k / n if n and target is not None else np.nan,
        "share_ci_low": lo,
        "share_ci_high": hi,
    }


def _verdict(out: dict, n_points: int, target: float | None, min_points: int) -> dict:
    """met and reason from the stability and the centre line against the target."""
    if target is None:
        return {"met": None, "reason": "no_target"}
    if n_points < min_points:
        return {"met": None, "reason": "too_few_days"}
    stable, at = bool(out["stable"]), bool(out["mean_at_target"])
    if stable and at:
        return {"met": True, "reason": "ok"}
    reason = "unstable_below" if not stable and not at else "unstable" if not stable else "below_target"
    return {"met": False, "reason": reason}


def activity_stability(
    rep_day: pd.DataFrame,
    *,
    month: str,
    target: float | None,
    kpi: str = "calls",
    months: int = 3,
    run_length: int = 9,
    max_out_share: float = 0.02,
    min_points: int = 20,
    min_stable_share: float = 0.8,
) -> tuple[pd.DataFrame, dict]:
    """Is the team's activity achieved stably at the target?

    Stable means both: the XmR chart of the team's daily value per working rep shows no signal,
    **and** at least ``min_stable_share`` of the reps judged have a stable chart of their own
    (:func:`rep_stability`) — the team mean alone averages the reps' swings away.

    Parameters
    ----------
    rep_day : ``aggregate.rep_period(data, grain="day")`` rows of one team.
    target : per-rep-day target (``activity_target``); None → ``met`` is None.
    months : calendar months of the window, ending with ``month``.
    run_length, max_out_share : XmR signal rules (see :mod:`control_chart`).
    min_points : fewer business days in the window → not judged.

    Returns
    -------
    (chart, summary). ``chart``: :func:`control_chart.xmr` of the daily value per working rep,
    columns time (date), value, moving_range, center, lcl, ucl, mr_ucl, beyond_limits, in_run,
    signal, plus reps_working. ``summary``: dict with kpi, target, window_start, window_end,
    n_points, n_rep_days (working rep-days), k_at_target (rep-days with ``kpi`` ≥ target), share,
    share_ci_low, share_ci_high (Wilson 95 %; rep-days are not independent, so the interval is
    nominal), mean, lcl, ucl, mr_bar, n_beyond, n_beyond_low, longest_run, run_signal, stable,
    mean_at_target, lcl_clears_target, mean_ci_low / mean_ci_high (mean ± 1.96 σ̂/√n, σ̂ from
    the moving range), team_stable (the team chart alone), reps_judged, reps_stable,
    reps_stable_share, min_stable_share, reps (the :func:`rep_stability` table), stable (team
    chart stable and reps_stable_share ≥ min_stable_share), met (stable and mean ≥ target; None
    when not judged), reason ("ok", "unstable", "below_target", "unstable_below",
    "too_few_days", "no_target").
    """
    start, end = dataset.month_bounds(month, months)
    daily = team_daily(rep_day, start=start, end=end, kpi=kpi)
    chart = control_chart.xmr(daily, x="value", time="date", run_length=run_length)
    chart["reps_working"] = daily["reps_working"].to_numpy()[: len(chart)]
    s = control_chart.xmr_summary(chart, target=target, max_out_share=max_out_share)
    se = s["mr_bar"] / 1.128 / np.sqrt(s["n"]) if s["n"] >= 2 else np.nan
    out = {
        "kpi": kpi,
        "target": target,
        "window_start": start,
        "window_end": end,
        "n_points": int(s["n"]),
        **_share_at_target(working_days(rep_day, start, end), kpi, target),
        "mean": s["mean"],
        "mean_ci_low": s["mean"] - 1.96 * se,
        "mean_ci_high": s["mean"] + 1.96 * se,
        **{c: s[c] for c in _SUMMARY_FROM_CHART},
    }
    reps = rep_stability(
        rep_day,
        start=start,
        end=end,
        kpi=kpi,
        run_length=run_length,
        max_out_share=max_out_share,
        min_points=min_points,
    )
    judged = reps["stable"].dropna()
    share_ok = float(judged.astype(bool).mean()) if len(judged) else np.nan
    team_stable = out["stable"]
    out.update(
        team_stable=team_stable,
        reps_judged=int(len(judged)),
        reps_stable=int(judged.astype(bool).sum()),
        reps_stable_share=share_ok,
        min_stable_share=min_stable_share,
        reps=reps,
        stable=None if team_stable is None else bool(team_stable and (not len(judged) or share_ok >= min_stable_share)),
    )
    out.update(_verdict(out, s["n"], target, min_points))
    return chart, out
