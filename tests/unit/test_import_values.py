"""Value conversions of ``iskpi import`` against hand-computed values."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from iskpi_analysis.importers.values import (
    Unconvertible,
    to_amount,
    to_bool,
    to_date,
    to_month,
    to_seconds,
    to_timestamp,
)

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    "text,value",
    [
        ("はい", True),
        ("いいえ", False),
        ("○", True),
        ("×", False),
        ("有", True),
        ("無", False),
        ("TRUE", True),
        ("false", False),
        ("１", True),
        ("0", False),
        ("あり", True),
        ("なし", False),
    ],
)
def test_japanese_booleans(text, value):
    assert to_bool(text)[0] is value


def test_unknown_boolean_is_an_error():
    with pytest.raises(Unconvertible, match="not a boolean"):
        to_bool("たぶん")


@pytest.mark.parametrize(
    "text,unit,secs,how",
    [
        ("125", "s", 125, None),
        ("125", "auto", 125, None),
        ("95000", "ms", 95, "ms → s"),
        ("03:05", "mm:ss", 185, "mm:ss → s"),
        ("65:20", "mm:ss", 3920, "mm:ss → s"),
        ("1:02:03", "h:mm:ss", 3723, "h:mm:ss → s"),
        ("0:03:15", "auto", 195, "h:mm:ss → s"),
        ("１２０", "s", 120, None),
    ],
)
def test_durations(text, unit, secs, how):
    assert to_seconds(text, unit) == (secs, how)


def test_fractional_seconds_are_an_error_unless_the_mapping_rounds():
    with pytest.raises(Unconvertible, match="not a whole number of seconds.*duration_rounding"):
        to_seconds("119.6", "s")
    with pytest.raises(Unconvertible, match="not a whole number"):
        to_seconds("185400", "ms")  # 185.4 s
    assert to_seconds("119.6", "s", "nearest") == (120, "s (rounded to the nearest second)")
    assert to_seconds("185400", "ms", "floor")[0] == 185
    assert to_seconds("185500", "ms", "nearest")[0] == 186


@pytest.mark.parametrize("text,unit", [("1:75", "mm:ss"), ("abc", "s"), ("-5", "s"), ("03:05", "ms")])
def test_bad_durations(text, unit):
    with pytest.raises(Unconvertible):
        to_seconds(text, unit)


@pytest.mark.parametrize(
    "text,yen",
    [
        ("1200000", 1_200_000),
        ("1,200,000", 1_200_000),
        ("¥1,200,000", 1_200_000),
        ("￥1,200,000", 1_200_000),
        ("1,200,000円", 1_200_000),
        ("120万円", 1_200_000),
        ("12.5万円", 125_000),
        ("980千円", 980_000),
        ("120万", 1_200_000),
    ],
)
def test_amounts(text, yen):
    assert to_amount(text)[0] == yen


@pytest.mark.parametrize("text", ["12,00,000", "百万円", "1.2.3", "USD 100"])
def test_bad_amounts(text):
    with pytest.raises(Unconvertible):
        to_amount(text)


def test_timestamps():
    local = datetime(2026, 10, 1, 10, 5, tzinfo=TOKYO)
    assert to_timestamp("2026/10/01 10:05", "Asia/Tokyo")[0] == local
    assert to_timestamp("2026年10月01日 10:05", "Asia/Tokyo")[0] == local
    assert to_timestamp("2026-10-01T01:05:00Z", "Asia/Tokyo") == (local, None)
    assert to_timestamp("1790816700000", "Asia/Tokyo")[0] == datetime(2026, 10, 1, 1, 5, tzinfo=UTC)
    assert to_timestamp("01-10-2026 10:05", "Asia/Tokyo", ("%d-%m-%Y %H:%M",))[0] == local
    with pytest.raises(Unconvertible, match="without a time of day"):
        to_timestamp("2026/10/01", "Asia/Tokyo")
    assert to_timestamp("2026/10/01", "Asia/Tokyo", date_only=True)[0] == datetime(2026, 10, 1, tzinfo=TOKYO)
    with pytest.raises(Unconvertible, match="unparseable timestamp"):
        to_timestamp("10月1日", "Asia/Tokyo")


def test_dates_and_months():
    assert to_date("2026年10月1日")[0] == date(2026, 10, 1)
    assert to_date("2026/10/01")[0] == date(2026, 10, 1)
    assert to_date("2026-10-01 00:00:00")[0] == date(2026, 10, 1)
    assert to_month("2026年4月") == ("2026-04", "month → YYYY-MM")
    with pytest.raises(Unconvertible):
        to_month("2026-13")
