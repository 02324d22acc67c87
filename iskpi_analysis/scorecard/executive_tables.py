"""The words of the executive view (:mod:`.executive`): value and change texts, the organisation's
totals table and the teams' key-KPI table of notebook 01's organisation page, and the sentence of
each action. Used by the notebook and by the report's index (one home for each text); all text
comes from ``messages/*/executive.toml``.
"""

from __future__ import annotations

import math

import pandas as pd

from .. import config, fmt, kpis
from ..catalog import t
from . import executive as ex
from .narrative import per_label, target_text

__all__ = [
    "finite",
    "kpi_label",
    "value_text",
    "change_text",
    "verdict_label",
    "readiness_text",
    "action_sentence",
    "org_display",
    "org_headline",
    "teams_display",
]

_D = config.DEFAULT_LANG


def finite(x) -> bool:
    """A number that is there (not None, not NaN)."""
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and x is not pd.NA


def kpi_label(kpi_id: str, per=None, *, lang: str = _D) -> str:
    """The KPI's name with the unit of its target (``calls`` + ``rep_day`` → 架電数（1人1日あたり）)."""
    p = per_label(per if isinstance(per, str) and per else None, lang=lang)
    name = kpis.label(kpi_id, lang=lang)
    return t("executive.index.kpi_per", lang=lang, kpi=name, per=p) if p else name


def value_text(kpi_id: str, x, *, lang: str = _D) -> str:
    """A KPI value by its unit; an average count (per rep per day) keeps one decimal."""
    if kpis.get(kpi_id).unit == "count" and finite(x) and not float(x).is_integer():
        return fmt.num(x, 1)
    return fmt.kpi_value(kpi_id, x, lang=lang)


def _change(kpi_id: str, change, previous) -> str | None:
    if not (finite(change) and finite(previous)):
        return None
    if kpis.get(kpi_id).unit == "rate":
        return f"{change * 100:+.1f}pt"
    if previous:
        return f"{change / abs(previous) * 100:+.1f}%"
    return f"{change:+,.0f}"


def change_text(kpi_id: str, change, previous, *, lang: str = _D) -> str:
    """The change from last month: percentage points for rates, else percent of last month."""
    s = _change(kpi_id, change, previous)
    return (
        t("executive.index.no_previous", lang=lang)
        if s is None
        else t("executive.index.vs_previous", lang=lang, change=s)
    )


def verdict_label(verdict, *, lang: str = _D) -> str:
    return t(f"executive.verdict.{verdict}", lang=lang) if verdict in ex.VERDICTS else ""


def readiness_text(row: dict | None, *, lang: str = _D) -> str:
    """The team's readiness for the next phase, from a ``team_phase`` row."""
    if row is None:
        return ""
    nxt, ready = row.get("next_phase"), row.get("ready")
    if not isinstance(nxt, str) or not nxt:
        return t("executive.readiness.final", lang=lang) if row.get("phase") == kpis.PHASES[-1] else ""
    if ready is None or (isinstance(ready, float) and math.isnan(ready)):
        return t("executive.readiness.unknown", lang=lang)
    key = "ready" if bool(ready) else "not_yet"
    return t(f"executive.readiness.{key}", lang=lang, next=kpis.phase_label(nxt, lang=lang))


def action_sentence(a: dict, *, team_names: dict, lang: str = _D) -> str:
    """The sentence of one action of :func:`executive.actions` (its codes and figures; ``per``
    the unit of the KPI's target when known)."""
    team = team_names.get(a["team_id"], a["team_id"])
    if a["code"] == "ready":
        return t("executive.action.ready", lang=lang, team=team, next=kpis.phase_label(a["next_phase"], lang=lang))
    k = a["kpi_id"]
    label = kpi_label(k, a.get("per"), lang=lang)
    if a["code"] == "miss":
        gap = abs(a["gap"])
        return t(
            "executive.action.miss",
            lang=lang,
            team=team,
            kpi=label,
            target=target_text(k, a["target"], a.get("target_low"), a.get("target_high"), a.get("per"), lang=lang),
            actual=value_text(k, a["actual"], lang=lang),
            gap=(f"{gap * 100:.1f}pt" if kpis.get(k).unit == "rate" else value_text(k, gap, lang=lang)),
        )
    if a["code"] == "decline":
        return t(
            "executive.action.decline",
            lang=lang,
            team=team,
            kpi=label,
            months=int(a["months"]),
            first=value_text(k, a["first"], lang=lang),
            last=value_text(k, a["last"], lang=lang),
        )
    raise ValueError(f"code must be one of {ex.ACTION_CODES}, got {a['code']!r}")


def org_display(org: pd.DataFrame, *, lang: str = _D) -> pd.DataFrame:
    """The organisation's totals (:func:`executive.org_summary`) as a labelled table."""

    def c(k):
        return t(f"executive.org.{k}", lang=lang)

    return pd.DataFrame(
        {
            c("col_kpi"): [kpis.label(k, lang=lang) for k in org["kpi_id"]],
            c("col_actual"): [value_text(k, x, lang=lang) for k, x in zip(org["kpi_id"], org["actual"])],
            c("col_previous"): [value_text(k, x, lang=lang) for k, x in zip(org["kpi_id"], org["previous"])],
            c("col_change_rel"): [
                _change(k, ch, p) or "–" for k, ch, p in zip(org["kpi_id"], org["change"], org["previous"])
            ],
        }
    )


def teams_display(
    kpi_table: pd.DataFrame, history: pd.DataFrame, *, team_names: dict, team_phase: dict, lang: str = _D
) -> pd.DataFrame:
    """Each team's key KPIs (those of ``history``, in its order) with actual, target, verdict and
    change from the ``kpi_table``; ``team_phase``: team → phase code."""

    def c(k):
        return t(f"executive.org.{k}", lang=lang)

    keys = history[history["team_id"] != "all"][["team_id", "kpi_id", "per", "order"]].drop_duplicates(
        ["team_id", "kpi_id"]
    )
    rows = keys.merge(kpi_table.drop(columns=["per"], errors="ignore"), on=["team_id", "kpi_id"], how="left")
    rows = rows.sort_values(["team_id", "order"])
    return pd.DataFrame(
        {
            c("col_team"): [team_names.get(x, x) for x in rows["team_id"]],
            c("col_phase"): [
                kpis.phase_label(team_phase[x], lang=lang) if team_phase.get(x) in kpis.PHASES else "–"
                for x in rows["team_id"]
            ],
            c("col_kpi"): [kpi_label(k, p, lang=lang) for k, p in zip(rows["kpi_id"], rows["per"])],
            c("col_actual"): [value_text(k, x, lang=lang) for k, x in zip(rows["kpi_id"], rows["actual"])],
            c("col_target"): [value_text(k, x, lang=lang) for k, x in zip(rows["kpi_id"], rows["target"])],
            c("col_verdict"): [verdict_label(v, lang=lang) for v in rows["verdict"]],
            c("col_change"): [
                _change(k, ch, p) or "–" for k, ch, p in zip(rows["kpi_id"], rows["change"], rows["previous"])
            ],
        }
    )


def org_headline(org: pd.DataFrame, *, lang: str = _D) -> list[dict]:
    """The organisation page's headline cards: each total with its change from last month."""
    return [
        {
            "label": kpis.label(r["kpi_id"], lang=lang),
            "value": value_text(r["kpi_id"], r["actual"], lang=lang),
            "note": change_text(r["kpi_id"], r["change"], r["previous"], lang=lang),
        }
        for r in org.to_dict("records")
    ]
