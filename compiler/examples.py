"""Checks a policy's worked examples, runs them on its evaluator and describes each failure.

At compile time the examples run on the freshly emitted evaluator, executed in memory as a
module of a private package (`evaluators_in_memory`), so that a page can only show what the
evaluator decides; `policyc test` runs them again on the imported generated/ module.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import sys
import types
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from compiler.diagnostics import Diagnostic, Span, suggest
from dsl import ast as A
from dsl.parser import BIDI_CONTROLS, invisible

__all__ = ["ExampleLoader", "ExampleResult", "read_examples", "WorkedExample", "check_examples", "decide_examples",
           "evaluators_in_memory", "run_example", "run_examples"]

KEYS = ("name", "input", "expected", "rule", "note", "invalid")


_JSON_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


def _json_resolvers(loader: type) -> None:
    """YAML 1.1 turns unquoted `2025-04-30` into a date and `no`/`on` into booleans; JSON has
    neither, so such scalars stay text (only `true`/`false` are booleans)."""
    loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver("tag:yaml.org,2002:bool", _JSON_BOOL, list("tTfF"))


class _KeepNodes:
    """Build values without changing the composed nodes: SafeConstructor merges `<<: *base` into
    the node itself, which would make every key overriding the base look given twice."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode) and any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
            node = yaml.MappingNode(node.tag, list(node.value), node.start_mark, node.end_mark, node.flow_style)
        return super().construct_mapping(node, deep=deep)


class ExampleLoader(_KeepNodes, yaml.SafeLoader):
    """Reads examples as the JSON documents a service sends, written in YAML."""


_json_resolvers(ExampleLoader)

if getattr(yaml, "__with_libyaml__", False):
    class _FastExampleLoader(_KeepNodes, yaml.CSafeLoader):  # the same, read by libyaml (same values and marks)
        pass

    _json_resolvers(_FastExampleLoader)
else:  # pragma: no cover - PyYAML without libyaml
    _FastExampleLoader = ExampleLoader


def read_examples(text: str) -> tuple[Any, yaml.Node | None]:
    """Read an examples file once: (its value, the same as composed nodes with positions).

    Raises yaml.YAMLError in the pure-Python reader's words, whichever reader found the fault.
    """
    try:
        return _read(text, _FastExampleLoader)
    except yaml.YAMLError:
        if _FastExampleLoader is ExampleLoader:
            raise
        return _read(text, ExampleLoader)


def _read(text: str, loader_class: type) -> tuple[Any, yaml.Node | None]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def raw_bidi_control(text: str, shown: str) -> Diagnostic | None:
    """A raw bidirectional control anywhere in an examples file, comments included (Trojan Source):
    it reorders how the lines around it are shown, in an editor and on the counselor page. One that
    is meant is written as a YAML escape in a double-quoted text (`"\\u202E"`)."""
    for line_no, line in enumerate(text.split("\n"), 1):
        for col, ch in enumerate(line, 1):
            if ch in BIDI_CONTROLS:
                name = unicodedata.name(ch, "a bidirectional control")
                return Diagnostic("E315", f"invisible character U+{ord(ch):04X} ({name}) in an examples file",
                                  Span(shown, line_no, col, line_no, col + 1),
                                  help='delete it; to mean it, write it as an escape in a double-quoted text ("\\u202E")')
    return None


# ---------------------------------------------------------------- static checks


