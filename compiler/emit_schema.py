"""Compiles a checked policy into the JSON Schema of its evaluator input, with the decision schema in `$defs`."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from dsl import ast as A

__all__ = ["emit_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://policyc.invalid/schemas"
DECISION = "decision"

# Digits are spelled `[0-9]`, not `\d`: Python's `re` (which the jsonschema package uses for
# `pattern`) lets `\d` match any Unicode digit, such as `٢٠٢٥`, which the evaluator rejects;
# `[0-9]` means the same in ECMA-262, Python and RE2.
# Every pattern ends `$(?!\n)`: in Python `$` also matches before a final newline, so
# "2025-06-01T14:00\n" would pass a bare `$`; in ECMA-262 the lookahead changes nothing.
# The shapes and bounds are those the evaluator reads (compiler/runtime.py: _DATETIME_RE and
# YEARS, _DATE_RE, _DURATION_RE, _NUMBER_RE, MAX_INT, MAX_TEXT). The one thing a pattern cannot
# say is which months lack a 29th, 30th or 31st day: `2025-02-30` passes the schema and the
# evaluator refuses it.
_D = "[0-9]"
_END = r"$(?!\n)"
_YEAR = rf"(19{_D}{{2}}|2{_D}{{3}})"  # runtime.YEARS: 1900 to 2999
_DATE_BODY = rf"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12]{_D}|3[01])"
_HOUR, _MINUTE = rf"([01]{_D}|2[0-3])", rf"[0-5]{_D}"
_DATETIME_BODY = rf"{_DATE_BODY}T{_HOUR}:{_MINUTE}(:{_MINUTE}(\.{_D}{{1,6}})?)?"
_OFFSET = rf"(Z|[+-]{_HOUR}:{_MINUTE})"
# An input may omit the offset (a naive time is in the policy's zone); an output always has one.
DATETIME_INPUT_PATTERN = f"^{_DATETIME_BODY}{_OFFSET}?{_END}"
# What the evaluator returns is its own: any year it computes, and the offset of the policy's zone
# at that instant, which before standard time was local mean time with seconds (`+08:27:52`).
DATETIME_OUTPUT_PATTERN = (rf"^{_D}{{4}}-{_D}{{2}}-{_D}{{2}}T{_D}{{2}}:{_D}{{2}}(:{_D}{{2}}(\.{_D}{{1,6}})?)?"
                           rf"(Z|[+-]{_D}{{2}}:{_D}{{2}}(:{_D}{{2}})?){_END}")
DATE_PATTERN = f"^{_DATE_BODY}{_END}"
# At least one part; a `T` only before a time part. runtime._DURATION_RE bounds the digits.
DURATION_PATTERN = (rf"^-?P(?=[0-9T])({_D}{{1,5}}D)?(T(?=[0-9])({_D}{{1,6}}H)?({_D}{{1,7}}M)?({_D}{{1,9}}S)?)?"
                    f"{_END}")
DECIMAL_PATTERN = rf"^-?{_D}{{1,15}}(\.{_D}{{1,10}})?{_END}"
MAX_INT = 2**53 - 1  # runtime.MAX_INT: whole numbers JSON carries exactly
MAX_TEXT = 10_000  # runtime.MAX_TEXT: the length of a text with no `max`

_BUILTINS = ("money", "int", "number", "percent", "bool", "text", "datetime", "date", "duration")


def emit_schema(policy: A.Policy, rule_ids: list[str]) -> str:
    """Return the JSON Schema (draft 2020-12) of the policy's evaluator input as text.

    Args:
        policy: a policy with zero check errors.
        rule_ids: every id the evaluator can report as the deciding rule.
    """
    types = _Types(policy)
    doc = {
        "$schema": DIALECT,
        "$id": f"{ID_BASE}/{policy.domain}/{policy.name}.json",
        "$comment": ("자동 생성 파일입니다. 직접 수정하지 마세요. (generated — do not edit) "
                     f"source: policies/{policy.domain}/{policy.name}.policy"),
        "title": policy.title.text,
        "description": (policy.summary or policy.title).text,
        "type": "object",
        "additionalProperties": False,
        "properties": {i.name: _emit_input(i, types) for i in policy.inputs},
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


def _emit_input(decl: A.InputDecl, types: _Types) -> dict:
    schema = _emit_property(decl.type, decl.label, types, output=False, default=decl.default)
    found, value = _default_json(decl.default, decl.type, types)
    if found:
        schema["default"] = value
    return schema


def _emit_property(t: A.TypeRef, label: A.Label, types: _Types, *, output: bool,
                   default: A.Expr | None = None) -> dict:
    """The schema of a labelled value; an optional one also accepts null, and keeps its
    title and description outside the `anyOf`."""
    schema = _emit_value(t, types, output=output)
    if t.optional:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "title": label.text, "description": _describe(t, types, output=output, default=default)}


def _emit_value(t: A.TypeRef, types: _Types, *, output: bool) -> dict:
    """The schema of a value of type t, without null or annotations."""
    base = _emit_scalar(t.name, types, output=output)
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
    return base


def _emit_scalar(name: str, types: _Types, *, output: bool) -> dict:
    if name == "money":
        return {"type": "integer"} if output else {"type": "integer", "minimum": 0, "maximum": MAX_INT}
    if name == "int":
        return {"type": "integer"} if output else {"type": "integer", "minimum": -MAX_INT, "maximum": MAX_INT}
    if name in ("number", "percent"):
        if output:
            return {"type": ["integer", "string"]}
        # `pattern` applies to the string, `minimum` and `maximum` to the integer.
        return {"type": ["integer", "string"], "pattern": DECIMAL_PATTERN, "minimum": -MAX_INT, "maximum": MAX_INT}
    if name == "bool":
        return {"type": "boolean"}
    if name == "text":
        return {"type": "string"} if output else {"type": "string", "maxLength": MAX_TEXT}
    if name == "datetime":
        return {"type": "string", "pattern": DATETIME_OUTPUT_PATTERN if output else DATETIME_INPUT_PATTERN}
    if name == "date":
        return {"type": "string"} if output else {"type": "string", "pattern": DATE_PATTERN}
    if name == "duration":
        return {"type": "string"} if output else {"type": "string", "pattern": DURATION_PATTERN}
    return types.ref(name)


def _describe(t: A.TypeRef, types: _Types, *, output: bool, default: A.Expr | None = None) -> str:
    """The type in words, for the `description` of a property."""
    words = _describe_scalar(t, types, output=output)
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
