"""One phase per team, decided once: :func:`team_phase` (the phase 01's targets, 02's page, 03's
guide values and the report index read). Language-neutral.

The decision (:func:`rules.decide_phase`)
-----------------------------------------
1. **override** — the phase an analyst sets: the notebook parameter ``phase`` (one phase for every
   team), else the settings file's ``phase`` for the team (its own section, else the
   organisation's; :meth:`settings.Settings.phase_override`).
2. **diagnosis** — the evidence-based diagnosis of notebook 02 (:func:`diagnose`: the seed's
   10-item checklist judged from the data and the seed's rule), whatever the calendar says. The
   seed's FAQ: "一般的には6ヶ月が目安ですが、期間だけで判断するのは危険です … 4ヶ月で移行すること
   もありますし、逆に8ヶ月かかることもあります". The FAQ's "低いほうのフェーズ" (a team straddling
   phases) is applied inside the diagnosis (:func:`classify`), not between diagnosis and calendar.
3. **age** — months since launch (the seed's 0–6 / 6–12 / 12+ months), only when the diagnosis
   is *insufficient*: :func:`classify` returns no phase because fewer than ``Rules.min_judged``
   (5) of the 10 items could be judged, or because the answers to the unknown items could change
   the phase (the diagnosis's ``determined`` is False; 02 shows it as 判定保留(情報不足)). Every
   page then says 「診断に必要なデータが不足しているため、立ち上げからの月数で判定」.

The readiness (``next_phase``, ``ready``) is the diagnosis's readiness for the phase after the
decided one (:func:`readiness`): to growth the FAQ's three conditions, to mature the two mature
items; the conditions are judged from the same evidence even when the phase is the age fallback.

Cost: the diagnosis looks for success patterns (:func:`success_patterns`, calling hours through
``timing.reliable_windows``), which is the expensive part on a large organisation. The result is
computed once per (data fingerprint, month, team, override, analyst answers, targets file content,
rules): a report run computes every team's row in the parent process after loading
(:func:`precompute`) and writes it atomically into the run's snapshot folder; :func:`team_phase`
in a notebook of that run reads the row whose key matches and computes only what is missing. A
row whose key differs (another month, override, answers, targets or data) is never read.
Interactively it is computed (and kept in memory for the session under the same key).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config, kpis
from ..phase_age import team_phases
from .rules import DEFAULT_RULES, READINESS, SOURCES, Rules, answers_for

__all__ = [
    "TEAM_PHASE_COLUMNS",
    "CACHE_DIR",
    "phase_overrides",
    "phase_row",
    "phase_table",
    "team_phase",
    "team_phase_key",
    "precompute",
    "guide_phase",
    "guide_targets",
]

#: the columns of :func:`team_phase` (``ready``: True / False / <NA>; ``readiness``: the code)
TEAM_PHASE_COLUMNS = [
    "team_id",
    "phase",
    "source",
    "diagnosed",
    "age_phase",
    "months_since_launch",
    "next_phase",
    "ready",
    "readiness",
]
#: the folder inside a report run's snapshot that holds the decided rows (one JSON per team and key)
CACHE_DIR = "team_phase"
_FORMAT = 1
#: rows computed in this process, by key (interactive use: the same question asked twice)
_MEMO: dict[str, dict] = {}


def _settings_of(settings):
    """A :class:`settings.Resolved` or :class:`settings.Settings` (or None) → the Settings."""
    if settings is None:
        return None
    return getattr(settings, "settings", settings)


def phase_overrides(teams, *, settings=None, override: str | None = None) -> dict:
    """``{team_id: phase or None}``: ``override`` (the notebook parameter, every team) when set,
    else each team's phase from the settings file (:meth:`settings.Settings.phase_override`)."""
    config.check_option("phase", override, (None, "", *kpis.PHASES))
    s = _settings_of(settings)
    return {t: (override or (s.phase_override(t) if s is not None else None) or None) for t in teams}


