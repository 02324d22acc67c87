"""The checklist and the growth-transition signs as codes and figures, judged from the evidence of
:func:`iskpi_analysis.phase.diagnose` (``TeamDiagnosis.evidence``). Language-neutral: the words
(labels, thresholds, evidence sentences) are added by :mod:`.narrative`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import kpis
from .rules import GROWTH_CONDITIONS, ITEMS, SIGN_IDS, status_of

__all__ = [
    "CHECKLIST_COLUMNS",
    "SIGN_COLUMNS",
    "checklist_status",
    "quality_issue",
    "patterns_visible",
    "sign_skill_status",
    "sign_conversion_status",
    "sign_status",
]

CHECKLIST_COLUMNS = ["no", "item_id", "phase", "status", "source", "value", "threshold"]
SIGN_COLUMNS = ["no", "sign_id", "status", "required"]


def _f(x) -> float | None:
    return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else float(x)


def quality_issue(ev: dict) -> bool | None:
    """Item 6, "volume is enough, quality is the issue": activity stably at target and deal
    conversion below the growth target or not reliably rising; None when not judged."""
    a, c = ev["activity"], ev["conversion"]
    act_met = a["met"] if ev["enough_data"] else None
    if not ev["enough_data"]:
        return None
    if act_met is False:
        return False
    if act_met is None or c["below_target"] is None:
        return None
    return bool(c["below_target"] or not c["rising"])


def patterns_visible(ev: dict) -> bool | None:
    """Item 3 negated / sign 3: success patterns visible (the analyst's yes counts without data)."""
    sp = ev["patterns"]
    if sp["winning_script"] is True:
        return True
    return sp["visible"] if ev["enough_data"] else None


def checklist_status(ev: dict) -> pd.DataFrame:
    """The 10 checklist items judged from the evidence.

    Returns
    -------
    DataFrame, one row per item in the seed's order: no (1–10), item_id, phase, status (met /
    not_met / unknown), source (data / analyst / none), value (the figure behind the status,
    float or None), threshold (the figure it is held against, or None).
    """
    a, g, c, e, r = (ev[k] for k in ("activity", "skill", "conversion", "efficiency", "revenue"))
    ans, enough, span = ev["answers"], ev["enough_data"], ev["span"]
    ms = ev["months_since_launch"]
    hi = kpis.phase_months("launch")[1]
    act_met = a["met"] if enough else None
    act_val = _f(a["mean"]) if enough else None
    vis = patterns_visible(ev)
    fa, ra = ans["fs_rules_established"], ans["revenue_reporting"]
    n_all = len(ev["efficiency_monthly"])
    rows = {
        "launch_age": ("unknown", "none", None, hi) if ms is None else (status_of(ms < hi), "data", float(ms), hi),
        "activity_unstable": (status_of(None if act_met is None else not act_met), "data", act_val, a["target"]),
        "no_success_pattern": (
            status_of(None if vis is None else not vis),
            "data" if ev["patterns"]["source"] == "data" else "analyst",
            float(len(ev["patterns"]["recommended_hours"])),
            None,
        ),
        "skill_gap_large": (
            status_of(g["large"] if enough else None),
            "data",
            _f(g["cv"]) if enough else None,
            g["threshold"],
        ),
        "activity_stable": (status_of(act_met), "data", act_val, a["target"]),
        "volume_ok_quality_issue": (
            status_of(quality_issue(ev)),
            "data",
            _f(c["rate"]) if enough else None,
            c["target"],
        ),
        "data_3_months": (
            status_of(span["span_months"] >= ev["min_months"]) if span["span_days"] else "not_met",
            "data",
            float(span["span_months"]),
            ev["min_months"],
        ),
        "fs_rules": (status_of(fa), "analyst" if fa is not None else "none", None, None),
        "efficiency_stable": (
            status_of(e["met"] if enough else None),
            "data",
            float(sum(e["n_months_at_target"].values())) if enough and n_all else None,
            None,
        ),
        "revenue_visible": (
            status_of(ra if ra is not None else r["traceable"]),
            "analyst" if ra is not None else "data",
            _f(r["amount_share"]),
            0.95,
        ),
    }
    out = [dict(zip(CHECKLIST_COLUMNS, (no, iid, ph, *rows[iid]))) for no, (iid, ph) in enumerate(ITEMS, start=1)]
    return pd.DataFrame(out, columns=CHECKLIST_COLUMNS)


def sign_skill_status(ev: dict) -> str:
    """Sign 2: the skill gap is below the threshold or narrowing reliably (Kendall's τ, one-sided)."""
    g = ev["skill"]
    if not ev["enough_data"] or g["large"] is None:
        return "unknown"
    if not g["large"] or g["narrowing"]:
        return "met"
    return "unknown" if g["narrowing"] is None else "not_met"


def sign_conversion_status(activity_status: str, c: dict, enough: bool) -> str:
    """Sign 5, "volume is enough but deal conversion does not rise": met when activity is stably
    at target and the conversion trend is not reliably rising; not met when activity is not at
    target or conversion **is** rising (whatever its level); unknown otherwise."""
    if not enough or activity_status == "unknown":
        return "unknown"
    if activity_status == "not_met":
        return "not_met"
    if c["rising"] is None:
        return "unknown"
    return "not_met" if c["rising"] else "met"


def sign_status(cl: pd.DataFrame, ev: dict) -> pd.DataFrame:
    """The seed's five growth-transition signs from the checklist (:func:`checklist_status`).

    Sign 1 = checklist item 5; sign 3 = not item 3; sign 4 = item 7; sign 5 =
    :func:`sign_conversion_status` (its own rule: conversion not rising — item 6 also counts a
    conversion below target, so the two may differ); sign 2 = :func:`sign_skill_status`.

    Returns
    -------
    DataFrame, one row per sign: no (1–5), sign_id, status, required (one of the FAQ's three
    conditions for moving to growth).
    """
    st = dict(zip(cl["item_id"], cl["status"]))
    neg = {"met": "not_met", "not_met": "met", "unknown": "unknown"}
    status = {
        "sign_activity": st["activity_stable"],
        "sign_skill": sign_skill_status(ev),
        "sign_patterns": neg[st["no_success_pattern"]],
        "sign_data": st["data_3_months"],
        "sign_conversion": sign_conversion_status(st["activity_stable"], ev["conversion"], ev["enough_data"]),
    }
    rows = [(no, s, status[s], s in GROWTH_CONDITIONS) for no, s in enumerate(SIGN_IDS, start=1)]
    return pd.DataFrame(rows, columns=SIGN_COLUMNS)
