"""Scale and nesting limits: large policies compile in linear time, deep expressions are refused
with a diagnostic at the expression, and every stage handles what the limit lets through."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from compiler import emit_python
from compiler.check import analyze
from compiler.pipeline import Loaded, build
from dsl.parser import parse
from tests.support import compile_policy

HEAD = 'policy t.p "시험"\n  source "x.txt" section "s"\ninput n: int "n"\noutput fee: money "수수료"\n'


def many_rules(count: int) -> str:
    rules = "".join(f'rule r{i} "규칙 {i}"\n  when n = {i}\n  then fee = {i}원\n' for i in range(count))
    return HEAD + rules + 'rule rest "나머지" otherwise then fee = 1원\n'


def test_a_long_rule_chain_is_cut_into_flat_chains(tmp_path, monkeypatch):
    # Python's compiler nests `elif`s: 3,000 rules in one chain hit its recursion limit (issue 10).
    monkeypatch.setattr(emit_python, "_ELIF_CHAIN", 3)
    module = compile_policy(tmp_path, "t.p", many_rules(10))
    for n in range(12):
        decision = module.evaluate({"n": n}).to_dict()
        assert decision["rule"] == (f"r{n}" if n < 10 else "rest"), n


def build_one(text: str) -> dict[str, str]:
    policy = parse(text, "policies/t/p.policy")
    an = analyze(policy)
    assert not [d for d in an.diagnostics if d.severity == "error"]
    return build([Loaded(Path("policies/t/p.policy"), text, policy, an, [])], articles=[])


@pytest.mark.slow
@pytest.mark.parametrize("count", [3000, 10000])
def test_thousands_of_rules_compile(count):
    start = time.process_time()
    files = build_one(many_rules(count))
    assert f"rule r{count - 1}" in files["t/p.py"]
    assert time.process_time() - start < 60  # a generous bound: was RecursionError / > 300 s


# ---------------------------------------------------------------- nesting

from compiler.diagnostics import PolicyError  # noqa: E402
from dsl.parser import MAX_NESTING  # noqa: E402

FEE = ('policy t.p "시험"\n  source "x.txt" section "s"\ninput fare: money "운임"\noutput fee: money "수수료"\n'
       'rule r "규칙"\n  otherwise\n  then fee = {}\n')
CALLERS = 250  # stack frames left for whoever calls the compiler: pytest, click, a batch worker


def nested(depth: int) -> str:
    inner = "fare"
    for _ in range(depth):
        inner = f"min({inner}, fare)"
    return inner


def build_with_little_stack(text: str) -> dict[str, str]:
    """Build with only what the default recursion limit leaves after CALLERS frames of callers."""
    import inspect
    import sys

    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 1000 - CALLERS)
    try:
        return build_one(text)
    finally:
        sys.setrecursionlimit(saved)


@pytest.mark.parametrize("text", [
    pytest.param(FEE.format(nested(MAX_NESTING - 1)), id="min(min(…)) at the limit"),
    pytest.param(FEE.format(" + ".join(["fare"] * 199)), id="a flat sum of 199 terms"),
    pytest.param(FEE.format("-(" * (MAX_NESTING - 1) + "fare" + ")" * (MAX_NESTING - 1)), id="negations"),
])
def test_every_stage_handles_what_the_nesting_limit_lets_through(text):
    # min(min(…)) 165 deep passed the checker and crashed the page emitter (issue 10).
    files = build_with_little_stack(text)
    assert "t/p.py" in files and "docs/t/p.md" in files


@pytest.mark.parametrize("text, message", [
    pytest.param(FEE.format(nested(MAX_NESTING + 5)), "nested too deeply", id="nested"),
    pytest.param(FEE.format(" + ".join(["fare"] * (MAX_NESTING + 5))), "too many terms in a row", id="a long sum"),
])
def test_too_deep_is_reported_at_the_expression(text, message):
    with pytest.raises(PolicyError) as err:
        parse(text, "policies/t/p.policy")
    (d,) = err.value.diagnostics
    assert d.code == "E010" and message in d.message
    assert d.span.line == 7 and d.span.col > 1  # the expression, not 1:1
