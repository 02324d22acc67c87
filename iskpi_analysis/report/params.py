"""Report parameters: the month, teams, data and notebooks a run is about, checked before anything runs."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .. import config

__all__ = [
    "MONTH_RE",
    "ORG",
    "ReportError",
    "ReportLocked",
    "discover_notebooks",
    "validate_parameters",
    "load_report_settings",
    "resolve_report_settings",
]

MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


ORG = "all"


EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_LOCKED = 0, 1, 2, 3


class ReportError(ValueError):
    """Invalid report parameters or data (nothing was run)."""


class ReportLocked(ReportError):
    """The month is being written by another run (nothing was run)."""


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
                raise ReportError(
                    f"no notebook matches {n!r} in {d}; notebooks: {', '.join(p.stem for p in found) or '(none)'}"
                )
            chosen += [p for p in m if p not in chosen]
        found = sorted(chosen)
    if not found:
        raise ReportError(f"no notebooks (*.ipynb) in {d}")
    return found


def validate_parameters(month, *, teams=None, data_dir=None, lang=config.DEFAULT_LANG, targets_file=None, jobs=None):
    """Check the report parameters and load the data; returns ``(data, teams)``.

    Raises :class:`ReportError` with a message saying what is wrong and what is allowed.
    """
    from .. import dataset

    if not isinstance(month, str) or not MONTH_RE.fullmatch(month):
        raise ReportError(f"--month must be YYYY-MM (e.g. 2026-10), got {month!r}")
    if lang not in config.LANGS:
        raise ReportError(f"--lang must be one of {', '.join(config.LANGS)}, got {lang!r}")
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise ReportError(f"--jobs must be a positive integer, got {jobs!r}")
    if isinstance(data_dir, str) and "://" in data_dir:  # a database (issue 15): the data stays there
        return _validate_url(month, data_dir, teams=teams, targets_file=targets_file)
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
        data = dataset.load_data(d)
    except dataset.DataValidationError as exc:
        raise ReportError(f"the data in {d} breaks the data contract:\n{exc}") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read the data in {d}: {exc}") from None
    return _check_month_teams(data, month, teams, where=d)


def _check_month_teams(data, month, teams, *, where):
    """The month and teams asked for, checked against the loaded data; returns ``(data, teams)``."""
    from .. import dataset

    months = data.months()
    if month not in months and not data.inbound_calls:  # inbound-only months: said below
        shown = ", ".join(months) if months else "(none)"
        raise ReportError(f"month {month} has no calls or e-mails in {where}; months in the data: {shown}")
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
            dataset.require_month_calls(view, month)
        except dataset.MonthWithoutCalls as exc:
            raise ReportError(str(exc)) from None
    return data, teams


def _validate_url(month, url, *, teams, targets_file):
    """:func:`validate_parameters` for a database URL (``postgresql://…``, ``spark://…``)."""
    from .. import dataset
    from ..dataset.warehouse import redact

    if targets_file and not (Path(targets_file).is_file() and os.access(targets_file, os.R_OK)):
        raise ReportError(f"targets file not found or not readable: {targets_file}")
    try:
        data = dataset.load_data(url)
    except dataset.DataValidationError as exc:
        raise ReportError(f"the data in {redact(url)} breaks the data contract:\n{exc}") from None
    except Exception as exc:  # the driver's own errors (connection refused, unknown schema …)
        raise ReportError(f"cannot read the data in {redact(url)}: {type(exc).__name__}: {exc}") from None
    return _check_month_teams(data, month, teams, where=redact(url))


def load_report_settings(settings_file=None, *, data_dir=None):
    """The run's settings file (``--settings``, else ``settings.toml`` beside the data), read and
    checked, or None without one; a bad file is a :class:`ReportError` saying where and why."""
    from .. import settings as _settings

    try:
        path = _settings.find_settings(settings_file, data_dir=data_dir)
        return _settings.load_settings(path) if path else None
    except _settings.SettingsError as exc:
        raise ReportError(f"--settings: {exc}") from None


def resolve_report_settings(stg, data, *, month: str):
    """The settings resolved for every team of ``data`` in ``month`` (None without settings);
    a team the data does not have, or goals that do not add up, is a :class:`ReportError`."""
    from .. import settings as _settings

    if stg is None:
        return None
    try:
        return _settings.resolve(stg, data, month=month)
    except _settings.SettingsError as exc:
        raise ReportError(f"--settings: {exc}") from None
