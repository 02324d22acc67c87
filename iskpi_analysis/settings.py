"""Settings of the monthly run: goals, analyst answers, a phase override, the targets file and an
industry preset, per organisation and per team, in one TOML file.

Where the file is: ``iskpi report --settings FILE``, else ``settings.toml`` beside the data
(``<data dir>/settings.toml``) when it exists, else none (every notebook then behaves as before).
The report runner passes the file's path to every notebook (parameter ``settings``) and records
its path, sha256 and the values resolved for each team in ``manifest.json``.

The file (see ``examples/settings.toml``)::

    [organisation]                      # defaults for every team, and the organisation's goals
    industry = "saas"                   # preset of industry_presets.toml: saas, enterprise
    targets_file = "my_targets.toml"    # edited phase targets (relative to this file)
    phase = ""                          # launch, growth or mature; "" = decided from the data
    goal_deals = 60                     # 商談創出数: deals created per month (the seed's reverse plan)
    goal_won = 20                       # 受注数: deals won per month
    goal_won_amount = 30_000_000        # 受注貢献金額 (JPY) per month

    [organisation.answers]              # the checklist items only an analyst can answer
    fs_rules_established = "unknown"    # item 8: rules with field sales being established
    revenue_reporting = "unknown"       # item 10: revenue contribution can be reported
    winning_script = "unknown"          # a winning script is established (success patterns)

    [teams.tokyo_is]                    # any key above (but targets_file) overrides for one team
    goal_deals = 35
    [teams.tokyo_is.answers]
    fs_rules_established = "yes"

Answers are ``"yes"``, ``"no"``, ``"unknown"`` or TOML ``true``/``false``.

Team sections override the organisation's values key by key (``answers`` too, item by item).
The targets file is one for the whole report (the organisation section only).

How organisation goals reach the teams
--------------------------------------
A goal given for the organisation is the organisation's total for the month. Teams with their
own goal keep it; the rest of the organisation's goal is shared among the other teams in
proportion to their headcount — the reps on the team in the report month (joined on or before
its last day, not left before its first) — rounded to whole deals / whole yen by the largest
remainder, so the team goals add up exactly to the organisation's goal. The organisation's own
goal is the given one, or, when it gives none, the sum of the team goals when every team has one.
Team goals that add up to more than the organisation's goal, or (every team having its own)
to a different total, are an error: the report would contradict itself.

Errors (:class:`SettingsError`) name the file, the line, the section and key, the value and what
is allowed; an unknown key is an error with a "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from . import config

__all__ = [
    "SETTINGS_FILE_NAME",
    "PHASES",
    "GOAL_KEYS",
    "GOAL_KPIS",
    "ANSWER_KEYS",
    "PRESETS_FILE",
    "SettingsError",
    "Answers",
    "Level",
    "Settings",
    "TeamSettings",
    "Resolved",
    "industry_presets",
    "find_settings",
    "load_settings",
    "resolve",
    "for_notebook",
]

SETTINGS_FILE_NAME = "settings.toml"
PHASES = ("launch", "growth", "mature")
#: goal key → the KPI of kpis.toml it is a monthly team total of
GOAL_KPIS = {"goal_deals": "deals_created", "goal_won": "deals_won", "goal_won_amount": "won_amount_jpy"}
GOAL_KEYS = tuple(GOAL_KPIS)
#: the checklist items of the phase diagnosis only an analyst can answer (phase.ANSWER_KEYS)
ANSWER_KEYS = ("fs_rules_established", "revenue_reporting", "winning_script")
PRESETS_FILE = config.PACKAGE_DIR / "industry_presets.toml"

_LEVEL_KEYS = ("industry", "phase", *GOAL_KEYS, "answers")
_ORG_KEYS = (*_LEVEL_KEYS, "targets_file")
_TOP_KEYS = ("organisation", "teams")
_YES, _NO, _UNKNOWN = ("yes",), ("no",), ("unknown", "")


class SettingsError(ValueError):
    """The settings file is wrong; the message names file, line, key, value and what is allowed."""


def industry_presets() -> dict[str, dict[str, tuple[float, float]]]:
    """The named industry presets: ``{name: {kpi_id: (low, high)}}`` (industry_presets.toml)."""
    raw = tomllib.loads(PRESETS_FILE.read_text(encoding="utf-8"))
    return {name: {k: (float(v[0]), float(v[1])) for k, v in kpis_.items()} for name, kpis_ in raw.items()}


# ---------------------------------------------------------------------------------------------
# what the file says
@dataclass(frozen=True)
class Answers:
    """An analyst's answers: True (yes), False (no) or None (unknown / not answered)."""

    fs_rules_established: bool | None = None
    revenue_reporting: bool | None = None
    winning_script: bool | None = None

    def text(self) -> dict[str, str]:
        """``{key: "yes" / "no" / "unknown"}`` (the form :func:`phase.parse_answer` reads)."""
        return {k: _answer_text(getattr(self, k)) for k in ANSWER_KEYS}


