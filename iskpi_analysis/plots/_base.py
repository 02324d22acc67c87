"""What every plot module shares: a language-checked label lookup and the seaborn-style
``ax=None`` rule (draw on the given Axes, or on a new figure of the chart's natural size)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from .. import catalog, config, kpis

__all__ = ["text", "axes", "with_period"]


def text(table, key: str | None = None, lang: str = config.DEFAULT_LANG, **fields) -> str:
    """A plot's label: a catalog message, ``text("timing.plot.hour", lang=lang)`` (the way to
    write new labels: :func:`iskpi_analysis.catalog.t`), or — while plot modules still carry
    their own ``{key: {lang: text}}`` tables — ``text(TABLE, key, lang)``.
    ValueError on an unknown lang."""
    kpis._check_lang(lang)
    if isinstance(table, str):
        return catalog.t(table, lang=lang, **fields)
    s = table[key][lang]
    return s.format(**fields) if fields else s


def with_period(title: str, period: str | None, *, lang: str = config.DEFAULT_LANG) -> str:
    """``title`` followed by the window the chart covers (``period``, e.g.
    ``timing.period_label(month, 3)`` → '2026-08〜2026-10(3ヶ月)'), so a chart of several months
    under a monthly report's heading says so; ``title`` unchanged when ``period`` is None/empty."""
    return catalog.t("common.plot.with_period", lang=lang, title=title, period=period) if period else title


def axes(ax, size):
    """``ax`` itself, or the Axes of a new figure of ``size`` (inches) when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax
