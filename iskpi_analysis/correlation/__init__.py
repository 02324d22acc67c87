"""Activity ↔ efficiency KPI correlation (DESIGN §5 "Repeated measures", issue 3).

The seed's step from launch to growth: keep the activity KPIs, add the efficiency KPIs as
reference values, monitor both for a month, analyse how they correlate, then set targets on the
efficiency KPIs. This module is that analysis. It works on a rep-period table (one row per rep ×
day or week, ``aggregate.rep_period``) and reports, for every pair, side by side:

``within``
    Repeated-measures correlation (Bakdash & Marusich 2017; Bland & Altman 1995): each rep's
    own mean is removed from x and y, and the Pearson correlation of the centred values is taken.
    It is the partial correlation from the ANCOVA ``y ~ rep + x`` with a common slope, so its
    degrees of freedom are ``n_obs - n_reps - 1``; p from the t distribution with those degrees
    of freedom, 95 % CI by Fisher's z with standard error ``1 / sqrt(dof - 1)``. Answers "when
    *this rep* does more, does their rate move?".
``within_spearman``
    The same on ranks taken inside each rep (a robustness check against outlying periods);
    CI with Fieller's ``sqrt(1.06 / (dof - 1))``.
``between``
    One point per rep: counts as the rep's mean per period, rates as the rep's ratio of sums over
    the periods; Pearson r, ``dof = n_reps - 2``. Answers "do reps who do more have other rates?".
``pooled``
    Pearson r on all rep-periods ignoring who they belong to (what a plain scatter plot shows).

Benjamini–Hochberg adjusted p-values are computed across the whole matrix, one family per level
and lag. ``simpson`` flags a pair whose within-rep correlation has the opposite sign of the
between-rep or pooled one; ``mechanical`` flags a pair that is partly mechanical because both
sides are computed from a common count (a rate against its own numerator or denominator).

What the report may claim (issue 11)
    *Deal dating.* Deals are created days after the appointment, so a deal counted on its
    created date sits in another day (or week) than the leads it came from: deal conversion
    (deals / leads handled) then falls on busy days and "rises the week after a busy week" by
    arithmetic. Notebook 03 therefore counts each deal on the day of the appointment call that
    produced it (``aggregate.rep_period(..., deal_date="appointment")``).
    *Built-in pairs.* A pair whose relation is arithmetic — a rate against its own numerator or
    a count below it in the funnel ('numerator'), against a count that feeds its denominator
    through a derived count ('proxy': calls and e-mails vs deal conversion, because leads
    handled ≈ leads called) or two sides sharing a count ('shared') — is shown in the tables
    with a caution but is never a headline, a findings sentence about behaviour or target
    advice (:data:`ARITHMETIC_KINDS`). A rate against its own denominator ('denominator': calls
    vs connect rate) is the volume–efficiency question itself and stays claimable: its numerator
    counts outcomes of the same period's trials, so without an effect it does not move with the
    count.
    *Claim level.* One verdict per row (:func:`verdicts`) feeds every sentence, headline card
    and advice: a relation is claimed only when its BH-adjusted p is below ``claim_alpha``
    (:data:`CLAIM_ALPHA` = 0.01; the tables mark ``alpha`` = 0.05), so that on data with no
    effect 03 claims something in at most ~2 % of data sets (its share of the whole report's
    5 %; measured by ``benchmarks/bench_null_correlation.py`` through :func:`claims`).

Where things live
    :mod:`.rmcorr` the repeated-measures correlation and the inference on r; :mod:`.pairs` the
    KPI sets and the arithmetic ('mechanical') kinds of a pair; :mod:`.analysis` the analysis and
    its verdicts (language-neutral); :mod:`.plan` what the findings say, one language-neutral
    record per sentence (catalog key + arguments; :func:`claimed` for the calibration);
    :mod:`.narrative` the sentences, headline cards and labelled tables, every text from the
    catalog (``messages/<lang>/correlation.toml``).
"""

from __future__ import annotations

from .analysis import (
    CERTAINTIES,
    CLAIM_ALPHA,
    FINDING_PARTS,
    GRAINS,
    KINDS,
    LAG_LEVELS,
    LEVELS,
    RESULT_COLUMNS,
    VERDICTS,
    certainty,
    exclusions,
    headline_figures,
    infer_grain,
    kgi_states,
    kpi_correlations,
    pair_points,
    pair_table,
    select_window,
    strongest_pairs,
    verdicts,
)
from .narrative import (
    STATEMENT_COLUMNS,
    claims,
    describe_window,
    findings,
    format_exclusions,
    format_pair_table,
    headline,
    level_label,
    period_word,
    render,
    statements,
)
from .pairs import (
    ACTIVITY_KPIS,
    ARITHMETIC_KINDS,
    EFFICIENCY_KPIS,
    KGI_KPIS,
    MECHANICAL_KINDS,
    is_mechanical,
    mechanical_kind,
)
from .plan import PLAN_COLUMNS, claimed, statement_plan
from .rmcorr import rm_corr

__all__ = [
    "ACTIVITY_KPIS",
    "EFFICIENCY_KPIS",
    "KGI_KPIS",
    "MECHANICAL_KINDS",
    "ARITHMETIC_KINDS",
    "LEVELS",
    "LAG_LEVELS",
    "KINDS",
    "GRAINS",
    "CLAIM_ALPHA",
    "VERDICTS",
    "CERTAINTIES",
    "RESULT_COLUMNS",
    "STATEMENT_COLUMNS",
    "PLAN_COLUMNS",
    "FINDING_PARTS",
    "rm_corr",
    "mechanical_kind",
    "is_mechanical",
    "infer_grain",
    "select_window",
    "kpi_correlations",
    "pair_table",
    "strongest_pairs",
    "pair_points",
    "exclusions",
    "verdicts",
    "certainty",
    "kgi_states",
    "headline_figures",
    "statement_plan",
    "claimed",
    "level_label",
    "period_word",
    "format_pair_table",
    "format_exclusions",
    "describe_window",
    "render",
    "statements",
    "findings",
    "headline",
    "claims",
]
