"""Notebook execution: the warm worker pool, one papermill run per task (kernel-start retries), progress."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import multiprocessing
import os
import sys
import time
import traceback
from pathlib import Path

from .. import config, runguard
from .export import TEMPLATE_NAME, TEMPLATES_DIR, drop_other_languages, export_html

__all__ = ["KERNEL_START_ERRORS", "describe_failure", "Progress", "default_jobs"]

#: papermill/jupyter_client messages of a kernel that did not come up (retried with a longer wait)
KERNEL_START_ERRORS = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")


def _utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _failure_from_exception(exc: BaseException) -> dict:
    info = {"ename": type(exc).__name__, "evalue": str(exc).strip().splitlines()[-1] if str(exc).strip() else ""}
    if hasattr(exc, "cell_index"):  # papermill.PapermillExecutionError
        src = (getattr(exc, "source", "") or "").strip().splitlines()
        info.update(
            cell_index=exc.cell_index,
            execution_count=getattr(exc, "exec_count", None),
            cell_source_first_line=src[0] if src else "",
            ename=exc.ename,
            evalue=exc.evalue,
        )
    return info


def _failing_cell(ipynb: Path) -> dict:
    """Find the cell with an error output in an executed notebook (index among code cells)."""
    try:
        nbj = json.loads(ipynb.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}

    def info(i, c, **kw):
        src = "".join(c.get("source", "")).strip().splitlines()
        return {
            "cell_index": i,
            "execution_count": c.get("execution_count"),
            "cell_source_first_line": src[0] if src else "",
            **kw,
        }

    cells = nbj.get("cells", [])
    for i, c in enumerate(cells):
        for o in c.get("outputs", []) or []:
            if o.get("output_type") == "error":
                return info(i, c, ename=o.get("ename"), evalue=o.get("evalue"))
    for i, c in enumerate(cells):  # e.g. a cell timeout: papermill marks the cell it was running
        if c.get("metadata", {}).get("papermill", {}).get("status") in ("running", "failed"):
            return info(i, c)
    return {}


def describe_failure(run: dict) -> str:
    err = run.get("error") or {}
    where = f"team {run['team']}, notebook {run['notebook']}"
    if "cell_index" in err:
        where += (
            f", cell {err['cell_index']} of the executed notebook (execution count {err.get('execution_count')}: "
            f"{err.get('cell_source_first_line', '')!r})"
        )
    return f"{where}: {err.get('ename', 'Error')}: {err.get('evalue', '')}"


def _is_kernel_start_failure(exc: BaseException) -> bool:
    return not hasattr(exc, "cell_index") and any(m in str(exc) for m in KERNEL_START_ERRORS)


def _execute_notebook(pm, task: dict, out_ipynb: Path, run: dict) -> None:
    """papermill with kernel-start retries: a kernel that died or stayed silent while starting
    (a loaded machine) is started again with a doubled start timeout; any other error is final."""
    attempts = max(1, task.get("kernel_start_attempts") or 1)
    wait = task.get("kernel_start_timeout") or 60
    for attempt in range(1, attempts + 1):
        try:
            pm.execute_notebook(
                task["input"],
                str(out_ipynb),
                parameters=task["parameters"],
                kernel_name=task.get("kernel_name"),
                progress_bar=False,
                log_output=False,
                cwd=str(Path(task["input"]).parent),
                execution_timeout=task.get("timeout"),
                start_timeout=wait,
            )
            run["kernel_starts"] = attempt
            return
        except Exception as exc:
            if not _is_kernel_start_failure(exc):
                raise
            run["kernel_starts"] = attempt
            if attempt == attempts:
                raise RuntimeError(
                    f"{exc} (the kernel failed to start {attempts} times; last start timeout {wait:g} s)"
                ) from exc
            print(
                f"iskpi: kernel start {attempt} of {attempts} failed ({exc}); starting it again with a "
                f"{wait * 2:g} s start timeout",
                file=sys.stderr,
                flush=True,
            )  # → the run's log
            time.sleep(attempt)  # let a loaded machine breathe
            wait *= 2


def _keep_report_language(ipynb: Path, *, lang: str) -> None:
    """The executed notebook keeps only the report language's prose (see :func:`drop_other_languages`)."""
    nbj = json.loads(ipynb.read_text(encoding="utf-8"))
    n = len(nbj.get("cells", []))
    drop_other_languages(nbj, lang=lang)
    if len(nbj["cells"]) != n:
        ipynb.write_text(json.dumps(nbj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _run_one(task: dict) -> dict:
    """Execute one notebook with papermill and export its HTML. Runs in a worker process."""
    import logging

    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.ERROR)  # "Passed unknown parameter" etc.
    out_ipynb = Path(task["out_ipynb"])
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    run = {
        "team": task["team"],
        "notebook": task["notebook"],
        "started_at": _utcnow(),
        "ipynb": str(out_ipynb),
        "status": "running",
    }
    # The kernel inherits this process's stderr: send its chatter to a log file of the run.
    log = Path(task["log"]) if task.get("log") else None
    saved_fd = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        sys.stderr.flush()
        saved_fd = os.dup(2)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
        run["log"] = str(log)
    t0 = time.perf_counter()
    saved_env = {k: os.environ.get(k) for k in task.get("env") or {}}
    os.environ.update(task.get("env") or {})  # the kernel inherits it (e.g. the run's snapshot)
    try:
        _execute_notebook(pm, task, out_ipynb, run)
        _keep_report_language(out_ipynb, lang=task["parameters"].get("lang", config.DEFAULT_LANG))
        run["execute_seconds"] = round(time.perf_counter() - t0, 3)
        t1 = time.perf_counter()
        out_html = out_ipynb.with_suffix(".html")
        info = export_html(out_ipynb, out_html, **task["header"], incomplete=True)
        run.update(info)
        run["export_seconds"] = round(time.perf_counter() - t1, 3)
        run["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the report
        run["status"] = "failed"
        err = _failure_from_exception(exc)
        if "cell_index" not in err and out_ipynb.exists():
            err = {**err, **_failing_cell(out_ipynb)}
        if "cell_index" not in err:
            err["traceback"] = traceback.format_exc(limit=5)
        run["error"] = err
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if saved_fd is not None:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
    run["ended_at"] = _utcnow()
    run["seconds"] = round(time.perf_counter() - t0, 3)
    return run


class Progress:
    """Line-based progress on a stream: what starts, what is done, what is still running."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total, self.done, self.failed = total, 0, 0
        self.running: dict[tuple, float] = {}
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.t0 = time.perf_counter()

    def _print(self, msg):
        if self.enabled:
            print(f"[{time.perf_counter() - self.t0:6.1f}s] {msg}", file=self.stream, flush=True)

    def start(self, team, notebook):
        self.running[(team, notebook)] = time.perf_counter()
        self._print(f"▶ start  {team}/{notebook}   (running {len(self.running)})")

    def finish(self, run):
        self.running.pop((run["team"], run["notebook"]), None)
        self.done += 1
        ok = run["status"] == "ok"
        self.failed += not ok
        mark = "✓ done  " if ok else "✗ FAILED"
        still = ", ".join(f"{t}/{n}" for t, n in self.running) or "-"
        self._print(
            f"{mark} {run['team']}/{run['notebook']} {run['seconds']:.1f}s  "
            f"[{self.done}/{self.total}{f', {self.failed} failed' if self.failed else ''}]  running: {still}"
        )
        if not ok:
            self._print("         " + describe_failure(run))
        if run.get("kernel_starts", 1) > 1:
            self._print(
                f"         (the kernel of {run['team']}/{run['notebook']} started on attempt "
                f"{run['kernel_starts']}; see its log)"
            )


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)


def _mp_context():
    """A fork server with papermill/nbconvert preloaded (workers start in well under a second and
    never inherit the parent's threads, e.g. DuckDB's); plain spawn where there is no fork server."""
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:  # pragma: no cover - e.g. Windows
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload(["papermill", "nbconvert", "nbformat", "iskpi_analysis.report"])
    return ctx


def _warm() -> int:
    """Worker warm-up: imports and a first HTML exporter (template loading) before real work."""
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401
    from nbconvert import HTMLExporter

    HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)])
    return os.getpid()


def _worker_init(report_pid: int) -> None:
    """Worker start: die with the report process (see :func:`runguard.watch_parent`)."""
    runguard.watch_parent(report_pid)


class _WarmPool:
    """A process pool whose workers start (and warm up) as soon as it is created."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.executor = cf.ProcessPoolExecutor(
            max_workers=jobs, mp_context=_mp_context(), initializer=_worker_init, initargs=(os.getpid(),)
        )
        self.warmups = [self.executor.submit(_warm) for _ in range(jobs)]

    def submit(self, fn, *args):
        return self.executor.submit(fn, *args)

    def close(self):
        self.executor.shutdown(wait=True, cancel_futures=True)

    def abort(self):
        """Stop the workers and their kernels at once (invalid parameters, a signal, a crash).

        Kernels run in their own session, so each process of each worker's tree is signalled.
        """
        procs = list((getattr(self.executor, "_processes", None) or {}).values())
        pids = [q for p in procs if p.pid for q in (*runguard.descendants(p.pid), p.pid)]
        runguard.terminate(pids)
        self.executor.shutdown(wait=False, cancel_futures=True)


def _execute(tasks: list[dict], jobs: int, prog: Progress, pool: _WarmPool | None = None) -> list[dict]:
    """Run tasks in a process pool, at most ``jobs`` at a time (so "started" means running)."""
    runs = []
    jobs = max(1, min(jobs, len(tasks)))
    own = pool is None
    pool = pool or _WarmPool(jobs)
    pending = list(tasks)
    try:
        futs = {}

        def submit():
            while pending and len(futs) < jobs:
                t = pending.pop(0)
                prog.start(t["team"], t["notebook"])
                futs[pool.submit(_run_one, t)] = t

        submit()
        while futs:
            done, _ = cf.wait(futs, return_when=cf.FIRST_COMPLETED)
            for f in done:
                t = futs.pop(f)
                try:
                    run = f.result()
                except Exception as exc:  # noqa: BLE001 - a crashed worker is a failed run
                    run = {
                        "team": t["team"],
                        "notebook": t["notebook"],
                        "status": "failed",
                        "seconds": 0.0,
                        "started_at": None,
                        "ended_at": _utcnow(),
                        "ipynb": t["out_ipynb"],
                        "error": {"ename": type(exc).__name__, "evalue": str(exc)},
                    }
                prog.finish(run)
                runs.append(run)
            submit()
    finally:
        if own:
            pool.close()
    return runs
