"""Tests for the Korean counselor page and the page index (compiler/emit_docs.py)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.check import analyze
from compiler.diagnostics import PolicyError
from compiler.emit_docs import emit_index
from compiler.korean import toward as _toward
from compiler.markdown import cell as _cell, md as _md
from compiler.values import fmt_duration as _fmt_duration, fmt_interval as _fmt_interval
from compiler.emit_docs import emit_docs as emit_page
from compiler.examples import WorkedExample
from compiler.services import load_services
from tests.support import project_data
from dsl import ast as A
from dsl.parser import parse, parse_file

ROOT = Path(__file__).resolve().parent.parent


def emit_docs(policy, examples, analysis=None) -> str:
    """The page of `policy` with examples written as the examples file does, taken as decided.

    The page shows what the evaluator decides (the pipeline runs the examples first); these
    tests only exercise how a decided example is written, so `expected` stands for the decision.
    """
    worked = [WorkedExample(e["name"], e["input"], e.get("expected") or {}, e.get("rule"), None,
                            tuple(sorted(e["invalid"])) if "invalid" in e else None, e.get("note"))
              for e in examples]
    return emit_page(policy, worked, analysis)
PET_TAXI = ROOT / "policies" / "pet_taxi" / "cancellation_fee.policy"

PET_EXAMPLES = [
    {
        "name": "출발 10시간 전 취소",
        "input": {
            "fare": 20000,
            "departure_at": "2025-06-01T14:00:00+09:00",
            "cancelled_at": "2025-06-01T04:00:00+09:00",
        },
        "expected": {"fee": 2000},
        "rule": "by_time.early",
    },
    {
        "name": "승객 노쇼",
        "input": {
            "fare": 50000,
            "departure_at": "2025-06-01T05:00:00Z",
            "cancelled_at": "2025-06-01T14:00",
            "no_show": True,
        },
        "expected": {"fee": 30000},
        "rule": "passenger_no_show",
        "note": "운임의 100%가 50,000원이라 최대 30,000원을 받습니다.",
    },
]

SECTIONS = ["## 개요", "## 확인하는 정보", "## 판단 결과", "## 판단 순서", "## 경계 기준", "## 계산 예시", "## 근거"]


@pytest.fixture(scope="module")
def pet_policy() -> A.Policy:
    return parse_file(PET_TAXI, root=ROOT)


@pytest.fixture(scope="module")
def pet_page(pet_policy) -> str:
    return emit_docs(pet_policy, PET_EXAMPLES)


def _span() -> A.Span:
    return A.Span("t.policy", 1, 1, 1, 2)


def _dur(text: str, **kw) -> A.Duration:
    return A.Duration(timedelta(**kw), text, _span())


def _inf(negative: bool) -> A.Infinity:
    return A.Infinity(negative, _span())


def _iv(low, low_closed, high, high_closed) -> A.Interval:
    return A.Interval(low, low_closed, high, high_closed, _span())


# ---------------------------------------------------------------- the pet-taxi page


def test_pet_page_header_and_facts(pet_page):
    lines = pet_page.splitlines()
    assert lines[0] == "# 펫 예약 취소수수료"
    assert "> 자동 생성 문서입니다. 직접 수정하지 마세요. 원본: `policies/pet_taxi/cancellation_fee.policy`" in lines
    assert "- 정책 ID: `pet_taxi.cancellation_fee`" in lines
    assert "- 근거: `001_643b8286a8614a89.txt` 「이용료 취소수수료」" in lines
    assert "- 시행일: 2025-05-15" in lines
    assert "- 기준 시간대: 한국 시간 (Asia/Seoul)" in lines
    assert "- 자주 묻는 질문: 펫 예약을 취소하면 취소수수료가 얼마인가요?" in lines


def test_pet_page_sections_in_fixed_order(pet_page):
    positions = [pet_page.index(f"\n{s}\n") for s in SECTIONS]
    assert positions == sorted(positions)


def test_pet_page_window_table_in_words(pet_page):
    assert "- 출발까지 남은 시간이 24시간 초과: 0원" in pet_page
    assert "- 출발까지 남은 시간이 9시간 초과 24시간 이하: 운임의 10%, 최대 8,000원" in pet_page
    assert "- 출발까지 남은 시간이 1시간 초과 9시간 이하: 운임의 50%, 최대 8,000원" in pet_page
    assert "- 출발까지 남은 시간이 1시간 이하: 운임의 100%, 최대 15,000원" in pet_page
    assert "| 9시간 초과 24시간 이하 | 운임의 10%, 최대 8,000원 | `by_time.early` |" in pet_page
    assert "| 1시간 이하 | 운임의 100%, 최대 15,000원 | `by_time.last` |" in pet_page
    assert "| 구간 (출발까지 남은 시간) | 취소수수료 | 규칙 ID |" in pet_page


def test_pet_page_rules_in_words(pet_page):
    assert "### 3. 승객 노쇼: 운임 ‹운임›의 100%, 최대 30,000원 → 취소수수료 ‹취소수수료›" in pet_page
    assert "- 결과: 취소수수료 = 운임의 100%, 최대 30,000원" in pet_page
    assert "- 조건: 기사 배차 완료 시각이 있고, 취소 시각 − 기사 배차 완료 시각이 0분 이상 10분 이하" in pet_page
    assert "- 조건: 기사가 [손님위치에 도착]을 누른 시각이 있고, " \
           "기사가 [손님위치에 도착]을 누른 시각이 출발 예정 시각 + 5분보다 늦음" in pet_page
    assert "- 참고: 배차 완료 후 정확히 10분째 취소도 수수료가 없습니다." in pet_page
    assert "- 규칙 ID: `dispatch_grace`" in pet_page
    # Rules are numbered in source order: four rules, then the table.
    assert "### 5. 출발까지 남은 시간별 취소수수료" in pet_page


def test_pet_page_inputs_outputs_and_lets(pet_page):
    assert "| `fare` | 운임 | 금액(원) | 필수 |" in pet_page
    assert "| `dispatched_at` | 기사 배차 완료 시각 | 일시 | 선택 |" in pet_page
    assert "| `no_show` | 승객 노쇼 여부 | 예/아니요 | 기본값 아니요 |" in pet_page
    assert "| `fee` | 취소수수료 | 금액(원) | 아래 판단 순서로 정함 |" in pet_page
    assert "| `before` | 출발까지 남은 시간 | 출발 예정 시각 − 취소 시각 |" in pet_page


def test_pet_page_boundaries_and_sources(pet_page):
    boundaries = pet_page.split("## 경계 기준\n", 1)[1].split("\n## ", 1)[0]
    assert "9시간 전 정각은 50% 구간" in boundaries
    assert pet_page.rstrip("\n").endswith("- 상담 문서 `001_643b8286a8614a89.txt`, 「이용료 취소수수료」 항목")


def test_pet_page_examples(pet_page):
    examples = pet_page.split("## 계산 예시\n", 1)[1]
    assert "### 출발 10시간 전 취소" in examples
    assert "- 운임: 20,000원" in examples
    assert "- 취소 시각: 2025-06-01 04:00 (한국 시간)" in examples
    assert "- 취소수수료: 2,000원" in examples
    assert "결정 규칙: `by_time.early` (판단 순서 5번: 9시간 초과 24시간 이하)" in examples
    # UTC converted to the policy zone; a naive time is already in it.
    noshow = examples.split("### 승객 노쇼", 1)[1]
    assert "- 출발 예정 시각: 2025-06-01 14:00 (한국 시간)" in noshow
    assert "- 취소 시각: 2025-06-01 14:00 (한국 시간)" in noshow
    assert "- 승객 노쇼 여부: 예" in noshow
    assert "결정 규칙: `passenger_no_show` (판단 순서 3번)" in noshow
    assert "참고: 운임의 100%가 50,000원이라 최대 30,000원을 받습니다." in noshow



def test_rejected_example_shows_raw_input_and_the_bad_fields(pet_policy):
    page = emit_docs(pet_policy, [{
        "name": "운임이 문자열이면 입력 오류",
        "input": {"fare": "30000", "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "bad"},
        "invalid": ["/cancelled_at", "/fare"],
    }])
    example = page.split("### 운임이 문자열이면 입력 오류", 1)[1]
    # Formatting a rejected value would make it look valid (`30,000원`): show it as sent.
    assert '- 운임: `"30000"`' in example
    assert '- 취소 시각: `"bad"`' in example
    assert "30,000원" not in example
    assert "- 입력 오류로 거절합니다. 잘못된 항목: `/cancelled_at`, `/fare`" in example

def test_pet_page_is_deterministic_and_clean(pet_policy, pet_page):
    again = emit_docs(pet_policy, [dict(e) for e in PET_EXAMPLES])
    assert again == pet_page
    assert pet_page.endswith("\n") and not pet_page.endswith("\n\n")
    assert str(ROOT) not in pet_page
    assert "\t" not in pet_page
    assert all(line == line.rstrip() for line in pet_page.splitlines())


def test_page_without_examples_or_notes():
    policy = parse('policy a.b "제목"\ninput x: int "값"\noutput y: int "결과"\n'
                   'rule r "항상" otherwise then y = x\n', "policies/a/b.policy")
    page = emit_docs(policy, [])
    assert "## 경계 기준" not in page
    assert "## 개요" not in page
    assert "- 시행일: 미정" in page
    assert "등록된 계산 예시가 없습니다." in page
    assert "- 조건: 위 항목에 모두 해당하지 않을 때" in page
    decimal_default = parse('policy a.b "t"\ninput r: number = 0.5 "배수"\noutput y: number "y"\n'
                            'rule r "r" otherwise then y = r\n', "policies/a/b.policy")
    assert "| `r` | 배수 | 숫자 | 기본값 0.5 |" in emit_docs(decimal_default, [])
    assert page.endswith("\n") and not page.endswith("\n\n")


# ---------------------------------------------------------------- escaping

HOSTILE = r'''
policy evil.page "<script>alert(1)</script> 제목"
  source "a`b.txt" section "섹션 | <b>"
  summary "- 목록 아님\n# 제목 아님 & [링크](javascript:alert(1)) *강조*"
  note "1. 첫째 | 둘째"
enum kind "종류"
  a "가 | 나"
  b "다\n라"
input k: kind "종류 | 선택\n둘째 줄"
input x: money "금액 <b>굵게</b>"
output fee: money "수수료 | 결과"
rule r "안내 {x} | <script>x</script>"
  when k = a
  then fee = 10% of x at most 1,000원
table t by x "표"
  lo [0원, 1,000원): fee = 0원 "낮음"
  hi [1,000원, ∞): fee = 100원 "높음"
'''


@pytest.fixture(scope="module")
def hostile_page() -> str:
    return emit_docs(parse(HOSTILE, "policies/evil/page.policy"), [])


def test_no_html_survives(hostile_page):
    assert "<script>" not in hostile_page
    assert "<b>" not in hostile_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_page
    assert "# &lt;script&gt;alert(1)&lt;/script&gt; 제목" in hostile_page
    assert "&amp;" in hostile_page
    # The only tag on the page is the line break the emitter writes itself.
    assert hostile_page.replace("<br>", "").count("<") == 0


def test_table_cells_escape_pipes_and_newlines(hostile_page):
    assert "| `k` | 종류 \\| 선택<br>둘째 줄 | 가 \\| 나 (`a`)<br>다<br>라 (`b`) | 필수 |" in hostile_page
    assert "| `fee` | 수수료 \\| 결과 | 금액(원) |" in hostile_page
    # Every row of a table has as many cells as its header: no stray `|` splits a cell.
    widths: list[int] = []
    for line in hostile_page.splitlines() + [""]:
        if line.startswith("|"):
            widths.append(line.replace("\\|", "").count("|"))
        elif widths:
            assert len(set(widths)) == 1, widths
            widths = []


def test_policy_text_does_not_become_structure(hostile_page):
    lines = hostile_page.splitlines()
    assert "\\- 목록 아님<br>\\# 제목 아님 &amp; [링크\\](javascript:alert(1)) \\*강조\\*" in lines
    assert "- 1\\. 첫째 | 둘째" in lines
    assert "- 근거: ``a`b.txt`` 「섹션 | &lt;b&gt;」" in lines
    assert not any(line.startswith("# ") for line in lines[1:])


def test_md_and_cell_helpers():
    assert _md("a | b") == "a | b"
    assert _cell("a | b") == "a \\| b"
    assert _cell("첫째\n둘째\r\n셋째") == "첫째<br>둘째<br>셋째"
    assert _md("<script>&") == "&lt;script&gt;&amp;"
    assert _md("super_saver") == "super_saver"
    assert _md("_x_") == "\\_x\\_"
    assert _md("24시간 전 ~ 9시간 전") == "24시간 전 ~ 9시간 전"
    assert _md("a~b~") == "a\\~b\\~"
    assert _md("[출발하기]를 누름") == "\\[출발하기]를 누름"
    assert _md("기사가 [출발하기]를 누름") == "기사가 [출발하기]를 누름"
    assert _md("0.5") == "0.5"
    assert _md("2. 둘째") == "2\\. 둘째"
    assert _md("a\\b") == "a\\\\b"
    assert _cell("a\\|b") == "a\\\\\\|b"


# ---------------------------------------------------------------- numbers and intervals


@pytest.mark.parametrize(
    "interval, words",
    [
        (_iv(_dur("72h", hours=72), True, _dur("168h", hours=168), False), "72시간 이상 168시간 미만"),
        (_iv(_dur("9h", hours=9), False, _dur("24h", hours=24), True), "9시간 초과 24시간 이하"),
        (_iv(_dur("0min"), True, _dur("10min", minutes=10), True), "0분 이상 10분 이하"),
        (_iv(_dur("1h", hours=1), False, _dur("9h", hours=9), False), "1시간 초과 9시간 미만"),
        (_iv(_dur("168h", hours=168), True, _inf(False), False), "168시간 이상"),
        (_iv(_dur("24h", hours=24), False, _inf(False), False), "24시간 초과"),
        (_iv(_inf(True), False, _dur("1h", hours=1), True), "1시간 이하"),
        (_iv(_inf(True), False, _dur("24h", hours=24), False), "24시간 미만"),
        (_iv(_inf(True), False, _inf(False), False), "모든 값"),
        (_iv(A.Money(Decimal("1000"), _span()), True, A.Money(Decimal("15000"), _span()), False),
         "1,000원 이상 15,000원 미만"),
        (_iv(A.Percent(Decimal("10"), _span()), False, A.Percent(Decimal("12.5"), _span()), True),
         "10% 초과 12.5% 이하"),
    ],
)
def test_interval_words(interval, words):
    assert _fmt_interval(interval, "Asia/Seoul") == words


def test_interval_words_from_parsed_grid():
    policy = parse(
        'policy a.b "t"\n'
        'enum plan "요금제"\n  cheap "초특가"\n  normal "일반가"\n'
        'input p: plan "요금제"\ninput h: duration "인수까지 남은 시간"\n'
        'output rate: percent "수수료율"\n'
        'table g sets rate by p, h "요금제 {p}: {rate}"\n'
        '  columns w [168h, ∞) | m [72h, 168h) | s (-∞, 72h)\n'
        '  cheap: 10% | 30% | 100%\n'
        '  normal: 0% | 0% | 30%\n', "policies/a/b.policy")
    page = emit_docs(policy, [{"name": "e", "input": {"p": "cheap", "h": "100h"}, "expected": {"rate": 30},
                               "rule": "g.cheap.m"}])
    assert "| 요금제 | 168시간 이상 (`w`) | 72시간 이상 168시간 미만 (`m`) | 72시간 미만 (`s`) |" in page
    assert "| 초특가 (`cheap`) | 10% | 30% | 100% |" in page
    assert "| 일반가 (`normal`) | 0% | 0% | 30% |" in page
    assert "- 안내: 요금제 ‹요금제›: ‹수수료율›" in page
    assert "- 인수까지 남은 시간: 100시간" in page
    assert "결정 규칙: `g.cheap.m` (판단 순서 1번: 초특가, 72시간 이상 168시간 미만)" in page


@pytest.mark.parametrize(
    "value, text, words",
    [
        (timedelta(hours=24), "24h", "24시간"),
        (timedelta(hours=168), "168h", "168시간"),
        (timedelta(days=7), "7d", "7일"),
        (timedelta(days=7), "7일", "7일"),
        (timedelta(days=1, hours=12), "1d12h", "1일 12시간"),
        (timedelta(minutes=10), "10min", "10분"),
        (timedelta(minutes=90), "1h30min", "1시간 30분"),
        (timedelta(minutes=90), "90min", "1시간 30분"),
        (timedelta(0), "0min", "0분"),
        (timedelta(hours=-1), "-1h", "\u22121시간"),
        (timedelta(seconds=30), "30s", "30초"),
        (timedelta(hours=36), None, "36시간"),
    ],
)
def test_duration_words(value, text, words):
    assert _fmt_duration(value, text) == words


def test_duration_literals_from_the_parser():
    policy = parse('policy a.b "t"\ninput d: duration "기간"\noutput o: bool "결과"\n'
                   'table t by d "표"\n'
                   '  neg (-∞, -1h): o = false "a"\n'
                   '  near [-1h, 1h30min): o = false "b"\n'
                   '  day [1h30min, 7d): o = true "c"\n'
                   '  week [7d, ∞): o = true "d"\n', "policies/a/b.policy")
    page = emit_docs(policy, [])
    assert "| \u22121시간 미만 | 아니요 | `t.neg` |" in page
    assert "| \u22121시간 이상 1시간 30분 미만 | 아니요 | `t.near` |" in page
    assert "| 1시간 30분 이상 7일 미만 | 예 | `t.day` |" in page
    assert "| 7일 이상 | 예 | `t.week` |" in page


def test_counts_lists_and_calendar_words():
    policy = parse(
        'policy bus.penalty "페널티"\n'
        'enum kind "종류"\n  late_cancel "출발 3시간 이내 취소"\n  no_board "미탑승"\n'
        'record penalty "페널티"\n  kind: kind "종류"\n  at: datetime "발생 시각"\n'
        'input as_of: datetime "기준 시각"\n'
        'input penalties: optional list of penalty max 500 "페널티 내역"\n'
        'output suspended: bool "이용 정지"\noutput until: optional date "정지 종료일"\n'
        'let late = count penalties where kind = late_cancel and at in month of as_of "당월 늦은 취소 횟수"\n'
        'rule stop "정지: {late}회, {until}까지"\n'
        '  when late >= 5 and not (as_of in day of as_of)\n'
        '  then suspended = true, until = last day of month of as_of\n'
        'rule ok "정지 아님" otherwise then suspended = false\n', "policies/bus/penalty.policy")
    page = emit_docs(policy, [{
        "name": "누적",
        "input": {"as_of": "2025-04-30T10:00:00+09:00",
                  "penalties": [{"kind": "late_cancel", "at": "2025-04-01T09:00:00+09:00"}]},
        "expected": {"suspended": False, "until": None},
        "rule": "ok",
    }])
    assert "| `penalties` | 페널티 내역 | 목록 (최대 500건): 종류, 발생 시각 | 선택 (없으면 빈 목록) |" in page
    assert "페널티 내역 중 종류가 출발 3시간 이내 취소이고, 발생 시각이 기준 시각과 같은 달(한국 시간)인 건수" in page
    assert "- 조건: 당월 늦은 취소 횟수가 5 이상이고, (기준 시각이 기준 시각과 같은 날(한국 시간))에 해당하지 않음" in page
    assert "  - 정지 종료일 = 기준 시각이 속한 달의 말일" in page
    assert "- 페널티 내역: 1건" in page
    assert "  - 종류: 출발 3시간 이내 취소, 발생 시각: 2025-04-01 09:00 (한국 시간)" in page
    assert "- 정지 종료일: 없음" in page


# ---------------------------------------------------------------- index


# The repository's service names, as data (policies/services.yaml), not code.
SERVICES = load_services(ROOT)[0]


def test_index_lists_every_policy_by_domain(pet_policy):
    other = parse('policy bus.penalty "예약취소 | 페널티 [요약]"\n  question "페널티는 언제 풀리나요?"\n'
                  'input x: int "x"\noutput y: int "y"\nrule r "r" otherwise then y = x\n',
                  "policies/bus/penalty.policy")
    third = parse('policy bus.advance "사전 예약"\ninput x: int "x"\noutput y: int "y"\n'
                  'rule r "r" otherwise then y = x\n', "policies/bus/advance.policy")
    index = emit_index([pet_policy, other, third], SERVICES)
    assert index.startswith("# 상담 정책 목록\n")
    assert index.endswith("\n") and not index.endswith("\n\n")
    lines = index.splitlines()
    assert "- [펫 예약 취소수수료](pet_taxi/cancellation_fee.md) — 펫 예약을 취소하면 취소수수료가 얼마인가요?" in lines
    assert "- [예약취소 | 페널티 \\[요약\\]](bus/penalty.md) — 페널티는 언제 풀리나요?" in lines
    assert "- [사전 예약](bus/advance.md)" in lines
    # Named domains are headed by their Korean service name; others (refused by the pipeline) by their id.
    assert lines.index("## bus") < lines.index("- [사전 예약](bus/advance.md)") < lines.index("## 카카오 T 펫")
    assert "coverage.md" not in index
    shuffled = [third, pet_policy, other]
    random.Random(0).shuffle(shuffled)
    assert emit_index(shuffled, SERVICES) == index


def test_index_of_nothing():
    assert emit_index([], SERVICES).endswith("등록된 정책이 없습니다.\n")


def test_index_names_services_and_links_coverage(pet_policy):
    bus = parse('policy callbus.x "콜버스 정책"\n  question "질문?"\ninput x: int "x"\noutput y: int "y"\n'
                'rule r "r" otherwise then y = x\n', "policies/callbus/x.policy")
    rent = parse('policy jeju_rentcar.x "렌트카 정책"\ninput x: int "x"\noutput y: int "y"\n'
                 'rule r "r" otherwise then y = x\n', "policies/jeju_rentcar/x.policy")
    park = parse('policy parking_pass.x "주차 정책"\ninput x: int "x"\noutput y: int "y"\n'
                 'rule r "r" otherwise then y = x\n', "policies/parking_pass/x.policy")
    index = emit_index([pet_policy, bus, rent, park], SERVICES, coverage=True)
    lines = index.splitlines()
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == ["## 광역콜버스", "## 제주패스렌트카", "## 주차패스", "## 카카오 T 펫"]
    assert "- [콜버스 정책](callbus/x.md) — 질문?" in lines
    assert "- [렌트카 정책](jeju_rentcar/x.md)" in lines
    assert "[상담 문서별 규칙 대응표](coverage.md)" in index
    # The link sits above the first service, right under the generated-file note.
    assert index.index("coverage.md") < index.index("## 광역콜버스")


# ---------------------------------------------------------------- checks and the newer expressions

MATE = r'''
policy pet_taxi.mate "메이트 가입 자격"
  source "001_643b8286a8614a89.txt" section "메이트 가입자격"
enum vehicle "차종"
  sedan "승용"
  ray "레이"
  truck "화물차"
record booking "예약"
  hours: int "이용 시간"
  length: duration "예약 시간"
  fare: money "운임"
input age: int "나이"
input car: vehicle "차종"
input request: optional text max 30 "요청사항"
input departure_at: datetime "출발 예정 시각"
input booked_for: duration "예약 시간"
input cancelled_at: datetime "취소 시각"
input license_date: date "면허 취득일"
input bookings: optional list of booking max 10 "예약 내역"
input minutes: int = 0 "운행 분"
output result: optional text "결과"
output reasons: list of text = failed_checks "사유"
output reason_ids: list of text = failed_check_ids "사유 ID"
output blocked: bool = refused "가입 불가"
output deadline: date = add_business_days(cancelled_at, 7) "환불 기한"
output refund_by: date = add_business_days(license_date, 1) "면허 기준일"
output total: int = sum hours of bookings "총 이용 시간"
output long_fares: money = sum fare of bookings where hours > 1 "긴 예약 운임 합계"
output insurance: money = minutes * 18.5원 "보험료"
output insurance_plus: money = 1,000원 + 18.5원 * minutes "보험료와 기본료"
output licensed_year: int = year(license_date) "면허 취득 연도"
output booking_count: int = length(bookings) "예약 건수"
check age_range "만 26세 ~ 65세만 가입할 수 있습니다. (현재 {age}세)" requires age >= 26 and age <= 65
check no_truck "화물차는 가입할 수 없습니다." requires car != truck
check ray_review review "레이는 확인 후 가능합니다." requires not (car in {ray})
  note "레이, 캐스퍼는 담당자가 확인합니다."
check request_len "요청사항은 30자까지 쓸 수 있습니다." requires request is missing or length(request) <= 30
check grid "출발 시각은 10분 단위로 고릅니다." requires aligned(departure_at, 10min)
check units "예약 시간은 30분 단위입니다." requires aligned(booked_for, 30min)
rule refused_rule "가입할 수 없습니다: {reasons} ({failed_check_ids})" when refused then result = "no"
rule review_rule "확인 후 가능합니다." when needs_review and not refused then result = "review"
rule calm "정각 출발이 아닙니다." when not aligned(departure_at, 1h) and not needs_review
rule ok "가입할 수 있습니다." otherwise
'''

MATE_EXAMPLES = [{
    "name": "나이와 차종 모두 거절",
    "input": {"age": 20, "car": "truck", "departure_at": "2025-06-01T14:00:00+09:00", "booked_for": "30min",
              "cancelled_at": "2025-06-01T10:00:00+09:00", "license_date": "2020-01-02"},
    "expected": {"result": "no", "reasons": ["만 26세 ~ 65세만 가입할 수 있습니다. (현재 20세)", "화물차는 가입할 수 없습니다."],
                 "blocked": True, "insurance": 0},
    "rule": "refused_rule",
}]


@pytest.fixture(scope="module")
def mate_policy() -> A.Policy:
    return parse(MATE, "policies/pet_taxi/mate.policy")


@pytest.fixture(scope="module")
def mate_page(mate_policy) -> str:
    analysis = analyze(mate_policy)
    assert [d.message for d in analysis.diagnostics if d.severity == "error"] == []
    return emit_docs(mate_policy, MATE_EXAMPLES, analysis)


def test_page_with_checks_compiles_end_to_end(tmp_path):
    # `policyc compile` used to die with RecursionError on a policy with checks.
    (tmp_path / "policies" / "pet_taxi").mkdir(parents=True)
    (tmp_path / "policies" / "pet_taxi" / "mate.policy").write_text(MATE, encoding="utf-8")
    project_data(tmp_path)
    result, files = pipeline.compile_all(tmp_path)
    assert result.errors == [] and files is not None
    page = files["docs/pet_taxi/mate.md"]
    assert "## 확인 조건" in page


def test_check_section_sits_between_outputs_and_deciders(mate_page):
    heads = [line for line in mate_page.splitlines() if line.startswith("## ")]
    assert heads[:4] == ["## 확인하는 정보", "## 판단 결과", "## 확인 조건", "## 판단 순서"]
    decide = mate_page.split("## 판단 순서\n", 1)[1]
    assert decide.startswith("\n확인 조건을 모두 확인한 다음, 위에서부터 차례로 확인하여")


def test_every_check_listed_in_order_with_condition_outcome_note_and_id(mate_page):
    checks = mate_page.split("## 확인 조건\n", 1)[1].split("\n## ", 1)[0]
    ids = [line for line in checks.splitlines() if line.startswith("- 확인 조건 ID:")]
    assert ids == [f"- 확인 조건 ID: `{i}`" for i in ("age_range", "no_truck", "ray_review", "request_len", "grid", "units")]
    first = checks.split("### 확인 1. ", 1)[1].split("### ", 1)[0]
    assert first.startswith("만 26세 ~ 65세만 가입할 수 있습니다. (현재 ‹나이›세)\n")
    assert "- 조건: 나이가 26 이상이고, 나이가 65 이하\n" in first
    assert "- 통과하지 못하면: 거절\n" in first
    review = checks.split("### 확인 3. ", 1)[1].split("### ", 1)[0]
    assert "- 조건: 차종이 레이가 아님\n" in review
    assert "- 통과하지 못하면: 확인 후 가능(담당자 확인)\n" in review
    assert "- 참고: 레이, 캐스퍼는 담당자가 확인합니다.\n" in review
    assert "- 조건: 차종이 화물차가 아님" in checks


def test_check_results_in_words(mate_page):
    assert "| `reasons` | 사유 | 목록: 텍스트 | 통과하지 못한 확인 조건의 안내 문구 |" in mate_page
    assert "| `reason_ids` | 사유 ID | 목록: 텍스트 | 통과하지 못한 확인 조건 ID |" in mate_page
    assert "| `blocked` | 가입 불가 | 예/아니요 | 거절 조건에 해당함 |" in mate_page
    assert "### 1. 가입할 수 없습니다: ‹사유› (‹통과하지 못한 확인 조건 ID›)" in mate_page
    assert "- 조건: 거절 조건에 해당함\n" in mate_page
    assert "- 조건: 확인이 필요한 조건에 해당하고, 거절 조건에 해당하지 않음\n" in mate_page
    assert "확인이 필요한 조건에 해당하지 않음" in mate_page


def test_sum_length_year_and_business_days_in_words(mate_page):
    assert "| `total` | 총 이용 시간 | 정수 | 예약 내역의 이용 시간 합계 |" in mate_page
    assert "| `long_fares` | 긴 예약 운임 합계 | 금액(원) | 이용 시간이 1 초과인 예약 내역의 운임 합계 |" in mate_page
    assert "| `booking_count` | 예약 건수 | 정수 | 예약 내역의 건수 |" in mate_page
    assert "- 조건: 요청사항이 없음 또는 요청사항의 글자 수가 30 이하\n" in mate_page
    assert "| `licensed_year` | 면허 취득 연도 | 정수 | 면허 취득일의 연도 |" in mate_page
    assert "| 취소 시각으로부터 영업일 7일 후(주말·공휴일 제외) |" in mate_page
    assert "| 면허 취득일로부터 영업일 1일 후(주말·공휴일 제외) |" in mate_page


def test_aligned_in_words(mate_page):
    assert "- 조건: 출발 예정 시각이 10분 단위\n" in mate_page
    assert "- 조건: 예약 시간이 30분 단위\n" in mate_page
    assert "- 조건: 출발 예정 시각이 1시간 단위가 아니고, 확인이 필요한 조건에 해당하지 않음\n" in mate_page


def test_money_rate_in_words(mate_page):
    assert "| `insurance` | 보험료 | 금액(원) | 18.5원 × 운행 분(1원 미만 버림) |" in mate_page
    assert "| 1,000원 + 18.5원 × 운행 분(1원 미만 버림) |" in mate_page


def test_rule_without_then_has_no_result_line(mate_page):
    ok = mate_page.split("### 4. 가입할 수 있습니다.\n", 1)[1].split("\n## ", 1)[0]
    assert ok.splitlines()[1:] == ["- 조건: 위 항목에 모두 해당하지 않을 때", "- 규칙 ID: `ok`"]
    calm = mate_page.split("### 3. 정각 출발이 아닙니다.\n", 1)[1].split("### ", 1)[0]
    assert "결과" not in calm


def test_check_example_shows_every_message(mate_page):
    example = mate_page.split("### 나이와 차종 모두 거절", 1)[1]
    assert "- 사유: “만 26세 ~ 65세만 가입할 수 있습니다. (현재 20세)”, “화물차는 가입할 수 없습니다.”" in example
    assert "- 가입 불가: 예" in example
    assert "결정 규칙: `refused_rule` (판단 순서 1번)" in example


def test_page_without_analysis_says_the_same(mate_policy, mate_page):
    assert emit_docs(mate_policy, MATE_EXAMPLES) == mate_page


def test_analysis_of_another_tree_is_ignored(mate_policy, mate_page):
    other = analyze(parse(MATE, "policies/pet_taxi/mate.policy"))
    assert emit_docs(mate_policy, MATE_EXAMPLES, other) == mate_page


def test_analysis_resolves_names_the_page_cannot():
    # `refused` is both an enum value and, with checks, the name of a check result.
    policy = parse('policy a.b "t"\n  source "f" section "s"\n'
                   'enum status "상태"\n  refused "반려됨"\n  open "진행 중"\n'
                   'input st: status "신청 상태"\ninput x: int "값"\n'
                   'output y: bool "결과"\n'
                   'check positive "값은 0보다 커야 합니다." requires x > 0\n'
                   'rule r1 "반려" when st = refused then y = true\n'
                   'rule r2 "거절" when refused then y = false\n'
                   'rule r3 "그 외" otherwise then y = false\n', "policies/a/b.policy")
    analysis = analyze(policy)
    assert [d.message for d in analysis.diagnostics if d.severity == "error"] == []
    page = emit_docs(policy, [], analysis)
    assert "- 조건: 신청 상태가 반려됨\n" in page
    assert "- 조건: 거절 조건에 해당함\n" in page


def test_toward_particle():
    assert _toward("취소 시각") == "취소 시각으로"
    assert _toward("면허 취득일") == "면허 취득일로"
    assert _toward("기준 날짜") == "기준 날짜로"
    assert _toward("2025-05-01") == "2025-05-01로"
    assert _toward("day") == "day(으)로"


def _parses(path: Path) -> bool:
    try:
        parse(path.read_text(encoding="utf-8"), f"tests/cases/bad/{path.name}")
    except PolicyError:
        return False
    return True


# The bad cases with a check error (the syntax-error ones have no tree to render).
BAD = [p for p in sorted((ROOT / "tests" / "cases" / "bad").glob("*.policy")) if _parses(p)]


def test_some_bad_cases_parse():
    assert len(BAD) >= 20


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_never_crashes_even_on_policies_with_errors(path):
    # Emitters get checked policies only, but a page must never crash or recurse without end.
    policy = parse(path.read_text(encoding="utf-8"), f"tests/cases/bad/{path.name}")
    for analysis in (None, analyze(policy)):
        page = emit_docs(policy, [{"name": "e", "input": {}, "expected": {}, "rule": "nope"}], analysis)
        assert page.endswith("\n")


def test_unknown_functions_and_long_conditions_do_not_recurse():
    terms = " and ".join(["x > 1"] * 60)
    policy = parse(f'policy a.b "t"\ninput x: int "값"\noutput y: int = frob(x, 2) + year(x) "y"\n'
                   f'check c "c" requires {terms}\n'
                   f'rule r "r" when not ({terms}) or refused\nrule o "o" otherwise\n', "policies/a/b.policy")
    for analysis in (None, analyze(policy)):
        page = emit_docs(policy, [], analysis)
        assert "frob(값, 2) + 값의 연도" in page


def test_particles_agree_with_the_word_before_a_parenthesis():
    from compiler.korean import subject as _subject

    assert _subject("운전 경력(다 채운 햇수)") == "운전 경력(다 채운 햇수)이"
    assert _subject("본인 소유(공동명의 포함)") == "본인 소유(공동명의 포함)가"
    # A head word that is not Korean says nothing: go by the end, as before.
    assert _subject("No-Show(예약 후 인수하지 않음)") == "No-Show(예약 후 인수하지 않음)이"
    assert _toward("기준일(영업일)") == "기준일(영업일)로"


def test_denying_a_set_of_several_values_names_them_all():
    policy = parse('policy a.b "t"\nenum kind "차종"\n  ray "레이"\n  casper "캐스퍼"\n  sedan "승용"\n'
                   'input k: kind "차종"\noutput y: bool "y"\n'
                   'rule one "r" when not (k in {ray}) then y = true\n'
                   'rule many "r" when not (k in {ray, casper}) and k in {sedan, ray} then y = true\n'
                   'rule o "o" otherwise then y = false\n', "policies/a/b.policy")
    page = emit_docs(policy, [], analyze(policy))
    assert "- 조건: 차종이 레이가 아님\n" in page
    assert "- 조건: 차종이 레이, 캐스퍼 중 어느 것도 아니고, 차종이 승용 또는 레이\n" in page


def test_money_rate_after_a_label_with_an_aside():
    policy = parse('policy a.b "t"\ninput m: int "보험 과금 시간(분)"\noutput fee: money = m * 18.5원 "보험료"\n'
                   'rule o "o" otherwise\n', "policies/a/b.policy")
    page = emit_docs(policy, [], analyze(policy))
    assert "| 18.5원 × 보험 과금 시간(분) (1원 미만 버림) |" in page
