"""Property tests (hypothesis): nothing a caller sends can break a generated evaluator.

For every evaluator in generated/ (and one compiled here from a policy that declares an input of
every type, so that every reader of the runtime is exercised):

- arbitrary JSON, arbitrary mappings of the policy's own field names to junk, and non-objects:
  `evaluate` returns a Decision whose `to_dict()` is JSON, or raises `InvalidInput` whose errors
  name real input locations by JSON pointer -- never any other exception;
- inputs built from the emitted JSON Schema are accepted, and the decision fits `$defs/decision`;
- for near misses (a valid input with one field perturbed) the schema accepts exactly what the
  evaluator accepts;
- money outputs are never negative and never exceed their caps;
- identical inputs give identical decisions, and evaluating never changes its input;
- list bounds, and wrong values deep inside lists, are named by their full JSON pointer.

Reproducible: every property runs derandomized (a fixed seed), without the example database.
"""

from __future__ import annotations

import copy
import json
import os
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from compiler import emit_schema as ES
from compiler import pipeline
from tests.support import compile_policy, examples

ROOT = Path(__file__).resolve().parent.parent
SEOUL = ZoneInfo("Asia/Seoul")


def fuzz(n: int):
    return settings(max_examples=examples(n), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ---------------------------------------------------------------- the evaluators under test


class Target:
    """One evaluator with its JSON Schema."""

    def __init__(self, policy_id: str, module, schema: dict):
        self.id = policy_id
        self.module = module
        self.schema = schema
        self.input_validator = Draft202012Validator(schema)  # no format checker: patterns only
        self.decision_validator = Draft202012Validator({"$ref": "#/$defs/decision", "$defs": schema["$defs"]})
        self.valid = None  # the strategy of schema-valid inputs, built on first use

    def __repr__(self) -> str:
        return self.id


def _schema_file(root: Path, policy_id: str) -> dict:
    domain, _, name = policy_id.partition(".")
    return json.loads((root / "generated" / "schemas" / domain / f"{name}.json").read_text(encoding="utf-8"))


_LOADED = pipeline.load(ROOT)
assert not _LOADED.errors, [d.message for d in _LOADED.errors]
POLICY_IDS = sorted(item.policy.id for item in _LOADED.policies)
_TARGETS: dict[str, Target] = {}


def get_target(policy_id: str) -> Target:
    """The repository's evaluator of policy_id (generated/ must be current: `policyc compile`)."""
    if policy_id not in _TARGETS:
        _TARGETS[policy_id] = Target(policy_id, pipeline.import_evaluator(policy_id, ROOT), _schema_file(ROOT, policy_id))
    return _TARGETS[policy_id]

# A policy that takes every type of input, compiled into a temporary project: the five real
# policies read only money, bool, enum, text and datetime, and the runtime reads more than that.
EVERY_TYPE = r'''
policy fuzzcheck.every_type "모든 입력 형식"
  source "fuzz.txt" section "모든 입력 형식"
  zone Asia/Seoul

enum grade "등급"
  low "낮음"
  high "높음"

record entry "항목"
  amount: money "금액"
  on: date "날짜"
  at: optional datetime "시각"
  tag: text max 8 "태그"

input amount: money "금액"
input n: int "개수"
input factor: number = 1 "계수"
input rate: percent = 10% "비율"
input flag: bool = false "여부"
input memo: text max 20 = "없음" "메모"
input note: optional text "비고"
input at: datetime "시각"
input later: optional datetime "나중 시각"
input on: date "날짜"
input grace: duration = 30min "유예"
input level: grade "등급"
input maybe: optional grade "선택 등급"
input entries: optional list of entry max 5 "항목들"
input tags: list of text max 4 "태그들"

output total: money = sum amount of entries where amount > 0원 "항목 합계"
output fee: money "수수료"
output kept: money = amount - fee "남는 금액"
output shown_rate: percent = rate "비율"
output month_end: date = last day of month of on "말일"
output deadline: datetime = at + grace "기한"
output spread: number = factor "계수"
output tagged: list of text = list tag of entries where amount >= 0원 "태그 목록"

rule high_level "등급 {level}, 금액 {amount}, 개수 {n}, 계수 {factor}, 비율 {rate}, 여부 {flag}, 메모 {memo}, 비고 {note}, 시각 {at}, 나중 {later}, 날짜 {on}, 유예 {grace}, 선택 {maybe}, 항목 {entries}, 태그 {tags}: 수수료 {fee}"
  when level = high and n >= 0
  then fee = rate of amount at most amount at least 0원

rule flagged "여부 {flag}: 수수료 {fee}, 기한 {deadline}, 말일 {month_end}"
  when flag or (later is given and later > at) or (maybe is given and maybe = low)
  then fee = 0원

rule otherwise_rule "그 밖의 경우: 수수료 {fee}, 합계 {total}"
  otherwise
  then fee = 0원
'''


def _compile_every_type(tmp: Path) -> Target:
    module = compile_policy(tmp, "fuzzcheck.every_type", EVERY_TYPE)
    return Target("fuzzcheck.every_type", module, _schema_file(tmp, "fuzzcheck.every_type"))


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> list[Target]:
    """Every evaluator under test: the repository's, then the every-type one."""
    return [get_target(pid) for pid in POLICY_IDS] + [_compile_every_type(tmp_path_factory.mktemp("every_type"))]


# ---------------------------------------------------------------- the contract of one call


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


_POINTER = re.compile(r"^(/([^~/]|~[01])*)*$")


def assert_names_real_locations(errors, doc) -> None:
    """Every error is {"path", "message"}; its path is a JSON pointer whose parent exists in doc,
    and whose last token exists there too -- unless the message says the field is missing."""
    assert isinstance(errors, list) and errors, errors
    for err in errors:
        assert set(err) == {"path", "message"}, err
        path, message = err["path"], err["message"]
        assert isinstance(path, str) and isinstance(message, str) and message, err
        assert _POINTER.match(path), f"not a JSON pointer: {path!r}"
        if path == "":
            continue
        tokens = [_unescape(t) for t in path.split("/")[1:]]
        node = doc
        for depth, token in enumerate(tokens):
            last = depth == len(tokens) - 1
            if isinstance(node, dict):
                if token not in node:
                    assert last and message == "required field is missing", (path, message)
                    break
                node = node[token]
            elif isinstance(node, (list, tuple)):
                assert re.fullmatch(r"0|[1-9][0-9]*", token) and int(token) < len(node), path
                node = node[int(token)]
            else:
                raise AssertionError(f"{path} goes through a {type(node).__name__}")


# A well-formed input is refused in one case only: an output worked out from it would leave the
# range of exact JSON numbers (`insured_minutes` near 2**53 in a money product). The schema bounds
# each input, not a product of inputs, so this refusal is the contract's one documented exception
# (README, "The evaluator contract"); `call` returns BEYOND for it.
BEYOND = "beyond the range of exact JSON numbers"


def beyond_range(errors: list[dict]) -> bool:
    return bool(errors) and all(e["message"].endswith("the policy cannot decide it") for e in errors)


def call(target: Target, inputs):
    """Evaluate once; check the contract; return the decision's dict, None if refused, or BEYOND."""
    before = repr(inputs)
    module = target.module
    try:
        decision = module.evaluate(inputs)
    except module.InvalidInput as err:
        assert repr(inputs) == before, "evaluate changed its input"
        assert_names_real_locations(err.errors, inputs)
        return BEYOND if beyond_range(err.errors) else None
    assert repr(inputs) == before, "evaluate changed its input"
    out = decision.to_dict()
    assert json.loads(json.dumps(out, allow_nan=False)) == out
    assert set(out["outputs"]) == set(target.schema["$defs"]["decision"]["properties"]["outputs"]["properties"])
    return out


def accepted(target: Target, inputs) -> bool:
    return call(target, inputs) is not None


# ---------------------------------------------------------------- strategies: junk

HUGE = st.sampled_from([2**31, 2**53 - 1, 2**53, 2**53 + 1, 2**63, -(2**63), 10**20, 10**100, -(10**100), 1e300, -1e300, float("inf"), float("nan"), 2.0**53, 1e16, 5e-324])
DATETIME_LIKE = st.sampled_from([
    "2025-06-01T14:00:00+09:00", "2025-06-01T14:00", "2025-06-01T14:00:00Z", "2025-06-01", "14:00",
    "2025-02-30T10:00", "2025-06-01 14:00", "2025-06-01T14:00:00+0900", "２０２５-06-01T14:00",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0000-01-01T00:00", "P1D", "PT30M", "-PT5M",
    "12.5", "-0", "1e3", "", " ", "\x00", "\ud800", "𝟚𝟘𝟚𝟝-06-01T14:00", "2025-06-01T14:00\n",
])
SCALARS = (st.none() | st.booleans() | st.integers() | HUGE | st.floats()
           | st.text(max_size=30) | DATETIME_LIKE)
JSON = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=8), kids, max_size=5),
                    max_leaves=12)


