"""Mutation fuzzer: every input to the compiler ends in diagnostics or success, never a crash.

Takes the real policies under policies/, mutates them (swaps tokens, units, literals, names and
operators, deletes or duplicates lines, nests expressions, flips intervals' brackets, …) and runs
the whole build of one policy in memory: parse, check, render the diagnostics, or emit the
evaluator, the page and the schema (`pipeline.build`, which also `compile()`s the evaluator).
Anything but a PolicyError from the parser is a bug in policyc.

Deterministic: mutant i of seed s is always the same text. The core tier runs a few hundred
mutants, the slow tier (`pytest -m slow`) thousands; off-line, run as many as you like:

    python -m tests.test_mutation --count 100000 --seed 7 [--save crashes/]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import traceback
from pathlib import Path

import pytest
import yaml

from compiler.check import analyze
from compiler.diagnostics import PolicyError, render
from compiler.pipeline import Loaded, build
from dsl.parser import parse

ROOT = Path(__file__).resolve().parent.parent

# One token of the policy language, or the white space between tokens (kept so that the text
# can be put back together). Close to dsl/grammar.lark, but it only has to cut, not to judge.
TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<money>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?[ \t]*원)
  | (?P<percent>\d+(?:\.\d+)?%)
  | (?P<duration>(?:\d+(?:min|시간|분|초|일|d|h|s))+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<name>[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?|[A-Za-z_/+\-0-9]+)
  | (?P<op><=|>=|!=|≤|≥|≠|∞|[-+*/<>=(),\[\]{}|:.])
  | (?P<other>.)
""", re.VERBOSE)

KEYWORDS = ("policy", "source", "section", "effective", "zone", "question", "summary", "note", "enum",
            "record", "input", "output", "let", "rule", "check", "review", "requires", "when", "otherwise",
            "then", "table", "by", "sets", "columns", "optional", "list", "of", "max", "min", "and", "or",
            "not", "is", "given", "missing", "in", "day", "month", "at", "most", "least", "count", "sum",
            "where", "last", "true", "false", "inf")
TYPES = ("money", "percent", "int", "number", "duration", "datetime", "date", "bool", "text", "decision")
FUNCTIONS = ("min", "max", "length", "year", "aligned", "add_business_days", "clock", "weekday",
             "is_business_day", "years_between", "nope")
OPERATORS = ("+", "-", "*", "/", "<", "<=", ">", ">=", "=", "!=", "and", "or", "of", "in", "at most",
             "at least", "is given", "is missing", ",", ".", ":", "|", "≤", "≠")
UNITS = ("원", "h", "min", "d", "s", "%", "", "시간", "분", "일")
NUMBERS = ("0", "1", "-1", "2", "10", "0.5", "18.5", "999999999999999999999", "3,000", "1e5", "00", "7.000",
           "100", "101", "9" * 40, "0.0000001")
LITERALS = ("0원", "3,000원", "18.5원", "3h", "0min", "24h", "100%", "250%", "0.5%", "2025-02-30",
            "2025-05-15", "2025-05-15T14:00", "9999-12-31T23:59:59", "0001-01-01", "true", "false", '""',
            '"{fee}"', '"{nope}"', '"{"', '"\\u{41}"', "∞", "-∞", "1d2h3min4s", "0", "1", "3.5")
BRACKETS = {"[": "(", "(": "[", "]": ")", ")": "]"}
# Expression wrappers for nesting; `{}` is the expression.
WRAPPERS = ("({})", "min({}, {})", "max({}, 0원)", "-{}", "not {}", "{} at most {}", "({} + {})",
            "sum ({}) of items", "{} * 1", "10% of {}", "last day of month of {}", "length({})")
# Wrappers that keep the operand's type (`@` is the operand itself), so that mutants compile.
SAME_TYPE = ("min({}, @)", "max(@, {})", "({} + @ - @)", "(@ - @ + {})", "({} at most @)", "-(-{})", "({})")
SAME_TYPE_BOOL = ("not not {}", "({} and @)", "(@ or {})", "not (not {})")


def tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in TOKEN.finditer(text)]


