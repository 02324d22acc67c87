"""Bad input to ``iskpi import``: every problem names the file, the physical line, the column,
the value and the mapping key that would fix it; nothing is dropped or rounded silently."""

import shutil

import pytest

from iskpi_analysis import cli, config
from iskpi_analysis.importers import ImportProblems, MappingError, import_files

DATA = config.PROJECT_ROOT / "tests" / "data" / "import"
EXAMPLES = config.PROJECT_ROOT / "examples"


def setup(tmp_path, source, mapping_text=None):
    m = tmp_path / "mapping.toml"
    if mapping_text is None:
        shutil.copy(EXAMPLES / f"mapping-{source}.toml", m)
    else:
        m.write_text(mapping_text, encoding="utf-8")
    shutil.copy(DATA / "reps.csv", tmp_path / "reps.csv")
    return m


def problems_of(tmp_path, source, files, mapping):
    with pytest.raises(ImportProblems) as err:
        import_files(files, source=source, mapping=mapping, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half-written
    return err.value, str(err.value)


def test_unmapped_disposition_names_file_line_column_value_and_fix(tmp_path):
    m = setup(tmp_path, "salesforce")
    text = (DATA / "salesforce_tasks_2026-10.cp932.csv").read_bytes().decode("cp932")
    text = text.replace("Outbound,不在,0,2026/10/02 10:40", "Outbound,留守電,0,2026/10/02 10:40")
    f = tmp_path / "tasks.csv"
    f.write_bytes(text.encode("cp932"))
    err, msg = problems_of(tmp_path, "salesforce", [f], m)
    assert (
        "tasks.csv, line 10, column '通話結果': value not covered by the mapping for connected — value '留守電'" in msg
    )
    assert 'fix: [values.connected] "留守電" = true | false' in msg


def test_physical_line_after_multiline_memo_and_blank_line(tmp_path):
    m = setup(tmp_path, "miitel")
    text = (DATA / "miitel_history_2026-10.csv").read_text(encoding="utf-8-sig")
    # the 4th record starts on line 9: its predecessor's memo spans lines 3-6 and line 8 is blank
    f = tmp_path / "history.csv"
    f.write_text(
        text.replace("a1f3c9e0-0004,Outbound call (No Answer)", "a1f3c9e0-0004,Outbound call (Busy)"), encoding="utf-8"
    )
    err, msg = problems_of(tmp_path, "miitel", [f], m)
    assert (
        "history.csv, line 9, column 'Call type': value not covered by the mapping for direction — "
        "value 'Outbound call (Busy)'" in msg
    )
    assert '[values.direction] "Outbound call (Busy)" = "in" | "out" | "skip"' in msg
    assert '[values.connected] "Outbound call (Busy)" = true | false' in msg


def test_same_problem_on_many_rows_is_one_entry_with_its_lines(tmp_path):
    m = setup(
        tmp_path, "zoho", (EXAMPLES / "mapping-zoho.toml").read_text().replace('"No response/Busy" = false\n', "")
    )
    err, msg = problems_of(tmp_path, "zoho", [DATA / "zoho_calls_2026-10.sjis.csv"], m)
    assert len(err.problems) == 1
    assert err.problems[0].lines == [2]
    assert "column 'Call Result'" in msg and "'No response/Busy'" in msg


def test_fractional_duration_is_an_error_not_rounded(tmp_path):
    m = setup(
        tmp_path,
        "hubspot",
        (EXAMPLES / "mapping-hubspot.toml")
        .read_text()
        .replace('duration_rounding = "nearest"', 'duration_rounding = "error"'),
    )
    err, msg = problems_of(tmp_path, "hubspot", [DATA / "hubspot_calls_2026-10.csv"], m)
    assert "hubspot_calls_2026-10.csv, line 3, column 'hs_call_duration'" in msg
    assert "185.4 s is not a whole number of seconds" in msg and "duration_rounding" in msg


def test_unknown_owner_names_the_alias_to_add(tmp_path):
    m = setup(tmp_path, "zoho")
    text = (
        (DATA / "zoho_calls_2026-10.sjis.csv")
        .read_bytes()
        .decode("shift_jis")
        .replace(",鈴木 一郎,Meeting", ",鈴木 次郎,Meeting")
    )
    f = tmp_path / "calls.csv"
    f.write_bytes(text.encode("shift_jis"))
    err, msg = problems_of(tmp_path, "zoho", [f], m)
    assert "calls.csv, line 4, column 'Call Owner': owner not found among the reps — value '鈴木 次郎'" in msg
    assert 'add "鈴木 次郎" to that rep\'s aliases column in reps.csv' in msg


def test_miitel_dash_user_needs_a_fallback_column(tmp_path):
    """MiiTel documents ユーザー名 "-" on unanswered calls (Japanese list-view export)."""
    csv = (
        "シーケンス ID,通話種別,ユーザー名,内線番号,発信日時,通話開始日時,通話終了日時,応対メモ\n"
        "s-1,発信 (不在),-,ext201,2026/10/06 09:30:05,,,\n"
        "s-2,発信,佐藤 花子,ext201,2026/10/06 09:41:10,2026/10/06 09:41:25,2026/10/06 09:44:40,アポ獲得\n"
    )
    f = tmp_path / "応対履歴.csv"
    f.write_bytes(csv.encode("cp932"))
    m = setup(tmp_path, "miitel")
    err, msg = problems_of(tmp_path, "miitel", [f], m)
    assert "応対履歴.csv, line 2, column 'ユーザー名': '-' is how miitel marks a call without a user" in msg
    assert '= "rep_fallback"' in msg
    m.write_text(m.read_text() + '\n[columns]\n"内線番号" = "rep_fallback"\n', encoding="utf-8")
    res = import_files([f], source="miitel", mapping=m, out=tmp_path / "out")
    calls = res.tables["calls"].set_index("call_id")
    assert list(calls.rep_id) == ["R01", "R01"] and list(calls.connected) == [False, True]
    assert res.log.conversions[("calls", "rep_id", "rep from rep_fallback column")] == 1


def test_overlapping_files_with_different_content_is_an_error(tmp_path):
    m = setup(tmp_path, "hubspot")
    nov = (
        (DATA / "hubspot_calls_2026-11.csv")
        .read_text()
        .replace(
            "51000008,2026-10-30T01:15:00Z,81234002,OUTBOUND,f240bbac-87c9-4f6e-bf70-924b57d47db7,240000",
            "51000008,2026-10-30T01:15:00Z,81234002,OUTBOUND,f240bbac-87c9-4f6e-bf70-924b57d47db7,250000",
        )
    )
    f = tmp_path / "hubspot_calls_2026-11.csv"
    f.write_text(nov)
    err, msg = problems_of(tmp_path, "hubspot", [DATA / "hubspot_calls_2026-10.csv", f], m)
    assert (
        "hubspot_calls_2026-11.csv, line 3, column 'call_id': same id as hubspot_calls_2026-10.csv line 9 "
        "but different talk_seconds (240 vs 250)"
    ) in msg


def test_talk_on_a_call_that_did_not_connect_needs_a_decision(tmp_path):
    m = setup(
        tmp_path,
        "salesforce",
        (EXAMPLES / "mapping-salesforce.toml")
        .read_text()
        .replace('talk_when_not_connected = "zero"', 'talk_when_not_connected = "error"'),
    )
    err, msg = problems_of(tmp_path, "salesforce", [DATA / "salesforce_tasks_2026-10.cp932.csv"], m)
    assert "line 5, column '通話時間 (秒)': 35 s of talk on a call the mapping says did not connect" in msg
    assert '[options] talk_when_not_connected = "zero"' in msg


def test_xlsx_renamed_csv_and_utf16_say_what_the_file_is(tmp_path):
    import openpyxl

    m = setup(tmp_path, "generic", (EXAMPLES / "mapping-generic.toml").read_text())
    wb = openpyxl.Workbook()
    wb.active.append(["架電ID"])
    wb.save(tmp_path / "book.xlsx")
    (tmp_path / "calls_x.csv").write_bytes((tmp_path / "book.xlsx").read_bytes())
    (tmp_path / "calls_u.csv").write_text("架電ID,架電日時\nG-1,2026/10/01 10:00\n", encoding="utf-16")
    err, msg = problems_of(tmp_path, "generic", [tmp_path / "calls_x.csv", tmp_path / "calls_u.csv"], m)
    assert "calls_x.csv: looks like an Excel workbook (xlsx) renamed to .csv; rename it to .xlsx" in msg
    assert "calls_u.csv: UTF-16 text" in msg and "CSV UTF-8" in msg


def test_wrong_encoding_names_the_line(tmp_path):
    m = setup(
        tmp_path,
        "salesforce",
        (EXAMPLES / "mapping-salesforce.toml").read_text().replace('encoding = "auto"', 'encoding = "utf-8"'),
    )
    err, msg = problems_of(tmp_path, "salesforce", [DATA / "salesforce_tasks_2026-10.cp932.csv"], m)
    assert "line 1 is not utf-8 text" in msg and 'encoding = "utf-8", "cp932" or "shift_jis"' in msg


def test_generic_enum_and_boolean_fixes(tmp_path):
    m = setup(tmp_path, "generic")
    deals = (DATA / "generic_deals.csv").read_text().replace("失注,2026年10月14日,無", "保留,2026年10月14日,未定")
    (tmp_path / "generic_deals.csv").write_text(deals)
    err, msg = problems_of(tmp_path, "generic", [DATA / "generic_calls.csv", tmp_path / "generic_deals.csv"], m)
    assert "generic_deals.csv, line 4, column 'ステータス': not one of open, won, lost — value '保留'" in msg
    assert '[tables.deals.values.status] "保留" = "open"' in msg
    assert "line 4, column '予算確認': not a boolean" in msg
    assert '[tables.deals.values.budget_confirmed] "未定" = true  (or false)' in msg


def test_mapping_file_errors_name_the_key(tmp_path):
    m = setup(tmp_path, "hubspot", 'source = "hubspot"\n[read]\nencodng = "cp932"\n')
    with pytest.raises(MappingError, match=r"\[read\]: unknown key 'encodng' \(allowed: encoding"):
        import_files([DATA / "hubspot_calls_2026-10.csv"], source="hubspot", mapping=m, out=tmp_path / "o")
    m = setup(tmp_path, "hubspot", '[values.connected]\n"x" = "maybe"\n')
    with pytest.raises(MappingError, match="connected must be one of true, false, got 'maybe'"):
        import_files([DATA / "hubspot_calls_2026-10.csv"], source="hubspot", mapping=m, out=tmp_path / "o")
    m = setup(tmp_path, "hubspot", '[columns]\n"hs_call_body" = "notes"\n')
    with pytest.raises(MappingError, match="'notes' is not a column of calls"):
        import_files([DATA / "hubspot_calls_2026-10.csv"], source="hubspot", mapping=m, out=tmp_path / "o")
    m = setup(tmp_path, "zoho", 'source = "miitel"\n')
    with pytest.raises(MappingError, match="source = 'miitel' but --from zoho"):
        import_files([DATA / "zoho_calls_2026-10.sjis.csv"], source="zoho", mapping=m, out=tmp_path / "o")


def test_cli_exit_codes(tmp_path, capsys):
    m = setup(tmp_path, "zoho", (EXAMPLES / "mapping-zoho.toml").read_text().replace('"Interested" = true\n', ""))
    args = ["import", "--from", "zoho", "--mapping", str(m), "--out", str(tmp_path / "out")]
    assert cli.main(args + [str(DATA / "zoho_calls_2026-10.sjis.csv")]) == 1
    err = capsys.readouterr().err
    assert "NOT IMPORTED" in err and '[values.connected] "Interested" = true | false' in err
    assert cli.main(args + [str(tmp_path / "missing.csv")]) == 2
    (tmp_path / "bad.toml").write_text("[read\n")
    assert (
        cli.main(
            [
                "import",
                "--from",
                "zoho",
                "--mapping",
                str(tmp_path / "bad.toml"),
                "--out",
                str(tmp_path / "out"),
                str(DATA / "zoho_calls_2026-10.sjis.csv"),
            ]
        )
        == 2
    )
    assert "not valid TOML" in capsys.readouterr().err


def test_title_lines_above_the_header_and_a_missing_id_column(tmp_path):
    """A formatted xlsx report: title and filter rows above the header, no id column."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["活動レポート 2026年10月"])
    ws.append(["絞り込み条件: 期日 = 今月"])
    ws.append([])
    ws.append(["件名", "期日", "割り当て先", "通話種別", "通話結果", "通話時間 (秒)", "完了日時"])
    ws.append(["電話", "2026/10/01", "佐藤 花子", "Outbound", "不在", 0, "2026/10/01 09:32"])
    ws.append(["電話", "2026/10/01", "佐藤 花子", "Outbound", "通話完了", 185, "2026/10/01 10:08"])
    f = tmp_path / "report.xlsx"
    wb.save(f)
    m = setup(tmp_path, "salesforce")
    err, msg = problems_of(tmp_path, "salesforce", [f], m)
    # without header_line the title row is taken as the header: nothing maps, every field is missing
    assert "report.xlsx" in msg
    m.write_text(m.read_text().replace("[read]\n", "[read]\nheader_line = 4\n"), encoding="utf-8")
    err, msg = problems_of(tmp_path, "salesforce", [f], m)
    assert "report.xlsx, lines 5, 6 (2 rows), column 'call_id': the export has no id column" in msg
    assert "活動 ID" in msg


def test_data_after_a_footer_is_an_error(tmp_path):
    m = setup(tmp_path, "hubspot")
    text = (
        (DATA / "hubspot_calls_2026-10.csv").read_text()
        + '\n"Total"\n'
        + "51000099,2026-10-30T02:40:00Z,81234003,OUTBOUND,17b47fee-58de-441e-a44c-c6300d46f273,0,x,\n"
    )
    f = tmp_path / "calls.csv"
    f.write_text(text)
    err, msg = problems_of(tmp_path, "hubspot", [f], m)
    assert "calls.csv: line 13 is data after one-cell footer lines (from line 12)" in msg


def test_a_column_the_mapping_names_wins_over_the_source_default(tmp_path):
    """A report with both 期日 and 日付: mapping 日付 makes it the activity date, 期日 is not imported;
    a [columns] entry the file lacks is listed in the log."""
    text = (DATA / "salesforce_tasks_2026-10.cp932.csv").read_bytes().decode("cp932")
    lines = text.split("\r\n")
    lines[0] = lines[0].replace("期日", "期日,日付")
    for i in range(1, 15):  # 日付 = the day the call was made; 期日 = a due date a week later
        cells = lines[i].split(",")
        cells.insert(3, cells[2])
        cells[2] = "2026/10/20"
        lines[i] = ",".join(cells)
    f = tmp_path / "tasks.csv"
    f.write_bytes("\r\n".join(lines).encode("cp932"))
    m = setup(tmp_path, "salesforce")
    m.write_text(
        m.read_text() + '\n[columns]\n"日付" = "activity_date"\n"キーマン" = "decision_maker"\n', encoding="utf-8"
    )
    res = import_files([f], source="salesforce", mapping=m, out=tmp_path / "out")
    calls = res.tables["calls"].set_index("call_id")
    assert calls.loc["00T5j00000AbC002", "started_at"].strftime("%m-%d %H:%M") == "10-01 10:08"
    entry = res.log.files[0]
    assert "期日" in entry.ignored_columns and entry.mapped_columns_not_found == ["キーマン"]
    assert "[columns] entries not in this file: キーマン" in res.log.text()
