"""Every worked example of every policy, run against the imported generated evaluator."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from compiler import pipeline
from compiler.diagnostics import render
from compiler.examples import ExampleLoader, decide_examples, evaluators_in_memory, read_examples, run_example
from tests.conftest import ROOT
from tests.support import project_data

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


# ---------------------------------------------------------------- examples that disagree are refused
#
# tests/cases/bad_examples/<what_is_wrong>.examples.yaml, one mistake each, checked against
# tests/cases/bad_examples/fee.policy in a one-policy project: a snapshot of what the policy
# owner reads, plus the code and position of the error and its did-you-mean.

BAD_EXAMPLES = ROOT / "tests" / "cases" / "bad_examples"
BAD_CASES = sorted(p.name[: -len(".examples.yaml")] for p in BAD_EXAMPLES.glob("*.examples.yaml"))
SHOWN = "policies/t/fee.examples.yaml"

# case -> (code, line, col, help); the first error of the case.
EXPECTED = {
    "expected_differs": ("E320", 8, 19, "if the rule is right, write `fee: 500`; otherwise fix the rule"),
    "expected_wrong_type": ("E320", 8, 19, "if the rule is right, write `fee: 500`; otherwise fix the rule"),
    "rule_not_deciding": ("E320", 9, 9, "if the policy is right, write `rule: paid`; otherwise fix the rules above it"),
    "refused_unexpectedly": ("E320", 7, 17, 'to show a refused input, write `invalid: ["/fare"]` instead of `expected` and `rule`'),
    "invalid_but_accepted": ("E320", 8, 12, None),
    "invalid_other_field": ("E320", 8, 12, None),
    "unknown_input": ("E310", 7, 11, "did you mean `fare`?"),
    "unknown_record_field": ("E310", 7, 40, "did you mean `weight`?"),
    "unknown_output": ("E307", 8, 14, "did you mean `fee`?"),
    "unknown_rule": ("E308", 9, 9, "did you mean `paid`?"),
    "unknown_key": ("E309", 8, 3, "did you mean `expected`?"),
    "invalid_unknown_path": ("E311", 8, 13, "did you mean `/fare`?"),
    "invalid_not_a_list": ("E311", 8, 12, None),
    "invalid_with_expected": ("E312", 8, 3, "keep `invalid` for a refused input, or `expected` and `rule` for a decision"),
    "no_result": ("E312", 6, 3, "give the outputs it must produce in `expected` (and the deciding `rule`), "
                                "or the refused fields in `invalid`"),
    "duplicate_name": ("E305", 6, 9, "give each example its own name"),
    "duplicate_key": ("E313", 7, 23, "YAML keeps only the last one; remove one of them"),
    "note_not_text": ("E314", 10, 9, None),
    "name_not_text": ("E304", 6, 9, None),
    "bidi_control": ("E315", 5, 17, 'delete it; to mean it, write it as an escape in a double-quoted text ("\\u202E")'),
}


def tiny_project(root: Path, examples: str, policy: str | None = None) -> Path:
    """A one-policy project (tests/cases/bad_examples/fee.policy, `t.fee`) with the given examples file."""
    folder = root / "policies" / "t"
    folder.mkdir(parents=True)
    (folder / "fee.policy").write_text(policy or (BAD_EXAMPLES / "fee.policy").read_text(encoding="utf-8"),
                                       encoding="utf-8")
    (folder / "fee.examples.yaml").write_text(examples, encoding="utf-8")
    project_data(root)
    return root


GOOD = """\
- name: 싼 운임
  input: {fare: 500}
  expected: {fee: 0}
  rule: free
- name: 보통 운임
  input: {fare: 5000, pets: [{kind: 개, weight: 3}]}
  expected: {fee: 500}
- name: 운임이 글자
  input: {fare: "5000"}
  invalid: ["/fare"]
"""


def bad_case(name: str, tmp_path: Path):
    root = tiny_project(tmp_path, (BAD_EXAMPLES / f"{name}.examples.yaml").read_text(encoding="utf-8"))
    return pipeline.load(root)


def test_every_bad_example_case_has_an_expectation():
    assert sorted(EXPECTED) == BAD_CASES


@pytest.mark.parametrize("name", BAD_CASES)
def test_bad_example_rendered(name, tmp_path, text_snapshot):
    result = bad_case(name, tmp_path)
    assert result.errors
    text = "\n\n".join(render(d, result.sources.get(d.span.path)) for d in result.diagnostics) + "\n"
    assert text == text_snapshot


@pytest.mark.parametrize("name", BAD_CASES)
def test_bad_example_is_refused_at_its_part(name, tmp_path):
    result = bad_case(name, tmp_path)
    code, line, col, help_ = EXPECTED[name]
    assert len(result.errors) == 1, [d.message for d in result.errors]  # one mistake, one error
    (d,) = result.errors
    assert (d.code, d.span.path, d.span.line, d.span.col, d.help) == (code, SHOWN, line, col, help_)
    assert "\n" not in d.message and not d.message.endswith(".") and not d.message[:1].isupper()
    assert pipeline.compile_all(tmp_path)[1] is None  # nothing to write


def test_disagreement_shows_expected_actual_and_the_deciding_rule(tmp_path):
    (d,) = bad_case("expected_differs", tmp_path).errors
    assert d.message == "example `보통 운임`: expected `fee` = 7000, the evaluator gives 500"
    assert d.notes == ("the evaluator decides by rule `paid` (policies/t/fee.policy:19): 운임 5,000원의 10% → 500원",)


def test_good_examples_pass_and_leave_nothing_behind(tmp_path):
    import sys

    root = tiny_project(tmp_path, GOOD)
    before = set(sys.modules)
    result = pipeline.load(root)
    assert result.diagnostics == []
    assert [ex["name"] for ex in result.policies[0].examples] == ["싼 운임", "보통 운임", "운임이 글자"]
    assert not (root / "generated").exists()  # the evaluator ran in memory
    assert [m for m in set(sys.modules) - before if m.startswith("_policyc")] == []


def test_page_shows_what_the_evaluator_decides(tmp_path):
    """The page is written from the decision, not from the examples file's `expected`."""
    result = pipeline.load(tiny_project(tmp_path, GOOD))
    (item,) = result.policies
    item.examples[1]["expected"]["fee"] = 7000  # what a page written from the file would show
    item.examples[0]["rule"] = "paid"
    page = pipeline.build(result.policies)["docs/t/fee.md"]
    example = page.split("### 보통 운임", 1)[1].split("###", 1)[0]
    assert "- 수수료: 500원" in example and "7,000원" not in example
    # The deciding rule is shown even where the example does not name it.
    assert "결정 규칙: `paid` (판단 순서 2번)" in example
    assert "결정 규칙: `free` (판단 순서 1번)" in page.split("### 싼 운임", 1)[1].split("###", 1)[0]
    assert "잘못된 항목: `/fare`" in page.split("### 운임이 글자", 1)[1]


