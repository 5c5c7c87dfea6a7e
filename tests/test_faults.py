"""Compile under faults (compiler/tree.py, pipeline file reading): a killed or overlapping run,
an OS error, a hostile path. Each ends with generated/ old or new (never missing or mixed), no
leftovers after the next run, and a plain error (exit 74) or a diagnostic (exit 1), never an
internal error (70).

Everything works on a one-policy project in a temporary directory. Kill loops, overlapping
compiles and the concurrent importer are in the slow tier (`pytest -m slow`), each bounded.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler import pipeline, project, tree
from compiler.cli import EXIT_OS_ERROR, main
from tests.support import project_data

ROOT = Path(__file__).resolve().parent.parent
PET = "pet_taxi.cancellation_fee"
PET_POLICY = "policies/pet_taxi/cancellation_fee.policy"
PET_EXAMPLES = "policies/pet_taxi/cancellation_fee.examples.yaml"
PET_INPUT = {"fare": 100000, "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "2025-05-31T20:00:00+09:00"}
INTERNAL_ERROR = 70


# ---------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _isolate_imports():
    path = list(sys.path)
    before = {k: v for k, v in sys.modules.items() if k == "generated" or k.startswith("generated.")}
    yield
    sys.path[:] = path
    for k in [k for k in sys.modules if k == "generated" or k.startswith("generated.")]:
        del sys.modules[k]
    sys.modules.update(before)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A compiled one-policy project (pet_taxi.cancellation_fee), not to be written."""
    root = tmp_path_factory.mktemp("small") / "project"
    (root / "policies/pet_taxi").mkdir(parents=True)
    for rel in (PET_POLICY, PET_EXAMPLES):
        shutil.copy(ROOT / rel, root / rel)
    project_data(root)
    result, files = pipeline.compile_all(root)
    assert files is not None, [d.message for d in result.errors]
    pipeline.write_tree(files, root / "generated")
    return root


