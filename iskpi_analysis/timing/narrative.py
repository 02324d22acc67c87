"""The timing findings in words: sentences, headline cards and page notes, every text from the
catalog (``messages/<lang>/timing.toml``, keys ``timing.*``).

Every sentence is written from a verdict object of a :class:`TimingResult` (the adjusted hour
test for "does the hour matter", the window / effect verdicts and their reasons for each hour and
weekday); nothing here runs a test or decides what a result says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, fmt, kpis
from ..catalog import t
from .analysis import TimingResult
from .breakdowns import BREAKDOWNS
from .counts import METRICS
from .labels import column_labels, hour_label, hour_windows, level_label, metric_label, period_label, pts, pts_ci

__all__ = ["findings", "headline", "scope_note", "missing_breakdowns_note"]

_DEFAULT = config.DEFAULT_LANG
#: Where a breakdown's data comes from (named in the note when it is skipped).
_BREAKDOWN_SOURCE = {"source": "leads", "segment": "leads", "role": "reps", "attempt": "calls.lead_id"}


def _crit(result: TimingResult) -> str:
    return fmt.p_value(result.claim_alpha).replace("=", "<")


def _den_label(result: TimingResult, lang: str) -> str:
    # lower case inside an English sentence ("1,234 calls"); Japanese has no case
    return kpis.label(METRICS[result.metric][1], lang=lang).lower()


def headline(result: TimingResult, *, lang: str = _DEFAULT, period: str | None = None) -> list[dict]:
    """2–3 headline items for the report index: overall rate, recommended window, whether the
    hour matters. ``period``: text added to the first note (e.g. :func:`period_label`)."""
    o = result.overall
    note = t("timing.headline.rate_note", lang=lang, den=_den_label(result, lang), n=fmt.num(o["n"]))
    if period:
        note = t("timing.headline.with_period", lang=lang, note=note, period=period)
    items = [{"label": metric_label(result.metric, lang=lang), "value": fmt.pct(o["rate"]), "note": note}]
    w = result.windows
    rec = w[(w["scope"] == "all") & (w["verdict"] == "recommend")]["hour"] if len(w) else []
    items.append(
        {
            "label": t("timing.headline.recommended", lang=lang),
            "value": hour_windows(rec, lang=lang),
            "note": t("timing.headline.recommended_note", lang=lang),
        }
    )
    ht = result.hour_test()
    if np.isfinite(ht["p_val"]):
        # the verdict of the adjusted test (never the raw chi-square, which the rep mix drives)
        items.append(
            {
                "label": t("timing.headline.hour_matters", lang=lang),
                "value": t("timing.headline.hour_yes" if ht["shown"] else "timing.headline.hour_no", lang=lang),
                "note": t("timing.headline.hour_note", lang=lang, p=fmt.p_value(ht["p_val"]), crit=_crit(result)),
            }
        )
    return items


def scope_note(
    data,
    *,
    month: str,
    months: int = 3,
    rep: str | None = None,
    include_non_business: bool = False,
    lang: str = _DEFAULT,
) -> str:
    """One line saying what the page covers: team (or rep, by display name), period, which days."""
    names = data.names()
    team = getattr(data, "team", "all")
    who = t("timing.scope.all_teams", lang=lang) if team in (None, "all") else names.get(team, team)
    if rep:
        who = t("timing.scope.rep", lang=lang, who=who, name=names.get(rep, rep), rep=rep)
    days = t("timing.scope.all_days" if include_non_business else "timing.scope.business_days", lang=lang)
    return t("timing.scope.line", lang=lang, who=who, period=period_label(month, months, lang=lang), days=days)


def missing_breakdowns_note(available, *, lang: str = _DEFAULT) -> str:
    """Which breakdowns are skipped and why ('' when none is)."""
    missing = [b for b in BREAKDOWNS if b not in available]
    if not missing:
        return ""
    lab = column_labels(lang=lang)
    items = [t("timing.missing.item", lang=lang, label=lab[b], why=_BREAKDOWN_SOURCE[b]) for b in missing]
    return t("timing.missing.line", lang=lang, items=t("timing.sep.list", lang=lang).join(items))


# ----------------------------------------------------------------------------- findings, part by part
def _overall(result: TimingResult, m: str, lang: str) -> str:
    o = result.overall
    days = t("timing.findings.all_days" if result.include_non_business else "timing.findings.business_days", lang=lang)
    return t(
        "timing.findings.overall",
        lang=lang,
        days=days,
        den=_den_label(result, lang),
        n=fmt.num(o["n"]),
        m=m.lower(),
        rate=fmt.pct(o["rate"]),
        ci=fmt.ci(o["ci_low"], o["ci_high"]),
    )


def _hour_matters(result: TimingResult, m: str, lang: str) -> str:
    """The sentence for the headline verdict (the adjusted likelihood-ratio test of the hour)."""
    ht = result.hour_test()
    if not np.isfinite(ht["p_val"]):
        return t("timing.findings.not_enough", lang=lang)
    held = t("timing.findings.held_rep_weekday" if ht["adjusted_for"] else "timing.findings.held_weekday", lang=lang)
    c = result.chi2.set_index("factor").loc["hour"] if len(result.chi2) else None
    raw = ""
    if c is not None and np.isfinite(c["p_val"]):
        raw = t("timing.findings.chi_square", lang=lang, p=fmt.p_value(c["p_val"]), v=f"{c['cramers_v']:.3f}")
    key = "timing.findings.hour_shown" if ht["shown"] else "timing.findings.hour_not_shown"
    return t(key, lang=lang, held=held, m=m.lower(), p=fmt.p_value(ht["p_val"]), crit=_crit(result), raw=raw)


def _raw_hours(result: TimingResult, lang: str) -> list[str]:
    """The raw best and worst hour, and the hours too small to judge."""
    out = []
    bh = result.by_hour
    h = bh[~bh["too_small"] & (bh["n"] > 0)]
    if len(h) >= 2:
        best, worst = h.loc[h["rate"].idxmax()], h.loc[h["rate"].idxmin()]
        out.append(
            t(
                "timing.findings.raw_extremes",
                lang=lang,
                best=hour_label(best["hour"], lang=lang),
                best_rate=fmt.pct(best["rate"]),
                best_n=fmt.num(best["n"]),
                worst=hour_label(worst["hour"], lang=lang),
                worst_rate=fmt.pct(worst["rate"]),
                worst_n=fmt.num(worst["n"]),
            )
        )
    small = bh[bh["too_small"] & (bh["n"] > 0)]
    if len(small):
        out.append(
            t(
                "timing.findings.too_small",
                lang=lang,
                hours=hour_windows(small["hour"], lang=lang),
                den=_den_label(result, lang),
                min=result.min_trials,
            )
        )
    return out


def _windows(result: TimingResult, held: str, lang: str) -> list[str]:
    """Recommended, avoided and 'real but small' hours of the whole data (window verdicts)."""
    out = []
    w = result.windows
    w_all = w[w["scope"] == "all"] if len(w) else pd.DataFrame(columns=w.columns)
    rec = w_all[w_all["verdict"] == "recommend"]
    avoid = w_all[w_all["verdict"] == "avoid"]
    sm = w_all[w_all["effect_verdict"] == "small"]
    share = f"{result.min_relative_lift:.0%}"
    if len(rec):
        parts = [
            t(
                "timing.findings.recommended_part",
                lang=lang,
                hour=hour_label(r.hour, lang=lang),
                diff=pts(r.diff, lang=lang),
                ci=pts_ci(r.diff_ci_low, r.diff_ci_high, lang=lang),
            )
            for r in rec.itertuples()
        ]
        hours = hour_windows(rec["hour"], lang=lang)
        sep = t("timing.sep.parts", lang=lang)
        out.append(
            t("timing.findings.recommended", lang=lang, held=held, hours=hours, parts=sep.join(parts), share=share)
        )
    elif (result.effects["factor"] == "hour").any():
        gate_failed = bool(len(w_all) and (w_all["reason"] == "factor_not_shown").any())
        why = t("timing.findings.gate_failed", lang=lang) if gate_failed else ""
        out.append(t("timing.findings.none_recommended", lang=lang, held=held, why=why))
    if len(avoid):
        diffs = [
            t("timing.findings.avoid_part", lang=lang, hour=hour_label(r.hour, lang=lang), diff=pts(r.diff, lang=lang))
            for r in avoid.itertuples()
        ]
        hours = hour_windows(avoid["hour"], lang=lang)
        out.append(
            t("timing.findings.avoid", lang=lang, hours=hours, diffs=t("timing.sep.list", lang=lang).join(diffs))
        )
    if len(sm):
        lift = pts(sm["min_lift"].iloc[0], lang=lang).lstrip("+")
        out.append(
            t("timing.findings.small", lang=lang, hours=hour_windows(sm["hour"], lang=lang), share=share, lift=lift)
        )
    return out


def _teams(result: TimingResult, names: dict, lang: str) -> list[str]:
    """Each team's recommended hours, the team named by its display name."""
    w = result.windows
    teams = w[w["scope"] == "team"] if len(w) else w
    if not len(teams):
        return []
    parts = [
        t(
            "timing.findings.team_part",
            lang=lang,
            team=names.get(gid, gid),
            hours=hour_windows(g.loc[g["verdict"] == "recommend", "hour"], lang=lang),
        )
        for gid, g in teams.groupby("group", sort=True)
    ]
    return [t("timing.findings.teams", lang=lang, parts=t("timing.sep.groups", lang=lang).join(parts))]


