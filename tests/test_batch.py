"""JSON Lines batches of `policyc evaluate`: line i answers line i, bad lines in place, --jobs keeps order.

The command runs as a real process against the repository's generated/ (read only). The
input mixes the benchmark's raw inputs with every kind of bad line; each output line is
checked against a single evaluation of its input line.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.workload import pet_taxi_inputs
from compiler import batch, cli
from generated.pet_taxi import cancellation_fee as pet

ROOT = Path(__file__).resolve().parent.parent
PET = "pet_taxi.cancellation_fee"

# Every kind of bad line, each placed several times through the file.
BAD_LINES = [
    b'{"fare": "x", "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "2025-06-01T13:00:00+09:00"}',
    b'{"fare": -1, "departure_at": "tomorrow", "tip": 5}',
    b'{"fare": 1000, "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "2025-06-01 13:00"}',
    b"{not json",
    b'[1, 2, 3]',
    b'"just a string"',
    b'{"fare": "\xff\xfe"}',  # not UTF-8
    b"",  # blank: answered by a blank line
    b"   \t",
]


def _input_lines(n: int = 2000) -> list[bytes]:
    good = [json.dumps(raw, ensure_ascii=False).encode() for raw in pet_taxi_inputs(n, seed=11)]
    for i, bad in enumerate(BAD_LINES * 4):
        good[(i * 47 + 13) % n] = bad
    return good


def _expected(line: bytes, n: int) -> str:
    """What one input line must be answered with, from a single evaluation."""
    if not line.strip():
        return ""
    try:
        value = json.loads(line.decode())
    except ValueError:
        return "error-record"
    try:
        decision = pet.evaluate(value)
    except pet.InvalidInput as err:
        return json.dumps({"line": n, "errors": err.errors}, ensure_ascii=False)
    return json.dumps(decision.to_dict(), ensure_ascii=False)


def _run(path: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "compiler.cli", "evaluate", PET, "--input", str(path), "--root", str(ROOT), *args]
    return subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=120)


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory) -> tuple[Path, list[bytes]]:
    lines = _input_lines()
    path = tmp_path_factory.mktemp("batch") / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, lines


@pytest.fixture(scope="module")
def jobs1(batch_file) -> subprocess.CompletedProcess:
    return _run(batch_file[0])


def test_each_output_line_answers_its_input_line(batch_file, jobs1):
    _, lines = batch_file
    assert jobs1.returncode == 2, jobs1.stderr.decode()
    out = jobs1.stdout.decode("utf-8").split("\n")
    assert out[-1] == ""  # every answer ends with a newline
    out = out[:-1]
    assert len(out) == len(lines)
    bad = 0
    for n, (line, got) in enumerate(zip(lines, out), 1):
        want = _expected(line, n)
        if want == "error-record":
            record = json.loads(got)
            assert record["line"] == n and record["errors"][0]["path"] == ""
            assert record["errors"][0]["message"].startswith(("not JSON", "not UTF-8"))
            bad += 1
        else:
            assert got == want, f"line {n}"
            bad += got.startswith('{"line": ')
    stderr = jobs1.stderr.decode("utf-8")
    assert stderr.splitlines()[-1] == f"{bad} lines had invalid input"
    assert "Traceback" not in stderr


def test_bad_lines_are_reported_on_stderr_in_order(jobs1):
    reported = [int(line.split(":")[0].split()[1]) for line in jobs1.stderr.decode().splitlines() if line.startswith("line ")]
    assert reported == sorted(reported) and reported


def test_jobs_2_writes_exactly_what_jobs_1_writes(batch_file, jobs1):
    jobs2 = _run(batch_file[0], "--jobs", "2")
    assert jobs2.returncode == jobs1.returncode
    assert jobs2.stdout == jobs1.stdout
    assert jobs2.stderr == jobs1.stderr


def test_no_progress_bar_when_stderr_is_not_a_terminal(jobs1):
    assert "evaluating" not in jobs1.stderr.decode()


def test_jobs_must_be_positive(batch_file):
    proc = _run(batch_file[0], "--jobs", "0")
    assert proc.returncode == 2 and b"--jobs" in proc.stderr


# ---------------------------------------------------------------- the streaming core, in process


def test_answer_chunk_numbers_lines_from_start_and_keeps_blank_lines():
    lines = [json.dumps(raw).encode() + b"\n" for raw in pet_taxi_inputs(3, seed=5)]
    text, bad = batch.answer_chunk(pet, 101, [lines[0], b"\n", b"{oops\n", lines[1]])
    out = text.split("\n")
    assert out[1] == "" and json.loads(out[2])["line"] == 103 and [n for n, _ in bad] == [103]
    assert out[0] == json.dumps(pet.evaluate(json.loads(lines[0])).to_dict(), ensure_ascii=False)


def test_a_utf8_byte_order_mark_on_the_first_line_is_ignored():
    line = json.dumps(pet_taxi_inputs(1, seed=3)[0]).encode()
    text, bad = batch.answer_chunk(pet, 1, [b"\xef\xbb\xbf" + line])
    assert bad == [] and json.loads(text)["policy"] == PET


def test_to_json_writes_what_json_dumps_writes():
    for raw in pet_taxi_inputs(500, seed=9):
        d = pet.evaluate(raw)
        assert d.to_json() == json.dumps(d.to_dict(), ensure_ascii=False)
        assert d.trace and d.to_json() == json.dumps(d.to_dict(), ensure_ascii=False)  # with the trace cached


def test_stream_in_order_with_small_chunks(monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_LINES", 7)
    lines = [json.dumps(raw).encode() + b"\n" for raw in pet_taxi_inputs(50, seed=21)]
    out = io.StringIO()
    seen = []
    failures = batch.evaluate_stream(pet, lines, out, on_progress=lambda n, size: seen.append(n))
    assert failures == 0 and sum(seen) == 50 and len(seen) == 8
    got = out.getvalue().splitlines()
    assert got == [json.dumps(pet.evaluate(json.loads(line)).to_dict(), ensure_ascii=False) for line in lines]


@pytest.mark.parametrize("slot_bytes", [8 << 20, 3000, 0, 1 << 50],
                         ids=["shared slots", "some too big for a slot", "all through the pipe", "ring too big to map"])
def test_workers_answer_in_order_through_slots_or_the_pipe(monkeypatch, slot_bytes):
    # Forked workers put answers in the shared ring; one bigger than a slot comes through the
    # pipe. Small chunks reuse every slot several times.
    monkeypatch.setattr(batch, "CHUNK_LINES", 5)
    monkeypatch.setattr(batch, "SLOT_BYTES", slot_bytes)
    lines = [json.dumps(raw).encode() + b"\n" for raw in pet_taxi_inputs(120, seed=22)]
    lines[17] = b"{not json\n"
    out = io.StringIO()
    bad = []
    failures = batch.evaluate_stream(pet, lines, out, jobs=2, root=str(ROOT), on_bad=lambda n, e: bad.append(n))
    single = io.StringIO()
    assert batch.evaluate_stream(pet, lines, single) == failures == 1 and bad == [18]
    assert out.getvalue() == single.getvalue() and len(out.getvalue().splitlines()) == 120
    assert batch._ring is None


# An evaluator whose process dies on one input, as one killed or out of memory would.
KILLER = """import os
class InvalidInput(ValueError):
    pass
