"""Number formatting for what a reader sees (percent, thousands separators, yen)."""

from __future__ import annotations

import math

import pandas as pd

from . import config, kpis
from .catalog import t

__all__ = ["YEN_UNITS", "pct", "num", "yen", "ci", "kpi_value", "missing_note", "p_value"]

#: how each language groups yen amounts: (smallest amount, digits, catalog key), largest first;
#: Japanese counts in 億 (10^8) and 万 (10^4), English writes the full amount
YEN_UNITS = {
    "ja": ((100_000_000, 2, "common.yen.oku"), (10_000, 0, "common.yen.man")),
    "en": (),
}


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or x is pd.NaT


def pct(x, digits: int = 1) -> str:
    """0.2345 -> '23.5%'; missing -> '–'."""
    return "–" if _missing(x) else f"{x * 100:.{digits}f}%"


def num(x, digits: int = 0) -> str:
    """12345.6 -> '12,346'."""
    return "–" if _missing(x) else f"{x:,.{digits}f}"


def yen(x, *, lang: str = config.DEFAULT_LANG) -> str:
    """Yen amounts: 30000000 -> '3,000万円' (ja) or '¥30,000,000' (en).

    Examples
    --------
    >>> yen(30_000_000, lang="ja"), yen(30_000_000, lang="en")
    ('3,000万円', '¥30,000,000')
    """
    if _missing(x):
        return "–"
    kpis._check_lang(lang)
    for size, digits, key in YEN_UNITS[lang]:
        if abs(x) >= size:
            return t(key, lang=lang, amount=f"{x / size:,.{digits}f}")
    return t("common.yen.plain", lang=lang, amount=f"{x:,.0f}")


def ci(low, high, *, as_pct: bool = True) -> str:
    """'[12.3%, 20.1%]'."""
    f = pct if as_pct else (lambda v: num(v, 2))
    return f"[{f(low)}, {f(high)}]"


def kpi_value(kpi_id: str, x, *, lang: str = config.DEFAULT_LANG) -> str:
    """Format a KPI value by its unit in the dictionary."""
    unit = kpis.get(kpi_id).unit
    if unit == "rate":
        return pct(x)
    if unit == "jpy":
        return yen(x, lang=lang)
    if unit in ("ratio", "points"):
        return num(x, 2 if unit == "ratio" else 1)
    if unit == "minutes":
        return t("common.unit.minutes", lang=lang, value=num(x, 0))
    return num(x, 1 if isinstance(x, float) and not float(x).is_integer() else 0)


def missing_note(tables, *, lang: str = config.DEFAULT_LANG) -> str:
    """The one line a section shows when the data it needs is missing (then it is skipped)."""
    kpis._check_lang(lang)
    names = ", ".join([tables] if isinstance(tables, str) else list(tables))
    return t("common.section.missing_data", lang=lang, names=names)


def p_value(p, *, name: str = "p", digits: int = 3) -> str:
    """'p<0.001' / 'p=0.012' (``name`` 'q' for BH-adjusted values; '' for a bare table cell:
    '<0.001' / '0.012'); missing -> '–'."""
    if _missing(p):
        return "–"
    if p < 0.001:
        return f"{name}<0.001"
    return f"{name}={p:.{digits}f}" if name else f"{p:.{digits}f}"
