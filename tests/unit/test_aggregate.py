"""Aggregation (DuckDB hot path) against a straightforward pandas computation on small data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iskpi_analysis import aggregate, dataset, workdays


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(7)
    reps = pd.DataFrame(
        {
            "rep_id": ["a", "b", "c"],
            "team_id": ["t1", "t1", "t2"],
            "role": ["SDR", "BDR", "SDR"],
            "joined_on": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-10"]),
            "left_on": pd.to_datetime([None, "2026-03-06", None]),
        }
    )
    n = 3000
    start = pd.Timestamp("2026-01-05", tz="Asia/Tokyo")
    ts = start + pd.to_timedelta(rng.integers(0, 80 * 24 * 60, n), unit="min")
    connected = rng.random(n) < 0.3
    talk = np.where(connected, rng.integers(5, 400, n), 0)
    appt = connected & (talk >= 120) & (rng.random(n) < 0.3)
    rep = rng.choice(["a", "b", "c"], n)
    calls = pd.DataFrame(
        {
            "call_id": [f"c{i}" for i in range(n)],
            "rep_id": rep,
            "lead_id": [f"L{i}" for i in rng.integers(0, 500, n)],
            "started_at": ts,
            "connected": connected,
            "talk_seconds": talk,
            "appointment": appt,
            "decision_maker": rng.random(n) < 0.2,
            "script": "A",
        }
    )
    calls = calls[~((calls.rep_id == "c") & (calls.started_at < pd.Timestamp("2026-02-10", tz="Asia/Tokyo")))]
    m = 800
    sent = start + pd.to_timedelta(rng.integers(0, 80 * 24 * 60, m), unit="min")
    opened = rng.random(m) < 0.3
    emails = pd.DataFrame(
        {
            "email_id": [f"e{i}" for i in range(m)],
            "rep_id": rng.choice(["a", "b"], m),
            "lead_id": [f"L{i}" for i in rng.integers(0, 500, m)],
            "sent_at": sent,
            "opened_at": sent.where(opened) + pd.Timedelta("1h"),
            "clicked_at": pd.NaT,
            "replied_at": pd.NaT,
        }
    )
    deals = pd.DataFrame(
        {
            "deal_id": ["d1", "d2", "d3"],
            "rep_id": ["a", "a", "b"],
            "lead_id": ["L1", "L2", "L3"],
            "created_at": pd.to_datetime(["2026-01-07 10:00", "2026-01-20 11:00", "2026-02-03 09:00"]).tz_localize(
                "Asia/Tokyo"
            ),
            "amount_jpy": [1e6, 2e6, np.nan],
            "status": ["won", "open", "lost"],
            "closed_at": pd.to_datetime(["2026-02-01", None, "2026-02-20"]).tz_localize("Asia/Tokyo"),
        }
    )
    return dataset.Dataset.from_frames(
        {"reps": reps, "calls": calls, "emails": emails, "deals": deals}, today="2026-11-22"
    )


def _pandas_reference(d, grain):
    c = d.calls.copy()
    e = d.emails.copy()
    key = {
        "day": lambda s: s,
        "week": lambda s: s - pd.to_timedelta(s.dt.day_of_week, unit="D"),
        "month": lambda s: s.dt.to_period("M").dt.start_time,
    }[grain]
    c["period"], e["period"] = key(c["date"]), key(e["date"])
    cg = c.groupby(["rep_id", "period"]).agg(
        calls=("call_id", "size"),
        connects=("connected", "sum"),
        valid_conversations=("valid_conversation", "sum"),
        appointments=("appointment", "sum"),
    )
    eg = e.groupby(["rep_id", "period"]).agg(emails_sent=("email_id", "size"), emails_opened=("opened", "sum"))
    touches = pd.concat([c[["rep_id", "period", "lead_id"]], e[["rep_id", "period", "lead_id"]]])
    lh = touches.groupby(["rep_id", "period"])["lead_id"].nunique().rename("leads_handled")
    out = cg.join(eg, how="outer").join(lh, how="outer").fillna(0)
    out["connect_rate"] = out["connects"] / out["calls"]
    return out


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_rep_period_matches_pandas(small, grain):
    got = aggregate.rep_period(small, grain).set_index(["rep_id", "period"])
    ref = _pandas_reference(small, grain)
    active = got.loc[ref.index]
    for col in [
        "calls",
        "connects",
        "valid_conversations",
        "appointments",
        "emails_sent",
        "emails_opened",
        "leads_handled",
    ]:
        assert (active[col].to_numpy() == ref[col].to_numpy()).all(), col
    np.testing.assert_allclose(active["connect_rate"], ref["connect_rate"])
    # rows without activity are zero-filled business days of employed reps, never more activity
    extra = got.drop(ref.index)
    assert (extra[["calls", "emails_sent"]].to_numpy() == 0).all()


def test_day_grid_respects_employment_and_calendar(small):
    day = aggregate.rep_period(small, "day")
    b = day[day.rep_id == "b"]
    assert b.period.max() <= pd.Timestamp("2026-03-06") or b[b.period > "2026-03-06"].calls.gt(0).all()
    zero_days = day[(day.calls == 0) & (day.emails_sent == 0)]
    assert workdays.is_business_day(zero_days.period).all()
    c = day[day.rep_id == "c"]
    assert c.period.min() >= pd.Timestamp("2026-02-10")


def test_rates_are_ratios_of_sums(small):
    m = aggregate.rep_period(small, "month")
    day = aggregate.rep_period(small, "day")
    a_jan_days = day[(day.rep_id == "a") & (day.period.dt.month == 1)]
    a_jan = m[(m.rep_id == "a") & (m.period == "2026-01-01")].iloc[0]
    assert a_jan["connect_rate"] == pytest.approx(a_jan_days.connects.sum() / a_jan_days.calls.sum())
    assert a_jan["deals_created"] == 2 and a_jan["deal_amount_jpy"] == 3e6


def test_call_buckets_match_pandas(small):
    got = aggregate.call_buckets(small, by=("weekday", "hour"))
    ref = small.calls.groupby(["weekday", "hour", "business_day"]).agg(
        calls=("call_id", "size"), connects=("connected", "sum")
    )
    got = got.set_index(["weekday", "hour", "business_day"]).loc[ref.index]
    assert (got["calls"].to_numpy() == ref["calls"].to_numpy()).all()
    assert (got["connects"].to_numpy() == ref["connects"].to_numpy()).all()
    per_rep = aggregate.call_buckets(small)  # default: rep × weekday × hour, team attached
    assert {"team_id", "rep_id", "weekday", "hour", "business_day"} <= set(per_rep.columns)
    assert per_rep.calls.sum() == len(small.calls)
    assert per_rep.groupby("rep_id").calls.sum().to_dict() == small.calls.rep_id.value_counts().to_dict()
    with pytest.raises(ValueError, match="by must be drawn from"):
        aggregate.call_buckets(small, by=("minute",))
    with pytest.raises(ValueError, match="grain must be one of"):
        aggregate.rep_period(small, "year")
