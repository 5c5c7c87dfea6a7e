"""Tests for the article-to-rule coverage table (compiler/coverage.py) and its place in the pipeline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.coverage import (
    ARTICLES_DIR, COVERAGE_DIR, article_files, check_coverage, coverage_files, emit_coverage, load_coverage, rule_ids,
)
from compiler.diagnostics import render
from dsl.parser import parse

ROOT = Path(__file__).resolve().parent.parent

ARTICLE = "001_643b8286a8614a89.txt"

FEE = '''policy pet_taxi.fee "펫 예약 취소수수료"
  source "001_643b8286a8614a89.txt" section "이용료 취소수수료"
input fare: money "운임"
input before: duration "출발까지 남은 시간"
input no_show: bool = false "승객 노쇼 여부"
output fee: money "취소수수료"
check positive "운임은 0원보다 커야 합니다." requires fare > 0원
rule passenger_no_show "승객 노쇼" when no_show then fee = fare
table by_time by before "출발까지 남은 시간별 취소수수료"
  free (24h, ∞): fee = 0원 "무료"
  early (-∞, 24h]: fee = 10% of fare "10%"
'''

PLAN = '''policy pet_taxi.plan "요금제별 수수료율"
  source "001_643b8286a8614a89.txt" section "요금제"
  source "001_643b8286a8614a89.txt" section "이용료 취소수수료"
enum plan "요금제"
  cheap "초특가"
  normal "일반가"
input p: plan "요금제"
input h: duration "남은 시간"
output rate: percent "수수료율"
table rates sets rate by p, h "요금제 {p}: {rate}"
  columns far [24h, ∞) | near (-∞, 24h)
  cheap: 10% | 100%
  normal: 0% | 30%
'''

GOOD_COVERAGE = f'''article: {ARTICLE}
title: "[펫] 기본 정책"
sections:
  - section: 지원 버전
    not_a_rule: 앱 버전 지원 종료 안내로, 판정할 조건이 없습니다.
  - section: 이용료 취소수수료
    implemented_by:
      - policy: pet_taxi.fee
        rules: [passenger_no_show, by_time, by_time.early, positive]
      - policy: pet_taxi.plan
        rules: [rates]
  - section: 요금제
    implemented_by:
      - policy: pet_taxi.plan
        rules: [rates.cheap.far]
  - section: 고객센터
    not_a_rule: "전화번호 안내 | 1599-0000"
'''


def make_project(base: Path, coverage: dict[str, str] | None = None, articles: bool = True,
                 policies: dict[str, str] | None = None) -> Path:
    """Write a project under base/proj, its articles in policies/articles/, and return its root."""
    root = base / "proj"
    for rel, text in (policies if policies is not None else {"pet_taxi/fee": FEE, "pet_taxi/plan": PLAN}).items():
        path = root / "policies" / f"{rel}.policy"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "policies").mkdir(parents=True, exist_ok=True)
    for name, text in (coverage or {}).items():
        path = root / COVERAGE_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "policies" / "services.yaml").write_text("pet_taxi: 카카오 T 펫\n", encoding="utf-8")
    if articles:
        folder = root / ARTICLES_DIR
        folder.mkdir(parents=True, exist_ok=True)
        for name in (ARTICLE, "002_447243390f4def35.txt"):
            (folder / name).write_text("# 기사\n", encoding="utf-8")
    return root


def diagnostics(root: Path) -> list:
    """Every diagnostic of loading root, but the fixtures' missing worked examples."""
    return [d for d in pipeline.load(root).diagnostics if d.code != "W301"]


def codes(root: Path) -> list[str]:
    return [d.code for d in diagnostics(root)]


def one(root: Path, code: str):
    found = [d for d in diagnostics(root) if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in diagnostics(root)]
    return found[0]


# ---------------------------------------------------------------- a complete table


def test_complete_coverage_has_no_diagnostics(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE})
    assert [(d.code, d.message) for d in diagnostics(root)] == []
    articles, diags = load_coverage(root)
    assert diags == []
    [article] = articles
    assert article.file == ARTICLE and article.title == "[펫] 기본 정책"
    assert [s.name for s in article.sections] == ["지원 버전", "이용료 취소수수료", "요금제", "고객센터"]
    assert article.sections[1].implemented_by[0].policy == "pet_taxi.fee"
    assert [r.id for r in article.sections[1].implemented_by[0].rules] == ["passenger_no_show", "by_time", "by_time.early", "positive"]


