"""The words of a phase diagnosis: labels of the codes, the checklist and the signs with their
evidence, the 2–3 reasons of the verdict, the findings for leadership (saying how sure they are)
and the headline cards. :func:`describe` turns a language-neutral :class:`TeamDiagnosis` into one
that carries them. Every text comes from the catalog (``messages/<lang>/phase.toml``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import config, kpis
from ..catalog import t
from .diagnosis import TeamDiagnosis, key_figures
from .items import checklist_status, sign_conversion_status, sign_status
from .patterns import claims
from .rules import ITEM_IDS, READINESS, SIGN_IDS, STANDINGS, STATUSES
from .sentences import ci_text, conversion_text, item_texts, sep, sign_conversion_text, skill_text

__all__ = [
    "source_suffix",
    "decision_text",
    "decision_markdown",
    "item_label",
    "sign_label",
    "status_label",
    "source_label",
    "readiness_label",
    "standing_label",
    "phase_text",
    "checklist",
    "transition_signs",
    "reasons",
    "findings",
    "describe",
    "headline_text",
    "headline",
    "no_plan_note",
    "verdict_markdown",
    "describe_teams",
    "records",
]

_D = config.DEFAULT_LANG
_check = config.check_option


# --- labels ---------------------------------------------------------------------------------
def item_label(item_id: str, *, lang: str = _D) -> str:
    """The seed's wording of a checklist item."""
    _check("item_id", item_id, ITEM_IDS)
    return t(f"phase.item.{item_id}", lang=lang)


def sign_label(sign_id: str, *, lang: str = _D) -> str:
    """The seed's wording of a growth-transition sign."""
    _check("sign_id", sign_id, SIGN_IDS)
    return t(f"phase.sign.{sign_id}", lang=lang)


def status_label(status: str, *, lang: str = _D, sign: bool = False) -> str:
    """該当 / 非該当 / 不明 (a sign: 確認 / 未確認 / 不明)."""
    _check("status", status, STATUSES)
    return t(f"phase.sign_status.{status}", lang=lang) if sign else t(f"phase.status.{status}", lang=lang)


def source_label(source: str, *, lang: str = _D) -> str:
    """How an item was judged: data / analyst / none."""
    _check("source", source, ("data", "analyst", "none"))
    return t(f"phase.source.{source}", lang=lang)


def readiness_label(readiness: str, *, lang: str = _D) -> str:
    """移行可 / まだ早い / 判定保留(情報不足) / 最終フェーズ."""
    _check("readiness", readiness, READINESS)
    return t(f"phase.readiness.{readiness}", lang=lang)


def standing_label(standing: str, *, lang: str = _D) -> str:
    """A rep's standing against the team."""
    _check("standing", standing, STANDINGS)
    return t(f"phase.standing.{standing}", lang=lang)


def phase_text(phase: str | None, *, lang: str = _D) -> str:
    """Phase label, or 判定保留 / Undetermined for None."""
    return t("phase.undetermined", lang=lang) if phase is None else kpis.phase_label(phase, lang=lang)


def _quote(item_id: str, lang: str) -> str:
    return t("phase.quote", lang=lang, text=item_label(item_id, lang=lang))


# --- checklist and signs with their words ---------------------------------------------------
def checklist(ev: dict, *, lang: str = _D, status: pd.DataFrame | None = None) -> pd.DataFrame:
    """The 10 checklist rows with their words, from the evidence of :func:`diagnose`
    (``TeamDiagnosis.evidence``); ``status`` is its :func:`checklist_status` (computed when None).

    Returns
    -------
    DataFrame, one row per item in the seed's order: no (1–10), item_id, phase, phase_label,
    label, status (met / not_met / unknown), status_label, source (data / analyst / none),
    source_label, value (the figure, float or None), value_text, threshold, threshold_text,
    evidence (a sentence with the figures).
    """
    kpis._check_lang(lang)
    cl = checklist_status(ev) if status is None else status.copy()
    texts = item_texts(ev, lang=lang)
    cl["phase_label"] = [kpis.phase_label(p, lang=lang) for p in cl["phase"]]
    cl["label"] = [item_label(i, lang=lang) for i in cl["item_id"]]
    cl["status_label"] = [status_label(s, lang=lang) for s in cl["status"]]
    cl["source_label"] = [source_label(s, lang=lang) for s in cl["source"]]
    cl["value_text"] = [texts[i][0] for i in cl["item_id"]]
    cl["threshold_text"] = [texts[i][1] for i in cl["item_id"]]
    cl["evidence"] = [texts[i][2] for i in cl["item_id"]]
    cols = ["no", "item_id", "phase", "phase_label", "label", "status", "status_label", "source", "source_label"]
    return cl[[*cols, "value", "value_text", "threshold", "threshold_text", "evidence"]]


