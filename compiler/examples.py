"""Runs a policy's worked examples against its generated evaluator and describes each failure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExampleResult:
    name: str
    line: int
    passed: bool
    problems: list[str] = field(default_factory=list)
    decision: dict[str, Any] | None = None


def run_examples(module, examples: list[dict], lines: list[int] | None = None) -> list[ExampleResult]:
    """Evaluate every example; compare outputs, rule id and expected input errors."""
    results = []
    for i, ex in enumerate(examples):
        line = lines[i] if lines else 0
        results.append(run_example(module, ex, line))
    return results


def run_example(module, ex: dict, line: int = 0) -> ExampleResult:
    name = ex.get("name", "?")
    problems: list[str] = []
    invalid = ex.get("invalid")
    try:
        decision = module.evaluate(ex.get("input", {}))
    except module.InvalidInput as err:
        paths = sorted(e["path"] for e in err.errors)
        if invalid is not None:
            if sorted(invalid) != paths:
                problems.append(f"invalid fields: expected {_show(sorted(invalid))}, got {_show(paths)}")
            return ExampleResult(name, line, not problems, problems)
        for e in err.errors:
            problems.append(f"input rejected: {e['path'] or '/'}: {e['message']}")
        return ExampleResult(name, line, False, problems)
    if invalid is not None:
        problems.append(f"expected the input to be rejected at {_show(sorted(invalid))}, but it was accepted")
    out = decision.to_dict()
    for key, want in (ex.get("expected") or {}).items():
        got = out["outputs"].get(key, "<missing>")
        if got != want or type(got) is not type(want):
            problems.append(f"{key}: expected {_show(want)}, got {_show(got)}")
    if "rule" in ex and ex["rule"] != out["rule"]:
        problems.append(f"rule: expected `{ex['rule']}`, got `{out['rule']}`")
    return ExampleResult(name, line, not problems, problems, out)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
