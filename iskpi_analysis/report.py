"""Monthly report runner: every notebook × (organisation + each team) → executed .ipynb + HTML.

``iskpi report --month 2026-10`` (or :func:`run_report`) does, in this order:

1. **Validate before starting anything**: month format (``YYYY-MM``), data directory exists and
   is readable and passes the data contract (:func:`iskpi_analysis.io.load_data`), the month has
   calls or e-mails in the data, and outbound calls for the organisation and every team run
   (:func:`iskpi_analysis.io.require_month_calls`), every named team is known, ``lang`` is ``ja``/``en``, the
   targets file exists, there is at least one notebook. Any problem raises :class:`ReportError`
   (the CLI prints it and exits with code 2) and nothing is written.
2. **Run** every notebook of the notebooks directory (``NN_name.ipynb`` sorted by name, found by
   glob) with papermill, once for the whole organisation (``team="all"``) and once per team (or
   per team named), passing the common parameters of ``docs/api.md``: ``month, team, data_dir,
   lang, targets_file``. Runs go to a process pool of ``jobs`` workers (default: the cores
   available; a fork server with papermill/nbconvert preloaded, started before validation so
   its warm-up overlaps it); each run is its own worker process with its own kernel. A progress display on stderr
   says what starts, what is done (with its time) and what is still running.
3. **Export** each executed notebook to self-contained HTML for leadership (template
   ``templates/iskpi``): no code, no injected-parameters cell, no cell tagged ``remove`` (nor
   ``parameters``), no stderr output; images embedded as data URIs; inline CSS only (no script
   or stylesheet from a CDN); the Japanese text of the page uses a subset of the bundled
   IPAexGothic font embedded as WOFF, so it renders even where no Japanese font is installed. A
   header states the report title, month, team, generated-at, data fingerprint and kit version;
   the notebook's headline figures come first, then a table of contents (when the notebook has
   three or more headings), then the notebook.
4. **Index and manifest**: ``<out>/<month>/index.html`` links every HTML with each team's
   headline figures; ``<out>/<month>/manifest.json`` holds the parameters, the input files
   (path, bytes, sha256), row counts (whole data and the month per team), package versions, git
   revision, and start/end/seconds/status per notebook run. The data's warnings (counts, no row
   numbers) are printed on stderr, listed on the index under "データ品質の注意" and pointed to
   from the top of every page.

Output layout::

    reports/2026-10/index.html
    reports/2026-10/manifest.json
    reports/2026-10/all/01_scorecard.ipynb  + .html      (organisation)
    reports/2026-10/<team_id>/01_scorecard.ipynb + .html
    reports/2026-10/logs/<team>/01_scorecard.log           (kernel/stderr chatter of the run)

``--team T`` (repeatable, or comma-separated) restricts the teams; ``--team all`` runs the
organisation only; ``--no-org`` skips the organisation. ``--notebooks 01_scorecard '02_*'`` runs a
subset, ``--notebooks-dir`` another notebooks directory (tests use a fixture directory).
Exit codes: 0 complete, 1 a notebook failed, 2 invalid parameters or data (or ``--out`` not a
writable directory), 3 the month is locked by another run; 130/143 interrupted (SIGINT/SIGTERM).

**Lock.** One run per month and reports folder at a time: a run holds ``<out>/.<month>.lock``
(an ``flock``, see :mod:`iskpi_analysis.runguard`) from after validation to the end, and a second
run of the month stops at once with a one-line message naming the holder (pid, host, start
time). The lock of a run that died (even by ``kill -KILL``) is released by the system, so the
next run takes it over; that run also removes the staging folders of dead runs.

**Merge or replace.** A run that covers the month (the organisation, every team of the data,
every notebook of the notebooks directory) replaces it. A partial run (``--team``, ``--no-org``,
``--notebooks``) merges into the month's complete report: its pages replace the same pages
(team × notebook), every other page listed in the month's manifest is kept, and the index and
manifest are rebuilt over all pages — the manifest's ``report_runs`` lists the runs that produced
the pages and each page's entry of ``runs`` names its ``report_run``. A partial run in another
language than the month's report is refused (exit 2); ``replace=True`` (``--replace``) replaces
the month instead of merging.

**Atomic replacement, failure policy.** A run writes into a staging directory
``<out>/.<month>.tmp-<pid>`` beside the final one. Every page (notebook HTML and index) written
there carries an *incomplete* banner, removed only at the swap into ``<out>/<month>`` (one
``renameat2(RENAME_EXCHANGE)`` where the system has it), so no page outside the final folder
looks complete. When any notebook fails, the run still finishes the other notebooks, then moves
the staging directory to ``<out>/<month>.FAILED`` (replacing an older one) with its banners, an
index whose title and banner say *FAILED / incomplete* and a manifest with ``"status":
"failed"``; the previous complete report of the month, if any, stays untouched. The exception
(CLI: exit code 1) names the team, the notebook, the failing cell (index, execution count, first
source line) and the error.

**Faults.** SIGTERM/SIGINT stop the run cleanly: the workers and their kernels are terminated,
the staging folder is removed, the lock released. When the report process is killed outright,
each worker notices (it waits on a pidfd of the report process), kills its kernel and exits.
A kernel that dies or does not answer while starting (e.g. under heavy load) is started again
with a doubled start timeout (``kernel_start_timeout`` 60 s, up to ``kernel_start_attempts`` 3
starts) before the notebook run counts as failed.

**Scripts.** Workers come from a multiprocessing fork server (or spawn), so a script that calls
:func:`run_report` must do so under ``if __name__ == "__main__":`` (notebooks and the ``iskpi``
command need nothing).

**Headline convention.** Any notebook may record headline figures for the index and for the top
of its own report::

    nb.record("headline", [{"label": "コネクト率", "value": "12.3%"},
                           {"label": "アポイント獲得数", "value": 42, "note": "目標 40"}])

a list of dicts with ``label`` (str, reader's language) and ``value`` (preformatted str, or a
number which the runner formats with thousands separators), optional ``note`` (str). Recording
nothing is fine: the index then only links the notebook.
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures as cf
import contextlib
import datetime as dt
import html
import io as _stdio
import json
import multiprocessing
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from . import config, runguard
from .notebook import RECORD_MIME

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "iskpi"
FONT_FILE_NAME = "ipaexg.ttf"
#: cells with one of these tags are not shown in the HTML
REMOVE_TAGS = ("remove", "injected-parameters", "parameters")
MAX_HTML_BYTES = 5 * 1024 * 1024
MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
ORG = "all"
#: distributions whose versions the manifest lists
PACKAGES = ("iskpi", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "matplotlib-fontja",
            "seaborn", "papermill", "nbconvert", "nbformat", "nbclient", "ipykernel", "jupyter_client",
            "pyarrow", "duckdb", "jpholiday", "fonttools")
EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_LOCKED = 0, 1, 2, 3
#: papermill/jupyter_client messages of a kernel that did not come up (retried with a longer wait)
KERNEL_START_ERRORS = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")
#: the incomplete banner of staging pages sits between these markers (removed at the swap)
INCOMPLETE_START, INCOMPLETE_END = "<!--iskpi-incomplete-->", "<!--/iskpi-incomplete-->"

TEXT = {
    "ja": {
        "kit": "インサイドセールス KPI レポート", "month": "対象月", "team": "チーム",
        "org": "組織全体", "generated": "作成日時", "fingerprint": "データ指紋", "version": "キット版",
        "headline": "要点", "toc": "目次", "index_title": "月次レポート", "reports": "レポート",
        "failed": "失敗", "failed_banner": "このレポートは不完全です（失敗したノートブックがあります）。"
                                           "リーダーへ配布しないでください。",
        "complete": "全 {n} 件のノートブックが正常に実行されました。", "manifest": "実行記録 (manifest.json)",
        "no_headline": "（要点の記録なし）", "status": "状態", "ok": "完了", "seconds": "秒",
        "back": "← 目次（インデックス）へ戻る", "rows": "件", "chart": "グラフ",
        "quality": "データ品質の注意",
        "quality_intro": "データの検証で見つかった注意点です（該当する行は残すか、件数を数えたうえで除外しています）。"
                         "行の一覧は `iskpi validate --data DIR` で確認できます。",
        "quality_pointer": "データ品質の注意が {n} 件あります（件数は目次ページの「データ品質の注意」）。",
        "incomplete": "未完成: このページは完了していないレポート実行（実行中・中断・失敗）のものです。"
                      "リーダーへ配布しないでください。",
        "merged": "このレポートは {n} 回の実行の結果を合わせたものです"
                  "（各ページの作成日時とデータ指紋はページ上部）:",
    },
    "en": {
        "kit": "Inside-sales KPI report", "month": "Month", "team": "Team", "org": "Whole organisation",
        "generated": "Generated", "fingerprint": "Data fingerprint", "version": "Kit version",
        "headline": "Headlines", "toc": "Contents", "index_title": "Monthly report", "reports": "Reports",
        "failed": "FAILED", "failed_banner": "This report is INCOMPLETE (a notebook failed). "
                                            "Do not distribute it.",
        "complete": "All {n} notebooks ran successfully.", "manifest": "Run manifest (manifest.json)",
        "no_headline": "(no headline recorded)", "status": "Status", "ok": "done", "seconds": "s",
        "back": "← back to the index", "rows": "rows", "chart": "chart",
        "quality": "Data quality notes",
        "quality_intro": "Points the data validation found (the rows concerned are kept, or counted and left out). "
                         "`iskpi validate --data DIR` lists the rows.",
        "quality_pointer": "{n} data quality note(s): see “Data quality notes” on the index page.",
        "incomplete": "INCOMPLETE: this page belongs to a report run that has not completed (running, "
                      "interrupted or failed). Do not distribute it.",
        "merged": "This report combines the pages of {n} runs (each page states its generation time and "
                  "data fingerprint):",
    },
}


class ReportError(ValueError):
    """Invalid report parameters or data (nothing was run)."""


class ReportLocked(ReportError):
    """The month is being written by another run (nothing was run)."""


class ReportInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM); staging removed, workers and kernels stopped."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


class NotebookFailed(RuntimeError):
    """At least one notebook failed; ``failures`` lists them, ``result`` is the failed run."""

    def __init__(self, failures: list[dict], result: "ReportResult"):
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


# --- discovery and validation ------------------------------------------------------------------
def discover_notebooks(notebooks_dir: str | Path | None = None, names=None) -> list[Path]:
    """Notebooks of ``notebooks_dir`` (``*.ipynb``, sorted by name; hidden/``_`` names skipped).

    ``names`` restricts to notebooks whose stem or file name matches one of the given names or
    glob patterns (e.g. ``["01_scorecard", "02_*"]``); an unmatched name raises ReportError.
    """
    d = Path(notebooks_dir) if notebooks_dir else config.NOTEBOOKS_DIR
    if not d.is_dir():
        raise ReportError(f"notebooks directory not found: {d}")
    found = sorted(p for p in d.glob("*.ipynb") if not p.name.startswith((".", "_")))
    if names:
        import fnmatch

        chosen = []
        for n in names:
            m = [p for p in found if fnmatch.fnmatch(p.stem, n) or fnmatch.fnmatch(p.name, n)]
            if not m:
                raise ReportError(f"no notebook matches {n!r} in {d}; notebooks: "
                                  f"{', '.join(p.stem for p in found) or '(none)'}")
            chosen += [p for p in m if p not in chosen]
        found = sorted(chosen)
    if not found:
        raise ReportError(f"no notebooks (*.ipynb) in {d}")
    return found


def validate_parameters(month, *, teams=None, data_dir=None, lang=config.DEFAULT_LANG,
                        targets_file=None, jobs=None):
    """Check the report parameters and load the data; returns ``(data, teams)``.

    Raises :class:`ReportError` with a message saying what is wrong and what is allowed.
    """
    from . import io

    if not isinstance(month, str) or not MONTH_RE.fullmatch(month):
        raise ReportError(f"--month must be YYYY-MM (e.g. 2026-10), got {month!r}")
    if lang not in config.LANGS:
        raise ReportError(f"--lang must be one of {', '.join(config.LANGS)}, got {lang!r}")
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise ReportError(f"--jobs must be a positive integer, got {jobs!r}")
    d = Path(data_dir) if data_dir else config.DATA_DIR
    if not d.exists():
        raise ReportError(f"data directory not found: {d}")
    if not d.is_dir():
        raise ReportError(f"data directory is not a directory: {d}")
    if not os.access(d, os.R_OK | os.X_OK):
        raise ReportError(f"data directory is not readable: {d}")
    if targets_file:
        t = Path(targets_file)
        if not t.is_file() or not os.access(t, os.R_OK):
            raise ReportError(f"targets file not found or not readable: {t}")
    try:
        data = io.load_data(d)
    except io.DataValidationError as exc:
        raise ReportError(f"the data in {d} breaks the data contract:\n{exc}") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read the data in {d}: {exc}") from None
    months = data.months()
    if month not in months and not data.inbound_calls:  # inbound-only months: said below
        shown = ", ".join(months) if months else "(none)"
        raise ReportError(f"month {month} has no calls or e-mails in {d}; months in the data: {shown}")
    known = data.team_ids()
    teams = list(teams) if teams else list(known)
    if teams == [ORG]:  # --team all: the organisation only
        teams = []
    teams = [t for t in teams if t != ORG]
    unknown = [t for t in teams if t not in known]
    if unknown:
        raise ReportError(f"unknown team(s) {', '.join(unknown)}; teams in the data: {', '.join(known)}")
    teams = list(dict.fromkeys(teams))
    # a month with e-mails but no calls (for the organisation or a team) is refused, not shown
    for view in [data] + [data.filter(team=t) for t in teams]:
        try:
            io.require_month_calls(view, month)
        except io.MonthWithoutCalls as exc:
            raise ReportError(str(exc)) from None
    return data, teams


# --- one notebook run (in a worker process) ------------------------------------------------------
def _utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def _failure_from_exception(exc: BaseException) -> dict:
    info = {"ename": type(exc).__name__, "evalue": str(exc).strip().splitlines()[-1] if str(exc).strip() else ""}
    if hasattr(exc, "cell_index"):  # papermill.PapermillExecutionError
        src = (getattr(exc, "source", "") or "").strip().splitlines()
        info.update(cell_index=exc.cell_index, execution_count=getattr(exc, "exec_count", None),
                    cell_source_first_line=src[0] if src else "", ename=exc.ename, evalue=exc.evalue)
    return info


def _failing_cell(ipynb: Path) -> dict:
    """Find the cell with an error output in an executed notebook (index among code cells)."""
    try:
        nbj = json.loads(ipynb.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    def info(i, c, **kw):
        src = "".join(c.get("source", "")).strip().splitlines()
        return {"cell_index": i, "execution_count": c.get("execution_count"),
                "cell_source_first_line": src[0] if src else "", **kw}

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
        where += (f", cell {err['cell_index']} of the executed notebook (execution count {err.get('execution_count')}: "
                  f"{err.get('cell_source_first_line', '')!r})")
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
            pm.execute_notebook(task["input"], str(out_ipynb), parameters=task["parameters"],
                                kernel_name=task.get("kernel_name"), progress_bar=False, log_output=False,
                                cwd=str(Path(task["input"]).parent), execution_timeout=task.get("timeout"),
                                start_timeout=wait)
            run["kernel_starts"] = attempt
            return
        except Exception as exc:
            if not _is_kernel_start_failure(exc):
                raise
            run["kernel_starts"] = attempt
            if attempt == attempts:
                raise RuntimeError(f"{exc} (the kernel failed to start {attempts} times; last start "
                                   f"timeout {wait:g} s)") from exc
            print(f"iskpi: kernel start {attempt} of {attempts} failed ({exc}); starting it again with a "
                  f"{wait * 2:g} s start timeout", file=sys.stderr, flush=True)  # → the run's log
            time.sleep(attempt)  # let a loaded machine breathe
            wait *= 2


def _run_one(task: dict) -> dict:
    """Execute one notebook with papermill and export its HTML. Runs in a worker process."""
    import logging

    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.ERROR)  # "Passed unknown parameter" etc.
    out_ipynb = Path(task["out_ipynb"])
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    run = {"team": task["team"], "notebook": task["notebook"], "started_at": _utcnow(),
           "ipynb": str(out_ipynb), "status": "running"}
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
    try:
        _execute_notebook(pm, task, out_ipynb, run)
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
        if saved_fd is not None:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
    run["ended_at"] = _utcnow()
    run["seconds"] = round(time.perf_counter() - t0, 3)
    return run


# --- HTML export ---------------------------------------------------------------------------------
def _css() -> str:
    return (TEMPLATES_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


def _font_face(text: str) -> str:
    """@font-face with the bundled IPAexGothic subset to the characters of ``text`` (WOFF, base64).

    Returns "" when the font or fontTools is unavailable (the CSS falls back to system fonts).
    """
    try:
        import matplotlib_fontja
        from fontTools import subset
    except ImportError:  # pragma: no cover
        return ""
    font = Path(matplotlib_fontja.__file__).parent / "fonts" / FONT_FILE_NAME
    if not font.exists():  # pragma: no cover
        return ""
    chars = {c for c in text if ord(c) > 0x7F} | set(" !\"#$%&'()*+,-./0123456789:;<=>?@"
                                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
                                                    "abcdefghijklmnopqrstuvwxyz{|}~")
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    f = subset.load_font(str(font), opts)
    s = subset.Subsetter(opts)
    s.populate(unicodes=[ord(c) for c in chars])
    s.subset(f)
    buf = _stdio.BytesIO()
    subset.save_font(f, buf, opts)
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    return ("@font-face{font-family:'IPAexGothic Embedded';font-style:normal;font-weight:400 700;"
            f"src:url(data:font/woff;base64,{b64}) format('woff');}}")


def _text_of_html(page: str) -> str:
    """Visible characters of a page (for font subsetting): tags and data URIs removed."""
    page = re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", "", page)
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _headline_html(items, lang: str) -> str:
    from . import fmt

    if not items:
        return ""
    cells = []
    for it in items:
        if not isinstance(it, dict) or "label" not in it:
            continue
        v = it.get("value")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = fmt.num(v, 0 if float(v).is_integer() else 1)
        note = f'<div class="note">{html.escape(str(it["note"]))}</div>' if it.get("note") else ""
        cells.append(f'<div class="kpi"><div class="label">{html.escape(str(it["label"]))}</div>'
                     f'<div class="value">{html.escape("–" if v is None else str(v))}</div>{note}</div>')
    return f'<div class="kpis">{"".join(cells)}</div>' if cells else ""


def _quality_html(notes, lang: str, *, index_href: str | None = None) -> str:
    """The data-quality note: on the index the list (counts, no rows), on a page a pointer to it."""
    if not notes:
        return ""
    t = TEXT[lang]
    if index_href is not None:
        link = f' <a href="{html.escape(index_href)}#data-quality">{html.escape(t["quality"])}</a>'
        return f'<p class="data-quality muted">{html.escape(t["quality_pointer"].format(n=len(notes)))}{link}</p>'
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (f'<section class="data-quality" id="data-quality"><h2>{html.escape(t["quality"])}</h2>'
            f'<p class="muted">{html.escape(t["quality_intro"])}</p><ul>{items}</ul></section>')


def _header_html(*, title, month, team_label, generated_at, fingerprint, version, lang,
                 index_href=None, failed=False) -> str:
    t = TEXT[lang]
    meta = [(t["month"], month), (t["team"], team_label), (t["generated"], generated_at),
            (t["fingerprint"], fingerprint), (t["version"], version)]
    dl = "".join(f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd></div>" for k, v in meta)
    back = f'<p class="back"><a href="{html.escape(index_href)}">{html.escape(t["back"])}</a></p>' if index_href else ""
    banner = f'<p class="failed-banner">{html.escape(t["failed_banner"])}</p>' if failed else ""
    return (f'<header class="iskpi-header"><p class="kit">{html.escape(t["kit"])}</p>'
            f"<h1 class=\"report-title\">{html.escape(title)}</h1><dl class=\"meta\">{dl}</dl>{back}</header>{banner}")


_HEADING_RE = re.compile(r'<h([1-3])\s+id="([^"]+)"\s*>(.*?)</h\1>', re.S)


def _toc_html(body: str, lang: str, title: str | None = None) -> str:
    heads = [(int(lv), hid, re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip())
             for lv, hid, inner in _HEADING_RE.findall(body)]
    heads = [h for h in heads if h[2]]
    if heads and heads[0][0] == 1 and title is not None and heads[0][2] == title:
        heads = heads[1:]  # the notebook title is already the page header
    if len(heads) < 3:
        return ""
    top = min(h[0] for h in heads)
    items = "".join(f'<li class="lv{lv - top}"><a href="#{hid}">{html.escape(html.unescape(text))}</a></li>'
                    for lv, hid, text in heads)
    return f'<nav class="toc"><h2 class="toc-title">{html.escape(TEXT[lang]["toc"])}</h2><ol>{items}</ol></nav>'


def _notebook_title(nbnode, fallback: str) -> str:
    for c in nbnode.cells:
        if c.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", c.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


_OBJECT_REPR_RE = re.compile(r"^\s*[\[(]?\s*<(?:matplotlib|Axes|Figure|seaborn|[A-Za-z_.]+ object at 0x)")


def _clean_for_html(nbnode):
    """Drop what leadership must not see: tagged cells, stderr, record-only outputs, errors' code."""
    cells = []
    for c in nbnode.cells:
        tags = set(c.get("metadata", {}).get("tags", []))
        if tags & set(REMOVE_TAGS):
            continue
        if c.cell_type == "code":
            outs = []
            for o in c.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    continue
                if o.get("output_type") in ("display_data", "execute_result"):
                    data = {k: v for k, v in o.get("data", {}).items() if k != RECORD_MIME}
                    if not data:
                        continue
                    if set(data) == {"text/plain"} and _OBJECT_REPR_RE.match("".join(data["text/plain"])):
                        continue  # "<Axes: ...>", "[<matplotlib.lines.Line2D ...>]": noise for a reader
                    o["data"] = data
                outs.append(o)
            c["outputs"] = outs
            if not outs:
                continue
        cells.append(c)
    nbnode.cells = cells
    return nbnode


