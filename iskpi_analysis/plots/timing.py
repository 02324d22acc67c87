"""Time-of-day charts (issue 4): hour × weekday heatmap, hourly rate with Wilson bands, raw vs
rep-adjusted effects, rates by breakdown group.

Each function takes tables computed by :mod:`iskpi_analysis.timing` (never the raw calls), draws
on ``ax`` (a new figure when None) and returns the Axes. Buckets flagged ``too_small`` are drawn
as hatched grey, never coloured as if their rate were real. Labels come from the catalog
(``messages/<lang>/timing.toml``, ``timing.plot.*``) and the label helpers of
:mod:`iskpi_analysis.timing` (Japanese by default, ``lang="en"`` for English).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import ticker as mticker
from matplotlib.patches import Patch, Rectangle

from .. import config, fmt, kpis
from .. import timing as tm
from ._base import axes as _ax
from ._base import text, with_period

__all__ = ["heatmap", "hourly_rate", "adjusted_effects", "group_rates"]

SMALL_FACE = "#eeeeee"
SMALL_EDGE = "#9e9e9e"
SMALL_HATCH = "///"
VERDICT_COLORS = {
    "above": "#1565c0",
    "below": "#c62828",
    "small": "#8d6e63",
    "neutral": "#757575",
    "too_small": SMALL_EDGE,
}
RAW_COLOR = "#9e9e9e"
ACCENT = "#1565c0"


def _t(key: str, lang: str, **fields) -> str:
    """A chart label from the catalog (``timing.plot.<key>``)."""
    return text(f"timing.plot.{key}", lang=lang, **fields)


def _need(table: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {missing}; got {list(table.columns)}")


def _legend_below(ax, handles, labels, ncol: int, y: float = -0.14):
    """Legend under the axes, filled row by row (matplotlib fills columns first)."""
    ncol = max(1, min(ncol, len(handles)))
    rows = -(-len(handles) // ncol)
    order = [r * ncol + c for c in range(ncol) for r in range(rows) if r * ncol + c < len(handles)]
    return ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="upper center",
        bbox_to_anchor=(0.5, y),
        ncol=ncol,
        frameon=False,
        fontsize=8,
    )


def _pct_axis(axis) -> None:
    # decimals=None: as many decimals as the tick spacing needs (no two ticks read "18%")
    axis.set_major_formatter(mticker.PercentFormatter(xmax=1.0, decimals=None))


def _rate_digits(values) -> int:
    """One decimal for small rates (e.g. appointments per call), none otherwise."""
    v = pd.Series(values, dtype=float).dropna()
    return 1 if len(v) and v.max() < 0.1 else 0


def _empty(ax, lang: str, title: str):
    ax.text(0.5, 0.5, _t("no_data", lang), ha="center", va="center", transform=ax.transAxes, color=SMALL_EDGE)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _average(average):
    if isinstance(average, dict):
        average = average.get("rate")
    return None if average is None or not np.isfinite(average) else float(average)


def _colour_scale(shown: np.ndarray, avg):
    """A diverging scale centred on the average (or a plain one), and the colour bar's extension."""
    if not (len(shown) and avg is not None):
        lo, hi = (np.nanmin(shown), np.nanmax(shown)) if len(shown) else (0, 1)
        return mcolors.Normalize(vmin=lo, vmax=hi), "neither"
    # the 95th percentile of the distance from the average sets the scale, so that one
    # extreme (but large enough) cell does not wash out the others; it gets the end colour
    dev = np.abs(shown - avg)
    half = max(float(np.percentile(dev, 95)), 1e-9)
    extend = "both" if dev.max() > half * 1.001 else "neither"
    return mcolors.CenteredNorm(vcenter=avg, halfrange=half), extend


def _hatch_cells(ax, small: np.ndarray) -> None:
    for (i, j), s in np.ndenumerate(small):
        if s:
            ax.add_patch(
                Rectangle(
                    (j - 0.5, i - 0.5),
                    1,
                    1,
                    facecolor=SMALL_FACE,
                    edgecolor="white",
                    hatchcolor=SMALL_EDGE,
                    hatch=SMALL_HATCH,
                    lw=0.8,
                )
            )


def _annotate_cells(ax, rate, n, small, cm, norm, *, digits: int) -> None:
    """The rate in each cell (dark text on light colours), ``n=…`` in too-small cells."""
    for (i, j), v in np.ndenumerate(rate):
        if small[i, j]:
            box = dict(facecolor=SMALL_FACE, edgecolor="none", pad=1)
            ax.text(j, i, f"n={fmt.num(n[i, j])}", ha="center", va="center", fontsize=7, color="#616161", bbox=box)
        else:
            r, g, b, _ = cm(norm(v))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(
                j, i, fmt.pct(v, digits), ha="center", va="center", fontsize=8, color="white" if dark else "#212121"
            )


