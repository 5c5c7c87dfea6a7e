"""Tests for compiler/emit_schema.py: the JSON Schema of an evaluator's input and decision."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from compiler.emit_schema import emit_schema
from dsl.parser import parse, parse_file
from tests.support import dsl_text

ROOT = Path(__file__).resolve().parent.parent
PET_TAXI = ROOT / "policies" / "pet_taxi" / "cancellation_fee.policy"
PET_TAXI_RULES = [
    "driver_not_departed", "driver_not_arrived", "passenger_no_show", "dispatch_grace",
    "by_time.free", "by_time.early", "by_time.late", "by_time.last",
]

SHOP = '''policy shop.refund "환불 수수료"
  zone Asia/Tokyo

enum plan "요금제"
  pro "프로"
  basic "기본"
  free "무료"

record item "주문 항목"
  id: text max 20 "항목 번호"
  price: money "가격"
  delivered_at: optional datetime "배송 완료 시각"

input items: optional list of item max 3 "주문 항목들"
input tags: list of text "태그"
input plan: plan = basic "요금제"
input ordered_on: date "주문일"
input grace: duration = 1d2h30min "유예 기간"
input factor: number = -0.5 "계수"
input rate: percent = 2.5% "수수료율"
input count: int = 3 "개수"
input deposit: money = 1,000원 "보증금"
input memo: text max 5 = "없음" "메모"
input start: datetime = 2025-05-15T14:00 "시작 시각"
input first_day: date = 2025-05-01 "첫날"
input copied: money = deposit "복사된 금액"
input note: optional text "비고"

output fee: money "수수료"
output fee_rate: percent "적용 수수료율"
output tier: plan "적용 요금제"
output due_at: optional datetime "납부 기한"
output ids: list of text = list id of items where price > 0원 "항목 번호들"
output paid: list of item "지급 항목"

rule free_plan "무료 요금제는 수수료가 없습니다."
  when plan = free
  then fee = 0원, fee_rate = 0%, tier = free, paid = items

rule standard "기본 수수료"
  otherwise
  then fee = rate of deposit, fee_rate = rate, tier = plan, paid = items
'''


def _doc(text: str = SHOP, rule_ids: list[str] | None = None) -> dict:
    return json.loads(emit_schema(parse(text, "shop.policy"), rule_ids or ["free_plan", "standard"]))


def _decision_validator(doc: dict) -> Draft202012Validator:
    return Draft202012Validator({"$ref": "#/$defs/decision", "$defs": doc["$defs"]})


def _errors(validator: Draft202012Validator, instance) -> list[str]:
    return [e.message for e in validator.iter_errors(instance)]


# ---------------------------------------------------------------- pet_taxi input


@pytest.fixture(scope="module")
def pet_text() -> str:
    return emit_schema(parse_file(PET_TAXI, ROOT), PET_TAXI_RULES)


@pytest.fixture(scope="module")
def pet(pet_text) -> dict:
    return json.loads(pet_text)


@pytest.fixture(scope="module")
def pet_input(pet) -> Draft202012Validator:
    return Draft202012Validator(pet)


VALID = {
    "fare": 25000,
    "departure_at": "2025-05-20T14:00:00+09:00",
    "cancelled_at": "2025-05-20T03:30",
}


def test_pet_taxi_schema_is_valid_2020_12(pet, pet_text):
    Draft202012Validator.check_schema(pet)
    assert pet["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert pet["$id"] == "urn:policyc:schemas/pet_taxi/cancellation_fee.json"  # no [tool.policyc] setting
    assert pet["title"] == "펫 예약 취소수수료"
    assert pet["description"].startswith("펫 예약을 취소하거나")
    assert pet_text.endswith("}\n") and not pet_text.endswith("\n\n")
    assert "취소수수료" in pet_text  # ensure_ascii=False: Korean stays readable


def test_pet_taxi_required_and_defaults(pet):
    assert pet["required"] == ["cancelled_at", "departure_at", "fare"]
    assert pet["additionalProperties"] is False
    no_show = pet["properties"]["no_show"]
    assert no_show["default"] is False
    assert no_show["title"] == "승객 노쇼 여부"
    assert pet["properties"]["fare"] == {
        "type": "integer", "minimum": 0, "maximum": 9007199254740991, "title": "운임",
        "description": "amount in won, a whole number ≥ 0",
    }
    assert "Asia/Seoul" in pet["properties"]["departure_at"]["description"]


@pytest.mark.parametrize("instance", [
    VALID,
    {**VALID, "no_show": True},
    {**VALID, "fare": 0},
    {**VALID, "departure_at": "2025-05-20T14:00Z", "cancelled_at": "2025-05-20T03:30:15.123456-05:00"},
    {**VALID, "dispatched_at": "2025-05-20T13:00:00"},
    {**VALID, "dispatched_at": None, "driver_departed_at": None, "driver_arrived_at": None},
    {**VALID, "driver_arrived_at": "2025-05-20T14:10:00+09:00"},
])
def test_pet_taxi_accepts(pet_input, instance):
    assert _errors(pet_input, instance) == []


@pytest.mark.parametrize("instance", [
    pytest.param({**VALID, "tip": 1000}, id="unknown field"),
    pytest.param({k: v for k, v in VALID.items() if k != "fare"}, id="missing fare"),
    pytest.param({k: v for k, v in VALID.items() if k != "cancelled_at"}, id="missing cancelled_at"),
    pytest.param({**VALID, "fare": "25000"}, id="money as string"),
    pytest.param({**VALID, "fare": "25,000원"}, id="money as written"),
    pytest.param({**VALID, "fare": -1}, id="negative money"),
    pytest.param({**VALID, "fare": 25000.5}, id="money with a fraction"),
    pytest.param({**VALID, "fare": True}, id="money as bool"),
    pytest.param({**VALID, "fare": None}, id="null for required money"),
    pytest.param({**VALID, "departure_at": None}, id="null for required datetime"),
    pytest.param({**VALID, "no_show": None}, id="null for defaulted bool"),
    pytest.param({**VALID, "no_show": "false"}, id="bool as string"),
    pytest.param({**VALID, "departure_at": "2025-05-20 14:00"}, id="datetime with a space"),
    pytest.param({**VALID, "departure_at": "2025-05-20"}, id="date for datetime"),
    pytest.param({**VALID, "departure_at": "2025-05-20T14"}, id="datetime without minutes"),
    pytest.param({**VALID, "departure_at": "2025-05-20T14:00+0900"}, id="offset without colon"),
    pytest.param({**VALID, "departure_at": "2025-05-20T14:00:00.1234567Z"}, id="seven fraction digits"),
    pytest.param({**VALID, "departure_at": "٢٠٢٥-٠٥-٢٠T14:00"}, id="non-ascii digits"),
    pytest.param({**VALID, "departure_at": "tomorrow 2pm"}, id="datetime in words"),
    pytest.param({**VALID, "departure_at": 1747717200}, id="datetime as epoch"),
    pytest.param({**VALID, "dispatched_at": "soon"}, id="bad optional datetime"),
    pytest.param([VALID], id="not an object"),
])
def test_pet_taxi_rejects(pet_input, instance):
    assert _errors(pet_input, instance) != []


def test_pet_taxi_optional_inputs_may_be_absent_or_null(pet, pet_input):
    optional = ["dispatched_at", "driver_arrived_at", "driver_departed_at"]
    for name in optional:
        assert name not in pet["required"]
        prop = pet["properties"][name]
        assert prop["anyOf"][1] == {"type": "null"}
        assert prop["title"] and "optional" in prop["description"]
        assert _errors(pet_input, {**VALID, name: None}) == []
    assert _errors(pet_input, VALID) == []


# ---------------------------------------------------------------- pet_taxi decision


SAMPLE_DECISION = {
    "policy": "pet_taxi.cancellation_fee",
    "outputs": {"fee": 2500},
    "rule": "by_time.early",
    "explanation": "출발 10시간 30분 전 취소(24시간 전 ~ 9시간 전): 운임 25,000원의 10%, 최대 8,000원 → 취소수수료 2,500원",
    "trace": [{"rule": "driver_not_departed", "applies": False}],
}


def test_pet_taxi_decision_accepts_sample(pet):
    assert _errors(_decision_validator(pet), SAMPLE_DECISION) == []


@pytest.mark.parametrize("decision", [
    pytest.param({**SAMPLE_DECISION, "policy": "pet_taxi.other"}, id="wrong policy"),
    pytest.param({**SAMPLE_DECISION, "rule": "by_time.never"}, id="unknown rule"),
    pytest.param({**SAMPLE_DECISION, "rule": None}, id="no rule"),
    pytest.param({**SAMPLE_DECISION, "outputs": {}}, id="missing output"),
    pytest.param({**SAMPLE_DECISION, "outputs": {"fee": 2500, "tip": 0}}, id="unknown output"),
    pytest.param({**SAMPLE_DECISION, "outputs": {"fee": "2,500원"}}, id="money as string"),
    pytest.param({**SAMPLE_DECISION, "outputs": {"fee": None}}, id="null required output"),
    pytest.param({**SAMPLE_DECISION, "explanation": 3}, id="explanation not text"),
    pytest.param({**SAMPLE_DECISION, "trace": ["step"]}, id="trace of strings"),
    pytest.param({k: v for k, v in SAMPLE_DECISION.items() if k != "trace"}, id="missing trace"),
    pytest.param({k: v for k, v in SAMPLE_DECISION.items() if k != "explanation"}, id="missing explanation"),
])
def test_pet_taxi_decision_rejects(pet, decision):
    assert _errors(_decision_validator(pet), decision) != []


def test_decision_rule_enum_is_sorted_and_unique(pet):
    rule = pet["$defs"]["decision"]["properties"]["rule"]
    assert rule["enum"] == sorted(PET_TAXI_RULES)
    doc = json.loads(emit_schema(parse_file(PET_TAXI, ROOT), PET_TAXI_RULES + PET_TAXI_RULES[:2]))
    assert doc["$defs"]["decision"]["properties"]["rule"]["enum"] == sorted(PET_TAXI_RULES)


# ---------------------------------------------------------------- determinism and escaping


def test_determinism(pet_text):
    again = emit_schema(parse_file(PET_TAXI, ROOT), PET_TAXI_RULES)
    shuffled = PET_TAXI_RULES[:]
    random.Random(7).shuffle(shuffled)
    assert again == pet_text
    assert emit_schema(parse_file(PET_TAXI, ROOT), shuffled) == pet_text
    assert emit_schema(parse(SHOP, "a.policy"), ["standard", "free_plan"]) == \
        emit_schema(parse(SHOP, "b/other/path.policy"), ["free_plan", "standard"])


def test_no_source_path_or_time_in_output():
    text = emit_schema(parse(SHOP, "/home/someone/secret/shop.policy"), ["standard"])
    assert "/home/someone" not in text
    assert "policies/shop/refund.policy" in text


NASTY = 'q"uote \\back\\slash\nnew line </script><!-- \u202eRTL\u202c \u2028 \u0007bell 😀'
NASTY_SOURCE = dsl_text(NASTY)[1:-1]


def test_escaping_round_trips_exactly():
    text = f'''policy odd.labels "{NASTY_SOURCE}"
enum kind "{NASTY_SOURCE}"
  a "{NASTY_SOURCE}"
input name: text "{NASTY_SOURCE}"
input k: kind "k"
input memo: text = "{NASTY_SOURCE}" "메모"
output fee: money "{NASTY_SOURCE}"
rule r "x" otherwise then fee = 0원
'''
    policy = parse(text, "odd.policy")
    assert policy.title.text == NASTY  # the parser unescapes what the test escaped
    out = emit_schema(policy, ["r"])
    doc = json.loads(out)
    Draft202012Validator.check_schema(doc)
    assert doc["title"] == NASTY
    assert doc["description"] == NASTY  # no summary: the title
    assert doc["properties"]["name"]["title"] == NASTY
    assert doc["properties"]["memo"]["default"] == NASTY
    assert doc["$defs"]["kind"]["title"] == NASTY
    assert doc["$defs"]["kind"]["x-labels"] == {"a": NASTY}
    assert doc["$defs"]["decision"]["properties"]["outputs"]["properties"]["fee"]["title"] == NASTY
    # Newlines and control characters are escaped, so no label breaks a line of the file.
    assert '\\nnew line' in out and "\\u0007" in out and "\x07" not in out
    # split("\n"), not splitlines(): U+2028 is legal unescaped in JSON and stays in a line.
    assert all(line.startswith(" ") or line in ("{", "}") for line in out.split("\n")[:-1])


# ---------------------------------------------------------------- enums, records, lists, text, date, duration


@pytest.fixture(scope="module")
def shop() -> dict:
    return _doc()


SHOP_VALID = {"tags": [], "ordered_on": "2025-05-15"}


def test_shop_schema_is_valid(shop):
    Draft202012Validator.check_schema(shop)
    assert shop["required"] == ["ordered_on", "tags"]  # `copied` has a computed default: not required
    assert sorted(shop["$defs"]) == ["decision", "item", "plan"]
    assert shop["description"] == "환불 수수료"


def test_enum_def_in_declaration_order_with_labels(shop):
    assert shop["$defs"]["plan"] == {
        "title": "요금제",
        "enum": ["pro", "basic", "free"],
        "x-labels": {"pro": "프로", "basic": "기본", "free": "무료"},
    }
    plan = shop["properties"]["plan"]
    assert plan["$ref"] == "#/$defs/plan" and plan["default"] == "basic" and plan["title"] == "요금제"
    v = Draft202012Validator(shop)
    assert _errors(v, {**SHOP_VALID, "plan": "pro"}) == []
    assert _errors(v, {**SHOP_VALID, "plan": "gold"}) != []
    assert _errors(v, {**SHOP_VALID, "plan": "프로"}) != []


def test_record_def(shop):
    item = shop["$defs"]["item"]
    assert item["type"] == "object" and item["additionalProperties"] is False
    assert item["title"] == "주문 항목"
    assert item["required"] == ["id", "price"]
    assert item["properties"]["id"]["maxLength"] == 20
    assert item["properties"]["delivered_at"]["anyOf"][1] == {"type": "null"}
    items = shop["properties"]["items"]
    assert items["anyOf"][0] == {"type": "array", "items": {"$ref": "#/$defs/item"}, "maxItems": 3}
    assert "empty list" in items["description"]


@pytest.mark.parametrize("items, ok", [
    ([], True),
    (None, True),
    ([{"id": "A1", "price": 1000}], True),
    ([{"id": "A1", "price": 1000, "delivered_at": None}], True),
    ([{"id": "A1", "price": 1000, "delivered_at": "2025-05-15T09:00+09:00"}], True),
    ([{"id": str(i), "price": 1} for i in range(3)], True),
    ([{"id": str(i), "price": 1} for i in range(4)], False),  # max 3
    ([{"id": "A1"}], False),  # price required
    ([{"id": "A1", "price": -5}], False),
    ([{"id": "A1", "price": 1000, "colour": "red"}], False),
    ([{"id": "가" * 21, "price": 1}], False),
    ({"id": "A1", "price": 1}, False),  # a record, not a list
])
def test_list_of_records(shop, items, ok):
    assert (_errors(Draft202012Validator(shop), {**SHOP_VALID, "items": items}) == []) is ok


@pytest.mark.parametrize("tags, ok", [([], True), (["a", "나"], True), ([1], False), ("a", False), (None, False)])
def test_list_of_text(shop, tags, ok):
    assert shop["properties"]["tags"]["items"] == {"type": "string", "maxLength": 10000}
    assert (_errors(Draft202012Validator(shop), {**SHOP_VALID, "tags": tags}) == []) is ok


@pytest.mark.parametrize("memo, ok", [("", True), ("다섯글자임", True), ("여섯 글자임", False), (5, False)])
def test_text_max_counts_characters(shop, memo, ok):
    assert shop["properties"]["memo"]["maxLength"] == 5
    assert (_errors(Draft202012Validator(shop), {**SHOP_VALID, "memo": memo}) == []) is ok


@pytest.mark.parametrize("value, ok", [
    ("2025-05-15", True), ("2025-5-15", False), ("2025-05-15T00:00", False), ("20250515", False), (20250515, False),
])
def test_date(shop, value, ok):
    assert (_errors(Draft202012Validator(shop), {**SHOP_VALID, "ordered_on": value}) == []) is ok


@pytest.mark.parametrize("value, ok", [
    ("PT24H", True), ("PT10M", True), ("P7D", True), ("P1DT2H30M", True), ("-PT5M", True), ("PT30S", True),
    ("24h", False), ("P1H", False), ("PT1D", False), ("1:00:00", False), ("PT1.5H", False), (3600, False),
])
def test_duration(shop, value, ok):
    assert (_errors(Draft202012Validator(shop), {**SHOP_VALID, "grace": value}) == []) is ok


@pytest.mark.parametrize("value, ok", [
    (1, True), (-2, True), ("0.5", True), ("-0.5", True), ("3", True),
    (0.5, False), ("1e3", False), (".5", False), ("0.5%", False), ("", False), (True, False), (None, False),
])
def test_number_and_percent(shop, value, ok):
    v = Draft202012Validator(shop)
    assert (_errors(v, {**SHOP_VALID, "factor": value}) == []) is ok
    assert (_errors(v, {**SHOP_VALID, "rate": value}) == []) is ok


def test_int(shop):
    v = Draft202012Validator(shop)
    assert _errors(v, {**SHOP_VALID, "count": 7}) == []
    assert _errors(v, {**SHOP_VALID, "count": "7"}) != []
    assert _errors(v, {**SHOP_VALID, "count": 7.5}) != []


def test_literal_defaults_are_json_values_the_schema_accepts(shop):
    props = shop["properties"]
    assert {name: props[name].get("default") for name in sorted(props)} == {
        "copied": None,  # computed from another input: no `default` keyword
        "count": 3,
        "deposit": 1000,
        "factor": "-0.5",
        "first_day": "2025-05-01",
        "grace": "P1DT2H30M",
        "items": None,
        "memo": "없음",
        "note": None,
        "ordered_on": None,
        "plan": "basic",
        "rate": "2.5",
        "start": "2025-05-15T14:00:00",
        "tags": None,
    }
    assert "computed" in props["copied"]["description"]
    v = Draft202012Validator(shop)
    defaults = {name: p["default"] for name, p in props.items() if "default" in p}
    assert _errors(v, {**SHOP_VALID, **defaults}) == []


@pytest.mark.parametrize("literal, expected", [
    ("0min", "PT0S"), ("24h", "P1D"), ("25h", "P1DT1H"), ("7d", "P7D"), ("90min", "PT1H30M"), ("36시간", "P1DT12H"), ("45s", "PT45S"),
])
def test_duration_defaults(literal, expected):
    doc = _doc(f'policy a.b "t"\ninput g: duration = {literal} "g"\noutput o: bool "o"\nrule r "x" otherwise then o = true\n')
    assert doc["properties"]["g"]["default"] == expected


# ---------------------------------------------------------------- decision outputs of every kind


SHOP_DECISION = {
    "policy": "shop.refund",
    "outputs": {
        "fee": 25, "fee_rate": "2.5", "tier": "basic", "due_at": "2025-05-20T00:00:00+09:00",
        "ids": ["A1"], "paid": [{"id": "A1", "price": 1000}],
    },
    "rule": "standard",
    "explanation": "기본 수수료",
    "trace": [],
}


def _with_outputs(**changes) -> dict:
    return {**SHOP_DECISION, "outputs": {**SHOP_DECISION["outputs"], **changes}}


@pytest.mark.parametrize("decision, ok", [
    pytest.param(SHOP_DECISION, True, id="sample"),
    pytest.param(_with_outputs(due_at=None), True, id="optional output null"),
    pytest.param(_with_outputs(fee_rate=10), True, id="percent as integer"),
    pytest.param(_with_outputs(fee=-100), True, id="money output may be negative"),
    pytest.param(_with_outputs(due_at="2025-05-20T00:00:00Z"), True, id="datetime utc"),
    pytest.param(_with_outputs(due_at="2025-05-20T00:00:00"), False, id="datetime output without offset"),
    pytest.param(_with_outputs(tier="gold"), False, id="unknown enum value"),
    pytest.param(_with_outputs(ids="A1"), False, id="text list as text"),
    pytest.param(_with_outputs(paid=[{"id": "A1"}]), False, id="record missing field"),
    pytest.param(_with_outputs(fee_rate=2.5), False, id="percent as float"),
    pytest.param({**SHOP_DECISION, "outputs": {k: v for k, v in SHOP_DECISION["outputs"].items() if k != "due_at"}},
                 False, id="optional output still present"),
])
def test_shop_decision(shop, decision, ok):
    assert (_errors(_decision_validator(shop), decision) == []) is ok


def test_shop_decision_shape(shop):
    outputs = shop["$defs"]["decision"]["properties"]["outputs"]
    assert outputs["required"] == ["due_at", "fee", "fee_rate", "ids", "paid", "tier"]
    assert outputs["properties"]["tier"]["$ref"] == "#/$defs/plan"
    assert outputs["properties"]["paid"]["items"] == {"$ref": "#/$defs/item"}
    assert outputs["properties"]["due_at"]["title"] == "납부 기한"
    assert shop["$defs"]["decision"]["properties"]["policy"]["const"] == "shop.refund"
    assert "Asia/Tokyo" in shop["properties"]["start"]["description"]


# ---------------------------------------------------------------- invariants


def test_type_named_decision_is_refused():
    text = 'policy a.b "t"\nenum decision "결정"\n  yes "예"\ninput d: decision "d"\noutput o: bool "o"\nrule r "x" otherwise then o = true\n'
    with pytest.raises(ValueError, match="decision"):
        emit_schema(parse(text, "a.policy"), ["r"])


def test_unknown_type_is_refused():
    text = 'policy a.b "t"\ninput d: colour "d"\noutput o: bool "o"\nrule r "x" otherwise then o = true\n'
    with pytest.raises(ValueError, match="colour"):
        emit_schema(parse(text, "a.policy"), ["r"])


def test_min_and_max_bound_a_number():
    policy = parse(
        'policy t.p "t"\n  source "x.txt" section "s"\n'
        'input minutes: int min 0 max 720 "분"\ninput fee: money max 30000 "요금"\noutput o: int = minutes "o"\n'
        'rule r "x" otherwise\n',
        "policies/t/p.policy",
    )
    doc = json.loads(emit_schema(policy, ["r"]))
    assert doc["properties"]["minutes"]["minimum"] == 0 and doc["properties"]["minutes"]["maximum"] == 720
    assert doc["properties"]["fee"]["minimum"] == 0 and doc["properties"]["fee"]["maximum"] == 30000
