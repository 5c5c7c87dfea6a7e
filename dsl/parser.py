"""Parses policy text into the typed AST of dsl/ast.py; syntax errors become diagnostics."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from compiler.diagnostics import FRIENDLY_TOKENS, Diagnostic, PolicyError, Related
from dsl import ast as A

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")

DEFAULT_ZONE = "Asia/Seoul"

# Common mistakes, recognised by `UnexpectedInput.match_examples` (lark GRAMMAR_ERRORS).
_MISTAKES: dict[str, list[str]] = {
    "a policy file starts with `policy <domain>.<name> \"title\"`": [
        'input fare: money "운임"',
        'rule a "x" when true then fee = 0원',
    ],
    "a rule needs `when <condition>` (or `otherwise`) before `then`": [
        'policy a.b "t" rule r "x" then fee = 0원',
    ],
    "a rule needs `then <output> = <value>` after its condition": [
        'policy a.b "t" rule r "x" when true rule',
        'policy a.b "t" rule r "x" when true "y"',
    ],
    "every declaration needs a Korean label in quotes after it": [
        "policy a.b \"t\" input fare: money input",
        "policy a.b \"t\" input fare: money output",
        "policy a.b \"t\" output fee: money rule",
    ],
    "an interval is written with explicit ends, like `[9h, 24h)`": [
        'policy a.b "t" table t by x "y" r 9h',
        'policy a.b "t" table t by x "y" r [9h 24h)',
    ],
}

_DURATION_UNITS = {
    "d": timedelta(days=1), "일": timedelta(days=1),
    "h": timedelta(hours=1), "시간": timedelta(hours=1),
    "min": timedelta(minutes=1), "분": timedelta(minutes=1),
    "s": timedelta(seconds=1), "초": timedelta(seconds=1),
}
_DURATION_PART = re.compile(r"(\d+)(min|시간|분|초|일|d|h|s)")


# The same mistakes after a first declaration: match_examples compares parser states,
# stack depth included, so each example is also given one declaration deeper.
for _label, _snippets in list(_MISTAKES.items()):
    _MISTAKES[_label] = _snippets + [
        s.replace('policy a.b "t" ', 'policy a.b "t" input a: money "a" ', 1) for s in _snippets if s.startswith('policy a.b "t" ')
    ]

MAX_NESTING = 200  # deeper expressions are refused with a diagnostic instead of exhausting the stack


# Building the LALR tables from grammar.lark takes a tenth of a second, a third of `policyc check FILE`.
# They are committed in grammar.json beside the grammar: lark's own serialisation as JSON (no
# pickle, nothing executable), with the digest of the grammar and the lark version they were built
# from. A parser is built from the grammar itself whenever the digest does not match, so a stale
# file costs time, never a wrong parse. Lark numbers the parser states in an order that changes
# from run to run, so the file is not reproducible byte for byte; tests/test_grammar_tables.py holds
# its digest current and its parser equal in every parse to one built from the grammar.
# `python -m dsl.parser` rewrites it.
TABLES_PATH = Path(__file__).with_name("grammar.json")
_LARK_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True, "maybe_placeholders": False}


def grammar_key(grammar: str) -> str:
    """The digest grammar.json is stamped with: the grammar's text and the lark version."""
    import hashlib

    import lark

    return hashlib.sha256(f"lark {lark.__version__}\n{grammar}".encode("utf-8")).hexdigest()


def build_lark(grammar: str) -> Lark:
    """The parser built from the grammar's text (what grammar.json saves the work of)."""
    return Lark(grammar, **_LARK_OPTIONS, lexer_callbacks={"COMMENT": _check_comment})


