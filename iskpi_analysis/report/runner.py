"""The run: validate, lock, execute every notebook × team, write index and manifest, swap into place."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import config, runguard, snapshot
from ..catalog import t as _t
from .execute import (
    Progress,
    _execute,
    _utcnow,
    _WarmPool,
    default_jobs,
    describe_failure,
)
from .export import note_text, strip_incomplete
from .index import _sources_html, _team_labels, write_index
from .manifest import (
    _carry_over,
    _read_manifest,
    build_manifest,
    kit_version,
)
from .params import (
    ORG,
    ReportError,
    discover_notebooks,
    load_report_settings,
    resolve_report_settings,
    validate_parameters,
)
from .staging import (
    _clean_stale,
    _lock_month,
    _SignalGuard,
    _swap_into_place,
    check_out_dir,
)

__all__ = ["NotebookFailed", "ReportResult", "run_report", "SNAPSHOT_DIR"]


class NotebookFailed(RuntimeError):
    """At least one notebook failed; ``failures`` lists them, ``result`` is the failed run."""

    def __init__(self, failures: list[dict], result: ReportResult):
        self.failures = failures
        self.result = result
        lines = [f"{len(failures)} notebook run(s) failed; incomplete output in {result.out_dir}"]
        lines += ["  - " + describe_failure(f) for f in failures]
        super().__init__("\n".join(lines))


@dataclass
class ReportResult:
    """What :func:`run_report` produced."""

    status: str  # "complete" or "failed"
    out_dir: Path
    index: Path
    manifest: Path
    runs: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def html_files(self) -> list[Path]:
        return sorted(self.out_dir.glob("*/*.html"))


def run_report(
    month: str,
    *,
    teams=None,
    data_dir=None,
    out_dir=None,
    lang: str = config.DEFAULT_LANG,
    targets_file=None,
    jobs: int | None = None,
    notebooks=None,
    notebooks_dir=None,
    include_org: bool = True,
    timeout: int | None = None,
    progress: bool = True,
    kernel_name: str | None = None,
    raise_on_failure: bool = True,
    replace: bool = False,
    kernel_start_timeout: float = 60,
    kernel_start_attempts: int = 3,
    settings_file=None,
) -> ReportResult:
    """Run every notebook for ``month`` (organisation + teams) and write HTML, index and manifest.

    (Its length is this docstring and the parameters; the body validates, locks and hands over
    to :func:`_run_locked`.)

    Parameters
    ----------
    month : "YYYY-MM".
    teams : team ids to report on (default: every team in the data); the organisation
        (``team="all"``) is always run too unless ``include_org=False``.
    data_dir : data directory (default: ``config.DATA_DIR``, the sample data).
    out_dir : reports root (default: ``config.REPORTS_DIR``); output goes to ``out_dir/month``.
    lang : "ja" or "en" — passed to the notebooks and used for the runner's own texts.
    targets_file : edited phase-target file passed to the notebooks ("" = shipped defaults).
    jobs : parallel notebook runs (default: the cores available).
    notebooks : names / glob patterns of notebooks to run (default: all in ``notebooks_dir``).
    notebooks_dir : where the notebooks are (default: ``config.NOTEBOOKS_DIR``).
    timeout : per-cell execution timeout in seconds (default: none).
    progress : print progress to stderr.
    kernel_name : Jupyter kernel to run the notebooks with (default: each notebook's own).
    raise_on_failure : raise :class:`NotebookFailed` when a notebook fails (else return the
        failed :class:`ReportResult`).
    replace : a partial run replaces the month instead of merging into it (see the module
        docstring, *Merge or replace*).
    kernel_start_timeout, kernel_start_attempts : seconds to wait for a kernel's first reply and
        how many times to start it (the wait doubles on each new start) before the run fails.
    settings_file : the settings TOML (:mod:`iskpi_analysis.settings`; default: ``settings.toml``
        beside the data when it exists). Passed to every notebook (parameter ``settings``) and
        recorded in the manifest with its sha256 and the values resolved per team; its
        ``targets_file`` is used when ``targets_file`` is not given.

    Returns
    -------
    ReportResult
        status ("complete"/"failed"), out_dir, index, manifest, runs (one dict per notebook run
        of this call: team, notebook, status, started_at, ended_at, seconds, execute_seconds,
        export_seconds, kernel_starts, ipynb, html, html_bytes, title, headline, external_urls,
        error, report_run), seconds.

    Raises
    ------
    ReportError
        invalid parameters or data, or ``out_dir`` not a writable directory (raised before
        anything runs or is written).
    ReportLocked
        another run holds the month (nothing was run).
    NotebookFailed
        a notebook failed (output moved to ``out_dir/<month>.FAILED``).
    ReportInterrupted
        SIGTERM or SIGINT (workers and kernels stopped, staging removed, lock released).
    """
    t_start = time.perf_counter()
    started_at = _utcnow()
    nbs = discover_notebooks(notebooks_dir, notebooks)
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise ReportError(f"--jobs must be a positive integer, got {jobs!r}")
    root = Path(out_dir) if out_dir else config.REPORTS_DIR
    check_out_dir(root)
    with _SignalGuard() as guard:
        # Start the workers now: their imports and warm-up overlap with validating the data.
        pool = _WarmPool(jobs or default_jobs())
        lock = None
        try:
            stg = load_report_settings(settings_file, data_dir=data_dir)
            targets_file = targets_file or (stg.targets_file if stg else None)
            data, teams = validate_parameters(
                month, teams=teams, data_dir=data_dir, lang=lang, targets_file=targets_file, jobs=jobs
            )
            resolved = resolve_report_settings(stg, data, month=month)
            team_order = ([ORG] if include_org else []) + teams
            if not team_order:
                raise ReportError("nothing to run: no team and include_org=False")
            lock = _lock_month(root, month)
            every_nb = [p.stem for p in nbs] == [p.stem for p in discover_notebooks(notebooks_dir)]
            covers_month = every_nb and include_org and set(teams) == set(data.team_ids())
            return _run_locked(
                month,
                root=root,
                lock=lock,
                guard=guard,
                pool=pool,
                data=data,
                teams=teams,
                team_order=team_order,
                nbs=nbs,
                lang=lang,
                targets_file=targets_file,
                jobs=jobs or default_jobs(),
                include_org=include_org,
                timeout=timeout,
                progress=progress,
                kernel_name=kernel_name,
                raise_on_failure=raise_on_failure,
                merge=not (replace or covers_month),
                every_nb=every_nb,
                kernel_start_timeout=kernel_start_timeout,
                kernel_start_attempts=kernel_start_attempts,
                started_at=started_at,
                t_start=t_start,
                settings=resolved,
            )
        except BaseException:
            pool.abort()
            if lock is not None:  # the staging dir is ours while we hold the lock; after the swap it is gone
                shutil.rmtree(root / f".{month}.tmp-{os.getpid()}", ignore_errors=True)
            raise
        finally:
            if lock is not None:
                lock.release()


#: the snapshot's folder inside the staging folder (removed before the swap)
SNAPSHOT_DIR = ".snapshot"


def _snapshot(data, staging: Path, *, progress):
    """Write the validated data as the run's snapshot in ``staging`` and continue on it.

    Returns ``(the snapshot's Dataset, its folder)``. The raw load's DuckDB connection is closed,
    so the parent holds no copy of the data while the notebooks run; the snapshot keeps its
    fingerprint, files and warnings.
    """
    t0 = time.perf_counter()
    snap_dir = snapshot.write(data, staging / SNAPSHOT_DIR)
    data.con.close()
    data = snapshot.Snapshot(snap_dir).dataset()
    _say(progress, f"validated data written as the run's snapshot in {time.perf_counter() - t0:.1f}s")
    return data, snap_dir


def _warehouse_folder(data, staging: Path, *, progress):
    """For data in a database: no snapshot of the events (the kernels open the URL themselves);
    the staging folder's snapshot folder only holds the run's decided phases. Returns
    ``(data, folder)`` like :func:`_snapshot`."""
    from ..dataset.warehouse import write_run_folder

    data.snapshot = write_run_folder(staging / SNAPSHOT_DIR, data)
    _say(progress, f"data read where it lives: {data.source_url} (fingerprint {data.fingerprint})")
    return data, data.snapshot.path


def _reads_team_phase(nbs) -> bool:
    """True when one of the run's notebooks asks for the teams' phase (``team_phase``)."""
    return any("team_phase" in p.read_text(encoding="utf-8") for p in nbs)


def _decide_phases(data, *, month, snap_dir, settings, targets_file, progress) -> None:
    """Decide every team's phase once, here, and write it into the run's snapshot folder, where
    ``phase.team_phase`` in every notebook of the run reads it (keyed, so a notebook asking
    another question — another override, month or targets — computes its own)."""
    from ..phase import precompute

    t0 = time.perf_counter()
    precompute(data, month=month, folder=snap_dir, settings=settings, targets_file=targets_file or None)
    _say(progress, f"each team's phase decided once in {time.perf_counter() - t0:.1f}s")


def _say(progress: bool, msg: str) -> None:
    if progress:
        print(f"iskpi report: {msg}", file=sys.stderr, flush=True)


def _prepare(month, *, root, lock, merge, lang, progress):
    """Before the run: take over a dead run's lock, clean stale folders, read the month to merge
    into, make the staging folder. Returns ``(final, previous manifest or None, staging)``."""
    if lock.stale:
        _say(progress, f"took over the lock of {runguard.describe_holder(lock.stale)}, which is no longer running")
    for gone in _clean_stale(root, month):
        _say(progress, f"removed {gone.name}, left by a run that is no longer running")
    final = root / month
    previous = _read_manifest(final) if merge else None
    if merge and final.exists() and previous is None:
        _say(progress, f"{final} has no manifest of a complete report: this run replaces it")
    prev_lang = (previous or {}).get("parameters", {}).get("lang", lang)
    if prev_lang != lang:
        raise ReportError(
            f"{final} is a report in --lang {prev_lang}; a partial run in --lang {lang} cannot "
            f"be merged into it: use --lang {prev_lang}, --replace to replace the month, or "
            f"another --out"
        )
    staging = root / f".{month}.tmp-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return final, previous, staging


def _tasks(
    month,
    *,
    staging,
    snap_dir,
    team_order,
    nbs,
    params,
    labels,
    timeout,
    kernel_name,
    kernel_start_timeout,
    kernel_start_attempts,
    header,
) -> list[dict]:
    """One task per team × notebook, in report order (what :func:`execute._run_one` receives)."""
    tasks = []
    for team in team_order:
        for p in nbs:
            tasks.append(
                {
                    "input": str(p.resolve()),
                    "notebook": p.stem,
                    "team": team,
                    "parameters": {"month": month, "team": team, **params},
                    "out_ipynb": str(staging / team / f"{p.stem}.ipynb"),
                    "timeout": timeout,
                    "log": str(staging / "logs" / team / f"{p.stem}.log"),
                    "kernel_name": kernel_name,
                    "kernel_start_timeout": kernel_start_timeout,
                    "kernel_start_attempts": kernel_start_attempts,
                    "header": {"month": month, "team": team, "team_label": labels[team], **header},
                    # the kernel's load_data reads the run's snapshot (see iskpi_analysis.snapshot)
                    "env": {snapshot.SNAPSHOT_ENV: str(snap_dir)},
                }
            )
    return tasks


def _run_locked(
    month,
    *,
    root,
    lock,
    guard,
    pool,
    data,
    teams,
    team_order,
    nbs,
    lang,
    targets_file,
    jobs,
    include_org,
    timeout,
    progress,
    kernel_name,
    raise_on_failure,
    merge,
    every_nb,
    kernel_start_timeout,
    kernel_start_attempts,
    started_at,
    t_start,
    settings=None,
) -> ReportResult:
    """The run, once the parameters are valid and the month is locked.

    Long on purpose: it is the one place that reads, in order, what a run does — prepare the
    staging folder, build the tasks, execute, carry over kept pages, write manifest and index,
    publish — each step a call into its own module; most of its lines are keyword arguments.
    """
    final, previous, staging = _prepare(month, root=root, lock=lock, merge=merge, lang=lang, progress=progress)
    run_id = f"{started_at}#{os.getpid()}"
    if getattr(data, "source_url", None):  # a database (issue 15): no snapshot, the data stays there
        data, snap_dir = _warehouse_folder(data, staging, progress=progress)
    else:
        data, snap_dir = _snapshot(data, staging, progress=progress)
    if _reads_team_phase(nbs):
        _decide_phases(
            data, month=month, snap_dir=snap_dir, settings=settings, targets_file=targets_file, progress=progress
        )
    for n in data.quality_notes():  # the reader of the terminal sees them too, not only manifest.json
        print(f"data warning: {n}", file=sys.stderr, flush=True)
    notes = [note_text(p, lang=lang) for p in data.notes]  # the pages' notes, in the report's language
    # every team of the data has its display name: the organisation's pages (and the index's actions)
    # name teams this run did not render a page for
    teams_named = dict.fromkeys([*data.team_ids(), *(x for x in team_order if x != ORG)])
    labels = {**(previous or {}).get("team_labels", {}), **_team_labels(data, list(teams_named))}
    labels[ORG] = _t("report.page.org", lang=lang)
    version = kit_version()
    now_local = dt.datetime.now(dt.UTC).astimezone(_zone(data.tz))
    generated_at = now_local.strftime("%Y-%m-%d %H:%M %Z")
    params = {
        "data_dir": getattr(data, "source_url", None) or str(Path(data.data_dir).resolve()),
        "lang": lang,
        "targets_file": str(Path(targets_file).resolve()) if targets_file else "",
        "settings": settings.manifest()["path"] if settings else "",
    }
    tasks = _tasks(
        month,
        staging=staging,
        snap_dir=snap_dir,
        team_order=team_order,
        nbs=nbs,
        params=params,
        labels=labels,
        timeout=timeout,
        kernel_name=kernel_name,
        kernel_start_timeout=kernel_start_timeout,
        kernel_start_attempts=kernel_start_attempts,
        header={
            "lang": lang,
            "fingerprint": data.fingerprint,
            "version": version,
            "generated_at": generated_at,
            "data_notes": notes,
        },
    )
    for t in tasks:  # a database's kernels: its URL with password, kept out of parameters and pages
        t["env"].update(getattr(data, "kernel_env", dict)())
    if progress:
        print(
            f"iskpi report {month}: {len(nbs)} notebook(s) × {len(team_order)} "
            f"({', '.join(team_order)}) = {len(tasks)} runs, {min(jobs, len(tasks))} in parallel",
            file=sys.stderr,
            flush=True,
        )
    # interrupted or crashed from here on: run_report stops workers and kernels, removes the staging dir
    runs = _execute(tasks, jobs, Progress(len(tasks), enabled=progress), pool)
    pool.close()
    order = {(t["team"], t["notebook"]): i for i, t in enumerate(tasks)}
    runs.sort(key=lambda r: order[(r["team"], r["notebook"])])
    for r in runs:
        r["report_run"] = run_id
    failures = [r for r in runs if r["status"] != "ok"]
    failed = bool(failures)

    kept, kept_sources = ([], [])
    if previous and not failed:
        kept, kept_sources = _carry_over(previous, final, staging, set(order), lang=lang)
    rank = {t: i for i, t in enumerate([ORG, *data.team_ids()])}
    pages = sorted(runs + kept, key=lambda r: (rank.get(r["team"], len(rank)), r["team"], r["notebook"]))
    page_teams = list(dict.fromkeys(r["team"] for r in pages))
    for t in page_teams:
        labels.setdefault(t, t)
    seconds = round(time.perf_counter() - t_start, 3)
    manifest = build_manifest(
        data,
        staging=staging,
        status="failed" if failed else "complete",
        version=version,
        run_id=run_id,
        generated_at=generated_at,
        merged=bool(kept),
        parameters={
            "month": month,
            "teams": teams,
            "include_org": include_org,
            "lang": lang,
            "data_dir": params["data_dir"],
            "targets_file": params["targets_file"],
            "jobs": jobs,
            "notebooks_dir": str(nbs[0].parent.resolve()),
            "notebooks": [p.stem for p in nbs],
            "timeout": timeout,
            "settings_file": params["settings"],
            "settings": settings.manifest() if settings else None,
        },
        month=month,
        teams=teams,
        started_at=started_at,
        ended_at=_utcnow(),
        seconds=seconds,
        team_labels={t: labels[t] for t in page_teams},
        pages=pages,
        failures=failures,
        kept_sources=kept_sources,
    )
    index = write_index(
        staging / "index.html",
        month=month,
        lang=lang,
        runs=pages,
        team_order=page_teams,
        team_labels=labels,
        fingerprint=data.fingerprint,
        version=version,
        generated_at=generated_at,
        failed=failed,
        data_notes=notes,
        incomplete=True,
        sources_html=_sources_html(manifest["report_runs"], pages, lang=lang),
    )
    (staging / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    data.snapshot.close()
    shutil.rmtree(snap_dir)  # the run's copy of the data: not part of the report
    dest = _publish(
        staging,
        root=root,
        month=month,
        failed=failed,
        guard=guard,
        merge=merge,
        every_nb=every_nb,
        team_order=team_order,
        runs=runs,
    )
    result = ReportResult(
        status=manifest["status"],
        out_dir=dest,
        index=dest / "index.html",
        manifest=dest / "manifest.json",
        runs=runs,
        seconds=seconds,
    )
    if progress:
        merged = f" (merged with {len(kept)} kept page(s) of earlier runs)" if kept else ""
        msg = (
            f"FAILED: {len(failures)} of {len(runs)} runs failed; incomplete output in {dest}"
            if failed
            else f"done: {len(runs)} runs in {seconds:.1f}s → {index.name} in {dest}{merged}"
        )
        print(msg, file=sys.stderr, flush=True)
    if failed and raise_on_failure:
        raise NotebookFailed(failures, result)
    return result


def _publish(staging: Path, *, root, month, failed, guard, merge, every_nb, team_order, runs) -> Path:
    """Swap the staging folder into ``<month>`` (or ``<month>.FAILED``); returns where it went.

    Drops an old ``.FAILED`` folder once every team that failed there has been redone, and points
    the paths of ``runs`` into the final folder.
    """
    final = root / month
    dest = root / f"{month}.FAILED" if failed else final
    with guard.critical():  # a signal now waits: the month is never left half-swapped
        if not failed:
            for page in staging.rglob("*.html"):
                strip_incomplete(page)
        _swap_into_place(staging, dest)
    old_failed = root / f"{month}.FAILED"
    if not failed and old_failed.exists():
        # the failure record goes once a run has redone every team that failed there, all notebooks
        failed_teams = {
            r.get("team") for r in (_read_manifest(old_failed, None) or {}).get("runs", []) if r.get("status") != "ok"
        }
        if not merge or (every_nb and failed_teams <= set(team_order)):
            shutil.rmtree(old_failed, ignore_errors=True)
    for r in runs:  # paths now point into the final directory
        for k in ("ipynb", "html", "log"):
            if r.get(k):
                r[k] = str(dest / Path(r[k]).relative_to(staging))
    return dest


def _zone(name):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001
        return dt.UTC
