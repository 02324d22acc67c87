"""Load and validate a data directory (DESIGN §3, data contract v1).

A data directory holds one file per table, ``NAME.csv`` or ``NAME.parquet`` (both is an error
unless ``prefer`` says which). CSV may be UTF-8, UTF-8 with BOM or CP932; it is streamed
(pyarrow's CSV reader, quoted line breaks allowed) into DuckDB with every column as text, so a
5-million-row export validates in bounded memory. Every table is checked against the contract and
exposed as a typed view with derived local-time columns. pandas frames are materialised on first
access (``data.calls``), so the aggregation hot path (``aggregate``) never has to build a
25-million-row pandas frame.

Problems are collected across all tables and raised together as one
:class:`DataValidationError`, each naming the file, the column, the rows (first few row numbers
and the count), an example value and what to do. Errors are for data that cannot be right.
Consistent data is kept and counted in ``Dataset.warnings`` (``Dataset.notes`` as objects):
rows dropped (exact duplicate rows), kept despite a doubt (calls outside the rep's employment),
events after the data's last call or e-mail but not after today (deals created days after the
appointment, MQL/SQL stamps), inbound calls (kept in ``data.calls``, left out of the views the
analyses read), columns outside the contract (ignored). No row disappears silently.

Row numbers: for CSV the physical line in the file where the record starts (the header is line
1; blank lines and line breaks inside quoted values are counted); for Parquet and DataFrames the
1-based row position.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from . import calendar, config, tzfast

__all__ = [
    "CONTRACT",
    "TABLES",
    "REQUIRED_TABLES",
    "Problem",
    "DataValidationError",
    "MonthWithoutCalls",
    "Dataset",
    "file_sha256",
    "load_data",
    "month_bounds",
    "require_month_calls",
]

# --- the contract --------------------------------------------------------------------------
# kind: id (unique string), str, ref (string, may be empty), ts (timestamp), date, bool,
# int (non-negative integer), money (non-negative number), month (YYYY-MM), enum:<a|b|c>
CONTRACT: dict[str, dict[str, tuple[str, bool]]] = {
    "teams": {"team_id": ("id", True), "team_name": ("str", False), "launched_on": ("date", True)},
    "reps": {
        "rep_id": ("id", True),
        "rep_name": ("str", False),
        "team_id": ("str", True),
        "role": ("enum:SDR|BDR", True),
        "joined_on": ("date", True),
        "left_on": ("date", False),
    },
    "calls": {
        "call_id": ("id", True),
        "rep_id": ("str", True),
        "lead_id": ("str", False),
        "started_at": ("ts", True),
        "connected": ("bool", True),
        "talk_seconds": ("int", True),
        "appointment": ("bool", True),
        "decision_maker": ("bool", False),
        "script": ("str", False),
        "direction": ("enum:in|out", False),
        "disposition_raw": ("str", False),
    },
    "emails": {
        "email_id": ("id", True),
        "rep_id": ("str", True),
        "lead_id": ("str", False),
        "sent_at": ("ts", True),
        "opened_at": ("ts", False),
        "clicked_at": ("ts", False),
        "replied_at": ("ts", False),
    },
    "leads": {
        "lead_id": ("id", True),
        "created_at": ("ts", True),
        "source": ("str", True),
        "segment": ("str", False),
        "owner_rep_id": ("str", False),
        "mql_at": ("ts", False),
        "sql_at": ("ts", False),
    },
    "deals": {
        "deal_id": ("id", True),
        "lead_id": ("str", False),
        "rep_id": ("str", True),
        "created_at": ("ts", True),
        "amount_jpy": ("money", False),
        "budget_confirmed": ("bool", False),
        "authority_confirmed": ("bool", False),
        "need_confirmed": ("bool", False),
        "timeline_confirmed": ("bool", False),
        "need_clarity": ("enum:clear|overview|unclear", False),
        "decision_process": ("enum:detailed|overview|unknown", False),
        "next_action": ("enum:scheduled|timing_only|none", False),
        "status": ("enum:open|won|lost", True),
        "closed_at": ("ts", False),
    },
    "costs": {"month": ("month", True), "team_id": ("str", True), "cost_jpy": ("money", True)},
}
TABLES = tuple(CONTRACT)
REQUIRED_TABLES = ("reps", "calls")
#: the event-time column of each table (date filters and "future" checks use it)
EVENT_TIME = {"calls": "started_at", "emails": "sent_at", "leads": "created_at", "deals": "created_at"}
#: spellings accepted for an enum value, read case-insensitively after trimming (calls.direction:
#: vendor exports say Inbound/Outbound or 受信/発信); an empty direction is outbound (contract v1)
ENUM_ALIASES = {
    "direction": {
        "in": "in",
        "inbound": "in",
        "incoming": "in",
        "受信": "in",
        "着信": "in",
        "out": "out",
        "outbound": "out",
        "outgoing": "out",
        "発信": "out",
        "架電": "out",
    }
}
TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f")
MAX_ROWS_SHOWN = 5


@dataclass
class Problem:
    """One validation problem: where (file, column, rows) and what."""

    file: str
    column: str | None
    message: str
    rows: list[int] = field(default_factory=list)
    count: int = 0
    examples: list[str] = field(default_factory=list)
    #: a short stable name of the kind of problem (warnings the report summarises carry one)
    code: str = ""
    #: the values a reader's sentence for ``code`` needs beyond file, column and count
    #: (e.g. the ignored column names); the report renders the note from the catalog
    fields: dict = field(default_factory=dict)

    def summary(self) -> str:
        """File, column, what and how many — no row numbers (the report's data-quality note)."""
        where = self.file + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}" + (
            f" ({self.count:,} row{'s' if self.count != 1 else ''})" if self.count else ""
        )

    def __str__(self) -> str:
        where = self.file + (f", column '{self.column}'" if self.column else "")
        text = f"{where}: {self.message}"
        if self.count:
            shown = ", ".join(str(r) for r in self.rows[:MAX_ROWS_SHOWN])
            more = ", …" if self.count > len(self.rows[:MAX_ROWS_SHOWN]) else ""
            text += f" — {self.count} row{'s' if self.count != 1 else ''} (rows {shown}{more})"
        if self.examples:
            text += " e.g. " + ", ".join(repr(e) for e in self.examples[:3])
        return text


class DataValidationError(ValueError):
    """The data directory breaks the contract; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [f"{len(problems)} data problem(s) found:"] + [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


class MonthWithoutCalls(ValueError):
    """The report month has no (outbound) calls in this view of the data; see
    :func:`require_month_calls`."""


def _q(s: str) -> str:
    """SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


#: how to turn a file that is not CSV text into one (said by every "not CSV text" error)
HOW_TO_EXPORT = (
    "save it as CSV: in Excel 'File > Save As > CSV UTF-8 (comma delimited) (*.csv)' "
    "(or 'CSV (comma delimited)', which is CP932), or convert the export with `iskpi import`"
)


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


