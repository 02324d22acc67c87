"""Success-pattern evidence (checklist item 3, sign 3): calling hours reliably above the median
hour (the time-of-day notebook's own rule, :func:`timing.reliable_windows`) and script differences
with the rep held fixed, replicated in the window before; and the hour claims a reader of 02 sees
(:func:`claims`). Language-neutral."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import dataset, timing
from .. import stats as kst

__all__ = ["SCRIPT_COLUMNS", "script_differences", "success_patterns", "claims", "pattern_claims"]

SCRIPT_COLUMNS = ["kpi_id", "script", "rate", "other_rate", "n", "common_odds_ratio", "chi2", "p_val", "p_adj", "found"]


def script_differences(data, *, alpha: float = 0.05, min_trials: int = 300) -> pd.DataFrame:
    """Do scripts differ in conversation rate (valid/connects) or appointment rate
    (appointments/valid)?

    Scripts are compared with each rep held fixed: a Cochran–Mantel–Haenszel test of each script
    against the other scripts, stratified by rep (reps differ in skill, and a pooled chi-square
    would mistake that for a script effect); with two scripts one test per rate. p-values are
    BH-adjusted over all tests.

    Returns
    -------
    DataFrame, one row per test: kpi_id, script, rate (pooled), other_rate (the other scripts),
    n (trials of the script), common_odds_ratio (Mantel–Haenszel), chi2, p_val, p_adj, found
    (p_adj < alpha). Empty when fewer than two scripts have ≥ ``min_trials`` calls.
    """
    from statsmodels.stats.contingency_tables import StratifiedTable

    cols = ["kpi_id", "script", "rate", "other_rate", "n", "common_odds_ratio", "chi2", "p_val", "p_adj", "found"]
    if not data.has("calls"):
        return pd.DataFrame(columns=cols)
    s = data.query(f"""SELECT rep_id, script, count(*) AS calls, count_if(connected) AS connects,
                         count_if(valid_conversation) AS valid, count_if(appointment) AS appointments
                       FROM {data.sql("calls")} c WHERE script IS NOT NULL AND business_day
                       GROUP BY rep_id, script ORDER BY rep_id, script""")
    tot = s.groupby("script")["calls"].sum()
    scripts = sorted(tot[tot >= min_trials].index)
    if len(scripts) < 2:
        return pd.DataFrame(columns=cols)
    s = s[s["script"].isin(scripts)]
    rows = []
    for kpi_id, num, den in (("conversation_rate", "valid", "connects"), ("appointment_rate", "appointments", "valid")):
        for sc in scripts[:1] if len(scripts) == 2 else scripts:
            mine = s[s["script"] == sc].groupby("rep_id")[[num, den]].sum()
            other = s[s["script"] != sc].groupby("rep_id")[[num, den]].sum()
            j = mine.merge(other, left_index=True, right_index=True, suffixes=("_s", "_o"), how="inner")
            tables = []
            for r in j.itertuples(index=False):
                ks, ns, ko, no = (
                    getattr(r, f"{num}_s"),
                    getattr(r, f"{den}_s"),
                    getattr(r, f"{num}_o"),
                    getattr(r, f"{den}_o"),
                )
                t = np.array([[ks, ns - ks], [ko, no - ko]], dtype=float)
                if (t.sum(axis=0) > 0).all() and (t.sum(axis=1) > 0).all():
                    tables.append(t)
            if not tables:
                continue
            st_ = StratifiedTable(np.dstack(tables))
            res = st_.test_null_odds(correction=False)
            a = np.sum([t[0] for t in tables], axis=0)
            b = np.sum([t[1] for t in tables], axis=0)
            rows.append(
                {
                    "kpi_id": kpi_id,
                    "script": str(sc),
                    "rate": a[0] / a.sum(),
                    "other_rate": b[0] / b.sum(),
                    "n": int(a.sum()),
                    "common_odds_ratio": float(st_.oddsratio_pooled),
                    "chi2": float(res.statistic),
                    "p_val": float(res.pvalue),
                }
            )
    out = pd.DataFrame(rows, columns=cols[:-2])
    out["p_adj"] = kst.bh_adjust(out["p_val"].to_numpy()) if len(out) else []
    out["found"] = out["p_adj"] < alpha
    return out[cols]


def _replicated_scripts(d, data, *, start, end, alpha: float) -> pd.DataFrame:
    """:func:`script_differences` in the window, ``found`` only when replicated: a script
    difference is a pattern only when the window before shows it too (same script, same
    direction, p < alpha) — one chance finding is not a pattern."""
    sc = script_differences(d, alpha=alpha)
    if not len(sc):
        return sc
    prev = script_differences(data.filter(start=start - (end - start), end=start), alpha=alpha)
    key = prev.set_index(["kpi_id", "script"]) if len(prev) else None
    rep = []
    for r in sc.itertuples(index=False):
        ok = key is not None and (r.kpi_id, r.script) in key.index
        if ok:
            q = key.loc[(r.kpi_id, r.script)]
            same_sign = np.sign(np.log(q["common_odds_ratio"])) == np.sign(np.log(r.common_odds_ratio))
            ok = bool(q["p_val"] < alpha and same_sign)
        rep.append(ok)
    sc["replicated"] = rep
    sc["found"] = sc["found"] & sc["replicated"]
    return sc


def _visibility(out: dict, looked: list, winning_script) -> dict:
    """visible / source / looked_for / not_looked_for: a pattern found → visible; not visible only
    when every kind was looked for (or answered) and none found; otherwise unknown."""
    found = bool(out["recommended_hours"]) or out["script_found"]
    scripts_covered = "scripts" in looked or winning_script is False
    res = {
        "looked_for": looked,
        "not_looked_for": [k for k, ok in (("hours", "hours" in looked), ("scripts", scripts_covered)) if not ok],
    }
    if winning_script is True:
        return {**res, "visible": True, "source": "data+analyst" if found else "analyst"}
    if found:
        return {**res, "visible": True, "source": "data"}
    if "hours" in looked and scripts_covered:
        return {**res, "visible": False, "source": "data" if winning_script is None else "data+analyst"}
    return {**res, "visible": None, "source": "data"}


def success_patterns(
    data,
    *,
    month: str,
    months: int = 3,
    alpha: float = 0.05,
    min_trials: int = 30,
    min_total_calls: int = 1000,
    min_rep_trials: int = 300,
    winning_script: bool | None = None,
) -> dict:
    """Are success patterns visible: reliable calling hours or a script that does better?

    ``data``: the team's Dataset (any window; it is cut to the evaluation window here).
    Hours are judged by :func:`timing.reliable_windows` — the same rule, with the same
    thresholds, as the time-of-day notebook (04) — so both pages name the same hours.

    Two kinds of pattern are looked for: calling hours (needs ≥ ``min_total_calls`` calls in the
    window) and scripts (needs two scripts with enough calls); the analyst's ``winning_script``
    answer covers scripts too. A pattern found → visible. *Not* visible only when every kind was
    looked for (hours in the data; scripts in the data or answered "no" by the analyst) and none
    was found; otherwise unknown (None): absence of one kind of evidence is not proof.

    Returns
    -------
    dict with calls (in the window), windows (the ``timing.reliable_windows`` rows of the whole
    data, scope "all"), recommended_hours (list), best_hour, best_lift, scripts (:func:`script_differences`),
    script_found (bool: significant in the window and replicated, same direction with p < alpha,
    in the window of the same length before it), winning_script (analyst answer), looked_for
    (kinds of pattern looked for: "hours", "scripts"), not_looked_for (kinds that could not be),
    visible (True / False / None), source ("data", "analyst" or "data+analyst").
    """
    start, end = dataset.month_bounds(month, months)
    d = data.filter(start=start, end=end)
    n = (
        int(d.query(f"SELECT count(*) AS n FROM {d.sql('calls')} c WHERE business_day")["n"].iloc[0])
        if d.has("calls")
        else 0
    )
    out = {
        "calls": n,
        "windows": pd.DataFrame(),
        "recommended_hours": [],
        "best_hour": None,
        "best_lift": np.nan,
        "scripts": pd.DataFrame(),
        "script_found": False,
        "winning_script": winning_script,
    }
    looked = []
    if n >= min_total_calls:
        looked.append("hours")
        # the whole data's hours only: the per-team and per-rep windows are 04's (the hours named
        # here are the same either way: the gate and the BH family of a scope are its own)
        w = timing.reliable_windows(
            d,
            metric="connect_rate",
            rules=timing.Rules(min_trials=min_trials, alpha=alpha, min_rep_trials=min_rep_trials),
            scopes=("all",),
        )
        rec = w[(w["scope"] == "all") & (w["verdict"] == "recommend")] if len(w) else w
        sc = _replicated_scripts(d, data, start=start, end=end, alpha=alpha)
        if len(sc):
            looked.append("scripts")
        out.update(
            windows=w,
            recommended_hours=[int(h) for h in rec["hour"]] if len(rec) else [],
            scripts=sc,
            script_found=bool(sc["found"].any()) if len(sc) else False,
        )
        if len(rec):
            best = rec.loc[rec["diff"].idxmax()]
            out.update(best_hour=int(best["hour"]), best_lift=float(best["diff"]))
    out.update(_visibility(out, looked, winning_script))
    return out


def claims(diag) -> pd.DataFrame:
    """The hour effects a reader of the 02 page sees claimed for one team: the calling hours named
    as a success pattern (checklist item 3, sign 3, key figures). Read from the verdict
    (``evidence["patterns"]``), which comes from :func:`timing.reliable_windows`. Empty on a
    correct diagnosis of data without hour effects.

    Returns
    -------
    DataFrame with ``timing.CLAIM_COLUMNS`` (metric, where, factor, scope, group, level, claim).
    """
    return pattern_claims(diag.evidence["patterns"], team=diag.team_id)


def pattern_claims(patterns: dict, *, team: str) -> pd.DataFrame:
    """:func:`claims` from a :func:`success_patterns` result of ``team``."""
    return pd.DataFrame(
        [
            {
                "metric": "connect_rate",
                "where": "success_patterns",
                "factor": "hour",
                "scope": "all",
                "group": team,
                "level": int(h),
                "claim": "recommend",
            }
            for h in patterns["recommended_hours"]
        ],
        columns=timing.CLAIM_COLUMNS,
    )
