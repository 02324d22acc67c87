"""``iskpi import`` round trips: each vendor fixture (tests/data/import/, written by hand from
the vendors' documented columns) → import with the example mapping → validate → aggregate,
compared with counts computed directly from the fixture by independent pandas code."""

import re
import shutil
from datetime import time

import pandas as pd
import pytest

from iskpi_analysis import aggregate, cli, config, dataset

DATA = config.PROJECT_ROOT / "tests" / "data" / "import"
EXAMPLES = config.PROJECT_ROOT / "examples"
REPS = pd.read_csv(DATA / "reps.csv", dtype=str, keep_default_na=False)
BY_NAME = dict(zip(REPS.rep_name, REPS.rep_id))
BY_EMAIL = dict(zip(REPS.email, REPS.rep_id))
BY_ALIAS = {a: r for r, al in zip(REPS.rep_id, REPS.aliases) for a in al.split("|")}
TOKYO = "Asia/Tokyo"
HS_CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"
HS_MEETING = "3f0e1c2a-7d41-4b8e-9a55-2c6d1e8b9f10"  # the example portal's custom outcome


def run_import(tmp_path, source, files, capsys=None):
    """Import with the example mapping (copied next to reps.csv); returns (exit code, out dir)."""
    shutil.copy(EXAMPLES / f"mapping-{source}.toml", tmp_path / "mapping.toml")
    shutil.copy(DATA / "reps.csv", tmp_path / "reps.csv")
    out = tmp_path / "out"
    rc = cli.main(
        ["import", "--from", source, "--mapping", str(tmp_path / "mapping.toml"), "--out", str(out), *map(str, files)]
    )
    return rc, out


def expected(df, *, rep, day, connected, appointment, outbound):
    """Counts per rep and day straight from the fixture's own columns. Call KPIs count outbound
    calls only (inbound calls stay in ``data.calls`` but out of every call-based KPI)."""
    e = pd.DataFrame(
        {
            "rep_id": rep.values,
            "period": pd.to_datetime(day.values),
            "connected": connected.values,
            "appointment": appointment.values,
            "outbound": outbound.values,
        }
    )
    per_day = (
        e[e.outbound]
        .groupby(["rep_id", "period"])
        .agg(calls=("connected", "size"), connects=("connected", "sum"), appointments=("appointment", "sum"))
        .reset_index()
    )
    out = e[e.outbound].groupby("rep_id").agg(calls_out=("connected", "size"), connects_out=("connected", "sum"))
    return per_day.sort_values(["rep_id", "period"]).reset_index(drop=True), out.sort_index()


def check_round_trip(out, exp_day, exp_out, *, raw=True):
    data = dataset.load_data(out, tz=TOKYO)
    rp = aggregate.rep_period(data, "day")
    got = (
        rp[rp.calls > 0][["rep_id", "period", "calls", "connects", "appointments"]]
        .sort_values(["rep_id", "period"])
        .reset_index(drop=True)
    )
    got["period"] = pd.to_datetime(got["period"])
    pd.testing.assert_frame_equal(got, exp_day, check_dtype=False)
    # connect rate counts outbound calls only: the contract file says which calls are inbound
    calls = pd.read_parquet(out / "calls.parquet")
    assert set(calls["direction"]) <= {"in", "out"}
    ob = (
        calls[calls.direction == "out"]
        .groupby("rep_id")
        .agg(calls_out=("connected", "size"), connects_out=("connected", "sum"))
    )
    pd.testing.assert_frame_equal(ob.sort_index(), exp_out, check_dtype=False, check_names=False)
    assert len(data.calls) == len(calls)  # inbound calls are kept in the data, not dropped
    if raw:  # the vendor's raw result is kept beside the mapped booleans
        assert calls["disposition_raw"].notna().sum() >= len(calls) - 1
    return data, calls