def transition_signs(cl: pd.DataFrame, ev: dict, *, lang: str = _D) -> pd.DataFrame:
    """The seed's five growth-transition signs with their words (:func:`sign_status` on the
    checklist ``cl`` from :func:`checklist`, whose evidence the signs share).

    Returns
    -------
    DataFrame, one row per sign: no (1–5), sign_id, sign_label, status, status_label, required
    (the label of: one of the FAQ's three conditions for moving to growth), evidence.
    """
    sg = sign_status(cl, ev)
    evd = dict(zip(cl["item_id"], cl["evidence"]))
    st = dict(zip(cl["item_id"], cl["status"]))
    if ev["enough_data"]:
        act_met = {"met": True, "not_met": False}.get(st["activity_stable"])
        s5 = sign_conversion_status(st["activity_stable"], ev["conversion"], True)
        base = conversion_text(ev["conversion"], act_met, months=ev["months"], lang=lang)
        s5_text = sign_conversion_text(s5, ev["conversion"], base, lang=lang)
        skill_ev = skill_text(ev["skill"], months=ev["months"], lang=lang, trend=True)
    else:
        s5_text, skill_ev = evd["volume_ok_quality_issue"], evd["skill_gap_large"]
    evidence = {
        "sign_activity": evd["activity_stable"],
        "sign_skill": skill_ev,
        "sign_patterns": evd["no_success_pattern"],
        "sign_data": evd["data_3_months"],
        "sign_conversion": s5_text,
    }
    return pd.DataFrame(
        {
            "no": sg["no"],
            "sign_id": sg["sign_id"],
            "sign_label": [sign_label(s, lang=lang) for s in sg["sign_id"]],
            "status": sg["status"],
            "status_label": [status_label(s, lang=lang, sign=True) for s in sg["status"]],
            "required": [t(f"phase.required.{'yes' if r else 'no'}", lang=lang) for r in sg["required"]],
            "evidence": [evidence[s] for s in sg["sign_id"]],
        }
    )


# --- the verdict's reasons ------------------------------------------------------------------
def _phase_basis_text(cls: dict, time_phase: str, ms, lang: str) -> str:
    c, n = cls["counts"], cls["totals"]
    counts = t(
        "phase.basis.counts",
        lang=lang,
        **{f"{p[0]}c": c[p] for p in kpis.PHASES},
        **{f"{p[0]}t": n[p] for p in kpis.PHASES},
    )
    age = "" if ms is None else t("phase.basis.age", lang=lang, n=ms, phase=kpis.phase_label(time_phase, lang=lang))
    if not cls["determined"]:
        return t("phase.basis.undetermined", lang=lang, counts=counts, age=age)
    ph = kpis.phase_label(cls["phase"], lang=lang)
    if cls["basis"] != "rule":
        return t("phase.basis.fallback", lang=lang, counts=counts, phase=ph, age=age)
    if len(cls["rules_met"]) > 1:
        tail = t(f"phase.basis.several.{'launch' if cls['phase'] == 'launch' else 'mature'}", lang=lang, phase=ph)
    else:
        tail = t("phase.basis.one", lang=lang, phase=ph)
    return t("phase.basis.rule", lang=lang, counts=counts, tail=tail, age=age)


