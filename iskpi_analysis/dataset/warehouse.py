"""A :class:`~iskpi_analysis.dataset.Dataset` whose data stays in a database (issue 15):
``dataset.load_data("postgresql://…")`` or ``load_data("spark://…")``.

What runs where:

- **In the database**: every query of the analyses. ``data.sql(table)`` names a view created in
  the database (:mod:`iskpi_analysis.engines.dataviews`) with the same columns as the file
  route's DuckDB views (local date, hour, weekday, month, business_day from the calendar table,
  team_id, role, valid_conversation …) and the view's filters (team, role, [start, end)) as its
  WHERE; ``data.query(sql)`` takes the kit's DuckDB-dialect SQL, checks it with
  :func:`~iskpi_analysis.engines.definitions.check_portable`, transpiles it with SQLGlot
  (:func:`~iskpi_analysis.engines.definitions.render_query`) and runs it there, so only its
  result comes back. ``aggregate.rep_period`` / ``call_buckets`` run the engines' definitions
  over the same filtered views (:meth:`EngineDataset.engine`).
- **Pulled** (small tables): ``data.teams``, ``data.reps``, ``data.costs``, ``data.leads`` and
  ``data.deals`` when a notebook reads them as frames (each view pulls its filtered rows once);
  the calendar (dates, weekday, business day with the Japanese holidays) is built in Python and
  put in the database. Calls and e-mails are never pulled by the kit's own analyses
  (``data.calls`` still works and pulls, which each engine's query log shows).
- **Validation** is counting (:func:`iskpi_analysis.engines.validation_counts`): duplicated
  ids, missing required values and calls of unknown reps become the Dataset's warnings
  (``notes``) and reach every page as the file route's do; rows are read as stored.

The fingerprint is the SHA-256 of each table's row count and latest timestamp (calls
``started_at``, e-mails ``sent_at``, leads and deals ``created_at``; count only for the others),
read from the database: new or removed rows change it, an update of an old row in place does
not (a database has no file hash to read cheaply).

A report run's kernels open the URL again (``ISKPI_DATA_URL`` carries it with its password, so
the notebooks' parameters and pages show it without); the run's folder named by
``ISKPI_SNAPSHOT`` holds the phases decided once (``phase.precompute``), found through
``data.snapshot.path`` as with a file snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from .. import config
from ..engines.base import Engine
from ..engines.local import view_relations
from .contract import CONTRACT, EVENT_TIME, REQUIRED_TABLES, TABLES, DataValidationError, Problem
from .core import Dataset
from .files import _q

__all__ = ["EngineDataset", "open_url", "redact", "DATA_URL_ENV", "RUN_META"]

#: the full data URL (with its password) a report run hands its kernels
DATA_URL_ENV = "ISKPI_DATA_URL"
#: the marker of a report run's folder over a database (in place of snapshot.json)
RUN_META = "warehouse.json"


def redact(url: str) -> str:
    """The URL without its password (``postgresql://user@host:5432/db?schema=s``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + host))


class RunFolder:
    """A report run's folder over a database: where ``phase.precompute`` writes its rows."""

    def __init__(self, path):
        self.path = Path(path)

    def close(self) -> None:
        """Nothing to release (a file snapshot's connection has this method too)."""


def write_run_folder(path, data) -> RunFolder:
    """Mark ``path`` as the run folder of ``data`` (source and zone) for the run's kernels."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    meta = {"source": data.data_dir, "tz": data.tz, "valid_talk_seconds": data.valid_talk_seconds}
    (path / RUN_META).write_text(json.dumps(meta), encoding="utf-8")
    return RunFolder(path)


def _run_folder(url: str, tz: str, valid_talk_seconds: int) -> RunFolder | None:
    from ..snapshot import SNAPSHOT_ENV

    env = os.environ.get(SNAPSHOT_ENV, "").strip()
    if not env:
        return None
    try:
        meta = json.loads((Path(env) / RUN_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    want = {"source": redact(url), "tz": tz, "valid_talk_seconds": int(valid_talk_seconds)}
    return RunFolder(env) if meta == want else None


class _Source:
    """What every filtered view of one loaded database shares: the engine, its views, the calendar."""

    def __init__(self, eng, url: str, views: dict[str, str], cal: str, cal_frame: pd.DataFrame, full_url: str):
        self.eng = eng
        self.url = url
        self.full_url = full_url  # with its password: only for a report run's kernels (kernel_env)
        self.views = views
        self.cal = cal
        self.cal_frame = cal_frame


class EngineDataset(Dataset):
    """A Dataset over a database engine (see the module docstring). Built by :func:`open_url`."""

    def __init__(self, src: _Source, **kw):
        super().__init__(None, **kw)
        self._src = src

    # --- where the queries go ----------------------------------------------------------------
    @property
    def con(self):
        raise TypeError(
            f"the data lives in {self._src.url}: there is no DuckDB connection; use data.query(sql) "
            "with data.sql(table), which run there"
        )

    def _query_target(self):
        return self._src  # every view of one load_data(URL) shares its engine and temporary views

    @property
    def source_url(self) -> str:
        """The database URL without password."""
        return self._src.url

    def kernel_env(self) -> dict[str, str]:
        """What a report run's kernels need to open this database: the URL with its password
        (``ISKPI_DATA_URL``; their ``data_dir`` parameter is the URL without it)."""
        from ..engines.base import QUERY_LOG_ENV

        env = {DATA_URL_ENV: self._src.full_url}
        if os.environ.get(QUERY_LOG_ENV):  # the kernels log their queries where this process does
            env[QUERY_LOG_ENV] = os.environ[QUERY_LOG_ENV]
        return env

    def query(self, sql: str) -> pd.DataFrame:
        from ..engines.definitions import render_query

        eng = self._src.eng
        return eng.query(render_query(sql, eng.dialect))

    def _rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.query(sql).itertuples(index=False)]

    def sql(self, table: str, *, lean: bool = False, with_inbound: bool = False) -> str:
        if not self.has(table):
            raise KeyError(f"table {table!r} is not in the data ({self.data_dir})")
        lean = lean and table in ("calls", "emails") and not with_inbound
        if lean:  # the aggregations' relations: no reps or calendar join (calls with loc)
            view = self._src.eng.relations()[table]
        elif table == "calls":
            view = self._src.views["calls_all" if with_inbound else "calls"]
        else:
            view = self._src.views[table]
        where = self._where(table, lean=lean)
        return f"(SELECT * FROM {view}{' WHERE ' + where if where else ''})"

    def _time_cond(self, col: str, op: str, local) -> str:
        # the instant of the local bound, computed here with zoneinfo (a literal every engine reads)
        inst = pd.Timestamp(local).tz_localize(self.tz, ambiguous=True, nonexistent="shift_forward")
        return f"{col} {op} CAST({_q(inst.tz_convert('UTC').strftime('%Y-%m-%d %H:%M:%S+00:00'))} AS TIMESTAMPTZ)"

    def _reps_view(self) -> str:
        return self._src.views["reps"]

    def engine(self):
        return _ViewEngine(self)

    def _with_filters(self, f: dict) -> EngineDataset:
        return EngineDataset(self._src, **self._view_kwargs(f))

    def _frame(self, table: str) -> pd.DataFrame | None:
        # a database has no row order: pulled in the order of the table's ids (the files' order
        # of an export sorted by id), so tables built from them come out the same on every run
        if not self.has(table):
            return None
        if table not in self._frames:
            from .core import _pandas_types

            order = ", ".join(_ORDER[table])
            df = self.query(f"SELECT * FROM {self.sql(table, with_inbound=True)} x ORDER BY {order}")
            self._frames[table] = _pandas_types(table, df, self.tz)
        return self._frames[table]

    def months(self) -> list[str]:
        # distinct dates of the lean relations first, then their months from the calendar: the
        # full views' reps and calendar joins over every event took seconds per call in PostgreSQL
        parts = [f"SELECT DISTINCT date FROM {self.sql(t, lean=True)} x" for t in ("calls", "emails") if self.has(t)]
        return [
            r[0]
            for r in self._rows(
                f"SELECT DISTINCT k.month_label AS month FROM ({' UNION '.join(parts)}) d "
                f"JOIN {self._src.cal} k ON k.date = d.date ORDER BY 1"
            )
        ]

    def team_ids(self) -> list[str]:
        src = self._src.views["teams" if self.has("teams") else "reps"]
        return [r[0] for r in self._rows(f"SELECT DISTINCT team_id FROM {src} t ORDER BY 1")]

    def _table_label(self, table: str) -> str:
        return f"{table} ({self._src.url})"

    def close(self) -> None:
        """Close the database connection (every filtered view of this load shares it)."""
        self._src.eng.close()

    def __repr__(self) -> str:
        return f"<Dataset {self._src.url} team={self.team} ({type(self._src.eng).__name__})>"


#: the order pulled tables come in
_ORDER = {
    "teams": ("team_id",),
    "reps": ("rep_id",),
    "costs": ("team_id", "month"),
    "calls": ("call_id",),
    "emails": ("email_id",),
    "leads": ("lead_id",),
    "deals": ("deal_id",),
}


class _ViewEngine(Engine):
    """The aggregations' engine of one filtered view: the database's engine, with the view's
    ``sql(...)`` (its filters as WHERE) as the definitions' relations and the calendar table
    the load put in the database."""

    def __init__(self, data: EngineDataset):
        self.data = data
        self.base = data._src.eng
        self.dialect = self.base.dialect
        self.tz = self.base.tz

    def has(self, table: str) -> bool:
        return self.base.has(table)

    def relations(self) -> dict[str, str]:
        return view_relations(self.data)

    def calendar(self) -> pd.DataFrame:
        return self.data._src.cal_frame

    def temp_table(self, df, prefix: str = "iskpi_tmp"):
        if df is self.data._src.cal_frame:  # already in the database for this load
            import contextlib

            return contextlib.nullcontext(self.data._src.cal)
        return self.base.temp_table(df, prefix)

    def source(self, table: str) -> str:
        return self.base.source(table)

    def table(self, table: str) -> pd.DataFrame:
        return getattr(self.data, table)

    def query(self, sql: str) -> pd.DataFrame:
        return self.base.query(sql)


_CHECK_TEXT = {
    "duplicate_ids": ("warehouse_duplicate_ids", "duplicated ids (counted, rows kept as stored)"),
    "unknown_rep": ("warehouse_unknown_rep", "rows of a rep_id not in reps (counted, kept as stored)"),
    "missing": ("warehouse_missing", "missing required values (counted, kept as stored)"),
}


def _notes(counts: pd.DataFrame, url: str) -> list[Problem]:
    """The non-zero validation counts as warnings (one per table × check)."""
    out = []
    for r in counts.itertuples(index=False):
        if r.check == "n_rows" or int(r.n) == 0:
            continue
        kind = "missing" if r.check.startswith("missing_") else r.check
        code, message = _CHECK_TEXT[kind]
        column = r.check.removeprefix("missing_") if kind == "missing" else None
        if kind == "duplicate_ids":
            column = next(iter(CONTRACT[r.table]))  # the id column
        elif kind == "unknown_rep":
            column = "rep_id"
        out.append(Problem(f"{r.table} ({url})", column, message, count=int(r.n), code=code))
    return out


def _fingerprint(eng) -> str:
    """SHA-256 (12 hex digits) of each table's row count and latest event time, read in the
    database in one query."""
    text = eng.TYPES["str"]
    parts = []
    for t in TABLES:
        if eng.has(t):
            col = EVENT_TIME.get(t)
            last = f"CAST(max({col}) AS {text})" if col in eng.columns(t) else f"CAST(NULL AS {text})"
            parts.append(f"SELECT '{t}' AS t, count(*) AS n, {last} AS last FROM {eng.source(t)}")
    rows = eng.query(" UNION ALL ".join(parts)).sort_values("t")
    h = hashlib.sha256()
    for r in rows.itertuples(index=False):
        h.update(json.dumps([r.t, str(r.n), str(r.last)]).encode())
    return h.hexdigest()[:12]


def open_url(url: str, *, tz: str = config.DEFAULT_TZ, valid_talk_seconds: int = config.VALID_TALK_SECONDS, spark=None):
    """Connect to the database of ``url`` and return the :class:`EngineDataset` over it.

    ``url``: see :func:`iskpi_analysis.engines.connect`. A URL without password that matches
    ``ISKPI_DATA_URL`` without its password uses that one (a report run's kernels).

    Raises
    ------
    DataValidationError
        when the required tables (calls, reps) are missing.
    """
    from .. import engines
    from ..engines.dataviews import create_views

    full = os.environ.get(DATA_URL_ENV, "")
    if not (full and redact(full) == url):
        full = url
    eng = engines.connect(full, tz=tz, valid_talk_seconds=valid_talk_seconds, spark=spark)
    shown = redact(url)
    missing = [t for t in REQUIRED_TABLES if not eng.has(t)]
    if missing:
        eng.close()
        raise DataValidationError(
            [Problem(shown, None, f"required table missing in the database: {t}") for t in missing]
        )
    cal_frame = eng.calendar()
    cal = f"{eng._prefix}_cal"
    eng._put(cal, cal_frame)  # for the engine's lifetime: every view and aggregation joins it
    views = create_views(eng, cal=cal, valid_talk_seconds=valid_talk_seconds)
    notes = _notes(engines.validation_counts(eng), shown)
    inbound = 0
    if "direction" in eng.columns("calls"):
        inbound = int(eng.query(f"SELECT count(*) AS n FROM {views['calls_all']} WHERE direction = 'in'")["n"].iloc[0])
        if inbound:
            notes.append(
                Problem(
                    f"calls ({shown})",
                    "direction",
                    "inbound calls (direction = in): kept, left out of every call KPI and time of day",
                    count=inbound,
                    code="inbound_calls",
                )
            )
    src = _Source(eng, shown, views, cal, cal_frame, full)
    return EngineDataset(
        src,
        tz=tz,
        data_dir=shown,
        files={},
        fingerprint=_fingerprint(eng),
        notes=notes,
        present={t for t in TABLES if eng.has(t)},
        valid_talk_seconds=valid_talk_seconds,
        inbound_calls=inbound,
        snapshot=_run_folder(shown, tz, valid_talk_seconds),
    )
