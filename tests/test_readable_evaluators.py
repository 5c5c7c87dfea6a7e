"""Generated evaluators read like the policy (issue 12): one reader per type, named constants,
rows in source order, named slots, records unpacked by field name, typed inputs and outputs,
no line over 120 characters."""

from __future__ import annotations

import re
import typing
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import runtime as rt
from compiler.check import PLACEHOLDER
from compiler.emit_python import WIDTH
from tests.support import compile_policy, examples

GENERATED = Path(__file__).resolve().parent.parent / "generated"
# The evaluators: every generated module but the packages and the shared `_runtime` and `_holidays`.
MODULES = sorted(p for p in GENERATED.rglob("*.py") if not p.name.startswith("_"))


def test_no_generated_line_is_longer_than_120_characters():
    long = [f"{p.relative_to(GENERATED)}:{i}: {len(line)}"
            for p in sorted(GENERATED.rglob("*.py"))
            for i, line in enumerate(p.read_text(encoding="utf-8").split("\n"), 1)
            # The header line naming the source and its hash is written whole.
            if len(line) > WIDTH and not line.startswith("# source: ")]
    assert long == []


def test_the_pet_taxi_fee_reads_like_the_policy():
    src = (GENERATED / "pet_taxi" / "cancellation_fee.py").read_text(encoding="utf-8")
    # One datetime reader made once for the module, not a parser per field.
    assert "fromisoformat" not in src
    assert src.count("_read_datetime(") == 5
    # Constants say what they are.
    assert "_9H = timedelta(hours=9)" in src and "_10MIN = timedelta(minutes=10)" in src
    assert "_SECONDS_" not in src
    # The table's rows in the order the policy writes them.
    rows = [src.index(f"'by_time.{r}'", src.index("def evaluate")) for r in ("free", "early", "late", "last")]
    assert rows == sorted(rows)
    # Named slots in the explanations.
    assert "'출발 {before} 전 취소(24시간 전 ~ 9시간 전): 운임 {fare}의 10%, 최대 8,000원 → 취소수수료 {fee}'" in src
    assert "class Inputs(TypedDict)" in src and "class Outputs(TypedDict)" in src


def test_records_are_read_by_field_name():
    src = (GENERATED / "callbus" / "suspension.py").read_text(encoding="utf-8")
    assert "for _kind, _at in penalties" in src
    assert not re.search(r"_r\d\[\d+\]", src)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}.{p.stem}")
def test_typed_dicts_resolve(path):
    """The TypedDicts (written for type checkers only) name real types."""
    src = path.read_text(encoding="utf-8").replace("TYPE_CHECKING = False", "TYPE_CHECKING = True", 1)
    # A name of its own: the TypedDicts' annotations resolve in this namespace, not the imported module's.
    ns = {"__name__": f"typed_{path.parent.name}_{path.stem}", "__package__": f"generated.{path.parent.name}"}
    exec(compile(src, str(path), "exec"), ns)  # noqa: S102 - our own generated module
    for name in ("Inputs", "Outputs"):
        hints = typing.get_type_hints(ns[name], ns)
        assert hints, name


@settings(max_examples=examples(300), derandomize=True, deadline=None)
@given(st.text(alphabet="{}ab x", max_size=12))
def test_template_parts_read_placeholders_as_the_checker_does(text):
    names = ["a", "b", "x", "ab", "", "a b"]
    slot = {n: i for i, n in enumerate(names)}
    expected: list = []
    pos = 0
    for m in PLACEHOLDER.finditer(text):
        if m.group(1).strip() not in slot:
            return  # the checker refuses a sentence naming no value
        if m.start() > pos:
            expected.append(text[pos:m.start()])
        expected.append(slot[m.group(1).strip()])
        pos = m.end()
    if pos < len(text):
        expected.append(text[pos:])
    assert rt.template_parts(text, slot) == tuple(expected)


SHAPES = st.sampled_from(["2025-06-01T14:00:00+09:00", "2025-06-01T14:00:00Z", "2025-06-01T14:00:00",
                          "2025-03-09T02:30:00", "2025-12-31T23:59:59-05:30", "2035-12-08T10:00:00+09:00",
                          "2015-01-01T23:00:00Z", "2025-06-01T14:00:00.5+09:00", "1900-01-01T00:00:00Z"])


