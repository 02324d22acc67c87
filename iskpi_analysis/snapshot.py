"""A validated, typed snapshot of a data directory that each report run reads only its part of.

A report run loads and validates the data once (:func:`iskpi_analysis.dataset.load_data`), then
:func:`write` stores the validated tables — typed, duplicates dropped, exactly what the views of
the :class:`~iskpi_analysis.dataset.Dataset` read — as Parquet under the run's staging folder::

    .snapshot/snapshot.json                   what was loaded: source folder, input files, their
                                              fingerprint, tz, the validation's warnings, teams
    .snapshot/reps.parquet  teams.parquet  costs.parquet  holidays.parquet   (small: whole)
    .snapshot/calls/_part=3/data_0.parquet    one folder per team (index in snapshot.json) for the
    .snapshot/calls/_part=-1/…                event tables calls, emails, deals, leads (a lead's
    .snapshot/calls/empty.parquet             team is its owner's; -1 = no team), plus an empty
                                              file that carries the schema

Each notebook's ``dataset.load_data(data_dir).filter(team=team)`` stays as it is: ``load_data`` sees
the snapshot named by the ``ISKPI_SNAPSHOT`` environment variable (set by the report's workers
for their kernels) when it was made from that same data directory with the same options, opens
it lazily (views over Parquet; nothing is read yet) and ``filter(team=…)`` reopens it with views
over that team's files only, so a team's notebook reads its team's rows and never the
organisation's (predicate pushdown at the file level; an event-time window is a filter DuckDB
applies while it scans the team's files, skipping row groups only where their statistics allow,
as the rows are not sorted by time). Interactively, ``dataset.load_data("<snapshot folder>")`` reads a
snapshot directly; without one the raw files are read as before.

The snapshot keeps what the raw load said: the data fingerprint and input files (of the raw
files, so pages and manifest name the real inputs), the validation's warnings and notes (the
data-quality note of every page), the inbound-call count. It is written into a ``.partial``
folder and renamed into place only once complete (``snapshot.json`` is its last file), so a
snapshot cut short by a crash is never read: :class:`Snapshot` refuses a folder without a
complete ``snapshot.json``, and the folder lives in the run's staging directory, which the next
run removes.

Why Parquet, partitioned by team (measured on the generated 300-rep organisation, 4.9 M calls,
on the shared 2-core machine under heavy load, so only the ratios mean much): the same day
aggregate of one 30-rep team took 5.8 s from its Parquet folder and 5.3 s from a DuckDB database
file sorted by team (zone maps skip the other teams' row groups), and of the organisation 49.8 s
from either; writing every table as Parquet took 146 s against 140 s for the calls table alone
in a DuckDB file, and the calls were 56 MB against 86 MB. Reads are even, so the format that is
written faster, is smaller, lets every kernel open exactly its own files at once without a
database lock and is readable by pandas/pyarrow won. Snappy, not zstd: writing the 4.9 M calls
took 46 s against 71 s (zstd), reads were no slower, the files 2.4× larger (a temporary folder).
Not partitioned by month: most notebooks read a team's whole history (trends, phase age), and
month folders would multiply small files (the 3-month windows of 03 and 04 are a filter in the scan).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from . import config

__all__ = ["SNAPSHOT_ENV", "META_FILE", "Snapshot", "SnapshotError", "write", "is_snapshot", "for_source"]

#: environment variable naming the snapshot a report run's kernels read (see :func:`for_source`)
SNAPSHOT_ENV = "ISKPI_SNAPSHOT"
#: written last: a folder without it is not a snapshot
META_FILE = "snapshot.json"
FORMAT = 1
#: event tables stored one folder per team (by the rep's team; leads by their owner's)
PARTITIONED = ("calls", "emails", "deals", "leads")
NO_TEAM = -1


class SnapshotError(ValueError):
    """A folder that is not a complete snapshot (cut short, or of another format)."""


def is_snapshot(path) -> bool:
    """True when ``path`` is a folder holding a snapshot's ``snapshot.json``."""
    return path is not None and (Path(path) / META_FILE).is_file()