def test_rule_ids_of_a_policy():
    fee = parse(FEE, "policies/pet_taxi/fee.policy")
    plan = parse(PLAN, "policies/pet_taxi/plan.policy")
    assert rule_ids(fee) == ["positive", "passenger_no_show", "by_time", "by_time.free", "by_time.early"]
    assert rule_ids(plan) == ["rates", "rates.cheap.far", "rates.cheap.near", "rates.normal.far", "rates.normal.near"]


def test_compile_writes_coverage_page_and_links_it(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE})
    result, files = pipeline.compile_all(root)
    assert result.errors == [] and files is not None
    page = files["docs/coverage.md"]
    lines = page.splitlines()
    assert lines[0] == "# 상담 문서별 규칙 대응표"
    assert "## \\[펫] 기본 정책" in lines
    assert "- 상담 문서: `001_643b8286a8614a89.txt`" in lines
    assert "| 구간/섹션 | 구현 정책 · 규칙 | 비고 |" in lines
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| 구간") and not line.startswith("| ---")]
    assert [r.split(" | ")[0] for r in rows] == ["| 지원 버전", "| 이용료 취소수수료", "| 요금제", "| 고객센터"]
    assert rows[0] == "| 지원 버전 | — | 규칙 아님: 앱 버전 지원 종료 안내로, 판정할 조건이 없습니다. |"
    assert rows[1] == ("| 이용료 취소수수료 | [펫 예약 취소수수료](pet_taxi/fee.md) (`pet_taxi.fee`): `passenger_no_show`, "
                       "`by_time`, `by_time.early`, `positive`<br>[요금제별 수수료율](pet_taxi/plan.md) (`pet_taxi.plan`): `rates` |  |")
    assert rows[3] == "| 고객센터 | — | 규칙 아님: 전화번호 안내 \\| 1599-0000 |"
    assert "- 섹션 4개: 규칙으로 구현 2개, 규칙 아님 2개" in lines
    assert "전체: 상담 문서 1개, 섹션 4개: 규칙으로 구현 2개, 규칙 아님 2개" in lines
    # Every linked page is one the build writes, relative to generated/docs/.
    for target in ("pet_taxi/fee.md", "pet_taxi/plan.md"):
        assert f"docs/{target}" in files
    assert "[상담 문서별 규칙 대응표](coverage.md)" in files["docs/index.md"]
    assert page.endswith("\n") and not page.endswith("\n\n")


def test_no_coverage_files_means_no_page_no_link_no_diagnostics(tmp_path):
    root = make_project(tmp_path)
    assert coverage_files(root) == []
    result, files = pipeline.compile_all(root)
    assert [d.code for d in result.diagnostics if d.code != "W301"] == []
    assert "docs/coverage.md" not in files
    assert "coverage.md" not in files["docs/index.md"]


def test_emit_coverage_is_deterministic_and_sorted_by_article(tmp_path):
    second = "article: 002_447243390f4def35.txt\ntitle: 콜버스\nsections:\n  - section: 안내\n    not_a_rule: 링크\n"
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE, "002_447243390f4def35.yaml": second})
    articles, diags = load_coverage(root)
    assert diags == []
    loaded = pipeline.load(root).policies
    page = emit_coverage(articles, loaded)
    assert page == emit_coverage(list(reversed(articles)), list(reversed(loaded)))
    assert page.index("## \\[펫] 기본 정책") < page.index("## 콜버스")
    assert "전체: 상담 문서 2개, 섹션 5개: 규칙으로 구현 2개, 규칙 아님 3개" in page


# ---------------------------------------------------------------- every kind of mistake


def test_policy_section_missing_from_the_table(tmp_path):
    text = GOOD_COVERAGE.replace("  - section: 요금제\n    implemented_by:\n      - policy: pet_taxi.plan\n"
                                 "        rules: [rates.cheap.far]\n", "  - section: 요금 제도\n    not_a_rule: 없음\n")
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": text})
    d = one(root, "E412")
    assert d.message == "section `요금제` is not listed in the coverage of `001_643b8286a8614a89.txt`"
    # It points at the policy's own source line.
    assert (d.span.path, d.span.line) == ("policies/pet_taxi/plan.policy", 2)
    assert d.help == "did you mean `요금 제도`?"
    assert d.severity == "error"


def test_unknown_policy_in_the_table(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE.replace("policy: pet_taxi.plan\n        rules: [rates]",
                                                                                    "policy: pet_taxi.plans\n        rules: [rates]")})
    d = one(root, "E409")
    assert d.message == "section `이용료 취소수수료` names policy `pet_taxi.plans`, which does not exist"
    assert d.help == "did you mean `pet_taxi.plan`?"
    assert (d.span.path, d.span.line) == ("policies/coverage/001_643b8286a8614a89.yaml", 10)


