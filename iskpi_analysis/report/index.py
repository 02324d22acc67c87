"""The month's index page.

First screen (what a sales director reads): the organisation's totals with the change from last
month and a 13-month sparkline, the three most important actions (one sentence each, linked to
the page with the evidence, or the sentence that nothing is urgent), and each team's key KPIs
(actual, target, red/amber/green, change, sparkline) with its phase and readiness for the next.
Below it: the data-quality notes and every page of every team with its headline figures; last,
a footer with the run's operator details (notebook files, seconds, fingerprint, manifest).

Everything on the first screen comes from what the pages recorded (see :func:`executive_inputs`):
the organisation run of notebook 01 records ``org_summary``, ``kpi_history`` and ``kpi_table``;
the phase comes from ``team_phase`` (or, until every page records it, 01's ``phases`` and 02's
``verdicts``). The index never judges a KPI; :func:`iskpi_analysis.scorecard.executive.actions`
selects the actions from those recorded codes.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from .. import fmt, kpis
from ..catalog import t
from ..scorecard import executive as ex
from ..scorecard import executive_tables as xt
from .execute import describe_failure
from .export import (
    _css,
    _font_face,
    _header_html,
    _headline_html,
    _quality_html,
    _text_of_html,
    mark_incomplete,
)
from .params import ORG

__all__ = ["write_index", "executive_inputs", "sparkline_svg"]


def _team_labels(data, teams) -> dict[str, str]:
    """Display names (the id only when the data has no name for a team)."""
    names = data.names()
    return {tm: names.get(tm, tm) for tm in teams}  # display names; the ids stay in the manifest


# ---------------------------------------------------------------------------------------------
# what the pages recorded
def _records(runs: list[dict], name: str) -> list[tuple[dict, object]]:
    """``(run, value)`` of every ok run that recorded ``name``; the organisation's 01 run first."""
    found = [(r, (r.get("index_records") or {}).get(name)) for r in runs if r.get("status") == "ok"]
    found = [(r, v) for r, v in found if v is not None]
    return sorted(
        found, key=lambda x: (x[0]["team"] != ORG, not str(x[0]["notebook"]).startswith("01"), x[0]["notebook"])
    )


def _first(runs, name):
    rs = _records(runs, name)
    return rs[0][1] if rs else None


def _team_rows(runs, name) -> pd.DataFrame:
    """A team-level table recorded by several pages: each team's rows from the first page that
    has them (the organisation's run first)."""
    parts, seen = [], set()
    for _, v in _records(runs, name):
        df = pd.DataFrame(v)
        if not len(df) or "team_id" not in df:
            continue
        df = df[~df["team_id"].isin(seen)]
        seen |= set(df["team_id"])
        parts.append(df)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def executive_inputs(runs: list[dict]) -> dict:
    """The recorded values the first screen shows: org_summary, kpi_history, kpi_table,
    team_phase (DataFrames, empty when no page recorded them) and actions."""
    org = pd.DataFrame(_first(runs, "org_summary") or [])
    hist = pd.DataFrame(_first(runs, "kpi_history") or [])
    table = _team_rows(runs, "kpi_table")
    phase = _team_rows(runs, "team_phase")
    acts = ex.actions(table, team_phase=phase, history=hist)
    return {"org_summary": org, "kpi_history": hist, "kpi_table": table, "team_phase": phase, "actions": acts}


# ---------------------------------------------------------------------------------------------
# pieces of the first screen
_finite = xt.finite


def sparkline_svg(values, *, label: str, rag: str = "grey", width: int = 120, height: int = 28) -> str:
    """An inline SVG sparkline of ``values`` (missing months leave a gap; the last point is a dot).

    No script, no external resource, explicit colours: it prints as it shows.
    ``data-points`` is the number of months drawn.
    """
    vals = [float(v) if _finite(v) else None for v in values]
    have = [v for v in vals if v is not None]
    n = len(vals)
    if not have or n < 2:
        return ""
    lo, hi = min(have), max(have)
    pad = 3
    span = (hi - lo) or 1.0

    def xy(i, v):
        x = pad + i * (width - 2 * pad) / (n - 1)
        y = height - pad - ((v - lo) / span) * (height - 2 * pad) if hi > lo else height / 2
        return f"{x:.1f},{y:.1f}"

    segs, cur = [], []
    for i, v in enumerate(vals):
        if v is None:
            if cur:
                segs.append(cur)
            cur = []
        else:
            cur.append(xy(i, v))
    if cur:
        segs.append(cur)
    lines = "".join(
        f'<polyline points="{" ".join(s)}" fill="none" stroke="#52606d" stroke-width="1.5"/>' if len(s) > 1 else ""
        for s in segs
    )
    last = next(((i, v) for i, v in reversed(list(enumerate(vals))) if v is not None))
    lx, ly = xy(*last).split(",")
    return (
        f'<svg class="spark" data-points="{len(have)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(label)}">'
        f"<title>{html.escape(label)}</title>{lines}"
        f'<circle class="spark-last rag-{rag}" cx="{lx}" cy="{ly}" r="2.8"/></svg>'
    )


