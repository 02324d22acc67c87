"""Labelled display tables of the timing results (headings and words from the catalog)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, fmt
from ..catalog import t
from .analysis import TimingResult
from .counts import FACTORS
from .labels import (
    column_labels,
    effect_label,
    group_label,
    hour_label,
    hour_windows,
    level_label,
    metric_label,
    pts,
    pts_ci,
    pts_value_ci,
    rate_ci_text,
)
from .windows import SCOPES

__all__ = [
    "SUMMARY_COLUMNS",
    "rep_team_names",
    "windows_summary",
    "windows_table",
    "hourly_table",
    "effects_table",
    "breakdown_table",
]

_check = config.check_option
_DEFAULT = config.DEFAULT_LANG
SUMMARY_COLUMNS = ["scope", "group", "name", "calls", "recommended", "avoid", "note"]


def rep_team_names(data) -> dict:
    """rep_id → display name of the rep's team (team_name, else team_id)."""
    reps = getattr(data, "reps", None)
    if reps is None:
        return {}
    names = data.names()
    return {str(r): names.get(str(tm), str(tm)) for r, tm in zip(reps["rep_id"], reps["team_id"])}


def _best_note(rec: pd.DataFrame, lang: str) -> str:
    if not len(rec):
        return t("timing.windows.none", lang=lang)
    best = rec.loc[rec["diff"].idxmax()]
    return t(
        "timing.windows.best",
        lang=lang,
        lift=pts(best["diff"], lang=lang),
        hour=hour_label(best["hour"], lang=lang),
        ci=pts_ci(best["diff_ci_low"], best["diff_ci_high"], lang=lang),
    )


