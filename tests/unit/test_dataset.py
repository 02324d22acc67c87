"""Loader and contract validation: every validation error has a test that checks its message."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import CALLS, REPS, TEAMS, write_dir

from iskpi_analysis import dataset

TODAY = "2026-11-22"


def load(path, **kw):
    return dataset.load_data(path, today=TODAY, **kw)


def broken(tmp_path, calls=None, reps=None, teams=None, **other):
    tables = {
        "teams": TEAMS if teams is None else teams,
        "reps": REPS if reps is None else reps,
        "calls": CALLS if calls is None else calls,
        **other,
    }
    return write_dir(tmp_path / "d", tables)


def error_text(path) -> str:
    with pytest.raises(dataset.DataValidationError) as ei:
        load(path)
    return str(ei.value)


def test_valid_dir_loads_with_types(mini_dir):
    d = load(mini_dir)
    c = d.calls
    assert len(c) == 4 and d.warnings == []
    assert c["connected"].tolist() == [True, False, True, True]
    assert c["talk_seconds"].tolist() == [150, 0, 60, 200]
    assert c["decision_maker"].isna().tolist() == [True, True, False, False]
    assert c["valid_conversation"].tolist() == [True, False, False, True]
    assert str(c["started_at"].dt.tz) == "Asia/Tokyo"


def test_utc_input_lands_in_local_hour_and_date(tmp_path):
    calls = CALLS.copy()
    calls.loc[0, "started_at"] = "2026-01-01T15:30:00Z"  # 00:30 on 2 Jan in Tokyo
    d = load(broken(tmp_path, calls=calls))
    row = d.calls.set_index("call_id").loc["c1"]
    assert row["date"] == pd.Timestamp("2026-01-02")
    assert row["hour"] == 0 and row["weekday"] == 4  # Friday
    assert row["started_at"].strftime("%Y-%m-%d %H:%M") == "2026-01-02 00:30"
    # naive timestamps are local; +09:00 and Z are converted
    c = d.calls.set_index("call_id")
    assert c.loc["c2", "hour"] == 11 and c.loc["c3", "hour"] == 15 and c.loc["c4", "hour"] == 16


def test_other_time_zone_parameter(tmp_path):
    calls = CALLS.copy()
    calls.loc[0, "started_at"] = "2026-01-01T15:30:00Z"
    d = dataset.load_data(broken(tmp_path, calls=calls), tz="UTC", today=TODAY)
    assert d.calls.set_index("call_id").loc["c1", "hour"] == 15


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_encodings(tmp_path, encoding):
    path = write_dir(tmp_path / encoding, {"teams": TEAMS, "reps": REPS, "calls": CALLS}, encoding)
    d = load(path)
    assert d.reps["rep_name"].tolist() == ["佐藤 健", "鈴木 花子"]
    assert d.teams["team_name"].tolist() == ["東京SDR"]


def test_parquet_and_csv_give_same_tables(tmp_path, mini_dir):
    pq = tmp_path / "pq"
    pq.mkdir()
    for name, df in {"teams": TEAMS, "reps": REPS}.items():
        df.replace("", None).to_parquet(pq / f"{name}.parquet")
    typed = load(mini_dir).calls[
        [
            "call_id",
            "rep_id",
            "lead_id",
            "started_at",
            "connected",
            "talk_seconds",
            "appointment",
            "decision_maker",
            "script",
        ]
    ]
    typed.to_parquet(pq / "calls.parquet")
    a, b = load(mini_dir).calls, load(pq).calls
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def test_missing_required_column(tmp_path):
    msg = error_text(broken(tmp_path, calls=CALLS.drop(columns=["connected"])))
    assert "calls.csv, column 'connected': required column is missing" in msg


def test_missing_required_table(tmp_path):
    path = write_dir(tmp_path / "d", {"reps": REPS})
    with pytest.raises(dataset.DataValidationError, match="required table file missing: calls.csv or calls.parquet"):
        load(path)


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load(tmp_path / "nope")


def test_unparseable_timestamp_names_rows(tmp_path):
    calls = CALLS.copy()
    calls.loc[1, "started_at"] = "yesterday"
    calls.loc[3, "started_at"] = "2026-13-45"
    msg = error_text(broken(tmp_path, calls=calls))
    # CSV line numbers: header is line 1, so data rows 2 and 4 are lines 3 and 5
    assert "calls.csv, column 'started_at': unparseable timestamp" in msg
    assert "2 rows (rows 3, 5)" in msg and "'yesterday'" in msg


def test_unparseable_boolean(tmp_path):
    calls = CALLS.copy()
    calls.loc[0, "connected"] = "maybe"
    msg = error_text(broken(tmp_path, calls=calls))
    assert "column 'connected': unparseable boolean" in msg and "rows 2" in msg and "'maybe'" in msg


def test_negative_count(tmp_path):
    calls = CALLS.copy()
    calls.loc[2, "talk_seconds"] = "-5"
    msg = error_text(broken(tmp_path, calls=calls))
    assert "column 'talk_seconds': negative value" in msg and "rows 4" in msg


def test_duplicate_ids_conflicting_is_error(tmp_path):
    calls = pd.concat([CALLS, CALLS.iloc[[0]].assign(talk_seconds="999")], ignore_index=True)
    msg = error_text(broken(tmp_path, calls=calls))
    assert "column 'call_id': duplicate id with different values" in msg and "rows 2, 6" in msg


def test_exact_duplicate_rows_dropped_with_warning(tmp_path):
    calls = pd.concat([CALLS, CALLS.iloc[[1, 1]]], ignore_index=True)
    d = load(broken(tmp_path, calls=calls))
    assert len(d.calls) == 4
    assert any("exact duplicate row dropped" in w and "2 rows (rows 6, 7)" in w for w in d.warnings)


def test_unknown_rep(tmp_path):
    calls = CALLS.copy()
    calls.loc[3, "rep_id"] = "ghost"
    msg = error_text(broken(tmp_path, calls=calls))
    assert "calls.csv, column 'rep_id': rep_id not in reps table (unknown rep)" in msg and "'ghost'" in msg


def test_talk_seconds_on_unconnected_call(tmp_path):
    calls = CALLS.copy()
    calls.loc[1, "talk_seconds"] = "45"
    msg = error_text(broken(tmp_path, calls=calls))
    assert "talk_seconds > 0 on a call that did not connect" in msg and "rows 3" in msg


def test_appointment_on_unconnected_call(tmp_path):
    calls = CALLS.copy()
    calls.loc[1, "appointment"] = "true"
    assert "appointment = true on a call that did not connect" in error_text(broken(tmp_path, calls=calls))


def test_future_dates(tmp_path):
    calls = CALLS.copy()
    calls.loc[0, "started_at"] = "2062-01-05T10:00:00"
    msg = error_text(broken(tmp_path, calls=calls))
    assert "column 'started_at': date in the future (after today, 2026-11-22)" in msg


def test_dates_after_the_datas_own_max_are_kept_with_a_warning(tmp_path):
    # issue 12: a lead created after the last call but not after today is consistent data (it was
    # an error before): kept, counted in a warning, and it does not move the data's last date
    leads = pd.DataFrame({"lead_id": ["L1"], "created_at": ["2026-03-01T09:00:00"], "source": ["webinar"]})
    d = load(broken(tmp_path, leads=leads))
    assert len(d.leads) == 1 and d.last_date == pd.Timestamp("2026-01-06") and d.months() == ["2026-01"]
    assert any(
        "leads.csv, column 'created_at': date after the data's last call or e-mail (2026-01-06)" in w
        and "1 row (rows 2)" in w
        for w in d.warnings
    )


def test_empty_required_value_and_bad_enum(tmp_path):
    reps = REPS.copy()
    reps.loc[0, "role"] = "AE"
    reps.loc[1, "joined_on"] = ""
    msg = error_text(broken(tmp_path, reps=reps))
    assert "column 'role': unknown value (allowed: SDR, BDR)" in msg
    assert "column 'joined_on': required value is empty" in msg


def test_all_problems_reported_together(tmp_path):
    calls = CALLS.copy()
    calls.loc[0, "connected"] = "maybe"
    calls.loc[1, "talk_seconds"] = "abc"
    with pytest.raises(dataset.DataValidationError) as ei:
        load(broken(tmp_path, calls=calls))
    assert len(ei.value.problems) == 2
    assert {p.column for p in ei.value.problems} == {"connected", "talk_seconds"}


def test_calls_outside_employment_are_kept_with_warning(tmp_path):
    reps = REPS.copy()
    reps.loc[0, "left_on"] = "2026-01-04"
    d = load(broken(tmp_path, reps=reps))
    assert len(d.calls) == 4
    assert any("2 call(s) outside their rep's joined_on–left_on period (kept)" in w for w in d.warnings)


def test_filter_team_role_window(mini_dir):
    d = load(mini_dir)
    assert len(d.filter(role="BDR").calls) == 2
    assert len(d.filter(start="2026-01-06").calls) == 2
    assert len(d.filter(team="t1").calls) == 4
    with pytest.raises(ValueError, match="unknown team 'x'; teams in the data: t1"):
        d.filter(team="x")
    with pytest.raises(ValueError, match="role must be one of"):
        d.filter(role="AE")


def test_month_bounds():
    assert dataset.month_bounds("2026-10") == (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01"))
    with pytest.raises(ValueError, match="YYYY-MM"):
        dataset.month_bounds("2026-13")


def test_validate_cli(mini_dir, tmp_path, capsys):
    from iskpi_analysis.cli import main

    assert main(["validate", "--data", str(mini_dir)]) == 0
    out = capsys.readouterr().out
    assert "calls" in out and "problems found: none" in out
    calls = CALLS.copy()
    calls.loc[0, "connected"] = "maybe"
    assert main(["validate", "--data", str(broken(tmp_path, calls=calls))]) == 1
    assert "unparseable boolean" in capsys.readouterr().err
    assert main(["validate", "--data", str(tmp_path / "missing")]) == 2
