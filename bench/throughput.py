"""End-to-end JSON Lines throughput of `policyc evaluate`, and a million-line run with its peak memory."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.workload import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent

# Runs the command and reports its wall time, CPU time and peak RSS (the largest process of the
# tree, workers included), measured from a parent that does nothing else.
_RUN_PROBE = r"""
import json, resource, subprocess, sys, time
cmd, out_path = json.loads(sys.argv[1]), sys.argv[2]
t0 = time.perf_counter()
with open(out_path, "wb") as out:
    rc = subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss}))
"""


def write_jsonl(path: Path, policy: str, lines: int, seed: int, bad_every: int = 0) -> None:
    """`lines` inputs of `policy`, one JSON object per line; every `bad_every`-th line is invalid."""
    make = WORKLOADS[policy]
    block = 50_000
    with open(path, "w", encoding="utf-8") as f:
        done = 0
        while done < lines:
            n = min(block, lines - done)
            for i, raw in enumerate(make(n, seed + done), done + 1):
                if bad_every and i % bad_every == 0:
                    f.write('{"fare": "not a number", "departure_at": "tomorrow"}\n' if i % (2 * bad_every) else "{not json\n")
                else:
                    f.write(json.dumps(raw, ensure_ascii=False))
                    f.write("\n")
            done += n


def run_cli(policy: str, input_path: Path, output_path: Path, jobs: int) -> dict:
    """One `policyc evaluate` run (python -m compiler.cli), measured from outside."""
    cmd = [sys.executable, "-m", "compiler.cli", "evaluate", policy, "--input", str(input_path),
           "--jobs", str(jobs), "--root", str(ROOT)]
    proc = subprocess.run([sys.executable, "-c", _RUN_PROBE, json.dumps(cmd), str(output_path)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def startup_seconds(policy: str, tmp: Path) -> float:
    """Wall time of `policyc evaluate` on a two-line file: the interpreter and CLI start-up."""
    small = tmp / "two.jsonl"
    write_jsonl(small, policy, 2, seed=1)
    runs = [run_cli(policy, small, tmp / "two.out", 1)["wall"] for _ in range(5)]
    return statistics.median(runs)


def throughput(policy: str, tmp: Path, lines: int, seed: int, jobs_list=(1, 2), repeats: int = 3) -> dict:
    """Decisions per second for each --jobs, runs interleaved; start-up is reported, not subtracted."""
    src = tmp / f"throughput-{lines}.jsonl"
    write_jsonl(src, policy, lines, seed)
    runs: dict[int, list[dict]] = {j: [] for j in jobs_list}
    outputs: dict[int, Path] = {}
    for _ in range(repeats):
        for jobs in jobs_list:
            outputs[jobs] = tmp / f"throughput-{lines}-j{jobs}.out"
            runs[jobs].append(run_cli(policy, src, outputs[jobs], jobs))
    same = len({outputs[j].read_bytes() for j in jobs_list}) == 1
    result = {"lines": lines, "bytes": src.stat().st_size, "same_output": same, "jobs": {}}
    for jobs, rs in runs.items():
        wall = statistics.median(r["wall"] for r in rs)
        cpu = statistics.median(r["cpu"] for r in rs)
        result["jobs"][jobs] = {
            "wall_s": wall,
            "per_s": lines / wall,
            "cpu_s": cpu,
            "per_cpu_s": lines / cpu,
            "rc": sorted({r["rc"] for r in rs}),
            "maxrss_mb": max(r["maxrss_kb"] for r in rs) / 1024,
        }
    for p in (src, *outputs.values()):
        p.unlink(missing_ok=True)
    return result


def million(policy: str, tmp: Path, seed: int, sizes=(10_000, 100_000, 1_000_000), jobs_list=(1, 2),
            bad_every: int = 10_000) -> list[dict]:
    """Peak RSS and time for growing inputs (flat memory), and the million-line output checked."""
    rows = []
    for n in sizes:
        src = tmp / f"rss-{n}.jsonl"
        write_jsonl(src, policy, n, seed, bad_every=bad_every)
        for jobs in jobs_list:
            out = tmp / f"rss-{n}-j{jobs}.out"
            r = run_cli(policy, src, out, jobs)
            row = {"lines": n, "jobs": jobs, "wall_s": r["wall"], "per_s": n / r["wall"], "rc": r["rc"],
                   "maxrss_mb": r["maxrss_kb"] / 1024}
            if n == max(sizes):
                row["check"] = check_output(policy, src, out)
            rows.append(row)
            out.unlink(missing_ok=True)
        src.unlink(missing_ok=True)
    return rows


def check_output(policy: str, src: Path, out: Path, every: int = 50) -> dict:
    """Line count, and every `every`-th line (plus every bad line) compared with a single evaluation."""
    sys.path.insert(0, str(ROOT))
    from compiler import pipeline

    module = pipeline.import_evaluator(policy, ROOT)
    checked = mismatches = errors = lines_in = lines_out = 0
    with open(src, "rb") as fin, open(out, "rb") as fout:
        for n, (a, b) in enumerate(zip(fin, fout), 1):
            lines_in += 1
            lines_out += 1
            record = json.loads(b)
            if "errors" in record:
                errors += 1
                mismatches += record.get("line") != n
                continue
            if n % every:
                continue
            checked += 1
            want = json.dumps(module.evaluate(json.loads(a)).to_dict(), ensure_ascii=False)
            mismatches += want.encode() != b.rstrip(b"\n")
        lines_in += sum(1 for _ in fin)
        lines_out += sum(1 for _ in fout)
    return {"lines_in": lines_in, "lines_out": lines_out, "checked": checked, "error_records": errors,
            "mismatches": mismatches}


_BURN = "import time\nt = time.perf_counter()\nx = 0\nfor i in range(6_000_000):\n    x += i\nprint(time.perf_counter() - t)\n"


def parallel_capacity(repeats: int = 3) -> float:
    """How much faster two CPU-bound processes finish than one, here and now (2.0 = two free cores).

    A pure-Python loop is run alone, then two copies at once; the ratio of work per second is
    what `--jobs 2` could get from this machine at best while the benchmark ran.
    """
    ratios = []
    for _ in range(repeats):
        alone = float(subprocess.run([sys.executable, "-c", _BURN], capture_output=True, text=True, check=True).stdout)
        pair = [subprocess.Popen([sys.executable, "-c", _BURN], stdout=subprocess.PIPE, text=True) for _ in range(2)]
        both = max(float(p.communicate()[0]) for p in pair)
        ratios.append(2 * alone / both)
    return statistics.median(ratios)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def load_average() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


def now() -> float:
    return time.time()