def _series(hist: pd.DataFrame, team_id: str, kpi_id: str) -> tuple[list, list]:
    if not len(hist):
        return [], []
    h = hist[(hist["team_id"] == team_id) & (hist["kpi_id"] == kpi_id)].sort_values("month")
    return list(h["value"]), list(h["month"])


def _spark(hist, team_id, kpi_id, *, lang, rag="grey") -> str:
    vals, months = _series(hist, team_id, kpi_id)
    if not months:
        return ""
    label = t(
        "executive.index.spark",
        lang=lang,
        kpi=kpis.label(kpi_id, lang=lang),
        n=len(months),
        first=months[0],
        last=months[-1],
    )
    return sparkline_svg(vals, label=label, rag=rag)


def _trend_class(kpi_id, change) -> str:
    if not _finite(change) or change == 0:
        return "flat"
    better = (change > 0) == (kpis.get(kpi_id).direction == "higher")
    return "better" if better else "worse"


def _org_html(org: pd.DataFrame, hist: pd.DataFrame, *, lang: str) -> str:
    if not len(org):
        return f'<p class="muted">{html.escape(t("executive.index.no_summary", lang=lang))}</p>'
    tiles = []
    for r in org.to_dict("records"):
        k = r["kpi_id"]
        tiles.append(
            f'<div class="tile"><div class="label">{html.escape(kpis.label(k, lang=lang))}</div>'
            f'<div class="value">{html.escape(fmt.kpi_value(k, r["actual"], lang=lang))}</div>'
            f'<div class="change {_trend_class(k, r.get("change"))}">'
            f"{html.escape(xt.change_text(k, r.get('change'), r.get('previous'), lang=lang))}</div>"
            f"{_spark(hist, ORG, k, lang=lang)}</div>"
        )
    return f'<div class="org-tiles">{"".join(tiles)}</div>'


def _per_of(hist, table_row, team_id, kpi_id):
    per = table_row.get("per") if table_row is not None else None
    if isinstance(per, str) and per:
        return per
    if len(hist):
        h = hist[(hist["team_id"] == team_id) & (hist["kpi_id"] == kpi_id)]
        if len(h) and isinstance(h["per"].iloc[0], str):
            return h["per"].iloc[0]
    return None


def _team_kpis(hist: pd.DataFrame, team_id: str) -> list[str]:
    """The team's key KPIs: the order recorded in kpi_history (01 chose them by the phase)."""
    if len(hist):
        h = hist[hist["team_id"] == team_id].sort_values("order")
        return list(dict.fromkeys(h["kpi_id"]))
    return []


def _teams_html(inp: dict, team_order, team_labels, *, lang: str) -> str:
    hist, table, phase = inp["kpi_history"], inp["kpi_table"], inp["team_phase"]
    rows = []
    for team in [x for x in team_order if x != ORG]:
        ph = (
            phase[phase["team_id"] == team].to_dict("records")[0]
            if len(phase) and (phase["team_id"] == team).any()
            else None
        )
        ph_label = kpis.phase_label(ph["phase"], lang=lang) if ph and ph.get("phase") in kpis.PHASES else "–"
        ready = xt.readiness_text(ph, lang=lang)
        ready_cls = "ready" if ph and _finite(ph.get("ready")) and bool(ph.get("ready")) else ""
        cells = []
        for k in _team_kpis(hist, team):
            tr = None
            if len(table):
                m = table[(table["team_id"] == team) & (table["kpi_id"] == k)]
                tr = m.to_dict("records")[0] if len(m) else None
            verdict = tr.get("verdict") if tr else None
            rag = ex.rag(verdict)
            bounds = (tr.get("target"), tr.get("target_low"), tr.get("target_high")) if tr else ()
            target = (
                t(
                    "executive.index.target",
                    lang=lang,
                    target=xt.target_text(k, *bounds, _per_of(hist, tr, team, k), lang=lang),
                )
                if any(_finite(b) for b in bounds)
                else t("executive.index.no_target", lang=lang)
            )
            vword = xt.verdict_label(verdict, lang=lang)
            actual = tr.get("actual") if tr else None
            change = xt.change_text(k, tr.get("change") if tr else None, tr.get("previous") if tr else None, lang=lang)
            cells.append(
                f'<td class="kpi-cell rag-{rag}"><div class="label">'
                f"{html.escape(xt.kpi_label(k, _per_of(hist, tr, team, k), lang=lang))}</div>"
                f'<div class="line"><span class="value">{html.escape(xt.value_text(k, actual, lang=lang))}</span>'
                f'<span class="badge rag-{rag}">{html.escape(vword)}</span></div>'
                f'<div class="sub">{html.escape(target)} · <span class="change {_trend_class(k, tr.get("change") if tr else None)}">'
                f"{html.escape(change)}</span></div>{_spark(hist, team, k, lang=lang, rag=rag)}</td>"
            )
        width = max(len(cells), 1)
        cells += ['<td class="kpi-cell empty"></td>'] * (3 - width) if width < 3 else []
        rows.append(
            f'<tr><th class="team-cell" scope="row"><a href="#team-{html.escape(team)}">{html.escape(team_labels.get(team, team))}</a>'
            f'<div class="phase">{html.escape(t("executive.index.phase", lang=lang, phase=ph_label))}</div>'
            f'<div class="readiness {ready_cls}">{html.escape(ready)}</div></th>{"".join(cells)}</tr>'
        )
    if not rows:
        return ""
    return f'<table class="team-kpis"><tbody>{"".join(rows)}</tbody></table>'