def export_html(ipynb: str | Path, html_path: str | Path, *, month: str, team: str, team_label: str,
                lang: str = config.DEFAULT_LANG, fingerprint: str = "", version: str = "",
                generated_at: str = "", index_href: str | None = "../index.html",
                embed_font: bool = True, data_notes=None, incomplete: bool = False) -> dict:
    """Export an executed notebook to the leadership HTML (see the module docstring).

    ``data_notes``: the data's quality notes (``Dataset.quality_notes()``); the page says how
    many there are and points to the index, which lists them.
    ``incomplete=True`` puts the *incomplete* banner on the page (pages of a staging folder;
    :func:`strip_incomplete` removes it).

    Returns a dict: html (path), html_bytes, title, headline (the recorded headline list or
    None), external_urls (script/link/img URLs pointing off the page; should be empty).
    """
    import nbformat
    from nbconvert import HTMLExporter

    from . import notebook as nbmod

    ipynb, html_path = Path(ipynb), Path(html_path)
    records = nbmod.read_records(ipynb)
    node = nbformat.read(str(ipynb), as_version=4)
    title = _notebook_title(node, ipynb.stem)
    node = _clean_for_html(node)
    exporter = HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True, anchor_link_text="")
    resources = {"metadata": {"name": title}, "iskpi": {"lang": lang, "title": title}}
    body, _ = exporter.from_notebook_node(node, resources=resources)
    headline = records.get("headline")
    header = _header_html(title=title, month=month, team_label=team_label, generated_at=generated_at,
                          fingerprint=fingerprint, version=version, lang=lang, index_href=index_href)
    summary = ""
    if headline:
        summary = (f'<section class="headline"><h2 class="headline-title">{html.escape(TEXT[lang]["headline"])}'
                   f"</h2>{_headline_html(headline, lang)}</section>")
    body = body.replace('alt="No description has been provided for this image"',
                        f'alt="{html.escape(TEXT[lang]["chart"])}"')
    quality = _quality_html(data_notes, lang, index_href=index_href)  # no index: the list itself
    page = body.replace("<!--ISKPI-HEADER-->", header + quality + summary + _toc_html(body, lang, title))
    if incomplete:
        page = mark_incomplete(page, lang)
    css = _css()
    if embed_font:  # the banner's glyphs always: a kept page gets it again in a later staging folder
        css = _font_face(_text_of_html(page) + title + TEXT[lang]["incomplete"]) + css
    page = page.replace("/*ISKPI-CSS*/", css)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    return {"html": str(html_path), "html_bytes": html_path.stat().st_size, "title": title,
            "headline": headline if isinstance(headline, list) else None,
            "external_urls": external_urls(page)}