class Dataset:
    """Validated tables of one data directory (see ``docs/api.md`` for the columns).

    Use :func:`load_data` or :meth:`from_frames` to build one.
    """

    def __init__(
        self,
        con,
        *,
        tz,
        data_dir,
        files,
        fingerprint,
        notes,
        present,
        filters=None,
        valid_talk_seconds=config.VALID_TALK_SECONDS,
        inbound_calls=0,
        snapshot=None,
        scope=None,
    ):
        self._con = con
        #: the :class:`~iskpi_analysis.snapshot.Snapshot` this view reads (None: the raw load) and
        #: the team whose files alone its connection reads (None: every team)
        self.snapshot = snapshot
        self._scope = scope
        self.tz = tz
        self.data_dir = data_dir
        self.files = files
        self.fingerprint = fingerprint
        #: the warnings as :class:`Problem` objects (file, column, message, count, code)
        self.notes: list[Problem] = notes
        #: calls with direction = in: in ``calls`` but in none of the views the analyses read
        self.inbound_calls = int(inbound_calls)
        self._present = present
        self._filters = dict(filters or {})
        self._frames: dict[str, pd.DataFrame] = {}
        self.valid_talk_seconds = valid_talk_seconds

    @property
    def warnings(self) -> list[str]:
        """Warnings of the validation (rows kept or dropped, with counts and the first rows)."""
        return [str(p) for p in self.notes]

    def quality_notes(self) -> list[str]:
        """The warnings as counts without row numbers: the data-quality note of a report."""
        return [p.summary() for p in self.notes]

    # --- construction --------------------------------------------------------------------
    @classmethod
    def from_frames(
        cls,
        frames: dict[str, pd.DataFrame],
        *,
        tz: str = config.DEFAULT_TZ,
        valid_talk_seconds: int = config.VALID_TALK_SECONDS,
        today=None,
    ) -> Dataset:
        """Validate in-memory tables (as they would be read from files) and build a Dataset."""
        raw = {}
        for name, df in frames.items():
            if name not in CONTRACT:
                raise ValueError(f"unknown table {name!r}; tables are {TABLES}")
            df = df.copy()
            df["_row"] = range(1, len(df) + 1)
            raw[name] = (f"{name} (DataFrame)", df)
        return _build(
            raw,
            tz=tz,
            data_dir=None,
            files={},
            fingerprint=_fingerprint_frames(frames),
            valid_talk_seconds=valid_talk_seconds,
            today=today,
        )

    # --- access --------------------------------------------------------------------------
    def has(self, table: str) -> bool:
        if table not in CONTRACT:
            raise ValueError(f"unknown table {table!r}; tables are {TABLES}")
        return table in self._present

    def sql(self, table: str, *, lean: bool = False, with_inbound: bool = False) -> str:
        """A SQL subquery over the typed (and filtered) table, for the DuckDB hot path.

        ``lean=True`` (calls and emails): without the reps join and the hour/weekday/month
        columns — the aggregation path, which only needs rep_id, date and the facts.
        Calls are outbound calls only (direction empty or out): connect rate, every call KPI and
        time of day count outbound calls; ``with_inbound=True`` adds the inbound ones.
        """
        if not self.has(table):
            raise KeyError(f"table {table!r} is not in the data ({self.data_dir})")
        lean = lean and table in ("calls", "emails")
        where = self._where(table, lean=lean)
        view = f"v_{table}{'_lean' if lean else ''}{'_all' if with_inbound and table == 'calls' else ''}"
        return f"(SELECT * FROM {view}{' WHERE ' + where if where else ''})"

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL on this dataset's connection (tables via :meth:`sql`)."""
        return self._con.execute(sql).df()

    @property
    def con(self):
        return self._con

    def _where(self, table: str, lean: bool = False) -> str:
        f = self._filters
        cond = []
        if lean and (f.get("team") or f.get("role")):
            reps = " AND ".join(
                ([f"team_id = {_q(f['team'])}"] if f.get("team") else [])
                + ([f"role = {_q(f['role'])}"] if f.get("role") else [])
            )
            cond.append(f"rep_id IN (SELECT rep_id FROM v_reps WHERE {reps})")
        if not lean and f.get("team") and table in ("teams", "reps", "calls", "emails", "leads", "deals", "costs"):
            cond.append(f"team_id = {_q(f['team'])}")
        if not lean and f.get("role") and table in ("reps", "calls", "emails", "deals"):
            cond.append(f"role = {_q(f['role'])}")
        if table in EVENT_TIME:
            col = EVENT_TIME[table]
            if f.get("start") is not None:
                cond.append(f"{col} >= {_q(f['start'])}::TIMESTAMP AT TIME ZONE {_q(self.tz)}")
            if f.get("end") is not None:
                cond.append(f"{col} < {_q(f['end'])}::TIMESTAMP AT TIME ZONE {_q(self.tz)}")
        if table == "costs":
            if f.get("start") is not None:
                cond.append(f"month >= {_q(pd.Timestamp(f['start']).strftime('%Y-%m'))}")
            if f.get("end") is not None:
                cond.append(f"month < {_q(pd.Timestamp(f['end']).strftime('%Y-%m'))}")
        return " AND ".join(cond)

    def _frame(self, table: str) -> pd.DataFrame | None:
        if not self.has(table):
            return None
        if table not in self._frames:
            df = self._con.execute(f"SELECT * FROM {self.sql(table, with_inbound=True)}").df()
            self._frames[table] = _pandas_types(table, df, self.tz)
        return self._frames[table]

    teams = property(lambda self: self._frame("teams"))
    reps = property(lambda self: self._frame("reps"))
    calls = property(lambda self: self._frame("calls"))
    emails = property(lambda self: self._frame("emails"))
    leads = property(lambda self: self._frame("leads"))
    deals = property(lambda self: self._frame("deals"))
    costs = property(lambda self: self._frame("costs"))

    def filter(self, *, team: str | None = None, role: str | None = None, start=None, end=None) -> Dataset:
        """A view of the data restricted to a team ("all"/None = whole organisation), a role
        (SDR/BDR) and an event-time window [start, end) in local time."""
        f = dict(self._filters)
        if team not in (None, "", "all"):
            known = self.team_ids()
            if team not in known:
                raise ValueError(f"unknown team {team!r}; teams in the data: {', '.join(known)}")
            f["team"] = team
        if role not in (None, "", "all"):
            if role not in ("SDR", "BDR"):
                raise ValueError(f"role must be one of ('SDR', 'BDR', 'all'), got {role!r}")
            f["role"] = role
        if start is not None:
            f["start"] = str(pd.Timestamp(start))
        if end is not None:
            f["end"] = str(pd.Timestamp(end))
        if self.snapshot is not None and f.get("team") != self._scope:
            # another team: a connection whose views read only that team's files of the snapshot
            return self.snapshot.dataset(team=f.get("team"), filters=f)
        return Dataset(
            self._con,
            tz=self.tz,
            data_dir=self.data_dir,
            files=self.files,
            fingerprint=self.fingerprint,
            notes=self.notes,
            present=self._present,
            filters=f,
            valid_talk_seconds=self.valid_talk_seconds,
            inbound_calls=self.inbound_calls,
            snapshot=self.snapshot,
            scope=self._scope,
        )

    @property
    def team(self) -> str:
        """The team this view is restricted to, or "all"."""
        return self._filters.get("team", "all")

    def names(self) -> dict[str, str]:
        """Display names by id, the one map every report uses: team_id → team_name and
        rep_id → rep_name; an id without a name is left out (callers show the id)."""
        out = {}
        for table, key, col in (("teams", "team_id", "team_name"), ("reps", "rep_id", "rep_name")):
            df = getattr(self, table, None)
            if df is None or col not in df.columns:
                continue
            out.update({str(i): str(n) for i, n in zip(df[key], df[col]) if isinstance(n, str) and n})
        return out

    def team_ids(self) -> list[str]:
        """Teams in the data (teams table if present, else the reps' team ids)."""
        src = "v_teams" if self.has("teams") else "v_reps"
        return [r[0] for r in self._con.execute(f"SELECT DISTINCT team_id FROM {src} ORDER BY 1").fetchall()]

    def months(self) -> list[str]:
        """Months ('YYYY-MM') with (outbound) calls or emails in this view. Leads, deals and
        other stamps never add a month: the data's span is its activity."""
        parts = [f"SELECT DISTINCT month FROM {self.sql(t)}" for t in ("calls", "emails") if self.has(t)]
        rows = self._con.execute(" UNION ".join(parts) + " ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    @property
    def first_date(self) -> pd.Timestamp:
        return pd.Timestamp(self._con.execute(f"SELECT min(date) FROM {self.sql('calls')}").fetchall()[0][0])

    @property
    def last_date(self) -> pd.Timestamp:
        """Last local date with activity (an outbound call or an e-mail): the data's own 'today'.
        Deals, leads and MQL/SQL stamps after it (consistent data, counted in a warning) do not
        move it."""
        parts = [f"SELECT max(date) d FROM {self.sql(t)}" for t in ("calls", "emails") if self.has(t)]
        v = self._con.execute(f"SELECT max(d) FROM ({' UNION ALL '.join(parts)})").fetchall()[0][0]
        return pd.Timestamp(v)

    def row_counts(self) -> dict[str, int]:
        return {
            t: int(self._con.execute(f"SELECT count(*) FROM {self.sql(t, with_inbound=True)}").fetchall()[0][0])
            for t in TABLES
            if self.has(t)
        }

    def summary(self) -> pd.DataFrame:
        """Rows and date range per table (the data-quality summary of ``iskpi validate``)."""
        rows = []
        for t in TABLES:
            if not self.has(t):
                rows.append({"table": t, "rows": None, "first": None, "last": None, "file": "(missing)"})
                continue
            src = self.sql(t, with_inbound=True)
            n = self._con.execute(f"SELECT count(*) FROM {src}").fetchall()[0][0]
            first = last = None
            if t in EVENT_TIME:
                first, last = self._con.execute(f"SELECT min(date), max(date) FROM {src}").fetchall()[0]
            rows.append(
                {
                    "table": t,
                    "rows": int(n),
                    "first": first,
                    "last": last,
                    "file": self.files[t].name if t in self.files else f"{t} (DataFrame)",
                }
            )
        out = pd.DataFrame(rows)
        out["rows"] = out["rows"].astype("Int64")
        return out

    def __repr__(self) -> str:
        counts = ", ".join(f"{t}={n:,}" for t, n in self.row_counts().items())
        return f"<Dataset {self.data_dir or '(frames)'} team={self.team} {counts}>"


def _pandas_types(table: str, df: pd.DataFrame, tz: str) -> pd.DataFrame:
    for col, (kind, _req) in CONTRACT[table].items():
        if col not in df:
            continue
        if kind == "bool":
            df[col] = df[col].astype("boolean")
            if not df[col].isna().any():
                df[col] = df[col].astype(bool)
        elif kind == "ts":
            df[col] = pd.to_datetime(df[col], utc=True).dt.tz_convert(tz)
        elif kind == "date":
            df[col] = pd.to_datetime(df[col])
        elif kind == "int":
            df[col] = df[col].astype("int64")
        elif kind == "money":
            df[col] = df[col].astype(float)
    for col in ("date",):
        if col in df:
            df[col] = pd.to_datetime(df[col])
    for col in ("opened", "clicked", "replied", "valid_conversation", "business_day"):
        if col in df:
            df[col] = df[col].astype(bool)
    for col in ("hour", "weekday"):
        if col in df:
            df[col] = df[col].astype("int64")
    return df


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


def load_data(
    data_dir: str | Path | None = None,
    *,
    tz: str = config.DEFAULT_TZ,
    valid_talk_seconds: int = config.VALID_TALK_SECONDS,
    today=None,
    memory_limit: str | None = None,
    prefer: str | None = None,
) -> Dataset:
    """Load and validate every contract table found in ``data_dir``.

    Parameters
    ----------
    data_dir : directory with ``NAME.csv`` / ``NAME.parquet`` files (default: config.DATA_DIR).
    tz : time zone for local day/hour logic; naive timestamps are taken as in it.
    valid_talk_seconds : talk time that makes a connected call a valid conversation.
    today : date after which timestamps are "in the future" (default: the system date).
    memory_limit : DuckDB memory limit such as "1GB" (default: ``config.DUCKDB_MEMORY_LIMIT``).
    prefer : "csv" or "parquet": which file to read when a table has both (default: the
        ``ISKPI_PREFER_FORMAT`` environment variable; unset, both files are an error).

    A snapshot (:mod:`iskpi_analysis.snapshot`) is read instead of the files when ``data_dir``
    is a snapshot folder, or when the ``ISKPI_SNAPSHOT`` environment variable names a complete
    snapshot made from ``data_dir`` with the same options (a report run's kernels): it holds the
    same validated tables, warnings and fingerprint, and ``filter(team=...)`` then reads only
    that team's files.

    Raises
    ------
    DataValidationError
        listing every problem (file, column, rows, count, what is wrong).
    FileNotFoundError
        when the directory does not exist.
    """
    if isinstance(data_dir, str) and "://" in data_dir:  # a database (issue 15): not a Dataset yet
        raise ValueError(
            f"{data_dir.split('@')[-1]} is a database URL: the notebooks and the report read data files; "
            "`iskpi aggregate --data URL --out DIR` (iskpi_analysis.engines) computes the aggregated "
            "tables inside the database (see the README, 'Reading where the data lives')"
        )
    data_dir = Path(data_dir) if data_dir else config.DATA_DIR
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data directory not found or not a directory: {data_dir}")
    prefer = config.prefer_format() if prefer is None else (prefer or None)
    if prefer is not None:
        config.check_option("prefer", prefer, ("csv", "parquet"))
    from . import snapshot

    snap = snapshot.for_source(data_dir, tz=tz, valid_talk_seconds=valid_talk_seconds, prefer=prefer, today=today)
    if snap is not None:
        return snap.dataset(memory_limit=memory_limit)
    files, notes, problems = _find_files(data_dir, prefer)
    problems += [
        Problem(f"{data_dir}", None, f"required table file missing: {t}.csv or {t}.parquet")
        for t in REQUIRED_TABLES
        if t not in files and not any(p.message.startswith((f"both {t}.csv", f"{t}.")) for p in problems)
    ]
    raw = {}
    for t, path in files.items():
        try:
            raw[t] = (path.name, _CsvFile(path) if path.suffix == ".csv" else path)
        except DataValidationError as exc:
            problems += exc.problems
    if problems:
        raise DataValidationError(problems)
    return _build(
        raw,
        tz=tz,
        data_dir=data_dir,
        files=files,
        fingerprint=_fingerprint_files(files),
        valid_talk_seconds=valid_talk_seconds,
        today=today,
        memory_limit=memory_limit,
        notes=notes,
    )


# --- validation + typing -------------------------------------------------------------------
_TS_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d")


def _parse_expr(col: str, kind: str, src_type: str, typed_source: bool = False) -> str:
    """SQL turning a raw column into its typed value (NULL when empty or unparseable).

    CSV text is trimmed; strings from a typed source (Parquet) are taken as they are, which keeps
    the 25-million-row path free of per-row string work.
    """
    c = _ident(col)
    is_text = src_type.upper() in ("VARCHAR", "STRING", "TEXT")
    txt = f"NULLIF(trim(CAST({c} AS VARCHAR)), '')"
    if kind.startswith("enum") and col in ENUM_ALIASES:
        whens = " ".join(f"WHEN {_q(a)} THEN {_q(v)}" for a, v in ENUM_ALIASES[col].items())
        return f"CASE lower({txt}) {whens} ELSE {txt} END"  # an unknown spelling stays, for the error
    if kind in ("id", "str") or kind.startswith("enum"):
        return f"NULLIF({c}, '')" if typed_source and is_text else txt
    if kind == "ts":
        if not is_text:
            return f"CAST({c} AS TIMESTAMPTZ)"
        alts = ", ".join(f"CAST(try_strptime({txt}, '{f}') AS TIMESTAMPTZ)" for f in _TS_FORMATS)
        return f"coalesce(TRY_CAST({txt} AS TIMESTAMPTZ), {alts})"
    if kind == "date":
        if not is_text:
            if "TIME ZONE" in src_type.upper():
                return f"CAST(timezone(current_setting('TimeZone'), {c}) AS DATE)"
            return f"CAST({c} AS DATE)"
        return f"coalesce(TRY_CAST({txt} AS DATE), CAST(try_strptime({txt}, '%Y/%m/%d') AS DATE))"
    if kind == "bool":
        if src_type.upper() == "BOOLEAN":
            return c
        t = ", ".join(_q(w) for w in TRUE_WORDS)
        f = ", ".join(_q(w) for w in FALSE_WORDS)
        low = f"lower({txt})"
        return f"CASE WHEN {low} IN ({t}) THEN true WHEN {low} IN ({f}) THEN false ELSE NULL END"
    if kind == "int":
        if not is_text and _is_integer_type(src_type):
            return f"CAST({c} AS BIGINT)"
        # whole numbers only: 119.6 s is not rounded into a 120 s valid conversation
        d = f"TRY_CAST({txt if is_text else c} AS DOUBLE)"
        return f"CASE WHEN {d} = floor({d}) THEN TRY_CAST({d} AS BIGINT) END"
    if kind == "money":
        return f"TRY_CAST({txt if is_text else c} AS DOUBLE)"
    if kind == "month":
        return f"CASE WHEN regexp_full_match({txt}, '\\d{{4}}-(0[1-9]|1[0-2])') THEN {txt} END"
    raise AssertionError(kind)  # pragma: no cover - CONTRACT kinds are fixed above


class _Checker:
    """Collects problems; counts every condition of a table in one scan, details only if any."""

    def __init__(self, con):
        self.con = con
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        #: file name → (CSV file, record count): row numbers of a CSV become physical lines
        self.lines: dict[str, tuple[_CsvFile, int]] = {}

    def rows(self, file, column, message, sql_where, table, *, example_col=None, warn=False, code=""):
        """Add a problem (or warning) for rows of ``table`` matching ``sql_where``."""
        ex = f", CAST({_ident(example_col)} AS VARCHAR)" if example_col else ""
        res = self.con.execute(
            f"SELECT count(*) OVER (), _row{ex} FROM {table} WHERE {sql_where} ORDER BY _row LIMIT {MAX_ROWS_SHOWN}"
        ).fetchall()
        if not res:
            return 0
        n = int(res[0][0])
        rows = [int(r[1]) for r in res]
        if file in self.lines:
            rows = self.lines[file][0].lines(rows, self.lines[file][1])
        p = Problem(
            file,
            column,
            message,
            rows=rows,
            count=n,
            examples=[r[2] for r in res if r[2] is not None][:3] if example_col else [],
            code=code,
        )
        if warn:
            self.warnings.append(p)
        else:
            self.problems.append(p)
        return n

    def scan(self, file, table, checks, *, group=None, extra=()):
        """``checks``: list of (column, message, where, example_col, warn[, code]). One counting
        scan; with ``group`` the scan is grouped and the groups (key, *extra) are returned."""
        aggs = [f"count_if({c[2]})" for c in checks] + list(extra) or ["count(*)"]
        if group:
            res = self.con.execute(f"SELECT {group}, {', '.join(aggs)} FROM {table} GROUP BY {group}").fetchall()
            counts = [sum(r[1 + i] or 0 for r in res) for i in range(len(checks))]
        else:
            res = []
            counts = self.con.execute(f"SELECT {', '.join(aggs)} FROM {table}").fetchall()[0]
        for (col, msg, where, ex, warn, *code), n in zip(checks, counts):
            if n:
                self.rows(file, col, msg, where, table, example_col=ex, warn=warn, code=(code or [""])[0])
        return [(r[0], *r[1 + len(checks) :]) for r in res]


_PARSE_MSG = {
    "ts": "unparseable timestamp (expected ISO 8601)",
    "date": "unparseable date (expected YYYY-MM-DD)",
    "bool": "unparseable boolean (expected true/false, 1/0, yes/no)",
    "money": "not a number",
    "month": "unparseable month (expected YYYY-MM)",
}
_SQL_TYPE = {"ts": "TIMESTAMPTZ", "date": "DATE", "bool": "BOOLEAN", "int": "BIGINT", "money": "DOUBLE"}


def _is_text(src_type: str) -> bool:
    return src_type.upper() in ("VARCHAR", "STRING", "TEXT")


def _is_integer_type(src_type: str) -> bool:
    return src_type.upper() in (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
    )


def _build(
    raw: dict, *, tz, data_dir, files, fingerprint, valid_talk_seconds, today=None, memory_limit=None, notes=None
) -> Dataset:
    con = duckdb.connect()
    try:  # the progress bar would print into logs; inside Jupyter DuckDB refuses the setting
        con.execute("SET enable_progress_bar = false")  # unless ipywidgets is installed
    except duckdb.InvalidInputException:
        pass
    con.execute("SET preserve_insertion_order = false")  # less memory for big scans
    con.execute(f"SET TimeZone = {_q(tz)}")
    con.execute(f"SET memory_limit = {_q(memory_limit or config.DUCKDB_MEMORY_LIMIT)}")
    con.execute(f"SET temp_directory = {_q(str(config.DUCKDB_TEMP_DIR))}")
    chk = _Checker(con)
    chk.warnings.extend(notes or [])
    present = set()
    spans: dict[str, list] = {}
    has_direction = False
    today = pd.Timestamp(today).normalize() if today is not None else pd.Timestamp.now(tz).normalize().tz_localize(None)
    today_sql = f"DATE {_q(today.date())}"
    tomorrow_sql = f"CAST({_q(str(today + pd.Timedelta(days=1)))} AS TIMESTAMPTZ)"  # session zone = tz
    # tables in contract order: teams and reps come first, so later tables can check references
    for t in [t for t in TABLES if t in raw]:
        fname, src = raw[t]
        typed_source = isinstance(src, Path)
        if typed_source:
            con.execute(
                f"CREATE VIEW raw_{t} AS SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _row "
                f"FROM read_parquet({_q(str(src))}, file_row_number = true)"
            )
        elif isinstance(src, _CsvFile):
            # streamed straight into the parsed table below: the text is read and parsed once
            try:
                con.register(f"raw_{t}", src.reader())  # arrow reads the first block here
            except Exception as exc:  # noqa: BLE001 - pyarrow.ArrowInvalid on a malformed record
                chk.problems.append(src._parse_problem(exc))
                continue
        else:
            con.register(f"df_{t}", src)
            con.execute(f"CREATE VIEW raw_{t} AS SELECT * FROM df_{t}")
        types = (
            {**{n: "VARCHAR" for n in src.names}, "_row": "BIGINT"}
            if isinstance(src, _CsvFile)
            else dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE raw_{t})").fetchall())
        )
        spec = CONTRACT[t]
        missing = [c for c, (_k, req) in spec.items() if req and c not in types]
        for c in missing:
            chk.problems.append(
                Problem(
                    fname,
                    c,
                    f"required column is missing (columns found: {', '.join(k for k in types if k != '_row')})",
                )
            )
        if missing:
            if isinstance(src, _CsvFile):
                con.unregister(f"raw_{t}")
            continue
        extra = [c for c in types if c not in spec and c != "_row"]
        if extra:
            chk.warnings.append(
                Problem(
                    fname,
                    None,
                    f"{len(extra)} column(s) not in the data contract, ignored: "
                    f"{', '.join(c or '(unnamed)' for c in extra)}",
                    code="ignored_columns",
                    fields={"n": len(extra), "columns": ", ".join(c or "(unnamed)" for c in extra)},
                )
            )
        sel, checks = [], []
        for c, (kind, req) in spec.items():
            if c not in types:
                sel.append(f"CAST(NULL AS {_SQL_TYPE.get(kind, 'VARCHAR')}) AS {_ident(c)}")
                continue
            sel.append(f"{_parse_expr(c, kind, types[c], typed_source)} AS {_ident(c)}")
            val = _ident(c)
            if _is_text(types[c]) and not (kind in ("id", "str") or kind.startswith("enum")):
                # the raw text is kept for the kinds that parse (ids, strings and enums are the
                # trimmed text itself, so their value tells empty from given)
                rawc = _ident("_raw_" + c)
                sel.append(f"NULLIF(trim({_ident(c)}), '') AS {rawc}")
                if req:
                    checks.append((c, "required value is empty", f"{rawc} IS NULL", None, False))
                if kind in _PARSE_MSG:
                    checks.append((c, _PARSE_MSG[kind], f"{rawc} IS NOT NULL AND {val} IS NULL", "_raw_" + c, False))
                if kind == "int":
                    number = f"TRY_CAST({rawc} AS DOUBLE)"
                    checks.append((c, "not a number", f"{rawc} IS NOT NULL AND {number} IS NULL", "_raw_" + c, False))
                    checks.append((c, _NOT_WHOLE, f"{number} IS NOT NULL AND {val} IS NULL", "_raw_" + c, False))
            elif kind == "int" and not _is_integer_type(types[c]):
                # a float column (Parquet, DataFrame): keep the source value to tell empty from 59.5
                rawc = _ident("_raw_" + c)
                sel.append(f"{_ident(c)} AS {rawc}")
                if req:
                    checks.append((c, "required value is empty", f"{rawc} IS NULL", None, False))
                checks.append((c, _NOT_WHOLE, f"{rawc} IS NOT NULL AND {val} IS NULL", "_raw_" + c, False))
            elif req:
                checks.append((c, "required value is empty", f"{val} IS NULL", None, False))
            if kind in ("int", "money"):
                checks.append((c, "negative value (counts and amounts cannot be negative)", f"{val} < 0", c, False))
            if kind.startswith("enum:"):
                allowed = kind[5:].split("|")
                also = [a for a in ENUM_ALIASES.get(c, {}) if a not in allowed]
                checks.append(
                    (
                        c,
                        f"unknown value (allowed: {', '.join(allowed)}"
                        + (f"; also read: {', '.join(also)}, any case" if also else "")
                        + ("; empty = out" if c == "direction" else "")
                        + ")",
                        f"{val} IS NOT NULL AND {val} NOT IN ({', '.join(map(_q, allowed))})",
                        c,
                        False,
                    )
                )
            if kind in ("ts", "date"):
                # compare with a constant (local midnight after today): no per-row conversion
                checks.append(
                    (
                        c,
                        f"date in the future (after today, {today.date()})",
                        f"{val} >= {tomorrow_sql}" if kind == "ts" else f"{val} > {today_sql}",
                        c,
                        False,
                    )
                )
        if typed_source:  # Parquet: a view, so the 25-million-row path parses nothing twice
            con.execute(f"CREATE VIEW p_{t} AS SELECT _row, {', '.join(sel)} FROM raw_{t}")
        elif isinstance(src, _CsvFile):  # parse once into a table: every later scan reads it
            try:
                con.execute(f"CREATE TABLE p_{t} AS SELECT _row, {', '.join(sel)} FROM raw_{t}")
            except Exception as exc:  # noqa: BLE001 - arrow's parse error comes wrapped by DuckDB
                chk.problems.append(src._parse_problem(exc))
                continue
            finally:
                con.unregister(f"raw_{t}")
        else:
            con.execute(f"CREATE TABLE p_{t} AS SELECT _row, {', '.join(sel)} FROM raw_{t}")
        n_rows = con.execute(f"SELECT count(*) FROM p_{t}").fetchall()[0][0]
        if isinstance(src, _CsvFile):
            chk.lines[fname] = (src, n_rows)
        if not n_rows:
            if t in REQUIRED_TABLES:
                chk.problems.append(
                    Problem(
                        fname,
                        None,
                        f"has a header but no data rows: the kit needs the "
                        f"{t} of the period you report on — export them again with the rows",
                    )
                )
                continue
            chk.warnings.append(
                Problem(fname, None, "has a header but no data rows (an empty table)", code="empty_table")
            )
        present.add(t)
        has_direction = has_direction or (t == "calls" and "direction" in types)
        checks += _table_checks(t, present)
        if t in ("calls", "emails", "deals") and "reps" in present:
            # one scan grouped by rep: row-level checks are summed, the rep reference is checked
            # per group, and each rep's first/last activity is kept for the employment check
            per_rep = chk.scan(
                fname, f"p_{t}", checks, group="rep_id", extra=[f"min({EVENT_TIME[t]})", f"max({EVENT_TIME[t]})"]
            )
            known = set(r[0] for r in con.execute("SELECT rep_id FROM p_reps").fetchall())
            if any(g[0] not in known for g in per_rep):
                chk.rows(
                    fname,
                    "rep_id",
                    "rep_id not in reps table (unknown rep)",
                    "rep_id IS NULL OR rep_id NOT IN (SELECT rep_id FROM p_reps WHERE rep_id IS NOT NULL)",
                    f"p_{t}",
                    example_col="rep_id",
                )
            spans[t] = per_rep
        else:
            chk.scan(fname, f"p_{t}", checks)
        id_col = next((c for c, (k, _r) in spec.items() if k == "id"), None)
        _check_duplicates(
            con, chk, t, fname, id_col, list(spec), raw_ok=typed_source and _is_text(types.get(id_col or "", ""))
        )

    if chk.problems:
        raise DataValidationError(chk.problems)

    # --- the data's own span, holidays, and "after the data's last activity" --------------
    span = " UNION ALL ".join(
        f"SELECT min({EVENT_TIME[t]}) lo, max({EVENT_TIME[t]}) hi FROM t_{t}"
        + (" WHERE direction IS DISTINCT FROM 'in'" if t == "calls" and has_direction else "")
        for t in ("calls", "emails")
        if t in present
    )
    lo, hi = con.execute(f"SELECT min(lo), max(hi) FROM ({span})").fetchall()[0]
    _create_holidays(con, range(lo.year if lo else 2000, (hi.year if hi else 2000) + 2))
    data_max = pd.Timestamp(hi).tz_convert(tz).date() if hi is not None else None
    if data_max is not None:
        # Deals are created days after the appointment, MQL/SQL stamps land on the weekend after
        # the last call: consistent data (after today is the error above). Kept and counted; each
        # analysis reads its own month window, and the data's span is its activity only.
        for t in present - {"calls", "emails"}:
            checks = []
            for c, (kind, _r) in CONTRACT[t].items():
                if kind in ("ts", "date") and c != "left_on":
                    local = f"CAST(timezone({_q(tz)}, {_ident(c)}) AS DATE)" if kind == "ts" else _ident(c)
                    checks.append(
                        (
                            c,
                            f"date after the data's last call or e-mail ({data_max}), not after "
                            "today: kept, counted only in its own month",
                            f"{local} > DATE {_q(data_max)}",
                            c,
                            True,
                            "after_last_activity",
                        )
                    )
            chk.scan(raw[t][0], f"t_{t}", checks)
    if chk.problems:
        raise DataValidationError(chk.problems)

    inbound = 0
    if has_direction:
        inbound = con.execute("SELECT count_if(direction = 'in') FROM t_calls").fetchall()[0][0] or 0
        if inbound:
            chk.warnings.append(
                Problem(
                    raw["calls"][0],
                    "direction",
                    f"{inbound:,} inbound call(s) (direction = in): kept in the "
                    "data, left out of call counts, connect rates, every call-based KPI and time of day",
                    code="inbound_calls",
                    fields={"n": int(inbound)},
                )
            )
    # each rep's first/last call and e-mail from the validation scan: the data's time range
    # for the local-time fast path, without another scan
    ranges = {
        t: (
            min((r[1] for r in spans[t] if r[1] is not None), default=None),
            max((r[2] for r in spans[t] if r[2] is not None), default=None),
        )
        for t in ("calls", "emails")
        if spans.get(t)
    }
    _create_views(con, present, tz, valid_talk_seconds, outbound_only=bool(inbound), ranges=ranges)
    if "calls" in present:
        # exact count only for reps whose first/last call (from the validation scan) lies outside
        emp = {r[0]: (r[1], r[2]) for r in con.execute("SELECT rep_id, joined_on, left_on FROM t_reps").fetchall()}
        outside = [
            rep
            for rep, first, last in spans.get("calls", [])
            if first is not None
            and (
                pd.Timestamp(first).tz_convert(tz).date() < emp[rep][0]
                or (emp[rep][1] is not None and pd.Timestamp(last).tz_convert(tz).date() > emp[rep][1])
            )
        ]
        n = 0
        if outside:
            n = con.execute(
                "SELECT count(*) FROM v_calls_lean_all c JOIN t_reps r USING (rep_id) "
                f"WHERE c.rep_id IN ({', '.join(map(_q, outside))}) AND (c.date < r.joined_on "
                "OR (r.left_on IS NOT NULL AND c.date > r.left_on))"
            ).fetchall()[0][0]
        if n:
            chk.warnings.append(
                Problem(
                    raw["calls"][0],
                    None,
                    f"{n} call(s) outside their rep's joined_on–left_on period (kept)",
                    code="outside_employment",
                    fields={"n": int(n)},
                )
            )
    if "emails" in present and "calls" in present:
        e_months = [r[0] for r in con.execute("SELECT DISTINCT month FROM v_emails ORDER BY 1").fetchall()]
        quiet = [
            m
            for m in e_months
            if not con.execute(
                f"SELECT 1 FROM v_calls_lean WHERE started_at >= {_q(month_bounds(m)[0])}::TIMESTAMP AT TIME ZONE {_q(tz)} "
                f"AND started_at < {_q(month_bounds(m)[1])}::TIMESTAMP AT TIME ZONE {_q(tz)} LIMIT 1"
            ).fetchall()
        ]
        if quiet:
            chk.warnings.append(
                Problem(
                    raw["calls"][0],
                    None,
                    f"{len(quiet)} month(s) with e-mails but no "
                    f"(outbound) calls: {', '.join(quiet)}; a report of such a month is "
                    "refused",
                    code="month_without_calls",
                    fields={"n": len(quiet), "months": ", ".join(quiet)},
                )
            )
    return Dataset(
        con,
        tz=tz,
        data_dir=data_dir,
        files=files,
        fingerprint=fingerprint,
        notes=chk.warnings,
        present=present,
        valid_talk_seconds=valid_talk_seconds,
        inbound_calls=inbound,
    )


