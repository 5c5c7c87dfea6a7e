"""generated/ is the single reference copy of every emitted file: a fresh in-memory build of the
repository's policies must equal the committed tree byte for byte.

Snapshots are kept only for tests/cases (diagnostics); a change to an evaluator, a page or a
schema shows up as a diff of generated/ in review, once.
"""

from __future__ import annotations

import difflib

from compiler import pipeline
from tests.support import ROOT, repository_build


def test_generated_is_up_to_date():
    loaded, files = repository_build()
    assert loaded.errors == []
    assert loaded.policies, "no policies found"
    stale = pipeline.stale_files(files, ROOT / "generated")
    if stale:
        rel = stale[0]
        path = ROOT / "generated" / rel
        have = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.is_file() else []
        diff = "\n".join(difflib.unified_diff(have, files.get(rel, "").splitlines(), f"generated/{rel}", "fresh build",
                                              lineterm="", n=1))
        raise AssertionError(f"generated/ is stale; run `policyc compile`: {stale}\n{diff[:4000]}")
