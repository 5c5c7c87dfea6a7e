"""Chains the stages: find policies, parse, check, emit, and write generated/ atomically.

The only module that reads policy files or writes generated files.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from compiler import tree
from compiler.check import Analysis, analyze
from compiler.coverage import (
    article_files, check_coverage, coverage_files, emit_coverage, load_coverage, project_root,
)
from compiler.diagnostics import Diagnostic, PolicyError, Span
from compiler.emit_docs import emit_docs, emit_index
from compiler.emit_python import HOLIDAYS_MODULE, emit_holidays, emit_python
from compiler.emit_schema import emit_schema
from compiler.examples import (WorkedExample, check_examples, decide_examples, evaluators_in_memory, raw_bidi_control,
                               read_examples)
from compiler.input_ranges import date_ranges
from compiler.project import GENERATED, NoProject, find_root, import_evaluator
from compiler.services import check_services, load_services
from compiler.settings import PYPROJECT, Settings, read_settings
from dsl import ast as A
from dsl.parser import parse

# Locating the project and importing evaluators live in compiler/project.py (cheap to import);
# they are re-exported here with the stages that produce what they find.
__all__ = ["GENERATED", "NoProject", "find_root", "import_evaluator", "Loaded", "LoadResult", "discover", "load",
           "build", "write_tree", "stale_files", "compile_all", "shown_path", "examples_path", "existing_tree",
           "policy_paths", "policy_files"]

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
    settings: Settings = field(default_factory=Settings)  # [tool.policyc] of pyproject.toml
    services: dict[str, str] = field(default_factory=dict)  # policies/services.yaml: domain -> Korean name

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def discover(root: Path) -> list[Path]:
    """Every policy file under root/policies, in a stable order."""
    return sorted((root / "policies").rglob(POLICY_GLOB), key=lambda p: p.as_posix())


def policy_paths(root: Path, policy_ids) -> list[Path]:
    """The policy files that may declare one of policy_ids: a policy `<domain>.<name>` must live
    in a file ending `<domain>/<name>.policy` (E102), so no other file needs to be read."""
    ends = {"/" + policy_id.replace(".", "/", 1) + POLICY_GLOB[1:] for policy_id in policy_ids}
    return [path for path in discover(root) if any(path.as_posix().endswith(end) for end in ends)]


def policy_files(policy: A.Policy) -> list[str]:
    """The files of generated/ (relative to it) that one policy's build writes and nothing else changes:
    its evaluator, page and schema, and the runtime, holiday table and package they import."""
    d, n = policy.domain, policy.name
    return ["__init__.py", "_runtime.py", f"{HOLIDAYS_MODULE}.py",
            f"{d}/{n}.py", f"docs/{d}/{n}.md", f"schemas/{d}/{n}.json"]


def shown_path(path: Path, root: Path) -> str:
    """path relative to the project root, for messages and generated headers.

    Worked out from the path's own name, not its target: a symlinked policy is shown where it
    sits in the project, never by a machine path it points to (nor does a symlink loop fail).
    """
    rel = _relative_parts(path, root)
    return "/".join(rel) if rel is not None else printable(Path(path).as_posix())


def _relative_parts(path: Path, root: Path) -> tuple[str, ...] | None:
    """The parts of path below root, or None if it is not in the project."""
    absolute = Path(os.path.normpath(os.path.abspath(path)))
    for base in (Path(os.path.abspath(root)), Path(root).resolve()):
        try:
            return absolute.relative_to(base).parts
        except ValueError:
            pass
    with_dir = Path(absolute.parent).resolve() / absolute.name  # through a symlinked directory
    try:
        return with_dir.relative_to(Path(root).resolve()).parts
    except ValueError:
        return None


# Each folder and file name of a policy's path, below the project: these and only these
# characters, not starting with `.` or `-` (docs/LANGUAGE.md, "Files").
PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def printable(text: str) -> str:
    """text with every character that is not printable (new lines, bidi controls) escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _path_diagnostic(path: Path, root: Path) -> Diagnostic | None:
    parts = _relative_parts(path, root)
    parts = parts if parts is not None else (Path(path).name,)
    bad = [part for part in parts if not PLAIN_NAME.fullmatch(part)]
    if not bad:
        return None
    shown = printable("/".join(parts))
    return Diagnostic("E013", f"the name `{printable(bad[0])}` in the path of a policy is not a plain name",
                      Span(shown, 1, 1, 1, 1),
                      help="name policy folders and files with letters a-z A-Z, digits, `_`, `-` and `.` only "
                           "(not starting with `.` or `-`)")


