"""compiler/holidays_kr.txt, the holiday table evaluators embed, is what the pinned `holidays` package gives."""

from __future__ import annotations

from datetime import date

from compiler import input_ranges as R


def test_saved_table_equals_the_holidays_package():
    assert R.HOLIDAY_TABLE.read_text(encoding="ascii") == R.holiday_table_text(), \
        "compiler/holidays_kr.txt is stale; run `python -m compiler.input_ranges`"


def test_table_is_read_for_the_years_asked():
    assert R.korean_holidays() == R.computed_korean_holidays()
    assert R.korean_holidays((2025, 2025)) == R.computed_korean_holidays((2025, 2025))
    assert date(2025, 10, 6) in R.korean_holidays((2025, 2025))  # 추석
    assert all(d.year == 2025 for d in R.korean_holidays((2025, 2025)))
