"""Tiny policies written in a test, compiled and imported in memory (no project on disk)."""

from __future__ import annotations

import sys
import types

from compiler import runtime
from compiler.check import analyze
from compiler.emit_python import emit_python
from dsl.parser import parse

_PACKAGE = "_policyc_in_memory"


def _package() -> None:
    if _PACKAGE in sys.modules:
        return
    root = types.ModuleType(_PACKAGE)
    root.__path__ = []  # a package: its evaluators import `.._runtime`
    root._runtime = runtime  # generated/_runtime.py is this file, copied verbatim
    sys.modules[_PACKAGE] = root
    sys.modules[f"{_PACKAGE}._runtime"] = runtime


def _path(source: str) -> str:
    """The file a policy's id says it lives in: `policy t.refund` is policies/t/refund.policy."""
    pid = source.split("policy ", 1)[1].split()[0]
    return "policies/{}/{}.policy".format(*pid.split("."))


def diagnostics(source: str) -> list:
    """The checker's errors for a policy text (parse errors raise)."""
    return [d for d in analyze(parse(source, _path(source))).diagnostics if d.severity == "error"]


def evaluator(source: str) -> types.ModuleType:
    """Compile a policy text into its evaluator module, in memory; fail on any checker error."""
    an = analyze(parse(source, _path(source)))
    errors = [f"{d.span.line}:{d.span.col} {d.code} {d.message}" for d in an.diagnostics if d.severity == "error"]
    assert not errors, errors
    _package()
    domain = f"{_PACKAGE}.{an.policy.id.split('.')[0]}"
    if domain not in sys.modules:
        pkg = types.ModuleType(domain)
        pkg.__path__ = []
        pkg.__package__ = domain
        sys.modules[domain] = pkg
    module = types.ModuleType(f"{domain}.{an.policy.id.split('.')[1]}")
    module.__package__ = domain
    exec(compile(emit_python(an, source), f"<{an.policy.id}>", "exec"), module.__dict__)  # noqa: S102 - our own output
    return module


def policy(pid: str, body: str) -> str:
    """A policy text with the header every test policy shares."""
    return f'policy {pid} "시험"\n  source "numbers.txt" section "연산"\n  zone Asia/Seoul\n{body}'
