"""The correlation findings in words: sentences, headline cards and labelled tables.

Every text comes from the catalog (``messages/<lang>/correlation.toml``, keys
``correlation.*``). A findings sentence is the rendering (:func:`render`) of a language-neutral
record of :mod:`.plan`, written from the verdicts of :mod:`.analysis`; nothing here decides what
a result says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, dataset, fmt, kpis
from ..catalog import has, t
from .analysis import CLAIM_ALPHA, FINDING_PARTS, LEVELS, _active, _check_grain, headline_figures
from .plan import PLAN_COLUMNS, claimed, statement_plan

__all__ = [
    "STATEMENT_COLUMNS",
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
    return t("correlation.pair.name", lang=lang, x=kpis.label(x, lang=lang), y=kpis.label(y, lang=lang))


_TABLE_COLUMNS = (
    "kpi",
    "versus",
    "r_within",
    "dof",
    "p_adj",
    "r_rank",
    "r_between",
    "r_pooled",
    "reps_obs",
    "excluded",
    "caution",
)


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

    return pd.DataFrame(
        {
            h["kpi"]: [kpis.label(v, lang=lang) for v in table["x"]],
            h["versus"]: [kpis.label(v, lang=lang) for v in table["y"]],
            h["r_within"]: [
                "–" if pd.isna(r) else f"{r:+.2f} {fmt.ci(lo, hi, as_pct=False)}"
                for r, lo, hi in zip(table["r_within"], table["ci_low"], table["ci_high"])
            ],
            h["dof"]: table["dof"].to_numpy(),
            h["p_adj"]: [fmt.p_value(v, name="") for v in table["p_adj"]],
            h["r_rank"]: [_r(v) for v in col("r_within_spearman")],
            h["r_between"]: [_r(v) for v in col("r_between")],
            h["r_pooled"]: [_r(v) for v in col("r_pooled")],
            h["reps_obs"]: [f"{a}/{fmt.num(b)}" for a, b in zip(table["n_reps"], table["n_obs"])],
            h["excluded"]: [fmt.num(v) for v in table["n_excluded"]],
            h["caution"]: [
                sep.join(flags[f] for f in s.split(";") if f) if isinstance(s, str) else "" for s in table["flag"]
            ],
        }
    )


def _count_label(count: str, lang: str) -> str:
    """A KPI's label from the KPI dictionary; a count that is no KPI (leads handled, the
    denominator of deal conversion) from the catalog."""
    if count in kpis.all_kpis():
        return kpis.label(count, lang=lang)
    return t(f"correlation.count.{count}", lang=lang) if has(f"correlation.count.{count}", lang=lang) else count


def format_exclusions(table: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """An :func:`exclusions` table with labels and formatted numbers for a report reader."""
    h = {
        k: t(f"correlation.exclusions.{k}", lang=lang)
        for k in ("rate", "denominator", "n_obs", "n_excluded", "share_excluded")
    }
    return pd.DataFrame(
        {
            h["rate"]: [kpis.label(k, lang=lang) for k in table["kpi_id"]],
            h["denominator"]: [_count_label(d, lang) for d in table["denominator"]],
            h["n_obs"]: [fmt.num(v) for v in table["n_obs"]],
            h["n_excluded"]: [fmt.num(v) for v in table["n_excluded"]],
            h["share_excluded"]: [fmt.pct(v) for v in table["share_excluded"]],
        }
    )


def describe_window(
    window: pd.DataFrame, *, grain: str, months: int, month: str, lang: str = config.DEFAULT_LANG
) -> str:
    """One line saying what was analysed: months, reps, observations and the grain."""
    _check_grain(grain)
    first = f"{dataset.month_bounds(month, months)[0]:%Y-%m}"
    active = int(_active(window).sum()) if len(window) else 0
    n_reps = int(window["rep_id"].nunique()) if len(window) else 0
    return t(
        "correlation.window.line",
        lang=lang,
        first=first,
        month=month,
        n=months,
        n_reps=n_reps,
        per=t(f"correlation.window_period.{grain}", lang=lang),
        n_rows=fmt.num(len(window)),
        n_active=fmt.num(active),
    )


def _stat(row: dict, lang: str) -> str:
    return t(
        "correlation.stat.line",
        lang=lang,
        r=f"{row['r']:+.2f}",
        ci=fmt.ci(row["ci_low"], row["ci_high"], as_pct=False),
        p=fmt.p_value(row["p_adj"]),
        n=int(row["n_reps"]),
        n_obs=fmt.num(row["n_obs"]),
    )


#: Columns of :func:`statements` (and :func:`claims`).
STATEMENT_COLUMNS = [*PLAN_COLUMNS[:-2], "sentence"]


def _names(pairs, lang: str, with_r: bool = True) -> str:
    key = "correlation.pair.name_r" if with_r else "correlation.pair.name"
    return t("correlation.sep.list", lang=lang).join(
        t(key, lang=lang, x=kpis.label(a, lang=lang), y=kpis.label(b, lang=lang), r=_r(r)) for a, b, r in pairs
    )


def _guide_text(kpi_id: str, target, lang: str) -> str:
    """A guide value: a point, or the seed's range ``(low, high)``."""
    if isinstance(target, tuple):
        lo, hi = (fmt.kpi_value(kpi_id, x, lang=lang) for x in target)
        return t("correlation.advice.range", lang=lang, low=lo, high=hi)
    return fmt.kpi_value(kpi_id, target, lang=lang)