_EXT_RE = re.compile(r"""<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""", re.I)
_CSS_URL_RE = re.compile(r"""url\(\s*["']?((?:https?:)?//[^"')\s]+)""", re.I)


def external_urls(page: str) -> list[str]:
    """URLs a page would load from the network (scripts, stylesheets, images, CSS url())."""
    return sorted(set(_EXT_RE.findall(page)) | set(_CSS_URL_RE.findall(page)))


# --- index, manifest ---------------------------------------------------------------------------
def _team_labels(data, teams) -> dict[str, str]:
    names = data.names()
    return {tm: (f"{names[tm]} ({tm})" if tm in names else tm) for tm in teams}


def write_index(path: Path, *, month: str, lang: str, runs: list[dict], team_order: list[str],
                team_labels: dict[str, str], fingerprint: str, version: str, generated_at: str,
                failed: bool, data_notes=None, incomplete: bool = False, sources_html: str = "") -> Path:
    t = TEXT[lang]
    title = f"{t['index_title']} {month}" + (f" — {t['failed']}" if failed else "")
    header = _header_html(title=title, month=month, team_label=", ".join(team_labels[x] for x in team_order),
                          generated_at=generated_at, fingerprint=fingerprint, version=version, lang=lang,
                          failed=failed)
    n_ok = sum(r["status"] == "ok" for r in runs)
    status = (f'<p class="status ok">{html.escape(t["complete"].format(n=n_ok))}</p>' if not failed else "")
    status += sources_html
    sections = []
    for team in team_order:
        items = []
        for r in (r for r in runs if r["team"] == team):
            name = html.escape(r.get("title") or r["notebook"])
            if r["status"] == "ok":
                href = html.escape(f"{team}/{r['notebook']}.html")
                kpis = _headline_html(r.get("headline") or [], lang)
                items.append(f'<div class="nb"><h3><a href="{href}">{name}</a> <span class="muted">'
                             f'({html.escape(r["notebook"])}, {r["seconds"]:.0f}{t["seconds"]})</span></h3>{kpis}</div>')
            else:
                err = html.escape(describe_failure(r))
                items.append(f'<div class="nb failed-item"><h3><strong>{html.escape(t["failed"])}</strong> '
                             f'{html.escape(r["notebook"])}</h3><p>{err}</p></div>')
        sections.append(f'<section class="team" id="team-{html.escape(team)}"><h2>{html.escape(team_labels[team])}</h2>'
                        f"{''.join(items)}</section>")
    body = (f"{header}<main class=\"iskpi-report index\">{status}{_quality_html(data_notes, lang)}{''.join(sections)}"
            f'<p class="muted"><a href="manifest.json">{html.escape(t["manifest"])}</a></p></main>')
    css = _css()
    page = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"/>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0"/>'
            f"<title>{html.escape(title)}</title><style>/*ISKPI-CSS*/</style></head><body>{body}</body></html>")
    if incomplete:
        page = mark_incomplete(page, lang)
    page = page.replace("/*ISKPI-CSS*/", _font_face(_text_of_html(page) + title) + css)
    path.write_text(page, encoding="utf-8")
    return path