def field_names(schema: dict) -> list[str]:
    names = set(schema["properties"])
    for d in schema["$defs"].values():
        names |= set(d.get("properties", {})) if d.get("type") == "object" else set()
    return sorted(names - {"explanation", "outputs", "policy", "rule", "trace"})


def junk_mappings(target: Target):
    names = field_names(target.schema)
    key = st.sampled_from(names) | st.text(max_size=6)
    record = st.dictionaries(key, SCALARS | JSON, max_size=4)
    value = SCALARS | JSON | st.lists(record, max_size=3) | record
    return st.dictionaries(key, value, max_size=6)


# ---------------------------------------------------------------- strategies: well-formed, from the schema

# Zones an input datetime may be written in; None = naive (read in the policy's zone).
OFFSETS = [None, timezone.utc, timezone(timedelta(hours=9)), timezone(timedelta(hours=-3)),
           timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))]
BASE = st.shared(st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2034, 12, 31)), key="base")


@st.composite
def datetime_text(draw, policy_zone: ZoneInfo):
    """A real instant near the example's base instant, written in one of the shapes ISO 8601 allows."""
    base = draw(BASE).replace(tzinfo=policy_zone)
    instant = base + timedelta(minutes=draw(st.integers(-20 * 24 * 60, 20 * 24 * 60)))
    if draw(st.booleans()):
        instant = instant.replace(second=draw(st.integers(0, 59)))
    written = draw(st.sampled_from(OFFSETS))
    local = instant.astimezone(policy_zone if written is None else written)
    text = local.strftime("%Y-%m-%dT%H:%M")
    shape = draw(st.sampled_from(["minutes", "seconds", "fraction"]))
    if shape != "minutes" or local.second:
        text += local.strftime(":%S")
    if shape == "fraction":
        text += "." + draw(st.sampled_from(["0", "5", "250", "123456"]))
    if written is timezone.utc and draw(st.booleans()):
        return text + "Z"
    if written is not None:
        text += local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    return text


