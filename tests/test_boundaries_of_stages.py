"""No stage imports another's private names: a module of compiler/ or dsl/ may use only the
public names (no leading `_`) of another project module, whether it imports them by name
(`from compiler.check import _names_in`) or reaches them through the module
(`from compiler import check; check._names_in`)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("compiler", "dsl")


def _project(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in PACKAGES


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def crossings(path: Path) -> list[str]:
    """Each private name of another project module that the module at `path` uses."""
    rel = path.relative_to(ROOT)
    own = ".".join(rel.with_suffix("").parts)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    modules: dict[str, str] = {}  # local name -> project module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import: resolve it against the module's package
                base = own.split(".")[: -node.level]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if not _project(source) or source == own:
                continue
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{rel}:{node.lineno}: from {source} import {alias.name}")
                else:
                    modules[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _project(alias.name):
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"{rel}:{node.lineno}: import {alias.name}")
                    # `import compiler.check` binds `compiler`; `import compiler.check as c` binds the module.
                    if alias.asname:
                        modules[alias.asname] = alias.name
                    else:
                        modules[alias.name.split(".")[0]] = alias.name.split(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            chain = node.value
            parts = []
            while isinstance(chain, ast.Attribute):
                parts.append(chain.attr)
                chain = chain.value
            if isinstance(chain, ast.Name) and chain.id in modules:
                target = ".".join([modules[chain.id], *reversed(parts)])
                if target != own:
                    found.append(f"{rel}:{node.lineno}: {target}.{node.attr}")
    return found


def project_modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_module_uses_another_modules_private_names():
    assert len(project_modules()) > 15
    assert [c for path in project_modules() for c in crossings(path)] == []


def test_the_test_sees_each_way_of_reaching_a_private_name(tmp_path, monkeypatch):
    # The detector itself, on a module written for it: every form is caught, own names are not.
    fake = ROOT / "compiler" / "_boundary_probe.py"
    source = (
        "from compiler.check import _names_in, analyze\n"
        "from compiler import check\n"
        "import compiler.emit_docs\n"
        "from . import emit_python as ep\n"
        "def _mine(): return 1\n"
        "x = check._NEG_INF\n"
        "y = compiler.emit_docs._md\n"
        "z = ep._Piece\n"
        "w = _mine() + len(check.__name__)\n"
    )
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    found = crossings(fake)
    assert [f.split(": ", 1)[1] for f in found] == [
        "from compiler.check import _names_in",
        "compiler.check._NEG_INF",
        "compiler.emit_docs._md",
        "compiler.emit_python._Piece",
    ]
