"""Funnel and bottleneck: calls → connects → valid conversations → appointments → deals → won.

Each stage rate is a ratio of sums with its count and Wilson interval, judged against the team's
target of that rate — the same row of the one target table the KPI tree reads
(:func:`targets.target_table`: a range is a band, 参考値 rows are not judged) — with the same
verdict (:func:`targets.verdicts`). A stage rate the team's table has no row for has no target.
The bottleneck is the judged stage rate furthest below its target (lowest attainment); it is
"sure" when the whole Wilson interval lies below the target's edge. Its reading is the seeds':
low connect rate → calling hours or list quality; high connect but low appointment rate →
conversation quality and script; and so on (:data:`READINGS`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import config, kpis
from . import stats as kst
from . import targets as _targets

__all__ = [
    "STAGES",
    "STAGE_RATES",
    "READINGS",
    "stage_label",
    "stage_targets",
    "funnel_counts",
    "funnel",
    "bottleneck",
    "observed_chain",
]

#: Funnel stages (count columns) top to bottom.
STAGES = ("calls", "connects", "valid_conversations", "appointments", "deals_created", "deals_won")
#: Rate into each stage (after the first): (rate id, numerator stage, denominator column).
STAGE_RATES = {
    "connects": ("connect_rate", "connects", "calls"),
    "valid_conversations": ("conversation_rate", "valid_conversations", "connects"),
    "appointments": ("appointment_rate", "appointments", "valid_conversations"),
    "deals_created": ("appointment_to_deal_rate", "deals_created", "appointments"),
    "deals_won": ("handoff_win_rate", "deals_won", "deals_closed"),
}
#: The seeds' readings of a low stage rate (kpi-setting-guide 数値管理 / 量不足と質不足,
#: phase-kpi-design ボトルネック特定 / 引き継ぎ商談の受注率): :func:`bottleneck` returns one of
#: these codes as ``reading_key``; the sentences are in the catalog (``scorecard.reading.<key>``,
#: turned into text by :func:`scorecard.describe_bottleneck`).
READINGS = (
    "calls",
    "connect_rate",
    "conversation_rate",
    "appointment_rate",
    "appointment_rate_low_connect",
    "appointment_to_deal_rate",
    "handoff_win_rate",
)


def stage_label(key: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """Label of a funnel stage or stage rate (from the KPI dictionary)."""
    return kpis.label(key, lang=lang)


def stage_targets(
    phase: str, *, targets_file=None, industry: str | dict | None = None, goals: dict | None = None
) -> pd.DataFrame:
    """The stage rates' rows of the phase's target table (:func:`targets.target_table`): kpi_id,
    target, low, high, direction, judged, …; pass to :func:`funnel` as ``targets``."""
    t = _targets.target_table(phase, targets_file=targets_file or None, industry=industry, goals=goals)
    return t[t["kpi_id"].isin([v[0] for v in STAGE_RATES.values()])].reset_index(drop=True)


def _stage_targets(spec) -> dict:
    """``{rate_id: {target, low, high, direction, judged}}`` from a target table (DataFrame with
    kpi_id), or a dict of point targets (``{rate_id: target}`` / ``(target, basis)``)."""
    if spec is None:
        return {}
    if isinstance(spec, pd.DataFrame):
        return {
            r["kpi_id"]: {
                "target": float(r["target"]),
                "low": float(r.get("low", np.nan)),
                "high": float(r.get("high", np.nan)),
                "direction": r.get("direction", "higher"),
                "judged": bool(r.get("judged", True)),
            }
            for r in spec.to_dict("records")
        }
    out = {}
    for rid, v in spec.items():
        x = v[0] if isinstance(v, tuple) else v
        if x is not None:
            out[rid] = {"target": float(x), "low": np.nan, "high": np.nan, "direction": "higher", "judged": True}
    return out


def funnel_counts(data, *, month: str, rep_period: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Funnel counts of the month, in total or per team / rep.

    Parameters
    ----------
    data : Dataset (its ``deals`` give deals won / closed in the month).
    rep_period : ``aggregate.rep_period(data, grain="month")``.
    by : None (one row for everything), "team_id" or "rep_id".

    Returns
    -------
    DataFrame with the ``by`` column (if any) and calls, connects, valid_conversations,
    appointments, deals_created, deals_won, deals_closed (won + lost with closed_at in month);
    without a deals table the deal columns are absent and the funnel ends at appointments.
    """
    if by not in (None, "team_id", "rep_id"):
        raise ValueError(f"by must be one of (None, 'team_id', 'rep_id'), got {by!r}")
    start = pd.Period(month, freq="M").start_time
    rp = rep_period[pd.to_datetime(rep_period["period"]) == start]
    deals = getattr(data, "deals", None)
    if deals is None or "deals_created" not in rp.columns:  # no deals table: the funnel ends at appointments
        cols = ["calls", "connects", "valid_conversations", "appointments"]
        keys = [by] if by else []
        base = (
            rp.groupby(by, observed=True)[cols].sum().reset_index()
            if by
            else pd.DataFrame([rp[cols].sum()]).reset_index(drop=True)
        )
        for c in cols:
            base[c] = base[c].fillna(0).astype("int64")
        return base[[*keys, *cols]]
    cols = ["calls", "connects", "valid_conversations", "appointments", "deals_created"]
    keys = [by] if by else []
    if by:
        base = rp.groupby(by, observed=True)[cols].sum()
    else:
        base = pd.DataFrame([rp[cols].sum()])
    if len(deals):
        closed = deals[(deals["closed_month"] == month) & deals["status"].isin(["won", "lost"])]
        closed = closed.assign(won=(closed["status"] == "won").astype(int), n=1)
        if by:
            g = closed.groupby(by, observed=True)[["won", "n"]].sum()
            base = base.join(g, how="outer").fillna(0)
        else:
            base["won"], base["n"] = int(closed["won"].sum()), int(len(closed))
    else:
        base["won"], base["n"] = 0, 0
    base = base.rename(columns={"won": "deals_won", "n": "deals_closed"})
    out = base.reset_index() if by else base.reset_index(drop=True)
    for c in (*cols, "deals_won", "deals_closed"):
        out[c] = out[c].fillna(0).astype("int64")
    return out[[*keys, *cols, "deals_won", "deals_closed"]]


