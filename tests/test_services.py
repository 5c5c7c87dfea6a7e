"""The Korean service names are data: policies/services.yaml, read with diagnostics (compiler/services.py)."""

from __future__ import annotations

import pytest

from compiler import pipeline
from compiler.services import SERVICES_FILE, load_services
from tests.conftest import ROOT
from tests.test_coverage import GOOD_COVERAGE, make_project


def errors(root) -> list[tuple[str, str, int, int]]:
    return [(d.code, d.span.path, d.span.line, d.span.col) for d in pipeline.load(root).errors]


def test_the_repository_names_every_service():
    names, diags = load_services(ROOT)
    assert diags == []
    assert names == {"callbus": "광역콜버스", "jeju_rentcar": "제주패스렌트카", "parking_pass": "주차패스",
                     "pet_taxi": "카카오 T 펫"}


def test_the_index_heads_each_domain_with_its_name_from_the_file(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE})
    (root / SERVICES_FILE).write_text("pet_taxi: 펫 택시 (시험)\n", encoding="utf-8")
    result, files = pipeline.compile_all(root)
    assert files is not None, result.errors
    assert "## 펫 택시 (시험)" in files["docs/index.md"].splitlines()


@pytest.mark.parametrize("text", [None, "callbus: 광역콜버스\n"], ids=["no file", "no entry"])
def test_a_domain_without_a_service_name_is_refused(tmp_path, text):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE})
    if text is None:
        (root / SERVICES_FILE).unlink()
    else:
        (root / SERVICES_FILE).write_text(text, encoding="utf-8")
    result, files = pipeline.compile_all(root)
    assert files is None
    [d] = result.errors  # once per domain, at its first policy's id
    assert (d.code, d.span.path, d.span.line, d.span.col) == ("E422", "policies/pet_taxi/fee.policy", 1, 8)
    assert d.message == "domain `pet_taxi` has no service name in `policies/services.yaml`"
    assert d.help == "add a line `pet_taxi: <서비스 이름>` to `policies/services.yaml`"


def test_a_misspelt_domain_is_suggested(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE})
    (root / SERVICES_FILE).write_text("pet_taxii: 카카오 T 펫\n", encoding="utf-8")
    [d] = pipeline.load(root).errors
    assert d.code == "E422" and d.help == "did you mean `pet_taxii` in `policies/services.yaml`? rename it `pet_taxi`"


@pytest.mark.parametrize("text, code, line, col, message", [
    ("pet_taxi: [카카오\n", "E420", 2, 1, "services file is not valid YAML: did not find expected ',' or ']'"),
    ("- pet_taxi\n", "E421", 1, 1, "services file must map each domain to its Korean service name"),
    ("pet_taxi: [카카오 T 펫]\n", "E421", 1, 11, "the service name of `pet_taxi` must be one line of text"),
    ("pet_taxi: 12\n", "E421", 1, 11, "the service name of `pet_taxi` must be one line of text"),
    ("pet_taxi: ''\n", "E421", 1, 11, "the service name of `pet_taxi` must be one line of text"),
    ("Pet-Taxi: 카카오 T 펫\n", "E421", 1, 1, "a key of the services file must be a domain, like `pet_taxi`"),
    ("pet_taxi: 카카오 T 펫\npet_taxi: 펫\n", "E421", 2, 1, "domain `pet_taxi` appears twice in the services file"),
    (b"pet_taxi: \xff\n", "E420", 1, 1, "the file is not UTF-8 text (byte 10)"),
])
def test_a_malformed_services_file_is_refused_at_its_line(tmp_path, text, code, line, col, message):
    path = tmp_path / SERVICES_FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    names, diags = load_services(tmp_path)
    assert [(d.code, d.span.path, d.span.line, d.span.col, d.message) for d in diags] == [
        (code, "policies/services.yaml", line, col, message)]


def test_a_malformed_services_file_blocks_compiling_and_nothing_follows_from_it(tmp_path):
    root = make_project(tmp_path, {"001_643b8286a8614a89.yaml": GOOD_COVERAGE})
    (root / SERVICES_FILE).write_text("pet_taxi: [카카오 T 펫]\n", encoding="utf-8")
    result, files = pipeline.compile_all(root)
    assert files is None
    assert [d.code for d in result.errors] == ["E421"]  # no "has no service name" following from it
