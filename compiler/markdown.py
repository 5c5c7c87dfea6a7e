"""Escapes policy text for Markdown: prose, table cells and code spans that render as written."""

from __future__ import annotations

import re

__all__ = ["cell", "code", "md"]


def md(text: str, *, brackets: bool = False) -> str:
    """Escape policy text for Markdown prose so it renders as written and never as HTML.

    Args:
        brackets: escape every `[` and `]` (for link text), not only a `](` that would start a link.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        prev = text[i - 1] if i > 0 else ""
        nxt = text[i + 1] if i + 1 < n else ""
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "\n":
            # One source line per item keeps policy text from opening headings or lists.
            out.append("<br>")
        elif ch in "\\`*#":
            out.append("\\" + ch)
        elif ch == "_":
            # An underscore inside a word never emphasises; leave `super_saver` searchable.
            out.append("_" if prev.isalnum() and nxt.isalnum() else "\\_")
        elif ch == "~":
            # A tilde between spaces ("24시간 전 ~ 9시간 전") can neither open nor close strikethrough.
            safe = (prev == "" or prev.isspace()) and (nxt == "" or nxt.isspace())
            out.append("~" if safe else "\\~")
        elif ch in "[]" and brackets:
            out.append("\\" + ch)
        elif ch == "]" and nxt in ("(", "["):
            out.append("\\]")
        else:
            out.append(ch)
    s = "".join(out)
    # A leading block marker would turn text placed at the start of a line into structure.
    m = re.match(r"\d{1,9}([.)])(?:\s|$)", s)
    if m:
        s = s[: m.start(1)] + "\\" + s[m.start(1):]
    elif s[:1] in ("-", "+", "=", "["):
        s = "\\" + s
    return s


def cell(text: str) -> str:
    """Escape policy text for one Markdown table cell."""
    return md(text).replace("|", "\\|")


def code(text: str, *, in_table: bool = False) -> str:
    """Wrap text in a code span whose fence no backtick run inside can close."""
    text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`") or (text and not text.strip(" ")):
        text = f" {text} "
    out = f"{fence}{text}{fence}"
    return out.replace("|", "\\|") if in_table else out
