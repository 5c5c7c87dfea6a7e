"""Finds the project a command runs in and imports its generated evaluators (standard library only).

Kept apart from compiler/pipeline.py so that `policyc evaluate` starts without importing the
parser, the checker and the emitters.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from compiler import tree

GENERATED = "generated"


class NoProject(LookupError):
    """No `policies/` directory where one was looked for."""


def find_root(start: Path | None = None) -> Path:
    """The project root: `start` itself when given, else the nearest directory at or above
    the current one that holds `policies/`.

    Every command starts here, so this also repairs a swap of generated/ that a killed
    compile left half done (compiler/tree.py; one stat when there is nothing to repair).
    """
    if start is not None:
        root = Path(start).resolve()
        if not (root / "policies").is_dir():
            raise NoProject(f"{start} has no policies/ directory")
        tree.recover(root / GENERATED)
        return root
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if (d / "policies").is_dir():
            tree.recover(d / GENERATED)
            return d
    raise NoProject(f"no policies/ directory in {here} or above it; run policyc from a policyc project or pass --root")


def import_evaluator(policy_id: str, root: Path):
    """Import generated.<domain>.<name> from root (not from any other copy on sys.path)."""
    domain, _, name = policy_id.partition(".")
    if not domain or not name or not all(part.isidentifier() for part in (domain, name)):
        raise LookupError(f"`{policy_id}` is not a policy id (expected `<domain>.<name>`)")
    if name.startswith("_") or domain.startswith("_"):
        raise LookupError(f"`{policy_id}` is not a policy id (expected `<domain>.<name>`)")
    wanted = (root / GENERATED).resolve()
    root_str = str(root.resolve())
    if sys.path[:1] != [root_str]:
        sys.path.insert(0, root_str)
    pkg = sys.modules.get(GENERATED)
    if pkg is not None:
        locations = [Path(p).resolve() for p in getattr(pkg, "__path__", [])]
        if wanted not in locations:
            # A `generated` package from another project (or the installed copy) is loaded: drop it.
            for mod in [m for m in sys.modules if m == GENERATED or m.startswith(GENERATED + ".")]:
                del sys.modules[mod]
            importlib.invalidate_caches()
    module_name = f"{GENERATED}.{domain}.{name}"
    # A compile swapping generated/ waits until this import is done: it reads one tree.
    with tree.gate(root, exclusive=False):
        if not (root / GENERATED / domain / f"{name}.py").is_file():
            raise LookupError(f"no generated evaluator for `{policy_id}`; run `policyc compile` (looked in {GENERATED}/{domain}/{name}.py)")
        module = importlib.import_module(module_name)
    if not hasattr(module, "evaluate"):
        raise LookupError(f"`{policy_id}` is not a generated evaluator")
    return module

