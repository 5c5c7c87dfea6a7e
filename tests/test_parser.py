"""Tests for dsl/parser.py: literals, intervals, every construct's AST node and span, and robustness on junk."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.diagnostics import Diagnostic, PolicyError, render
from dsl import ast as A
from dsl.parser import parse, parse_file
from tests.support import examples

ROOT = Path(__file__).resolve().parent.parent
PET_TAXI = ROOT / "policies" / "pet_taxi" / "cancellation_fee.policy"
HEADER = 'policy a.b "t"\n'


def expr(src: str):
    """Parse `src` as the formula of a let and return its AST."""
    return parse(f'{HEADER}let x = {src} "x"\n', "x.policy").lets[0].formula


def syntax_error(text: str) -> Diagnostic:
    with pytest.raises(PolicyError) as err:
        parse(text, "x.policy")
    (diag,) = err.value.diagnostics
    return diag


# ---------------------------------------------------------------- literals


@pytest.mark.parametrize("src, node, value", [
    ("8,000원", A.Money, Decimal("8000")),
    ("8000원", A.Money, Decimal("8000")),
    ("8000 won", A.Money, Decimal("8000")),
    ("8,000 won", A.Money, Decimal("8000")),
    ("1,234,567원", A.Money, Decimal("1234567")),
    ("0원", A.Money, Decimal("0")),
    ("10%", A.Percent, Decimal("10")),
    ("2.5%", A.Percent, Decimal("2.5")),
    ("100%", A.Percent, Decimal("100")),
    ("24h", A.Duration, timedelta(hours=24)),
    ("10min", A.Duration, timedelta(minutes=10)),
    ("7d", A.Duration, timedelta(days=7)),
    ("1h30min", A.Duration, timedelta(hours=1, minutes=30)),
    ("1d2h30min", A.Duration, timedelta(days=1, hours=2, minutes=30)),
    ("24시간", A.Duration, timedelta(hours=24)),
    ("30분", A.Duration, timedelta(minutes=30)),
    ("1일", A.Duration, timedelta(days=1)),
    ("45s", A.Duration, timedelta(seconds=45)),
    ("9시간30분", A.Duration, timedelta(hours=9, minutes=30)),
    ("5", A.Number, Decimal("5")),
    ("0.5", A.Number, Decimal("0.5")),
    ("2025-05-15", A.DateLit, date(2025, 5, 15)),
    ("2025-05-15T14:00", A.DateTimeLit, datetime(2025, 5, 15, 14, 0)),
    ("2025-05-15T14:00:30", A.DateTimeLit, datetime(2025, 5, 15, 14, 0, 30)),
    ("true", A.Bool, True),
    ("false", A.Bool, False),
    ('"초특가"', A.Text, "초특가"),
])
def test_literal(src, node, value):
    lit = expr(src)
    assert type(lit) is node
    assert lit.value == value and type(lit.value) is type(value)
    assert (lit.span.line, lit.span.col, lit.span.end_col) == (2, 9, 9 + len(src))


def test_duration_keeps_its_text():
    assert expr("1h30min").text == "1h30min"
    assert expr("24시간").text == "24시간"


def test_money_is_decimal_built_from_the_text():
    assert expr("0.1원").value == Decimal("0.1")  # the checker rejects fractions of a won; the parser keeps them exact


def test_minus_before_a_literal_is_a_negative_literal():
    # `-8,000원` is one literal in expressions as in interval ends, so checks see its value.
    node = expr("-8,000원")
    assert isinstance(node, A.Money) and node.value == Decimal("-8000")
    assert isinstance(expr("-fare"), A.Unary)


@pytest.mark.parametrize("src, code", [
    ("2025-02-30", "E007"),
    ("2025-13-01T10:00", "E007"),
    ("8,00원", "E004"),
    ("1h 30", "E004"),
])
def test_bad_literal(src, code):
    assert syntax_error(f'{HEADER}let x = {src} "x"\n').code == code


# ---------------------------------------------------------------- intervals

INTERVALS = HEADER + '''table t by k "구간"
  cc [1h, 2h]: f = 1 "a"
  co [1h, 2h): f = 1 "b"
  oc (1h, 2h]: f = 1 "c"
  oo (1h, 2h): f = 1 "d"
  low (-∞, 1h]: f = 1 "e"
  high [24h, ∞): f = 1 "f"
  all (-inf, inf): f = 1 "g"
  neg [-1h, 0min): f = 1 "h"
'''


def test_interval_brackets():
    (table,) = parse(INTERVALS).deciders
    got = {r.id: (r.interval.low_closed, r.interval.high_closed) for r in table.rows}
    assert got["cc"] == (True, True)
    assert got["co"] == (True, False)
    assert got["oc"] == (False, True)
    assert got["oo"] == (False, False)
    for r in table.rows[:4]:
        assert (r.interval.low.value, r.interval.high.value) == (timedelta(hours=1), timedelta(hours=2))


def test_interval_infinity():
    rows = {r.id: r.interval for r in parse(INTERVALS).deciders[0].rows}
    assert isinstance(rows["low"].low, A.Infinity) and rows["low"].low.negative
    assert isinstance(rows["high"].high, A.Infinity) and not rows["high"].high.negative
    assert rows["all"].low.negative and not rows["all"].high.negative
    assert rows["neg"].low == A.Duration(timedelta(hours=-1), "-1h", rows["neg"].low.span)


def test_interval_span():
    row = parse(INTERVALS, "x.policy").deciders[0].rows[1]
    assert row.interval.span == A.Span("x.policy", 4, 6, 4, 14)


def test_in_interval_expression():
    node = expr("k in [0min, 10min]")
    assert isinstance(node, A.InInterval) and node.operand == A.Name("k", node.operand.span)
    assert node.interval.low_closed and node.interval.high_closed
    assert node.interval.high.value == timedelta(minutes=10)


@pytest.mark.parametrize("row", ["r [1h 2h): f = 1 \"x\"", "r 1h: f = 1 \"x\"", "r [1h, 2h: f = 1 \"x\""])
def test_malformed_interval(row):
    d = syntax_error(f'{HEADER}table t by k "t"\n  {row}\n')
    assert d.code in ("E002", "E003", "E004")


# ---------------------------------------------------------------- constructs

SHOP = '''# 쇼핑몰 환불 수수료
policy shop.refund "환불 수수료"
  source "004.txt" section "환불 규정"
  effective 2025-05-15
  question "환불하면 수수료가 얼마인가요?"
  summary "요약"
  note "경계"

enum plan_kind "요금제"
  pro "프로"
  basic "기본"

record item "주문 항목"
  price: money "가격"
  at: optional datetime "시각"

input items: optional list of item max 3 "주문 항목들"
input memo: text max 5 "메모"
input plan: plan_kind = basic "요금제"
input no_show: bool = false "노쇼"
input ordered_at: datetime "주문 시각"
input cancelled_at: datetime "취소 시각"

output fee: money "수수료"
output fee_percent: percent "수수료율"
output card_fee: money = 10% of fee "카드 수수료"

let before = ordered_at - cancelled_at "남은 시간"

rule free "무료: {fee}"
  when plan = pro and no_show
  then fee = 0원, fee_percent = 0%
  note "노트"

table by_time by before "시간별"
  early [24h, ∞): fee = 0원, fee_percent = 0% "이르게"
  late (-∞, 24h): fee = 1,000원, fee_percent = 10% "늦게"
  note "표 노트"

table grid sets fee_percent by plan, before "요금제 {plan}"
  columns d1 [24h, ∞) | d0 (-∞, 24h)
  pro:   0% | 10%
  basic: 5% | 50%

rule rest "나머지"
  otherwise
  then fee = 1원, fee_percent = 1%
'''


@pytest.fixture(scope="module")
def shop() -> A.Policy:
    return parse(SHOP, "policies/shop/refund.policy")


def test_header(shop):
    assert shop.id == "shop.refund" and (shop.domain, shop.name) == ("shop", "refund")
    assert shop.title.text == "환불 수수료"
    assert shop.sources == (A.Source("004.txt", "환불 규정", shop.sources[0].span),)
    assert shop.effective.value == date(2025, 5, 15)
    assert shop.zone == "Asia/Seoul"  # the default
    assert (shop.question.text, shop.summary.text, [n.text for n in shop.notes]) == ("환불하면 수수료가 얼마인가요?", "요약", ["경계"])
    assert shop.path == "policies/shop/refund.policy"


def test_zone():
    assert parse(HEADER + "  zone Asia/Tokyo\n").zone == "Asia/Tokyo"
    assert parse(HEADER + "  zone UTC\n").zone == "UTC"


def test_enum(shop):
    (enum,) = shop.enums
    assert isinstance(enum, A.EnumDecl) and enum.name == "plan_kind" and enum.label.text == "요금제"
    assert [(v.name, v.label.text) for v in enum.values] == [("pro", "프로"), ("basic", "기본")]
    assert enum.span.line == 9 and enum.values[1].span.line == 11


def test_record(shop):
    (rec,) = shop.records
    assert isinstance(rec, A.RecordDecl) and rec.name == "item"
    price, at = rec.fields
    assert (price.name, price.type.name, price.type.optional) == ("price", "money", False)
    assert (at.name, at.type.name, at.type.optional) == ("at", "datetime", True)


def test_inputs(shop):
    items, memo, plan, no_show, *_ = shop.inputs
    assert all(isinstance(i, A.InputDecl) for i in shop.inputs)
    assert items.type == A.TypeRef("item", True, True, 3, None, items.type.span)
    assert memo.type == A.TypeRef("text", False, False, None, 5, memo.type.span)
    assert isinstance(plan.default, A.Name) and plan.default.name == "basic"
    assert no_show.default == A.Bool(False, no_show.default.span)
    assert items.default is None and items.label.text == "주문 항목들"


def test_outputs_and_let(shop):
    fee, fee_percent, card_fee = shop.outputs
    assert all(isinstance(o, A.OutputDecl) for o in shop.outputs)
    assert fee.formula is None and fee_percent.type.name == "percent"
    assert isinstance(card_fee.formula, A.PercentOf)
    assert card_fee.formula.percent.value == Decimal("10") and card_fee.formula.amount.name == "fee"
    (let,) = shop.lets
    assert isinstance(let, A.LetDecl) and let.name == "before"
    assert let.formula.op == "-" and (let.formula.left.name, let.formula.right.name) == ("ordered_at", "cancelled_at")


def test_rules(shop):
    free, by_time, grid, rest = shop.deciders
    assert isinstance(free, A.Rule) and free.id == "free" and free.says.text == "무료: {fee}"
    assert isinstance(free.condition, A.Binary) and free.condition.op == "and"
    assert [(a.target, type(a.value)) for a in free.assignments] == [("fee", A.Money), ("fee_percent", A.Percent)]
    assert free.note.text == "노트"
    assert isinstance(rest, A.Rule) and rest.condition is None and rest.note is None


def test_window_table(shop):
    table = shop.deciders[1]
    assert isinstance(table, A.WindowTable) and table.id == "by_time"
    assert table.key == A.Name("before", table.key.span) and table.title.text == "시간별"
    assert [r.id for r in table.rows] == ["early", "late"]
    assert all(isinstance(r, A.TableRow) for r in table.rows)
    assert table.rows[1].assignments[0].value.value == Decimal("1000")
    assert table.rows[1].says.text == "늦게" and table.note.text == "표 노트"


def test_grid_table(shop):
    grid = shop.deciders[2]
    assert isinstance(grid, A.GridTable) and (grid.id, grid.target) == ("grid", "fee_percent")
    assert (grid.row_key.name, grid.col_key.name) == ("plan", "before")
    assert [c.name for c in grid.columns] == ["d1", "d0"]
    assert all(isinstance(c, A.GridHead) and isinstance(c.interval, A.Interval) for c in grid.columns)
    assert [r.head.name for r in grid.rows] == ["pro", "basic"]
    assert [r.head.interval for r in grid.rows] == [None, None]
    assert [[c.value for c in r.cells] for r in grid.rows] == [[Decimal("0"), Decimal("10")], [Decimal("5"), Decimal("50")]]
    assert grid.note is None


def test_grid_row_with_interval():
    text = HEADER + 'table g sets f by a, b "g"\n  columns x | y\n  low [0원, 10원): 1 | 2\n'
    (row,) = parse(text, "x.policy").deciders[0].rows
    assert row.head.name == "low" and row.head.interval.high.value == Decimal("10")
    assert row.head.span == A.Span("x.policy", 4, 3, 4, 16)


def test_spans(shop):
    path = "policies/shop/refund.policy"
    free = shop.deciders[0]
    plan = free.condition.left.left
    # `  when plan = pro and no_show` on line 31: `plan` is columns 8-11
    assert plan == A.Name("plan", A.Span(path, 31, 8, 31, 12))
    assert free.span.line == 30 and free.span.col == 1 and free.span.end_line == 33
    assert free.says.span == A.Span(path, 30, 11, 30, 22)  # the label span includes its quotes
    assert free.assignments[0].span == A.Span(path, 32, 8, 32, 16)
    assert free.assignments[0].value.span == A.Span(path, 32, 14, 32, 16)
    assert shop.inputs[0].span == A.Span(path, 17, 1, 17, 50)
    assert shop.inputs[0].type.span == A.Span(path, 17, 14, 17, 41)
    assert shop.title.span == A.Span(path, 2, 20, 2, 28)


def test_operator_unicode_and_precedence():
    assert expr("a ≤ b").op == "<=" and expr("a ≥ b").op == ">=" and expr("a ≠ b").op == "!="
    node = expr("a + b * c")
    assert node.op == "+" and node.right.op == "*"
    node = expr("a - b - c")
    assert node.op == "-" and node.left.op == "-"
    node = expr("not a and b")
    assert node.op == "and" and isinstance(node.left, A.Unary) and node.left.op == "not"
    node = expr("a or b and c")
    assert node.op == "or" and node.right.op == "and"
    node = expr("10% of fare at most 8,000원")
    assert isinstance(node, A.Bounded) and isinstance(node.value, A.PercentOf) and node.at_least is None
    node = expr("x at most 10원 at least 1원")
    assert (node.at_most.value, node.at_least.value) == (Decimal("10"), Decimal("1"))


@pytest.mark.parametrize("src, node", [
    ("x is given", A.Presence),
    ("x is missing", A.Presence),
    ("x in day of y", A.InPeriod),
    ("x in month of y", A.InPeriod),
    ("x in {a, b}", A.InSet),
    ("min(a, b)", A.Call),
    ("count items where price > 0원", A.Count),
    ("count items", A.Count),
    ("list id of items where price > 0원", A.Collect),
    ("last day of month of x", A.LastDayOfMonth),
    ("r.price", A.Field),
    ("x = y", A.Binary),
])
def test_expression_nodes(src, node):
    assert type(expr(src)) is node


def test_presence_flag():
    assert expr("x is given").present and not expr("x is missing").present


# ---------------------------------------------------------------- strings and comments


def test_string_escapes():
    label = parse('policy a.b "a \\"b\\" c\\\\d\\ne\\tf"').title
    assert label.text == 'a "b" c\\d\ne\tf'


def test_unknown_escape():
    d = syntax_error('policy a.b "ab\\qc"')
    assert d.code == "E008" and d.message == "unknown escape `\\q` in text"
    assert (d.span.line, d.span.col, d.span.end_col) == (1, 15, 17)


@pytest.mark.parametrize("char,name", [
    ("\t", "a control character"), ("\x7f", "a control character"), ("\u200b", "ZERO WIDTH SPACE"),
    ("\u2028", "LINE SEPARATOR"),
    ("\ufeff", "ZERO WIDTH NO-BREAK SPACE"), ("\u200e", "LEFT-TO-RIGHT MARK"), ("\u00ad", "SOFT HYPHEN"),
])
def test_invisible_characters_in_text_are_errors_at_their_column(char, name):
    d = syntax_error(f'policy a.b "취소{char}수수료"')
    assert d.code == "E012" and d.message == f"invisible character U+{ord(char):04X} ({name}) in text"
    assert (d.span.line, d.span.col) == (1, 15)


def test_visible_unusual_characters_and_escapes_are_text():
    # A no-break space and an escaped tab are what the writer meant; only raw invisible ones are refused.
    assert parse('policy a.b "8,000\u00a0원 \\t"').title.text == "8,000\u00a0원 \t"


def test_code_point_escapes():
    assert parse('policy a.b "a\\u{200B}b\\u{1F600}\\u{41}\\u{10FFFF}"').title.text == "a\u200bb\U0001f600A\U0010ffff"
    assert parse('policy a.b "\\u{2028}\\u{9}"').title.text == "\u2028\t"


@pytest.mark.parametrize("escape", ["\\u200B", "\\u{}", "\\u{1234567}", "\\u{D800}", "\\u{110000}", "\\u{12G4}", "\\u{20"])
def test_bad_code_point_escapes(escape):
    d = syntax_error(f'policy a.b "ab{escape}c"')
    assert d.code == "E008" and d.message == "`\\u` needs a code point in braces, like `\\u{200B}`"
    assert (d.span.col, d.span.end_col) == (15, 17)


def test_comments():
    text = ('# a comment first\npolicy a.b "t # not a comment" # trailing\n'
            '# between\ninput fare: money "운임" # after a declaration\n# last, no newline')
    p = parse(text)
    assert p.title.text == "t # not a comment"
    assert [i.name for i in p.inputs] == ["fare"] and p.inputs[0].label.text == "운임"


def test_parse_file_path_is_relative_to_root():
    p = parse_file(PET_TAXI, ROOT)
    assert p.path == "policies/pet_taxi/cancellation_fee.policy"
    assert p.id == "pet_taxi.cancellation_fee" and len(p.deciders) == 5


# ---------------------------------------------------------------- syntax errors


@pytest.mark.parametrize("text, code", [
    ("", "E002"),
    ("policy", "E002"),
    ('policy A.b "t"', "E003"),
    ('policy a.b "t"\ninput fare: money 운임', "E003"),
    ('policy a.b "t"\ninput fare money "운임"', "E004"),
    ('input fare: money "운임"', "E004"),
    ('policy a.b "t"\n  effective 2025-01-01\n  effective 2025-01-02', "E009"),
    ('policy a.b "t"\ntable t by k "t"\n  r [-"a", 1h): f = 1 "x"', "E006"),
])
def test_syntax_error_codes(text, code):
    d = syntax_error(text)
    assert d.code == code and d.span.path == "x.policy" and d.severity == "error"


def test_missing_header_is_named():
    assert syntax_error('input fare: money "운임"').help == "a policy file starts with `policy <domain>.<name> \"title\"`"


# ---------------------------------------------------------------- robustness: parse raises PolicyError or returns a Policy


def parses_or_reports(text: str) -> None:
    try:
        result = parse(text, "x.policy")
    except PolicyError as err:
        assert err.diagnostics and all(isinstance(d, Diagnostic) for d in err.diagnostics)
        for d in err.diagnostics:
            out = render(d, text)
            assert out.startswith(f"x.policy:{d.span.line}:{d.span.col}: error: ")
        return
    assert isinstance(result, A.Policy)


FUZZ = settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])

VOCAB = [
    "policy", "a.b", '"t"', "source", "section", "effective", "zone", "Asia/Seoul", "question", "note",
    "enum", "record", "input", "output", "let", "rule", "table", "when", "otherwise", "then", "sets", "by",
    "columns", "optional", "list of", "max", "of", "at most", "at least", "is given", "is missing", "in",
    "day", "month", "count", "where", "last day of month of", "not", "and", "or", "true", "false", "∞", "inf",
    "fee", "fare", "x", "8,000원", "8000 won", "10%", "24h", "1h30min", "24시간", "5", "0.5", "2025-05-15",
    "2025-05-15T14:00", '"운임"', '"a\\"b"', "[", "]", "(", ")", "{", "}", ",", ":", "=", "|", ".", "+", "-",
    "*", "/", "<", "<=", "≥", "≠", "\n", "#", "운임", "\\", '"',
]


@FUZZ
@given(st.text())
def test_parse_any_text(text):
    parses_or_reports(text)


@settings(max_examples=examples(300), deadline=None)
@given(st.binary(max_size=2000))
def test_parse_binary_junk(data):
    parses_or_reports(data.decode("latin-1"))


@FUZZ
@given(st.lists(st.sampled_from(VOCAB), max_size=60))
def test_parse_token_soup(tokens):
    parses_or_reports(HEADER + " ".join(tokens))


@FUZZ
@given(st.data())
def test_parse_mutated_policy(data):
    source = PET_TAXI.read_text(encoding="utf-8")
    start = data.draw(st.integers(0, len(source)))
    cut = data.draw(st.integers(0, 40))
    insert = data.draw(st.text(max_size=20) | st.sampled_from(VOCAB))
    parses_or_reports(source[:start] + insert + source[start + cut:])


@settings(max_examples=examples(50), deadline=None)
@given(st.text(min_size=1, max_size=40) | st.sampled_from(VOCAB), st.integers(1000, 20000))
def test_parse_long_text(piece, length):
    parses_or_reports((piece * (length // len(piece) + 1))[:length])
    parses_or_reports(HEADER + (piece + " ") * (length // (len(piece) + 1)))


def test_parse_long_valid_policy():
    source = PET_TAXI.read_text(encoding="utf-8")
    rules = "".join(f'rule r{i} "규칙 {i}"\n  when fare > {i}원\n  then fee = {i}원\n' for i in range(2000))
    policy = parse(source.replace("table by_time", rules + "table by_time"))
    assert len(policy.deciders) == 2005


DEEP = 5000
RECURSION = ("parse lets the recursive lark Transformer overflow the stack once an expression nests ~490 deep: "
             "lark VisitError wrapping RecursionError (or a bare RecursionError when it happens inside lark)")
OVERFLOW = "parse raises lark VisitError (wrapping OverflowError) when a duration does not fit a timedelta"
LET = HEADER + "let x = "


@pytest.mark.parametrize("text", [
    pytest.param("(" * DEEP, id="open_parens"),
    pytest.param(")" * DEEP, id="close_parens"),
    pytest.param("[" * DEEP, id="brackets"),
    pytest.param(LET + "(" * DEEP, id="let_open_parens"),
    pytest.param(LET + "(" * DEEP + "1" + ")" * DEEP + ' "x"', id="let_balanced_parens"),
    pytest.param(LET + "{" * DEEP, id="let_braces"),
    pytest.param(HEADER + '"' * DEEP, id="quotes"),
    pytest.param(HEADER + "#" * DEEP, id="comment"),
    pytest.param(LET + "-" * DEEP + '1 "x"', id="minus_chain"),
    pytest.param(LET + "not " * DEEP + 'true "x"', id="not_chain"),
    pytest.param(LET + "(-" * DEEP + "1" + ")" * DEEP + ' "x"', id="nested_minus"),
    pytest.param(LET + " + ".join(["1"] * DEEP) + ' "x"', id="plus_chain"),
    pytest.param(LET + " and ".join(["true"] * DEEP) + ' "x"', id="and_chain"),
    pytest.param(LET + "a" + ".b" * DEEP + ' "x"', id="field_chain"),
])
def test_parse_deep_nesting(text):
    parses_or_reports(text)


@pytest.mark.parametrize("src", [
    "1000000000d",
    "100000000000h",
    "99999999999999999999원",
    "99999999999999999999%",
])
def test_parse_huge_numbers(src):
    parses_or_reports(f'{HEADER}let x = {src} "x"\n')


def test_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "a" / "b.policy"
    path.parent.mkdir()
    path.write_bytes("\ufeff".encode("utf-8") + PET_TAXI.read_bytes())
    assert parse_file(path).id == "pet_taxi.cancellation_fee"