def funnel(
    counts, *, targets=None, min_trials: int = 30, confidence: float = 0.95, watch_from: float = 0.8
) -> pd.DataFrame:
    """Stage table of one funnel: counts, stage rates with Wilson intervals, targets, verdicts.

    Parameters
    ----------
    counts : one row (Series or 1-row DataFrame) of :func:`funnel_counts`.
    targets : the team's target table (:func:`stage_targets`, or the KPI tree's team rows with
        kpi_id, target, low, high, direction, judged), or ``{rate_id: target}`` point targets.
    min_trials : stage rates with fewer trials are flagged ``too_small`` (verdict ``small``).
    watch_from : as :func:`targets.verdict`.

    Returns
    -------
    DataFrame, one row per stage (top first), columns
        stage, count, share_of_calls, rate_id, k, n, rate, ci_low, ci_high, too_small, target,
        low, high (the range), judged, attainment (:func:`targets.attainment`), verdict
        (:data:`targets.VERDICTS`), below_sure (ci_high below the target's edge), above_sure
        (ci_low above the range / the point target).
    """
    if isinstance(counts, pd.DataFrame):
        if len(counts) != 1:
            raise ValueError("counts must be one row; select a team or rep first")
        counts = counts.iloc[0]
    tg = _stage_targets(targets)
    rows = []
    calls = float(counts["calls"])
    nan = {"target": np.nan, "low": np.nan, "high": np.nan, "direction": "higher", "judged": True}
    for st in STAGES:
        if st not in counts.index:  # e.g. no deals table
            continue
        row = {"stage": st, "count": int(counts[st]), "share_of_calls": counts[st] / calls if calls > 0 else np.nan}
        if st in STAGE_RATES:
            rid, num, den = STAGE_RATES[st]
            k, n = int(counts[num]), int(counts[den])
            if k > n:  # data where a later stage is not a subset of the earlier one
                lo = hi = np.nan
            else:
                lo, hi = kst.wilson_ci(k, n, confidence=confidence)
            row.update({"rate_id": rid, "k": k, "n": n, "rate": kst.safe_ratio(k, n), "ci_low": lo, "ci_high": hi})
            row.update({"too_small": n < min_trials, **tg.get(rid, nan)})
        else:
            row.update({"rate_id": None, "k": np.nan, "n": np.nan, "rate": np.nan, "ci_low": np.nan, "ci_high": np.nan})
            row.update({"too_small": False, **nan})
        rows.append(row)
    out = pd.DataFrame(rows)
    args = {c: out[c].to_numpy() for c in ("target", "low", "high", "direction")}
    out["attainment"] = _targets.attainment(out["rate"].to_numpy(float), **args)
    out["verdict"] = _targets.verdicts(
        out["rate"].to_numpy(float),
        **args,
        judged=out["judged"].to_numpy(bool),
        ci_low=out["ci_low"].to_numpy(float),
        ci_high=out["ci_high"].to_numpy(float),
        too_small=out["too_small"].to_numpy(bool),
        watch_from=watch_from,
    )
    out.loc[out["rate_id"].isna(), "verdict"] = None
    floor = out["low"].where(out["low"].notna(), out["target"])
    ceil = out["high"].where(out["high"].notna(), out["target"])
    out["below_sure"] = out["ci_high"] < floor
    out["above_sure"] = out["ci_low"] > ceil
    return out.drop(columns="direction")