@dataclass(frozen=True)
class Level:
    """One section of the file as written (the organisation, or one team); None = not given."""

    industry: str | None = None
    phase: str | None = None
    goal_deals: int | None = None
    goal_won: int | None = None
    goal_won_amount: int | None = None
    answers: Answers = field(default_factory=Answers)

    def goals(self) -> dict[str, int | None]:
        return {k: getattr(self, k) for k in GOAL_KEYS}


@dataclass(frozen=True)
class Settings:
    """A validated settings file (see the module docstring). ``Settings()`` is "no settings"."""

    path: Path | None = None
    sha256: str | None = None
    organisation: Level = field(default_factory=Level)
    teams: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    targets_file: Path | None = None

    def level(self, team: str) -> Level:
        """The team's section (an empty :class:`Level` when it has none; ``"all"``: the organisation)."""
        return self.organisation if team == "all" else self.teams.get(team, Level())

    def phase_override(self, team: str) -> str | None:
        """The phase the analyst sets for ``team`` (its own section, else the organisation's), or None."""
        return self.level(team).phase or self.organisation.phase

    def industry(self, team: str) -> str | None:
        """The industry preset name of ``team`` (its own section, else the organisation's), or None."""
        return self.level(team).industry or self.organisation.industry

    def answers(self, team: str) -> Answers:
        """The analyst's answers for ``team``: each item from its section, else the organisation's."""
        own, org = self.level(team).answers, self.organisation.answers
        return Answers(**{k: _first(getattr(own, k), getattr(org, k)) for k in ANSWER_KEYS})

    def phase_answers(self, teams) -> dict[str, str]:
        """The answers in the per-team form of :func:`phase.diagnose`'s ``answers``
        (``{"fs_rules_established": "tokyo_is:yes, osaka_is:unknown", …}``)."""
        return {k: ", ".join(f"{t}:{self.answers(t).text()[k]}" for t in teams) for k in ANSWER_KEYS}


def _first(*values):
    return next((v for v in values if v is not None), None)


def _answer_text(v: bool | None) -> str:
    return "unknown" if v is None else ("yes" if v else "no")


# ---------------------------------------------------------------------------------------------
# reading and checking the file
def find_settings(settings_file=None, *, data_dir=None) -> Path | None:
    """The settings file a run uses: ``settings_file`` when given (it must exist), else
    ``settings.toml`` in ``data_dir`` when it exists, else None."""
    if settings_file:
        p = Path(settings_file)
        if not p.is_file():
            raise SettingsError(f"settings file not found: {p}")
        return p
    beside = Path(data_dir if data_dir else config.DATA_DIR) / SETTINGS_FILE_NAME
    return beside if beside.is_file() else None