def _versions() -> dict[str, str | None]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def kit_version() -> str:
    try:
        return metadata.version("iskpi")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _git_revision() -> dict:
    def git(*args):
        try:
            r = subprocess.run(["git", "-C", str(config.PROJECT_ROOT), *args], capture_output=True,
                               text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    rev = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"revision": rev, "dirty": None if dirty is None else bool(dirty)}


def _input_files(data) -> dict:
    from . import io

    counts = data.row_counts()
    out = {}
    for tname, p in sorted(data.files.items()):
        p = Path(p)
        out[tname] = {"path": str(p.resolve()), "bytes": p.stat().st_size, "sha256": io.file_sha256(p),
                      "rows": counts.get(tname)}
    return out


def _month_row_counts(data, month, teams) -> dict:
    from . import io

    start, end = io.month_bounds(month)
    return {tm: data.filter(team=tm, start=start, end=end).row_counts() for tm in [ORG, *teams]}


# --- progress -----------------------------------------------------------------------------------
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
        self._print(f"{mark} {run['team']}/{run['notebook']} {run['seconds']:.1f}s  "
                    f"[{self.done}/{self.total}{f', {self.failed} failed' if self.failed else ''}]  running: {still}")
        if not ok:
            self._print("         " + describe_failure(run))
        if run.get("kernel_starts", 1) > 1:
            self._print(f"         (the kernel of {run['team']}/{run['notebook']} started on attempt "
                        f"{run['kernel_starts']}; see its log)")