def test_an_unknown_input_the_example_expects_refused_is_accepted(tmp_path):
    examples = GOOD + '- name: 철자가 틀린 운임\n  input: {fair: 5000}\n  invalid: ["/fair", "/fare"]\n'
    result = pipeline.load(tiny_project(tmp_path, examples))
    assert result.diagnostics == []
    page = pipeline.build(result.policies)["docs/t/fee.md"]
    assert "잘못된 항목: `/fair`, `/fare`" in page


def test_an_unknown_input_refused_at_another_field_still_gets_did_you_mean(tmp_path):
    examples = GOOD + '- name: 철자가 틀린 운임\n  input: {fair: 5000}\n  invalid: ["/fare"]\n'
    (d,) = pipeline.load(tiny_project(tmp_path, examples)).errors
    assert (d.code, d.span.line, d.span.col, d.help) == ("E310", 12, 11, "did you mean `fare`?")


def test_examples_read_as_json_not_yaml_dates_or_yes_no():
    text = "a: 2025-04-30\nb: 2025-06-01T14:00:00+09:00\nc: no\nd: on\ne: true\nf: False\ng: 10\nh: null\n"
    assert yaml.load(text, Loader=ExampleLoader) == {  # noqa: S506 - a SafeLoader
        "a": "2025-04-30", "b": "2025-06-01T14:00:00+09:00", "c": "no", "d": "on", "e": True, "f": False,
        "g": 10, "h": None}


def test_an_evaluator_that_fails_is_reported_at_the_example(tmp_path):
    """An evaluator that raises anything but InvalidInput ends in a diagnostic, not a crash."""
    result = pipeline.load(tiny_project(tmp_path, GOOD))
    (item,) = result.policies

    class Failing:
        class InvalidInput(Exception):
            pass

        @staticmethod
        def evaluate(raw):
            raise ZeroDivisionError("division by zero")

    worked, diags = decide_examples(Failing, item.policy, item.examples, item.example_nodes, SHOWN)
    assert worked == [] and len(diags) == 3
    assert diags[0].message == "example `싼 운임`: the evaluator fails on this input: ZeroDivisionError: division by zero"
    assert (diags[0].span.line, diags[0].span.col) == (2, 10)


def test_evaluators_in_memory_import_their_runtime_relatively():
    source = "from .. import _runtime as _rt\nfrom .._runtime import X\nY = (_rt.X, X)\n"
    with evaluators_in_memory("X = 1\n", [(source, "generated/a/b.py"), (source, "generated/a/c.py")]) as mods:
        assert [m.Y for m in mods] == [(1, 1), (1, 1)]
        names = [m.__name__ for m in mods]
        import sys

        assert all(n in sys.modules for n in names)
    assert not any(n in sys.modules for n in names)


def test_a_key_overriding_a_merged_base_is_not_given_twice(tmp_path):
    examples = ("- name: 싼 운임\n  input: &base {fare: 500}\n  expected: {fee: 0}\n"
                "- name: 보통 운임\n  input: {<<: *base, fare: 5000}\n  expected: {fee: 500}\n")
    result = pipeline.load(tiny_project(tmp_path, examples))
    assert result.diagnostics == []
    data, node = read_examples(examples)
    assert data[1]["input"] == {"fare": 5000}
    assert [k.value for k, _ in node.value[1].value[1][1].value] == ["<<", "fare"]  # the nodes as written


def test_a_yaml_error_is_worded_the_same_whichever_reader_finds_it(tmp_path):
    from compiler.examples import ExampleLoader

    text = "- name: a\n  input: {fare: 500\n"
    with pytest.raises(yaml.YAMLError) as fast:
        read_examples(text)
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.load(text, Loader=ExampleLoader)  # noqa: S506 - a SafeLoader
    assert str(fast.value) == str(pure.value)
    (d,) = pipeline.load(tiny_project(tmp_path, text)).errors
    assert d.code == "E302" and d.span.line == 3


def test_a_name_with_a_line_break_stays_on_the_diagnostic_line(tmp_path):
    examples = '- name: "보통\\n운임\\u202e"\n  input: {fare: 5000}\n  expected: {fee: 7000}\n'
    (d,) = pipeline.load(tiny_project(tmp_path, examples)).errors
    assert d.message == "example `보통\\u{A}운임\\u{202E}`: expected `fee` = 7000, the evaluator gives 500"