def duration_text(td: timedelta) -> str:
    secs = int(td.total_seconds())
    sign = "-" if secs < 0 else ""
    d, rem = divmod(abs(secs), 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    time = "".join(f"{n}{u}" for n, u in ((h, "H"), (m, "M"), (s, "S")) if n)
    out = f"{sign}P" + (f"{d}D" if d else "") + (f"T{time}" if time else "")
    return "PT0S" if out in ("P", "-P") else out


def _bounded_int(schema: dict, low: int, high: int):
    lo = max(low, schema.get("minimum", low))
    hi = min(high, schema.get("maximum", high))
    if lo > hi:  # the schema's range lies outside the window (a year: `min 1900 max 2999`)
        lo, hi = schema.get("minimum", low), schema.get("maximum", high)
    edges = [v for v in (schema.get("minimum"), schema.get("maximum")) if v is not None]
    return st.integers(lo, hi) | (st.sampled_from(edges) if edges else st.nothing())


def date_range(prop: dict) -> tuple[date, date]:
    """The written dates a date or datetime property allows, as its description says."""
    found = re.search(r"dated (\S+) to (\S+) as written", prop.get("description", ""))
    if found:
        return date.fromisoformat(found.group(1)), date.fromisoformat(found.group(2))
    return ES.DEFAULT_RANGE


def pattern_kind(pattern: str | None) -> str | None:
    if pattern is None:
        return None
    if pattern == ES.DURATION_PATTERN:
        return "duration"
    if pattern.endswith(f"{ES._OFFSET}?$"):
        return "datetime"
    if re.search(pattern, "2025-06-02"):
        return "date"
    if re.search(pattern, "0"):
        return "number"
    raise AssertionError(f"unknown pattern {pattern}")


@st.composite
def edge_datetime(draw, first: date, last: date) -> str:
    """A datetime written on the first or last day of its range, at either end of the day, with
    the offsets that move the policy zone's date furthest."""
    day = draw(st.sampled_from([first, last]))
    clock = draw(st.sampled_from(["00:00", "00:00:00", "23:59", "23:59:59", "23:59:59.999999", "12:00"]))
    return f"{day.isoformat()}T{clock}" + draw(st.sampled_from(["", "Z", "+23:59", "-23:59", "+14:00", "-12:00", "+09:00"]))


def from_schema(schema: dict, defs: dict, zone: ZoneInfo, dates: tuple[date, date] = ES.DEFAULT_RANGE):
    """Values the schema accepts, shaped like real service input."""
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[1]], defs, zone)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, defs, zone, dates) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    pattern = schema.get("pattern")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        if schema.get("minimum") == 0:  # money
            return _bounded_int(schema, 0, 200_000) | _bounded_int(schema, 0, 10**12)
        return _bounded_int(schema, -1000, 1000) | _bounded_int(schema, -(10**12), 10**12)
    if kind == ["integer", "string"]:  # number, percent
        whole = _bounded_int(schema, -1000, 1000)
        written = st.integers(-1000, 1000) | st.sampled_from([10**15 - 1, -(10**15 - 1), 0])  # 15 digits at most
        decimal = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
        lo, hi = schema["minimum"], schema["maximum"]  # the pattern says the same of a string
        text = written.map(str) | decimal.map(lambda d: format(d, "f")) | st.just("0.0000000001")
        return whole | text.filter(lambda t: lo <= Decimal(t) <= hi)
    if kind == "string":
        kind = pattern_kind(pattern)
        first, last = dates
        if kind == "datetime":
            within = datetime_text(zone).filter(lambda t: first.isoformat() <= t[:10] <= last.isoformat())
            return within | edge_datetime(first, last)
        if kind == "date":
            within = st.dates(max(first, date(2015, 1, 1)), min(last, date(2034, 12, 31)))
            return (within | st.sampled_from([first, last, date(2024, 2, 29)]).filter(lambda d: first <= d <= last)).map(date.isoformat)
        if kind == "duration":
            return st.timedeltas(timedelta(days=-30), timedelta(days=30)).map(duration_text)
        assert pattern is None, f"no strategy for the pattern {pattern}"
        return st.text(max_size=min(schema.get("maxLength", 40), 40))
    if kind == "array":
        return st.lists(from_schema(schema["items"], defs, zone), max_size=min(schema.get("maxItems", 12), 12))
    if kind == "object":
        props = schema["properties"]
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: from_schema(v, defs, zone, date_range(v)) for k, v in props.items() if k in required},
            optional={k: from_schema(v, defs, zone, date_range(v)) for k, v in props.items() if k not in required},
        )
    raise AssertionError(f"no strategy for {schema}")


