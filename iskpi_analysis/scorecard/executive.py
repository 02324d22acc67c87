"""The executive view of a month: organisation totals, each team's key KPIs over 13 months, and
the few actions the numbers call for (codes and figures only; the index writes the words).

Notebook 01's organisation run (``team="all"``) records :func:`org_summary` and
:func:`kpi_history`; the report's index (:mod:`iskpi_analysis.report.index`) reads them, with the
``kpi_table`` and ``team_phase`` the pages record, and calls :func:`actions` on those recorded
tables. Nothing here judges a KPI: the verdict of each KPI comes from the ``kpi_table``
(:mod:`iskpi_analysis.targets` vocabulary), the phase and readiness from ``team_phase``; this module
selects and ranks what those say. The one judgement of its own is the *trend* action (a key KPI
falling month after month), a one-sided Kendall test corrected for the number of series looked at,
so noise does not become an action.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import kpis, targets
from . import tree as _tree
from .tree import TREE_KPIS, measures, previous_month

__all__ = [
    "ORG_KPIS",
    "VERDICTS",
    "RAG",
    "ACTION_CODES",
    "rag",
    "key_kpis",
    "org_summary",
    "kpi_history",
    "actions",
]

#: the organisation's totals on the index's first screen (month totals, all teams); each is a
#: column of :func:`.tree.measures` (deals_won is not a tree KPI)
ORG_KPIS = ("calls", "connects", "appointments", "deals_created", "deals_won", "won_amount_jpy")

#: the verdict codes of a KPI and their red/amber/green state: the one vocabulary of :mod:`..targets`
VERDICTS = targets.VERDICTS
RAG = targets.RAG

#: what :func:`actions` can return, most urgent kind first
ACTION_CODES = ("miss", "ready", "decline")


def rag(verdict) -> str:
    """Red/amber/green (or grey) of a verdict code; an unknown code raises ``ValueError``."""
    if verdict is None or (isinstance(verdict, float) and np.isnan(verdict)):
        return "grey"
    if verdict not in RAG:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    return RAG[verdict]


def key_kpis(phase: str, *, targets_file=None, n: int = 3) -> list[tuple[str, str | None]]:
    """The ``n`` KPIs a team of ``phase`` is steered by: its phase template's KPIs, most
    important first (the seed's stars; ties in the template's order), as ``(kpi_id, per)``."""
    tt = targets.target_table(phase, targets_file=targets_file or None)  # the one target table
    tt = tt[tt["kpi_id"].isin(TREE_KPIS)].copy()  # a monthly value (CAC, LTV are not)
    tt["_o"] = range(len(tt))
    tt = tt.sort_values(["importance", "_o"], ascending=[False, True]).head(n)
    return [(k, p if isinstance(p, str) else None) for k, p in zip(tt["kpi_id"], tt["per"])]


def _month_measures(data, month: str, rep_period) -> pd.DataFrame | None:
    start = pd.Period(month, freq="M").start_time
    if not (pd.to_datetime(rep_period["period"]) == start).any():
        return None
    return measures(data, month=month, rep_period=rep_period, response=False)


def _months_back(month: str, n: int) -> list[str]:
    p = pd.Period(month, freq="M")
    return [str(p - i) for i in range(n - 1, -1, -1)]


def org_summary(data, *, month: str, rep_period: pd.DataFrame, team_names: dict | None = None) -> pd.DataFrame:
    """The organisation's month totals and last month's, per KPI of :data:`ORG_KPIS`.

    Returns
    -------
    DataFrame, one row per KPI available in the data: kpi_id, actual (the month's total over all
    teams), previous (last month's; NaN when the data has no last month), change (actual −
    previous), change_rel (change / previous; NaN when previous is 0 or missing), teams (number
    of teams with activity in the month).
    """
    cur = _month_measures(data, month, rep_period)
    if cur is None:
        raise ValueError(f"rep_period has no row for month {month}; pass aggregate.rep_period(data, grain='month')")
    prev = _month_measures(data, previous_month(month), rep_period)
    rows = []
    for kpi_id in ORG_KPIS:
        col = kpi_id  # the measures column of the same name
        if col not in cur or cur[col].isna().all():
            continue  # the data has no table for it (e.g. no deals)
        a = float(cur[col].sum())
        p = float(prev[col].sum()) if prev is not None and col in prev and not prev[col].isna().all() else np.nan
        rows.append(
            {
                "kpi_id": kpi_id,
                "actual": a,
                "previous": p,
                "change": a - p,
                "change_rel": (a - p) / p if p and np.isfinite(p) else np.nan,
                "teams": int(cur.loc[cur["n_days"] > 0, "team_id"].nunique()),
            }
        )
    return pd.DataFrame(rows, columns=["kpi_id", "actual", "previous", "change", "change_rel", "teams"])


def kpi_history(
    data,
    *,
    month: str,
    rep_period: pd.DataFrame,
    team_kpis: dict,
    months: int = 13,
) -> pd.DataFrame:
    """``months`` monthly values (ending with ``month``) of each team's key KPIs and of the
    organisation's totals, in the unit of the team's target (the KPI tree's rule, one home:
    :func:`tree._value`), for the index's sparklines and the trend action.

    Parameters
    ----------
    team_kpis : ``{team_id: [(kpi_id, per), ...]}`` (e.g. :func:`key_kpis` of the team's phase).
    months : how many months (13 = the month and the same month a year before).

    Returns
    -------
    DataFrame: team_id (``"all"`` for the organisation's :data:`ORG_KPIS` totals), kpi_id, per,
    month ("YYYY-MM"), value (NaN where the team had no activity that month or the data does not
    reach back), order (the KPI's place in the team's list).
    """
    if months < 2:
        raise ValueError(f"months must be at least 2, got {months}")
    rows = []
    for m in _months_back(month, months):
        cur = _month_measures(data, m, rep_period)
        for i, kpi_id in enumerate(ORG_KPIS):
            col = kpi_id
            ok = cur is not None and col in cur and not cur[col].isna().all()
            v = float(cur[col].sum()) if ok else np.nan
            rows.append({"team_id": "all", "kpi_id": kpi_id, "per": "team_month", "month": m, "value": v, "order": i})
        # every team's sums of the month at once (the tree's team rows; BDR-only ones apart)
        sums = _team_sums(cur) if cur is not None else None
        for team_id, kl in team_kpis.items():
            # the team's reps as the tree counts them (a rep who left still brings the month's deals)
            active = sums is not None and bool(sums["active"].get(team_id, False))  # no working rep: no value
            for i, (kpi_id, per) in enumerate(kl):
                v = _team_value(kpi_id, sums, team_id, per) if active else np.nan
                rows.append({"team_id": team_id, "kpi_id": kpi_id, "per": per, "month": m, "value": v, "order": i})
    return pd.DataFrame(rows)


def _team_sums(cur: pd.DataFrame) -> dict:
    """The team rows of :func:`tree._sums` of one month's :func:`measures` (all reps, and BDRs
    only) indexed by team, and whether each team has a rep with business days."""
    out = {}
    for bdr in (False, True):
        s = _tree._sums(cur, bdr_only=bdr)
        out[bdr] = s[s["level"] == "team"].set_index("team_id", drop=False)
    out["active"] = (cur["n_days"] > 0).groupby(cur["team_id"]).any()
    return out


def _team_value(kpi_id: str, sums: dict, team_id, per) -> float:
    """A team's value of one KPI from its reps' :func:`measures` sums, by the KPI tree's own rule
    (one home: :mod:`.tree`)."""
    s = sums[kpi_id in _tree.BDR_KPIS]
    if team_id not in s.index:
        return np.nan
    s = s.loc[[team_id]].reset_index(drop=True)
    return float(_tree._values(kpi_id, s, per)["actual"][0])


def _decline_p(values: np.ndarray) -> float:
    """One-sided p-value of a falling series (Kendall's tau against time, exact for small n)."""
    from scipy import stats

    res = stats.kendalltau(np.arange(len(values)), values, alternative="less", method="auto")
    return float(res.pvalue) if np.isfinite(res.pvalue) else 1.0


def actions(
    kpi_table: pd.DataFrame,
    *,
    team_phase: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    n: int = 3,
    trend_months: int = 6,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The ``n`` most important actions the recorded numbers call for, as codes and figures.

    Candidates, each backed by a recorded value:

    - ``miss``: a team KPI whose verdict is ``miss`` (red); the team's worst one (largest
      shortfall relative to its target) — one per team.
    - ``ready``: a team whose ``team_phase`` says it is ready for the next phase.
    - ``decline``: a team's key KPI (``history``) that fell over the last ``trend_months`` months:
      one-sided Kendall test, Holm-corrected over every series looked at, below ``alpha``.

    Order: the worst miss, then a team ready to move, then the clearest decline; the remaining
    places go to the next candidates in that order (misses by shortfall). With no candidate the
    result is empty (the index then says nothing is urgent): no action is invented.

    Returns
    -------
    DataFrame, at most ``n`` rows: rank, code (:data:`ACTION_CODES`), team_id, kpi_id, actual,
    target, target_low, target_high (a band target: the gap is to its near edge), gap (actual −
    target, or − the band's low edge; its high edge for lower-is-better KPIs), shortfall (1 − actual/target for higher-is-better KPIs,
    actual/target − 1 for lower-is-better), phase, next_phase, months, first, last, p_val, p_adj.
    """
    cols = ["rank", "code", "team_id", "kpi_id", "actual", "target", "target_low", "target_high", "gap", "shortfall"]
    cols += ["phase", "next_phase"]
    cols += ["months", "first", "last", "p_val", "p_adj"]
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    pools = {c: [] for c in ACTION_CODES}
    kt = kpi_table[kpi_table["verdict"] == "miss"].copy() if "verdict" in kpi_table else kpi_table.iloc[0:0]
    if len(kt):
        lower = kt["kpi_id"].map(lambda k: kpis.get(k).direction == "lower")
        # a range target (the seed's bands) is missed below its low edge (above its high edge
        # for lower-is-better KPIs): that edge is the target the gap is measured to
        if "target_low" in kt:
            edge = kt["target_high"].where(lower, kt["target_low"]).astype(float)
            kt["edge"] = edge.where(np.isfinite(edge), kt["target"])
        else:
            kt["edge"] = kt["target"]
        ratio = kt["actual"] / kt["edge"]
        kt["shortfall"] = np.where(lower, ratio - 1, 1 - ratio)
        kt = kt.sort_values("shortfall", ascending=False).drop_duplicates("team_id")
        for r in kt.itertuples():
            pools["miss"].append(
                {
                    "code": "miss",
                    "team_id": r.team_id,
                    "kpi_id": r.kpi_id,
                    "actual": r.actual,
                    "target": r.target,
                    "target_low": getattr(r, "target_low", np.nan),
                    "target_high": getattr(r, "target_high", np.nan),
                    "gap": r.actual - r.edge,
                    "shortfall": r.shortfall,
                }
            )
    if team_phase is not None and len(team_phase):
        for r in team_phase[team_phase["ready"].fillna(False).astype(bool)].itertuples():
            if isinstance(r.next_phase, str) and r.next_phase:
                pools["ready"].append(
                    {"code": "ready", "team_id": r.team_id, "phase": r.phase, "next_phase": r.next_phase}
                )
    if history is not None and len(history):
        pools["decline"] = _declines(history, trend_months=trend_months, alpha=alpha)
    picked = []
    for code in ACTION_CODES:  # one of each kind first, then the rest in order
        if pools[code]:
            picked.append(pools[code].pop(0))
    for code in ACTION_CODES:
        picked.extend(pools[code])
    out = pd.DataFrame(picked[:n], columns=[c for c in cols if c != "rank"])
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def _declines(history: pd.DataFrame, *, trend_months: int, alpha: float) -> list[dict]:
    h = history[history["team_id"] != "all"]
    last = sorted(h["month"].unique())[-trend_months:]
    h = h[h["month"].isin(last)]
    found = []
    for (team_id, kpi_id), g in h.groupby(["team_id", "kpi_id"], sort=False):
        v = g.sort_values("month")["value"].to_numpy(dtype=float)
        if len(v) < trend_months or not np.isfinite(v).all():
            continue  # a short or broken series claims nothing
        if kpis.get(kpi_id).direction == "lower":
            v = -v
        found.append(
            {
                "code": "decline",
                "team_id": team_id,
                "kpi_id": kpi_id,
                "months": len(v),
                "first": float(g.sort_values("month")["value"].iloc[0]),
                "last": float(g.sort_values("month")["value"].iloc[-1]),
                "p_val": _decline_p(v),
            }
        )
    if not found:
        return []
    p_adj = _holm([f["p_val"] for f in found])
    for f, p in zip(found, p_adj):
        f["p_adj"] = float(p)
    return sorted((f for f in found if f["p_adj"] < alpha), key=lambda f: f["p_adj"])


def _holm(p) -> np.ndarray:
    """Holm's step-down adjusted p-values (as ``statsmodels.stats.multitest.multipletests(p,
    method="holm")[1]``, without its cost per call)."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


# ---------------------------------------------------------------------------------------------
