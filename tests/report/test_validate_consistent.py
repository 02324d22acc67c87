"""Issue 12 §1: consistent exports are accepted (warnings counted and shown, never silent), inbound
calls stay out of every call KPI, and a month without calls is refused with a clear message."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import CALLS, REPS, TEAMS, write_dir
from test_report import FIXTURE_NOTEBOOKS, make_tiny_data

from iskpi_analysis import aggregate, dataset, report

TODAY = "2026-11-22"


def load(path, **kw):
    return dataset.load_data(path, today=TODAY, **kw)


# --- events after the data's last activity ---------------------------------------------------
def late_export(tmp_path):
    """The mini data (last call Tue 6 Jan 2026) plus a deal created days after the appointment,
    a deal in the next month and MQL/SQL stamps on the Saturday after the last call."""
    deals = pd.DataFrame(
        {
            "deal_id": ["D1", "D2", "D3"],
            "lead_id": ["L1", "L3", "L1"],
            "rep_id": ["r1", "r2", "r1"],
            "created_at": ["2026-01-05T17:00:00", "2026-01-09T10:00:00", "2026-02-02T10:00:00"],
            "amount_jpy": ["100", "200", "400"],
            "status": ["open", "open", "open"],
        }
    )
    leads = pd.DataFrame(
        {
            "lead_id": ["L1", "L2"],
            "created_at": ["2026-01-02T09:00:00", "2026-01-02T09:00:00"],
            "source": ["webinar", "list"],
            "owner_rep_id": ["r1", "r1"],
            "mql_at": ["2026-01-10T09:00:00", ""],
            "sql_at": ["2026-01-10T12:00:00", ""],
        }
    )
    return write_dir(tmp_path / "late", {"teams": TEAMS, "reps": REPS, "calls": CALLS, "deals": deals, "leads": leads})


def test_events_after_the_last_call_are_kept_and_counted(tmp_path):
    d = load(late_export(tmp_path))
    assert len(d.deals) == 3 and d.leads["mql_at"].notna().sum() == 1
    # the data's span is its activity: late stamps move neither the last date nor the months
    assert d.last_date == pd.Timestamp("2026-01-06") and d.months() == ["2026-01"]
    after = [n for n in d.notes if n.code == "after_last_activity"]
    assert {(n.file, n.column, n.count) for n in after} == {
        ("deals.csv", "created_at", 2),
        ("leads.csv", "mql_at", 1),
        ("leads.csv", "sql_at", 1),
    }
    assert (
        "deals.csv, column 'created_at': date after the data's last call or e-mail (2026-01-06), not after "
        "today: kept, counted only in its own month (2 rows)" in d.quality_notes()
    )


def test_each_analysis_counts_late_events_only_in_their_month(tmp_path):
    d = load(late_export(tmp_path))
    month = aggregate.rep_period(d, grain="month")
    # every grain has the same total (issue 11): D3 (2 Feb, after the last call) is counted in
    # February, D1 (5 Jan) and D2 (9 Jan, after the last call but in January) in January
    assert month.groupby("period")["deals_created"].sum().to_dict() == {
        pd.Timestamp("2026-01-01"): 2,
        pd.Timestamp("2026-02-01"): 1,
    }
    day = aggregate.rep_period(d, grain="day")
    assert day["deals_created"].sum() == 3
    # a January window sees only January's deals; the data's span still ends with its last call
    jan = day[(day["period"] >= "2026-01-01") & (day["period"] < "2026-02-01")]
    assert jan["deals_created"].sum() == 2
    assert d.last_date == pd.Timestamp("2026-01-06")


def test_dates_after_today_stay_an_error(tmp_path):
    deals = pd.DataFrame(
        {"deal_id": ["D1"], "rep_id": ["r1"], "created_at": ["2026-12-01T10:00:00"], "status": ["open"]}
    )
    path = write_dir(tmp_path / "d", {"teams": TEAMS, "reps": REPS, "calls": CALLS, "deals": deals})
    with pytest.raises(
        dataset.DataValidationError,
        match=r"deals.csv, column 'created_at': date in the future "
        r"\(after today, 2026-11-22\)",
    ):
        load(path)


def test_validate_on_a_consistent_export_exits_0_and_lists_warnings(tmp_path, capsys):
    from iskpi_analysis.cli import main

    assert main(["validate", "--data", str(late_export(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "valid, with 3 warning(s)" in out
    assert "deals.csv, column 'created_at': date after the data's last call or e-mail (2026-01-06)" in out


# --- inbound and outbound calls ---------------------------------------------------------------
def mixed_calls():
    """8 calls of r1 on Mon 5 Jan: 4 outbound (2 connected), 4 inbound (all connected)."""
    n = 8
    return pd.DataFrame(
        {
            "call_id": [f"c{i}" for i in range(n)],
            "rep_id": ["r1"] * n,
            "lead_id": [f"L{i}" for i in range(n)],
            "started_at": [f"2026-01-05T{9 + i}:00:00" for i in range(n)],
            "connected": ["true", "false", "true", "false", "true", "true", "true", "true"],
            "talk_seconds": ["130", "0", "30", "0", "300", "300", "300", "300"],
            "appointment": ["true", "false", "false", "false", "true", "false", "false", "false"],
            "direction": ["out", "", "Outbound", "発信", "in", "Inbound", "受信", "INBOUND"],
            "disposition_raw": ["アポ獲得", "不在", "受付ブロック", "不在", "問い合わせ", "", "", ""],
        }
    )


def test_inbound_calls_are_kept_but_out_of_every_call_kpi(tmp_path):
    d = load(write_dir(tmp_path / "m", {"teams": TEAMS, "reps": REPS, "calls": mixed_calls()}))
    assert len(d.calls) == 8 and d.inbound_calls == 4
    c = d.calls.sort_values("call_id")
    assert c["direction"].fillna("").tolist() == ["out", "", "out", "out", "in", "in", "in", "in"]
    assert c["disposition_raw"].iloc[0] == "アポ獲得"
    day = aggregate.rep_period(d, grain="day").set_index(["rep_id", "period"]).loc[("r1", pd.Timestamp("2026-01-05"))]
    # by hand: outbound c0–c3 → 4 calls, 2 connects, 1 valid conversation, 1 appointment
    assert (day["calls"], day["connects"], day["valid_conversations"], day["appointments"]) == (4, 2, 1, 1)
    assert day["connect_rate"] == pytest.approx(0.5)
    buckets = aggregate.call_buckets(d, by=("hour",))
    assert sorted(buckets["hour"]) == [9, 10, 11, 12] and buckets["calls"].sum() == 4
    from iskpi_analysis import timing

    tod = timing.call_counts(d, by=("hour",))  # time of day: 5 Jan 2026 is a business day
    assert tod["calls"].sum() == 4 and tod["connects"].sum() == 2
    assert d.query(f"SELECT count(*) n FROM {d.sql('calls')}")["n"].iloc[0] == 4
    assert d.query(f"SELECT count(*) n FROM {d.sql('calls', lean=True)}")["n"].iloc[0] == 4
    assert [w for w in d.warnings if "4 inbound call(s) (direction = in): kept in the data, left out" in w]


def test_without_direction_every_call_is_outbound(mini_dir):
    d = load(mini_dir)
    assert d.inbound_calls == 0 and d.calls["direction"].isna().all()
    assert d.query(f"SELECT count(*) n FROM {d.sql('calls')}")["n"].iloc[0] == 4


def test_unknown_direction_is_an_error_listing_what_is_read(tmp_path):
    calls = mixed_calls()
    calls.loc[2, "direction"] = "内線"
    with pytest.raises(dataset.DataValidationError) as ei:
        load(write_dir(tmp_path / "m", {"teams": TEAMS, "reps": REPS, "calls": calls}))
    msg = str(ei.value)
    assert "calls.csv, column 'direction': unknown value (allowed: in, out; also read: inbound" in msg
    assert "受信" in msg and "empty = out" in msg and "rows 4" in msg and "'内線'" in msg


# --- a month with e-mails but no calls ------------------------------------------------------
def email_only_month(tmp_path):
    reps = pd.concat(
        [
            REPS,
            pd.DataFrame(
                {
                    "rep_id": ["r3"],
                    "rep_name": ["高橋"],
                    "team_id": ["t2"],
                    "role": ["SDR"],
                    "joined_on": ["2025-01-06"],
                    "left_on": [""],
                }
            ),
        ],
        ignore_index=True,
    )
    teams = pd.concat(
        [TEAMS, pd.DataFrame({"team_id": ["t2"], "team_name": ["大阪"], "launched_on": ["2025-01-06"]})],
        ignore_index=True,
    )
    emails = pd.DataFrame(
        {
            "email_id": ["e1", "e2", "e3"],
            "rep_id": ["r1", "r3", "r3"],
            "sent_at": ["2026-02-03T10:00:00", "2026-01-07T10:00:00", "2026-01-08T10:00:00"],
        }
    )
    return write_dir(tmp_path / "e", {"teams": teams, "reps": reps, "calls": CALLS, "emails": emails})


def test_month_without_calls_is_refused_by_the_package_function(tmp_path):
    d = load(email_only_month(tmp_path))
    assert d.months() == ["2026-01", "2026-02"]
    assert any("1 month(s) with e-mails but no (outbound) calls: 2026-02" in w for w in d.warnings)
    with pytest.raises(dataset.MonthWithoutCalls) as ei:
        dataset.require_month_calls(d, "2026-02")
    msg = str(ei.value)
    assert msg.startswith("calls.csv: the whole organisation has no outbound calls in 2026-02 (1 e-mail(s) that month)")
    assert "Add the month's calls to calls.csv, or choose a month with calls: 2026-01" in msg
    dataset.require_month_calls(d, "2026-01")  # the organisation has January calls
    with pytest.raises(dataset.MonthWithoutCalls, match=r"team t2 has no outbound calls in 2026-01 \(2 e-mail"):
        dataset.require_month_calls(d.filter(team="t2"), "2026-01")


def test_report_refuses_a_month_without_calls_naming_team_and_month(tmp_path, capsys):
    path = email_only_month(tmp_path)
    with pytest.raises(report.ReportError, match="team t2 has no outbound calls in 2026-01"):
        report.validate_parameters("2026-01", data_dir=path)
    data, teams = report.validate_parameters("2026-01", data_dir=path, teams=["t1"])
    assert teams == ["t1"]
    from iskpi_analysis.cli import main

    out = tmp_path / "reports"
    assert main(["report", "--month", "2026-02", "--data", str(path), "--out", str(out), "-q"]) == 2
    assert "the whole organisation has no outbound calls in 2026-02" in capsys.readouterr().err
    assert not (out / "2026-02").exists()


def test_report_refuses_a_month_with_inbound_calls_only(tmp_path):
    calls = pd.concat(
        [
            CALLS,
            mixed_calls().assign(
                call_id=lambda c: "in" + c["call_id"],
                direction="inbound",
                started_at=lambda c: c["started_at"].str.replace("2026-01", "2026-02"),
            ),
        ],
        ignore_index=True,
    )
    path = write_dir(tmp_path / "i", {"teams": TEAMS, "reps": REPS, "calls": calls})
    with pytest.raises(
        report.ReportError,
        match=r"the whole organisation has no outbound calls in 2026-02 "
        r"\(8 inbound call\(s\), which are not counted that month\)",
    ):
        report.validate_parameters("2026-02", data_dir=path)


def test_notebooks_call_the_check_in_their_load_cell():
    from iskpi_analysis import config

    for nb in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        src = "".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
        assert "dataset.require_month_calls(" in src, nb.name


# --- warnings reach the reader of the report ------------------------------------------------
def test_report_prints_and_shows_the_data_quality_note(tmp_path, capsys):
    path = make_tiny_data(tmp_path / "data")
    # the tiny data's last call is on or before Fri 30 Oct; deals a few days later are consistent
    rng = np.random.default_rng(1)
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(3)],
            "rep_id": ["r1", "r2", "r3"],
            "created_at": ["2026-10-31T10:00:00", "2026-11-02T10:00:00", "2026-11-03T10:00:00"],
            "amount_jpy": rng.integers(1, 9, 3) * 100000,
            "status": ["open"] * 3,
        }
    )
    deals.to_csv(path / "deals.csv", index=False)
    calls = pd.read_csv(path / "calls.csv", dtype=str).assign(memo="x")
    calls.to_csv(path / "calls.csv", index=False)
    res = report.run_report(
        "2026-10",
        teams=["T1"],
        data_dir=path,
        out_dir=tmp_path / "out",
        notebooks_dir=FIXTURE_NOTEBOOKS,
        jobs=1,
        progress=False,
    )
    err = capsys.readouterr().err
    assert "data warning: calls.csv: 1 column(s) not in the data contract, ignored: memo" in err
    assert "data warning: deals.csv, column 'created_at': date after the data's last call or e-mail" in err
    index = res.index.read_text(encoding="utf-8")
    assert 'id="data-quality"' in index and "データ品質の注意" in index
    # counts, not row numbers — in the report's language (issue 13: the notes were English in a ja report)
    assert "データ最後の架電・メールより後の日付 3 件" in index or "データ最後の架電・メールより後の日付 2 件" in index
    assert "データ契約にない列 1 個を無視しました: memo" in index
    assert "not in the data contract" not in index and "after the data's last call" not in index
    assert "rows 2" not in index
    for page in res.html_files:
        text = page.read_text(encoding="utf-8")
        assert "データ品質の注意が 2 件あります" in text and "../index.html#data-quality" in text
    manifest = json.loads(res.manifest.read_text(encoding="utf-8"))
    assert len(manifest["data"]["warnings"]) == 2
