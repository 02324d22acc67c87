"""KPI dictionary and phase target templates (DESIGN §4).

The definitions live in ``kpis.toml`` and ``phase_targets.toml`` beside this module; nothing
else in the kit spells a KPI's label or target. Use :func:`label` for a reader-facing name,
:func:`get` for the whole definition and :func:`phase_targets` for a phase's target table.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import config
from .catalog import t

__all__ = [
    "TIERS",
    "UNITS",
    "DIRECTIONS",
    "PHASES",
    "PER",
    "KPI",
    "all_kpis",
    "get",
    "label",
    "tier_label",
    "dictionary_table",
    "phase_label",
    "phase_targets",
    "phase_months",
]

TIERS = ("behavioral", "tactical", "strategic")
UNITS = ("count", "rate", "minutes", "points", "jpy", "ratio")
DIRECTIONS = ("higher", "lower")
PHASES = ("launch", "growth", "mature")
PER = ("rep_day", "rep_month", "team_month", None)


@dataclass(frozen=True)
class KPI:
    """One KPI: id, labels, tier, unit, direction and formula (with rate parts if a rate)."""

    id: str
    label_ja: str
    label_en: str
    tier: str
    unit: str
    direction: str
    formula: str
    numerator: str | None = None
    denominator: str | None = None

    def label(self, lang: str = config.DEFAULT_LANG) -> str:
        _check_lang(lang)
        return getattr(self, f"label_{lang}")

    @property
    def is_rate(self) -> bool:
        return self.numerator is not None


def _check_lang(lang: str) -> None:
    config.check_option("lang", lang, config.LANGS)


@cache
def _dictionary(path: str = str(config.KPI_FILE)) -> dict[str, KPI]:
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for kpi_id, d in raw.items():
        kpi = KPI(id=kpi_id, **d)
        if kpi.tier not in TIERS or kpi.unit not in UNITS or kpi.direction not in DIRECTIONS:
            raise ValueError(f"{path}: KPI {kpi_id!r} has an unknown tier/unit/direction")
        out[kpi_id] = kpi
    return out


def all_kpis() -> dict[str, KPI]:
    """Every KPI in the dictionary, keyed by id, in dictionary order."""
    return dict(_dictionary())


def get(kpi_id: str) -> KPI:
    """The definition of one KPI; unknown ids raise ``KeyError`` listing the known ones."""
    d = _dictionary()
    if kpi_id not in d:
        raise KeyError(f"unknown KPI {kpi_id!r}; known: {', '.join(d)}")
    return d[kpi_id]


def label(kpi_id: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """Reader-facing label of a KPI in ``lang`` ('ja' or 'en')."""
    return get(kpi_id).label(lang)


def tier_label(tier: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """Reader-facing name of a KPI tier (``common.tier.<tier>`` in the catalog)."""
    _check_lang(lang)
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}, got {tier!r}")
    return t(f"common.tier.{tier}", lang=lang)


def dictionary_table(*, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """The dictionary as a tidy table: kpi_id, label, tier, unit, direction, formula."""
    return pd.DataFrame(
        [
            {
                "kpi_id": k.id,
                "label": k.label(lang),
                "tier": k.tier,
                "unit": k.unit,
                "direction": k.direction,
                "formula": k.formula,
            }
            for k in _dictionary().values()
        ]
    )


@cache
def _phase_file(path: str) -> dict:
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    phases = raw.get("phases", {})
    missing = [p for p in PHASES if p not in phases]
    if missing:
        raise ValueError(f"{path}: phase target file lacks phases {missing}")
    for phase, entries in phases.items():
        for kpi_id, spec in entries.items():
            if kpi_id in ("label_ja", "label_en", "months"):
                continue
            get(kpi_id)  # unknown KPI ids in a targets file are an error, not ignored
            if spec.get("per") not in PER:
                raise ValueError(f"{path}: [{phase}] {kpi_id}: per must be one of {PER}")
            if "target" not in spec and "low" not in spec and "high" not in spec:
                raise ValueError(
                    f"{path}: [{phase}] {kpi_id}: give a target, a range (low, high) or both; found {sorted(spec)}"
                )
            lo, hi = spec.get("low", -np.inf), spec.get("high", np.inf)
            if lo > hi:
                raise ValueError(f"{path}: [{phase}] {kpi_id}: low {lo} is above high {hi}; swap them")
            if not isinstance(spec.get("judged", True), bool):
                raise ValueError(f"{path}: [{phase}] {kpi_id}: judged must be true or false, got {spec['judged']!r}")
    return phases


def phase_label(phase: str, *, lang: str = config.DEFAULT_LANG) -> str:
    _check_lang(lang)
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, got {phase!r}")
    return _phase_file(str(config.PHASE_TARGETS_FILE))[phase][f"label_{lang}"]


def phase_targets(
    phase: str | None = None, *, targets_file: str | Path | None = None, lang: str = config.DEFAULT_LANG
) -> pd.DataFrame:
    """Phase target table(s) from the seed's template (or a user-edited copy).

    Returns
    -------
    DataFrame with columns
        phase, kpi_id, label, tier, unit, direction, target, per, importance, low, high, judged.
        ``per`` is rep_day / rep_month / team_month for counts and amounts, None for levels.
        ``target`` is NaN for a KPI the seed gives only as a range (``low``–``high``; NaN when
        no range); ``judged`` False = a reference value (参考値, measured but not judged).
        The verdict rules and the preset/goal layers are in :func:`targets.target_table`.
    """
    if phase is not None and phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, got {phase!r}")
    phases = _phase_file(str(targets_file or config.PHASE_TARGETS_FILE))
    rows = []
    for ph in PHASES if phase is None else (phase,):
        for kpi_id, spec in phases[ph].items():
            if kpi_id in ("label_ja", "label_en", "months"):
                continue
            k = get(kpi_id)
            rows.append(
                {
                    "phase": ph,
                    "kpi_id": kpi_id,
                    "label": k.label(lang),
                    "tier": k.tier,
                    "unit": k.unit,
                    "direction": k.direction,
                    "target": float(spec.get("target", np.nan)),
                    "per": spec.get("per"),
                    "importance": int(spec.get("importance", 1)),
                    "low": float(spec.get("low", np.nan)),
                    "high": float(spec.get("high", np.nan)),
                    "judged": bool(spec.get("judged", True)),
                }
            )
    return pd.DataFrame(rows)


def phase_months(phase: str) -> tuple[int, int]:
    """Months since launch that the seed associates with a phase (start inclusive)."""
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, got {phase!r}")
    lo, hi = _phase_file(str(config.PHASE_TARGETS_FILE))[phase]["months"]
    return int(lo), int(hi)