# --- the runner ---------------------------------------------------------------------------------
def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)


# --- staging pages, swap, stale folders ---------------------------------------------------------
def mark_incomplete(page: str, lang: str) -> str:
    """``page`` with the *incomplete* banner first in its body (see :func:`strip_incomplete`)."""
    banner = (f'{INCOMPLETE_START}<p class="failed-banner incomplete">{html.escape(TEXT[lang]["incomplete"])}'
              f"</p>{INCOMPLETE_END}")
    return re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + banner, page, count=1)


_INCOMPLETE_RE = re.compile(re.escape(INCOMPLETE_START) + ".*?" + re.escape(INCOMPLETE_END), re.S)


def strip_incomplete(path: Path) -> None:
    """Remove the *incomplete* banner of a staging page (a new file: kept pages are hard links)."""
    page = path.read_text(encoding="utf-8")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(_INCOMPLETE_RE.sub("", page, count=1), encoding="utf-8")
    os.replace(tmp, path)


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
        raise ReportLocked(f"month {month} in {root} is locked by {runguard.describe_holder(exc.holder)} "
                           f"(lock file {exc.path}); wait for that run to end, or use another --out") from None
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


# --- merging into the month ---------------------------------------------------------------------
def _read_manifest(folder: Path, status: str | None = "complete") -> dict | None:
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) and (status is None or m.get("status") == status) else None