def grammar_tables() -> str:
    """grammar.json for the current grammar.lark."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    grammar = GRAMMAR_PATH.read_text(encoding="utf-8")
    data, memo = build_lark(grammar).memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k != "lexer_callbacks"}  # code: given at load
    # JSON keys are texts; lark's tables key by numbers, and no text key of them is all digits.
    return json.dumps({"grammar": grammar_key(grammar), "data": data, "memo": memo},
                      sort_keys=True, ensure_ascii=False, indent=0) + "\n"


def _int_keys(pairs: list) -> dict:
    return {int(k) if k.isdigit() else k: v for k, v in pairs}


def load_tables(text: str, grammar: str) -> Lark | None:
    """The parser saved in grammar.json's text, or None when it was saved for another grammar."""
    try:
        tables = json.loads(text, object_pairs_hook=_int_keys)
    except ValueError:
        return None
    if not isinstance(tables, dict) or tables.get("grammar") != grammar_key(grammar):
        return None
    return Lark._load_from_dict(tables["data"], tables["memo"], lexer_callbacks={"COMMENT": _check_comment})


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = GRAMMAR_PATH.read_text(encoding="utf-8")
    try:
        text = TABLES_PATH.read_text(encoding="utf-8")
    except OSError:
        return build_lark(grammar)
    return load_tables(text, grammar) or build_lark(grammar)


# Bidirectional controls reorder how a line is shown, not how it is read (Trojan Source,
# CVE-2021-42574): a comment holding one can make the code around it look like something else.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class _BidiInComment(Exception):
    def __init__(self, token: Token, offset: int):
        super().__init__(token)
        self.token = token
        self.offset = offset


def _check_comment(token: Token) -> Token:
    for i, ch in enumerate(str(token)):
        if ch in BIDI_CONTROLS:
            raise _BidiInComment(token, i)
    return token


def _bidi_diagnostic(err: _BidiInComment, path: str) -> Diagnostic:
    ch = str(err.token)[err.offset]
    col = err.token.column + err.offset
    name = unicodedata.name(ch, "a bidirectional control")
    return Diagnostic("E012", f"invisible character U+{ord(ch):04X} ({name}) in a comment",
                      A.Span(path, err.token.line, col, err.token.line, col + 1),
                      help="delete it: it changes how the lines around it are shown, not what they do")


def parse(text: str, path: str = "<policy>") -> A.Policy:
    """Parse one policy file. Raise PolicyError with one diagnostic on a syntax error."""
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte order mark, as some editors write: not part of the policy
    try:
        tree = _lark().parse(text)
    except _BidiInComment as err:
        raise PolicyError([_bidi_diagnostic(err, path)]) from None
    except UnexpectedInput as err:
        raise PolicyError([_syntax_diagnostic(err, text, path)]) from None
    except RecursionError:
        raise PolicyError([_too_deep(path)]) from None
    too_deep = _too_deep_expression(tree, path)
    if too_deep is not None:
        raise PolicyError([too_deep])
    try:
        return _ToAst(path).transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, PolicyError):
            raise err.orig_exc from None
        if isinstance(err.orig_exc, RecursionError):
            raise PolicyError([_too_deep(path)]) from None
        raise
    except RecursionError:
        raise PolicyError([_too_deep(path)]) from None


# Parse-tree nodes that are expressions. Every later stage walks an expression recursively, about
# three stack frames per node on the way down, whether the node nests (`min(min(…))`) or chains
# (`a + b + c`, one `add` per term); the structure of the file around it costs nothing.
_EXPRESSIONS = frozenset({
    "or_op", "and_op", "not_op", "compare", "equals", "is_given", "is_missing", "in_interval", "in_period",
    "in_set", "at_most", "at_least", "clamp", "add", "sub", "mul", "div", "percent_of", "neg", "field",
    "call", "count", "collect", "sum_of", "sum_expr_of", "last_day_of_month", "where",
})
_CHAINS = frozenset({"or_op", "and_op", "add", "sub", "mul", "div"})


