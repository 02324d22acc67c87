"""Validation: typed parsing of every column and the table checks, all in DuckDB, with exact locations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from .. import config
from .contract import (
    CONTRACT,
    ENUM_ALIASES,
    EVENT_TIME,
    FALSE_WORDS,
    MAX_ROWS_SHOWN,
    REQUIRED_TABLES,
    TABLES,
    TRUE_WORDS,
    DataValidationError,
    Problem,
)
from .files import _CsvFile, _ident, _q
from .views import _create_holidays, _create_views

if TYPE_CHECKING:  # core imports this module; _build imports Dataset when it runs
    from .core import Dataset

__all__ = []


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
    """Parse, check and register every table in a new DuckDB connection; the validated Dataset.

    One function on purpose (~300 lines): each table's parse → check → register steps share the
    connection, the problem list and the row positions, and reading them in order is how a
    reviewer verifies that no value is dropped or rounded without a Problem saying so.
    """
    from .core import Dataset, month_bounds  # here, not at the top: core imports this module

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
