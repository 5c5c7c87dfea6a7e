"""The dates an input may hold: one range for the JSON Schema and the evaluator alike.

A date or datetime input may be dated in the years runtime.YEARS (as written). An input that a
business-day function reads directly (`is_business_day(pickup_at)`, `add_business_days(received_at, 7)`)
may only be dated where the holiday table answers: inside the table's years, and early enough
that counting the days forward stays inside them. The range is of the date *as written*: the
offset a caller writes can move the policy zone's date a day or two either way, and the range
leaves room for that, so that a written date the range admits is always one the calendar covers.

compiler/emit_schema.py writes each range into the input's pattern; compiler/emit_python.py
passes it to the evaluator's reader. An argument that is not an input by name (an expression,
a record field) or a day count that is not a constant is checked when the function runs; the
error then names the input the date comes from.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from compiler.check import Analysis
from compiler.runtime import YEARS
from dsl import ast as A

__all__ = ["HOLIDAY_YEARS", "DEFAULT_RANGE", "BUSINESS_DAY_CALLS", "korean_holidays", "computed_korean_holidays", "date_ranges", "blamed_input"]

# The years of the public-holiday table emitted into evaluators that count business days.
HOLIDAY_YEARS = (2015, 2035)
DEFAULT_RANGE = (date(YEARS[0], 1, 1), date(YEARS[1], 12, 31))
BUSINESS_DAY_CALLS = ("is_business_day", "add_business_days")
# The largest offset an input may be written with (the schema's and runtime's `[+-]HH:MM`, HH < 24).
_MAX_WRITTEN_OFFSET = timedelta(hours=23, minutes=59)


# The table of HOLIDAY_YEARS, saved from the `holidays` package (pinned in pyproject.toml): computing
# it takes a tenth of a second of every compile. tests/test_holiday_table.py holds it equal to the
# package; `python -m compiler.input_ranges` rewrites it.
HOLIDAY_TABLE = Path(__file__).with_name("holidays_kr.txt")


def computed_korean_holidays(years: tuple[int, int] = HOLIDAY_YEARS) -> frozenset[date]:
    """Korean public holidays of the years, from the `holidays` package."""
    import holidays  # compile-time only: generated code never imports it

    return frozenset(holidays.country_holidays("KR", years=range(years[0], years[1] + 1)))


def holiday_table_text() -> str:
    """holidays_kr.txt as the `holidays` package gives it now."""
    import holidays

    days = sorted(computed_korean_holidays(HOLIDAY_YEARS))
    head = (f"# Korean public holidays {HOLIDAY_YEARS[0]}-{HOLIDAY_YEARS[1]}, from holidays {holidays.__version__}; "
            "written by `python -m compiler.input_ranges`, do not edit.\n")
    return head + "".join(f"{d.isoformat()}\n" for d in days)


@lru_cache(maxsize=None)
def korean_holidays(years: tuple[int, int] = HOLIDAY_YEARS) -> frozenset[date]:
    """Korean public holidays of the years (the saved table when it covers them)."""
    if HOLIDAY_YEARS[0] <= years[0] and years[1] <= HOLIDAY_YEARS[1]:
        lines = HOLIDAY_TABLE.read_text(encoding="ascii").splitlines()
        days = (date.fromisoformat(line) for line in lines if line and not line.startswith("#"))
        return frozenset(d for d in days if years[0] <= d.year <= years[1])
    return computed_korean_holidays(years)


def _children(node) -> Iterator:
    """The syntax nodes directly under node (its dataclass slots, in order; texts and spans left out)."""
    if node is None or isinstance(node, (str, int, A.Span, A.Label)):
        return
    for slot in getattr(type(node), "__slots__", ()):
        value = getattr(node, slot, None)
        for item in value if isinstance(value, tuple) else (value,):
            if hasattr(type(item), "__slots__") and not isinstance(item, (str, A.Span)):
                yield item


def _calls(node, out: list) -> list:
    """Every business-day call in node, depth first (the node's dataclass slots, in order)."""
    if isinstance(node, A.Call) and node.func in BUSINESS_DAY_CALLS:
        out.append(node)
    for child in _children(node):
        _calls(child, out)
    return out


def constant_int(an: Analysis, e) -> int | None:
    """The value of a whole-number constant: a literal, its negation, or a `let` of one."""
    if isinstance(e, A.Number) and e.value == e.value.to_integral_value():
        return int(e.value)
    if isinstance(e, A.Unary) and e.op == "-":
        inner = constant_int(an, e.operand)
        return None if inner is None else -inner
    if isinstance(e, A.Name) and id(e) not in an.field_refs:
        let = next((d for d in an.policy.lets if d.name == e.name), None)
        if let is not None:
            return constant_int(an, let.formula)
    return None


def _input_named(an: Analysis, e) -> A.InputDecl | None:
    if isinstance(e, A.Name) and id(e) not in an.field_refs and id(e) not in an.enum_values:
        return next((i for i in an.policy.inputs if i.name == e.name and not i.type.is_list), None)
    return None


def _step(d: date, days: int, holidays: frozenset, years: tuple[int, int]) -> date | None:
    """runtime.add_business_days on a local date; None where it would leave the table."""
    step, left = (1 if days >= 0 else -1), abs(days)
    while left:
        d += timedelta(days=step)
        if not years[0] <= d.year <= years[1]:
            return None
        if d.weekday() < 5 and d not in holidays:
            left -= 1
    return d


@lru_cache(maxsize=None)
def _local_range(days: int | None) -> tuple[date, date] | None:
    """The local dates a business-day function may start from and stay inside the table.

    days None is is_business_day (the date itself must be in the table). None when no date works.
    """
    first, last = date(HOLIDAY_YEARS[0], 1, 1), date(HOLIDAY_YEARS[1], 12, 31)
    if not days:
        return first, last
    holidays = korean_holidays()
    if days > 0:
        # The count is monotone in its start: the last start whose count stays in the table.
        if _step(first, days, holidays, HOLIDAY_YEARS) is None:
            return None
        lo, hi = first, last  # lo works; find the last that does
        while lo < hi:
            mid = lo + timedelta(days=((hi - lo).days + 1) // 2)
            if _step(mid, days, holidays, HOLIDAY_YEARS) is None:
                hi = mid - timedelta(days=1)
            else:
                lo = mid
        return first, lo
    if _step(last, days, holidays, HOLIDAY_YEARS) is None:
        return None
    lo, hi = first, last  # hi works; find the first that does
    while lo < hi:
        mid = lo + timedelta(days=(hi - lo).days // 2)
        if _step(mid, days, holidays, HOLIDAY_YEARS) is None:
            lo = mid + timedelta(days=1)
        else:
            hi = mid
    return hi, last


@lru_cache(maxsize=None)
def _margins(zone: str) -> tuple[int, int]:
    """How many days the zone's date can lie before and after the date a datetime is written with."""
    tz = ZoneInfo(zone)
    start = datetime(HOLIDAY_YEARS[0] - 1, 12, 25, 12, tzinfo=timezone.utc)
    days = (date(HOLIDAY_YEARS[1] + 1, 1, 7) - start.date()).days
    offsets = {(start + timedelta(days=i)).astimezone(tz).utcoffset() for i in range(days)}
    day = timedelta(days=1)
    # Written at 00:00 with +23:59 -> local time 00:00 - 23:59 + offset; at 23:59:59.999999 with -23:59.
    before = max(0, -math.floor((min(offsets) - _MAX_WRITTEN_OFFSET) / day))
    after = math.floor((day - timedelta(microseconds=1) + _MAX_WRITTEN_OFFSET + max(offsets)) / day)
    return before, after


def date_ranges(an: Analysis) -> dict[str, tuple[date, date]]:
    """The written dates each date or datetime input may hold, where narrower than DEFAULT_RANGE."""
    ranges: dict[str, tuple[date, date]] = {}
    for call in _calls(an.policy, []):
        decl = _input_named(an, call.args[0]) if call.args else None
        if decl is None:
            continue  # checked when the function runs; see blamed_input
        days = None
        if call.func == "add_business_days":
            days = constant_int(an, call.args[1]) if len(call.args) > 1 else None
            if days is None:
                days = 0  # the start at least in the table; how far it counts is checked when it runs
        local = _local_range(days)
        if local is None:
            continue  # no start date works: the count is checked when it runs
        first, last = local
        if decl.type.name == "datetime":
            before, after = _margins(an.policy.zone)
            first, last = first + timedelta(days=before), last - timedelta(days=after)
        old_first, old_last = ranges.get(decl.name, DEFAULT_RANGE)
        ranges[decl.name] = (max(first, old_first), min(last, old_last))
    return ranges


def _names(an: Analysis, node, out: set[str]) -> set[str]:
    """The inputs and lets an expression names (not record fields, not enum values)."""
    if isinstance(node, A.Name):
        if id(node) not in an.field_refs and id(node) not in an.enum_values:
            out.add(node.name)
        return out
    if isinstance(node, (A.Count, A.Collect, A.Sum)):
        out.add(node.source.name)
    for child in _children(node):
        _names(an, child, out)
    return out


def blamed_input(an: Analysis, call: A.Call) -> str:
    """The JSON pointer an error of a business-day call names: the first input (in declaration
    order) its arguments read, through `let`s; "" when they read none (a record's field)."""
    inputs = [i.name for i in an.policy.inputs]
    lets = {d.name: d for d in an.policy.lets}
    seen: set[str] = set()
    todo = sorted(set().union(*(_names(an, arg, set()) for arg in call.args)))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in lets:
            todo.extend(_names(an, lets[name].formula, set()))
    found = [n for n in inputs if n in seen]
    return "/" + found[0].replace("~", "~0").replace("/", "~1") if found else ""


if __name__ == "__main__":  # `python -m compiler.input_ranges`: rewrite holidays_kr.txt
    HOLIDAY_TABLE.write_text(holiday_table_text(), encoding="ascii")