def test_unknown_rule_in_the_table(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE.replace("by_time.early", "by_time.erly")})
    d = one(root, "E410")
    assert d.message == "policy `pet_taxi.fee` has no rule `by_time.erly`"
    assert d.help == "did you mean `by_time.early`?"
    assert (d.span.path, d.span.line) == ("policies/coverage/001_643b8286a8614a89.yaml", 9)


def test_grid_cells_need_their_full_id(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE.replace("rates.cheap.far", "rates.cheap")})
    assert one(root, "E410").message == "policy `pet_taxi.plan` has no rule `rates.cheap`"


@pytest.mark.parametrize("section, message", [
    ("  - section: 고객센터\n", "section `고객센터` needs exactly one of `implemented_by` and `not_a_rule`"),
    ("  - section: 고객센터\n    not_a_rule: 전화\n    implemented_by:\n      - policy: pet_taxi.fee\n        rules: [by_time]\n",
     "section `고객센터` needs exactly one of `implemented_by` and `not_a_rule`"),
])
def test_section_needs_exactly_one_of_implemented_by_and_not_a_rule(tmp_path, section, message):
    text = GOOD_COVERAGE.split("  - section: 고객센터")[0] + section
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": text})
    d = one(root, "E406")
    assert d.message == message
    assert d.span.line == 16


@pytest.mark.parametrize("reason", ["", '""', '"   "'])
def test_not_a_rule_needs_a_reason(tmp_path, reason):
    text = GOOD_COVERAGE.replace('not_a_rule: "전화번호 안내 | 1599-0000"', f"not_a_rule: {reason}")
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": text})
    assert one(root, "E407").message == "section `고객센터` needs a reason after `not_a_rule`"


def test_section_listed_twice(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE + "  - section: 지원 버전\n    not_a_rule: 다시\n"})
    d = one(root, "E405")
    assert d.message == "section `지원 버전` is listed twice"
    assert d.span.line == 18 and d.help == "first listed at line 4; list each section once"


def test_article_not_in_the_project(tmp_path):
    text = GOOD_COVERAGE.replace(f"article: {ARTICLE}", "article: 001_643b8286a8614a8.txt")
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": text})
    d = one(root, "E411")
    assert d.message == "article `001_643b8286a8614a8.txt` is not in `policies/articles/`"
    assert d.help == f"did you mean `{ARTICLE}`?"
    assert d.span.line == 1


def test_a_policy_citing_an_article_not_in_the_project_is_refused_at_its_source_line(tmp_path):
    typo = FEE.replace(f'source "{ARTICLE}"', 'source "001_643b8286a8614a8.txt"')
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE},
                        policies={"pet_taxi/fee": typo, "pet_taxi/plan": PLAN})
    d = one(root, "E411")  # the error alone: no "has no coverage file" warning beside it
    assert d.message == "cited article `001_643b8286a8614a8.txt` is not in `policies/articles/`"
    assert (d.span.path, d.span.line, d.span.col) == ("policies/pet_taxi/fee.policy", 2, 3)
    assert d.help == f"did you mean `{ARTICLE}`?"
    assert d.expected == (f"`{ARTICLE}`", "`002_447243390f4def35.txt`")
    result, files = pipeline.compile_all(root)
    assert files is None and [e.code for e in result.errors] == ["E411"]


def test_without_an_articles_folder_every_citation_is_refused(tmp_path):
    # What used to switch the check off (no ../shared/seeds beside a copy) is now an error.
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE}, articles=False)
    assert not (root / ARTICLES_DIR).exists() and article_files(root) == []
    found = [d for d in diagnostics(root) if d.code == "E411"]
    # The coverage file's article, and each policy once per cited file (plan cites it twice).
    assert [(d.span.path, d.span.line) for d in found] == [
        ("policies/coverage/001_643b8286a8614a89.yaml", 1),
        ("policies/pet_taxi/fee.policy", 2),
        ("policies/pet_taxi/plan.policy", 2),
    ]
    assert found[1].help == f"the project has no articles: put the article's text in `policies/articles/{ARTICLE}`"


