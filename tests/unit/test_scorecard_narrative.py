"""The scorecard's analyses are language-neutral and its text comes from the catalog: every display
table and sentence exists in both languages, English carries no Japanese, verdicts are codes."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from test_scorecard_fixtures import make_frames

from iskpi_analysis import aggregate, dataset, funnel, kpis, phase_age, plan, scorecard, targets
from iskpi_analysis.catalog import t

JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
LABEL_COLUMNS = {
    "level_label",
    "phase_label",
    "tier_label",
    "label",
    "per_label",
    "verdict_label",
    "value_text",
    "target_text",
}


@pytest.fixture(scope="module")
def sim():
    data = dataset.Dataset.from_frames(make_frames(), today=pd.Timestamp("2026-11-30"))
    rp = aggregate.rep_period(data, grain="month")
    rpd = aggregate.rep_period(data, grain="day")
    tree = scorecard.kpi_tree(data, month="2026-10", rep_period=rp)
    return data, rp, rpd, tree


def _no_japanese(obj, names=()) -> list[str]:
    """The texts of ``obj`` with Japanese in them once the data's own names are taken out."""
    if isinstance(obj, pd.DataFrame):
        texts = [*map(str, obj.columns), *(str(v) for v in obj.to_numpy().ravel())]
    elif isinstance(obj, (list, tuple)):
        texts = [str(x) for x in obj]
    else:
        texts = [str(obj)]
    for name in sorted(names, key=len, reverse=True):
        texts = [s.replace(name, "") for s in texts]
    return [s for s in texts if JA.search(s)]


def test_kpi_tree_is_language_neutral_and_label_tree_adds_the_words(sim):
    _, _, _, tree = sim
    assert not LABEL_COLUMNS & set(tree.columns)
    ja, en = scorecard.label_tree(tree, lang="ja"), scorecard.label_tree(tree, lang="en")
    assert LABEL_COLUMNS <= set(ja.columns) and LABEL_COLUMNS <= set(en.columns)
    # the figures and codes are untouched by labelling
    pd.testing.assert_frame_equal(ja[tree.columns], tree)
    assert set(en["verdict_label"]) <= set(scorecard.verdict_label(a, lang="en") for a in targets.VERDICTS)
    assert not _no_japanese(en[list(LABEL_COLUMNS - {"label"})])
    calls = ja[(ja["level"] == "team") & (ja["kpi_id"] == "calls")].iloc[0]
    assert calls["label"] == kpis.label("calls", lang="ja") and calls["per_label"] == "1人1日あたり"
    assert scorecard.label_tree(ja, lang="en") is ja  # an already labelled tree is returned as is


def test_display_tables_and_sentences_in_english_have_no_japanese(sim):
    data, rp, rpd, tree = sim
    teams = scorecard.describe_teams(
        scorecard.team_scorecards(data, month="2026-10", tree=tree, rep_period=rp, rep_period_day=rpd),
        tree,
        month="2026-10",
        lang="en",
    )
    team_id, r = next(iter(teams.items()))
    seed = plan.reverse_plan(10, stages=["c", "v", "d", "o"], rates=[0.5, 0.4, 0.2])
    shown = [
        scorecard.headline(teams, lang="en"),
        scorecard.summary_markdown(r, lang="en"),
        scorecard.bottleneck_markdown(r["bottleneck"], lang="en"),
        scorecard.pacing_note(r, "2026-10-14", lang="en"),
        *scorecard.rep_display(tree, r, team_id, lang="en"),
        scorecard.tree_display(tree, team_id, lang="en"),
        scorecard.seed_plan_sentence(seed, lang="en"),
        scorecard.plan_heading(r, lang="en"),
        scorecard.conversion_heading(months=3, lang="en"),
        scorecard.forecast_heading(months=1, at_business_day=10, lang="en"),
    ]
    if r["pacing"] is not None:
        shown.append(scorecard.pacing_display(r["pacing"], lang="en"))
    if r["reverse"] is not None:
        shown += [
            scorecard.reverse_display(r["reverse"], lang="en"),
            scorecard.prob_plan_display(r["prob_plan"], lang="en"),
        ]
    rt = scorecard.response_times(data, month="2026-10")
    shown += [
        scorecard.response_sentence(scorecard.response_summary(rt), lang="en"),
        scorecard.response_display(scorecard.response_summary(rt, by="source"), lang="en"),
        scorecard.email_display(scorecard.email_rates(data, month="2026-10", rep_period=rp), lang="en"),
        scorecard.conversion_display(scorecard.conversion_by_source(data, month="2026-10"), lang="en"),
    ]
    qv = scorecard.quality_view(data, month="2026-10")
    shown.append(scorecard.quality_display(qv["by_rep"], lang="en"))
    names = {*data.teams["team_name"], *data.reps["rep_name"]}  # data values, not prose
    bad = [s for x in shown for s in _no_japanese(x, names)]
    assert not bad, bad
    # the same calls in Japanese are Japanese (the catalog is really used)
    assert JA.search(scorecard.tree_display(tree, team_id, lang="ja").columns[0])
    assert scorecard.plan_heading(r, lang="en") != scorecard.plan_heading(r, lang="ja")