def load_settings(path) -> Settings:
    """Read and validate a settings file (see the module docstring for the keys).

    Raises
    ------
    SettingsError
        not valid TOML (with its line and column), an unknown section or key (with a did-you-mean
        and the allowed keys), or a value of the wrong type or range; the message names the file,
        the line, the section and key, the value and what is allowed.
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"settings file {path}: cannot be read ({exc.strerror or exc})") from None
    text = raw_bytes.decode("utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    chk = _Checker(path, text)
    chk.keys(raw, _TOP_KEYS, "")
    org_raw = chk.table(raw.get("organisation", {}), "organisation")
    chk.keys(org_raw, _ORG_KEYS, "organisation")
    org = _level(chk, org_raw, "organisation")
    teams_raw = chk.table(raw.get("teams", {}), "teams")
    teams = {}
    for team, section in teams_raw.items():
        where = f"teams.{team}"
        section = chk.table(section, where)
        if "targets_file" in section:
            chk.fail(
                where,
                "targets_file",
                section["targets_file"],
                "the targets file is one for the whole report: set it in [organisation]",
            )
        chk.keys(section, _LEVEL_KEYS, where)
        teams[team] = _level(chk, section, where)
    targets = None
    if org_raw.get("targets_file"):
        tf = chk.string(org_raw["targets_file"], "organisation", "targets_file")
        targets = (path.parent / tf).resolve() if not Path(tf).is_absolute() else Path(tf)
        if not targets.is_file():
            chk.fail("organisation", "targets_file", tf, f"an existing TOML file (looked for {targets})")
    return Settings(
        path=path.resolve(),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        organisation=org,
        teams=MappingProxyType(teams),
        targets_file=targets,
    )


def _level(chk: _Checker, raw: dict, where: str) -> Level:
    presets = tuple(industry_presets())
    vals = {}
    if raw.get("industry") not in (None, ""):
        vals["industry"] = chk.choice(raw["industry"], where, "industry", presets)
    if raw.get("phase") not in (None, ""):
        vals["phase"] = chk.choice(raw["phase"], where, "phase", PHASES)
    for k in GOAL_KEYS:
        if k in raw:
            vals[k] = chk.count(raw[k], where, k)
    if "answers" in raw:
        ans = chk.table(raw["answers"], f"{where}.answers")
        chk.keys(ans, ANSWER_KEYS, f"{where}.answers")
        vals["answers"] = Answers(**{k: chk.answer(v, f"{where}.answers", k) for k, v in ans.items()})
    return Level(**vals)


def _did_you_mean(word: str, allowed) -> str | None:
    """The allowed word a mistyped one most likely meant: a close spelling, else the one allowed
    word it is the start of (``fs_rules`` → ``fs_rules_established``, ``tokyo`` → ``tokyo_is``)."""
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    if close:
        return close[0]
    starts = [a for a in allowed if a.startswith(word) or word.startswith(a)]
    return starts[0] if len(starts) == 1 else None


class _Checker:
    """Validation with messages that point into the file (file:line, [section] key = value)."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def line_of(self, section: str, key: str) -> int | None:
        """Line of ``key = …`` inside ``[section]`` (or of ``[section.key]``), 1-based; None if not found."""
        current, header = "", re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
        for i, line in enumerate(self.lines, 1):
            m = header.match(line)
            if m:
                current = m.group(1).replace(" ", "").replace('"', "")
                if current == f"{section}.{key}".lstrip("."):
                    return i
                continue
            if current == section and re.match(rf'^\s*"?{re.escape(key)}"?\s*=', line):
                return i
        return None

    def fail(self, section: str, key: str, value, allowed: str):
        line = self.line_of(section, key)
        where = f"{self.path}" + (f", line {line}" if line else "")
        sec = f"[{section}] " if section else ""
        raise SettingsError(f"{where}: {sec}{key} = {value!r}: {allowed}")

    def keys(self, raw: dict, allowed, section: str) -> None:
        for k in raw:
            if k not in allowed:
                close = _did_you_mean(k, allowed)
                hint = f"did you mean {close!r}? " if close else ""
                self.fail(section, k, raw[k], f"unknown key; {hint}allowed: {', '.join(allowed)}")

    def table(self, value, section: str) -> dict:
        if not isinstance(value, dict):
            parent, _, key = section.rpartition(".")
            self.fail(parent, key, value, f"must be a table ([{section}])")
        return value

    def string(self, value, section, key) -> str:
        if not isinstance(value, str):
            self.fail(section, key, value, "must be a text in quotes")
        return value

    def choice(self, value, section, key, allowed) -> str:
        if not isinstance(value, str) or value not in allowed:
            self.fail(section, key, value, f"allowed: {', '.join(allowed)} (or leave it out)")
        return value

    def count(self, value, section, key) -> int:
        # bool is an int in Python; a goal of `true` is a mistake, and so is 12.5 deals
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(section, key, value, "must be a positive whole number per month (e.g. 20), or leave it out")
        return int(value)

    def answer(self, value, section, key) -> bool | None:
        if isinstance(value, bool):
            return value
        v = value.strip().lower() if isinstance(value, str) else None
        if v in _YES:
            return True
        if v in _NO:
            return False
        if v in _UNKNOWN:
            return None
        self.fail(section, key, value, 'allowed: "yes", "no", "unknown" (or true / false)')


