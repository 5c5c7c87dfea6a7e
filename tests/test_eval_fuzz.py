"""Evaluating never ends in an internal error (issue 10, item 5).

Every policy in policies/ is evaluated on random inputs shaped by its JSON Schema, with the
extremes of every range: the largest and smallest whole numbers, 15-digit decimals, datetimes
from 1900 to 2999, the longest durations. Each evaluation gives a decision or InvalidInput,
never another exception; every money output is a whole number of won in [0, 2^53).
Reproducible: derandomized (a fixed seed), without the example database.
"""

from __future__ import annotations

import json
from fractions import Fraction
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import pipeline
from compiler.runtime import MAX_INT
from dsl.parser import parse

ROOT = Path(__file__).resolve().parent.parent
# Parsed, not loaded: the examples and the checker are not needed here, and loading costs seconds.
POLICIES = {p.id: p for p in (parse(f.read_text(encoding="utf-8"), str(f.relative_to(ROOT)))
                              for f in sorted((ROOT / "policies").glob("*/*.policy")))}
_MODULES: dict = {}


def module(pid: str):
    if pid not in _MODULES:
        _MODULES[pid] = pipeline.import_evaluator(pid, ROOT)
    return _MODULES[pid]


def schema(pid: str) -> dict:
    domain, name = pid.split(".")
    return json.loads((ROOT / "generated" / "schemas" / domain / f"{name}.json").read_text(encoding="utf-8"))


def money_outputs(pid: str) -> list[tuple[str, bool]]:
    """(name, is a list) of every money output."""
    return [(o.name, o.type.is_list) for o in POLICIES[pid].outputs if o.type.name == "money"]


def _ints(s: dict):
    lo, hi = s.get("minimum", -MAX_INT), s.get("maximum", MAX_INT)
    edges = sorted({v for v in (lo, hi, lo + 1, hi - 1, 0, 1, -1, 2, 1000) if lo <= v <= hi})
    return st.sampled_from(edges) | st.integers(lo, min(hi, lo + 100)) | st.integers(lo, hi)


_NUMBERS = st.sampled_from(["999999999999999.9999999999", "-999999999999999.9999999999", "0.0000000001",
                            "-0.0000000001", "0.5", "2.00", "100", "0"])
_DURATIONS = st.sampled_from(["P99999DT999999H9999999M999999999S", "-P99999DT999999H9999999M999999999S", "PT0S",
                              "PT1S", "-PT1S", "P1D", "PT30M", "-P99999D"])
_YEARS = st.integers(1900, 2999)


@st.composite
def _datetime(draw):
    d = draw(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31, 23, 59, 59)))
    if draw(st.booleans()):
        d = draw(st.sampled_from([datetime(1900, 1, 1), datetime(2999, 12, 31, 23, 59, 59), datetime(2025, 6, 1, 14)]))
    zone = draw(st.sampled_from([None, timezone.utc, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]))
    text = d.replace(microsecond=0).isoformat()
    if zone is timezone.utc:
        return text + "Z"
    return text if zone is None else d.replace(microsecond=0, tzinfo=zone).isoformat()


def extreme(s: dict, defs: dict):
    """Values the schema accepts, leaning on the ends of every range."""
    if "$ref" in s:
        return extreme(defs[s["$ref"].rsplit("/", 1)[1]], defs)
    if "anyOf" in s:
        return st.one_of([extreme(x, defs) for x in s["anyOf"]])
    if "enum" in s:
        return st.sampled_from(s["enum"])
    kind = s.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return _ints(s)
    if kind == ["integer", "string"]:
        return _ints(s) | _NUMBERS.filter(lambda v: s.get("minimum", -MAX_INT) <= Fraction(v) <= s.get("maximum", MAX_INT))
    if kind == "string":
        pattern = s.get("pattern") or ""
        if "T" in pattern and ":" in pattern:
            return _datetime()
        if pattern.startswith("^-?P"):
            return _DURATIONS
        if pattern:
            return st.dates(date(1900, 1, 1), date(2999, 12, 31)).map(date.isoformat)
        return st.text(max_size=min(s.get("maxLength", 20), 20))
    if kind == "array":
        return st.lists(extreme(s["items"], defs), max_size=min(s.get("maxItems", 4), 4))
    if kind == "object":
        props, required = s["properties"], set(s.get("required", ()))
        return st.fixed_dictionaries({k: extreme(v, defs) for k, v in props.items() if k in required},
                                     optional={k: extreme(v, defs) for k, v in props.items() if k not in required})
    raise AssertionError(f"no strategy for {s}")