def test_smart_check_returns_verdict_codes_and_the_sentence_follows_them(sim):
    data, rp, _, _ = sim
    sm = scorecard.smart_check(data, phase="growth", rep_period=rp, month="2026-10").set_index("kpi_id")
    assert set(sm["verdict"]) <= set(scorecard.VERDICTS) and "note" not in sm and "label" not in sm
    # planted appointment rate 0.10 vs target 0.20: reached in no past rep-month → unrealistic
    assert sm.loc["appointment_rate", "verdict"] == "unrealistic"
    en = scorecard.smart_table(sm.reset_index(), lang="en").set_index("KPI")
    note = en.loc[kpis.label("appointment_rate", lang="en"), "Assessment"]
    n = int(sm.loc["appointment_rate", "n_history"])
    assert "unrealistic" in note and f"of {n} past period" in note and not JA.search(note)
    assert en.loc[kpis.label("calls", lang="en"), "Time-bound"] == "✓"


def test_english_plurals_and_the_seed_readings():
    assert t("scorecard.view.months", lang="en", n=1) == "1 month"
    assert t("scorecard.view.months", lang="en", n=6) == "6 months"
    assert t("scorecard.view.months", lang="ja", n=6) == "6ヶ月"
    en = scorecard.bottleneck_reading("appointment_rate", lang="en")
    assert kpis.label("connect_rate", lang="en") in en and kpis.label("appointment_rate", lang="en") in en
    assert "トークスクリプト" in scorecard.bottleneck_reading("appointment_rate_low_connect", lang="ja")
    with pytest.raises(ValueError, match="connect_rate"):
        scorecard.bottleneck_reading("no_such_stage", lang="en")
    # the funnel's verdict is a code; the words come only from the narrative layer
    s = funnel.funnel(
        pd.Series({"calls": 1000, "connects": 120, "valid_conversations": 80, "appointments": 16}),
        targets={"connect_rate": 0.25},
    )
    b = funnel.bottleneck(s)
    assert b["reading_key"] == "connect_rate" and "reading" not in b and "label" not in b
    assert "stage_label" not in s and "rate_label" not in s
    assert scorecard.describe_bottleneck(b, lang="en")["reading"] == scorecard.bottleneck_reading(
        "connect_rate", lang="en"
    )


def test_phase_by_age_lives_in_its_own_module(sim):
    data = sim[0]
    assert scorecard.team_phases is phase_age.team_phases
    plain = phase_age.team_phases(data, month="2026-10")
    assert "phase_label" not in plain and plain["phase"].tolist() == ["growth"]
    labelled = phase_age.team_phases(data, month="2026-10", lang="en")
    assert labelled["phase_label"].tolist() == [kpis.phase_label("growth", lang="en")]
    with pytest.raises(ValueError, match="phase must be one of"):
        phase_age.team_phases(data, month="2026-10", phase="adult")


def test_column_labels_come_from_the_catalog():
    df = pd.DataFrame({"p_adj": [0.1], "n": [3], "unknown_column": [1]})
    assert list(scorecard.column_labels(df, lang="en").columns) == ["Adjusted p (BH)", "n", "unknown_column"]
    assert list(scorecard.column_labels(df, lang="ja").columns) == ["補正p値(BH)", "件数(n)", "unknown_column"]
