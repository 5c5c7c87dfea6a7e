"""Maps every section of the source articles to the policies and rules that implement it.

The articles themselves live in the project, `policies/articles/<file>`, named by the file
name a policy's `source` line and a coverage file's `article` cite. Every citation is looked
up there: a cited file the project does not hold is an error (also when the folder is absent).

`policies/coverage/<article stem>.yaml` lists, in the article's order, each section (or Q&A)
of one article with either `implemented_by` (policy ids and their rule ids) or `not_a_rule`
(why there is nothing to decide). `load_coverage` reads them, `check_coverage` holds them
against the policies, and `emit_coverage` renders `generated/docs/coverage.md`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from compiler.diagnostics import Diagnostic, Span, suggest
from compiler.emit_docs import GENERATED_NOTE
from compiler.markdown import cell as escape_cell, code as code_span, md as escape_md
from dsl import ast as A

__all__ = [
    "Article", "Implementation", "RuleRef", "Section", "COVERAGE_DIR", "coverage_files", "load_coverage",
    "check_coverage", "emit_coverage", "project_root", "rule_ids", "ARTICLES_DIR", "article_files",
]

COVERAGE_DIR = Path("policies") / "coverage"
ARTICLES_DIR = Path("policies") / "articles"

_ARTICLE_KEYS = ("article", "title", "sections")
_SECTION_KEYS = ("section", "implemented_by", "not_a_rule")
_IMPLEMENTATION_KEYS = ("policy", "rules")


@dataclass(frozen=True, slots=True)
class RuleRef:
    """One rule id listed under `rules:`, where it is written."""

    id: str
    span: Span


@dataclass(frozen=True, slots=True)
class Implementation:
    """A policy implementing (part of) a section, and the ids of the rules that do it."""

    policy: str
    rules: tuple[RuleRef, ...]
    span: Span  # the policy id's value


@dataclass(frozen=True, slots=True)
class Section:
    """One section or Q&A of an article: implemented by rules, or not a rule (with the reason)."""

    name: str
    implemented_by: tuple[Implementation, ...]
    not_a_rule: str | None
    span: Span  # the section name's value


@dataclass(frozen=True, slots=True)
class Article:
    """The coverage of one source article, sections in the article's order."""

    file: str  # the article's file name in policies/articles/
    title: str
    sections: tuple[Section, ...]
    path: str  # the coverage file, relative to the project root
    span: Span  # the `article` value


# ---------------------------------------------------------------- reading


def article_files(root: Path) -> list[str]:
    """The file names of the project's source articles (`policies/articles/`), sorted.

    No folder means no articles: every citation is then refused, never silently let through.
    """
    folder = Path(root) / ARTICLES_DIR
    try:
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".") and p.is_file())
    except OSError:  # absent, or not a folder
        return []


def _not_in_project(file: str, known: list[str], span: Span, what: str) -> Diagnostic:
    """E411: a cited article file that is not in `policies/articles/`, with the likeliest one."""
    folder = ARTICLES_DIR.as_posix() + "/"
    guess = suggest(file, known)
    if guess:
        help = f"did you mean `{guess}`?"
    elif known:
        help = f"name a file of `{folder}`, or put the article there"
    else:
        help = f"the project has no articles: put the article's text in `{folder}{file}`"
    return Diagnostic("E411", f"{what} `{file}` is not in `{folder}`", span, help=help,
                      expected=tuple(f"`{k}`" for k in known))


def project_root(policy_paths: Iterable[Path]) -> Path | None:
    """The project holding these policy files: the parent of their `policies/` folder."""
    for path in sorted(Path(p) for p in policy_paths):
        for folder in path.parents:
            if folder.name == "policies":
                return folder.parent
    return None


def coverage_files(root: Path) -> list[Path]:
    """Every coverage file of the project, in a stable order."""
    folder = Path(root) / COVERAGE_DIR
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()),
                  key=lambda p: p.name)