@dataclass
class Checked:
    """The examples of one file that passed the static checks, with where each one is."""

    examples: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    nodes: list[yaml.Node | None] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def check_examples(data: Any, node: yaml.Node | None, policy: A.Policy, rule_ids: list[str], records: dict,
                   shown: str) -> Checked:
    """Check the shape and every name of each example; keep the examples that can be run.

    Args:
        data: the file as loaded (a list of examples); node: the same file as composed (marks).
        records: the policy's record declarations by name (field names of list inputs).
    """
    out = Checked()
    inputs = {i.name: i for i in policy.inputs}
    outputs = [o.name for o in policy.outputs]
    first_use: dict[str, int] = {}
    for i, ex in enumerate(data):
        ex_node = node.value[i] if isinstance(node, yaml.SequenceNode) and i < len(node.value) else None
        at = _Locator(ex_node, shown)
        found: list[Diagnostic] = []

        def err(code: str, message: str, where: tuple = (), key: bool = False, **kw) -> None:
            found.append(Diagnostic(code, message, at.span(where, key), **kw))

        if ex_node is not None:
            found.extend(_duplicate_keys(ex_node, shown))
        if not isinstance(ex, dict):
            err("E304", "an example is a mapping with `name` (text) and `input` (a mapping)")
            out.diagnostics.extend(found)
            continue
        name = ex.get("name")
        if not isinstance(name, str):
            err("E304", "an example needs `name`, a text" if name is None else "an example's `name` must be a text",
                ("name",) if "name" in ex else ())
        elif name in first_use:
            err("E305", f"example name `{_one_line(name)}` is used twice", ("name",),
                notes=(f"first used on line {first_use[name]}",), help="give each example its own name")
        else:
            first_use[name] = at.line
        label = f"example `{_one_line(name)}`" if isinstance(name, str) else "this example"
        unknown_keys = [key for key in ex if key not in KEYS]
        for key in unknown_keys:
            close = suggest(str(key), KEYS)
            err("E309", f"unknown key `{key}` in {label}", (key,), key=True, expected=tuple(f"`{k}`" for k in KEYS),
                help=f"did you mean `{close}`?" if close else None)
        given = ex.get("input")
        invalid = ex.get("invalid")
        refused = set(invalid) if isinstance(invalid, list) and all(isinstance(p, str) for p in invalid) else set()
        if not isinstance(given, dict):
            err("E304", f"{label} needs `input`, a mapping of input names to values" if given is None
                else f"`input` of {label} must map input names to values", ("input",) if "input" in ex else ())
        else:
            _check_input(given, inputs, records, refused, label, err)
        expected = ex.get("expected")
        if "expected" in ex and not isinstance(expected, dict):
            err("E306", f"`expected` of {label} must map output names to values", ("expected",))
        elif isinstance(expected, dict):
            for key in expected:
                if key not in outputs:
                    _unknown(err, "E307", f"`{key}` in {label} is not an output of the policy", key, outputs,
                             ("expected", key))
        if "rule" in ex:
            rule = ex["rule"]
            if not isinstance(rule, str):
                err("E314", f"`rule` of {label} must be a rule id (text)", ("rule",))
            elif rule not in rule_ids:
                _unknown(err, "E308", f"{label} names rule `{rule}`, which does not exist", rule, rule_ids,
                         ("rule",), value=True)
        if "note" in ex and not isinstance(ex["note"], str):
            err("E314", f"`note` of {label} must be a text", ("note",))
        if "invalid" in ex:
            if not isinstance(invalid, list) or not invalid or not all(isinstance(p, str) for p in invalid):
                err("E311", f"`invalid` of {label} must list the refused fields as texts like \"/fare\"",
                    ("invalid",))
            else:
                for j, path in enumerate(invalid):
                    problem = _pointer_problem(path, given if isinstance(given, dict) else {}, inputs, records)
                    if problem is not None:
                        message, close = problem
                        err("E311", f"{label} expects a refusal at `{path}`, {message}", ("invalid", j),
                            help=f"did you mean `{close}`?" if close else None)
            if "expected" in ex or "rule" in ex:
                err("E312", f"{label} expects the input to be refused, so it has no `expected` or `rule`",
                    ("expected",) if "expected" in ex else ("rule",), key=True,
                    help="keep `invalid` for a refused input, or `expected` and `rule` for a decision")
        elif not (isinstance(expected, dict) and expected) and not unknown_keys:  # `expect:` is one mistake
            err("E312", f"{label} states no result", ("expected",) if "expected" in ex else (),
                help="give the outputs it must produce in `expected` (and the deciding `rule`), "
                     "or the refused fields in `invalid`")
        out.diagnostics.extend(found)
        if not found:
            out.examples.append(ex)
            out.lines.append(at.line)
            out.nodes.append(ex_node)
    return out


