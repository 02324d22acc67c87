"""Scorecard charts: attainment cards, funnel, month-end pacing, quality vs win rate, response
time. Each takes computed results (never aggregates), draws on ``ax`` and returns the Axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import config, fmt, kpis
from ..catalog import t
from ._base import axes as _ax

__all__ = [
    "VERDICT_COLORS",
    "attainment_cards",
    "funnel_chart",
    "pacing_chart",
    "quality_win_chart",
    "response_time_chart",
    "style_verdicts",
]

#: one colour per verdict (:data:`targets.VERDICTS`): green ahead / on target, amber watch, red
#: miss, grey for what is not judged (参考値, too few trials, no target)
VERDICT_COLORS = {
    "ahead": "#1b5e20",
    "on_target": "#43a047",
    "watch": "#f9a825",
    "miss": "#c62828",
    "reference": "#90a4ae",
    "small": "#bdbdbd",
    "none": "#cfd8dc",
}


def _t(key: str, lang: str, **fields) -> str:
    return t(f"scorecard.plot.{key}", lang=lang, **fields)


def attainment_cards(card: pd.DataFrame, *, ax=None, lang: str = config.DEFAULT_LANG, cap: float = 2.0):
    """Horizontal attainment bars of the team's phase KPIs, coloured by verdict.

    ``card``: rows of :func:`scorecard.team_card` (label, tier_label, attainment, verdict,
    value_text, target_text). Bars are capped at ``cap`` (the text shows the real value).
    """
    c = card.reset_index(drop=True)
    ax = _ax(ax, (8, 0.45 * len(c) + 1.2))
    y = np.arange(len(c))[::-1]
    att = c["attainment"].astype(float).fillna(0).clip(upper=cap)
    ax.barh(y, att, color=[VERDICT_COLORS[a] for a in c["verdict"]], height=0.6)
    ax.axvline(1.0, color="#424242", lw=1, ls="--")
    for yi, a, r in zip(y, att, c.itertuples()):
        txt = f"{fmt.pct(r.attainment, 0)}  ({r.value_text} / {_t('target', lang)} {r.target_text})"
        if r.verdict == "small":
            txt += f" {_t('too_small', lang)}"
        ax.text(a + 0.02, yi, txt, va="center", fontsize=9, color="#757575" if r.verdict == "small" else "#212121")
    ax.set_yticks(y, [f"{r.label}" for r in c.itertuples()])
    ax.set_xlim(0, cap * 1.6)
    ax.set_xlabel(_t("attainment", lang))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title(_t("cards_title", lang))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def funnel_chart(stages: pd.DataFrame, *, ax=None, lang: str = config.DEFAULT_LANG, bottleneck: str | None = None):
    """Funnel counts (log scale) with each stage rate, its Wilson interval and target.

    ``stages``: :func:`funnel.funnel` output. The bottleneck stage rate (id) is drawn in red.
    """
    from ..scorecard.narrative import target_text  # the one way a target reads (range, ceiling, point)

    s = stages.reset_index(drop=True)
    ax = _ax(ax, (9, 4.5))
    y = np.arange(len(s))[::-1]
    colors = []
    for r in s.itertuples():
        if r.rate_id is not None and r.rate_id == bottleneck:
            colors.append(VERDICT_COLORS["miss"])
        elif isinstance(r.rate_id, str) and r.too_small:
            colors.append(VERDICT_COLORS["small"])
        else:
            colors.append("#1565c0")
    counts = s["count"].astype(float).clip(lower=0.8)
    ax.barh(y, counts, color=colors, height=0.6)
    ax.set_xscale("log")
    ax.set_yticks(y, [kpis.label(st, lang=lang) for st in s["stage"]])
    xmin = max(0.8, 10 ** np.floor(np.log10(max(counts.min(), 1.0)) - 0.3))
    ax.set_xlim(xmin, counts.max() * 40)
    for yi, r in zip(y, s.itertuples()):
        txt = fmt.num(r.count)
        if isinstance(r.rate_id, str):
            txt += f"   {kpis.label(r.rate_id, lang=lang)} {fmt.pct(r.rate)} {fmt.ci(r.ci_low, r.ci_high)}"
            tt = target_text(r.rate_id, r.target, r.low, r.high, lang=lang)
            if tt != "–":
                txt += f"  {_t('target', lang)} {tt}"
            if r.too_small:
                txt += f" ({_t('too_small', lang)})"
        ax.text(
            max(r.count, 0.8) * 1.1,
            yi,
            txt,
            va="center",
            fontsize=9,
            color="#757575" if (isinstance(r.rate_id, str) and r.too_small) else "#212121",
        )
    ax.set_xlabel(_t("count", lang))
    ax.set_title(_t("funnel_title", lang))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def pacing_chart(path: pd.DataFrame, projection: dict, *, kpi_id: str, ax=None, lang: str = config.DEFAULT_LANG):
    """Cumulative actual by business day, the projection band to month end and the target pace.

    ``path``: :func:`pacing.cumulative_path`; ``projection``: one :func:`pacing.project` dict
    (or pacing_table row) for the same KPI.
    """
    ax = _ax(ax, (8, 4))
    obs = path[path["observed"]]
    ax.plot(obs["day_index"], obs["cumulative"], marker="o", ms=3, color="#1565c0", label=_t("actual", lang))
    n = int(projection["business_days"])
    e = int(projection["elapsed"])
    if projection["remaining"] > 0 and e > 0 and np.isfinite(projection["projected"]):
        x = np.array([e, n])
        a = projection["actual"]
        ax.plot(x, [a, projection["projected"]], ls="--", color="#1565c0")
        frac = np.array([0.0, 1.0])
        ax.fill_between(
            x,
            a + frac * (projection["projected_low"] - a),
            a + frac * (projection["projected_high"] - a),
            color="#1565c0",
            alpha=0.15,
            label=_t("projection", lang),
        )
        ax.errorbar(
            [n],
            [projection["projected"]],
            yerr=[
                [projection["projected"] - projection["projected_low"]],
                [projection["projected_high"] - projection["projected"]],
            ],
            fmt="o",
            color="#1565c0",
            capsize=4,
        )
    t = projection.get("target", np.nan)
    if t is not None and np.isfinite(t):
        ax.plot([0, n], [0, t], color="#757575", ls=":", label=_t("ideal", lang))
        ax.axhline(t, color="#c62828", lw=1, label=f"{_t('target', lang)} {fmt.kpi_value(kpi_id, t, lang=lang)}")
    ax.set_xlim(0, n + 0.5)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(_t("bday", lang))
    ax.set_ylabel(_t("cumulative", lang, kpi=kpis.label(kpi_id, lang=lang)))
    if kpis.get(kpi_id).unit == "jpy":
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt.yen(v, lang=lang)))
    ax.set_title(_t("pacing_title", lang, kpi=kpis.label(kpi_id, lang=lang)))
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def quality_win_chart(bands: pd.DataFrame, *, ax=None, lang: str = config.DEFAULT_LANG, target: float | None = None):
    """Handoff win rate by quality-score band with Wilson intervals; small bands muted.

    ``bands``: :func:`quality.win_rate_by_score`; ``target``: win-rate target line (optional).
    """
    ax = _ax(ax, (7, 3.8))
    b = bands.reset_index(drop=True)
    x = np.arange(len(b))
    rate = b["rate"].astype(float)
    colors = [VERDICT_COLORS["small"] if s else "#1565c0" for s in b["too_small"]]
    ax.bar(x, rate.fillna(0), color=colors, width=0.6)
    ok = rate.notna().to_numpy()
    ax.errorbar(
        x[ok],
        rate[ok],
        yerr=[rate[ok] - b["ci_low"][ok], b["ci_high"][ok] - rate[ok]],
        fmt="none",
        color="#212121",
        capsize=4,
    )
    for xi, r in zip(x, b.itertuples()):
        ax.text(
            xi,
            0.01,
            f"n={r.n}",
            ha="center",
            va="bottom",
            fontsize=8,
            color="white" if r.n and not r.too_small else "#616161",
        )
    if target is not None and np.isfinite(target):
        ax.axhline(target, color="#c62828", ls="--", lw=1, label=f"{_t('target', lang)} {fmt.pct(target, 0)}")
        ax.legend(frameon=False, fontsize=8)
    ax.set_xticks(x, b["band"])
    ax.set_xlabel(_t("score_band", lang))
    ax.set_ylabel(_t("win_rate", lang))
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title(_t("quality_title", lang))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def response_time_chart(rt: pd.DataFrame, *, ax=None, lang: str = config.DEFAULT_LANG, max_minutes: float = 8 * 60):
    """Histogram of business minutes to first touch (touched leads), 1-hour line."""
    ax = _ax(ax, (7, 3.5))
    m = rt.loc[rt["touched"], "business_minutes"].astype(float).clip(upper=max_minutes)
    ax.hist(m, bins=np.arange(0, max_minutes + 30, 30), color="#1565c0", alpha=0.85)
    ax.axvline(60, color="#c62828", ls="--", lw=1, label=_t("one_hour", lang))
    ax.set_xlabel(_t("minutes", lang))
    ax.set_ylabel(_t("leads", lang))
    ax.set_title(_t("rt_title", lang))
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def style_verdicts(table: pd.DataFrame, verdicts: pd.DataFrame):
    """A pandas Styler colouring each cell of ``table`` by the verdict in the same position of
    ``verdicts`` (same shape/labels; e.g. :func:`scorecard.rep_table` with value="value_text"
    and value="verdict"); light tints of :data:`VERDICT_COLORS`."""
    light = {
        "ahead": "#a5d6a7",
        "on_target": "#c8e6c9",
        "watch": "#fff59d",
        "miss": "#ffcdd2",
        "reference": "#eceff1",
        "small": "#eeeeee",
        "none": "",
    }

    def colour(_):
        return verdicts.reindex_like(table).map(
            lambda a: (
                f"background-color: {light.get(a, '')}; color: {'#9e9e9e' if a == 'small' else '#212121'}"
                if isinstance(a, str) and a in light
                else ""
            )
        )

    return table.style.apply(colour, axis=None).hide(axis="index")
