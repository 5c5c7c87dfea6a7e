"""The Korean name of each service: `policies/services.yaml`, one `<domain>: <name>` a line.

    pet_taxi: 카카오 T 펫
    callbus: 광역콜버스

The counselor pages list the policies under these names (`generated/docs/index.md`). Every
domain that has a policy needs its name (E422); a malformed file is refused at its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from compiler.diagnostics import Diagnostic, Span, suggest
from dsl import ast as A

__all__ = ["SERVICES_FILE", "load_services", "check_services"]

SERVICES_FILE = Path("policies") / "services.yaml"
_SHOWN = SERVICES_FILE.as_posix()
_DOMAIN = re.compile(r"[a-z][a-z0-9_]*")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _span(node: Any) -> Span:
    s, e = node.start_mark, node.end_mark
    end_col = e.column + 1 if e.line == s.line and e.column > s.column else s.column + 2
    return Span(_SHOWN, s.line + 1, s.column + 1, s.line + 1, end_col)


def load_services(root: Path, sources: dict[str, str] | None = None) -> tuple[dict[str, str], list[Diagnostic]]:
    """Read `policies/services.yaml` of the project at root: domain -> Korean service name.

    A missing file reads as no names (each domain with a policy is then refused by
    check_services). Args: sources is filled with the file's text, for rendering diagnostics.
    """
    path = Path(root) / SERVICES_FILE
    start = Span(_SHOWN, 1, 1, 1, 2)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, []
    except OSError as err:
        return {}, [Diagnostic("E420", f"cannot read the file: {err.strerror or err}", start)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return {}, [Diagnostic("E420", f"the file is not UTF-8 text (byte {err.start})", start,
                               help="save the services file as UTF-8")]
    if sources is not None:
        sources[_SHOWN] = text
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(err, "problem", None) or str(err)
        return {}, [Diagnostic("E420", f"services file is not valid YAML: {problem}", Span(_SHOWN, line, col, line, col + 1),
                               help="write one `<domain>: <서비스 이름>` a line")]
    if node is None:
        return {}, []
    if not isinstance(node, yaml.MappingNode):
        return {}, [Diagnostic("E421", "services file must map each domain to its Korean service name", _span(node),
                               help="write one `<domain>: <서비스 이름>` a line, like `pet_taxi: 카카오 T 펫`")]
    names: dict[str, str] = {}
    where: dict[str, int] = {}
    diags: list[Diagnostic] = []
    for key, value in node.value:
        domain = key.value if isinstance(key, yaml.ScalarNode) else None
        if domain is None or not _DOMAIN.fullmatch(domain):
            diags.append(Diagnostic("E421", "a key of the services file must be a domain, like `pet_taxi`", _span(key),
                                    help="lowercase letters, digits and `_`, as in the policy ids"))
            continue
        if domain in where:
            diags.append(Diagnostic("E421", f"domain `{domain}` appears twice in the services file", _span(key),
                                    help=f"first named at line {where[domain]}; name each service once"))
            continue
        where[domain] = key.start_mark.line + 1
        name = value.value if isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:str" else None
        if name is None or not name.strip() or "\n" in name:
            diags.append(Diagnostic("E421", f"the service name of `{domain}` must be one line of text", _span(value),
                                    help=f"write the name the articles use, like `{domain}: 카카오 T 펫`"))
            continue
        names[domain] = name.strip()
    return names, diags


def check_services(names: dict[str, str], policies: Iterable[Any]) -> list[Diagnostic]:
    """Every domain with a policy needs a service name (E422, at its first policy's id).

    Args:
        policies: the checked policies (`Loaded` items or `Policy` nodes).
    """
    first: dict[str, A.Policy] = {}
    for policy in sorted((p if isinstance(p, A.Policy) else p.policy for p in policies), key=lambda p: p.id):
        first.setdefault(policy.domain, policy)
    diags: list[Diagnostic] = []
    for domain, policy in first.items():
        if domain not in names:
            guess = suggest(domain, [d for d in names if d not in first])
            diags.append(Diagnostic(
                "E422", f"domain `{domain}` has no service name in `{_SHOWN}`", policy.id_span or policy.title.span,
                help=(f"did you mean `{guess}` in `{_SHOWN}`? rename it `{domain}`" if guess
                      else f"add a line `{domain}: <서비스 이름>` to `{_SHOWN}`")))
    return diags

