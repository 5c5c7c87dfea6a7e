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
