"""Text from a policy never becomes code: labels, enum labels, rule sentences, notes, the
summary, the title and `"text"` literals that hold quotes, backslashes, triple quotes, new lines,
braces, `|`, HTML, `</script>`, right-to-left marks, zero-width joiners and emoji come out of
the Python evaluator, the Markdown page and the JSON Schema exactly as written -- as data.

Each test compiles a policy in a temporary project (policies/ + examples, pipeline.load, build,
write_tree) and imports its evaluator from there; the repository's generated/ is never touched,
and sys.path and the `generated` modules are put back afterwards.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from compiler import pipeline
from tests.support import dsl_text, own_generated_package, project_data

# Labels (titles, enum labels, input labels, notes, summary): anything at all, braces included.
LABEL = ('L "quote" \\back\\slash \\n """triple""" \'\'\'single\'\'\' new\nline {{ }} } { a|b <b>bold</b> '
         '</script><script>alert(1)</script> <!-- \u202eRTL\u202c zw\u200dj 😀 $x `tick` *star* _u_ # [l](u)')
# Counselor sentences: the same, without braces (a `{` opens a placeholder; see the last tests)
# and without digits (a number in a sentence must be one of its rule's numbers).
SENTENCE = ('S "quote" \\back\\slash \\n """triple""" \'\'\'single\'\'\' new\nline a|b <b>bold</b> '
            '</script><script>alert()</script> <!-- \u202eRTL\u202c zw\u200dj 😀 `tick` *star* ~x~ ')
# A text literal (a default, a comparison, an output value).
LITERAL = 'lit "q" \\ """ \'\'\' \n | <b> </script> \u202e \u200d 😀 {{ }'
INJECTIONS = [
    '"); import os; os.system("x"); ("',
    "'); import os; os.system('x'); ('",
    '"""); import os; os.system("x"); ("""',
    "'''); import os; os.system('x'); ('''",
    '\\"); import os; #',
    'x\n"""\nimport os\nos.system("x")\n"""',
    '{__import__("os").system("x")}',
    '</script><script>alert(1)</script>',
    '" + __import__("os").system("x") + "',
]


def q(text: str) -> str:
    """Write text as a policy string literal (invisible characters as `\\u{…}` escapes)."""
    return dsl_text(text)


_IDS = itertools.count()


def article_name(label: str) -> str:
    """The label as an article's file name: every character kept but the two no file name may hold."""
    return label.replace("/", "\u2215").replace("\0", "\u2400")


def policy_source(name: str, label: str, sentence: str, literal: str) -> str:
    L, S, T = q(label), q(sentence), q(literal)
    return f'''policy esc.{name} {L}
  source {q(article_name(label))} section {L}
  question {L}
  summary {L}
  note {L}

enum kind {L}
  plain {L}
  odd {L}

record item {L}
  id: text {L}

input memo: text = {T} {L}
input k: kind = plain {L}
input n: int = 0 {L}
input items: optional list of item max 3 {L}

output said: text {L}
output fee: money {L}

rule literal_match {S}
  when memo = {T}
  then said = {T}, fee = 0원
  note {L}

rule shows_memo {q("메모 {memo}: " + sentence)}
  when k = odd
  then said = memo, fee = 0원

table by_n by n {S}
  low (-∞, 0]: said = {T}, fee = 0원 {S}
  high (0, ∞): said = memo, fee = 0원 {S}
  note {L}
'''


@contextlib.contextmanager
def compiled(tmp_path: Path, label: str = LABEL, sentence: str = SENTENCE, literal: str = LITERAL,
             examples: list | None = None):
    """Compile the policy in tmp_path; yield (module, files). Restores sys.path and sys.modules."""
    name = f"p{next(_IDS)}"  # a fresh module name in every test: nothing cached in between
    policy_dir = tmp_path / "policies" / "esc"
    policy_dir.mkdir(parents=True)
    (policy_dir / f"{name}.policy").write_text(policy_source(name, label, sentence, literal), encoding="utf-8")
    if examples is None:
        examples = [{"name": label, "input": {"memo": literal}, "expected": {"said": literal, "fee": 0},
                     "rule": "literal_match", "note": label},
                    {"name": "odd " + label, "input": {"memo": label, "k": "odd"}, "expected": {"said": label}}]
    # Double-quoted, every character past ASCII escaped: PyYAML writes U+0085 raw in a plain or
    # single-quoted scalar (where it reads back as a line break), and a raw bidirectional control
    # in an examples file is refused (E315); the texts the compiler reads are the same.
    text = yaml.safe_dump(examples, allow_unicode=False, default_style='"')
    (policy_dir / f"{name}.examples.yaml").write_text(text, encoding="utf-8")
    project_data(tmp_path)
    loaded = pipeline.load(tmp_path)
    assert not loaded.errors, [f"{d.span.line}:{d.span.col} {d.code} {d.message}" for d in loaded.errors]
    files = pipeline.build(loaded.policies)
    pipeline.write_tree(files, tmp_path / "generated")
    with own_generated_package():
        module = pipeline.import_evaluator(f"esc.{name}", tmp_path)
        assert Path(module.__file__).resolve().is_relative_to(tmp_path.resolve())
        yield module, {k.replace(f"/{name}.", "/x."): v for k, v in files.items()}


