"""Diagnostics of tests/cases/bad/*.policy: a text snapshot of what the policy owner reads, plus structural facts.

Each file holds one mistake (`three_mistakes.policy` holds three, to show they are all reported
in one run). Its policy id is `bad.<file name>`, so the checker's path rule is satisfied.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler.check import check
from compiler.diagnostics import Diagnostic, PolicyError, render, render_json
from dsl.parser import invisible, parse, parse_file

ROOT = Path(__file__).resolve().parent.parent
BAD_DIR = ROOT / "tests" / "cases" / "bad"
BAD = sorted(p.stem for p in BAD_DIR.glob("*.policy"))

FIRST_LINE = re.compile(r"^[^:]+:\d+:\d+: error: ")
SOURCE_LINE = re.compile(r"^  (\d+) \| ")
CARET_LINE = re.compile(r"^  +\| *\^+$")

# A case marks where each diagnostic must point with a comment line under it (rustc's UI tests):
#   input fare: mony "운임"
#   #           ^^^^ E120
# The carets sit under the offending characters (columns count characters, so under Korean
# text they look shifted by its width); the code follows.
ANNOTATION = re.compile(r"^#( *)(\^+) ([EW]\d{3})$")


def marks_of(name: str) -> list[tuple[str, int, int, int]]:
    """(code, line, col, end_col) of each mark in a case, for the line above it."""
    marks, target = [], 0
    for number, line in enumerate((BAD_DIR / f"{name}.policy").read_text(encoding="utf-8").split("\n"), 1):
        m = ANNOTATION.match(line)
        if m is None:
            target = number
            continue
        col = 2 + len(m[1])
        marks.append((m[3], target, col, col + len(m[2])))
    return marks


ANNOTATED = [n for n in BAD if marks_of(n)]


@dataclass(frozen=True)
class Expect:
    """The first error a case must produce: its code, a regex its message must match, and its help."""

    code: str
    message: str
    help: str | None = None
    line: int | None = None


EXPECTED: dict[str, Expect] = {
    # syntax: parsing stops at the first error
    "syntax_missing_equals": Expect("E004", r"^unexpected `0원`$", line=16),
    "syntax_unterminated_text": Expect("E011", r"^this text is not closed$", line=10),
    "invisible_character_in_text": Expect("E012", r"^invisible character U\+200B \(ZERO WIDTH SPACE\) in text$", line=10),
    "syntax_uppercase_name": Expect("E003", r"^unexpected character `F`$", "names are lowercase letters, digits and `_`", line=5),
    "syntax_korean_outside_quotes": Expect("E003", r"^unexpected character `운`$", "Korean text belongs inside double quotes", line=5),
    "syntax_missing_label": Expect("E004", r"^unexpected `input`$", "every declaration needs a Korean label in quotes after it", line=8),
    "syntax_unexpected_eof": Expect("E002", r"^unexpected end of file$", "finish the declaration that starts above", line=20),
    # names
    "unknown_name": Expect("E252", r"^unknown name `canceled_at`$", "did you mean `cancelled_at`?", line=12),
    "unknown_name_in_sentence": Expect("E200", r"^unknown name `fair` in the sentence$", "did you mean `fare`?", line=21),
    "unknown_type": Expect("E120", r"^unknown type `mony`$", "did you mean `money`?", line=5),
    "unknown_output_in_assignment": Expect("E170", r"^`fees` is not an output$", "did you mean `fee`?", line=16),
    "assign_input": Expect("E170", r"^`fare` is an input, not an output$", line=16),
    "let_cycle": Expect("E150", r"^`before` is defined in terms of itself: `before` → `margin` → `before`$", line=12),
    "decided_output_in_condition": Expect("E250", r"^output `fee` is decided by the rules and cannot be used in a condition$", line=15),
    "optional_without_is_given": Expect("E231", r"^`dispatched_at` may be missing here$", "check `dispatched_at is given and …` first", line=15),
    # an enum value the compared enum does not have: say so, and list the values it does have
    "enum_value_not_in_enum": Expect("E256", r"^`premium` is not a value of `rate_plan_kind`$", line=20),
    "enum_value_of_other_enum": Expect("E256", r"^`premium` is not a value of `rate_plan_kind`$", line=24),
    # types and units
    "money_vs_duration": Expect("E173", r"^`fee` is money, but this gives duration$", line=16),
    "datetime_compared_with_duration": Expect("E241", r"^cannot compare datetime with duration$", line=15),
    "percent_of_duration": Expect("E213", r"^`of` takes a percentage of an amount of money, not of duration$", line=20),
    "percent_over_100": Expect("E214", r"^150% is more than the whole amount$", line=22),
    "negative_cap": Expect("E216", r"^a cap below zero$", line=21),
    "cap_wrong_unit": Expect("E215", r"^`at most` compares money with duration$", line=21),
    # window tables
    "window_gap": Expect("E187", r"^no row covers `?before`? in \(8h, 9h\]$", line=18),
    "window_overlap": Expect("E188", r"^rows `late` and `early` both cover `?before`? in \(9h, 10h\]$", line=20),
    "window_point_overlap": Expect("E188", r"^rows `late` and `early` both cover `?before`? = 9h$", line=20),
    "window_point_gap": Expect("E187", r"^no row covers `?before`? = 9h$", line=18),
    # grids
    "grid_missing_enum_value": Expect("E195", r"^table `fee_table` has no row for `rate_plan` = `standard`$", line=23),
    "grid_wrong_cell_count": Expect("E191", r"^row `discount` has 3 cells but the table has 4 columns$", line=26),
    "grid_column_gap": Expect("E187", r"^no column covers `?hours_before`? in \[48h, 72h\)$", line=23),
    # rules
    "rule_after_table": Expect("E160", r"^`late_notice` can never apply: table `by_time` above already decides every case$", line=24),
    "rule_after_otherwise": Expect("E160", r"^`by_time` can never apply: an `otherwise` rule above already decides every case$", line=22),
    "output_left_unset": Expect("E174", r"^`by_time.late` leaves output `refund` unset$", "add `refund = …` to it", line=22),
    "no_final_otherwise": Expect("E162", r"^some inputs reach no rule, leaving `fee` unset$", line=14),
    "duplicate_rule_id": Expect("E161", r"^rule id `dispatch_grace` is used twice$", line=18),
    # several mistakes at once
    "three_mistakes": Expect("E120", r"^unknown type `mony`$", "did you mean `money`?", line=5),
}

# Cases the checker does not yet get right: each test still runs, and must start passing once fixed.
NOT_DETECTED: dict[str, str] = {}
UNCLEAR: dict[str, str] = {}
# A single mistake that produces follow-on errors.
CASCADES: dict[str, str] = {
    "grid_target_not_output": "a grid that sets no output also leaves the output unset (E174 beside E190)",
}
# Renders that break the layout: path:line:col line, source line with gutter, caret line.
LAYOUT: dict[str, str] = {}
# Style guide 4: user text in backticks. Coverage messages print the table key bare.
UNQUOTED_KEY = "E187/E188 print the key bare (`no row covers before in …`); STYLE.md 4 puts user text in backticks"
COVERAGE_CASES = ("window_gap", "window_overlap", "window_point_overlap", "window_point_gap", "grid_column_gap")


def _xfail(reasons: dict[str, str], names=BAD):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=reasons[n]))
            if n in reasons else n for n in names]


@functools.lru_cache(maxsize=None)  # every test of a case reads the same diagnostics: parse and check it once
def diagnose(name: str) -> tuple[list[Diagnostic], str]:
    """Parse and check one bad case; the span paths are repository-relative."""
    path = BAD_DIR / f"{name}.policy"
    source = path.read_text(encoding="utf-8")
    try:
        policy = parse_file(path, ROOT)
    except PolicyError as err:
        return err.diagnostics, source
    return check(policy), source


def errors_of(name: str) -> list[Diagnostic]:
    return [d for d in diagnose(name)[0] if d.severity == "error"]


def rendered(name: str) -> str:
    diags, source = diagnose(name)
    if not diags:
        return "(no diagnostics)\n"
    return "\n\n".join(render(d, source) for d in diags) + "\n"


# ---------------------------------------------------------------- snapshots


@pytest.mark.parametrize("name", BAD)
def test_rendered(name, text_snapshot):
    assert rendered(name) == text_snapshot


# ---------------------------------------------------------------- structure


def test_every_case_has_an_expectation():
    assert BAD, "no bad cases found"
    assert sorted(set(EXPECTED) | set(ANNOTATED)) == BAD
    assert set(EXPECTED) <= set(BAD)


@pytest.mark.parametrize("name", _xfail({**NOT_DETECTED, **UNCLEAR, **CASCADES}, sorted(EXPECTED)))
def test_first_error(name):
    errors = errors_of(name)
    assert errors, "no error reported"
    first, want = errors[0], EXPECTED[name]
    assert (first.code, first.span.line) == (want.code, want.line)
    assert re.search(want.message, first.message), first.message
    if want.help is not None:
        assert first.help == want.help


def _warns_only(name: str) -> bool:
    marks = marks_of(name)
    return bool(marks) and all(code.startswith("W") for code, *_ in marks)


@pytest.mark.parametrize("name", _xfail(NOT_DETECTED, [n for n in BAD if not _warns_only(n)]))
def test_at_least_one_error(name):
    assert errors_of(name)


@pytest.mark.parametrize("name", _xfail(CASCADES, [n for n in BAD if n != "three_mistakes"]))
def test_one_mistake_one_error(name):
    errors = errors_of(name)
    assert len(errors) <= 1, [d.message for d in errors]


@pytest.mark.parametrize("name", _xfail(LAYOUT))
def test_layout(name):
    diags, source = diagnose(name)
    for d in diags:
        if d.severity != "error":
            continue
        lines = render(d, source).split("\n")
        assert FIRST_LINE.match(lines[0]), lines[0]
        assert lines[0].startswith(f"tests/cases/bad/{name}.policy:{d.span.line}:{d.span.col}: error: ")
        assert "\n" not in d.message and not d.message.endswith(".") and not d.message[:1].isupper(), d.message
        assert SOURCE_LINE.match(lines[1]) and SOURCE_LINE.match(lines[1]).group(1) == str(d.span.line), lines[1]
        # the line as written, an invisible character shown as `�` (never printed raw)
        written = source.splitlines()[d.span.line - 1]
        assert lines[1].split(" | ", 1)[1] == "".join("\ufffd" if invisible(ch) else ch for ch in written)
        assert CARET_LINE.match(lines[2]), repr(lines[2])
        rest = lines[3:]
        while rest:
            extra = rest.pop(0)
            assert re.match(r"^  = (expected|note|help): \S", extra), extra
            if extra.startswith("  = note: ") and rest and SOURCE_LINE.match(rest[0]):
                # a related place (`first declared here`): its own source line and caret
                assert CARET_LINE.match(rest[1]), repr(rest[1])
                rest = rest[2:]


@pytest.mark.parametrize("name", BAD)
def test_paths_are_repository_relative(name):
    text = rendered(name)
    assert "/work/" not in text and str(ROOT) not in text
    for d in diagnose(name)[0]:
        assert d.span.path == f"tests/cases/bad/{name}.policy"


@pytest.mark.parametrize("name", BAD)
def test_no_internal_names(name):
    text = rendered(name)
    for leak in ("__ANON", "Token(", "Tree(", "NAME", "STRING", "$END", "dsl.ast", "Type(", "<class"):
        assert leak not in text


@pytest.mark.parametrize("name, suggestion", [
    ("unknown_name", "cancelled_at"),
    ("unknown_name_in_sentence", "fare"),
    ("unknown_type", "money"),
    ("unknown_output_in_assignment", "fee"),
    ("three_mistakes", "departure_at"),
])
def test_did_you_mean(name, suggestion):
    assert f"  = help: did you mean `{suggestion}`?" in rendered(name).split("\n")


def test_all_errors_reported_in_one_run():
    errors = errors_of("three_mistakes")
    assert [(d.code, d.span.line) for d in errors] == [("E120", 5), ("E252", 16), ("E187", 19)]
    assert [d.span.line for d in errors] == sorted(d.span.line for d in errors)


@pytest.mark.parametrize("name", BAD)
def test_render_json(name):
    diags, _ = diagnose(name)
    items = json.loads(render_json(diags))
    assert len(items) == len(diags)
    for item, d in zip(items, diags):
        assert (item["code"], item["severity"], item["message"]) == (d.code, d.severity, d.message)
        assert (item["path"], item["line"], item["col"]) == (d.span.path, d.span.line, d.span.col)
        assert item["help"] == d.help


@pytest.mark.parametrize("name", COVERAGE_CASES)
def test_coverage_messages_quote_the_key(name):
    message = errors_of(name)[0].message
    assert re.search(r"covers? `\w+` ", message), message


def test_expected_after_equals_is_not_truncated():
    (d,), _ = diagnose("syntax_unexpected_eof")
    assert "a percentage like `10%`" in d.expected and "a number" in d.expected


def test_named_mistake_after_other_declarations():
    text = 'policy a.b "t"\ninput a: money "a"\ninput fare: money\ninput x: money "y"\n'
    with pytest.raises(PolicyError) as err:
        parse(text)
    assert err.value.diagnostics[0].help == "every declaration needs a Korean label in quotes after it"


def test_named_mistake_in_first_declaration():
    with pytest.raises(PolicyError) as err:
        parse('policy a.b "t"\ninput fare: money\ninput x: money "y"\n')
    assert err.value.diagnostics[0].help == "every declaration needs a Korean label in quotes after it"


def test_unterminated_text_says_so():
    (d,), _ = diagnose("syntax_unterminated_text")
    assert re.search(r"closing|unterminated|not closed", f"{d.message} {d.help}")


# ---------------------------------------------------------------- positions inside text

_SENTENCE_POLICY = '''policy bad.escapes "t"
  source "a.txt" section "s"
input fare: money "운임"
output fee: money "요금"
rule only SAYS
  otherwise
  then fee = 10% of fare
'''


def _check_source(text: str) -> list[Diagnostic]:
    try:
        return check(parse(text, "policies/bad/escapes.policy"))
    except PolicyError as err:
        return err.diagnostics


@pytest.mark.parametrize("says, code, target", [
    # an escape before a number the rule does not use: the caret is under the number as written
    (r'"\u{41}\u{42}\u{43}\u{44}\u{45}\u{46} 요금은 5,000원"', "E203", "5,000원"),
    (r'"\"q\" \\ \t {fare}의 7%"', "E203", "7%"),
    # an escape before a placeholder naming nothing
    (r'"\u{1F600}\u{41} 운임 {fair}"', "E200", "{fair}"),
    # a stray brace after a placeholder and an escape: not the placeholder's own `}`
    (r'"{fare} \u{41} }"', "E201", "}"),
])
def test_caret_inside_text_counts_escapes_as_written(says, code, target):
    text = _SENTENCE_POLICY.replace("SAYS", says)
    diags = [d for d in _check_source(text) if d.code == code]
    assert diags, [(d.code, d.message) for d in _check_source(text)]
    line_no = 5
    line = text.splitlines()[line_no - 1]
    col = line.rindex(target) + 1
    assert (diags[0].span.line, diags[0].span.col, diags[0].span.end_col) == (line_no, col, col + len(target))


# ---------------------------------------------------------------- duplicates point at both places

_BASE = '''policy bad.escapes "t"
  source "a.txt" section "s"
  question "q"
enum kind "종류"
  a "가"
  b "나"
record item "항목"
  x: money "금액"
input k: kind "종류"
input n: int "수"
input items: list of item max 3 "항목들"
output fee: money "요금"
check n_ok "n" requires n >= 0
table by_n by n "n별"
  low (-∞, 0]: fee = 0원 "적음"
  high (0, ∞): fee = 0원 "많음"
'''

# (what to change in _BASE, code, the duplicated text, the first declaration's line)
DUPLICATES = [
    (('  question "q"\n', '  question "q"\n  question "q"\n'), "E009", '"q"', 3),
    (('record item', 'enum item "x"\n  z "z"\nrecord item'), "E110", "item", 7),
    (('  b "나"\n', '  b "나"\n  a "다"\n'), "E111", "a", 5),
    (('  x: money "금액"\n', '  x: money "금액"\n  x: int "수"\n'), "E112", "x", 8),
    (('output fee: money "요금"\n', 'output fee: money "요금"\nlet n = 1 "하나"\n'), "E130", "n", 10),
    (('check n_ok', 'check n_ok "m" requires true\ncheck n_ok'), "E166", "n_ok", 13),
    (('table by_n', 'rule by_n "r" when n = 5 then fee = 0원\ntable by_n'), "E161", "by_n", 14),
    (('table by_n', 'rule n_ok "r" when n = 5 then fee = 0원\ntable by_n'), "E161", "n_ok", 13),
    (('fee = 0원 "적음"', 'fee = 0원, fee = 1원 "적음"'), "E172", "fee", 15),
    (('  high (0, ∞)', '  low (0, ∞)'), "E182", "low", 15),
    (('by_n by n "n별"\n  low (-∞, 0]: fee = 0원 "적음"\n  high (0, ∞)', 'by_k by k "k별"\n  a: fee = 0원 "적음"\n  b: fee = 0원 "적음"\n  a'),
     "E182", "a", 15),
]


@pytest.mark.parametrize("change, code, name, first_line", DUPLICATES, ids=[f"{c}-{n}" for _, c, n, _ in DUPLICATES])
def test_a_duplicate_points_at_itself_and_at_its_first_declaration(change, code, name, first_line):
    text = _BASE.replace(*change)
    assert text != _BASE
    lines = text.splitlines()
    diags = [d for d in _check_source(text) if d.code == code]
    assert len(diags) == 1, [(d.code, d.message) for d in _check_source(text)]
    (d,) = diags

    def shown(span):
        return lines[span.line - 1][span.col - 1:span.end_col - 1]

    assert shown(d.span) == name and (d.span.line, d.span.col) > (first_line, d.related[0].span.col)
    assert [r.message for r in d.related] in (["first declared here"], ["first given here"], ["first set here"])
    assert (shown(d.related[0].span), d.related[0].span.line) == (name, first_line)
    # The render shows both lines, each with its caret; JSON carries the related place.
    text_out = render(d, text).split("\n")
    note = text_out.index(f"  = note: {d.related[0].message}")
    assert text_out[note + 1] == f"  {first_line} | {lines[first_line - 1]}"
    assert text_out[note + 2].endswith("^" * len(name))
    (item,) = json.loads(render_json([d]))
    assert item["related"] == [{"message": d.related[0].message, "path": d.span.path, "line": first_line,
                                "col": d.related[0].span.col, "end_line": first_line,
                                "end_col": d.related[0].span.col + len(name)}]


def test_the_base_of_the_duplicates_is_clean():
    assert not [d for d in _check_source(_BASE) if d.severity == "error"]


@pytest.mark.parametrize("change, code, target", [
    (('  source "a.txt" section "s"\n', '  source "a.txt" section "s"\n  zone Asia/Nowhere\n'), "E104", "Asia/Nowhere"),
    (("policy bad.escapes", "policy bad.elsewhere"), "E102", "bad.elsewhere"),
])
def test_header_mistakes_point_at_their_token(change, code, target):
    text = _BASE.replace(*change)
    (d,) = [d for d in _check_source(text) if d.code == code]
    line = text.splitlines()[d.span.line - 1]
    assert line[d.span.col - 1:d.span.end_col - 1] == target


# ---------------------------------------------------------------- every code has a case, caret on the token

SOURCES_OF_CODES = (ROOT / "dsl" / "parser.py", ROOT / "compiler" / "check.py")
# Codes no case file can show, and where they are tested instead.
WITHOUT_CASE = {
    "E001": "bytes that are not UTF-8: tests/test_pipeline.py",
    "E002": "the end of the file, past which no mark can be written: test_first_error[syntax_unexpected_eof]",
    "E010": "nesting depth (the checker's limits): tests/test_check.py",
    "E101": "unreachable: the grammar's POLICY_ID admits only lowercase ids",
    "E102": "a case's id is `bad.<file name>`: test_header_mistakes_point_at_their_token",
    "E105": "a case's id is `bad.<file name>`: tests/test_hostile_source.py",
    "E164": "unreachable: the grammar's NAME admits only lowercase rule ids",
    "E165": "unreachable: the grammar's NAME admits only lowercase check ids",
    "W169": "needs more rules than a case should hold: tests/test_check.py",
}


def emitted_codes() -> set[str]:
    return {code for path in SOURCES_OF_CODES for code in re.findall(r'"([EW]\d{3})"', path.read_text(encoding="utf-8"))}


def test_every_code_has_a_case():
    codes = emitted_codes()
    assert len(codes) > 80, sorted(codes)
    covered = {code for n in BAD for code, *_ in marks_of(n)}
    assert sorted(codes - covered - set(WITHOUT_CASE)) == []
    assert sorted(set(WITHOUT_CASE) - codes) == []  # no stale exemption


@pytest.mark.parametrize("name", ANNOTATED)
def test_caret_lands_on_the_marked_token(name):
    diags, source = diagnose(name)
    found = {(d.code, d.span.line, d.span.col, d.span.end_col) for d in diags}
    for mark in marks_of(name):
        assert mark in found, (mark, sorted(found))
