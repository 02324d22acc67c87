"""XmR (individuals and moving range) charts: limits against a worked example, signal rules on
hand-made series, and the stability summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iskpi_analysis import control_chart as cc

X = [52, 48, 55, 50, 47, 53, 51, 49, 54, 50]


def test_xmr_limits_worked_example():
    # mean 509/10 = 50.9; moving ranges 4,7,5,3,6,2,2,5,4 → 38/9 = 4.2222;
    # limits 50.9 ∓ 2.66 × 4.2222 = 39.6689 / 62.1311; mR chart UCL 3.268 × 4.2222
    lim = cc.xmr_limits(X)
    assert lim["n"] == 10
    assert lim["mean"] == pytest.approx(50.9, abs=1e-4)
    assert lim["mr_bar"] == pytest.approx(4.2222, abs=1e-4)
    assert lim["lcl"] == pytest.approx(39.6689, abs=1e-4)
    assert lim["ucl"] == pytest.approx(62.1311, abs=1e-4)
    assert lim["mr_ucl"] == pytest.approx(3.268 * 38 / 9, abs=1e-9)
    assert lim["sigma_hat"] == pytest.approx(38 / 9 / 1.128, abs=1e-9)


def test_xmr_table_matches_limits_and_has_no_signal_on_the_example():
    ch = cc.xmr(X)
    assert list(ch["moving_range"].iloc[1:]) == [4, 7, 5, 3, 6, 2, 2, 5, 4]
    assert np.isnan(ch["moving_range"].iloc[0])
    assert ch["lcl"].iloc[0] == pytest.approx(39.6689, abs=1e-4)
    assert not ch["signal"].any()
    s = cc.xmr_summary(ch, target=45)
    assert s["stable"] is True and s["lcl_clears_target"] is False and s["mean_at_target"] is True


def test_dataframe_input_with_missing_values_and_time_column():
    df = pd.DataFrame({"d": pd.date_range("2026-01-05", periods=11), "v": X[:5] + [np.nan] + X[5:]})
    ch = cc.xmr(df, x="v", time="d")
    assert len(ch) == 10  # the missing day is dropped before the moving ranges
    assert ch["center"].iloc[0] == pytest.approx(50.9)
    assert pd.Timestamp(ch["time"].iloc[5]) == pd.Timestamp("2026-01-11")
    with pytest.raises(ValueError, match="column"):
        cc.xmr(df, x="nope")
    with pytest.raises(ValueError, match="run_length"):
        cc.xmr(X, run_length=1)


def test_rule_1_point_beyond_the_limits():
    x = [10, 11, 10, 11, 10, 11, 10, 11, 30, 10, 11]
    ch = cc.xmr(x)
    # independent: mean and mean moving range by hand
    mean = sum(x) / len(x)
    mr = np.mean(np.abs(np.diff(x)))
    assert ch["ucl"].iloc[0] == pytest.approx(mean + 2.66 * mr)
    assert 30 > mean + 2.66 * mr
    assert list(np.flatnonzero(ch["beyond_limits"])) == [8]
    s = cc.xmr_summary(ch)
    assert s["n_beyond"] == 1 and s["n_beyond_low"] == 0
    assert s["stable"] is False  # 1 of 11 points is more than 2 %


def test_rule_2_run_of_nine_on_one_side():
    low = [0.0, 1.0] * 4
    x = low + [2.0, 2.1] * 4 + [2.0] + low  # 9 points in a row well above the mean
    ch = cc.xmr(x)
    assert ch["center"].iloc[0] < 2.0
    run = np.flatnonzero(ch["in_run"])
    assert list(run) == list(range(8, 17))
    assert not ch["beyond_limits"].any()
    s = cc.xmr_summary(ch)
    assert s["run_signal"] is True and s["longest_run"] == 9 and s["stable"] is False


def test_run_of_eight_is_not_a_signal_and_a_point_on_the_centre_breaks_a_run():
    # background alternates around the centre; a block of 8 sits just above it
    x8 = [1.0, -1.0] * 4 + [0.5] * 8 + [-1.0, 1.0] * 4
    ch = cc.xmr(x8)
    assert ch["center"].iloc[0] == pytest.approx(0.5 * 8 / 24)
    assert not ch["in_run"].any()
    assert list(np.flatnonzero(cc.xmr(x8, run_length=8)["in_run"])) == list(range(8, 16))
    # nine values above the centre, but the 5th sits exactly on it (mean = 1.0): no signal
    x = [0.0, 1.0] * 9 + [2.0] * 4 + [1.0] + [2.0] * 5
    ch = cc.xmr(x)
    assert ch["center"].iloc[0] == 1.0
    assert not ch["in_run"].any()
    assert cc.xmr_summary(ch)["longest_run"] == 5


def test_summary_tolerates_one_stray_point_in_sixty():
    base = [100.0, 102.0, 99.0, 101.0] * 15  # 60 points, no runs
    one = list(base)
    one[30] = 160.0
    s1 = cc.xmr_summary(cc.xmr(one), target=95)
    assert s1["n_beyond"] == 1 and s1["stable"] is True  # floor(0.02 × 60) = 1 allowed
    two = list(one)
    two[45] = 160.0
    s2 = cc.xmr_summary(cc.xmr(two), target=95)
    assert s2["n_beyond"] == 2 and s2["stable"] is False
    strict = cc.xmr_summary(cc.xmr(one), max_out_share=0.0)
    assert strict["stable"] is False


def test_summary_of_too_short_a_series():
    s = cc.xmr_summary(cc.xmr([5.0]), target=3)
    assert s["stable"] is None and s["n"] == 1 and s["lcl_clears_target"] is None