_NOT_WHOLE = (
    "not a whole number (the kit never rounds: 119.6 s is not a 120 s conversation); "
    "convert the column to whole units in the export, e.g. with `iskpi import` and its duration unit"
)


def _table_checks(t: str, present: set) -> list[tuple]:
    """Checks that involve more than one column or another table (evaluated in the same scan)."""
    checks = []
    if t == "reps" and "teams" in present:
        checks.append(
            ("team_id", "team_id not in teams table", "team_id NOT IN (SELECT team_id FROM p_teams)", "team_id", False)
        )
    if t == "leads" and "reps" in present:
        checks.append(
            (
                "owner_rep_id",
                "owner_rep_id not in reps table (unknown rep)",
                "owner_rep_id IS NOT NULL AND owner_rep_id NOT IN (SELECT rep_id FROM p_reps)",
                "owner_rep_id",
                False,
            )
        )
    if t == "calls":
        checks.append(
            (
                "talk_seconds",
                "talk_seconds > 0 on a call that did not connect",
                "NOT connected AND talk_seconds > 0",
                "talk_seconds",
                False,
            )
        )
        checks.append(
            (
                "appointment",
                "appointment = true on a call that did not connect",
                "NOT connected AND appointment",
                None,
                False,
            )
        )
    if t == "emails":
        for c in ("opened_at", "clicked_at", "replied_at"):
            checks.append((c, f"{c} before sent_at (kept as given)", f"{c} < sent_at", c, True, "before_sent"))
    if t == "deals":
        checks.append(
            (
                "closed_at",
                "closed_at on a deal whose status is open",
                "status = 'open' AND closed_at IS NOT NULL",
                "closed_at",
                False,
            )
        )
        checks.append(
            (
                "closed_at",
                "won/lost deal without closed_at (kept; its close month is unknown)",
                "status <> 'open' AND closed_at IS NULL",
                None,
                True,
                "no_closed_at",
            )
        )
    return checks


