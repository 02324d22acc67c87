"""The whole time-of-day analysis for one metric: :func:`analyze` → :class:`TimingResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import config
from .counts import FACTORS, METRICS, _as_counts, chi_square, overall_rate, rate_table
from .effects import TEST_COLUMNS, adjusted_effects, factor_tests
from .rules import RULES, Rules
from .windows import reliable_windows

__all__ = ["TimingResult", "analyze"]

_check = config.check_option


@dataclass
class TimingResult:
    """Everything the notebook shows for one metric (see :func:`analyze`); language-neutral.

    ``tests``: :func:`factor_tests` (does the hour / weekday matter, rep held fixed) — the
    headline verdict; ``rules``: the thresholds every verdict was judged with (``claim_alpha``:
    the level those tests must pass before any hour or weekday is claimed)."""

    metric: str
    include_non_business: bool
    counts: pd.DataFrame
    overall: dict
    by_hour: pd.DataFrame
    by_weekday: pd.DataFrame
    by_cell: pd.DataFrame
    chi2: pd.DataFrame
    effects: pd.DataFrame
    windows: pd.DataFrame
    info: dict = field(default_factory=dict)
    tests: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TEST_COLUMNS))
    rules: Rules = RULES

    @property
    def min_trials(self) -> int:
        return self.rules.min_trials

    @property
    def alpha(self) -> float:
        return self.rules.alpha

    @property
    def claim_alpha(self) -> float:
        return self.rules.claim_alpha

    @property
    def min_relative_lift(self) -> float:
        return self.rules.min_relative_lift

    def hour_test(self) -> dict:
        """The adjusted test of the hour factor: dict with p_val, adjusted_for, shown."""
        t = self.tests.set_index("factor")
        if "hour" not in t.index:
            return {"p_val": np.nan, "adjusted_for": "", "shown": False}
        return t.loc["hour"].to_dict()


def _one_verdict_per_hour(effects: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """The hour rows of ``effects`` take the whole-data windows' p_adj, verdict and reason (the
    same tests, corrected in the same family), so every view shows one verdict per hour."""
    w_all = windows[windows["scope"] == "all"].set_index("hour")
    if not len(w_all):
        return effects
    hour_rows = effects["factor"] == "hour"
    for col, src in (("p_adj", "p_adj"), ("verdict", "effect_verdict"), ("reason", "reason")):
        mapped = effects.loc[hour_rows, "level"].map(w_all[src])
        effects.loc[hour_rows, col] = mapped.fillna(effects.loc[hour_rows, col]).to_numpy()
    return effects


def analyze(
    data,
    *,
    metric: str = "connect_rate",
    rules: Rules = RULES,
    include_non_business: bool = False,
    per_team: bool = True,
    per_rep: bool = True,
    counts: pd.DataFrame | None = None,
) -> TimingResult:
    """Run the whole time-of-day analysis for one metric.

    ``counts`` (a :func:`call_counts` table) can be passed to reuse one counting pass across
    metrics. Windows come from :func:`reliable_windows` (the whole data, each team when there are
    several, each rep whose denominator reaches ``rules.min_rep_trials``); the hour verdicts of
    ``effects`` are the windows' verdicts of the whole data, so the chart, the effects table, the
    windows table and the sentences show one verdict per hour.
    """
    _check("metric", metric, METRICS)
    if counts is None:
        counts = _as_counts(data, ("rep_id", "weekday", "hour"), include_non_business)
    windows = reliable_windows(counts, metric=metric, rules=rules, per_team=per_team, per_rep=per_rep)
    effects = _one_verdict_per_hour(adjusted_effects(counts, metric=metric, rules=rules), windows)
    kw = dict(metric=metric, min_trials=rules.min_trials)
    rep_windows = int((windows["scope"] == "rep").groupby(windows["group"]).any().sum()) if len(windows) else 0
    return TimingResult(
        metric=metric,
        include_non_business=include_non_business,
        counts=counts,
        overall=overall_rate(counts, metric=metric),
        by_hour=rate_table(counts, by="hour", **kw),
        by_weekday=rate_table(counts, by="weekday", **kw),
        by_cell=rate_table(counts, by=("weekday", "hour"), **kw),
        chi2=pd.concat([chi_square(counts, factor=f, **kw) for f in FACTORS], ignore_index=True),
        effects=effects,
        windows=windows,
        info={"reps": int(counts["rep_id"].nunique()) if "rep_id" in counts.columns else 0, "rep_windows": rep_windows},
        tests=factor_tests(effects, rules=rules),
        rules=rules,
    )