class Mutator:
    """Builds mutants of one policy text from a seeded random generator."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        names: set[str] = set()
        literals: set[str] = set()
        for text in texts:
            for kind, tok in tokens(text):
                if kind == "name":
                    names.add(tok)
                elif kind in ("money", "percent", "duration", "number", "date", "datetime", "string"):
                    literals.add(tok)
        self.names = sorted(names)
        self.literals = sorted(literals)

    def mutant(self, rng: random.Random, text: str) -> str:
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 5))):
            op = rng.choice(self.OPS)
            text = op(self, rng, text)
        return text

    # -- token mutations
    def _pick(self, rng: random.Random, toks: list, kinds: tuple[str, ...] | None = None) -> int | None:
        idx = [i for i, (k, _) in enumerate(toks) if k not in ("space", "comment") and (kinds is None or k in kinds)]
        return rng.choice(idx) if idx else None

    def swap_tokens(self, rng, text):
        toks = tokens(text)
        a, b = self._pick(rng, toks), self._pick(rng, toks)
        if a is None or b is None:
            return text
        if rng.random() < 0.5:  # a neighbour: the likeliest slip
            nxt = [i for i in range(a + 1, min(a + 4, len(toks))) if toks[i][0] != "space"]
            b = nxt[0] if nxt else b
        toks[a], toks[b] = toks[b], toks[a]
        return "".join(t for _, t in toks)

    def delete_token(self, rng, text):
        toks = tokens(text)
        i = self._pick(rng, toks)
        if i is not None:
            del toks[i]
        return "".join(t for _, t in toks)

    def duplicate_token(self, rng, text):
        toks = tokens(text)
        i = self._pick(rng, toks)
        if i is not None:
            toks.insert(i, (toks[i][0], toks[i][1] + " "))
        return "".join(t for _, t in toks)

    def insert_token(self, rng, text):
        toks = tokens(text)
        i = self._pick(rng, toks)
        if i is None:
            return text
        word = rng.choice((*KEYWORDS, *TYPES, *FUNCTIONS, *OPERATORS, *LITERALS, *self.names, *self.literals))
        toks.insert(i, ("other", word + " "))
        return "".join(t for _, t in toks)

    def change_unit(self, rng, text):
        toks = tokens(text)
        i = self._pick(rng, toks, ("money", "percent", "duration", "number"))
        if i is None:
            return text
        digits = re.match(r"[\d,.]+", toks[i][1])
        number = digits.group().replace(",", "") if digits else "1"
        if "," in number or not number:
            number = "1"
        toks[i] = ("other", number + rng.choice(UNITS))
        return "".join(t for _, t in toks)

    def change_literal(self, rng, text):
        toks = tokens(text)
        i = self._pick(rng, toks, ("money", "percent", "duration", "number", "date", "datetime", "string"))
        if i is None:
            return text
        kind, tok = toks[i]
        if kind in ("money", "percent", "duration", "number") and rng.random() < 0.6:
            unit = re.sub(r"^[\d,.]+", "", tok) if kind != "duration" else rng.choice(("h", "min", "d", "s"))
            toks[i] = ("other", rng.choice(NUMBERS) + unit)
        else:
            toks[i] = ("other", rng.choice((*LITERALS, *self.literals)))
        return "".join(t for _, t in toks)

    def change_name(self, rng, text):
        toks = tokens(text)
        i = self._pick(rng, toks, ("name",))
        if i is None:
            return text
        pool = rng.choice((self.names, KEYWORDS, TYPES, FUNCTIONS, ("_x", "x", "failed_checks", "refused", "_runtime")))
        word = rng.choice(pool)
        if rng.random() < 0.15:  # a near miss, for did-you-mean
            word = toks[i][1][:-1] or word
        toks[i] = ("name", word)
        return "".join(t for _, t in toks)

    def change_operator(self, rng, text):
        toks = tokens(text)
        ops = [i for i, (k, t) in enumerate(toks) if k == "op" or t in ("and", "or", "of", "in", "at")]
        if not ops:
            return text
        i = rng.choice(ops)
        toks[i] = ("op", rng.choice(OPERATORS))
        return "".join(t for _, t in toks)

    def flip_bracket(self, rng, text):
        toks = tokens(text)
        idx = [i for i, (_, t) in enumerate(toks) if t in BRACKETS]
        if not idx:
            return text
        i = rng.choice(idx)
        toks[i] = ("op", BRACKETS[toks[i][1]])
        return "".join(t for _, t in toks)

    def nest(self, rng, text):
        """Wrap an operand (a name or a literal) in a few levels of an expression."""
        toks = tokens(text)
        i = self._pick(rng, toks, ("name", "money", "percent", "duration", "number"))
        if i is None:
            return text
        inner = operand = toks[i][1]
        depth = rng.choice((1, 2, 3, 8, 30, 60, 99, 100, 101, 150, 165, 199, 201, 260, 400))
        wrapper = rng.choice((*WRAPPERS, *SAME_TYPE, *SAME_TYPE, *SAME_TYPE_BOOL)).replace("@", operand)
        if wrapper.count("{}") > 1 and depth > 6:
            # Keep the text linear in the depth: a wrapper that repeats its operand doubles it.
            wrapper = rng.choice(("min({}, 0원)", "({} + 1)", "max(0, {})"))
        for _ in range(depth):
            inner = wrapper.replace("{}", inner)
        toks[i] = ("other", inner)
        return "".join(t for _, t in toks)

    def chain(self, rng, text):
        """Turn an operand into a long flat chain `x + x + …` (or `and`, `or`)."""
        toks = tokens(text)
        i = self._pick(rng, toks, ("name", "money", "duration", "number"))
        if i is None:
            return text
        op = rng.choice((" + ", " - ", " * ", " and ", " or ", " / "))
        n = rng.choice((2, 10, 199, 250, 1000))
        toks[i] = ("other", op.join([toks[i][1]] * n))
        return "".join(t for _, t in toks)

    # -- line mutations
    def delete_line(self, rng, text):
        lines = text.splitlines(keepends=True)
        if lines:
            del lines[rng.randrange(len(lines))]
        return "".join(lines)

    def duplicate_line(self, rng, text):
        lines = text.splitlines(keepends=True)
        if lines:
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i] if lines[i].endswith("\n") else lines[i] + "\n")
        return "".join(lines)

    def swap_lines(self, rng, text):
        lines = text.splitlines(keepends=True)
        if len(lines) > 1:
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
        return "".join(lines if text.endswith("\n") else lines)

    def graft_line(self, rng, text):
        """A line of another policy: foreign names, rules and tables."""
        other = rng.choice(self.texts).splitlines(keepends=True)
        lines = text.splitlines(keepends=True)
        if other:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(other))
        return "".join(lines)

    def truncate(self, rng, text):
        return text[: rng.randrange(len(text) + 1)]

    OPS = (swap_tokens, swap_tokens, delete_token, duplicate_token, insert_token, change_unit, change_unit,
           change_literal, change_literal, change_name, change_name, change_operator, change_operator,
           flip_bracket, nest, nest, chain, delete_line, duplicate_line, swap_lines, graft_line, truncate)


# ---------------------------------------------------------------- the build under test


class Seed:
    """One real policy: its text, path and worked examples."""

    def __init__(self, path: Path):
        self.path = path
        self.shown = path.relative_to(ROOT).as_posix()
        self.text = path.read_text(encoding="utf-8")
        examples = path.with_name(path.name[: -len(".policy")] + ".examples.yaml")
        self.examples = (yaml.safe_load(examples.read_text(encoding="utf-8")) or []) if examples.exists() else []


def seeds() -> list[Seed]:
    return [Seed(p) for p in sorted((ROOT / "policies").rglob("*.policy"), key=lambda p: p.as_posix())]


def compile_text(seed: Seed, text: str) -> str:
    """The whole build of one policy in memory: "ok", or "diagnostics" when it was refused.

    Raises whatever the compiler raises other than a PolicyError: a crash.
    """
    try:
        policy = parse(text, seed.shown)
    except PolicyError as err:
        assert err.diagnostics, "a PolicyError without diagnostics"
        for d in err.diagnostics:
            render(d, text)
        return "diagnostics"
    an = analyze(policy)
    for d in an.diagnostics:
        render(d, text)
    if any(d.severity == "error" for d in an.diagnostics):
        return "diagnostics"
    examples = [ex for ex in seed.examples if isinstance(ex, dict)]
    try:
        files = build([Loaded(seed.path, text, policy, an, examples)], articles=[])
    except PolicyError as err:  # the examples of a mutant may not hold
        assert err.diagnostics, "a PolicyError without diagnostics"
        return "diagnostics"
    assert files
    return "ok"


class Crash:
    def __init__(self, index: int, seed: Seed, text: str, error: BaseException):
        self.index = index
        self.seed = seed
        self.text = text
        self.error = error
        self.trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))

    @property
    def where(self) -> str:
        frame = traceback.extract_tb(self.error.__traceback__)[-1]
        return f"{type(self.error).__name__} at {Path(frame.filename).name}:{frame.lineno}"


def run(count: int, seed: int = 0, cpu_seconds: float | None = None, stop_at_first: bool = False):
    """Build `count` mutants; return (mutants run, outcomes, crashes)."""
    policies = seeds()
    mutator = Mutator([s.text for s in policies])
    outcomes = {"ok": 0, "diagnostics": 0}
    crashes: list[Crash] = []
    start = time.process_time()
    limit = sys.getrecursionlimit()
    done = 0
    for i in range(count):
        if cpu_seconds is not None and time.process_time() - start > cpu_seconds:
            break
        rng = random.Random(f"{seed}:{i}")
        original = rng.choice(policies)
        text = mutator.mutant(rng, original.text)
        try:
            outcomes[compile_text(original, text)] += 1
        except Exception as err:  # noqa: BLE001 - any exception is the finding
            crashes.append(Crash(i, original, text, err))
            if stop_at_first:
                break
        finally:
            assert sys.getrecursionlimit() == limit, "a stage left the recursion limit changed"
        done += 1
    return done, outcomes, crashes


def _report(crashes: list[Crash]) -> str:
    if not crashes:
        return ""
    first = crashes[0]
    kinds = sorted({c.where for c in crashes})
    return (f"{len(crashes)} mutants crashed the compiler ({', '.join(kinds)}); first: mutant {first.index} of "
            f"{first.seed.shown}\n{first.trace}\n--- mutant text ---\n{first.text}")


# ---------------------------------------------------------------- tests


def test_the_unmutated_policies_compile():
    for seed in seeds():
        assert compile_text(seed, seed.text) == "ok", seed.shown


def test_mutants_end_in_diagnostics_or_success():
    done, outcomes, crashes = run(250, seed=0, cpu_seconds=4.0)
    assert not crashes, _report(crashes)
    assert done >= 50 and outcomes["diagnostics"] > 0


@pytest.mark.slow
def test_thousands_of_mutants_end_in_diagnostics_or_success():
    done, outcomes, crashes = run(4000, seed=1, cpu_seconds=55.0)
    assert not crashes, _report(crashes)
    assert done >= 1000


# ---------------------------------------------------------------- off-line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.test_mutation", description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10000, help="how many mutants to build")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", type=Path, help="write each crashing mutant here, with its traceback")
    ap.add_argument("--first", action="store_true", help="stop at the first crash")
    args = ap.parse_args(argv)
    start = time.process_time()
    done, outcomes, crashes = run(args.count, args.seed, stop_at_first=args.first)
    print(f"{done} mutants (seed {args.seed}) in {time.process_time() - start:.1f} s CPU: "
          f"{outcomes['ok']} compiled, {outcomes['diagnostics']} refused with diagnostics, {len(crashes)} crashed")
    by_kind: dict[str, list[Crash]] = {}
    for c in crashes:
        by_kind.setdefault(c.where, []).append(c)
    for where, group in sorted(by_kind.items()):
        print(f"  {len(group):5d}  {where}  (first: mutant {group[0].index} of {group[0].seed.shown})")
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
        for c in crashes:
            (args.save / f"{args.seed}-{c.index}.policy").write_text(c.text, encoding="utf-8")
            (args.save / f"{args.seed}-{c.index}.txt").write_text(f"{c.seed.shown}\n{c.trace}", encoding="utf-8")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
