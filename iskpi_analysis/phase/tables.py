"""Labelled display tables of notebook 02: the verdict summary, the checklist, the signs, the reps,
the next KPIs, the migration plan and the skill gap by month, with reader-facing column headings
(:func:`column_labels`) and sentence columns wrapped (:func:`styled`). Every text comes from the
catalog (``messages/<lang>/phase.toml``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, fmt, kpis
from ..catalog import t
from ..scorecard.narrative import per_label
from .sentences import month_text, num_text

__all__ = [
    "COLUMNS",
    "column_labels",
    "target_text",
    "label_reps",
    "label_next_kpis",
    "label_plan",
    "summary_table",
    "format_summary",
    "format_checklist",
    "format_signs",
    "format_reps",
    "format_plan",
    "format_next_kpis",
    "format_skill",
    "styled",
]

_D = config.DEFAULT_LANG

#: the display columns this package labels (headings: ``phase.column.<name>``)
COLUMNS = (
    "no",
    "phase_label",
    "label",
    "status_label",
    "source_label",
    "value_text",
    "threshold_text",
    "evidence",
    "sign_label",
    "required",
    "team_name",
    "months_text",
    "time_phase_label",
    "phase_text",
    "counts_text",
    "team_phase_text",
    "team_phase_source",
    "next_phase_label",
    "readiness_label",
    "rep_name",
    "role",
    "tenure_text",
    "working_days",
    "activity_text",
    "share_text",
    "conversion_text",
    "standing_label",
    "note",
    "step_label",
    "period_text",
    "actions_text",
    "plan_status_label",
    "tier_label",
    "kpi_label",
    "target_text",
    "stars",
    "change_label",
    "month",
    "n_reps",
    "rate_text",
    "cv_text",
)

#: display columns that hold sentences: wrapped, with a minimum width (the report CSS keeps
#: other cells on one line)
_WRAP = {
    "evidence": "21em",
    "note": "16em",
    "actions_text": "18em",
    "label": "10em",
    "threshold_text": "7em",
    "sign_label": "12em",
}


def column_labels(df: pd.DataFrame, *, lang: str = _D) -> pd.DataFrame:
    """``df`` with this package's display columns renamed to reader-facing headings."""
    kpis._check_lang(lang)
    return df.rename(columns={c: t(f"phase.column.{c}", lang=lang) for c in COLUMNS if c in df.columns})


def target_text(kpi_id: str, x, *, lang: str = _D) -> str:
    """A target value in its unit: 0.15 → '15%', 80 → '80件', 75 → '75点', 3e7 → '3,000万円'."""
    unit = kpis.get(kpi_id).unit
    if x is None or not np.isfinite(x):
        return "–"
    if unit == "rate":
        return fmt.pct(x, 0 if round(x * 100, 6).is_integer() else 1)
    if unit == "jpy":
        return fmt.yen(x, lang=lang)
    if unit in ("count", "points", "minutes"):
        return t(f"phase.unit.{unit}", lang=lang, value=num_text(x))
    return fmt.num(x, 1)


# --- words of the language-neutral tables ---------------------------------------------------
def _rep_note(r, *, months: int, min_rep_days: int, next_phase, kpi: str, lang: str) -> str:
    """The note of one rep, written from its standing and the figures that decided it."""
    klabel, clabel = kpis.label(kpi, lang=lang), kpis.label("deal_conversion", lang=lang)
    if r.standing == "insufficient":
        return t("phase.rep.insufficient", lang=lang, months=months, days=r.working_days, need=min_rep_days)
    if r.standing == "ahead" and next_phase == "growth":
        n = t("phase.rep.ahead_growth", lang=lang, kpi=klabel, share=fmt.pct(r.share_at_target, 0))
    elif r.standing == "ahead":
        ci = t("phase.fmt.range", lang=lang, low=fmt.pct(r.conversion_ci_low), high=fmt.pct(r.conversion_ci_high))
        n = t("phase.rep.ahead_mature", lang=lang, kpi=clabel, rate=fmt.pct(r.conversion), ci=ci)
    elif r.standing == "behind":
        parts = []
        if np.isfinite(r.team_share) and r.share_ci_high < r.team_share:
            share, team = fmt.pct(r.share_at_target, 0), fmt.pct(r.team_share, 0)
            parts.append(t("phase.rep.behind_activity", lang=lang, kpi=klabel, share=share, team=team))
        if r.leads_handled and np.isfinite(r.role_conversion) and r.conversion_ci_high < r.role_conversion:
            rate, team = fmt.pct(r.conversion), fmt.pct(r.role_conversion)
            parts.append(t("phase.rep.behind_conversion", lang=lang, kpi=clabel, rate=rate, team=team, role=r.role))
        n = t("phase.rep.behind", lang=lang, parts=t("phase.sep.clause", lang=lang).join(parts))
    else:
        n = t("phase.rep.in_line", lang=lang)
    if r.tenure_months is not None and not pd.isna(r.tenure_months) and r.tenure_months < 3:
        n += t("phase.rep.ramping", lang=lang)
    return n


