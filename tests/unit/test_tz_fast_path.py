"""Local time by a fixed UTC offset (tzfast) against the general ICU path and pandas tz_convert.

The fast path is taken only where the zone's offset is constant over the data's own time range
(checked from the zone's transitions), and then every derived local column must equal the
general path's; across a DST change the general path is kept and must match pandas.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import pytest

from iskpi_analysis import aggregate, dataset, tzfast, workdays

DERIVED = ["date", "hour", "weekday", "month", "business_day"]


# --- fixed_offset against zoneinfo ------------------------------------------------------------
@pytest.mark.parametrize(
    "tz, start, end, expected",
    [
        ("Asia/Tokyo", "2015-01-01T00:00Z", "2026-11-30T00:00Z", dt.timedelta(hours=9)),
        ("America/New_York", "2026-07-01T00:00Z", "2026-07-31T23:59Z", dt.timedelta(hours=-4)),
        ("America/New_York", "2026-01-05T00:00Z", "2026-02-27T00:00Z", dt.timedelta(hours=-5)),
        ("Europe/London", "2026-01-01T00:00Z", "2026-03-28T00:00Z", dt.timedelta(0)),
        ("America/New_York", "2026-03-01T00:00Z", "2026-03-20T00:00Z", None),  # spring forward 03-08
        ("America/New_York", "2026-10-20T00:00Z", "2026-11-10T00:00Z", None),  # fall back 11-01
        ("America/New_York", "2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z", None),  # one second across
        ("Europe/London", "2026-01-01T00:00Z", "2026-12-31T00:00Z", None),
        ("Asia/Tokyo", None, None, None),  # no rows
        ("Asia/Tokyo", "1600-01-01T00:00Z", "2026-01-01T00:00Z", None),  # a typo year: general path
        ("Asia/Tokyo", "2026-01-02T00:00Z", "2026-01-01T00:00Z", dt.timedelta(hours=9)),  # ends swapped
    ],
)
def test_fixed_offset(tz, start, end, expected):
    got = tzfast.fixed_offset(tz, start, end)
    assert got == expected
    # DuckDB's ICU (the general path) confirms the same offset on the same grid
    assert tzfast.fixed_offset(tz, start, end, con=duckdb.connect()) == expected
    # independent reference: zoneinfo's offsets at both ends (equal whenever a fixed one is claimed)
    if got is not None:
        z = ZoneInfo(tz)
        for t in (start, end):
            assert pd.Timestamp(t).to_pydatetime().astimezone(z).utcoffset() == got


def test_fixed_offset_sees_the_transition_instant():
    # the whole range just after the spring-forward instant is constant (-4 h); one second earlier is not
    after = tzfast.fixed_offset("America/New_York", "2026-03-08T07:00:00Z", "2026-03-09T00:00Z")
    assert after == dt.timedelta(hours=-4)
    assert tzfast.fixed_offset("America/New_York", "2026-03-08T06:59:59Z", "2026-03-09T00:00Z") is None


# --- generated calls through both paths ---------------------------------------------------------
def _dataset(stamps_utc: pd.DatetimeIndex, tz: str, *, fast: bool, monkeypatch) -> dataset.Dataset:
    monkeypatch.setattr(tzfast, "ENABLED", fast)
    n = len(stamps_utc)
    rng = np.random.default_rng(3)
    connected = rng.random(n) < 0.3
    reps = pd.DataFrame(
        {
            "rep_id": ["a", "b"],
            "team_id": "t1",
            "role": ["SDR", "BDR"],
            "joined_on": pd.Timestamp("2025-01-01").date(),
            "left_on": None,
        }
    )
    calls = pd.DataFrame(
        {
            "call_id": [f"c{i:05d}" for i in range(n)],
            "rep_id": rng.choice(["a", "b"], n),
            "lead_id": [f"L{i}" for i in rng.integers(0, 300, n)],
            "started_at": stamps_utc,
            "connected": connected,
            "talk_seconds": np.where(connected, rng.integers(5, 400, n), 0),
            "appointment": False,
        }
    )
    return dataset.Dataset.from_frames({"reps": reps, "calls": calls}, tz=tz, today="2026-11-30")


def _derived(data: dataset.Dataset) -> pd.DataFrame:
    return data.query(
        "SELECT call_id, started_at, date, hour, weekday, month, business_day FROM v_calls ORDER BY call_id"
    ).set_index("call_id")


def _path(data: dataset.Dataset) -> str:
    sql = data.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'v_calls_lean_all'").fetchall()[0][0]
    assert ("make_timestamp" in sql) != ("timezone(" in sql)
    return "fast" if "make_timestamp" in sql else "general"


def _pandas_reference(stamps_utc: pd.DatetimeIndex, tz: str) -> pd.DataFrame:
    local = stamps_utc.tz_convert(tz)
    holidays = set(pd.to_datetime(workdays.holidays("2025-01-01", "2026-12-31")).date)
    dates = local.date
    return pd.DataFrame(
        {
            "date": dates,
            "hour": local.hour,
            "weekday": local.day_of_week,
            "month": local.strftime("%Y-%m"),
            "business_day": [d.weekday() < 5 and d not in holidays for d in dates],
        },
        index=[f"c{i:05d}" for i in range(len(stamps_utc))],
    )


def _check_against_pandas(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    got = got.loc[ref.index]
    assert list(pd.to_datetime(got["date"]).dt.date) == list(ref["date"])
    for c in ("hour", "weekday", "month", "business_day"):
        assert got[c].tolist() == ref[c].tolist(), c


def _tokyo_stamps() -> pd.DatetimeIndex:
    # around local midnight, given in UTC: 14:59:59Z is 23:59:59 the same day, 15:00Z and 15:30Z
    # are 00:00 and 00:30 of the next day in Tokyo; every day of 2026-01..06 covers month ends
    days = pd.date_range("2025-12-31", "2026-06-30", freq="D", tz="UTC")
    edges = [days + pd.Timedelta(s) for s in ("14:59:59", "15:00:00", "15:30:00", "23:59:59", "00:00:00")]
    rng = np.random.default_rng(11)
    spread = days[0] + pd.to_timedelta(rng.integers(0, 181 * 86400, 3000), unit="s")
    utc = [e.tz_convert(None).to_numpy() for e in edges + [spread]]
    return pd.DatetimeIndex(np.concatenate(utc)).tz_localize("UTC")


def test_tokyo_takes_the_fast_path_and_equals_the_general_path(monkeypatch):
    stamps = _tokyo_stamps()
    fast = _dataset(stamps, "Asia/Tokyo", fast=True, monkeypatch=monkeypatch)
    general = _dataset(stamps, "Asia/Tokyo", fast=False, monkeypatch=monkeypatch)
    assert (_path(fast), _path(general)) == ("fast", "general")
    a, b = _derived(fast), _derived(general)
    pd.testing.assert_frame_equal(a[DERIVED], b[DERIVED])
    ref = _pandas_reference(stamps, "Asia/Tokyo")
    _check_against_pandas(a, ref)
    # the planted edges: 2026-01-31T15:30Z is 2026-02-01 00:30 in Tokyo, a Sunday
    i = ref.index[list(stamps).index(pd.Timestamp("2026-01-31T15:30Z"))]
    assert (str(a.loc[i, "date"])[:10], a.loc[i, "hour"], a.loc[i, "month"], a.loc[i, "weekday"]) == (
        "2026-02-01",
        0,
        "2026-02",
        6,
    )
    # 2025-12-31T15:00Z is New Year's Day 00:00 in Tokyo: a holiday, not a business day
    j = ref.index[list(stamps).index(pd.Timestamp("2025-12-31T15:00Z"))]
    assert (a.loc[j, "month"], a.loc[j, "hour"], bool(a.loc[j, "business_day"])) == ("2026-01", 0, False)


@pytest.mark.parametrize("around", ["2026-03-08", "2026-11-01"])
def test_new_york_across_dst_keeps_the_general_path(monkeypatch, around):
    # every 15 minutes over three days around the transition (06:00-07:00Z is the changing hour)
    t0 = pd.Timestamp(around, tz="UTC") - pd.Timedelta(days=1)
    stamps = pd.date_range(t0, t0 + pd.Timedelta(days=3), freq="15min")
    data = _dataset(stamps, "America/New_York", fast=True, monkeypatch=monkeypatch)
    assert _path(data) == "general"
    got = _derived(data)
    ref = _pandas_reference(stamps, "America/New_York")
    _check_against_pandas(got, ref)
    # the local hours around the change: spring forward skips 02:00, fall back repeats 01:00
    hours = got.loc[ref.index, "hour"].tolist()
    day = ref["date"] == pd.Timestamp(around).date()
    counts = pd.Series(hours)[day.values].value_counts()
    if around == "2026-03-08":
        assert 2 not in counts.index and counts[1] == 4 and counts[3] == 4
    else:
        assert counts[1] == 8 and counts[2] == 4


def test_constant_non_tokyo_offset_in_range_is_exact(monkeypatch):
    # New York data entirely in July: -4 h all along, the fast path applies and is exact
    rng = np.random.default_rng(5)
    stamps = pd.Timestamp("2026-07-01T04:00Z") + pd.to_timedelta(rng.integers(0, 31 * 86400 - 1, 2000), unit="s")
    stamps = pd.DatetimeIndex(stamps).append(
        pd.DatetimeIndex(["2026-07-01T04:00Z", "2026-07-04T03:59:59Z", "2026-07-04T04:00Z"])
    )
    fast = _dataset(stamps, "America/New_York", fast=True, monkeypatch=monkeypatch)
    general = _dataset(stamps, "America/New_York", fast=False, monkeypatch=monkeypatch)
    assert (_path(fast), _path(general)) == ("fast", "general")
    a, b = _derived(fast), _derived(general)
    pd.testing.assert_frame_equal(a[DERIVED], b[DERIVED])
    _check_against_pandas(a, _pandas_reference(stamps, "America/New_York"))


# --- the sample: aggregates identical between the two paths -------------------------------------
@pytest.fixture(scope="module")
def sample_both():
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(tzfast, "ENABLED", True)
        fast = dataset.load_data("data/sample")
        mp.setattr(tzfast, "ENABLED", False)
        general = dataset.load_data("data/sample")
    finally:
        mp.undo()
    return fast, general


def test_sample_takes_the_fast_path_for_every_view(sample_both):
    fast, general = sample_both
    for d, kind in ((fast, "make_timestamp"), (general, "timezone(")):
        sqls = dict(
            d.con.execute(
                "SELECT view_name, sql FROM duckdb_views() WHERE view_name IN "
                "('v_calls_lean_all', 'v_emails_lean', 'v_leads', 'v_deals')"
            ).fetchall()
        )
        assert len(sqls) == 4 and all(kind in s for s in sqls.values()), sqls


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_sample_rep_period_identical(sample_both, grain):
    fast, general = sample_both
    a, b = aggregate.rep_period(fast, grain), aggregate.rep_period(general, grain)
    assert len(a) > 100
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("by", [("rep_id", "weekday", "hour"), ("team_id", "business_day", "month"), ("date",)])
def test_sample_call_buckets_identical(sample_both, by):
    fast, general = sample_both
    a, b = aggregate.call_buckets(fast, by=by), aggregate.call_buckets(general, by=by)
    assert a["calls"].sum() > 10_000
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("table", ["emails", "leads", "deals"])
def test_sample_other_local_columns_identical(sample_both, table):
    fast, general = sample_both
    cols = {
        "emails": "email_id, date, month",
        "leads": "lead_id, date, month",
        "deals": "deal_id, date, month, closed_month",
    }[table]
    q = f"SELECT {cols} FROM v_{table} ORDER BY 1"
    a, b = fast.query(q), general.query(q)
    assert len(a) > 50
    pd.testing.assert_frame_equal(a, b)