def _too_deep_expression(tree, path: str) -> Diagnostic | None:
    """The diagnostic for the first expression nested deeper than MAX_NESTING, measured without
    recursion; it points at the part of the expression that is one level too deep."""
    stack = [(tree, 0, 0, None)]  # node, expression depth, links of a chain on the way, the node at MAX + 1
    while stack:
        node, depth, chained, deep = stack.pop()
        if isinstance(node, Tree) and node.data in _EXPRESSIONS:
            depth += 1
            if depth == MAX_NESTING + 1:
                deep = node
            if node.data in _CHAINS and node.children and isinstance(node.children[0], Tree) and node.children[0].data == node.data:
                chained += 1
        if deep is not None and depth > MAX_NESTING:
            meta = deep.meta
            line, col = getattr(meta, "line", 1), getattr(meta, "column", 1)
            span = A.Span(path, line, col, getattr(meta, "end_line", line), getattr(meta, "end_column", col + 1))
            if chained * 2 > depth:  # mostly a long run of `+`, `and`, … rather than nesting
                return Diagnostic("E010", f"an expression has too many terms in a row (more than {MAX_NESTING})", span,
                                  help="add up parts in `let`s, then add the `let`s")
            return Diagnostic("E010", f"an expression is nested too deeply (more than {MAX_NESTING} levels)", span,
                              help=f"split it into `let`s; at most {MAX_NESTING} levels are allowed")
        for child in getattr(node, "children", ()):
            if isinstance(child, Tree):
                stack.append((child, depth, chained, deep))
    return None


def _too_deep(path: str, depth: int | None = None) -> Diagnostic:
    return Diagnostic("E010", "an expression is nested too deeply" + (f" ({depth} levels)" if depth else ""),
                      A.Span(path, 1, 1, 1, 2), help=f"split it into `let`s; at most {MAX_NESTING} levels are allowed")


def parse_file(path: Path | str, root: Path | None = None) -> A.Policy:
    """Read and parse a policy file; the span path is relative to root when given."""
    p = Path(path)
    shown = p.as_posix()  # INVARIANT: spans carry the path as given or relative to root, never made absolute
    if root is not None:
        try:
            shown = p.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        span = A.Span(shown, 1, 1, 1, 2)
        raise PolicyError([Diagnostic("E001", f"the file is not UTF-8 text (byte {err.start})", span,
                                      help="save the policy file as UTF-8")]) from None
    return parse(text, shown)


# ---------------------------------------------------------------- syntax errors


def _syntax_diagnostic(err: UnexpectedInput, text: str, path: str) -> Diagnostic:
    line = getattr(err, "line", 1) or 1
    col = getattr(err, "column", 1) or 1
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        lines = text.splitlines() or [""]
        line = len(lines)
        col = len(lines[-1]) + 1
        span = A.Span(path, line, col, line, col + 1)
        expected = _friendly_expected(getattr(err, "expected", ()) or ())
        return Diagnostic("E002", "unexpected end of file", span, expected=expected,
                          help="finish the declaration that starts above")
    if isinstance(err, UnexpectedCharacters):
        ch = text[err.pos_in_stream] if 0 <= err.pos_in_stream < len(text) else "?"
        span = A.Span(path, line, col, line, col + 1)
        if ch == '"':
            rest = text[err.pos_in_stream + 1:].split("\n", 1)[0]
            return Diagnostic("E011", "this text is not closed", span,
                              help='end it with `"` on the same line' + (" (a `\\` before the last `\"` escapes it)" if rest.endswith('\\"') else ""))
        if invisible(ch) and ch != "\t":
            name = unicodedata.name(ch, "a control character")
            return Diagnostic("E012", f"invisible character U+{ord(ch):04X} ({name}) outside text", span,
                              help="delete it (most editors do not show it)")
        help_text = _char_help(ch)
        shown = ch if ch.isprintable() and not ch.isspace() else repr(ch)
        return Diagnostic("E003", f"unexpected character `{shown}`", span,
                          expected=_friendly_expected(err.allowed or ()), help=help_text)
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    end_col = (tok.end_column if tok.end_line == tok.line and tok.end_column else col + max(1, len(str(tok))))
    span = A.Span(path, line, col, line, end_col)
    label = _match_mistake(err, text)
    shown = str(tok).replace("\n", " ")
    if len(shown) > 40:
        shown = shown[:37] + "..."
    expected = _friendly_expected(err.expected or ())
    return Diagnostic("E004", f"unexpected `{shown}`", span, expected=expected, help=label)