def _page_href(runs, team, prefix) -> str | None:
    for r in runs:
        if r["team"] == team and r["status"] == "ok" and str(r["notebook"]).startswith(prefix):
            return f"{team}/{r['notebook']}.html"
    return None


def _actions_html(inp: dict, runs, team_labels, *, lang: str) -> str:
    acts = inp["actions"]
    if not len(acts):
        return f'<p class="nothing-urgent">{html.escape(t("executive.action.nothing", lang=lang))}</p>'
    items = []
    for a in acts.to_dict("records"):
        a["per"] = _per_of(inp["kpi_history"], _row(inp["kpi_table"], a), a["team_id"], a.get("kpi_id"))
        href = _page_href(runs, a["team_id"], "02" if a["code"] == "ready" else "01")
        link = (
            f' <a class="evidence" href="{html.escape(href)}">{html.escape(t("executive.index.evidence", lang=lang))}</a>'
            if href
            else ""
        )
        items.append(
            f'<li class="action action-{a["code"]}">{html.escape(xt.action_sentence(a, team_names=team_labels, lang=lang))}{link}</li>'
        )
    return f'<ol class="actions">{"".join(items)}</ol>'


def _row(table, a):
    if not len(table) or not isinstance(a.get("kpi_id"), str):
        return None
    m = table[(table["team_id"] == a["team_id"]) & (table["kpi_id"] == a["kpi_id"])]
    return m.to_dict("records")[0] if len(m) else None


def _first_screen(runs, team_order, team_labels, *, lang: str) -> str:
    inp = executive_inputs(runs)
    teams = _teams_html(inp, team_order, team_labels, lang=lang)
    teams_block = (
        f'<section class="exec-teams"><h2>{html.escape(t("executive.index.teams", lang=lang))}</h2>'
        f'<p class="note">{html.escape(t("executive.index.teams_note", lang=lang))}</p>{teams}</section>'
        if teams
        else ""
    )
    return (
        f'<section class="exec" id="summary">'
        f'<section class="exec-org"><h2>{html.escape(t("executive.index.org", lang=lang))}'
        f' <span class="note">{html.escape(t("executive.index.org_note", lang=lang))}</span></h2>'
        f"{_org_html(inp['org_summary'], inp['kpi_history'], lang=lang)}</section>"
        f'<section class="exec-actions"><h2>{html.escape(t("executive.index.actions", lang=lang))}</h2>'
        f"{_actions_html(inp, runs, team_labels, lang=lang)}</section>{teams_block}</section>"
    )


# ---------------------------------------------------------------------------------------------
# below the first screen
def _pages_html(runs, team_order, team_labels, *, lang, failed_word) -> str:
    sections = []
    for team in team_order:
        items = []
        for r in (r for r in runs if r["team"] == team):
            name = html.escape(r.get("title") or r["notebook"])
            if r["status"] == "ok":
                href = html.escape(f"{team}/{r['notebook']}.html")
                kpis_ = _headline_html(r.get("headline") or [], lang=lang)
                items.append(f'<div class="nb"><h3><a href="{href}">{name}</a></h3>{kpis_}</div>')
            else:
                err = html.escape(describe_failure(r))
                items.append(
                    f'<div class="nb failed-item"><h3><strong>{html.escape(failed_word)}</strong> '
                    f"{html.escape(r['notebook'])}</h3><p>{err}</p></div>"
                )
        sections.append(
            f'<section class="team" id="team-{html.escape(team)}"><h3 class="team-title">{html.escape(team_labels[team])}</h3>'
            f"{''.join(items)}</section>"
        )
    return (
        f'<section class="pages" id="pages"><h2>{html.escape(t("executive.index.pages", lang=lang))}</h2>'
        f"{''.join(sections)}</section>"
    )


