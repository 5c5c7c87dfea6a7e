"""Markdown tables for the benchmark results."""

from __future__ import annotations


def table(header: list[str], rows: list[list[object]], align: str | None = None) -> str:
    """A Markdown table; `align` is one letter per column, `l` or `r` (default: first left, rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def us(ns: float) -> str:
    """Nanoseconds shown as microseconds."""
    return f"{ns / 1000:.2f}"


def ratio(x: float) -> str:
    return f"{x:.2f}×"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")