def _match_mistake(err: UnexpectedInput, text: str) -> str | None:
    try:
        return err.match_examples(_lark().parse, _MISTAKES, use_accepts=True)
    except Exception:  # match_examples re-parses snippets; a failure there must not hide the error
        return None


def _friendly_expected(names) -> tuple[str, ...]:
    words: list[str] = []
    for name in sorted(set(names)):
        if name.startswith("__ANON") or name in ("WS", "COMMENT"):
            continue
        word = FRIENDLY_TOKENS.get(name)
        if word is None:
            # Keyword terminals are named after their text (e.g. RULE -> `rule`).
            word = f"`{name.lower()}`" if name.isupper() and name.isalpha() else None
        if word and word not in words:
            words.append(word)
    return tuple(words)


def _char_help(ch: str) -> str | None:
    if ch.isalpha() and ch.isupper() and ch.isascii():
        return "names are lowercase letters, digits and `_`"
    if ch in "'“”‘’":
        return 'write text between straight double quotes: "…"'
    if ch == "\t":
        return None
    if not ch.isascii():
        return "Korean text belongs inside double quotes"
    return None


# ---------------------------------------------------------------- tree -> AST


def _tok_span(path: str, tok: Token) -> A.Span:
    return A.Span(path, tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + len(tok))


class _Default:
    __slots__ = ("expr",)

    def __init__(self, expr):
        self.expr = expr


class _Note:
    __slots__ = ("label",)

    def __init__(self, label):
        self.label = label


class _MaxSize:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _MinSize:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


NUMERIC_TYPES = ("int", "money", "number", "percent")


class _Otherwise:
    pass


class _Zone:
    __slots__ = ("name", "span")

    def __init__(self, name, span):
        self.name = name
        self.span = span


_OTHERWISE = _Otherwise()


