"""Evaluates JSON Lines as a stream: output line i answers input line i, in one process or N.

Memory stays flat however long the input: lines are read in chunks, at most a few chunks are
in flight, and each chunk's answers are written before more is read. A line that is not JSON,
does not fit the policy, or makes the evaluator raise gets an error record
`{"line": n, "errors": [...]}` in its place; a blank line gets a blank line, so the numbering
never drifts and no line costs another its answer. A worker process that dies (killed, out of
memory) stops the batch with WorkerDied, after the answers before its chunk. SIGINT and SIGTERM
(under stop_on_signals) stop it with Stopped, after the answers already complete, in order.

Input is UTF-8, with or without a byte order mark at its start; read_document applies the same
rule to a single JSON document.
"""

from __future__ import annotations

import codecs
import contextlib
import importlib
import json
import os
import re
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, NamedTuple

CHUNK_LINES = 2000
_decode = json.JSONDecoder().decode  # json.loads without sniffing the encoding: the input is UTF-8


_module = None  # the evaluator, in a worker process


class WorkerDied(RuntimeError):
    """A worker process stopped before answering a chunk; the lines before it were written."""

    def __init__(self, first: int, last: int):
        self.first, self.last = first, last
        super().__init__(f"a worker process stopped before answering lines {first:,}–{last:,} "
                         f"(killed, or out of memory?); the answers to the lines before them were written")


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived; the answers to the first `answered` lines were written.

    A BaseException, like KeyboardInterrupt: no `except Exception` on the way may swallow it.
    """

    def __init__(self, signum: int, answered: int = 0):
        self.signum, self.answered = signum, answered
        super().__init__(signum)


class InputError(OSError):
    """The input could not be read (an OSError while reading it); str() says why."""

    def __init__(self, err: OSError):
        super().__init__(err.errno, err.strerror or str(err))

    def __str__(self) -> str:
        return self.strerror or "read failed"


class Tally(NamedTuple):
    """What evaluate_stream found: lines refused (bad input or a bug), and of them the bugs."""

    bad: int
    internal: int


# ---------------------------------------------------------------- reading JSON text

_OTHER_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
TOO_DEEP = "not read: arrays and objects nested too deeply"


class NotJson(ValueError):
    """A single document that cannot be read; the message names the line and column or byte."""


def other_encoding(head: bytes) -> str | None:
    """Why input starting with `head` is refused before reading it, or None (UTF-8 only)."""
    if head.startswith(_OTHER_BOMS):
        return "the input is UTF-16 or UTF-32 text (it starts with that byte order mark); give UTF-8"
    return None


def not_json(err: ValueError, text: str | bytes, lines: bool = False) -> str:
    """Say why `text` (one line, or a whole document when `lines`) is not JSON that can be read."""
    where = (lambda line, col: f"line {line}, column {col}") if lines else (lambda line, col: f"column {col}")
    if isinstance(err, json.JSONDecodeError):
        if not lines and err.doc.endswith("\n"):
            # Judged without its line end: a string cut short is "unterminated", not "invalid
            # control character" at the line end.
            try:
                _decode(err.doc.rstrip("\r\n"))
            except json.JSONDecodeError as inner:
                err = inner
            except (ValueError, RecursionError):
                pass
        if err.pos < len(err.doc) and err.doc[err.pos] == "\x00":
            return (f"not JSON: a NUL character at {where(err.lineno, err.colno)} "
                    f"(UTF-16 or UTF-32 text? the input must be UTF-8)")
        return f"not JSON: {err.msg.removesuffix(' at')} at {where(err.lineno, err.colno)}"
    if isinstance(err, UnicodeDecodeError):
        line = err.object.count(b"\n", 0, err.start) + 1
        byte = err.start - (err.object.rfind(b"\n", 0, err.start) + 1) + 1
        return f"not UTF-8 text (line {line}, byte {byte} of the line)" if lines else f"not UTF-8 text (byte {byte} of the line)"
    if "integer string conversion" in str(err):  # longer than sys.get_int_max_str_digits()
        limit = sys.get_int_max_str_digits()
        m = re.search(r"[0-9]{%d,}" % (limit + 1), text if isinstance(text, str) else text.decode("utf-8", "replace"))
        if m is not None:
            line = m.string.count("\n", 0, m.start()) + 1
            col = m.start() - (m.string.rfind("\n", 0, m.start()) + 1) + 1
            return f"not read: a number of {len(m[0]):,} digits at {where(line, col)} (at most {limit:,})"
    return f"not JSON: {err}"


def read_document(data: bytes):
    """Parse one JSON document by the rule for lines: UTF-8, a byte order mark allowed at the start.

    Raises NotJson with a message naming the line and column (or byte) of the fault.
    """
    why = other_encoding(data)
    if why:
        raise NotJson(why)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
        if not text.strip():
            raise NotJson("the input is empty: give one JSON object")
        return _decode(text)
    except NotJson:
        raise
    except ValueError as err:  # not UTF-8, not JSON, or a number too long to read
        message = not_json(err, data if isinstance(err, UnicodeDecodeError) else text, lines=True)
        raise NotJson(f"the input is {message}" + (" (JSON Lines? give --format jsonl)" if "Extra data" in message else "")) from None
    except RecursionError:
        raise NotJson(f"the input is {TOO_DEEP}") from None


# ---------------------------------------------------------------- stopping on a signal


class _Stop:
    """The SIGINT/SIGTERM state of a run.

    A signal raises Stopped at once only while the run waits for input, where nothing is half
    done; otherwise it is noted and raised at the next check (between chunks, and ten times a
    second while waiting for a worker), so that no answer is half written and no lock of the
    executor is left broken.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.armed = False

    def handler(self, signum: int, frame) -> None:
        if self.signum is None:
            self.signum = signum
        if self.armed:
            self.armed = False
            raise Stopped(self.signum)

    def check(self) -> None:
        if self.signum is not None:
            raise Stopped(self.signum)

    @contextlib.contextmanager
    def waiting(self):
        self.check()
        self.armed = True
        try:
            yield
        finally:
            self.armed = False


