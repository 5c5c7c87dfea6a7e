"""Helpers for tests that compile their own policies into a temporary project."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from compiler import pipeline
from dsl.parser import invisible


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


def compile_policy(tmp: Path, policy_id: str, source: str, examples: str = "[]\n") -> ModuleType:
    """Write one policy into a project at tmp, compile it, and import its evaluator."""
    domain, name = policy_id.split(".")
    policy_dir = tmp / "policies" / domain
    policy_dir.mkdir(parents=True, exist_ok=True)
    (policy_dir / f"{name}.policy").write_text(source, encoding="utf-8")
    (policy_dir / f"{name}.examples.yaml").write_text(examples, encoding="utf-8")
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
