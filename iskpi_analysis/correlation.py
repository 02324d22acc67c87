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
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

from . import config, fmt, io, kpis
from .catalog import t
from .stats import bh_adjust

#: Activity (behavioural) KPIs: counts per rep-period.
ACTIVITY_KPIS = ("calls", "connects", "valid_conversations", "emails_sent", "appointments")
#: Efficiency (tactical) KPIs: rates, each a ratio of sums of two count columns.
EFFICIENCY_KPIS = ("connect_rate", "conversation_rate", "appointment_rate", "deal_conversion",
                   "email_reply_rate")
#: The KGI: what the KPIs are supposed to move.
KGI_KPIS = ("deals_created", "deal_amount_jpy")
LEVELS = ("within", "within_spearman", "between", "pooled")
LAG_LEVELS = ("within", "within_spearman")
KINDS = ("activity_efficiency", "kpi_kgi")
GRAINS = ("day", "week", "month")

#: Columns that are computed from other counts: a deal amount is a sum over the deals created;
#: leads handled are the distinct leads a rep called or e-mailed, so calls and e-mails drive the
#: denominator of deal conversion.
_DERIVED_FROM = {"deal_amount_jpy": ("deals_created",), "leads_handled": ("calls", "emails_sent")}
#: Funnel subsets: each count is a subset of its parent (a connect is a call that reached the
#: person, a valid conversation a connect of 2 minutes or more, a deal an appointment handed to
#: field sales, …), so it scales with every count above it.
_FUNNEL_PARENT = {"connects": "calls", "valid_conversations": "connects",
                  "appointments": "valid_conversations", "deals_created": "appointments",
                  "decision_maker_connects": "connects", "emails_opened": "emails_sent",
                  "emails_clicked": "emails_sent", "emails_replied": "emails_sent"}
MECHANICAL_KINDS = ("numerator", "denominator", "proxy", "shared", "")
#: Kinds whose relation is arithmetic by construction (not a question about behaviour): never a
#: headline, a findings sentence about behaviour, or target advice (tables show them, marked).
ARITHMETIC_KINDS = ("numerator", "proxy", "shared")
#: BH-adjusted p a relation needs before a sentence, headline or advice claims it (the tables'
#: significance marks use ``alpha``). Stricter than ``alpha`` because the report makes many
#: claims at once: 03 has its own share of the report's false-claim budget on null data.
CLAIM_ALPHA = 0.01
#: What a result row says, decided once (:func:`verdicts`) and used by every sentence, headline
#: and claim: 'rises' / 'falls' (claimed: p_adj < claim_alpha), 'indicative' (the 95 % CI
#: excludes 0 or p_adj < alpha, but not strong enough to claim), 'none' (CI includes 0),
#: 'built_in' (arithmetic pair) and 'too_few' (no r).
VERDICTS = ("rises", "falls", "indicative", "none", "built_in", "too_few")

RESULT_COLUMNS = ["x", "y", "kind", "lag", "level", "r", "ci_low", "ci_high", "dof", "p_val",
                  "p_adj", "significant", "n_obs", "n_reps", "n_excluded", "mechanical",
                  "mechanical_kind", "simpson", "flag", "note"]


# --------------------------------------------------------------------------- primitives
def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")


def _r_inference(r: float, dof: int, *, se: float, confidence: float):
    """p (t test with ``dof``) and Fisher-z CI with standard error ``se``."""
    if not np.isfinite(r) or dof < 1:
        return np.nan, np.nan, np.nan
    rr = float(np.clip(r, -1.0, 1.0))
    if abs(rr) >= 1.0:
        p = 0.0
    else:
        t = rr * np.sqrt(dof / (1.0 - rr**2))
        p = float(2 * _st.t.sf(abs(t), dof))
    if np.isfinite(se) and se > 0:
        z = np.arctanh(np.clip(rr, -0.9999999, 0.9999999))
        crit = _st.norm.ppf(0.5 + confidence / 2)
        lo, hi = float(np.tanh(z - crit * se)), float(np.tanh(z + crit * se))
    else:
        lo = hi = np.nan
    return p, lo, hi


