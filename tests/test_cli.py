"""Tests for the `policyc` command line (compiler/cli.py).

Everything that compiles works on a small project (two of the repository's policies, copied by
tests/support.py, plus a fresh compile) in a temporary directory and passes `--root`; the repository's own generated/ and policies/ are
never written. Most commands run in-process with click's CliRunner (click 8.2+ keeps stdout
and stderr apart); the few checks where the real process matters (exit code, a traceback on
stderr) run the installed console script.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler import pipeline
from compiler.cli import main
from tests.support import ROOT, compiled_small_project, copy_small_project
PET = "pet_taxi.cancellation_fee"
PET_POLICY = Path("policies/pet_taxi/cancellation_fee.policy")
PET_EXAMPLES = Path("policies/pet_taxi/cancellation_fee.examples.yaml")

# 100,000원, cancelled 18 hours before departure: the 10% row, capped at 8,000원.
PET_INPUT = {"fare": 100000, "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "2025-05-31T20:00:00+09:00"}
# 10,000원, cancelled exactly one hour before: the 100% row.
PET_INPUT_LAST = {"fare": 10000, "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "2025-06-01T13:00:00+09:00"}
DECISION_KEYS = {"policy", "outputs", "rule", "explanation", "trace"}
DIAGNOSTIC_RE = re.compile(r"^policies/pet_taxi/cancellation_fee\.policy:(\d+):(\d+): error: ", re.M)
CARET_RE = re.compile(r"^\s+\|\s*\^+\s*$", re.M)


# ---------------------------------------------------------------- fixtures and helpers


def _is_generated(name: str) -> bool:
    return name == pipeline.GENERATED or name.startswith(pipeline.GENERATED + ".")


@pytest.fixture(autouse=True)
def _isolate_imports():
    """In-process `evaluate`/`test` put a project root on sys.path and import its generated/;
    undo both so later tests see the repository's own package."""
    path = list(sys.path)
    before = {k: v for k, v in sys.modules.items() if _is_generated(k)}
    yield
    sys.path[:] = path
    for k in [k for k in sys.modules if _is_generated(k)]:
        del sys.modules[k]
    sys.modules.update(before)


@pytest.fixture(scope="session")
def base(tmp_path_factory) -> Path:
    """A read-only small project: two of the repository's policies and a fresh compile of them."""
    return compiled_small_project(tmp_path_factory.mktemp("base") / "project")


@pytest.fixture
def proj(base, tmp_path) -> Path:
    """A writable copy of `base` for one test."""
    root = tmp_path / "proj"
    shutil.copytree(base, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


INTERNAL_ERROR = 70  # the CLI's exit code for an unexpected exception ("internal error")


def run(*args: str, input: str | bytes | None = None):
    """Run `policyc ARGS` in-process; fail on any exception or internal error (a policyc bug)."""
    result = CliRunner().invoke(main, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"policyc {' '.join(args)} raised {result.exception!r}") from result.exception
    if result.exit_code == INTERNAL_ERROR or "internal error" in result.stderr:
        raise AssertionError(f"policyc {' '.join(args)} hit an internal error:\n{result.stderr}")
    return result


def assert_clean_failure(result, codes=(1, 2)) -> None:
    """A deliberate failure: a usual exit code, no exception, no internal error."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in codes, (result.exit_code, result.stderr)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("policyc")
    if script.is_file():
        return [str(script)]
    found = shutil.which("policyc")
    return [found] if found else [sys.executable, "-m", "compiler.cli"]


def run_process(*args: str, input: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*console_script(), *args], input=input, capture_output=True, cwd=cwd, timeout=60)


def tree_hashes(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def tree_mtimes(directory: Path) -> dict[str, int]:
    return {
        p.relative_to(directory).as_posix(): p.stat().st_mtime_ns
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def example_count(root: Path, policy_id: str | None = None) -> int:
    result = pipeline.load(root)
    return sum(len(i.examples) for i in result.policies if policy_id in (None, i.policy.id))


def introduce_gap(root: Path) -> int:
    """Open a gap (1h, 2h] in the pet taxi window table; return the table's line."""
    path = root / PET_POLICY
    text = path.read_text(encoding="utf-8")
    assert "late (1h, 9h]:" in text
    path.write_text(text.replace("late (1h, 9h]:", "late (2h, 9h]:"), encoding="utf-8")
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("table by_time"))


