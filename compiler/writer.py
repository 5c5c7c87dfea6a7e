"""A tiny source writer: lines, indentation, blank lines (after Jinja's CodeGenerator)."""

from __future__ import annotations

from contextlib import contextmanager


class Writer:
    def __init__(self, indent: str = "    "):
        self._lines: list[str] = []
        self._level = 0
        self._indent = indent

    def line(self, text: str = "") -> None:
        self._lines.append(f"{self._indent * self._level}{text}" if text else "")

    def blank(self, count: int = 1) -> None:
        for _ in range(count):
            self._lines.append("")

    @contextmanager
    def indent(self):
        self._level += 1
        try:
            yield
        finally:
            self._level -= 1

    def text(self) -> str:
        lines = list(self._lines)
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines) + "\n"
