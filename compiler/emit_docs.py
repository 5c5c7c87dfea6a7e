"""Renders a checked policy as its Korean counselor page (Markdown), and the index of all pages."""

from __future__ import annotations

import json
import re
from dataclasses import fields as dataclass_fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from compiler.check import CHECK_RESULTS, Analysis, analyze
from compiler.korean import adnominal as _adnominal, connective as _connective, subject as _subject
from compiler.korean import topic as _topic, toward as _toward, with_ as _with
from compiler.markdown import cell as _cell, code as _code, md as _md
from compiler.runtime import MINUS
from compiler.values import fmt_clock_interval as _fmt_clock_interval, fmt_datetime as _fmt_datetime
from compiler.values import fmt_decimal as _fmt_decimal, fmt_duration as _fmt_duration
from compiler.values import fmt_interval as _fmt_interval, fmt_literal as _fmt_literal
from compiler.values import fmt_money as _fmt_money, fmt_percent as _fmt_percent
from compiler.values import to_datetime as _to_datetime, to_decimal as _to_decimal, to_timedelta as _to_timedelta
from compiler.values import zone_short as _zone_short, zone_words as _zone_words
from compiler.types import Type
from dsl import ast as A

if TYPE_CHECKING:
    from compiler.examples import WorkedExample

__all__ = ["emit_docs", "emit_index"]

GENERATED_NOTE = "자동 생성 문서입니다. 직접 수정하지 마세요."


_BASE_TYPE_WORDS = {
    "money": "금액(원)",
    "percent": "비율(%)",
    "int": "정수",
    "number": "숫자",
    "duration": "기간",
    "datetime": "일시",
    "date": "날짜",
    "bool": "예/아니요",
    "text": "텍스트",
}

# The results of a policy's checks, in words (docs/LANGUAGE.md "Checks").
_CHECK_RESULT_WORDS = {
    "failed_checks": "통과하지 못한 확인 조건의 안내 문구",
    "failed_check_ids": "통과하지 못한 확인 조건 ID",
    "refused": "거절 조건에 해당함",
    "needs_review": "확인이 필요한 조건에 해당함",
}
# INVARIANT: every name the checker reserves for check results has its words here.
assert set(_CHECK_RESULT_WORDS) == set(CHECK_RESULTS)

_LIST_SHOWN = 10  # list items written out on a worked example before "외 N건"

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

_LITERALS = (A.Money, A.Percent, A.Duration, A.Number, A.DateLit, A.DateTimeLit, A.Bool, A.Text)

# Binding strength of each construct, to know where words need parentheses.
_OR, _AND, _NOT, _TEST, _BOUNDED, _SUM, _PRODUCT, _ATOM = range(8)
_COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}


def _strength(expr: Any) -> int:
    if isinstance(expr, A.Binary):
        if expr.op == "or":
            return _OR
        if expr.op == "and":
            return _AND
        if expr.op in _COMPARISONS:
            return _TEST
        return _SUM if expr.op in ("+", "-") else _PRODUCT
    if isinstance(expr, A.Unary):
        return _NOT if expr.op == "not" else _ATOM
    if isinstance(expr, (A.Presence, A.InInterval, A.InPeriod, A.InSet)) or _is_aligned(expr):
        return _TEST
    if isinstance(expr, A.Bounded):
        return _BOUNDED
    return _ATOM


def _is_aligned(expr: Any) -> bool:
    return isinstance(expr, A.Call) and expr.func == "aligned" and len(expr.args) == 2


def _is_condition(expr: Any) -> bool:
    """Tell whether an expression is a condition, written by `cond` rather than `words`."""
    if isinstance(expr, A.Binary):
        return expr.op in ("and", "or") or expr.op in _COMPARISONS
    if isinstance(expr, A.Unary):
        return expr.op == "not"
    return isinstance(expr, (A.Presence, A.InInterval, A.InPeriod, A.InSet)) or _is_aligned(expr)


def _is_rate(expr: Any) -> bool:
    """Tell whether expr is an amount with fractions of a won (`18.5원`), a per-unit rate."""
    return isinstance(expr, A.Money) and expr.value != expr.value.to_integral_value()


def _type_name(t: Type) -> str | None:
    """Turn a checker type into the page's type name: a kind, an enum or record name, or `list`."""
    if t.kind == "error":
        return None
    if t.kind in ("enum", "record"):
        return t.name
    return t.kind


# ---------------------------------------------------------------- the page


class _Page:
    """Name lookups of one policy, and its expressions rendered in Korean words."""

    def __init__(self, policy: A.Policy, analysis: Analysis):
        self.policy = policy
        self.analysis = analysis
        self.zone = policy.zone
        self.inputs = {d.name: d for d in policy.inputs}
        self.outputs = {d.name: d for d in policy.outputs}
        self.lets = {d.name: d for d in policy.lets}
        self.enums = {e.name: e for e in policy.enums}
        self.records = {r.name: r for r in policy.records}
        # INVARIANT: the first enum declaring a value name wins, matching source order.
        self.enum_values: dict[str, tuple[A.EnumDecl, A.EnumValue]] = {}
        for enum in policy.enums:
            for value in enum.values:
                self.enum_values.setdefault(value.name, (enum, value))
        self.steps: dict[str, tuple[int, str | None]] = {}
        for number, decider in enumerate(policy.deciders, 1):
            if isinstance(decider, A.Rule):
                self.steps[decider.id] = (number, None)
            elif isinstance(decider, A.WindowTable):
                for row in decider.rows:
                    self.steps[f"{decider.id}.{row.id}"] = (number, self.row_where(decider, row))
            else:
                for row in decider.rows:
                    for col in decider.columns:
                        where = f"{self.head(decider.row_key, row.head)}, {self.head(decider.col_key, col)}"
                        self.steps[f"{decider.id}.{row.head.name}.{col.name}"] = (number, where)

    # -- types

    def type_of(self, expr: Any) -> str | None:
        """The base type name of an expression (`money`, `datetime`, an enum name, `list`…), as the checker inferred it."""
        return _type_name(self.analysis.type_of(expr))

    def type_ref(self, name: str, fields: dict[str, A.RecordField] | None = None) -> A.TypeRef | None:
        if fields and name in fields:
            return fields[name].type
        if name in self.inputs:
            return self.inputs[name].type
        if name in self.outputs:
            return self.outputs[name].type
        return None

    def fields_of(self, source: A.Name, fields: dict[str, A.RecordField] | None) -> dict[str, A.RecordField]:
        """Return the record fields visible inside `where` of a count or list over source."""
        ref = self.type_ref(source.name, fields)
        record = self.records.get(ref.name) if ref is not None else None
        return {f.name: f for f in record.fields} if record else {}

    # -- labels

    def label(self, name: str, fields: dict[str, A.RecordField] | None = None) -> str:
        """Return the Korean label of a name in scope; the bare name when nothing declares it."""
        if fields and name in fields:
            return fields[name].label.text
        for table in (self.inputs, self.lets, self.outputs):
            if name in table:
                return table[name].label.text
        # Declared names come before enum values, as the checker resolves them.
        if self.is_check_result(name):
            return _CHECK_RESULT_WORDS[name]
        if name in self.enum_values:
            return self.enum_values[name][1].label.text
        return name

    def is_check_result(self, name: str) -> bool:
        """Tell whether name holds a result of the policy's checks (`refused`, `failed_checks`…)."""
        if name not in _CHECK_RESULT_WORDS or not self.policy.checks:
            return False
        symbol = self.analysis.symbols.get(name)
        return symbol is not None and symbol.kind == "check"

    def name_words(self, expr: A.Name, fields: dict[str, A.RecordField] | None) -> str:
        """Write a name: the label of the record field, enum value or declaration it refers to."""
        record = self.records.get(self.analysis.field_refs.get(id(expr), ""))
        for f in record.fields if record else ():
            if f.name == expr.name:
                return f.label.text
        enum = self.analysis.enum_values.get(id(expr))
        if enum is not None:
            return self.enum_label(enum, expr.name)
        return self.label(expr.name, fields)

    def names_check_result(self, expr: Any, fields: dict[str, A.RecordField] | None) -> bool:
        """Tell whether expr is a bare name of a check result, not a record field or enum value."""
        if not isinstance(expr, A.Name) or (fields and expr.name in fields):
            return False
        if id(expr) in self.analysis.field_refs or id(expr) in self.analysis.enum_values:
            return False
        return self.is_check_result(expr.name)

    def enum_label(self, enum_name: str | None, value: str) -> str:
        enum = self.enums.get(enum_name or "")
        for v in enum.values if enum else ():
            if v.name == value:
                return v.label.text
        return self.enum_values[value][1].label.text if value in self.enum_values else value

    def row_where(self, table: A.WindowTable, row: A.TableRow) -> str:
        """Write which key values a window-table row covers: its interval, or (an enum key) its value's label."""
        return self.head(table.key, A.GridHead(row.id, row.interval, row.span))

    def head(self, key: Any, head: A.GridHead) -> str:
        """Write a grid heading in words: its interval, or the label of its enum value."""
        if head.interval is not None:
            return _fmt_interval(head.interval, self.zone)
        return self.enum_label(self.type_of(key), head.name)

    def says(self, label: A.Label) -> str:
        """Show a counselor sentence with each `{name}` as `‹label›`."""
        def repl(m: re.Match) -> str:
            name = m.group(1)
            if name in self.inputs or name in self.lets or name in self.outputs or self.is_check_result(name):
                return f"‹{self.label(name)}›"
            return m.group(0)
        return _PLACEHOLDER.sub(repl, label.text)

    # -- expressions in words (plain text; escaped where placed)

    def words(self, expr: Any, fields: dict[str, A.RecordField] | None = None) -> str:
        """Write a value expression in Korean words."""
        # INVARIANT: `words` hands only conditions to `cond`, and `cond` hands only values back,
        # so the two never call each other on the same node.
        if _is_condition(expr):
            return self.cond(expr, fields)
        if isinstance(expr, _LITERALS):
            return _fmt_literal(expr, self.zone)
        if isinstance(expr, A.Name):
            return self.name_words(expr, fields)
        if isinstance(expr, A.Field):
            base_type = self.type_of(expr.base)
            record = self.records.get(base_type or "")
            found = [f.label.text for f in record.fields if f.name == expr.field] if record else []
            label = found[0] if found else expr.field
            return f"{self.sub(expr.base, _ATOM, fields)}의 {label}"
        if isinstance(expr, A.Binary) and expr.op == "*" and (_is_rate(expr.left) or _is_rate(expr.right)):
            rate, times = (expr.left, expr.right) if _is_rate(expr.left) else (expr.right, expr.left)
            times_words = self.sub(times, _PRODUCT, fields)
            # `시간(분)(1원 미만 버림)` runs two asides together; a space keeps them apart.
            gap = " " if times_words.endswith(")") else ""
            return f"{_fmt_literal(rate, self.zone)} × {times_words}{gap}(1원 미만 버림)"
        if isinstance(expr, A.Binary) and expr.op in ("+", "-", "*", "/"):
            mine = _strength(expr)
            symbol = {"+": "+", "-": MINUS, "*": "×", "/": "÷"}[expr.op]
            # Right operands of − and ÷ bind tighter: a − (b + c) keeps its parentheses.
            right_needs = mine + 1 if expr.op in ("-", "/") else mine
            return f"{self.sub(expr.left, mine, fields)} {symbol} {self.sub(expr.right, right_needs, fields)}"
        if isinstance(expr, A.Unary) and expr.op == "-":
            return MINUS + self.sub(expr.operand, _ATOM, fields)
        if isinstance(expr, A.PercentOf):
            amount = self.sub(expr.amount, _ATOM, fields)
            if isinstance(expr.percent, A.Percent):
                return f"{amount}의 {_fmt_percent(expr.percent.value)}"
            return f"{amount} × {self.sub(expr.percent, _ATOM, fields)}"
        if isinstance(expr, A.Bounded):
            out = self.sub(expr.value, _SUM, fields)
            if expr.at_least is not None:
                out += f", 최소 {self.sub(expr.at_least, _SUM, fields)}"
            if expr.at_most is not None:
                out += f", 최대 {self.sub(expr.at_most, _SUM, fields)}"
            return out
        if isinstance(expr, A.LastDayOfMonth):
            return f"{_subject(self.sub(expr.operand, _ATOM, fields))} 속한 달의 말일"
        if isinstance(expr, A.Count):
            source = self.label(expr.source.name, fields)
            if expr.where is None:
                return f"{source}의 건수"
            inner = self.fields_of(expr.source, fields)
            return f"{source} 중 {_adnominal(self.cond(expr.where, inner))} 건수"
        if isinstance(expr, A.Collect):
            source = self.label(expr.source.name, fields)
            inner = self.fields_of(expr.source, fields)
            field = self.label(expr.field, inner)
            if expr.where is None:
                return f"{source}의 {field} 목록"
            return f"{source} 중 {_adnominal(self.cond(expr.where, inner))} 항목의 {field} 목록"
        if isinstance(expr, A.Sum):
            source = self.label(expr.source.name, fields)
            inner = self.fields_of(expr.source, fields)
            field = self.label(expr.field, inner) if expr.value is None else f"({self.words(expr.value, inner)})"
            if expr.where is None:
                return f"{source}의 {field} 합계"
            return f"{_adnominal(self.cond(expr.where, inner))} {source}의 {field} 합계"
        if isinstance(expr, A.Call):
            return self.call_words(expr, fields)
        # Nothing else is a value; show the node kind's place rather than fail the page.
        return "(알 수 없는 계산)"

    def call_words(self, expr: A.Call, fields: dict[str, A.RecordField] | None) -> str:
        """Write a built-in function call in words."""
        args = []
        for a in expr.args:  # a loop, not a comprehension: one stack frame less per nested call
            args.append(self.sub(a, _SUM, fields))
        if expr.func in ("min", "max") and args:
            which = "작은" if expr.func == "min" else "큰"
            if len(args) == 1:
                return args[0]
            if len(args) == 2:
                return f"{_with(args[0])} {args[1]} 중 {which} 값"
            return f"{', '.join(args)} 중 가장 {which} 값"
        if expr.func == "length" and len(args) == 1:
            what = "건수" if self.type_of(expr.args[0]) == "list" else "글자 수"
            return f"{self.sub(expr.args[0], _ATOM, fields)}의 {what}"
        if expr.func == "clock" and len(args) == 1:
            return f"{self.sub(expr.args[0], _ATOM, fields)}의 시각(하루 중 시간)"
        if expr.func == "weekday" and len(args) == 1:
            return f"{self.sub(expr.args[0], _ATOM, fields)}의 요일(월 1 ~ 일 7)"
        if expr.func == "is_business_day" and len(args) == 1:
            return f"{_subject(self.sub(expr.args[0], _ATOM, fields))} 영업일(주말·공휴일 아님)"
        if expr.func == "years_between" and len(args) == 2:
            return f"{self.sub(expr.args[0], _ATOM, fields)}부터 {self.sub(expr.args[1], _ATOM, fields)}까지 만 햇수"
        if expr.func == "year" and len(args) == 1:
            return f"{self.sub(expr.args[0], _ATOM, fields)}의 연도"
        if expr.func == "aligned" and len(args) == 2:
            return f"{_subject(self.sub(expr.args[0], _BOUNDED, fields))} {args[1]} 단위"
        if expr.func == "add_business_days" and len(args) == 2:
            start = _toward(self.sub(expr.args[0], _ATOM, fields))
            days = expr.args[1]
            later = f"영업일 {args[1]}일 후" if isinstance(days, A.Number) else f"영업일로 {args[1]}만큼 지난 날"
            return f"{start}부터 {later}(주말·공휴일 제외)"
        return f"{expr.func}({', '.join(args)})"

    def sub(self, expr: Any, needed: int, fields: dict[str, A.RecordField] | None) -> str:
        """Write a sub-expression, parenthesised when it binds looser than its place needs."""
        text = self.words(expr, fields)
        return f"({text})" if _strength(expr) < needed else text

    def cond(self, expr: Any, fields: dict[str, A.RecordField] | None = None) -> str:
        """Write a condition in Korean words: `출발까지 남은 시간이 24시간 이상`."""
        if isinstance(expr, A.Binary) and expr.op in ("and", "or"):
            parts = []
            for part in _flatten(expr, expr.op):
                text = self.cond(part, fields)
                if isinstance(part, A.Binary) and part.op in ("and", "or") and part.op != expr.op:
                    text = f"({text})"
                parts.append(text)
            if expr.op == "or":
                return " 또는 ".join(parts)
            return ", ".join(_connective(p) for p in parts[:-1]) + ", " + parts[-1]
        if isinstance(expr, A.Unary) and expr.op == "not":
            return self.negated(expr.operand, fields)
        if isinstance(expr, A.Bool):
            return "항상" if expr.value else "해당 없음"
        if isinstance(expr, A.Presence):
            return f"{_subject(self.sub(expr.operand, _BOUNDED, fields))} {'있음' if expr.present else '없음'}"
        if isinstance(expr, A.Binary) and expr.op in _COMPARISONS:
            return self.compare(expr.op, expr.left, expr.right, fields)
        if isinstance(expr, A.InInterval):
            if isinstance(expr.operand, A.Call) and expr.operand.func == "clock" and expr.operand.args:
                # A time of day: the ends read as clock times, "09:00 이상 18:00 미만".
                at = self.sub(expr.operand.args[0], _ATOM, fields)
                return f"{_subject(at)} {_fmt_clock_interval(expr.interval)}"
            return f"{_subject(self.sub(expr.operand, _BOUNDED, fields))} {_fmt_interval(expr.interval, self.zone)}"
        if isinstance(expr, A.InPeriod):
            what = "날" if expr.period == "day" else "달"
            anchor = _with(self.sub(expr.anchor, _BOUNDED, fields))
            operand = _subject(self.sub(expr.operand, _BOUNDED, fields))
            return f"{operand} {anchor} 같은 {what}({_zone_short(self.zone)})"
        if isinstance(expr, A.InSet):
            members = " 또는 ".join(self.words(m, fields) for m in expr.members)
            return f"{_subject(self.sub(expr.operand, _BOUNDED, fields))} {members}"
        if _is_aligned(expr):
            return self.call_words(expr, fields)
        if self.names_check_result(expr, fields) and self.type_of(expr) == "bool":
            return _CHECK_RESULT_WORDS[expr.name]
        # A yes/no value on its own: a bool input, let or field.
        # INVARIANT: expr is no condition here, so `sub` -> `words` does not come back.
        return f"{_subject(self.sub(expr, _BOUNDED, fields))} 예"

    def negated(self, expr: Any, fields: dict[str, A.RecordField] | None) -> str:
        """Write `not x` in words, turned around where Korean has a direct form."""
        if isinstance(expr, A.Presence):
            return self.cond(A.Presence(expr.operand, not expr.present, expr.span), fields)
        if isinstance(expr, A.Binary) and expr.op in ("=", "!="):
            return self.compare("!=" if expr.op == "=" else "=", expr.left, expr.right, fields)
        if isinstance(expr, A.InSet):
            if len(expr.members) > 1:
                # `A 또는 B가 아님` reads as "A, or not B": name the set, then deny all of it.
                members = ", ".join(self.words(m, fields) for m in expr.members)
                return f"{_subject(self.sub(expr.operand, _BOUNDED, fields))} {members} 중 어느 것도 아님"
            return _subject(self.cond(expr, fields)) + " 아님"
        if _is_aligned(expr):
            return _subject(self.call_words(expr, fields)) + " 아님"
        if self.names_check_result(expr, fields) and self.type_of(expr) == "bool":
            return _CHECK_RESULT_WORDS[expr.name][: -len("함")] + "하지 않음"
        if _strength(expr) > _TEST and self.type_of(expr) == "bool":
            return f"{_subject(self.sub(expr, _BOUNDED, fields))} 아니요"
        return f"({self.cond(expr, fields)})에 해당하지 않음"

    def compare(self, op: str, left: Any, right: Any, fields: dict[str, A.RecordField] | None) -> str:
        lhs = _subject(self.sub(left, _BOUNDED, fields))
        rhs = self.sub(right, _BOUNDED, fields)
        kind = self.type_of(left) or self.type_of(right)
        if op in ("=", "!="):
            # Enum values, yes/no and text read as a plain statement: `요금제가 일반가`.
            plain = kind == "bool" or kind == "text" or kind in self.enums
            if plain:
                return f"{lhs} {rhs}" if op == "=" else f"{lhs} {_subject(rhs)} 아님"
            return f"{lhs} {_with(rhs)} {'같음' if op == '=' else '다름'}"
        if kind in ("datetime", "date"):
            return {
                ">": f"{lhs} {rhs}보다 늦음",
                ">=": f"{lhs} {_with(rhs)} 같거나 늦음",
                "<": f"{lhs} {rhs}보다 빠름",
                "<=": f"{lhs} {_with(rhs)} 같거나 빠름",
            }[op]
        return f"{lhs} {rhs} " + {">": "초과", ">=": "이상", "<": "미만", "<=": "이하"}[op]

    def assignments(self, assignments: Iterable[A.Assignment], with_target: bool = True) -> list[str]:
        out = []
        for a in assignments:
            value = self.words(a.value)
            out.append(f"{self.label(a.target)} = {value}" if with_target else value)
        return out

    # -- types in words (escaped: they mix labels and code spans)

    def type_words(self, ref: A.TypeRef) -> str:
        if ref.is_list:
            size = f" (최대 {ref.max_items:,}건)" if ref.max_items is not None else ""
            record = self.records.get(ref.name)
            if record is not None:
                what = ", ".join(_cell(f.label.text) for f in record.fields)
            else:
                what = self.scalar_type_words(A.TypeRef(ref.name, False, False, None, None, ref.span))
            return f"목록{size}: {what}"
        return self.scalar_type_words(ref)

    def scalar_type_words(self, ref: A.TypeRef) -> str:
        if ref.min_value is not None or ref.max_value is not None:
            plain = self.scalar_type_words(A.TypeRef(ref.name, ref.is_list, ref.optional, ref.max_items, ref.max_length, ref.span))
            show = _fmt_money if ref.name == "money" else _fmt_decimal
            bounds = ((ref.min_value, "이상"), (ref.max_value, "이하"))
            limits = [f"{show(Decimal(v))} {word}" for v, word in bounds if v is not None]
            return f"{plain} ({' '.join(limits)})"
        if ref.name == "text" and ref.max_length is not None:
            return f"텍스트 (최대 {ref.max_length:,}자)"
        if ref.name in _BASE_TYPE_WORDS:
            return _BASE_TYPE_WORDS[ref.name]
        enum = self.enums.get(ref.name)
        if enum is not None:
            return "<br>".join(f"{_cell(v.label.text)} ({_code(v.name, in_table=True)})" for v in enum.values)
        record = self.records.get(ref.name)
        if record is not None:
            return f"{_cell(record.label.text)}: " + ", ".join(_cell(f.label.text) for f in record.fields)
        return _cell(ref.name)

    # -- worked-example values

    def value_words(self, value: Any, ref: A.TypeRef | None) -> str:
        """Write a worked example's value by its declared type (plain text, escaped where placed)."""
        if value is None:
            return "없음"
        kind = ref.name if ref is not None else None
        if isinstance(value, bool):
            return "예" if value else "아니요"
        if ref is not None and ref.is_list and isinstance(value, list):
            scalar = A.TypeRef(ref.name, False, False, None, None, ref.span)
            return ", ".join(self.value_words(v, scalar) for v in value) if value else "없음"
        if isinstance(value, dict):
            record = self.records.get(kind or "")
            return self.record_words(value, record)
        if kind == "money":
            number = _to_decimal(value)
            return _fmt_money(number) if number is not None else str(value)
        if kind == "percent":
            number = _to_decimal(value)
            return _fmt_percent(number) if number is not None else str(value)
        if kind in ("int", "number"):
            number = _to_decimal(value)
            return _fmt_decimal(number) if number is not None else str(value)
        if kind == "duration":
            span = _to_timedelta(value)
            return _fmt_duration(span) if span is not None else str(value)
        if kind == "datetime":
            moment = _to_datetime(value)
            return _fmt_datetime(moment, self.zone) if moment is not None else str(value)
        if kind == "date":
            if isinstance(value, datetime):
                return value.date().isoformat()
            return value.isoformat() if isinstance(value, date) else str(value)
        if kind in self.enums and isinstance(value, str):
            return self.enum_label(kind, value)
        if kind == "text" and isinstance(value, str):
            return f"“{value}”"
        if isinstance(value, datetime):
            return _fmt_datetime(value, self.zone)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, list):
            return ", ".join(self.value_words(v, None) for v in value) if value else "없음"
        return str(value)

    def record_words(self, value: dict, record: A.RecordDecl | None) -> str:
        fields = {f.name: f for f in record.fields} if record else {}
        parts = []
        for key in _ordered_keys(value, list(fields)):
            f = fields.get(key)
            label = f.label.text if f else key
            parts.append(f"{label}: {self.value_words(value[key], f.type if f else None)}")
        return ", ".join(parts)


def _flatten(expr: Any, op: str) -> list[Any]:
    if isinstance(expr, A.Binary) and expr.op == op:
        return _flatten(expr.left, op) + _flatten(expr.right, op)
    return [expr]


def _ordered_keys(mapping: dict, declared: list[str]) -> list[str]:
    """List the declared names present in declaration order, then any others sorted."""
    known = [k for k in declared if k in mapping]
    return known + sorted((str(k) for k in mapping if k not in declared))


# ---------------------------------------------------------------- sections


def emit_docs(policy: A.Policy, examples: Sequence[WorkedExample], analysis: Analysis | None = None) -> str:
    """Render the Korean counselor page of one checked policy.

    Args:
        examples: the worked examples beside the policy as its evaluator decided them (outputs
            and deciding rule are the evaluator's, never the examples file's), in file order.
        analysis: the checker's analysis of this very policy; its inferred types and name
            resolutions are used instead of the page's own guesses.
    """
    if analysis is None or analysis.policy is not policy:
        # An analysis of another tree knows none of this tree's nodes.
        analysis = analyze(policy)
    page = _Page(policy, analysis)
    blocks: list[list[str]] = [
        _emit_header(policy),
        _emit_overview(policy),
        _emit_inputs(page),
        _emit_outputs(page),
        _emit_checks(page),
        _emit_deciders(page),
        _emit_boundaries(page),
        _emit_examples(page, examples),
        _emit_sources(policy),
    ]
    lines: list[str] = []
    for block in blocks:
        if block:
            if lines:
                lines.append("")
            lines.extend(block)
    return "\n".join(lines).rstrip("\n") + "\n"


def _emit_header(policy: A.Policy) -> list[str]:
    out = [
        f"# {_md(policy.title.text)}",
        "",
        f"> {GENERATED_NOTE} 원본: {_code(policy.path)}",
        "",
        f"- 정책 ID: {_code(policy.id)}",
    ]
    if policy.sources:
        out.append("- 근거: " + ", ".join(_source_words(s) for s in policy.sources))
    out.append(f"- 시행일: {policy.effective.value.isoformat() if policy.effective else '미정'}")
    out.append(f"- 기준 시간대: {_md(_zone_words(policy.zone))}")
    if policy.question is not None:
        out.append(f"- 자주 묻는 질문: {_md(policy.question.text)}")
    return out


def _source_words(source: A.Source) -> str:
    return f"{_code(source.file)} 「{_md(source.section)}」"


def _emit_overview(policy: A.Policy) -> list[str]:
    if policy.summary is None or not policy.summary.text.strip():
        return []
    return ["## 개요", "", _md(policy.summary.text)]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Lay out a Markdown table; cells must already be escaped."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    return out


def _emit_inputs(page: _Page) -> list[str]:
    out = ["## 확인하는 정보", ""]
    if not page.policy.inputs:
        out.append("확인하는 정보가 없습니다.")
    else:
        rows = []
        for d in page.policy.inputs:
            if d.default is not None:
                need = f"기본값 {_cell(page.words(d.default))}"
            elif d.type.optional:
                need = "선택 (없으면 빈 목록)" if d.type.is_list else "선택"
            else:
                need = "필수"
            rows.append([_code(d.name, in_table=True), _cell(d.label.text), page.type_words(d.type), need])
        out.extend(_table(["항목", "설명", "형식", "필수 여부"], rows))
    if page.policy.lets:
        out += ["", "### 계산하는 값", ""]
        rows = [[_code(d.name, in_table=True), _cell(d.label.text), _cell(page.words(d.formula))]
                for d in page.policy.lets]
        out.extend(_table(["항목", "설명", "계산"], rows))
    return out


def _emit_outputs(page: _Page) -> list[str]:
    out = ["## 판단 결과", ""]
    if not page.policy.outputs:
        return out + ["판단 결과가 없습니다."]
    rows = []
    for d in page.policy.outputs:
        how = _cell(page.words(d.formula)) if d.formula is not None else "아래 판단 순서로 정함"
        rows.append([_code(d.name, in_table=True), _cell(d.label.text), page.type_words(d.type), how])
    out.extend(_table(["항목", "설명", "형식", "정하는 방법"], rows))
    if _uses_percent_of_money(page):
        out += ["", "비율로 계산한 금액은 1원 미만을 버립니다."]
    return out


def _uses_percent_of_money(page: _Page) -> bool:
    """Tell whether any formula takes a percentage of money (and so drops fractions of a won)."""
    pending: list[Any] = [(page.policy.lets, page.policy.outputs, page.policy.checks, page.policy.deciders)]
    while pending:  # a loop, not recursion: expressions may be nested as deep as the parser allows
        node = pending.pop()
        if isinstance(node, A.PercentOf) and page.type_of(node.amount) == "money":
            return True
        if isinstance(node, tuple):
            pending.extend(node)
        elif is_dataclass(node) and not isinstance(node, A.Span):
            pending.extend(getattr(node, f.name) for f in dataclass_fields(node))
    return False


def _emit_checks(page: _Page) -> list[str]:
    if not page.policy.checks:
        return []
    out = [
        "## 확인 조건",
        "",
        "아래 조건을 모두 확인합니다. 통과하지 못한 조건이 여러 개이면 그 안내 문구를 모두 함께 안내합니다.",
    ]
    for number, check in enumerate(page.policy.checks, 1):
        outcome = "확인 후 가능(담당자 확인)" if check.review else "거절"
        out += [
            "",
            f"### 확인 {number}. {_md(page.says(check.message))}",
            "",
            f"- 조건: {_md(page.cond(check.condition))}",
            f"- 통과하지 못하면: {outcome}",
        ]
        if check.note is not None:
            out.append(f"- 참고: {_md(check.note.text)}")
        out.append(f"- 확인 조건 ID: {_code(check.id)}")
    return out


def _emit_deciders(page: _Page) -> list[str]:
    out = ["## 판단 순서", ""]
    if not page.policy.deciders:
        return out + ["판단 규칙이 없습니다. 판단 결과는 위의 계산대로 정합니다."]
    if page.policy.checks:
        out.append("확인 조건을 모두 확인한 다음, 위에서부터 차례로 확인하여 처음 해당하는 항목으로 결정합니다.")
    else:
        out.append("위에서부터 차례로 확인하여 처음 해당하는 항목으로 결정합니다.")
    for number, decider in enumerate(page.policy.deciders, 1):
        out.append("")
        if isinstance(decider, A.Rule):
            out.extend(_emit_rule(page, number, decider))
        elif isinstance(decider, A.WindowTable):
            out.extend(_emit_window_table(page, number, decider))
        else:
            out.extend(_emit_grid_table(page, number, decider))
    return out


def _emit_rule(page: _Page, number: int, rule: A.Rule) -> list[str]:
    if rule.condition is None:
        condition = "위 항목에 모두 해당하지 않을 때"
    else:
        condition = page.cond(rule.condition)
    out = [f"### {number}. {_md(page.says(rule.says))}", "", f"- 조건: {_md(condition)}"]
    results = page.assignments(rule.assignments)
    # A rule without `then` sets nothing: it only names the decision, so no result line.
    if len(results) == 1:
        out.append(f"- 결과: {_md(results[0])}")
    elif results:
        out.append("- 결과:")
        out.extend(f"  - {_md(r)}" for r in results)
    if rule.note is not None:
        out.append(f"- 참고: {_md(rule.note.text)}")
    out.append(f"- 규칙 ID: {_code(rule.id)}")
    return out


def _emit_window_table(page: _Page, number: int, table: A.WindowTable) -> list[str]:
    key = page.sub(table.key, _BOUNDED, None)
    targets = list(dict.fromkeys(a.target for row in table.rows for a in row.assignments))
    # A table that sets one output names it once, in the result column, not in every row.
    single = len(targets) == 1
    out = [f"### {number}. {_md(table.title.text)}", "", f"{_md(key)}에 따라 정합니다.", ""]
    rows = []
    for row in table.rows:
        span = page.row_where(table, row)
        result = page.assignments(row.assignments, with_target=not single)
        out.append(f"- {_md(_subject(key))} {_md(span)}: {_md('; '.join(result))}")
        out.append(f"  - 안내: {_md(page.says(row.says))}")
        rows.append([_cell(span), "<br>".join(_cell(r) for r in result), _code(f"{table.id}.{row.id}", in_table=True)])
    result_head = _cell(page.label(targets[0])) if single else "결과"
    out.append("")
    out.extend(_table([f"구간 ({_cell(key)})", result_head, "규칙 ID"], rows))
    return out


def _emit_grid_table(page: _Page, number: int, grid: A.GridTable) -> list[str]:
    target = page.label(grid.target)
    row_key = page.sub(grid.row_key, _BOUNDED, None)
    col_key = page.sub(grid.col_key, _BOUNDED, None)
    out = [
        f"### {number}. {_md(target)}: {_md(row_key)} × {_md(col_key)}",
        "",
        f"{_md(_topic(target))} 아래 표로 정합니다. 행은 {_md(row_key)}, 열은 {_md(col_key)}입니다.",
        "",
    ]
    header = [_cell(row_key)] + [
        f"{_cell(page.head(grid.col_key, col))} ({_code(col.name, in_table=True)})" for col in grid.columns
    ]
    rows = []
    for row in grid.rows:
        cells = [f"{_cell(page.head(grid.row_key, row.head))} ({_code(row.head.name, in_table=True)})"]
        cells += [_cell(_fmt_literal(c, page.zone)) for c in row.cells]
        rows.append(cells)
    out.extend(_table(header, rows))
    out += [
        "",
        f"- 안내: {_md(page.says(grid.says))}",
        f"- 규칙 ID: {_code(grid.id + '.<행>.<열>')}"
        + (f" (예: {_code(f'{grid.id}.{grid.rows[0].head.name}.{grid.columns[0].name}')})"
           if grid.rows and grid.columns else ""),
    ]
    return out


def _emit_boundaries(page: _Page) -> list[str]:
    notes = [_md(n.text) for n in page.policy.notes]
    for decider in page.policy.deciders:
        if isinstance(decider, A.WindowTable) and decider.note is not None:
            notes.append(f"{_md(decider.title.text)}: {_md(decider.note.text)}")
        elif isinstance(decider, A.GridTable) and decider.note is not None:
            notes.append(f"{_md(page.label(decider.target))} 표: {_md(decider.note.text)}")
    if not notes:
        return []
    return ["## 경계 기준", ""] + [f"- {n}" for n in notes]


def _emit_examples(page: _Page, examples: Sequence[WorkedExample]) -> list[str]:
    out = ["## 계산 예시"]
    if not examples:
        return out + ["", "등록된 계산 예시가 없습니다."]
    for example in examples:
        out += ["", f"### {_md(example.name)}", "", "입력", ""]
        if example.refused is not None:
            # Rejected input is shown exactly as sent: formatting it would make it look valid.
            out.extend(_raw_values(page, example.input) or ["- 없음"])
            out += ["", "결과", ""]
            fields = ", ".join(_code(path) for path in example.refused)
            out.append(f"- 입력 오류로 거절합니다. 잘못된 항목: {fields}")
        else:
            out.extend(_example_values(page, example.input, page.inputs) or ["- 없음"])
            out += ["", "결과", ""]
            out.extend(_example_values(page, example.outputs, page.outputs) or ["- 없음"])
        if example.rule is not None:
            line = f"결정 규칙: {_code(example.rule)}"
            step = page.steps.get(example.rule)
            if step is not None:
                number, where = step
                line += f" (판단 순서 {number}번" + (f": {_md(where)})" if where else ")")
            out += ["", line]
        if example.note is not None:
            out += ["", f"참고: {_md(example.note)}"]
    return out


def _example_values(page: _Page, values: dict, decls: dict) -> list[str]:
    out = []
    for key in _ordered_keys(values, list(decls)):
        decl = decls.get(key)
        label = _md(decl.label.text) if decl is not None else _code(key)
        ref = decl.type if decl is not None else None
        value = values[key]
        record = page.records.get(ref.name) if ref is not None and ref.is_list else None
        if record is not None and isinstance(value, list):
            out.append(f"- {label}: {len(value):,}건")
            for item in value[:_LIST_SHOWN]:
                words = page.record_words(item, record) if isinstance(item, dict) else page.value_words(item, None)
                out.append(f"  - {_md(words)}")
            if len(value) > _LIST_SHOWN:
                out.append(f"  - 외 {len(value) - _LIST_SHOWN:,}건")
        else:
            out.append(f"- {label}: {_md(page.value_words(value, ref))}")
    return out


def _raw_values(page: _Page, values: dict) -> list[str]:
    out = []
    for key in _ordered_keys(values, list(page.inputs)):
        decl = page.inputs.get(key)
        label = _md(decl.label.text) if decl is not None else _code(key)
        raw = json.dumps(values[key], ensure_ascii=False, sort_keys=True, default=str)
        out.append(f"- {label}: {_code(raw)}")
    return out


def _emit_sources(policy: A.Policy) -> list[str]:
    out = ["## 근거", ""]
    if not policy.sources:
        return out + ["- 등록된 근거 문서가 없습니다."]
    return out + [f"- 상담 문서 {_code(s.file)}, 「{_md(s.section)}」 항목" for s in policy.sources]


# ---------------------------------------------------------------- index


def emit_index(policies: list[A.Policy], services: dict[str, str], coverage: bool = False) -> str:
    """Render `generated/docs/index.md`: every policy by service, linked, with its question.

    Args:
        services: the Korean name of each domain's service (`policies/services.yaml`); the
            pipeline refuses a domain without one, so the domain id shows only for direct callers.
        coverage: link the article-to-rule table (`coverage.md`), which is written beside it.
    """
    out = ["# 상담 정책 목록", "", f"> {GENERATED_NOTE}"]
    if coverage:
        out += ["", "상담 문서의 구간과 질문마다 어느 정책의 어느 규칙이 판단하는지는 "
                    "[상담 문서별 규칙 대응표](coverage.md)에 있습니다."]
    if not policies:
        out += ["", "등록된 정책이 없습니다."]
    by_domain: dict[str, list[A.Policy]] = {}
    for policy in sorted(policies, key=lambda p: (p.domain, p.name)):
        by_domain.setdefault(policy.domain, []).append(policy)
    for domain, members in by_domain.items():
        out += ["", f"## {_md(services.get(domain, domain))}", ""]
        for policy in members:
            line = f"- [{_md(policy.title.text, brackets=True)}]({policy.domain}/{policy.name}.md)"
            if policy.question is not None and policy.question.text.strip():
                line += f" — {_md(policy.question.text)}"
            out.append(line)
    return "\n".join(out) + "\n"