# ----------------------------------------------------------------------------- heatmap
def heatmap(
    by_cell: pd.DataFrame,
    *,
    metric: str = "connect_rate",
    average=None,
    min_trials: int | None = None,
    annotate: bool = True,
    cmap: str = "RdBu",
    ax=None,
    lang: str = config.DEFAULT_LANG,
    period: str | None = None,
):
    """Weekday × hour heatmap of a rate; buckets below ``min_trials`` hatched grey, not coloured.

    Parameters
    ----------
    by_cell : DataFrame
        ``timing.rate_table(..., by=("weekday", "hour"))`` (``TimingResult.by_cell``): weekday,
        hour, n, rate, too_small.
    metric : str
        The metric of the table (labels only).
    average : float or dict, optional
        Overall rate (or ``TimingResult.overall``): the centre of the diverging colour scale, so
        blue = above the average and red = below. None: a plain scale.
    min_trials : int, optional
        The threshold used for ``too_small`` (legend text only).
    annotate : bool
        Write the rate in each cell (``n=…`` in too-small cells).
    period : str, optional
        The window the table covers (``timing.period_label``), said in the title.
    """
    config.check_option("metric", metric, tm.METRICS)
    config.check_option("lang", lang, config.LANGS)
    _need(by_cell, ["weekday", "hour", "n", "rate", "too_small"], "heatmap")
    title = with_period(_t("heatmap_title", lang, m=tm.metric_label(metric, lang=lang)), period, lang=lang)
    if not len(by_cell):
        return _empty(_ax(ax, (9, 3.5)), lang, title)
    t = by_cell.sort_values(["weekday", "hour"])
    weekdays = sorted(t["weekday"].unique())
    hours = sorted(t["hour"].unique())
    grid = t.set_index(["weekday", "hour"]).reindex(
        pd.MultiIndex.from_product([weekdays, hours], names=["weekday", "hour"])
    )
    rate = grid["rate"].to_numpy(float).reshape(len(weekdays), len(hours))
    n = grid["n"].fillna(0).to_numpy(float).reshape(rate.shape)
    small = grid["too_small"].fillna(True).astype(bool).to_numpy().reshape(rate.shape) | ~np.isfinite(rate)
    masked = np.ma.masked_array(rate, mask=small)

    ax = _ax(ax, (max(6.0, 0.72 * len(hours) + 2.4), 0.5 * len(weekdays) + 1.9))
    avg = _average(average)
    shown = rate[~small]
    norm, extend = _colour_scale(shown, avg)
    cm = plt.get_cmap(cmap).with_extremes(bad=SMALL_FACE)
    im = ax.imshow(masked, cmap=cm, norm=norm, aspect="auto", interpolation="nearest")
    _hatch_cells(ax, small)
    if annotate:
        _annotate_cells(ax, rate, n, small, cm, norm, digits=_rate_digits(shown) + 1)
    labels = tm.column_labels(lang=lang)
    ax.set_xticks(range(len(hours)), [tm.hour_label(h, lang=lang) for h in hours], fontsize=8)
    ax.set_yticks(range(len(weekdays)), [tm.weekday_label(d, lang=lang) for d in weekdays])
    ax.set_xlabel(labels["hour"])
    ax.set_ylabel(labels["weekday"])
    ax.set_title(title, loc="left")
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.035, pad=0.02, extend=extend)
    _pct_axis(cb.ax.yaxis)
    m = tm.metric_label(metric, lang=lang)
    cb.set_label(_t("colour_centre", lang, m=m, v=fmt.pct(avg)) if avg is not None else m, fontsize=8)
    cb.ax.tick_params(labelsize=8)
    if small.any():
        note = _t("too_small", lang, n=min_trials) if min_trials is not None else _t("too_small_nomin", lang)
        ax.legend(
            handles=[Patch(facecolor=SMALL_FACE, edgecolor=SMALL_EDGE, hatch=SMALL_HATCH, label=note)],
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            borderaxespad=0.2,
            frameon=False,
            fontsize=8,
        )
    return ax


