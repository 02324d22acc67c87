"""The scorecard's narrative layer: the words of the language-neutral results — labels of the
KPI tree, the bottleneck's seed reading, the leadership summary, column headings — all from the
catalog (``messages/<lang>/scorecard.toml``). The notebook's display tables are in :mod:`.tables`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, fmt, funnel, kpis, targets
from ..catalog import has, t
from .tree import team_card

__all__ = [
    "verdict_label",
    "target_text",
    "per_label",
    "level_label",
    "label_tree",
    "format_value",
    "bottleneck_reading",
    "describe_bottleneck",
    "describe_teams",
    "change_text",
    "findings_summary",
    "column_labels",
    "missing_note",
]

_check_lang = kpis._check_lang


def verdict_label(verdict: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """Reader-facing name of a verdict (:data:`targets.VERDICTS`: ``on_target`` → 目標範囲内 / On target)."""
    config.check_option("verdict", verdict, targets.VERDICTS)
    return t(f"scorecard.verdict.{verdict}", lang=lang)


def target_text(kpi_id: str, target, low=np.nan, high=np.nan, per=None, *, lang: str = config.DEFAULT_LANG) -> str:
    """A target as the reader sees it: the seed's range where there is one (``20.0%〜30.0%``), a
    ceiling for "lower is better" KPIs (``50万円以下``), else the point; "–" without a target."""

    def f(x):
        return _fmt_value(kpi_id, x, per, lang)

    low, high, target = (np.nan if x is None else float(x) for x in (low, high, target))
    if np.isfinite(low) and np.isfinite(high):
        return t("scorecard.view.range", lang=lang, low=f(low), high=f(high))
    edge = low if np.isfinite(low) else high if np.isfinite(high) else target
    if not np.isfinite(edge):
        return "–"
    if kpis.get(kpi_id).direction == "lower":
        return t("scorecard.view.ceiling", lang=lang, value=f(edge))
    return f(edge)


def per_label(per: str | None, *, lang: str = config.DEFAULT_LANG) -> str:
    """Reader-facing unit of a target (``rep_day`` → 1人1日あたり / per rep per day); "" for None."""
    return t(f"scorecard.per.{per}", lang=lang) if per else ""


def level_label(level: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """Reader-facing name of a tree level (``team`` / ``rep``)."""
    return t(f"scorecard.level.{level}", lang=lang)


def bottleneck_reading(key: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """The seeds' reading of a low stage rate ``key`` (one of :data:`funnel.READINGS`), in ``lang``."""
    config.check_option("key", key, funnel.READINGS)
    rid = "calls" if key == "calls" else "appointment_rate" if key.startswith("appointment_rate") else key
    return t(
        f"scorecard.reading.{key}",
        lang=lang,
        rate=kpis.label(rid, lang=lang),
        connect=kpis.label("connect_rate", lang=lang),
    )


def describe_bottleneck(b: dict, *, lang: str = config.DEFAULT_LANG) -> dict:
    """:func:`funnel.bottleneck` with its words: ``label`` (the stage rate's KPI label) and
    ``reading`` (the seeds' interpretation), both None when no stage limits."""
    key = b.get("reading_key")
    return {
        **b,
        "label": kpis.label(b["stage"], lang=lang) if b["stage"] else None,
        "reading": bottleneck_reading(key, lang=lang) if key else None,
    }


def describe_teams(teams: dict, tree: pd.DataFrame, *, month: str, lang: str = config.DEFAULT_LANG) -> dict:
    """:func:`team.team_scorecards` with its words in ``lang``: phase_label, the card's labels
    (:func:`label_tree`), the bottleneck's label and reading (:func:`describe_bottleneck`), the
    plan's goal_label and the leadership ``summary`` (:func:`findings_summary`)."""
    _check_lang(lang)
    tree = label_tree(tree, lang=lang)
    out = {}
    for team_id, r in teams.items():
        bn = describe_bottleneck(r["bottleneck"], lang=lang)
        ps = r["plan_summary"] and {
            **r["plan_summary"],
            "goal_label": kpis.label(r["plan_summary"]["goal_kpi"], lang=lang),
        }
        out[team_id] = {
            **r,
            "phase_label": kpis.phase_label(r["phase"], lang=lang),
            "card": label_tree(r["card"], lang=lang),
            "bottleneck": bn,
            "plan_summary": ps,
            "summary": findings_summary(
                tree, team_id=team_id, bottleneck=bn, pacing_rows=r["pacing"], plan=ps, month=month, lang=lang
            ),
        }
    return out


