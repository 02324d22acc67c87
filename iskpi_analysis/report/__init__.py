"""Monthly report runner: every notebook × (organisation + each team) → executed .ipynb + HTML.

``iskpi report --month 2026-10`` (or :func:`run_report`) does, in this order:

1. **Validate before starting anything**: month format (``YYYY-MM``), data directory exists and
   is readable and passes the data contract (:func:`iskpi_analysis.dataset.load_data`), the month has
   calls or e-mails in the data, and outbound calls for the organisation and every team run
   (:func:`iskpi_analysis.dataset.require_month_calls`), every named team is known, ``lang`` is ``ja``/``en``, the
   targets file exists, there is at least one notebook. Any problem raises :class:`ReportError`
   (the CLI prints it and exits with code 2) and nothing is written.
   **Load once**: the validated data is then written as the run's snapshot (typed Parquet, one
   file per team and event table, :mod:`iskpi_analysis.snapshot`) in the staging folder, and every
   notebook's unchanged ``dataset.load_data(data_dir).filter(team=team)`` reads it (the workers pass
   ``ISKPI_SNAPSHOT`` to their kernels): a team's run opens only that team's files, nothing is
   validated again, and the warnings, input files and fingerprint are the raw load's. The parent
   drops its own copy of the data once the snapshot is written; the snapshot goes with the
   staging folder (removed before the swap, or by the next run after a crash).
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

**Modules.** :mod:`.params` (parameters, notebooks, :class:`ReportError`), :mod:`.execute` (warm
worker pool, one papermill run, kernel-start retries, progress), :mod:`.export` (the HTML page of
one notebook), :mod:`.index` (the month's index page), :mod:`.manifest` (manifest.json and the
pages kept from earlier runs), :mod:`.staging` (lock, stale folders, swap, signals),
:mod:`.runner` (:func:`run_report`), :mod:`.cli` (``iskpi report``). This package re-exports the
names of all of them.

**Headline convention.** Any notebook may record headline figures for the index and for the top
of its own report::

    nb.record("headline", [{"label": "コネクト率", "value": "12.3%"},
                           {"label": "アポイント獲得数", "value": 42, "note": "目標 40"}])

a list of dicts with ``label`` (str, reader's language) and ``value`` (preformatted str, or a
number which the runner formats with thousands separators), optional ``note`` (str). Recording
nothing is fine: the index then only links the notebook.

**The index's first screen** reads the values named in ``export.INDEX_RECORDS`` from the pages
that record them (``org_summary``, ``kpi_history``, ``kpi_table``, ``team_phase``; see
:mod:`.index` and :mod:`iskpi_analysis.scorecard.executive`); they travel like the headline, in
each run's ``index_records`` (also in the manifest, so a merged month keeps them). Cells tagged
``team-only`` are left out of the organisation's page (``team="all"``), cells tagged ``org-only``
out of the teams' pages.
"""

from __future__ import annotations

from .cli import add_report_arguments, main, report_main
from .execute import KERNEL_START_ERRORS, Progress, default_jobs, describe_failure
from .export import (
    FONT_FILE_NAME,
    INCOMPLETE_END,
    INCOMPLETE_START,
    LANG_TAG_PREFIX,
    MAX_HTML_BYTES,
    REMOVE_TAGS,
    TEMPLATE_NAME,
    TEMPLATES_DIR,
    drop_other_languages,
    export_html,
    external_urls,
    mark_incomplete,
    note_text,
    strip_incomplete,
    write_pdfs,
)
from .index import write_index
from .manifest import PACKAGES, kit_version
from .params import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_LOCKED,
    EXIT_OK,
    MONTH_RE,
    ORG,
    ReportError,
    ReportLocked,
    discover_notebooks,
    validate_parameters,
)
from .runner import NotebookFailed, ReportResult, run_report
from .staging import (
    ReportInterrupted,
    _clean_stale,  # noqa: F401 - tests clean a month's stale folders directly
    check_out_dir,
)

__all__ = [
    "MONTH_RE",
    "ORG",
    "EXIT_OK",
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_LOCKED",
    "ReportError",
    "ReportLocked",
    "discover_notebooks",
    "validate_parameters",
    "KERNEL_START_ERRORS",
    "Progress",
    "default_jobs",
    "describe_failure",
    "TEMPLATES_DIR",
    "TEMPLATE_NAME",
    "FONT_FILE_NAME",
    "REMOVE_TAGS",
    "MAX_HTML_BYTES",
    "INCOMPLETE_START",
    "INCOMPLETE_END",
    "LANG_TAG_PREFIX",
    "drop_other_languages",
    "export_html",
    "external_urls",
    "mark_incomplete",
    "note_text",
    "strip_incomplete",
    "write_pdfs",
    "write_index",
    "PACKAGES",
    "kit_version",
    "ReportInterrupted",
    "check_out_dir",
    "NotebookFailed",
    "ReportResult",
    "run_report",
    "add_report_arguments",
    "report_main",
    "main",
]