def valid_inputs(target: Target):
    if target.valid is None:
        target.valid = _valid_inputs(target)
    return target.valid


def _valid_inputs(target: Target):
    found = re.search(r"read in ([A-Za-z0-9_/+-]+)", json.dumps(target.schema))
    zone = ZoneInfo(found.group(1)) if found else SEOUL
    return from_schema(target.schema, target.schema["$defs"], zone)


# ---------------------------------------------------------------- 1. arbitrary input never breaks an evaluator


@fuzz(1000)
@given(data=st.data())
def test_arbitrary_json_is_decided_or_refused(targets, data):
    target = data.draw(st.sampled_from(targets), label="target")
    call(target, data.draw(JSON))


@fuzz(1000)
@given(data=st.data())
def test_own_field_names_with_junk_values_are_decided_or_refused(targets, data):
    target = data.draw(st.sampled_from(targets), label="target")
    call(target, data.draw(junk_mappings(target)))


@fuzz(600)
@given(data=st.data())
def test_valid_input_with_junk_in_some_fields(targets, data):
    target = data.draw(st.sampled_from(targets), label="target")
    inp = data.draw(valid_inputs(target))
    for key in data.draw(st.lists(st.sampled_from(sorted(target.schema["properties"])), max_size=3, unique=True)):
        inp[key] = data.draw(JSON)
    call(target, inp)


@pytest.mark.parametrize("value", [[], ["fare"], "", "{}", 0, 1.5, None, True, b"{}", ({},), object()], ids=repr)
def test_non_objects_are_refused_at_the_root(targets, value):
    for target in targets:
        with pytest.raises(target.module.InvalidInput) as info:
            target.module.evaluate(value)
        assert [e["path"] for e in info.value.errors] == [""], target


# ---------------------------------------------------------------- 2. well-formed input is accepted and its decision fits


@fuzz(1500)
@given(data=st.data())
def test_schema_valid_input_is_accepted_and_the_decision_fits(targets, data):
    target = data.draw(st.sampled_from(targets), label="target")
    inp = data.draw(valid_inputs(target))
    assert target.input_validator.is_valid(inp), list(target.input_validator.iter_errors(inp))
    out = call(target, inp)
    assert out is not None, f"refused a schema-valid input: {inp}"
    if out is BEYOND:
        return
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in target.decision_validator.iter_errors(out)]
    assert errors == []
    # Identical (and equal, freshly copied) input gives an identical decision.
    assert call(target, copy.deepcopy(inp)) == out
    assert target.module.evaluate(inp) == target.module.evaluate(copy.deepcopy(inp))


# ---------------------------------------------------------------- 3. schema ≡ evaluator on near misses