def _centre(v: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    sums = np.bincount(codes, weights=v, minlength=k)
    cnt = np.bincount(codes, minlength=k)
    return v - (sums / np.maximum(cnt, 1))[codes]


def _rank_within(v: np.ndarray, codes: np.ndarray) -> np.ndarray:
    return pd.Series(v).groupby(codes).rank(method="average").to_numpy(dtype=float)


def _rm_arrays(x, y, subject, *, rank: bool = False, confidence: float = 0.95) -> dict:
    """Repeated-measures correlation on aligned arrays (NaN rows dropped, reps with <2 obs dropped)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    s = pd.Series(np.asarray(subject)).reset_index(drop=True)
    ok = np.isfinite(x) & np.isfinite(y) & s.notna().to_numpy()
    x, y, s = x[ok], y[ok], s[ok]
    counts = s.map(s.value_counts())
    keep = (counts >= 2).to_numpy()
    x, y, s = x[keep], y[keep], s[keep]
    codes, uniq = pd.factorize(s)
    k, n = len(uniq), len(x)
    dof = n - k - 1
    out = {"r": np.nan, "dof": max(dof, 0), "p_val": np.nan, "ci_low": np.nan, "ci_high": np.nan,
           "n_obs": n, "n_reps": k, "slope": np.nan, "note": ""}
    if k < 2 or dof < 2:
        out["note"] = "too_few"
        return out
    if rank:
        x, y = _rank_within(x, codes), _rank_within(y, codes)
    xc, yc = _centre(x, codes, k), _centre(y, codes, k)
    sxx, syy, sxy = float(xc @ xc), float(yc @ yc), float(xc @ yc)
    if sxx <= 1e-12 * max(1.0, float(x @ x)) or syy <= 1e-12 * max(1.0, float(y @ y)):
        out["note"] = "no_variation"
        return out
    r = sxy / np.sqrt(sxx * syy)
    se = np.sqrt((1.06 if rank else 1.0) / (dof - 1))
    p, lo, hi = _r_inference(r, dof, se=se, confidence=confidence)
    out.update(r=float(r), p_val=p, ci_low=lo, ci_high=hi, slope=sxy / sxx)
    return out


def _pearson_arrays(x, y, *, confidence: float = 0.95) -> dict:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = len(x)
    out = {"r": np.nan, "dof": max(n - 2, 0), "p_val": np.nan, "ci_low": np.nan,
           "ci_high": np.nan, "n_obs": n, "note": ""}
    if n < 4:
        out["note"] = "too_few"
        return out
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        out["note"] = "no_variation"
        return out
    r = float(np.corrcoef(x, y)[0, 1])
    p, lo, hi = _r_inference(r, n - 2, se=1 / np.sqrt(n - 3), confidence=confidence)
    out.update(r=r, p_val=p, ci_low=lo, ci_high=hi)
    return out


def rm_corr(data: pd.DataFrame, *, x: str, y: str, subject: str,
            confidence: float = 0.95) -> pd.DataFrame:
    """Repeated-measures correlation (Bland & Altman 1995; Bakdash & Marusich 2017).

    Each subject's mean is removed from ``x`` and ``y``; r is the Pearson correlation of the
    centred values (equal to the partial correlation of ``x`` and ``y`` in the ANCOVA
    ``y ~ C(subject) + x``). Rows with a missing value are dropped; subjects with fewer than two
    observations carry no within-subject information and are dropped.

    Parameters
    ----------
    data : DataFrame in long format.
    x, y : numeric columns.
    subject : column identifying the repeated unit (the rep).
    confidence : level of the confidence interval.

    Returns
    -------
    DataFrame with one row and columns
        r : repeated-measures correlation coefficient.
        dof : degrees of freedom, ``n_obs - n_reps - 1``.
        p_val : two-sided p-value (t test with ``dof`` degrees of freedom).
        ci_low, ci_high : Fisher-z confidence interval, standard error ``1/sqrt(dof - 1)``.
        n_obs : observations used.
        n_reps : subjects used.
        slope : common within-subject slope of y on x.
    """
    _check_confidence(confidence)
    for c in (x, y, subject):
        if c not in data.columns:
            raise ValueError(f"column {c!r} is not in data; columns: {list(data.columns)}")
    for c in (x, y):
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise ValueError(f"column {c!r} must be numeric")
    res = _rm_arrays(data[x], data[y], data[subject], confidence=confidence)
    if res["n_reps"] < 3 and res["note"] == "":
        res["note"] = "fewer than 3 subjects"
    return pd.DataFrame([{k: res[k] for k in ("r", "dof", "p_val", "ci_low", "ci_high",
                                               "n_obs", "n_reps", "slope")}])


# --------------------------------------------------------------------------- preparation
def infer_grain(data: pd.DataFrame, *, subject: str = "rep_id") -> str:
    """'day', 'week' or 'month' from a rep-period table (day grain carries ``business_day``)."""
    if "business_day" in data.columns:
        return "day"
    per = pd.to_datetime(data["period"])
    diffs = per.groupby(data[subject]).diff().dropna()
    if len(diffs) == 0:
        return "week"
    return "month" if diffs.median() >= pd.Timedelta(days=28) else "week"


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")


def select_window(data: pd.DataFrame, *, month: str, months: int = 1, grain: str | None = None,
                  business_days_only: bool = True) -> pd.DataFrame:
    """Rows of a rep-period table inside the ``months`` calendar months ending with ``month``.

    Week grain keeps only whole weeks (Monday to Sunday) lying inside the window, so a week cut by
    the window edge does not look like a low-activity week. Day grain keeps business days only
    unless ``business_days_only=False``.

    Returns
    -------
    The selected rows (same columns), sorted by subject and period.
    """
    grain = grain or infer_grain(data)
    _check_grain(grain)
    start, end = io.month_bounds(month, months)
    per = pd.to_datetime(data["period"])
    if grain == "week":
        keep = (per >= start) & (per + pd.Timedelta(days=7) <= end)
    else:
        keep = (per >= start) & (per < end)
    if grain == "day" and business_days_only and "business_day" in data.columns:
        keep &= data["business_day"].astype(bool)
    out = data.loc[keep]
    sort = [c for c in ("rep_id", "period") if c in out.columns]
    return out.sort_values(sort).reset_index(drop=True)


def _kpi(kpi_id: str):
    return kpis.all_kpis().get(kpi_id)


def _expand(count: str) -> set[str]:
    """A count and the counts it is computed from (not its funnel parents)."""
    out = {count}
    for d in _DERIVED_FROM.get(count, ()):
        out |= _expand(d)
    return out


def _ancestry(count: str) -> set[str]:
    """A count, what it is computed from, and every funnel count above them."""
    out = set()
    for c in _expand(count):
        while c is not None:
            out |= _expand(c)
            c = _FUNNEL_PARENT.get(c)
    return out


def _count_vs_rate(count: str, rate, funnel: bool) -> str:
    num, den = rate.numerator, rate.denominator
    if count in _expand(num) or num in _expand(count):
        return "numerator"
    if count in _expand(den):
        return "denominator" if count == den else "proxy"
    if not funnel:
        return ""
    anc_count, anc_num = _ancestry(count), _ancestry(num)
    if num in anc_count:  # the count lies below the numerator: it grows with it
        return "numerator"
    if count in anc_num:  # the numerator lies below the count: it grows with the count …
        # … unless the denominator sits between them and takes the count's scale out again
        # (calls against conversation rate = valid conversations / connects).
        between = den in anc_num and count in _ancestry(den)
        return "" if between else "numerator"
    if den in anc_count:
        return "denominator"
    return ""


def mechanical_kind(x: str, y: str, *, funnel: bool = True) -> str:
    """How a pair is tied by arithmetic rather than behaviour.

    'numerator'
        One side is a rate and the other grows with its numerator by construction: connects
        against connect rate, valid conversations (a subset of connects) against connect rate,
        appointments against deal conversion (deals come out of appointments). Positive by
        construction; says nothing about behaviour.
    'denominator'
        One side is a rate and the other is its denominator: calls against connect rate, the
        volume–efficiency question itself. The numerator counts outcomes of the denominator's
        own trials in the same period (connects are calls that connected), so without a real
        effect the rate does not move with the count; reported and claimable, with a caution.
    'proxy'
        One side is a rate and the other feeds its denominator through a derived count: calls
        and e-mails against deal conversion (deals / distinct leads handled, and leads handled
        ≈ leads called). How many distinct leads a day's calls reach, and when the deals of those
        leads appear, move the rate with the count by construction: arithmetic, never claimed.
    'shared'
        Two counts built from a common count (deal amount and deals created), or two rates
        with a common part.
    ''
        No shared count.

    ``funnel=False`` ignores funnel subsets and looks only at the counts a KPI is computed from;
    :func:`kpi_correlations` uses it for KPI × KGI pairs, where "do connects turn into deals?" is
    the question asked, not an artefact.

    Returns
    -------
    One of :data:`MECHANICAL_KINDS`.
    """
    kx, ky = _kpi(x), _kpi(y)
    rate_x, rate_y = bool(kx and kx.is_rate), bool(ky and ky.is_rate)
    if rate_x and rate_y:
        parts = lambda k: _expand(k.numerator) | _expand(k.denominator)  # noqa: E731
        return "shared" if parts(kx) & parts(ky) else ""
    if rate_x or rate_y:
        return _count_vs_rate(y if rate_x else x, kx if rate_x else ky, funnel)
    return "shared" if _expand(x) & _expand(y) else ""


def is_mechanical(x: str, y: str) -> bool:
    """True when the pair shares a count (a rate against its own numerator or denominator)."""
    return mechanical_kind(x, y) != ""


def _denominator(kpi_id: str) -> str | None:
    k = _kpi(kpi_id)
    return k.denominator if k is not None and k.is_rate else None


def _active(data: pd.DataFrame) -> pd.Series:
    cols = [c for c in ("calls", "emails_sent") if c in data.columns]
    if not cols:
        return pd.Series(True, index=data.index)
    return data[cols].fillna(0).sum(axis=1) > 0


def _values(data: pd.DataFrame, kpi_id: str, min_denominator: float):
    """(values, excluded mask): a rate whose denominator is below the minimum is excluded."""
    v = pd.to_numeric(data[kpi_id], errors="coerce").astype(float).to_numpy()
    den = _denominator(kpi_id)
    if den is not None and den in data.columns:
        d = pd.to_numeric(data[den], errors="coerce").fillna(0).to_numpy(dtype=float)
        excl = d < max(min_denominator, 1)
    elif den is not None:
        excl = ~np.isfinite(v)
    else:
        excl = np.zeros(len(v), dtype=bool)
    v = np.where(excl, np.nan, v)
    return v, excl


def _next_mask(data: pd.DataFrame, grain: str, subject: str) -> np.ndarray:
    """Rows whose next row (same subject) is the next period: the pair t -> t+1 exists."""
    per = pd.to_datetime(data["period"])
    nxt = per.groupby(data[subject]).shift(-1)
    if grain == "week":
        ok = (nxt - per) == pd.Timedelta(days=7)
    elif grain == "month":
        ok = nxt == per + pd.offsets.MonthBegin(1)
    else:  # day grain is zero-filled over business days: the next row is the next working day
        ok = nxt.notna()
    return ok.fillna(False).to_numpy(dtype=bool)


def _lead(data: pd.DataFrame, arr: np.ndarray, subject: str) -> np.ndarray:
    return pd.Series(arr, index=data.index).groupby(data[subject]).shift(-1).to_numpy()


def _rep_level(data: pd.DataFrame, kpi_id: str, subject: str) -> pd.Series:
    """One value per rep: a rate as ratio of sums, a count as mean per period."""
    k = _kpi(kpi_id)
    g = data.groupby(subject, sort=True)
    if k is not None and k.is_rate and k.numerator in data and k.denominator in data:
        num = g[k.numerator].sum().astype(float)
        den = g[k.denominator].sum().astype(float)
        return num.where(den > 0) / den.where(den > 0), den
    return g[kpi_id].mean().astype(float), None


# --------------------------------------------------------------------------- the analysis
def kpi_correlations(data: pd.DataFrame, *, activity=ACTIVITY_KPIS, efficiency=EFFICIENCY_KPIS,
                     kgi=KGI_KPIS, subject: str = "rep_id", grain: str | None = None,
                     min_denominator: float = 10, lag: bool = True, drop_inactive: bool = True,
                     alpha: float = 0.05, simpson_min_r: float = 0.1,
                     confidence: float = 0.95) -> pd.DataFrame:
    """Correlation of every activity KPI with every efficiency KPI, and of each KPI with the KGI.

    Parameters
    ----------
    data : rep-period table (``aggregate.rep_period``; one row per rep × period).
    activity, efficiency, kgi : KPI ids (columns of ``data``). Pairs whose columns are absent are
        left out; pairs the data cannot support (too few rows, no variation) keep a row with
        ``r`` NaN and a ``note``.
    subject : the repeated unit (rep).
    grain : 'day', 'week' or 'month'; inferred from ``data`` when None (for the lag).
    min_denominator : a rate in a rep-period whose denominator (calls for connect rate, …) is
        below this is too noisy and is left out of every pair that uses it; the count is
        reported in ``n_excluded``.
    lag : also correlate x in period t with y in period t+1 of the same rep (within levels).
    drop_inactive : leave out rep-periods with no calls and no e-mails (days off).
    alpha : level for ``significant`` (on ``p_adj``) and the Simpson check.
    simpson_min_r : both correlations must be at least this large in size for a sign
        disagreement to be flagged.
    confidence : level of the confidence intervals.

    Returns
    -------
    Tidy DataFrame, one row per pair × lag × level, with columns
        x, y : KPI ids (x = activity or KPI, y = efficiency KPI or KGI).
        kind : 'activity_efficiency' or 'kpi_kgi'.
        lag : 0 (same period) or 1 (x in t, y in t+1).
        level : 'within', 'within_spearman', 'between' or 'pooled' (see the module docstring).
        r : correlation coefficient.
        ci_low, ci_high : confidence interval of r.
        dof : degrees of freedom of the test.
        p_val : two-sided p-value.
        p_adj : Benjamini–Hochberg adjusted p across all pairs of the same level and lag.
        significant : p_adj < alpha.
        n_obs : observations used (rep-periods; reps for 'between').
        n_reps : reps contributing.
        n_excluded : observations (reps for 'between') left out because a rate's denominator is
            below ``min_denominator``.
        mechanical : the pair shares a count, so part of the relation is arithmetic.
        simpson : the within-rep sign disagrees with the between-rep or pooled sign (lag 0).
        flag : 'mechanical', 'simpson', both joined by ';', or ''.
        note : why r is missing ('too_few', 'no_variation'), else ''.
    """
    _check_confidence(confidence)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if min_denominator < 0:
        raise ValueError(f"min_denominator must be >= 0, got {min_denominator}")
    for c in (subject, "period"):
        if c not in data.columns:
            raise ValueError(f"data lacks column {c!r}; pass a rep-period table "
                             "(aggregate.rep_period)")
    grain = grain or infer_grain(data, subject=subject)
    _check_grain(grain)

    d = data.sort_values([subject, "period"]).reset_index(drop=True)
    if drop_inactive:
        d = d.loc[_active(d)].reset_index(drop=True)
    has_next = _next_mask(d, grain, subject)
    subj = pd.factorize(d[subject])[0]  # integer codes: the per-pair grouping is much faster

    pairs = [(a, e, "activity_efficiency") for a in activity for e in efficiency]
    pairs += [(k, g, "kpi_kgi") for k in (*activity, *efficiency) for g in kgi]
    pairs = [(a, b, kind) for a, b, kind in pairs if a in d.columns and b in d.columns]

    cache: dict[str, tuple] = {}

    def vals(kpi_id):
        if kpi_id not in cache:
            cache[kpi_id] = _values(d, kpi_id, min_denominator)
        return cache[kpi_id]

    rep_cache: dict[str, tuple] = {}

    def rep_vals(kpi_id):
        if kpi_id not in rep_cache:
            rep_cache[kpi_id] = _rep_level(d, kpi_id, subject)
        return rep_cache[kpi_id]

    rows = []
    for x, y, kind in pairs:
        xv, xe = vals(x)
        yv, ye = vals(y)
        mk = mechanical_kind(x, y, funnel=kind == "activity_efficiency")
        base = dict(x=x, y=y, kind=kind, mechanical=mk != "", mechanical_kind=mk)
        n_excl = int((xe | ye).sum())
        for level in LEVELS:
            if level in ("within", "within_spearman"):
                res = _rm_arrays(xv, yv, subj, rank=level == "within_spearman",
                                 confidence=confidence)
                res["n_excluded"] = n_excl
            elif level == "pooled":
                res = _pearson_arrays(xv, yv, confidence=confidence)
                ok = np.isfinite(xv) & np.isfinite(yv)
                res["n_reps"] = int(pd.Series(subj[ok]).nunique())
                res["n_excluded"] = n_excl
            else:
                (rx, dx), (ry, dy) = rep_vals(x), rep_vals(y)
                excl = pd.Series(False, index=rx.index)
                for den in (dx, dy):
                    if den is not None:
                        excl |= den < max(min_denominator, 1)
                rx2, ry2 = rx.where(~excl), ry.where(~excl)
                res = _pearson_arrays(rx2.to_numpy(), ry2.to_numpy(), confidence=confidence)
                res["n_reps"] = res["n_obs"]
                res["n_excluded"] = int(excl.sum())
            rows.append({**base, "lag": 0, "level": level, **res})
        if lag:
            yl = _lead(d, yv, subject).astype(float)
            yel = _lead(d, ye.astype(float), subject)
            yl = np.where(has_next, yl, np.nan)
            xl = np.where(has_next, xv, np.nan)
            n_excl_l = int((has_next & (xe | (yel == 1))).sum())
            for level in LAG_LEVELS:
                res = _rm_arrays(xl, yl, subj, rank=level == "within_spearman",
                                 confidence=confidence)
                res["n_excluded"] = n_excl_l
                rows.append({**base, "lag": 1, "level": level, **res})

    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    out["p_adj"] = np.nan
    # One BH family per level and lag. Pairs tied by arithmetic (a count against a rate built on
    # it) are a family of their own: their null is false by construction, and counting them with
    # the real questions would loosen the threshold for everything else.
    arithmetic = out["mechanical_kind"].isin(ARITHMETIC_KINDS)
    for _, idx in out.groupby(["lag", "level", arithmetic]).groups.items():
        out.loc[idx, "p_adj"] = bh_adjust(out.loc[idx, "p_val"].to_numpy())
    out["significant"] = out["p_adj"] < alpha

    # Simpson: the within-rep sign disagrees with the between-rep or pooled sign.
    out["simpson"] = False
    lag0 = out[out["lag"] == 0].set_index(["x", "y", "level"])
    for (x, y), _ in out[out["lag"] == 0].groupby(["x", "y"], sort=False):
        w = lag0.loc[(x, y, "within")]
        flag = False
        for other in ("between", "pooled"):
            o = lag0.loc[(x, y, other)]
            if (np.isfinite(w["r"]) and np.isfinite(o["r"]) and np.sign(w["r"]) != np.sign(o["r"])
                    and min(abs(w["r"]), abs(o["r"])) >= simpson_min_r
                    and min(w["p_val"], o["p_val"]) < alpha):
                flag = True
        if flag:
            out.loc[(out["x"] == x) & (out["y"] == y) & (out["lag"] == 0), "simpson"] = True
    out["flag"] = [";".join(f for f, on in (("mechanical", m), ("simpson", s)) if on)
                   for m, s in zip(out["mechanical"], out["simpson"])]
    for c in ("dof", "n_obs", "n_reps", "n_excluded"):
        out[c] = out[c].astype("int64")
    return out[RESULT_COLUMNS]


def pair_table(results: pd.DataFrame, *, lag: int = 0) -> pd.DataFrame:
    """The levels of each pair side by side (one row per pair).

    Returns
    -------
    DataFrame with columns x, y, kind, r_within, ci_low, ci_high, dof, p_val, p_adj,
    significant, r_within_spearman, p_adj_within_spearman, r_between, p_adj_between, n_reps_between,
    r_pooled, p_adj_pooled, n_obs, n_reps, n_excluded, mechanical, simpson, flag
    (ci/dof/p/n from the within level).
    """
    res = results[results["lag"] == lag]
    w = res[res["level"] == "within"].set_index(["x", "y"])
    out = w[["kind", "r", "ci_low", "ci_high", "dof", "p_val", "p_adj", "significant"]].rename(
        columns={"r": "r_within"})
    for level in ("within_spearman", "between", "pooled"):
        o = res[res["level"] == level].set_index(["x", "y"])
        if o.empty:
            continue
        out[f"r_{level}"] = o["r"]
        out[f"p_adj_{level}"] = o["p_adj"]
        if level == "between":
            out["n_reps_between"] = o["n_reps"]
    for c in ("n_obs", "n_reps", "n_excluded", "mechanical", "simpson", "flag"):
        out[c] = w[c]
    return out.reset_index()


def strongest_pairs(results: pd.DataFrame, *, n: int = 4, kind: str | None = None, lag: int = 0,
                    level: str = "within", include_mechanical: bool = False) -> pd.DataFrame:
    """The ``n`` pairs with the largest |r| at ``level`` (significant ones first).

    Returns
    -------
    The matching rows of ``results`` (same columns), ordered.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}")
    sel = results[(results["level"] == level) & (results["lag"] == lag) & results["r"].notna()]
    if kind is not None:
        sel = sel[sel["kind"] == kind]
    if not include_mechanical:
        sel = sel[~sel["mechanical_kind"].isin(ARITHMETIC_KINDS)]
    sel = sel.assign(_abs=sel["r"].abs()).sort_values(["significant", "_abs"],
                                                        ascending=[False, False])
    return sel.drop(columns="_abs").head(n).reset_index(drop=True)