def _fields(args: dict, lang: str) -> dict:
    """The catalog fields of a plan record's language-neutral arguments (one rule per argument
    name, so every message that shares an argument words it the same way)."""
    label = lambda k: kpis.label(k, lang=lang)  # noqa: E731
    sep = t("correlation.sep.list", lang=lang)
    f = {}
    for name, v in args.items():
        if name == "row":
            f.update(x=label(v["x"]), y=label(v["y"]), stat=_stat(v, lang))
        elif name in ("x", "y"):
            f[name] = label(v)
        elif name == "r":
            f["r"] = _r(v)
        elif name == "per":
            f["per"] = period_word(v, lang=lang)
        elif name == "certainty":
            f["certainty"] = t(f"correlation.certainty.{v}", lang=lang)
        elif name in ("names", "pairs"):
            f[name] = _names(v, lang)
        elif name == "names_plain":
            f["names"] = _names(v, lang, with_r=False)
        elif name == "kpis":
            f["names"] = sep.join(label(k) for k in v)
        elif name == "drivers":
            f["names"] = sep.join(
                t("correlation.pair.driver", lang=lang, x=label(a), y=label(b), r=_r(r)) for a, b, r in v
            )
        elif name == "flips":
            f["where"] = t("correlation.sep.and", lang=lang).join(
                t(f"correlation.simpson.{lv}", lang=lang, r=_r(r)) for lv, r in v
            )
        elif name == "items":
            f["items"] = sep.join(
                t(
                    "correlation.advice.item",
                    lang=lang,
                    y=label(y),
                    target=_guide_text(y, target, lang),
                    phase=kpis.phase_label(ph[0] if ph else "growth", lang=lang),
                )
                for y, target, *ph in v
            )
        elif name == "alpha":
            f["alpha"] = f"{v:.0%}"
        elif name == "claim_alpha":
            f["claim_alpha"] = f"{v:g}"
        elif name == "n_obs":
            f["n_obs"] = fmt.num(v)
        elif name != "caution":
            f[name] = v
    return f


def render(record, *, lang: str = config.DEFAULT_LANG) -> str:
    """The sentence of one :func:`statement_plan` record (its ``key`` and ``args``) in ``lang``."""
    args = record["args"]
    s = t(record["key"], lang=lang, **_fields(args, lang))
    if args.get("caution"):  # a rate against its own denominator (DESIGN §5)
        s += t(
            "correlation.stat.denominator_caution",
            lang=lang,
            x=kpis.label(args["row"]["x"], lang=lang),
            y=kpis.label(args["row"]["y"], lang=lang),
        )
    return s


