"""The JSON Schema says exactly what the evaluator accepts: patterns, date ranges, bounds, `$id`.

The property test over near misses is tests/test_fuzz.py
(test_schema_accepts_exactly_what_the_evaluator_accepts); these are the exact cases and the
exhaustive checks of the pattern builders.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from compiler import emit_schema as ES
from compiler import pipeline
from compiler.input_ranges import HOLIDAY_YEARS, date_ranges
from tests.support import compile_policy, project_data

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,10})?\Z")  # runtime._NUMBER_RE


def _schemas() -> dict[str, dict]:
    return {p.relative_to(ROOT / "generated" / "schemas").as_posix(): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "generated" / "schemas").rglob("*.json"))}


def _patterns(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for v in node.values() for p in _patterns(v)]
    if isinstance(node, list):
        return [p for v in node for p in _patterns(v)]
    return []


# Look-arounds, back-references and the anchors only some engines have.
_NOT_PORTABLE = re.compile(r"\(\?[=!<]|\\[1-9]|\\k<|\\[zZAGbB]|\\d|\\w|\\s|\(\?[imsx]")


def _every_pattern() -> list[str]:
    found = {p for schema in _schemas().values() for p in _patterns(schema)}
    found |= {ES.DATETIME_INPUT_PATTERN, ES.DATE_PATTERN, ES.DURATION_PATTERN, ES.DECIMAL_PATTERN,
              ES.DATETIME_OUTPUT_PATTERN, ES.NO_NEWLINE["pattern"], ES.number_pattern(0, 100), ES.number_pattern(-5, None)}
    return sorted(found)


def test_every_pattern_uses_only_syntax_re2_and_ecma_262_share():
    patterns = _every_pattern()
    assert len(patterns) > 8
    for p in patterns:
        assert not _NOT_PORTABLE.search(p), p


def test_every_pattern_compiles_under_re2():
    re2 = pytest.importorskip("re2", reason="google-re2 (the test extra) is not installed")
    for p in _every_pattern():
        re2.compile(p)  # raises re2.error on a look-around or back-reference
    with pytest.raises(Exception):
        re2.compile("^a$(?!\\n)")  # the old datetime pattern's ending


@pytest.mark.parametrize("text", ["2025-01-01T00:00:00+09:00\n", "2025-01-01T00:00\n", "\n2025-01-01T00:00",
                                  "2025-01-01T00:00:00+09:00\n\n"])
def test_a_newline_is_refused_by_the_schema_and_the_evaluator(text):
    schema = _schemas()["pet_taxi/cancellation_fee.json"]
    inp = {"fare": 1000, "departure_at": text, "cancelled_at": "2025-01-01T00:00:00+09:00"}
    assert not Draft202012Validator(schema).is_valid(inp)
    module = pipeline.import_evaluator("pet_taxi.cancellation_fee", ROOT)
    with pytest.raises(module.InvalidInput) as info:
        module.evaluate(inp)
    assert [e["path"] for e in info.value.errors] == ["/departure_at"]
    # The same pattern without the `not` would let Python's `$` take the final newline.
    prop = schema["properties"]["departure_at"]
    assert re.search(prop["pattern"], "2025-01-01T00:00:00+09:00\n")
    assert prop["not"] == ES.NO_NEWLINE


# ---------------------------------------------------------------- date patterns, against the calendar


def _is_date_in(text: str, first: date, last: date) -> bool:
    try:
        return first <= date.fromisoformat(text) <= last
    except ValueError:
        return False


def _assert_date_pattern(first: date, last: date, years) -> None:
    rx = re.compile(ES.date_input_pattern(first, last))
    for y, m, d in itertools.product(years, range(0, 14), range(0, 33)):
        text = f"{y:04d}-{m:02d}-{d:02d}"
        assert bool(rx.search(text)) == _is_date_in(text, first, last), (text, first, last)


def test_the_date_pattern_knows_the_days_of_each_month_and_the_leap_years():
    # Every string of the edge years and the leap-year rules (2000 and 2400 leap, 1900, 2100 and 2900 not).
    _assert_date_pattern(*ES.DEFAULT_RANGE, [1899, 1900, 1901, 1904, 1999, 2000, 2024, 2025, 2100, 2400, 2900, 2996, 2999, 3000])
    for text in ["2025-02-30", "2025-02-29", "2023-02-29", "2100-02-29", "2025-04-31", "2025-06-31", "1900-02-29"]:
        assert not re.search(ES.DATE_PATTERN, text), text
    for text in ["2024-02-29", "2000-02-29", "2400-02-29", "2025-01-31", "2025-04-30", "1900-01-01", "2999-12-31"]:
        assert re.search(ES.DATE_PATTERN, text), text


def test_a_date_range_pattern_matches_exactly_the_days_of_the_range():
    rnd = random.Random(7)
    low, high = date(1995, 1, 1).toordinal(), date(2045, 12, 31).toordinal()
    for _ in range(20):
        a = date.fromordinal(rnd.randint(low, high))
        b = date.fromordinal(rnd.randint(a.toordinal(), high))
        _assert_date_pattern(a, b, sorted({a.year - 1, a.year, a.year + 1, b.year, b.year + 1}))
    _assert_date_pattern(date(2024, 2, 29), date(2024, 2, 29), [2024])


@pytest.mark.slow
def test_the_date_pattern_matches_every_day_of_every_year():
    _assert_date_pattern(*ES.DEFAULT_RANGE, range(1890, 3011))


# ---------------------------------------------------------------- bounded decimals written as strings


def _number_strings(rnd: random.Random, bounds) -> list[str]:
    out = []
    for b in bounds:
        if b is not None:
            out += [str(b), f"{b}.0", f"{b}.0000000001", f"{b - 1}.9999999999", f"0{abs(b)}", f"-0{abs(b)}"]
    for _ in range(400):
        whole = rnd.choice(["0", "00", "5", "05", "99", "100", "101", "0100", "9" * 15, "0" * 15, "0" * 14 + "7",
                            "0" * 16, str(rnd.randint(0, 10 ** rnd.randint(1, 16)))])
        out.append(rnd.choice(["", "-"]) + whole + rnd.choice(["", ".0", ".00", ".5", ".0000000001", ".9999999999",
                                                               ".00000000000"]))
    return out


@pytest.mark.parametrize("low, high", [(0, 100), (0, None), (None, 0), (1, 12), (-5, 5), (-100, -1), (7, 7),
                                       (None, 10**15 - 1), (-(10**15 - 1), None), (250, 10**6)])
def test_a_bounded_number_pattern_matches_exactly_the_strings_in_range(low, high):
    rx = re.compile(ES.number_pattern(low, high))
    for text in _number_strings(random.Random(low or 0), (low, high)):
        want = bool(NUMBER.match(text)) and (low is None or Decimal(text) >= low) and (high is None or Decimal(text) <= high)
        assert bool(rx.search(text)) == want, (text, low, high)


BOUNDED = r'''
policy bounds.numbers "범위"
  source "x.txt" section "범위"
  zone Asia/Seoul

input share: percent min 0 max 100 "지분"
input factor: number min 1 max 5 = 1 "계수"

output kept: percent = share "지분"

rule only "지분 {share}, 계수 {factor}"
  otherwise
'''


@pytest.fixture(scope="module")
def bounded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bounded")
    module = compile_policy(tmp, "bounds.numbers", BOUNDED)
    schema = json.loads((tmp / "generated" / "schemas" / "bounds" / "numbers.json").read_text(encoding="utf-8"))
    return module, Draft202012Validator(schema)


@pytest.mark.parametrize("inp, ok", [
    ({"share": "100"}, True), ({"share": "100.0"}, True), ({"share": "100.5"}, False), ({"share": "250"}, False),
    ({"share": "-0.5"}, False), ({"share": "-0"}, True), ({"share": "0.0000000001"}, True), ({"share": 101}, False),
    ({"share": 50, "factor": "0.9999999999"}, False), ({"share": 50, "factor": "1"}, True),
    ({"share": 50, "factor": "5.0000000001"}, False), ({"share": 50, "factor": "0005.0"}, True),
    ({"share": 50, "factor": "-1"}, False), ({"share": 50, "factor": 0}, False), ({"share": 50, "factor": 5}, True),
])
def test_the_bounds_of_a_number_hold_for_decimals_written_as_strings(bounded, inp, ok):
    """`minimum` and `maximum` say nothing of a string: the old schema took "250" for a percent max 100."""
    module, validator = bounded
    assert validator.is_valid(inp) == ok
    if ok:
        module.evaluate(inp)
    else:
        with pytest.raises(module.InvalidInput):
            module.evaluate(inp)


# ---------------------------------------------------------------- business days: inside the holiday table


def _target(policy_id: str):
    domain, _, name = policy_id.partition(".")
    schema = json.loads((ROOT / "generated" / "schemas" / domain / f"{name}.json").read_text(encoding="utf-8"))
    return pipeline.import_evaluator(policy_id, ROOT), Draft202012Validator(schema)


CALENDAR_POLICIES = {
    "jeju_rentcar.refund_deadline": ("received_at", {"kind": "card_cancel"}),
    "jeju_rentcar.cancel_channel": ("cancel_at", {"pickup_at": "2025-06-01T10:00:00+09:00"}),
    "jeju_rentcar.flight_cancellation_refund": ("pickup_at", {"cause": "own_decision"}),
    "pet_taxi.mate_review_period": ("started_at", {"kind": "new_signup"}),
}


@pytest.mark.parametrize("policy_id", sorted(CALENDAR_POLICIES))
@pytest.mark.parametrize("written", ["2014-12-31T12:00:00+09:00", "2036-01-02T12:00:00+09:00", "2035-12-31T23:00:00",
                                     "2015-01-01T00:00:00+14:00", "1900-01-01T00:00:00Z", "2999-12-31T00:00"])
def test_a_date_the_calendar_does_not_cover_is_refused_at_its_field(policy_id, written):
    """It used to pass the schema and be refused with the path "" when the calendar ran out."""
    field, rest = CALENDAR_POLICIES[policy_id]
    module, validator = _target(policy_id)
    inp = {**rest, field: written}
    assert not validator.is_valid(inp)
    with pytest.raises(module.InvalidInput) as info:
        module.evaluate(inp)
    assert [e["path"] for e in info.value.errors] == [f"/{field}"]
    assert "dated 2015-01-02 to 2035-" in info.value.errors[0]["message"]


@pytest.mark.parametrize("policy_id", sorted(CALENDAR_POLICIES))
def test_the_first_and_last_days_the_schema_allows_are_decided_with_any_offset(policy_id):
    field, rest = CALENDAR_POLICIES[policy_id]
    module, validator = _target(policy_id)
    prop = validator.schema["properties"][field]
    first, last = (date.fromisoformat(d) for d in re.search(r"dated (\S+) to (\S+) as written", prop["description"]).groups())
    for day, inside in [(first, True), (last, True), (first - timedelta(days=1), False), (last + timedelta(days=1), False)]:
        for clock, offset in itertools.product(["00:00:00", "23:59:59.999999"], ["+23:59", "-23:59", "Z", "", "+09:00"]):
            inp = {**rest, field: f"{day.isoformat()}T{clock}{offset}"}
            assert validator.is_valid(inp) == inside, inp
            if inside:
                module.evaluate(inp)  # no error from the calendar
            else:
                with pytest.raises(module.InvalidInput) as info:
                    module.evaluate(inp)
                assert [e["path"] for e in info.value.errors] == [f"/{field}"]


def _analysis(policy_id: str):
    from compiler.check import analyze
    from dsl.parser import parse

    domain, _, name = policy_id.partition(".")
    path = ROOT / "policies" / domain / f"{name}.policy"
    return analyze(parse(path.read_text(encoding="utf-8"), str(path)))


def test_the_range_of_an_input_read_by_a_business_day_function():
    # Korea is +09:00 all year: the date written with -23:59 can be two days later there, with +23:59 one earlier.
    assert date_ranges(_analysis("jeju_rentcar.cancel_channel")) == {
        "cancel_at": (date(HOLIDAY_YEARS[0], 1, 2), date(HOLIDAY_YEARS[1], 12, 29))}
    # 2035-12-19 (the last local date whose 7 business days end by 31 December) less two days.
    assert date_ranges(_analysis("jeju_rentcar.refund_deadline")) == {"received_at": (date(2015, 1, 2), date(2035, 12, 17))}
    assert date_ranges(_analysis("pet_taxi.cancellation_fee")) == {}


COUNTED = r'''
policy calendar.counted "영업일"
  source "x.txt" section "영업일"
  zone Asia/Seoul

input at: datetime "시각"
input days: int "영업일 수"

output due: date = add_business_days(at + 1d, days) "기한"
output open_day: bool = is_business_day(at + 1d) "영업일"

rule only "기한 {due}"
  otherwise
'''


def test_a_count_the_schema_cannot_bound_names_the_input_the_date_comes_from(tmp_path):
    module = compile_policy(tmp_path, "calendar.counted", COUNTED)
    assert module.evaluate({"at": "2025-06-02T10:00", "days": 1}).outputs["due"] == "2025-06-04"
    for inp in [{"at": "2025-06-02T10:00", "days": 10**6}, {"at": "2035-12-31T10:00", "days": 0}]:
        with pytest.raises(module.InvalidInput) as info:
            module.evaluate(inp)
        assert [e["path"] for e in info.value.errors] == ["/at"]
        assert "covers the years 2015 to 2035" in info.value.errors[0]["message"]


# ---------------------------------------------------------------- the schema base URI, a project setting


def _project(tmp: Path, pyproject: str | None) -> Path:
    (tmp / "policies" / "bounds").mkdir(parents=True)
    (tmp / "policies" / "bounds" / "numbers.policy").write_text(BOUNDED, encoding="utf-8")
    (tmp / "policies" / "bounds" / "numbers.examples.yaml").write_text("[]\n", encoding="utf-8")
    project_data(tmp)
    if pyproject is not None:
        (tmp / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return tmp


def _id(files: dict[str, str]) -> str:
    return json.loads(files["schemas/bounds/numbers.json"])["$id"]


@pytest.mark.parametrize("pyproject, expected", [
    (None, "urn:policyc:schemas/bounds/numbers.json"),
    ('[project]\nname = "x"\n', "urn:policyc:schemas/bounds/numbers.json"),
    ('[tool.policyc]\nschema_base_uri = "https://schemas.example.com/policy/"\n',
     "https://schemas.example.com/policy/bounds/numbers.json"),
])
def test_the_schema_id_is_under_the_projects_base_uri(tmp_path, pyproject, expected):
    result, files = pipeline.compile_all(_project(tmp_path, pyproject))
    assert not result.errors
    assert _id(files) == expected
    assert _id(pipeline.build(result.policies)) == expected  # read again from the project when not given


@pytest.mark.parametrize("pyproject, code, line", [
    ('[tool.policyc]\nschema_base_uri = "schemas/here"\n', "E503", 2),
    ('[tool.policyc]\nschema_base_uri = "https://x.example/s#frag"\n', "E503", 2),
    ('[tool.policyc]\nschema_base_uri = 3\n', "E503", 2),
    ('[tool.policyc]\nschema_base_url = "https://x.example/s"\n', "E502", 2),
    ('[tool.policyc\n', "E500", 1),
])
def test_a_bad_setting_is_a_diagnostic_in_pyproject(tmp_path, pyproject, code, line):
    result, files = pipeline.compile_all(_project(tmp_path, pyproject))
    assert files is None
    assert [(d.code, d.span.path, d.span.line) for d in result.errors] == [(code, "pyproject.toml", line)]


def test_compile_reports_a_bad_setting_and_writes_nothing(tmp_path):
    from click.testing import CliRunner

    from compiler.cli import main

    root = _project(tmp_path, '[tool.policyc]\nschema_base_uri = "not a uri"\n')
    result = CliRunner().invoke(main, ["compile", "--root", str(root)])
    assert result.exit_code == 1, result.output
    assert "pyproject.toml:2:1: error: `schema_base_uri` must be an absolute URI" in result.output
    assert not (root / "generated").exists()
