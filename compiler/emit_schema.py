"""Compiles a checked policy into the JSON Schema of its evaluator input, with the decision schema in `$defs`."""

from __future__ import annotations

import calendar
import json
from datetime import date, timedelta
from decimal import Decimal

from compiler.input_ranges import DEFAULT_RANGE
from dsl import ast as A

__all__ = ["emit_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# `$id` is <base>/<domain>/<name>.json. The base is the project's `[tool.policyc] schema_base_uri`
# (pyproject.toml, read by compiler/settings.py); without one, a URN: an absolute URI that names
# the schema without pretending to be a place it can be fetched from.
DEFAULT_BASE_URI = "urn:policyc:schemas"
DECISION = "decision"

MAX_INT = 2**53 - 1  # runtime.MAX_INT: whole numbers JSON carries exactly
MAX_TEXT = 10_000  # runtime.MAX_TEXT: the length of a text with no `max`
NUMBER_DIGITS, NUMBER_PLACES = 15, 10  # runtime._NUMBER_RE: digits before and after the point

# ---------------------------------------------------------------- patterns
#
# Every pattern is written in the syntax ECMA-262, Python's `re` (which the jsonschema package
# uses, with `re.search`) and RE2 (Go, Rust validators) read alike: no look-arounds, no
# back-references, no `\d` (Python's matches any Unicode digit, such as `٢`, which the evaluator
# refuses; `[0-9]` means the same everywhere), `^` and `$` as anchors. One difference is left:
# Python's `$` also matches before a final newline, so every patterned string schema also says
# `"not": NO_NEWLINE` -- our shapes never hold a newline, and a string that does is refused by
# every engine alike.
# The shapes and bounds are those the evaluator reads (compiler/runtime.py: _DATETIME_RE and the
# date ranges, _DATE_RE, _DURATION_RE, _NUMBER_RE, MAX_INT, MAX_TEXT). A date pattern spells out
# which days each month has, 29 February in leap years only: the schema refuses `2025-02-30` as
# the evaluator does. `format: date-time` would say less (validators need not assert `format`).

NO_NEWLINE = {"type": "string", "pattern": "\\n"}
_D = "[0-9]"


def _digits(chars: list[str]) -> str:
    """A character class of digits: `[0-9]`, `[13-9]`, or the digit itself."""
    ns = sorted({int(c) for c in chars})
    if len(ns) == 1:
        return str(ns[0])
    runs: list[list[int]] = []
    for n in ns:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    body = "".join(f"{a}" if a == b else f"{a}{b}" if b == a + 1 else f"{a}-{b}" for a, b in runs)
    return f"[{body}]"


def _alternatives(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + "|".join(parts) + ")"


def _any_digits(n: int) -> str:
    return "" if n == 0 else _D if n == 1 else f"{_D}{{{n}}}"


def _fixed_width(lo: int, hi: int, width: int) -> str:
    """The regex of the numbers lo..hi written with exactly `width` digits (zero-padded)."""
    assert 0 <= lo <= hi < 10 ** width, (lo, hi, width)
    if width == 0:
        return ""
    p = 10 ** (width - 1)
    lo_d, lo_r = divmod(lo, p)
    hi_d, hi_r = divmod(hi, p)
    if lo_d == hi_d:
        return f"{lo_d}{_fixed_width(lo_r, hi_r, width - 1)}"
    parts = []
    first, last = lo_d, hi_d
    if lo_r != 0:
        parts.append(f"{lo_d}{_fixed_width(lo_r, p - 1, width - 1)}")
        first += 1
    tail = None
    if hi_r != p - 1:
        tail = f"{hi_d}{_fixed_width(0, hi_r, width - 1)}"
        last -= 1
    if first <= last:
        parts.append(_digits([str(d) for d in range(first, last + 1)]) + _any_digits(width - 1))
    if tail is not None:
        parts.append(tail)
    return _alternatives(parts)


def _string_set(strings: list[str]) -> str:
    """The regex of a small set of strings of one length, as a trie of digit classes."""
    if not strings[0]:
        return ""
    tails: dict[str, list[str]] = {}
    for s in strings:
        tails.setdefault(s[0], []).append(s[1:])
    grouped: dict[str, list[str]] = {}
    for first, rest in sorted(tails.items()):
        grouped.setdefault(_string_set(sorted(set(rest))), []).append(first)
    return _alternatives([_digits(firsts) + rest for rest, firsts in grouped.items()])


_COMMON_DAYS = "((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _whole_years(first: int, last: int) -> str:
    """Every date of the years first..last (4 digits each)."""
    parts = [f"{_fixed_width(first, last, 4)}-{_COMMON_DAYS}"]
    leaps = [y for y in range(first, last + 1) if _leap(y)]
    if leaps:
        # By century: the two-digit endings of its leap years in range, then centuries alike grouped.
        endings: dict[str, list[str]] = {}
        for y in leaps:
            endings.setdefault(f"{y // 100:02d}", []).append(f"{y % 100:02d}")
        by_ending: dict[str, list[str]] = {}
        for century, ends in endings.items():
            by_ending.setdefault(_string_set(ends), []).append(century)
        years = _alternatives([_string_set(cs) + ends for ends, cs in by_ending.items()])
        parts.append(f"{years}-02-29")
    return _alternatives(parts)


def _days_of_year(first: date, last: date) -> str:
    """Every date from first to last, two dates of one year."""
    year = first.year
    by_days: dict[str, list[str]] = {}
    for month in range(first.month, last.month + 1):
        lo = first.day if month == first.month else 1
        hi = last.day if month == last.month else calendar.monthrange(year, month)[1]
        by_days.setdefault(_fixed_width(lo, hi, 2), []).append(f"{month:02d}")
    months = _alternatives([f"{_string_set(ms)}-{days}" for days, ms in by_days.items()])
    return f"{year:04d}-{months}"


def date_pattern_body(first: date, last: date) -> str:
    """A regex (no anchors) that matches exactly the ISO dates `YYYY-MM-DD` from first to last."""
    if first > last:
        raise ValueError(f"empty date range {first}..{last}")
    if first.year == last.year:
        if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31):
            return _whole_years(first.year, first.year)
        return _days_of_year(first, last)
    parts = []
    whole_first, whole_last = first.year, last.year
    if (first.month, first.day) != (1, 1):
        parts.append(_days_of_year(first, date(first.year, 12, 31)))
        whole_first += 1
    if (last.month, last.day) != (12, 31):
        whole_last -= 1
    if whole_first <= whole_last:
        parts.append(_whole_years(whole_first, whole_last))
    if (last.month, last.day) != (12, 31):
        parts.append(_days_of_year(date(last.year, 1, 1), last))
    return _alternatives(parts)


def _integer_part(lo: int, hi: int) -> str:
    """The integer part of a decimal string (1 to 15 digits, leading zeros allowed) from lo to hi."""
    width = len(str(hi))
    parts = [f"0{{0,{NUMBER_DIGITS - width}}}{_fixed_width(lo, hi, width)}" if width < NUMBER_DIGITS
             else _fixed_width(lo, hi, width)]
    parts += [_fixed_width(lo, 10 ** w - 1, w) for w in range(width - 1, 0, -1) if lo < 10 ** w]
    return _alternatives(parts)


def _magnitude(low: int, high: int | None) -> list[str]:
    """Unsigned decimal strings whose value m has low <= m <= high (high None: no upper bound)."""
    anything, zeros = rf"(\.{_D}{{1,{NUMBER_PLACES}}})?", rf"(\.0{{1,{NUMBER_PLACES}}})?"
    top = 10 ** NUMBER_DIGITS - 1
    if high is None or high > top:
        return [_integer_part(low, top) + anything]
    if high < low:
        return []
    parts = [_integer_part(low, high - 1) + anything] if low <= high - 1 else []
    return parts + [_integer_part(high, high) + zeros]


def number_pattern(lo: int | None, hi: int | None) -> str:
    """The pattern of a decimal written as a string (runtime._NUMBER_RE) whose value is in lo..hi."""
    if lo is None and hi is None:
        return rf"^-?{_D}{{1,{NUMBER_DIGITS}}}(\.{_D}{{1,{NUMBER_PLACES}}})?$"
    parts = []
    # Written without a sign: the value m itself.
    if hi is None or hi >= 0:
        parts += _magnitude(max(lo, 0) if lo is not None else 0, hi)
    # Written with `-`: the value is -m, so -hi <= m <= -lo.
    if lo is None or lo <= 0:
        parts += ["-" + p for p in _magnitude(max(-hi, 0) if hi is not None else 0, -lo if lo is not None else None)]
    if not parts:
        raise ValueError(f"no number from {lo} to {hi}")
    return f"^{_alternatives(parts)}$"


_HOUR, _MINUTE = rf"([01]{_D}|2[0-3])", rf"[0-5]{_D}"
_TIME = rf"T{_HOUR}:{_MINUTE}(:{_MINUTE}(\.{_D}{{1,6}})?)?"
_OFFSET = rf"(Z|[+-]{_HOUR}:{_MINUTE})"


def datetime_input_pattern(first: date = DEFAULT_RANGE[0], last: date = DEFAULT_RANGE[1]) -> str:
    """An input datetime written on a day from first to last; it may omit the offset (a naive
    time is in the policy's zone)."""
    return f"^{date_pattern_body(first, last)}{_TIME}{_OFFSET}?$"


def date_input_pattern(first: date = DEFAULT_RANGE[0], last: date = DEFAULT_RANGE[1]) -> str:
    return f"^{date_pattern_body(first, last)}$"


DATETIME_INPUT_PATTERN = datetime_input_pattern()  # runtime.YEARS: 1900 to 2999
DATE_PATTERN = date_input_pattern()
# What the evaluator returns is its own: any year it computes, and the offset of the policy's zone
# at that instant, which before standard time was local mean time with seconds (`+08:27:52`).
DATETIME_OUTPUT_PATTERN = (rf"^{_D}{{4}}-{_D}{{2}}-{_D}{{2}}T{_D}{{2}}:{_D}{{2}}(:{_D}{{2}}(\.{_D}{{1,6}})?)?"
                           rf"(Z|[+-]{_D}{{2}}:{_D}{{2}}(:{_D}{{2}})?)$")
# At least one part; a `T` only before a time part (spelled out: no look-aheads). runtime._DURATION_RE
# bounds the digits.
_H, _M, _S = rf"{_D}{{1,6}}H", rf"{_D}{{1,7}}M", rf"{_D}{{1,9}}S"
_CLOCK = f"T({_H}({_M})?({_S})?|{_M}({_S})?|{_S})"
DURATION_PATTERN = rf"^-?P({_D}{{1,5}}D({_CLOCK})?|{_CLOCK})$"
DECIMAL_PATTERN = number_pattern(None, None)


_BUILTINS = ("money", "int", "number", "percent", "bool", "text", "datetime", "date", "duration")


def emit_schema(policy: A.Policy, rule_ids: list[str], *, base_uri: str = DEFAULT_BASE_URI,
                date_ranges: dict[str, tuple[date, date]] | None = None) -> str:
    """Return the JSON Schema (draft 2020-12) of the policy's evaluator input as text.

    Args:
        policy: a policy with zero check errors.
        rule_ids: every id the evaluator can report as the deciding rule.
        base_uri: the project's schema base URI; `$id` is <base_uri>/<domain>/<name>.json.
        date_ranges: the written dates a date or datetime input may hold, where narrower than
            the default years (compiler/input_ranges.date_ranges).
    """
    types = _Types(policy)
    ranges = date_ranges or {}
    doc = {
        "$schema": DIALECT,
        "$id": f"{base_uri.rstrip('/')}/{policy.domain}/{policy.name}.json",
        "$comment": ("자동 생성 파일입니다. 직접 수정하지 마세요. (generated — do not edit) "
                     f"source: policies/{policy.domain}/{policy.name}.policy"),
        "title": policy.title.text,
        "description": (policy.summary or policy.title).text,
        "type": "object",
        "additionalProperties": False,
        "properties": {i.name: _emit_input(i, types, ranges.get(i.name)) for i in policy.inputs},
        "required": sorted(i.name for i in policy.inputs if not i.type.optional and i.default is None),
        "$defs": {**types.emit_defs(), DECISION: _emit_decision(policy, rule_ids, types)},
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


# ---------------------------------------------------------------- enums and records


class _Types:
    """The enums and records of one policy, by name, and their `$defs`."""

    def __init__(self, policy: A.Policy):
        self.policy = policy
        self.enums = {e.name: e for e in policy.enums}
        self.records = {r.name: r for r in policy.records}
        names = [d.name for d in (*policy.enums, *policy.records)]
        # INVARIANT: check rejects duplicate and built-in type names; `decision` is reserved
        # here because it names the decision schema in the same `$defs`.
        clash = sorted({n for n in names if names.count(n) > 1 or n == DECISION or n in _BUILTINS})
        if clash:
            raise ValueError(f"type names clash in the schema: {', '.join(clash)}")

    def emit_defs(self) -> dict:
        defs: dict = {}
        for e in self.policy.enums:
            defs[e.name] = {
                "title": e.label.text,
                "enum": [v.name for v in e.values],
                "x-labels": {v.name: v.label.text for v in e.values},
            }
        for r in self.policy.records:
            defs[r.name] = {
                "title": r.label.text,
                "type": "object",
                "additionalProperties": False,
                "properties": {f.name: _emit_property(f.type, f.label, self, output=False) for f in r.fields},
                "required": sorted(f.name for f in r.fields if not f.type.optional),
            }
        return defs

    def ref(self, name: str) -> dict:
        if name not in self.enums and name not in self.records:
            # INVARIANT: check rejects unknown type names.
            raise ValueError(f"unknown type `{name}`")
        return {"$ref": f"#/$defs/{name}"}

    def label(self, name: str) -> str:
        decl = self.enums.get(name) or self.records.get(name)
        return f"{name} ({decl.label.text})" if decl else name


# ---------------------------------------------------------------- inputs and outputs


def _emit_input(decl: A.InputDecl, types: _Types, dates: tuple[date, date] | None) -> dict:
    schema = _emit_property(decl.type, decl.label, types, output=False, default=decl.default, dates=dates)
    found, value = _default_json(decl.default, decl.type, types)
    if found:
        schema["default"] = value
    return schema


def _emit_property(t: A.TypeRef, label: A.Label, types: _Types, *, output: bool,
                   default: A.Expr | None = None, dates: tuple[date, date] | None = None) -> dict:
    """The schema of a labelled value; an optional one also accepts null, and keeps its
    title and description outside the `anyOf`."""
    schema = _emit_value(t, types, output=output, dates=dates)
    if t.optional:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "title": label.text,
            "description": _describe(t, types, output=output, default=default, dates=dates)}


def _emit_value(t: A.TypeRef, types: _Types, *, output: bool, dates: tuple[date, date] | None = None) -> dict:
    """The schema of a value of type t, without null or annotations."""
    base = _emit_scalar(t.name, types, output=output, dates=dates)
    if t.is_list:
        schema = {"type": "array", "items": base}
        if t.max_items is not None:
            schema["maxItems"] = t.max_items
        return schema
    # The evaluator checks the length of text it is given; what it returns is its own.
    if t.name == "text" and t.max_length is not None and not output:
        base["maxLength"] = t.max_length
    if not output and t.min_value is not None:
        base["minimum"] = max(t.min_value, base.get("minimum", t.min_value))
    if not output and t.max_value is not None:
        base["maximum"] = min(t.max_value, base.get("maximum", t.max_value))
    if not output and t.name in ("number", "percent") and (t.min_value is not None or t.max_value is not None):
        # `minimum` and `maximum` say nothing of a string: the pattern bounds a decimal written as one.
        base["pattern"] = number_pattern(t.min_value, t.max_value)
    return base


def _emit_scalar(name: str, types: _Types, *, output: bool, dates: tuple[date, date] | None = None) -> dict:
    if name == "money":
        return {"type": "integer"} if output else {"type": "integer", "minimum": 0, "maximum": MAX_INT}
    if name == "int":
        return {"type": "integer"} if output else {"type": "integer", "minimum": -MAX_INT, "maximum": MAX_INT}
    if name in ("number", "percent"):
        if output:
            return {"type": ["integer", "string"]}
        # `pattern` applies to the string, `minimum` and `maximum` to the integer.
        return {"type": ["integer", "string"], "pattern": DECIMAL_PATTERN, "not": NO_NEWLINE,
                "minimum": -MAX_INT, "maximum": MAX_INT}
    if name == "bool":
        return {"type": "boolean"}
    if name == "text":
        return {"type": "string"} if output else {"type": "string", "maxLength": MAX_TEXT}
    if name == "datetime":
        if output:
            return {"type": "string", "pattern": DATETIME_OUTPUT_PATTERN, "not": NO_NEWLINE}
        pattern = datetime_input_pattern(*dates) if dates else DATETIME_INPUT_PATTERN
        return {"type": "string", "pattern": pattern, "not": NO_NEWLINE}
    if name == "date":
        if output:
            return {"type": "string"}
        return {"type": "string", "pattern": date_input_pattern(*dates) if dates else DATE_PATTERN, "not": NO_NEWLINE}
    if name == "duration":
        return {"type": "string"} if output else {"type": "string", "pattern": DURATION_PATTERN, "not": NO_NEWLINE}
    return types.ref(name)


def _describe(t: A.TypeRef, types: _Types, *, output: bool, default: A.Expr | None = None,
              dates: tuple[date, date] | None = None) -> str:
    """The type in words, for the `description` of a property."""
    words = _describe_scalar(t, types, output=output)
    if not output and t.name in ("date", "datetime") and not t.is_list:
        first, last = dates or DEFAULT_RANGE
        if dates:
            words += (f"; dated {first.isoformat()} to {last.isoformat()} as written "
                      "(the days the business-day calendar counts, with room for any offset)")
        else:
            words += f"; in the years {first.year} to {last.year} as written"
    if t.is_list:
        words = f"list of {words}"
        if t.max_items is not None:
            words += f", at most {t.max_items} items"
    if t.optional:
        if output:
            words += "; null when not set"
        elif t.is_list:
            words += "; optional: absent or null means an empty list"
        else:
            words += "; optional: may be absent or null"
    if default is not None:
        found, value = _default_json(default, t, types)
        shown = json.dumps(value, ensure_ascii=False) if found else "a value computed from the other inputs"
        words += f"; defaults to {shown}"
    return words


def _describe_scalar(t: A.TypeRef, types: _Types, *, output: bool) -> str:
    name = t.name
    if name == "money":
        return "amount in won, a whole number" + ("" if output else " ≥ 0")
    if name == "int":
        return "whole number"
    if name == "number":
        return "decimal number: an integer, or a string like \"0.5\""
    if name == "percent":
        return "percentage (10 means 10%): an integer, or a string like \"2.5\""
    if name == "bool":
        return "true or false"
    if name == "text":
        if t.max_length is not None and not t.is_list and not output:
            return f"text, at most {t.max_length} characters"
        return "text"
    if name == "datetime":
        if output:
            return "date and time, ISO 8601 with an offset, like 2025-05-15T14:00:00+09:00"
        return ("date and time, ISO 8601 like 2025-05-15T14:00:00+09:00; "
                f"without an offset it is read in {types.policy.zone}")
    if name == "date":
        return "calendar date, YYYY-MM-DD"
    if name == "duration":
        return "duration" if output else "duration, ISO 8601 like PT24H, PT10M or P1DT2H30M"
    if name in types.enums:
        values = ", ".join(v.name for v in types.enums[name].values)
        return f"one of {types.label(name)}: {values}"
    return f"record {types.label(name)}"


# ---------------------------------------------------------------- defaults


def _default_json(expr: A.Expr | None, t: A.TypeRef, types: _Types) -> tuple[bool, object]:
    """The JSON value of a literal default, as (True, value); (False, None) when the default
    is absent or computed."""
    if expr is None:
        return False, None
    negate = False
    # `= -0.5` parses as negation of a literal, not as a negative literal.
    if isinstance(expr, A.Unary) and expr.op == "-":
        negate, expr = True, expr.operand
        if not isinstance(expr, (A.Money, A.Percent, A.Number, A.Duration)):
            return False, None
    if isinstance(expr, A.Money):
        value = -expr.value if negate else expr.value
        if value != value.to_integral_value():
            # INVARIANT: check rejects amounts with fractions of a won.
            raise ValueError(f"money default `{value}` is not a whole number of won")
        return True, int(value)
    if isinstance(expr, (A.Percent, A.Number)):
        return True, _decimal_json(-expr.value if negate else expr.value)
    if isinstance(expr, A.Duration):
        return True, _iso_duration(-expr.value if negate else expr.value)
    if isinstance(expr, (A.DateLit, A.DateTimeLit)):
        return True, expr.value.isoformat()
    if isinstance(expr, (A.Bool, A.Text)):
        return True, expr.value
    if isinstance(expr, A.Name) and t.name in types.enums and not t.is_list:
        if any(v.name == expr.name for v in types.enums[t.name].values):
            return True, expr.name
    return False, None


def _decimal_json(value: Decimal) -> int | str:
    """An integer when whole, else the decimal as a string (the evaluator reads both)."""
    if value == value.to_integral_value():
        return int(value)
    return str(value)


def _iso_duration(value: timedelta) -> str:
    """`1d2h30min` → `P1DT2H30M`; zero → `PT0S`."""
    sign = "-" if value < timedelta(0) else ""
    seconds = abs(value)
    if seconds.microseconds:
        # INVARIANT: duration literals are whole seconds (units d, h, min, s).
        raise ValueError(f"duration `{value}` is not a whole number of seconds")
    days, rest = seconds.days, seconds.seconds
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    date_part = f"{days}D" if days else ""
    time_part = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    if not date_part and not time_part:
        return "PT0S"
    return f"{sign}P{date_part}" + (f"T{time_part}" if time_part else "")


# ---------------------------------------------------------------- decision


def _emit_decision(policy: A.Policy, rule_ids: list[str], types: _Types) -> dict:
    return {
        "title": f"{policy.title.text} — decision",
        "description": "What the evaluator returns: the outputs, the deciding rule, its explanation and the trace.",
        "type": "object",
        "required": ["explanation", "outputs", "policy", "rule", "trace"],
        "properties": {
            "policy": {"const": policy.id, "description": "policy id"},
            "outputs": {
                "type": "object",
                "additionalProperties": False,
                "properties": {o.name: _emit_property(o.type, o.label, types, output=True) for o in policy.outputs},
                "required": sorted(o.name for o in policy.outputs),
            },
            # Duplicates would make the enum invalid; the order is sorted, never the set's.
            "rule": {"enum": sorted(set(rule_ids)), "description": "id of the rule or table row that decided"},
            "explanation": {"type": "string", "description": "the deciding rule's sentence, filled in"},
            "trace": {"type": "array", "items": {"type": "object"}, "description": "the steps the evaluator took"},
        },
    }
