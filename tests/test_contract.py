"""The contract between generated/schemas and the generated evaluators, and the evaluator API.

Every worked example must satisfy the input schema and produce a decision that satisfies the
decision schema. The rest pins the evaluator's behaviour for services: errors, time zones,
optional inputs, JSON output. Reads the repository's committed generated/ and never writes.
"""

from __future__ import annotations

import copy
import importlib
import json
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator

from compiler import pipeline

ROOT = Path(__file__).resolve().parent.parent
SEOUL = ZoneInfo("Asia/Seoul")

_LOADED = pipeline.load(ROOT)
POLICIES = sorted(_LOADED.policies, key=lambda i: i.policy.id)
EXAMPLES = [
    pytest.param(item, i, id=f"{item.policy.id}[{i}]")
    for item in POLICIES
    for i in range(len(item.examples))
]


def schema_of(policy_id: str) -> dict:
    domain, _, name = policy_id.partition(".")
    return json.loads((ROOT / "generated" / "schemas" / domain / f"{name}.json").read_text(encoding="utf-8"))


def module_of(policy_id: str):
    return importlib.import_module(f"generated.{policy_id}")


def input_validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema)  # no format_checker: patterns only


def decision_validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator({"$ref": "#/$defs/decision", "$defs": schema["$defs"]})


