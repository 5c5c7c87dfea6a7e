"""Tests for compiler/pipeline.py: deterministic builds, the committed tree, atomic writes,
and generated modules that stand alone.

Anything that writes works in a temporary directory; the repository's generated/ is only read.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import random
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import pipeline, tree
from tests.support import ROOT, copy_small_project, repository_build

COMPILER_ONLY = ("lark", "jsonschema", "yaml", "click", "compiler", "dsl")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A project of two of the repository's policies (tests/support.py), not compiled."""
    return copy_small_project(tmp_path_factory.mktemp("small") / "project")


@pytest.fixture(scope="module")
def loaded(small) -> list[pipeline.Loaded]:
    result = pipeline.load(small)
    assert not result.errors, [f"{d.span.path}:{d.span.line}: {d.message}" for d in result.errors]
    return result.policies


@pytest.fixture(scope="module")
def files(loaded) -> dict[str, str]:
    return pipeline.build(loaded)


@pytest.fixture(scope="module")
def repository() -> tuple[list[pipeline.Loaded], dict[str, str]]:
    """Every policy of the repository, built in memory once per session (tests/support.py)."""
    result, files = repository_build()
    assert not result.errors, [f"{d.span.path}:{d.span.line}: {d.message}" for d in result.errors]
    return result.policies, files


def tree_hashes(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(("generated.tmp-", "generated.old-", "generated.del-")))


# ---------------------------------------------------------------- determinism


# On the small project; the whole repository is compiled twice in separate processes by the slow
# test_compiles_into_two_dirs_byte_identical.


def test_build_twice_is_identical(small, loaded, files):
    assert pipeline.build(loaded) == files
    again = pipeline.load(small)
    assert pipeline.build(again.policies) == files


def test_build_ignores_load_order(small, loaded, files):
    rng = random.Random(20250515)
    paths = pipeline.discover(small)
    assert len(paths) >= 2
    shuffled = paths[:]
    while shuffled == paths:
        rng.shuffle(shuffled)
    result = pipeline.load(small, shuffled)
    assert not result.errors
    assert pipeline.build(result.policies) == files
    items = loaded[:]
    while items == loaded:
        rng.shuffle(items)
    assert pipeline.build(items) == files


def test_build_covers_every_policy(repository):
    loaded, files = repository
    for item in loaded:
        p = item.policy
        for rel in (f"{p.domain}/{p.name}.py", f"docs/{p.domain}/{p.name}.md", f"schemas/{p.domain}/{p.name}.json"):
            assert rel in files
        assert f"{p.domain}/__init__.py" in files
    assert {"__init__.py", "_runtime.py", "docs/index.md"} <= set(files)


@pytest.mark.slow
def test_compiles_into_two_dirs_byte_identical(tmp_path):
    """Two separate processes with different hash seeds: no set or dict order leaks into output."""
    trees = []
    for seed in ("1", "2"):
        root = tmp_path / f"p{seed}"
        root.mkdir()
        shutil.copytree(ROOT / "policies", root / "policies")
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-m", "compiler.cli", "compile", "--root", str(root)],
                              capture_output=True, env=env, cwd=tmp_path, timeout=60)
        assert proc.returncode == 0, proc.stderr.decode()
        trees.append(tree_hashes(root / "generated"))
    assert trees[0] == trees[1]
    assert len(trees[0]) >= 10


def test_every_generated_python_file_compiles(repository):
    _, files = repository
    py = [rel for rel in files if rel.endswith(".py")]
    assert len(py) >= 5
    for rel in py:
        compile(files[rel], f"generated/{rel}", "exec")
    for path in sorted((ROOT / "generated").rglob("*.py")):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


# That the committed generated/ equals a fresh build is tests/test_golden.py's one test.


