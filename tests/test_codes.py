"""The registry of diagnostic codes (compiler/codes.py) against the code that emits them and
docs/DIAGNOSTICS.md: every emitted code is registered under the stage whose modules emit it,
no registered code is unused, and the page lists them all, as generated from the table."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from compiler.codes import CODES, STAGES, markdown
from compiler.diagnostics import Diagnostic, Span

ROOT = Path(__file__).resolve().parent.parent
_CODE = re.compile(r"[EW]\d{3}")


@cache
def emitted() -> dict[str, set[str]]:
    """Each code written as a string literal in dsl/ or compiler/, and the modules that write it."""
    where: dict[str, set[str]] = defaultdict(set)
    for path in sorted([*ROOT.glob("dsl/*.py"), *ROOT.glob("compiler/*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "compiler/codes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _CODE.fullmatch(node.value):
                where[node.value].add(rel)
    return where


def test_every_emitted_code_is_registered_and_every_registered_code_is_emitted():
    found = emitted()
    assert len(found) > 100
    assert sorted(set(found) - set(CODES)) == [], "add these codes to compiler/codes.py"
    assert sorted(set(CODES) - set(found)) == [], "nothing emits these codes: remove them from compiler/codes.py"


def test_each_code_is_emitted_by_the_modules_of_its_stage():
    found = emitted()
    wrong = {code: sorted(found[code] - set(STAGES[c.stage].modules)) for code, c in CODES.items()}
    assert {code: mods for code, mods in wrong.items() if mods} == {}


def test_the_table_is_well_formed():
    for code, c in CODES.items():
        assert c.code == code and _CODE.fullmatch(code)
        assert c.stage in STAGES
        assert c.title and c.title == c.title.strip() and "\n" not in c.title and not c.title.endswith(".")
        assert c.severity == ("warning" if code[0] == "W" else "error")
    # Codes of a stage stay in its hundreds, so a reader can place a code by its number.
    hundreds = {"files": "0", "parser": "0", "limits": "0", "checker": "12", "project": "3", "examples": "3",
                "coverage": "4", "services": "4", "settings": "5"}
    assert set(hundreds) == set(STAGES)
    assert [code for code, c in CODES.items() if code[1] not in hundreds[c.stage]] == []


def test_the_page_is_generated_from_the_table():
    page = (ROOT / "docs" / "DIAGNOSTICS.md").read_text(encoding="utf-8")
    assert page == markdown(), "run `python -m compiler.codes > docs/DIAGNOSTICS.md`"
    listed = re.findall(r"^\| ([EW]\d{3}) \|", page, re.MULTILINE)
    assert listed == sorted(CODES)


def test_a_diagnostic_needs_a_registered_code_of_its_severity():
    span = Span("p.policy", 1, 1, 1, 2)
    assert Diagnostic("E252", "unknown name `x`", span).code == "E252"
    assert Diagnostic("W301", "no examples", span, severity="warning").severity == "warning"
    with pytest.raises(ValueError, match="E999"):
        Diagnostic("E999", "made up", span)
    with pytest.raises(ValueError, match="W301"):
        Diagnostic("W301", "no examples", span)  # a warning's code reported as an error