def _answers(teams, *, settings, answers) -> dict | None:
    """The analyst's answers in :func:`diagnose`'s form: ``answers`` when given, else the settings'."""
    if answers is not None:
        return answers
    # Resolved.phase_answers(teams) and Settings.phase_answers(teams) give the same per-team form
    return settings.phase_answers(list(teams)) if settings is not None else None


def _targets_path(targets_file, settings) -> str | None:
    if targets_file:
        return str(targets_file)
    s = _settings_of(settings)
    return str(s.targets_file) if s is not None and s.targets_file else None


def _file_sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else ""


def team_phase_key(
    data, *, month: str, team: str, override: str | None, answers: dict | None, targets_file, rules: Rules
) -> str:
    """The cache key of one team's decided phase: everything the decision depends on (the data's
    fingerprint, month, team, override, the team's analyst answers, the targets file's content and
    the diagnosis's thresholds)."""
    parts = {
        "format": _FORMAT,
        "fingerprint": data.fingerprint,
        "month": str(pd.Period(month, freq="M")),
        "team": team,
        "override": override or None,
        "answers": answers_for(answers, team),
        "targets": _file_sha(targets_file),
        "rules": dataclasses.asdict(rules),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def phase_row(diag) -> dict:
    """One team's row of :func:`team_phase` from its :class:`TeamDiagnosis` (its verdict)."""
    v = diag.verdict
    r = v["readiness"]
    return {
        "team_id": diag.team_id,
        "phase": v["team_phase"],
        "source": v["source"],
        "diagnosed": v["phase"],
        "age_phase": v["time_phase"],
        "months_since_launch": diag.months_since_launch,
        "next_phase": v["next_phase"],
        "ready": True if r == "ready" else (False if r == "not_yet" else None),
        "readiness": r,
    }


def _frame(rows) -> pd.DataFrame:
    out = pd.DataFrame(list(rows), columns=TEAM_PHASE_COLUMNS)
    out["months_since_launch"] = pd.array(
        [None if x is None or (isinstance(x, float) and np.isnan(x)) else int(x) for x in out["months_since_launch"]],
        dtype="Int64",
    )
    out["ready"] = pd.array(list(out["ready"]), dtype="boolean")
    for c in ("phase", "source", "diagnosed", "age_phase", "next_phase", "readiness"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    assert_ok = set(out["source"]) <= set(SOURCES) and set(out["readiness"]) <= set(READINESS)
    if not assert_ok:  # a programming error, not bad input
        raise RuntimeError(f"team_phase produced unknown codes: {out[['source', 'readiness']]}")
    return out


def phase_table(diags: dict) -> pd.DataFrame:
    """:func:`team_phase`'s table from diagnoses already made (:func:`diagnose_teams`; notebook 02,
    which needs the whole diagnosis anyway)."""
    return _frame(phase_row(d) for d in diags.values())


def _age_only(data, team: str, month: str, override) -> dict:
    """A team without reps cannot be diagnosed: the override, else its phase by months since launch."""
    tp = team_phases(data.filter(team=team) if data.team == "all" else data, month=month)
    r = tp[tp["team_id"] == team].iloc[0]
    ms = r["months_since_launch"]
    return {
        "team_id": team,
        "phase": override or r["phase"],
        "source": "override" if override else "age",
        "diagnosed": None,
        "age_phase": r["phase"],
        "months_since_launch": None if pd.isna(ms) else int(ms),
        "next_phase": None,
        "ready": None,
        "readiness": "insufficient_data",
    }


def _cache_file(folder: Path, key: str) -> Path:
    return Path(folder) / CACHE_DIR / f"{key}.json"


def _read_cached(folder, key: str) -> dict | None:
    if folder is None:
        return None
    try:
        got = json.loads(_cache_file(folder, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return got.get("row") if isinstance(got, dict) and got.get("key") == key else None


def _write_cached(folder, key: str, row: dict) -> None:
    """Atomically: a reader sees the whole file or none (write a temporary file, then rename)."""
    path = _cache_file(folder, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"key": key, "row": row}, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _snapshot_folder(data):
    snap = getattr(data, "snapshot", None)
    return getattr(snap, "path", None)


def _check_view(data) -> None:
    other = {k for k in getattr(data, "_filters", {}) if k != "team"}
    if other:
        raise ValueError(
            f"team_phase decides on a team's whole data: pass the data filtered by team only "
            f"(this view is also filtered by {', '.join(sorted(other))})"
        )


def _decide(data, *, month, teams, overrides, answers, targets_file, rules, folder, write) -> dict:
    """``({team: row}, {team: how})`` for ``teams``: each row from this process's memory
    ("memory") or the cache folder ("cache") when its key matches, else diagnosed here
    ("computed"; only the missing teams)."""
    from .. import aggregate
    from .diagnosis import diagnose

    keys = {
        t: team_phase_key(
            data,
            month=month,
            team=t,
            override=overrides.get(t),
            answers=answers,
            targets_file=targets_file,
            rules=rules,
        )
        for t in teams
    }
    rows, how = {}, {}
    for t, k in keys.items():
        for where, row in (("memory", _MEMO.get(k)), ("cache", None if k in _MEMO else _read_cached(folder, k))):
            if row is not None:
                rows[t], how[t] = row, where
                break
    missing = [t for t in teams if t not in rows]
    if missing:
        with_reps = set(data.reps["team_id"])
        to_diagnose = [t for t in missing if t in with_reps]
        if to_diagnose:
            view = data if len(to_diagnose) > 1 or data.team != "all" else data.filter(team=to_diagnose[0])
            rd = aggregate.rep_period(view, grain="day")
            rm = aggregate.rep_period(view, grain="month")
        for t in missing:
            if t in to_diagnose:
                d = diagnose(
                    data,
                    month=month,
                    team=t,
                    rep_day=rd,
                    rep_month=rm,
                    answers=answers,
                    targets_file=targets_file,
                    phase=overrides.get(t),
                    rules=rules,
                )
                row = phase_row(d)
            else:
                row = _age_only(data, t, month, overrides.get(t))
            rows[t], how[t] = row, "computed"
            _MEMO[keys[t]] = row
    if write and folder is not None:
        for t in teams:
            if how[t] != "cache":
                _write_cached(folder, keys[t], rows[t])
    return rows, how


def team_phase(
    data,
    *,
    month: str,
    settings=None,
    override: str | None = None,
    targets_file=None,
    answers: dict | None = None,
    rules: Rules = DEFAULT_RULES,
) -> pd.DataFrame:
    """THE phase of every team of ``data`` in ``month`` (see the module docstring for the order:
    override > diagnosis > months since launch).

    Parameters
    ----------
    data : Dataset, the whole organisation or filtered by team (only by team: a role or time
        filter would change the diagnosis).
    month : "YYYY-MM".
    settings : the run's settings (:class:`settings.Resolved` from ``nb.settings`` or a
        :class:`settings.Settings`): each team's ``phase`` override, the analyst's answers and the
        targets file come from it. None = no settings.
    override : the notebook parameter ``phase`` (launch / growth / mature): every team's phase;
        None/"" = the settings file's phase for the team, else decided from the data.
    targets_file : an edited phase-target file (None: the settings', else the shipped targets).
    answers : analyst answers in :func:`diagnose`'s form (None: the settings file's).
    rules : the diagnosis's thresholds (:class:`Rules`).

    Returns
    -------
    DataFrame, one row per team (team order; ``attrs["how"]``: team → "memory", "cache" or
    "computed", where each row came from): team_id, phase (the one phase), source
    ("override", "diagnosis" or "age"), diagnosed (the diagnosis's phase, None when insufficient),
    age_phase (by months since launch), months_since_launch (Int64, <NA> without a launch date),
    next_phase (None in the last phase), ready (True / False / <NA> when the readiness is
    insufficient_data or final), readiness (the code: ready, not_yet, insufficient_data, final).

    Examples
    --------
    >>> from iskpi_analysis import dataset, sample
    >>> spec = sample.TeamSpec("t1", "チーム1", "2026-06-01", n_sdr=3, n_bdr=2)
    >>> d = dataset.Dataset.from_frames(sample.generate(0, teams=[spec], end="2026-10-31"))
    >>> team_phase(d, month="2026-10", override="mature")[["team_id", "phase", "source"]].to_dict("records")
    [{'team_id': 't1', 'phase': 'mature', 'source': 'override'}]
    """
    _check_view(data)
    if not isinstance(rules, Rules):
        raise ValueError(f"rules must be a phase.Rules, got {type(rules).__name__}")
    teams = [data.team] if data.team != "all" else data.team_ids()
    return _table(
        data,
        month=month,
        teams=teams,
        settings=settings,
        override=override,
        answers=answers,
        targets_file=targets_file,
        rules=rules,
        folder=_snapshot_folder(data),
        write=False,
    )


def precompute(
    data, *, month: str, folder, settings=None, targets_file=None, rules: Rules = DEFAULT_RULES
) -> pd.DataFrame:
    """Decide every team's phase once and write each row atomically into ``folder`` (a report
    run's snapshot folder), where :func:`team_phase` in the run's notebooks finds it by its key.

    Returns the table (as :func:`team_phase`).
    """
    _check_view(data)
    return _table(
        data,
        month=month,
        teams=data.team_ids(),
        settings=settings,
        override=None,
        answers=None,
        targets_file=targets_file,
        rules=rules,
        folder=Path(folder),
        write=True,
    )


def _table(data, *, month, teams, settings, override, answers, targets_file, rules, folder, write) -> pd.DataFrame:
    """The decided rows of ``teams`` as :func:`team_phase`'s table (read from / written to the
    snapshot ``folder`` by key)."""
    rows, how = _decide(
        data,
        month=month,
        teams=teams,
        overrides=phase_overrides(teams, settings=settings, override=override),
        answers=_answers(teams, settings=settings, answers=answers),
        targets_file=_targets_path(targets_file, settings),
        rules=rules,
        folder=folder,
        write=write,
    )
    out = _frame(rows[t] for t in teams)
    out.attrs["how"] = {t: how[t] for t in teams}  # memory / cache / computed: what the run's cache saved
    return out


# --- 03's guide values ----------------------------------------------------------------------
def guide_phase(phases) -> str:
    """The phase whose guide values a page about several teams uses: the one they share, else the
    lowest (the seed's FAQ: a group straddling phases follows the lower one)."""
    ps = [p for p in phases if p]
    for p in ps:
        config.check_option("phase", p, kpis.PHASES)
    return min(ps, key=kpis.PHASES.index) if ps else "growth"


def guide_targets(phase: str, *, targets_file=None, industry=None) -> pd.DataFrame:
    """The guide values of the efficiency (rate) KPIs for a team in ``phase`` (notebook 03), from
    the one target table (:func:`iskpi_analysis.targets.target_table`): the phase's own row where
    its template has the KPI (at launch the seed's 参考値, ``judged`` False); where it has none, the
    nearest later phase's, else the nearest earlier phase's.

    Returns
    -------
    DataFrame: kpi_id, target (NaN for a range-only KPI), low, high, judged, phase (the phase
    whose template gave the value) — the form :func:`correlation.findings` takes as ``targets``.
    """
    from .. import targets

    config.check_option("phase", phase, kpis.PHASES)
    i = kpis.PHASES.index(phase)
    order = [phase, *kpis.PHASES[i + 1 :], *reversed(kpis.PHASES[:i])]
    cols = ["kpi_id", "target", "low", "high", "judged"]
    tables = {p: targets.target_table(p, targets_file=targets_file or None, industry=industry) for p in order}
    rows = []
    for k in sorted({k for t in tables.values() for k in t["kpi_id"] if kpis.get(k).is_rate}):
        p = next(p for p in order if k in set(tables[p]["kpi_id"]))
        t = tables[p]
        rows.append({**t[t["kpi_id"] == k][cols].iloc[0].to_dict(), "phase": p})
    return pd.DataFrame(rows, columns=[*cols, "phase"])