@settings(max_examples=examples(500), derandomize=True, deadline=None)
@given(SHAPES, st.lists(st.tuples(st.integers(0, 24), st.sampled_from("0123456789:+-TZ ٣\n")), max_size=2),
       st.sampled_from([rt.DATES, ("2015-01-02", "2035-12-08")]), st.sampled_from(["Asia/Seoul", "America/New_York"]))
def test_the_module_reader_reads_as_the_runtime_reader(base, edits, dates, zone):
    text = list(base)
    for i, ch in edits:
        if i < len(text):
            text[i] = ch
    value = "".join(text)
    tz = ZoneInfo(zone)
    fast_errors: list = []
    slow_errors: list = []
    fast = rt.datetime_reader(tz, dates)(value, "/at", fast_errors)
    slow = rt.read_datetime(value, "/at", slow_errors, tz, dates)
    assert fast_errors == slow_errors
    assert fast == slow
    if fast is not None:
        assert fast.utcoffset() == slow.utcoffset()


RECORD_POLICY = '''policy readable.probe "필드 이름"
  source "001_643b8286a8614a89.txt" section "이용료 취소수수료"
  effective 2025-05-15
  zone Asia/Seoul

record item "항목"
  rt: int "런타임과 같은 이름"
  key: int "키"
  n: int "엔"

input items: list of item max 10 "항목들"

output total: int = sum rt of items where key > n "합"
output keys: int = count items where rt = key "같은 수"

rule always "합 {total}, 같은 수 {keys}"
  otherwise
'''


def test_fields_named_like_the_evaluators_own_names(tmp_path):
    module = compile_policy(tmp_path, "readable.probe", RECORD_POLICY)
    d = module.evaluate({"items": [{"rt": 5, "key": 2, "n": 1}, {"rt": 7, "key": 7, "n": 9}, {"rt": 1, "key": 3, "n": 0}]})
    assert d.outputs == {"total": 6, "keys": 1}
    assert d.explanation == "합 6, 같은 수 1"


SHUFFLED_TABLE = '''policy readable.rows "순서"
  source "001_643b8286a8614a89.txt" section "이용료 취소수수료"
  effective 2025-05-15
  zone Asia/Seoul

input before: duration "남은 시간"

output fee: money "수수료"

table by_time by before "남은 시간별"
  late (1h, 9h]:   fee = 2원  "늦음 {fee}"
  free [24h, ∞):   fee = 0원  "무료 {fee}"
  last (-∞, 1h]:   fee = 3원  "마지막 {fee}"
  early (9h, 24h): fee = 1원  "이름 {fee}"
'''


def test_rows_in_source_order_decide_as_written(tmp_path):
    """Rows written out of order are emitted as written; each holds exactly on its interval."""
    module = compile_policy(tmp_path, "readable.rows", SHUFFLED_TABLE)
    src = (tmp_path / "generated" / "readable" / "rows.py").read_text(encoding="utf-8")
    body = src[src.index("def evaluate"):]
    assert body.index("'by_time.late'") < body.index("'by_time.free'") < body.index("'by_time.last'")
    expected = {"PT0S": "last", "PT1H": "last", "PT1H1S": "late", "PT9H": "late", "PT9H1S": "early",
                "PT23H59M59S": "early", "PT24H": "free", "PT100H": "free", "-PT5H": "last"}
    for before, row in expected.items():
        assert module.evaluate({"before": before}).rule == f"by_time.{row}", before


def test_the_holiday_table_is_written_once():
    """Evaluators that count business days import generated/_holidays.py instead of a copy each."""
    importers = [p for p in MODULES if "from .._holidays import KR as _HOLIDAYS" in p.read_text(encoding="utf-8")]
    assert len(importers) >= 2
    assert not [p for p in MODULES if "date(2025, 10, 3)" in p.read_text(encoding="utf-8")]
    from generated import _holidays

    assert date(2025, 10, 3) in _holidays.KR and _holidays.YEARS == (2015, 2035)