def raise_early_cap(root: Path) -> None:
    """Raise the 10% row's cap (and its sentence) from 8,000원 to 9,000원, and its capped example with it."""
    path = root / PET_POLICY
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    (i,) = [i for i, line in enumerate(lines) if line.lstrip().startswith("early (9h, 24h]:")]
    assert lines[i].count("8,000원") == 2
    lines[i] = lines[i].replace("8,000원", "9,000원")
    path.write_text("".join(lines), encoding="utf-8")
    set_expected(root, "10% 구간 최대 8,000원", "{fee: 8000}", "{fee: 9000}")


def set_expected(root: Path, name: str, old: str, new: str) -> int:
    """Change the `expected` of the pet taxi example `name`; return the line of that `expected`."""
    path = root / PET_EXAMPLES
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {name}")
    exp = next(i for i in range(start, start + 5) if lines[i].strip() == f"expected: {old}")
    lines[exp] = lines[exp].replace(old, new)
    path.write_text("".join(lines), encoding="utf-8")
    return exp + 1


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


# ---------------------------------------------------------------- compile


def test_compile_writes_generated_then_changes_nothing(tmp_path):
    root = copy_small_project(tmp_path / "proj")

    first = run("compile", "--root", str(root))
    assert first.exit_code == 0, first.output
    out = root / "generated"
    for rel in ("__init__.py", "_runtime.py", "pet_taxi/cancellation_fee.py",
                "docs/pet_taxi/cancellation_fee.md", "schemas/pet_taxi/cancellation_fee.json", "docs/index.md"):
        assert (out / rel).is_file(), rel
    n_files = len(tree_hashes(out))
    assert re.search(rf"\({n_files} of {n_files} files changed\)", first.stdout)

    hashes, mtimes = tree_hashes(out), tree_mtimes(out)
    second = run("compile", "--root", str(root))
    assert second.exit_code == 0, second.output
    assert f"(0 of {n_files} files changed)" in second.stdout
    assert tree_hashes(out) == hashes
    assert tree_mtimes(out) == mtimes  # not even rewritten

    check = run("compile", "--check", "--root", str(root))
    assert check.exit_code == 0, check.output
    assert "up to date" in check.stdout


def test_compile_check_passes_on_fresh_tree(proj):
    hashes = tree_hashes(proj / "generated")
    result = run("compile", "--check", "--root", str(proj))
    assert result.exit_code == 0, result.output
    assert "generated/ is up to date" in result.stdout
    assert tree_hashes(proj / "generated") == hashes


@pytest.mark.parametrize("change", ["edited", pytest.param("deleted", marks=pytest.mark.slow),
                                    pytest.param("added", marks=pytest.mark.slow)])
def test_compile_check_names_the_stale_file(proj, change):
    out = proj / "generated"
    if change == "edited":
        rel = "pet_taxi/cancellation_fee.py"
        with open(out / rel, "a", encoding="utf-8") as fh:
            fh.write("# hand edit\n")
    elif change == "deleted":
        rel = "schemas/callbus/suspension.json"
        (out / rel).unlink()
    else:
        rel = "pet_taxi/notes.txt"
        (out / rel).write_text("extra\n", encoding="utf-8")
    hashes = tree_hashes(out)

    result = run("compile", "--check", "--root", str(proj))
    assert result.exit_code == 1, result.output
    assert f"generated/{rel}" in result.stderr
    assert "out of date (1 file)" in result.stderr
    assert tree_hashes(out) == hashes  # --check writes nothing

    fixed = run("compile", "--root", str(proj))
    assert fixed.exit_code == 0
    assert run("compile", "--check", "--root", str(proj)).exit_code == 0
    assert not (out / "pet_taxi/notes.txt").exists()


