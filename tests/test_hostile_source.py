"""Hostile policy sources end in a diagnostic, and what they do compile into runs nothing else.

- Reserved and private policy ids (`_runtime.x`, `class.x`, `docs.x`) are refused at check
  (E105): the evaluator of `generated/<domain>/<name>.py` must be importable by its id.
- Bidirectional controls are refused everywhere in a policy file, `#` comments included
  (Trojan Source), and a diagnostic never prints one raw.
- Text written into the evaluator (docstrings, comments, literals) holds no character that
  reorders or hides the code around it; importing the module runs nothing but its definitions.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import unicodedata
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.check import check
from compiler.diagnostics import PolicyError, render, render_json
from dsl.parser import BIDI_CONTROLS, parse
from tests.support import compile_policy, dsl_text, project_data
from tests.test_escaping import article_name, outside_code

BODY = '''  source "a.txt" section "s"
input n: int "수"
output fee: money "요금"
rule only "항상"
  otherwise
  then fee = 0원
'''


def _project(tmp: Path, policy_id: str, body: str = BODY) -> pipeline.Loaded:
    domain, name = policy_id.split(".")
    folder = tmp / "policies" / domain
    folder.mkdir(parents=True)
    (folder / f"{name}.policy").write_text(f'policy {policy_id} "t"\n{body}', encoding="utf-8")
    (folder / f"{name}.examples.yaml").write_text("[]\n", encoding="utf-8")
    project_data(tmp)
    return pipeline.load(tmp)


# ---------------------------------------------------------------- reserved ids


@pytest.mark.parametrize("policy_id, part", [
    ("_runtime.x", "_runtime"),
    ("x._y", "_y"),
    ("__init__.x", "__init__"),
    ("x.__init__", "__init__"),
    ("class.x", "class"),
    ("x.import", "import"),
    ("docs.index", "docs"),
    ("schemas.x", "schemas"),
])
def test_reserved_and_private_ids_are_refused(tmp_path, policy_id, part):
    loaded = _project(tmp_path, policy_id)
    errors = [d for d in loaded.errors if d.code == "E105"]
    assert errors, [(d.code, d.message) for d in loaded.diagnostics]
    (d,) = errors
    assert d.message == f"policy id `{policy_id}` is reserved: its {'domain' if policy_id.startswith(part + '.') else 'name'} `{part}` cannot be used"
    assert (d.span.line, d.span.col, d.span.end_col) == (1, 8, 8 + len(policy_id))  # the id itself
    assert d.notes and d.help
    assert not loaded.policies  # nothing is built from it


@pytest.mark.parametrize("policy_id", ["match.case", "docs_x.schemas", "x.docs", "runtime.x"])
def test_ids_that_only_look_reserved_compile(tmp_path, policy_id):
    module = compile_policy(tmp_path, policy_id, f'policy {policy_id} "t"\n{BODY}')
    assert module.POLICY_ID == policy_id and module.evaluate({"n": 1}).rule == "only"


# ---------------------------------------------------------------- bidirectional controls


def _diagnose(text: str):
    try:
        policy = parse(text, "policies/bad/x.policy")
    except PolicyError as err:
        return err.diagnostics
    return check(policy)


@pytest.mark.parametrize("ch", sorted(BIDI_CONTROLS), ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_controls_are_refused_in_comments(ch):
    # The classic: a comment that, reordered on screen, seems to end before code it really hides.
    text = f'policy bad.x "t"\n{BODY}# 관리자 확인 {ch}end {ch}\n'
    (d,) = _diagnose(text)
    line = len(text.splitlines())
    col = text.splitlines()[-1].index(ch) + 1
    assert (d.code, d.span.line, d.span.col, d.span.end_col) == ("E012", line, col, col + 1)
    assert d.message == f"invisible character U+{ord(ch):04X} ({unicodedata.name(ch)}) in a comment"
    shown = render(d, text)
    assert not set(shown) & BIDI_CONTROLS  # the reader's terminal does not reorder the excerpt
    assert f"  {line} | # 관리자 확인 \ufffdend \ufffd" in shown.split("\n")
    assert not set(render_json([d])) & BIDI_CONTROLS


@pytest.mark.parametrize("where", ["in text", "outside text"])
def test_bidi_controls_are_refused_in_text_and_code(where):
    text = f'policy bad.x "t"\n{BODY}'
    text = text.replace('"항상"', '"항\u202e상"') if where == "in text" else text.replace("otherwise", "otherwise \u2066")
    (d,) = _diagnose(text)
    assert d.code == "E012" and d.message.endswith(where) and "U+" in d.message
    assert not set(render(d, text)) & BIDI_CONTROLS


def test_other_characters_in_comments_stay_allowed():
    text = f'policy bad.x "t"\n{BODY}# 탭\t한글 😀 \u200b ZWSP, NBSP\xa0\n'
    assert not [d for d in _diagnose(text) if d.severity == "error" and d.code != "E102"]


# ---------------------------------------------------------------- what compiles runs nothing else

HOSTILE = [
    'x\n"""\nimport os; os.system("touch pwned")\n"""',
    "x\n'''\n__import__('builtins').PWNED = 1\n'''",
    "x \\\n__import__('builtins').PWNED = 1",
    "x\r__import__('builtins').PWNED = 1 #",
    "# \n__import__('builtins').PWNED = 1",
    '" + str(__import__("builtins").__setattr__("PWNED", 1)) + "',
    "\u202e\n__import__('builtins').PWNED = 1 \u2066",
    "\u2028__import__('builtins').PWNED = 1",
    "\x85__import__('builtins').PWNED = 1\x0c",
    "</script><!-- `x` | **y** [l](javascript:alert(1)) # h",
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_in_every_place_stays_data(tmp_path, monkeypatch, hostile):
    monkeypatch.chdir(tmp_path)
    q = dsl_text(hostile)
    sentence = dsl_text(hostile.replace("{", "(").replace("}", ")").translate({ord(d): None for d in "0123456789"}))
    source = f'''policy esc.h {q}
  source {dsl_text(article_name(hostile))} section {q}
  question {q}
  summary {q}
  note {q}
enum kind {q}
  a {q}
record item {q}
  v: text {q}
input k: kind = a {q}
input t: text = {q} {q}
input items: optional list of item max 2 {q}
let same = t = {q} {q}
output said: text {q}
check t_ok {sentence} requires length(t) >= 0
rule only {sentence}
  when same
  then said = {q}
  note {q}
table rest by length(t) {q}
  short (-∞, 5]: said = t {sentence}
  long (5, ∞): said = {q} {sentence}
  note {q}
'''
    module = compile_policy(tmp_path, "esc.h", source)
    assert not hasattr(__import__("builtins"), "PWNED")
    assert not (tmp_path / "pwned").exists()
    src = Path(module.__file__).read_text(encoding="utf-8")
    tree = ast.parse(src)
    # Every character that reorders, hides or ends a line is written as an escape in the module.
    assert not [ch for ch in src if ch in BIDI_CONTROLS or ch in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00"]
    # No name the text mentions became code; the module's statements are the emitter's own.
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & {"os", "__import__", "PWNED", "builtins", "alert", "javascript"}
    assert all(isinstance(s, (ast.Expr, ast.ImportFrom, ast.Import, ast.Assign, ast.AnnAssign, ast.If, ast.FunctionDef))
               for s in tree.body)
    # The text round-trips where it is shown.
    assert module.TITLE == hostile
    assert module.__doc__.startswith(hostile.replace("\r\n", " ").replace("\r", " ").replace("\n", " "))
    d = module.evaluate({"t": hostile})
    assert d.outputs["said"] == hostile and d.rule == "only"
    assert module.evaluate({"t": "other"}).outputs["said"] == "other"
    assert not hasattr(__import__("builtins"), "PWNED")
    schema = json.loads((tmp_path / "generated" / "schemas" / "esc" / "h.json").read_text(encoding="utf-8"))
    assert schema["title"] == hostile and schema["properties"]["t"]["default"] == hostile
    page = (tmp_path / "generated" / "docs" / "esc" / "h.md").read_text(encoding="utf-8")
    assert not [line for line in page.split("\n") if line.startswith(("__import__", "import os", "'''", '"""'))]
    page = outside_code(page)  # inside a code span, `<b>` is shown as written, never as HTML
    for raw in ("<script", "</script", "<!--"):
        assert raw not in page
    assert not re.search(r"(?<!\\)\]\(javascript", page)  # no link opens


@pytest.fixture(autouse=True)
def _no_pwned():
    yield
    if hasattr(__import__("builtins"), "PWNED"):
        delattr(__import__("builtins"), "PWNED")
        pytest.fail("policy text ran as code")
    assert "pwned" not in sys.modules