def _safe_rel(p) -> bool:
    return bool(p) and not Path(p).is_absolute() and ".." not in Path(p).parts


def _report_run_record(m: dict, run_id: str) -> dict:
    """What the manifest says about one report run (the ``report_runs`` entries)."""
    p = m.get("parameters", {})
    return {"id": run_id, "started_at": m.get("started_at"), "ended_at": m.get("ended_at"),
            "host": m.get("host"), "pid": m.get("pid"), "kit_version": m.get("kit_version"),
            "generated_at": m.get("generated_at"), "fingerprint": m.get("data", {}).get("fingerprint"),
            "parameters": p}


def _carry_over(previous: dict, final: Path, staging: Path, produced: set, lang: str):
    """Copy the pages of the month's report that this run does not produce into ``staging``.

    Returns ``(pages, report_runs)``: the kept pages' manifest entries and the records of the
    runs that produced them. Kept HTML gets the incomplete banner like every staging page.
    """
    default_id = previous.get("run_id") or str(previous.get("started_at"))
    kept, ids = [], set()
    for r in previous.get("runs", []):
        if (r.get("team"), r.get("notebook")) in produced or r.get("status") != "ok":
            continue
        if not _safe_rel(r.get("html")) or not (final / r["html"]).is_file():
            continue
        r = {**r, "report_run": r.get("report_run") or default_id}
        dst = staging / r["html"]
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(mark_incomplete((final / r["html"]).read_text(encoding="utf-8"), lang), encoding="utf-8")
        for k in ("ipynb", "log"):
            if _safe_rel(r.get(k)) and (final / r[k]).is_file():
                (staging / r[k]).parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(final / r[k], staging / r[k])
                except OSError:
                    shutil.copy2(final / r[k], staging / r[k])
            else:
                r[k] = None
        kept.append(r)
        ids.add(r["report_run"])
    records = previous.get("report_runs") or [_report_run_record(previous, default_id)]
    return kept, [x for x in records if x.get("id") in ids]


def _sources_html(report_runs: list[dict], pages: list[dict], lang: str) -> str:
    """The index's note on a month made of several runs: when, which teams, which data."""
    if len(report_runs) < 2:
        return ""
    items = []
    for rr in report_runs:
        teams = sorted({p["team"] for p in pages if p.get("report_run") == rr["id"]})
        when = rr.get("generated_at") or rr.get("started_at") or "?"
        items.append(f"<li>{html.escape(str(when))} — {html.escape(', '.join(teams))} — "
                     f"{html.escape(str(rr.get('fingerprint') or '?'))}</li>")
    return (f'<div class="sources"><p>{html.escape(TEXT[lang]["merged"].format(n=len(report_runs)))}</p>'
            f"<ul>{''.join(items)}</ul></div>")


