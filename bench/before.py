"""The generated evaluators as they were before the readability rewrite, for a side-by-side timing.

Commit aece2dd is the last one whose generated/ inlined a copy of the datetime parser per field.
Its generated/_runtime.py and the two benchmarked evaluators are read with `git show` into a
temporary package `generated_before`, so both generations run in the same process on the same
inputs.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

COMMIT = "aece2dd"
PACKAGE = "generated_before"
ROOT = Path(__file__).resolve().parent.parent


def load(policies: tuple[str, ...], into: Path, commit: str = COMMIT) -> dict:
    """{policy id: module} of `commit`'s generated evaluators, written under `into` and imported.

    Raises OSError or subprocess.CalledProcessError when git or the commit is not there.
    """
    files = {"__init__.py", "_runtime.py"}
    for policy in policies:
        domain, name = policy.split(".")
        files |= {f"{domain}/__init__.py", f"{domain}/{name}.py"}
    for rel in sorted(files):
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:generated/{rel}"], check=True,
                              capture_output=True).stdout
        target = into / PACKAGE / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text)
    if str(into) not in sys.path:
        sys.path.insert(0, str(into))
    return {policy: importlib.import_module(f"{PACKAGE}.{policy}") for policy in policies}
