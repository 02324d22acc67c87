"""Reader-facing names and formatted figures of the timing domain, every text from the catalog
(``messages/<lang>/timing.toml``, keys ``timing.*``; KPI names from the KPI dictionary)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import config, dataset, fmt, kpis
from ..catalog import t
from .breakdowns import BREAKDOWNS
from .counts import FACTORS, METRICS
from .rules import EFFECT_VERDICTS
from .windows import VERDICTS

__all__ = [
    "COLUMNS",
    "metric_label",
    "column_labels",
    "verdict_label",
    "effect_label",
    "hour_label",
    "weekday_label",
    "level_label",
    "attempt_label",
    "group_label",
    "hour_windows",
    "period_label",
    "pts",
    "pts_ci",
    "rate_ci_text",
]

_check = config.check_option
_DEFAULT = config.DEFAULT_LANG


def metric_label(metric: str, *, lang: str = _DEFAULT) -> str:
    """Reader-facing name of a metric (KPI dictionary labels only)."""
    _check("metric", metric, METRICS)
    kpis._check_lang(lang)
    if metric == "appointments_per_call":
        return f"{kpis.label('appointments', lang=lang)}/{kpis.label('calls', lang=lang)}"
    return kpis.label(metric, lang=lang)


#: The snake_case columns of this domain's tables that have a display name.
COLUMNS = (
    "group",
    "name",
    "calls",
    "recommended",
    "avoid",
    "note",
    "hour",
    "weekday",
    "n",
    "rate",
    "raw_rate",
    "adjusted_rate",
    "diff",
    "p_adj",
    "verdict",
    "source",
    "segment",
    "role",
    "attempt",
    "team",
    "breakdown",
)


def column_labels(*, lang: str = _DEFAULT) -> dict:
    """Display names for the snake_case columns of this domain's tables (``timing.column.*``)."""
    return {c: t(f"timing.column.{c}", lang=lang) for c in COLUMNS}


def verdict_label(verdict: str, *, lang: str = _DEFAULT) -> str:
    """The words of a window verdict (recommend / avoid / neutral / too_small)."""
    _check("verdict", verdict, VERDICTS)
    return t(f"timing.verdict.{verdict}", lang=lang)


def effect_label(verdict: str, *, lang: str = _DEFAULT) -> str:
    """The words of an effect verdict (above / below / small / neutral / too_small)."""
    _check("verdict", verdict, EFFECT_VERDICTS)
    return t(f"timing.effect.{verdict}", lang=lang)


def hour_label(hour, *, lang: str = _DEFAULT) -> str:
    """9 → '9時台' (ja) / '9:00' (en)."""
    return t("timing.hour.label", lang=lang, h=int(hour))


def weekday_label(weekday, *, lang: str = _DEFAULT) -> str:
    """0 → '月' (ja) / 'Mon' (en)."""
    return t(f"timing.weekday.{int(weekday)}", lang=lang)


def level_label(factor: str, level, *, lang: str = _DEFAULT) -> str:
    """A level of a factor: an hour (:func:`hour_label`) or a weekday ('月曜' / 'Mon')."""
    _check("factor", factor, FACTORS)
    if factor == "hour":
        return hour_label(level, lang=lang)
    return t("timing.level.weekday", lang=lang, day=weekday_label(level, lang=lang))


def attempt_label(group, *, lang: str = _DEFAULT) -> str:
    """Attempt group of :func:`breakdown`: '1' → '1回目', '5+' → '5回目以降' (ja) / 'attempt 1', '5+'."""
    g = str(group)
    if g.endswith("+"):
        return t("timing.attempt.nth_plus", lang=lang, n=g[:-1])
    return t("timing.attempt.nth", lang=lang, n=g)


def group_label(by: str, group, *, lang: str = _DEFAULT) -> str:
    """A breakdown group as the reader sees it (attempts numbered, other values as they are)."""
    _check("by", by, BREAKDOWNS)
    return attempt_label(group, lang=lang) if by == "attempt" else str(group)


class HourRun(NamedTuple):
    """A run of consecutive hours: first and last hour, end = the hour the run ends (last + 1)."""

    first: int
    last: int
    end: int


def _runs(hours) -> list[HourRun]:
    hs = sorted(int(h) for h in hours)
    runs: list[HourRun] = []
    for h in hs:
        if runs and h == runs[-1].last + 1:
            runs[-1] = HourRun(runs[-1].first, h, h + 1)
        else:
            runs.append(HourRun(h, h, h + 1))
    return runs


def hour_windows(hours, *, lang: str = _DEFAULT) -> str:
    """Hours merged into windows: [10, 11, 16] → '10〜11時台、16時台' / '10:00–12:00, 16:00–17:00'."""
    runs = _runs(hours)
    if not runs:
        return t("timing.hour.none", lang=lang)
    parts = [
        t("timing.hour.window_one" if r.first == r.last else "timing.hour.window_run", lang=lang, run=r) for r in runs
    ]
    return t("timing.sep.list", lang=lang).join(parts)


def period_label(month: str, months: int = 3, *, lang: str = _DEFAULT) -> str:
    """'2026-08〜2026-10(3ヶ月)' / '2026-08 to 2026-10 (3 months)' for :func:`dataset.month_bounds`."""
    start, end = dataset.month_bounds(month, months)
    a, b = f"{start:%Y-%m}", f"{end - pd.Timedelta(days=1):%Y-%m}"
    if a == b:
        return t("timing.period.one", lang=lang, last=b)
    return t("timing.period.many", lang=lang, first=a, last=b, n=months)


def _signed(x: float) -> str:
    v = round(float(x) * 100, 1) + 0.0  # no "-0.0"
    return "±0.0" if v == 0 else f"{v:+.1f}"


def pts(x: float, *, lang: str = _DEFAULT) -> str:
    """A difference of two rates in percentage points: '+1.2ポイント' / '+1.2 pts' ('±0.0' for 0)."""
    return t("timing.format.pts", lang=lang, v=_signed(x))


def pts_ci(lo: float, hi: float, *, lang: str = _DEFAULT) -> str:
    """Interval of a difference in percentage points: '[-1.9, +2.0]ポイント'."""
    return t("timing.format.pts_ci", lang=lang, lo=_signed(lo), hi=_signed(hi))


def pts_value_ci(v: float, lo: float, hi: float, *, lang: str = _DEFAULT) -> str:
    """A difference with its interval: '+1.2 [-0.3, +2.7]ポイント' ('–' when not estimated)."""
    if not np.isfinite(v):
        return "–"
    return t("timing.format.pts_value_ci", lang=lang, v=_signed(v), lo=_signed(lo), hi=_signed(hi))


def rate_ci_text(rate, lo, hi, too_small: bool, n, *, lang: str = _DEFAULT) -> str:
    """'23.4% [21.0%, 25.9%]', or 'too few (n=12)' for a rate that is not judged."""
    if too_small or not np.isfinite(rate):
        return t("timing.format.too_few", lang=lang, n=fmt.num(n))
    digits = 2 if rate < 0.1 else 1
    return f"{fmt.pct(rate, digits)} [{fmt.pct(lo, digits)}, {fmt.pct(hi, digits)}]"