# --- the run ------------------------------------------------------------------------------------
def run_report(month: str, *, teams=None, data_dir=None, out_dir=None, lang: str = config.DEFAULT_LANG,
               targets_file=None, jobs: int | None = None, notebooks=None, notebooks_dir=None,
               include_org: bool = True, timeout: int | None = None, progress: bool = True,
               kernel_name: str | None = None, raise_on_failure: bool = True, replace: bool = False,
               kernel_start_timeout: float = 60, kernel_start_attempts: int = 3) -> ReportResult:
    """Run every notebook for ``month`` (organisation + teams) and write HTML, index and manifest.

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
            data, teams = validate_parameters(month, teams=teams, data_dir=data_dir, lang=lang,
                                              targets_file=targets_file, jobs=jobs)
            team_order = ([ORG] if include_org else []) + teams
            if not team_order:
                raise ReportError("nothing to run: no team and include_org=False")
            lock = _lock_month(root, month)
            every_nb = [p.stem for p in nbs] == [p.stem for p in discover_notebooks(notebooks_dir)]
            covers_month = every_nb and include_org and set(teams) == set(data.team_ids())
            return _run_locked(
                month, root=root, lock=lock, guard=guard, pool=pool, data=data, teams=teams,
                team_order=team_order, nbs=nbs, lang=lang, targets_file=targets_file,
                jobs=jobs or default_jobs(), include_org=include_org, timeout=timeout, progress=progress,
                kernel_name=kernel_name, raise_on_failure=raise_on_failure,
                merge=not (replace or covers_month), every_nb=every_nb,
                kernel_start_timeout=kernel_start_timeout, kernel_start_attempts=kernel_start_attempts,
                started_at=started_at, t_start=t_start)
        except BaseException:
            pool.abort()
            if lock is not None:  # the staging dir is ours while we hold the lock; after the swap it is gone
                shutil.rmtree(root / f".{month}.tmp-{os.getpid()}", ignore_errors=True)
            raise
        finally:
            if lock is not None:
                lock.release()


def _say(progress: bool, msg: str) -> None:
    if progress:
        print(f"iskpi report: {msg}", file=sys.stderr, flush=True)


def _run_locked(month, *, root, lock, guard, pool, data, teams, team_order, nbs, lang, targets_file, jobs,
                include_org, timeout, progress, kernel_name, raise_on_failure, merge, every_nb,
                kernel_start_timeout, kernel_start_attempts, started_at, t_start) -> ReportResult:
    """The run, once the parameters are valid and the month is locked."""
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
        raise ReportError(f"{final} is a report in --lang {prev_lang}; a partial run in --lang {lang} cannot "
                          f"be merged into it: use --lang {prev_lang}, --replace to replace the month, or "
                          f"another --out")
    pid, host = os.getpid(), platform.node()
    run_id = f"{started_at}#{pid}"
    staging = root / f".{month}.tmp-{pid}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)

    notes = data.quality_notes()
    for n in notes:  # the reader of the terminal sees them too, not only manifest.json
        print(f"data warning: {n}", file=sys.stderr, flush=True)
    labels = {**(previous or {}).get("team_labels", {}), **_team_labels(data, [x for x in team_order if x != ORG])}
    labels[ORG] = TEXT[lang]["org"]
    version = kit_version()
    now_local = dt.datetime.now(dt.timezone.utc).astimezone(_zone(data.tz))
    generated_at = now_local.strftime("%Y-%m-%d %H:%M %Z")
    data_path = str(Path(data.data_dir).resolve())
    targets = str(Path(targets_file).resolve()) if targets_file else ""
    tasks = []
    for team in team_order:
        for p in nbs:
            params = {"month": month, "team": team, "data_dir": data_path, "lang": lang, "targets_file": targets}
            tasks.append({"input": str(p.resolve()), "notebook": p.stem, "team": team, "parameters": params,
                          "out_ipynb": str(staging / team / f"{p.stem}.ipynb"), "timeout": timeout,
                          "log": str(staging / "logs" / team / f"{p.stem}.log"),
                          "kernel_name": kernel_name, "kernel_start_timeout": kernel_start_timeout,
                          "kernel_start_attempts": kernel_start_attempts,
                          "header": {"month": month, "team": team, "team_label": labels[team], "lang": lang,
                                     "fingerprint": data.fingerprint, "version": version,
                                     "generated_at": generated_at, "data_notes": notes}})

    prog = Progress(len(tasks), enabled=progress)
    if progress:
        print(f"iskpi report {month}: {len(nbs)} notebook(s) × {len(team_order)} "
              f"({', '.join(team_order)}) = {len(tasks)} runs, {min(jobs, len(tasks))} in parallel",
              file=sys.stderr, flush=True)
    # interrupted or crashed from here on: run_report stops workers and kernels, removes the staging dir
    runs = _execute(tasks, jobs, prog, pool)
    pool.close()
    order = {(t["team"], t["notebook"]): i for i, t in enumerate(tasks)}
    runs.sort(key=lambda r: order[(r["team"], r["notebook"])])
    for r in runs:
        r["report_run"] = run_id
    failures = [r for r in runs if r["status"] != "ok"]
    failed = bool(failures)
    produced = set(order)

    kept, kept_sources = ([], [])
    if previous and not failed:
        kept, kept_sources = _carry_over(previous, final, staging, produced, lang)
    known = data.team_ids()
    rank = {t: i for i, t in enumerate([ORG, *known])}
    pages = sorted(runs + kept, key=lambda r: (rank.get(r["team"], len(rank)), r["team"], r["notebook"]))
    page_teams = list(dict.fromkeys(r["team"] for r in pages))
    for t in page_teams:
        labels.setdefault(t, t)

    dest = root / f"{month}.FAILED" if failed else final

    def rel(p):
        return str(Path(p).relative_to(staging)) if p and Path(p).is_absolute() else p

    ended_at = _utcnow()
    seconds = round(time.perf_counter() - t_start, 3)
    manifest = {
        "status": "failed" if failed else "complete",
        "kit_version": version,
        "run_id": run_id, "host": host, "pid": pid, "generated_at": generated_at,
        "merged": bool(kept),
        "parameters": {"month": month, "teams": teams, "include_org": include_org, "lang": lang,
                       "data_dir": data_path, "targets_file": targets, "jobs": jobs,
                       "notebooks_dir": str(nbs[0].parent.resolve()), "notebooks": [p.stem for p in nbs],
                       "timeout": timeout},
        "data": {"fingerprint": data.fingerprint, "tz": data.tz, "files": _input_files(data),
                 "month_row_counts": _month_row_counts(data, month, teams), "warnings": list(data.warnings)},
        "environment": {"packages": _versions(), "platform": platform.platform(),
                        "cpu_count": default_jobs(), "git": _git_revision()},
        "started_at": started_at, "ended_at": ended_at, "seconds": seconds,
        "team_labels": {t: labels[t] for t in page_teams},
        "report_runs": [],
        "runs": [{**{k: v for k, v in r.items() if k not in ("ipynb", "html", "log")},
                  "ipynb": rel(r["ipynb"]) if r.get("ipynb") and (staging / rel(r["ipynb"])).exists() else None,
                  "html": rel(r.get("html")), "log": rel(r.get("log"))} for r in pages],
        "failures": [describe_failure(r) for r in failures],
    }
    manifest["report_runs"] = [_report_run_record(manifest, run_id), *kept_sources]

    index = write_index(staging / "index.html", month=month, lang=lang, runs=pages, team_order=page_teams,
                        team_labels=labels, fingerprint=data.fingerprint, version=version,
                        generated_at=generated_at, failed=failed, data_notes=notes, incomplete=True,
                        sources_html=_sources_html(manifest["report_runs"], pages, lang))
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
                                           encoding="utf-8")
    with guard.critical():  # a signal now waits: the month is never left half-swapped
        if not failed:
            for page in staging.rglob("*.html"):
                strip_incomplete(page)
        _swap_into_place(staging, dest)
    old_failed = root / f"{month}.FAILED"
    if not failed and old_failed.exists():
        # the failure record goes once a run has redone every team that failed there, all notebooks
        failed_teams = {r.get("team") for r in (_read_manifest(old_failed, None) or {}).get("runs", [])
                        if r.get("status") != "ok"}
        if not merge or (every_nb and failed_teams <= set(team_order)):
            shutil.rmtree(old_failed, ignore_errors=True)
    for r in runs:  # paths now point into the final directory
        for k in ("ipynb", "html", "log"):
            if r.get(k):
                r[k] = str(dest / Path(r[k]).relative_to(staging))
    result = ReportResult(status=manifest["status"], out_dir=dest, index=dest / "index.html",
                          manifest=dest / "manifest.json", runs=runs, seconds=seconds)
    if progress:
        merged = f" (merged with {len(kept)} kept page(s) of earlier runs)" if kept else ""
        msg = (f"FAILED: {len(failures)} of {len(runs)} runs failed; incomplete output in {dest}" if failed
               else f"done: {len(runs)} runs in {seconds:.1f}s → {index.name} in {dest}{merged}")
        print(msg, file=sys.stderr, flush=True)
    if failed and raise_on_failure:
        raise NotebookFailed(failures, result)
    return result


def _zone(name):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001
        return dt.timezone.utc


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
        self.executor = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=_mp_context(),
                                               initializer=_worker_init, initargs=(os.getpid(),))
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
                    run = {"team": t["team"], "notebook": t["notebook"], "status": "failed", "seconds": 0.0,
                           "started_at": None, "ended_at": _utcnow(), "ipynb": t["out_ipynb"],
                           "error": {"ename": type(exc).__name__, "evalue": str(exc)}}
                prog.finish(run)
                runs.append(run)
            submit()
    finally:
        if own:
            pool.close()
    return runs


# --- CLI ----------------------------------------------------------------------------------------
def add_report_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``iskpi report`` options to ``parser``."""
    parser.add_argument("--month", required=True, help="report month, YYYY-MM (e.g. 2026-10)")
    parser.add_argument("--team", action="append", metavar="TEAM",
                        help="team id to report on (repeatable or comma-separated; default: every team). "
                             "The whole organisation is always included unless --no-org")
    parser.add_argument("--no-org", action="store_true", help="skip the whole-organisation run")
    parser.add_argument("--data", default=None, help="data directory (default: the sample data)")
    parser.add_argument("--out", default=None, help=f"reports root (default: {config.REPORTS_DIR})")
    parser.add_argument("--lang", default=config.DEFAULT_LANG, choices=config.LANGS,
                        help="language of the report (default: %(default)s)")
    parser.add_argument("--targets", default=None, help="edited phase-targets TOML (default: shipped targets)")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help=f"parallel notebook runs (default: cores available = {default_jobs()})")
    parser.add_argument("--notebooks", nargs="+", metavar="NAME",
                        help="only these notebooks (names or glob patterns, e.g. 01_scorecard '02_*')")
    parser.add_argument("--notebooks-dir", default=None, help=f"notebooks directory (default: {config.NOTEBOOKS_DIR})")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default: none)")
    parser.add_argument("--replace", action="store_true",
                        help="replace the month's report instead of merging a partial run (--team, --no-org, "
                             "--notebooks) into it")
    parser.add_argument("--kernel", default=None, help="Jupyter kernel name (default: each notebook's own)")
    parser.add_argument("--kernel-start-timeout", type=float, default=60,
                        help="seconds to wait for a kernel to start; doubled on each of up to 3 starts "
                             "(default: %(default)s)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    return parser


def report_main(args: argparse.Namespace) -> int:
    """Run the report from parsed arguments; returns the exit code (0 ok, 1 failed, 2 invalid)."""
    teams = None
    if args.team:
        teams = [t.strip() for x in args.team for t in x.split(",") if t.strip()]
    try:
        result = run_report(args.month, teams=teams, data_dir=args.data, out_dir=args.out, lang=args.lang,
                            targets_file=args.targets, jobs=args.jobs, notebooks=args.notebooks,
                            notebooks_dir=args.notebooks_dir, include_org=not args.no_org,
                            timeout=args.timeout, progress=not args.quiet, replace=args.replace,
                            kernel_name=args.kernel, kernel_start_timeout=args.kernel_start_timeout)
    except ReportLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except NotebookFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:  # ReportInterrupted (SIGTERM) or Ctrl-C
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"interrupted by {signal.Signals(signum).name}: workers and kernels stopped, staging folder "
              f"removed", file=sys.stderr)
        return 128 + signum
    except OSError as exc:  # e.g. the disk filled up while writing
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(result.index)
    return EXIT_OK


def main(argv=None) -> int:
    """``python -m iskpi_analysis.report`` (same as ``iskpi report``)."""
    p = argparse.ArgumentParser(prog="iskpi report", description="run every notebook for a month and write HTML")
    add_report_arguments(p)
    return report_main(p.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
