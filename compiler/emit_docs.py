"""Renders a checked policy as its Korean counselor page (Markdown), and the index of all pages."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields, is_dataclass
from typing import TYPE_CHECKING, Any, Sequence

from compiler.check import Analysis, analyze
from compiler.korean import subject as _subject, topic as _topic
from compiler.markdown import cell as _cell, code as _code, md as _md
from compiler.page_examples import emit_examples
from compiler.values import fmt_literal as _fmt_literal, zone_words as _zone_words
from compiler.words import BOUNDED, Page
from dsl import ast as A

if TYPE_CHECKING:
    from compiler.examples import WorkedExample

__all__ = ["emit_docs", "emit_index"]

GENERATED_NOTE = "자동 생성 문서입니다. 직접 수정하지 마세요."


# ---------------------------------------------------------------- sections


def emit_docs(policy: A.Policy, examples: Sequence[WorkedExample], analysis: Analysis | None = None) -> str:
    """Render the Korean counselor page of one checked policy.

    Args:
        examples: the worked examples beside the policy as its evaluator decided them (outputs
            and deciding rule are the evaluator's, never the examples file's), in file order.
        analysis: the checker's analysis of this very policy; its inferred types and name
            resolutions are used instead of the page's own guesses.
    """
    if analysis is None or analysis.policy is not policy:
        # An analysis of another tree knows none of this tree's nodes.
        analysis = analyze(policy)
    page = Page(policy, analysis)
    blocks: list[list[str]] = [
        _emit_header(policy),
        _emit_overview(policy),
        _emit_inputs(page),
        _emit_outputs(page),
        _emit_checks(page),
        _emit_deciders(page),
        _emit_boundaries(page),
        emit_examples(page, examples),
        _emit_sources(policy),
    ]
    lines: list[str] = []
    for block in blocks:
        if block:
            if lines:
                lines.append("")
            lines.extend(block)
    return "\n".join(lines).rstrip("\n") + "\n"


def _emit_header(policy: A.Policy) -> list[str]:
    out = [
        f"# {_md(policy.title.text)}",
        "",
        f"> {GENERATED_NOTE} 원본: {_code(policy.path)}",
        "",
        f"- 정책 ID: {_code(policy.id)}",
    ]
    if policy.sources:
        out.append("- 근거: " + ", ".join(_source_words(s) for s in policy.sources))
    out.append(f"- 시행일: {policy.effective.value.isoformat() if policy.effective else '미정'}")
    out.append(f"- 기준 시간대: {_md(_zone_words(policy.zone))}")
    if policy.question is not None:
        out.append(f"- 자주 묻는 질문: {_md(policy.question.text)}")
    return out


def _source_words(source: A.Source) -> str:
    return f"{_code(source.file)} 「{_md(source.section)}」"


def _emit_overview(policy: A.Policy) -> list[str]:
    if policy.summary is None or not policy.summary.text.strip():
        return []
    return ["## 개요", "", _md(policy.summary.text)]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Lay out a Markdown table; cells must already be escaped."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    return out


def _emit_inputs(page: Page) -> list[str]:
    out = ["## 확인하는 정보", ""]
    if not page.policy.inputs:
        out.append("확인하는 정보가 없습니다.")
    else:
        rows = []
        for d in page.policy.inputs:
            if d.default is not None:
                need = f"기본값 {_cell(page.words(d.default))}"
            elif d.type.optional:
                need = "선택 (없으면 빈 목록)" if d.type.is_list else "선택"
            else:
                need = "필수"
            rows.append([_code(d.name, in_table=True), _cell(d.label.text), page.type_words(d.type), need])
        out.extend(_table(["항목", "설명", "형식", "필수 여부"], rows))
    if page.policy.lets:
        out += ["", "### 계산하는 값", ""]
        rows = [[_code(d.name, in_table=True), _cell(d.label.text), _cell(page.words(d.formula))]
                for d in page.policy.lets]
        out.extend(_table(["항목", "설명", "계산"], rows))
    return out


def _emit_outputs(page: Page) -> list[str]:
    out = ["## 판단 결과", ""]
    if not page.policy.outputs:
        return out + ["판단 결과가 없습니다."]
    rows = []
    for d in page.policy.outputs:
        how = _cell(page.words(d.formula)) if d.formula is not None else "아래 판단 순서로 정함"
        rows.append([_code(d.name, in_table=True), _cell(d.label.text), page.type_words(d.type), how])
    out.extend(_table(["항목", "설명", "형식", "정하는 방법"], rows))
    if _uses_percent_of_money(page):
        out += ["", "비율로 계산한 금액은 1원 미만을 버립니다."]
    return out


def _uses_percent_of_money(page: Page) -> bool:
    """Tell whether any formula takes a percentage of money (and so drops fractions of a won)."""
    pending: list[Any] = [(page.policy.lets, page.policy.outputs, page.policy.checks, page.policy.deciders)]
    while pending:  # a loop, not recursion: expressions may be nested as deep as the parser allows
        node = pending.pop()
        if isinstance(node, A.PercentOf) and page.type_of(node.amount) == "money":
            return True
        if isinstance(node, tuple):
            pending.extend(node)
        elif is_dataclass(node) and not isinstance(node, A.Span):
            pending.extend(getattr(node, f.name) for f in dataclass_fields(node))
    return False


def _emit_checks(page: Page) -> list[str]:
    if not page.policy.checks:
        return []
    out = [
        "## 확인 조건",
        "",
        "아래 조건을 모두 확인합니다. 통과하지 못한 조건이 여러 개이면 그 안내 문구를 모두 함께 안내합니다.",
    ]
    for number, check in enumerate(page.policy.checks, 1):
        outcome = "확인 후 가능(담당자 확인)" if check.review else "거절"
        out += [
            "",
            f"### 확인 {number}. {_md(page.says(check.message))}",
            "",
            f"- 조건: {_md(page.cond(check.condition))}",
            f"- 통과하지 못하면: {outcome}",
        ]
        if check.note is not None:
            out.append(f"- 참고: {_md(check.note.text)}")
        out.append(f"- 확인 조건 ID: {_code(check.id)}")
    return out


def _emit_deciders(page: Page) -> list[str]:
    out = ["## 판단 순서", ""]
    if not page.policy.deciders:
        return out + ["판단 규칙이 없습니다. 판단 결과는 위의 계산대로 정합니다."]
    if page.policy.checks:
        out.append("확인 조건을 모두 확인한 다음, 위에서부터 차례로 확인하여 처음 해당하는 항목으로 결정합니다.")
    else:
        out.append("위에서부터 차례로 확인하여 처음 해당하는 항목으로 결정합니다.")
    for number, decider in enumerate(page.policy.deciders, 1):
        out.append("")
        if isinstance(decider, A.Rule):
            out.extend(_emit_rule(page, number, decider))
        elif isinstance(decider, A.WindowTable):
            out.extend(_emit_window_table(page, number, decider))
        else:
            out.extend(_emit_grid_table(page, number, decider))
    return out


def _emit_rule(page: Page, number: int, rule: A.Rule) -> list[str]:
    if rule.condition is None:
        condition = "위 항목에 모두 해당하지 않을 때"
    else:
        condition = page.cond(rule.condition)
    out = [f"### {number}. {_md(page.says(rule.says))}", "", f"- 조건: {_md(condition)}"]
    results = page.assignments(rule.assignments)
    # A rule without `then` sets nothing: it only names the decision, so no result line.
    if len(results) == 1:
        out.append(f"- 결과: {_md(results[0])}")
    elif results:
        out.append("- 결과:")
        out.extend(f"  - {_md(r)}" for r in results)
    if rule.note is not None:
        out.append(f"- 참고: {_md(rule.note.text)}")
    out.append(f"- 규칙 ID: {_code(rule.id)}")
    return out


def _emit_window_table(page: Page, number: int, table: A.WindowTable) -> list[str]:
    key = page.sub(table.key, BOUNDED, None)
    targets = list(dict.fromkeys(a.target for row in table.rows for a in row.assignments))
    # A table that sets one output names it once, in the result column, not in every row.
    single = len(targets) == 1
    out = [f"### {number}. {_md(table.title.text)}", "", f"{_md(key)}에 따라 정합니다.", ""]
    rows = []
    for row in table.rows:
        span = page.row_where(table, row)
        result = page.assignments(row.assignments, with_target=not single)
        out.append(f"- {_md(_subject(key))} {_md(span)}: {_md('; '.join(result))}")
        out.append(f"  - 안내: {_md(page.says(row.says))}")
        rows.append([_cell(span), "<br>".join(_cell(r) for r in result), _code(f"{table.id}.{row.id}", in_table=True)])
    result_head = _cell(page.label(targets[0])) if single else "결과"
    out.append("")
    out.extend(_table([f"구간 ({_cell(key)})", result_head, "규칙 ID"], rows))
    return out


def _emit_grid_table(page: Page, number: int, grid: A.GridTable) -> list[str]:
    target = page.label(grid.target)
    row_key = page.sub(grid.row_key, BOUNDED, None)
    col_key = page.sub(grid.col_key, BOUNDED, None)
    out = [
        f"### {number}. {_md(target)}: {_md(row_key)} × {_md(col_key)}",
        "",
        f"{_md(_topic(target))} 아래 표로 정합니다. 행은 {_md(row_key)}, 열은 {_md(col_key)}입니다.",
        "",
    ]
    header = [_cell(row_key)] + [
        f"{_cell(page.head(grid.col_key, col))} ({_code(col.name, in_table=True)})" for col in grid.columns
    ]
    rows = []
    for row in grid.rows:
        cells = [f"{_cell(page.head(grid.row_key, row.head))} ({_code(row.head.name, in_table=True)})"]
        cells += [_cell(_fmt_literal(c, page.zone)) for c in row.cells]
        rows.append(cells)
    out.extend(_table(header, rows))
    out += [
        "",
        f"- 안내: {_md(page.says(grid.says))}",
        f"- 규칙 ID: {_code(grid.id + '.<행>.<열>')}"
        + (f" (예: {_code(f'{grid.id}.{grid.rows[0].head.name}.{grid.columns[0].name}')})"
           if grid.rows and grid.columns else ""),
    ]
    return out


def _emit_boundaries(page: Page) -> list[str]:
    notes = [_md(n.text) for n in page.policy.notes]
    for decider in page.policy.deciders:
        if isinstance(decider, A.WindowTable) and decider.note is not None:
            notes.append(f"{_md(decider.title.text)}: {_md(decider.note.text)}")
        elif isinstance(decider, A.GridTable) and decider.note is not None:
            notes.append(f"{_md(page.label(decider.target))} 표: {_md(decider.note.text)}")
    if not notes:
        return []
    return ["## 경계 기준", ""] + [f"- {n}" for n in notes]


def _emit_sources(policy: A.Policy) -> list[str]:
    out = ["## 근거", ""]
    if not policy.sources:
        return out + ["- 등록된 근거 문서가 없습니다."]
    return out + [f"- 상담 문서 {_code(s.file)}, 「{_md(s.section)}」 항목" for s in policy.sources]


# ---------------------------------------------------------------- index


def emit_index(policies: list[A.Policy], services: dict[str, str], coverage: bool = False) -> str:
    """Render `generated/docs/index.md`: every policy by service, linked, with its question.

    Args:
        services: the Korean name of each domain's service (`policies/services.yaml`); the
            pipeline refuses a domain without one, so the domain id shows only for direct callers.
        coverage: link the article-to-rule table (`coverage.md`), which is written beside it.
    """
    out = ["# 상담 정책 목록", "", f"> {GENERATED_NOTE}"]
    if coverage:
        out += ["", "상담 문서의 구간과 질문마다 어느 정책의 어느 규칙이 판단하는지는 "
                    "[상담 문서별 규칙 대응표](coverage.md)에 있습니다."]
    if not policies:
        out += ["", "등록된 정책이 없습니다."]
    by_domain: dict[str, list[A.Policy]] = {}
    for policy in sorted(policies, key=lambda p: (p.domain, p.name)):
        by_domain.setdefault(policy.domain, []).append(policy)
    for domain, members in by_domain.items():
        out += ["", f"## {_md(services.get(domain, domain))}", ""]
        for policy in members:
            line = f"- [{_md(policy.title.text, brackets=True)}]({policy.domain}/{policy.name}.md)"
            if policy.question is not None and policy.question.text.strip():
                line += f" — {_md(policy.question.text)}"
            out.append(line)
    return "\n".join(out) + "\n"
