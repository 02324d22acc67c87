"""What the findings of 03 say, decided once and without words: one record per sentence.

Each record names the pair(s) it is about, the verdict it was written from (:func:`verdicts`),
whether it claims an effect, and the catalog message (``key``) with its language-neutral
arguments (``args``: KPI ids, grain, numbers, certainty codes). :mod:`.narrative` renders a record
into a sentence; the calibration (:func:`claimed`) reads the records directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .analysis import CLAIM_ALPHA, FINDING_PARTS, _by_size, _check_claim, _check_grain, certainty, kgi_states, verdicts

__all__ = ["PLAN_COLUMNS", "statement_plan", "claimed"]

#: Columns of :func:`statement_plan` (the statement columns without the sentence, plus the
#: catalog key and its arguments).
PLAN_COLUMNS = ["part", "x", "y", "lag", "verdict", "claim", "r", "ci_low", "ci_high", "p_adj", "key", "args"]


def _record(part, key, args, verdict, claim=False, row=None, lag=0, rows=None, xs=None) -> dict:
    """One statement: its message and the verdict it was written from — one row's (``row``),
    or the shared verdict of the pairs it names (``rows``: x and y joined by ';'; ``xs``: KPIs
    named without a partner). x = y = '' when it speaks about its whole part."""
    d = {
        "part": part,
        "x": "",
        "y": "",
        "lag": lag,
        "verdict": verdict,
        "claim": bool(claim),
        "r": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_adj": np.nan,
        "key": key,
        "args": args,
    }
    if row is not None:
        d.update({k: row[k] for k in ("x", "y", "lag", "r", "ci_low", "ci_high", "p_adj")})
        d["lag"] = int(row["lag"])
    elif rows is not None:
        d["x"], d["y"] = ";".join(rows["x"]), ";".join(rows["y"])
    elif xs is not None:
        d["x"] = ";".join(xs)
    return d


def _pairs(rows: pd.DataFrame) -> list[tuple]:
    return list(zip(rows["x"], rows["y"], rows["r"]))


def _effect_args(row, grain: str, alpha: float, *, caution: bool = True) -> dict:
    """A claimed effect of one row: its pair, figures, certainty and (for a rate against its own
    denominator, same-period findings) the caution DESIGN §5 asks for."""
    return {
        "row": {k: row[k] for k in ("x", "y", "r", "ci_low", "ci_high", "p_adj", "n_reps", "n_obs")},
        "per": grain,
        "certainty": certainty(row, alpha=alpha),
        "caution": caution and row["mechanical_kind"] == "denominator",
    }


def statement_plan(
    results: pd.DataFrame,
    *,
    alpha: float = 0.05,
    claim_alpha: float = CLAIM_ALPHA,
    targets: pd.DataFrame | None = None,
    grain: str = "week",
    max_items: int = 4,
    parts=FINDING_PARTS,
) -> pd.DataFrame:
    """Every findings statement as a language-neutral record (see the module docstring).

    Parameters
    ----------
    As :func:`iskpi_analysis.correlation.findings`, without ``lang``.

    Returns
    -------
    DataFrame with :data:`PLAN_COLUMNS`.
    """
    _check_grain(grain)
    _check_claim(alpha, claim_alpha)
    parts = tuple(parts)
    bad = [p for p in parts if p not in FINDING_PARTS]
    if bad:
        raise ValueError(f"parts must be drawn from {FINDING_PARTS}, got {bad}")
    if results.empty:
        rows = [_record("summary", "correlation.statement.empty", {}, "too_few")]
    else:
        rows = []
        kw = dict(alpha=alpha, claim_alpha=claim_alpha, grain=grain, max_items=max_items)
        if "efficiency" in parts:
            rows += _efficiency(results, targets=targets, **kw)
        if "kgi" in parts:
            rows += _kgi(results, **kw)
        if "lag" in parts:
            rows += _lag(results, **kw)
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def _efficiency(results, *, alpha, claim_alpha, targets, grain, max_items) -> list[dict]:
    w0 = results[(results["level"] == "within") & (results["lag"] == 0) & (results["kind"] == "activity_efficiency")]
    v = verdicts(w0, alpha=alpha, claim_alpha=claim_alpha)
    measured = v[v["verdict"] != "too_few"]
    arith = measured[measured["verdict"] == "built_in"]
    tested = measured[measured["verdict"] != "built_in"]
    claimed_ = tested[tested["claimed"]]
    ind = tested[tested["verdict"] == "indicative"]
    out = [
        _record(
            "summary",
            "correlation.statement.summary",
            {
                "n": len(tested),
                "n_reps": int(measured["n_reps"].max()) if len(measured) else 0,
                "n_obs": int(measured["n_obs"].max()) if len(measured) else 0,
                "per": grain,
                "alpha": alpha,
                "claim_alpha": claim_alpha,
                "n_claimed": len(claimed_),
                "n_arith": len(arith),
            },
            "summary",
        )
    ]
    falls = _by_size(claimed_[claimed_["verdict"] == "falls"])
    rises = _by_size(claimed_[claimed_["verdict"] == "rises"])
    for _, row in pd.concat([falls.head(max_items), rises.head(max_items)]).iterrows():
        out.append(
            _record(
                "efficiency",
                f"correlation.statement.{row['verdict']}",
                _effect_args(row, grain, alpha),
                row["verdict"],
                True,
                row,
            )
        )
    if not len(claimed_) and len(ind):
        shown = _by_size(ind).head(max_items)
        out.append(
            _record(
                "efficiency", "correlation.statement.indicative", {"names": _pairs(shown)}, "indicative", rows=shown
            )
        )
    elif not len(claimed_):
        out.append(_record("efficiency", "correlation.statement.none", {}, "none"))
    mech = arith[arith["significant"]]
    if len(mech):
        out.append(
            _record(
                "arithmetic", "correlation.statement.arithmetic", {"names_plain": _pairs(mech)}, "built_in", rows=mech
            )
        )
    out += _simpson(claimed_, results, max_items)
    out += _advice(targets, falls=falls.head(max_items), ind=ind, n_tested=len(tested))
    return out


def _simpson(claimed_: pd.DataFrame, results: pd.DataFrame, max_items: int) -> list[dict]:
    """Simpson cautions, for claimed within-rep rows whose sign flips at another level."""
    lag0 = results[results["lag"] == 0].set_index(["x", "y", "level"])
    out = []
    for _, row in claimed_[claimed_["simpson"]].head(max_items).iterrows():
        # name only the levels whose sign is opposite to the within-rep one
        flips = [(lv, lag0.loc[(row["x"], row["y"], lv), "r"]) for lv in ("between", "pooled")]
        flips = [(lv, r) for lv, r in flips if np.isfinite(r) and np.sign(r) == -np.sign(row["r"])]
        if flips:
            out.append(
                _record(
                    "simpson",
                    "correlation.simpson.sentence",
                    {"x": row["x"], "y": row["y"], "r": row["r"], "flips": flips},
                    row["verdict"],
                    True,
                    row,
                )
            )
    return out


def _guide(row) -> float | tuple:
    """A KPI's guide value: its point target, or the seed's range ``(low, high)`` where the template
    gives only a range (targets.target_table: no midpoint is made up)."""
    lo, hi = row.get("low", np.nan), row.get("high", np.nan)
    if not np.isfinite(row["target"]) and np.isfinite(lo) and np.isfinite(hi):
        return (float(lo), float(hi))
    return row["target"]


def _advice(targets, *, falls, ind, n_tested) -> list[dict]:
    """What the findings mean for the efficiency targets (the team's phase's guide values): a
    trade-off only from claimed rows."""
    if targets is None:
        return []
    if len(falls):
        tg = targets.set_index("kpi_id")
        # the phase whose template gave each guide value (phase.guide_targets); growth without one
        ph = tg["phase"] if "phase" in tg.columns else pd.Series("growth", index=tg.index)
        items = list(dict.fromkeys((y, _guide(tg.loc[y]), ph[y]) for y in falls["y"] if y in tg.index))
        if not items:
            return []
        return [_record("advice", "correlation.advice.falls", {"items": items}, "falls", True, rows=falls)]
    if not n_tested:
        return []
    neg_ind = ind[ind["r"] < 0]
    if len(neg_ind):
        return [_record("advice", "correlation.advice.indicative", {}, "indicative", rows=neg_ind)]
    return [_record("advice", "correlation.advice.none", {}, "none")]


def _kgi(results, *, alpha, claim_alpha, grain, max_items) -> list[dict]:
    w0 = results[(results["level"] == "within") & (results["lag"] == 0) & (results["kind"] == "kpi_kgi")]
    kg = verdicts(w0, alpha=alpha, claim_alpha=claim_alpha)
    kg = kg[kg["verdict"] != "too_few"]
    if not len(kg):
        return []
    out: list[dict] = []
    drivers = kg[kg["verdict"] == "rises"].sort_values("r", ascending=False).head(max_items)
    if len(drivers):
        out.append(
            _record(
                "kgi", "correlation.kgi.rises", {"per": grain, "drivers": _pairs(drivers)}, "rises", True, rows=drivers
            )
        )
    # each activity KPI without a claimed positive link: say what its links are
    state = kgi_states(kg)
    for verdict in ("falls", "indicative", "none"):
        xs = [a for a, s in state.items() if s == verdict]
        if not xs:
            continue
        if verdict == "falls":
            rows_ = kg[kg["x"].isin(xs) & (kg["verdict"] == "falls")]
            out.append(
                _record(
                    "kgi",
                    "correlation.kgi.falls",
                    {"kpis": xs, "per": grain, "pairs": _pairs(rows_)},
                    "falls",
                    True,
                    rows=rows_,
                )
            )
        else:
            out.append(_record("kgi", f"correlation.kgi.{verdict}", {"kpis": xs}, verdict, xs=xs))
    out += _simpson(kg[kg["claimed"]], results, max_items)
    return out


def _lag(results: pd.DataFrame, *, alpha: float, claim_alpha: float, grain: str, max_items: int) -> list[dict]:
    lag1 = results[(results["level"] == "within") & (results["lag"] == 1) & (results["kind"] == "activity_efficiency")]
    if not len(lag1):
        return []
    v = verdicts(lag1, alpha=alpha, claim_alpha=claim_alpha)
    out = [
        _record(
            "lag",
            f"correlation.lag.{row['verdict']}",
            _effect_args(row, grain, alpha, caution=False),
            row["verdict"],
            True,
            row,
        )
        for _, row in _by_size(v[v["claimed"]]).head(max_items).iterrows()
    ]
    if out:
        return out
    ind = _by_size(v[v["verdict"] == "indicative"]).head(max_items)
    if len(ind):
        return [
            _record(
                "lag", "correlation.lag.indicative", {"per": grain, "names": _pairs(ind)}, "indicative", lag=1, rows=ind
            )
        ]
    return [_record("lag", "correlation.lag.none", {"per": grain}, "none", lag=1)]


def claimed(
    results: pd.DataFrame,
    *,
    lagged: pd.DataFrame | None = None,
    targets: pd.DataFrame | None = None,
    alpha: float = 0.05,
    claim_alpha: float = CLAIM_ALPHA,
    grain: str = "day",
    include_kgi: bool = False,
) -> pd.DataFrame:
    """The records of every statement that claims an effect (language-neutral; see
    :func:`iskpi_analysis.correlation.claims` for the parameters and the headline card)."""
    plans = [
        statement_plan(
            results, alpha=alpha, claim_alpha=claim_alpha, targets=targets, grain=grain, parts=("efficiency",)
        )
    ]
    if lagged is not None:
        plans.append(
            statement_plan(
                lagged,
                alpha=alpha,
                claim_alpha=claim_alpha,
                grain="week",
                parts=("lag", "kgi") if include_kgi else ("lag",),
            )
        )
    out = pd.concat(plans, ignore_index=True)
    return out[out["claim"]].reset_index(drop=True)
