"""Shared pytest fixtures: the project root and syrupy extensions that write snapshots as plain files."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parent.parent


class TextSnapshot(SingleFileSnapshotExtension):
    """One snapshot per file, stored as UTF-8 text so reviewers read diffs as text."""

    _write_mode = WriteMode.TEXT
    _file_extension = "txt"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def text_snapshot(snapshot):
    return snapshot.use_extension(TextSnapshot)