def load_coverage(root: Path, sources: dict[str, str] | None = None) -> tuple[list[Article], list[Diagnostic]]:
    """Read every `policies/coverage/*.yaml`; report what is malformed with file:line.

    Args:
        sources: filled with shown path -> text of each file read, for rendering diagnostics.
    """
    root = Path(root)
    articles: list[Article] = []
    diags: list[Diagnostic] = []
    known = article_files(root)
    by_article: dict[str, Article] = {}
    for path in coverage_files(root):
        shown = _shown(path, root)
        article, found = _read_article(path, shown, sources)
        diags.extend(found)
        if article is None:
            continue
        if article.file in by_article:
            diags.append(Diagnostic("E415", f"article `{article.file}` is also covered by `{by_article[article.file].path}`",
                                    article.span, help="keep one coverage file per article"))
            continue
        by_article[article.file] = article
        if Path(article.file).stem != path.stem:
            diags.append(Diagnostic("E414", f"the coverage of `{article.file}` must be named `{Path(article.file).stem}.yaml`",
                                    article.span, help=f"rename `{shown}`"))
        if article.file not in known:
            diags.append(_not_in_project(article.file, known, article.span, "article"))
        articles.append(article)
    diags.sort(key=Diagnostic.sort_key)
    return articles, diags


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _read_article(path: Path, shown: str, sources: dict[str, str] | None) -> tuple[Article | None, list[Diagnostic]]:
    start = Span(shown, 1, 1, 1, 2)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        return None, [Diagnostic("E400", f"cannot read the file: {err.strerror or err}", start)]
    except UnicodeDecodeError as err:
        return None, [Diagnostic("E400", f"the file is not UTF-8 text (byte {err.start})", start,
                                 help="save the coverage file as UTF-8")]
    if sources is not None:
        sources[shown] = text
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(err, "problem", None) or str(err)
        return None, [Diagnostic("E401", f"coverage file is not valid YAML: {problem}", Span(shown, line, col, line, col + 1),
                                 help="quote texts that contain `: `")]
    reader = _Reader(shown)
    article = reader.article(node)
    return article, reader.diags


