"""Unit tests of the checker's analysis: types, evaluation order, narrowing, coverage, checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compiler.check import NEG_INF, POS_INF, Piece, analyze, coverage_problems
from dsl.parser import parse

HEAD = 'policy t.p "시험"\n  source "x.txt" section "s"\n'


def run(body: str):
    return analyze(parse(HEAD + body, "policies/t/p.policy"))


def codes(body: str) -> list[str]:
    return [d.code for d in run(body).diagnostics if d.severity == "error"]


def piece(lo, lc, hi, hc, name="r"):
    return Piece(lo, lc, hi, hc, name, None)


H = timedelta(hours=1)


def test_coverage_of_a_perfect_partition_is_clean():
    pieces = [piece(NEG_INF, False, 1 * H, True), piece(1 * H, False, 9 * H, True), piece(9 * H, False, POS_INF, False)]
    assert coverage_problems(pieces) == []


@pytest.mark.parametrize("pieces,kind", [
    ([piece(NEG_INF, False, H, False), piece(H, False, POS_INF, False)], "gap"),  # the point 1h
    ([piece(NEG_INF, False, H, True), piece(H, True, POS_INF, False)], "overlap"),  # 1h twice
    ([piece(NEG_INF, False, H, True)], "gap"),  # nothing above 1h
    ([piece(H, True, POS_INF, False)], "gap"),  # nothing below 1h
    ([piece(NEG_INF, False, 5 * H, False), piece(H, True, POS_INF, False)], "overlap"),
])
def test_coverage_finds_gaps_and_overlaps(pieces, kind):
    problems = coverage_problems(pieces)
    assert [p[0] for p in problems] == [kind]


def test_gap_counterexample_is_exact():
    pieces = [piece(NEG_INF, False, H, True), piece(2 * H, True, POS_INF, False)]
    (kind, (lo, lc, hi, hc)), = coverage_problems(pieces)
    assert (kind, lo, lc, hi, hc) == ("gap", H, False, 2 * H, False)


def test_types_of_datetime_arithmetic():
    an = run('input a: datetime "a"\ninput b: datetime "b"\noutput o: bool "o"\n'
             'let d = a - b "d"\nlet e = a + 24h "e"\n'
             'rule r "x" when d > 1h and e > b then o = true\nrule s "y" otherwise then o = false\n')
    assert an.diagnostics == []
    assert an.symbols["d"].type.kind == "duration"
    assert an.symbols["e"].type.kind == "datetime"


def test_computed_outputs_are_ordered_by_dependency():
    an = run('input x: money "x"\noutput c: money = b + 1원 "c"\noutput b: money = a + 1원 "b"\noutput a: money "a"\n'
             'rule r "x" otherwise then a = x\n')
    assert an.diagnostics == []
    assert an.after == ["b", "c"]


NARROWED_BY_CHECKS = (
    'input fare: optional money "운임"\ninput tip: optional money "팁"\n'
    'check fare_given "운임을 입력해 주세요." requires fare is given and fare >= 0원\n'
    'check tip_given review "팁 확인" requires tip is given\n'
    'output fee: money "수수료"\n'
    'rule rejected "접수 불가" when refused then fee = 0원\n'
    'rule charge "운임 {fare} → {fee}" when fare > 10,000원 then fee = 10% of fare\n'
    'rule asked "확인" when needs_review then fee = 1원\n'
    'rule tipped "팁 {tip}" when tip > 0원 then fee = tip\n'
    'rule rest "그 밖" otherwise then fee = 0원\n'
)


def test_past_a_rule_when_refused_the_checks_inputs_are_given():
    # Past `when refused` every check without `review` passed, so `fare is given` holds; past
    # `when needs_review` every review check did, so `tip is given` holds.
    assert codes(NARROWED_BY_CHECKS) == []
    assert codes(NARROWED_BY_CHECKS.replace('rule rejected "접수 불가" when refused then fee = 0원\n', "")) == ["E231", "E231"]
    assert "E231" in codes(NARROWED_BY_CHECKS.replace("when refused then", "when refused and tip is missing then"))
    assert "E231" in codes(NARROWED_BY_CHECKS.replace("requires fare is given and", "requires fare is given or"))
    assert "E231" in codes(NARROWED_BY_CHECKS.replace("when needs_review then", "when refused then"))
    # A rule `when refused or …` fires whenever refused is true, and narrows the same way.
    assert codes(NARROWED_BY_CHECKS.replace("when refused then", "when refused or fare is missing then")) == []


def test_an_evaluator_narrowed_by_checks_never_sees_the_missing_input(tmp_path):
    from tests.support import compile_policy

    source = HEAD.replace("t.p", "t.narrowed").replace('"x.txt"', '"001_643b8286a8614a89.txt"') + NARROWED_BY_CHECKS
    m = compile_policy(tmp_path, "t.narrowed", source)
    assert [m.evaluate(i).rule for i in ({}, {"fare": 20000}, {"fare": 5000}, {"fare": 5000, "tip": 300})] == \
        ["rejected", "charge", "asked", "tipped"]
    assert m.evaluate({"fare": 20000}).outputs == {"fee": 2000}


SUMS = ('record item "항목"\n  amount: money "금액"\n  refund: optional money "환불액"\n  wait: duration "대기"\n'
        'input items: list of item max 10 "항목들"\ninput rate: percent "비율"\n'
        'output fee: money "수수료"\nrule r "x" otherwise then fee = 0원\n')


@pytest.mark.parametrize("formula,kind", [
    ("sum (10% of amount) of items", "money"),
    ("sum (rate of amount) of items where amount > 0원", "money"),  # an outer input beside the fields
    ("sum (amount - refund) of items where refund is given", "money"),  # the where narrows the value
    ("sum (wait + 5min) of items", "duration"),
])
def test_sum_of_an_expression_over_each_record(formula, kind):
    an = run(SUMS + f'let s = {formula} "s"\n')
    assert [d.message for d in an.diagnostics if d.severity == "error"] == []
    assert an.symbols["s"].type.kind == kind


@pytest.mark.parametrize("formula,code", [
    ("sum (amount - refund) of items", "E231"),  # refund may be missing
    ("sum (wait > 1min) of items", "E232"),  # true/false does not add up
    ("sum (amont) of items", "E252"),  # a field that is not there (did you mean `amount`?)
])
def test_sum_of_an_expression_reports_what_is_wrong(formula, code):
    assert code in codes(SUMS + f'let s = {formula} "s"\n')


def test_an_evaluator_sums_an_expression_per_record(tmp_path):
    from tests.support import compile_policy

    source = HEAD.replace("t.p", "t.sums").replace('"x.txt"', '"001_643b8286a8614a89.txt"') + SUMS.replace(
        'output fee: money "수수료"\n',
        'output per_item: money = sum (10% of amount) of items "항목별 10%"\n'
        'output once: money = 10% of sum amount of items "합계의 10%"\n'
        'output kept: money = sum (amount - refund) of items where refund is given "환불 후"\n'
        'output waited: duration = sum (wait + 5min) of items where amount > 0원 "대기"\n'
        'output fee: money "수수료"\n')
    m = compile_policy(tmp_path, "t.sums", source)
    items = [{"amount": 15, "wait": "PT1M"}, {"amount": 15, "refund": 5, "wait": "PT2M"}, {"amount": 0, "wait": "PT3M"}]
    out = m.evaluate({"items": items, "rate": 10}).outputs
    # 10% of each 15원 is 1.5원, dropped to 1원 per item; 10% of the 30원 total is 3원.
    assert (out["per_item"], out["once"], out["kept"], out["waited"]) == (2, 3, 10, "PT13M")
    page = (tmp_path / "generated" / "docs" / "t" / "sums.md").read_text(encoding="utf-8")
    assert "항목들의 (금액의 10%) 합계" in page and "환불액이 있는 항목들의 (금액 − 환불액) 합계" in page


def test_a_cycle_is_reported():
    assert "E150" in codes('input x: money "x"\nlet a = b + x "a"\nlet b = a + x "b"\noutput o: money = a "o"\nrule r "x" otherwise\n')


def test_optional_input_needs_a_guard_and_the_guard_narrows():
    base = 'input x: optional datetime "x"\ninput y: datetime "y"\noutput o: bool "o"\n'
    assert "E231" in codes(base + 'rule r "x" when x > y then o = true\nrule s "z" otherwise then o = false\n')
    assert codes(base + 'rule r "x" when x is given and x > y then o = true\nrule s "z" otherwise then o = false\n') == []
    # `x is missing or …` narrows its right side; a rule `when x is missing` narrows every later rule.
    assert codes(base + 'rule r "x" when x is missing or x > y then o = true\nrule s "z" otherwise then o = false\n') == []
    assert codes(base + 'rule r "x" when x is missing then o = true\nrule q "w" when x > y then o = true\n'
                        'rule s "z" otherwise then o = false\n') == []


def test_masked_rule_is_reported_with_its_mask():
    body = ('enum k "k"\n  a "A"\n  b "B"\ninput kind: k "k"\ninput n: int "n"\noutput o: int "o"\n'
            'rule wide "x" when kind = a and n >= 3 then o = 1\n'
            'rule narrow "y" when n >= 5 and kind = a then o = 2\n'
            'rule other "z" when kind = b then o = 3\n'
            'rule rest "w" otherwise then o = 0\n')
    an = run(body)
    masked = [d for d in an.diagnostics if d.code == "E168"]
    assert len(masked) == 1 and "`narrow`" in masked[0].message and "`wide`" in masked[0].message


def test_rule_after_a_total_table_is_dead():
    body = ('input n: int "n"\noutput o: int "o"\n'
            'table t by n "t"\n  lo (-∞, 5): o = 0 "a"\n  hi [5, ∞): o = 1 "b"\n'
            'rule late "x" when n > 3 then o = 2\n')
    assert "E160" in codes(body)


def test_sentence_numbers_must_be_the_rules_numbers():
    body = 'input fare: money "운임"\noutput fee: money "수수료"\n'
    assert codes(body + 'rule r "운임의 10%, 최대 8,000원" otherwise then fee = 10% of fare at most 8,000원\n') == []
    errors = run(body + 'rule r "운임의 10%, 최대 9,000원" otherwise then fee = 10% of fare at most 8,000원\n').diagnostics
    assert [d.code for d in errors] == ["E203"]
    assert "9,000원" in errors[0].message and "8,000원" in errors[0].notes[0]


def test_checks_collect_results_and_may_not_use_them():
    body = ('input age: int "나이"\noutput reasons: list of text = failed_checks "사유"\noutput ok: bool "가능"\n'
            'check adult "만 15세 이상만 가입할 수 있습니다." requires age >= 15\n'
            'rule no "x" when refused then ok = false\nrule yes "y" otherwise then ok = true\n')
    an = run(body)
    assert an.diagnostics == []
    assert an.after_checks == ["reasons"]
    bad = body.replace("requires age >= 15", "requires refused")
    assert "E255" in codes(bad)


def test_checks_names_are_unknown_without_checks():
    assert "E252" in codes('input a: int "a"\noutput o: bool "o"\nrule r "x" when refused then o = true\nrule s "y" otherwise then o = false\n')


def test_money_rate_only_in_a_product():
    body = 'input minutes: int "분"\noutput fee: money "보험료"\n'
    assert codes(body + 'rule r "x" otherwise then fee = minutes * 18.5원\n') == []
    assert "E210" in codes(body + 'rule r "x" otherwise then fee = 18.5원\n')


def test_every_policy_must_name_a_deciding_rule():
    assert "E163" in codes('input a: int "a"\noutput o: int = a "o"\n')
    assert "E162" in codes('input a: int "a"\noutput o: optional int "o"\nrule r "x" when a > 1 then o = 1\n')


ENUM_TABLE = ('enum damage "종류"\n  seat "카시트"\n  cover "시트커버 밖"\n  whole "내부 전반"\n'
              'input kind: damage "종류"\noutput cap: money "한도"\n'
              'table caps by kind "종류별 한도"\n'
              '  seat: cap = 10,000원 "카시트 오염: 최대 10,000원"\n'
              '  cover: cap = 50,000원 "시트커버 밖 오염: 최대 50,000원"\n')


def test_enum_table_needs_every_value_once():
    assert "E195" in codes(ENUM_TABLE)
    complete = ENUM_TABLE + '  whole: cap = 200,000원 "내부 전반 오염: 최대 200,000원"\n'
    an = run(complete)
    assert an.diagnostics == []
    assert an.rule_ids == ["caps.seat", "caps.cover", "caps.whole"]
    assert "E182" in codes(complete + '  seat: cap = 1원 "x"\n')
    assert "E194" in codes(ENUM_TABLE + '  hole: cap = 200,000원 "내부 전반 오염: 최대 200,000원"\n')


def test_optional_record_field_is_narrowed_inside_where():
    body = ('record pet "반려동물"\n  breed: optional text "견종"\n'
            'input pets: list of pet max 3 "반려동물"\noutput n: int = count pets where breed is given and breed = "tosa" "맹견 수"\n'
            'rule r "x" otherwise\n')
    assert codes(body) == []
    assert "E231" in codes(body.replace("breed is given and ", ""))


def test_min_and_max_bound_numbers_only():
    ok = 'input m: int min 0 max 720 "분"\noutput o: int = m "o"\nrule r "x" otherwise\n'
    assert codes(ok) == []
    assert "E124" in codes(ok.replace("int min 0 max 720", "text min 3"))
    assert "E125" in codes(ok.replace("min 0 max 720", "min 9 max 3"))


def test_a_field_hiding_an_input_inside_where_is_warned():
    body = ('record booking "예약"\n  at: datetime "시각"\n'
            'input at: datetime "기준 시각"\ninput bookings: list of booking max 10 "예약들"\n'
            'output n: int = count bookings where at in month of at "이번 달 예약 수"\nrule r "x" otherwise\n')
    warnings = [d for d in run(body).diagnostics if d.code == "W257"]
    assert len(warnings) == 1 and "field of `booking`" in warnings[0].message
    assert codes(body) == []  # a warning, not an error


# A unit error is reported once; nothing after it compares the mismatched values (issue 10).
@pytest.mark.parametrize("body, code", [
    # A rule's region is not compared with a later rule's once its condition had a unit error.
    pytest.param('input before: duration "b"\noutput fee: money "f"\n'
     'rule a "x" when before > 3,000원 then fee = 0원\n'
     'rule b "y" when before > 3h then fee = 0원\n'
     'rule c "z" otherwise then fee = 0원\n', "E241", id="money bound, then duration bound"),
    pytest.param('input before: duration "b"\noutput fee: money "f"\n'
     'rule a "x" when before > 3h then fee = 0원\n'
     'rule b "y" when before > 3,000원 and before < 5h then fee = 0원\n'
     'rule c "z" otherwise then fee = 0원\n', "E241", id="a money bound in a conjunction"),
    # An interval's ends are not compared with each other when the key is unknown.
    pytest.param('output fee: money "f"\n'
     'rule a "x" when nope in [3h, 5원) then fee = 0원\n'
     'rule c "z" otherwise then fee = 0원\n', "E252", id="interval of an unknown name"),
    pytest.param('output fee: money "f"\n'
     'table t by nope "t"\n  a [2025-01-01, 2025-01-02T00:00): fee = 0원 "a"\n  b [1h, ∞): fee = 0원 "b"\n', "E252", id="table by an unknown name"),
])
def test_a_unit_error_is_reported_and_the_values_are_not_compared(body, code):
    assert code in codes(body)


def test_masking_is_found_across_groups_of_rules():
    body = ('input n: int "n"\ninput flag: bool "f"\noutput o: int "o"\n'
            'rule wide "x" when n >= 3 then o = 1\n'
            'rule other "y" when flag then o = 2\n'
            'rule narrow "z" when flag and n >= 5 then o = 3\n'
            'rule rest "w" otherwise then o = 0\n')
    masked = [d for d in run(body).diagnostics if d.code == "E168"]
    assert len(masked) == 1 and "`narrow`" in masked[0].message and "`wide`" in masked[0].message


def test_masking_comparisons_are_bounded(monkeypatch):
    # The masking check compares a new rule only with rules testing the same inputs, and at most
    # _MASK_BUDGET times per policy: it stays linear in the number of rules (issue 10).
    import compiler.check as C

    monkeypatch.setattr(C, "_MASK_BUDGET", 100)
    rules = "".join(f'rule r{i} "x" when n > {i} and n < {i + 2} then o = {i}\n' for i in range(60))
    body = 'input n: int "n"\ninput m: int "m"\noutput o: int "o"\n' + rules + 'rule rest "w" otherwise then o = 0\n'
    an = run(body)
    assert [d.code for d in an.diagnostics] == ["W169"]