# ---------------------------------------------------------------------------------------------
# settings for a month of data: goals shared out, one object per team
@dataclass(frozen=True)
class TeamSettings:
    """The settings in effect for one team (or ``"all"``, the organisation) in one month.

    ``goals``: goal key → monthly goal or None; ``goal_basis``: goal key → "team" (its own
    section), "organisation" (the organisation's goal itself), "shared" (its headcount share of
    the organisation's goal), "sum_of_teams" (the organisation: the teams' goals added up) or None.
    """

    team: str
    goals: MappingProxyType
    goal_basis: MappingProxyType
    answers: Answers
    phase: str | None
    industry: str | None
    headcount: int

    def goal(self, kpi_id: str) -> int | None:
        """The monthly goal of a KPI (``deals_created``, ``deals_won``, ``won_amount_jpy``), or None."""
        key = next((k for k, v in GOAL_KPIS.items() if v == kpi_id), None)
        return None if key is None else self.goals.get(key)

    def goal_targets(self) -> dict[str, int]:
        """``{kpi_id: monthly goal}`` of the goals that are set (team totals per month)."""
        return {GOAL_KPIS[k]: v for k, v in self.goals.items() if v is not None}

    def preset(self) -> dict[str, tuple[float, float]]:
        """The industry preset's ranges (``{kpi_id: (low, high)}``; empty without a preset)."""
        return industry_presets().get(self.industry, {}) if self.industry else {}

    def as_record(self) -> dict:
        """JSON-able values (for manifest.json and ``nb.record``)."""
        return {
            "goals": dict(self.goals),
            "goal_basis": dict(self.goal_basis),
            "answers": self.answers.text(),
            "phase": self.phase,
            "industry": self.industry,
            "headcount": self.headcount,
        }


@dataclass(frozen=True)
class Resolved:
    """Settings resolved for the teams of a month (:func:`resolve`)."""

    settings: Settings
    month: str
    by_team: MappingProxyType

    def team(self, team: str) -> TeamSettings:
        """The settings in effect for ``team`` (``"all"``: the organisation)."""
        if team not in self.by_team:
            raise KeyError(f"no settings resolved for team {team!r}; teams: {', '.join(self.by_team)}")
        return self.by_team[team]

    def phase_override(self, team: str) -> str | None:
        return self.settings.phase_override(team)

    def targets(self, given: str | Path | None = "") -> str:
        """The targets file to use: ``given`` (``--targets`` / the notebook parameter) when set,
        else the settings' ``targets_file``, else "" (the shipped targets)."""
        return str(given or self.settings.targets_file or "")

    def phase_answers(self, teams=None, *, given: dict | None = None) -> dict[str, str]:
        """Answers for :func:`phase.diagnose_teams` (``answers=``), every team of the month by default.

        ``given``: answers passed to the notebook directly (its ``fs_rules_established`` …
        parameters); one that is not empty or "unknown" wins over the settings file for that item.
        """
        out = self.settings.phase_answers([t for t in (teams or self.by_team) if t != "all"])
        for k, v in (given or {}).items():
            if k not in ANSWER_KEYS:
                raise SettingsError(f"answers keys must be among {ANSWER_KEYS}, got {k!r}")
            if isinstance(v, bool) or str(v).strip().lower() not in _UNKNOWN:
                out[k] = v
        return out

    def manifest(self) -> dict:
        """What ``manifest.json`` records: the file (path, sha256) and the values of every team."""
        s = self.settings
        return {
            "path": str(s.path) if s.path else "",
            "sha256": s.sha256 or "",
            "month": self.month,
            "targets_file": str(s.targets_file) if s.targets_file else "",
            "teams": {t: ts.as_record() for t, ts in self.by_team.items()},
        }


def headcounts(reps: pd.DataFrame, month: str) -> dict[str, int]:
    """Reps per team on the team in ``month`` (joined on or before its last day, not left before
    its first day; missing dates count as employed)."""
    p = pd.Period(month, "M")
    start, end = p.start_time.normalize(), p.end_time.normalize()
    joined = pd.to_datetime(reps["joined_on"]) if "joined_on" in reps else pd.Series(pd.NaT, index=reps.index)
    left = pd.to_datetime(reps["left_on"]) if "left_on" in reps else pd.Series(pd.NaT, index=reps.index)
    on = (joined.isna() | (joined <= end)) & (left.isna() | (left >= start))
    return {str(t): int(n) for t, n in on.groupby(reps["team_id"]).sum().items()}


