"""The counselor page and the evaluator's explanations write every value by the same rules."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from compiler import runtime as rt
from compiler.values import fmt_datetime as _fmt_datetime, fmt_decimal as _fmt_decimal, fmt_duration as _fmt_duration
from compiler.values import fmt_money as _fmt_money, fmt_percent as _fmt_percent

SEOUL = ZoneInfo("Asia/Seoul")


def explain(kind, value):
    return rt.formatter(kind, {}, SEOUL)(value)


def test_a_moment_with_seconds_reads_the_same_on_the_page_and_in_an_explanation():
    at = datetime(2025, 6, 1, 5, 7, 30, tzinfo=timezone.utc)
    assert explain("datetime", at) == "2025-06-01 14:07:30"
    assert _fmt_datetime(at, "Asia/Seoul") == "2025-06-01 14:07:30 (한국 시간)"
    on_the_minute = datetime(2025, 6, 1, 5, 7, tzinfo=timezone.utc)
    assert explain("datetime", on_the_minute) == "2025-06-01 14:07"
    assert _fmt_datetime(on_the_minute, "Asia/Seoul") == "2025-06-01 14:07 (한국 시간)"


def test_years_and_other_four_digit_numbers_are_never_grouped():
    for n in (1900, 2020, 2999, 9999):
        assert explain("int", n) == str(n)
        assert _fmt_decimal(Decimal(n)) == str(n)
    assert explain("int", 12345) == _fmt_decimal(Decimal(12345)) == "12,345"
    assert explain("number", Fraction(-123456, 10)) == _fmt_decimal(Decimal("-12345.6")) == "\u221212,345.6"


def test_money_percent_and_durations_read_the_same_on_both_sides():
    for won in (0, 8000, 1_234_567, -8000):
        assert explain("money", won) == _fmt_money(Decimal(won))
    assert explain("money", -8000) == "\u22128,000원"
    for pct in (0, 10, 100, -5):
        assert explain("percent", pct) == _fmt_percent(Decimal(pct))
    assert explain("percent", Fraction(25, 2)) == _fmt_percent(Decimal("12.5")) == "12.5%"
    for secs in (0, 59, 60, 3600, 3661, 9 * 3600 + 30 * 60, 55 * 3600, -5400):
        assert explain("duration", timedelta(seconds=secs)) == _fmt_duration(timedelta(seconds=secs))
    assert explain("duration", timedelta(hours=9, minutes=30)) == "9시간 30분"