def _check_duplicates(
    con, chk: _Checker, t: str, fname: str, id_col: str | None, cols: list[str], raw_ok: bool = False
) -> None:
    """Create ``t_<table>``: exact duplicate rows dropped (warning), conflicting ids are errors.

    ``raw_ok``: the id column of the source is already a clean string (Parquet), so the quick
    check can read it directly instead of through the parsing view.
    """
    typed = ", ".join(["_row"] + [_ident(c) for c in cols])
    if id_col is None:
        con.execute(f"CREATE VIEW t_{t} AS SELECT {typed} FROM p_{t}")
        return
    ic = _ident(id_col)
    # 64-bit hashes first: equal ids hash equally, so no duplicate is missed; a hash collision
    # (about 1e-5 at 25 M rows) only costs the exact check below.
    n_dup = con.execute(f"SELECT count(*) - count(DISTINCT hash({ic})) FROM {'raw' if raw_ok else 'p'}_{t}").fetchall()[
        0
    ][0]
    if n_dup:
        n_dup = con.execute(f"SELECT count(*) - count(DISTINCT {ic}) FROM p_{t}").fetchall()[0][0]
    if not n_dup:
        con.execute(f"CREATE VIEW t_{t} AS SELECT {typed} FROM p_{t}")
        return
    col_list = ", ".join(_ident(c) for c in cols)
    con.execute(f"""CREATE TEMP TABLE dup_{t} AS
        SELECT _row, {ic}, count(*) OVER (PARTITION BY {col_list}) AS same,
               count(*) OVER (PARTITION BY {ic}) AS n_id,
               row_number() OVER (PARTITION BY {col_list} ORDER BY _row) AS k
        FROM p_{t} WHERE {ic} IN (SELECT {ic} FROM p_{t} GROUP BY 1 HAVING count(*) > 1)""")
    chk.rows(
        fname,
        id_col,
        "duplicate id with different values in other columns",
        "same < n_id",
        f"dup_{t}",
        example_col=id_col,
    )
    dropped = chk.rows(
        fname,
        id_col,
        "exact duplicate row dropped (same id and values)",
        "same = n_id AND k > 1",
        f"dup_{t}",
        example_col=id_col,
        warn=True,
        code="duplicate_dropped",
    )
    drop = f"_row NOT IN (SELECT _row FROM dup_{t} WHERE same = n_id AND k > 1)" if dropped else "true"
    con.execute(f"CREATE VIEW t_{t} AS SELECT {typed} FROM p_{t} WHERE {drop}")