def _adjusted_says(r, result: TimingResult, lang: str) -> str:
    """What the adjusted verdict of one level says, from its verdict and reason only."""
    if r.verdict in ("above", "below", "small"):
        return t(f"timing.adjusted_says.{r.verdict}", lang=lang)
    if r.reason == "reference":
        return t("timing.adjusted_says.reference", lang=lang)
    excludes = bool(np.isfinite(r.diff_ci_low) and (r.diff_ci_low > 0 or r.diff_ci_high < 0))
    if r.reason == "factor_not_shown":
        key = "timing.adjusted_says.gate_failed_excludes" if excludes else "timing.adjusted_says.gate_failed"
        return t(key, lang=lang, crit=_crit(result))
    return t("timing.adjusted_says.not_reliable" if excludes else "timing.adjusted_says.no_difference", lang=lang)


def _disagreements(result: TimingResult, lang: str) -> list[str]:
    """Hours whose raw and adjusted verdicts differ, and whether the estimate or only the
    certainty moved (a quarter of the interval width)."""
    e = result.effects[result.effects["factor"] == "hour"]
    if not (len(e) and e["adjusted_for"].iloc[0]):
        return []
    out = []
    for r in e[(e["raw_verdict"] != e["verdict"]) & ~e["too_small"].astype(bool)].itertuples():
        if abs(r.diff - r.raw_diff) >= (r.diff_ci_high - r.diff_ci_low) / 4:
            why = t("timing.findings.moved", lang=lang)
        else:
            why = t("timing.findings.not_moved", lang=lang, raw=pts(r.raw_diff, lang=lang), adj=pts(r.diff, lang=lang))
        out.append(
            t(
                "timing.findings.disagree",
                lang=lang,
                hour=hour_label(r.level, lang=lang),
                looks=t(f"timing.raw_looks.{r.raw_verdict}", lang=lang),
                rate=fmt.pct(r.raw_rate),
                says=_adjusted_says(r, result, lang),
                diff=pts(r.diff, lang=lang),
                ci=pts_ci(r.diff_ci_low, r.diff_ci_high, lang=lang),
                p=fmt.p_value(r.p_adj, name="q"),
                why=why,
            )
        )
    return out


