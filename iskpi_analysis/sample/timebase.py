"""The generation's calendar (days, weekdays, business days) and its clock (local seconds → timestamps).

All times inside the generator are local wall-clock seconds since 1970-01-01 (int64 or float
with NaN = missing), so that hours and days are plain integer arithmetic; :func:`to_timestamps`
turns them into tz-aware Tokyo timestamps when the tables are built.
"""

from __future__ import annotations

from dataclasses import dataclass

import jpholiday
import numpy as np
import pandas as pd

from .params import TZ

__all__ = ["Calendar", "make_calendar", "holidays", "to_timestamps"]


@dataclass(frozen=True)
class Calendar:
    """The days a generation covers, from the earliest team start to ``end``.

    Attributes
    ----------
    start_d, end_d : pandas.Timestamp
        First and last day (midnight).
    end_sec : int
        23:59:59 local of ``end_d``, in local seconds.
    days : numpy.ndarray
        ``datetime64[D]`` of every day, ``start_d`` … ``end_d``.
    wd : numpy.ndarray
        Weekday of each day (0 = Monday).
    business : numpy.ndarray
        True on Monday–Friday that are not Japanese public holidays.
    day_sec0 : numpy.ndarray
        Local seconds of each day's midnight.
    """

    start_d: pd.Timestamp
    end_d: pd.Timestamp
    end_sec: int
    days: np.ndarray
    wd: np.ndarray
    business: np.ndarray
    day_sec0: np.ndarray


def holidays(start: pd.Timestamp, end: pd.Timestamp) -> set:
    """Japanese public holidays of the years ``start.year`` … ``end.year`` as ``datetime64[D]``."""
    out = set()
    for y in range(start.year, end.year + 1):
        out.update(np.datetime64(d, "D") for d, _ in jpholiday.year_holidays(y))
    return out


def make_calendar(teams, end: str) -> Calendar:
    """The :class:`Calendar` from the earliest ``TeamSpec.start`` of ``teams`` to ``end``."""
    end_d = pd.Timestamp(end).normalize()
    end_sec = (end_d + pd.Timedelta(days=1)).value // 1_000_000_000 - 1  # 23:59:59 local
    start_d = min(t.start for t in teams)
    days = np.arange(np.datetime64(start_d.date(), "D"), np.datetime64(end_d.date(), "D") + 1)
    hol = holidays(start_d, end_d)
    wd = ((days.astype("int64") + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday
    is_hol = np.array([d in hol for d in days])
    business = (wd < 5) & ~is_hol
    day_sec0 = days.astype("int64") * 86400
    return Calendar(start_d, end_d, end_sec, days, wd, business, day_sec0)


def to_timestamps(sec: np.ndarray) -> pd.DatetimeIndex:
    """Local wall-clock seconds since 1970 (int64, NaN = missing) → tz-aware Tokyo ns."""
    sec = np.asarray(sec, dtype="float64")
    vals = np.where(np.isnan(sec), np.iinfo(np.int64).min, np.nan_to_num(sec).astype("int64") * 1_000_000_000)
    idx = pd.DatetimeIndex(vals.astype("datetime64[ns]"))
    return idx.tz_localize(TZ)
