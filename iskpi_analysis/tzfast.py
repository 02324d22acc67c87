"""Local time for the views: a fixed UTC offset where the zone has one over the data.

DuckDB's ``timezone(tz, ts)`` asks ICU for every row and is most of an aggregation's time
(about 4-5× a plain integer shift). Asia/Tokyo has kept +09:00 without daylight saving since
1951, so over any recent data a fixed offset gives exactly the same local time. Whether an
offset is constant is checked over the data's own time range (never assumed from the zone's
name): a zone with a transition inside the range (America/New_York across a DST change,
Europe/London) keeps the general ICU path.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = ["ENABLED", "fixed_offset", "local_sql"]

#: Set to False to force the general (ICU) path everywhere, e.g. to compare both in a benchmark.
ENABLED = True

# Offsets are read at every hour of the range (and at its two ends). Between two transitions
# an offset is constant, and tzdata has no pair of transitions less than an hour apart that
# returns to the same offset, so an hourly reading sees every change of offset in the range.
_STEP = pd.Timedelta(hours=1)
_MAX_SPAN = pd.Timedelta(days=366 * 50)
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def fixed_offset(tz: str, start, end, *, con=None) -> dt.timedelta | None:
    """The UTC offset of ``tz`` if it is the same at every instant of [``start``, ``end``], else None.

    Parameters
    ----------
    tz : IANA zone name, e.g. "Asia/Tokyo".
    start, end : the first and last event time of the data (aware timestamps, or naive as UTC);
        None (no rows) gives None.
    con : a DuckDB connection; when given, its ICU (the general path) must read the same single
        offset on the same hourly grid, so a tzdata version DuckDB does not share (a zone that
        changed its rules recently) keeps the general path instead of giving other local times.

    Returns
    -------
    datetime.timedelta or None
        e.g. ``timedelta(hours=9)`` for Asia/Tokyo; None when the offset changes in the range
        (a DST transition) or the range is empty, so the caller keeps the general conversion.
    """
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return None
    try:
        lo, hi = sorted((_utc(start), _utc(end)))
    except (OverflowError, ValueError):  # e.g. a year-1600 typo outside pandas' range: ICU copes
        return None
    # before 1970 tzdata and ICU may disagree (local mean time); an hourly grid of centuries is
    # large: such data keeps the general path, which is always right
    if lo < _EPOCH or hi - lo > _MAX_SPAN:
        return None
    # pandas converts with the zone's exact transition table (tzdata), vectorised
    utc = pd.date_range(lo.floor("h"), hi.ceil("h"), freq=_STEP).union(pd.DatetimeIndex([lo, hi]))
    local = utc.tz_convert(tz)
    offsets = pd.unique((local.tz_localize(None) - utc.tz_localize(None)).to_numpy())
    if len(offsets) != 1:
        return None
    offset = pd.Timedelta(offsets[0]).to_pytimedelta()
    if con is not None and _icu_offsets(con, tz, lo, hi) != [offset]:
        return None
    return offset


def _icu_offsets(con, tz: str, lo: pd.Timestamp, hi: pd.Timestamp) -> list[dt.timedelta]:
    """The distinct offsets DuckDB's ICU gives over the hourly grid of [lo, hi] and at hi."""
    rows = con.execute(
        "SELECT DISTINCT epoch_us(timezone($tz, t)) - epoch_us(t) FROM ("
        "SELECT unnest(generate_series($lo::TIMESTAMPTZ, $hi::TIMESTAMPTZ, INTERVAL 1 HOUR)) AS t "
        "UNION ALL SELECT $hi::TIMESTAMPTZ)",
        {"tz": tz, "lo": lo.isoformat(), "hi": hi.isoformat()},
    ).fetchall()
    return [dt.timedelta(microseconds=r[0]) for r in rows]


def local_sql(tz: str, col: str, offset: dt.timedelta | None) -> str:
    """SQL for the local wall-clock TIMESTAMP of the TIMESTAMPTZ column ``col``.

    With an ``offset`` (from :func:`fixed_offset`) the instant is shifted by whole microseconds:
    no ICU call per row. Without one, DuckDB's ``timezone()`` converts through ICU.
    """
    if offset is None or not ENABLED:
        return f"timezone({_q(tz)}, {col})"
    micros = int(offset / dt.timedelta(microseconds=1))
    return f"make_timestamp(epoch_us({col}) + {micros})"


def _utc(t) -> pd.Timestamp:
    t = pd.Timestamp(t)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _q(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"