_stop = _Stop()


def waiting():
    """A region where SIGINT or SIGTERM (under stop_on_signals) raises Stopped at once."""
    return _stop.waiting()


@contextlib.contextmanager
def stop_on_signals():
    """While inside, SIGINT and SIGTERM stop a run with Stopped (from the main thread only)."""
    global _stop
    _stop = _Stop()
    saved = {sig: signal.signal(sig, _stop.handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield _stop
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)
        _stop = _Stop()


# ---------------------------------------------------------------- answering lines

# Answers travel back from workers through a ring of slots in memory shared with the parent,
# which copies them to the output. Through the pipe, receiving and unpickling them cost the
# parent CPU time equal to a sixth of the workers', taken from the CPUs the workers run on.
# A worker that does not share the ring (a start method other than fork), or an answer larger
# than a slot, answers through the pipe.
SLOT_BYTES = 8 << 20
_ring = None


def internal_error(err: BaseException) -> dict[str, str]:
    if os.environ.get("POLICYC_DEBUG"):
        traceback.print_exception(err, file=sys.stderr)
    return {"path": "", "message": f"internal error: {type(err).__name__}: {err}; this is a bug in policyc"}


def answer_chunk(module, start: int, lines: list[bytes]) -> tuple[str, list[tuple[int, list[dict]]], int]:
    """Answer `lines` (numbered from `start`).

    Returns the text to write, (line, errors) of each bad line, and how many of those were
    internal errors (the evaluator raised: a bug).
    """
    evaluate, invalid = module.evaluate, module.InvalidInput
    out: list[str] = []
    bad: list[tuple[int, list[dict]]] = []
    internal = 0
    if start == 1 and lines and lines[0].startswith(codecs.BOM_UTF8):
        lines = [lines[0][len(codecs.BOM_UTF8):], *lines[1:]]
    for n, line in enumerate(lines, start):
        try:
            text = line.decode()
            value = _decode(text)
        except ValueError as err:  # JSONDecodeError, bytes that are not UTF-8, a number too long
            if not line.strip():
                out.append("")
                continue
            errors = [{"path": "", "message": not_json(err, line)}]
        except RecursionError:
            errors = [{"path": "", "message": TOO_DEEP}]
        else:
            try:
                out.append(evaluate(value).to_json())
                continue
            except invalid as err:
                errors = err.errors
            except Exception as err:  # noqa: BLE001 - one line's bug must not cost the others their answers
                errors = [internal_error(err)]
                internal += 1
        try:
            record = json.dumps({"line": n, "errors": errors}, ensure_ascii=False)
        except Exception as err:  # noqa: BLE001 - errors that are not JSON data: a bug
            errors = [internal_error(err)]
            internal += 1
            record = json.dumps({"line": n, "errors": errors}, ensure_ascii=False)
        bad.append((n, errors))
        out.append(record)
    out.append("")
    return "\n".join(out), bad, internal


def utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (from a key written `\udfff`) inside a JSON string: its JSON escape,
        # `\udfff`, is what backslashreplace writes, so the line stays JSON meaning the same.
        return text.encode("utf-8", "backslashreplace")


def _write_all(binary, data: bytes) -> None:
    # Under PYTHONUNBUFFERED (or -u) stdout's binary layer is the raw file, whose write() may
    # write part of the data: a signal interrupting a write to a full pipe ends it early.
    view = memoryview(data)
    while view:
        written = binary.write(view)
        if written is None:  # a non-blocking file that would block: wait until it takes more
            import select

            select.select([], [binary], [])
            continue
        view = view[written:]


def _chunks(lines: Iterable[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    it = iter(lines)
    start = 1
    while True:
        try:
            with _stop.waiting():  # a signal while waiting for input stops the run at once
                chunk = list(islice(it, CHUNK_LINES))
        except OSError as err:
            raise InputError(err) from None
        if not chunk:
            return
        if start == 1:
            why = other_encoding(chunk[0])
            if why:
                raise NotJson(why)
        yield start, chunk
        start += len(chunk)


def _die_with_parent(parent: int) -> None:
    """Make this worker process die when its parent does, however the parent ends."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        else:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _init_worker(root: str, module_name: str, parent: int) -> None:
    global _module
    # The parent decides when to stop: Ctrl-C at a terminal reaches every process of the group,
    # and a worker must not print a traceback for it. SIGTERM kills a worker outright.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    _module = importlib.import_module(module_name)


def _answer_in_worker(job: tuple[int, list[bytes], int]) -> tuple[bytes | int, list, int, int]:
    """Answer a chunk; return the answer's bytes, or their length when they were put in the slot."""
    start, lines, slot = job
    text, bad, internal = answer_chunk(_module, start, lines)
    data = utf8(text)  # here, in parallel
    size = sum(map(len, lines))
    if _ring is not None and len(data) <= SLOT_BYTES:
        _ring[slot * SLOT_BYTES:slot * SLOT_BYTES + len(data)] = data
        return len(data), bad, internal, size
    return data, bad, internal, size


def evaluate_stream(module, lines: Iterable[bytes], out: IO[str], jobs: int = 1, root: str | None = None,
                    on_bad: Callable[[int, list[dict]], None] | None = None,
                    on_progress: Callable[[int, int], None] | None = None) -> Tally:
    """Write one answer per line of `lines` to `out` (UTF-8), in order; return the Tally of bad lines.

    Args:
        jobs: processes evaluating chunks; 1 evaluates in this process. Workers import the
            evaluator by its module name with `root` first on sys.path.
        on_bad: called with (line number, errors) for each bad line, in order.
        on_progress: called with (lines, bytes) after each chunk is written.

    Raises Stopped (under stop_on_signals) after writing the answers complete so far, in order.
    """
    failures = internal_errors = answered = 0
    # Answers are UTF-8 whatever the locale: written to the byte buffer under `out` when it has
    # one, after flushing what its text layer holds.
    out.flush()
    raw_out = getattr(out, "buffer", None)

    def written(data: bytes, bad: list, internal: int, size: int, count: int) -> None:
        nonlocal failures, internal_errors, answered
        if raw_out is not None:
            _write_all(raw_out, data)
        else:
            out.write(data.decode("utf-8"))
        failures += len(bad)
        internal_errors += internal
        answered += count
        if on_bad is not None:
            for n, errors in bad:
                on_bad(n, errors)
        if on_progress is not None:
            on_progress(count, size)

    try:
        if jobs <= 1:
            for start, chunk in _chunks(lines):
                text, bad, internal = answer_chunk(module, start, chunk)
                written(utf8(text), bad, internal, sum(map(len, chunk)), len(chunk))
                _stop.check()
        else:
            _evaluate_in_workers(module, lines, jobs, root, written)
    except Stopped as stop:
        stop.answered = answered
        (raw_out or out).flush()
        raise
    (raw_out or out).flush()
    return Tally(failures, internal_errors)


def _evaluate_in_workers(module, lines: Iterable[bytes], jobs: int, root: str | None, written) -> None:
    import mmap
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _ring
    # One slot per chunk that can be in flight, and one more: chunk k's slot is reused by chunk
    # k + slots, submitted only after chunk k was written.
    window = 2 * jobs
    slots = window + 1
    # Shared and anonymous: forked workers inherit it. SLOT_BYTES = 0 sends every answer through
    # the pipe, and so does a machine that will not map that much (a very large --jobs).
    try:
        ring = mmap.mmap(-1, SLOT_BYTES * slots) if SLOT_BYTES else None
    except (OSError, OverflowError, ValueError):
        ring = None
    _ring = ring

    pending: deque = deque()

    def collect() -> None:
        """Write the oldest chunk in flight when it is answered."""
        future, start, count, slot = pending[0]
        try:
            # Waits, looking for a signal ten times a second: raised from the handler inside
            # the threading.Condition that result() waits on, it would break that lock.
            while True:
                _stop.check()
                try:
                    future.exception(timeout=0.1)
                    break
                except TimeoutError:
                    pass
            data, bad, internal, size = future.result()
        except BrokenProcessPool:  # a worker died: killed, or out of memory
            _stop.check()  # killed with its parent's process group: the signal is the news
            raise WorkerDied(start, start + count - 1) from None
        # INVARIANT: a chunk leaves `pending` only as it is written, so a stop at any moment
        # writes every chunk answered before it, and none twice.
        pending.popleft()
        if type(data) is int:
            data = ring[slot * SLOT_BYTES:slot * SLOT_BYTES + data]
        written(data, bad, internal, size, count)
        _stop.check()

    # ProcessPoolExecutor, not multiprocessing.Pool: when a worker dies, Pool replaces it and
    # waits forever for the chunk it had; the executor fails every pending chunk instead.
    pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(root or "", module.__name__, os.getpid()))
    try:
        # Executor.map would read the whole input ahead of the workers; a bounded window keeps
        # memory flat and the output in order.
        for k, (start, chunk) in enumerate(_chunks(lines)):
            slot = k % slots
            try:
                future = pool.submit(_answer_in_worker, (start, chunk, slot))
            except BrokenProcessPool:  # a worker died since the last submission
                while pending:  # write what was answered; the first chunk that was not raises
                    collect()
                raise WorkerDied(start, start + len(chunk) - 1) from None
            pending.append((future, start, len(chunk), slot))
            if len(pending) >= window:
                collect()
            # Write what is already answered: input that comes slowly (a pipe) gets its answers
            # as they are ready, not a window later.
            while pending and pending[0][0].done():
                collect()
        while pending:
            collect()
    except Stopped:
        # Write the chunks already answered, in order, without waiting for any other.
        while pending and pending[0][0].done() and pending[0][0].exception() is None:
            future, start, count, slot = pending.popleft()
            data, bad, internal, size = future.result()
            if type(data) is int:
                data = ring[slot * SLOT_BYTES:slot * SLOT_BYTES + data]
            written(data, bad, internal, size, count)
        raise
    finally:
        if pending:  # stopped early: do not wait for the chunks the workers still hold
            _end_workers(pool)
        else:
            pool.shutdown()
        _ring = None
        if ring is not None:
            ring.close()


def _end_workers(pool) -> None:
    """Cancel what the pool still holds and kill its workers (a run stopped early)."""
    # The executor keeps its processes in _processes and its manager thread in
    # _executor_manager_thread (CPython 3.9+); shutdown() forgets both.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()
    for process in processes:
        process.join(5)
    # Until the manager thread has seen the workers gone and closed its wakeup pipe, the
    # executor's exit hook may write to that pipe while it closes (CPython 3.11: "Bad file
    # descriptor" printed at exit).
    if manager is not None:
        manager.join(5)
