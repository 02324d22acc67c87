"""Correlation charts (notebook 03): the within-rep heatmap, the levels of a pair side by side,
and the scatter behind a pair coloured by rep. Each takes computed results from
:mod:`iskpi_analysis.correlation`, draws on ``ax`` and returns the Axes; nothing is aggregated here."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from .. import config, kpis
from .. import correlation as cor
from ..catalog import t
from ._base import axes as _ax
from ._base import with_period

__all__ = ["heatmap", "levels", "scatter"]


def _axis_order(kind: str, present_x, present_y) -> tuple[list[str], list[str]]:
    if kind == "activity_efficiency":
        xs, ys = cor.ACTIVITY_KPIS, cor.EFFICIENCY_KPIS
    else:
        xs, ys = (*cor.ACTIVITY_KPIS, *cor.EFFICIENCY_KPIS), cor.KGI_KPIS
    return [k for k in xs if k in set(present_x)], [k for k in ys if k in set(present_y)]


def heatmap(
    results: pd.DataFrame,
    *,
    kind: str = "activity_efficiency",
    level: str = "within",
    lag: int = 0,
    grain: str = "week",
    ax=None,
    lang: str = config.DEFAULT_LANG,
    period: str | None = None,
):
    """Matrix of r for one level and lag; cells that are not significant after BH are faded.

    ``results``: output of :func:`correlation.kpi_correlations`. Rows are the x KPIs (activity,
    or every KPI for ``kind='kpi_kgi'``), columns the y KPIs. Each non-significant or empty cell
    gets one white overlay patch (so ``len(ax.patches)`` counts the muted cells); cells tied by
    arithmetic carry a dagger. ``period``: the window analysed (``timing.period_label``), said
    in the title.
    """
    if kind not in cor.KINDS:
        raise ValueError(f"kind must be one of {cor.KINDS}, got {kind!r}")
    if level not in cor.LEVELS:
        raise ValueError(f"level must be one of {cor.LEVELS}, got {level!r}")
    if lag not in (0, 1):
        raise ValueError(f"lag must be one of (0, 1), got {lag!r}")
    sel = results[(results["kind"] == kind) & (results["level"] == level) & (results["lag"] == lag)]
    if sel.empty:
        raise ValueError(f"results have no rows for kind={kind!r}, level={level!r}, lag={lag}")
    xs, ys = _axis_order(kind, sel["x"], sel["y"])
    cell = sel.set_index(["x", "y"])
    r = np.array([[cell["r"].get((a, b), np.nan) for b in ys] for a in xs], dtype=float)
    ax = _ax(ax, (1.5 * len(ys) + 2.8, 0.62 * len(xs) + 1.6))
    lim = max(0.3, float(np.ceil(np.nanmax(np.abs(r), initial=0) * 10) / 10))
    im = ax.imshow(np.nan_to_num(r), cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    for i, a in enumerate(xs):
        for j, b in enumerate(ys):
            key = (a, b)
            v = r[i, j]
            sig = bool(cell["significant"].get(key, False)) and np.isfinite(v)
            dagger = "†" if cell["mechanical"].get(key, False) else ""
            if not sig:
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        facecolor="white",
                        alpha=0.72,
                        edgecolor="none",
                        hatch=None if np.isfinite(v) else "///",
                    )
                )
            txt = "–" if not np.isfinite(v) else f"{v:+.2f}{dagger}"
            # no bold: the bundled IPAexGothic has a single weight
            ax.text(
                j,
                i,
                txt,
                ha="center",
                va="center",
                fontsize=10,
                color=("white" if abs(v) > 0.6 * lim else "#111111") if sig else "#9e9e9e",
            )
    ax.set_xticks(range(len(ys)), [kpis.label(b, lang=lang) for b in ys], rotation=25, ha="right")
    ax.set_yticks(range(len(xs)), [kpis.label(a, lang=lang) for a in xs])
    per = cor.period_word(grain, lang=lang)
    lag_txt = t("correlation.plot.lag", lang=lang, per=per) if lag else ""
    title = t("correlation.plot.heatmap_title", lang=lang, level=cor.level_label(level, lang=lang), lag=lag_txt)
    ax.set_title(with_period(title, period, lang=lang))
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="r")
    # the key goes in the x label, which matplotlib places below the rotated tick labels
    ax.set_xlabel(t("correlation.plot.muted", lang=lang), fontsize=8, color="#616161", loc="left")
    return ax


def levels(
    results: pd.DataFrame,
    pairs,
    *,
    lag: int = 0,
    ax=None,
    lang: str = config.DEFAULT_LANG,
    period: str | None = None,
):
    """Forest plot: for each ``(x, y)`` pair, r with its 95 % CI at every level side by side, so
    a sign that flips between within-rep and between-rep/pooled (Simpson) is visible at once.
    ``period``: the window analysed (``timing.period_label``), said in the title."""
    pairs = list(pairs)
    if not pairs:
        raise ValueError("pairs must name at least one (x, y) pair")
    sel = results[results["lag"] == lag].set_index(["x", "y", "level"])
    ax = _ax(ax, (8, 0.9 * len(pairs) + 1.4))
    colours = {"within": "#1565c0", "within_spearman": "#64b5f6", "between": "#ef6c00", "pooled": "#757575"}
    offs = np.linspace(0.27, -0.27, len(cor.LEVELS))
    for i, (x, y) in enumerate(pairs):
        base = len(pairs) - 1 - i
        for off, level in zip(offs, cor.LEVELS):
            if (x, y, level) not in sel.index:
                continue
            row = sel.loc[(x, y, level)]
            if not np.isfinite(row["r"]):
                continue
            lo, hi = row["ci_low"], row["ci_high"]
            err = None if not (np.isfinite(lo) and np.isfinite(hi)) else [[row["r"] - lo], [hi - row["r"]]]
            ax.errorbar(
                row["r"],
                base + off,
                xerr=err,
                fmt="o",
                color=colours[level],
                ms=5,
                capsize=2,
                label=cor.level_label(level, lang=lang) if i == 0 else None,
            )
    ax.axvline(0, color="#424242", lw=0.8)
    ax.set_yticks(
        range(len(pairs))[::-1], [f"{kpis.label(x, lang=lang)} × {kpis.label(y, lang=lang)}" for x, y in pairs]
    )
    ax.set_xlim(-1, 1)
    ax.set_xlabel("r")
    ax.set_title(with_period(t("correlation.plot.levels_title", lang=lang), period, lang=lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=len(cor.LEVELS), fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def scatter(
    points: pd.DataFrame,
    *,
    x: str,
    y: str,
    result=None,
    ax=None,
    lang: str = config.DEFAULT_LANG,
    max_legend: int = 8,
    lag: int = 0,
    names: dict | None = None,
):
    """The rep-periods behind one pair, coloured by rep, with each rep's line at the common
    within-rep slope (what the repeated-measures correlation measures).

    ``points``: output of :func:`correlation.pair_points`; ``result``: the pair's 'within' row of
    :func:`correlation.kpi_correlations` (for the title), optional; ``names``: rep_id → name
    for the legend.
    """
    if not {"rep_id", "x", "y", "fit"} <= set(points.columns):
        raise ValueError("points must come from correlation.pair_points (columns rep_id, x, y, fit)")
    ax = _ax(ax, (7.5, 5))
    reps = list(dict.fromkeys(points["rep_id"]))
    cmap = plt.get_cmap("tab20")
    colors = np.array([cmap(i % 20) for i in range(len(reps))]).reshape(-1, 4)
    # one collection for every rep's points and one for their lines (one artist per rep took
    # minutes for an organisation of 1,000 reps); the legend names the first reps
    code = pd.Categorical(points["rep_id"], categories=reps).codes
    order = np.lexsort((points["x"].to_numpy(float), code))
    xs, ys, fit, code = (np.asarray(v)[order] for v in (points["x"], points["y"], points["fit"], code))
    ax.scatter(xs, ys, s=14, c=colors[code], alpha=0.7)
    cuts = np.flatnonzero(np.diff(code)) + 1
    lines = [np.column_stack(v) for v in zip(np.split(xs, cuts), np.split(fit, cuts))] if len(xs) else []
    ax.add_collection(LineCollection(lines, colors=colors[np.unique(code)] if len(xs) else None, linewidths=1.2))
    ax.autoscale_view()
    for i, rep in enumerate(reps[:max_legend]):
        ax.scatter([], [], s=14, color=colors[i], alpha=0.7, label=(names or {}).get(rep, rep))
    if len(reps) > max_legend:
        ax.plot([], [], " ", label=t("correlation.plot.others", lang=lang, n=len(reps) - max_legend))
    for axis, k in ((ax.xaxis, x), (ax.yaxis, y)):
        if k in kpis.all_kpis() and kpis.get(k).unit == "rate":
            axis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(kpis.label(x, lang=lang))
    ax.set_ylabel(kpis.label(y, lang=lang) + (t("correlation.plot.next", lang=lang) if lag else ""))
    if result is not None and np.isfinite(result["r"]):
        ci = f"[{result['ci_low']:+.2f}, {result['ci_high']:+.2f}]"
        ax.set_title(
            t(
                "correlation.plot.scatter_title",
                lang=lang,
                x=kpis.label(x, lang=lang),
                y=kpis.label(y, lang=lang),
                r=f"{result['r']:+.2f}",
                ci=ci,
            ),
            fontsize=11,
        )
    ax.legend(fontsize=7, frameon=False, loc="best", title=t("correlation.plot.fit", lang=lang), title_fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
