"""Numbers are exact (docs/LANGUAGE.md, "Numbers"): every arithmetic operator of the language
against a Fraction reference, rounding only where the rules say; no float anywhere; divisions,
dates and amounts that cannot be worked out are refused, never an internal error."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.runtime import MAX_INT, InvalidInput
from tests.numeric_support import diagnostics, evaluator, policy

ROOT = Path(__file__).resolve().parent.parent
SEOUL = ZoneInfo("Asia/Seoul")
REFUSED = object()  # the reference's word for "the evaluator must raise InvalidInput"


# ---------------------------------------------------------------- the case


def test_a_ratio_of_two_durations_is_exact():
    # 300,000원 paid; 30 of 90 days used; 10% penalty: 300,000 − 100,000 − 30,000 = 170,000.
    # A float ratio (0.333…) made the used part 99,999원 and the refund 170,001원.
    m = evaluator(policy("t.refund", '''
input paid: money "결제 금액"
input used: duration "사용 기간"
input contract: duration "계약 기간"
output refund: money = paid - paid * (used / contract) - 10% of paid "환불 금액"
rule pay "환불 금액은 {refund}입니다."
  otherwise
'''))
    assert m.evaluate({"paid": 300000, "used": "P30D", "contract": "P90D"}).outputs == {"refund": 170000}
    assert m.evaluate({"paid": 300000, "used": "P1D", "contract": "P3D"}).outputs == {"refund": 170000}
    with pytest.raises(InvalidInput) as info:
        m.evaluate({"paid": 300000, "used": "P30D", "contract": "PT0S"})
    assert [e["path"] for e in info.value.errors] == ["/contract"]
    assert "divisor zero" in info.value.errors[0]["message"]


def test_a_ratio_of_two_counts_is_exact():
    m = evaluator(policy("t.share", '''
input paid: money "결제 금액"
input used: int min 0 "사용 일수"
input days: int min 1 "계약 일수"
output kept: money = paid * (used / days) "사용분"
rule pay "사용분은 {kept}입니다."
  otherwise
'''))
    assert m.evaluate({"paid": 300000, "used": 30, "days": 90}).outputs == {"kept": 100000}
    assert m.evaluate({"paid": 10, "used": 1, "days": 3}).outputs == {"kept": 3}


def test_decimal_numbers_multiply_without_rounding_to_28_digits():
    # Decimal arithmetic rounds to 28 significant digits; the product of two 25-digit inputs
    # has 50. Fractions do not round.
    m = evaluator(policy("t.product", '''
input x: number "계수"
input y: number "계수"
output r: number = x * y "곱"
output bigger: bool = x * y > 100000000000000000000000000000 "큰 곱"
rule done "곱은 {r}입니다."
  otherwise
'''))
    out = m.evaluate({"x": "999999999999999.0000000001", "y": "999999999999999.0000000001"}).outputs
    exact = Fraction("999999999999999.0000000001") ** 2
    assert out["bigger"] is (exact > 10**29)
    assert out["r"] == number_json(exact)


# ---------------------------------------------------------------- no float anywhere


def _float_uses(tree: ast.AST, allow_div_in: set[str]) -> list[str]:
    """Float literals, float(), math, total_seconds, and `/` outside the exact-ratio functions.

    `type(x) is float` (the JSON readers recognising `50000.0`) is a test, not arithmetic.
    """
    found = []
    func_of: dict[ast.AST, str] = {}
    for fn in ast.walk(tree) if allow_div_in else ():
        if isinstance(fn, ast.FunctionDef):
            for node in ast.walk(fn):
                func_of.setdefault(node, fn.name)
    tests_of_type = {id(c.comparators[0]) for c in ast.walk(tree)
                     if isinstance(c, ast.Compare) and isinstance(c.ops[0], (ast.Is, ast.IsNot))}
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            found.append(f"{where}: float literal {node.value!r}")
        elif isinstance(node, ast.Name) and node.id == "float" and id(node) not in tests_of_type:
            found.append(f"{where}: float")
        elif isinstance(node, ast.Attribute) and node.attr in ("total_seconds", "fsum", "__truediv__"):
            found.append(f"{where}: .{node.attr}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any(a.name == "math" for a in node.names):
            found.append(f"{where}: import math")
        elif isinstance(node, ast.ImportFrom) and node.module in ("math", "decimal"):
            found.append(f"{where}: from {node.module} import")
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
              or isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div)):
            if func_of.get(node) not in allow_div_in:
                found.append(f"{where}: `/` in {func_of.get(node, 'module code')}")
    return found


def test_the_runtime_does_no_float_arithmetic():
    source = (ROOT / "compiler" / "runtime.py").read_text(encoding="utf-8")
    # number_div divides two Fractions (or ints made Fractions): exact.
    assert _float_uses(ast.parse(source), {"number_div"}) == []


def test_generated_evaluators_do_no_float_arithmetic():
    files = sorted((ROOT / "generated").glob("*/*.py"))
    assert len(files) >= 37
    problems = []
    for f in files:
        # The holiday table (thousands of `date(2025, 1, 1)` calls) is left out: parsing it
        # would take most of this test's time, and it holds only whole numbers.
        text = _HOLIDAY_TABLE.sub("_HOLIDAYS = None", f.read_text(encoding="utf-8"))
        problems += [f"{f.relative_to(ROOT)}: {p}" for p in _float_uses(ast.parse(text), set())]
    assert problems == []


_HOLIDAY_TABLE = re.compile(r"(?ms)^_HOLIDAYS = frozenset\(\((?:\s*(?:date\(\d+, \d+, \d+\),\s*)*)^\)\)")


def test_the_float_finder_finds_floats():
    found = _float_uses(ast.parse("import math\nx = 1.5\ny = a / b\nz = float(q)\nw = d.total_seconds()\n"), set())
    assert len(found) == 5, found


# ---------------------------------------------------------------- the checker's divisor rule


def _div_policy(inputs: str, expr: str, t: str = "money") -> str:
    return policy("t.div", f'''{inputs}
output r: {t} = {expr} "몫"
rule done "몫은 {{r}}입니다."
  otherwise
''')


@pytest.mark.parametrize("inputs,expr,code", [
    ('input a: money "금액"\ninput n: int "인원"', "a / n", "E247"),
    ('input a: money "금액"\ninput n: int min 0 "인원"', "a / n", "E247"),
    ('input a: money "금액"', "a / 0", "E246"),
    ('input a: money "금액"\ninput n: int "인원"', "a / (n - 1)", "E247"),
    ('input a: money "금액"\ninput n: int "인원"', "a / -2", "E246"),
    ('input d: duration "기간"', "d / 0min", "E246"),
])
def test_a_divisor_that_may_be_zero_is_refused(inputs, expr, code):
    errors = diagnostics(_div_policy(inputs, expr, "money" if "a" in expr else "number"))
    assert [d.code for d in errors] == [code]


def test_the_divisor_diagnostic_suggests_the_bound():
    [d] = diagnostics(_div_policy('input a: money "금액"\ninput n: int "인원"', "a / n"))
    assert d.message == "`n` may be zero or below, and dividing by it has no answer"
    assert "input n: int min 1" in d.help
    assert (d.span.line, d.span.col) == (6, 23)  # the `n` of `a / n`


@pytest.mark.parametrize("inputs,expr", [
    ('input a: money "금액"\ninput n: int min 1 "인원"', "a / n"),
    ('input a: money "금액"\ninput n: int "인원"', "a / (n at least 1)"),
    ('input a: money "금액"\ninput n: int "인원"', "a / max(n, 2)"),
    ('input a: money "금액"', "a / 3"),
    ('input a: money "금액"\ninput n: int min 2 "인원"\nlet m = n + 1 "인원"', "a / m"),
])
def test_a_divisor_proved_above_zero_is_accepted(inputs, expr):
    assert diagnostics(_div_policy(inputs, expr)) == []


# ---------------------------------------------------------------- evaluation never ends in an internal error


def refused_paths(m, inputs) -> list[str]:
    with pytest.raises(InvalidInput) as info:
        m.evaluate(inputs)
    return [e["path"] for e in info.value.errors]


def test_a_date_moved_out_of_range_is_refused_naming_the_inputs():
    m = evaluator(policy("t.late", '''
input at: datetime "시각"
input grace: duration "유예"
input n: int "횟수"
output until: datetime = at + grace * n "기한"
rule done "기한은 {until}입니다."
  otherwise
'''))
    assert m.evaluate({"at": "2025-06-01T00:00:00+09:00", "grace": "PT1H", "n": 3}).outputs == {"until": "2025-06-01T03:00:00+09:00"}
    for n in (10**8, -(10**8), 2**53 - 1, -(2**53 - 1)):  # past 9999 (or before 1), past timedelta's range
        assert refused_paths(m, {"at": "2025-06-01T00:00:00+09:00", "grace": "PT1H", "n": n}) == ["/at", "/grace", "/n"]


def test_an_aligned_step_worked_out_as_zero_is_refused():
    m = evaluator(policy("t.grid", '''
input at: datetime "시각"
input step: duration "간격"
input n: int "배수"
output on_grid: bool = aligned(at, step * n) "격자 위"
rule done "격자 위: {on_grid}"
  otherwise
'''))
    assert m.evaluate({"at": "2025-06-01T00:30:00+09:00", "step": "PT10M", "n": 3}).outputs == {"on_grid": True}
    assert refused_paths(m, {"at": "2025-06-01T00:30:00+09:00", "step": "PT10M", "n": 0}) == ["/step", "/n"]
    assert refused_paths(m, {"at": "2025-06-01T00:30:00+09:00", "step": "PT0S", "n": 1}) == ["/step", "/n"]


def test_a_money_output_out_of_range_is_refused_naming_its_inputs():
    m = evaluator(policy("t.rest", '''
input fare: money "운임"
input fee: money "수수료"
input minutes: int min 0 "시간(분)"
output rest: money = fare - fee "나머지"
output insurance: money = minutes * 18.5원 "보험료"
rule done "나머지는 {rest}, 보험료는 {insurance}입니다."
  otherwise
'''))
    assert m.evaluate({"fare": 10, "fee": 3, "minutes": 2}).outputs == {"rest": 7, "insurance": 37}
    assert refused_paths(m, {"fare": 3, "fee": 10, "minutes": 0}) == ["/fare", "/fee"]
    assert refused_paths(m, {"fare": 3, "fee": 0, "minutes": 2**53 - 1}) == ["/minutes"]


def test_settlement_with_a_huge_insured_time_is_refused():
    from compiler.pipeline import import_evaluator

    m = import_evaluator("pet_taxi.settlement", ROOT)
    with pytest.raises(m.InvalidInput) as info:
        m.evaluate({"event": "completed", "fare": 2**53 - 1, "insured_minutes": 2**53 - 1})
    assert "/insured_minutes" in [e["path"] for e in info.value.errors]


# ---------------------------------------------------------------- every operator against a Fraction reference

MONEY = st.integers(0, 10**7) | st.integers(0, MAX_INT) | st.sampled_from([0, 1, 99, 100, MAX_INT])
INT = st.integers(-1000, 1000) | st.integers(-MAX_INT, MAX_INT) | st.sampled_from([0, 1, -1, MAX_INT, -MAX_INT])
POSITIVE = st.integers(1, 1000) | st.integers(1, MAX_INT)
DECIMAL = st.decimals(min_value=-10**6, max_value=10**6, places=10, allow_nan=False, allow_infinity=False)
NUMBER = DECIMAL.map(lambda d: format(d, "f")) | st.integers(-1000, 1000)
PERCENT = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False).map(lambda d: format(d, "f")) | st.integers(0, 100)
SECONDS = st.integers(-10**6, 10**6) | st.integers(-(99_999 * 86_400), 99_999 * 86_400) | st.just(0)
INSTANT = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30)).map(
    lambda d: d.replace(microsecond=0, tzinfo=timezone.utc))


def q(v) -> Fraction:
    return Fraction(v) if not isinstance(v, str) else Fraction(v)


def iso_duration(s: int) -> str:
    sign, s = ("-" if s < 0 else ""), abs(s)
    d, s = divmod(s, 86400)
    return f"{sign}P{d}DT{s}S"


def number_json(v: Fraction):
    """A number output as the rules write it: floored to 10 places; an int when whole."""
    units = v.numerator * 10**10 // v.denominator
    if units % 10**10 == 0:
        return units // 10**10
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**10)
    return f"{sign}{whole}.{frac:010d}".rstrip("0")


def money(v) -> Any:
    """A money output: floored already by the operator; refused outside 0..2^53−1."""
    assert isinstance(v, int)
    return v if 0 <= v <= MAX_INT else REFUSED


def count(v: int) -> Any:
    return v if -MAX_INT <= v <= MAX_INT else REFUSED


def duration(s: int) -> Any:
    """A duration output in whole seconds; refused beyond timedelta's ±999,999,999 days."""
    if abs(s) >= 999_999_999 * 86_400:
        return REFUSED
    sign, s = ("-" if s < 0 else ""), abs(s)
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    mi, se = divmod(rem, 60)
    time = "".join(f"{n}{u}" for n, u in ((h, "H"), (mi, "M"), (se, "S")) if n)
    out = f"{sign}P" + (f"{d}D" if d else "") + (f"T{time}" if time else "")
    return "PT0S" if out in ("P", "-P") else out


