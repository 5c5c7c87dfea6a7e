"""Chains the stages: find policies, parse, check, emit, and write generated/ atomically.

The only module that reads policy files or writes generated files.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from compiler.check import Analysis, analyze
from compiler.coverage import check_coverage, coverage_files, emit_coverage, load_coverage, project_root
from compiler.diagnostics import Diagnostic, PolicyError, Span
from compiler.emit_docs import emit_docs, emit_index
from compiler.emit_python import emit_python
from compiler.emit_schema import emit_schema
from compiler.examples import WorkedExample, check_examples, decide_examples, evaluators_in_memory, read_examples
from compiler.project import GENERATED, NoProject, find_root, import_evaluator
from dsl import ast as A
from dsl.parser import parse

# Locating the project and importing evaluators live in compiler/project.py (cheap to import);
# they are re-exported here with the stages that produce what they find.
__all__ = ["GENERATED", "NoProject", "find_root", "import_evaluator", "Loaded", "LoadResult", "discover", "load",
           "build", "write_tree", "stale_files", "compile_all", "shown_path", "examples_path", "existing_tree"]

POLICY_GLOB = "*.policy"
RUNTIME_SOURCE = Path(__file__).with_name("runtime.py")


@dataclass
class Loaded:
    """A policy that parsed and passed its checks, with its worked examples."""

    path: Path
    source: str
    policy: A.Policy
    analysis: Analysis
    examples: list[dict] = field(default_factory=list)
    example_lines: list[int] = field(default_factory=list)
    example_nodes: list = field(default_factory=list)  # each example as composed YAML (for positions)
    worked: list[WorkedExample] = field(default_factory=list)  # the examples as the evaluator decided them
    python: str | None = None  # the evaluator's source, once emitted


@dataclass
class LoadResult:
    policies: list[Loaded]
    diagnostics: list[Diagnostic]
    sources: dict[str, str]  # shown path -> text, for rendering diagnostics
    articles: list | None = None  # policies/coverage/*.yaml as read (None: the project has none)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def discover(root: Path) -> list[Path]:
    """Every policy file under root/policies, in a stable order."""
    return sorted((root / "policies").rglob(POLICY_GLOB), key=lambda p: p.as_posix())


def shown_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load(root: Path, paths: list[Path] | None = None) -> LoadResult:
    """Parse and check policies (all of them by default); collect every diagnostic."""
    paths = discover(root) if paths is None else paths
    loaded: list[Loaded] = []
    diags: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for path in paths:
        shown = shown_path(path, root)
        try:
            raw = path.read_bytes()
        except OSError as err:
            diags.append(Diagnostic("E000", f"cannot read the file: {err.strerror or err}", Span(shown, 1, 1, 1, 1)))
            continue
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            diags.append(Diagnostic("E001", f"the file is not UTF-8 text (byte {err.start})", Span(shown, 1, 1, 1, 1),
                                    help="save the policy file as UTF-8"))
            continue
        sources[shown] = text
        try:
            policy = parse(text, shown)
        except PolicyError as err:
            diags.extend(err.diagnostics)
            continue
        an = analyze(policy)
        diags.extend(an.diagnostics)
        if any(d.severity == "error" for d in an.diagnostics):
            continue
        item = Loaded(path, text, policy, an)
        ex_diags = _load_examples(item, root, sources)
        diags.extend(ex_diags)
        loaded.append(item)
    seen: dict[str, Loaded] = {}
    for item in loaded:
        if item.policy.id in seen:
            other = seen[item.policy.id]
            diags.append(Diagnostic("E300", f"policy id `{item.policy.id}` is also used by `{other.policy.path}`",
                                    item.policy.title.span))
        seen[item.policy.id] = item
    # Coverage names policies by id: hold it to them only when every policy loaded cleanly.
    complete = not any(d.severity == "error" for d in diags) and (
        {p.resolve() for p in paths} == {p.resolve() for p in discover(root)})
    articles, coverage_diags = load_coverage(root, sources)
    diags.extend(coverage_diags)
    diags.extend(check_coverage(articles, loaded, complete=complete))
    diags.extend(_decide_examples(loaded, root))
    diags.sort(key=Diagnostic.sort_key)
    return LoadResult(loaded, diags, sources, articles if coverage_files(root) else None)


def examples_path(policy_path: Path) -> Path:
    return policy_path.with_name(policy_path.name[: -len(".policy")] + ".examples.yaml")


def _load_examples(item: Loaded, root: Path, sources: dict[str, str]) -> list[Diagnostic]:
    path = examples_path(item.path)
    shown = shown_path(path, root)
    if not path.exists():
        return [Diagnostic("W301", "the policy has no worked examples", item.policy.title.span, severity="warning",
                           help=f"add `{shown}` with input → expected cases")]
    text = path.read_text(encoding="utf-8")
    sources[shown] = text
    try:
        data, node = read_examples(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(err, "problem", None) or str(err)
        return [Diagnostic("E302", f"examples file is not valid YAML: {problem}", Span(shown, line, col, line, col + 1),
                           help="quote texts that contain `: `")]
    if data is None:
        data, node = [], None
    if not isinstance(data, list):
        return [Diagnostic("E303", "examples file must be a list of examples", Span(shown, 1, 1, 1, 2))]
    checked = check_examples(data, node, item.policy, item.analysis.rule_ids, item.analysis.records, shown)
    item.examples, item.example_lines, item.example_nodes = checked.examples, checked.lines, checked.nodes
    return checked.diagnostics


def _decide_examples(loaded: list[Loaded], root: Path) -> list[Diagnostic]:
    """Run every policy's examples on its freshly emitted evaluator (in memory; generated/ untouched).

    Keeps what each example decided for its page; returns a diagnostic per disagreement.
    """
    chosen = [item for item in loaded if item.examples]
    for item in chosen:
        item.python = emit_python(item.analysis, item.source)
    diags: list[Diagnostic] = []
    sources = [(item.python, f"generated/{item.policy.domain}/{item.policy.name}.py") for item in chosen]
    with evaluators_in_memory(runtime_text(), sources) as modules:
        for item, module in zip(chosen, modules):
            shown = shown_path(examples_path(item.path), root)
            item.worked, found = decide_examples(module, item.policy, item.examples, item.example_nodes, shown)
            diags.extend(found)
    return diags


# ---------------------------------------------------------------- emitting


def runtime_text() -> str:
    """generated/_runtime.py: the runtime evaluators import, under the generated-file header."""
    return ("# 자동 생성 파일입니다. 직접 수정하지 마세요. (generated by policyc — do not edit)\n"
            "# source: compiler/runtime.py\n" + RUNTIME_SOURCE.read_text(encoding="utf-8"))


def build(loaded: list[Loaded], articles: list | None = None) -> dict[str, str]:
    """Every file of generated/, keyed by path relative to it. Deterministic.

    Args:
        articles: the coverage files load() read; read again from the project when not given.
    """
    files: dict[str, str] = {}
    files["__init__.py"] = (
        '"""Evaluators generated by policyc from policies/. Do not edit: run `policyc compile`."""\n'
    )
    files["_runtime.py"] = runtime_text()
    domains: dict[str, list[Loaded]] = {}
    for item in sorted(loaded, key=lambda x: x.policy.id):
        domains.setdefault(item.policy.domain, []).append(item)
    for domain, items in sorted(domains.items()):
        names = ", ".join(f"`{i.policy.name}`" for i in items)
        files[f"{domain}/__init__.py"] = f'"""Generated evaluators of the `{domain}` domain: {names}."""\n'
        for item in items:
            p = item.policy
            files[f"{domain}/{p.name}.py"] = item.python or emit_python(item.analysis, item.source)
            files[f"docs/{domain}/{p.name}.md"] = emit_docs(p, item.worked, item.analysis)
            files[f"schemas/{domain}/{p.name}.json"] = emit_schema(p, list(item.analysis.rule_ids))
    if articles is None:
        root = project_root(item.path for item in loaded)
        if root is not None and coverage_files(root):
            articles, _ = load_coverage(root)  # INVARIANT: load() already reported its diagnostics
    if articles is not None:
        files["docs/coverage.md"] = emit_coverage(articles, [i.policy for i in loaded])
    files["docs/index.md"] = emit_index([i.policy for i in sorted(loaded, key=lambda x: x.policy.id)],
                                        coverage="docs/coverage.md" in files)
    for rel, text in files.items():
        if rel.endswith(".py"):
            compile(text, f"generated/{rel}", "exec")  # INVARIANT: emitters produce valid Python
    return files


def existing_tree(out_dir: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    if not out_dir.is_dir():
        return found
    for path in sorted(out_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            found[path.relative_to(out_dir).as_posix()] = path.read_bytes()
    return found


def stale_files(files: dict[str, str], out_dir: Path) -> list[str]:
    """Paths (relative to out_dir) that differ from, are missing from, or are extra to `files`."""
    have = existing_tree(out_dir)
    want = {k: v.encode("utf-8") for k, v in files.items()}
    return sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))


def write_tree(files: dict[str, str], out_dir: Path) -> None:
    """Replace out_dir with exactly `files`: written aside, then swapped in.

    If anything fails before the swap, out_dir is untouched.
    """
    parent = out_dir.parent
    tmp = Path(tempfile.mkdtemp(prefix=f"{out_dir.name}.tmp-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; the swapped-in tree must not be private
    try:
        for rel, text in sorted(files.items()):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        old = None
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{out_dir.name}.old-", dir=parent))
            os.rmdir(old)
            os.replace(out_dir, old)
        try:
            os.replace(tmp, out_dir)
        except BaseException:
            if old is not None:
                os.replace(old, out_dir)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    importlib.invalidate_caches()


def compile_all(root: Path) -> tuple[LoadResult, dict[str, str] | None]:
    """Load every policy and build the generated tree, or return None on any error."""
    result = load(root)
    if result.errors:
        return result, None
    return result, build(result.policies, result.articles)

