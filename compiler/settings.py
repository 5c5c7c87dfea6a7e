"""Project settings: the `[tool.policyc]` table of the project's pyproject.toml.

    [tool.policyc]
    schema_base_uri = "https://example.com/schemas"   # `$id` = <base>/<domain>/<name>.json

Every setting has a default, so a project needs no pyproject.toml at all.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from compiler.diagnostics import Diagnostic, Span
from compiler.emit_schema import DEFAULT_BASE_URI

__all__ = ["Settings", "read_settings", "PYPROJECT"]

PYPROJECT = "pyproject.toml"
_KNOWN = ("schema_base_uri",)
# An absolute URI (RFC 3986: a scheme, then no spaces, controls, quotes or angle brackets) with no
# fragment: `$id` may not have one.
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f\"<>\\^`{|}#]+")


@dataclass(frozen=True)
class Settings:
    schema_base_uri: str = DEFAULT_BASE_URI


def read_settings(root: Path) -> tuple[Settings, list[Diagnostic]]:
    """The settings of the project at root, and diagnostics for any that cannot be used."""
    path = Path(root) / PYPROJECT
    shown = PYPROJECT
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings(), []
    except OSError as err:
        return Settings(), [Diagnostic("E000", f"cannot read the file: {err.strerror or err}", Span(shown, 1, 1, 1, 1))]
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        return Settings(), [Diagnostic("E001", f"the file is not UTF-8 text (byte {err.start})", Span(shown, 1, 1, 1, 1))]
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        line, col = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err)) or "invalid TOML"
        return Settings(), [Diagnostic("E500", f"pyproject.toml is not valid TOML: {message}", Span(shown, line, col, line, col + 1))]
    table = data.get("tool", {}).get("policyc", {}) if isinstance(data.get("tool"), dict) else {}
    if not isinstance(table, dict):
        return Settings(), [Diagnostic("E501", "`tool.policyc` must be a table", _line_of(raw, "tool.policyc", shown))]
    diags = []
    for key in sorted(set(table) - set(_KNOWN)):
        diags.append(Diagnostic("E502", f"unknown setting `{key}` in [tool.policyc]", _line_of(raw, key, shown),
                                help="the settings are: " + ", ".join(f"`{k}`" for k in _KNOWN)))
    base = table.get("schema_base_uri", DEFAULT_BASE_URI)
    if not isinstance(base, str) or not _ABSOLUTE_URI.fullmatch(base):
        diags.append(Diagnostic("E503", "`schema_base_uri` must be an absolute URI without a fragment, "
                                        "like \"https://example.com/schemas\"",
                                _line_of(raw, "schema_base_uri", shown),
                                help="each schema's `$id` is <schema_base_uri>/<domain>/<name>.json"))
        base = DEFAULT_BASE_URI
    return Settings(schema_base_uri=base), diags


def _line_of(raw: bytes, key: str, shown: str) -> Span:
    """The first line of the file that starts with key (a good enough place for a diagnostic)."""
    for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(key) or stripped.startswith(f"[{key}]"):
            return Span(shown, n, 1, n, len(line) + 1)
    return Span(shown, 1, 1, 1, 1)
