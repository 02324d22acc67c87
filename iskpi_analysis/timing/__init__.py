"""Time of day and weekday: when do calls connect, and is the difference real? (issue 4)

Everything works on *call buckets*: counts of calls, connects, valid conversations and
appointments per rep × weekday × hour in local time. Business days only by default (weekends and
Japanese national holidays excluded). Metrics: ``connect_rate`` = connects / calls,
``conversation_rate`` = valid conversations / connects (KPI dictionary definitions) and
``appointments_per_call`` = appointments / calls.

Where things live
    :mod:`.counts` the call buckets (:func:`call_counts`, the one hot counting step), raw rates
    with Wilson intervals (:func:`rate_table`, :func:`overall_rate`) and the chi-square of the raw
    counts (:func:`chi_square`; recorded, never decides: the rep mix drives it);
    :mod:`.model` the logistic fit on aggregated counts (:func:`fit_binomial`, IRLS on the normal
    equations) and the likelihood-ratio test (:func:`lr_test`);
    :mod:`.rules` the claim rule: its thresholds (:class:`Rules`, passed as ``rules=``) and the
    verdict of one level (:func:`verdict`);
    :mod:`.effects` hour and weekday effects with the rep held fixed, each level against the
    median level (:func:`adjusted_effects`, :func:`factor_tests`);
    :mod:`.windows` **the** rule for a reliable calling window (:func:`reliable_windows`, which 04
    and 02 both call; :func:`recommended_windows` is one scope of it);
    :mod:`.breakdowns` rates by lead source / segment / role / attempt number;
    :mod:`.analysis` all of it for one metric (:func:`analyze` → :class:`TimingResult`,
    language-neutral); :mod:`.claims` what the page claims (empty on null data);
    :mod:`.labels`, :mod:`.tables` and :mod:`.narrative` the words: labels, display tables,
    sentences and headline cards, every text from the catalog (``messages/<lang>/timing.toml``).

Examples
--------
>>> from iskpi_analysis import timing
>>> res = timing.analyze(data, metric="connect_rate", rules=timing.Rules(min_trials=50))  # doctest: +SKIP
>>> timing.findings(res, lang="en")  # doctest: +SKIP
"""

from __future__ import annotations

from .analysis import TimingResult, analyze
from .breakdowns import BREAKDOWNS, attempt_numbers, available_breakdowns, breakdown
from .claims import CLAIM_COLUMNS, claims
from .counts import COUNT_COLUMNS, FACTORS, METRICS, call_counts, chi_square, overall_rate, rate_table
from .effects import EFFECT_COLUMNS, TEST_COLUMNS, adjusted_effects, factor_tests
from .labels import (
    attempt_label,
    column_labels,
    effect_label,
    group_label,
    hour_label,
    hour_windows,
    level_label,
    metric_label,
    period_label,
    pts,
    pts_ci,
    rate_ci_text,
    verdict_label,
    weekday_label,
)
from .model import _design as _design  # the design matrix: tests check the fit against statsmodels
from .model import binomial_deviance, fit_binomial, lr_test
from .narrative import findings, headline, missing_breakdowns_note, scope_note
from .rules import CLAIM_ALPHA, EFFECT_VERDICTS, MIN_RELATIVE_LIFT, REASONS, RULES, Rules, verdict
from .tables import (
    SUMMARY_COLUMNS,
    breakdown_table,
    effects_table,
    hourly_table,
    rep_team_names,
    windows_summary,
    windows_table,
)
from .windows import SCOPES, VERDICTS, WINDOW_COLUMNS, recommended_windows, reliable_windows, window_hours

__all__ = [
    # data and raw rates
    "METRICS",
    "COUNT_COLUMNS",
    "FACTORS",
    "call_counts",
    "rate_table",
    "overall_rate",
    "chi_square",
    # the model and the rule
    "fit_binomial",
    "binomial_deviance",
    "lr_test",
    "CLAIM_ALPHA",
    "MIN_RELATIVE_LIFT",
    "REASONS",
    "EFFECT_VERDICTS",
    "Rules",
    "RULES",
    "verdict",
    # analyses (language-neutral)
    "EFFECT_COLUMNS",
    "TEST_COLUMNS",
    "adjusted_effects",
    "factor_tests",
    "SCOPES",
    "VERDICTS",
    "WINDOW_COLUMNS",
    "reliable_windows",
    "recommended_windows",
    "window_hours",
    "BREAKDOWNS",
    "available_breakdowns",
    "attempt_numbers",
    "breakdown",
    "TimingResult",
    "analyze",
    "CLAIM_COLUMNS",
    "claims",
    # words (every text from the catalog)
    "metric_label",
    "column_labels",
    "verdict_label",
    "effect_label",
    "hour_label",
    "weekday_label",
    "level_label",
    "attempt_label",
    "group_label",
    "hour_windows",
    "period_label",
    "pts",
    "pts_ci",
    "rate_ci_text",
    "SUMMARY_COLUMNS",
    "rep_team_names",
    "windows_summary",
    "windows_table",
    "hourly_table",
    "effects_table",
    "breakdown_table",
    "findings",
    "headline",
    "scope_note",
    "missing_breakdowns_note",
]