def read_text(path: Path, shown: str, what: str, encoding: str = "utf-8") -> tuple[str | None, Diagnostic | None]:
    """Read a policy or examples file: (text, None), or (None, a diagnostic at shown:1:1).

    Never blocks (a FIFO is refused, not read) and never fails on what the path is: a
    directory, a device, a symlink loop or an unreadable file each get a diagnostic.
    """
    span = Span(shown, 1, 1, 1, 1)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        return None, Diagnostic("E000", f"cannot read the {what}: {_reason(err)}", span)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a directory" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                    else "not a file")
            return None, Diagnostic("E000", f"cannot read the {what}: it is {kind}, not a regular file", span)
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            raw = fh.read()
    except OSError as err:
        return None, Diagnostic("E000", f"cannot read the {what}: {_reason(err)}", span)
    finally:
        if fd >= 0:
            os.close(fd)
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as err:
        return None, Diagnostic("E001", f"the {what} is not UTF-8 text (byte {err.start})", span,
                                help=f"save the {what} as UTF-8")


def _reason(err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "a symbolic link that leads to itself (a loop)"
    text = err.strerror or str(err)
    return text[:1].lower() + text[1:]


def load(root: Path, paths: list[Path] | None = None) -> LoadResult:
    """Parse and check policies (all of them by default); collect every diagnostic."""
    paths = discover(root) if paths is None else paths
    loaded: list[Loaded] = []
    diags: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for path in paths:
        bad_path = _path_diagnostic(path, root)
        if bad_path is not None:
            diags.append(bad_path)
            continue
        shown = shown_path(path, root)
        text, problem = read_text(path, shown, "policy file", "utf-8-sig")
        if problem is not None:
            diags.append(problem)
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
                                    item.policy.id_span or item.policy.title.span,
                                    related=(Related(other.policy.id_span or other.policy.title.span, "first declared here"),)))
        seen[item.policy.id] = item
    # Coverage names policies by id: hold it to them only when every policy loaded cleanly.
    complete = not any(d.severity == "error" for d in diags) and (
        {_same(p) for p in paths} == {_same(p) for p in discover(root)})
    articles, coverage_diags = load_coverage(root, sources)
    diags.extend(coverage_diags)
    settings, settings_diags = read_settings(root)
    if settings_diags and (root / PYPROJECT).is_file():
        sources[PYPROJECT] = (root / PYPROJECT).read_bytes().decode("utf-8", "replace")
    diags.extend(settings_diags)
    diags.extend(check_coverage(articles, loaded, complete=complete, known_articles=article_files(root)))
    services, services_diags = load_services(root, sources)
    diags.extend(services_diags)
    if not services_diags:  # a malformed services file is fixed first: no "missing name" to follow from it
        diags.extend(check_services(services, loaded))
    diags.extend(_decide_examples(loaded, root))
    diags.sort(key=Diagnostic.sort_key)
    return LoadResult(loaded, diags, sources, articles if coverage_files(root) else None, settings, services)


def _same(path: Path) -> str:
    """A key equal for two spellings of one path (without following symlinks, which may loop)."""
    return os.path.normcase(os.path.normpath(os.path.abspath(path)))


def examples_path(policy_path: Path) -> Path:
    return policy_path.with_name(policy_path.name[: -len(".policy")] + ".examples.yaml")


def _load_examples(item: Loaded, root: Path, sources: dict[str, str]) -> list[Diagnostic]:
    path = examples_path(item.path)
    shown = shown_path(path, root)
    if not os.path.lexists(path):
        return [Diagnostic("W301", "the policy has no worked examples", item.policy.title.span, severity="warning",
                           help=f"add `{shown}` with input → expected cases")]
    text, problem = read_text(path, shown, "examples file")
    if problem is not None:
        return [problem]
    sources[shown] = text
    bidi = raw_bidi_control(text, shown)
    if bidi is not None:
        return [bidi]
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
    with evaluators_in_memory(runtime_text(), sources, {HOLIDAYS_MODULE: emit_holidays()}) as modules:
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


