"""Snapshots of every generated artifact per policy, stored as real .py/.md/.json files."""

from __future__ import annotations

import pytest

from compiler import pipeline
from tests.conftest import ROOT, JsonSnapshot, MarkdownSnapshot, PythonSnapshot

LOADED = pipeline.load(ROOT)
FILES = pipeline.build(LOADED.policies) if not LOADED.errors else {}
IDS = sorted(item.policy.id for item in LOADED.policies)


def test_policies_have_no_errors():
    assert LOADED.errors == []
    assert IDS, "no policies found"


@pytest.mark.parametrize("policy_id", IDS)
def test_evaluator_source(policy_id, snapshot):
    domain, name = policy_id.split(".")
    assert FILES[f"{domain}/{name}.py"] == snapshot.use_extension(PythonSnapshot)


@pytest.mark.parametrize("policy_id", IDS)
def test_counselor_page(policy_id, snapshot):
    domain, name = policy_id.split(".")
    assert FILES[f"docs/{domain}/{name}.md"] == snapshot.use_extension(MarkdownSnapshot)


@pytest.mark.parametrize("policy_id", IDS)
def test_schema(policy_id, snapshot):
    domain, name = policy_id.split(".")
    assert FILES[f"schemas/{domain}/{name}.json"] == snapshot.use_extension(JsonSnapshot)


def test_committed_tree_is_fresh():
    stale = pipeline.stale_files(FILES, ROOT / "generated")
    assert stale == [], f"generated/ is stale; run `policyc compile`: {stale}"
