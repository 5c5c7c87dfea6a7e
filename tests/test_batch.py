"""JSON Lines batches of `policyc evaluate`: line i answers line i, bad lines in place, --jobs keeps order.

The command runs as a real process against the repository's generated/ (read only). The
input mixes the benchmark's raw inputs with every kind of bad line; each output line is
checked against a single evaluation of its input line.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

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
    text, bad, internal = batch.answer_chunk(pet, 101, [lines[0], b"\n", b"{oops\n", lines[1]])
    out = text.split("\n")
    assert out[1] == "" and json.loads(out[2])["line"] == 103 and [n for n, _ in bad] == [103]
    assert out[0] == json.dumps(pet.evaluate(json.loads(lines[0])).to_dict(), ensure_ascii=False)


def test_a_utf8_byte_order_mark_on_the_first_line_is_ignored():
    line = json.dumps(pet_taxi_inputs(1, seed=3)[0]).encode()
    text, bad, internal = batch.answer_chunk(pet, 1, [b"\xef\xbb\xbf" + line])
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
    tally = batch.evaluate_stream(pet, lines, out, on_progress=lambda n, size: seen.append(n))
    assert tally == (0, 0) and sum(seen) == 50 and len(seen) == 8
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
    tally = batch.evaluate_stream(pet, lines, out, jobs=2, root=str(ROOT), on_bad=lambda n, e: bad.append(n))
    single = io.StringIO()
    assert batch.evaluate_stream(pet, lines, single) == tally == (1, 0) and bad == [18]
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
    tally = cli._evaluate_lines(pet, lines, 1, str(ROOT), progress_total=sum(map(len, lines)))
    captured = capsys.readouterr()
    assert tally == (1, 0)
    assert "evaluating pet_taxi.cancellation_fee" in captured.err and "31 lines" in captured.err
    assert "line 31: /: not JSON" in captured.err
    assert len(captured.out.splitlines()) == 31 and "evaluating" not in captured.out


# ---------------------------------------------------------------- one bad line costs no other

GOOD = json.dumps(pet_taxi_inputs(1, seed=4)[0], ensure_ascii=False).encode()
SUSPENSION = "callbus.suspension"


def _suspension_line(reservation_id: str) -> bytes:
    value = {"as_of": "2025-04-19T12:00:00+09:00", "penalties": [],
             "reservations": [{"id": reservation_id, "departure_at": "2025-04-21T07:30:00+09:00"}]}
    return json.dumps(value).encode()  # ensure_ascii: a lone surrogate is written as `\udfff`


# An evaluator that raises on one input, as a bug in a generated evaluator or the runtime would.
BOOM = """from generated.pet_taxi import cancellation_fee as _pet
InvalidInput = _pet.InvalidInput
POLICY_ID = "boom"
def evaluate(value):
    if "boom" in value:
        return 1 // 0
    return _pet.evaluate(value)