def _volume_bars(ax, hours, n, *, metric: str, lang: str):
    """The trials of each hour as light bars on a right-hand axis, drawn behind the rate."""
    vol = ax.twinx()
    label = _t("volume", lang, d=kpis.label(tm.METRICS[metric][1], lang=lang))
    vol.bar(hours, n, width=0.7, color="#cfd8dc", alpha=0.6, zorder=0, label=label)
    vol.set_ylim(0, n.max() * 3.2)
    vol.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt.num(v)))
    vol.tick_params(labelsize=8, colors="#90a4ae")
    vol.spines[["top"]].set_visible(False)
    ax.set_zorder(vol.get_zorder() + 1)
    ax.patch.set_visible(False)
    return vol


# ----------------------------------------------------------------------------- hourly rate
def hourly_rate(
    by_hour: pd.DataFrame,
    *,
    metric: str = "connect_rate",
    average=None,
    min_trials: int | None = None,
    show_volume: bool = True,
    ax=None,
    lang: str = config.DEFAULT_LANG,
    period: str | None = None,
):
    """Rate by hour with its Wilson 95 % band, the overall average line and (optionally) the
    number of calls per hour as light bars on a right-hand axis.

    ``by_hour``: ``timing.rate_table(..., by="hour")`` (``TimingResult.by_hour``); too-small
    hours are drawn as hollow grey markers without a band. ``average``: overall rate or
    ``TimingResult.overall``. ``period``: the window covered (``timing.period_label``), in the title.
    """
    config.check_option("metric", metric, tm.METRICS)
    config.check_option("lang", lang, config.LANGS)
    _need(by_hour, ["hour", "n", "rate", "ci_low", "ci_high", "too_small"], "hourly_rate")
    m = tm.metric_label(metric, lang=lang)
    title = with_period(_t("hourly_title", lang, m=m), period, lang=lang)
    ax = _ax(ax, (9, 4))
    t = by_hour[by_hour["n"] > 0].sort_values("hour")
    if not len(t):
        return _empty(ax, lang, title)
    hours = t["hour"].to_numpy()
    ok = ~t["too_small"].to_numpy(bool)
    vol = _volume_bars(ax, hours, t["n"], metric=metric, lang=lang) if show_volume else None
    rate = t["rate"].to_numpy(float)
    lo, hi = t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float)
    ax.fill_between(
        hours,
        np.where(ok, lo, np.nan),
        np.where(ok, hi, np.nan),
        color=ACCENT,
        alpha=0.18,
        lw=0,
        label=_t("ci_band", lang),
    )
    ax.plot(hours, np.where(ok, rate, np.nan), marker="o", ms=4, color=ACCENT, label=m)
    if (~ok).any():
        ax.plot(
            hours[~ok],
            rate[~ok],
            ls="none",
            marker="o",
            ms=6,
            mfc="white",
            mec=SMALL_EDGE,
            label=(_t("small_point", lang, n=min_trials) if min_trials is not None else _t("small_point_nomin", lang)),
        )
    avg = _average(average)
    if avg is not None:
        ax.axhline(avg, color="#424242", ls="--", lw=1, label=_t("overall", lang, v=fmt.pct(avg)))
    ax.set_xticks(hours, [tm.hour_label(h, lang=lang) for h in hours], fontsize=8)
    ax.set_xlim(hours.min() - 0.6, hours.max() + 0.6)
    shown = np.concatenate([lo[ok], hi[ok], rate[~ok]]) if ok.any() else rate
    top = np.nanmax(shown) if np.isfinite(shown).any() else 1.0
    ax.set_ylim(0, min(1.0, top * 1.25 + 1e-9))
    _pct_axis(ax.yaxis)
    ax.set_xlabel(tm.column_labels(lang=lang)["hour"])
    ax.set_ylabel(m)
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if vol is not None:
        h2, l2 = vol.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    _legend_below(ax, handles, labels, ncol=5)
    ax.spines[["top"]].set_visible(False)
    return ax


_EFFECT_COLUMNS = [
    "factor",
    "level",
    "raw_rate",
    "raw_ci_low",
    "raw_ci_high",
    "raw_verdict",
    "adjusted_rate",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "average_rate",
    "verdict",
    "too_small",
    "adjusted_for",
]
_LEGEND_ORDER = (
    "raw",
    "adjusted_above",
    "adjusted_below",
    "adjusted_small",
    "adjusted_neutral",
    "average",
    "reference",
    "disagree",
)