def messages(validator: Draft202012Validator, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def paths(err) -> list[str]:
    return sorted(e["path"] for e in err.errors)


# ---------------------------------------------------------------- schema <-> evaluator, every example


def test_there_are_policies_and_examples():
    assert not _LOADED.errors
    assert len(POLICIES) >= 5
    assert len(EXAMPLES) >= 100


@pytest.mark.parametrize("item,index", EXAMPLES)
def test_example_fits_the_schemas(item, index):
    ex = item.examples[index]
    schema = schema_of(item.policy.id)
    module = module_of(item.policy.id)
    if "invalid" in ex:
        with pytest.raises(module.InvalidInput) as info:
            module.evaluate(ex["input"])
        assert paths(info.value) == sorted(ex["invalid"])
        return
    assert messages(input_validator(schema), ex["input"]) == []
    decision = module.evaluate(ex["input"]).to_dict()
    assert messages(decision_validator(schema), decision) == []
    assert json.loads(json.dumps(decision, ensure_ascii=False)) == decision
    for key, want in (ex.get("expected") or {}).items():
        assert decision["outputs"][key] == want, key
    if "rule" in ex:
        assert decision["rule"] == ex["rule"]


@pytest.mark.parametrize("item", POLICIES, ids=lambda i: i.policy.id)
def test_schema_and_module_agree_on_rules_and_outputs(item):
    schema = schema_of(item.policy.id)
    module = module_of(item.policy.id)
    Draft202012Validator.check_schema(schema)
    decision = schema["$defs"]["decision"]["properties"]
    assert sorted(decision["rule"]["enum"]) == sorted(module.RULE_IDS)
    assert decision["policy"]["const"] == module.POLICY_ID == item.policy.id
    assert set(decision["outputs"]["properties"]) == {o.name for o in item.policy.outputs}
    assert set(schema["properties"]) == {i.name for i in item.policy.inputs}


def test_schema_valid_money_is_accepted_by_the_evaluator():
    from generated.pet_taxi import cancellation_fee as m

    inp = {"fare": 50000.0, "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "2025-05-31T20:00:00+09:00"}
    assert input_validator(schema_of(m.POLICY_ID)).is_valid(inp)
    m.evaluate(inp)


# ---------------------------------------------------------------- the evaluator API

PET = {"fare": 100000, "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "2025-05-31T20:00:00+09:00"}


def test_import_the_generated_module():
    from generated.pet_taxi import cancellation_fee

    assert Path(cancellation_fee.__file__).resolve() == ROOT / "generated" / "pet_taxi" / "cancellation_fee.py"
    assert cancellation_fee.POLICY_ID == "pet_taxi.cancellation_fee"
    assert callable(cancellation_fee.evaluate)
    assert issubclass(cancellation_fee.InvalidInput, ValueError)
    decision = cancellation_fee.evaluate(PET)
    assert isinstance(decision, cancellation_fee.Decision)
    assert decision.outputs == {"fee": 8000}
    assert decision.rule == "by_time.early"
    assert decision.policy == "pet_taxi.cancellation_fee"


def test_invalid_input_lists_every_bad_field():
    from generated.pet_taxi import cancellation_fee as m

    with pytest.raises(ValueError) as info:
        m.evaluate({"fare": "30000", "departure_at": "tomorrow", "no_show": "yes"})
    err = info.value
    assert isinstance(err, m.InvalidInput)
    assert paths(err) == ["/cancelled_at", "/departure_at", "/fare", "/no_show"]
    assert all(isinstance(e["message"], str) and e["message"] for e in err.errors)
    assert "(and 3 more)" in str(err)


def test_unknown_fields_are_rejected():
    from generated.pet_taxi import cancellation_fee as m

    with pytest.raises(m.InvalidInput) as info:
        m.evaluate(dict(PET, tip=1000, **{"a/b": 1}))
    assert paths(info.value) == ["/a~1b", "/tip"]

    from generated.callbus import suspension as s

    with pytest.raises(s.InvalidInput) as info:
        s.evaluate({"as_of": "2025-04-19T12:00:00+09:00",
                    "penalties": [{"kind": "no_show", "at": "2025-04-03T08:00:00+09:00", "memo": "x"}]})
    assert paths(info.value) == ["/penalties/0/memo"]


@pytest.mark.parametrize("value", [[], ["fare"], "fare", None, 42, b"{}"], ids=repr)
def test_non_mapping_input_is_rejected_at_the_root(value):
    from generated.pet_taxi import cancellation_fee as m

    with pytest.raises(m.InvalidInput) as info:
        m.evaluate(value)
    assert [e["path"] for e in info.value.errors] == [""]


def test_naive_datetimes_are_read_in_seoul():
    from generated.pet_taxi import cancellation_fee as m

    # departure 14:00 Seoul = 05:00Z; cancelled 05:00 Seoul: 9 hours before -> the 50% row.
    # (Read as UTC the naive departure would be 18 hours away -> the 10% row.)
    naive = m.evaluate({"fare": 10000, "departure_at": "2025-06-01T14:00:00", "cancelled_at": "2025-05-31T20:00:00Z"})
    assert naive.rule == "by_time.late"
    assert naive.outputs == {"fee": 5000}
    no_seconds = m.evaluate({"fare": 10000, "departure_at": "2025-06-01T14:00", "cancelled_at": "2025-06-01T05:00"})
    assert no_seconds.outputs == naive.outputs and no_seconds.rule == naive.rule


def test_datetime_objects_are_accepted():
    from generated.pet_taxi import cancellation_fee as m

    aware = m.evaluate({"fare": 100000,
                        "departure_at": datetime(2025, 6, 1, 5, 0, tzinfo=timezone.utc),
                        "cancelled_at": datetime(2025, 5, 31, 20, 0, tzinfo=SEOUL)})
    assert aware == m.evaluate(PET)
    naive = m.evaluate({"fare": 100000, "departure_at": datetime(2025, 6, 1, 14, 0),
                        "cancelled_at": datetime(2025, 5, 31, 20, 0)})
    assert naive == m.evaluate(PET)
    with pytest.raises(m.InvalidInput) as info:
        m.evaluate(dict(PET, departure_at=date(2025, 6, 1)))
    assert paths(info.value) == ["/departure_at"]


def test_optional_inputs_may_be_absent_or_null():
    from generated.pet_taxi import cancellation_fee as m

    absent = m.evaluate(PET)
    null = m.evaluate(dict(PET, dispatched_at=None, driver_departed_at=None, driver_arrived_at=None))
    assert absent == null

    from generated.callbus import suspension as s

    base = {"as_of": "2025-04-19T12:00:00+09:00", "penalties": []}
    assert s.evaluate(base) == s.evaluate(dict(base, reservations=None)) == s.evaluate(dict(base, reservations=[]))
    assert s.evaluate(base).outputs["auto_cancelled"] == []
    with pytest.raises(s.InvalidInput) as info:
        s.evaluate(dict(base, penalties=None))  # required list: null is not allowed
    assert paths(info.value) == ["/penalties"]


def test_output_datetimes_carry_the_seoul_offset():
    from generated.parking_pass import registration as m

    d = m.evaluate({"ownership_verified": False, "registered_at": "2025-05-10T01:00:00Z",
                    "as_of": "2025-05-10T12:00:00+09:00"})
    assert d.rule == "provisional_pending"
    assert d.outputs["provisional_expires_at"] == "2025-05-11T10:00:00+09:00"
    naive = m.evaluate({"ownership_verified": False, "registered_at": "2025-05-10T10:00", "as_of": "2025-05-10T12:00"})
    assert naive.outputs["provisional_expires_at"] == "2025-05-11T10:00:00+09:00"
    assert "2025-05-11 10:00" in d.explanation


def test_to_dict_is_json_and_explanation_has_the_numbers():
    from generated.pet_taxi import cancellation_fee as m

    d = m.evaluate(PET)
    out = d.to_dict()
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out
    assert out["explanation"] == d.explanation
    assert "100,000원" in d.explanation
    assert "8,000원" in d.explanation
    assert "18시간" in d.explanation
    assert "{" not in d.explanation

    from generated.jeju_rentcar import cancellation_fee as j

    jd = j.evaluate({"rate_plan": "discount", "booked_at": "2025-06-01T09:00:00+09:00",
                     "cancelled_at": "2025-06-08T09:00:00+09:00", "pickup_at": "2025-06-10T09:00:00+09:00",
                     "card_amount": 12345, "point_amount": 999})
    assert jd.rule == "fee_table.discount.d1"
    assert jd.outputs == {"fee_percent": 30, "card_fee": 3703, "card_refund": 8642, "point_fee": 299, "point_refund": 700}
    assert "30%" in jd.explanation and "할인가" in jd.explanation and "48시간" in jd.explanation
    assert json.dumps(jd.to_dict(), ensure_ascii=False)


def test_identical_inputs_give_equal_decisions_and_input_is_not_changed():
    from generated.callbus import suspension as s

    inp = {"as_of": "2025-04-19T12:00:00+09:00",
           "penalties": [{"kind": "no_show", "at": f"2025-04-0{d}T08:00:00+09:00"} for d in (3, 5, 7)],
           "reservations": [{"id": "R1", "departure_at": "2025-04-21T07:30:00+09:00"}]}
    snapshot = copy.deepcopy(inp)
    first, second = s.evaluate(inp), s.evaluate(copy.deepcopy(inp))
    assert first == second
    assert first.to_dict() == second.to_dict()
    assert inp == snapshot
    assert first != s.evaluate(dict(inp, reservations=[]))


# ---------------------------------------------------------------- time zone edges

JEJU = {"rate_plan": "super_saver", "pickup_at": "2025-07-10T10:00:00+09:00", "card_amount": 100000}


def test_jeju_same_day_is_the_korean_calendar_day():
    from generated.jeju_rentcar import cancellation_fee as j

    # UTC: both on 06-30. Seoul: booked 06-30 23:30, cancelled 07-01 00:30 -> not the same day.
    utc_same = j.evaluate(dict(JEJU, booked_at="2025-06-30T14:30:00Z", cancelled_at="2025-06-30T15:30:00Z"))
    assert utc_same.rule == "fee_table.super_saver.d7"
    assert utc_same.outputs["fee_percent"] == 10 and utc_same.outputs["card_fee"] == 10000
    # UTC: 06-30 and 07-01. Seoul: both on 07-01 (00:10 and 23:50) -> same day, free.
    korea_same = j.evaluate(dict(JEJU, booked_at="2025-06-30T15:10:00Z", cancelled_at="2025-07-01T14:50:00Z"))
    assert korea_same.rule == "same_day_free"
    assert korea_same.outputs["fee_percent"] == 0 and korea_same.outputs["card_refund"] == 100000
    # The last second of the Korean day, written in UTC, still counts; midnight does not.
    assert j.evaluate(dict(JEJU, booked_at="2025-07-01T09:00:00+09:00",
                           cancelled_at="2025-07-01T14:59:59Z")).rule == "same_day_free"
    assert j.evaluate(dict(JEJU, booked_at="2025-07-01T09:00:00+09:00",
                           cancelled_at="2025-07-01T15:00:00Z")).rule == "fee_table.super_saver.d7"


def _penalties(kind: str, *ats: str) -> list[dict]:
    return [{"kind": kind, "at": at} for at in ats]


def test_callbus_penalty_counts_in_the_korean_month():
    from generated.callbus import suspension as s

    april = ["2025-04-05T08:00:00+09:00", "2025-04-08T08:00:00+09:00"]
    # 2025-03-31T15:30Z is 2025-04-01 00:30 in Seoul: an April penalty.
    d = s.evaluate({"as_of": "2025-04-10T12:00:00+09:00",
                    "penalties": _penalties("no_show", "2025-03-31T15:30:00Z", *april)})
    assert d.outputs["no_show_count"] == 3
    assert d.outputs["suspended"] is True
    assert d.outputs["suspended_until"] == "2025-04-30"
    assert d.rule == "suspended_no_show"
    assert "3회" in d.explanation and "2025-04-30" in d.explanation
    # 2025-03-31T14:59:59Z is 23:59:59 on March 31 in Seoul: not April.
    d = s.evaluate({"as_of": "2025-04-10T12:00:00+09:00",
                    "penalties": _penalties("no_show", "2025-03-31T14:59:59Z", *april)})
    assert d.outputs["no_show_count"] == 2
    assert d.outputs["suspended"] is False and d.outputs["suspended_until"] is None
    assert d.rule == "active"


def test_callbus_as_of_in_utc_uses_the_korean_month():
    from generated.callbus import suspension as s

    # as_of 2025-03-31T15:30Z is already April 1 in Seoul: March penalties do not count, April's do.
    d = s.evaluate({"as_of": "2025-03-31T15:30:00Z",
                    "penalties": _penalties("no_show", "2025-03-03T08:00:00+09:00", "2025-03-05T08:00:00+09:00",
                                            "2025-03-07T08:00:00+09:00")})
    assert d.outputs["no_show_count"] == 0 and d.outputs["suspended"] is False
    d = s.evaluate({"as_of": "2025-03-31T15:30:00Z",
                    "penalties": _penalties("late_cancel", *(f"2025-04-01T00:0{m}:00+09:00" for m in range(5))),
                    "reservations": [{"id": "MAR", "departure_at": "2025-03-31T23:00:00+09:00"},
                                     {"id": "APR", "departure_at": "2025-04-02T07:00:00+09:00"},
                                     {"id": "MAY", "departure_at": "2025-05-01T07:00:00+09:00"}]})
    assert d.outputs["late_cancel_count"] == 5
    assert d.outputs["suspended_until"] == "2025-04-30"
    assert d.outputs["auto_cancelled"] == ["APR"]


@pytest.mark.parametrize("as_of,until", [
    ("2024-02-10T10:00:00+09:00", "2024-02-29"),  # leap year
    ("2025-02-10T10:00:00+09:00", "2025-02-28"),
    ("2024-02-29T23:59:59+09:00", "2024-02-29"),
    ("2024-02-29T15:30:00Z", "2024-03-31"),        # already March 1 in Seoul
    ("2025-12-31T12:00:00+09:00", "2025-12-31"),
    ("2025-12-31T15:00:00Z", "2026-01-31"),        # already 2026 in Seoul
])
def test_callbus_suspended_until_is_the_last_day_of_the_month(as_of, until):
    from generated.callbus import suspension as s

    local = datetime.fromisoformat(as_of.replace("Z", "+00:00")).astimezone(SEOUL)
    ats = [local.replace(hour=0, minute=0, second=i).isoformat() for i in range(3)]  # same Seoul day
    d = s.evaluate({"as_of": as_of, "penalties": _penalties("no_show", *ats)})
    assert d.outputs["no_show_count"] == 3
    assert d.outputs["suspended"] is True and d.outputs["can_reserve"] is False
    assert d.outputs["suspended_until"] == until