MALFORMED_DATETIMES = [
    "2025-06-01 14:00", "2025-06-01T14:00:00+0900", "2025-06-01T14", "2025-06-01T14:00:00+09", "2025-6-1T14:00",
    "2025-06-01T14:00:00.1234567", "2025-06-01T14:00:00,5", "2025-06-01T14:00Z+09:00", "2025-06-01t14:00",
    "2025-06-01T14:00:00z", "2025-06-01T14:00:00 +09:00", " 2025-06-01T14:00", "2025-06-01T14:00\n",
    "2025-13-01T10:00", "2025-00-10T10:00", "2025-06-00T10:00", "2025-06-32T10:00", "2025-06-01T24:00",
    "2025-06-01T23:60", "2025-06-01T23:59:60", "2025-06-01T10:00:00+24:00", "2025-06-01T10:00:00+09:60",
    "2025-06-01T10:00:00-99:99", "0000-06-01T10:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59", "0001-01-01T00:00", "20250601T1400", "2025-06-01", "14:00", "",
]
MALFORMED_DATES = ["2025-6-1", "2025-13-01", "2025-00-01", "2025-01-32", "2025-01-00", "20250101", "2025-01-01T00:00",
                   "0000-01-01", "0001-01-01", "9999-12-31", "2025-01-01\n", "", "２０２５-01-01"]
MALFORMED_DURATIONS = ["P", "PT", "-P", "P1DT", "PT1.5H", "P1H", "PT1D", "1:00", "P1W", "P1Y", "p1d", "PT-5M",
                       "P99999999999D", "PT99999999999999H", "PT0S", "P1D\n", ""]
MALFORMED_NUMBERS = ["1e3", ".5", "5.", "+1", "1,000", "0x10", "NaN", "Infinity", "-", "", " 1", "1\n",
                     "9" * 40, "0." + "9" * 40, "١٢"]
# Days a month lacks: the schema's date pattern spells out the days of each month, so both refuse them.
IMPOSSIBLE_DAYS = ["2025-02-29T10:00", "2025-02-30T10:00", "2025-04-31T10:00", "2023-02-29", "2025-06-31",
                   "2100-02-29T00:00", "1900-02-29T12:00", "2025-02-29", "2100-02-29"]
# Newlines where Python's `$` would let a pattern end, and other edges of the shapes.
NEWLINES = ["2025-01-01T00:00:00+09:00\n", "2025-01-01\n", "PT1H\n", "12\n", "2025-01-01T00:00:00+09:00\r",
            "2025-01-01T00:00\n\n", "\n2025-01-01"]
UNICODE_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९０１２３４５６７８９𝟎𝟏𝟐"


def locations(inp: dict, schema: dict, defs: dict, prefix=()):
    """(path tuple, property schema, required) for every field of inp and of its records."""
    for name, prop in schema["properties"].items():
        yield prefix + (name,), prop, name in schema.get("required", ())
        value = inp.get(name)
        items = _array_items(prop, defs)
        if items is not None and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    yield from locations(item, items, defs, prefix + (name, i))


def _array_items(prop: dict, defs: dict):
    for s in [prop, *prop.get("anyOf", ())]:
        if s.get("type") == "array" and "$ref" in s["items"]:
            return defs[s["items"]["$ref"].rsplit("/", 1)[1]]
    return None


def _scalar_kind(prop: dict, defs: dict) -> str:
    for s in [prop, *prop.get("anyOf", ())]:
        if "$ref" in s:
            return "enum" if "enum" in defs[s["$ref"].rsplit("/", 1)[1]] else "record"
        if s.get("type") == "null":
            continue
        kind = pattern_kind(s.get("pattern"))
        if kind in ("datetime", "date", "duration"):
            return kind
        if s.get("type") == ["integer", "string"]:
            return "number"
        if s.get("type") == "integer":
            return "money" if s.get("minimum") == 0 else "int"
        return str(s.get("type"))
    return "?"


def _unicode_digit(draw, value: str) -> str:
    spots = [i for i, ch in enumerate(value) if ch.isascii() and ch.isdigit()]
    if not spots:
        return value + draw(st.sampled_from(UNICODE_DIGITS))
    i = draw(st.sampled_from(spots))
    return value[:i] + draw(st.sampled_from(UNICODE_DIGITS)) + value[i + 1:]


WRONG_TYPES = st.sampled_from([None, True, False, 0, -1, 1.5, 30000.0, -0.0, "", "x", "30000", [], {}, [1], {"a": 1},
                               2**53 - 1, 2**53, 2**53 + 1, 10**30, float("inf"), float("nan")])


