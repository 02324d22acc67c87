"""The correlation analysis: language-neutral results (tidy DataFrames, verdict codes).

Rep-period rows in a window (:func:`select_window`) → every pair at every level
(:func:`kpi_correlations`) → one verdict per row (:func:`verdicts`) that every sentence,
headline card and claim of :mod:`.narrative` reads. No function here takes ``lang``.
See the package docstring for the method and what the report may claim.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import dataset
from ..stats import bh_adjust
from .pairs import ACTIVITY_KPIS, ARITHMETIC_KINDS, EFFICIENCY_KPIS, KGI_KPIS, _denominator, _kpi, mechanical_kind
from .rmcorr import _check_confidence, _pearson_arrays, _rm_arrays

__all__ = [
    "LEVELS",
    "LAG_LEVELS",
    "KINDS",
    "GRAINS",
    "CLAIM_ALPHA",
    "VERDICTS",
    "RESULT_COLUMNS",
    "CERTAINTIES",
    "FINDING_PARTS",
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
]

LEVELS = ("within", "within_spearman", "between", "pooled")
LAG_LEVELS = ("within", "within_spearman")
KINDS = ("activity_efficiency", "kpi_kgi")
GRAINS = ("day", "week", "month")

#: BH-adjusted p a relation needs before a sentence, headline or advice claims it (the tables'
#: significance marks use ``alpha``). Stricter than ``alpha`` because the report makes many
#: claims at once: 03 has its own share of the report's false-claim budget on null data.
CLAIM_ALPHA = 0.01
#: What a result row says, decided once (:func:`verdicts`) and used by every sentence, headline
#: and claim: 'rises' / 'falls' (claimed: p_adj < claim_alpha), 'indicative' (the 95 % CI
#: excludes 0 or p_adj < alpha, but not strong enough to claim), 'none' (CI includes 0),
#: 'built_in' (arithmetic pair) and 'too_few' (no r).
VERDICTS = ("rises", "falls", "indicative", "none", "built_in", "too_few")

RESULT_COLUMNS = [
    "x",
    "y",
    "kind",
    "lag",
    "level",
    "r",
    "ci_low",
    "ci_high",
    "dof",
    "p_val",
    "p_adj",
    "significant",
    "n_obs",
    "n_reps",
    "n_excluded",
    "mechanical",
    "mechanical_kind",
    "simpson",
    "flag",
    "note",
]


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


def select_window(
    data: pd.DataFrame, *, month: str, months: int = 1, grain: str | None = None, business_days_only: bool = True
) -> pd.DataFrame:
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
    start, end = dataset.month_bounds(month, months)
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


def _active(data: pd.DataFrame) -> pd.Series:
    cols = [c for c in ("calls", "emails_sent") if c in data.columns]
    if not cols:
        return pd.Series(True, index=data.index)
    return data[cols].fillna(0).sum(axis=1) > 0


def _values(data: pd.DataFrame, kpi_id: str, min_trials: float):
    """(values, excluded mask): a rate whose denominator is below the minimum is excluded."""
    v = pd.to_numeric(data[kpi_id], errors="coerce").astype(float).to_numpy()
    den = _denominator(kpi_id)
    if den is not None and den in data.columns:
        d = pd.to_numeric(data[den], errors="coerce").fillna(0).to_numpy(dtype=float)
        excl = d < max(min_trials, 1)
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


def kpi_correlations(
    data: pd.DataFrame,
    *,
    activity=ACTIVITY_KPIS,
    efficiency=EFFICIENCY_KPIS,
    kgi=KGI_KPIS,
    subject: str = "rep_id",
    grain: str | None = None,
    min_trials: float = 10,
    lag: bool = True,
    drop_inactive: bool = True,
    alpha: float = 0.05,
    simpson_min_r: float = 0.1,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Correlation of every activity KPI with every efficiency KPI, and of each KPI with the KGI.

    (Over 80 lines only because this docstring documents every result column; the work is in
    :func:`_pair_rows`, :func:`_adjust` and :func:`_simpson`.)

    Parameters
    ----------
    data : rep-period table (``aggregate.rep_period``; one row per rep × period).
    activity, efficiency, kgi : KPI ids (columns of ``data``). Pairs whose columns are absent are
        left out; pairs the data cannot support (too few rows, no variation) keep a row with
        ``r`` NaN and a ``note``.
    subject : the repeated unit (rep).
    grain : 'day', 'week' or 'month'; inferred from ``data`` when None (for the lag).
    min_trials : a rate in a rep-period whose denominator (calls for connect rate, …) is
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
            below ``min_trials``.
        mechanical : the pair shares a count, so part of the relation is arithmetic.
        simpson : the within-rep sign disagrees with the between-rep or pooled sign (lag 0).
        flag : 'mechanical', 'simpson', both joined by ';', or ''.
        note : why r is missing ('too_few', 'no_variation'), else ''.
    """
    _check_confidence(confidence)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if min_trials < 0:
        raise ValueError(f"min_trials must be >= 0, got {min_trials}")
    for c in (subject, "period"):
        if c not in data.columns:
            raise ValueError(f"data lacks column {c!r}; pass a rep-period table (aggregate.rep_period)")
    grain = grain or infer_grain(data, subject=subject)
    _check_grain(grain)

    d = data.sort_values([subject, "period"]).reset_index(drop=True)
    if drop_inactive:
        d = d.loc[_active(d)].reset_index(drop=True)
    has_next = _next_mask(d, grain, subject)
    subj = pd.factorize(d[subject])[0]  # integer codes: the per-pair grouping is much faster

    x_cols = [*activity, *efficiency]
    pairs = [(a, e, "activity_efficiency") for a in activity for e in efficiency]
    pairs += [(k, g, "kpi_kgi") for k in x_cols for g in kgi]
    pairs = [(a, b, kind) for a, b, kind in pairs if a in d.columns and b in d.columns]
    used = {k for p in pairs for k in p[:2]}
    vals = {k: _values(d, k, min_trials) for k in used}
    rep_vals = {k: _rep_level(d, k, subject) for k in used}
    ctx = dict(
        d=d,
        subject=subject,
        subj=subj,
        has_next=has_next if lag else None,
        min_trials=min_trials,
        confidence=confidence,
    )
    rows = [row for x, y, kind in pairs for row in _pair_rows(x, y, kind, vals=vals, rep_vals=rep_vals, **ctx)]
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    out = _adjust(out, alpha=alpha)
    out["simpson"] = _simpson(out, alpha=alpha, min_r=simpson_min_r)
    out["flag"] = [
        ";".join(f for f, on in (("mechanical", m), ("simpson", s)) if on)
        for m, s in zip(out["mechanical"], out["simpson"])
    ]
    for c in ("dof", "n_obs", "n_reps", "n_excluded"):
        out[c] = out[c].astype("int64")
    return out[RESULT_COLUMNS]