def _one_line(text: str) -> str:
    """A name as diagnostics quote it: invisible characters (line breaks, bidi controls) written `\\u{…}`."""
    return "".join(f"\\u{{{ord(ch):X}}}" if invisible(ch) else ch for ch in text)


def _unknown(err, code: str, message: str, name: Any, known: list[str], where: tuple, value: bool = False) -> None:
    close = suggest(str(name), known) if known else None
    err(code, message, where, key=not value, help=f"did you mean `{close}`?" if close else None)


def _check_input(given: dict, inputs: dict[str, A.InputDecl], records: dict, refused: set[str], label: str,
                 err) -> None:
    """Refuse names the policy does not take (and record fields it does not know), with did-you-mean."""
    for key, value in given.items():
        path = "/" + _escape(str(key))
        if key not in inputs:
            if path not in refused:
                _unknown(err, "E310", f"`{key}` in {label} is not an input of the policy", key, list(inputs),
                         ("input", key))
            continue
        ref = inputs[key].type
        record = records.get(ref.name) if ref.is_list else None
        if record is None or not isinstance(value, list):
            continue
        fields = [f.name for f in record.fields]
        for n, item in enumerate(value):
            if not isinstance(item, dict):
                continue
            for name in item:
                if name not in fields and f"{path}/{n}/{_escape(str(name))}" not in refused:
                    _unknown(err, "E310", f"`{name}` in {label} is not a field of `{record.name}`, the items of `{key}`", name,
                             fields, ("input", key, n, name))


def _pointer_problem(path: str, given: dict, inputs: dict[str, A.InputDecl],
                     records: dict) -> tuple[str, str | None] | None:
    """Why the evaluator can never refuse at `path` (a JSON pointer), with a suggestion; None if it can."""
    if path == "":
        return None  # the whole input (not an object)
    if not path.startswith("/"):
        return "which is not a field path (they start with `/`)", "/" + path if path in inputs else None
    parts = [_unescape(p) for p in path[1:].split("/")]
    head = parts[0]
    if head not in inputs:
        if head in given:
            return (None if len(parts) == 1 else ("which is inside a field the policy does not take", None))
        close = suggest(head, list(inputs))
        return "but the policy has no input `" + head + "`", ("/" + _escape(close) if close else None)
    ref = inputs[head].type
    if len(parts) == 1:
        return None
    record = records.get(ref.name) if ref.is_list else None
    if not ref.is_list:
        return f"but `{head}` has no parts", None
    if not parts[1].isdigit():
        return f"but the items of `{head}` are numbered from 0", None
    if len(parts) == 2:
        return None
    if record is None or len(parts) > 3:
        return f"but the items of `{head}` have no field `{'/'.join(parts[2:])}`", None
    fields = [f.name for f in record.fields]
    item = given.get(head)
    index = int(parts[1])
    present = (isinstance(item, list) and index < len(item) and isinstance(item[index], dict)
               and parts[2] in item[index])
    if parts[2] in fields or present:
        return None
    close = suggest(parts[2], fields)
    return (f"but {record.name} has no field `{parts[2]}`",
            f"/{_escape(head)}/{parts[1]}/{_escape(close)}" if close else None)


def _duplicate_keys(node: yaml.Node, shown: str) -> list[Diagnostic]:
    """YAML keeps the last of two equal keys in a mapping without a word; refuse them."""
    found = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for key, value in n.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        mark = seen[key.value].start_mark
                        first = f"first given at line {mark.line + 1}, column {mark.column + 1}"
                        found.append(Diagnostic("E313", f"`{key.value}` is given twice in the same mapping",
                                                _span(key, shown), notes=(first,),
                                                help="YAML keeps only the last one; remove one of them"))
                    else:
                        seen[key.value] = key
                stack.append(value)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return found


class _Locator:
    """Spans of the parts of one example, from the composed YAML (its marks)."""

    def __init__(self, node: yaml.Node | None, shown: str):
        self.node, self.shown = node, shown
        self.line = node.start_mark.line + 1 if node is not None else 1

    def span(self, where: tuple = (), key: bool = False) -> Span:
        """The span of the value at `where` (keys and indexes), or of its key; as deep as it exists."""
        node, found = self.node, None
        for part in where:
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value
                             if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
                if pair is None:
                    break
                found, node = pair
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                found, node = node.value[part], node.value[part]
            else:
                break
        else:
            if key and found is not None:
                node = found
        if node is None:
            return Span(self.shown, self.line, 1, self.line, 2)
        if node is self.node:
            # The whole example: point at its first line, not at every line of it.
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
            return Span(self.shown, line, col, line, col + 1)
        return _span(node, self.shown)