def label_reps(
    reps: pd.DataFrame, *, months: int, min_rep_days: int, next_phase, kpi: str = "calls", lang: str = _D
) -> pd.DataFrame:
    """:func:`rep_standing` with standing_label and note (a sentence with the figures)."""
    out = reps.copy()
    out["standing_label"] = [t(f"phase.standing.{s}", lang=lang) for s in out["standing"]]
    out["note"] = [
        _rep_note(r, months=months, min_rep_days=min_rep_days, next_phase=next_phase, kpi=kpi, lang=lang)
        for r in out.itertuples(index=False)
    ]
    return out


def label_next_kpis(nk: pd.DataFrame, *, lang: str = _D) -> pd.DataFrame:
    """:func:`next_phase_kpis` with tier_label, kpi_label, target_text ("15%以上(1人1日あたり)" /
    "≥ 15% (per rep per day)") and change_label."""
    out = nk.copy()
    out["tier_label"] = [kpis.tier_label(x, lang=lang) for x in out["tier"]]
    out["kpi_label"] = [kpis.label(x, lang=lang) for x in out["kpi_id"]]
    texts = []
    for r in out.itertuples(index=False):
        per = per_label(r.per if isinstance(r.per, str) else None, lang=lang)
        low, high = getattr(r, "low", np.nan), getattr(r, "high", np.nan)
        if pd.notna(low) and pd.notna(high):  # the seed's range (targets.target_table judges it as a band)
            s = t(
                "phase.fmt.range",
                lang=lang,
                low=target_text(r.kpi_id, low, lang=lang),
                high=target_text(r.kpi_id, high, lang=lang),
            )
        else:
            s = t(
                f"phase.target.{'at_most' if r.direction == 'lower' else 'at_least'}",
                lang=lang,
                value=target_text(r.kpi_id, r.target, lang=lang),
            )
        texts.append(t("phase.target.per", lang=lang, target=s, per=per) if per else s)
    out["target_text"] = texts
    out["change_label"] = [t(f"phase.change.{c}", lang=lang) for c in out["change"]]
    return out


def _period_text(r, lang: str) -> str:
    a = month_text(r.months[0], lang=lang)
    if pd.isna(r.end):
        return t("phase.plan.from", lang=lang, start=a)
    b = month_text(r.months[-1], lang=lang)
    return a if a == b else t("phase.plan.range", lang=lang, start=a, end=b)


def label_plan(plan: pd.DataFrame, *, lang: str = _D) -> pd.DataFrame:
    """:func:`migration_plan` with step_label, period_text, actions_text (the seed's actions) and
    plan_status_label."""
    out = plan.copy()
    out["step_label"] = [t(f"phase.step.{s}", lang=lang) for s in out["step"]]
    out["period_text"] = [_period_text(r, lang) for r in out.itertuples(index=False)]
    out["actions_text"] = [
        " / ".join(t(f"phase.action.{s}.{a}", lang=lang) for a in acts) for s, acts in zip(out["step"], out["actions"])
    ]
    out["plan_status_label"] = [t(f"phase.plan_status.{s}", lang=lang) for s in out["status"]]
    return out


# --- display tables -------------------------------------------------------------------------
def summary_table(diags: dict, *, lang: str = _D) -> pd.DataFrame:
    """One row per team for the verdict screen.

    Returns
    -------
    DataFrame: team_id, team_name, months_since_launch, months_text, time_phase,
    time_phase_label, phase, phase_text, counts_text, team_phase, team_phase_text (the team's one
    phase), source, team_phase_source (where it comes from), next_phase, next_phase_label,
    readiness, readiness_label.
    """
    from .narrative import describe

    rows = []
    for team, diag in diags.items():
        d = diag if diag.lang == lang else describe(diag, lang=lang)
        v, c = d.verdict, d.classification["counts"]
        ms = d.months_since_launch
        rows.append(
            {
                "team_id": team,
                "team_name": d.team_name,
                "months_since_launch": ms,
                "months_text": "–" if ms is None else t("phase.summary.months", lang=lang, n=ms),
                "time_phase": v["time_phase"],
                "time_phase_label": v["time_phase_label"],
                "phase": v["phase"],
                "phase_text": v["phase_label"],
                "counts_text": t("phase.summary.counts", lang=lang, lc=c["launch"], gc=c["growth"], mc=c["mature"]),
                "team_phase": v["team_phase"],
                "team_phase_text": v["team_phase_label"],
                "source": v["source"],
                "team_phase_source": v["source_label"],
                "next_phase": v["next_phase"],
                "next_phase_label": v["next_phase_label"],
                "readiness": v["readiness"],
                "readiness_label": v["readiness_label"],
            }
        )
    return pd.DataFrame(rows)


