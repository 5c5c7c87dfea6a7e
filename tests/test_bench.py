"""The benchmark's parts are right before they are fast: workload, baseline, peers, harness.

No timing is asserted here; `python -m bench` measures, these tests only check that what it
measures is the same job done correctly.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from bench import before, peers, report, startup, timing
from bench.baseline import BASELINES, TUNED, BadInput
from bench.workload import JEJU_EDGES, PET_EDGES, WORKLOADS, jeju_rentcar_inputs, pet_taxi_inputs

POLICIES = sorted(WORKLOADS)


def _generated(policy: str):
    return importlib.import_module(f"generated.{policy}")


def _as_baseline(policy: str, decision) -> tuple:
    o = decision.outputs
    if policy.startswith("pet_taxi"):
        return (o["fee"], decision.rule)
    return (o["fee_percent"], o["card_fee"], o["point_fee"], decision.rule)


def test_workload_is_fixed_by_its_seed():
    assert pet_taxi_inputs(50, seed=1) == pet_taxi_inputs(50, seed=1)
    assert pet_taxi_inputs(50, seed=1) != pet_taxi_inputs(50, seed=2)
    assert jeju_rentcar_inputs(50, seed=1) == jeju_rentcar_inputs(50, seed=1)


@pytest.mark.parametrize("policy", POLICIES)
def test_workload_hits_every_rule_and_the_window_edges(policy):
    module = _generated(policy)
    inputs = WORKLOADS[policy](4000, seed=2025)
    rules = {module.evaluate(raw).rule for raw in inputs}  # every input is valid
    grid_and_rules = set(module.RULE_IDS)
    assert rules == grid_and_rules
    edges = PET_EDGES if policy.startswith("pet_taxi") else JEJU_EDGES
    anchor, other = ("departure_at", "cancelled_at") if policy.startswith("pet_taxi") else ("pickup_at", "cancelled_at")
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def at(s):
        dt = datetime.fromisoformat(s)
        return dt if dt.tzinfo else dt.replace(tzinfo=ZoneInfo("Asia/Seoul"))

    on_edge = sum((at(r[anchor]) - at(r[other])).total_seconds() in edges for r in inputs)
    assert on_edge / len(inputs) > 0.1


@pytest.mark.parametrize("baselines", [BASELINES, TUNED], ids=["straightforward", "tuned"])
@pytest.mark.parametrize("policy", POLICIES)
def test_baseline_decides_like_the_generated_evaluator(policy, baselines):
    module, baseline = _generated(policy), baselines[policy]
    for raw in WORKLOADS[policy](3000, seed=77):
        assert baseline(raw) == _as_baseline(policy, module.evaluate(raw)), raw


@pytest.mark.parametrize("baselines", [BASELINES, TUNED], ids=["straightforward", "tuned"])
@pytest.mark.parametrize("policy", POLICIES)
def test_baseline_checks_its_input_like_the_generated_evaluator(policy, baselines):
    module, baseline = _generated(policy), baselines[policy]
    good = WORKLOADS[policy](1, seed=3)[0]
    first_dt = next(k for k, v in good.items() if isinstance(v, str) and "T" in v)
    bad_inputs = [
        [],
        dict(good, surprise=1),
        {k: v for k, v in good.items() if k != first_dt},
        dict(good, **{first_dt: "2025-06-01 14:00"}),
        dict(good, **{first_dt: "2025-W22-7T14:00:00+09:00"}),
        dict(good, **{first_dt: "2025-06-01T14:00:00+0900"}),
        dict(good, **{first_dt: 20250601}),
        dict(good, **{first_dt: "1899-12-31T23:00:00+09:00"}),
        dict(good, **{first_dt: "2025-06-01T14:00:00+09:75"}),
        dict(good, **{first_dt: "２０２５-06-01T14:00:00+09:00"}),
        dict(good, **{first_dt: "2025-06-01T14:00:00+09:60"}),
        dict(good, **{first_dt: "2025-06-01T14:00:00.123Z"[:-1] + "x"}),
        dict(good, **{first_dt: "2025-06-31T14:00:00+09:00"}),
        dict(good, **{first_dt: "3000-01-01T00:00:00Z"}),
        dict(good, **{first_dt: "2025-06-01T1٤:00:00"}),
        dict(good, **{first_dt: ["2025-06-01T14:00:00Z"]}),
        dict(good, no_show="yes"),
    ]
    money = "fare" if policy.startswith("pet_taxi") else "card_amount"
    bad_inputs += [dict(good, **{money: -1}), dict(good, **{money: True}), dict(good, **{money: "100"}),
                   dict(good, **{money: 2**53}), dict(good, **{money: 1.5})]
    for raw in bad_inputs:
        with pytest.raises(module.InvalidInput):
            module.evaluate(raw)
        with pytest.raises(BadInput):
            baseline(raw)
    whole_float = dict(good, **{money: 5000.0})
    assert baseline(whole_float) == _as_baseline(policy, module.evaluate(whole_float))


def test_peers_agree_with_the_baseline_where_installed():
    inputs = {p: WORKLOADS[p](120, seed=4) for p in POLICIES}  # python -m bench checks every input
    built = 0
    for name, dist, build, _ in peers.PEERS:
        try:
            fns = build()
        except ImportError:
            continue  # the `bench` extra is optional; python -m bench reports what is missing
        built += 1
        for policy in POLICIES:
            for raw in inputs[policy]:
                assert tuple(fns[policy](raw)) == BASELINES[policy](raw), (name, raw)
    if not built:
        pytest.skip("no peer engine installed (pip install -e '.[bench]')")


def test_the_generated_evaluators_before_the_rewrite_load_beside_todays(tmp_path):
    try:
        old = before.load(tuple(POLICIES), tmp_path)
    except Exception as err:  # noqa: BLE001 - a shallow clone has no history
        pytest.skip(f"commit {before.COMMIT} not readable here: {err}")
    for policy in POLICIES:
        assert old[policy].__name__ == f"{before.PACKAGE}.{policy}"
        for raw in WORKLOADS[policy](200, seed=5):
            assert _as_baseline(policy, old[policy].evaluate(raw)) == _as_baseline(policy, _generated(policy).evaluate(raw))


def test_best_configuration_is_the_fastest_of_each_peer():
    from bench.__main__ import best_configurations

    stats = {"a": timing.Stats(1, 5.0, 9.0, 5.0), "a raw": timing.Stats(1, 3.0, 9.0, 3.0), "b": timing.Stats(1, 4.0, 9.0, 4.0)}
    notes = [{"name": "a", "dist": "pa"}, {"name": "a raw", "dist": "pa"}, {"name": "b", "dist": "pb"},
             {"name": "c", "dist": "pc"}]  # c not built: left out
    assert [(d, n, c) for d, n, _, c in best_configurations(stats, notes)] == [("pa", "a raw", 2), ("pb", "b", 1)]


def test_interleaved_timing_takes_one_sample_per_call_and_round():
    calls = []
    stats = timing.interleaved({"a": calls.append, "b": lambda raw: None}, list(range(25)), rounds=3, seed=1, block=10)
    assert stats["a"].samples == stats["b"].samples == 75
    assert sorted(calls) == sorted(list(range(25)) * 3)
    assert 0 <= stats["a"].median <= stats["a"].p99


def test_synthetic_policies_compile(tmp_path):
    from compiler import pipeline

    startup.write_synthetic(tmp_path, 3)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "policies").rglob("*.policy"))
    assert files == [f"policies/synth_00/policy_000{i}.policy" for i in range(3)]
    result = pipeline.load(tmp_path)
    assert result.errors == []
    assert sorted(item.policy.id for item in result.policies) == [f"synth_00.policy_000{i}" for i in range(3)]
    assert all(item.examples for item in result.policies)


def test_report_table():
    text = report.table(["a", "b"], [["x", 1], ["y", 22]])
    assert text.splitlines() == ["| a | b |", "| --- | ---: |", "| x | 1 |", "| y | 22 |"]


def test_results_file_names_its_command_and_machine():
    results = Path(__file__).resolve().parent.parent / "bench" / "RESULTS.md"
    if not results.exists():
        pytest.skip("bench/RESULTS.md not written yet")
    text = results.read_text(encoding="utf-8")
    assert "python -m bench" in text and "machine:" in text and "## Targets" in text
    json.dumps(text)  # plain text, no surprises