def _pair_rows(x, y, kind, *, d, subject, subj, has_next, vals, rep_vals, min_trials, confidence) -> list[dict]:
    """The result rows of one pair: every level at lag 0, the within levels at lag 1 (when
    ``has_next`` is given)."""
    (xv, xe), (yv, ye) = vals[x], vals[y]
    mk = mechanical_kind(x, y, funnel=kind == "activity_efficiency")
    base = dict(x=x, y=y, kind=kind, mechanical=mk != "", mechanical_kind=mk)
    n_excl = int((xe | ye).sum())
    rows = []
    for level in LEVELS:
        if level in LAG_LEVELS:
            res = _rm_arrays(xv, yv, subj, rank=level == "within_spearman", confidence=confidence)
            res["n_excluded"] = n_excl
        elif level == "pooled":
            res = _pearson_arrays(xv, yv, confidence=confidence)
            ok = np.isfinite(xv) & np.isfinite(yv)
            res["n_reps"] = int(pd.Series(subj[ok]).nunique())
            res["n_excluded"] = n_excl
        else:
            res = _between(rep_vals[x], rep_vals[y], min_trials=min_trials, confidence=confidence)
        rows.append({**base, "lag": 0, "level": level, **res})
    if has_next is not None:
        yl = np.where(has_next, _lead(d, yv, subject).astype(float), np.nan)
        yel = _lead(d, ye.astype(float), subject)
        xl = np.where(has_next, xv, np.nan)
        n_excl_l = int((has_next & (xe | (yel == 1))).sum())
        for level in LAG_LEVELS:
            res = _rm_arrays(xl, yl, subj, rank=level == "within_spearman", confidence=confidence)
            res["n_excluded"] = n_excl_l
            rows.append({**base, "lag": 1, "level": level, **res})
    return rows


def _between(rep_x, rep_y, *, min_trials, confidence) -> dict:
    """Pearson r over one point per rep; a rep whose rate rests on too few trials is left out."""
    (rx, dx), (ry, dy) = rep_x, rep_y
    excl = pd.Series(False, index=rx.index)
    for den in (dx, dy):
        if den is not None:
            excl |= den < max(min_trials, 1)
    res = _pearson_arrays(rx.where(~excl).to_numpy(), ry.where(~excl).to_numpy(), confidence=confidence)
    res["n_reps"] = res["n_obs"]
    res["n_excluded"] = int(excl.sum())
    return res


def _adjust(out: pd.DataFrame, *, alpha: float) -> pd.DataFrame:
    """``p_adj`` and ``significant``: one BH family per level and lag. Pairs tied by arithmetic
    (a count against a rate built on it) are a family of their own: their null is false by
    construction, and counting them with the real questions would loosen the threshold for
    everything else."""
    out["p_adj"] = np.nan
    arithmetic = out["mechanical_kind"].isin(ARITHMETIC_KINDS)
    for _, idx in out.groupby(["lag", "level", arithmetic]).groups.items():
        out.loc[idx, "p_adj"] = bh_adjust(out.loc[idx, "p_val"].to_numpy())
    out["significant"] = out["p_adj"] < alpha
    return out