class Answer:
    def to_json(self):
        return "{}"
def evaluate(value):
    if value.get("die"):
        os._exit(9)
    return Answer()
"""


def test_a_worker_that_dies_stops_the_batch_with_the_lines_it_did_not_answer(tmp_path, monkeypatch):
    # A multiprocessing.Pool waited forever for the chunk of a dead worker.
    (tmp_path / "killer.py").write_text(KILLER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import killer

    monkeypatch.setattr(batch, "CHUNK_LINES", 10)
    lines = [b'{"a": 1}\n'] * 30 + [b'{"die": true}\n'] + [b'{"a": 1}\n'] * 30
    out = io.StringIO()
    with pytest.raises(batch.WorkerDied) as err:
        batch.evaluate_stream(killer, lines, out, jobs=2, root=str(tmp_path))
    # Every line before the first chunk left unanswered was written, and nothing after it.
    assert err.value.first <= 31  # the chunk with the dying line, or one still pending beside it
    assert out.getvalue() == "{}\n" * (err.value.first - 1)
    assert "lines" in str(err.value) and batch._ring is None


def test_policyc_evaluate_reports_a_dead_worker_without_a_traceback(tmp_path):
    (tmp_path / "policies").mkdir()
    pkg = tmp_path / "generated" / "k"
    pkg.mkdir(parents=True)
    (tmp_path / "generated" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "die.py").write_text(KILLER, encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"a": 1}\n' * 5 + b'{"die": true}\n' + b'{"a": 1}\n' * 5)
    proc = subprocess.run([sys.executable, "-m", "compiler.cli", "evaluate", "k.die", "--input", str(src), "--jobs", "2",
                           "--root", str(tmp_path)], capture_output=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 70, proc.stderr.decode()
    assert b"a worker process stopped before answering lines" in proc.stderr and b"Traceback" not in proc.stderr


def test_progress_bar_goes_to_stderr_and_leaves_stdout_alone(capsys):
    lines = [json.dumps(raw).encode() + b"\n" for raw in pet_taxi_inputs(30, seed=8)] + [b"{bad\n"]
    failures = cli._evaluate_lines(pet, lines, 1, str(ROOT), progress_total=sum(map(len, lines)))
    captured = capsys.readouterr()
    assert failures == 1
    assert "evaluating pet_taxi.cancellation_fee" in captured.err and "31 lines" in captured.err
    assert "line 31: /: not JSON" in captured.err
    assert len(captured.out.splitlines()) == 31 and "evaluating" not in captured.out