def edges_of(prop: dict, kind: str) -> list:
    """Values at and just past the ends of a date or datetime property's range, written with the
    offsets that move the zone's date furthest; huge and edge numbers for the rest."""
    first, last = date_range(prop)
    days = [first - timedelta(days=1), first, last, last + timedelta(days=1), date(1899, 12, 31), date(3000, 1, 1)]
    if kind == "date":
        return [d.isoformat() for d in days]
    if kind == "datetime":
        return [f"{d.isoformat()}T{t}{o}" for d in days for t in ("00:00", "23:59:59.999999")
                for o in ("", "Z", "+23:59", "-23:59")]
    if kind == "number":
        return ["999999999999999", "-999999999999999", "1000000000000000", "0.00000000001", "-0", "-0.0",
                "100", "100.0", "100.0000000001", "250", 9007199254740991, -9007199254740991, 9007199254740992]
    return [2**53 - 1, 2**53, -(2**53 - 1), -(2**53), 2.0**53, 9007199254740991.0, 10**16, -0.0, 0, -1]


@st.composite
def near_misses(draw, target: Target):
    inp = draw(valid_inputs(target))
    defs = target.schema["$defs"]
    path, prop, required = draw(st.sampled_from(list(locations(inp, target.schema, defs))))
    *parents, leaf = path
    node = inp
    for p in parents:
        node = node[p]
    kind = _scalar_kind(prop, defs)
    how = draw(st.sampled_from(["wrong type", "null", "missing", "extra field", "shape", "unicode digit", "edge"]))
    if how == "wrong type":
        node[leaf] = draw(WRONG_TYPES | HUGE)
    elif how == "null":
        node[leaf] = None
    elif how == "missing":
        node.pop(leaf, None)
    elif how == "extra field":
        node[draw(st.sampled_from(["extra", "", "a/b", "~0", "Fare", leaf + " "]))] = draw(SCALARS)
    elif how == "shape":
        pool = {"datetime": MALFORMED_DATETIMES, "date": MALFORMED_DATES, "duration": MALFORMED_DURATIONS,
                "number": MALFORMED_NUMBERS,
                "money": [-1, -(10**9), 1.5, 1e20, 2**53, 2**53 - 1, 10**30, 0.5, 30000.0, True],
                "int": [2**53, -(2**53), 2**53 - 1, 10**30, 1.5, 7.0, True],
                "text": ["x" * 10_001, "x" * 41, "ok", "\ud800", "\x00"],
                "enum": ["LOW", " low", "", "low\n"]}.get(kind, [None])
        node[leaf] = draw(st.sampled_from(pool + NEWLINES + (IMPOSSIBLE_DAYS if kind in ("date", "datetime") else [])))
    elif how == "edge":
        node[leaf] = draw(st.sampled_from(edges_of(prop, kind) if kind != "?" else [None]))
    else:  # unicode digit
        value = node.get(leaf)
        node[leaf] = _unicode_digit(draw, value if isinstance(value, str) else str(value))
    return inp


def schema_agrees_with_evaluator(target: Target, inp) -> None:
    by_schema = target.input_validator.is_valid(inp)
    by_evaluator = accepted(target, inp)
    assert by_schema == by_evaluator, (
        f"schema {'accepts' if by_schema else 'refuses'}, evaluator {'accepts' if by_evaluator else 'refuses'}: "
        f"{inp!r}; schema says {[e.message for e in target.input_validator.iter_errors(inp)]}")


# The core tier's CPU budget is tight: a few hundred near misses there, many more in the slow tier.
# Off-line, run the slow one longer: `POLICYC_FUZZ_EXAMPLES=80000 pytest -m slow -k accepts_exactly`.
SLOW_EXAMPLES = int(os.environ.get("POLICYC_FUZZ_EXAMPLES", "12000"))


@fuzz(250)
@given(data=st.data())
def test_schema_accepts_exactly_what_the_evaluator_accepts(targets, data):
    target = data.draw(st.sampled_from(targets), label="target")
    schema_agrees_with_evaluator(target, data.draw(near_misses(target)))


@pytest.mark.slow
@fuzz(SLOW_EXAMPLES)
@given(data=st.data())
def test_schema_accepts_exactly_what_the_evaluator_accepts_many(targets, data):
    target = data.draw(st.sampled_from(targets), label="target")
    schema_agrees_with_evaluator(target, data.draw(near_misses(target)))


@pytest.mark.parametrize("value", IMPOSSIBLE_DAYS)
def test_days_that_do_not_exist_are_refused_by_the_schema_and_the_evaluator(value):
    """The schema's pattern used to accept 2025-02-30; the evaluator refused it."""
    if "T" not in value:
        assert not re.search(ES.DATE_PATTERN, value)
        return
    target = get_target("pet_taxi.cancellation_fee")
    inp = {"fare": 1000, "departure_at": value, "cancelled_at": "2025-01-01T00:00"}
    assert not target.input_validator.is_valid(inp)
    with pytest.raises(target.module.InvalidInput) as info:
        target.module.evaluate(inp)
    assert [e["path"] for e in info.value.errors] == ["/departure_at"]


# ---------------------------------------------------------------- 4. money