def test_salesforce_report_cp932_japanese_labels(tmp_path):
    f = DATA / "salesforce_tasks_2026-10.cp932.csv"
    rc, out = run_import(tmp_path, "salesforce", [f])
    assert rc == 0
    df = pd.read_csv(f, encoding="cp932", dtype=str, keep_default_na=False, skipfooter=5, engine="python")
    df = df[df["通話種別"] != "Internal"]
    exp_day, exp_out = expected(
        df,
        rep=df["割り当て先"].map(BY_NAME),
        day=df["期日"],
        connected=df["通話結果"].isin(["通話完了", "アポ獲得", "折り返し対応", "問い合わせ対応"]),
        appointment=df["通話結果"] == "アポ獲得",
        outbound=df["通話種別"] == "Outbound",
    )
    _data, calls = check_round_trip(out, exp_day, exp_out)
    # ActivityDate has no hour: the hour comes from CompletedDateTime, else CreatedDate
    c = calls.set_index("call_id")
    assert c.loc["00T5j00000AbC002", "started_at"] == pd.Timestamp("2026-10-01 10:08", tz=TOKYO)
    assert c.loc["00T5j00000AbC010", "started_at"] == pd.Timestamp("2026-10-02 11:00", tz=TOKYO)
    # logged on 10/5 for a call of 10/2: the day stays ActivityDate's, counted in the log
    assert c.loc["00T5j00000AbC011", "started_at"] == pd.Timestamp("2026-10-02 09:12", tz=TOKYO)
    log = (out / "import_log.txt").read_text()
    assert "ActivityDate ≠ the day of CompletedDateTime (day from ActivityDate): 1" in log
    assert "通話種別 = 'Internal' (mapped to \"skip\"): 1 row(s)" in log
    assert "talk time of a call that did not connect set to 0" in log
    assert "5 report footer line(s) skipped: '合計' / 'Copyright (c) 2000-2026 salesforce.com, '" in log
    assert (
        c.loc["00T5j00000AbC004", "talk_seconds"] == 0
        and c.loc["00T5j00000AbC004", "disposition_raw"] == "受付ブロック"
    )


def test_hubspot_two_overlapping_monthly_files_ms_and_guids(tmp_path):
    files = [DATA / "hubspot_calls_2026-10.csv", DATA / "hubspot_calls_2026-11.csv"]
    rc, out = run_import(tmp_path, "hubspot", files)
    assert rc == 0
    df = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])
    n_overlap = df.duplicated().sum()
    df = df.drop_duplicates()
    day = pd.to_datetime(df["hs_timestamp"], utc=True).dt.tz_convert(TOKYO).dt.date
    exp_day, exp_out = expected(
        df,
        rep=df["hubspot_owner_id"].map(BY_ALIAS),
        day=day,
        connected=df["hs_call_disposition"].isin([HS_CONNECTED, HS_MEETING]),
        appointment=df["hs_call_disposition"] == HS_MEETING,
        outbound=df["hs_call_direction"] == "OUTBOUND",
    )
    _data, calls = check_round_trip(out, exp_day, exp_out)
    assert n_overlap == 3
    assert f"duplicates removed (calls): {n_overlap} row(s)" in (out / "import_log.txt").read_text()
    c = calls.set_index("call_id")
    assert c.loc["51000002", "talk_seconds"] == 185  # 185400 ms, rounded as the mapping says
    assert c.loc["51000011", "talk_seconds"] == 655
    # 23:50 UTC on 29 Oct is 08:50 on 30 Oct in Tokyo
    assert c.loc["51000007", "started_at"] == pd.Timestamp("2026-10-30 08:50", tz=TOKYO)
    assert c.loc["51000007", "disposition_raw"] == "a4c4c377-d246-4b32-a13b-75a56a4cd0ff"
    log = (out / "import_log.json").read_text()
    assert '"ms → s (rounded to the nearest second)"' in log


