"""What every plot module shares: a language-checked label lookup and the seaborn-style
``ax=None`` rule (draw on the given Axes, or on a new figure of the chart's natural size)."""
from __future__ import annotations

import matplotlib.pyplot as plt

from .. import kpis


def text(table: dict, key: str, lang: str, **fields) -> str:
    """``table[key][lang]``, formatted with ``fields`` when given; ValueError on an unknown lang."""
    kpis._check_lang(lang)
    s = table[key][lang]
    return s.format(**fields) if fields else s


def axes(ax, size):
    """``ax`` itself, or the Axes of a new figure of ``size`` (inches) when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax
