"""Writes a policy's expressions, conditions, names and types in Korean words for its counselor page."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Iterable

from compiler.check import CHECK_RESULTS, Analysis
from compiler.korean import adnominal as _adnominal, connective as _connective, subject as _subject
from compiler.korean import toward as _toward, with_ as _with
from compiler.markdown import cell as _cell, code as _code
from compiler.runtime import MINUS
from compiler.values import fmt_clock_interval as _fmt_clock_interval, fmt_decimal as _fmt_decimal
from compiler.values import fmt_interval as _fmt_interval, fmt_literal as _fmt_literal
from compiler.values import fmt_money as _fmt_money, fmt_percent as _fmt_percent, zone_short as _zone_short
from compiler.types import Type
from dsl import ast as A

__all__ = ["BOUNDED", "Page", "ordered_keys"]


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

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

_LITERALS = (A.Money, A.Percent, A.Duration, A.Number, A.DateLit, A.DateTimeLit, A.Bool, A.Text)

# Binding strength of each construct, to know where words need parentheses.
_OR, _AND, _NOT, _TEST, BOUNDED, _SUM, _PRODUCT, _ATOM = range(8)
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
        return BOUNDED
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


class Page:
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
            return f"{_subject(self.sub(expr.args[0], BOUNDED, fields))} {args[1]} 단위"
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
            return f"{_subject(self.sub(expr.operand, BOUNDED, fields))} {'있음' if expr.present else '없음'}"
        if isinstance(expr, A.Binary) and expr.op in _COMPARISONS:
            return self.compare(expr.op, expr.left, expr.right, fields)
        if isinstance(expr, A.InInterval):
            if isinstance(expr.operand, A.Call) and expr.operand.func == "clock" and expr.operand.args:
                # A time of day: the ends read as clock times, "09:00 이상 18:00 미만".
                at = self.sub(expr.operand.args[0], _ATOM, fields)
                return f"{_subject(at)} {_fmt_clock_interval(expr.interval)}"
            return f"{_subject(self.sub(expr.operand, BOUNDED, fields))} {_fmt_interval(expr.interval, self.zone)}"
        if isinstance(expr, A.InPeriod):
            what = "날" if expr.period == "day" else "달"
            anchor = _with(self.sub(expr.anchor, BOUNDED, fields))
            operand = _subject(self.sub(expr.operand, BOUNDED, fields))
            return f"{operand} {anchor} 같은 {what}({_zone_short(self.zone)})"
        if isinstance(expr, A.InSet):
            members = " 또는 ".join(self.words(m, fields) for m in expr.members)
            return f"{_subject(self.sub(expr.operand, BOUNDED, fields))} {members}"
        if _is_aligned(expr):
            return self.call_words(expr, fields)
        if self.names_check_result(expr, fields) and self.type_of(expr) == "bool":
            return _CHECK_RESULT_WORDS[expr.name]
        # A yes/no value on its own: a bool input, let or field.
        # INVARIANT: expr is no condition here, so `sub` -> `words` does not come back.
        return f"{_subject(self.sub(expr, BOUNDED, fields))} 예"

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
                return f"{_subject(self.sub(expr.operand, BOUNDED, fields))} {members} 중 어느 것도 아님"
            return _subject(self.cond(expr, fields)) + " 아님"
        if _is_aligned(expr):
            return _subject(self.call_words(expr, fields)) + " 아님"
        if self.names_check_result(expr, fields) and self.type_of(expr) == "bool":
            return _CHECK_RESULT_WORDS[expr.name][: -len("함")] + "하지 않음"
        if _strength(expr) > _TEST and self.type_of(expr) == "bool":
            return f"{_subject(self.sub(expr, BOUNDED, fields))} 아니요"
        return f"({self.cond(expr, fields)})에 해당하지 않음"

    def compare(self, op: str, left: Any, right: Any, fields: dict[str, A.RecordField] | None) -> str:
        lhs = _subject(self.sub(left, BOUNDED, fields))
        rhs = self.sub(right, BOUNDED, fields)
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

def _flatten(expr: Any, op: str) -> list[Any]:
    if isinstance(expr, A.Binary) and expr.op == op:
        return _flatten(expr.left, op) + _flatten(expr.right, op)
    return [expr]


def ordered_keys(mapping: dict, declared: list[str]) -> list[str]:
    """List the declared names present in declaration order, then any others sorted."""
    known = [k for k in declared if k in mapping]
    return known + sorted((str(k) for k in mapping if k not in declared))
