"""The evidence sentences of the checklist and the signs, and the value / threshold texts of the
checklist, each written from the verdict it describes (never recomputing one). Every text comes
from the catalog (``messages/<lang>/phase.toml``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, fmt, kpis, timing
from ..catalog import t
from .items import quality_issue

__all__ = [
    "sep",
    "num_text",
    "ci_text",
    "date_text",
    "month_text",
    "item_texts",
    "activity_text",
    "skill_text",
    "patterns_text",
    "conversion_text",
    "sign_conversion_text",
    "efficiency_text",
    "revenue_text",
]

_D = config.DEFAULT_LANG


# --- formatting -----------------------------------------------------------------------------
def sep(kind: str, *, lang: str = _D) -> str:
    """A list separator of ``lang``: ``list``, ``clause``, ``and``, ``or``, ``sentence``."""
    return t(f"phase.sep.{kind}", lang=lang)


def num_text(x) -> str:
    """A target as written in the template: 100 → '100', 7.5 → '7.5'; None → '–'."""
    return "–" if x is None else (fmt.num(x, 0) if float(x).is_integer() else fmt.num(x, 1))


def ci_text(lo, hi, *, lang: str = _D, pct: bool = True) -> str:
    """An interval 'low〜high' / 'low–high' (percent or one decimal)."""
    f = fmt.pct if pct else (lambda v: fmt.num(v, 1))
    return t("phase.fmt.range", lang=lang, low=f(lo), high=f(hi))


def date_text(d, *, lang: str = _D) -> str:
    """A day: 2026年10月1日 / 2026-10-01; missing → '–'."""
    if d is None or pd.isna(d):
        return "–"
    d = pd.Timestamp(d)
    return t("phase.fmt.date", lang=lang, year=d.year, month=d.month, day=d.day)


def month_text(m: str, *, lang: str = _D) -> str:
    """A month 'YYYY-MM': 2026年10月 / 2026-10."""
    p = pd.Period(m, freq="M")
    return t("phase.fmt.month", lang=lang, year=p.year, month=p.month)


def _cv(x) -> str:
    return f"{x:.2f}"


# --- evidence sentences ---------------------------------------------------------------------
def _stability_text(a: dict, lang: str) -> str:
    """The stability clause, from the team chart's and the per-rep charts' verdicts."""
    if a.get("team_stable", a["stable"]):
        team = t("phase.activity.team_stable", lang=lang, beyond=a["n_beyond"], run=a["longest_run"])
    else:
        sig = [t("phase.activity.signal_beyond", lang=lang, n=a["n_beyond"])] if a["n_beyond"] else []
        if a["run_signal"]:
            sig.append(t("phase.activity.signal_run", lang=lang, n=a["longest_run"]))
        team = t("phase.activity.team_unstable", lang=lang, signals=sep("list", lang=lang).join(sig))
    nj = a.get("reps_judged", 0)
    if not nj:
        return team
    share, need = a["reps_stable_share"], a["min_stable_share"]
    ok = share >= need
    reps = t(
        "phase.activity.reps",
        lang=lang,
        judged=nj,
        stable=a["reps_stable"],
        share=fmt.pct(share, 0),
        need=fmt.pct(need, 0),
    )
    reps += t(f"phase.activity.reps_verdict.{'met' if ok else 'not_met'}", lang=lang)
    if a.get("team_stable", a["stable"]) and not ok:
        reps += t("phase.activity.reps_override", lang=lang)
    return team + reps


def activity_text(a: dict, *, phase_label: str, months: int, lang: str = _D) -> str:
    """Items 2/5 and sign 1: the activity's level against the target, its stability (team and
    reps), the lower limit and the share of rep working days at target."""
    kpi = kpis.label(a["kpi"], lang=lang)
    if a["reason"] == "no_target":
        return t("phase.activity.no_target", lang=lang, kpi=kpi)
    if a["reason"] == "too_few_days":
        return t("phase.activity.too_few_days", lang=lang, days=a["n_points"], months=months)
    at = "above" if a["mean_at_target"] else "below"
    s = t(
        f"phase.activity.level.{at}",
        lang=lang,
        kpi=kpi,
        months=months,
        days=a["n_points"],
        mean=fmt.num(a["mean"], 1),
        phase=phase_label,
        target=num_text(a["target"]),
    )
    s += _stability_text(a, lang)
    s += t(f"phase.activity.lcl.{'above' if a['lcl_clears_target'] else 'below'}", lang=lang, lcl=fmt.num(a["lcl"], 1))
    return s + t(
        "phase.activity.share",
        lang=lang,
        share=fmt.pct(a["share"]),
        ci=ci_text(a["share_ci_low"], a["share_ci_high"], lang=lang),
        k=f"{a['k_at_target']:,}",
        n=f"{a['n_rep_days']:,}",
    )


def skill_text(g: dict, *, months: int, lang: str = _D, trend: bool = False) -> str:
    """Item 4 (level) and sign 2 (level and trend) of the skill gap."""
    kpi = kpis.label(g["kpi"], lang=lang)
    if g.get("missing"):
        return t("phase.skill.missing", lang=lang, kpi=kpi)
    if g["large"] is None:
        return t("phase.skill.few_reps", lang=lang, kpi=kpi, n=g["n_reps"])
    s = t(
        f"phase.skill.level.{'large' if g['large'] else 'small'}",
        lang=lang,
        kpi=kpi,
        months=months,
        cv=_cv(g["cv"]),
        threshold=_cv(g["threshold"]),
        reps=g["n_reps"],
    )
    if not trend:
        return s
    if g["narrowing"] is None:
        return s + t("phase.skill.trend_untested", lang=lang)
    return s + t(
        f"phase.skill.trend.{'narrowing' if g['narrowing'] else 'flat'}",
        lang=lang,
        first=_cv(g["first_cv"]),
        last=_cv(g["last_cv"]),
        months=g["n_months"],
        tau=_cv(g["tau"]),
        p=fmt.p_value(g["p_val"]),
    )


def _hours_clause(sp: dict, months: int, lang: str) -> str:
    hours = sp["recommended_hours"]
    h = t(
        "phase.patterns.hours",
        lang=lang,
        months=months,
        calls=f"{sp['calls']:,}",
        hours=timing.hour_windows(hours, lang=lang) if hours else t("phase.patterns.hours_none", lang=lang),
    )
    if hours:
        h += t("phase.patterns.hours_lift", lang=lang, lift=f"{sp['best_lift'] * 100:+.1f}")
    return h


def _scripts_clause(sp: dict, lang: str) -> str:
    sc = sp["scripts"]
    if not len(sc):
        return t("phase.patterns.script_no_data", lang=lang)
    f = sc[sc["found"]]
    if not len(f):
        return t("phase.patterns.script_none", lang=lang)
    return t(
        "phase.patterns.script_found",
        lang=lang,
        kpi=kpis.label(f["kpi_id"].iloc[0], lang=lang),
        script=f["script"].iloc[0],
        rate=fmt.pct(f["rate"].iloc[0]),
        other=fmt.pct(f["other_rate"].iloc[0]),
    )


def patterns_text(sp: dict, *, months: int, lang: str = _D) -> str:
    """The evidence of item 3 / sign 3, written from ``success_patterns``' verdict: what was looked
    for, what was found, and why an absence is (or is not) taken as "no pattern"."""
    if "hours" not in sp.get("looked_for", []):
        parts = [t("phase.patterns.hours_too_few", lang=lang, months=months, calls=f"{sp['calls']:,}")]
    else:
        parts = [_hours_clause(sp, months, lang), _scripts_clause(sp, lang)]
    s = t("phase.patterns.sentence", lang=lang, clauses=t("phase.patterns.join", lang=lang).join(parts))
    s = s[:1].upper() + s[1:]
    if sp["winning_script"] is not None:
        s += t(f"phase.patterns.analyst.{'yes' if sp['winning_script'] else 'no'}", lang=lang)
    if sp["visible"] is None:
        kinds = sep("and", lang=lang).join(
            t(f"phase.patterns.kind.{k}", lang=lang) for k in sp.get("not_looked_for", [])
        )
        s += t("phase.patterns.unknown", lang=lang, kinds=kinds)
    elif sp["visible"] is False:
        kinds = sep("and", lang=lang).join(t(f"phase.patterns.kind.{k}", lang=lang) for k in ("hours", "scripts"))
        s += t("phase.patterns.none_found", lang=lang, kinds=kinds)
    return s


def conversion_text(c: dict, activity_met, *, months: int, lang: str = _D) -> str:
    """Item 6 / sign 5: deal conversion over the window against the growth target, and its trend."""
    kpi = kpis.label("deal_conversion", lang=lang)
    if activity_met is False:
        return t("phase.conversion.activity_short", lang=lang)
    if not c["n"]:
        return t("phase.conversion.no_data", lang=lang, kpi=kpi)
    s = t(
        f"phase.conversion.level.{'below' if c['below_target'] else 'ok'}",
        lang=lang,
        kpi=kpi,
        months=months,
        rate=fmt.pct(c["rate"]),
        ci=ci_text(c["ci_low"], c["ci_high"], lang=lang),
        k=f"{c['k']:,}",
        n=f"{c['n']:,}",
        target="–" if c["target"] is None else fmt.pct(c["target"], 0),
    )
    if c["rising"] is None:
        return s + t("phase.conversion.trend_untested", lang=lang)
    return s + t(
        f"phase.conversion.trend.{'rising' if c['rising'] else 'flat'}",
        lang=lang,
        months=c["n_months"],
        slope=f"{c['slope']:+.3f}",
        p=fmt.p_value(c["p_val"]),
    )


def _quality_conclusion(q, c: dict, lang: str) -> str:
    """Why item 6 got its status (written from the status and the conversion verdicts)."""
    if q is not True:
        return ""
    why = [t("phase.quality.below", lang=lang)] if c["below_target"] else []
    if c["rising"] is False:
        why.append(t("phase.quality.not_rising", lang=lang))
    return t("phase.quality.applies", lang=lang, why=sep("and", lang=lang).join(why))


def sign_conversion_text(status: str, c: dict, base: str, *, lang: str = _D) -> str:
    """Sign 5's evidence: the conversion sentence and, when it decides, why the sign is (not) seen."""
    if status == "met":
        return base + t("phase.sign5.met", lang=lang)
    if status == "not_met" and c["rising"]:
        return base + t("phase.sign5.rising", lang=lang)
    return base


