"""dsl/grammar.json, the parser tables saved from dsl/grammar.lark, stands for the grammar exactly."""

from __future__ import annotations

import pytest
from lark.exceptions import UnexpectedInput

from dsl import parser as P
from tests.support import ROOT, SMALL_PROJECT

GRAMMAR = P.GRAMMAR_PATH.read_text(encoding="utf-8")
CASES = sorted((ROOT / "tests/cases/bad").glob("*.policy"))


@pytest.fixture(scope="module")
def built():
    return P.build_lark(GRAMMAR)


def test_tables_are_for_the_current_grammar():
    """Stale tables are never used (the parser is then built from the grammar), but cost the time
    they were saved to save: run `python -m dsl.parser` after editing grammar.lark."""
    saved = P.load_tables(P.TABLES_PATH.read_text(encoding="utf-8"), GRAMMAR)
    assert saved is not None, "dsl/grammar.json is stale; run `python -m dsl.parser`"
    assert P._lark().source_path == "<deserialized>"


def test_tables_for_another_grammar_are_not_used():
    text = P.TABLES_PATH.read_text(encoding="utf-8")
    assert P.load_tables(text, GRAMMAR + "\n// edited\n") is None
    assert P.load_tables("not json", GRAMMAR) is None


def _outcome(lark, text: str):
    try:
        return lark.parse(text)
    except UnexpectedInput as err:
        return (type(err).__name__, err.line, err.column, sorted(getattr(err, "expected", None) or ()))
    except Exception as err:  # what the lexer callback raises (bidi controls in a comment)
        return (type(err).__name__, str(err))


def test_saved_parser_parses_as_the_grammar_does(built):
    saved = P._lark()
    texts = [(ROOT / "policies" / f"{stem}.policy").read_text(encoding="utf-8") for stem in SMALL_PROJECT]
    texts += [path.read_text(encoding="utf-8") for path in CASES]
    assert len(texts) > 50
    for text in texts:
        assert _outcome(saved, text) == _outcome(built, text)