def _undetermined_reasons(cls: dict, ev: dict, lang: str) -> list[str]:
    out = []
    if not ev["span"]["span_days"]:
        out.append(t("phase.reason.no_data", lang=lang))
    elif not ev["enough_data"]:
        out.append(
            t("phase.reason.short", lang=lang, span=f"{ev['span']['span_months']:.1f}", need=f"{ev['min_months']:g}")
        )
    out.append(t("phase.reason.judged", lang=lang, n=cls["judged"]))
    if cls["deciding"] and len(cls["possible"]) > 1:
        names = sep("clause", lang=lang).join(_quote(i, lang) for i in cls["deciding"][:3])
        phases = sep("or", lang=lang).join(kpis.phase_label(p, lang=lang) for p in cls["possible"])
        which = "two" if len(cls["possible"]) == 2 else "many"
        out.append(t(f"phase.reason.undecided.{which}", lang=lang, names=names, phases=phases))
    return out[:3]


def reasons(diag: TeamDiagnosis, *, lang: str = _D, checklist: pd.DataFrame, signs: pd.DataFrame) -> list[str]:
    """The 2–3 reasons of the verdict: the rule (or why there is no verdict), then the evidence of
    the readiness conditions that failed or are unknown first (``checklist`` and ``signs`` with
    their words)."""
    cls, v, ev = diag.classification, diag.verdict, diag.evidence
    if not cls["determined"]:
        return _undetermined_reasons(cls, ev, lang)
    evd = dict(zip(checklist["item_id"], checklist["evidence"]))
    sevd = dict(zip(signs["sign_id"], signs["evidence"]))
    out = [_phase_basis_text(cls, diag.time_phase, diag.months_since_launch, lang)]
    first = v["failed"] + v["unknown"]
    conds = first + [c for c in v["conditions"] if c not in first]
    out += [sevd.get(c) or evd.get(c) for c in conds[:2]]
    if v["readiness"] == "final":
        out.append(evd["efficiency_stable"])
    return [s for s in out if s][:3]


# --- findings -------------------------------------------------------------------------------
def _close_calls(diag: TeamDiagnosis, lang: str) -> str:
    """A sentence naming deciding figures whose interval straddles their threshold."""
    ev = diag.evidence
    out = []
    a, c, g = ev["activity"], ev["conversion"], ev["skill"]
    enough = ev["enough_data"]
    if enough and a["target"] is not None and np.isfinite(a.get("mean_ci_low", np.nan)):
        if a["mean_ci_low"] <= a["target"] <= a["mean_ci_high"]:
            ci = ci_text(a["mean_ci_low"], a["mean_ci_high"], lang=lang, pct=False)
            out.append(t("phase.close.activity", lang=lang, kpi=kpis.label(a["kpi"], lang=lang), ci=ci))
    if enough and c["target"] is not None and np.isfinite(c["ci_low"]) and c["ci_low"] <= c["target"] <= c["ci_high"]:
        ci = ci_text(c["ci_low"], c["ci_high"], lang=lang)
        out.append(t("phase.close.conversion", lang=lang, kpi=kpis.label("deal_conversion", lang=lang), ci=ci))
    if enough and g["large"] is not None and abs(g["cv"] - g["threshold"]) < 0.05:
        out.append(t("phase.close.skill", lang=lang, cv=f"{g['cv']:.2f}", threshold=f"{g['threshold']:.2f}"))
    if not out:
        return t("phase.close.none", lang=lang)
    return t("phase.close.some", lang=lang, items=sep("clause", lang=lang).join(out))


def _head(diag: TeamDiagnosis, lang: str) -> str:
    """The first finding: the team's one phase and where it comes from, then the readiness."""
    v, name = diag.verdict, diag.team_name
    ph = kpis.phase_label(v["team_phase"], lang=lang)
    if v["source"] == "override":
        head = t("phase.finding.override", lang=lang, team=name, phase=ph, diagnosed=phase_text(v["phase"], lang=lang))
    elif v["source"] == "age":
        head = t("phase.finding.age", lang=lang, team=name, phase=ph)
    else:
        tph = kpis.phase_label(v["time_phase"], lang=lang)
        same = "same" if v["phase"] == v["time_phase"] else "differs"
        head = t(f"phase.finding.{same}", lang=lang, team=name, phase=ph, time_phase=tph)
    if v["readiness"] == "final":
        return head + t("phase.finding.final", lang=lang)
    if v["next_phase"]:
        nxt = kpis.phase_label(v["next_phase"], lang=lang)
        head += t("phase.finding.readiness", lang=lang, next=nxt, readiness=readiness_label(v["readiness"], lang=lang))
    return head


