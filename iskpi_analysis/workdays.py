"""Japanese business-day calendar: weekends and national holidays (jpholiday) are not
business days. Per-day KPIs and month-end pacing count business days only."""

from __future__ import annotations

from functools import cache

import jpholiday
import numpy as np
import pandas as pd

__all__ = ["holidays", "holiday_name", "is_business_day", "business_days", "month_business_days"]


@cache
def _holidays_of_year(year: int) -> frozenset:
    return frozenset(pd.Timestamp(d) for d, _name in jpholiday.year_holidays(year))


def holidays(start, end) -> pd.DatetimeIndex:
    """Japanese national holidays in [start, end] (inclusive), as naive dates."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    days = sorted(d for y in range(start.year, end.year + 1) for d in _holidays_of_year(y) if start <= d <= end)
    return pd.DatetimeIndex(days)


def holiday_name(date) -> str | None:
    """The holiday's Japanese name, or None."""
    return jpholiday.is_holiday_name(pd.Timestamp(date).date())


def is_business_day(dates) -> np.ndarray | bool:
    """True for Monday–Friday dates that are not Japanese national holidays.

    Accepts a scalar date or an array-like of dates (tz-aware values use their own local date).
    """
    scalar = np.ndim(dates) == 0
    idx = pd.DatetimeIndex([dates] if scalar else dates)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    idx = idx.normalize()
    if len(idx) == 0:
        return np.zeros(0, dtype=bool)
    hol = holidays(idx.min(), idx.max())
    out = (idx.day_of_week < 5) & ~idx.isin(hol)
    return bool(out[0]) if scalar else np.asarray(out)


def business_days(start, end) -> pd.DatetimeIndex:
    """Business days in [start, end] inclusive."""
    days = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
    return days[is_business_day(days)] if len(days) else days


def month_business_days(month: str) -> pd.DatetimeIndex:
    """Business days of a month given as 'YYYY-MM'."""
    p = pd.Period(month, freq="M")
    return business_days(p.start_time, p.end_time)
