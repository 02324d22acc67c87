"""``iskpi report``: the command-line options and exit codes (the run itself is :mod:`.runner`)."""

from __future__ import annotations

import argparse
import signal
import sys

from .. import config
from .execute import default_jobs
from .params import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_LOCKED,
    EXIT_OK,
    ReportError,
    ReportLocked,
)
from .runner import NotebookFailed, run_report

__all__ = ["add_report_arguments", "report_main", "main"]


def add_report_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``iskpi report`` options to ``parser``."""
    parser.add_argument("--month", required=True, help="report month, YYYY-MM (e.g. 2026-10)")
    parser.add_argument(
        "--team",
        action="append",
        metavar="TEAM",
        help="team id to report on (repeatable or comma-separated; default: every team). "
        "The whole organisation is always included unless --no-org",
    )
    parser.add_argument("--no-org", action="store_true", help="skip the whole-organisation run")
    parser.add_argument("--data", default=None, help="data directory (default: the sample data)")
    parser.add_argument("--out", default=None, help=f"reports root (default: {config.REPORTS_DIR})")
    parser.add_argument(
        "--lang",
        default=config.DEFAULT_LANG,
        choices=config.LANGS,
        help="language of the report (default: %(default)s)",
    )
    parser.add_argument(
        "--targets",
        default=None,
        help="edited phase-targets TOML (default: the settings' targets_file, else shipped targets)",
    )
    parser.add_argument(
        "--settings",
        default=None,
        metavar="FILE",
        help="settings TOML: goals, analyst answers, phase override, industry (default: settings.toml beside the "
        "data when it exists; see examples/settings.toml)",
    )
    parser.add_argument(
        "--pdf", action="store_true", help="also write an A4 PDF beside every HTML page (needs Chromium)"
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        help=f"parallel notebook runs (default: cores available = {default_jobs()})",
    )
    parser.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NAME",
        help="only these notebooks (names or glob patterns, e.g. 01_scorecard '02_*')",
    )
    parser.add_argument("--notebooks-dir", default=None, help=f"notebooks directory (default: {config.NOTEBOOKS_DIR})")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default: none)")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace the month's report instead of merging a partial run (--team, --no-org, --notebooks) into it",
    )
    parser.add_argument("--kernel", default=None, help="Jupyter kernel name (default: each notebook's own)")
    parser.add_argument(
        "--kernel-start-timeout",
        type=float,
        default=60,
        help="seconds to wait for a kernel to start; doubled on each of up to 3 starts (default: %(default)s)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    return parser


def report_main(args: argparse.Namespace) -> int:
    """Run the report from parsed arguments; returns the exit code (0 ok, 1 failed, 2 invalid)."""
    if getattr(args, "pdf", False):
        from .. import browser

        if browser.find_chromium() is None:  # say it before an hour of notebooks, not after
            print("error: --pdf needs Chromium (apt-get install -y chromium, or set ISKPI_CHROMIUM)", file=sys.stderr)
            return EXIT_INVALID
    teams = None
    if args.team:
        teams = [t.strip() for x in args.team for t in x.split(",") if t.strip()]
    try:
        result = run_report(
            args.month,
            teams=teams,
            data_dir=args.data,
            out_dir=args.out,
            lang=args.lang,
            targets_file=args.targets,
            jobs=args.jobs,
            notebooks=args.notebooks,
            notebooks_dir=args.notebooks_dir,
            include_org=not args.no_org,
            timeout=args.timeout,
            progress=not args.quiet,
            replace=args.replace,
            kernel_name=args.kernel,
            kernel_start_timeout=args.kernel_start_timeout,
            settings_file=args.settings,
        )
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
        print(
            f"interrupted by {signal.Signals(signum).name}: workers and kernels stopped, staging folder removed",
            file=sys.stderr,
        )
        return 128 + signum
    except OSError as exc:  # e.g. the disk filled up while writing
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(result.index)
    if getattr(args, "pdf", False):
        from .. import browser
        from .export import write_pdfs

        try:
            pdfs = write_pdfs([result.index, *result.html_files])
        except (browser.BrowserError, OSError) as exc:
            print(f"error: writing the PDFs failed: {exc}", file=sys.stderr)
            return EXIT_FAILED
        if not args.quiet:
            print(f"iskpi report: {len(pdfs)} A4 PDF(s) beside the HTML pages in {result.out_dir}", file=sys.stderr)
    return EXIT_OK


def main(argv=None) -> int:
    """``python -m iskpi_analysis.report`` (same as ``iskpi report``)."""
    p = argparse.ArgumentParser(prog="iskpi report", description="run every notebook for a month and write HTML")
    add_report_arguments(p)
    return report_main(p.parse_args(argv))