class _Reader:
    """Turns the composed YAML of one coverage file into an Article, reporting what is off."""

    def __init__(self, shown: str):
        self.shown = shown
        self.diags: list[Diagnostic] = []

    def err(self, code: str, message: str, node: Any, help: str | None = None, expected: tuple[str, ...] = ()) -> None:
        self.diags.append(Diagnostic(code, message, self.span(node), help=help, expected=expected))

    def span(self, node: Any) -> Span:
        if node is None:
            return Span(self.shown, 1, 1, 1, 2)
        s, e = node.start_mark, node.end_mark
        end_col = e.column + 1 if e.line == s.line and e.column > s.column else s.column + 2
        return Span(self.shown, s.line + 1, s.column + 1, s.line + 1, end_col)

    def mapping(self, node: Any, keys: tuple[str, ...], what: str) -> dict[str, tuple[Any, Any]] | None:
        """Read a mapping node as key -> (key node, value node); report unknown or repeated keys."""
        if not isinstance(node, yaml.MappingNode):
            self.err("E402", f"{what} must be a mapping with " + ", ".join(f"`{k}`" for k in keys), node)
            return None
        out: dict[str, tuple[Any, Any]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in keys:
                guess = suggest(str(key), list(keys)) if key is not None else None
                self.err("E403", f"unknown key `{key}` in {what}", key_node,
                         help=f"did you mean `{guess}`?" if guess else None,
                         expected=tuple(f"`{k}`" for k in keys))
                continue
            if key in out:
                self.err("E403", f"key `{key}` appears twice in {what}", key_node)
                continue
            out[key] = (key_node, value_node)
        return out

    def text(self, node: Any) -> str | None:
        """The text of a scalar, or None for a null or a non-scalar."""
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            return None
        return node.value

    def article(self, node: Any) -> Article | None:
        if node is None:
            self.err("E402", "coverage file is empty: it needs `article`, `title` and `sections`", None)
            return None
        fields = self.mapping(node, _ARTICLE_KEYS, "a coverage file")
        if fields is None:
            return None
        missing = [k for k in _ARTICLE_KEYS if k not in fields]
        if missing:
            self.err("E402", "coverage file needs " + ", ".join(f"`{k}`" for k in missing), node)
        values = {k: self.text(v) for k, (_, v) in fields.items() if k != "sections"}
        for key in ("article", "title"):
            if key in fields and not (values.get(key) or "").strip():
                self.err("E402", f"`{key}` must be a text", fields[key][1])
        sections_node = fields["sections"][1] if "sections" in fields else None
        sections: list[Section] = []
        if sections_node is not None:
            if not isinstance(sections_node, yaml.SequenceNode) or not sections_node.value:
                self.err("E402", "`sections` must list the article's sections, in order", sections_node)
            else:
                seen: dict[str, Section] = {}
                for item in sections_node.value:
                    section = self.section(item)
                    if section is None:
                        continue
                    if section.name in seen:
                        self.diags.append(Diagnostic(
                            "E405", f"section `{section.name}` is listed twice", section.span,
                            help=f"first listed at line {seen[section.name].span.line}; list each section once"))
                        continue
                    seen[section.name] = section
                    sections.append(section)
        if not (values.get("article") or "").strip() or not (values.get("title") or "").strip():
            return None
        return Article(values["article"].strip(), values["title"].strip(), tuple(sections), self.shown,
                       self.span(fields["article"][1]))

    def section(self, node: Any) -> Section | None:
        fields = self.mapping(node, _SECTION_KEYS, "a section")
        if fields is None:
            return None
        name = self.text(fields["section"][1]) if "section" in fields else None
        if name is None or not name.strip():
            self.err("E404", "a section needs `section`: its title as the article writes it",
                     fields["section"][1] if "section" in fields else node)
            return None
        name_node = fields["section"][1]
        has_impl, has_reason = "implemented_by" in fields, "not_a_rule" in fields
        if has_impl == has_reason:
            self.err("E406", f"section `{name}` needs exactly one of `implemented_by` and `not_a_rule`", name_node,
                     help="list the policies and rules that implement it, or say why it is not a rule")
            return None
        if has_reason:
            reason = self.text(fields["not_a_rule"][1])
            if reason is None or not reason.strip():
                self.err("E407", f"section `{name}` needs a reason after `not_a_rule`", fields["not_a_rule"][1],
                         help="say why there is nothing to decide: a phone number, a link, an app screen, …")
                return None
            return Section(name.strip(), (), reason.strip(), self.span(name_node))
        impl_node = fields["implemented_by"][1]
        if not isinstance(impl_node, yaml.SequenceNode) or not impl_node.value:
            self.err("E408", f"`implemented_by` of section `{name}` must list policies with their rules", impl_node,
                     help="write `- policy: <domain>.<name>` and `rules: [<rule id>, …]`")
            return None
        impls = [impl for impl in (self.implementation(n) for n in impl_node.value) if impl is not None]
        if len(impls) != len(impl_node.value):
            return None
        return Section(name.strip(), tuple(impls), None, self.span(name_node))

    def implementation(self, node: Any) -> Implementation | None:
        fields = self.mapping(node, _IMPLEMENTATION_KEYS, "an `implemented_by` entry")
        if fields is None:
            return None
        policy = self.text(fields["policy"][1]) if "policy" in fields else None
        if policy is None or not policy.strip():
            self.err("E408", "an `implemented_by` entry needs `policy`: a policy id like `pet_taxi.cancellation_fee`",
                     fields["policy"][1] if "policy" in fields else node)
            return None
        rules_node = fields["rules"][1] if "rules" in fields else None
        ids = rules_node.value if isinstance(rules_node, yaml.SequenceNode) else None
        if not ids or any(self.text(n) is None for n in ids):
            self.err("E408", f"`rules` of `{policy}` must list rule ids, like `[by_time, dispatch_grace]`",
                     rules_node if rules_node is not None else node,
                     help="rule ids, table ids, check ids, or row ids like `by_time.early`")
            return None
        refs = tuple(RuleRef(self.text(n).strip(), self.span(n)) for n in ids)
        return Implementation(policy.strip(), refs, self.span(fields["policy"][1]))


# ---------------------------------------------------------------- checking


def rule_ids(policy: A.Policy) -> list[str]:
    """Every id a coverage file may name in a policy: rules, tables, rows, grid cells, checks."""
    out: list[str] = []
    for check in policy.checks:
        out.append(check.id)
    for decider in policy.deciders:
        out.append(decider.id)
        if isinstance(decider, A.WindowTable):
            out.extend(f"{decider.id}.{row.id}" for row in decider.rows)
        elif isinstance(decider, A.GridTable):
            out.extend(f"{decider.id}.{row.head.name}.{col.name}" for row in decider.rows for col in decider.columns)
    return out


def _policy_of(item: Any) -> A.Policy:
    return item if isinstance(item, A.Policy) else item.policy


def check_coverage(articles: list[Article], loaded_policies: Iterable[Any], *, complete: bool = True,
                   known_articles: list[str] | None = None) -> list[Diagnostic]:
    """Hold the coverage files and the policies' citations against each other; nothing may be silently missing.

    Args:
        loaded_policies: the checked policies (`Loaded` items or `Policy` nodes).
        complete: whether these are all of the project's policies. When only some are loaded,
            a policy id the coverage names but nothing loaded declares is not reported.
        known_articles: the project's article files (`article_files(root)`): each `source` line
            citing another file is refused (E411). The pipeline always passes them; None (a
            caller holding only coverage files against policies) leaves the citations alone.
    """
    policies = {p.id: p for p in map(_policy_of, loaded_policies)}
    diags: list[Diagnostic] = []
    missing: set[tuple[str, str]] = set()  # (policy id, article file) cited but not in the project
    if known_articles is not None:
        for policy in sorted(policies.values(), key=lambda p: p.id):
            for source in policy.sources:
                if source.file not in known_articles and (policy.id, source.file) not in missing:
                    missing.add((policy.id, source.file))  # one error per policy and file: its first citation
                    diags.append(_not_in_project(source.file, known_articles, source.span, "cited article"))
    for article in articles:
        for section in article.sections:
            for impl in section.implemented_by:
                policy = policies.get(impl.policy)
                if policy is None:
                    if complete:
                        guess = suggest(impl.policy, list(policies))
                        diags.append(Diagnostic("E409", f"section `{section.name}` names policy `{impl.policy}`, which does not exist",
                                                impl.span, help=f"did you mean `{guess}`?" if guess else "write a policy id like `pet_taxi.cancellation_fee`"))
                    continue
                known = rule_ids(policy)
                for ref in impl.rules:
                    if ref.id not in known:
                        guess = suggest(ref.id, known)
                        diags.append(Diagnostic("E410", f"policy `{impl.policy}` has no rule `{ref.id}`", ref.span,
                                                help=f"did you mean `{guess}`?" if guess else "name a rule, table, row or check of the policy",
                                                expected=tuple(f"`{k}`" for k in known if "." not in k)))
    # No coverage file at all: the table is not started yet, so there is nothing to hold policies to.
    if not articles:
        return sorted(diags, key=Diagnostic.sort_key)
    by_file = {a.file: a for a in articles}
    for policy in sorted(policies.values(), key=lambda p: p.id):
        warned: set[str] = set()
        for source in policy.sources:
            article = by_file.get(source.file)
            if article is None:
                if source.file in warned or (policy.id, source.file) in missing:
                    continue
                warned.add(source.file)
                # A warning: coverage files are written one article at a time.
                diags.append(Diagnostic("W413", f"article `{source.file}` has no coverage file", source.span, severity="warning",
                                        help=f"add `{(COVERAGE_DIR / (Path(source.file).stem + '.yaml')).as_posix()}` listing its sections"))
                continue
            names = [s.name for s in article.sections]
            if source.section not in names:
                guess = suggest(source.section, names)
                diags.append(Diagnostic("E412", f"section `{source.section}` is not listed in the coverage of `{source.file}`",
                                        source.span,
                                        help=f"did you mean `{guess}`?" if guess else f"add it to `{article.path}`, in the article's order"))
    return sorted(diags, key=Diagnostic.sort_key)


# ---------------------------------------------------------------- emitting


def emit_coverage(articles: list[Article], policies: Iterable[Any]) -> str:
    """Render `generated/docs/coverage.md`: every article section → its policies and rules, or why none."""
    by_id = {p.id: p for p in map(_policy_of, policies)}
    ordered = sorted(articles, key=lambda a: a.file)
    out = [
        "# 상담 문서별 규칙 대응표",
        "",
        f"> {GENERATED_NOTE} 원본: {code_span(COVERAGE_DIR.as_posix() + '/')}",
        "",
        "상담 문서의 모든 구간과 질문이 어느 정책의 어느 규칙으로 판단되는지, 규칙이 아니면 그 이유를 보여 줍니다. "
        "[상담 정책 목록](index.md)",
    ]
    if not ordered:
        return "\n".join(out + ["", "등록된 대응표가 없습니다."]) + "\n"
    sections = [s for a in ordered for s in a.sections]
    out += ["", f"전체: 상담 문서 {len(ordered):,}개, {_counts(sections)}"]
    for article in ordered:
        out += [
            "",
            f"## {escape_md(article.title)}",
            "",
            f"- 상담 문서: {code_span(article.file)}",
            f"- {_counts(list(article.sections))}",
            "",
            "| 구간/섹션 | 구현 정책 · 규칙 | 비고 |",
            "| --- | --- | --- |",
        ]
        for section in article.sections:
            if section.not_a_rule is not None:
                out.append(f"| {escape_cell(section.name)} | — | 규칙 아님: {escape_cell(section.not_a_rule)} |")
                continue
            impls = "<br>".join(_implementation_words(impl, by_id.get(impl.policy)) for impl in section.implemented_by)
            out.append(f"| {escape_cell(section.name)} | {impls} |  |")
    return "\n".join(out) + "\n"


def _counts(sections: list[Section]) -> str:
    done = sum(1 for s in sections if s.not_a_rule is None)
    return f"섹션 {len(sections):,}개: 규칙으로 구현 {done:,}개, 규칙 아님 {len(sections) - done:,}개"


def _implementation_words(impl: Implementation, policy: A.Policy | None) -> str:
    rules = ", ".join(code_span(r.id, in_table=True) for r in impl.rules)
    if policy is None:
        return f"{code_span(impl.policy, in_table=True)}: {rules}"
    link = f"[{escape_md(policy.title.text, brackets=True).replace('|', chr(92) + '|')}]({policy.domain}/{policy.name}.md)"
    return f"{link} ({code_span(policy.id, in_table=True)}): {rules}"
