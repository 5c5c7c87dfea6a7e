"""Writes values on the counselor page: literals, intervals and worked-example values, by the
runtime's rules (compiler/runtime.py), so the page and an evaluator's explanation agree."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from compiler.runtime import MINUS, show_datetime, show_duration, show_money, show_number, show_percent
from dsl import ast as A

__all__ = [
    "fmt_clock_interval", "fmt_datetime", "fmt_decimal", "fmt_duration", "fmt_interval", "fmt_literal",
    "fmt_money", "fmt_percent", "to_datetime", "to_decimal", "to_timedelta", "zone_short", "zone_words",
]

_DURATION_PART = re.compile(r"(\d+)(min|시간|분|초|일|d|h|s)")
_DURATION_UNIT_SECONDS = {
    "d": 86400, "일": 86400, "h": 3600, "시간": 3600, "min": 60, "분": 60, "s": 1, "초": 1,
}
_ISO_DURATION = re.compile(
    r"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.IGNORECASE
)


def fmt_decimal(value: Decimal) -> str:
    """Write a number as the articles do (`12,345`, `2020`, `−2.5`), keeping the digits written."""
    return show_number(_digits(value))


def fmt_money(value: Decimal) -> str:
    return show_money(_digits(value))


def fmt_percent(value: Decimal) -> str:
    return show_percent(_digits(value))


def _digits(value: Decimal) -> int | str:
    """A whole number as an int, any other as its decimal text with the digits written."""
    if value == value.to_integral_value():
        return int(value)
    return format(value, "f")


def fmt_duration(value: timedelta, text: str | None = None) -> str:
    """Write a duration as `24시간`, `10분`, `1시간 30분`, `0분` or `−1시간`; days only if written so."""
    return show_duration(value, days=text is not None and ("d" in text or "일" in text))


def zone_words(zone: str) -> str:
    return "한국 시간 (Asia/Seoul)" if zone == "Asia/Seoul" else zone


def zone_short(zone: str) -> str:
    return "한국 시간" if zone == "Asia/Seoul" else f"{zone} 기준"


def fmt_datetime(value: datetime, zone: str) -> str:
    """Write a moment in the policy zone: `2025-06-01 14:00 (한국 시간)`."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = None
    return f"{show_datetime(value, tz)} ({zone_short(zone)})"


def fmt_interval(interval: A.Interval, zone: str) -> str:
    """Write an interval as `9시간 초과 24시간 이하`, `168시간 이상` or `1시간 이하`."""
    low, high = interval.low, interval.high
    low_open_end = isinstance(low, A.Infinity)
    high_open_end = isinstance(high, A.Infinity)
    if low_open_end and high_open_end:
        return "모든 값"
    if low_open_end:
        return f"{fmt_literal(high, zone)} {'이하' if interval.high_closed else '미만'}"
    low_words = f"{fmt_literal(low, zone)} {'이상' if interval.low_closed else '초과'}"
    if high_open_end:
        return low_words
    return f"{low_words} {fmt_literal(high, zone)} {'이하' if interval.high_closed else '미만'}"


def fmt_clock_interval(interval: A.Interval) -> str:
    """Write an interval of `clock(x)` as times of day: `09:00 이상 18:00 미만`."""
    def clock(b) -> str:
        secs = int(b.value.total_seconds()) if isinstance(b, A.Duration) else 0
        return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}"
    parts = []
    if not isinstance(interval.low, A.Infinity):
        parts.append(f"{clock(interval.low)} {'이상' if interval.low_closed else '초과'}")
    if not isinstance(interval.high, A.Infinity):
        parts.append(f"{clock(interval.high)} {'이하' if interval.high_closed else '미만'}")
    return " ".join(parts) or "하루 중 언제든"


def fmt_literal(lit: Any, zone: str) -> str:
    """Write a literal of the DSL in words, as the articles write it."""
    if isinstance(lit, A.Money):
        return fmt_money(lit.value)
    if isinstance(lit, A.Percent):
        return fmt_percent(lit.value)
    if isinstance(lit, A.Duration):
        return fmt_duration(lit.value, lit.text)
    if isinstance(lit, A.Number):
        return fmt_decimal(lit.value)
    if isinstance(lit, A.DateLit):
        return lit.value.isoformat()
    if isinstance(lit, A.DateTimeLit):
        return fmt_datetime(lit.value, zone)
    if isinstance(lit, A.Bool):
        return "예" if lit.value else "아니요"
    if isinstance(lit, A.Text):
        return f"“{lit.value}”"
    if isinstance(lit, A.Infinity):
        return f"{MINUS}∞" if lit.negative else "∞"
    raise TypeError(f"not a literal: {type(lit).__name__}")


def to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        digits = re.sub(r"[,\s원%]|won", "", value)
        try:
            return Decimal(digits)
        except InvalidOperation:
            return None
    return None


def to_timedelta(value: Any) -> timedelta | None:
    """Read a duration as examples write it: `24h`, `1h30min`, `24시간`, ISO 8601 `PT1H30M`."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    negative = text.startswith("-")
    body = text.lstrip("-").replace(" ", "")
    if body and _DURATION_PART.sub("", body) == "":
        seconds = sum(int(n) * _DURATION_UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(body))
        return timedelta(seconds=-seconds if negative else seconds)
    m = _ISO_DURATION.match(text)
    if m and any(m.group(i) for i in range(2, 6)):
        days, hours, minutes, seconds = (int(m.group(i) or 0) for i in range(2, 6))
        span = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return -span if m.group(1) else span
    return None


def to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
