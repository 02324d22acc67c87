"""What the benchmarks share: run a command and sample the peak PSS of its whole process tree.

PSS (proportional set size) counts shared pages once across the tree, so a parent and its
children are not double-counted as summed RSS would be.
"""

from __future__ import annotations

import subprocess
import threading

import psutil


def tree_pss(proc: psutil.Process) -> int:
    """PSS in bytes of ``proc`` and all its descendants (processes that vanish meanwhile count 0)."""
    total = 0
    for p in [proc] + proc.children(recursive=True):
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_sampled(cmd: list[str], *, env: dict | None = None, every: float = 0.05) -> tuple[str, str, int, int]:
    """Run ``cmd``; return (stdout, stderr, returncode, peak tree PSS in bytes sampled every ``every`` s)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    proc, peak, done = psutil.Process(p.pid), [0], threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], tree_pss(proc))
            except psutil.NoSuchProcess:
                return
            done.wait(every)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = p.communicate()
    done.set()
    th.join()
    return out, err, p.returncode, peak[0]