def efficiency_text(monthly: pd.DataFrame, e: dict, *, months: int, lang: str = _D) -> str:
    """Item 9: each growth efficiency KPI month by month against its target."""
    if monthly.empty:
        return t("phase.efficiency.no_data", lang=lang)
    parts = [
        t(
            "phase.efficiency.kpi",
            lang=lang,
            kpi=kpis.label(kpi_id, lang=lang),
            values=" / ".join(fmt.pct(r) if n >= 1 else "–" for r, n in zip(g["rate"], g["n"])),
            target=fmt.pct(g["target"].iloc[0], 0),
            ok=e["n_months_at_target"].get(kpi_id, 0),
            n=len(g),
        )
        for kpi_id, g in monthly.groupby("kpi_id", sort=False)
    ]
    s = t("phase.efficiency.text", lang=lang, months=months, kpis=sep("clause", lang=lang).join(parts))
    return s + (t("phase.efficiency.too_few", lang=lang) if e["met"] is None else "")


def revenue_text(r: dict, answer, *, months: int, lang: str = _D) -> str:
    """Item 10: whether won revenue can be traced in the deals, and the analyst's answer."""
    if r["traceable"] is None:
        s = t("phase.revenue.no_deals", lang=lang)
    else:
        s = t(
            f"phase.revenue.{'traceable' if r['traceable'] else 'untraceable'}",
            lang=lang,
            n=f"{r['n_deals']:,}",
            amount=fmt.pct(r["amount_share"], 0),
            close=fmt.pct(r["close_date_share"], 0),
            lead=fmt.pct(r["lead_share"], 0),
            won=f"{r['won_window']:,}",
            won_amount=fmt.yen(r["won_amount_window"], lang=lang),
            months=months,
        )
    if answer is not None:
        s += t(f"phase.revenue.answer.{'yes' if answer else 'no'}", lang=lang)
    return s


