"""Finding and reading the data files: format preference, encoding and delimiter sniffing, fingerprints."""

from __future__ import annotations

import codecs
import csv
import hashlib
from pathlib import Path

import pandas as pd

from .contract import HOW_TO_EXPORT, REQUIRED_TABLES, TABLES, DataValidationError, Problem

__all__ = ["OTHER_SUFFIXES", "file_sha256"]


def _q(s: str) -> str:
    """SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _sniff(path: Path) -> str:
    """What the first bytes say the file is when it is not CSV text in an 8-bit encoding ("" when
    it may be)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(b"PK\x03\x04"):
        return "an Excel workbook (.xlsx, a zip archive) with a .csv name"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an Excel 97-2003 workbook (.xls) with a .csv name"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text (Excel's 'Unicode text' export; often tab-separated)"
    if b"\x00" in head:
        return "binary data or UTF-16 text without a byte-order mark (it contains NUL bytes)"
    return ""


def _detect_encoding(path: Path) -> str:
    """UTF-8 with BOM, UTF-8 or CP932, checked over the whole file in blocks (bounded memory).

    Raises DataValidationError naming what the file looks like when it is no such text.
    """
    what = _sniff(path)
    if what:
        raise DataValidationError([Problem(path.name, None, f"is not CSV text: it looks like {what}; {HOW_TO_EXPORT}")])
    with open(path, "rb") as fh:
        bom = fh.read(3) == b"\xef\xbb\xbf"
    where = ""
    for enc in ("utf-8-sig",) if bom else ("utf-8", "cp932"):
        dec, line = codecs.getincrementaldecoder(enc)(), 1
        try:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 22), b""):
                    try:
                        dec.decode(block)
                    except UnicodeDecodeError as exc:
                        line += block[: max(exc.start, 0)].count(b"\n")
                        raise
                    line += block.count(b"\n")
                dec.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            where = f" (as {enc.upper()} it breaks near line {line})"
    raise DataValidationError([Problem(path.name, None, f"is neither UTF-8 nor CP932 text{where}; {HOW_TO_EXPORT}")])


