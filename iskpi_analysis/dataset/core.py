"""The validated dataset (:class:`Dataset`) and :func:`load_data`, the one way data comes in."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .. import config
from .checks import _build
from .contract import CONTRACT, EVENT_TIME, REQUIRED_TABLES, TABLES, DataValidationError, MonthWithoutCalls, Problem
from .files import _CsvFile, _find_files, _fingerprint_files, _fingerprint_frames, _q

__all__ = ["Dataset", "load_data", "month_bounds", "require_month_calls"]


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

    def same_source(self, other) -> bool:
        """True when ``other`` is a Dataset whose queries run on this one's connection, so one
        query may join the tables of both (e.g. a window's calls with its history's)."""
        return isinstance(other, Dataset) and other._query_target() is self._query_target()

    def _query_target(self):
        return self._con

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL on this dataset's connection (tables via :meth:`sql`).

        Write it in DuckDB's dialect restricted to the portable subset
        (:func:`iskpi_analysis.engines.definitions.check_portable`: explicit GROUP BY columns, no
        weekday/truncation/formatting functions — the views have weekday, month, hour and
        business_day): a Dataset over a database runs the same text there, transpiled."""
        return self._con.execute(sql).df()

    def _rows(self, sql: str) -> list[tuple]:
        """The rows of a small query (counts, distinct months) as tuples."""
        return self._con.execute(sql).fetchall()

    @property
    def con(self):
        return self._con

    def engine(self):
        """The engine the aggregations (``aggregate.rep_period``, ``call_buckets``) run in: DuckDB
        over this view of the loaded files."""
        from ..engines.local import LocalEngine

        return LocalEngine(self)

    def _time_cond(self, col: str, op: str, local) -> str:
        """``col op`` the instant of the local wall-clock time ``local`` (the window's bounds)."""
        return f"{col} {op} {_q(local)}::TIMESTAMP AT TIME ZONE {_q(self.tz)}"

    def _reps_view(self) -> str:
        return "v_reps"

    def _where(self, table: str, lean: bool = False) -> str:
        f = self._filters
        cond = []
        if lean and (f.get("team") or f.get("role")):
            reps = " AND ".join(
                ([f"team_id = {_q(f['team'])}"] if f.get("team") else [])
                + ([f"role = {_q(f['role'])}"] if f.get("role") else [])
            )
            cond.append(f"rep_id IN (SELECT rep_id FROM {self._reps_view()} r0 WHERE {reps})")
        if not lean and f.get("team") and table in ("teams", "reps", "calls", "emails", "leads", "deals", "costs"):
            cond.append(f"team_id = {_q(f['team'])}")
        if not lean and f.get("role") and table in ("reps", "calls", "emails", "deals"):
            cond.append(f"role = {_q(f['role'])}")
        if table in EVENT_TIME:
            col = EVENT_TIME[table]
            if f.get("start") is not None:
                cond.append(self._time_cond(col, ">=", f["start"]))
            if f.get("end") is not None:
                cond.append(self._time_cond(col, "<", f["end"]))
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
            df = self.query(f"SELECT * FROM {self.sql(table, with_inbound=True)} x")
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
        return self._with_filters(f)

    def _with_filters(self, f: dict) -> Dataset:
        """This data under the filters ``f`` (team, role, start, end)."""
        if self.snapshot is not None and f.get("team") != self._scope:
            # another team: a connection whose views read only that team's files of the snapshot
            return self.snapshot.dataset(team=f.get("team"), filters=f)
        return Dataset(self._con, **self._view_kwargs(f))

    def _view_kwargs(self, f: dict) -> dict:
        """Everything a view of this data keeps (source facts, warnings, snapshot), under filters ``f``."""
        return dict(
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
        return [r[0] for r in self._rows(f"SELECT DISTINCT team_id FROM {src} t ORDER BY 1")]

    def months(self) -> list[str]:
        """Months ('YYYY-MM') with (outbound) calls or emails in this view. Leads, deals and
        other stamps never add a month: the data's span is its activity."""
        parts = [f"SELECT DISTINCT month FROM {self.sql(t)}" for t in ("calls", "emails") if self.has(t)]
        return [r[0] for r in self._rows(" UNION ".join(parts) + " ORDER BY 1")]

    @property
    def first_date(self) -> pd.Timestamp:
        return pd.Timestamp(self._rows(f"SELECT min(date) AS d FROM {self.sql('calls')} c")[0][0])

    @property
    def last_date(self) -> pd.Timestamp:
        """Last local date with activity (an outbound call or an e-mail): the data's own 'today'.
        Deals, leads and MQL/SQL stamps after it (consistent data, counted in a warning) do not
        move it."""
        parts = [f"SELECT max(date) d FROM {self.sql(t)}" for t in ("calls", "emails") if self.has(t)]
        v = self._rows(f"SELECT max(d) AS d FROM ({' UNION ALL '.join(parts)}) x")[0][0]
        return pd.Timestamp(v)

    def row_counts(self) -> dict[str, int]:
        return {
            t: int(self._rows(f"SELECT count(*) AS n FROM {self.sql(t, with_inbound=True)} x")[0][0])
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
            n = self._rows(f"SELECT count(*) AS n FROM {src} x")[0][0]
            first = last = None
            if t in EVENT_TIME:
                first, last = self._rows(f"SELECT min(date) AS d0, max(date) AS d1 FROM {src} x")[0]
            rows.append(
                {
                    "table": t,
                    "rows": int(n),
                    "first": first,
                    "last": last,
                    "file": self.files[t].name if t in self.files else self._table_label(t),
                }
            )
        out = pd.DataFrame(rows)
        out["rows"] = out["rows"].astype("Int64")
        return out

    def _table_label(self, table: str) -> str:
        """How warnings and summaries name a table that is not a file."""
        return f"{table} (DataFrame)"

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
    data_dir : directory with ``NAME.csv`` / ``NAME.parquet`` files (default: config.DATA_DIR), or
        a database URL (``postgresql://…``, ``spark://…``; :mod:`iskpi_analysis.dataset.warehouse`):
        the events stay there, every query and aggregation runs there, and validation is
        counting (the counts become the warnings); ``prefer``, ``today`` and ``memory_limit``
        concern files only.
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
    if isinstance(data_dir, str) and "://" in data_dir:  # a database (issue 15): the data stays there
        from .warehouse import open_url

        return open_url(data_dir, tz=tz, valid_talk_seconds=valid_talk_seconds)
    data_dir = Path(data_dir) if data_dir else config.DATA_DIR
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data directory not found or not a directory: {data_dir}")
    prefer = config.prefer_format() if prefer is None else (prefer or None)
    if prefer is not None:
        config.check_option("prefer", prefer, ("csv", "parquet"))
    from .. import snapshot

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
    calls_file = data.files["calls"].name if "calls" in data.files else data._table_label("calls")
    # the month's window is the view's filter (portable SQL: it runs where the data lives)
    m = data.filter(start=start, end=end)
    if m.query(f"SELECT count(*) AS n FROM (SELECT 1 AS x FROM {m.sql('calls')} c LIMIT 1) c1")["n"].iloc[0]:
        return
    n_in = int(m.query(f"SELECT count(*) AS n FROM {m.sql('calls', with_inbound=True)} c")["n"].iloc[0])
    n_mail = int(m.query(f"SELECT count(*) AS n FROM {m.sql('emails')} e")["n"].iloc[0]) if m.has("emails") else 0
    with_calls = [r[0] for r in data._rows(f"SELECT DISTINCT month FROM {data.sql('calls')} c ORDER BY 1")]
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