def _create_holidays(con, years) -> None:
    """A table of Japanese national holidays for the years the data spans (jpholiday is slow,
    so only those years)."""
    days = [d for y in years for d in calendar.holidays(f"{y}-01-01", f"{y}-12-31")]
    con.register("df_holidays", pd.DataFrame({"d": pd.to_datetime(days).date}))
    con.execute("CREATE TABLE jp_holidays AS SELECT CAST(d AS DATE) AS d FROM df_holidays")
    con.unregister("df_holidays")


def _create_views(con, present, tz, valid_talk_seconds, outbound_only=False, ranges=None, offsets=None) -> None:
    """Typed views with derived local-time columns. The local time is computed once per row
    (inner select) and the ``*_lean`` view skips the reps join, for the aggregation hot path.
    Calls: ``v_calls[_lean]_all`` hold every call, ``v_calls[_lean]`` the outbound ones (the same
    rows when no call is inbound, so the hot path pays no filter).

    Local times shift by a fixed offset where the zone keeps one over the column's actual
    [min, max] (``tzfast``; ``ranges``: table -> (min, max) of its event time, already known
    from validation) and go through ICU otherwise. ``offsets``: a dict (zone, min, max) ->
    offset that remembers the checks across calls (a snapshot opens one connection per team).
    """
    ranges = ranges or {}
    offsets = {} if offsets is None else offsets

    def loc(table, col, ref=None):
        span = ranges.get(table) if col == EVENT_TIME.get(table) else None
        if span is None:  # leads, deals: small tables, one min/max read
            span = con.execute(f"SELECT min({col}), max({col}) FROM t_{table}").fetchall()[0]
        key = (tz, *span)  # the offset depends on the zone and the range only
        if key not in offsets:
            offsets[key] = tzfast.fixed_offset(tz, *span, con=con)
        return tzfast.local_sql(tz, ref or col, offsets[key])

    bday = "(isodow(date) <= 5 AND date NOT IN (SELECT d FROM jp_holidays))"
    if "calls" in present:
        con.execute(f"""CREATE VIEW v_calls_lean_all AS
            SELECT *, CAST(loc AS DATE) AS date FROM (
              SELECT call_id, rep_id, lead_id, started_at, connected, talk_seconds, appointment,
                     decision_maker, script, direction, disposition_raw, {loc("calls", "started_at")} AS loc,
                     (connected AND talk_seconds >= {int(valid_talk_seconds)}) AS valid_conversation
              FROM t_calls)""")
        con.execute(f"""CREATE VIEW v_calls_all AS
            SELECT c.call_id, c.rep_id, c.lead_id, c.started_at, c.connected, c.talk_seconds,
                   c.appointment, c.decision_maker, c.script, c.direction, c.disposition_raw,
                   r.team_id, r.role, c.date,
                   strftime(c.loc, '%Y-%m') AS month, CAST(hour(c.loc) AS INTEGER) AS hour,
                   CAST(isodow(c.loc) - 1 AS INTEGER) AS weekday,
                   {bday.replace("date", "c.date")} AS business_day,
                   c.valid_conversation
            FROM v_calls_lean_all c JOIN t_reps r USING (rep_id)""")
        outbound = " WHERE direction IS DISTINCT FROM 'in'" if outbound_only else ""
        con.execute(f"CREATE VIEW v_calls_lean AS SELECT * FROM v_calls_lean_all{outbound}")
        con.execute(f"CREATE VIEW v_calls AS SELECT * FROM v_calls_all{outbound}")
    if "emails" in present:
        e_loc = loc("emails", "sent_at")
        con.execute(f"""CREATE VIEW v_emails_lean AS
            SELECT *, CAST({e_loc} AS DATE) AS date,
                   opened_at IS NOT NULL AS opened, clicked_at IS NOT NULL AS clicked,
                   replied_at IS NOT NULL AS replied
            FROM (SELECT email_id, rep_id, lead_id, sent_at, opened_at, clicked_at, replied_at FROM t_emails)""")
        con.execute(f"""CREATE VIEW v_emails AS
            SELECT e.email_id, e.rep_id, e.lead_id, e.sent_at, e.opened_at, e.clicked_at, e.replied_at,
                   e.opened, e.clicked, e.replied, r.team_id, r.role, e.date,
                   strftime({loc("emails", "sent_at", "e.sent_at")}, '%Y-%m') AS month
            FROM v_emails_lean e JOIN t_reps r USING (rep_id)""")
    if "leads" in present:
        l_loc = loc("leads", "created_at", "l.created_at")
        con.execute(f"""CREATE VIEW v_leads AS
            SELECT l.lead_id, l.created_at, l.source, l.segment, l.owner_rep_id, l.mql_at, l.sql_at,
                   r.team_id, CAST({l_loc} AS DATE) AS date, strftime({l_loc}, '%Y-%m') AS month
            FROM t_leads l LEFT JOIN t_reps r ON r.rep_id = l.owner_rep_id""")
    if "deals" in present:
        l_loc = loc("deals", "created_at", "d.created_at")
        con.execute(f"""CREATE VIEW v_deals AS
            SELECT d.* EXCLUDE (_row), r.team_id, r.role,
                   CAST({l_loc} AS DATE) AS date, strftime({l_loc}, '%Y-%m') AS month,
                   strftime({loc("deals", "closed_at", "d.closed_at")}, '%Y-%m') AS closed_month
            FROM t_deals d JOIN t_reps r USING (rep_id)""")
    con.execute("CREATE VIEW v_reps AS SELECT * EXCLUDE (_row) FROM t_reps")
    for t in ("teams", "costs"):
        if t in present:
            con.execute(f"CREATE VIEW v_{t} AS SELECT * EXCLUDE (_row) FROM t_{t}")


