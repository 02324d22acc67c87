"""The correlation findings in words: sentences, headline cards and labelled tables.

Every text comes from the catalog (``messages/<lang>/correlation.toml``, keys
``correlation.*``) and is written from the verdicts of :mod:`.analysis`; nothing here
decides what a result says.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, fmt, io, kpis
from ..catalog import has, t
from .analysis import (CLAIM_ALPHA, FINDING_PARTS, LEVELS, _active, _by_size, _check_claim, _check_grain,
                       certainty, headline_figures, kgi_states, verdicts)

__all__ = ["STATEMENT_COLUMNS", "level_label", "period_word", "format_pair_table", "format_exclusions",
           "describe_window", "statements", "findings", "headline", "claims"]


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


def _count_label(count: str, lang: str) -> str:
    """A KPI's label from the KPI dictionary; a count that is no KPI (leads handled, the
    denominator of deal conversion) from the catalog."""
    if count in kpis.all_kpis():
        return kpis.label(count, lang)
    return t(f"correlation.count.{count}", lang=lang) if has(f"correlation.count.{count}", lang=lang) \
        else count


def format_exclusions(table: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """An :func:`exclusions` table with labels and formatted numbers for a report reader."""
    h = {k: t(f"correlation.exclusions.{k}", lang=lang)
         for k in ("rate", "denominator", "n_obs", "n_excluded", "share_excluded")}
    return pd.DataFrame({
        h["rate"]: [kpis.label(k, lang) for k in table["kpi_id"]],
        h["denominator"]: [_count_label(d, lang) for d in table["denominator"]],
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
    out = [_statement("lag", _effect(f"correlation.lag.{row['verdict']}", row, lang, per, alpha),
                      row["verdict"], True, row)
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
