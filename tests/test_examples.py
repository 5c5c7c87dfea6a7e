"""Every worked example of every policy, run against the imported generated evaluator."""

from __future__ import annotations

import pytest

from compiler import pipeline
from compiler.examples import run_example
from tests.conftest import ROOT

LOADED = pipeline.load(ROOT)
CASES = [
    pytest.param(item, ex, line, id=f"{item.policy.id}:{line}")
    for item in sorted(LOADED.policies, key=lambda i: i.policy.id)
    for ex, line in zip(item.examples, item.example_lines)
]


def test_every_policy_has_examples():
    for item in LOADED.policies:
        assert len(item.examples) >= 5, f"{item.policy.id} has too few worked examples"


@pytest.mark.parametrize("item,example,line", CASES)
def test_example(item, example, line):
    module = pipeline.import_evaluator(item.policy.id, ROOT)
    result = run_example(module, example, line)
    assert result.passed, "\n".join([f"{example['name']}:"] + result.problems)


@pytest.mark.parametrize("item", LOADED.policies, ids=lambda i: i.policy.id)
def test_examples_exercise_every_rule(item):
    """Each rule, table row and grid cell is the deciding rule of at least one example."""
    module = pipeline.import_evaluator(item.policy.id, ROOT)
    fired = set()
    for ex in item.examples:
        if "invalid" in ex:
            continue
        fired.add(module.evaluate(ex["input"]).rule)
    missing = [r for r in item.analysis.rule_ids if r not in fired]
    assert missing == [], f"rules no example reaches: {missing}"


@pytest.mark.parametrize("item", LOADED.policies, ids=lambda i: i.policy.id)
def test_to_json_is_json_dumps_of_to_dict(item):
    """The batch writes Decision.to_json(); it must be the very text json.dumps writes of to_dict()."""
    import json

    module = pipeline.import_evaluator(item.policy.id, ROOT)
    for ex in item.examples:
        if "invalid" not in ex:
            d = module.evaluate(ex["input"])
            assert d.to_json() == json.dumps(d.to_dict(), ensure_ascii=False), ex["name"]
