"""`policyc boundaries` and `policyc test --coverage`: window edges and what the examples exercise."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner

from compiler import pipeline
from compiler.boundaries import exercise, find_boundaries
from compiler.cli import main
from tests.conftest import ROOT

# Only the two policies these tests read: loading all of them would cost the core tier a compile.
_RESULT = pipeline.load(ROOT, pipeline.policy_paths(ROOT, ["pet_taxi.cancellation_fee", "pet_taxi.booking_request"]))
assert not _RESULT.errors, [d.message for d in _RESULT.errors]
LOADED = {item.policy.id: item for item in _RESULT.policies}


def test_pet_taxi_window_edges_and_their_sides():
    bounds = {(b.owner, b.at): b for b in find_boundaries(LOADED["pet_taxi.cancellation_fee"].analysis)}
    nine = bounds[("by_time", timedelta(hours=9))]
    # Exactly 9h before departure is the 50% window; one second more is the 10% window.
    assert (nine.below, nine.below_rule) == (timedelta(hours=9), "by_time.late")
    assert (nine.above, nine.above_rule) == (timedelta(hours=9, seconds=1), "by_time.early")
    grace = bounds[("dispatch_grace", timedelta(minutes=10))]
    assert (grace.below_rule, grace.above_rule) == ("dispatch_grace", "")


def test_check_edges_say_pass_or_fail():
    bounds = [b for b in find_boundaries(LOADED["pet_taxi.booking_request"].analysis) if b.owner == "check too_late"]
    (b,) = bounds
    assert (b.below_rule, b.above_rule) == ("fails", "passes")
    assert b.above == timedelta(minutes=30)


def test_examples_exercise_both_sides_of_every_fee_window():
    item = LOADED["pet_taxi.cancellation_fee"]
    ex = exercise(item.analysis, pipeline.import_evaluator(item.policy.id, ROOT), item.examples)
    assert ex.unexercised_rules == []
    assert all(lo and hi for _, lo, hi in ex.boundaries)


def test_cli_boundaries_and_coverage():
    runner = CliRunner()
    out = runner.invoke(main, ["boundaries", "pet_taxi.cancellation_fee", "--root", str(ROOT)])
    assert out.exit_code == 0
    assert "before = 9h → by_time.late" in out.output
    assert "before = 9h1s → by_time.early" in out.output
    cov = runner.invoke(main, ["test", "--coverage", "pet_taxi.cancellation_fee", "--root", str(ROOT)])
    assert cov.exit_code == 0, cov.output
    assert "pet_taxi.cancellation_fee" in cov.output and "8/8" in cov.output
    bad = runner.invoke(main, ["boundaries", "no_such.policy", "--root", str(ROOT)])
    assert bad.exit_code == 2


def test_cli_bench_passes_its_arguments_to_the_benchmark(monkeypatch):
    monkeypatch.chdir(ROOT)
    out = CliRunner().invoke(main, ["bench", "--help"])
    assert out.exit_code == 0
    assert "--quick" in out.output
