import pandas as pd

from iskpi_analysis import workdays


def test_holidays_and_weekends():
    # 2026-11-03 文化の日 and 2026-11-23 勤労感謝の日 are national holidays
    assert list(workdays.holidays("2026-11-01", "2026-11-30").strftime("%d")) == ["03", "23"]
    assert workdays.is_business_day("2026-11-02") is True
    assert workdays.is_business_day("2026-11-03") is False  # holiday (Tuesday)
    assert workdays.is_business_day("2026-11-07") is False  # Saturday
    assert workdays.holiday_name("2026-11-03") == "文化の日"


def test_business_days_counts():
    # November 2026: 21 weekdays minus 2 holidays on weekdays = 19
    assert len(workdays.month_business_days("2026-11")) == 19
    # Golden Week 2026: 4/29 (Wed), 5/4, 5/5, 5/6 (substitute holiday for 5/3 Sunday)
    days = workdays.business_days("2026-04-27", "2026-05-08")
    assert list(days.strftime("%m-%d")) == ["04-27", "04-28", "04-30", "05-01", "05-07", "05-08"]


def test_vectorised_matches_scalar():
    days = pd.date_range("2026-01-01", "2026-12-31")
    vec = workdays.is_business_day(days)
    assert vec.sum() == sum(workdays.is_business_day(d) for d in days)
