"""Labelled display tables and short display sentences of notebook 01 (the scorecard).

Each function takes a language-neutral result (the KPI tree, a team's scorecard dict, a view
table) and returns what the notebook shows: a DataFrame whose values are formatted and whose
columns carry reader-facing headings, or a Markdown sentence. All text comes from the catalog
(``messages/<lang>/scorecard.toml``); numbers are formatted by :mod:`fmt` here, never in the
notebook.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, fmt, kpis, targets
from ..catalog import t
from .narrative import _kpi_text, change_text, column_labels, format_value, label_tree, target_text, verdict_label
from .tree import rep_table

__all__ = [
    "settings_note",
    "settings_display",
    "team_heading",
    "team_title",
    "headline",
    "summary_markdown",
    "bottleneck_markdown",
    "pacing_note",
    "pacing_display",
    "rep_display",
    "tree_display",
    "seed_plan_sentence",
    "plan_heading",
    "plan_note",
    "reverse_display",
    "prob_plan_display",
    "response_sentence",
    "response_display",
    "bdr_display",
    "email_display",
    "mql_sql_display",
    "conversion_heading",
    "conversion_display",
    "quality_display",
    "quality_sentence",
    "economics_display",
    "forecast_heading",
    "forecast_display",
    "smart_table",
    "smart_heading",
]

DEFAULT_LANG = config.DEFAULT_LANG


def _team_names(ids, names: dict | None) -> list:
    """Display names of team ids (``data.names()``); an id the data has no name for stays."""
    names = names or {}
    return [names.get(str(i), i) for i in ids]


def _rate_ci(df: pd.DataFrame) -> list[str]:
    return [f"{fmt.pct(x)} {fmt.ci(a, b)}" for x, a, b in zip(df["rate"], df["ci_low"], df["ci_high"])]


def team_heading(r: dict, *, lang: str = DEFAULT_LANG) -> str:
    """A team's name with its phase, e.g. ``東京IS(成熟期)``."""
    return t("scorecard.view.team_heading", lang=lang, team=r["team_name"], phase=r["phase_label"])


def team_title(r: dict, title: str, *, lang: str = DEFAULT_LANG) -> str:
    """A chart title prefixed with the team's name."""
    return t("scorecard.plot.team_title", lang=lang, team=r["team_name"], title=title)


def headline(teams: dict, *, lang: str = DEFAULT_LANG) -> list[dict]:
    """Headline cards of the report: targets on track and the bottleneck of every team."""
    out = []
    for r in teams.values():
        v = r["card"]["verdict"]
        out.append(
            {
                "label": t("scorecard.view.on_target", lang=lang, team=r["team_name"]),
                "value": f"{v.isin(['ahead', 'on_target']).sum()}/{v.isin(targets.JUDGED).sum()}",
                "note": r["phase_label"],
            }
        )
        out.append(
            {
                "label": t("scorecard.view.bottleneck_card", lang=lang, team=r["team_name"]),
                "value": r["bottleneck"]["label"] or "–",
            }
        )
    return out


def summary_markdown(r: dict, *, lang: str = DEFAULT_LANG) -> str:
    """A team's heading and its leadership summary (:func:`narrative.findings_summary`)."""
    return f"### {team_heading(r, lang=lang)}\n\n" + " ".join(r["summary"])


def bottleneck_markdown(b: dict, *, lang: str = DEFAULT_LANG) -> str:
    """The bottleneck with the seeds' reading, or that no stage is below target."""
    if b["stage"] is None:
        return t("scorecard.view.no_bottleneck", lang=lang)
    return t("scorecard.view.bottleneck_reading", lang=lang, label=b["label"], reading=b["reading"])


def pacing_note(r: dict, as_of, *, lang: str = DEFAULT_LANG) -> str:
    """Business days elapsed and remaining, or why pacing is skipped for the team."""
    p = r["pacing"]
    if p is None or r["paced_kpi"] is None:
        return t("scorecard.view.no_paced_kpi", lang=lang, team=r["team_name"])
    return t(
        "scorecard.view.business_days",
        lang=lang,
        total=int(p["business_days"].iloc[0]),
        elapsed=int(p["elapsed"].iloc[0]),
        remaining=int(p["remaining"].iloc[0]),
        as_of=f"{pd.Timestamp(as_of):%Y-%m-%d}",
    )