def _how_sure(diag: TeamDiagnosis, cl: pd.DataFrame, lang: str) -> str:
    n_data = int(((cl["source"] == "data") & (cl["status"] != "unknown")).sum())
    n_an = int((cl["source"] == "analyst").sum())
    unk = list(cl.loc[cl["status"] == "unknown", "item_id"])
    by_analyst = t("phase.finding.by_analyst", lang=lang, n=n_an) if n_an else ""
    sure = t("phase.finding.judged", lang=lang, n=n_data, analyst=by_analyst)
    if unk:
        names = sep("clause", lang=lang).join(_quote(i, lang) for i in unk)
        sure += t("phase.finding.unknown_no_change", lang=lang, names=names)
    return sure + _close_calls(diag, lang)


def _rep_sentences(diag: TeamDiagnosis, lang: str) -> list[str]:
    reps, v, out = diag.reps, diag.verdict, []
    for standing in ("ahead", "behind"):
        sel = reps[reps["standing"] == standing] if len(reps) else reps
        if not len(sel) or (standing == "ahead" and not v["next_phase"]):
            continue
        names = sep("list", lang=lang).join(sel["rep_name"].head(4))
        more = t("phase.finding.more", lang=lang) if len(sel) > 4 else ""
        nxt = kpis.phase_label(v["next_phase"], lang=lang) if v["next_phase"] else ""
        out.append(t(f"phase.finding.{standing}", lang=lang, n=len(sel), names=names, more=more, phase=nxt))
    return out


def _plan_sentence(diag: TeamDiagnosis, plan: pd.DataFrame, lang: str) -> list[str]:
    if not len(plan):
        return []
    r = diag.verdict["readiness"]
    if r == "ready":
        p = plan.set_index("step")["period_text"]
        return [t("phase.finding.plan_ready", lang=lang, prep=p["preparation"], parallel=p["parallel"], full=p["full"])]
    return [t("phase.finding.plan_not_yet", lang=lang)] if r == "not_yet" else []


def findings(diag: TeamDiagnosis, *, lang: str = _D) -> list[str]:
    """Plain sentences for leadership, generated from the verdict and its figures, saying how sure
    they are: the verdict, its reasons, how it was judged (and close calls), reps ahead / behind,
    and the plan."""
    d = diag if diag.lang == lang else describe(diag, lang=lang)
    out = [_head(d, lang), *d.verdict["reasons"]]
    if d.classification["determined"]:
        out.append(_how_sure(d, d.checklist, lang))
    return out + _rep_sentences(d, lang) + _plan_sentence(d, d.plan, lang)