class _CsvFile:
    """A CSV table read in a stream (pyarrow's CSV reader: UTF-8/CP932, quoted line breaks) into
    DuckDB, every column as text; ``lines`` turns its record numbers into physical lines."""

    def __init__(self, path: Path):
        self.path = path
        self.name = path.name
        self.encoding = _detect_encoding(path)
        with open(path, encoding=self.encoding, newline="") as fh:
            self.header = next((r for r in csv.reader(fh) if r), None)
        if self.header is None:
            raise DataValidationError(
                [
                    Problem(
                        self.name,
                        None,
                        "is empty (no header line): export the table with its header row of column names",
                    )
                ]
            )
        self.names = [h.strip() for h in self.header]
        dup = sorted({n for n in self.names if self.names.count(n) > 1})
        if dup:
            raise DataValidationError(
                [
                    Problem(
                        self.name,
                        None,
                        "line 1 (header): column name(s) appear more "
                        f"than once: {', '.join(n or '(unnamed)' for n in dup)}; "
                        "rename or delete the extra column",
                    )
                ]
            )
        self._identity = None

    def reader(self):
        """A pyarrow RecordBatchReader: the columns as strings plus ``_row`` (2 = first data row)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.csv as pcsv

        ro = pcsv.ReadOptions(
            encoding="utf8" if self.encoding.startswith("utf-8") else self.encoding, block_size=1 << 22
        )  # arrow skips a UTF-8 BOM itself
        po = pcsv.ParseOptions(newlines_in_values=True)
        co = pcsv.ConvertOptions(column_types={h: pa.string() for h in self.header}, strings_can_be_null=False)
        src = pcsv.open_csv(self.path, read_options=ro, parse_options=po, convert_options=co)
        schema = pa.schema([pa.field(n, pa.string()) for n in self.names] + [pa.field("_row", pa.int64())])

        def batches():
            first = 2
            for b in src:
                n = b.num_rows
                yield pa.RecordBatch.from_arrays(
                    list(b.columns) + [pa.array(np.arange(first, first + n))], schema=schema
                )
                first += n

        return pa.RecordBatchReader.from_batches(schema, batches())

    def _records(self):
        """(physical start line, fields) of every record after the header, blank lines skipped."""
        csv.field_size_limit(2**31 - 1)  # a long memo is a value like any other (default: 128 KB)
        with open(self.path, encoding=self.encoding, newline="") as fh:
            rd = csv.reader(fh)
            seen_header = False
            while True:
                before = rd.line_num
                try:
                    row = next(rd)
                except StopIteration:
                    return
                if not row:
                    continue
                if not seen_header:
                    seen_header = True
                    continue
                yield before + 1, row

    def _parse_problem(self, exc) -> Problem:
        n = len(self.header)
        for line, row in self._records():
            if len(row) != n:
                text = ",".join(row)
                return Problem(
                    self.name,
                    None,
                    f"line {line}: {len(row)} field(s) where the header has {n} "
                    f"({text[:80]!r}); a value holding a comma or a line break must be in double "
                    "quotes, and stray lines (totals, notes) must be removed from the export",
                )
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return Problem(self.name, None, f"cannot be read as CSV ({msg}); check for an unclosed double quote")

    def lines(self, rows: list[int], n_records: int) -> list[int]:
        """Physical line numbers of data rows numbered 2, 3, … (blank lines and line breaks inside
        quoted values shift them; pandas and pyarrow skip both)."""
        if self._identity is None:
            nl, last = 0, b""
            with open(self.path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 22), b""):
                    nl, last = nl + block.count(b"\n"), block[-1:]
            physical = nl + (0 if last in (b"\n", b"") else 1)
            # blank lines and quoted line breaks only add lines: equal counts mean neither is there
            self._identity = physical == n_records + 1
        if self._identity or not rows:
            return rows
        want, out = set(rows), {}
        for k, (line, _row) in enumerate(self._records(), start=2):
            if k in want:
                out[k] = line
                if len(out) == len(want):
                    break
        return [out.get(r, r) for r in rows]


# --- loading -------------------------------------------------------------------------------
#: other files a table may be exported as, which the loader does not read (named in errors)
OTHER_SUFFIXES = (".xlsx", ".xls", ".tsv", ".txt")


def _find_files(data_dir: Path, prefer: str | None) -> tuple[dict[str, Path], list[Problem], list[Problem]]:
    """The file of each table; both NAME.csv and NAME.parquet is an error unless ``prefer`` says
    which to read. Returns (files, notes, problems)."""
    files, notes, problems = {}, [], []
    for t in TABLES:
        pq, csv_ = data_dir / f"{t}.parquet", data_dir / f"{t}.csv"
        if pq.exists() and csv_.exists():
            if prefer is None:
                problems.append(
                    Problem(
                        str(data_dir),
                        None,
                        f"both {csv_.name} and {pq.name} exist and could differ: delete the "
                        "out-of-date one, or say which to read: `iskpi validate --prefer parquet` (or csv), "
                        "ISKPI_PREFER_FORMAT=parquet for `iskpi report` and the notebooks",
                    )
                )
                continue
            use, skip = (pq, csv_) if prefer == "parquet" else (csv_, pq)
            notes.append(
                Problem(
                    str(data_dir),
                    None,
                    f"both {csv_.name} and {pq.name} exist: reading {use.name} "
                    f"(prefer = {prefer}), {skip.name} is ignored",
                    code="both_formats",
                    fields={"use": use.name, "skip": skip.name, "prefer": prefer},
                )
            )
            files[t] = use
        elif pq.exists():
            files[t] = pq
        elif csv_.exists():
            files[t] = csv_
        else:
            other = [data_dir / f"{t}{x}" for x in OTHER_SUFFIXES if (data_dir / f"{t}{x}").exists()]
            if other:
                msg = (
                    f"{other[0].name} is not read (only {t}.csv or {t}.parquet are): "
                    f"{HOW_TO_EXPORT.replace('save it', 'save it as ' + t + '.csv')}"
                )
                (problems if t in REQUIRED_TABLES else notes).append(
                    Problem(
                        str(data_dir),
                        None,
                        msg,
                        code="" if t in REQUIRED_TABLES else "unread_file",
                        fields={"name": other[0].name, "table": t},
                    )
                )
    return files, notes, problems


def _fingerprint_files(files: dict[str, Path]) -> str:
    h = hashlib.sha256()
    for t in sorted(files):
        h.update(t.encode())
        h.update(file_sha256(files[t]).encode())
    return h.hexdigest()[:12]


def _fingerprint_frames(frames: dict[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for t in sorted(frames):
        h.update(t.encode())
        df = frames[t]
        h.update("\x1f".join(map(str, df.columns)).encode())
        try:  # typed columns hash as they are (a text copy of a million-row frame took seconds)
            rows = pd.util.hash_pandas_object(df, index=False)
        except TypeError:  # unhashable or mixed objects: their text form
            rows = pd.util.hash_pandas_object(df.astype(str), index=False)
        h.update(rows.values.tobytes())
    return h.hexdigest()[:12]


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes (manifests name their inputs by it)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