# --- the checklist's texts ------------------------------------------------------------------
def _launch_age(ev, lang):
    ms, hi = ev["months_since_launch"], kpis.phase_months("launch")[1]
    thr = t("phase.threshold.launch_age", lang=lang, n=hi)
    if ms is None:
        return "–", thr, t("phase.evidence.no_launch_date", lang=lang)
    evd = t("phase.evidence.launch_age", lang=lang, n=ms, date=date_text(ev["launched_on"], lang=lang))
    return t("phase.value.months", lang=lang, n=ms), thr, evd


def _activity(ev, short, lang):
    a, enough = ev["activity"], ev["enough_data"]
    phase_label = kpis.phase_label(ev["activity_target_phase"], lang=lang) if ev["activity_target_phase"] else ""
    txt = activity_text(a, phase_label=phase_label, months=ev["months"], lang=lang) if enough else short
    thr = "–" if a["target"] is None else t("phase.threshold.activity", lang=lang, target=num_text(a["target"]))
    val = (
        "–"
        if not enough or a["mean"] is None or not np.isfinite(a["mean"])
        else t("phase.value.mean", lang=lang, mean=fmt.num(a["mean"], 1))
    )
    return val, thr, txt


def _patterns(ev, short, lang):
    sp = ev["patterns"]
    txt = (
        patterns_text(sp, months=ev["months"], lang=lang)
        if ev["enough_data"] or sp["winning_script"] is True
        else short
    )
    n = len(sp["recommended_hours"])
    return (
        t("phase.value.hours", lang=lang, n=n),
        t("phase.threshold.patterns", lang=lang, alpha=f"{ev['alpha']:g}"),
        txt,
    )


