"""Evaluates JSON Lines as a stream: output line i answers input line i, in one process or N.

Memory stays flat however long the input: lines are read in chunks, at most a few chunks are
in flight, and each chunk's answers are written before more is read. A line that is not JSON
or does not fit the policy gets an error record `{"line": n, "errors": [...]}` in its place;
a blank line gets a blank line, so the numbering never drifts. A worker process that dies
(killed, out of memory) stops the batch with WorkerDied, after the answers before its chunk.
"""

from __future__ import annotations

import codecs
import importlib
import json
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO

CHUNK_LINES = 2000
_decode = json.JSONDecoder().decode  # json.loads without sniffing the encoding: JSON Lines are UTF-8


_module = None  # the evaluator, in a worker process


class WorkerDied(RuntimeError):
    """A worker process stopped before answering a chunk; the lines before it were written."""

    def __init__(self, first: int, last: int):
        self.first, self.last = first, last
        super().__init__(f"a worker process stopped before answering lines {first:,}–{last:,} "
                         f"(killed, or out of memory?); the answers to the lines before them were written")


# Answers travel back from workers through a ring of slots in memory shared with the parent,
# which copies them to the output. Through the pipe, receiving and unpickling them cost the
# parent CPU time equal to a sixth of the workers', taken from the CPUs the workers run on.
# A worker that does not share the ring (a start method other than fork), or an answer larger
# than a slot, answers through the pipe.
SLOT_BYTES = 8 << 20
_ring = None


def answer_chunk(module, start: int, lines: list[bytes]) -> tuple[str, list[tuple[int, list[dict]]]]:
    """Answer `lines` (numbered from `start`): the text to write, and (line, errors) of each bad line."""
    evaluate, invalid = module.evaluate, module.InvalidInput
    out: list[str] = []
    bad: list[tuple[int, list[dict]]] = []
    if start == 1 and lines and lines[0].startswith(codecs.BOM_UTF8):
        lines = [lines[0][len(codecs.BOM_UTF8):], *lines[1:]]
    for n, line in enumerate(lines, start):
        try:
            value = _decode(line.decode())
        except ValueError as err:  # JSONDecodeError, or bytes that are not UTF-8
            if not line.strip():
                out.append("")
                continue
            errors = [{"path": "", "message": not_json(err)}]
        else:
            try:
                out.append(evaluate(value).to_json())
                continue
            except invalid as err:
                errors = err.errors
        bad.append((n, errors))
        out.append(json.dumps({"line": n, "errors": errors}, ensure_ascii=False))
    out.append("")
    return "\n".join(out), bad


def not_json(err: ValueError) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"not JSON: {err.msg} at column {err.colno}"
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 text (byte {err.start + 1} of the line)"
    return f"not JSON: {err}"


def _chunks(lines: Iterable[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    it = iter(lines)
    start = 1
    while True:
        chunk = list(islice(it, CHUNK_LINES))
        if not chunk:
            return
        yield start, chunk
        start += len(chunk)


def _init_worker(root: str, module_name: str) -> None:
    global _module
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    _module = importlib.import_module(module_name)


def _answer_in_worker(job: tuple[int, list[bytes], int]) -> tuple[bytes | int, list, int]:
    """Answer a chunk; return the answer's bytes, or their length when they were put in the slot."""
    start, lines, slot = job
    text, bad = answer_chunk(_module, start, lines)
    data = text.encode("utf-8")  # here, in parallel
    size = sum(map(len, lines))
    if _ring is not None and len(data) <= SLOT_BYTES:
        _ring[slot * SLOT_BYTES:slot * SLOT_BYTES + len(data)] = data
        return len(data), bad, size
    return data, bad, size


def evaluate_stream(module, lines: Iterable[bytes], out: IO[str], jobs: int = 1, root: str | None = None,
                    on_bad: Callable[[int, list[dict]], None] | None = None,
                    on_progress: Callable[[int, int], None] | None = None) -> int:
    """Write one answer per line of `lines` to `out` (UTF-8), in order; return how many lines were bad.

    Args:
        jobs: processes evaluating chunks; 1 evaluates in this process. Workers import the
            evaluator by its module name with `root` first on sys.path.
        on_bad: called with (line number, errors) for each bad line, in order.
        on_progress: called with (lines, bytes) after each chunk is written.
    """
    failures = 0
    # Answers are UTF-8 whatever the locale: written to the byte buffer under `out` when it has
    # one, after flushing what its text layer holds.
    out.flush()
    raw_out = getattr(out, "buffer", None)

    def written(data: bytes, bad: list, size: int, count: int) -> None:
        nonlocal failures
        if raw_out is not None:
            raw_out.write(data)
        else:
            out.write(data.decode("utf-8"))
        failures += len(bad)
        if on_bad is not None:
            for n, errors in bad:
                on_bad(n, errors)
        if on_progress is not None:
            on_progress(count, size)

    if jobs <= 1:
        for start, chunk in _chunks(lines):
            text, bad = answer_chunk(module, start, chunk)
            written(text.encode("utf-8"), bad, sum(map(len, chunk)), len(chunk))
        (raw_out or out).flush()
        return failures

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

    def collect(result, start: int, count: int, slot: int) -> None:
        try:
            data, bad, size = result.result()
        except BrokenProcessPool:  # a worker died: killed, or out of memory
            raise WorkerDied(start, start + count - 1) from None
        if type(data) is int:
            data = ring[slot * SLOT_BYTES:slot * SLOT_BYTES + data]
        written(data, bad, size, count)

    try:
        # ProcessPoolExecutor, not multiprocessing.Pool: when a worker dies, Pool replaces it and
        # waits forever for the chunk it had; the executor fails every pending chunk instead.
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(root or "", module.__name__)) as pool:
            # Executor.map would read the whole input ahead of the workers; a bounded window keeps
            # memory flat and the output in order.
            pending: deque = deque()
            for k, (start, chunk) in enumerate(_chunks(lines)):
                slot = k % slots
                try:
                    future = pool.submit(_answer_in_worker, (start, chunk, slot))
                except BrokenProcessPool:  # a worker died since the last submission
                    while pending:  # write what was answered; the first chunk that was not raises
                        collect(*pending.popleft())
                    raise WorkerDied(start, start + len(chunk) - 1) from None
                pending.append((future, start, len(chunk), slot))
                if len(pending) >= window:
                    collect(*pending.popleft())
            while pending:
                collect(*pending.popleft())
    finally:
        _ring = None
        if ring is not None:
            ring.close()
    (raw_out or out).flush()
    return failures
