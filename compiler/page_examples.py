"""Writes the worked examples of a counselor page: inputs, results and deciding rule, by declared type."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Sequence

from compiler.markdown import code as _code, md as _md
from compiler.values import fmt_datetime as _fmt_datetime, fmt_decimal as _fmt_decimal
from compiler.values import fmt_duration as _fmt_duration, fmt_money as _fmt_money, fmt_percent as _fmt_percent
from compiler.values import to_datetime as _to_datetime, to_decimal as _to_decimal, to_timedelta as _to_timedelta
from compiler.words import Page, ordered_keys
from dsl import ast as A

if TYPE_CHECKING:
    from compiler.examples import WorkedExample

__all__ = ["emit_examples", "record_words", "value_words"]

_LIST_SHOWN = 10  # list items written out on a worked example before "외 N건"


def emit_examples(page: Page, examples: Sequence[WorkedExample]) -> list[str]:
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


def _example_values(page: Page, values: dict, decls: dict) -> list[str]:
    out = []
    for key in ordered_keys(values, list(decls)):
        decl = decls.get(key)
        label = _md(decl.label.text) if decl is not None else _code(key)
        ref = decl.type if decl is not None else None
        value = values[key]
        record = page.records.get(ref.name) if ref is not None and ref.is_list else None
        if record is not None and isinstance(value, list):
            out.append(f"- {label}: {len(value):,}건")
            for item in value[:_LIST_SHOWN]:
                words = record_words(page, item, record) if isinstance(item, dict) else value_words(page, item, None)
                out.append(f"  - {_md(words)}")
            if len(value) > _LIST_SHOWN:
                out.append(f"  - 외 {len(value) - _LIST_SHOWN:,}건")
        else:
            out.append(f"- {label}: {_md(value_words(page, value, ref))}")
    return out


def _raw_values(page: Page, values: dict) -> list[str]:
    out = []
    for key in ordered_keys(values, list(page.inputs)):
        decl = page.inputs.get(key)
        label = _md(decl.label.text) if decl is not None else _code(key)
        raw = json.dumps(values[key], ensure_ascii=False, sort_keys=True, default=str)
        out.append(f"- {label}: {_code(raw)}")
    return out



def value_words(page: Page, value: Any, ref: A.TypeRef | None) -> str:
    """Write a worked example's value by its declared type (plain text, escaped where placed)."""
    if value is None:
        return "없음"
    kind = ref.name if ref is not None else None
    if isinstance(value, bool):
        return "예" if value else "아니요"
    if ref is not None and ref.is_list and isinstance(value, list):
        scalar = A.TypeRef(ref.name, False, False, None, None, ref.span)
        return ", ".join(value_words(page, v, scalar) for v in value) if value else "없음"
    if isinstance(value, dict):
        record = page.records.get(kind or "")
        return record_words(page, value, record)
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
        return _fmt_datetime(moment, page.zone) if moment is not None else str(value)
    if kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind in page.enums and isinstance(value, str):
        return page.enum_label(kind, value)
    if kind == "text" and isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, datetime):
        return _fmt_datetime(value, page.zone)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(value_words(page, v, None) for v in value) if value else "없음"
    return str(value)

def record_words(page: Page, value: dict, record: A.RecordDecl | None) -> str:
    """Write a record of a worked example as `label: value` pairs in declaration order."""
    fields = {f.name: f for f in record.fields} if record else {}
    parts = []
    for key in ordered_keys(value, list(fields)):
        f = fields.get(key)
        label = f.label.text if f else key
        parts.append(f"{label}: {value_words(page, value[key], f.type if f else None)}")
    return ", ".join(parts)