def _span(node: yaml.Node, shown: str) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(shown, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class Problem:
    """One way an example disagrees with the evaluator; `where` leads to the part of the example at fault."""

    message: str
    where: tuple = ()
    help: str | None = None


@dataclass(frozen=True)
class WorkedExample:
    """A worked example as the evaluator decided it: what a counselor page shows.

    `outputs` holds the evaluator's values of the outputs the example states, in its order;
    `refused` the fields the evaluator refused (sorted), for an example of invalid input.
    """

    name: str
    input: dict
    outputs: dict
    rule: str | None
    explanation: str | None
    refused: tuple[str, ...] | None
    note: str | None = None


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
    decision, refused, problems = _compare(module, ex)
    return ExampleResult(name, line, not problems, [p.message for p in problems], decision)


def _compare(module, ex: dict) -> tuple[dict | None, list[str] | None, list[Problem]]:
    """Evaluate one example: (the decision as a dict, the refused paths, every disagreement)."""
    problems: list[Problem] = []
    invalid = ex.get("invalid")
    try:
        decision = module.evaluate(ex.get("input", {}))
    except module.InvalidInput as err:
        paths = sorted({e["path"] for e in err.errors})
        if invalid is not None:
            if sorted(set(invalid)) != paths:
                problems.append(Problem(f"expected the input to be refused at {_paths(invalid)}, "
                                        f"the evaluator refuses it at {_paths(paths)}", ("invalid",)))
            return None, paths, problems
        show_refusal = f"to show a refused input, write `invalid: {_show(paths)}` instead of `expected` and `rule`"
        for e in err.errors:
            problems.append(Problem(f"the evaluator refuses the input at `{e['path'] or '/'}`: {e['message']}",
                                    ("input", *_pointer_parts(e["path"])), show_refusal))
        return None, paths, problems
    except Exception as err:  # noqa: BLE001 - a failing evaluator is reported at the example, not as a crash
        problems.append(Problem(f"the evaluator fails on this input: {type(err).__name__}: {err}", ("input",)))
        return None, None, problems
    out = decision.to_dict()
    if invalid is not None:
        problems.append(Problem(f"expected the input to be refused at {_paths(invalid)}, "
                                f"the evaluator accepts it (rule `{out['rule']}`)", ("invalid",)))
    for key, want in (ex.get("expected") or {}).items():
        if key not in out["outputs"]:
            problems.append(Problem(f"expected `{key}` = {_show(want)}, the evaluator gives no `{key}`",
                                    ("expected", key)))
            continue
        got = out["outputs"][key]
        if not _same(got, want):
            problems.append(Problem(f"expected `{key}` = {_show(want)}, the evaluator gives {_show(got)}",
                                    ("expected", key), f"if the rule is right, write `{key}: {_show(got)}`; "
                                                       "otherwise fix the rule"))
    if "rule" in ex and ex["rule"] != out["rule"]:
        problems.append(Problem(f"expected rule `{ex['rule']}`, the evaluator decides by rule `{out['rule']}`",
                                ("rule",), f"if the policy is right, write `rule: {out['rule']}`; otherwise fix "
                                           "the rules above it"))
    return out, None, problems


def _same(got: Any, want: Any) -> bool:
    """Equal as JSON values: `1` is not `true`, nor `1.0`, nor `"1"`."""
    if type(got) is not type(want):
        return False
    if isinstance(got, list):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    if isinstance(got, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in got)
    return got == want


def decide_examples(module, policy: A.Policy, examples: list[dict], nodes: list, shown: str
                    ) -> tuple[list[WorkedExample], list[Diagnostic]]:
    """Run each example on the evaluator: what it decided (for the page), and a diagnostic per disagreement.

    Args:
        nodes: each example as composed YAML (check_examples keeps them), for the position of each part.
    """
    places = rule_places(policy)
    worked: list[WorkedExample] = []
    diags: list[Diagnostic] = []
    for ex, node in zip(examples, nodes):
        decision, refused, problems = _compare(module, ex)
        at = _Locator(node, shown)
        notes: tuple[str, ...] = ()
        if decision is not None:
            rule = decision["rule"]
            where = places.get(rule)
            place = f" ({where.path}:{where.line})" if where is not None else ""
            notes = (f"the evaluator decides by rule `{rule}`{place}: {decision['explanation']}",)
        for p in problems:
            diags.append(Diagnostic("E320", f"example `{_one_line(ex['name'])}`: {p.message}", at.span(p.where),
                                    notes=notes, help=p.help))
        if problems:
            continue
        note = ex.get("note")
        if decision is None:
            worked.append(WorkedExample(ex["name"], ex["input"], {}, None, None, tuple(refused or ()), note))
        else:
            shown_outputs = {k: decision["outputs"][k] for k in ex["expected"]}
            worked.append(WorkedExample(ex["name"], ex["input"], shown_outputs, decision["rule"],
                                        decision["explanation"], None, note))
    return worked, diags


def rule_places(policy: A.Policy) -> dict[str, Span]:
    """Where each rule id (a rule, a table row, a grid cell's row) is written in the policy."""
    places: dict[str, Span] = {}
    for dec in policy.deciders:
        if isinstance(dec, A.Rule):
            places.setdefault(dec.id, dec.span)
        elif isinstance(dec, A.WindowTable):
            for row in dec.rows:
                places.setdefault(f"{dec.id}.{row.id}", row.span)
        else:
            for row in dec.rows:
                for col in dec.columns:
                    places.setdefault(f"{dec.id}.{row.head.name}.{col.name}", row.span)
    return places


def _pointer_parts(path: str) -> tuple:
    if not path:
        return ()
    return tuple(int(p) if p.isdigit() else _unescape(p) for p in path[1:].split("/"))


def _paths(paths: list[str]) -> str:
    return ", ".join(f"`{p or '/'}`" for p in sorted(set(paths))) or "no field"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# ---------------------------------------------------------------- the evaluator, in memory

_PACKAGES = itertools.count()


@contextlib.contextmanager
def evaluators_in_memory(runtime: str, sources: list[tuple[str, str]],
                         shared: dict[str, str] | None = None) -> Iterator[list[types.ModuleType]]:
    """Execute emitted evaluators as modules of a private package that exists only inside the block.

    Compile time only: generated/ is neither read nor written, and the evaluators themselves
    still never execute code. Each source becomes `<package>.p<i>.evaluator` beside the
    package's `_runtime`, which is where its relative imports look.

    Args:
        runtime: the text of generated/_runtime.py; sources: (module source, file name shown in tracebacks);
        shared: other modules of generated/ the evaluators import (name -> text), such as `_holidays`.
    """
    package = f"_policyc_examples_{os.getpid()}_{next(_PACKAGES)}"
    created: list[str] = []

    def new(name: str, parent: str | None, is_package: bool) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__package__ = name if is_package else parent
        if is_package:
            module.__path__ = []
        sys.modules[name] = module
        created.append(name)
        return module

    try:
        root = new(package, None, True)
        runtime_module = new(f"{package}._runtime", package, False)
        exec(compile(runtime, "generated/_runtime.py", "exec", dont_inherit=True), runtime_module.__dict__)
        root._runtime = runtime_module
        for name, text in sorted((shared or {}).items()):
            module = new(f"{package}.{name}", package, False)
            exec(compile(text, f"generated/{name}.py", "exec", dont_inherit=True), module.__dict__)
            setattr(root, name, module)
        modules = []
        for i, (source, filename) in enumerate(sources):
            holder = new(f"{package}.p{i}", package, True)
            module = new(f"{package}.p{i}.evaluator", holder.__name__, False)
            exec(compile(source, filename, "exec", dont_inherit=True), module.__dict__)
            holder.evaluator = module
            modules.append(module)
        yield modules
    finally:
        for name in created:
            sys.modules.pop(name, None)