def pair_points(data: pd.DataFrame, *, x: str, y: str, subject: str = "rep_id",
                min_denominator: float = 10, lag: int = 0, grain: str | None = None,
                drop_inactive: bool = True) -> pd.DataFrame:
    """The observations behind one pair, with the repeated-measures fit, for a scatter plot.

    Returns
    -------
    DataFrame with columns rep_id (the subject), period, x, y (values used, after the same
    exclusions as :func:`kpi_correlations`), fit (the rep's own line with the common
    within-rep slope: ``mean_y_rep + slope * (x - mean_x_rep)``).
    """
    if lag not in (0, 1):
        raise ValueError(f"lag must be one of (0, 1), got {lag!r}")
    grain = grain or infer_grain(data, subject=subject)
    _check_grain(grain)
    d = data.sort_values([subject, "period"]).reset_index(drop=True)
    if drop_inactive:
        d = d.loc[_active(d)].reset_index(drop=True)
    xv, _ = _values(d, x, min_denominator)
    yv, _ = _values(d, y, min_denominator)
    if lag:
        nm = _next_mask(d, grain, subject)
        yv = np.where(nm, _lead(d, yv, subject).astype(float), np.nan)
        xv = np.where(nm, xv, np.nan)
    pts = pd.DataFrame({"rep_id": d[subject].to_numpy(), "period": d["period"].to_numpy(),
                        "x": xv, "y": yv}).dropna(subset=["x", "y"])
    pts = pts[pts.groupby("rep_id")["x"].transform("size") >= 2]
    res = _rm_arrays(pts["x"], pts["y"], pts["rep_id"])
    slope = res["slope"] if np.isfinite(res["slope"]) else 0.0
    mx = pts.groupby("rep_id")["x"].transform("mean")
    my = pts.groupby("rep_id")["y"].transform("mean")
    pts["fit"] = my + slope * (pts["x"] - mx)
    return pts.reset_index(drop=True)