def _adjusted_markers(ax, e: pd.DataFrame, x: np.ndarray, *, adj: str, fl: str, lang: str) -> None:
    """The adjusted rate of each level with its interval, coloured by the level's verdict."""
    for v in ("above", "below", "small", "neutral"):
        sel = (e["verdict"] == v) & e["adjusted_rate"].notna()
        if not sel.any():
            continue
        a = e.loc[sel, "adjusted_rate"].to_numpy(float)
        ax.errorbar(
            x[sel.to_numpy()],
            a,
            yerr=[a - e.loc[sel, "adjusted_ci_low"], e.loc[sel, "adjusted_ci_high"] - a],
            fmt="s",
            ms=5,
            color=VERDICT_COLORS[v],
            capsize=3,
            lw=1.6,
            label=_t(f"adjusted_{v}", lang, adj=adj, f=fl),
        )


def _effects_legend(ax, *, adj: str, fl: str, avg: pd.Series, ref: pd.Series, lang: str) -> None:
    """The legend under the chart, in reading order (raw, adjusted by verdict, lines, shading)."""
    v = {"average": fmt.pct(avg.iloc[0]) if len(avg) else "", "reference": fmt.pct(ref.iloc[0]) if len(ref) else ""}
    order = [_t(k, lang, adj=adj, f=fl, v=v.get(k, "")) for k in _LEGEND_ORDER]
    handles, labels = ax.get_legend_handles_labels()
    pairs = sorted(zip(handles, labels), key=lambda hl: order.index(hl[1]) if hl[1] in order else 99)
    _legend_below(ax, [h for h, _ in pairs], [lb for _, lb in pairs], ncol=3)


# ----------------------------------------------------------------------------- adjusted effects
def adjusted_effects(
    effects: pd.DataFrame,
    *,
    factor: str = "hour",
    metric: str = "connect_rate",
    ax=None,
    lang: str = config.DEFAULT_LANG,
    period: str | None = None,
):
    """Raw rate and rep-adjusted rate side by side per hour (or weekday), each with its 95 %
    interval, with the average and the median level every verdict is compared with (dotted);
    levels where the raw and the adjusted verdict disagree are shaded.

    ``effects``: ``timing.adjusted_effects`` (``TimingResult.effects``). The adjusted marker is
    coloured by its verdict (blue = reliably above the median level, red = below, grey = unclear).
    ``period``: the window covered (``timing.period_label``), said in the title.
    """
    config.check_option("factor", factor, tm.FACTORS)
    config.check_option("metric", metric, tm.METRICS)
    config.check_option("lang", lang, config.LANGS)
    _need(effects, _EFFECT_COLUMNS, "adjusted_effects")
    e = effects[effects["factor"] == factor].sort_values("level").reset_index(drop=True)
    adj = _t("adj_rep" if len(e) and e["adjusted_for"].iloc[0] else "adj_none", lang)
    f_label = tm.column_labels(lang=lang)[factor]
    m = tm.metric_label(metric, lang=lang)
    fl = f_label.lower()  # inside an English title; Japanese has no case
    title = with_period(_t("effects_title", lang, f=fl, m=m, adj=adj), period, lang=lang)
    ax = _ax(ax, (max(6.0, 0.75 * len(e) + 2), 4.2))
    if not len(e):
        return _empty(ax, lang, title)
    x = np.arange(len(e))
    off = 0.17
    disagree = (e["raw_verdict"] != e["verdict"]) & ~e["too_small"].astype(bool) & e["adjusted_rate"].notna()
    for xi in x[disagree.to_numpy()]:
        ax.axvspan(xi - 0.5, xi + 0.5, color="#fff3c4", zorder=0, lw=0)
    raw = e["raw_rate"].to_numpy(float)
    ax.errorbar(
        x - off,
        raw,
        yerr=[raw - e["raw_ci_low"], e["raw_ci_high"] - raw],
        fmt="o",
        ms=5,
        color=RAW_COLOR,
        mfc="white",
        capsize=3,
        lw=1.2,
        label=_t("raw", lang),
    )
    _adjusted_markers(ax, e, x + off, adj=adj, fl=fl, lang=lang)
    avg = e["average_rate"].dropna()
    if len(avg):
        ax.axhline(avg.iloc[0], color="#424242", ls="--", lw=1, label=_t("average", lang, v=fmt.pct(avg.iloc[0])))
    ref = e["reference_rate"].dropna() if "reference_rate" in e.columns else pd.Series(dtype=float)
    if len(ref):
        # the contrast of every verdict: the median level (timing.adjusted_effects)
        ax.axhline(
            ref.iloc[0],
            color=VERDICT_COLORS["neutral"],
            ls=":",
            lw=1.2,
            label=_t("reference", lang, f=fl, v=fmt.pct(ref.iloc[0])),
        )
    if disagree.any():
        ax.add_patch(Rectangle((0, 0), 0, 0, color="#fff3c4", label=_t("disagree", lang, adj=adj)))
    ax.set_xticks(x, [tm.level_label(factor, lv, lang=lang) for lv in e["level"]], fontsize=8)
    ax.set_xlim(-0.6, len(e) - 0.4)
    vals = pd.concat([e["raw_ci_low"], e["raw_ci_high"], e["adjusted_ci_low"], e["adjusted_ci_high"]])
    vals = vals[np.isfinite(vals.astype(float))]
    if len(vals):
        span = max(vals.max() - vals.min(), 0.01)
        ax.set_ylim(max(0.0, vals.min() - 0.1 * span), min(1.0, vals.max() + 0.1 * span))
    _pct_axis(ax.yaxis)
    ax.set_xlabel(f_label)
    ax.set_ylabel(m)
    ax.set_title(title)
    _effects_legend(ax, adj=adj, fl=fl, avg=avg, ref=ref, lang=lang)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


