"""Read a vendor export (CSV in any Japanese encoding, or xlsx) into text rows with the
physical line of each row, so that every later message can point at the line a user sees in
an editor (blank lines and quoted multi-line memo fields included).

The xlsx reader is openpyxl (read-only mode): pure Python, maintained with pandas as its default
xlsx engine, and it also writes xlsx, which the tests use to build their workbook.
"""

from __future__ import annotations

import csv
import io as _io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

__all__ = ["ENCODINGS", "ReadError", "RawTable", "read_table"]

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp932", "shift_jis")


class ReadError(ValueError):
    """A file cannot be read as a table; the message says what it looks like and what to do."""


@dataclass
class RawTable:
    """Text rows of one file: ``rows[i]`` maps header → cell text; ``lines[i]`` is its
    physical line (CSV, 1 = header line) or sheet row (xlsx)."""

    name: str
    header: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    encoding: str = ""
    blank_lines: int = 0
    skipped_above: int = 0  # lines above the header ([read] header_line)
    footer: list[str] = field(default_factory=list)  # report footer lines (Salesforce: 合計, Copyright…)


def read_table(
    path: Path,
    *,
    encoding: str = "auto",
    delimiter: str = ",",
    sheet: str | None = None,
    header_line: int | None = None,
) -> RawTable:
    """``header_line``: the physical line (xlsx: sheet row) of the header, for exports with
    title or filter lines above it; default the first non-blank line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    head = path.open("rb").read(8)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if not head.startswith(b"PK"):
            raise ReadError(
                f"{path.name}: named .xlsx but is not an Excel workbook "
                "(open it in Excel and save as .xlsx, or rename it to .csv if it is text)"
            )
        return _read_xlsx(path, sheet, header_line)
    if path.suffix.lower() == ".xls":
        raise ReadError(f"{path.name}: old Excel 97-2003 .xls is not read; save it as .xlsx or CSV UTF-8")
    if head.startswith(b"PK\x03\x04"):
        raise ReadError(
            f"{path.name}: looks like an Excel workbook (xlsx) renamed to {path.suffix or 'no extension'}; "
            "rename it to .xlsx, or export it from Excel as 'CSV UTF-8 (コンマ区切り)'"
        )
    return _read_csv(path, encoding, delimiter, header_line)


def _decode(path: Path, encoding: str) -> tuple[str, str]:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 3 and raw[1:2] == b"\x00" and raw[3:4] == b"\x00"):
        raise ReadError(
            f"{path.name}: UTF-16 text (Excel's 'Unicode テキスト'); export it as "
            "'CSV UTF-8 (コンマ区切り)' or CSV (Shift-JIS), or set nothing and save as .xlsx"
        )
    if encoding not in ENCODINGS:
        raise ReadError(f"encoding must be one of {ENCODINGS}, got {encoding!r} ([read] encoding)")
    tries = (
        [encoding] if encoding != "auto" else ["utf-8-sig"] if raw.startswith(b"\xef\xbb\xbf") else ["utf-8", "cp932"]
    )
    for enc in tries:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError as exc:
            last = exc
    pos = last.start
    line = raw[:pos].count(b"\n") + 1
    raise ReadError(
        f"{path.name}: line {line} is not {' or '.join(tries)} text (byte {raw[pos : pos + 2]!r}); "
        'set [read] encoding = "utf-8", "cp932" or "shift_jis" to the file\'s encoding'
    )


def _read_csv(path: Path, encoding: str, delimiter: str, header_line: int | None = None) -> RawTable:
    text, enc = _decode(path, encoding)
    if enc == "utf-8" and text.startswith("\ufeff"):
        text, enc = text[1:], "utf-8-sig"
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out, prev, above = None, 0, 0
    blank_since_data = False  # a report footer follows a blank line
    footer_at = None
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if out is None and header_line is not None and start < header_line:
                above += 1
                continue
            if not any(c.strip() for c in rec):
                if out is not None:
                    out.blank_lines += 1
                    blank_since_data = True
                continue
            if out is None:
                header = [h.strip() for h in rec]
                _check_header(path.name, header, start)
                out = RawTable(path.name, header, encoding=enc, skipped_above=above)
                continue
            if len(rec) == 1 and len(out.header) > 1 and (blank_since_data or footer_at):
                # Salesforce report exports end with a blank line and one-cell lines
                # ("合計", "Copyright (c) … salesforce.com", "Generated By: …"): counted, not data
                footer_at = footer_at or start
                out.footer.append(rec[0].strip())
                continue
            if footer_at:
                raise ReadError(
                    f"{path.name}: line {start} is data after one-cell footer lines (from line "
                    f"{footer_at}); remove the stray lines"
                )
            if len(rec) != len(out.header):
                raise ReadError(
                    f"{path.name}: line {start} has {len(rec)} fields, the header has "
                    f"{len(out.header)} (a stray '{delimiter}' or quote? if the header is not the "
                    "first line, set [read] header_line)"
                )
            blank_since_data = False
            out.rows.append(dict(zip(out.header, rec)))
            out.lines.append(start)
    except csv.Error as exc:
        raise ReadError(f"{path.name}: line {reader.line_num}: cannot be read as CSV ({exc})") from None
    if out is None:
        raise ReadError(f"{path.name}: empty file (no header line)")
    return out


def _check_header(name: str, header: list[str], line: int) -> None:
    seen = set()
    for h in header:
        if not h:
            continue
        if h in seen:
            raise ReadError(f"{name}: line {line}: column {h!r} appears twice in the header")
        seen.add(h)


def _cell(v) -> str:
    """An xlsx cell as the text a CSV export would have."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.isoformat()
    if isinstance(v, timedelta):
        s = v.total_seconds()
        return f"{int(s // 3600)}:{int(s % 3600 // 60):02d}:{s % 60:02g}" if s == int(s) else str(s)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_xlsx(path: Path, sheet: str | None, header_line: int | None = None) -> RawTable:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet:
            if sheet not in wb.sheetnames:
                raise ReadError(f"{path.name}: no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)}; [read] sheet)")
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        out = None
        above = 0
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if out is None and header_line is not None and i < header_line:
                above += 1
                continue
            cells = [_cell(v) for v in row]
            if not any(c.strip() for c in cells):
                if out is not None:
                    out.blank_lines += 1
                continue
            if out is None:
                header = [c.strip() for c in cells]
                while header and not header[-1]:
                    header.pop()
                _check_header(path.name, header, i)
                out = RawTable(path.name, header, encoding="xlsx", skipped_above=above)
                continue
            cells = (cells + [""] * len(out.header))[: max(len(out.header), len(cells))]
            extra = [c for c in cells[len(out.header) :] if c.strip()]
            if extra:
                raise ReadError(f"{path.name}: row {i} has values right of the last header column ({extra[0]!r})")
            out.rows.append(dict(zip(out.header, cells)))
            out.lines.append(i)
    finally:
        wb.close()
    if out is None:
        raise ReadError(f"{path.name}: the sheet is empty (no header row)")
    return out
