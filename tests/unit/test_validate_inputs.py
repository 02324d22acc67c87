"""Issue 12 §3: every bad input is named (file, line, column, value, what to do), nothing is lost,
nothing is silent. One test per case of the issue."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from helpers import CALLS, REPS, TEAMS, write_dir

from iskpi_analysis import dataset

TODAY = "2026-11-22"


def load(path, **kw):
    return dataset.load_data(path, today=TODAY, **kw)


def error_text(path, **kw) -> str:
    with pytest.raises(dataset.DataValidationError) as ei:
        load(path, **kw)
    return str(ei.value)


def base_dir(tmp_path, **tables):
    return write_dir(tmp_path / "d", {"teams": TEAMS, "reps": REPS, "calls": CALLS, **tables})


# --- a calls file with a header and no rows --------------------------------------------------
def test_calls_header_without_rows_is_a_clear_error(tmp_path, capsys):
    path = base_dir(tmp_path, calls=CALLS.iloc[0:0])
    msg = error_text(path)
    assert "calls.csv: has a header but no data rows" in msg and "export them again with the rows" in msg
    from iskpi_analysis.cli import main

    assert main(["validate", "--data", str(path)]) == 1
    assert "calls.csv: has a header but no data rows" in capsys.readouterr().err


def test_optional_table_without_rows_is_a_counted_warning(tmp_path):
    leads = pd.DataFrame(columns=["lead_id", "created_at", "source"])
    d = load(base_dir(tmp_path, leads=leads))
    assert d.has("leads") and len(d.leads) == 0
    assert [w for w in d.warnings if "leads.csv: has a header but no data rows" in w]


# --- calls.csv next to calls.parquet ----------------------------------------------------------
def test_csv_next_to_parquet_is_an_error_naming_both(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ISKPI_PREFER_FORMAT", raising=False)
    path = base_dir(tmp_path)
    typed = load(path).calls[list(dataset.CONTRACT["calls"])].iloc[:2]  # a different (older) calls table
    typed.to_parquet(path / "calls.parquet")
    msg = error_text(path)
    assert "both calls.csv and calls.parquet exist" in msg and "--prefer parquet" in msg
    assert "ISKPI_PREFER_FORMAT" in msg
    # the user says which: the option, the environment variable (report, notebooks), the CLI
    assert len(load(path, prefer="csv").calls) == 4
    d = load(path, prefer="parquet")
    assert len(d.calls) == 2
    assert any("reading calls.parquet (prefer = parquet), calls.csv is ignored" in w for w in d.warnings)
    monkeypatch.setenv("ISKPI_PREFER_FORMAT", "csv")
    assert len(load(path).calls) == 4
    with pytest.raises(ValueError, match=r"prefer must be one of \('csv', 'parquet'\), got 'xlsx'"):
        load(path, prefer="xlsx")
    monkeypatch.delenv("ISKPI_PREFER_FORMAT")
    from iskpi_analysis.cli import main

    assert main(["validate", "--data", str(path)]) == 1
    assert "both calls.csv and calls.parquet" in capsys.readouterr().err
    assert main(["validate", "--data", str(path), "--prefer", "parquet"]) == 0
    assert "calls.csv is ignored" in capsys.readouterr().out


# --- talk_seconds = 119.6 -------------------------------------------------------------------
def test_fractional_seconds_are_an_error_not_rounded(tmp_path):
    calls = CALLS.copy()
    calls.loc[0, "talk_seconds"] = "119.6"  # would have become a 120 s valid conversation
    calls.loc[3, "talk_seconds"] = "200.0"  # a whole number written with a decimal point is fine
    msg = error_text(base_dir(tmp_path, calls=calls))
    assert "calls.csv, column 'talk_seconds': not a whole number" in msg
    assert "1 row (rows 2)" in msg and "'119.6'" in msg and "never rounds" in msg and "iskpi import" in msg
    calls.loc[0, "talk_seconds"] = "150"
    assert load(base_dir(tmp_path / "ok", calls=calls)).calls["talk_seconds"].tolist() == [150, 0, 60, 200]


def test_fractional_seconds_in_a_parquet_float_column(tmp_path):
    path = base_dir(tmp_path)
    c = load(path).calls[list(dataset.CONTRACT["calls"])].copy()
    c["talk_seconds"] = c["talk_seconds"].astype(float)
    c.loc[2, "talk_seconds"] = 59.5
    (path / "calls.csv").unlink()
    c.to_parquet(path / "calls.parquet")
    msg = error_text(path)
    assert "calls.parquet, column 'talk_seconds': not a whole number" in msg and "rows 3" in msg


def test_text_that_is_no_number_keeps_its_message(tmp_path):
    calls = CALLS.copy()
    calls.loc[1, "talk_seconds"] = "abc"
    msg = error_text(base_dir(tmp_path, calls=calls))
    assert "column 'talk_seconds': not a number" in msg and "'abc'" in msg and "whole" not in msg


# --- physical line numbers ------------------------------------------------------------------
def _write(path, text: str, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path):
    d = base_dir(tmp_path)
    header = ",".join(CALLS.columns)
    _write(
        d / "calls.csv",
        "\n".join(
            [
                header,  # line 1
                'c1,r1,L1,2026-01-05T10:00:00,true,150,true,,"A',  # line 2: a note with
                'second line of the script"',  # line 3: a line break
                "",  # line 4: blank
                "c2,r1,L2,2026-01-05T11:00:00,false,0,false,,A",  # line 5
                "",  # line 6: blank
                "c3,r2,L3,2026-01-06T15:00:00+09:00,maybe,60,false,true,B",  # line 7: the bad value
                "c4,r2,L1,2026-01-06T07:00:00Z,yes,200,no,false,B",
            ]
        )
        + "\n",
    )  # line 8
    msg = error_text(d)
    # pandas (and pyarrow) count records: it would have said row 4
    assert "calls.csv, column 'connected': unparseable boolean" in msg and "1 row (rows 7)" in msg
    assert "'maybe'" in msg


def test_a_record_with_too_many_fields_names_its_line(tmp_path):
    d = base_dir(tmp_path)
    header = ",".join(CALLS.columns)
    _write(
        d / "calls.csv",
        "\n".join(
            [
                header,
                "c1,r1,L1,2026-01-05T10:00:00,true,150,true,,A",
                "",
                "c2,r1,L2,2026-01-05T11:00:00,false,0,false,,A,extra,values",
                "c3,r2,L3,2026-01-06T15:00:00+09:00,true,60,false,true,B",
            ]
        )
        + "\n",
    )
    msg = error_text(d)
    assert "calls.csv: line 4: 11 field(s) where the header has 9" in msg and "double quotes" in msg


def test_cp932_with_quoted_line_breaks_reads(tmp_path):
    d = base_dir(tmp_path)
    calls = CALLS.copy()
    calls["script"] = ["トーク\n改訂版", "A", "B", "紹介"]
    calls.to_csv(d / "calls.csv", index=False, encoding="cp932")
    assert load(d).calls["script"].tolist() == ["トーク\n改訂版", "A", "B", "紹介"]


# --- not CSV text: an xlsx renamed .csv, UTF-16 --------------------------------------------
def test_xlsx_renamed_csv_says_what_it_is_and_how_to_export(tmp_path):
    d = base_dir(tmp_path)
    with zipfile.ZipFile(d / "calls.csv", "w") as z:  # an .xlsx file is a zip archive of XML parts
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    msg = error_text(d)
    assert "calls.csv: is not CSV text: it looks like an Excel workbook (.xlsx" in msg
    assert "CSV UTF-8 (comma delimited)" in msg and "iskpi import" in msg


def test_utf16_text_says_what_it_is(tmp_path):
    d = base_dir(tmp_path)
    CALLS.to_csv(d / "calls.csv", index=False, encoding="utf-16", sep="\t")
    msg = error_text(d)
    assert "calls.csv: is not CSV text: it looks like UTF-16 text" in msg and "CSV UTF-8" in msg


def test_neither_utf8_nor_cp932_names_the_line(tmp_path):
    d = base_dir(tmp_path)
    text = CALLS.to_csv(index=False).encode("utf-8")
    (d / "calls.csv").write_bytes(text + b"c9,r1,L9,2026-01-05T10:00:00,true,1,false,,\x81\xff\n")
    msg = error_text(d)
    assert "calls.csv: is neither UTF-8 nor CP932 text (as CP932 it breaks near line 6)" in msg


def test_a_workbook_instead_of_the_required_csv_is_named(tmp_path):
    d = base_dir(tmp_path)
    (d / "calls.csv").rename(d / "calls.xlsx")
    msg = error_text(d)
    assert "calls.xlsx is not read (only calls.csv or calls.parquet are)" in msg and "save it as calls.csv" in msg


def test_an_empty_file_says_so(tmp_path):
    d = base_dir(tmp_path)
    (d / "calls.csv").write_bytes(b"")
    assert "calls.csv: is empty (no header line): export the table with its header row" in error_text(d)


def test_a_long_quoted_memo_keeps_line_numbers(tmp_path):
    d = base_dir(tmp_path)
    header = ",".join(CALLS.columns)
    memo = "x" * 200_000 + "\n" + "y" * 10  # longer than the csv module's default field limit
    _write(
        d / "calls.csv",
        "\n".join(
            [
                header,
                f'c1,r1,L1,2026-01-05T10:00:00,true,150,true,,"{memo}"',
                "c2,r1,L2,2026-01-05T11:00:00,false,0,false,,A",
                "c3,r2,L3,2026-01-06T15:00:00+09:00,true,-60,false,true,B",
            ]
        )
        + "\n",
    )
    msg = error_text(d)
    assert "calls.csv, column 'talk_seconds': negative value" in msg and "1 row (rows 5)" in msg


# --- an unknown extra column ---------------------------------------------------------------
def test_unknown_columns_listed_once_as_ignored(tmp_path):
    calls = CALLS.assign(memo=["a", "b", "c", "d"], 担当者=["佐藤"] * 4)
    d = load(base_dir(tmp_path, calls=calls))
    hits = [w for w in d.warnings if "ignored" in w]
    assert hits == ["calls.csv: 2 column(s) not in the data contract, ignored: memo, 担当者"]
    assert "memo" not in d.calls.columns