def test_a_copy_of_the_project_elsewhere_holds_its_articles(tmp_path):
    # The repository's policies/ copied where no ../shared exists: it compiles, and the citations
    # are still looked up (they used to be let through when ../shared/seeds was not beside it).
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "policies", root / "policies")
    assert not (tmp_path / "shared").exists()
    policy = root / "policies" / "jeju_rentcar" / "partner_discount.policy"  # one policy: cheap
    result = pipeline.load(root, [policy])
    assert result.errors == []
    assert "docs/jeju_rentcar/partner_discount.md" in pipeline.build(result.policies, result.articles, result.settings,
                                                                     result.services)
    article = "003_c59880477d6c5d91.txt"
    text = policy.read_text(encoding="utf-8")
    assert f'source "{article}"' in text
    policy.write_text(text.replace(article, "003_c59880477d6c5d9.txt"), encoding="utf-8")
    coverage = root / COVERAGE_DIR / "000_12d6022c3118eb37.yaml"
    coverage.write_text(coverage.read_text(encoding="utf-8").replace("000_12d6022c3118eb37.txt", "000_12d6022c3118eb37"),
                        encoding="utf-8")
    found = pipeline.load(root, [policy]).errors
    assert [(d.code, d.span.path, d.help) for d in found] == [
        ("E411", "policies/coverage/000_12d6022c3118eb37.yaml", "did you mean `000_12d6022c3118eb37.txt`?"),
        ("E411", "policies/jeju_rentcar/partner_discount.policy", f"did you mean `{article}`?"),
    ]


def test_coverage_file_named_after_its_article(tmp_path):
    root = make_project(tmp_path, {"pet.yaml": GOOD_COVERAGE})
    assert one(root, "E414").message == "the coverage of `001_643b8286a8614a89.txt` must be named `001_643b8286a8614a89.yaml`"


def test_one_coverage_file_per_article(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE, "001_643b8286a8614a89.yml": GOOD_COVERAGE})
    d = one(root, "E415")
    assert d.message == "article `001_643b8286a8614a89.txt` is also covered by `policies/coverage/001_643b8286a8614a89.yaml`"


def test_invalid_yaml_points_at_the_line(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE.replace("  - section: 요금제", "  - section: [요금제")})
    d = one(root, "E401")
    assert d.message.startswith("coverage file is not valid YAML")
    assert d.span.path == "policies/coverage/001_643b8286a8614a89.yaml"
    assert d.span.line >= 12


@pytest.mark.parametrize("text, code, message, line", [
    ("", "E402", "coverage file is empty: it needs `article`, `title` and `sections`", 1),
    ("- a\n- b\n", "E402", "a coverage file must be a mapping with `article`, `title`, `sections`", 1),
    (f"article: {ARTICLE}\nsections:\n  - section: a\n    not_a_rule: b\n", "E402", "coverage file needs `title`", 1),
    (f"article: {ARTICLE}\ntitle: t\nsections: []\n", "E402", "`sections` must list the article's sections, in order", 3),
    (f"article: {ARTICLE}\ntitle: t\nsection:\n  - section: a\n    not_a_rule: b\n", "E403", "unknown key `section` in a coverage file", 3),
    (f"article: {ARTICLE}\ntitle: t\nsections:\n  - section: a\n    not_rule: b\n", "E403", "unknown key `not_rule` in a section", 5),
    (f"article: {ARTICLE}\ntitle: t\nsections:\n  - not_a_rule: b\n", "E404", "a section needs `section`: its title as the article writes it", 4),
    (f"article: {ARTICLE}\ntitle: t\nsections:\n  - section: a\n    implemented_by: pet_taxi.fee\n", "E408",
     "`implemented_by` of section `a` must list policies with their rules", 5),
    (f"article: {ARTICLE}\ntitle: t\nsections:\n  - section: a\n    implemented_by:\n      - rules: [x]\n", "E408",
     "an `implemented_by` entry needs `policy`: a policy id like `pet_taxi.cancellation_fee`", 6),
    (f"article: {ARTICLE}\ntitle: t\nsections:\n  - section: a\n    implemented_by:\n      - policy: pet_taxi.fee\n", "E408",
     "`rules` of `pet_taxi.fee` must list rule ids, like `[by_time, dispatch_grace]`", 6),
    (f"article: {ARTICLE}\ntitle: t\nsections:\n  - section: a\n    implemented_by:\n      - policy: pet_taxi.fee\n        rules: []\n",
     "E408", "`rules` of `pet_taxi.fee` must list rule ids, like `[by_time, dispatch_grace]`", 7),
])
def test_malformed_coverage_files(tmp_path, text, code, message, line):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": text}, policies={})
    found = [d for d in diagnostics(root) if d.code == code]
    assert [(d.message, d.span.line) for d in found] == [(message, line)]