def describe(diag: TeamDiagnosis, *, lang: str = _D) -> TeamDiagnosis:
    """``diag`` with its words in ``lang``: the checklist and signs with labels and evidence, the
    verdict with phase_label, time_phase_label, team_phase_label, source_label, next_phase_label,
    readiness_label and reasons,
    the reps with standing_label and note, the next KPIs and the plan labelled, and findings."""
    from .tables import label_next_kpis, label_plan, label_reps  # tables' summary imports describe

    kpis._check_lang(lang)
    base = diag
    cl = checklist(
        base.evidence,
        lang=lang,
        status=base.checklist[["no", "item_id", "phase", "status", "source", "value", "threshold"]],
    )
    sg = transition_signs(cl, base.evidence, lang=lang)
    v = base.verdict
    words = {
        "phase_label": phase_text(v["phase"], lang=lang),
        "time_phase_label": kpis.phase_label(v["time_phase"], lang=lang),
        "team_phase_label": kpis.phase_label(v["team_phase"], lang=lang),
        "source_label": t(f"phase.decision.source.{v['source']}", lang=lang),
        "next_phase_label": kpis.phase_label(v["next_phase"], lang=lang) if v["next_phase"] else "–",
        "readiness_label": readiness_label(v["readiness"], lang=lang),
        "reasons": reasons(base, lang=lang, checklist=cl, signs=sg),
    }
    out = dataclasses.replace(
        base,
        checklist=cl,
        signs=sg,
        verdict={**{k: x for k, x in v.items() if k not in words}, **words},
        reps=label_reps(
            base.reps,
            months=base.rules.months,
            min_rep_days=base.rules.min_rep_days,
            next_phase=v["next_phase"],
            kpi=base.rules.activity_kpi,
            lang=lang,
        ),
        next_kpis=label_next_kpis(base.next_kpis, lang=lang),
        plan=label_plan(base.plan, lang=lang),
        lang=lang,
    )
    return dataclasses.replace(out, findings=findings(out, lang=lang))


# --- headline -------------------------------------------------------------------------------
def source_suffix(verdict: dict, *, lang: str = _D) -> str:
    """What follows the phase's name when it is not simply the diagnosis: the calendar's phase
    when it differs, "by months since launch" (the fallback) or "set by the analyst"."""
    if verdict["source"] == "age":
        return t("phase.headline.by_age", lang=lang)
    if verdict["source"] == "override":
        return t("phase.headline.by_override", lang=lang)
    if verdict["phase"] != verdict["time_phase"]:
        return t("phase.headline.calendar", lang=lang, time_phase=kpis.phase_label(verdict["time_phase"], lang=lang))
    return ""


def headline_text(diag: TeamDiagnosis, *, lang: str = _D) -> str:
    """One line per team: name, the team's phase (with where it comes from when it is not the
    diagnosis, or the calendar's when that differs), readiness."""
    d = diag if diag.lang == lang else describe(diag, lang=lang)
    v = d.verdict
    ph = v["team_phase_label"] + source_suffix(v, lang=lang)
    if v["next_phase"]:
        tail = t("phase.headline.readiness", lang=lang, next=v["next_phase_label"], readiness=v["readiness_label"])
    else:
        tail = v["readiness_label"]
    return t("phase.headline.line", lang=lang, team=d.team_name, phase=ph, tail=tail)


def headline(diags: dict, *, lang: str = _D) -> list[dict]:
    """Headline figures for the report index, one per team (``label``, ``value``, ``note``):
    the team's one phase (:func:`team_phase`) and the readiness for the next one."""
    out = []
    for diag in diags.values():
        d = diag if diag.lang == lang else describe(diag, lang=lang)
        v = d.verdict
        if v["next_phase"]:
            note = t("phase.headline.note", lang=lang, next=v["next_phase_label"], readiness=v["readiness_label"])
        else:
            note = v["readiness_label"]
        value = v["team_phase_label"] + source_suffix(v, lang=lang)
        out.append({"label": t("phase.headline.label", lang=lang, team=d.team_name), "value": value, "note": note})
    return out


def no_plan_note(diag: TeamDiagnosis, *, lang: str = _D) -> str | None:
    """Why a team gets no migration plan (last phase, or phase undetermined); None when it gets one."""
    v = diag.verdict
    if v["next_phase"] is not None:
        return None
    return t(f"phase.no_plan.{'final' if v['readiness'] == 'final' else 'undetermined'}", lang=lang)


def verdict_markdown(diag: TeamDiagnosis, *, lang: str = _D) -> str:
    """The verdict block of one team as Markdown: the headline line as a heading, the numbered
    reasons, then the other findings as a list."""
    d = diag if diag.lang == lang else describe(diag, lang=lang)
    rs = d.verdict["reasons"]
    numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(rs, start=1))
    rest = "\n".join(f"- {s}" for s in d.findings[1 + len(rs) :])
    why = t("phase.page.why", lang=lang)
    return f"### {headline_text(d, lang=lang)}\n\n**{why}**\n\n{numbered}\n\n{rest}"