def _operator_html(runs, team_labels, *, lang, fingerprint, version, generated_at, sources_html) -> str:
    rows = []
    for r in runs:
        status = (
            t("executive.index.status_ok", lang=lang) if r["status"] == "ok" else t("report.index.failed", lang=lang)
        )
        secs = t("report.index.seconds", lang=lang, seconds=f"{r['seconds']:.0f}") if _finite(r.get("seconds")) else "–"
        rows.append(
            f"<tr><td>{html.escape(team_labels.get(r['team'], r['team']))}</td><td>{html.escape(r.get('title') or '')}</td>"
            f"<td>{html.escape(str(r['notebook']))}.ipynb</td><td>{html.escape(secs)}</td><td>{html.escape(status)}</td></tr>"
        )
    head = "".join(
        f"<th>{html.escape(t(k, lang=lang))}</th>"
        for k in (
            "report.page.team",
            "executive.index.col_page",
            "executive.index.col_file",
            "executive.index.col_seconds",
            "executive.index.col_status",
        )
    )
    meta = [
        (t("report.page.generated", lang=lang), generated_at),
        (t("report.page.fingerprint", lang=lang), fingerprint),
        (t("report.page.version", lang=lang), version),
    ]
    dl = "".join(f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd></div>" for k, v in meta)
    return (
        f'<footer class="operator" id="operator"><h2>{html.escape(t("executive.index.operator", lang=lang))}</h2>'
        f'<p class="muted">{html.escape(t("executive.index.operator_note", lang=lang))}</p>'
        f'<dl class="meta">{dl}</dl><table class="runs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f"{sources_html}"
        f'<p class="muted"><a href="manifest.json">{html.escape(t("report.index.manifest", lang=lang))}</a></p></footer>'
    )


def write_index(
    path: Path,
    *,
    month: str,
    lang: str,
    runs: list[dict],
    team_order: list[str],
    team_labels: dict[str, str],
    fingerprint: str,
    version: str,
    generated_at: str,
    failed: bool,
    data_notes=None,
    incomplete: bool = False,
    sources_html: str = "",
) -> Path:
    """Write the index (see the module docstring) to ``path``; returns ``path``."""
    failed_word = t("report.index.failed", lang=lang)
    title = f"{t('report.index.title', lang=lang)} {month}" + (f" — {failed_word}" if failed else "")
    header = _header_html(
        title=title,
        month=month,
        team_label=", ".join(team_labels[x] for x in team_order),
        generated_at=generated_at,
        fingerprint=None,
        version=None,
        lang=lang,
        failed=failed,
    )
    n_ok = sum(r["status"] == "ok" for r in runs)
    status = (
        f'<p class="status ok">{html.escape(t("report.index.complete", lang=lang, n=n_ok))}</p>' if not failed else ""
    )
    body = (
        f'{header}<main class="iskpi-report index">{_first_screen(runs, team_order, team_labels, lang=lang)}'
        f"{_quality_html(data_notes, lang=lang)}{_pages_html(runs, team_order, team_labels, lang=lang, failed_word=failed_word)}"
        f"{_operator_html(runs, team_labels, lang=lang, fingerprint=fingerprint, version=version, generated_at=generated_at, sources_html=status + sources_html)}"
        f"</main>"
    )
    page = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"/>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1.0"/>'
        f'<title>{html.escape(title)}</title><style>/*ISKPI-CSS*/</style></head><body class="index-page">{body}</body></html>'
    )
    if incomplete:
        page = mark_incomplete(page, lang=lang)
    page = page.replace("/*ISKPI-CSS*/", _font_face(_text_of_html(page) + title) + _css())
    path.write_text(page, encoding="utf-8")
    return path


def _sources_html(report_runs: list[dict], pages: list[dict], *, lang: str) -> str:
    """The index's note on a month made of several runs: when, which teams, which data."""
    if len(report_runs) < 2:
        return ""
    items = []
    for rr in report_runs:
        teams = sorted({p["team"] for p in pages if p.get("report_run") == rr["id"]})
        when = rr.get("generated_at") or rr.get("started_at") or "?"
        items.append(
            f"<li>{html.escape(str(when))} — {html.escape(', '.join(teams))} — "
            f"{html.escape(str(rr.get('fingerprint') or '?'))}</li>"
        )
    return (
        f'<div class="sources"><p>{html.escape(t("report.index.merged", lang=lang, n=len(report_runs)))}</p>'
        f"<ul>{''.join(items)}</ul></div>"
    )