# ----------------------------------------------------------------------------- breakdowns
def group_rates(
    table: pd.DataFrame,
    *,
    by: str,
    metric: str = "connect_rate",
    average=None,
    min_trials: int | None = None,
    ax=None,
    lang: str = config.DEFAULT_LANG,
    period: str | None = None,
):
    """Rate per breakdown group (lead source, segment, role, attempt) with Wilson intervals;
    too-small groups hatched grey with their n only.

    ``table``: ``timing.breakdown(..., by=by)`` without ``hourly`` (group, n, rate, ci_low,
    ci_high, too_small). ``period``: the window covered (``timing.period_label``), in the title.
    """
    config.check_option("by", by, tm.BREAKDOWNS)
    config.check_option("metric", metric, tm.METRICS)
    config.check_option("lang", lang, config.LANGS)
    _need(table, ["group", "n", "rate", "ci_low", "ci_high", "too_small"], "group_rates")
    if "hour" in table.columns:
        raise ValueError("group_rates draws one rate per group; pass breakdown(..., hourly=False)")
    g_label = tm.column_labels(lang=lang)[by]
    m = tm.metric_label(metric, lang=lang)
    title = with_period(_t("group_title", lang, g=g_label.lower(), m=m), period, lang=lang)
    t = table.reset_index(drop=True)
    ax = _ax(ax, (7, 0.42 * max(len(t), 1) + 1.4))
    if not len(t):
        return _empty(ax, lang, title)
    y = np.arange(len(t))[::-1]
    small = t["too_small"].astype(bool).to_numpy()
    rate = t["rate"].astype(float).fillna(0).to_numpy()
    ax.barh(y[~small], rate[~small], color=ACCENT, height=0.6, alpha=0.85)
    ax.barh(
        y[small],
        rate[small],
        facecolor=SMALL_FACE,
        edgecolor=SMALL_EDGE,
        hatchcolor=SMALL_EDGE,
        hatch=SMALL_HATCH,
        height=0.6,
    )
    ok = ~small
    ax.errorbar(
        rate[ok],
        y[ok],
        xerr=[rate[ok] - t["ci_low"][ok], t["ci_high"][ok] - rate[ok]],
        fmt="none",
        color="#212121",
        capsize=3,
        lw=1,
    )
    top = float(np.nanmax(np.r_[t["ci_high"][ok].to_numpy(float), rate])) if len(t) else 1.0
    digits = _rate_digits(rate)
    for yi, r, s in zip(y, t.itertuples(), small):
        txt = f"n={fmt.num(r.n)}" if s else f"{fmt.pct(r.rate, digits + 1)}  (n={fmt.num(r.n)})"
        ax.text(top * 1.03, yi, txt, va="center", fontsize=8, color="#616161" if s else "#212121")
    avg = _average(average)
    if avg is not None:
        ax.axvline(avg, color="#424242", ls="--", lw=1, label=_t("overall", lang, v=fmt.pct(avg)))
    handles = []
    if small.any():
        note = _t("small_point", lang, n=min_trials) if min_trials is not None else _t("small_point_nomin", lang)
        handles.append(Patch(facecolor=SMALL_FACE, edgecolor=SMALL_EDGE, hatch=SMALL_HATCH, label=note))
    h, _ = ax.get_legend_handles_labels()
    if h or handles:
        ax.legend(
            handles=h + handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False, fontsize=8
        )
    labels = [tm.group_label(by, g, lang=lang) for g in t["group"]]
    ax.set_yticks(y, labels)
    ax.set_xlim(0, top * 1.45)
    _pct_axis(ax.xaxis)
    ax.set_xlabel(m)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
