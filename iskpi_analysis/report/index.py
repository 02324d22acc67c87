"""The month's index page: every page of every team with its headline figures, data-quality notes, sources."""

from __future__ import annotations

import html
from pathlib import Path

from ..catalog import t
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

__all__ = ["write_index"]


def _team_labels(data, teams) -> dict[str, str]:
    names = data.names()
    return {tm: names.get(tm, tm) for tm in teams}  # display names; the ids stay in the manifest


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
    failed_word = t("report.index.failed", lang=lang)
    title = f"{t('report.index.title', lang=lang)} {month}" + (f" — {failed_word}" if failed else "")
    header = _header_html(
        title=title,
        month=month,
        team_label=", ".join(team_labels[x] for x in team_order),
        generated_at=generated_at,
        fingerprint=fingerprint,
        version=version,
        lang=lang,
        failed=failed,
    )
    n_ok = sum(r["status"] == "ok" for r in runs)
    status = (
        f'<p class="status ok">{html.escape(t("report.index.complete", lang=lang, n=n_ok))}</p>' if not failed else ""
    )
    status += sources_html
    sections = []
    for team in team_order:
        items = []
        for r in (r for r in runs if r["team"] == team):
            name = html.escape(r.get("title") or r["notebook"])
            if r["status"] == "ok":
                href = html.escape(f"{team}/{r['notebook']}.html")
                kpis = _headline_html(r.get("headline") or [], lang=lang)
                secs = t("report.index.seconds", lang=lang, seconds=f"{r['seconds']:.0f}")
                items.append(
                    f'<div class="nb"><h3><a href="{href}">{name}</a> <span class="muted">'
                    f"({html.escape(r['notebook'])}, {secs})</span></h3>{kpis}</div>"
                )
            else:
                err = html.escape(describe_failure(r))
                items.append(
                    f'<div class="nb failed-item"><h3><strong>{html.escape(failed_word)}</strong> '
                    f"{html.escape(r['notebook'])}</h3><p>{err}</p></div>"
                )
        sections.append(
            f'<section class="team" id="team-{html.escape(team)}"><h2>{html.escape(team_labels[team])}</h2>'
            f"{''.join(items)}</section>"
        )
    body = (
        f'{header}<main class="iskpi-report index">{status}{_quality_html(data_notes, lang=lang)}{"".join(sections)}'
        f'<p class="muted"><a href="manifest.json">{html.escape(t("report.index.manifest", lang=lang))}</a></p></main>'
    )
    css = _css()
    page = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"/>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1.0"/>'
        f"<title>{html.escape(title)}</title><style>/*ISKPI-CSS*/</style></head><body>{body}</body></html>"
    )
    if incomplete:
        page = mark_incomplete(page, lang=lang)
    page = page.replace("/*ISKPI-CSS*/", _font_face(_text_of_html(page) + title) + css)
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