def test_compile_error_reports_and_writes_nothing(proj):
    line = introduce_gap(proj)
    out = proj / "generated"
    hashes, mtimes = tree_hashes(out), tree_mtimes(out)

    result = run("compile", "--root", str(proj))
    assert result.exit_code == 1, result.output
    m = DIAGNOSTIC_RE.search(result.stderr)
    assert m, result.stderr
    assert int(m.group(1)) == line
    assert "(1h, 2h]" in result.stderr
    assert CARET_RE.search(result.stderr), result.stderr
    assert "nothing written" in result.stderr
    assert result.stdout == ""
    assert tree_hashes(out) == hashes
    assert tree_mtimes(out) == mtimes
    # No temporary trees left; the lock file stays (deleting it would race with a waiting compile).
    assert sorted(p.name for p in proj.iterdir()) == [".policyc.lock", "generated", "policies"]


# ---------------------------------------------------------------- check


def test_check_all(base):
    result = run("check", "--root", str(base))
    assert result.exit_code == 0, result.output
    n = len(pipeline.discover(base))
    assert last_line(result.stdout) == f"checked {n} policies: no errors"


def test_check_one_file_checks_only_that_file(proj):
    introduce_gap(proj)
    other = proj / "policies/callbus/suspension.policy"
    ok = run("check", str(other), "--root", str(proj))
    assert ok.exit_code == 0, ok.output
    assert last_line(ok.stdout) == "checked 1 policies: no errors"

    bad = run("check", str(proj / PET_POLICY), "--root", str(proj))
    assert bad.exit_code == 1
    assert DIAGNOSTIC_RE.search(bad.stderr), bad.stderr
    assert CARET_RE.search(bad.stderr)


def test_check_missing_file_is_a_usage_error(base, tmp_path):
    result = run("check", str(tmp_path / "nope.policy"), "--root", str(base))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_check_json_clean(base):
    result = run("check", "--format", "json", "--root", str(base))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_check_json_lists_diagnostics_on_stdout(proj):
    line = introduce_gap(proj)
    result = run("check", "--format", "json", "--root", str(proj))
    assert result.exit_code == 1
    diags = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert isinstance(diags, list) and diags
    for d in diags:
        assert {"code", "message", "path", "line", "col"} <= set(d)
        assert isinstance(d["line"], int) and isinstance(d["col"], int)
    errors = [d for d in diags if d["severity"] == "error"]
    assert errors[0]["path"] == PET_POLICY.as_posix()
    assert errors[0]["line"] == line
    assert errors[0]["code"].startswith("E")
    assert "(1h, 2h]" in errors[0]["message"]


# ---------------------------------------------------------------- evaluate


def _write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def test_evaluate_input_file(base, tmp_path):
    path = _write_json(tmp_path / "in.json", PET_INPUT)
    result = run("evaluate", PET, "--input", str(path), "--root", str(base))
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert set(decision) == DECISION_KEYS
    assert decision["policy"] == PET
    assert decision["outputs"] == {"fee": 8000}
    assert decision["rule"] == "by_time.early"
    assert "100,000원" in decision["explanation"] and "8,000원" in decision["explanation"]
    assert decision["trace"][-1] == {"rule": "by_time.early", "applies": True, "values": {"before": "18시간"}}
    assert all(step["applies"] is False for step in decision["trace"][:-1])
    assert result.stderr == ""


def test_evaluate_starts_without_the_compiler(base, tmp_path):
    # `policyc evaluate` needs the evaluator, not the parser, checker or emitters: importing
    # them doubled the command's start-up, a fixed cost on every batch run.
    path = _write_json(tmp_path / "in.json", PET_INPUT)
    code = ("import sys; from compiler.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'yaml', 'jsonschema', 'dsl')"
            " or m in ('compiler.pipeline', 'compiler.check', 'compiler.emit_python', 'compiler.emit_docs'))\n"
            "print(heavy, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, "evaluate", PET, "--input", str(path), "--root", str(base)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"] == {"fee": 8000}
    assert done.stderr.strip() == "[]"


def test_evaluate_from_stdin(base):
    result = run("evaluate", PET, "--input", "-", "--root", str(base), input=json.dumps(PET_INPUT_LAST))
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["outputs"] == {"fee": 10000}
    assert decision["rule"] == "by_time.last"


