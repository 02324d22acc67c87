"""The report runner under faults, tried for real: two runs of one month, a partial run into a
full report, ``kill -TERM`` / ``kill -KILL`` of the report (real processes, real signals, real
papermill kernels), a kernel whose start fails, and an unusable ``--out``.

Kept fast like tests/report/test_report.py: the tiny fixture notebook on the tiny CSV data; the runs
that must be killed use a copy whose one cell sleeps.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from test_report import FAILING, FIXTURE_NOTEBOOKS, MONTH, make_tiny_data, run_cli

from iskpi_analysis import catalog, report, runguard

INCOMPLETE = catalog.t("report.page.incomplete", lang="ja")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return make_tiny_data(tmp_path_factory.mktemp("tiny") / "data")


@pytest.fixture(scope="module")
def slow_notebooks(tmp_path_factory):
    """01_tiny (done in seconds) and 02_slow (one cell sleeps two minutes)."""
    d = tmp_path_factory.mktemp("slow_nbs")
    (d / "01_tiny.ipynb").write_bytes((FIXTURE_NOTEBOOKS / "01_tiny.ipynb").read_bytes())
    slow = nbformat.read(FAILING, as_version=4)
    slow.cells[3].source = "import time\ntime.sleep(120)"
    nbformat.write(slow, d / "02_slow.ipynb")
    return d


_EXE = Path(sys.executable).with_name("iskpi")
ISKPI = [str(_EXE)] if _EXE.exists() else [sys.executable, "-m", "iskpi_analysis.cli"]


def start_report(args, *, err_path: Path, env=None) -> subprocess.Popen:
    """``iskpi report ARGS`` in its own process (stderr to ``err_path``)."""
    return subprocess.Popen(
        [*ISKPI, "report", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=err_path.open("w"),
        text=True,
        env={**os.environ, **(env or {})},
    )


def run_report_cli(args, *, env=None, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ISKPI, "report", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def wait_for(cond, timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the report exited ({proc.returncode}) before: {what}")
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for: {what}")


def kernels_of(pid: int) -> list[int]:
    """The ipykernel processes under ``pid``."""
    out = []
    for p in runguard.descendants(pid):
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ipykernel" in cmd:
            out.append(p)
    return out


def start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def still_running(tree: dict[int, str]) -> list[int]:
    """The processes of a snapshot ``{pid: start time}`` that are still alive (not reused pids)."""
    return [p for p, st in tree.items() if runguard.pid_alive(p) and start_time(p) == st]


def kill_all(tree: dict[int, str]) -> None:
    for p in still_running(tree):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def slow_run_args(tiny_dir, nb_dir, out):
    return [
        "--month",
        MONTH,
        "--data",
        tiny_dir,
        "--out",
        out,
        "--notebooks-dir",
        nb_dir,
        "--team",
        "T1",
        "--no-org",
        "--jobs",
        "2",
    ]


def running_slow_report(tiny_dir, nb_dir, out, tmp_path):
    """Start the slow report and wait until 01_tiny's page is written and 02_slow's kernel sleeps;
    returns (process, staging folder, {pid: start time} of its whole process tree)."""
    proc = start_report(slow_run_args(tiny_dir, nb_dir, out), err_path=tmp_path / "first.err")
    staging = out / f".{MONTH}.tmp-{proc.pid}"
    wait_for(lambda: (staging / "T1" / "01_tiny.html").is_file(), 120, "01_tiny's page in staging", proc)
    wait_for(lambda: kernels_of(proc.pid), 60, "02_slow's kernel", proc)
    time.sleep(1.0)  # 02_slow is in its sleeping cell
    tree = {p: start_time(p) for p in runguard.descendants(proc.pid)}
    assert len(tree) >= 3, f"expected fork server, workers and a kernel under the report: {tree}"
    return proc, staging, tree


# --- 1. two runs of one month; a partial run into the full report ------------------------------
def test_second_run_is_refused_while_the_month_is_locked_and_a_killed_run_is_cleaned_up(
    tiny_dir, slow_notebooks, tmp_path
):
    """Lock (message names the holder), KILL of the report (workers and kernels die with it, its
    staging pages say incomplete), and the next run takes the stale lock over and cleans up."""
    out = tmp_path / "reports"
    proc, staging, tree = running_slow_report(tiny_dir, slow_notebooks, out, tmp_path)
    try:
        # a second run of the same month into the same folder stops at once, naming the holder
        t0 = time.monotonic()
        second = run_report_cli([*slow_run_args(tiny_dir, slow_notebooks, out), "-q"], timeout=60)
        assert second.returncode == report.EXIT_LOCKED == 3
        err = second.stderr.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert f"month {MONTH} in {out} is locked by report run pid {proc.pid} on host {socket.gethostname()}" in err
        holder = json.loads((out / f".{MONTH}.lock").read_text())
        assert holder["pid"] == proc.pid and f"started {holder['started_at']}" in err
        # "at once": refused while the holder is still in its two-minute cell, not after waiting
        # for it (a wall-clock bound alone fails on a loaded machine, where the refused run's own
        # Python start takes tens of seconds)
        assert proc.poll() is None, "the second run waited for the first to finish"
        assert time.monotonic() - t0 < 90 and list(out.glob(f".{MONTH}.tmp-*")) == [staging]

        # kill -KILL: the report cannot clean up, but its workers and kernels must not go on
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: not still_running(tree), 15, f"the report's workers and kernels to exit: {tree}")
    finally:
        proc.kill()
        kill_all(tree)
    # what it left: its staging folder, where every page says it is incomplete; no month folder
    assert not (out / MONTH).exists() and not (out / f"{MONTH}.FAILED").exists()
    pages = sorted(staging.rglob("*.html"))
    assert pages and all(INCOMPLETE in p.read_text(encoding="utf-8") for p in pages), pages

    # the next run takes over the stale lock and removes the dead run's staging folder
    nxt = run_report_cli(
        [
            "--month",
            MONTH,
            "--data",
            tiny_dir,
            "--out",
            out,
            "--notebooks-dir",
            FIXTURE_NOTEBOOKS,
            "--team",
            "T1",
            "--no-org",
            "--jobs",
            "1",
        ]
    )
    assert nxt.returncode == 0, nxt.stderr
    assert f"took over the lock of report run pid {proc.pid}" in nxt.stderr
    assert f"removed .{MONTH}.tmp-{proc.pid}" in nxt.stderr
    assert sorted(p.name for p in out.iterdir()) == [MONTH]
    assert (out / MONTH / "T1" / "01_tiny.html").is_file()


def test_term_stops_workers_and_kernels_and_leaves_nothing(tiny_dir, slow_notebooks, tmp_path):
    out = tmp_path / "reports"
    proc, staging, tree = running_slow_report(tiny_dir, slow_notebooks, out, tmp_path)
    try:
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(30) == 128 + signal.SIGTERM
        stopped_in = time.monotonic() - t0
        wait_for(lambda: not still_running(tree), 10, f"the report's workers and kernels to exit: {tree}")
    finally:
        proc.kill()
        kill_all(tree)
    assert stopped_in < 15, f"SIGTERM took {stopped_in:.1f}s"
    err = (tmp_path / "first.err").read_text(encoding="utf-8")
    assert "interrupted by SIGTERM" in err and "Traceback" not in err
    # a clean shutdown: no staging folder, no lock, no month, no FAILED folder
    assert list(out.iterdir()) == []


def test_partial_run_merges_into_the_full_report(tiny_dir, tmp_path):
    out = tmp_path / "reports"
    full = report.run_report(
        MONTH, data_dir=tiny_dir, out_dir=out, notebooks_dir=FIXTURE_NOTEBOOKS, jobs=2, progress=False
    )
    t1_page = (full.out_dir / "T1" / "01_tiny.html").read_bytes()
    m1 = json.loads(full.manifest.read_text(encoding="utf-8"))
    assert [r["team"] for r in m1["runs"]] == ["all", "T1", "T2"] and not m1["merged"]
    assert [rr["id"] for rr in m1["report_runs"]] == [m1["run_id"]]

    # --team T2 (with the organisation): replaces those pages, keeps T1's
    part = report.run_report(
        MONTH, teams=["T2"], data_dir=tiny_dir, out_dir=out, notebooks_dir=FIXTURE_NOTEBOOKS, jobs=2, progress=False
    )
    assert part.out_dir == full.out_dir and [(r["team"], r["status"]) for r in part.runs] == [
        ("all", "ok"),
        ("T2", "ok"),
    ]
    assert (part.out_dir / "T1" / "01_tiny.html").read_bytes() == t1_page, "the kept page is unchanged"
    assert (part.out_dir / "T1" / "01_tiny.ipynb").is_file() and (
        part.out_dir / "logs" / "T1" / "01_tiny.log"
    ).is_file()
    m2 = json.loads(part.manifest.read_text(encoding="utf-8"))
    assert m2["status"] == "complete" and m2["merged"] and m2["parameters"]["teams"] == ["T2"]
    by_page = {r["team"]: r["report_run"] for r in m2["runs"]}
    assert by_page == {"all": m2["run_id"], "T1": m1["run_id"], "T2": m2["run_id"]}
    assert [rr["id"] for rr in m2["report_runs"]] == [m2["run_id"], m1["run_id"]]
    assert m2["report_runs"][1]["parameters"]["teams"] == ["T1", "T2"]
    for r in m2["runs"]:
        assert (part.out_dir / r["html"]).is_file() and (part.out_dir / r["ipynb"]).is_file()
    index = part.index.read_text(encoding="utf-8")
    for team in ("all", "T1", "T2"):
        assert f'href="{team}/01_tiny.html"' in index
    assert "全 3 件のノートブックが正常に実行されました" in index
    assert "2 回の実行の結果を合わせたもの" in index
    assert sorted(p.name for p in out.iterdir()) == [MONTH]

    # a run covering the month replaces it: one run again, nothing kept
    again = report.run_report(
        MONTH, data_dir=tiny_dir, out_dir=out, notebooks_dir=FIXTURE_NOTEBOOKS, jobs=2, progress=False
    )
    m3 = json.loads(again.manifest.read_text(encoding="utf-8"))
    assert not m3["merged"] and len(m3["report_runs"]) == 1
    assert {r["report_run"] for r in m3["runs"]} == {m3["run_id"]}
    assert "回の実行の結果を合わせたもの" not in again.index.read_text(encoding="utf-8")


# --- 3. kernel start under load -------------------------------------------------------------------
def flaky_kernel(tmp_path: Path, failures: int) -> dict:
    """A kernel spec 'flaky' whose first ``failures`` starts die before answering (then a real
    ipykernel); returns the environment that makes it visible to jupyter_client."""
    jp = tmp_path / "jupyter"
    spec = jp / "kernels" / "flaky"
    spec.mkdir(parents=True)
    script = tmp_path / "flaky_kernel.py"
    script.write_text(
        textwrap.dedent(f"""
        import os, sys
        for i in range({failures}):
            try:
                os.close(os.open(os.path.join({str(tmp_path)!r}, f"start-failed-{{i}}"), os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                continue
            sys.exit(3)  # this start dies before replying to kernel_info
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *sys.argv[1:]])
    """),
        encoding="utf-8",
    )
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, str(script), "-f", "{connection_file}"],
                "display_name": "flaky",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    return {"JUPYTER_PATH": str(jp)}


def test_kernel_start_failure_is_retried(tiny_dir, tmp_path):
    env = flaky_kernel(tmp_path, failures=1)
    out = tmp_path / "reports"
    r = run_report_cli(
        [
            "--month",
            MONTH,
            "--data",
            tiny_dir,
            "--out",
            out,
            "--notebooks-dir",
            FIXTURE_NOTEBOOKS,
            "--team",
            "T1",
            "--no-org",
            "--kernel",
            "flaky",
            "--jobs",
            "1",
        ],
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "start-failed-0").exists(), "the first kernel start did fail"
    m = json.loads((out / MONTH / "manifest.json").read_text(encoding="utf-8"))
    assert m["runs"][0]["status"] == "ok" and m["runs"][0]["kernel_starts"] == 2
    assert "started on attempt 2" in r.stderr
    log = (out / MONTH / m["runs"][0]["log"]).read_text(encoding="utf-8")
    assert (
        "kernel start 1 of 3 failed (Kernel died before replying to kernel_info); starting it again with "
        "a 120 s start timeout" in log
    ), log


def test_kernel_that_never_starts_fails_the_run_after_the_retries(tiny_dir, tmp_path):
    env = flaky_kernel(tmp_path, failures=99)
    out = tmp_path / "reports"
    r = run_report_cli(
        [
            "--month",
            MONTH,
            "--data",
            tiny_dir,
            "--out",
            out,
            "--notebooks-dir",
            FIXTURE_NOTEBOOKS,
            "--team",
            "T1",
            "--no-org",
            "--kernel",
            "flaky",
            "--jobs",
            "1",
            "--kernel-start-timeout",
            "5",
        ],
        env=env,
    )
    assert r.returncode == report.EXIT_FAILED
    assert sorted(p.name for p in tmp_path.glob("start-failed-*")) == [f"start-failed-{i}" for i in range(3)]
    assert (
        "team T1, notebook 01_tiny: RuntimeError: Kernel died before replying to kernel_info (the kernel "
        "failed to start 3 times; last start timeout 20 s)"
    ) in r.stderr
    m = json.loads((out / f"{MONTH}.FAILED" / "manifest.json").read_text(encoding="utf-8"))
    assert m["runs"][0]["kernel_starts"] == 3


# --- 4. an unusable --out -------------------------------------------------------------------------
def _one_line_error(code, err, message):
    assert code == report.EXIT_INVALID == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert message in err


def test_out_that_is_a_file_or_under_a_file(tiny_dir, tmp_path, capsys):
    f = tmp_path / "reports.txt"
    f.write_text("not a folder", encoding="utf-8")
    base = ["--month", MONTH, "--data", str(tiny_dir), "--notebooks-dir", str(FIXTURE_NOTEBOOKS), "-q"]
    code, _, err = run_cli([*base, "--out", str(f)], capsys)
    _one_line_error(code, err, f"--out {f} is a file, not a directory")
    code, _, err = run_cli([*base, "--out", str(f / "sub")], capsys)
    _one_line_error(code, err, f"--out {f / 'sub'} cannot be created: {f} is a file, not a directory")
    assert f.read_text(encoding="utf-8") == "not a folder"


def test_read_only_out(tiny_dir, tmp_path, capsys):
    """A read-only directory: mode 0555 for a normal user; as root (who may write there anyway)
    the directory is made immutable with ``chattr +i``, which root cannot write into either."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(ro)], check=True)
    try:
        base = ["--month", MONTH, "--data", str(tiny_dir), "--notebooks-dir", str(FIXTURE_NOTEBOOKS), "-q"]
        code, _, err = run_cli([*base, "--out", str(ro)], capsys)
        _one_line_error(code, err, f"--out {ro} is not writable ({ro} is read-only)")
        code, _, err = run_cli([*base, "--out", str(ro / "reports")], capsys)
        _one_line_error(code, err, f"--out {ro / 'reports'} is not writable ({ro} is read-only)")
        assert list(ro.iterdir()) == []
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(ro)], check=True)
        ro.chmod(0o755)