def _money_outputs(target: Target) -> list[str]:
    props = target.schema["$defs"]["decision"]["properties"]["outputs"]["properties"]
    return [k for k, v in props.items() if "amount in won" in v.get("description", "")]


# Policies known to compute a negative amount from a schema-valid input (none now: the
# settlement policy declares `insured_minutes: int min 0`).
NEGATIVE_MONEY: dict[str, dict] = {}


def test_negative_minutes_are_refused_as_input():
    target = get_target("pet_taxi.settlement")
    with pytest.raises(target.module.InvalidInput) as err:
        target.module.evaluate({"event": "completed", "insured_minutes": -1})
    assert [e["path"] for e in err.value.errors] == ["/insured_minutes"]


@fuzz(1000)
@given(data=st.data())
def test_money_outputs_are_never_negative(targets, data):
    target = data.draw(st.sampled_from([t for t in targets if t.id not in NEGATIVE_MONEY]), label="target")
    out = call(target, data.draw(valid_inputs(target)))
    if out is BEYOND:
        return
    for name in _money_outputs(target):
        value = out["outputs"][name]
        assert value is None or (type(value) is int and value >= 0), (name, value)


@fuzz(500)
@given(data=st.data())
def test_pet_taxi_fee_never_exceeds_the_largest_cap_nor_the_fare(data):
    target = get_target("pet_taxi.cancellation_fee")
    inp = data.draw(valid_inputs(target))
    inp["fare"] = data.draw(st.integers(0, 200_000) | st.sampled_from([0, 1, 8_000, 15_000, 30_000, 30_001, 2**53 - 1]))
    out = call(target, inp)
    assert 0 <= out["outputs"]["fee"] <= min(30_000, inp["fare"])


@fuzz(500)
@given(data=st.data())
def test_jeju_fee_and_refund_add_up_to_what_was_paid(data):
    target = get_target("jeju_rentcar.cancellation_fee")
    inp = data.draw(valid_inputs(target))
    for key in ("card_amount", "point_amount"):
        inp[key] = data.draw(st.integers(0, 10**7) | st.sampled_from([0, 1, 3, 99, 2**53 - 1]))
    o = call(target, inp)["outputs"]
    assert 0 <= o["card_fee"] <= inp["card_amount"] and o["card_fee"] + o["card_refund"] == inp["card_amount"]
    assert 0 <= o["point_fee"] <= inp["point_amount"] and o["point_fee"] + o["point_refund"] == inp["point_amount"]
    assert 0 <= o["fee_percent"] <= 100


# ---------------------------------------------------------------- 5. list bounds and deep pointers

SUSPENSION = "callbus.suspension"


def _penalty(i: int) -> dict:
    return {"kind": "no_show" if i % 2 else "late_cancel", "at": f"2025-04-{1 + i % 28:02d}T08:00:00+09:00"}


def test_a_list_past_its_bound_is_refused_at_the_list():
    m = get_target(SUSPENSION).module
    base = {"as_of": "2025-04-19T12:00:00+09:00"}
    assert m.evaluate({**base, "penalties": [_penalty(i) for i in range(1000)]}).outputs["suspended"] is True
    with pytest.raises(m.InvalidInput) as info:
        m.evaluate({**base, "penalties": [_penalty(i) for i in range(1001)]})
    assert info.value.errors == [{"path": "/penalties", "message": "expected at most 1000 items, got 1001"}]
    assert not get_target(SUSPENSION).input_validator.is_valid({**base, "penalties": [_penalty(i) for i in range(1001)]})
    with pytest.raises(m.InvalidInput) as info:
        m.evaluate({**base, "penalties": [], "reservations": [{"id": str(i), "departure_at": base["as_of"]} for i in range(1001)]})
    assert [e["path"] for e in info.value.errors] == ["/reservations"]


def test_wrong_values_deep_in_a_list_are_named_by_their_full_pointer():
    m = get_target(SUSPENSION).module
    penalties = [_penalty(i) for i in range(6)]
    penalties[3] = {"kind": "no_show", "at": "2025-04-03 08:00"}
    penalties[4] = {"kind": "late", "at": "2025-04-03T08:00", "why": 1}
    penalties[5] = "no_show"
    with pytest.raises(m.InvalidInput) as info:
        m.evaluate({"as_of": "2025-04-19T12:00:00+09:00", "penalties": penalties,
                    "reservations": [{"id": 7, "departure_at": "2025-04-20T07:30"}, {"departure_at": None}]})
    assert sorted(e["path"] for e in info.value.errors) == [
        "/penalties/3/at", "/penalties/4/kind", "/penalties/4/why", "/penalties/5",
        "/reservations/0/id", "/reservations/1/departure_at", "/reservations/1/id",
    ]


