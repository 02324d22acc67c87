"""``iskpi import``: read the exports, convert them with the mapping, de-duplicate overlapping
files, write contract Parquet files and the import log, then (in the CLI) validate the result.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import config
from . import generic, hubspot, miitel, salesforce, zoho
from .convert import Converter, contract_columns
from .log import FileEntry, ImportLog
from .mapping import Mapping, MappingError, load_mapping
from .problems import Collector
from .readers import ReadError, read_table
from .reps import REP_COLUMNS, load_reps
from .values import Unconvertible, to_date

__all__ = ["SOURCES", "ImportResult", "import_files"]

SOURCES = {s.name: s for s in (salesforce.SOURCE, hubspot.SOURCE, miitel.SOURCE, zoho.SOURCE, generic.SOURCE)}


@dataclass
class ImportResult:
    out: Path
    mapping: Mapping
    log: ImportLog
    tables: dict[str, pd.DataFrame]


def _assign(files: list[Path], mapping: Mapping) -> dict[Path, str]:
    """Which table each file is for (a one-table mapping takes every file)."""
    if len(mapping.tables) == 1:
        only = next(iter(mapping.tables))
        return {f: only for f in files}
    out = {}
    for f in files:
        hits = [t for t, tm in mapping.tables.items() if any(fnmatch.fnmatch(f.name, p) for p in tm.files)]
        if len(hits) != 1:
            what = "matches no" if not hits else f"matches the files patterns of {', '.join(hits)} —"
            raise MappingError(
                f"{f.name} {what} [tables.NAME] files pattern; say which table it is for, "
                f'e.g. [tables.calls] files = ["{f.name}"]'
            )
        out[f] = hits[0]
    return out


def _dedupe(table: str, rows: list[dict], problems: Collector, log: ImportLog) -> list[dict]:
    """Rows present in more than one file (overlapping monthly exports) are kept once and
    counted; the same id with different content is an error naming both places."""
    id_col = next((c for c, (k, _r) in contract_columns(table).items() if k == "id"), None)
    if id_col is None:
        return rows
    seen: dict[str, dict] = {}
    kept = []
    for r in rows:
        first = seen.get(r[id_col])
        if first is None:
            seen[r[id_col]] = r
            kept.append(r)
            continue
        a = {k: v for k, v in first.items() if not k.startswith("_")}
        b = {k: v for k, v in r.items() if not k.startswith("_")}
        if a == b:
            log.duplicates[table] += 1
        else:
            diff = [k for k in a if a[k] != b.get(k)]
            problems.add(
                r["_file"],
                r["_line"],
                id_col,
                r[id_col],
                f"same id as {first['_file']} line {first['_line']} but different "
                f"{', '.join(diff)} ({', '.join(f'{a[k]!r} vs {b[k]!r}' for k in diff[:2])})",
                "keep one version of the row: re-export the older month, or remove the stale file",
            )
    return kept


def _frame(table: str, rows: list[dict], tz: str) -> pd.DataFrame:
    cols = [
        c for c in contract_columns(table) if any(r.get(c) is not None for r in rows) or contract_columns(table)[c][1]
    ]
    df = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    for c in cols:
        kind = contract_columns(table)[c][0]
        if kind == "ts":
            df[c] = pd.to_datetime(df[c], utc=True).dt.tz_convert(tz)
        elif kind == "bool":
            df[c] = df[c].astype("boolean")
        elif kind == "int":
            df[c] = df[c].astype("Int64")
        elif kind == "money":
            df[c] = df[c].astype("Float64")
        else:
            df[c] = df[c].astype(object)
    return df


def _reps_frame(reps, problems: Collector) -> pd.DataFrame:
    df = reps.table.copy()
    for c in ("joined_on", "left_on"):
        vals = []
        for i, text in enumerate(df[c]):
            if not str(text).strip():
                vals.append(None)
                continue
            try:
                vals.append(to_date(str(text))[0])
            except Unconvertible as exc:
                problems.add(reps.origin, None, c, text, f"rep {df['rep_id'][i]}: {exc}", "write YYYY-MM-DD")
                vals.append(None)
        df[c] = pd.Series(vals, dtype=object)
    return df[list(REP_COLUMNS)].replace({"": None})


def import_files(files, *, source: str, mapping=None, out) -> ImportResult:
    """Convert vendor exports into contract Parquet files in ``out`` (and ``import_log.*``).

    Parameters
    ----------
    files : export files (CSV in UTF-8/BOM/CP932/Shift-JIS, or xlsx); several files of one table
        (monthly exports) are concatenated and their overlapping rows de-duplicated by id.
    source : one of ``SOURCES`` (salesforce, hubspot, miitel, zoho, generic).
    mapping : path of the mapping TOML (None: the source's defaults only).
    out : output directory (created).

    Raises
    ------
    MappingError : the mapping file is wrong (names the key).
    ImportProblems : values the mapping does not cover, unreadable files, conflicting duplicates
        (every problem with file, line, column, value and the key that fixes it).
    """
    config.check_option("source", source, tuple(SOURCES))
    src = SOURCES[source]
    m = load_mapping(mapping, source=source)
    if source != "generic" and set(m.tables) != {"calls"}:
        raise MappingError(
            f"--from {source} imports calls; import other tables ({', '.join(set(m.tables) - {'calls'})}) "
            "with --from generic"
        )
    files = [Path(f) for f in files]
    reps = load_reps(m)
    log = ImportLog(source, str(mapping) if mapping else None)
    problems = Collector()
    rows: dict[str, list[dict]] = {t: [] for t in m.tables}
    for f, table in _assign(files, m).items():
        try:
            raw = read_table(f, encoding=m.encoding, delimiter=m.delimiter, sheet=m.sheet, header_line=m.header_line)
        except ReadError as exc:
            problems.add(f.name, None, None, None, str(exc).split(": ", 1)[-1])
            continue
        conv = Converter(raw, m.tables[table], m, src if table == "calls" else generic.SOURCE, reps, log, problems)
        got = list(conv.rows())
        rows[table] += got
        log.files.append(
            FileEntry(
                raw.name,
                table,
                raw.encoding,
                len(raw.rows),
                raw.blank_lines,
                conv.ignored,
                raw.skipped_above,
                raw.footer,
                conv.unused,
            )
        )
    problems.raise_if_any()
    frames = {}
    for t in m.tables:
        kept = _dedupe(t, rows[t], problems, log)
        if not kept:
            problems.add(
                ", ".join(e.file for e in log.files if e.table == t) or t,
                None,
                None,
                None,
                f"no {t} rows to import (every row was skipped or the files are empty)",
            )
        frames[t] = _frame(t, kept, m.timezone)
    if reps is not None:
        if "reps" in frames:
            raise MappingError("reps come from both [reps] and a [tables.reps] import; keep one")
        frames["reps"] = _reps_frame(reps, problems)
    problems.raise_if_any()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for t, df in frames.items():
        df.to_parquet(out / f"{t}.parquet", index=False)
        log.written[t] = len(df)
    log.write(out)
    return ImportResult(out, m, log, frames)