def test_a_cited_article_without_a_coverage_file_is_a_warning(tmp_path):
    other = FEE.replace('source "001_643b8286a8614a89.txt" section "이용료 취소수수료"',
                        'source "002_447243390f4def35.txt" section "페널티"\n'
                        '  source "002_447243390f4def35.txt" section "해제"').replace("pet_taxi.fee", "pet_taxi.other")
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE},
                        policies={"pet_taxi/fee": FEE, "pet_taxi/plan": PLAN, "pet_taxi/other": other})
    d = one(root, "W413")  # once per policy and article, at its first source line
    assert d.severity == "warning"
    assert d.message == "article `002_447243390f4def35.txt` has no coverage file"
    assert (d.span.path, d.span.line) == ("policies/pet_taxi/other.policy", 2)
    result, files = pipeline.compile_all(root)
    assert files is not None


def test_coverage_errors_block_compiling(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE.replace("[rates]", "[ratez]")})
    result, files = pipeline.compile_all(root)
    assert files is None
    assert [d.code for d in result.errors] == ["E410"]


def test_checking_some_policies_does_not_call_the_others_missing(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE})
    result = pipeline.load(root, [root / "policies" / "pet_taxi" / "fee.policy"])
    assert [(d.code, d.message) for d in result.diagnostics if d.code != "W301"] == []
    broken = make_project(tmp_path / "b", {"001_643b8286a8614a89.yaml": GOOD_COVERAGE.replace("by_time.early", "nope")})
    result = pipeline.load(broken, [broken / "policies" / "pet_taxi" / "fee.policy"])
    assert [d.code for d in result.diagnostics if d.code != "W301"] == ["E410"]


def test_coverage_diagnostics_render_with_the_yaml_line(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE.replace("by_time.early", "by_time.erly")})
    result = pipeline.load(root)
    [d] = result.errors
    text = render(d, result.sources[d.span.path])
    assert text.splitlines()[0] == "policies/coverage/001_643b8286a8614a89.yaml:9:45: error: policy `pet_taxi.fee` has no rule `by_time.erly`"
    assert "rules: [passenger_no_show, by_time, by_time.erly, positive]" in text
    assert "^^^^^^^^^^^^" in text


def test_check_coverage_accepts_policies_or_loaded_items(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE})
    articles, _ = load_coverage(root)
    loaded = pipeline.load(root).policies
    assert check_coverage(articles, loaded) == check_coverage(articles, [i.policy for i in loaded]) == []
    assert check_coverage([], [i.policy for i in loaded]) == []


# ---------------------------------------------------------------- the real project

REAL_FILES = coverage_files(ROOT)
REAL = pipeline.load(ROOT)
REAL_POLICIES = [item.policy for item in REAL.policies]


@pytest.mark.parametrize("path", REAL_FILES, ids=[p.name for p in REAL_FILES])
def test_real_coverage_file_is_sound(path):
    shown = path.relative_to(ROOT).as_posix()
    assert [f"{d.span.path}:{d.span.line}: {d.message}" for d in REAL.diagnostics if d.span.path == shown] == []
    articles, _ = load_coverage(ROOT)
    policies = {item.policy.id: item.policy for item in REAL.policies}
    listed = [(s.name, impl) for a in articles if a.path == shown for s in a.sections for impl in s.implemented_by]
    # Every listed policy exists (and compiles), and every listed rule exists in it.
    assert [f"{name}: {impl.policy}" for name, impl in listed if impl.policy not in policies] == []
    assert [f"{name}: {impl.policy} {r.id}" for name, impl in listed if impl.policy in policies
            for r in impl.rules if r.id not in rule_ids(policies[impl.policy])] == []


# The coverage files are being written by other developers; until policies/coverage/ exists
# this cannot pass, and must not turn the suite red. Once it exists the mark does nothing.
@pytest.mark.xfail(not (ROOT / COVERAGE_DIR).is_dir(), reason="policies/coverage/ is not written yet", strict=False)
def test_every_real_policy_source_is_covered():
    articles, _ = load_coverage(ROOT)
    assert articles, "no coverage files in policies/coverage/"
    listed = {(a.file, s.name) for a in articles for s in a.sections}
    missing = [f"{p.path}:{s.span.line}: {s.file} 「{s.section}」"
               for p in REAL_POLICIES for s in p.sources if (s.file, s.section) not in listed]
    assert missing == []
    # Every article of the project has its coverage file.
    assert sorted(a.file for a in articles) == article_files(ROOT)