@v_args(meta=True)
class _ToAst(Transformer):
    """One method per grammar rule, each returning the AST node of the same name."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    # -- helpers
    def _span(self, meta, fallback: A.Span | None = None) -> A.Span:
        if getattr(meta, "empty", True):
            return fallback or A.Span(self.path, 1, 1, 1, 1)
        return A.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _name(self, tok: Token) -> A.Span:
        return _tok_span(self.path, tok)

    def _label(self, tok: Token) -> A.Label:
        text, columns = _unquote_columns(tok, self.path)
        return A.Label(text, _tok_span(self.path, tok), columns)

    # -- file
    def start(self, meta, children):
        header, *items = children
        pid, title, metas = header
        enums, records, inputs, outputs, lets, checks, deciders = [], [], [], [], [], [], []
        for item in items:
            {
                A.EnumDecl: enums, A.RecordDecl: records, A.InputDecl: inputs,
                A.OutputDecl: outputs, A.LetDecl: lets, A.Check: checks, A.Rule: deciders,
                A.WindowTable: deciders, A.GridTable: deciders,
            }[type(item)].append(item)
        seen_meta: dict[str, A.Span] = {}
        for m in metas:
            if m[0] in ("effective", "zone", "question", "summary"):
                span = m[1].span if hasattr(m[1], "span") else self._span(meta)
                if m[0] in seen_meta:
                    raise PolicyError([Diagnostic("E009", f"`{m[0]}` is given twice", span,
                                                  help=f"keep one `{m[0]}` line",
                                                  related=(Related(seen_meta[m[0]], "first given here"),))])
                seen_meta[m[0]] = span
        sources = tuple(m[1] for m in metas if m[0] == "source")
        def one(kind):
            found = [m[1] for m in metas if m[0] == kind]
            return found[-1] if found else None
        zone = one("zone")
        zone, zone_span = (zone.name, zone.span) if zone is not None else (None, None)
        return A.Policy(
            id=str(pid), title=title, sources=sources, effective=one("effective"),
            zone=zone if zone is not None else DEFAULT_ZONE,
            question=one("question"), summary=one("summary"),
            notes=tuple(m[1] for m in metas if m[0] == "note"),
            enums=tuple(enums), records=tuple(records), inputs=tuple(inputs),
            outputs=tuple(outputs), lets=tuple(lets), checks=tuple(checks), deciders=tuple(deciders),
            path=self.path, span=self._span(meta), id_span=_tok_span(self.path, pid),
            zone_span=zone_span,
        )

    def header(self, meta, children):
        pid, title, *metas = children
        return pid, self._label(title), metas

    def source(self, meta, children):
        file, section = children
        return ("source", A.Source(_unquote(file, self.path), _unquote(section, self.path), self._span(meta)))

    def effective(self, meta, children):
        return ("effective", _date_lit(children[0], self.path))

    def zone(self, meta, children):
        return ("zone", _Zone(str(children[0]), _tok_span(self.path, children[0])))

    def question(self, meta, children):
        return ("question", self._label(children[0]))

    def summary(self, meta, children):
        return ("summary", self._label(children[0]))

    def policy_note(self, meta, children):
        return ("note", self._label(children[0]))

    # -- declarations
    def enum_decl(self, meta, children):
        name, label, *values = children
        return A.EnumDecl(str(name), self._label(label), tuple(values), self._span(meta), self._name(name))

    def enum_value(self, meta, children):
        name, label = children
        return A.EnumValue(str(name), self._label(label), self._span(meta), self._name(name))

    def record_decl(self, meta, children):
        name, label, *fields = children
        return A.RecordDecl(str(name), self._label(label), tuple(fields), self._span(meta), self._name(name))

    def record_field(self, meta, children):
        name, type_ref, label = children
        return A.RecordField(str(name), type_ref, self._label(label), self._span(meta), self._name(name))

    def input_decl(self, meta, children):
        name, type_ref, *rest = children
        default = rest[0].expr if isinstance(rest[0], _Default) else None
        return A.InputDecl(str(name), type_ref, default, self._label(rest[-1]), self._span(meta), self._name(name))

    def output_decl(self, meta, children):
        name, type_ref, *rest = children
        formula = rest[0].expr if isinstance(rest[0], _Default) else None
        return A.OutputDecl(str(name), type_ref, formula, self._label(rest[-1]), self._span(meta), self._name(name))

    def let_decl(self, meta, children):
        name, formula, label = children
        return A.LetDecl(str(name), formula, self._label(label), self._span(meta), self._name(name))

    def default(self, meta, children):
        return _Default(children[0])

    def type_ref(self, meta, children):
        optional = is_list = False
        name = None
        max_size = min_size = None
        for c in children:
            if isinstance(c, Token) and c.type == "OPTIONAL":
                optional = True
            elif isinstance(c, Token) and c.type == "LIST_OF":
                is_list = True
            elif isinstance(c, _MaxSize):
                max_size = c.value
            elif isinstance(c, _MinSize):
                min_size = c.value
            else:
                name = str(c)
        numeric = not is_list and name in NUMERIC_TYPES
        return A.TypeRef(
            name=name, is_list=is_list, optional=optional,
            max_items=max_size if is_list else None,
            max_length=max_size if not is_list and not numeric else None,
            span=self._span(meta),
            min_value=min_size,
            max_value=max_size if numeric else None,
        )

    def min_size(self, meta, children):
        return _MinSize(int(children[0]))

    def max_size(self, meta, children):
        return _MaxSize(int(children[0]))

    # -- deciders
    def rule(self, meta, children):
        name, says, condition, *rest = children
        assignments = rest.pop(0) if rest and isinstance(rest[0], tuple) else ()
        note = rest[0].label if rest else None
        cond = None if isinstance(condition, _Otherwise) else condition
        return A.Rule(str(name), self._label(says), cond, assignments, note, self._span(meta), self._name(name))

    def check(self, meta, children):
        name, *rest = children
        review = bool(rest) and isinstance(rest[0], Token) and rest[0].type == "REVIEW"
        if review:
            rest = rest[1:]
        message, condition, *tail = rest
        note = tail[0].label if tail else None
        return A.Check(str(name), self._label(message), review, condition, note, self._span(meta), self._name(name))

    def when(self, meta, children):
        return children[0]

    def otherwise(self, meta, children):
        return _OTHERWISE

    def assignments(self, meta, children):
        return tuple(children)

    def assignment(self, meta, children):
        target, value = children
        return A.Assignment(str(target), value, self._span(meta))

    def note(self, meta, children):
        return _Note(self._label(children[0]))

    def window_table(self, meta, children):
        name, key, title, *rest = children
        note = rest.pop().label if rest and isinstance(rest[-1], _Note) else None
        return A.WindowTable(str(name), key, self._label(title), tuple(rest), note, self._span(meta), self._name(name))

    def table_row(self, meta, children):
        if len(children) == 3:  # a row of an enum-keyed table: named by the value, no interval
            name, assignments, says = children
            interval = None
        else:
            name, interval, assignments, says = children
        return A.TableRow(str(name), interval, assignments, self._label(says), self._span(meta), self._name(name))

    def grid_table(self, meta, children):
        name, target, row_key, col_key, says, heads, *rest = children
        note = rest.pop().label if rest and isinstance(rest[-1], _Note) else None
        return A.GridTable(str(name), str(target), row_key, col_key, self._label(says),
                           heads, tuple(rest), note, self._span(meta), self._name(name))

    def grid_heads(self, meta, children):
        return tuple(children)

    def grid_head(self, meta, children):
        name, *interval = children
        return A.GridHead(str(name), interval[0] if interval else None, self._span(meta))

    def grid_row(self, meta, children):
        name = children[0]
        if len(children) > 1 and isinstance(children[1], A.Interval):
            head = A.GridHead(str(name), children[1], _join(_tok_span(self.path, name), children[1].span))
            cells = children[2:]
        else:
            head = A.GridHead(str(name), None, _tok_span(self.path, name))
            cells = children[1:]
        return A.GridRow(head, tuple(cells), self._span(meta))

    # -- intervals
    def _interval(self, meta, children, low_closed, high_closed):
        low, high = children
        return A.Interval(low, low_closed, high, high_closed, self._span(meta))

    def closed_closed(self, meta, children):
        return self._interval(meta, children, True, True)

    def closed_open(self, meta, children):
        return self._interval(meta, children, True, False)

    def open_closed(self, meta, children):
        return self._interval(meta, children, False, True)

    def open_open(self, meta, children):
        return self._interval(meta, children, False, False)

    def pos_inf(self, meta, children):
        return A.Infinity(False, self._span(meta))

    def neg_inf(self, meta, children):
        return A.Infinity(True, self._span(meta))

    def negative_literal(self, meta, children):
        lit = children[0]
        span = self._span(meta)
        if isinstance(lit, A.Money):
            return A.Money(-lit.value, span)
        if isinstance(lit, A.Percent):
            return A.Percent(-lit.value, span)
        if isinstance(lit, A.Duration):
            return A.Duration(-lit.value, "-" + lit.text, span)
        if isinstance(lit, A.Number):
            return A.Number(-lit.value, span)
        raise PolicyError([Diagnostic("E006", "only numbers, amounts, percentages and durations can be negative", span)])

    # -- expressions
    def _bin(self, op, meta, children):
        left, right = children
        return A.Binary(op, left, right, self._span(meta))

    def or_op(self, meta, c):
        return self._bin("or", meta, c)

    def and_op(self, meta, c):
        return self._bin("and", meta, c)

    def not_op(self, meta, c):
        return A.Unary("not", c[0], self._span(meta))

    def compare(self, meta, c):
        left, op, right = c
        op = {"≤": "<=", "≥": ">=", "≠": "!="}.get(str(op), str(op))
        return A.Binary(op, left, right, self._span(meta))

    def equals(self, meta, c):
        return self._bin("=", meta, c)

    def is_given(self, meta, c):
        return A.Presence(c[0], True, self._span(meta))

    def is_missing(self, meta, c):
        return A.Presence(c[0], False, self._span(meta))

    def in_interval(self, meta, c):
        return A.InInterval(c[0], c[1], self._span(meta))

    def in_period(self, meta, c):
        operand, period, anchor = c
        return A.InPeriod(operand, str(period), anchor, self._span(meta))

    def in_set(self, meta, c):
        return A.InSet(c[0], tuple(c[1:]), self._span(meta))

    def at_most(self, meta, c):
        return A.Bounded(c[0], c[1], None, self._span(meta))

    def at_least(self, meta, c):
        return A.Bounded(c[0], None, c[1], self._span(meta))

    def clamp(self, meta, c):
        return A.Bounded(c[0], c[1], c[2], self._span(meta))

    def add(self, meta, c):
        return self._bin("+", meta, c)

    def sub(self, meta, c):
        return self._bin("-", meta, c)

    def mul(self, meta, c):
        return self._bin("*", meta, c)

    def div(self, meta, c):
        return self._bin("/", meta, c)

    def percent_of(self, meta, c):
        return A.PercentOf(c[0], c[1], self._span(meta))

    def neg(self, meta, c):
        lit = c[0]
        if isinstance(lit, (A.Money, A.Percent, A.Duration, A.Number)):
            return self.negative_literal(meta, [lit])  # `-8,000원` is one literal, as in intervals
        return A.Unary("-", lit, self._span(meta))

    def name(self, meta, c):
        return A.Name(str(c[0]), _tok_span(self.path, c[0]))

    def field(self, meta, c):
        base, name = c
        return A.Field(base, str(name), self._span(meta))

    def call(self, meta, c):
        func, *args = c
        return A.Call(str(func), tuple(args), self._span(meta))

    def count(self, meta, c):
        source = A.Name(str(c[0]), _tok_span(self.path, c[0]))
        return A.Count(source, c[1] if len(c) > 1 else None, self._span(meta))

    def collect(self, meta, c):
        field, source, *where = c
        return A.Collect(str(field), A.Name(str(source), _tok_span(self.path, source)),
                         where[0] if where else None, self._span(meta))

    def sum_of(self, meta, c):
        field, source, *where = c
        return A.Sum(str(field), A.Name(str(source), _tok_span(self.path, source)),
                     where[0] if where else None, self._span(meta))

    def sum_expr_of(self, meta, c):
        value, source, *where = c
        return A.Sum("", A.Name(str(source), _tok_span(self.path, source)), where[0] if where else None,
                     self._span(meta), value)

    def where(self, meta, c):
        return c[0]

    def last_day_of_month(self, meta, c):
        return A.LastDayOfMonth(c[0], self._span(meta))

    # -- literals
    def money(self, meta, c):
        tok = c[0]
        digits = re.sub(r"[,\s원]|won", "", str(tok))
        return A.Money(Decimal(digits), _tok_span(self.path, tok))

    def percent(self, meta, c):
        return A.Percent(Decimal(str(c[0])[:-1]), _tok_span(self.path, c[0]))

    def duration(self, meta, c):
        tok = c[0]
        total = timedelta(0)
        try:
            for amount, unit in _DURATION_PART.findall(str(tok)):
                total += int(amount) * _DURATION_UNITS[unit]
        except OverflowError:
            raise PolicyError([Diagnostic("E007", f"`{tok}` is too long a duration", _tok_span(self.path, tok),
                                          help="durations go up to 999,999,999 days")]) from None
        return A.Duration(total, str(tok), _tok_span(self.path, tok))

    def number(self, meta, c):
        return A.Number(Decimal(str(c[0])), _tok_span(self.path, c[0]))

    def date_lit(self, meta, c):
        return _date_lit(c[0], self.path)

    def datetime_lit(self, meta, c):
        tok = c[0]
        try:
            value = datetime.fromisoformat(str(tok))
        except ValueError:
            raise PolicyError([Diagnostic("E007", f"`{tok}` is not a real date and time",
                                          _tok_span(self.path, tok))]) from None
        return A.DateTimeLit(value, _tok_span(self.path, tok))

    def true(self, meta, c):
        return A.Bool(True, self._span(meta))

    def false(self, meta, c):
        return A.Bool(False, self._span(meta))

    def text(self, meta, c):
        return A.Text(_unquote(c[0], self.path), _tok_span(self.path, c[0]))


def _date_lit(tok: Token, path: str) -> A.DateLit:
    try:
        value = date.fromisoformat(str(tok))
    except ValueError:
        raise PolicyError([Diagnostic("E007", f"`{tok}` is not a real date", _tok_span(path, tok),
                                      help="write dates as YYYY-MM-DD")]) from None
    return A.DateLit(value, _tok_span(path, tok))


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_CODE_POINT = re.compile(r"u\{([0-9A-Fa-f]{1,6})\}")
_ESCAPES_HELP = ('write `\\"` for a quote, `\\\\` for a backslash, `\\n` for a new line, `\\t` for a tab, '
                 '`\\u{200B}` for any character by its code point')


def invisible(ch: str) -> bool:
    """A control, format or line-separator character: unseen in an editor and on the counselor page."""
    return ch < " " or ch == "\x7f" or (ch > "~" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"))


def _unquote(tok: Token, path: str) -> str:
    return _unquote_columns(tok, path)[0]


def _unquote_columns(tok: Token, path: str) -> tuple[str, tuple[int, ...]]:
    """The text a quoted token writes, and the source column of each of its characters
    (and of the closing quote): escapes write one character from several."""
    body = str(tok)[1:-1]
    out: list[str] = []
    columns: list[int] = []
    first = tok.column + 1  # INVARIANT: a STRING token is one line (the grammar refuses a new line in it)
    if "\\" not in body and body.isprintable():
        # Nearly every text: no escape, and no invisible character (each one is not printable).
        return body, tuple(range(first, first + len(body) + 1))
    i = 0

    def error(code: str, message: str, at: int, width: int, help: str) -> PolicyError:
        span = _tok_span(path, tok)
        col = span.col + 1 + at
        return PolicyError([Diagnostic(code, message, A.Span(path, span.line, col, span.line, col + width), help=help)])

    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if nxt == "u":
                m = _CODE_POINT.match(body, i + 1)
                value = int(m[1], 16) if m else -1
                if not (0 <= value <= 0x10FFFF) or 0xD800 <= value <= 0xDFFF:
                    raise error("E008", "`\\u` needs a code point in braces, like `\\u{200B}`", i, 2,
                                "1 to 6 hex digits of a Unicode character (not a surrogate)")
                out.append(chr(value))
                columns.append(first + i)
                i = m.end()
                continue
            if nxt not in _ESCAPES:
                raise error("E008", f"unknown escape `\\{nxt}` in text", i, 2, _ESCAPES_HELP)
            out.append(_ESCAPES[nxt])
            columns.append(first + i)
            i += 2
            continue
        if invisible(ch):
            # A tab, U+200B ZERO WIDTH SPACE or a BOM pasted from a document would reach the
            # counselor page unseen and break search for the words around it. One meant to be
            # there is written as an escape, where a reader sees it.
            name = unicodedata.name(ch, "a control character")
            raise error("E012", f"invisible character U+{ord(ch):04X} ({name}) in text", i, 1,
                        f"delete it (most editors do not show it), or write it as `\\u{{{ord(ch):04X}}}`")
        out.append(ch)
        columns.append(first + i)
        i += 1
    columns.append(first + len(body))
    return "".join(out), tuple(columns)


def _join(a: A.Span, b: A.Span) -> A.Span:
    return A.Span(a.path, a.line, a.col, b.end_line, b.end_col)


if __name__ == "__main__":  # `python -m dsl.parser`: rewrite grammar.json after editing grammar.lark
    TABLES_PATH.write_text(grammar_tables(), encoding="utf-8")