def _skill(ev, short, lang):
    g, enough = ev["skill"], ev["enough_data"]
    val = "–" if not enough or not np.isfinite(g["cv"]) else t("phase.value.cv", lang=lang, cv=_cv(g["cv"]))
    thr = t("phase.threshold.skill", lang=lang, threshold=_cv(g["threshold"]))
    return val, thr, skill_text(g, months=ev["months"], lang=lang) if enough else short


def _quality(ev, short, lang):
    c, enough = ev["conversion"], ev["enough_data"]
    kpi = kpis.label("deal_conversion", lang=lang)
    val = "–" if not enough or not np.isfinite(c["rate"]) else fmt.pct(c["rate"])
    thr = (
        "–" if c["target"] is None else t("phase.threshold.quality", lang=lang, kpi=kpi, target=fmt.pct(c["target"], 0))
    )
    if not enough:
        return val, thr, short
    act_met = ev["activity"]["met"]
    txt = conversion_text(c, act_met, months=ev["months"], lang=lang) + _quality_conclusion(quality_issue(ev), c, lang)
    return val, thr, txt


def _span(ev, lang):
    span = ev["span"]
    m = f"{span['span_months']:.1f}"
    thr = t("phase.threshold.span", lang=lang, n=num_text(ev["min_months"]))
    if not span["span_days"]:
        return t("phase.value.span", lang=lang, span=m), thr, t("phase.evidence.no_activity", lang=lang)
    evd = t(
        "phase.evidence.span",
        lang=lang,
        first=date_text(span["first_date"], lang=lang),
        last=date_text(span["last_date"], lang=lang),
        span=m,
    )
    return t("phase.value.span", lang=lang, span=m), thr, evd


def _fs_rules(ev, lang):
    fa = ev["answers"]["fs_rules_established"]
    thr = t("phase.threshold.analyst", lang=lang)
    if fa is None:
        return "–", thr, t("phase.evidence.fs_waiting", lang=lang)
    yes = t(f"phase.value.{'yes' if fa else 'no'}", lang=lang)
    return yes, thr, t("phase.evidence.fs_answer", lang=lang, answer=yes)


def _efficiency(ev, short, lang):
    e, enough = ev["efficiency"], ev["enough_data"]
    n_all = len(ev["efficiency_monthly"])
    val = (
        t("phase.value.efficiency", lang=lang, ok=sum(e["n_months_at_target"].values()), n=n_all)
        if enough and n_all
        else "–"
    )
    thr = t("phase.threshold.efficiency", lang=lang, months=ev["months"])
    txt = efficiency_text(ev["efficiency_monthly"], e, months=ev["months"], lang=lang) if enough else short
    return val, thr, txt


def _revenue(ev, lang):
    r = ev["revenue"]
    val = (
        "–"
        if not np.isfinite(r["amount_share"])
        else t("phase.value.amount_share", lang=lang, share=fmt.pct(r["amount_share"], 0))
    )
    txt = revenue_text(r, ev["answers"]["revenue_reporting"], months=ev["months"], lang=lang)
    return val, t("phase.threshold.revenue", lang=lang), txt


def item_texts(ev: dict, *, lang: str = _D) -> dict:
    """``{item_id: (value_text, threshold_text, evidence)}`` of the 10 checklist items."""
    short = t(
        "phase.evidence.short",
        lang=lang,
        span=f"{ev['span']['span_months']:.1f}",
        need=num_text(ev["min_months"]),
    )
    act = _activity(ev, short, lang)
    return {
        "launch_age": _launch_age(ev, lang),
        "activity_unstable": act,
        "no_success_pattern": _patterns(ev, short, lang),
        "skill_gap_large": _skill(ev, short, lang),
        "activity_stable": act,
        "volume_ok_quality_issue": _quality(ev, short, lang),
        "data_3_months": _span(ev, lang),
        "fs_rules": _fs_rules(ev, lang),
        "efficiency_stable": _efficiency(ev, short, lang),
        "revenue_visible": _revenue(ev, lang),
    }