"""

# (module, good line, bad line, what the bad line's error message starts with)
HOSTILE = {
    "lone surrogate key": (PET, GOOD, b'{"\\udfff": 0}', "unknown field"),
    "1,000 nested arrays": (PET, GOOD, b"[" * 1000, "not read: arrays and objects nested too deeply"),
    "5,000-digit integer": (PET, GOOD, b'{"fare": ' + b"9" * 5000 + b"}", "not read: a number of 5,000 digits at column 10"),
    "lone surrogate echoed back": (SUSPENSION, _suspension_line("R-1"), _suspension_line("\udfff"),
                                   "expected text in Unicode: a lone surrogate"),
    "evaluator raises": ("boom", GOOD, b'{"boom": 1}', "internal error: ZeroDivisionError"),
}


@pytest.fixture
def boom(tmp_path, monkeypatch):
    (tmp_path / "boom.py").write_text(BOOM, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import boom as module

    yield module
    sys.modules.pop("boom", None)


def _module(name: str, boom):
    import importlib

    return boom if name == "boom" else importlib.import_module(f"generated.{name}")


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_one_hostile_line_costs_no_other_line(kind, jobs, boom, tmp_path):
    # On main: exit 70 and the 500 answers of the chunk holding line 4,500 thrown away.
    name, good, hostile, message = HOSTILE[kind]
    module = _module(name, boom)
    lines = [good + b"\n"] * 6000
    lines[4499] = hostile + b"\n"
    out = io.StringIO()
    bad = []
    tally = batch.evaluate_stream(module, lines, out, jobs=jobs, root=str(tmp_path),
                                  on_bad=lambda n, errors: bad.append((n, errors)))
    got = out.getvalue().split("\n")
    assert got[-1] == "" and len(got) == 6001
    answer = module.evaluate(json.loads(good)).to_json()
    assert got[:4499] == [answer] * 4499 and got[4500:6000] == [answer] * 1500
    record = json.loads(got[4499])
    assert record["line"] == 4500 and record["errors"][0]["message"].startswith(message), record
    assert [n for n, _ in bad] == [4500]
    assert (tally.bad, tally.internal) == (1, int(kind == "evaluator raises"))
    assert got[4499].encode("utf-8")  # the output is UTF-8 text


def test_the_output_of_a_lone_surrogate_key_is_the_json_escape():
    out = io.StringIO()
    batch.evaluate_stream(pet, [b'{"\\udfff": 0}\n'], out)
    assert "\\udfff" in out.getvalue() and json.loads(out.getvalue())["errors"][0]["path"] == "/\udfff"


# A raising evaluator is a bug, exit 70: test_a_raising_evaluator_is_an_internal_error.
@pytest.mark.parametrize("kind", [k for k in HOSTILE if HOSTILE[k][0] != "boom"])
def test_a_single_document_with_hostile_content_is_refused_with_exit_2(kind, boom, tmp_path):
    # On main: exit 70, "this is a bug in policyc", for all but the surrogate key.
    name, _, hostile, message = HOSTILE[kind]
    path = tmp_path / "in.json"
    path.write_bytes(hostile)
    result = CliRunner().invoke(cli.main, ["evaluate", name, "--input", str(path), "--root", str(ROOT)])
    assert result.exit_code == 2, result.output
    assert message.split(" at column")[0] in result.stderr and result.stdout == ""
    assert "internal error" not in result.stderr and result.exception is None or isinstance(result.exception, SystemExit)


def _boom_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "policies").mkdir(parents=True)
    shutil.copytree(ROOT / "generated", root / "generated", ignore=shutil.ignore_patterns("__pycache__", "docs", "schemas"))
    (root / "generated" / "k").mkdir()
    (root / "generated" / "k" / "__init__.py").write_text("", encoding="utf-8")
    (root / "generated" / "k" / "boom.py").write_text(BOOM, encoding="utf-8")
    return root


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_policyc_answers_every_line_around_hostile_ones(tmp_path, jobs):
    # Every hostile line of pet_taxi in one file, and the raising evaluator: all 6,000 lines
    # answered, in order, exit 70 for the line that hit a bug (after answering everything).
    root = _boom_project(tmp_path)
    lines = [GOOD] * 6000
    hostile = [line for name, _, line, _ in HOSTILE.values() if name in (PET, "boom")]
    lines[4499:4499 + len(hostile)] = hostile
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    proc = subprocess.run([sys.executable, "-m", "compiler.cli", "evaluate", "k.boom", "--input", str(src),
                           "--jobs", jobs, "--root", str(root)], capture_output=True, timeout=60, cwd=ROOT)
    stderr = proc.stderr.decode()
    assert proc.returncode == 70, stderr
    out = proc.stdout.decode("utf-8").splitlines()
    assert len(out) == 6000
    records = [(n, json.loads(line)) for n, line in enumerate(out, 1) if line.startswith('{"line": ')]
    assert [n for n, _ in records] == [record["line"] for _, record in records] == [4500, 4501, 4502, 4503]
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-2:] == ["3 lines had invalid input",
                                        "1 line hit an internal error: a bug in policyc; set POLICYC_DEBUG=1 to see the traceback"]


def test_a_raising_evaluator_is_an_internal_error(tmp_path):
    root = _boom_project(tmp_path)
    src = tmp_path / "in.json"
    src.write_bytes(b'{"boom": 1}')
    proc = subprocess.run([sys.executable, "-m", "compiler.cli", "evaluate", "k.boom", "--input", str(src),
                           "--root", str(root)], capture_output=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 70 and b"Traceback" not in proc.stderr and proc.stdout == b""


# ---------------------------------------------------------------- the format is explicit


def _evaluate(*args: str, input: bytes | None = None):
    result = CliRunner().invoke(cli.main, ["evaluate", PET, "--root", str(ROOT), *args], input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result


def test_a_one_line_jsonl_file_gets_a_one_line_answer(tmp_path):
    # On main: a pretty-printed answer, as if it were a single document.
    path = tmp_path / "one.jsonl"
    path.write_bytes(GOOD + b"\n")
    result = _evaluate("--input", str(path))
    assert result.exit_code == 0
    assert result.stdout_bytes == pet.evaluate(json.loads(GOOD)).to_json().encode() + b"\n"


@pytest.mark.parametrize("name", ["in.jsonl", "in.NDJSON", "in.txt"])
def test_json_lines_by_name_or_flag_answer_garbage_lines_in_place(tmp_path, name):
    # On main: two garbage lines first made the whole input one (bad) document: nothing answered.
    path = tmp_path / name
    path.write_bytes(b"{oops\n[1,\n" + GOOD + b"\n" + GOOD + b"\n")
    result = _evaluate("--input", str(path), *(["--format", "jsonl"] if name == "in.txt" else []))
    assert result.exit_code == 2
    out = result.stdout.splitlines()
    assert [json.loads(line).get("line") for line in out] == [1, 2, None, None]


def test_a_pretty_printed_document_whose_second_line_is_an_object_is_one_document():
    # On main: read as JSON Lines, answered by two error records.
    text = b'{"fare": 1000, "extra":\n{}\n}\n'
    result = _evaluate("--input", "-", input=text)
    assert result.exit_code == 2 and result.stdout == ""
    assert "invalid input:" in result.stderr and "/extra: unknown field" in result.stderr


def test_a_truncated_line_in_the_middle_is_reported_at_its_real_column(tmp_path):
    # On main: the input became one document, refused "at line 2, column 1".
    path = tmp_path / "in.jsonl"
    path.write_bytes(GOOD + b"\n" + GOOD[:40] + b"\n" + GOOD + b"\n")
    result = _evaluate("--input", str(path))
    record = json.loads(result.stdout.splitlines()[1])
    assert record["line"] == 2
    assert record["errors"][0]["message"] == json_error(GOOD[:40].decode()), record


def json_error(text: str) -> str:
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        assert err.colno > 1
        return f"not JSON: {err.msg.removesuffix(' at')} at column {err.colno}"
    raise AssertionError(text)


def test_stdin_is_one_document_unless_format_jsonl():
    lines = GOOD + b"\n" + GOOD + b"\n"
    single = _evaluate("--input", "-", input=lines)
    assert single.exit_code == 2 and single.stdout == ""
    assert "not JSON: Extra data at line 2, column 1 (JSON Lines? give --format jsonl)" in single.stderr
    batch_ = _evaluate("--input", "-", "--format", "jsonl", input=lines)
    assert batch_.exit_code == 0 and len(batch_.stdout.splitlines()) == 2


def test_format_json_reads_a_jsonl_file_as_one_document(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(json.dumps(json.loads(GOOD), indent=2).encode())
    result = _evaluate("--input", str(path), "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["policy"] == PET


def test_an_empty_jsonl_file_is_an_empty_batch_and_an_empty_document_is_refused(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"")
    lines = _evaluate("--input", str(path))
    assert lines.exit_code == 0 and lines.stdout == ""
    empty = _evaluate("--input", "-", input=b"  \n")
    assert empty.exit_code == 2 and "the input is empty" in empty.stderr


# ---------------------------------------------------------------- one encoding rule


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_utf16_and_utf32_are_refused_whole_in_both_formats(fmt, codec):
    # On main: a single document in UTF-16 was read; the same as JSON Lines was refused line by line.
    data = (GOOD.decode() + "\n").encode(codec)  # with its byte order mark
    result = _evaluate("--input", "-", "--format", fmt, input=data)
    assert result.exit_code == 2 and result.stdout == ""
    assert "the input is UTF-16 or UTF-32 text" in result.stderr


def test_utf16_without_a_byte_order_mark_is_named_in_both_formats():
    data = (GOOD.decode() + "\n").encode("utf-16-le")
    single = _evaluate("--input", "-", input=data)
    assert single.exit_code == 2 and "a NUL character at line 1, column 2 (UTF-16 or UTF-32 text?" in single.stderr
    lines = _evaluate("--input", "-", "--format", "jsonl", input=data)
    assert lines.exit_code == 2 and "a NUL character at column 2 (UTF-16 or UTF-32 text?" in lines.stdout


def test_invalid_utf8_is_refused_in_both_formats_naming_line_and_byte():
    # On main: a single document holding an encoded surrogate (CESU-8, not UTF-8) was read.
    document = b'{\n  "fare": 1000,\n  "note": "\xed\xbf\xbf"\n}\n'
    single = _evaluate("--input", "-", input=document)
    assert single.exit_code == 2 and single.stdout == ""
    assert "the input is not UTF-8 text (line 3, byte 12 of the line)" in single.stderr
    lines = _evaluate("--input", "-", "--format", "jsonl", input=GOOD + b'\n{"note": "\xed\xbf\xbf"}\n')
    assert lines.exit_code == 2
    assert json.loads(lines.stdout.splitlines()[1])["errors"][0]["message"] == "not UTF-8 text (byte 11 of the line)"


def test_a_utf8_byte_order_mark_is_allowed_at_the_start_of_a_document():
    result = _evaluate("--input", "-", input=b"\xef\xbb\xbf" + GOOD)
    assert result.exit_code == 0 and json.loads(result.stdout)["policy"] == PET


def test_an_input_that_cannot_be_read_is_an_os_error(tmp_path):
    missing = _evaluate("--input", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    directory = _evaluate("--input", str(tmp_path))
    assert directory.exit_code == 74 and "could not read" in directory.stderr


# ---------------------------------------------------------------- stopping a run

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def _wait_until(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _start(*args: str, stdin=subprocess.PIPE) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "compiler.cli", "evaluate", PET, "--root", str(ROOT), *args]
    # Its own process group: a signal to the group is what Ctrl-C at a terminal sends.
    return subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            start_new_session=True)


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    """Write to its stdin from a thread, leaving stdin open: the output is read meanwhile."""
    def write() -> None:
        with contextlib.suppress(OSError):
            proc.stdin.write(data)
            proc.stdin.flush()

    threading.Thread(target=write, daemon=True).start()


def _read_lines(proc: subprocess.Popen, count: int) -> list[bytes]:
    watchdog = threading.Timer(30, proc.kill)
    watchdog.start()
    try:
        return [proc.stdout.readline() for _ in range(count)]
    finally:
        watchdog.cancel()


def _finish(proc: subprocess.Popen) -> tuple[bytes, bytes]:
    """The rest of its output (through the buffer readline filled), its stderr, once it ends."""
    watchdog = threading.Timer(20, proc.kill)
    watchdog.start()
    try:
        rest, err = proc.stdout.read(), proc.stderr.read()  # stderr: a line or two, it cannot fill
        proc.wait()
        return rest, err
    finally:
        watchdog.cancel()


ANSWER = pet.evaluate(json.loads(GOOD)).to_json().encode() + b"\n"
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@linux_only
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_writes_the_answers_complete_so_far_then_exits(signum, jobs):
    # On main: SIGINT exited 1 (a policy error's code) with "Aborted!"; SIGTERM killed the run
    # outright, and under --jobs left the workers running.
    proc = _start("--input", "-", "--format", "jsonl", "--jobs", jobs)
    try:
        # 4 chunks and a half (--jobs 2 holds 4 in flight): the half waits for the rest of its
        # chunk, never sent.
        _feed(proc, (GOOD + b"\n") * (4 * batch.CHUNK_LINES + 500))
        first = _read_lines(proc, 2000)
        assert first == [ANSWER] * 2000
        _wait_until(lambda: len(_children(proc.pid)) >= (jobs == "2"))
        workers = _children(proc.pid)
        time.sleep(0.3)  # chunks still in workers get done
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C: the whole group, workers too
        else:
            os.kill(proc.pid, signum)
        rest, err = _finish(proc)
    finally:
        proc.kill()
    stderr = err.decode()
    assert proc.returncode == EXIT[signum], stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    answered = 2000 + rest.count(b"\n")
    assert rest == ANSWER * (answered - 2000) and answered % batch.CHUNK_LINES == 0
    assert stderr.splitlines() == [f"policyc: stopped by {signal.Signals(signum).name}: "
                                   f"the answers to lines 1–{answered:,} were written"]
    _wait_until(lambda: not any(map(_alive, workers)), 5)


@linux_only
def test_workers_die_with_their_parent_killed_by_sigkill():
    # On main: both workers lived on, re-parented to PID 1, for minutes.
    proc = _start("--input", "-", "--format", "jsonl", "--jobs", "2")
    try:
        _feed(proc, (GOOD + b"\n") * (8 * batch.CHUNK_LINES + 500))
        assert _read_lines(proc, 10) == [ANSWER] * 10  # the workers run, set up
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    _wait_until(lambda: not any(map(_alive, workers)), 5)


@linux_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_a_single_document_waiting_on_stdin(signum):
    proc = _start("--input", "-")
    try:
        proc.stdin.write(b'{"fare": ')
        proc.stdin.flush()
        time.sleep(0.5)  # it waits for the rest of the document
        os.kill(proc.pid, signum)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == EXIT[signum] and out == b""
    assert err.decode().splitlines() == [f"policyc: stopped by {signal.Signals(signum).name}"]


def test_sigint_exits_130_in_every_command(monkeypatch):
    # On main: click's "Aborted!" and exit 1, the code of a policy error.
    from compiler import pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "load", interrupted)
    result = CliRunner().invoke(cli.main, ["check", "--root", str(ROOT)])
    assert result.exit_code == 130 and result.stderr == "policyc: stopped by SIGINT\n"


# ---------------------------------------------------------------- kill loops (slow tier)

BIG_LINES = 200_000
_DISTINCT = 1000


@pytest.fixture(scope="module")
def big_input(tmp_path_factory) -> tuple[Path, Callable[[int], bytes]]:
    """A long JSON Lines file (every 997th line bad) and the answer to its line n."""
    raw = [json.dumps(value, ensure_ascii=False).encode() for value in pet_taxi_inputs(_DISTINCT, seed=31)]
    answers = [pet.evaluate(json.loads(line)).to_json().encode() for line in raw]
    bad = b'{"fare": -1}'

    def line(n: int) -> bytes:
        return bad if n % 997 == 0 else raw[n % _DISTINCT]

    def answer(n: int) -> bytes:
        if n % 997 == 0:
            return batch.answer_chunk(pet, n, [bad])[0].rstrip("\n").encode()
        return answers[n % _DISTINCT]

    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    with path.open("wb") as f:
        for start in range(1, BIG_LINES + 1, 10_000):
            f.write(b"".join(line(n) + b"\n" for n in range(start, start + 10_000)))
    return path, answer


@pytest.mark.slow
@linux_only
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_kill_loop_a_signal_at_a_random_moment_leaves_whole_answers_in_order_and_no_worker(big_input, tmp_path, signum, jobs):
    import random

    path, answer = big_input
    rng = random.Random(f"{signum}-{jobs}")
    for attempt in range(4):
        out_path = tmp_path / f"out{attempt}"
        with out_path.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "compiler.cli", "evaluate", PET, "--root", str(ROOT),
                                     "--input", str(path), "--jobs", jobs], stdout=out, stderr=subprocess.PIPE,
                                    cwd=ROOT, start_new_session=True)
        try:
            _wait_until(lambda: out_path.stat().st_size > 0)
            _wait_until(lambda: len(_children(proc.pid)) >= (jobs == "2"))
            time.sleep(rng.uniform(0, 0.8))
            workers = _children(proc.pid)
            assert proc.poll() is None, "the run ended before the signal: make the input longer"
            os.killpg(proc.pid, signum) if signum == signal.SIGINT else os.kill(proc.pid, signum)
            proc.wait(20)
            err = proc.stderr.read().decode()
        finally:
            proc.kill()
        _wait_until(lambda: not any(map(_alive, workers)), 5)
        data = out_path.read_bytes()
        if signum == signal.SIGKILL:
            data = data[:data.rfind(b"\n") + 1]  # nothing can flush: only whole lines are judged
        else:
            assert proc.returncode == EXIT[signum], err
            assert "Traceback" not in err and data.endswith(b"\n")
            assert f"policyc: stopped by {signal.Signals(signum).name}: the answers to lines 1–" in err, err
        lines = data.split(b"\n")[:-1]
        for n, got in enumerate(lines, 1):
            assert got == answer(n), n
        if signum != signal.SIGKILL:
            assert err.splitlines()[-1].endswith(f"lines 1–{len(lines):,} were written")
            assert len(lines) % batch.CHUNK_LINES == 0


def test_the_readme_has_one_table_of_the_exit_codes_the_cli_uses():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("Every command exits with one of these codes:", 1)[1].split("\n\n", 2)[1]
    codes = [int(row.split("|")[1]) for row in table.splitlines()[2:]]
    constants = sorted(v for k, v in vars(cli).items() if k.startswith("EXIT_"))
    assert codes == [0, *constants]
    assert readme.count("| code | meaning |") == 1