def _largest_remainder(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Whole shares of ``total`` in proportion to ``weights`` that add up to ``total``."""
    w = sum(weights.values())
    if w <= 0:
        return {t: 0 for t in weights}
    exact = {t: total * x / w for t, x in weights.items()}
    out = {t: math.floor(v) for t, v in exact.items()}
    for t in sorted(exact, key=lambda t: (-(exact[t] - out[t]), t))[: total - sum(out.values())]:
        out[t] += 1
    return out


def _share_goal(key: str, org_goal, own: dict, heads: dict, where: str) -> tuple[dict, dict, int | None, str | None]:
    """One goal for every team: own values kept, the rest of the organisation's goal shared by
    headcount. Returns (team goals, team bases, organisation goal, organisation basis)."""
    goals = {t: own.get(t) for t in heads}
    basis = {t: ("team" if own.get(t) is not None else None) for t in heads}
    set_sum = sum(v for v in own.values() if v is not None)
    rest = [t for t in heads if own.get(t) is None]
    if org_goal is None:
        if rest:
            return goals, basis, None, None
        return goals, basis, set_sum, "sum_of_teams"
    if set_sum > org_goal or (not rest and set_sum != org_goal):
        raise SettingsError(
            f"{where}: the teams' own {key} add up to {set_sum:,}, but [organisation] {key} = {org_goal:,}: "
            f"the team goals must add up to at most the organisation's goal (exactly, when every team has one)"
        )
    for t, v in _largest_remainder(org_goal - set_sum, {t: heads[t] for t in rest}).items():
        goals[t], basis[t] = v, "shared"
    return goals, basis, org_goal, "organisation"


def resolve(settings: Settings, data, *, month: str) -> Resolved:
    """The settings in effect for every team of ``data`` (and ``"all"``) in ``month``.

    Team sections must name teams of the data (an unknown team is an error with a did-you-mean).
    Goals are shared out as the module docstring says, over every team of ``data``: pass the
    whole organisation's data (before ``filter(team=...)``), so a team's goal is its share of the
    organisation's.
    """
    where = str(settings.path) if settings.path else "settings"
    heads = headcounts(data.reps, month)
    known = sorted(heads)
    for team in settings.teams:
        if team not in heads:
            close = _did_you_mean(team, known)
            hint = f" (did you mean {close!r}?)" if close else ""
            line = (
                _Checker(settings.path, settings.path.read_text(encoding="utf-8")).line_of("teams", team)
                if settings.path
                else None
            )
            at = f"{where}, line {line}" if line else where
            raise SettingsError(f"{at}: [teams.{team}]: no such team in the data{hint}; teams: {', '.join(known)}")
    team_goals = {t: {} for t in heads}
    team_basis = {t: {} for t in heads}
    org_goals, org_basis = {}, {}
    for key in GOAL_KEYS:
        own = {t: getattr(settings.level(t), key) for t in heads}
        g, b, og, ob = _share_goal(key, getattr(settings.organisation, key), own, heads, where)
        for t in heads:
            team_goals[t][key], team_basis[t][key] = g[t], b[t]
        org_goals[key], org_basis[key] = og, ob

    def one(team, goals, basis, headcount):
        return TeamSettings(
            team=team,
            goals=MappingProxyType(goals),
            goal_basis=MappingProxyType(basis),
            answers=settings.answers(team),
            phase=settings.phase_override(team),
            industry=settings.industry(team),
            headcount=headcount,
        )

    by_team = {"all": one("all", org_goals, org_basis, sum(heads.values()))}
    by_team |= {t: one(t, team_goals[t], team_basis[t], heads[t]) for t in heads}
    return Resolved(settings=settings, month=month, by_team=MappingProxyType(by_team))


def for_notebook(settings: str | Path | None, data, *, month: str, data_dir=None) -> Resolved:
    """What a notebook's ``settings`` parameter means: the file it names, else ``settings.toml``
    beside the data, else no settings — resolved for ``data`` and ``month``."""
    path = find_settings(settings or None, data_dir=data_dir if data_dir is not None else data.data_dir)
    return resolve(load_settings(path) if path else Settings(), data, month=month)