@pytest.fixture
def proj(small, tmp_path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(small, root, ignore=shutil.ignore_patterns("__pycache__", ".policyc.lock"))
    yield root
    for path in root.rglob("*"):  # let tmp_path be deleted after a read-only test
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


def hashes(directory: Path) -> dict[str, str]:
    return {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def debris(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(("generated.tmp", "generated.old", "generated.del")))


def change_policy(root: Path) -> None:
    """An edit that changes generated/ (a note on the page and in the module's spec)."""
    path = root / PET_POLICY
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n\ninput ", '\n  note "변경된 정책입니다."\n\ninput ', 1), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != text


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(main, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"policyc {' '.join(args)} raised {result.exception!r}") from result.exception
    assert result.exit_code != INTERNAL_ERROR and "internal error" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    return result


def evaluate(root: Path):
    return run("evaluate", PET, "--input", "-", "--root", str(root), input=json.dumps(PET_INPUT))


def stage(root: Path, kind: str, stamp: int, source: Path | None = None, complete: bool = False) -> Path:
    """A leftover tree beside generated/ as a killed run leaves it."""
    path = root / f"generated.{kind}-{stamp}-4242"
    if source is not None:
        shutil.copytree(source, path)
    else:
        path.mkdir()
        (path / "__init__.py").write_text("# half written\n", encoding="utf-8")
    if complete:
        (path / tree.COMPLETE).write_text("1 files\n", encoding="ascii")
    return path


# ---------------------------------------------------------------- a swap a killed run left half done


COMMANDS = {
    "evaluate": lambda root: evaluate(root),
    "check": lambda root: run("check", "--root", str(root)),
    "compile --check": lambda root: run("compile", "--check", "--root", str(root)),
    "test": lambda root: run("test", "--root", str(root)),
    "compile": lambda root: run("compile", "--root", str(root)),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_any_command_rolls_back_a_half_done_swap(proj, command):
    """Killed between `generated -> generated.old-*` and `tmp -> generated`: the next command of
    any kind puts the old tree back (the staged one had lost its completion marker)."""
    out = proj / "generated"
    before = hashes(out)
    os.rename(out, proj / "generated.old-1000-4242")
    stage(proj, "tmp", 2000)  # half written, no marker
    result = COMMANDS[command](proj)
    assert result.exit_code == 0, result.output
    assert hashes(out) == before
    assert "put back" in result.stderr
    if command == "compile":
        assert debris(proj) == []


def test_recovery_finishes_a_swap_whose_new_tree_is_complete(proj):
    out = proj / "generated"
    old = proj / "generated.old-1000-4242"
    os.rename(out, old)
    staged = stage(proj, "tmp", 2000, source=old, complete=True)
    (staged / "docs" / "new.md").write_text("new\n", encoding="utf-8")
    want = hashes(staged)
    del want[tree.COMPLETE]
    result = evaluate(proj)
    assert result.exit_code == 0, result.stderr
    assert "finished installing" in result.stderr
    assert hashes(out) == want


def test_recovery_never_installs_a_half_written_or_half_deleted_tree(proj):
    out = proj / "generated"
    shutil.rmtree(out)
    stage(proj, "tmp", 3000)  # no marker: maybe half written
    stage(proj, "del", 4000, complete=True)  # being deleted: maybe half deleted
    result = evaluate(proj)
    assert result.exit_code == 2 and "run `policyc compile`" in result.stderr
    assert not out.exists()
    result = run("compile", "--root", str(proj))
    assert result.exit_code == 0, result.stderr
    assert debris(proj) == []
    assert evaluate(proj).exit_code == 0


def test_recovery_costs_one_stat_when_nothing_is_wrong(proj, monkeypatch):
    calls = []
    monkeypatch.setattr(tree.os, "listdir", lambda *a: calls.append(a) or [])
    project.find_root(proj)
    assert calls == []


def test_compile_cleans_leftovers_of_dead_runs_even_when_nothing_changed(proj):
    before = hashes(proj / "generated")
    stage(proj, "tmp", 1000, complete=True)
    stage(proj, "old", 1001, source=proj / "generated")
    stage(proj, "del", 1002)
    (proj / "generated.tmp-abc").mkdir()  # an older policyc's name
    result = run("compile", "--root", str(proj))
    assert result.exit_code == 0, result.stderr
    assert "(0 of" in result.stdout
    assert debris(proj) == []
    assert hashes(proj / "generated") == before


# ---------------------------------------------------------------- the lock


HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from compiler import tree
    with tree.project_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def hold_lock(root: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_compile_waits_and_names_the_holder(proj):
    change_policy(proj)
    holder = hold_lock(proj, 0.5)
    try:
        result = run("compile", "--root", str(proj))
    finally:
        holder.wait(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert f"waiting for process {holder.pid} to finish compiling (it holds .policyc.lock)" in result.stderr
    assert run("compile", "--check", "--root", str(proj)).exit_code == 0
    assert debris(proj) == []


def test_compile_gives_up_after_the_lock_timeout(proj):
    before = hashes(proj / "generated")
    change_policy(proj)
    holder = hold_lock(proj, 5)
    try:
        started = time.monotonic()
        result = run("compile", "--lock-timeout", "0.3", "--root", str(proj))
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert result.exit_code == EXIT_OS_ERROR, result.stderr
    assert f"gave up after 0.3 s waiting for .policyc.lock: process {holder.pid} holds it" in result.stderr
    assert waited < 3
    assert hashes(proj / "generated") == before


def test_lock_file_is_ignored_by_git():
    assert "/.policyc.lock" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


# ---------------------------------------------------------------- OS errors: exit 74, generated/ as it was


def assert_os_error(result, proj: Path, before: dict[str, str], *needles: str) -> None:
    assert result.exit_code == EXIT_OS_ERROR, (result.exit_code, result.stderr)
    first = result.stderr.splitlines()[0]
    assert first.startswith("policyc: cannot "), result.stderr
    for needle in needles:
        assert needle in first, first
    assert str(proj) not in result.stderr  # paths relative to the project
    assert hashes(proj / "generated") == before
    assert debris(proj) == []


def test_disk_full_while_writing(proj, monkeypatch):
    before = hashes(proj / "generated")
    change_policy(proj)
    real_open = open

    def full(file, mode="r", *args, **kwargs):
        if "w" in mode and str(file).endswith(".md"):
            raise OSError(28, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(tree, "open", full, raising=False)
    result = run("compile", "--root", str(proj))
    assert_os_error(result, proj, before, "cannot write generated/docs/", "No space left on device")


def test_file_too_large_injected(proj, monkeypatch):
    before = hashes(proj / "generated")
    change_policy(proj)
    real_open = open

    def too_large(file, mode="r", *args, **kwargs):
        if "w" in mode and str(file).endswith("_runtime.py"):
            raise OSError(27, "File too large")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(tree, "open", too_large, raising=False)
    result = run("compile", "--root", str(proj))
    assert_os_error(result, proj, before, "cannot write generated/_runtime.py: File too large")


@pytest.mark.slow
def test_file_too_large(proj):
    """The real thing: RLIMIT_FSIZE with SIGXFSZ ignored, so writing past it fails with EFBIG."""
    before = hashes(proj / "generated")
    change_policy(proj)
    code = textwrap.dedent("""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))  # generated/_runtime.py is larger
        from compiler.cli import main
        main(sys.argv[1:])
    """)
    done = subprocess.run([sys.executable, "-c", code, "compile", "--root", str(proj)], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert done.returncode == EXIT_OS_ERROR, done.stderr
    assert "policyc: cannot write generated/_runtime.py: File too large" in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert hashes(proj / "generated") == before
    assert debris(proj) == []


@pytest.mark.parametrize("code", [30, 13], ids=["read-only-fs", "permission-denied"])
def test_read_only_project_directory(proj, monkeypatch, code):
    """The root cannot be written (EROFS; EACCES for a user without permission — root ignores
    mode bits, so the failure is injected)."""
    before = hashes(proj / "generated")
    change_policy(proj)
    real_open, real_mkdir = os.open, os.mkdir
    reason = os.strerror(code)

    def refuse_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(code, reason, path)
        return real_open(path, flags, *args, **kwargs)

    def refuse_mkdir(path, *args, **kwargs):
        raise OSError(code, reason, path)

    monkeypatch.setattr(tree.os, "open", refuse_open)
    monkeypatch.setattr(tree.os, "mkdir", refuse_mkdir)
    result = run("compile", "--root", str(proj))
    monkeypatch.undo()
    assert_os_error(result, proj, before, reason)
    # A read-only project still answers `--check` and `evaluate`.
    monkeypatch.setattr(tree.os, "open", refuse_open)
    monkeypatch.setattr(tree.os, "mkdir", refuse_mkdir)
    assert run("compile", "--check", "--root", str(proj)).exit_code == 1
    assert evaluate(proj).exit_code == 0


def test_lock_file_writable_but_tree_directory_not(proj, monkeypatch):
    before = hashes(proj / "generated")
    change_policy(proj)

    def refuse_mkdir(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(tree.os, "mkdir", refuse_mkdir)
    result = run("compile", "--root", str(proj))
    assert_os_error(result, proj, before, "cannot create directory generated.tmp-", "Permission denied")


def test_read_only_generated_is_not_replaced(proj):
    before = hashes(proj / "generated")
    change_policy(proj)
    (proj / "generated").chmod(0o555)
    result = run("compile", "--root", str(proj))
    assert_os_error(result, proj, before, "cannot replace generated/: it is read-only (mode 0555)", "chmod u+w")
    (proj / "generated").chmod(0o755)
    assert run("compile", "--root", str(proj)).exit_code == 0


def test_unexpected_os_error_is_exit_74_not_a_bug(proj, monkeypatch):
    """Any OSError that reaches the command line is the environment: exit 74, path named."""
    def broken(*args, **kwargs):
        raise OSError(5, "Input/output error", str(proj / "policies" / "x"))

    monkeypatch.setattr(pipeline, "compile_all", broken)
    monkeypatch.chdir(proj)
    result = run("compile", "--root", str(proj))
    assert result.exit_code == EXIT_OS_ERROR, result.stderr
    assert result.stderr == "policyc: cannot use policies/x: Input/output error\n"


# ---------------------------------------------------------------- what a policy path is


@pytest.fixture
def alarm():
    """Fail instead of hanging: a blocked open() is interrupted after 10 s."""
    def timeout(signum, frame):
        raise TimeoutError("policyc hung")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def assert_diagnostic(result, proj: Path, before: dict[str, str], where: str, message: str) -> None:
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    assert f"{where}:1:1: error: {message}" in result.stderr, result.stderr
    assert hashes(proj / "generated") == before
    assert debris(proj) == []


def test_fifo_as_policy_file_does_not_hang(proj, alarm):
    before = hashes(proj / "generated")
    os.mkfifo(proj / "policies/pet_taxi/piped.policy")
    for args in (["check"], ["compile"]):
        result = run(*args, "--root", str(proj))
        assert_diagnostic(result, proj, before, "policies/pet_taxi/piped.policy",
                          "cannot read the policy file: it is a named pipe (FIFO), not a regular file")


def test_policy_symlink_loop(proj):
    before = hashes(proj / "generated")
    (proj / "policies/pet_taxi/loop.policy").symlink_to("loop.policy")
    result = run("compile", "--root", str(proj))
    assert_diagnostic(result, proj, before, "policies/pet_taxi/loop.policy",
                      "cannot read the policy file: a symbolic link that leads to itself (a loop)")


def test_policy_that_is_a_directory(proj):
    before = hashes(proj / "generated")
    (proj / "policies/pet_taxi/folder.policy").mkdir()
    result = run("check", "--root", str(proj))
    assert_diagnostic(result, proj, before, "policies/pet_taxi/folder.policy",
                      "cannot read the policy file: it is a directory, not a regular file")


def test_examples_file_that_is_a_directory(proj):
    before = hashes(proj / "generated")
    (proj / PET_EXAMPLES).unlink()
    (proj / PET_EXAMPLES).mkdir()
    result = run("compile", "--root", str(proj))
    assert_diagnostic(result, proj, before, PET_EXAMPLES,
                      "cannot read the examples file: it is a directory, not a regular file")


def test_examples_file_fifo_and_loop(proj, alarm):
    before = hashes(proj / "generated")
    (proj / PET_EXAMPLES).unlink()
    os.mkfifo(proj / PET_EXAMPLES)
    assert_diagnostic(run("check", "--root", str(proj)), proj, before, PET_EXAMPLES,
                      "cannot read the examples file: it is a named pipe (FIFO)")
    (proj / PET_EXAMPLES).unlink()
    (proj / PET_EXAMPLES).symlink_to(Path(PET_EXAMPLES).name)
    assert_diagnostic(run("check", "--root", str(proj)), proj, before, PET_EXAMPLES,
                      "cannot read the examples file: a symbolic link that leads to itself")


def test_examples_file_not_utf8_names_the_file(proj):
    before = hashes(proj / "generated")
    path = proj / PET_EXAMPLES
    path.write_bytes(path.read_bytes().replace("취소".encode(), "취소".encode("euc-kr"), 1))
    result = run("compile", "--root", str(proj))
    assert_diagnostic(result, proj, before, PET_EXAMPLES, "the examples file is not UTF-8 text (byte ")
    assert "save the examples file as UTF-8" in result.stderr


def test_symlinked_policy_header_names_the_project_path(proj, tmp_path):
    """A policy symlinked from elsewhere: no machine path in any generated file."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for rel in (PET_POLICY, PET_EXAMPLES):
        shutil.move(proj / rel, elsewhere / Path(rel).name)
        (proj / rel).symlink_to(elsewhere / Path(rel).name)
    (proj / "generated/pet_taxi/cancellation_fee.py").write_text("stale\n", encoding="utf-8")
    result = run("compile", "--root", str(proj))
    assert result.exit_code == 0, result.stderr
    module = (proj / "generated/pet_taxi/cancellation_fee.py").read_text(encoding="utf-8")
    assert f"# source: {PET_POLICY}  sha256: " in module
    for path in (proj / "generated").rglob("*"):
        if path.is_file():
            assert str(tmp_path) not in path.read_text(encoding="utf-8"), path
    assert run("compile", "--check", "--root", str(proj)).exit_code == 0


HOSTILE = {
    "newline-code": "x\nimport os; os.system('touch PWNED')\n#",
    "triple-quotes": 'x"""; import os; """',
    "bidi": "admin\u202e\u2066x",
    "space": "my policies",
    "leading-dash": "-rf",
    "non-ascii": "정책",
}


@pytest.mark.parametrize("folder", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_policy_folder_is_refused(proj, folder):
    before = hashes(proj / "generated")
    target = proj / "policies" / folder / "pet_taxi"
    target.mkdir(parents=True)
    for rel in (PET_POLICY, PET_EXAMPLES):
        (proj / rel).rename(target / Path(rel).name)
    result = run("compile", "--root", str(proj))
    assert result.exit_code == 1, result.stderr
    shown = pipeline.printable(f"policies/{folder}/pet_taxi/cancellation_fee.policy")
    assert f"{shown}:1:1: error: the name `{pipeline.printable(folder)}` in the path of a policy is not a plain name" \
        in result.stderr, result.stderr
    assert all(ch.isprintable() for line in result.stderr.splitlines() for ch in line)
    assert "PWNED" not in {p.name for p in proj.iterdir()}
    assert hashes(proj / "generated") == before
    json_out = run("check", "--format", "json", "--root", str(proj))
    (diag,) = [d for d in json.loads(json_out.stdout) if d["code"] == "E013"]
    assert shown in diag.values(), diag


_CLEAN: dict[str, str] = {}


@pytest.mark.parametrize("path", HOSTILE.values(), ids=HOSTILE.keys())
def test_generated_header_is_one_comment_whatever_the_path(small, path):
    """Even a path the loader would refuse cannot put code into the generated module."""
    from compiler.check import analyze
    from compiler.emit_python import emit_python
    from dsl.parser import parse

    text = (small / PET_POLICY).read_text(encoding="utf-8")
    if text not in _CLEAN:
        _CLEAN[text] = emit_python(analyze(parse(text, PET_POLICY)), text)
    clean = _CLEAN[text]
    hostile = emit_python(analyze(parse(text, f"policies/{path}/cancellation_fee.policy")), text)
    assert hostile.count("\n") == clean.count("\n")
    header = hostile.splitlines()[1]
    assert header.startswith("# source: ") and all(ch.isprintable() for ch in header), header
    assert ast.dump(ast.parse(hostile)) == ast.dump(ast.parse(clean))


def test_plain_policy_paths_are_accepted(proj):
    target = proj / "policies" / "Team-A_2.v1" / "pet_taxi"
    target.mkdir(parents=True)
    (proj / PET_POLICY).rename(target / "cancellation_fee.policy")
    (proj / PET_EXAMPLES).rename(target / "cancellation_fee.examples.yaml")
    result = run("compile", "--root", str(proj))
    assert result.exit_code == 0, result.stderr
    assert "# source: policies/Team-A_2.v1/pet_taxi/cancellation_fee.policy  sha256: " in \
        (proj / "generated/pet_taxi/cancellation_fee.py").read_text(encoding="utf-8")


# ---------------------------------------------------------------- slow: kills, overlaps, readers

VICTIM = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    from compiler import tree
    if sys.argv[2] == "two-renames":
        tree._exchange = lambda a, b: False
    kill_at = int(sys.argv[3])  # die at this file-system step (0: never)
    if kill_at:
        steps = [0]
        def step(real):
            def call(*args, **kwargs):
                steps[0] += 1
                if steps[0] == kill_at:
                    os._exit(9)
                return real(*args, **kwargs)
            return call
        for name in ("rename", "unlink", "rmdir", "mkdir"):
            setattr(os, name, step(getattr(os, name)))
        tree._exchange = step(tree._exchange)
    trees = json.loads(Path(sys.argv[4]).read_text())
    print("ready", flush=True)
    for i in range(int(sys.argv[5])):
        tree.install(trees[i % 2], Path(sys.argv[1]) / "generated")
    print("done", flush=True)
""")


def two_trees(small: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The small project's real tree (A), and B: every file changed, one dropped, one added."""
    a = {rel: (small / "generated" / rel).read_text(encoding="utf-8") for rel in hashes(small / "generated")}
    b = {rel: text + "\n# B\n" for rel, text in a.items() if rel != "docs/index.md"}
    b["docs/extra.md"] = "B\n"
    return a, b


def tree_is(out: Path, *trees: dict[str, str]) -> bool:
    have = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
            for p in out.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    return any(have == t for t in trees)


def after_next_run(root: Path) -> None:
    """What the next command does: any command repairs; compile also cleans."""
    project.find_root(root)
    with tree.project_lock(root):
        tree.clean(root / "generated")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["exchange", "two-renames"])
def test_killed_at_every_file_system_step(small, tmp_path, mode):
    """The install killed (os._exit) at its 1st, 2nd, ... rename/unlink/mkdir/rmdir: every time
    the next run finds the old or the new tree, complete, and leaves no leftovers."""
    root = tmp_path / "p"
    (root / "policies").mkdir(parents=True)
    a, b = two_trees(small)
    trees = tmp_path / "trees.json"
    trees.write_text(json.dumps([b, a]), encoding="utf-8")
    pipeline.write_tree(a, root / "generated")
    deadline = time.monotonic() + 50
    outcomes = set()
    for kill_at in range(1, 500):
        done = subprocess.run([sys.executable, "-c", VICTIM, str(root), mode, str(kill_at), str(trees), "1"],
                              capture_output=True, text=True, timeout=30)
        after_next_run(root)
        assert tree_is(root / "generated", a, b), (kill_at, done.stderr)
        assert debris(root) == [], kill_at
        outcomes.add((done.returncode, tree_is(root / "generated", b)))
        pipeline.write_tree(a, root / "generated")
        if done.returncode == 0:
            break
        assert done.returncode == 9, done.stderr
        assert time.monotonic() < deadline
    else:
        pytest.fail("the install never finished")
    assert (9, False) in outcomes and (9, True) in outcomes  # killed before and after the swap


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["exchange", "two-renames"])
def test_fifty_kills_at_random_points(small, tmp_path, mode):
    root = tmp_path / "p"
    (root / "policies").mkdir(parents=True)
    a, b = two_trees(small)
    trees = tmp_path / "trees.json"
    trees.write_text(json.dumps([a, b]), encoding="utf-8")
    pipeline.write_tree(a, root / "generated")
    rng = random.Random(20251203)
    deadline = time.monotonic() + 55
    for i in range(50):
        proc = subprocess.Popen([sys.executable, "-c", VICTIM, str(root), mode, "0", str(trees), "1000000"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(rng.uniform(0, 0.08))
        proc.kill()
        proc.wait(timeout=30)
        after_next_run(root)
        assert tree_is(root / "generated", a, b), i
        assert debris(root) == [], i
        assert time.monotonic() < deadline
    # Killed once more, then the real command line: it repairs, tidies and compiles.
    proc = subprocess.Popen([sys.executable, "-c", VICTIM, str(root), mode, "0", str(trees), "1000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.03)
    proc.kill()
    proc.wait(timeout=30)
    result = run("compile", "--root", str(root))
    assert result.exit_code == 0, result.stderr
    assert debris(root) == []


@pytest.mark.slow
def test_overlapping_compiles(small, tmp_path):
    """Two compiles started together: both succeed (one waits), no leftovers, never exit 70."""
    deadline = time.monotonic() + 55
    script = Path(sys.executable).with_name("policyc")
    cmd = [str(script)] if script.is_file() else [sys.executable, "-m", "compiler.cli"]
    for i in range(3):
        root = tmp_path / f"p{i}"
        shutil.copytree(small, root, ignore=shutil.ignore_patterns("__pycache__", ".policyc.lock"))
        change_policy(root)
        procs = [subprocess.Popen([*cmd, "compile", "--root", str(root)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.wait(timeout=50), p.stdout.read(), p.stderr.read()) for p in procs]
        for code, out, err in results:
            assert code == 0, err
            assert "internal error" not in err
        assert sum("waiting for process" in err for _, _, err in results) <= 1
        assert debris(root) == []
        check = subprocess.run([*cmd, "compile", "--check", "--root", str(root)], capture_output=True, timeout=50)
        assert check.returncode == 0, check.stderr
        assert time.monotonic() < deadline


IMPORTER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from compiler import project
    root, seconds = Path(sys.argv[1]), float(sys.argv[2])
    end, n, versions = time.monotonic() + seconds, 0, set()
    while time.monotonic() < end:
        for k in [k for k in sys.modules if k == "generated" or k.startswith("generated.")]:
            del sys.modules[k]
        module = project.import_evaluator("d.x", root)
        seen = (sys.modules["generated"].V, sys.modules["generated.d"].V, module.V, module.RUNTIME_V)
        if len(set(seen)) != 1:
            print("mixed", seen, flush=True)
            sys.exit(1)
        versions.add(seen[0])
        n += 1
    print(n, sorted(versions), flush=True)
""")


def versioned_tree(v: int) -> dict[str, str]:
    files = {"__init__.py": f"V = {v}\n", "d/__init__.py": f"V = {v}\n", "_runtime.py": f"V = {v}\n",
             "d/x.py": f"from .. import _runtime\nV = {v}\nRUNTIME_V = _runtime.V\ndef evaluate(x):\n    return x\n"}
    files.update({f"docs/p{i}.md": f"{v}\n" * 200 for i in range(40)})  # a swap that takes a while
    return files


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["exchange", "two-renames"])
def test_importer_never_sees_a_missing_or_mixed_tree(tmp_path, mode):
    root = tmp_path / "p"
    (root / "policies").mkdir(parents=True)
    pipeline.write_tree(versioned_tree(1), root / "generated")
    trees = tmp_path / "trees.json"
    trees.write_text(json.dumps([versioned_tree(2), versioned_tree(1)]), encoding="utf-8")
    importer = subprocess.Popen([sys.executable, "-c", IMPORTER, str(root), "8"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    writer = subprocess.run([sys.executable, "-c", VICTIM, str(root), mode, "0", str(trees), "150"],
                            capture_output=True, text=True, timeout=55)
    out, err = importer.communicate(timeout=55)
    assert writer.returncode == 0, writer.stderr
    assert importer.returncode == 0, out + err
    count, versions = out.split(" ", 1)
    assert int(count) > 100 and versions.strip() == "[1, 2]", out


def test_generated_that_is_a_symlink_is_replaced_not_its_target(proj, tmp_path):
    """The symlink itself is swapped out and deleted; the directory it pointed to is left alone."""
    target = tmp_path / "elsewhere"
    (proj / "generated").rename(target)
    (proj / "generated").symlink_to(target)
    before = hashes(target)
    change_policy(proj)
    result = run("compile", "--root", str(proj))
    assert result.exit_code == 0, result.stderr
    assert not (proj / "generated").is_symlink()
    assert hashes(target) == before
    assert debris(proj) == []