def windows_summary(windows: pd.DataFrame, *, names: dict | None = None, lang: str = _DEFAULT) -> pd.DataFrame:
    """One display row per group from :func:`reliable_windows`.

    Returns
    -------
    DataFrame with columns scope, group, name (from ``names`` or the id), calls (group
    denominator), recommended and avoid (merged hour windows in ``lang``), note (the largest
    adjusted lift among recommended hours, or why nothing is recommended).
    """
    names = names or {}
    rows = []
    for (scope, group), g in windows.groupby(["scope", "group"], sort=False):
        rec = g[g["verdict"] == "recommend"]
        label = t("timing.windows.all", lang=lang) if group == "all" else group
        rows.append(
            {
                "scope": scope,
                "group": group,
                "name": names.get(group, label),
                "calls": int(g["group_n"].iloc[0]),
                "recommended": hour_windows(rec["hour"], lang=lang),
                "avoid": hour_windows(g.loc[g["verdict"] == "avoid", "hour"], lang=lang),
                "note": _best_note(rec, lang),
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def windows_table(
    windows: pd.DataFrame,
    *,
    scope=("all", "team"),
    names: dict | None = None,
    rep_teams: dict | None = None,
    data=None,
    lang: str = _DEFAULT,
) -> pd.DataFrame:
    """Reader-facing table of :func:`reliable_windows` rows: one row per group with the
    recommended and avoid windows, formatted, with ``lang`` column labels (show without index).

    ``scope``: which scopes to include (``"all"``, ``"team"``, ``"rep"``); ``names``: display
    names by id (:meth:`dataset.Dataset.names`); ``rep_teams``: rep_id → team display name (adds a team
    column to rep rows); ``data``: a Dataset to take both from when they are not given.
    """
    if data is not None:
        names = data.names() if names is None else names
        rep_teams = rep_team_names(data) if rep_teams is None else rep_teams
    scope = (scope,) if isinstance(scope, str) else tuple(scope)
    for sc in scope:
        _check("scope", sc, SCOPES)
    lab = column_labels(lang=lang)
    rows = windows[windows["scope"].isin(scope)] if len(windows) else windows
    summ = windows_summary(rows, names=names, lang=lang) if len(rows) else pd.DataFrame(columns=SUMMARY_COLUMNS)
    reps_only = scope == ("rep",)
    if reps_only and rep_teams:
        summ.insert(0, "team", [rep_teams.get(g, "") for g in summ["group"]])
        summ = summ.sort_values(["team", "name"], kind="stable")
    summ["calls"] = [fmt.num(x) for x in summ["calls"]]
    # per rep the table stays short: the windows only (the lift is in the team rows and findings)
    cols = (
        (["team"] if "team" in summ.columns else [])
        + ["name", "calls", "recommended", "avoid"]
        + ([] if reps_only else ["note"])
    )
    out = summ[cols].rename(columns={c: lab[c] for c in cols if c != "name"})
    return out.rename(columns={"name": lab["name"] if reps_only else lab["group"]}).reset_index(drop=True)


def hourly_table(results, *, lang: str = _DEFAULT) -> pd.DataFrame:
    """One row per hour: calls and each result's rate with its 95 % interval (too-small hours
    say so). ``results``: :class:`TimingResult` objects (e.g. connect rate, valid-conversation
    rate and appointments per call from the same counts)."""
    results = [results] if isinstance(results, TimingResult) else list(results)
    lab = column_labels(lang=lang)
    base = results[0].by_hour[["hour", "calls"]].copy()
    for r in results:
        tb = r.by_hour.set_index("hour").reindex(base["hour"])
        base[metric_label(r.metric, lang=lang)] = [
            rate_ci_text(x.rate, x.ci_low, x.ci_high, bool(x.too_small) or x.n == 0, x.n, lang=lang)
            for x in tb.itertuples()
        ]
    base["hour"] = [hour_label(h, lang=lang) for h in base["hour"]]
    base["calls"] = [fmt.num(x) for x in base["calls"]]
    return base.rename(columns={"hour": lab["hour"], "calls": lab["calls"]}).reset_index(drop=True)


def _p_cell(p: float) -> str:
    return "–" if not np.isfinite(p) else fmt.p_value(p, name="")


def effects_table(effects: pd.DataFrame, *, factor: str = "hour", lang: str = _DEFAULT) -> pd.DataFrame:
    """Reader-facing table of :func:`adjusted_effects` for one factor: n, raw and adjusted rate
    with intervals, the adjusted difference from the median level (points) with its interval,
    the BH-adjusted p and the verdict."""
    _check("factor", factor, FACTORS)
    lab = column_labels(lang=lang)
    e = effects[effects["factor"] == factor].sort_values("level")
    rows = list(e.itertuples())
    out = pd.DataFrame(
        {
            lab[factor]: [level_label(factor, r.level, lang=lang) for r in rows],
            lab["n"]: [fmt.num(r.n) for r in rows],
            lab["raw_rate"]: [
                rate_ci_text(r.raw_rate, r.raw_ci_low, r.raw_ci_high, False, r.n, lang=lang) for r in rows
            ],
            lab["adjusted_rate"]: [
                rate_ci_text(r.adjusted_rate, r.adjusted_ci_low, r.adjusted_ci_high, bool(r.too_small), r.n, lang=lang)
                for r in rows
            ],
            lab["diff"]: [pts_value_ci(r.diff, r.diff_ci_low, r.diff_ci_high, lang=lang) for r in rows],
            lab["p_adj"]: [_p_cell(r.p_adj) for r in rows],
            lab["verdict"]: [effect_label(r.verdict, lang=lang) for r in rows],
        },
        columns=[lab[c] for c in (factor, "n", "raw_rate", "adjusted_rate", "diff", "p_adj", "verdict")],
    )
    return out.reset_index(drop=True)


def breakdown_table(tables: dict, *, lang: str = _DEFAULT) -> pd.DataFrame:
    """Reader-facing table of :func:`breakdown` results (``{by: table}``, not hourly): the
    breakdown, the group, n and the rate with its 95 % interval."""
    lab = column_labels(lang=lang)
    rows = []
    for by, tb in tables.items():
        for i, r in enumerate(tb.itertuples()):
            rows.append(
                {
                    lab["breakdown"]: lab[by] if i == 0 else "",
                    lab["group"]: group_label(by, r.group, lang=lang),
                    lab["n"]: fmt.num(r.n),
                    lab["rate"]: rate_ci_text(r.rate, r.ci_low, r.ci_high, bool(r.too_small), r.n, lang=lang),
                }
            )
    return pd.DataFrame(rows, columns=[lab["breakdown"], lab["group"], lab["n"], lab["rate"]])
