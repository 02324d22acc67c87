import pytest

from iskpi_analysis import kpis


def test_dictionary_covers_design_section_4():
    ids = set(kpis.all_kpis())
    expected = {
        "calls",
        "connects",
        "valid_conversations",
        "emails_sent",
        "appointments",
        "target_account_contacts",
        "first_response_minutes",
        "connect_rate",
        "conversation_rate",
        "appointment_rate",
        "deal_conversion",
        "email_open_rate",
        "email_click_rate",
        "email_reply_rate",
        "sql_count",
        "mql_to_sql_rate",
        "decision_maker_rate",
        "deal_quality_score",
        "handoff_win_rate",
        "deal_amount_jpy",
        "won_amount_jpy",
        "pipeline_jpy",
        "cac_jpy",
        "ltv_jpy",
        "ltv_cac",
        "roi",
        "forecast_accuracy",
    }
    assert expected <= ids
    for k in kpis.all_kpis().values():
        assert k.label_ja and k.label_en and k.formula


def test_labels_and_languages():
    assert kpis.label("deal_conversion") == "商談化率"
    assert kpis.label("deal_conversion", lang="en") == "Deal conversion"
    assert kpis.tier_label("behavioral") == "行動KPI"
    with pytest.raises(ValueError, match=r"lang must be one of \('ja', 'en'\)"):
        kpis.label("calls", lang="fr")
    with pytest.raises(KeyError, match="unknown KPI"):
        kpis.get("nope")


def test_rates_name_their_parts():
    k = kpis.get("connect_rate")
    assert (k.numerator, k.denominator) == ("connects", "calls")
    assert kpis.get("cac_jpy").direction == "lower"


def test_phase_targets_are_the_seed_template():
    launch = kpis.phase_targets("launch").set_index("kpi_id")
    assert launch.loc["calls", "target"] == 100 and launch.loc["calls", "per"] == "rep_day"
    assert launch.loc["appointments", "target"] == 3
    growth = kpis.phase_targets("growth").set_index("kpi_id")
    assert growth.loc["deal_conversion", "target"] == 0.15
    assert growth.loc["deal_amount_jpy", "target"] == 30_000_000
    mature = kpis.phase_targets("mature").set_index("kpi_id")
    assert mature.loc["ltv_cac", "target"] == 3.0 and mature.loc["cac_jpy", "target"] == 500_000
    assert kpis.phase_label("growth") == "成長期"
    with pytest.raises(ValueError, match="phase must be one of"):
        kpis.phase_targets("adult")


def test_edited_targets_file(tmp_path):
    from iskpi_analysis import config

    text = config.PHASE_TARGETS_FILE.read_text(encoding="utf-8").replace(
        "deal_conversion = { target = 0.15", "deal_conversion = { target = 0.07"
    )
    f = tmp_path / "targets.toml"
    f.write_text(text, encoding="utf-8")
    growth = kpis.phase_targets("growth", targets_file=f).set_index("kpi_id")
    assert growth.loc["deal_conversion", "target"] == 0.07
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("sql_count = { target = 20", "sqls = { target = 20"), encoding="utf-8")
    with pytest.raises(KeyError, match="unknown KPI 'sqls'"):
        kpis.phase_targets("growth", targets_file=bad)