def build(loaded: list[Loaded], articles: list | None = None, settings: Settings | None = None,
          services: dict[str, str] | None = None) -> dict[str, str]:
    """Every file of generated/, keyed by path relative to it. Deterministic.

    Args:
        articles: the coverage files load() read; read again from the project when not given.
        settings: the project settings load() read; read again from the project when not given.
        services: the service names load() read; read again from the project when not given.
    """
    if settings is None:
        root = project_root(item.path for item in loaded)
        # INVARIANT: load() already reported the settings' diagnostics.
        settings = read_settings(root)[0] if root is not None else Settings()
    files: dict[str, str] = {}
    files["__init__.py"] = (
        '"""Evaluators generated by policyc from policies/. Do not edit: run `policyc compile`."""\n'
    )
    files["_runtime.py"] = runtime_text()
    files[f"{HOLIDAYS_MODULE}.py"] = emit_holidays()
    domains: dict[str, list[Loaded]] = {}
    for item in sorted(loaded, key=lambda x: x.policy.id):
        domains.setdefault(item.policy.domain, []).append(item)
    for domain, items in sorted(domains.items()):
        names = "".join(f"\n- `{i.policy.name}`" for i in items)  # one a line: no line over 120 characters
        files[f"{domain}/__init__.py"] = f'"""Generated evaluators of the `{domain}` domain:\n{names}\n"""\n'
        for item in items:
            p = item.policy
            files[f"{domain}/{p.name}.py"] = item.python or emit_python(item.analysis, item.source)
            files[f"docs/{domain}/{p.name}.md"] = emit_docs(p, item.worked, item.analysis)
            files[f"schemas/{domain}/{p.name}.json"] = emit_schema(p, list(item.analysis.rule_ids),
                                                                   base_uri=settings.schema_base_uri,
                                                                   date_ranges=date_ranges(item.analysis))
    if articles is None:
        root = project_root(item.path for item in loaded)
        if root is not None and coverage_files(root):
            articles, _ = load_coverage(root)  # INVARIANT: load() already reported its diagnostics
    if articles is not None:
        files["docs/coverage.md"] = emit_coverage(articles, [i.policy for i in loaded])
    if services is None:
        root = project_root(item.path for item in loaded)
        services = load_services(root)[0] if root is not None else {}  # INVARIANT: load() reported its diagnostics
    files["docs/index.md"] = emit_index([i.policy for i in sorted(loaded, key=lambda x: x.policy.id)], services,
                                        coverage="docs/coverage.md" in files)
    # load() ran the evaluators of policies with examples (and the runtime with them): compiling
    # them again would only cost time. INVARIANT: emitters produce valid Python.
    ran = {f"{i.policy.domain}/{i.policy.name}.py" for i in loaded if i.python is not None}
    if ran:
        ran.update(("_runtime.py", f"{HOLIDAYS_MODULE}.py"))
    for rel, text in files.items():
        if rel.endswith(".py") and rel not in ran:
            compile(text, f"generated/{rel}", "exec")
    return files


def existing_tree(out_dir: Path) -> dict[str, bytes]:
    """Every file of out_dir (no caches), read while no compile can swap it."""
    found: dict[str, bytes] = {}
    with tree.gate(out_dir.parent, exclusive=False):
        if not out_dir.is_dir():
            return found
        for path in sorted(out_dir.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                try:
                    found[path.relative_to(out_dir).as_posix()] = path.read_bytes()
                except OSError as err:
                    raise tree.FileError("read", shown_path(path, out_dir.parent), err) from None
    return found


def stale_files(files: dict[str, str], out_dir: Path) -> list[str]:
    """Paths (relative to out_dir) that differ from, are missing from, or are extra to `files`."""
    have = existing_tree(out_dir)
    want = {k: v.encode("utf-8") for k, v in files.items()}
    return sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))


def write_tree(files: dict[str, str], out_dir: Path) -> None:
    """Replace out_dir with exactly `files`: written aside, then swapped in as one step, under
    the project's lock (compiler/tree.py). If anything fails, out_dir is untouched; OS failures
    raise tree.FileError naming the operation and the path.
    """
    tree.install(files, out_dir)


def compile_all(root: Path) -> tuple[LoadResult, dict[str, str] | None]:
    """Load every policy and build the generated tree, or return None on any error."""
    result = load(root)
    if result.errors:
        return result, None
    return result, build(result.policies, result.articles, result.settings, result.services)