def test_stale_files_reports_changed_missing_and_extra(files, tmp_path):
    out = tmp_path / "generated"
    pipeline.write_tree(files, out)
    assert pipeline.stale_files(files, out) == []
    (out / "docs/index.md").write_text("changed\n", encoding="utf-8")
    (out / "_runtime.py").unlink()
    (out / "extra.txt").write_text("x", encoding="utf-8")
    (out / "__pycache__").mkdir()
    (out / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")  # caches are not part of the tree
    assert pipeline.stale_files(files, out) == ["_runtime.py", "docs/index.md", "extra.txt"]
    assert pipeline.stale_files(files, tmp_path / "absent") == sorted(files)


# ---------------------------------------------------------------- atomic write


def _old_tree(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    out = tmp_path / "generated"
    pipeline.write_tree({"__init__.py": "# old\n", "pet_taxi/old.py": "OLD = 1\n"}, out)
    return out, tree_hashes(out)


def test_write_tree_replaces_exactly(files, tmp_path, swap_mode):
    out, _ = _old_tree(tmp_path)
    pipeline.write_tree(files, out)
    assert not (out / "pet_taxi/old.py").exists()
    assert pipeline.stale_files(files, out) == []
    assert leftovers(tmp_path) == []


def test_write_tree_failure_while_writing_keeps_old_tree(files, tmp_path, monkeypatch):
    out, before = _old_tree(tmp_path)
    real_open = builtins.open
    calls = {"n": 0}

    def failing_open(file, mode="r", *args, **kwargs):
        if "w" in mode:
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(28, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(tree, "open", failing_open, raising=False)
    with pytest.raises(tree.FileError, match="No space left") as caught:
        pipeline.write_tree(files, out)
    assert calls["n"] == 3
    # The message names the file by its place in generated/, never a machine path.
    assert str(caught.value).startswith("cannot write generated/"), str(caught.value)
    assert str(tmp_path) not in str(caught.value)
    assert tree_hashes(out) == before
    assert leftovers(tmp_path) == []


@pytest.fixture(params=["exchange", "two-renames"])
def swap_mode(request, monkeypatch):
    """Run a test with the one-step swap (renameat2) and with the two-rename fallback."""
    if request.param == "two-renames":
        monkeypatch.setattr(tree, "_exchange", lambda a, b: False)
    return request.param


def test_write_tree_swaps_in_one_step_on_linux(files, tmp_path, monkeypatch):
    if sys.platform != "linux":
        pytest.skip("renameat2 is Linux only")
    out, _ = _old_tree(tmp_path)
    renames = []
    real_rename = os.rename
    monkeypatch.setattr(tree.os, "rename", lambda a, b: renames.append((Path(a).name, Path(b).name)) or real_rename(a, b))
    pipeline.write_tree(files, out)
    monkeypatch.undo()
    # generated/ was never renamed away: the exchange put the new tree in its place.
    assert all(dst != "generated" and src != "generated" for src, dst in renames), renames
    assert pipeline.stale_files(files, out) == []
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("failing_call", [1, 2], ids=["moving-old-aside", "moving-new-in"])
def test_write_tree_failure_while_swapping_keeps_old_tree(files, tmp_path, monkeypatch, failing_call):
    out, before = _old_tree(tmp_path)
    monkeypatch.setattr(tree, "_exchange", lambda a, b: False)
    real_rename = os.rename
    calls = {"n": 0}

    def failing_rename(src, dst, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == failing_call:
            raise OSError(18, "Invalid cross-device link")
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(tree.os, "rename", failing_rename)
    with pytest.raises(OSError, match="cross-device"):
        pipeline.write_tree(files, out)
    monkeypatch.undo()
    assert tree_hashes(out) == before
    assert leftovers(tmp_path) == []


def test_write_tree_exchange_failure_keeps_old_tree(files, tmp_path, monkeypatch):
    out, before = _old_tree(tmp_path)

    def failing_exchange(a, b):
        raise OSError(13, "Permission denied", str(b))

    monkeypatch.setattr(tree, "_exchange", failing_exchange)
    with pytest.raises(tree.FileError, match="cannot replace generated/: Permission denied"):
        pipeline.write_tree(files, out)
    assert tree_hashes(out) == before
    assert leftovers(tmp_path) == []


def test_write_tree_interrupted_keeps_old_tree(files, tmp_path, monkeypatch, swap_mode):
    out, before = _old_tree(tmp_path)
    real_open = builtins.open

    def interrupted(file, mode="r", *args, **kwargs):
        if "w" in mode and str(file).endswith(".json"):
            raise KeyboardInterrupt
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(tree, "open", interrupted, raising=False)
    with pytest.raises(KeyboardInterrupt):
        pipeline.write_tree(files, out)
    assert tree_hashes(out) == before
    assert leftovers(tmp_path) == []


def test_write_tree_into_new_directory(files, tmp_path, swap_mode):
    out = tmp_path / "generated"
    pipeline.write_tree(files, out)
    assert pipeline.stale_files(files, out) == []
    assert leftovers(tmp_path) == []


def test_write_tree_directory_mode_follows_umask(files, tmp_path):
    out = tmp_path / "generated"
    pipeline.write_tree(files, out)
    reference = tmp_path / "reference"
    reference.mkdir()
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode)


# ---------------------------------------------------------------- generated modules stand alone


def test_generated_modules_import_without_compiler_dependencies(repository):
    loaded, _ = repository
    modules = [f"generated.{i.policy.id}" for i in sorted(loaded, key=lambda i: i.policy.id)]
    code = (
        f"import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print([m for m in sys.modules if m.split('.')[0] in {COMPILER_ONLY!r}])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

    proc = subprocess.run(
        [sys.executable, "-c", "import generated.pet_taxi.cancellation_fee, sys; print([m for m in sys.modules "
         "if m.split('.')[0] in ('lark','jsonschema','yaml','click','compiler','dsl')])"],
        capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_generated_runtime_imports_only_the_standard_library(repository):
    import ast

    _, files = repository
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    for rel, text in files.items():
        if not rel.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"generated/{rel} imports {name}"
