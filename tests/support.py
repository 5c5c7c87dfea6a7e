"""Helpers for tests that compile their own policies into a temporary project."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from compiler import pipeline
from compiler.diagnostics import PolicyError
from dsl.parser import invisible, parse

ROOT = Path(__file__).resolve().parent.parent

# The small project the CLI, pipeline and fault tests compile instead of the whole repository:
# two of the repository's own policies (in two domains) with their worked examples, copied.
SMALL_PROJECT = ("pet_taxi/cancellation_fee", "callbus/suspension")

# Property tests run at a fifth of their length in the core tier, whose CPU budget is tight;
# `.ci/run` runs them once more at full length with POLICYC_FUZZ_SCALE=1 (more, off-line).
FUZZ_SCALE = float(os.environ.get("POLICYC_FUZZ_SCALE", "0.2"))


def examples(n: int) -> int:
    """How many examples a property test written for n runs in this tier."""
    return max(10, round(n * FUZZ_SCALE))


def copy_small_project(root: Path, policies: tuple[str, ...] = SMALL_PROJECT) -> Path:
    """Copy the named policies of the repository (and their examples), its source articles and
    its service names into a project at root."""
    shutil.copytree(ROOT / "policies" / "articles", root / "policies" / "articles", dirs_exist_ok=True)
    shutil.copyfile(ROOT / "policies" / "services.yaml", root / "policies" / "services.yaml")
    for stem in policies:
        for suffix in (".policy", ".examples.yaml"):
            source = ROOT / "policies" / f"{stem}{suffix}"
            target = root / "policies" / f"{stem}{suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return root


def compiled_small_project(root: Path, policies: tuple[str, ...] = SMALL_PROJECT) -> Path:
    """copy_small_project, then compile it into root/generated."""
    copy_small_project(root, policies)
    result, files = pipeline.compile_all(root)
    assert files is not None, [f"{d.span.path}:{d.span.line}: {d.message}" for d in result.errors]
    pipeline.write_tree(files, root / pipeline.GENERATED)
    return root


@functools.lru_cache(maxsize=1)
def repository_build() -> tuple[pipeline.LoadResult, dict[str, str]]:
    """The repository's policies loaded and built in memory, once per test session (read only)."""
    loaded = pipeline.load(ROOT)
    return loaded, (pipeline.build(loaded.policies, loaded.articles, loaded.settings) if not loaded.errors else {})


@contextlib.contextmanager
def own_generated_package() -> Iterator[None]:
    """Let the body import another project's `generated` package; restore the repository's after."""
    saved_path = list(sys.path)
    saved = {k: v for k, v in sys.modules.items() if k == "generated" or k.startswith("generated.")}
    try:
        yield
    finally:
        for k in [k for k in sys.modules if k == "generated" or k.startswith("generated.")]:
            del sys.modules[k]
        sys.modules.update(saved)
        sys.path[:] = saved_path


REPO = Path(__file__).resolve().parent.parent


def project_data(root: Path) -> None:
    """Give a test project what each project holds beside its policies: the repository's source
    articles (`policies/articles/`), a stand-in article for any other file its policies cite
    (where the name can be a file name), and a service name for every domain it has a policy in."""
    articles = root / "policies" / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    for path in (REPO / "policies" / "articles").iterdir():
        (articles / path.name).write_bytes(path.read_bytes())
    policies = sorted((root / "policies").rglob("*.policy"))
    for path in policies:
        try:
            cited = {s.file for s in parse(path.read_text(encoding="utf-8"), path.name).sources}
        except PolicyError:
            continue
        for name in cited:
            if name not in ("", ".", "..") and not name.startswith(".") and "/" not in name and "\0" not in name:
                target = articles / name
                if not target.exists():
                    target.write_text("# 시험용 문서\n", encoding="utf-8")
    domains = sorted({p.parent.name for p in policies})
    (root / "policies" / "services.yaml").write_text("".join(f"{d}: 서비스 {d}\n" for d in domains), encoding="utf-8")


def compile_policy(tmp: Path, policy_id: str, source: str, examples: str = "[]\n") -> ModuleType:
    """Write one policy into a project at tmp, compile it, and import its evaluator."""
    domain, name = policy_id.split(".")
    policy_dir = tmp / "policies" / domain
    policy_dir.mkdir(parents=True, exist_ok=True)
    (policy_dir / f"{name}.policy").write_text(source, encoding="utf-8")
    (policy_dir / f"{name}.examples.yaml").write_text(examples, encoding="utf-8")
    project_data(tmp)
    loaded = pipeline.load(tmp)
    assert not loaded.errors, [f"{d.span.line}:{d.span.col} {d.code} {d.message}" for d in loaded.errors]
    pipeline.write_tree(pipeline.build(loaded.policies), tmp / "generated")
    with own_generated_package():
        return pipeline.import_evaluator(policy_id, tmp)


def dsl_text(text: str) -> str:
    """Write text as a quoted DSL string: escapes for quotes, backslashes, new lines, and `\\u{…}`
    for every invisible character (which the parser refuses raw)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif invisible(ch):
            out.append(f"\\u{{{ord(ch):X}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