def label_tree(tree: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """The KPI tree (:func:`tree.kpi_tree`) with its reader-facing columns in ``lang``:
    level_label, phase_label, tier_label, label, per_label, verdict_label, value_text, target_text
    (added beside the codes and figures they describe; a labelled tree is returned as is)."""
    if "label" in tree.columns or not len(tree):
        return tree
    out = tree.copy()
    out["phase_label"] = [kpis.phase_label(x, lang=lang) for x in out["phase"]]
    out["level_label"] = [level_label(x, lang=lang) for x in out["level"]]
    out["tier_label"] = [kpis.tier_label(x, lang=lang) for x in out["tier"]]
    out["label"] = [kpis.label(x, lang=lang) for x in out["kpi_id"]]
    out["per_label"] = [per_label(x if isinstance(x, str) else None, lang=lang) for x in out["per"]]
    out["verdict_label"] = [verdict_label(x, lang=lang) for x in out["verdict"]]
    out["value_text"] = [_fmt_value(k, x, p, lang) for k, x, p in zip(out["kpi_id"], out["actual"], out["per"])]
    out["target_text"] = [
        target_text(k, x, lo, hi, p, lang=lang)
        for k, x, lo, hi, p in zip(out["kpi_id"], out["target"], out["low"], out["high"], out["per"])
    ]
    return out


def format_value(kpi_id: str, x, per=None, *, lang: str = config.DEFAULT_LANG) -> str:
    """A KPI value in its unit (per-rep-day counts with one decimal); missing → '–'."""
    return _fmt_value(kpi_id, x, per, lang)


def _fmt_value(kpi_id, x, per, lang):
    if x is None or not np.isfinite(x):
        return "–"
    unit = kpis.get(kpi_id).unit
    if unit == "count" and (per == "rep_day" or (per == "rep_month" and not float(x).is_integer())):
        return fmt.num(x, 1)
    return fmt.kpi_value(kpi_id, x, lang=lang)


def change_text(kpi_id: str, x, per=None, *, lang: str = config.DEFAULT_LANG) -> str:
    """Signed change from last month: rates in percentage points, others in the KPI's unit."""
    if x is None or not np.isfinite(x):
        return "–"
    if kpis.get(kpi_id).unit == "rate":
        return f"{x * 100:+.1f}pt"
    return ("+" if x > 0 else "") + _fmt_value(kpi_id, x, per, lang)


def findings_summary(
    tree: pd.DataFrame,
    *,
    team_id: str | None = None,
    bottleneck: dict | None = None,
    pacing_rows: pd.DataFrame | None = None,
    plan: dict | None = None,
    month: str = "",
    lang: str = config.DEFAULT_LANG,
) -> list[str]:
    """3–5 sentences for leadership, generated from the numbers.

    Parameters
    ----------
    tree : :func:`kpi_tree` output.
    team_id : which team (default: the first team in the tree).
    bottleneck : :func:`funnel.bottleneck` output for that team.
    pacing_rows : :func:`pacing.pacing_table` rows (with targets) for that team.
    plan : dict with goal, goal_label, calls_plain, p_plain, calls_prob, probability,
        calls_projected (optional; month-end projected calls).

    Returns
    -------
    list of sentences in ``lang``: on-track count, what is furthest off, the bottleneck with
    the seed's reading and how sure, the landing forecast, what to do.
    """
    _check_lang(lang)
    tree = label_tree(tree, lang=lang)
    if team_id is None and len(tree):
        team_id = tree["team_id"].iloc[0]
    out = _targets_sentences(team_card(tree, team_id), month=month, lang=lang)
    if bottleneck and bottleneck.get("stage"):
        out.append(_bottleneck_sentence(bottleneck, lang=lang))
    if pacing_rows is not None and len(pacing_rows):
        s = _landing_sentence(pacing_rows, lang=lang)
        if s:
            out.append(s)
    if plan and plan.get("calls_prob"):
        out.append(_plan_sentence(plan, lang=lang))
    if len(out) < 3:  # little to judge (few targets / missing tables): add the activity level
        s = _activity_sentence(tree, team_id, lang=lang)
        if s:
            out.insert(1, s)
    return out[:5]


def _targets_sentences(card: pd.DataFrame, *, month: str, lang: str) -> list[str]:
    """How many phase targets are on track, and the two furthest off (with how sure)."""
    judged = card[card["verdict"].isin(targets.JUDGED)]
    if not len(judged):
        return [t("scorecard.summary.nothing_judged", lang=lang, month=month)]
    ok = judged[judged["verdict"].isin(["ahead", "on_target"])]
    detail = (
        t("scorecard.summary.detail", lang=lang, items=t("scorecard.summary.list_sep", lang=lang).join(ok["label"]))
        if len(ok)
        else ""
    )
    out = [
        t(
            "scorecard.summary.on_track",
            lang=lang,
            month=month,
            phase=card["phase_label"].iloc[0],
            judged=len(judged),
            ok=len(ok),
            detail=detail,
        )
    ]
    bad = judged[judged["verdict"].isin(["watch", "miss"])]
    if len(bad):
        worst = bad.sort_values("attainment").head(2)
        items = [
            t(
                "scorecard.summary.off_item",
                lang=lang,
                label=r.label,
                value=r.value_text,
                per=t("scorecard.summary.per", lang=lang, per=r.per_label) if r.per_label else "",
                target=r.target_text,
                attainment=fmt.pct(r.attainment, 0),
            )
            for r in worst.itertuples()
        ]
        sure = any(r.verdict == "miss" for r in worst.itertuples())
        out.append(
            t(
                "scorecard.summary.off_sure" if sure else "scorecard.summary.off_noise",
                lang=lang,
                items=t("scorecard.summary.item_sep", lang=lang).join(items),
            )
        )
    return out


def _bottleneck_sentence(b: dict, *, lang: str) -> str:
    """The funnel bottleneck with its certainty and the seeds' reading."""
    if b["stage"] == "calls":
        return b["reading"]
    cert = t(
        "scorecard.summary.certainty_sure" if b["certainty"] == "sure" else "scorecard.summary.certainty_likely",
        lang=lang,
    )
    return t(
        "scorecard.summary.bottleneck",
        lang=lang,
        label=b["label"],
        rate=fmt.pct(b["rate"]),
        target=target_text(b["stage"], b["target"], b.get("low"), b.get("high"), lang=lang),
        certainty=cert,
        reading=b["reading"],
    )


def _kpi_text(kpi_id: str, x, lang: str) -> str:
    """A count or amount of the pacing table in its unit."""
    return fmt.yen(x, lang=lang) if kpis.get(kpi_id).unit == "jpy" else fmt.num(x)


def _landing_sentence(pacing_rows: pd.DataFrame, *, lang: str) -> str | None:
    """The month-end landing of the most-behind paced KPI (or how it landed, month over)."""
    pr = pacing_rows[pacing_rows["target"].notna() & (pacing_rows["remaining"] > 0)]
    if len(pr):
        r = pr.sort_values("projected_attainment").iloc[0]
        k = r["kpi_id"]
        return t(
            "scorecard.summary.landing",
            lang=lang,
            kpi=kpis.label(k, lang=lang),
            projected=_kpi_text(k, r["projected"], lang),
            low=_kpi_text(k, r["projected_low"], lang),
            high=_kpi_text(k, r["projected_high"], lang),
            target=_kpi_text(k, r["target"], lang),
            chance=fmt.pct(r["p_reach"], 0),
        )
    done = pacing_rows[pacing_rows["target"].notna()]
    if not len(done):
        return None
    r = done.sort_values("projected_attainment").iloc[0]
    k = r["kpi_id"]
    return t(
        "scorecard.summary.landed",
        lang=lang,
        kpi=kpis.label(k, lang=lang),
        actual=_kpi_text(k, r["actual"], lang),
        target=_kpi_text(k, r["target"], lang),
        attainment=fmt.pct(r["projected_attainment"], 0),
    )


def _plan_sentence(plan: dict, *, lang: str) -> str:
    """The activity that makes the goal likely, against the plain reverse plan — or, when the
    month's actual already reached the goal, that it did (never fewer calls than were made as
    the way to a goal the team already passed)."""
    cur = plan.get("calls_actual")
    if plan.get("reached"):
        return t(
            "scorecard.summary.plan_reached",
            lang=lang,
            goal_label=plan["goal_label"],
            goal=fmt.num(plan["goal"]),
            actual=fmt.num(plan["goal_actual"]),
            calls=fmt.num(cur) if cur is not None else "",
            calls_plain=fmt.num(plan["calls_plain"]),
        )
    if plan.get("goal_actual") is not None and cur is not None:
        cur_text = t(
            "scorecard.summary.plan_current_actual",
            lang=lang,
            goal_label=plan["goal_label"],
            actual=fmt.num(plan["goal_actual"]),
            calls=fmt.num(cur),
        )
    else:
        cur_text = "" if cur is None else t("scorecard.summary.plan_current", lang=lang, calls=fmt.num(cur))
    return t(
        "scorecard.summary.plan",
        lang=lang,
        goal_label=plan["goal_label"],
        goal=f"{plan['goal']:g}",
        calls_plain=fmt.num(plan["calls_plain"]),
        p_plain=fmt.pct(plan["p_plain"], 0),
        calls_prob=fmt.num(plan["calls_prob"]),
        probability=fmt.pct(plan["probability"], 0),
        current=cur_text,
    )


def _activity_sentence(tree: pd.DataFrame, team_id, *, lang: str) -> str | None:
    """This month's calls and connect rate (when little else can be judged)."""
    tt = tree[(tree["team_id"] == team_id) & (tree["level"] == "team")].set_index("kpi_id")
    if not ("calls" in tt.index and "connect_rate" in tt.index):
        return None
    c, r = tt.loc["calls"], tt.loc["connect_rate"]
    return t(
        "scorecard.summary.activity",
        lang=lang,
        calls_label=c["label"],
        per=c["per_label"],
        calls=c["value_text"],
        rate_label=r["label"],
        rate=r["value_text"],
        ci=fmt.ci(r["ci_low"], r["ci_high"]),
    )


# ---------------------------------------------------------------------------------------------
# reader-facing column names of the scorecard tables
def column_labels(df: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """``df`` with its known columns renamed to reader-facing labels in ``lang``."""
    return df.rename(
        columns={
            c: t(f"scorecard.column.{c}", lang=lang) for c in df.columns if has(f"scorecard.column.{c}", lang=lang)
        }
    )


#: kept for notebooks written against the scorecard module; the rule lives in fmt
missing_note = fmt.missing_note