def instant(at: datetime, s: int) -> Any:
    """A datetime moved by s seconds, as the policy zone writes it; refused out of range."""
    if abs(s) >= 999_999_999 * 86_400:
        return REFUSED
    try:
        return (at + timedelta(seconds=s)).astimezone(SEOUL).isoformat()
    except OverflowError:
        return REFUSED


def fdiv(a: Fraction, b: Fraction) -> int:
    return (a / b).__floor__()


@dataclass
class Op:
    name: str
    inputs: str  # declarations
    output: str  # `output r: <type> = <expr>`
    draw: dict[str, st.SearchStrategy]
    ref: Callable[..., Any]  # inputs (as sent) -> expected value of r, or REFUSED
    extra: str = ""


OPS = [
    Op("money_add", 'input a: money "a"\ninput b: money "b"', "money = a + b", {"a": MONEY, "b": MONEY}, lambda a, b: money(a + b)),
    Op("money_sub", 'input a: money "a"\ninput b: money "b"', "money = a - b", {"a": MONEY, "b": MONEY}, lambda a, b: money(a - b)),
    Op("money_neg", 'input a: money "a"\ninput b: money "b"', "money = b + -a", {"a": MONEY, "b": MONEY}, lambda a, b: money(b - a)),
    Op("money_times_int", 'input a: money "a"\ninput i: int "i"', "money = a * i", {"a": MONEY, "i": INT}, lambda a, i: money(a * i)),
    Op("money_times_number", 'input a: money "a"\ninput x: number "x"', "money = a * x", {"a": MONEY, "x": NUMBER},
       lambda a, x: money((a * q(x)).__floor__())),
    Op("rate_times_count", 'input i: int "i"', "money = i * 18.5원", {"i": INT}, lambda i: money((i * Fraction(37, 2)).__floor__())),
    Op("money_div", 'input a: money "a"\ninput j: int min 1 "j"', "money = a / j", {"a": MONEY, "j": POSITIVE},
       lambda a, j: money(a // j)),
    Op("percent_of", 'input a: money "a"\ninput p: percent "p"', "money = p of a", {"a": MONEY, "p": PERCENT},
       lambda a, p: money((a * q(p) / 100).__floor__())),
    Op("literal_percent_of", 'input a: money "a"', "money = 12.5% of a", {"a": MONEY},
       lambda a: money((a * Fraction(125, 1000)).__floor__())),
    Op("duration_ratio", 'input a: money "a"\ninput d: duration "d"\ninput e: duration "e"', "money = a * (d / e)",
       {"a": MONEY, "d": SECONDS, "e": SECONDS},
       lambda a, d, e: REFUSED if e == 0 else money((a * Fraction(d, e)).__floor__())),
    Op("count_ratio", 'input a: money "a"\ninput i: int "i"\ninput j: int min 1 "j"', "money = a * (i / j)",
       {"a": MONEY, "i": INT, "j": POSITIVE}, lambda a, i, j: money((a * Fraction(i, j)).__floor__())),
    Op("clamp", 'input a: money "a"\ninput b: money "b"\ninput c: money "c"', "money = a at most b at least c",
       {"a": MONEY, "b": MONEY, "c": MONEY}, lambda a, b, c: money(max(min(a, b), c))),
    Op("min", 'input a: money "a"\ninput b: money "b"', "money = min(a, b)", {"a": MONEY, "b": MONEY}, lambda a, b: money(min(a, b))),
    Op("max", 'input a: money "a"\ninput b: money "b"', "money = max(a, b)", {"a": MONEY, "b": MONEY}, lambda a, b: money(max(a, b))),
    Op("int_add", 'input i: int "i"\ninput j: int "j"', "int = i + j", {"i": INT, "j": INT}, lambda i, j: count(i + j)),
    Op("int_sub", 'input i: int "i"\ninput j: int "j"', "int = i - j", {"i": INT, "j": INT}, lambda i, j: count(i - j)),
    Op("int_mul", 'input i: int "i"\ninput j: int "j"', "int = i * j", {"i": INT, "j": INT}, lambda i, j: count(i * j)),
    Op("int_ratio", 'input i: int "i"\ninput j: int min 1 "j"', "number = i / j", {"i": INT, "j": POSITIVE},
       lambda i, j: number_json(Fraction(i, j))),
    Op("number_add", 'input x: number "x"\ninput y: number "y"', "number = x + y", {"x": NUMBER, "y": NUMBER},
       lambda x, y: number_json(q(x) + q(y))),
    Op("number_sub", 'input x: number "x"\ninput y: number "y"', "number = x - y", {"x": NUMBER, "y": NUMBER},
       lambda x, y: number_json(q(x) - q(y))),
    Op("number_mul", 'input x: number "x"\ninput y: number "y"', "number = x * y", {"x": NUMBER, "y": NUMBER},
       lambda x, y: number_json(q(x) * q(y))),
    Op("number_div", 'input x: number "x"\ninput y: number min 1 "y"', "number = x / y",
       {"x": NUMBER, "y": POSITIVE | DECIMAL.filter(lambda d: d >= 1).map(lambda d: format(d, "f"))},
       lambda x, y: number_json(q(x) / q(y))),
    Op("number_mixed", 'input x: number "x"\ninput i: int "i"', "number = x * i - i + 0.25", {"x": NUMBER, "i": INT},
       lambda x, i: number_json(q(x) * i - i + Fraction(1, 4))),
    Op("number_negate_cap", 'input x: number "x"\ninput y: number "y"', "number = -x at most y", {"x": NUMBER, "y": NUMBER},
       lambda x, y: number_json(min(-q(x), q(y)))),
    Op("percent_add", 'input p: percent "p"\ninput s: percent "s"', "percent = p + s", {"p": PERCENT, "s": PERCENT},
       lambda p, s: number_json(q(p) + q(s))),
    Op("percent_sub", 'input p: percent "p"\ninput s: percent "s"', "percent = p - s", {"p": PERCENT, "s": PERCENT},
       lambda p, s: number_json(q(p) - q(s))),
    Op("duration_add", 'input d: duration "d"\ninput e: duration "e"', "duration = d + e", {"d": SECONDS, "e": SECONDS},
       lambda d, e: duration(d + e)),
    Op("duration_sub", 'input d: duration "d"\ninput e: duration "e"', "duration = d - e", {"d": SECONDS, "e": SECONDS},
       lambda d, e: duration(d - e)),
    Op("duration_times", 'input d: duration "d"\ninput i: int "i"', "duration = d * i", {"d": SECONDS, "i": INT},
       lambda d, i: duration(d * i)),
    Op("duration_negate_max", 'input d: duration "d"\ninput e: duration "e"', "duration = max(-d, e) at least 10min",
       {"d": SECONDS, "e": SECONDS}, lambda d, e: duration(max(max(-d, e), 600))),
    Op("duration_ratio_number", 'input d: duration "d"\ninput e: duration "e"', "number = d / e", {"d": SECONDS, "e": SECONDS},
       lambda d, e: REFUSED if e == 0 else number_json(Fraction(d, e))),
    Op("datetime_plus", 'input t: datetime "t"\ninput d: duration "d"', "datetime = t + d", {"t": INSTANT, "d": SECONDS},
       lambda t, d: instant(t, d)),
    Op("datetime_minus", 'input t: datetime "t"\ninput d: duration "d"', "datetime = t - d", {"t": INSTANT, "d": SECONDS},
       lambda t, d: instant(t, -d)),
    Op("datetime_plus_product", 'input t: datetime "t"\ninput d: duration "d"\ninput i: int "i"', "datetime = t + d * i",
       {"t": INSTANT, "d": SECONDS, "i": INT}, lambda t, d, i: instant(t, d * i)),
    Op("datetime_difference", 'input t: datetime "t"\ninput u: datetime "u"', "duration = u - t", {"t": INSTANT, "u": INSTANT},
       lambda t, u: duration(int((u - t).total_seconds()))),
    Op("sum_per_item", 'record item "항목"\n  amount: money "금액"\n  rate: percent "비율"\ninput items: list of item max 20 "항목들"',
       "money = sum (rate of amount) of items where amount > 1000원",
       {"items": st.lists(st.fixed_dictionaries({"amount": MONEY, "rate": PERCENT}), max_size=5)},
       lambda items: money(sum((i["amount"] * q(i["rate"]) / 100).__floor__() for i in items if i["amount"] > 1000))),
    Op("sum_field", 'record item "항목"\n  amount: money "금액"\n  rate: percent "비율"\ninput items: list of item max 20 "항목들"',
       "money = 10% of sum amount of items",
       {"items": st.lists(st.fixed_dictionaries({"amount": MONEY, "rate": PERCENT}), max_size=5)},
       lambda items: money(sum(i["amount"] for i in items) * 10 // 100)),
]


def _sent(value):
    """An input as a service sends it (durations and datetimes as ISO 8601 text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def evaluators():
    out = {}
    for op in OPS:
        out[op.name] = evaluator(policy(f"num.{op.name}", f'''{op.inputs}
output r: {op.output} "결과"
rule done "결과는 {{r}}입니다."
  otherwise
'''))
    return out


def check_op(evaluators, op: Op, values: dict) -> None:
    sent = {}
    for k, v in values.items():
        sent[k] = iso_duration(v) if op.draw[k] is SECONDS else _sent(v)
    want = op.ref(**values)
    m = evaluators[op.name]
    if want is REFUSED:
        with pytest.raises(InvalidInput) as info:
            m.evaluate(sent)
        assert all(e["path"] in {f"/{k}" for k in values} for e in info.value.errors), info.value.errors
        return
    got = m.evaluate(sent).outputs["r"]
    assert got == want and type(got) is type(want), (op.name, sent, got, want)


def _settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@st.composite
def op_and_values(draw):
    op = draw(st.sampled_from(OPS))
    return op, {k: draw(s, label=k) for k, s in op.draw.items()}


@_settings(150)
@given(case=op_and_values())
def test_every_operator_matches_the_fraction_reference(evaluators, case):
    check_op(evaluators, *case)


@pytest.mark.slow
@_settings(6000)
@given(case=op_and_values())
def test_every_operator_matches_the_fraction_reference_at_length(evaluators, case):
    check_op(evaluators, *case)


def test_every_operator_of_the_language_is_covered():
    text = " ".join(op.output for op in OPS)
    for token in [" + ", " - ", " * ", " / ", " of ", "at most", "at least", "min(", "max(", "= -", "sum (", "sum amount"]:
        assert token in text, token
