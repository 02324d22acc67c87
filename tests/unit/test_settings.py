"""Settings of the monthly run (iskpi_analysis.settings): validation messages, team overrides,
goals shared by headcount (checked by hand), and the example file against the sample data."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from iskpi_analysis import config, dataset
from iskpi_analysis import settings as S

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "settings.toml"


@pytest.fixture(scope="module")
def sample():
    return dataset.load_data(config.SAMPLE_DATA_DIR)


def write(tmp_path, text: str, name: str = "settings.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_example_file_loads_and_resolves_for_the_sample(sample):
    s = S.load_settings(EXAMPLE)
    assert s.organisation.industry == "saas" and s.organisation.goal_deals == 520
    assert s.answers("tokyo_is").fs_rules_established is True
    assert s.answers("fukuoka_is").fs_rules_established is False
    assert s.answers("osaka_is").revenue_reporting is None  # organisation's "unknown"
    assert s.industry("fukuoka_is") == "enterprise" and s.industry("osaka_is") == "saas"
    r = S.resolve(s, sample, month="2026-10")
    assert set(r.by_team) == {"all", *sample.team_ids()}
    teams = [t for t in r.by_team if t != "all"]
    # team goals add up exactly to the organisation's goal
    for key in ("goal_deals", "goal_won"):
        assert sum(r.team(t).goals[key] for t in teams) == r.team("all").goals[key]
    assert r.team("tokyo_is").goals["goal_deals"] == 280
    assert r.team("tokyo_is").goal_basis["goal_deals"] == "team"
    assert r.team("osaka_is").goal_basis["goal_deals"] == "shared"
    assert r.team("all").goals["goal_won_amount"] is None  # commented out in the example
    assert r.team("fukuoka_is").preset() == {"deal_conversion": (0.05, 0.10)}
    assert r.team("osaka_is").preset() == {"deal_conversion": (0.15, 0.20)}


def test_goals_shared_by_headcount_match_a_hand_computation(sample):
    """Organisation goal 100, tokyo's own 40: the other 60 go to osaka and fukuoka by reps in the
    month, largest remainder; computed here by hand from the reps table."""
    s = S.Settings(
        organisation=S.Level(goal_deals=100),
        teams={"tokyo_is": S.Level(goal_deals=40)},
    )
    r = S.resolve(s, sample, month="2026-10")
    reps = sample.reps
    start, end = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-31")
    on = reps[
        (pd.to_datetime(reps["joined_on"]) <= end)
        & (reps["left_on"].isna() | (pd.to_datetime(reps["left_on"]) >= start))
    ]
    heads = on.groupby("team_id").size()
    o, f = heads["osaka_is"], heads["fukuoka_is"]
    exact_o, exact_f = 60 * o / (o + f), 60 * f / (o + f)
    # largest remainder by hand
    lo, lf = int(exact_o), int(exact_f)
    if lo + lf < 60:
        if exact_o - lo >= exact_f - lf:
            lo += 1
        else:
            lf += 1
    assert r.team("osaka_is").goals["goal_deals"] == lo
    assert r.team("fukuoka_is").goals["goal_deals"] == lf
    assert r.team("tokyo_is").goals["goal_deals"] == 40
    assert r.team("osaka_is").headcount == o
    assert r.team("all").goals["goal_deals"] == 100


def test_team_goals_without_an_organisation_goal_add_up_only_when_every_team_has_one(sample):
    some = S.Settings(teams={"tokyo_is": S.Level(goal_won=30)})
    r = S.resolve(some, sample, month="2026-10")
    assert r.team("tokyo_is").goals["goal_won"] == 30 and r.team("osaka_is").goals["goal_won"] is None
    assert r.team("all").goals["goal_won"] is None
    every = S.Settings(teams={t: S.Level(goal_won=10 + i) for i, t in enumerate(sample.team_ids())})
    r = S.resolve(every, sample, month="2026-10")
    assert r.team("all").goals["goal_won"] == 10 + 11 + 12
    assert r.team("all").goal_basis["goal_won"] == "sum_of_teams"


def test_team_goals_exceeding_the_organisation_goal_are_an_error(sample):
    s = S.Settings(organisation=S.Level(goal_won=20), teams={"tokyo_is": S.Level(goal_won=25)})
    with pytest.raises(S.SettingsError, match=r"add up to 25.*goal_won = 20"):
        S.resolve(s, sample, month="2026-10")


def test_team_overrides_organisation_key_by_key(tmp_path):
    p = write(
        tmp_path,
        """
        [organisation]
        phase = "growth"
        industry = "saas"
        [organisation.answers]
        fs_rules_established = "yes"
        winning_script = false
        [teams.osaka_is]
        phase = "launch"
        [teams.osaka_is.answers]
        winning_script = "yes"
        """,
    )
    s = S.load_settings(p)
    assert s.phase_override("osaka_is") == "launch"
    assert s.phase_override("tokyo_is") == "growth"  # no section: the organisation's
    assert s.phase_override("all") == "growth"
    a = s.answers("osaka_is")
    assert (a.fs_rules_established, a.revenue_reporting, a.winning_script) == (True, None, True)
    assert s.answers("tokyo_is").winning_script is False
    assert s.phase_answers(["osaka_is", "tokyo_is"])["winning_script"] == "osaka_is:yes, tokyo_is:no"
    assert len(s.sha256) == 64 and s.path == p.resolve()


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        # unknown key, with a did-you-mean, the line and the allowed keys
        (
            "[organisation]\ngoal_deal = 5\n",
            r"settings\.toml, line 2: \[organisation\] goal_deal = 5: unknown key; did you mean 'goal_deals'\?.*allowed: industry, phase, goal_deals",
        ),
        ("[organsation]\n", r"organsation.*did you mean 'organisation'"),
        (
            "[teams.tokyo_is.answers]\nfs_rules = 'yes'\n",
            r"line 2: \[teams\.tokyo_is\.answers\] fs_rules = 'yes': unknown key; did you mean 'fs_rules_established'",
        ),
        # wrong values: what is allowed
        (
            "[organisation]\nphase = 'mature2'\n",
            r"line 2: \[organisation\] phase = 'mature2': allowed: launch, growth, mature",
        ),
        ("[organisation]\nindustry = 'retail'\n", r"industry = 'retail': allowed: saas, enterprise"),
        (
            "[teams.osaka_is]\ngoal_won = -3\n",
            r"line 2: \[teams\.osaka_is\] goal_won = -3: must be a positive whole number",
        ),
        ("[teams.osaka_is]\ngoal_won = 12.5\n", r"goal_won = 12\.5: must be a positive whole number"),
        ("[organisation]\ngoal_deals = true\n", r"goal_deals = True: must be a positive whole number"),
        (
            "[organisation.answers]\nrevenue_reporting = 'maybe'\n",
            r"revenue_reporting = 'maybe': allowed: \"yes\", \"no\", \"unknown\"",
        ),
        (
            "[teams.osaka_is]\ntargets_file = 'x.toml'\n",
            r"targets_file = 'x\.toml': the targets file is one for the whole report",
        ),
        ("[organisation]\ntargets_file = 'missing.toml'\n", r"targets_file = 'missing\.toml': an existing TOML file"),
        ("[organisation]\ngoal_won = \n", r"not valid TOML: .*line 2"),
        ("organisation = 3\n", r"organisation = 3: must be a table"),
    ],
)
def test_bad_settings_say_file_line_key_value_and_what_is_allowed(tmp_path, text, pattern):
    p = write(tmp_path, text)
    with pytest.raises(S.SettingsError, match=pattern) as exc:
        S.load_settings(p)
    assert str(p) in str(exc.value)


def test_unknown_team_is_an_error_with_a_did_you_mean(tmp_path, sample):
    p = write(tmp_path, "[teams.tokyo]\ngoal_won = 3\n")
    s = S.load_settings(p)  # the file alone is fine; the team is checked against the data
    with pytest.raises(
        S.SettingsError,
        match=r"settings\.toml, line 1: \[teams\.tokyo\]: no such team in the data \(did you mean 'tokyo_is'\?\)",
    ):
        S.resolve(s, sample, month="2026-10")


def test_targets_file_is_relative_to_the_settings_file(tmp_path):
    (tmp_path / "t.toml").write_text(config.PHASE_TARGETS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    s = S.load_settings(write(tmp_path, "[organisation]\ntargets_file = 't.toml'\n"))
    assert s.targets_file == (tmp_path / "t.toml").resolve()


def test_find_settings_beside_the_data_or_given(tmp_path):
    assert S.find_settings(None, data_dir=tmp_path) is None
    beside = write(tmp_path, "[organisation]\n")
    assert S.find_settings(None, data_dir=tmp_path) == beside
    other = write(tmp_path, "", name="other.toml")
    assert S.find_settings(other, data_dir=tmp_path) == other
    with pytest.raises(S.SettingsError, match="settings file not found"):
        S.find_settings(tmp_path / "nope.toml", data_dir=tmp_path)


def test_no_settings_changes_nothing(sample):
    r = S.for_notebook("", sample, month="2026-10", data_dir=Path("/nonexistent-dir"))
    assert r.settings.path is None
    for t in r.by_team.values():
        assert set(t.goals.values()) == {None} and t.phase is None and t.industry is None
        assert t.answers.text() == dict.fromkeys(S.ANSWER_KEYS, "unknown")


def test_industry_presets_hold_the_seed_ranges():
    p = S.industry_presets()
    assert p["saas"]["deal_conversion"] == (0.15, 0.20)
    assert p["enterprise"]["deal_conversion"] == (0.05, 0.10)
    from iskpi_analysis import kpis

    for ranges in p.values():
        for kpi_id, (lo, hi) in ranges.items():
            kpis.get(kpi_id)  # a KPI of the dictionary
            assert 0 < lo < hi <= 1


def test_phase_answers_for_the_phase_notebook(sample):
    """What notebook 02 passes to ``phase.diagnose_teams(answers=...)``: the settings' answers per
    team, parsed back by ``phase.parse_answer``; a notebook parameter other than "unknown" wins."""
    from iskpi_analysis import phase

    s = S.load_settings(EXAMPLE)
    r = S.resolve(s, sample, month="2026-10")
    ans = r.phase_answers()
    for team in sample.team_ids():
        for key in S.ANSWER_KEYS:
            assert phase.parse_answer(ans[key], team) == getattr(s.answers(team), key), (team, key)
    given = r.phase_answers(given={"fs_rules_established": "unknown", "winning_script": "osaka_is:no"})
    assert given["fs_rules_established"] == ans["fs_rules_established"]  # "unknown" leaves the file's
    assert given["winning_script"] == "osaka_is:no"
    with pytest.raises(S.SettingsError, match="answers keys"):
        r.phase_answers(given={"fs_rules": "yes"})
