"""One target table and one verdict (issue 14): every page that shows a KPI against a target
reads :func:`target_table` and judges with :func:`verdict` / :func:`verdicts`.

Targets as the seed states them (phase-kpi-design.ja.txt, 「フェーズ別KPI設計シート」 and the KPI
lists of each phase):

- **Ranges are bands.** Where the seed gives a range (コネクト率 20–30 %, 有効会話率 50–70 %,
  アポ率 15–25 %, 返信率 3–8 %, 商談化率 10–20 %; by industry SaaS 15–20 %, enterprise 5–10 %),
  ``low``/``high`` hold it: inside is ``on_target``, beyond it ``ahead``, short of it ``watch`` or
  ``miss``. No midpoint is made up; ``target`` is a point only where the seed gives one number
  (架電数 100件/日, CAC 50万円以下, LTV/CAC 3.0以上 …), and where it gives both (立ち上げ期:
  架電数 100件/日, range 80〜120件) the band is judged and the point is the plan's figure.
- **Reference values (参考値) are measured, never judged.** The seed's transition steps add the
  next phase's efficiency KPIs 「参考値として」 before they get targets: at launch the efficiency
  rates are rows with ``judged = False`` (verdict ``reference``, never red).
- **Direction** comes from the KPI dictionary: for "lower" KPIs (CAC, response time) a point
  target is a ceiling, and ``ahead`` means below the range.
- **Goals** from the run's settings (``{kpi_id: monthly goal}``, a team total per month) replace
  the template's target of that KPI; **industry presets** replace the KPI's range.

Verdict codes (:data:`VERDICTS`), one vocabulary for the KPI tree, funnel, SMART check,
economics and the executive index (:data:`RAG`: green = ahead/on_target, amber = watch, red =
miss, grey = reference/small/none).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import config, kpis

__all__ = [
    "VERDICTS",
    "JUDGED",
    "RAG",
    "TABLE_COLUMNS",
    "KPI_TABLE_COLUMNS",
    "target_table",
    "target_row",
    "attainment",
    "verdict",
    "verdicts",
    "kpi_table",
]

#: verdict codes: above the range / clearly beyond the target, inside the range / at the target,
#: short but within noise or ≥ ``watch_from`` of the edge, short, 参考値 (not judged), too few
#: trials, no target (or no value)
VERDICTS = ("ahead", "on_target", "watch", "miss", "reference", "small", "none")
#: the verdicts that judge a KPI against its target
JUDGED = ("ahead", "on_target", "watch", "miss")
#: the executive index's colours
RAG = {
    "ahead": "green",
    "on_target": "green",
    "watch": "amber",
    "miss": "red",
    "reference": "grey",
    "small": "grey",
    "none": "grey",
}
TABLE_COLUMNS = ["phase", "kpi_id", "target", "low", "high", "direction", "per", "importance", "judged", "source"]
#: what every page records under ``kpi_table`` (team rows)
KPI_TABLE_COLUMNS = [
    "team_id",
    "kpi_id",
    "actual",
    "target",
    "target_low",
    "target_high",
    "verdict",
    "previous",
    "change",
    "per",  # the unit of a count target (rep_day, rep_month, team_month; None for rates)
]


def _presets() -> dict:
    from .settings import industry_presets

    return industry_presets()


def target_table(
    phase: str,
    *,
    targets_file: str | Path | None = None,
    industry: str | dict | None = None,
    goals: dict | None = None,
) -> pd.DataFrame:
    """The targets of one phase: the phase template, with an industry preset and a team's goals.

    Parameters
    ----------
    phase : "launch", "growth" or "mature" (the team's phase, :func:`phase.team_phase`).
    targets_file : an edited copy of ``phase_targets.toml`` (None/"" = the shipped template).
    industry : a preset name of ``industry_presets.toml`` ("saas", "enterprise") or a dict
        ``{kpi_id: (low, high)}``: replaces the range of those KPIs the phase has (its point
        target goes: the preset's range is the target).
    goals : ``{kpi_id: monthly goal}`` of one team (:meth:`settings.TeamSettings.goal_targets`): a
        team total per month that replaces the template's target of that KPI (judged, at least
        ★★), ``source = "goal"``.

    Returns
    -------
    DataFrame, one row per KPI: phase, kpi_id, target (point, NaN for a range-only KPI), low,
    high (the range, NaN when the seed gives none), direction ("higher"/"lower"), per
    (rep_day / rep_month / team_month, None for levels), importance (stars), judged (False =
    参考値), source ("phase", "industry", "goal").
    """
    config.check_option("phase", phase, kpis.PHASES)
    t = kpis.phase_targets(phase, targets_file=targets_file or None)
    out = t[["phase", "kpi_id", "target", "low", "high", "direction", "per", "importance", "judged"]].copy()
    out["source"] = "phase"
    if industry:
        preset = industry if isinstance(industry, dict) else _presets().get(industry)
        if preset is None:
            raise ValueError(f"industry must be one of {tuple(_presets())} or a dict, got {industry!r}")
        for kpi_id, (lo, hi) in preset.items():
            sel = out["kpi_id"] == kpi_id
            out.loc[sel, ["target", "low", "high"]] = [np.nan, float(lo), float(hi)]
            out.loc[sel, "source"] = "industry"
    for kpi_id, goal in (goals or {}).items():
        if goal is None:
            continue
        k = kpis.get(kpi_id)
        sel = out["kpi_id"] == kpi_id
        stars = int(out.loc[sel, "importance"].max()) if sel.any() else 0
        row = {
            "phase": phase,
            "kpi_id": kpi_id,
            "target": float(goal),
            "low": np.nan,
            "high": np.nan,
            "direction": k.direction,
            "per": "team_month",
            "importance": max(stars, 2),
            "judged": True,
            "source": "goal",
        }
        out = pd.concat([out[~sel], pd.DataFrame([row])], ignore_index=True)
    for c in ("target", "low", "high"):
        out[c] = out[c].astype(float)
    out["judged"] = out["judged"].astype(bool)
    out["per"] = out["per"].astype(object).where(out["per"].notna(), None)
    out["importance"] = out["importance"].astype(int)
    return out[TABLE_COLUMNS].reset_index(drop=True)


def target_row(table: pd.DataFrame, kpi_id: str) -> dict | None:
    """The row of ``kpi_id`` in a :func:`target_table` as a dict, or None when the phase has none."""
    r = table[table["kpi_id"] == kpi_id]
    return None if not len(r) else r.iloc[0].to_dict()


def _edges(target, low, high, direction):
    """(floor, ceiling) of the on-target zone: the range, or the point target as the floor of a
    "higher" KPI / the ceiling of a "lower" one."""
    target, low, high = (np.asarray(x, dtype=float) for x in (target, low, high))
    band = np.isfinite(low) | np.isfinite(high)
    lower = np.asarray(direction) == "lower"
    floor = np.where(band, np.where(np.isfinite(low), low, -np.inf), np.where(lower, -np.inf, target))
    ceil = np.where(band, np.where(np.isfinite(high), high, np.inf), np.where(lower, target, np.inf))
    return floor, ceil, band


def attainment(actual, *, target=np.nan, low=np.nan, high=np.nan, direction="higher"):
    """How far the KPI reached the edge it must reach: actual ÷ point target (or ÷ the range's low
    edge) for "higher" KPIs, target (or the range's high edge) ÷ actual for "lower" ones; ≥ 1 means
    on target or better. NaN without a target. Scalars or arrays (element-wise)."""
    actual = np.asarray(actual, dtype=float)
    floor, ceil, _ = _edges(target, low, high, direction)
    lower = np.asarray(direction) == "lower"
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(np.isfinite(floor) & (floor > 0), actual / floor, np.nan)
        down = np.where(
            np.isfinite(ceil) & (ceil > 0), np.where(actual > 0, ceil / np.where(actual > 0, actual, 1), np.inf), np.nan
        )
    out = np.where(lower, down, up)
    out = np.where(np.isfinite(actual), out, np.nan)
    return out if out.ndim else float(out)


def verdicts(
    actual,
    *,
    target=np.nan,
    low=np.nan,
    high=np.nan,
    direction="higher",
    judged=True,
    ci_low=np.nan,
    ci_high=np.nan,
    too_small=False,
    watch_from: float = 0.8,
    ahead_from: float = 1.2,
) -> np.ndarray:
    """:func:`verdict` element-wise over arrays (the KPI tree's whole table at once)."""
    if not 0 < watch_from <= 1:
        raise ValueError(f"watch_from must be in (0, 1], got {watch_from}")
    if not ahead_from >= 1:
        raise ValueError(f"ahead_from must be >= 1, got {ahead_from}")
    actual = np.atleast_1d(np.asarray(actual, dtype=float))
    shape = actual.shape

    def arr(x, dtype=float):
        return np.broadcast_to(np.asarray(x, dtype=dtype), shape)

    target, low, high = arr(target), arr(low), arr(high)
    direction, judged, too_small = arr(direction, object), arr(judged, bool), arr(too_small, bool)
    ci_low, ci_high = arr(ci_low), arr(ci_high)
    floor, ceil, band = _edges(target, low, high, direction)
    lower = direction == "lower"
    has_target = np.isfinite(target) | np.isfinite(low) | np.isfinite(high)
    att = np.asarray(attainment(actual, target=target, low=low, high=high, direction=direction), dtype=float)
    att = np.broadcast_to(att, shape)
    inside = (actual >= floor) & (actual <= ceil)
    # beyond the range; for a point target, clearly beyond it (ahead_from × the target)
    beyond_band = np.where(lower, actual < floor, actual > ceil)
    beyond_point = np.isfinite(att) & (att >= ahead_from)
    ahead = np.where(band, beyond_band, beyond_point)
    # short of the edge, but the interval still reaches it (noise) or ≥ watch_from of it
    edge = np.where(lower, ceil, floor)
    reaches = np.where(lower, ci_low <= edge, ci_high >= edge) & np.isfinite(ci_low) & np.isfinite(ci_high)
    near = np.isfinite(att) & (att >= watch_from)
    out = np.select(
        [
            ~has_target,
            ~judged,
            too_small,
            ~np.isfinite(actual),
            ahead,
            inside | (np.where(band, False, np.isfinite(att) & (att >= 1))),
            reaches | near,
        ],
        ["none", "reference", "small", "none", "ahead", "on_target", "watch"],
        default="miss",
    )
    return out.astype(object)


def verdict(
    actual: float,
    *,
    target: float = np.nan,
    low: float = np.nan,
    high: float = np.nan,
    direction: str = "higher",
    judged: bool = True,
    ci_low: float = np.nan,
    ci_high: float = np.nan,
    too_small: bool = False,
    watch_from: float = 0.8,
    ahead_from: float = 1.2,
) -> str:
    """The verdict of one KPI value against its target (one of :data:`VERDICTS`).

    Parameters
    ----------
    actual : the KPI's value.
    target, low, high, direction, judged : the KPI's row of :func:`target_table`.
    ci_low, ci_high : the value's interval (rates); short of the edge but the interval reaches
        it is ``watch`` (within noise).
    too_small : too few trials to judge (``small``).
    watch_from : short of the edge but at least this share of it (attainment) is ``watch``.
    ahead_from : a point target is beaten clearly (``ahead``) from this attainment on; a range is
        ``ahead`` as soon as the value is beyond it.

    Returns
    -------
    ``none`` (no target or no value), ``reference`` (参考値: judged is False), ``small``,
    ``ahead``, ``on_target`` (inside the range / at or beyond a point target), ``watch`` or
    ``miss``. Rules are in that order.
    """
    config.check_option("direction", direction, kpis.DIRECTIONS)
    return str(
        verdicts(
            actual,
            target=target,
            low=low,
            high=high,
            direction=direction,
            judged=judged,
            ci_low=ci_low,
            ci_high=ci_high,
            too_small=too_small,
            watch_from=watch_from,
            ahead_from=ahead_from,
        )[0]
    )


def kpi_table(tree: pd.DataFrame, *, kpi_ids=None) -> pd.DataFrame:
    """The rows a page records under ``kpi_table`` (:data:`KPI_TABLE_COLUMNS`): the team rows of
    a KPI tree (:func:`scorecard.kpi_tree`), optionally only ``kpi_ids``; sorted by team and KPI."""
    t = tree[tree["level"] == "team"]
    if kpi_ids is not None:
        t = t[t["kpi_id"].isin(list(kpi_ids))]
    out = t.rename(columns={"low": "target_low", "high": "target_high"})[KPI_TABLE_COLUMNS]
    return out.sort_values(["team_id", "kpi_id"]).reset_index(drop=True)
