"""Per-decision timing: every system on the same inputs, in interleaved rounds, one call per sample."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Stats:
    """Nanoseconds per decision over every (input, round) sample of one system."""

    samples: int
    median: float
    p99: float
    mean: float


def timer_overhead_ns(n: int = 200_000) -> float:
    """The median cost of an empty perf_counter_ns() pair, subtracted from every sample."""
    pc = time.perf_counter_ns
    out = []
    for _ in range(n):
        t0 = pc()
        t1 = pc()
        out.append(t1 - t0)
    return statistics.median(out)


def interleaved(systems: dict[str, Callable], inputs: list, rounds: int, seed: int,
                block: int = 500) -> dict[str, Stats]:
    """Time each system on every input, `rounds` times.

    Inputs are split into blocks; within a round every system runs each block in a fresh random
    order before the next block starts, so a slow patch of machine noise falls on all systems
    alike. Each call is timed on its own (perf_counter_ns, the timer's own cost subtracted).
    """
    rng = random.Random(seed)
    overhead = timer_overhead_ns()
    names = list(systems)
    samples: dict[str, list[int]] = {name: [] for name in names}
    pc = time.perf_counter_ns
    for _ in range(rounds):
        for lo in range(0, len(inputs), block):
            chunk = inputs[lo:lo + block]
            order = names[:]
            rng.shuffle(order)
            for name in order:
                f = systems[name]
                out = samples[name]
                append = out.append
                for raw in chunk:
                    t0 = pc()
                    f(raw)
                    t1 = pc()
                    append(t1 - t0)
    result = {}
    for name, xs in samples.items():
        xs.sort()
        n = len(xs)
        result[name] = Stats(
            samples=n,
            median=max(statistics.median(xs) - overhead, 0.0),
            p99=max(xs[min(n - 1, int(n * 0.99))] - overhead, 0.0),
            mean=max(statistics.fmean(xs) - overhead, 0.0),
        )
    return result
