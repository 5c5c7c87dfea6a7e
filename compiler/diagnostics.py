"""Diagnostics: what is wrong, where, and what to do; rendered with the source line and a caret."""

from __future__ import annotations

import difflib
import json
import unicodedata
from dataclasses import dataclass, field

from compiler.codes import CODES
from dsl.ast import Span

__all__ = ["Span", "Diagnostic", "Related", "render", "render_json", "suggest", "FRIENDLY_TOKENS", "PolicyError"]

# Terminal names as a policy owner should read them (Cedar `friendly_token_names`).
FRIENDLY_TOKENS: dict[str, str] = {
    "NAME": "a name",
    "POLICY_ID": "a policy id like `pet_taxi.cancellation_fee`",
    "STRING": 'a quoted text like "운임"',
    "MONEY": "an amount like `8,000원`",
    "PERCENT": "a percentage like `10%`",
    "DURATION": "a duration like `24h` or `10min`",
    "NUMBER": "a number",
    "INT": "a whole number",
    "DATE": "a date like `2025-05-15`",
    "DATETIME": "a date and time like `2025-05-15T14:00`",
    "ZONE": "a time zone like `Asia/Seoul`",
    "INF": "`∞`",
    "COMP_OP": "a comparison like `<` or `>=`",
    "PERIOD": "`day` or `month`",
    "OPTIONAL": "`optional`",
    "LIST_OF": "`list of`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "COMMA": "`,`",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "VBAR": "`|`",
    "DOT": "`.`",
    "PLUS": "`+`",
    "MINUS": "`-`",
    "STAR": "`*`",
    "SLASH": "`/`",
    "$END": "the end of the file",
}


@dataclass(frozen=True, slots=True)
class Related:
    """A second place a diagnostic points at, and what is there (rustc's secondary label,
    Cedar's related span): `first declared here` under a duplicate's first declaration."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a policy file. Data only; `render` turns it into text."""

    code: str
    message: str
    span: Span
    severity: str = "error"
    expected: tuple[str, ...] = ()
    help: str | None = None
    notes: tuple[str, ...] = field(default=())
    related: tuple[Related, ...] = field(default=())

    def __post_init__(self) -> None:
        # Every code is in the registry (compiler/codes.py, docs/DIAGNOSTICS.md), with its severity.
        entry = CODES.get(self.code)
        if entry is None or entry.severity != self.severity:
            raise ValueError(f"diagnostic code {self.code} as {self.severity!r} is not in compiler/codes.py")

    def sort_key(self) -> tuple:
        return (self.span.path, self.span.line, self.span.col, self.code, self.message)


class PolicyError(Exception):
    """Raised when a policy cannot be compiled; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(diagnostics[0].message if diagnostics else "policy error")
        self.diagnostics = diagnostics


def suggest(name: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    """Return the closest candidate to a misspelt name, if any is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def render(diag: Diagnostic, source: str | None) -> str:
    """Render a diagnostic as `path:line:col: error: message`, the source line and a caret;
    each related place follows as a `= note:` with its own source line and caret."""
    span = diag.span
    out = [f"{span.path}:{span.line}:{span.col}: {diag.severity}: {diag.message}"]
    # Lines as the parser counts them: only `\n` ends one (not U+2028 or a form feed).
    lines = [line.removesuffix("\r") for line in source.split("\n")] if source is not None else []
    out += _excerpt(span, lines)
    for rel in diag.related:
        if rel.span.path != span.path:
            out.append(f"  = note: {rel.message}: {rel.span.path}:{rel.span.line}:{rel.span.col}")
            continue
        out.append(f"  = note: {rel.message}")
        out += _excerpt(rel.span, lines)
    if diag.expected:
        out.append("  = expected: " + _join_words(diag.expected))
    for note in diag.notes:
        out.append(f"  = note: {note}")
    if diag.help:
        out.append(f"  = help: {diag.help}")
    return "\n".join(out)


def _excerpt(span: Span, lines: list[str]) -> list[str]:
    """The span's source line with a gutter, and a caret underline the width of the span."""
    if not 1 <= span.line <= len(lines):
        return []
    # An invisible character is shown as `�`: a bidirectional control printed as it is would
    # reorder the line on the reader's terminal (the Trojan Source trick the parser refuses).
    text = "".join(" " if ch == "\t" else "\ufffd" if _invisible(ch) else ch for ch in lines[span.line - 1])
    gutter = str(span.line)
    pad = " " * len(gutter)
    if span.end_line == span.line and span.end_col > span.col:
        width = span.end_col - span.col
    else:
        width = max(1, len(text) - span.col + 1) if span.end_line > span.line else 1
    width = max(1, min(width, max(1, len(text) - span.col + 1)))
    lead = _display_width(text[: span.col - 1]) + max(0, span.col - 1 - len(text))
    # At the end of the line (an unexpected end of file) the caret sits just past the text.
    marks = max(1, _display_width(text[span.col - 1 : span.col - 1 + width]))
    return [f"  {gutter} | {text}", f"  {pad} | {' ' * lead}{'^' * marks}"]


def render_json(diagnostics: list[Diagnostic]) -> str:
    """Render diagnostics as one JSON document for editors and CI."""
    items = [
        {
            "code": d.code,
            "severity": d.severity,
            "message": d.message,
            "path": d.span.path,
            "line": d.span.line,
            "col": d.span.col,
            "end_line": d.span.end_line,
            "end_col": d.span.end_col,
            "expected": list(d.expected),
            "notes": list(d.notes),
            "related": [
                {"message": r.message, "path": r.span.path, "line": r.span.line, "col": r.span.col,
                 "end_line": r.span.end_line, "end_col": r.span.end_col}
                for r in d.related
            ],
            "help": d.help,
        }
        for d in diagnostics
    ]
    return json.dumps(items, ensure_ascii=False, indent=2)


def _join_words(words: tuple[str, ...]) -> str:
    if len(words) == 1:
        return words[0]
    if len(words) == 2:
        return f"{words[0]} or {words[1]}"
    return ", ".join(words[:-1]) + f" or {words[-1]}"


def _invisible(ch: str) -> bool:
    return ch < " " or ch == "\x7f" or (ch > "~" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"))


def _display_width(text: str) -> int:
    """Width in terminal cells: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