def _simpson(out: pd.DataFrame, *, alpha: float, min_r: float) -> pd.Series:
    """Rows (lag 0) whose within-rep sign disagrees with the between-rep or pooled sign."""
    flags = pd.Series(False, index=out.index)
    lag0 = out[out["lag"] == 0].set_index(["x", "y", "level"])
    for (x, y), _ in out[out["lag"] == 0].groupby(["x", "y"], sort=False):
        w = lag0.loc[(x, y, "within")]
        for other in ("between", "pooled"):
            o = lag0.loc[(x, y, other)]
            if (
                np.isfinite(w["r"])
                and np.isfinite(o["r"])
                and np.sign(w["r"]) != np.sign(o["r"])
                and min(abs(w["r"]), abs(o["r"])) >= min_r
                and min(w["p_val"], o["p_val"]) < alpha
            ):
                flags[(out["x"] == x) & (out["y"] == y) & (out["lag"] == 0)] = True
    return flags


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
        columns={"r": "r_within"}
    )
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


def strongest_pairs(
    results: pd.DataFrame,
    *,
    n: int = 4,
    kind: str | None = None,
    lag: int = 0,
    level: str = "within",
    include_mechanical: bool = False,
) -> pd.DataFrame:
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
    sel = sel.assign(_abs=sel["r"].abs()).sort_values(["significant", "_abs"], ascending=[False, False])
    return sel.drop(columns="_abs").head(n).reset_index(drop=True)


def pair_points(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    subject: str = "rep_id",
    min_trials: float = 10,
    lag: int = 0,
    grain: str | None = None,
    drop_inactive: bool = True,
) -> pd.DataFrame:
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
    xv, _ = _values(d, x, min_trials)
    yv, _ = _values(d, y, min_trials)
    if lag:
        nm = _next_mask(d, grain, subject)
        yv = np.where(nm, _lead(d, yv, subject).astype(float), np.nan)
        xv = np.where(nm, xv, np.nan)
    pts = pd.DataFrame({"rep_id": d[subject].to_numpy(), "period": d["period"].to_numpy(), "x": xv, "y": yv}).dropna(
        subset=["x", "y"]
    )
    pts = pts[pts.groupby("rep_id")["x"].transform("size") >= 2]
    res = _rm_arrays(pts["x"], pts["y"], pts["rep_id"])
    slope = res["slope"] if np.isfinite(res["slope"]) else 0.0
    mx = pts.groupby("rep_id")["x"].transform("mean")
    my = pts.groupby("rep_id")["y"].transform("mean")
    pts["fit"] = my + slope * (pts["x"] - mx)
    return pts.reset_index(drop=True)


def exclusions(
    data: pd.DataFrame, *, rates=EFFICIENCY_KPIS, min_trials: float = 10, drop_inactive: bool = True
) -> pd.DataFrame:
    """How many rep-periods each rate loses to the too-few-trials rule.

    Returns
    -------
    DataFrame with columns kpi_id, denominator, n_obs (active rep-periods),
    n_excluded (denominator below ``min_trials``), share_excluded.
    """
    d = data.loc[_active(data)] if drop_inactive else data
    rows = []
    for r in rates:
        if r not in d.columns:
            continue
        _, excl = _values(d, r, min_trials)
        n = len(d)
        rows.append(
            {
                "kpi_id": r,
                "denominator": _denominator(r),
                "n_obs": n,
                "n_excluded": int(excl.sum()),
                "share_excluded": excl.sum() / n if n else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["kpi_id", "denominator", "n_obs", "n_excluded", "share_excluded"])


def _check_claim(alpha: float, claim_alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < claim_alpha <= alpha:
        raise ValueError(f"claim_alpha must be in (0, alpha = {alpha}], got {claim_alpha}")


def verdicts(results: pd.DataFrame, *, alpha: float = 0.05, claim_alpha: float = CLAIM_ALPHA) -> pd.DataFrame:
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
    out["verdict"] = np.select(
        [~finite, built, claimed & (r > 0), claimed & (r < 0), indicative],
        ["too_few", "built_in", "rises", "falls", "indicative"],
        default="none",
    )
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


def headline_figures(results: pd.DataFrame, *, alpha: float = 0.05, claim_alpha: float = CLAIM_ALPHA) -> dict:
    """The figures of the headline cards, from the same :func:`verdicts` as the findings.

    Returns
    -------
    dict with ``tradeoff`` (the within-rep activity × efficiency row with the most negative
    claimed r, or None), ``n_claimed`` and ``n_tested`` (claimed relations among tested,
    non-arithmetic pairs) and ``n_simpson`` (claimed relations whose sign flips between levels).
    """
    w0 = results[(results["level"] == "within") & (results["lag"] == 0) & (results["kind"] == "activity_efficiency")]
    v = verdicts(w0, alpha=alpha, claim_alpha=claim_alpha)
    tested = v[~v["verdict"].isin(["too_few", "built_in"])]
    falls = tested[tested["verdict"] == "falls"].sort_values("r")
    return {
        "tradeoff": falls.iloc[0] if len(falls) else None,
        "n_claimed": int(tested["claimed"].sum()),
        "n_tested": len(tested),
        "n_simpson": int((tested["claimed"] & tested["simpson"]).sum()),
    }


FINDING_PARTS = ("efficiency", "kgi", "lag")