def test_stale_staging_of_other_months_is_removed_unless_that_month_is_running(tmp_path):
    """Leftovers of a dead run are removed; those of a month whose lock a live process holds are not."""
    root = tmp_path / "reports"
    root.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys, time
        from iskpi_analysis import runguard
        runguard.MonthLock({str(root)!r}, "2026-08").acquire()
        print("locked", flush=True)
        time.sleep(120)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(dead.stdout)
    try:
        assert holder.stdout.readline().strip() == "locked"
        for name in (f".2026-09.tmp-{dead_pid}", f".2026-08.tmp-{dead_pid}", f".{MONTH}.tmp-{dead_pid}"):
            (root / name / "T1").mkdir(parents=True)
            (root / name / "T1" / "01_tiny.html").write_text("<body>page</body>", encoding="utf-8")
        with runguard.MonthLock(root, MONTH):
            removed = report._clean_stale(root, MONTH)
        assert sorted(p.name for p in removed) == [f".2026-09.tmp-{dead_pid}", f".{MONTH}.tmp-{dead_pid}"]
        # 2026-08 is locked by a live process: its staging folder stays, and so does its lock
        assert sorted(p.name for p in root.iterdir()) == [".2026-08.lock", f".2026-08.tmp-{dead_pid}"]
    finally:
        holder.kill()
        holder.wait()
    # the holder is dead now: its lock is free and the leftover goes on the next clean-up
    with runguard.MonthLock(root, MONTH) as lock:
        assert report._clean_stale(root, MONTH) == [root / f".2026-08.tmp-{dead_pid}"]
        assert lock.stale is None
    assert list(root.iterdir()) == []


def test_lock_of_a_killed_holder_is_taken_over(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import time
        from iskpi_analysis import runguard
        runguard.MonthLock({str(tmp_path)!r}, "2026-10").acquire()
        print("locked", flush=True)
        time.sleep(120)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(runguard.Locked, match=f"report run pid {holder.pid} on host {socket.gethostname()}"):
            runguard.MonthLock(tmp_path, "2026-10").acquire(wait=0.5)
    finally:
        holder.kill()
        holder.wait()
    lock = runguard.MonthLock(tmp_path, "2026-10").acquire()
    assert lock.stale["pid"] == holder.pid
    assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    lock.release()
    assert not lock.path.exists()
