"""The README's examples are real: its doctest runs, its error excerpt is what policyc prints,
and CI runs its quick-start commands verbatim."""

from __future__ import annotations

import doctest
import re

from compiler.check import check
from compiler.diagnostics import render
from dsl.parser import parse
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_quick_start_has_exactly_two_commands_and_ci_runs_them():
    commands = _quick_start_commands()
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in commands:
        assert command in ci


def test_readme_doctest_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3
    assert result.failed == 0


def test_readme_error_excerpt_is_real():
    excerpt = re.search(r"```\n(policies/pet_taxi/cancellation_fee\.policy:\d+:\d+: error:.*?)\n```", README, re.S).group(1)
    path = "policies/pet_taxi/cancellation_fee.policy"
    source = (ROOT / path).read_text(encoding="utf-8").replace("late (1h, 9h]", "late (1h, 8h]")
    rendered = [render(d, source) for d in check(parse(source, path))]
    assert excerpt in rendered


def test_readme_counts_the_policies_and_examples_there_are():
    # The project exists so that text and system cannot drift apart; its README should not either.
    import yaml

    policies = sorted((ROOT / "policies").glob("*/*.policy"))
    examples = sum(len(yaml.safe_load(p.with_suffix(".examples.yaml").read_text(encoding="utf-8")) or [])
                   for p in policies)
    said = re.search(r"is a policy: (\d+) of them,\s+each citing its article and section, with (\d+) worked examples", README)
    assert said is not None
    assert (int(said[1]), int(said[2])) == (len(policies), examples)