_STRATEGIES: dict = {}


@st.composite
def cases(draw):
    pid = draw(st.sampled_from(sorted(POLICIES)))
    if pid not in _STRATEGIES:
        sc = schema(pid)
        _STRATEGIES[pid] = extreme(sc, sc["$defs"])
    return pid, draw(_STRATEGIES[pid])


def evaluate_once(pid: str, inputs: dict) -> None:
    m = module(pid)
    try:
        decision = m.evaluate(inputs)
    except m.InvalidInput as err:
        assert err.errors and all(e["message"] for e in err.errors)
        return
    out = decision.to_dict()
    json.dumps(out, allow_nan=False)
    for name, is_list in money_outputs(pid):
        values = out["outputs"][name]
        for v in (values if is_list else [values]) if values is not None else []:
            assert type(v) is int and 0 <= v <= MAX_INT, (pid, name, v, inputs)


def _settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


@_settings(40)
@given(case=cases())
def test_every_policy_decides_or_refuses_extreme_input(case):
    evaluate_once(*case)


@pytest.mark.slow
@_settings(2500)
@given(case=cases())
def test_every_policy_decides_or_refuses_extreme_input_at_length(case):
    evaluate_once(*case)


def test_the_fuzzer_reaches_every_policy():
    assert len(POLICIES) == 37


def at_ends(s: dict, defs: dict, end: str):
    """One value the schema accepts, every whole number or decimal at its `end` ("min" or "max")."""
    if "$ref" in s:
        return at_ends(defs[s["$ref"].rsplit("/", 1)[1]], defs, end)
    if "anyOf" in s:
        return at_ends(s["anyOf"][0], defs, end)
    if "enum" in s:
        return s["enum"][0 if end == "min" else -1]
    kind = s.get("type")
    if kind in ("integer", ["integer", "string"]):
        return s.get("minimum", -MAX_INT) if end == "min" else s.get("maximum", MAX_INT)
    if kind == "boolean":
        return end == "max"
    if kind == "string":
        pattern = s.get("pattern") or ""
        if "T" in pattern and ":" in pattern:
            return "2025-06-01T14:00:00+09:00"
        if pattern.startswith("^-?P"):
            return "-P99999D" if end == "min" else "P99999DT999999H9999999M999999999S"
        return "2025-06-01" if pattern else ""
    if kind == "array":
        item = at_ends(s["items"], defs, end)
        return [item, item] if s.get("maxItems", 2) >= 2 else [item]
    if kind == "object":
        return {k: at_ends(v, defs, end) for k, v in s["properties"].items()}
    return None


@pytest.mark.parametrize("end", ["min", "max"])
def test_every_policy_decides_or_refuses_every_number_at_its_end(end):
    # All at once, then each whole number or decimal at its end alone with the rest in the middle.
    for pid in sorted(POLICIES):
        sc = schema(pid)
        evaluate_once(pid, at_ends(sc, sc["$defs"], end))
        middle = at_ends(sc, sc["$defs"], "min" if end == "max" else "max")
        for key, prop in sc["properties"].items():
            value = at_ends(prop, sc["$defs"], end)
            if isinstance(value, int) and not isinstance(value, bool):
                evaluate_once(pid, {**middle, key: value})


@pytest.mark.parametrize("pid,field,value", [
    ("pet_taxi.booking_request", "waypoint_count", -1),
    ("pet_taxi.driver_no_show", "distance_m", -5),
    ("pet_taxi.mate_operation", "vehicle_count", 0),
    ("jeju_rentcar.cdw_claim", "earlier_claims", -1),
    ("pet_taxi.mate_eligibility", "owner_share", 250),
    ("pet_taxi.mate_eligibility", "model_year", 20),
    ("jeju_rentcar.fuel", "fuel_at_return", 101),
    ("jeju_rentcar.driver_eligibility", "children", -2),
    ("pet_taxi.booking_request", "member_age", -30),
])
def test_nonsense_input_is_refused_naming_the_field(pid, field, value):
    # Each was decided as if it made sense (a negative count of waypoints accepted, a 250% share).
    sc = schema(pid)
    m = module(pid)
    with pytest.raises(m.InvalidInput) as info:
        m.evaluate({**at_ends(sc, sc["$defs"], "max"), field: value})
    assert f"/{field}" in [e["path"] for e in info.value.errors]