def test_evaluate_pretty_printed_object_is_one_input(base):
    text = json.dumps(PET_INPUT, indent=2) + "\n"
    assert text.count("\n") > 3
    result = run("evaluate", PET, "--input", "-", "--root", str(base), input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outputs"] == {"fee": 8000}


def test_evaluate_json_lines_in_order(base):
    third = dict(PET_INPUT_LAST, fare=40000)
    lines = [json.dumps(PET_INPUT), json.dumps(PET_INPUT_LAST), json.dumps(third)]
    result = run("evaluate", PET, "--input", "-", "--format", "jsonl", "--root", str(base), input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert len(out) == 3
    fees = [json.loads(line)["outputs"]["fee"] for line in out]
    assert fees == [8000, 10000, 15000]
    assert all(set(json.loads(line)) == DECISION_KEYS for line in out)


def test_evaluate_json_lines_bad_line_gets_error_record(base):
    bad = {"fare": "x", "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "2025-06-01T13:00:00+09:00"}
    lines = [json.dumps(PET_INPUT), json.dumps(bad), json.dumps(PET_INPUT_LAST)]
    result = run("evaluate", PET, "--input", "-", "--format", "jsonl", "--root", str(base), input="\n".join(lines) + "\n")
    assert result.exit_code == 2
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["outputs"] == {"fee": 8000}
    assert set(out[1]) == {"line", "errors"}
    assert out[1]["line"] == 2
    assert [e["path"] for e in out[1]["errors"]] == ["/fare"]
    assert out[2]["outputs"] == {"fee": 10000}
    assert "line 2: /fare:" in result.stderr


def test_evaluate_json_lines_line_that_is_not_json(base):
    lines = [json.dumps(PET_INPUT), json.dumps(PET_INPUT_LAST), "{not json", json.dumps(PET_INPUT)]
    result = run("evaluate", PET, "--input", "-", "--format", "jsonl", "--root", str(base), input="\n".join(lines) + "\n")
    assert result.exit_code == 2
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("line") for o in out] == [None, None, 3, None]
    assert out[2]["errors"][0]["path"] == ""


def test_evaluate_json_lines_bad_first_line(base):
    lines = ["{not json", json.dumps(PET_INPUT), json.dumps(PET_INPUT_LAST)]
    result = run("evaluate", PET, "--input", "-", "--format", "jsonl", "--root", str(base), input="\n".join(lines) + "\n")
    assert result.exit_code == 2
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3 and out[0]["line"] == 1


def test_evaluate_invalid_input_names_every_field(base, tmp_path):
    path = _write_json(tmp_path / "bad.json", {"fare": -5, "departure_at": "tomorrow", "tip": 1})
    proc = run_process("evaluate", PET, "--input", str(path), "--root", str(base))
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, stderr
    assert proc.stdout == b""
    assert "Traceback" not in stderr and "internal error" not in stderr
    for pointer in ("/fare", "/departure_at", "/cancelled_at", "/tip"):
        assert re.search(rf"^\s+{re.escape(pointer)}: ", stderr, re.M), (pointer, stderr)


def test_evaluate_unknown_policy_is_usage_error(base, tmp_path):
    path = _write_json(tmp_path / "in.json", PET_INPUT)
    proc = run_process("evaluate", "pet_taxi.no_such_policy", "--input", str(path), "--root", str(base))
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert "Usage:" in stderr and "pet_taxi.no_such_policy" in stderr
    for bad_id in ("nodot", "a.b.c"):
        result = run("evaluate", bad_id, "--input", str(path), "--root", str(base))
        assert result.exit_code == 2
        assert "not a policy id" in result.stderr


def test_evaluate_package_init_is_not_a_policy(base, tmp_path):
    path = _write_json(tmp_path / "in.json", PET_INPUT)
    result = CliRunner().invoke(main, ["evaluate", "pet_taxi.__init__", "--input", str(path), "--root", str(base)])
    assert_clean_failure(result, codes=(2,))


def test_evaluate_empty_and_non_json_input(base):
    empty = run("evaluate", PET, "--input", "-", "--root", str(base), input="\n  \n")
    assert empty.exit_code == 2 and "empty" in empty.stderr
    broken = run("evaluate", PET, "--input", "-", "--root", str(base), input='{"fare": 1,\n')
    assert broken.exit_code == 2 and "not JSON" in broken.stderr


def test_evaluate_non_utf8_input_is_a_usage_error(base):
    proc = run_process("evaluate", PET, "--input", "-", "--root", str(base), input=b'{"fare": "\xff"}\n')
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr


def test_evaluate_uses_the_given_root(proj, tmp_path):
    """--root picks that project's generated/, not the repository's or the installed one."""
    raise_early_cap(proj)
    assert run("compile", "--root", str(proj)).exit_code == 0
    inp = _write_json(tmp_path / "in.json", PET_INPUT)
    proc = run_process("evaluate", PET, "--input", str(inp), "--root", str(proj), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outputs"] == {"fee": 9000}


def test_evaluate_in_process_switches_between_roots_sharing_a_prefix(base, tmp_path):
    proj = tmp_path / "proj"
    proj2 = tmp_path / "proj2"
    shutil.copytree(base, proj, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(base, proj2, ignore=shutil.ignore_patterns("__pycache__"))
    raise_early_cap(proj2)
    assert run("compile", "--root", str(proj2)).exit_code == 0
    inp = _write_json(tmp_path / "in.json", PET_INPUT)
    first = run("evaluate", PET, "--input", str(inp), "--root", str(proj2))
    assert json.loads(first.stdout)["outputs"] == {"fee": 9000}
    second = run("evaluate", PET, "--input", str(inp), "--root", str(proj))
    assert json.loads(second.stdout)["outputs"] == {"fee": 8000}


# ---------------------------------------------------------------- test


def test_test_runs_every_example(base):
    result = run("test", "--root", str(base))
    assert result.exit_code == 0, result.output
    n = example_count(base)
    assert n >= 50
    assert last_line(result.stdout) == f"{n} passed, 0 failed"
    ids = sorted(i.policy.id for i in pipeline.load(base).policies)
    reported = [line.split(":")[0] for line in result.stdout.splitlines()[:-1]]
    assert reported == ids


def test_test_one_policy(base):
    result = run("test", PET, "--root", str(base))
    assert result.exit_code == 0, result.output
    n = example_count(base, PET)
    lines = result.stdout.strip().splitlines()
    assert lines == [f"{PET}: {n}/{n} examples pass  ok", f"{n} passed, 0 failed"]


def test_test_one_policy_reads_only_that_policy(proj):
    """`policyc test ID` loads, builds and holds to generated/ that policy alone: another policy
    broken (and so out of date in generated/) does not stop it."""
    other = proj / "policies/callbus/suspension.policy"
    other.write_text(other.read_text(encoding="utf-8") + "\nrule broken (\n", encoding="utf-8")
    result = run("test", PET, "--root", str(proj))
    assert result.exit_code == 0, result.output
    n = example_count(proj, PET)
    assert last_line(result.stdout) == f"{n} passed, 0 failed"
    assert run("test", "callbus.suspension", "--root", str(proj)).exit_code == 1


@pytest.mark.parametrize("rel", ["pet_taxi/cancellation_fee.py", "docs/pet_taxi/cancellation_fee.md",
                                 "schemas/pet_taxi/cancellation_fee.json", "_runtime.py"])
def test_test_one_policy_refuses_its_stale_files(proj, rel):
    with open(proj / "generated" / rel, "a", encoding="utf-8") as fh:
        fh.write("\n")
    result = run("test", PET, "--root", str(proj))
    assert result.exit_code == 1
    assert "generated/ is out of date with policies/; run `policyc compile` first" in result.stderr
    assert run("test", "callbus.suspension", "--root", str(proj)).exit_code == (1 if rel == "_runtime.py" else 0)


def test_test_unknown_policy_is_usage_error(base):
    result = run("test", "pet_taxi.nope", "--root", str(base))
    assert result.exit_code == 2
    assert "pet_taxi.nope" in result.stderr and PET in result.stderr


def test_test_refuses_a_failing_example(proj):
    line = set_expected(proj, "10% 구간 최대 8,000원", "{fee: 8000}", "{fee: 7000}")
    result = run("test", "--root", str(proj))
    assert result.exit_code == 1
    assert f"{PET_EXAMPLES.as_posix()}:{line}:" in result.stderr
    assert "expected `fee` = 7000, the evaluator gives 8000" in result.stderr


def test_test_reads_unquoted_dates_as_text(proj):
    """YAML reads an unquoted `2025-04-30` as a date; examples are JSON, where it can only be text."""
    path = proj / "policies/callbus/suspension.examples.yaml"
    text = path.read_text(encoding="utf-8")
    assert 'suspended_until: "2025-04-30"' in text
    path.write_text(text.replace('suspended_until: "2025-04-30"', "suspended_until: 2025-04-30"), encoding="utf-8")
    result = run("test", "callbus.suspension", "--root", str(proj))
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- examples the evaluator contradicts


EXAMPLE_DIAGNOSTIC_RE = re.compile(r"^policies/pet_taxi/cancellation_fee\.examples\.yaml:(\d+):(\d+): error: (.*)$", re.M)


def test_compile_refuses_an_example_the_evaluator_contradicts(proj):
    """The issue's case: an `expected` of 7,000원 where the rule gives 5,000원 is refused, not published."""
    line = set_expected(proj, "출발 24시간 전 정각 취소는 10% 구간", "{fee: 5000}", "{fee: 7000}")
    out = proj / "generated"
    hashes, mtimes = tree_hashes(out), tree_mtimes(out)
    for args in (["compile"], ["compile", "--check"], ["check"]):  # `test`: test_test_refuses_a_failing_example
        result = run(*args, "--root", str(proj))
        assert result.exit_code == 1, (args, result.output)
        m = EXAMPLE_DIAGNOSTIC_RE.search(result.stderr)
        assert m, (args, result.stderr)
        assert (int(m.group(1)), int(m.group(2))) == (line, 19)  # the caret sits under `7000`
        assert m.group(3) == "example `출발 24시간 전 정각 취소는 10% 구간`: expected `fee` = 7000, the evaluator gives 5000"
        assert f"  {line} |   expected: {{fee: 7000}}\n" in result.stderr
        assert CARET_RE.search(result.stderr)
        assert "the evaluator decides by rule `by_time.early` (policies/pet_taxi/cancellation_fee.policy:" in result.stderr
        assert "운임 50,000원의 10%, 최대 8,000원 → 취소수수료 5,000원" in result.stderr
    assert "7,000원" not in (out / "docs/pet_taxi/cancellation_fee.md").read_text(encoding="utf-8")
    assert tree_hashes(out) == hashes
    assert tree_mtimes(out) == mtimes


def test_compile_refuses_an_example_with_a_misspelt_input(proj):
    path = proj / PET_EXAMPLES
    text = path.read_text(encoding="utf-8")
    assert text.count("input: {fare: 12345,") == 1
    path.write_text(text.replace("input: {fare: 12345,", "input: {fair: 12345,"), encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "input: {fare: 12345," in s)
    result = run("compile", "--root", str(proj))
    assert result.exit_code == 1
    m = EXAMPLE_DIAGNOSTIC_RE.search(result.stderr)
    assert m and (int(m.group(1)), int(m.group(2))) == (line, 11), result.stderr
    assert m.group(3).startswith("`fair` in example ") and m.group(3).endswith(" is not an input of the policy")
    assert "  = help: did you mean `fare`?" in result.stderr
    assert "nothing written" in result.stderr


def test_compile_leaves_the_pages_of_passing_examples_as_they_were(base):
    """The pages are written from the evaluator's decisions; on examples that pass they are unchanged:
    the small project's compile writes each of its policies' files as the repository has them."""
    mine = tree_hashes(base / "generated")
    committed = tree_hashes(ROOT / "generated")
    policies = pipeline.load(base).policies
    assert len(policies) == 2
    for rel in {rel for item in policies for rel in pipeline.policy_files(item.policy)}:
        assert mine[rel] == committed[rel], rel


# ---------------------------------------------------------------- project root


def test_compile_missing_root_is_an_error(tmp_path):
    result = CliRunner().invoke(main, ["compile", "--root", str(tmp_path / "missing")])
    assert_clean_failure(result)


def test_compile_without_policies_dir_refuses(tmp_path):
    result = CliRunner().invoke(main, ["compile", "--root", str(tmp_path)])
    assert_clean_failure(result)
    assert not (tmp_path / "generated").exists()
