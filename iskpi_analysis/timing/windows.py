"""Reliable calling windows: **the** rule 04's windows and 02's success patterns both call."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

from .. import config
from .. import stats as st
from .counts import FACTORS, METRICS, _as_counts
from .effects import _ESTIMATES, _model_estimates, adjusted_effects, factor_tests
from .rules import RULES, Rules, verdict

__all__ = ["SCOPES", "VERDICTS", "WINDOW_COLUMNS", "reliable_windows", "recommended_windows", "window_hours"]

_check = config.check_option
SCOPES = ("all", "team", "rep")
#: The verdict of an hour of a window table.
VERDICTS = ("recommend", "avoid", "neutral", "too_small")
WINDOW_COLUMNS = [
    "scope",
    "group",
    "group_n",
    "hour",
    "n",
    "raw_rate",
    "adjusted_rate",
    "average_rate",
    "reference_level",
    "reference_rate",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_val",
    "p_adj",
    "hour_p_val",
    "min_lift",
    "effect_verdict",
    "reason",
    "verdict",
]
_WINDOW_VERDICT = {
    "above": "recommend",
    "below": "avoid",
    "small": "neutral",
    "neutral": "neutral",
    "too_small": "too_small",
}


def _group_windows(counts: pd.DataFrame, *, by, metric: str, min_group_trials: int, rules: Rules) -> pd.DataFrame:
    """The hour effects of each group of one scope (groups under ``min_group_trials`` skipped)."""
    num, den = METRICS[metric]
    groups = [("all", counts)] if by is None else list(counts.groupby(by, observed=True))
    scope = {None: "all", "team_id": "team", "rep_id": "rep"}[by]
    adjust_for = None if by == "rep_id" or "rep_id" not in counts.columns else "rep_id"
    parts = []
    for gid, sub in groups:
        gid = gid[0] if isinstance(gid, tuple) else gid
        total = int(sub[den].sum())
        if total < min_group_trials:
            continue
        eff = adjusted_effects(
            sub, metric=metric, factors=FACTORS, adjust_for=adjust_for, rules=rules, tested=("hour",)
        )
        eff = eff[eff["factor"] == "hour"].rename(columns={"level": "hour"})
        eff.insert(0, "group_n", total)
        eff.insert(0, "group", str(gid))
        eff.insert(0, "scope", scope)
        parts.append(eff)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


#: The columns of a group's hour rows that :func:`reliable_windows` keeps (p_adj and the
#: verdicts are recomputed there across the scope).
_GROUP_COLUMNS = [
    "hour",
    "n",
    "raw_rate",
    "adjusted_rate",
    "average_rate",
    "reference_level",
    "reference_rate",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_val",
    "min_lift",
    "too_small",
]


def _rep_windows(counts: pd.DataFrame, *, metric: str, min_group_trials: int, rules: Rules) -> pd.DataFrame:
    """:func:`_group_windows` by rep, the same rows, without its per-group pandas steps.

    Each rep's model is :func:`adjusted_effects`' with nothing held fixed (hours tested, weekday
    in the model, levels under ``rules.min_trials`` left out); only the columns
    :func:`reliable_windows` keeps are computed (the per-group BH and verdicts are replaced there).
    With a thousand reps the per-rep frames, group-bys and joins cost more than the fits.
    """
    num, den = METRICS[metric]
    z = _st.norm.ppf(0.975)  # adjusted_effects' default confidence, as _group_windows calls it
    hour, wday = counts["hour"].to_numpy(), counts["weekday"].to_numpy()
    k_all, n_all = counts[num].to_numpy(float), counts[den].to_numpy(float)
    rows = []
    for gid, idx in counts.groupby("rep_id", observed=True, sort=True).indices.items():
        n, k = n_all[idx], k_all[idx]
        total = int(n.sum())
        if total < min_group_trials:
            continue
        hl, hi = np.unique(hour[idx], return_inverse=True)
        wl, wi = np.unique(wday[idx], return_inverse=True)
        hn, hk = np.bincount(hi, weights=n, minlength=len(hl)), np.bincount(hi, weights=k, minlength=len(hl))
        small_h = hn < rules.min_trials
        small_w = np.bincount(wi, weights=n, minlength=len(wl)) < rules.min_trials
        # adjusted_effects' fit sample: judged hours × judged weekdays, summed per cell
        keep = (n > 0) & ~small_h[hi] & ~small_w[wi]
        cells, ci = np.unique(hi[keep] * len(wl) + wi[keep], return_inverse=True)
        df = pd.DataFrame(
            {
                "hour": hl[cells // len(wl)],
                "weekday": wl[cells % len(wl)],
                num: np.bincount(ci, weights=k[keep], minlength=len(cells)),
                den: np.bincount(ci, weights=n[keep], minlength=len(cells)),
            }
        )
        est, _ = _model_estimates(df[df[den] > 0], ["hour", "weekday"], ["hour"], num, den, z, reuse=False)
        part = []
        for j in np.flatnonzero(hn > 0):
            e = est.get(("hour", hl[j]), {})
            part.append(
                {
                    "scope": "rep",
                    "group": str(gid),
                    "group_n": total,
                    "hour": int(hl[j]),
                    "n": int(hn[j]),
                    "raw_rate": hk[j] / hn[j],
                    **{c: e.get(c, np.nan) for c in _ESTIMATES},
                    "too_small": bool(small_h[j]),
                }
            )
        # as effects._factor_rows: the first row's average rate (NaN when that hour is too small)
        lift = rules.lift_for(part[0]["average_rate"] if part else np.nan)
        rows += [{**r, "min_lift": lift} for r in part]
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows)[["scope", "group", "group_n", *_GROUP_COLUMNS]]


def _hour_gate(w: pd.DataFrame, counts: pd.DataFrame, scopes: tuple, metric: str, rules: Rules) -> float:
    """The likelihood-ratio p of the hour factor on the whole data (rep and weekday held fixed)."""
    if "all" in scopes and (w["scope"] == "all").any():
        return float(w.loc[w["scope"] == "all", "factor_p_val"].iloc[0])
    eff = adjusted_effects(
        counts,
        metric=metric,
        factors=FACTORS,
        tested=("hour",),
        adjust_for="rep_id" if "rep_id" in counts.columns else None,
        rules=rules,
    )
    return factor_tests(eff, rules=rules).set_index("factor").loc["hour", "p_val"]


def reliable_windows(
    data,
    *,
    metric: str = "connect_rate",
    rules: Rules = RULES,
    per_team: bool = True,
    per_rep: bool = True,
    include_non_business: bool = False,
    scopes=SCOPES,
) -> pd.DataFrame:
    """**The** rule for "is this hour a reliable calling window" (04's windows and 02's success
    patterns both call it, with the same :class:`Rules`).

    1. The hour matters at all: the likelihood-ratio test of the hour factor in the logistic
       model of the whole data with rep and weekday held fixed is below ``rules.claim_alpha``
       (``hour_p_val``). Otherwise no hour of any group is recommended or avoided.
    2. Each hour of each group shown (the whole data; each team when there are several; each rep
       whose denominator reaches ``rules.min_rep_trials``) is tested against that group's median
       hour: likelihood-ratio test with weekday (and rep, for the whole data and teams) held
       fixed (:func:`adjusted_effects`).
    3. BH (``p_adj``) within each scope across **every** group × hour test of that scope: the
       whole data's hours, every team × hour, every rep × hour (never within one rep alone);
       p_adj < ``rules.alpha`` and the 95 % interval of the difference excluding 0.
    4. The estimated difference reaches :meth:`Rules.lift_for` the group's average rate.

    ``scopes`` restricts the groups (the gate and the correction then cover those groups only).
    Thresholds come only from ``rules`` (02 and 04 pass the same :class:`Rules`).

    Returns
    -------
    DataFrame, one row per group × hour (:data:`WINDOW_COLUMNS`): scope (all / team / rep),
    group ('all', team_id or rep_id), group_n, hour, n, raw_rate, adjusted_rate, average_rate,
    reference_level (the median hour), reference_rate, diff (adjusted − median hour),
    diff_ci_low, diff_ci_high, p_val, p_adj, hour_p_val, min_lift, effect_verdict (above / below
    / small / neutral / too_small), reason (:data:`REASONS`), verdict (recommend / avoid /
    neutral / too_small).
    """
    _check("metric", metric, METRICS)
    scopes = (scopes,) if isinstance(scopes, str) else tuple(scopes)
    for sc in scopes:
        _check("scope", sc, SCOPES)
    counts = _as_counts(data, ("rep_id", "weekday", "hour"), include_non_business)
    kw = dict(metric=metric, rules=rules)
    parts = []
    if "all" in scopes:
        parts.append(_group_windows(counts, by=None, min_group_trials=0, **kw))
    if "team" in scopes and per_team and "team_id" in counts.columns and counts["team_id"].nunique() > 1:
        parts.append(_group_windows(counts, by="team_id", min_group_trials=rules.min_rep_trials, **kw))
    if "rep" in scopes and per_rep and "rep_id" in counts.columns:
        parts.append(_rep_windows(counts, min_group_trials=rules.min_rep_trials, **kw))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=WINDOW_COLUMNS)
    w = pd.concat(parts, ignore_index=True)
    gate = _hour_gate(w, counts, scopes, metric, rules)
    w["hour_p_val"] = gate
    # one BH family per scope: the whole data's hours, the teams' hours, every rep × hour test
    w["p_adj"] = np.nan
    for _, idx in w.groupby("scope", sort=False).groups.items():
        w.loc[idx, "p_adj"] = st.bh_adjust(w.loc[idx, "p_val"].to_numpy())
    w["effect_verdict"], w["reason"] = verdict(
        w["p_adj"],
        w["diff"],
        w["diff_ci_low"],
        w["diff_ci_high"],
        w["too_small"],
        gate=gate,
        rules=rules,
        min_lift=w["min_lift"].to_numpy(float),
    )
    w.loc[(w["hour"] == w["reference_level"]) & ~w["too_small"].astype(bool), "reason"] = "reference"
    w["verdict"] = w["effect_verdict"].map(_WINDOW_VERDICT)
    return w[WINDOW_COLUMNS].reset_index(drop=True)


def recommended_windows(
    data,
    *,
    by: str | None = None,
    metric: str = "connect_rate",
    rules: Rules = RULES,
    include_non_business: bool = False,
) -> pd.DataFrame:
    """The windows of one scope (:func:`reliable_windows` with that scope only): the whole data
    (``by=None``), each team (``"team_id"``) or each rep (``"rep_id"``; groups under
    ``rules.min_rep_trials`` skipped)."""
    _check("by", by, (None, "team_id", "rep_id"))
    scope = {None: "all", "team_id": "team", "rep_id": "rep"}[by]
    return reliable_windows(
        data, metric=metric, rules=rules, include_non_business=include_non_business, scopes=(scope,)
    )


def window_hours(
    windows: pd.DataFrame, verdict: str = "recommend", *, scope: str = "all", group: str | None = None
) -> list[int]:
    """Hours with ``verdict`` ('recommend' / 'avoid' / …) in the windows of one scope (and group)."""
    _check("verdict", verdict, VERDICTS)
    _check("scope", scope, SCOPES)
    if not len(windows):
        return []
    sel = (windows["scope"] == scope) & (windows["verdict"] == verdict)
    if group is not None:
        sel &= windows["group"] == group
    return sorted(int(h) for h in windows.loc[sel, "hour"])
