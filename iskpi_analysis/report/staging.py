"""The month's folder: writable --out, the month lock, stale staging folders, the atomic swap, signals."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import threading
from pathlib import Path

from .. import runguard
from .params import ReportError, ReportLocked

__all__ = ["ReportInterrupted", "check_out_dir"]


class ReportInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM); staging removed, workers and kernels stopped."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def check_out_dir(root: Path) -> None:
    """``--out`` must be a directory, or creatable as one, and writable: else a one-line ReportError."""
    p = Path(os.path.abspath(root))
    if p.exists() and not p.is_dir():
        raise ReportError(f"--out {root} is a file, not a directory; give a directory for the reports")
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir():
        raise ReportError(f"--out {root} cannot be created: {p} is a file, not a directory")
    if not os.access(p, os.W_OK | os.X_OK):
        raise ReportError(f"--out {root} is not writable ({p} is read-only); give a writable directory")


def _lock_month(root: Path, month: str) -> runguard.MonthLock:
    try:
        root.mkdir(parents=True, exist_ok=True)
        return runguard.MonthLock(root, month).acquire(wait=3.0)
    except runguard.Locked as exc:
        raise ReportLocked(
            f"month {month} in {root} is locked by {runguard.describe_holder(exc.holder)} "
            f"(lock file {exc.path}); wait for that run to end, or use another --out"
        ) from None
    except OSError as exc:
        raise ReportError(f"cannot write the report to --out {root}: {exc.strerror or exc}") from None


def _swap_into_place(staging: Path, final: Path) -> None:
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists() and runguard.exchange(staging, final):
        staging.rename(old)  # the previous report, now at the staging path
    else:
        if final.exists():
            final.rename(old)
        staging.rename(final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


_LEFTOVER_RE = re.compile(r"\.(\d{4}-\d{2})(\.FAILED)?\.(tmp|old)-\d+(\.\d+)?")


def _clean_stale(root: Path, month: str) -> list[Path]:
    """Remove the staging folders of runs that are no longer running; returns what was removed.

    Holding a month's lock means no live run writes that month, so its leftovers are stale: for
    ``month`` (locked by the caller) and for every other month whose lock is free (held only to
    rename its leftovers aside, so a run of that month starting meanwhile just waits a moment).
    A previous report moved aside by a swap that was cut short is put back instead of removed.
    """
    mine = f".{month}.tmp-{os.getpid()}"
    by_month: dict[str, list[Path]] = {}
    for p in root.iterdir():
        m = _LEFTOVER_RE.fullmatch(p.name)
        if m and p.name != mine and p.is_dir():
            by_month.setdefault(m.group(1), []).append(p)
    removed = []
    for m, paths in sorted(by_month.items()):
        lock = None
        if m != month:
            try:
                lock = runguard.MonthLock(root, m).acquire()
            except (runguard.Locked, OSError):
                continue  # that month's run is alive
        trash = []
        try:
            for i, p in enumerate(paths):
                final = root / (m + (".FAILED" if ".FAILED." in p.name else ""))
                if ".old-" in p.name and not final.exists():
                    p.rename(final)
                elif lock is None:
                    trash.append((p, p))
                else:
                    trash.append((p, p.rename(root / f".{m}.tmp-{os.getpid()}.{i}")))
        finally:
            if lock is not None:
                lock.release()
        for p, where in trash:
            shutil.rmtree(where, ignore_errors=True)
            removed.append(p)
    return removed


class _SignalGuard:
    """SIGTERM and SIGINT raise :class:`ReportInterrupted` in the main thread, except inside
    :meth:`critical` (the swap): a signal there waits, and is raised again with the previous
    handlers when the run is over (the report is then complete)."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __enter__(self):
        self.pending, self.depth, self.saved = None, 0, {}
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self.saved[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)
        if self.pending:
            signal.raise_signal(self.pending)

    def _handler(self, signum, frame):
        if self.depth:
            self.pending = signum
        else:
            raise ReportInterrupted(signum)

    @contextlib.contextmanager
    def critical(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