def pacing_display(p: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The pacing table (:func:`pacing.pacing_table`): actual, projection with its 90 % interval,
    target and the chance to reach it."""
    rows = []
    for r in p.itertuples(index=False):
        k = r.kpi_id
        rows.append(
            {
                "kpi": kpis.label(k, lang=lang),
                "actual": _kpi_text(k, r.actual, lang),
                "projected": _kpi_text(k, r.projected, lang),
                "interval": (
                    t(
                        "scorecard.view.interval",
                        lang=lang,
                        low=_kpi_text(k, r.projected_low, lang),
                        high=_kpi_text(k, r.projected_high, lang),
                    )
                    if r.projected_high > r.projected_low
                    else "–"
                ),
                "target": _kpi_text(k, r.target, lang),
                "p_reach": fmt.pct(r.p_reach, 0),
            }
        )
    return column_labels(pd.DataFrame(rows), lang=lang)


def rep_display(
    tree: pd.DataFrame, r: dict, team_id, *, lang: str = DEFAULT_LANG, min_importance: int = 2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-rep values and verdicts of the team's phase KPIs of at least ``min_importance``
    stars, labelled alike (for :func:`plots.scorecard.style_verdicts`)."""
    ids = list(r["card"].loc[r["card"]["importance"] >= min_importance, "kpi_id"])
    sub = label_tree(tree[tree["team_id"] == team_id], lang=lang)
    names = {k: kpis.label(k, lang=lang) for k in ids}
    vals, levels = (
        rep_table(sub, kpi_ids=ids, value=v).drop(columns=["team_id", "rep_id"]).rename(columns=names)
        for v in ("value_text", "verdict")
    )
    return column_labels(vals, lang=lang), column_labels(levels, lang=lang)


def tree_display(tree: pd.DataFrame, team_id, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The team's KPI tree, behavioural → strategic: actual, interval, target, attainment,
    last month, change and status."""
    tt = (
        label_tree(tree[(tree["team_id"] == team_id) & (tree["level"] == "team")], lang=lang)
        .sort_values(["tier_order", "importance"], ascending=[True, False])
        .copy()
    )
    tt["attainment"] = [fmt.pct(x, 0) for x in tt["attainment"]]
    tt["previous"] = [format_value(k, x, p, lang=lang) for k, x, p in zip(tt["kpi_id"], tt["previous"], tt["per"])]
    tt["change"] = [change_text(k, x, p, lang=lang) for k, x, p in zip(tt["kpi_id"], tt["change"], tt["per"])]
    tt["ci"] = [fmt.ci(a, b) if np.isfinite(a) else "" for a, b in zip(tt["ci_low"], tt["ci_high"])]
    return column_labels(
        tt[
            [
                "tier_label",
                "label",
                "per_label",
                "value_text",
                "ci",
                "target_text",
                "attainment",
                "previous",
                "change",
                "verdict_label",
            ]
        ],
        lang=lang,
    )


def seed_plan_sentence(seed_plan: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> str:
    """The seed's worked reverse plan (calls → conversations → deals → orders)."""
    calls, conversations, deals, orders = seed_plan["needed_ceil"].tolist()
    return t(
        "scorecard.view.seed_plan",
        lang=lang,
        calls=fmt.num(calls),
        conversations=fmt.num(conversations),
        deals=fmt.num(deals),
        orders=fmt.num(orders),
    )


def plan_heading(r: dict, *, lang: str = DEFAULT_LANG) -> str:
    """The team's name with the goal its reverse plan works back from."""
    ps = r["plan_summary"]
    if not ps:
        return r["team_name"]
    return t(
        "scorecard.view.plan_goal",
        lang=lang,
        team=r["team_name"],
        goal=fmt.num(ps["goal"]),
        goal_label=kpis.label(ps["goal_kpi"], lang=lang),
        basis=t(f"scorecard.goal_basis.{ps['goal_basis']}", lang=lang),
    )


def plan_note(r: dict, data, *, lang: str = DEFAULT_LANG) -> str | None:
    """Why there is no reverse plan (no deals table, or a stage rate of zero); None if there is one."""
    if r["reverse"] is not None:
        return None
    return fmt.missing_note("deals", lang=lang) if not data.has("deals") else t("scorecard.view.zero_rate", lang=lang)


def reverse_display(rv: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The reverse plan (:func:`plan.reverse_plan`): stage, rate to the next stage, needed."""
    return column_labels(
        pd.DataFrame(
            {
                "stage": [kpis.label(s, lang=lang) for s in rv["stage"]],
                "rate_to_next": [fmt.pct(x) if np.isfinite(x) else "" for x in rv["rate_to_next"]],
                "needed_ceil": [fmt.num(x) for x in rv["needed_ceil"]],
            }
        ),
        lang=lang,
    )


def prob_plan_display(pp: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The probability plan (:func:`plan.probability_plan`): plan kind, chance, calls needed."""
    return column_labels(
        pd.DataFrame(
            {
                "basis": [
                    t("scorecard.view.plain" if b == "plain" else "scorecard.view.by_probability", lang=lang)
                    for b in pp["basis"]
                ],
                "probability": [fmt.pct(x, 0) for x in pp["probability"]],
                "calls": [fmt.num(x) if pd.notna(x) else "–" for x in pp["calls"]],
            }
        ),
        lang=lang,
    )


def response_sentence(overall: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> str:
    """Share of leads touched within 1 business hour and the median, all sources."""
    r = overall.iloc[0]
    return t(
        "scorecard.view.response_overall",
        lang=lang,
        rate=fmt.pct(r["rate"]),
        n=fmt.num(r["n"]),
        median=fmt.num(r["median_minutes"]),
    )


def response_display(by_source: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """Response time by lead source (:func:`views.response_summary` ``by="source"``), best first."""
    rs = by_source.sort_values("rate", ascending=False)
    return column_labels(
        pd.DataFrame(
            {
                "source": rs["source"],
                "n_leads": rs["n_leads"],
                "median_minutes": [fmt.num(x) for x in rs["median_minutes"]],
                "p90_minutes": [fmt.num(x) for x in rs["p90_minutes"]],
                "within_1h": _rate_ci(rs),
            }
        ),
        lang=lang,
    )


def bdr_display(bdr: pd.DataFrame, *, lang: str = DEFAULT_LANG, names: dict | None = None) -> pd.DataFrame:
    """BDR reps (:func:`views.bdr_view`): decision-maker rate with interval and n, and
    target-account contacts; teams by display name (``names``: ``data.names()``)."""
    rows = {}
    for r in bdr.itertuples(index=False):
        row = rows.setdefault((r.team_id, r.rep_name), {"team_id": r.team_id, "rep_name": r.rep_name})
        if r.kpi_id == "decision_maker_rate":
            row[kpis.label(r.kpi_id, lang=lang)] = t(
                "scorecard.view.rate_ci_n",
                lang=lang,
                rate=fmt.pct(r.actual),
                ci=fmt.ci(r.ci_low, r.ci_high),
                n=fmt.num(r.n),
            )
        else:
            row[kpis.label(r.kpi_id, lang=lang)] = fmt.num(r.actual)
    out = pd.DataFrame(sorted(rows.values(), key=lambda d: (d["team_id"], d["rep_name"])))
    kpi_cols = [kpis.label(k, lang=lang) for k in ("decision_maker_rate", "target_account_contacts")]
    if len(out):
        out["team_id"] = _team_names(out["team_id"], names)
    return column_labels(out[["team_id", "rep_name", *(c for c in kpi_cols if c in out)]], lang=lang)


def email_display(er: pd.DataFrame, *, lang: str = DEFAULT_LANG, names: dict | None = None) -> pd.DataFrame:
    """E-mail open / click / reply rates (:func:`views.email_rates`) with intervals; teams by
    display name (``names``: ``data.names()``)."""
    return column_labels(
        pd.DataFrame(
            {
                "team_id": _team_names(er["team_id"], names),
                "kpi": [kpis.label(k, lang=lang) for k in er["kpi_id"]],
                "n": er["n"],
                "rate": _rate_ci(er),
            }
        ),
        lang=lang,
    )


def mql_sql_display(ms: pd.DataFrame, *, lang: str = DEFAULT_LANG, names: dict | None = None) -> pd.DataFrame:
    """MQL → SQL by team (:func:`views.mql_sql`) with intervals; teams by display name."""
    return column_labels(
        pd.DataFrame({"team_id": _team_names(ms["team_id"], names), "n": ms["n"], "k": ms["k"], "rate": _rate_ci(ms)}),
        lang=lang,
    )


def conversion_heading(*, months: int, lang: str = DEFAULT_LANG) -> str:
    """Heading of the conversion-by-source table (the window in months)."""
    return t(
        "scorecard.view.conversion_by_source",
        lang=lang,
        kpi=kpis.label("deal_conversion", lang=lang),
        months=t("scorecard.view.months", lang=lang, n=months),
    )


def conversion_display(cs: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """Deal conversion by lead source (:func:`views.conversion_by_source`) with BH-adjusted p."""
    return column_labels(
        pd.DataFrame(
            {
                "source": cs["source"],
                "n": cs["n"],
                "k": cs["k"],
                "rate": _rate_ci(cs),
                "p_adj": [f"{x:.3g}" if np.isfinite(x) else "–" for x in cs["p_adj"]],
            }
        ),
        lang=lang,
    )


def quality_display(by_rep: pd.DataFrame, *, lang: str = DEFAULT_LANG, names: dict | None = None) -> pd.DataFrame:
    """Deal quality score per rep (:func:`views.quality_view` ``by_rep``); teams by display name."""
    return column_labels(
        pd.DataFrame(
            {
                "team_id": _team_names(by_rep["team_id"], names),
                "rep_name": by_rep["rep_name"],
                "n_deals": by_rep["n_deals"],
                "mean_score": [fmt.num(x, 1) for x in by_rep["mean_score"]],
                "share_75": [fmt.pct(x, 0) for x in by_rep["share_75"]],
            }
        ),
        lang=lang,
    )


def quality_sentence(rel: dict, *, months: int, lang: str = DEFAULT_LANG) -> str | None:
    """The score–win relation (:func:`quality.score_win_relation`); None when not estimable."""
    if not np.isfinite(rel["odds_ratio_per_10"]):
        return None
    return t(
        "scorecard.view.quality_relation",
        lang=lang,
        n=f"{rel['n']:,}",
        months=t("scorecard.view.months", lang=lang, n=months),
        odds=f"{rel['odds_ratio_per_10']:.2f}",
        low=f"{rel['ci_low']:.2f}",
        high=f"{rel['ci_high']:.2f}",
        p=fmt.p_value(rel["p_val"]),
        won=f"{rel['mean_score_won']:.1f}",
        lost=f"{rel['mean_score_lost']:.1f}",
    )


def economics_display(
    ec: pd.DataFrame, *, rows: pd.DataFrame | None = None, lang: str = DEFAULT_LANG, names: dict | None = None
) -> pd.DataFrame:
    """Unit economics per team (:func:`economics.economics`); CAC and LTV/CAC carry their verdict
    against the team's target table (``rows``: :func:`economics.kpi_rows`) where it has one; teams
    by display name (``names``: ``data.names()``)."""
    verdict = {} if rows is None else {(r.team_id, r.kpi_id): r.verdict for r in rows.itertuples(index=False)}

    def judged(team_id, kpi_id, text):
        v = verdict.get((team_id, kpi_id))
        return text if v in (None, "none") else f"{text}({verdict_label(v, lang=lang)})"

    out = pd.DataFrame({"team_id": _team_names(ec["team_id"], names)})
    for k in ("won_amount_jpy", "pipeline_jpy", "cac_jpy", "ltv_jpy"):
        out[kpis.label(k, lang=lang)] = [fmt.yen(x, lang=lang) for x in ec[k]]
    cac = kpis.label("cac_jpy", lang=lang)
    out[cac] = [judged(tm, "cac_jpy", x) for tm, x in zip(ec["team_id"], out[cac])]
    out[kpis.label("ltv_cac", lang=lang)] = [
        judged(tm, "ltv_cac", fmt.num(x, 2)) for tm, x in zip(ec["team_id"], ec["ltv_cac"])
    ]
    out[kpis.label("roi", lang=lang)] = [fmt.pct(x, 0) for x in ec["roi"]]
    return column_labels(out, lang=lang)


def forecast_heading(*, months: int, at_business_day: int, lang: str = DEFAULT_LANG) -> str:
    """What the forecast-accuracy table compares."""
    return t(
        "scorecard.view.forecast_accuracy",
        lang=lang,
        kpi=kpis.label("forecast_accuracy", lang=lang),
        months=t("scorecard.view.months", lang=lang, n=months),
        day=at_business_day,
    )


def forecast_display(summary: pd.DataFrame, *, lang: str = DEFAULT_LANG, names: dict | None = None) -> pd.DataFrame:
    """Forecast accuracy per team and KPI (:func:`team.forecast_summary`); teams by display name."""
    return column_labels(
        pd.DataFrame(
            {
                "team_id": _team_names(summary["team_id"], names),
                "kpi": [kpis.label(k, lang=lang) for k in summary["kpi_id"]],
                "n": summary["n"],
                "accuracy": [fmt.pct(x) for x in summary["accuracy"]],
                "covered": [fmt.pct(x, 0) for x in summary["covered"]],
            }
        ),
        lang=lang,
    )


def smart_table(sm: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The SMART check (:func:`smart.smart_check`) as marks and one sentence per target."""
    mark = {True: t("scorecard.smart.yes", lang=lang), False: t("scorecard.smart.no", lang=lang)}
    out = pd.DataFrame({"label": [kpis.label(k, lang=lang) for k in sm["kpi_id"]]})
    for c in ("specific", "measurable", "time_bound", "achievable"):
        out[c] = [
            mark[bool(v)] if isinstance(v, (bool, np.bool_)) else t("scorecard.smart.unjudged", lang=lang)
            for v in sm[c]
        ]
    out["note"] = [smart_note(r, lang=lang) for r in sm.itertuples(index=False)]
    return column_labels(out, lang=lang)


def smart_heading(phase: str, industry: str | None = None, *, lang: str = DEFAULT_LANG) -> str:
    """The heading of one SMART table: the phase, and the industry preset its targets use."""
    label = kpis.phase_label(phase, lang=lang)
    if not industry:
        return label
    return t(
        "scorecard.view.smart_heading",
        lang=lang,
        phase=label,
        industry=t(f"scorecard.settings.industry.{industry}", lang=lang),
    )


def smart_note(r, *, lang: str = DEFAULT_LANG) -> str:
    """The SMART verdict of one target (a row of :func:`smart.smart_check`) as a sentence."""
    label = kpis.label(r.kpi_id, lang=lang)
    if r.verdict in ("not_measurable", "no_period", "no_history"):
        return t(f"scorecard.smart.{r.verdict}", lang=lang, label=label)
    return t(
        f"scorecard.smart.{r.verdict}",
        lang=lang,
        label=label,
        n=r.n_history,
        share=fmt.pct(r.share_reaching, 0),
        target=target_text(r.kpi_id, r.target, r.low, r.high, r.per, lang=lang),
    )


# ---------------------------------------------------------------------------------------------
# the monthly run's settings (iskpi_analysis.settings)
def settings_note(resolved, *, lang: str = DEFAULT_LANG) -> str:
    """Which settings file the page used (path and sha256), or that there was none."""
    s = resolved.settings
    if s.path is None:
        return t("scorecard.settings.none", lang=lang)
    return t("scorecard.settings.source", lang=lang, path=s.path.name, sha=(s.sha256 or "")[:12])


def settings_display(resolved, teams: dict, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The settings in effect for each team of the page: goals (with where each came from), the
    analyst's answers to the checklist, the phase set and the industry preset."""
    unset = t("scorecard.settings.unset", lang=lang)

    def goal(ts, key):
        v = ts.goals[key]
        if v is None:
            return unset
        value = fmt.yen(v, lang=lang) if key == "goal_won_amount" else fmt.num(v)
        return t(
            "scorecard.settings.goal",
            lang=lang,
            value=value,
            basis=t(f"scorecard.settings.basis.{ts.goal_basis[key]}", lang=lang),
        )

    rows = []
    for team_id, r in teams.items():
        ts = resolved.team(team_id)
        answers = ts.answers.text()
        rows.append(
            {
                "team": r["team_name"],
                "headcount": fmt.num(ts.headcount),
                **{k: goal(ts, k) for k in ("goal_deals", "goal_won", "goal_won_amount")},
                **{k: t(f"scorecard.settings.answer.{v}", lang=lang) for k, v in answers.items()},
                "phase": kpis.phase_label(ts.phase, lang=lang) if ts.phase else unset,
                "industry": t(f"scorecard.settings.industry.{ts.industry}", lang=lang) if ts.industry else unset,
            }
        )
    df = pd.DataFrame(rows)
    return df.rename(columns={c: t(f"scorecard.settings.column.{c}", lang=lang) for c in df.columns})