@fuzz(200)
@given(data=st.data())
def test_one_bad_item_is_named_by_its_index(data):
    target = get_target(SUSPENSION)
    inp = data.draw(valid_inputs(target))
    inp["penalties"] = data.draw(st.lists(st.builds(_penalty, st.integers(0, 50)), min_size=1, max_size=30))
    i = data.draw(st.integers(0, len(inp["penalties"]) - 1))
    field = data.draw(st.sampled_from(["kind", "at"]))
    inp["penalties"][i] = {**inp["penalties"][i], field: data.draw(WRONG_TYPES)}
    with pytest.raises(target.module.InvalidInput) as info:
        target.module.evaluate(inp)
    assert [e["path"] for e in info.value.errors] == [f"/penalties/{i}/{field}"]


# ---------------------------------------------------------------- 6. what the fuzzers found, pinned


@pytest.mark.parametrize("policy_id, inputs, path", [
    # Python's datetime ends at year 9999: `registered_at + 24h` raised OverflowError.
    ("parking_pass.registration", {"ownership_verified": False, "registered_at": "9999-12-31T23:00:00",
                                   "as_of": "2025-12-31T23:00:00"}, "/registered_at"),
    # last day of the month of December 9999 raised ValueError (year 10000).
    (SUSPENSION, {"as_of": "9999-12-15T00:00:00+09:00",
                  "penalties": [{"kind": "no_show", "at": "2025-12-01T00:00:00+09:00"}] * 3}, "/as_of"),
    # Read in Seoul (local mean time +08:27:52 in year 1), year 1 +09:00 fell before year 1: OverflowError.
    (SUSPENSION, {"as_of": "2025-01-01T00:00:00+09:00",
                  "penalties": [{"kind": "no_show", "at": "0001-01-01T00:00:00+09:00"}]}, "/penalties/0/at"),
    ("pet_taxi.cancellation_fee", {"fare": 1, "departure_at": "2025-06-01T14:00:00+14:00",
                                   "cancelled_at": "0001-01-01T00:00:00+14:00"}, "/cancelled_at"),
    # datetime.fromisoformat reads the offset "+09:60" as +10:00; the schema refused it.
    ("pet_taxi.cancellation_fee", {"fare": 1, "departure_at": "2025-06-01T10:00:00+09:60",
                                   "cancelled_at": "2025-06-01T10:00:00+09:00"}, "/departure_at"),
    # A trailing newline: Python's `$` let the schema accept it.
    ("pet_taxi.cancellation_fee", {"fare": 1, "departure_at": "2025-06-01T10:00\n",
                                   "cancelled_at": "2025-06-01T10:00:00+09:00"}, "/departure_at"),
    # More than 4300 digits: the explanation (f"{fare:,}") and json.dumps raised ValueError.
    ("pet_taxi.cancellation_fee", {"fare": 10**5000, "no_show": True, "departure_at": "2025-06-01T14:00:00+09:00",
                                   "cancelled_at": "2025-06-01T10:00:00+09:00"}, "/fare"),
    # A float past 2**53 is no exact amount; the schema said integer with no maximum.
    ("pet_taxi.cancellation_fee", {"fare": 1e300, "departure_at": "2025-06-01T14:00:00+09:00",
                                   "cancelled_at": "2025-06-01T10:00:00+09:00"}, "/fare"),
], ids=["year-9999-plus-24h", "december-9999", "year-1-in-seoul", "year-1-plus-14", "offset-minute-60",
        "trailing-newline", "5000-digit-fare", "float-1e300-fare"])
def test_found_by_fuzzing_refused_by_schema_and_evaluator(policy_id, inputs, path):
    target = get_target(policy_id)
    if inputs.get("fare") != 10**5000:  # jsonschema's own message would print it, and Python refuses
        assert not target.input_validator.is_valid(inputs)
    with pytest.raises(target.module.InvalidInput) as info:
        target.module.evaluate(inputs)
    assert [e["path"] for e in info.value.errors] == [path]


def test_the_edges_of_the_supported_years_are_decided():
    target = get_target("parking_pass.registration")
    for registered, as_of in [("1900-01-01T00:00", "1900-01-01T00:00"), ("2999-12-31T23:59:59-23:59", "2999-12-31T23:59:59")]:
        inp = {"ownership_verified": False, "registered_at": registered, "as_of": as_of}
        assert target.input_validator.is_valid(inp)
        out = call(target, inp)
        # 1900 in Seoul is local mean time, +08:27:52: the decision schema allows an offset with seconds.
        assert list(target.decision_validator.iter_errors(out)) == [], out
    assert out["outputs"]["provisional_expires_at"].startswith("3000-01-0")