def describe_teams(diags: dict, *, lang: str = _D) -> dict:
    """:func:`describe` for every team of :func:`diagnose_teams`."""
    return {team: describe(d, lang=lang) for team, d in diags.items()}


_VERDICT_KEYS = (
    "phase",
    "time_phase",
    "team_phase",
    "source",
    "override",
    "from_phase",
    "next_phase",
    "readiness",
    "determined",
    "failed",
    "unknown",
)


def records(diags: dict, *, lang: str = _D) -> dict:
    """The values notebook 02 records for its tests and the report (``nb.record(name, value)``),
    from the diagnoses of :func:`diagnose_teams` (described in ``lang`` here when they are not)."""
    ds = {team: d if d.lang == lang else describe(d, lang=lang) for team, d in diags.items()}
    return {
        "verdicts": {
            team: {k: d.verdict[k] for k in _VERDICT_KEYS}
            | {"basis": d.classification["basis"], "counts": d.classification["counts"]}
            for team, d in ds.items()
        },
        "checklist": {team: dict(zip(d.checklist["item_id"], d.checklist["status"])) for team, d in ds.items()},
        "checklist_source": {team: dict(zip(d.checklist["item_id"], d.checklist["source"])) for team, d in ds.items()},
        "signs": {team: dict(zip(d.signs["sign_id"], d.signs["status"])) for team, d in ds.items()},
        "key_figures": {team: key_figures(d) for team, d in ds.items()},
        "reasons": {team: d.verdict["reasons"] for team, d in ds.items()},
        "findings": {team: d.findings for team, d in ds.items()},
        "reps": {team: dict(zip(d.reps["rep_id"], d.reps["standing"])) for team, d in ds.items()},
        "next_kpis": {team: list(d.next_kpis["kpi_id"]) for team, d in ds.items()},
        "plan": {
            team: [
                {"step": r.step, "start": str(r.start.date()), "months": r.months, "status": r.status}
                for r in d.plan.itertuples()
            ]
            for team, d in ds.items()
        },
        "headline": headline(ds, lang=lang),
        "claims": pd.concat([claims(d) for d in ds.values()], ignore_index=True) if ds else pd.DataFrame(),
    }


# --- the one phase, as every page states it ---------------------------------------------------
def decision_text(row, *, lang: str = _D, team_name: str | None = None) -> str:
    """One team's phase and where it comes from, as a sentence (a row of :func:`team_phase`;
    ``team_name``: the display name, default the id). The age fallback always says
    「診断に必要なデータが不足しているため、立ち上げからの月数で判定」."""
    r = dict(row)
    name = team_name or r["team_id"]
    ph = kpis.phase_label(r["phase"], lang=lang)
    src = r["source"]
    if src == "override":
        return t(
            "phase.decision.override", lang=lang, team=name, phase=ph, diagnosed=phase_text(r["diagnosed"], lang=lang)
        )
    if src == "age":
        ms = r.get("months_since_launch")
        if ms is None or pd.isna(ms):
            return t("phase.decision.age_no_date", lang=lang, team=name, phase=ph)
        return t("phase.decision.age", lang=lang, team=name, phase=ph, n=int(ms))
    return t("phase.decision.diagnosis", lang=lang, team=name, phase=ph)


def decision_markdown(table: pd.DataFrame, *, lang: str = _D, names: dict | None = None) -> str:
    """The teams' phases as a short Markdown block (a heading line and one bullet per team) for
    pages 01 and 03: which phase's targets and guide values the page uses, and why."""
    names = names or {}
    rows = table.to_dict("records")
    # a team's own page: "this team" (its name is the page's title already)
    one = t("phase.decision.this_team", lang=lang) if len(rows) == 1 else None
    lines = [f"**{t('phase.decision.heading', lang=lang)}**", ""]
    lines += [f"- {decision_text(r, lang=lang, team_name=one or names.get(r['team_id']))}" for r in rows]
    return "\n".join(lines)