def write(data, path, *, today=None, prefer=None) -> Path:
    """Write the validated tables of ``data`` (an unfiltered Dataset from ``load_data``) as a
    snapshot at ``path`` (which must not exist); returns ``path``.

    ``today`` and ``prefer``: the options the data was loaded with, recorded so that a load with
    other options reads the raw files instead.
    """
    from . import dataset

    if data._filters:
        raise ValueError("write a snapshot of the whole data (load_data), not of a filtered view")
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"snapshot folder already exists: {path}")
    tmp = path.parent / f"{path.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    con = data.con
    teams = sorted(
        {
            r[0]
            for r in con.execute(
                "SELECT team_id FROM t_reps UNION SELECT team_id FROM " + ("t_teams" if data.has("teams") else "t_reps")
            ).fetchall()
        }
    )
    index = {t: i for i, t in enumerate(teams)}
    opts = "FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880"  # zstd: 1.5x the write time
    try:
        con.register("_snap_team_index", pd.DataFrame({"team_id": teams, "_part": range(len(teams))}))
        for t in sorted(data._present):
            cols = ", ".join(dataset._ident(c) for c in ["_row", *dataset.CONTRACT[t]])
            if t in PARTITIONED:
                (tmp / t).mkdir()
                con.execute(
                    f"COPY (SELECT {cols} FROM t_{t} LIMIT 0) TO {dataset._q(str(tmp / t / 'empty.parquet'))} ({opts})"
                )
                key = "owner_rep_id" if t == "leads" else "rep_id"  # a lead's team is its owner's
                con.execute(
                    f"COPY (SELECT {', '.join('x.' + dataset._ident(c) for c in ['_row', *dataset.CONTRACT[t]])}, "
                    f"coalesce(i._part, {NO_TEAM}) AS _part FROM t_{t} x "
                    f"LEFT JOIN t_reps r ON r.rep_id = x.{key} LEFT JOIN _snap_team_index i ON i.team_id = r.team_id) "
                    f"TO {dataset._q(str(tmp / t))} ({opts}, PARTITION_BY (_part), OVERWRITE_OR_IGNORE)"
                )
            else:
                con.execute(f"COPY (SELECT {cols} FROM t_{t}) TO {dataset._q(str(tmp / f'{t}.parquet'))} ({opts})")
        con.execute(f"COPY (SELECT d FROM jp_holidays) TO {dataset._q(str(tmp / 'holidays.parquet'))} ({opts})")
        ranges = {}
        for t in PARTITIONED:  # the local-time fast path's range, read from the written files
            if t in data._present:
                col = dataset.EVENT_TIME[t]
                files = ", ".join(dataset._q(str(f)) for f in [tmp / t / "empty.parquet", *(tmp / t).glob("_part=*/*")])
                lo, hi = con.execute(
                    f"SELECT min({col}), max({col}) FROM read_parquet([{files}], hive_partitioning = false)"
                ).fetchall()[0]
                ranges[t] = [None if v is None else pd.Timestamp(v).isoformat() for v in (lo, hi)]
    finally:
        con.unregister("_snap_team_index")
    meta = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": {
            "data_dir": str(Path(data.data_dir).resolve()) if data.data_dir else None,
            "files": {t: str(Path(p).resolve()) for t, p in data.files.items()},
            "stat": {t: _stat(p) for t, p in data.files.items()},
            "fingerprint": data.fingerprint,
            "tz": data.tz,
            "valid_talk_seconds": data.valid_talk_seconds,
            "prefer": prefer,
            "today": None if today is None else str(pd.Timestamp(today).date()),
        },
        "present": sorted(data._present),
        "inbound_calls": data.inbound_calls,
        "notes": [dataclasses.asdict(p) for p in data.notes],
        "teams": index,
        "ranges": ranges,
    }
    (tmp / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.rename(tmp, path)  # complete or absent: never a half snapshot at ``path``
    return path


def _stat(path) -> list | None:
    """Size and modification time of an input file (a changed file makes a snapshot stale)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


class Snapshot:
    """A complete snapshot folder (see the module docstring). :meth:`dataset` opens it."""

    def __init__(self, path):
        self.path = Path(path)
        try:
            meta = json.loads((self.path / META_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SnapshotError(
                f"{self.path} is not a complete snapshot (no {META_FILE}: never finished, e.g. a run cut short)"
            ) from None
        except (OSError, ValueError) as exc:
            raise SnapshotError(f"{self.path}/{META_FILE} cannot be read: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise SnapshotError(
                f"{self.path} is a snapshot of another format ({meta.get('format')!r}, expected {FORMAT})"
            )
        self.meta = meta
        self.source = meta["source"]

    def matches(self, data_dir, *, tz, valid_talk_seconds, prefer, today) -> bool:
        """True when a ``load_data`` of ``data_dir`` with these options would load what this
        snapshot holds (``today=None``: the day the snapshot was validated is taken)."""
        s = self.source
        return (
            data_dir is not None
            and s["data_dir"] == str(Path(data_dir).resolve())
            and all(_stat(p) == s["stat"].get(t) for t, p in s["files"].items())  # files unchanged since
            and s["tz"] == tz
            and int(s["valid_talk_seconds"]) == int(valid_talk_seconds)
            and (s.get("prefer") or None) == (prefer or None)
            and (today is None or s.get("today") in (None, str(pd.Timestamp(today).date())))
        )

    def _files(self, table: str, team) -> list[str]:
        folder = self.path / table
        if team is None:
            parts = sorted(folder.glob("_part=*/*.parquet"))
        else:
            k = self.meta["teams"].get(team)
            parts = sorted((folder / f"_part={k}").glob("*.parquet")) if k is not None else []
        return [str(folder / "empty.parquet"), *map(str, parts)]

    def connect(self, team=None, *, memory_limit=None):
        """A DuckDB connection with the Dataset's views over the snapshot; ``team``: only that
        team's files of the event tables (None = every team).

        One connection per team and snapshot object, shared by every view of that team (as the
        views of one raw load share one): an organisation's run that goes through its teams
        one by one, again and again, opens each team once.
        """
        key = (team, memory_limit)
        cons = self.__dict__.setdefault("_cons", {})
        if key not in cons:
            cons[key] = self._connect(team, memory_limit=memory_limit)
        return cons[key]

    def close(self) -> None:
        """Close every connection opened on this snapshot (its views can no longer be read)."""
        for con in self.__dict__.pop("_cons", {}).values():
            con.close()

    def _connect(self, team, *, memory_limit):
        from . import dataset

        m = self.meta
        tz = self.source["tz"]
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.InvalidInputException:  # inside Jupyter without ipywidgets
            pass
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET TimeZone = {dataset._q(tz)}")
        con.execute(f"SET memory_limit = {dataset._q(memory_limit or config.DUCKDB_MEMORY_LIMIT)}")
        con.execute(f"SET temp_directory = {dataset._q(str(config.DUCKDB_TEMP_DIR))}")
        for t in m["present"]:
            if t in PARTITIONED:
                files = ", ".join(dataset._q(f) for f in self._files(t, team))
                src = f"read_parquet([{files}], hive_partitioning = false)"
            else:
                src = f"read_parquet({dataset._q(str(self.path / f'{t}.parquet'))})"
            con.execute(f"CREATE VIEW t_{t} AS SELECT * FROM {src}")
        con.execute(
            f"CREATE TABLE jp_holidays AS SELECT d FROM read_parquet({dataset._q(str(self.path / 'holidays.parquet'))})"
        )
        ranges = {
            t: tuple(None if v is None else pd.Timestamp(v) for v in r) for t, r in (m.get("ranges") or {}).items()
        }
        dataset._create_views(
            con,
            set(m["present"]),
            tz,
            int(self.source["valid_talk_seconds"]),
            outbound_only=bool(m["inbound_calls"]),
            ranges=ranges,
            offsets=self.__dict__.setdefault("_offsets", {}),
        )
        return con

    def dataset(self, *, team=None, filters=None, memory_limit=None):
        """The snapshot as a :class:`~iskpi_analysis.dataset.Dataset` (``team``: read only its files;
        ``filters``: the view's filters, default ``{"team": team}``)."""
        from . import dataset

        s = self.source
        filters = dict(filters if filters is not None else ({"team": team} if team else {}))
        return dataset.Dataset(
            self.connect(team, memory_limit=memory_limit),
            tz=s["tz"],
            data_dir=Path(s["data_dir"]) if s.get("data_dir") else None,
            files={t: Path(p) for t, p in s["files"].items()},
            fingerprint=s["fingerprint"],
            notes=[dataset.Problem(**n) for n in self.meta["notes"]],
            present=set(self.meta["present"]),
            filters=filters,
            valid_talk_seconds=int(s["valid_talk_seconds"]),
            inbound_calls=int(self.meta["inbound_calls"]),
            snapshot=self,
            scope=team,
        )


def for_source(data_dir, *, tz, valid_talk_seconds, prefer, today) -> Snapshot | None:
    """The snapshot ``load_data(data_dir, …)`` should read, or None for the raw files.

    ``data_dir`` itself when it is a snapshot folder (a folder that has a ``snapshot.json``; an
    incomplete one raises :class:`SnapshotError`); else the snapshot named by ``ISKPI_SNAPSHOT``
    when it is complete and was made from ``data_dir`` with the same options.
    """
    if data_dir is not None and is_snapshot(data_dir):
        snap = Snapshot(data_dir)
        got = {"tz": snap.source["tz"], "valid_talk_seconds": int(snap.source["valid_talk_seconds"])}
        asked = {"tz": tz, "valid_talk_seconds": int(valid_talk_seconds)}
        if got != asked:  # its local times and valid conversations are fixed: never other ones silently
            raise SnapshotError(
                f"the snapshot {data_dir} was validated with {got}, not {asked}: load the raw data "
                f"directory {snap.source.get('data_dir')} for other options"
            )
        return snap
    env = os.environ.get(SNAPSHOT_ENV, "").strip()
    if not env or not is_snapshot(env):
        return None  # none named, or never completed: the raw files
    try:
        snap = Snapshot(env)
    except SnapshotError:
        return None
    ok = snap.matches(data_dir, tz=tz, valid_talk_seconds=valid_talk_seconds, prefer=prefer, today=today)
    return snap if ok else None