def test_miitel_bom_multiline_memo_and_no_answer(tmp_path):
    f = DATA / "miitel_history_2026-10.csv"
    rc, out = run_import(tmp_path, "miitel", [f])
    assert rc == 0
    df = pd.read_csv(f, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    df = df[df["Call type"] != "Internal call"]
    memo = df["応対メモ"]
    exp_day, exp_out = expected(
        df,
        rep=df["User name"].map(BY_NAME),
        day=df["Dial begin time"].str[:10].str.replace("/", "-"),
        connected=df["Call type"].isin(["Outbound call", "Inbound call"]),
        appointment=memo.str.contains("アポ獲得") | memo.str.contains(r"商談(?:日程)?確定", regex=True),
        outbound=df["Call type"].str.startswith("Outbound"),
    )
    _data, calls = check_round_trip(out, exp_day, exp_out)
    c = calls.set_index("call_id")
    assert c.loc["a1f3c9e0-0002", "talk_seconds"] == 195  # 09:41:25 → 09:44:40
    assert c.loc["a1f3c9e0-0001", "talk_seconds"] == 0  # call begin time blank
    assert c.loc["a1f3c9e0-0008", "talk_seconds"] == 600
    assert c.loc["a1f3c9e0-0002", "started_at"] == pd.Timestamp("2026-10-06 09:41:10", tz=TOKYO)  # dial begin


@pytest.mark.parametrize("as_xlsx", [False, True])
def test_zoho_shift_jis_csv_and_xlsx(tmp_path, as_xlsx):
    f = DATA / "zoho_calls_2026-10.sjis.csv"
    df = pd.read_csv(f, encoding="shift_jis", dtype=str, keep_default_na=False)
    if as_xlsx:  # the same export saved from Excel: real date-time and time cells
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(df.columns))
        for r in df.itertuples(index=False):
            row = list(r)
            row[3] = pd.Timestamp(row[3]).to_pydatetime()
            m, s = map(int, row[4].split(":"))
            row[4] = time(m // 60, m % 60, s)
            ws.append(row)
        f = tmp_path / "Calls_2026-10.xlsx"
        wb.save(f)
    rc, out = run_import(tmp_path, "zoho", [f])
    assert rc == 0
    missed = df["Call Type"] == "Missed"
    exp_day, exp_out = expected(
        df,
        rep=df["Call Owner"].map(BY_NAME),
        day=df["Call Start Time"].str[:10],
        connected=df["Call Result"].isin(["Interested", "Not interested", "Requested more info", "Meeting scheduled"])
        & ~missed,
        appointment=df["Call Result"] == "Meeting scheduled",
        outbound=df["Call Type"] == "Outbound",
    )
    _data, calls = check_round_trip(out, exp_day, exp_out)
    c = calls.set_index("call_id")
    assert c.loc["zcrm_4150868000001234007", "talk_seconds"] == 65 * 60 + 20
    assert c.loc["zcrm_4150868000001234005", "direction"] == "in"


def test_generic_calls_and_deals_with_japanese_values(tmp_path):
    files = [DATA / "generic_calls.csv", DATA / "generic_deals.csv"]
    rc, out = run_import(tmp_path, "generic", files)
    assert rc == 0
    df = pd.read_csv(files[0], dtype=str, keep_default_na=False)
    day = df["架電日時"].str.extract(r"(\d{4})年(\d{2})月(\d{2})日").agg("-".join, axis=1)
    exp_day, exp_out = expected(
        df,
        rep=df["担当者"].map(BY_EMAIL),
        day=day,
        connected=df["接続"] == "○",
        appointment=df["アポ"] == "有",
        outbound=df["方向"] == "発信",
    )
    data, calls = check_round_trip(out, exp_day, exp_out, raw=False)
    assert calls.set_index("call_id").loc["G-0006", "talk_seconds"] == 3600 + 5 * 60 + 10
    deals = data.deals.set_index("deal_id")
    assert deals.loc["D-101", "amount_jpy"] == 1_200_000
    assert deals.loc["D-102", "amount_jpy"] == 1_200_000  # 120万円
    assert deals.loc["D-103", "amount_jpy"] == 980_000
    assert list(deals.status) == ["open", "won", "lost"]
    assert deals.loc["D-101", "rep_id"] == "R02" and bool(deals.loc["D-101", "budget_confirmed"])
    log = (out / "import_log.txt").read_text()
    for line in (
        "deals.amount_jpy: amount 万円: 1",
        "calls.connected: '○' → true: 4",
        "calls.talk_seconds: h:mm:ss → s: 6",
        "deals.status: '受注' → won: 1",
    ):
        assert line in log


def test_cli_import_prints_log_and_validation(tmp_path, capsys):
    rc, out = run_import(tmp_path, "miitel", [DATA / "miitel_history_2026-10.csv"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "miitel_history_2026-10.csv: 10 row(s) → calls (encoding utf-8-sig, 1 blank line(s) skipped)" in text
    assert re.search(r"calls\s+9\s+2026-10-06\s+2026-10-07", text)  # the validator's summary
    assert sorted(p.name for p in out.iterdir()) == [
        "calls.parquet",
        "import_log.json",
        "import_log.txt",
        "reps.parquet",
    ]


def test_generic_leads_and_emails_with_inline_reps(tmp_path):
    """[[reps.list]] in the mapping, several tables chosen by file name, Japanese dates."""
    (tmp_path / "leads_2026-10.csv").write_text(
        "リードID,作成日時,流入元,担当,MQL日時\n"
        "L-1,2026/10/01 09:00,ウェビナー,sato,2026/10/01 09:30\n"
        "L-2,2026年10月2日 14:05,問い合わせ,佐藤花子,\n",
        encoding="cp932",
    )
    (tmp_path / "mails_2026-10.csv").write_text(
        "メールID,送信日時,送信者,リードID,開封日時\n"
        "M-1,2026-10-01 10:00,佐藤 花子,L-1,2026-10-01 12:00\n"
        "M-2,2026-10-02 15:00,sato,L-2,\n",
        encoding="utf-8",
    )
    (tmp_path / "calls.csv").write_text(  # direction already in contract form
        "id,時刻,担当,つながった,秒,アポ,direction\nC-1,2026/10/02 16:00,sato,はい,130,いいえ,out\n", encoding="utf-8"
    )
    m = tmp_path / "mapping.toml"
    m.write_text(
        """source = "generic"
[[reps.list]]
rep_id = "R01"
rep_name = "佐藤 花子"
aliases = ["sato"]
team_id = "tokyo_is"
role = "SDR"
joined_on = "2025年4月1日"
[tables.leads]
files = ["leads_*"]
columns = { "リードID" = "lead_id", "作成日時" = "created_at", "流入元" = "source", "担当" = "owner_rep_id", "MQL日時" = "mql_at" }
values.source = { "ウェビナー" = "webinar", "問い合わせ" = "inbound_form" }
[tables.emails]
files = ["mails_*"]
columns = { "メールID" = "email_id", "送信日時" = "sent_at", "送信者" = "rep_id", "リードID" = "lead_id", "開封日時" = "opened_at" }
[tables.calls]
files = ["calls*"]
columns = { "id" = "call_id", "時刻" = "started_at", "担当" = "rep_id", "つながった" = "connected", "秒" = "talk_seconds", "アポ" = "appointment" }
""",
        encoding="utf-8",
    )
    rc = cli.main(
        [
            "import",
            "--from",
            "generic",
            "--mapping",
            str(m),
            "--out",
            str(tmp_path / "out"),
            *(str(tmp_path / n) for n in ("leads_2026-10.csv", "mails_2026-10.csv", "calls.csv")),
        ]
    )
    assert rc == 0
    data = dataset.load_data(tmp_path / "out", tz=TOKYO)
    assert list(data.leads.owner_rep_id) == ["R01", "R01"] and list(data.leads.source) == ["webinar", "inbound_form"]
    assert data.leads.created_at.iloc[1] == pd.Timestamp("2026-10-02 14:05", tz=TOKYO)
    assert list(data.emails.rep_id) == ["R01", "R01"] and data.emails.opened.tolist() == [True, False]
    assert data.reps.joined_on.iloc[0] == pd.Timestamp("2025-04-01")
    rp = aggregate.rep_period(data, "day")
    day = rp[rp.period == pd.Timestamp("2026-10-02")].iloc[0]
    assert (day.calls, day.connects, day.emails_sent) == (1, 1, 1)
    assert pd.read_parquet(tmp_path / "out" / "calls.parquet").direction.tolist() == ["out"]
