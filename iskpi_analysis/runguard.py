"""Fault handling for the report runner: the month lock and the process tree of a run.

Kept apart from :mod:`iskpi_analysis.report` because it is about processes and files, not
reports:

- :class:`MonthLock` — one report run per month and reports folder at a time. An exclusive
  ``flock`` on ``<out>/.<month>.lock``; the kernel drops it when the holder dies (even by
  ``kill -KILL``), so the lock of a dead run is taken over without guessing from pids. The file
  holds who has it (pid, host, start time, command) for the message a second run prints.
- :func:`descendants`, :func:`terminate` — the workers of a run, their kernels and whatever the
  kernels started, found through ``/proc`` (kernels run in their own session, so a process-group
  signal would miss them).
- :func:`watch_parent` — a worker's watchdog: when the report process dies (any signal), the
  worker kills its kernels and exits, instead of running its notebook to the end.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

__all__ = [
    "Locked",
    "MonthLock",
    "describe_holder",
    "exchange",
    "pid_alive",
    "descendants",
    "terminate",
    "watch_parent",
]


class Locked(RuntimeError):
    """The month is locked by another live run; ``holder`` is what its lock file says."""

    def __init__(self, path: Path, holder: dict):
        self.path, self.holder = path, holder
        super().__init__(f"locked by {describe_holder(holder)} (lock file {path})")


def describe_holder(holder: dict) -> str:
    if not holder.get("pid"):
        return "another report run (still starting)"
    return f"report run pid {holder['pid']} on host {holder.get('host', '?')}, started {holder.get('started_at', '?')}"


def _read_holder(fd: int) -> dict:
    try:
        raw = os.pread(fd, 65536, 0).decode("utf-8", "replace")
        return json.loads(raw) if raw.strip() else {}
    except (OSError, ValueError):
        return {}


class MonthLock:
    """Exclusive lock of ``<root>/.<month>.lock`` (non-blocking; raises :class:`Locked`).

    Use as a context manager or with :meth:`acquire` / :meth:`release`. ``stale`` is the holder
    record left by a run that died holding the lock (taken over), else ``None``. The file is
    removed on release; the inode check after locking makes that safe against a run that opened
    the old file just before.
    """

    def __init__(self, root: str | Path, month: str):
        self.path = Path(root) / f".{month}.lock"
        self.fd: int | None = None
        self.stale: dict | None = None

    def acquire(self, wait: float = 0.0) -> MonthLock:
        """Take the lock, trying for up to ``wait`` seconds (another run's cleanup holds a
        month's lock for a moment); raise :class:`Locked` if it stays taken."""
        deadline = time.monotonic() + wait
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_holder(fd)
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise Locked(self.path, holder) from None
                time.sleep(0.1)
                continue
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder removed the file between our open and flock: start again
        holder = _read_holder(fd)
        self.stale = holder if holder.get("pid") else None
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv)[:500],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode("utf-8"), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.path.unlink()
        except OSError:
            pass
        os.close(self.fd)  # closing drops the flock
        self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


_PROC = Path("/proc/self/stat").exists()


def exchange(a: str | Path, b: str | Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # pragma: no cover - not glibc ≥ 2.28
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process of this machine."""
    if _PROC:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state not in (b"Z", b"X")
    try:  # pragma: no cover - no /proc
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children first), from ``/proc``; [] without ``/proc``."""
    if not _PROC:  # pragma: no cover - not Linux
        return []
    kids, out, todo = _children_map(), [], [pid]
    while todo:
        for c in kids.get(todo.pop(0), []):
            if c not in out:
                out.append(c)
                todo.append(c)
    return out


def terminate(pids, *, grace: float = 3.0) -> None:
    """SIGTERM ``pids``, wait up to ``grace`` seconds, then SIGKILL whatever is still alive."""
    pids = [p for p in pids if p != os.getpid()]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 1.0)
        while time.monotonic() < deadline:
            pids = [p for p in pids if pid_alive(p)]
            if not pids:
                return
            time.sleep(0.05)


def watch_parent(parent_pid: int, *, poll: float = 0.5) -> threading.Thread:
    """In a worker: when ``parent_pid`` exits, kill this process's descendants and exit at once.

    Waits on a pidfd (no polling, no pid-reuse race) where the system has one, else polls every
    ``poll`` seconds. The worker's own parent is the fork server, not the report process, so
    ``PR_SET_PDEATHSIG`` would not see the report die.
    """
    try:
        pidfd = os.pidfd_open(parent_pid)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is None and not pid_alive(parent_pid):
        _die()

    def run():
        if pidfd is not None:
            import select

            select.select([pidfd], [], [])  # readable when the process has exited
        else:
            while pid_alive(parent_pid):
                time.sleep(poll)
        _die()

    t = threading.Thread(target=run, name="iskpi-parent-watch", daemon=True)
    t.start()
    return t


def _die() -> None:
    terminate(descendants(os.getpid()), grace=1.0)
    os._exit(70)