def code_of(tree: ast.AST) -> tuple[set[str], set[str], list[str]]:
    """The names, attributes and imported modules a module's code uses (its strings excluded)."""
    names, attrs, imports = set(), set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            attrs.add(node.attr)
        elif isinstance(node, ast.Import):
            imports += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            imports.append("." * node.level + (node.module or ""))
    return names, attrs, imports


def strings_of(tree: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


# ---------------------------------------------------------------- Python


def test_python_keeps_every_text_exactly(tmp_path):
    with compiled(tmp_path) as (m, files):
        src = files["esc/x.py"]
        compile(src, "x.py", "exec")
        assert m.TITLE == LABEL
        # The module's docstring is made of the title and the source: equal once read back.
        assert m.__doc__.startswith(LABEL.replace("\n", " ") + " (esc.")
        assert m.evaluate.__doc__ == f"Decide {LABEL.replace(chr(10), ' ')} for one input; raise InvalidInput if it does not fit."

        d = m.evaluate({"memo": LITERAL})
        assert (d.rule, d.outputs["said"], d.explanation) == ("literal_match", LITERAL, SENTENCE)
        d = m.evaluate({"memo": LABEL, "k": "odd"})
        assert (d.rule, d.outputs["said"], d.explanation) == ("shows_memo", LABEL, f"메모 {LABEL}: {SENTENCE}")
        d = m.evaluate({})  # the default memo is the literal itself
        assert (d.rule, d.outputs["said"]) == ("literal_match", LITERAL)
        d = m.evaluate({"memo": "plain", "n": -1})
        assert (d.rule, d.outputs["said"], d.explanation) == ("by_n.low", LITERAL, SENTENCE)
        d = m.evaluate({"memo": "plain", "n": 1})
        assert (d.rule, d.explanation) == ("by_n.high", SENTENCE)
        assert json.loads(json.dumps(d.to_dict())) == d.to_dict()
        for inputs in ({"memo": LITERAL}, {"memo": LABEL, "k": "odd"}, {"memo": "plain", "n": -1}):
            d = m.evaluate(inputs)
            assert d.to_json() == json.dumps(d.to_dict(), ensure_ascii=False)

        # A text literal is one string constant; no label became a name, an attribute or an import.
        tree = ast.parse(src)
        assert LITERAL in strings_of(tree)
        names, attrs, imports = code_of(tree)
        assert "os" not in names | attrs and "system" not in attrs and "alert" not in names
        assert set(imports) <= {"__future__", "collections.abc", "datetime", "decimal", "typing", "..", ".._runtime"}
        # A new line in a label ends no comment and no docstring: its second half starts no line.
        assert not [line for line in src.split("\n") if line.lstrip().startswith("line ")]
        assert "\r" not in src


@pytest.mark.parametrize("ch", ["\x00", "\r", "\t", "\x0b", "\x0c", "\x1b", "\x85", "\u2028", "\u2029", "\ufeff",
                                "\x7f", "\U0001f469\u200d\U0001f4bb"], ids=repr)
def test_control_and_separator_characters(tmp_path, ch):
    """Python source cannot hold a NUL byte: one in a label once made the build itself fail."""
    label, sentence, literal = f"a{ch}b", f"s{ch}t", f"l{ch}m"
    with compiled(tmp_path, label=label, sentence=sentence, literal=literal) as (m, files):
        assert m.TITLE == label
        d = m.evaluate({"memo": literal})
        assert (d.outputs["said"], d.explanation) == (literal, sentence)
        assert json.loads(files["schemas/esc/x.json"])["title"] == label


@pytest.mark.parametrize("injection", INJECTIONS)
def test_code_injection_in_policy_text_stays_data(tmp_path, injection):
    sentence = injection.replace("{", "(").replace("}", ")").replace("1", "")
    with compiled(tmp_path, label=injection, sentence=sentence, literal=injection) as (m, files):
        tree = ast.parse(files["esc/x.py"])
        names, attrs, imports = code_of(tree)
        assert "os" not in names and "system" not in attrs and "__import__" not in names
        assert "os" not in imports
        assert m.TITLE == injection
        d = m.evaluate({"memo": injection})
        assert (d.outputs["said"], d.explanation) == (injection, sentence)
        assert m.evaluate({"memo": "y", "k": "odd"}).explanation == f"메모 y: {sentence}"
        # The schema and the page hold it as text too.
        schema = json.loads(files["schemas/esc/x.json"])
        assert schema["title"] == injection and schema["properties"]["memo"]["default"] == injection
        page = outside_code(files["docs/esc/x.md"])
        assert "<script" not in page


# ---------------------------------------------------------------- JSON Schema


def test_schema_titles_equal_the_labels(tmp_path):
    with compiled(tmp_path) as (m, files):
        text = files["schemas/esc/x.json"]
        schema = json.loads(text)
        Draft202012Validator.check_schema(schema)
        assert schema["title"] == LABEL
        assert schema["description"] == LABEL  # the summary
        for name in ("memo", "k", "n", "items"):
            assert schema["properties"][name]["title"] == LABEL, name
        assert schema["properties"]["memo"]["default"] == LITERAL
        assert schema["$defs"]["kind"]["title"] == LABEL
        assert schema["$defs"]["kind"]["x-labels"] == {"plain": LABEL, "odd": LABEL}
        assert schema["$defs"]["item"]["title"] == LABEL
        assert schema["$defs"]["item"]["properties"]["id"]["title"] == LABEL
        outputs = schema["$defs"]["decision"]["properties"]["outputs"]["properties"]
        assert outputs["said"]["title"] == outputs["fee"]["title"] == LABEL
        # New lines are escaped: one JSON member per line of the file.
        assert all(line.startswith(" ") or line in ("{", "}") for line in text.split("\n")[:-1])
        # What the schema accepts, the evaluator accepts, and its decision fits.
        inp = {"memo": LABEL, "k": "odd", "items": [{"id": LABEL}]}
        assert Draft202012Validator(schema).is_valid(inp)
        decision = m.evaluate(inp).to_dict()
        assert Draft202012Validator({"$ref": "#/$defs/decision", "$defs": schema["$defs"]}).is_valid(decision)


# ---------------------------------------------------------------- Markdown


_CODE_SPAN = re.compile(r"(?<![\\`])(`+)(?!`)(.*?)(?<!`)\1(?!`)")


def outside_code(page: str) -> str:
    """The page without its code spans: inside one, `<b>` is shown as written, never as HTML."""
    return _CODE_SPAN.sub("", page)


def _cells(row: str) -> list[str]:
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_markdown_escapes_pipes_html_and_new_lines(tmp_path):
    with compiled(tmp_path) as (m, files):
        page = files["docs/esc/x.md"]
        # No HTML from the policy survives outside code spans: no tag opens, no script runs, no
        # comment hides the rest.
        for raw in ("<b>", "</b>", "<script", "</script", "<!--"):
            assert raw not in outside_code(page), raw
        assert "&lt;b&gt;" in page and "&lt;/script&gt;" in page
        # No `|` from the policy is raw inside a table: each table's rows keep their column count.
        assert not [r for r in page.split("\n") if r.startswith("|") and "a|b" in r]
        assert "a\\|b" in page
        tables: list[list[str]] = []
        previous = ""
        for line in page.split("\n"):
            if line.startswith("|"):
                if not previous.startswith("|"):
                    tables.append([])
                tables[-1].append(line)
            previous = line
        assert tables, "the page has tables"
        for rows in tables:
            widths = {len(_cells(r)) for r in rows}
            assert len(widths) == 1, rows
        # A new line in policy text cannot end a table row or start a heading or list.
        for line in page.split("\n"):
            assert not line.startswith(("new", "line", "# [l]", "</")), line
        # The right-to-left mark, the zero-width joiner and the emoji stay (they are text).
        assert "\u202e" in page and "\u200d" in page and "😀" in page


def test_the_index_escapes_the_title(tmp_path):
    with compiled(tmp_path) as (m, files):
        index = files["docs/index.md"]
        for raw in ("<b>", "<script", "<!--"):
            assert raw not in outside_code(index)
        assert not [r for r in index.split("\n") if r.startswith("|") and "a|b" in r]
        assert LABEL.split("\n")[0].split(" ")[0] in index


# ---------------------------------------------------------------- braces


@pytest.mark.parametrize("sentence, code", [
    ("unbalanced {{ braces", "E201"),
    ("a lone } brace", "E201"),
    ("a lone { brace", "E201"),
    ("{ } is a placeholder with no name", "E200"),
    ("{{memo}} doubles nothing", "E201"),
    ("{os.system('x')}", "E200"),
])
def test_braces_in_a_sentence_are_placeholders_or_errors(tmp_path, sentence, code):
    policy_dir = tmp_path / "policies" / "esc"
    policy_dir.mkdir(parents=True)
    (policy_dir / "b.policy").write_text(policy_source("b", "label", sentence, "t"), encoding="utf-8")
    loaded = pipeline.load(tmp_path)
    assert code in {d.code for d in loaded.errors}, [(d.code, d.message) for d in loaded.diagnostics]
    assert not loaded.policies  # nothing is generated from it


def test_braces_in_labels_and_literals_are_plain_text(tmp_path):
    label = "{memo} {{ }} { }"
    literal = "{memo} {fee}"
    with compiled(tmp_path, label=label, sentence="sentence", literal=literal) as (m, files):
        assert m.TITLE == label
        d = m.evaluate({"memo": literal})
        assert d.outputs["said"] == literal and d.explanation == "sentence"
        assert json.loads(files["schemas/esc/x.json"])["title"] == label
