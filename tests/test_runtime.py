"""Unit tests of the runtime every generated evaluator shares (compiler/runtime.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from compiler import runtime as rt

SEOUL = rt.zone("Asia/Seoul")
HOLIDAYS = frozenset({date(2025, 10, 3), date(2025, 10, 6), date(2025, 10, 7), date(2025, 10, 8), date(2025, 10, 9)})
YEARS = (2025, 2025)


@pytest.mark.parametrize("percent,amount,expected", [
    (10, 12345, 1234), (50, 15001, 7500), (100, 0, 0), (Decimal("12.5"), 1001, 125), (Decimal("33.3"), 3, 0),
])
def test_percent_of_drops_fractions_of_a_won(percent, amount, expected):
    assert rt.percent_of(percent, amount) == expected


def test_money_rate_times_a_count_drops_fractions():
    assert rt.money_times(Decimal("18.5"), 61) == 1128
    assert rt.money_times(Decimal("18.5"), 2) == 37


def test_calendar_questions_use_the_policy_zone():
    utc_evening = datetime(2025, 3, 31, 15, 30, tzinfo=timezone.utc)  # 2025-04-01 00:30 in Seoul
    assert rt.local_date(utc_evening, SEOUL) == date(2025, 4, 1)
    assert rt.month_of(utc_evening, SEOUL) == rt.month_of(datetime(2025, 4, 19, tzinfo=SEOUL), SEOUL) == 2025 * 12 + 4
    assert rt.local_date(datetime(2025, 3, 31, 12, tzinfo=SEOUL), SEOUL) == date(2025, 3, 31)
    assert rt.last_day_of_month(date(2024, 2, 10), SEOUL) == date(2024, 2, 29)
    assert rt.last_day_of_month(datetime(2025, 12, 31, 20, tzinfo=timezone.utc), SEOUL) == date(2026, 1, 31)


def test_business_days_skip_weekends_and_holidays():
    # 2025-09-30 (Tue) + 7 business days: Oct 1, 2, then 3 and 6–9 are holidays, 10, 13, 14, 15, 16.
    assert rt.add_business_days(date(2025, 9, 30), 7, HOLIDAYS, YEARS, SEOUL) == date(2025, 10, 16)
    assert rt.is_business_day(date(2025, 10, 10), HOLIDAYS, YEARS, SEOUL)
    assert not rt.is_business_day(date(2025, 10, 9), HOLIDAYS, YEARS, SEOUL)
    assert not rt.is_business_day(date(2025, 10, 11), HOLIDAYS, YEARS, SEOUL)
    with pytest.raises(rt.InvalidInput):
        rt.add_business_days(date(2025, 12, 30), 5, HOLIDAYS, YEARS, SEOUL)


def test_clock_aligned_and_years_between():
    at = datetime(2025, 10, 2, 0, 10, tzinfo=timezone.utc)  # 09:10 in Seoul
    assert rt.clock(at, SEOUL) == timedelta(hours=9, minutes=10)
    assert rt.aligned(at, timedelta(minutes=10), SEOUL)
    assert not rt.aligned(at + timedelta(minutes=5), timedelta(minutes=10), SEOUL)
    assert rt.aligned(timedelta(hours=1, minutes=30), timedelta(minutes=30), SEOUL)
    assert rt.years_between(date(2000, 10, 2), date(2025, 10, 1), SEOUL) == 24
    assert rt.years_between(date(2000, 10, 2), date(2025, 10, 2), SEOUL) == 25
    assert rt.years_between(date(2000, 2, 29), date(2025, 2, 28), SEOUL) == 24


@pytest.mark.parametrize("value,ok", [
    ("2025-06-01T14:00:00+09:00", True), ("2025-06-01T05:00:00Z", True), ("2025-06-01T14:00", True),
    ("2025-02-30T10:00:00+09:00", False), ("2025-06-01 14:00", False), ("2025-06-01", False), (20250601, False),
])
def test_read_datetime(value, ok):
    errors: list = []
    got = rt.read_datetime(value, "/at", errors, SEOUL)
    assert (got is not None) == ok and (errors == []) == ok
    if ok:
        assert got.tzinfo is not None


def test_show_formats_like_the_articles():
    labels = {"k": {"a": "가"}}
    assert rt.show("money", 8000, labels, SEOUL) == "8,000원"
    assert rt.show("percent", Decimal("12.5"), labels, SEOUL) == "12.5%"
    assert rt.show("duration", timedelta(hours=9, minutes=30), labels, SEOUL) == "9시간 30분"
    assert rt.show("duration", -timedelta(hours=1), labels, SEOUL) == "−1시간"
    assert rt.show("enum:k", "a", labels, SEOUL) == "가"
    assert rt.show("bool", True, labels, SEOUL) == "예"
    assert rt.show("money", None, labels, SEOUL) == "없음"


@pytest.mark.parametrize("kind", ["money", "percent", "duration", "datetime", "date", "bool", "enum:k", "list", "number", "text", "int"])
def test_every_formatter_shows_a_missing_value_as_none_word(kind):
    assert rt.formatter(kind, {"k": {"a": "가"}}, SEOUL)(None) == "없음"


def test_formatters_write_times_on_the_zone_clock_and_durations_in_hours():
    show_at = rt.formatter("datetime", {}, SEOUL)
    assert show_at(datetime(2025, 6, 1, 5, 7, tzinfo=timezone.utc)) == "2025-06-01 14:07"
    assert show_at(datetime(1999, 12, 31, 15, 0, 59, tzinfo=timezone.utc)) == "2000-01-01 00:00:59"
    assert [rt.show_duration(timedelta(seconds=s)) for s in (0, 60, 3600, 3660, 3601, 61, -5400, 55 * 3600, 59.9)] == \
        ["0분", "1분", "1시간", "1시간 1분", "1시간 1초", "1분 1초", "−1시간 30분", "55시간", "59초"]
    assert rt.formatter("list", {}, SEOUL)(()) == "없음"
    assert rt.formatter("list", {}, SEOUL)(("a", "b")) == "a, b"


def test_local_date_fast_path_agrees_with_astimezone():
    # Inputs already on the zone's clock skip astimezone; across 1900–2999 and the zone's
    # historical offsets (+08:30, DST in 1987–88) the answer must not change.
    import random

    rng = random.Random(2025)
    for _ in range(20_000):
        secs = rng.randint(-2_208_988_800, 32_503_680_000)
        offset = rng.choice([0, 9 * 3600, 10 * 3600, 8 * 3600 + 1800, -5 * 3600, 9 * 3600 + 60])
        value = datetime.fromtimestamp(secs, timezone(timedelta(seconds=offset)))
        assert rt.local_date(value, SEOUL) == value.astimezone(SEOUL).date(), value
    for text in ("1987-05-10T02:30:00+10:00", "1988-10-09T02:30:00+09:00", "1988-10-09T02:30:00+10:00"):
        value = datetime.fromisoformat(text)
        assert rt.local_date(value, SEOUL) == value.astimezone(SEOUL).date(), text