def _weekdays(result: TimingResult, m: str, adjusted: bool, lang: str) -> list[str]:
    """Weekdays above / below the median weekday, or that none differs reliably."""
    wd = result.effects[result.effects["factor"] == "weekday"]
    if len(wd) <= 1:
        return []
    held = t("timing.findings.held_rep_hour" if adjusted else "timing.findings.held_hour", lang=lang)
    sep = t("timing.sep.list", lang=lang)
    txt = []
    for v, key in (("above", "timing.findings.weekdays_up"), ("below", "timing.findings.weekdays_down")):
        rows = wd[wd["verdict"] == v]
        if len(rows):
            days = [
                t(
                    "timing.findings.weekday_part",
                    lang=lang,
                    day=level_label("weekday", x.level, lang=lang),
                    diff=pts(x.diff, lang=lang),
                )
                for x in rows.itertuples()
            ]
            txt.append(t(key, lang=lang, days=sep.join(days)))
    if txt:
        return [t("timing.findings.weekdays", lang=lang, held=held, parts=t("timing.sep.groups", lang=lang).join(txt))]
    pw = float(wd["factor_p_val"].iloc[0])
    p = t("timing.findings.weekdays_none_p", lang=lang, p=fmt.p_value(pw)) if np.isfinite(pw) else ""
    return [t("timing.findings.weekdays_none", lang=lang, m=m.lower(), held=held, p=p)]


def _reps(result: TimingResult, lang: str) -> list[str]:
    w = result.windows
    reps = w[w["scope"] == "rep"] if len(w) else w
    if not len(reps):
        return []
    return [
        t(
            "timing.findings.reps",
            lang=lang,
            n_reps=reps["group"].nunique(),
            rec=len(reps.loc[reps["verdict"] == "recommend", "group"].unique()),
            avoid=len(reps.loc[reps["verdict"] == "avoid", "group"].unique()),
        )
    ]


def findings(result: TimingResult, *, lang: str = _DEFAULT, names: dict | None = None) -> list[str]:
    """Plain sentences generated from a :class:`TimingResult`, saying how sure they are.

    Covers: scope and average, whether the hour matters, raw best and worst hours, recommended /
    avoid hours (each hour against the median hour, rep and weekday held fixed), hours
    significant but under the smallest lift, per-team windows (teams by their display names from
    ``names``, :meth:`dataset.Dataset.names`), where the raw and the adjusted picture disagree,
    weekday effects and per-rep windows.
    """
    names = names or {}
    m = metric_label(result.metric, lang=lang)
    if result.overall["n"] == 0:
        return [t("timing.findings.no_calls", lang=lang)]
    e = result.effects[result.effects["factor"] == "hour"]
    adjusted = bool(len(e) and e["adjusted_for"].iloc[0])
    held = t("timing.findings.held_rep_weekday" if adjusted else "timing.findings.held_weekday", lang=lang)
    return [
        _overall(result, m, lang),
        _hour_matters(result, m, lang),
        *_raw_hours(result, lang),
        *_windows(result, held, lang),
        *_teams(result, names, lang),
        *_disagreements(result, lang),
        *_weekdays(result, m, adjusted, lang),
        *_reps(result, lang),
    ]