def format_summary(diags: dict, *, lang: str = _D) -> pd.DataFrame:
    """The verdict screen as the reader sees it (one row per team, labelled columns)."""
    s = summary_table(diags, lang=lang)
    cols = [
        "team_name",
        "months_text",
        "time_phase_label",
        "phase_text",
        "counts_text",
        "team_phase_text",
        "team_phase_source",
        "next_phase_label",
    ]
    return column_labels(s[[*cols, "readiness_label"]], lang=lang)


def format_checklist(cl: pd.DataFrame, *, lang: str = _D) -> pd.DataFrame:
    """The checklist (:func:`checklist`) as the reader sees it (labelled columns)."""
    cols = ["no", "phase_label", "label", "status_label", "source_label", "value_text", "threshold_text", "evidence"]
    return column_labels(cl[cols], lang=lang)


def format_signs(sg: pd.DataFrame, *, lang: str = _D) -> pd.DataFrame:
    """The signs (:func:`transition_signs`) as the reader sees them."""
    return column_labels(sg[["no", "sign_label", "required", "status_label", "evidence"]], lang=lang)


def _share_text(s, lo, hi, lang, digits=0) -> str:
    if not np.isfinite(s):
        return "–"
    ci = t("phase.fmt.range", lang=lang, low=fmt.pct(lo, digits), high=fmt.pct(hi, digits))
    return t("phase.fmt.with_ci", lang=lang, value=fmt.pct(s, digits), ci=ci)


def format_reps(reps: pd.DataFrame, *, lang: str = _D, kpi: str = "calls") -> pd.DataFrame:
    """The rep table (:func:`label_reps`) as the reader sees it."""
    if reps.empty:
        return reps
    tb = reps.copy()
    tb["tenure_text"] = [
        "–" if m is None or pd.isna(m) else t("phase.value.tenure", lang=lang, n=int(m)) for m in tb["tenure_months"]
    ]
    tb["activity_text"] = [fmt.num(x, 1) for x in tb["per_day"]]
    tb["share_text"] = [
        _share_text(s, lo, hi, lang)
        for s, lo, hi in zip(tb["share_at_target"], tb["share_ci_low"], tb["share_ci_high"])
    ]
    tb["conversion_text"] = [
        _share_text(c, lo, hi, lang, 1) if n else "–"
        for c, lo, hi, n in zip(
            tb["conversion"], tb["conversion_ci_low"], tb["conversion_ci_high"], tb["leads_handled"]
        )
    ]
    cols = ["rep_name", "role", "tenure_text", "working_days", "activity_text", "share_text", "conversion_text"]
    out = column_labels(tb[[*cols, "standing_label", "note"]], lang=lang)
    per_day = t("phase.column.per_day", lang=lang, kpi=kpis.label(kpi, lang=lang))
    return out.rename(columns={t("phase.column.activity_text", lang=lang): per_day})


def format_plan(plan: pd.DataFrame, *, lang: str = _D) -> pd.DataFrame:
    """The migration plan (:func:`label_plan`) as the reader sees it."""
    return column_labels(plan[["step_label", "period_text", "actions_text", "plan_status_label"]], lang=lang)


def format_next_kpis(nk: pd.DataFrame, *, lang: str = _D) -> pd.DataFrame:
    """The next phase's KPIs (:func:`label_next_kpis`) as the reader sees them."""
    return column_labels(nk[["tier_label", "kpi_label", "target_text", "stars", "change_label"]], lang=lang)


def format_skill(monthly: pd.DataFrame, *, lang: str = _D) -> pd.DataFrame:
    """The skill gap by month (:func:`skill_dispersion`) as the reader sees it."""
    tb = monthly.copy()
    tb["rate_text"] = [fmt.pct(x) for x in tb["rate"]]
    tb["cv_text"] = ["–" if not np.isfinite(x) else f"{x:.2f}" for x in tb["cv"]]
    return column_labels(tb[["month", "n_reps", "rate_text", "cv_text"]], lang=lang)


def styled(df: pd.DataFrame, *, lang: str = _D):
    """A display table (already labelled by :func:`column_labels`) as a Styler: no index,
    left-aligned, sentence columns wrapped."""
    s = df.style.hide(axis="index").set_properties(**{"text-align": "left", "vertical-align": "top"})
    for c, width in _WRAP.items():
        name = t(f"phase.column.{c}", lang=lang)
        if name in df.columns:
            s = s.set_properties(subset=[name], **{"white-space": "normal", "min-width": width})
    return s
