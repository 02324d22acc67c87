"""Phase-diagnosis charts: XmR control chart with the target line, checklist counts against the
seed's rule, skill-gap trend, migration timeline. Each takes computed results (never
aggregates), draws on ``ax`` and returns the Axes; ``team`` prefixes the title with the team's
name. Labels come from the catalog (``phase.plot.*`` in ``messages/<lang>/phase.toml``)."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import config, kpis
from ..phase.rules import RULE
from ._base import axes as _ax
from ._base import text

STATUS_COLORS = {"met": "#2e7d32", "unknown": "#bdbdbd", "not_met": "#eceff1"}
STEP_COLORS = {"preparation": "#90caf9", "parallel": "#42a5f5", "full": "#1565c0"}
__all__ = ["STATUS_COLORS", "STEP_COLORS", "control_chart", "checklist_chart", "skill_gap_chart", "migration_timeline"]


def _t(key: str, lang: str, **fields) -> str:
    """A label of these charts (``phase.plot.<key>`` in ``messages/<lang>/phase.toml``)."""
    return text(f"phase.plot.{key}", lang=lang, **fields)


def _title(ax, title: str, team: str | None, lang: str) -> None:
    ax.set_title(title if team is None else _t("team_title", lang, team=team, title=title))


def control_chart(
    chart: pd.DataFrame, summary: dict, *, ax=None, team: str | None = None, lang: str = config.DEFAULT_LANG
):
    """XmR chart of the team's daily activity with centre line, natural process limits and the
    phase target.

    ``chart``: :func:`phase.activity_stability` chart (time, value, center, lcl, ucl,
    beyond_limits, in_run); ``summary``: its summary dict (kpi, target, mean, lcl, ucl).
    """
    ax = _ax(ax, (9, 4.2))
    t = pd.to_datetime(chart["time"])
    v = chart["value"].to_numpy(float)
    ax.plot(t, v, color="#455a64", lw=1, marker="o", ms=3, label=_t("value", lang), zorder=2)
    if len(chart):
        c, lo, hi = summary["mean"], summary["lcl"], summary["ucl"]
        ax.axhline(c, color="#616161", lw=1.2, label=_t("center", lang, mean=f"{c:.1f}"))
        ax.axhline(lo, color="#9e9e9e", lw=1, ls="--", label=_t("limits", lang, low=f"{lo:.1f}", high=f"{hi:.1f}"))
        ax.axhline(hi, color="#9e9e9e", lw=1, ls="--")
        run = chart["in_run"].to_numpy(bool) & ~chart["beyond_limits"].to_numpy(bool)
        if run.any():
            ax.scatter(t[run], v[run], color="#ef6c00", s=22, zorder=3, label=_t("run", lang))
        out = chart["beyond_limits"].to_numpy(bool)
        if out.any():
            ax.scatter(t[out], v[out], color="#c62828", s=30, marker="D", zorder=4, label=_t("beyond", lang))
    if summary.get("target") is not None:
        ax.axhline(
            summary["target"], color="#c62828", lw=1.6, label=_t("target", lang, target=f"{summary['target']:.0f}")
        )
    lbl = kpis.label(summary["kpi"], lang=lang)
    _title(ax, _t("xmr_title", lang, kpi=lbl), team, lang)
    ax.set_ylabel(lbl)
    ax.set_xlabel(_t("date", lang))
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_minor_locator(mdates.WeekdayLocator(byweekday=0))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ys = [
        x
        for x in (
            np.nanmin(v) if len(v) else None,
            np.nanmax(v) if len(v) else None,
            summary.get("target"),
            summary.get("lcl"),
            summary.get("ucl"),
        )
        if x is not None and np.isfinite(x)
    ]
    if ys:
        pad = (max(ys) - min(ys)) * 0.08 + 1
        ax.set_ylim(min(ys) - pad, max(ys) + pad)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def checklist_chart(
    checklist: pd.DataFrame, classification: dict, *, ax=None, team: str | None = None, lang: str = config.DEFAULT_LANG
):
    """Items met / unknown / not met per phase against the seed's rule (3, 3, 2 items).

    ``checklist``: :func:`phase.checklist`; ``classification``: :func:`phase.classify`.
    """
    ax = _ax(ax, (8, 2.4))
    phases = list(kpis.PHASES)
    y = np.arange(len(phases))[::-1]
    for yi, ph in zip(y, phases):
        rows = checklist[checklist["phase"] == ph]
        left = 0
        for st in ("met", "unknown", "not_met"):
            n = int((rows["status"] == st).sum())
            if n:
                ax.barh(
                    yi,
                    n,
                    left=left,
                    color=STATUS_COLORS[st],
                    edgecolor="#78909c",
                    height=0.55,
                    hatch="//" if st == "unknown" else None,
                )
                left += n
        ax.plot([RULE[ph], RULE[ph]], [yi - 0.38, yi + 0.38], color="#c62828", lw=2.2)
        mark = f"  ← {_t('diagnosed', lang)}" if classification.get("phase") == ph else ""
        ax.text(
            len(rows) + 0.12,
            yi,
            f"{classification['counts'][ph]}/{len(rows)}{mark}",
            va="center",
            fontsize=9.5,
            color="#c62828" if mark else "#212121",
        )
    handles = [
        Patch(
            facecolor=STATUS_COLORS[st],
            edgecolor="#78909c",
            hatch="//" if st == "unknown" else None,
            label=_t(st, lang),
        )
        for st in ("met", "unknown", "not_met")
    ]
    handles.append(Line2D([0], [0], color="#c62828", lw=2.2, label=_t("rule", lang)))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_yticks(y, [kpis.phase_label(ph, lang=lang) for ph in phases])
    ax.set_xlim(0, 5.3)
    ax.set_xticks(range(0, 5))
    ax.set_xlabel(_t("items", lang))
    _title(ax, _t("check_title", lang), team, lang)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def skill_gap_chart(
    monthly: pd.DataFrame,
    *,
    threshold: float,
    kpi: str = "deal_conversion",
    ax=None,
    team: str | None = None,
    lang: str = config.DEFAULT_LANG,
):
    """Between-rep coefficient of variation by month (:func:`phase.skill_dispersion`) with the
    "large gap" threshold."""
    ax = _ax(ax, (7, 3.2))
    m = monthly[monthly["cv"].notna()]
    ax.plot(m["month"], m["cv"], marker="o", color="#5e35b1", lw=1.5)
    for x, yv in zip(m["month"], m["cv"]):
        ax.annotate(f"{yv:.2f}", (x, yv), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.axhline(threshold, color="#c62828", lw=1.2, ls="--", label=_t("threshold", lang, threshold=f"{threshold:.2f}"))
    top = max([threshold, *m["cv"].tolist()]) if len(m) else threshold
    ax.set_ylim(0, top * 1.25)
    ax.set_ylabel(_t("cv", lang))
    _title(ax, _t("gap_title", lang, kpi=kpis.label(kpi, lang=lang)), team, lang)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def migration_timeline(
    plan: pd.DataFrame,
    *,
    month: str,
    ax=None,
    team: str | None = None,
    lang: str = config.DEFAULT_LANG,
    horizon_months: int = 7,
):
    """The seed's migration steps as a timeline from the report month (:func:`phase.migration_plan`
    labelled by :func:`phase.label_plan`: its ``period_text`` and ``step_label`` are drawn)."""
    ax = _ax(ax, (9, 2.6))
    p0 = pd.Period(month, freq="M")
    x0 = p0.start_time
    x1 = (p0 + horizon_months).start_time
    rows = plan.reset_index(drop=True)
    y = np.arange(len(rows))[::-1]
    provisional = len(rows) and (rows["status"] == "provisional").all()
    for yi, r in zip(y, rows.itertuples(index=False)):
        end = r.end if pd.notna(r.end) else x1 - pd.Timedelta(days=1)
        width = (end + pd.Timedelta(days=1) - r.start).days
        ax.barh(
            yi,
            width,
            left=mdates.date2num(r.start),
            height=0.55,
            color=STEP_COLORS[r.step],
            alpha=0.45 if provisional else 1.0,
            edgecolor="#1a237e",
            hatch="//" if provisional else None,
        )
        txt = r.period_text
        ax.text(
            mdates.date2num(r.start) + 3,
            yi,
            txt,
            va="center",
            fontsize=8.5,
            color="white" if r.step == "full" and not provisional else "#0d1b2a",
        )
    ax.axvline(mdates.date2num(x0), color="#424242", lw=1)
    top = (y.max() if len(y) else 0) + 0.5
    ax.axvspan(mdates.date2num(x0), mdates.date2num((p0 + 1).start_time), color="#eeeeee", zorder=0)
    ax.text(mdates.date2num(x0) + 2, top, _t("report", lang), fontsize=8, color="#424242")
    if provisional:  # the month in which the conditions are checked again
        ax.axvspan(
            mdates.date2num((p0 + 1).start_time), mdates.date2num((p0 + 2).start_time), color="#fff8e1", zorder=0
        )
        ax.text(mdates.date2num((p0 + 1).start_time) + 2, top, _t("recheck", lang), fontsize=8, color="#8d6e00")
    ax.set_yticks(y, list(rows["step_label"]))
    ax.set_xlim(mdates.date2num(x0), mdates.date2num(x1))
    ax.set_ylim(-0.6, (y.max() if len(y) else 0) + 0.9)
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    nxt = rows["next_phase"].iloc[0] if len(rows) else None
    title = _t("plan_title", lang, phase=kpis.phase_label(nxt, lang=lang) if nxt else "–")
    _title(ax, title + (_t("provisional", lang) if provisional else ""), team, lang)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