def exclusions(data: pd.DataFrame, *, rates=EFFICIENCY_KPIS, min_denominator: float = 10,
               drop_inactive: bool = True, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """How many rep-periods each rate loses to the minimum-denominator rule.

    Returns
    -------
    DataFrame with columns kpi_id, label, denominator, n_obs (active rep-periods),
    n_excluded (denominator below ``min_denominator``), share_excluded.
    """
    d = data.loc[_active(data)] if drop_inactive else data
    rows = []
    for r in rates:
        if r not in d.columns:
            continue
        _, excl = _values(d, r, min_denominator)
        n = len(d)
        rows.append({"kpi_id": r, "label": kpis.label(r, lang), "denominator": _denominator(r),
                     "n_obs": n, "n_excluded": int(excl.sum()),
                     "share_excluded": excl.sum() / n if n else np.nan})
    return pd.DataFrame(rows, columns=["kpi_id", "label", "denominator", "n_obs", "n_excluded",
                                       "share_excluded"])


def _check_claim(alpha: float, claim_alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < claim_alpha <= alpha:
        raise ValueError(f"claim_alpha must be in (0, alpha = {alpha}], got {claim_alpha}")


def verdicts(results: pd.DataFrame, *, alpha: float = 0.05,
             claim_alpha: float = CLAIM_ALPHA) -> pd.DataFrame:
    """What each result row says: the one verdict every sentence, headline and claim reads.

    Parameters
    ----------
    results : rows of :func:`kpi_correlations`.
    alpha : level of the tables' significance marks (``significant``).
    claim_alpha : BH-adjusted p a relation needs before the report claims it in words
        (default :data:`CLAIM_ALPHA`); must not exceed ``alpha``.

    Returns
    -------
    ``results`` plus ``verdict`` (one of :data:`VERDICTS`) and ``claimed`` (verdict is 'rises' or
    'falls'). A pair tied by arithmetic (:data:`ARITHMETIC_KINDS`) is 'built_in' whatever its
    p-value: its relation is there by construction, so it is never claimed.
    """
    _check_claim(alpha, claim_alpha)
    out = results.copy()
    r = out["r"].astype(float)
    finite = r.notna()
    built = out["mechanical_kind"].isin(ARITHMETIC_KINDS)
    claimed = finite & ~built & (out["p_adj"] < claim_alpha) & (r != 0)
    ci_excludes_0 = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    indicative = finite & ~built & ~claimed & (ci_excludes_0 | (out["p_adj"] < alpha))
    out["verdict"] = np.select([~finite, built, claimed & (r > 0), claimed & (r < 0), indicative],
                               ["too_few", "built_in", "rises", "falls", "indicative"], default="none")
    out["claimed"] = out["verdict"].isin(["rises", "falls"])
    return out


#: What :func:`certainty` returns: how strongly a row's adjusted p supports it.
CERTAINTIES = ("high", "significant", "uncorrected", "chance")


def certainty(row, *, alpha: float) -> str:
    """How sure a row is, one of :data:`CERTAINTIES`: 'high' (p_adj < alpha/5), 'significant'
    (p_adj < alpha), 'uncorrected' (only the raw p < alpha), 'chance'."""
    if row["p_adj"] < alpha / 5:
        return "high"
    if row["p_adj"] < alpha:
        return "significant"
    if row["p_val"] < alpha:
        return "uncorrected"
    return "chance"


def _by_size(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(_a=rows["r"].abs()).sort_values("_a", ascending=False).drop(columns="_a")


def kgi_states(kg: pd.DataFrame) -> dict[str, str]:
    """Per activity KPI of KPI × KGI :func:`verdicts` rows, its strongest verdict: 'rises' if any
    link is claimed positive, else 'falls', else 'indicative', else 'none'."""
    state = {}
    for a in [a for a in ACTIVITY_KPIS if a in set(kg["x"])]:
        vs = set(kg.loc[kg["x"] == a, "verdict"])
        state[a] = next((v for v in ("rises", "falls", "indicative") if v in vs), "none")
    return state


def headline_figures(results: pd.DataFrame, *, alpha: float = 0.05,
                     claim_alpha: float = CLAIM_ALPHA) -> dict:
    """The figures of the headline cards, from the same :func:`verdicts` as the findings.

    Returns
    -------
    dict with ``tradeoff`` (the within-rep activity × efficiency row with the most negative
    claimed r, or None), ``n_claimed`` and ``n_tested`` (claimed relations among tested,
    non-arithmetic pairs) and ``n_simpson`` (claimed relations whose sign flips between levels).
    """
    w0 = results[(results["level"] == "within") & (results["lag"] == 0)
                 & (results["kind"] == "activity_efficiency")]
    v = verdicts(w0, alpha=alpha, claim_alpha=claim_alpha)
    tested = v[~v["verdict"].isin(["too_few", "built_in"])]
    falls = tested[tested["verdict"] == "falls"].sort_values("r")
    return {"tradeoff": falls.iloc[0] if len(falls) else None,
            "n_claimed": int(tested["claimed"].sum()), "n_tested": len(tested),
            "n_simpson": int((tested["claimed"] & tested["simpson"]).sum())}


FINDING_PARTS = ("efficiency", "kgi", "lag")


# --------------------------------------------------------------------------- reader-facing text
def level_label(level: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """The reader's name of a correlation level (catalog ``correlation.level.*``)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    return t(f"correlation.level.{level}", lang=lang)


def period_word(grain: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """The word for one period of ``grain`` ('日' / 'day', …; catalog ``correlation.period.*``)."""
    _check_grain(grain)
    return t(f"correlation.period.{grain}", lang=lang)


def _r(v) -> str:
    return "–" if pd.isna(v) else f"{v:+.2f}"


def _pair(x: str, y: str, lang: str) -> str:
    return t("correlation.pair.name", lang=lang, x=kpis.label(x, lang), y=kpis.label(y, lang))


_TABLE_COLUMNS = ("kpi", "versus", "r_within", "dof", "p_adj", "r_rank", "r_between", "r_pooled",
                  "reps_obs", "excluded", "caution")


def format_pair_table(table: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """A :func:`pair_table` with labels and formatted numbers for a report reader.

    Columns (headings from the catalog, ``correlation.table.*``): the two KPIs, within-rep r with
    its 95 % CI, degrees of freedom, BH-adjusted p, within-rep rank r, between-rep r, pooled r,
    reps / observations, observations excluded by the minimum trials, and the caution flags.
    """
    h = {k: t(f"correlation.table.{k}", lang=lang) for k in _TABLE_COLUMNS}
    flags = {k: t(f"correlation.flag.{k}", lang=lang) for k in ("mechanical", "simpson")}
    sep = t("correlation.sep.flag", lang=lang)

    def col(name):
        return table[name] if name in table else pd.Series(np.nan, index=table.index)

    return pd.DataFrame({
        h["kpi"]: [kpis.label(v, lang) for v in table["x"]],
        h["versus"]: [kpis.label(v, lang) for v in table["y"]],
        h["r_within"]: ["–" if pd.isna(r) else f"{r:+.2f} {fmt.ci(lo, hi, as_pct=False)}"
                        for r, lo, hi in zip(table["r_within"], table["ci_low"], table["ci_high"])],
        h["dof"]: table["dof"].to_numpy(),
        h["p_adj"]: [fmt.p_value(v, name="") for v in table["p_adj"]],
        h["r_rank"]: [_r(v) for v in col("r_within_spearman")],
        h["r_between"]: [_r(v) for v in col("r_between")],
        h["r_pooled"]: [_r(v) for v in col("r_pooled")],
        h["reps_obs"]: [f"{a}/{fmt.num(b)}" for a, b in zip(table["n_reps"], table["n_obs"])],
        h["excluded"]: [fmt.num(v) for v in table["n_excluded"]],
        h["caution"]: [sep.join(flags[f] for f in s.split(";") if f) if isinstance(s, str) else ""
                       for s in table["flag"]],
    })


def format_exclusions(table: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """An :func:`exclusions` table with labels and formatted numbers for a report reader."""
    h = {k: t(f"correlation.exclusions.{k}", lang=lang)
         for k in ("rate", "denominator", "n_obs", "n_excluded", "share_excluded")}
    return pd.DataFrame({
        h["rate"]: [kpis.label(k, lang) for k in table["kpi_id"]],
        h["denominator"]: [kpis.label(d, lang) if d in kpis.all_kpis() else d
                           for d in table["denominator"]],
        h["n_obs"]: [fmt.num(v) for v in table["n_obs"]],
        h["n_excluded"]: [fmt.num(v) for v in table["n_excluded"]],
        h["share_excluded"]: [fmt.pct(v) for v in table["share_excluded"]],
    })


def describe_window(window: pd.DataFrame, *, grain: str, months: int, month: str,
                    lang: str = config.DEFAULT_LANG) -> str:
    """One line saying what was analysed: months, reps, observations and the grain."""
    _check_grain(grain)
    first = f"{io.month_bounds(month, months)[0]:%Y-%m}"
    active = int(_active(window).sum()) if len(window) else 0
    n_reps = int(window["rep_id"].nunique()) if len(window) else 0
    return t("correlation.window.line", lang=lang, first=first, month=month, n=months,
             n_reps=n_reps, per=t(f"correlation.window_period.{grain}", lang=lang),
             n_rows=fmt.num(len(window)), n_active=fmt.num(active))


def _certainty(row, lang: str, alpha: float) -> str:
    return t(f"correlation.certainty.{certainty(row, alpha=alpha)}", lang=lang)


def _stat(row, lang: str) -> str:
    return t("correlation.stat.line", lang=lang, r=f"{row['r']:+.2f}",
             ci=fmt.ci(row["ci_low"], row["ci_high"], as_pct=False), p=fmt.p_value(row["p_adj"]),
             n=int(row["n_reps"]), n_obs=fmt.num(row["n_obs"]))


def _denominator_caution(row, lang: str) -> str:
    """The warning DESIGN §5 asks for when a rate is set against its own denominator."""
    if row["mechanical_kind"] != "denominator":
        return ""
    return t("correlation.stat.denominator_caution", lang=lang, x=kpis.label(row["x"], lang),
             y=kpis.label(row["y"], lang))


#: Columns of :func:`statements` (and :func:`claims`).
STATEMENT_COLUMNS = ["part", "x", "y", "lag", "verdict", "claim", "r", "ci_low", "ci_high",
                     "p_adj", "sentence"]


def _statement(part, sentence, verdict, claim=False, row=None, lag=0, rows=None, xs=None) -> dict:
    """One statement: the sentence and the verdict it was written from — one row's (``row``),
    or the shared verdict of the pairs it names (``rows``: x and y joined by ';'; ``xs``: KPIs
    named without a partner). x = y = '' when it speaks about its whole part."""
    d = {"part": part, "x": "", "y": "", "lag": lag, "verdict": verdict, "claim": bool(claim),
         "r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_adj": np.nan, "sentence": sentence}
    if row is not None:
        d.update({k: row[k] for k in ("x", "y", "lag", "r", "ci_low", "ci_high", "p_adj")})
        d["lag"] = int(row["lag"])
    elif rows is not None:
        d["x"], d["y"] = ";".join(rows["x"]), ";".join(rows["y"])
    elif xs is not None:
        d["x"] = ";".join(xs)
    return d


def _names(rows: pd.DataFrame, lang: str, with_r: bool = True) -> str:
    key = "correlation.pair.name_r" if with_r else "correlation.pair.name"
    return t("correlation.sep.list", lang=lang).join(
        t(key, lang=lang, x=kpis.label(a, lang), y=kpis.label(b, lang), r=_r(r))
        for a, b, r in zip(rows["x"], rows["y"], rows["r"]))


def _effect(key: str, row, lang: str, per: str, alpha: float) -> str:
    """A claimed effect of one row (``key`` ends in its verdict, 'rises' or 'falls')."""
    return t(key, lang=lang, x=kpis.label(row["x"], lang),
             y=kpis.label(row["y"], lang), per=per, stat=_stat(row, lang),
             certainty=_certainty(row, lang, alpha))


def _lag_statements(results: pd.DataFrame, *, lang: str, alpha: float, claim_alpha: float,
                    grain: str, max_items: int) -> list[dict]:
    per = period_word(grain, lang=lang)
    lag1 = results[(results["level"] == "within") & (results["lag"] == 1)
                   & (results["kind"] == "activity_efficiency")]
    if not len(lag1):
        return []
    v = verdicts(lag1, alpha=alpha, claim_alpha=claim_alpha)
    out = [_statement("lag", _effect(f"correlation.lag.{row['verdict']}", row, lang, per, alpha), row["verdict"],
                      True, row)
           for _, row in _by_size(v[v["claimed"]]).head(max_items).iterrows()]
    if out:
        return out
    ind = _by_size(v[v["verdict"] == "indicative"]).head(max_items)
    if len(ind):
        return [_statement("lag", t("correlation.lag.indicative", lang=lang, per=per,
                                    names=_names(ind, lang)), "indicative", lag=1, rows=ind)]
    return [_statement("lag", t("correlation.lag.none", lang=lang, per=per), "none", lag=1)]


def statements(results: pd.DataFrame, *, lang: str = config.DEFAULT_LANG, alpha: float = 0.05,
               claim_alpha: float = CLAIM_ALPHA, targets: pd.DataFrame | None = None,
               grain: str = "week", max_items: int = 4, parts=FINDING_PARTS) -> pd.DataFrame:
    """The findings sentences, each with the verdict it was written from.

    Every sentence is derived from :func:`verdicts` (one verdict per result row): a sentence
    that a relation rises or falls is written only for a claimed row of that sign, a sentence
    that no relation was found only when no eligible row has a 95 % CI excluding 0.

    Parameters
    ----------
    As :func:`findings`.

    Returns
    -------
    DataFrame with :data:`STATEMENT_COLUMNS`: part ('efficiency', 'simpson', 'advice', 'kgi',
    'lag', 'summary', 'arithmetic'), x, y, lag (the pair a sentence is about; '' when it is
    about several), verdict (of :data:`VERDICTS`, or 'summary'), claim (the sentence states an
    effect), r, ci_low, ci_high, p_adj (of its pair) and sentence (Markdown, in ``lang``).
    """
    config.check_option("lang", lang, config.LANGS)
    _check_grain(grain)
    _check_claim(alpha, claim_alpha)
    parts = tuple(parts)
    bad = [p for p in parts if p not in FINDING_PARTS]
    if bad:
        raise ValueError(f"parts must be drawn from {FINDING_PARTS}, got {bad}")
    if results.empty:
        rows = [_statement("summary", t("correlation.statement.empty", lang=lang), "too_few")]
    else:
        rows = []
        kw = dict(lang=lang, alpha=alpha, claim_alpha=claim_alpha, grain=grain, max_items=max_items)
        if "efficiency" in parts:
            rows += _efficiency_statements(results, targets=targets, **kw)
        if "kgi" in parts:
            rows += _kgi_statements(results, **kw)
        if "lag" in parts:
            rows += _lag_statements(results, **kw)
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def findings(results: pd.DataFrame, *, lang: str = config.DEFAULT_LANG, alpha: float = 0.05,
             targets: pd.DataFrame | None = None, grain: str = "week", max_items: int = 4,
             parts=FINDING_PARTS, claim_alpha: float = CLAIM_ALPHA) -> list[str]:
    """Plain-language findings generated from :func:`kpi_correlations` results.

    Parameters
    ----------
    results : output of :func:`kpi_correlations`.
    lang : 'ja' (default) or 'en'.
    alpha : level of the tables' significance marks, quoted in the text.
    targets : growth-phase targets (``kpis.phase_targets('growth')``) to phrase the target advice.
    grain : 'day', 'week' or 'month', for the wording of the period.
    max_items : at most this many pairs named per finding.
    parts : which findings to write, any of ``FINDING_PARTS``: 'efficiency' (activity ×
        efficiency, Simpson cautions, target advice), 'kgi' (KPI × KGI), 'lag' (carry-over).
        The notebook writes 'efficiency' from the daily analysis and 'kgi' and 'lag' from the
        weekly one.
    claim_alpha : BH-adjusted p a relation needs before a sentence claims it (see
        :func:`verdicts`).

    Returns
    -------
    list of sentences (Markdown) in ``lang``: the ``sentence`` column of :func:`statements`.
    """
    return statements(results, lang=lang, alpha=alpha, claim_alpha=claim_alpha, targets=targets,
                      grain=grain, max_items=max_items, parts=parts)["sentence"].tolist()


def _simpson_statements(claimed: pd.DataFrame, results: pd.DataFrame, lang: str,
                        max_items: int) -> list[dict]:
    """Simpson cautions, for claimed within-rep rows whose sign flips at another level."""
    lag0 = results[results["lag"] == 0].set_index(["x", "y", "level"])
    out = []
    for _, row in claimed[claimed["simpson"]].head(max_items).iterrows():
        # name only the levels whose sign is opposite to the within-rep one
        flips = [(lv, lag0.loc[(row["x"], row["y"], lv), "r"]) for lv in ("between", "pooled")]
        flips = [(lv, r) for lv, r in flips if np.isfinite(r) and np.sign(r) == -np.sign(row["r"])]
        if not flips:
            continue
        where = t("correlation.sep.and", lang=lang).join(
            t(f"correlation.simpson.{lv}", lang=lang, r=_r(r)) for lv, r in flips)
        out.append(_statement("simpson", t(
            "correlation.simpson.sentence", lang=lang, x=kpis.label(row["x"], lang),
            y=kpis.label(row["y"], lang), r=_r(row["r"]), where=where), row["verdict"], True, row))
    return out


def _efficiency_statements(results, *, lang, alpha, claim_alpha, targets, grain,
                           max_items) -> list[dict]:
    per = period_word(grain, lang=lang)
    w0 = results[(results["level"] == "within") & (results["lag"] == 0)
                 & (results["kind"] == "activity_efficiency")]
    v = verdicts(w0, alpha=alpha, claim_alpha=claim_alpha)
    measured = v[v["verdict"] != "too_few"]
    arith = measured[measured["verdict"] == "built_in"]
    tested = measured[measured["verdict"] != "built_in"]
    claimed = tested[tested["claimed"]]
    ind = tested[tested["verdict"] == "indicative"]
    out = [_statement("summary", t(
        "correlation.statement.summary", lang=lang, n=len(tested),
        n_reps=int(measured["n_reps"].max()) if len(measured) else 0,
        n_obs=fmt.num(int(measured["n_obs"].max()) if len(measured) else 0), per=per,
        alpha=f"{alpha:.0%}", claim_alpha=f"{claim_alpha:g}", n_claimed=len(claimed),
        n_arith=len(arith)), "summary")]
    falls = _by_size(claimed[claimed["verdict"] == "falls"])
    rises = _by_size(claimed[claimed["verdict"] == "rises"])
    for _, row in pd.concat([falls.head(max_items), rises.head(max_items)]).iterrows():
        out.append(_statement("efficiency", _effect(
            f"correlation.statement.{row['verdict']}", row, lang, per, alpha)
                              + _denominator_caution(row, lang), row["verdict"], True, row))
    if not len(claimed) and len(ind):
        shown = _by_size(ind).head(max_items)
        out.append(_statement("efficiency", t("correlation.statement.indicative", lang=lang,
                                              names=_names(shown, lang)), "indicative", rows=shown))
    elif not len(claimed):
        out.append(_statement("efficiency", t("correlation.statement.none", lang=lang), "none"))
    mech = arith[arith["significant"]]
    if len(mech):
        out.append(_statement("arithmetic", t("correlation.statement.arithmetic", lang=lang,
                                              names=_names(mech, lang, with_r=False)),
                              "built_in", rows=mech))
    out += _simpson_statements(claimed, results, lang, max_items)
    out += _advice_statements(targets, falls=falls.head(max_items), ind=ind, n_tested=len(tested),
                              lang=lang)
    return out


def _advice_statements(targets, *, falls, ind, n_tested, lang) -> list[dict]:
    """What the findings mean for growth-phase targets: a trade-off only from claimed rows."""
    if targets is None:
        return []
    if len(falls):
        tg = targets.set_index("kpi_id")
        items = [t("correlation.advice.item", lang=lang, y=kpis.label(y, lang),
                   target=fmt.kpi_value(y, tg.loc[y, "target"], lang))
                 for y in falls["y"] if y in tg.index]
        if not items:
            return []
        return [_statement("advice", t("correlation.advice.falls", lang=lang, items=t(
            "correlation.sep.list", lang=lang).join(dict.fromkeys(items))), "falls", True,
            rows=falls)]
    if not n_tested:
        return []
    neg_ind = ind[ind["r"] < 0]
    if len(neg_ind):
        return [_statement("advice", t("correlation.advice.indicative", lang=lang), "indicative",
                           rows=neg_ind)]
    return [_statement("advice", t("correlation.advice.none", lang=lang), "none")]


def _kgi_statements(results, *, lang, alpha, claim_alpha, grain, max_items) -> list[dict]:
    w0 = results[(results["level"] == "within") & (results["lag"] == 0) & (results["kind"] == "kpi_kgi")]
    kg = verdicts(w0, alpha=alpha, claim_alpha=claim_alpha)
    kg = kg[kg["verdict"] != "too_few"]
    if not len(kg):
        return []
    out: list[dict] = []
    per = period_word(grain, lang=lang)
    sep = t("correlation.sep.list", lang=lang)
    drivers = kg[kg["verdict"] == "rises"].sort_values("r", ascending=False).head(max_items)
    if len(drivers):
        names = sep.join(t("correlation.pair.driver", lang=lang, x=kpis.label(a, lang),
                           y=kpis.label(b, lang), r=_r(r))
                         for a, b, r in zip(drivers["x"], drivers["y"], drivers["r"]))
        out.append(_statement("kgi", t("correlation.kgi.rises", lang=lang, per=per, names=names),
                              "rises", True, rows=drivers))
    # each activity KPI without a claimed positive link: say what its links are
    state = kgi_states(kg)
    for verdict in ("falls", "indicative", "none"):
        xs = [a for a, s in state.items() if s == verdict]
        if not xs:
            continue
        names = sep.join(kpis.label(a, lang) for a in xs)
        if verdict == "falls":
            rows_ = kg[kg["x"].isin(xs) & (kg["verdict"] == "falls")]
            out.append(_statement("kgi", t("correlation.kgi.falls", lang=lang, names=names, per=per,
                                           pairs=_names(rows_, lang)), "falls", True, rows=rows_))
        else:
            out.append(_statement("kgi", t(f"correlation.kgi.{verdict}", lang=lang, names=names),
                                  verdict, xs=xs))
    out += _simpson_statements(kg[kg["claimed"]], results, lang, max_items)
    return out


def headline(results: pd.DataFrame, *, lang: str = config.DEFAULT_LANG, alpha: float = 0.05,
             claim_alpha: float = CLAIM_ALPHA) -> list[dict]:
    """Three headline figures for the report index (``label``, ``value``, ``note``), from the
    same :func:`verdicts` as the findings: the strongest claimed volume–efficiency trade-off
    within reps (never an arithmetic pair), how many pairs show a claimed relation, and how many
    claimed relations change sign between levels."""
    config.check_option("lang", lang, config.LANGS)
    h = headline_figures(results, alpha=alpha, claim_alpha=claim_alpha)
    label = t("correlation.headline.tradeoff", lang=lang)
    if h["tradeoff"] is not None:
        top = h["tradeoff"]
        trade = {"label": label, "value": _pair(top["x"], top["y"], lang),
                 "note": f"r = {top['r']:+.2f}"}
    else:
        trade = {"label": label, "value": t("correlation.headline.none_found", lang=lang),
                 "note": ""}
    return [trade,
            {"label": t("correlation.headline.claimed", lang=lang),
             "value": f"{h['n_claimed']} / {h['n_tested']}",
             "note": t("correlation.headline.claimed_note", lang=lang,
                       claim_alpha=f"{claim_alpha:g}")},
            {"label": t("correlation.headline.sign", lang=lang), "value": str(h["n_simpson"]),
             "note": t("correlation.headline.sign_note", lang=lang)}]


def claims(results: pd.DataFrame, *, lagged: pd.DataFrame | None = None,
           targets: pd.DataFrame | None = None, lang: str = config.DEFAULT_LANG,
           alpha: float = 0.05, claim_alpha: float = CLAIM_ALPHA, grain: str = "day",
           include_kgi: bool = False) -> pd.DataFrame:
    """Every effect a reader of 03 sees claimed: headline card, findings sentences, advice.

    For calibration: on data with no volume–efficiency effect (``sample.generate(...,
    hour_effect=False, tradeoff=0, hour_confounding=0)``) a correct run returns no rows.

    Parameters
    ----------
    results : :func:`kpi_correlations` of the main grain (the efficiency findings, headline and
        advice are written from it).
    lagged : the weekly :func:`kpi_correlations` with ``lag=True`` (carry-over findings), optional.
    targets, lang, alpha, claim_alpha, grain : as :func:`findings`.
    include_kgi : also list claimed KPI → KGI links. Off by default: every deal comes out of a
        call, so activity → deals links are real in null data too and not part of the
        calibration.

    Returns
    -------
    DataFrame with :data:`STATEMENT_COLUMNS`, one row per claiming sentence or headline card
    (part 'headline' for the card).
    """
    st = [statements(results, lang=lang, alpha=alpha, claim_alpha=claim_alpha, targets=targets,
                     grain=grain, parts=("efficiency",))]
    if lagged is not None:
        st.append(statements(lagged, lang=lang, alpha=alpha, claim_alpha=claim_alpha, grain="week",
                             parts=("lag", "kgi") if include_kgi else ("lag",)))
    out = pd.concat(st, ignore_index=True)
    out = out[out["claim"]]
    card = headline(results, lang=lang, alpha=alpha, claim_alpha=claim_alpha)[0]
    if card["note"]:  # the card names a pair
        sentence = t("correlation.headline.claim", lang=lang, **card)
        out = pd.concat([out, pd.DataFrame([_statement("headline", sentence, "falls", True)])],
                        ignore_index=True)
    return out.reset_index(drop=True)