def _rendered(plan: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = plan.drop(columns=["key", "args"])
    out["sentence"] = [render(r, lang=lang) for _, r in plan.iterrows()]
    return out[STATEMENT_COLUMNS]


def statements(
    results: pd.DataFrame,
    *,
    lang: str = config.DEFAULT_LANG,
    alpha: float = 0.05,
    claim_alpha: float = CLAIM_ALPHA,
    targets: pd.DataFrame | None = None,
    grain: str = "week",
    max_items: int = 4,
    parts=FINDING_PARTS,
) -> pd.DataFrame:
    """The findings sentences, each with the verdict it was written from.

    Every sentence is rendered from a :func:`statement_plan` record, itself derived from
    :func:`verdicts` (one verdict per result row): a sentence that a relation rises or falls is
    written only for a claimed row of that sign, a sentence that no relation was found only when
    no eligible row has a 95 % CI excluding 0.

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
    plan = statement_plan(
        results, alpha=alpha, claim_alpha=claim_alpha, targets=targets, grain=grain, max_items=max_items, parts=parts
    )
    return _rendered(plan, lang)


def findings(
    results: pd.DataFrame,
    *,
    lang: str = config.DEFAULT_LANG,
    alpha: float = 0.05,
    targets: pd.DataFrame | None = None,
    grain: str = "week",
    max_items: int = 4,
    parts=FINDING_PARTS,
    claim_alpha: float = CLAIM_ALPHA,
) -> list[str]:
    """Plain-language findings generated from :func:`kpi_correlations` results.

    Parameters
    ----------
    results : output of :func:`kpi_correlations`.
    lang : 'ja' (default) or 'en'.
    alpha : level of the tables' significance marks, quoted in the text.
    targets : the guide values to phrase the target advice: ``phase.guide_targets(team phase)``
        (kpi_id, target, phase), or a phase template (``kpis.phase_targets('growth')``; no
        ``phase`` column = growth).
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
    return statements(
        results,
        lang=lang,
        alpha=alpha,
        claim_alpha=claim_alpha,
        targets=targets,
        grain=grain,
        max_items=max_items,
        parts=parts,
    )["sentence"].tolist()


def headline(
    results: pd.DataFrame,
    *,
    lang: str = config.DEFAULT_LANG,
    alpha: float = 0.05,
    claim_alpha: float = CLAIM_ALPHA,
    period: str | None = None,
) -> list[dict]:
    """Three headline figures for the report index (``label``, ``value``, ``note``), from the
    same :func:`verdicts` as the findings: the strongest claimed volume–efficiency trade-off
    within reps (never an arithmetic pair), how many pairs show a claimed relation, and how many
    claimed relations change sign between levels. Plain words only (the r and p values are in
    the findings and tables); ``period`` (the analysed window, e.g. ``timing.period_label``) is
    added to the notes, since the window is not the report month alone."""
    config.check_option("lang", lang, config.LANGS)
    h = headline_figures(results, alpha=alpha, claim_alpha=claim_alpha)

    def note(key):
        text = t(key, lang=lang)
        return t("correlation.headline.with_period", lang=lang, note=text, period=period) if period else text

    label = t("correlation.headline.tradeoff", lang=lang)
    if h["tradeoff"] is not None:
        top = h["tradeoff"]
        trade = {
            "label": label,
            "value": _pair(top["x"], top["y"], lang),
            "note": note("correlation.headline.tradeoff_note"),
        }
    else:
        trade = {"label": label, "value": t("correlation.headline.none_found", lang=lang), "note": ""}
    return [
        trade,
        {
            "label": t("correlation.headline.claimed", lang=lang),
            "value": f"{h['n_claimed']} / {h['n_tested']}",
            "note": note("correlation.headline.claimed_note"),
        },
        {
            "label": t("correlation.headline.sign", lang=lang),
            "value": str(h["n_simpson"]),
            "note": note("correlation.headline.sign_note"),
        },
    ]


def claims(
    results: pd.DataFrame,
    *,
    lagged: pd.DataFrame | None = None,
    targets: pd.DataFrame | None = None,
    lang: str = config.DEFAULT_LANG,
    alpha: float = 0.05,
    claim_alpha: float = CLAIM_ALPHA,
    grain: str = "day",
    include_kgi: bool = False,
) -> pd.DataFrame:
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
    out = _rendered(
        claimed(
            results,
            lagged=lagged,
            targets=targets,
            alpha=alpha,
            claim_alpha=claim_alpha,
            grain=grain,
            include_kgi=include_kgi,
        ),
        lang,
    )
    card = headline(results, lang=lang, alpha=alpha, claim_alpha=claim_alpha)[0]
    if card["note"]:  # the card names a pair
        sentence = t("correlation.headline.claim", lang=lang, **card)
        card_row = {
            "part": "headline",
            "x": "",
            "y": "",
            "lag": 0,
            "verdict": "falls",
            "claim": True,
            "r": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_adj": np.nan,
            "sentence": sentence,
        }
        out = pd.concat([out, pd.DataFrame([card_row], columns=STATEMENT_COLUMNS)], ignore_index=True)
    return out.reset_index(drop=True)