def bottleneck(stages: pd.DataFrame, *, calls_attainment: float | None = None) -> dict:
    """The stage that limits results, with the seeds' reading.

    The limiting stage is the judged stage rate short of its target (verdict watch or miss) with
    the lowest attainment (参考値 rows and rates with too few trials are skipped). If every rate meets its target but the calls volume does not
    (``calls_attainment`` < 1), the limit is activity volume.

    Returns
    -------
    dict with stage (rate id, "calls" or None), rate, target, low, high, attainment, ci_low, ci_high,
    certainty ("sure": interval entirely below target; "likely": point below, interval reaches
    the target; None), reading_key (the seeds' interpretation, one of :data:`READINGS`, or None).
    """
    cand = stages[stages["verdict"].isin(["watch", "miss"]) & (stages["attainment"] < 1)]
    if len(cand):
        r = cand.sort_values("attainment").iloc[0]
        rid = r["rate_id"]
        key = rid
        if rid == "appointment_rate":
            conn = stages[stages["rate_id"] == "connect_rate"].iloc[0]
            if not (conn["attainment"] >= 1):
                key = "appointment_rate_low_connect"
        return {
            "stage": rid,
            "rate": float(r["rate"]),
            "target": float(r["target"]),
            "low": float(r["low"]),
            "high": float(r["high"]),
            "attainment": float(r["attainment"]),
            "ci_low": float(r["ci_low"]),
            "ci_high": float(r["ci_high"]),
            "certainty": "sure" if bool(r["below_sure"]) else "likely",
            "reading_key": key,
        }
    if calls_attainment is not None and calls_attainment < 1:
        return {
            "stage": "calls",
            "rate": np.nan,
            "target": np.nan,
            "low": np.nan,
            "high": np.nan,
            "attainment": float(calls_attainment),
            "ci_low": np.nan,
            "ci_high": np.nan,
            "certainty": "sure",
            "reading_key": "calls",
        }
    return {
        "stage": None,
        "rate": np.nan,
        "target": np.nan,
        "low": np.nan,
        "high": np.nan,
        "attainment": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "certainty": None,
        "reading_key": None,
    }


def observed_chain(stages: pd.DataFrame) -> dict:
    """Stage names, rates and counts of the funnel for :mod:`plan` (calls → won).

    Returns
    -------
    dict with stages (list), rates (list), successes, trials (lists of ints), usable (all
    rates in (0, 1]).
    """
    r = stages[stages["rate_id"].notna()]
    rates = r["rate"].astype(float).tolist()
    usable = all(np.isfinite(x) and 0 < x <= 1 for x in rates)
    return {
        "stages": list(stages["stage"]),
        "rates": rates,
        "successes": r["k"].astype(int).tolist(),
        "trials": r["n"].astype(int).tolist(),
        "usable": usable,
    }
