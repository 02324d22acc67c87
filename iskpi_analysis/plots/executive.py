"""The organisation's 13-month chart of notebook 01's organisation page: one small panel per
total (:func:`iskpi_analysis.scorecard.executive.kpi_history`, never aggregates)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from .. import config, fmt, kpis
from ..catalog import t

__all__ = ["history_chart"]


def history_chart(history: pd.DataFrame, *, team_id: str = "all", axes=None, lang: str = config.DEFAULT_LANG):
    """One line per KPI of ``team_id`` in ``history`` (month × value), each in its own panel,
    the report month's point marked. Returns the array of Axes."""
    h = history[history["team_id"] == team_id].sort_values(["order", "month"])
    ids = list(dict.fromkeys(h["kpi_id"]))
    if axes is None:
        ncol = 3
        nrow = max(1, int(np.ceil(len(ids) / ncol)))
        fig, axes = plt.subplots(nrow, ncol, figsize=(9, 2.3 * nrow), squeeze=False)
    flat = np.asarray(axes).ravel()
    for ax, k in zip(flat, ids):
        g = h[h["kpi_id"] == k]
        x = np.arange(len(g))
        ax.plot(x, g["value"].to_numpy(dtype=float), color="#52606d", lw=1.6)
        ax.plot(x[-1:], g["value"].to_numpy(dtype=float)[-1:], "o", color="#1f5fa8")
        ax.set_title(kpis.label(k, lang=lang), fontsize=10)
        ax.set_xticks([x[0], x[-1]], [g["month"].iloc[0], g["month"].iloc[-1]], fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos, k=k: fmt.kpi_value(k, v, lang=lang)))
        ax.spines[["top", "right"]].set_visible(False)
    for ax in flat[len(ids) :]:
        ax.set_visible(False)
    flat[0].figure.suptitle(t("executive.org.chart_title", lang=lang, n=h["month"].nunique()), fontsize=11)
    flat[0].figure.tight_layout()
    return np.asarray(axes)