def month_bounds(month: str, months: int = 1) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[first day, first day after ``month``) of the ``months`` calendar months ending with
    'YYYY-MM' (the analysis window of every notebook; 1 = the month itself).
    ValueError on a malformed month or months < 1."""
    if not isinstance(month, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValueError(f"month must look like 'YYYY-MM' (e.g. '2026-10'), got {month!r}")
    if int(months) < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    p = pd.Period(month, freq="M")
    return (p - (int(months) - 1)).start_time, (p + 1).start_time


def require_month_calls(data: Dataset, month: str) -> None:
    """Raise :class:`MonthWithoutCalls` when this view of the data (its team, role) has no
    outbound call in ``month``: every notebook's window, funnel and phase verdict is read from the
    report month's calls, so such a month is refused instead of shown as if it were complete.

    The same check as ``iskpi report``'s validation; notebooks call it right after loading.
    """
    start, end = month_bounds(month)
    calls_file = data.files["calls"].name if "calls" in data.files else "calls (DataFrame)"
    tz = _q(data.tz)
    in_month = (
        f"started_at >= {_q(start)}::TIMESTAMP AT TIME ZONE {tz} "
        f"AND started_at < {_q(end)}::TIMESTAMP AT TIME ZONE {tz}"
    )
    if data.query(f"SELECT count(*) AS n FROM (SELECT 1 FROM {data.sql('calls')} WHERE {in_month} LIMIT 1)")["n"].iloc[
        0
    ]:
        return
    n_in = int(
        data.query(f"SELECT count(*) AS n FROM {data.sql('calls', with_inbound=True)} WHERE {in_month}")["n"].iloc[0]
    )
    n_mail = (
        int(
            data.query(
                f"SELECT count(*) AS n FROM {data.sql('emails')} WHERE {in_month.replace('started_at', 'sent_at')}"
            )["n"].iloc[0]
        )
        if data.has("emails")
        else 0
    )
    with_calls = [
        r[0] for r in data.con.execute(f"SELECT DISTINCT month FROM {data.sql('calls')} ORDER BY 1").fetchall()
    ]
    who = "the whole organisation" if data.team == "all" else f"team {data.team}"
    if data._filters.get("role"):
        who += f" ({data._filters['role']})"
    seen = (
        ", ".join(
            x
            for x in ([f"{n_mail:,} e-mail(s)"] if n_mail else [])
            + ([f"{n_in:,} inbound call(s), which are not counted"] if n_in else [])
        )
        or "no activity"
    )
    raise MonthWithoutCalls(
        f"{calls_file}: {who} has no outbound calls in {month} ({seen} that month); the report month's "
        f"calls are what the scorecard, phase, correlation and time-of-day analyses read. Add the month's "
        f"calls to {calls_file}, or choose a month with calls: {', '.join(with_calls[-6:]) or '(none)'}"
    )
