"""`python -m bench`: measure the generated evaluators against the baseline and the peers, write RESULTS.md."""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import importlib
import importlib.metadata
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench import before, startup, throughput
from bench.baseline import BASELINES, TUNED
from bench.peers import PEERS
from bench.report import met, ratio, table, us
from bench.timing import interleaved
from bench.workload import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
POLICIES = ("pet_taxi.cancellation_fee", "jeju_rentcar.cancellation_fee")
BASELINE = "baseline (hand-written)"
BASELINE_TUNED = "baseline (hand-tuned)"
GENERATED = "policyc evaluate"
GEN_BEFORE = f"policyc evaluate before the readability rewrite ({before.COMMIT})"
GEN_EXPLAIN = "policyc evaluate + .explanation"
GEN_DICT = "policyc evaluate + .to_dict()"
OWN = (BASELINE, BASELINE_TUNED, GENERATED, GEN_BEFORE, GEN_EXPLAIN, GEN_DICT)
SAMPLE_INPUT = {"fare": 30000, "departure_at": "2025-06-01T14:00:00+09:00", "cancelled_at": "2025-06-01T10:00:00+09:00"}


def _normalize(policy: str):
    """Turn a Decision into the tuple the baseline returns, for the equality check."""
    if policy.startswith("pet_taxi"):
        return lambda d: (d.outputs["fee"], d.rule)
    return lambda d: (d.outputs["fee_percent"], d.outputs["card_fee"], d.outputs["point_fee"], d.rule)


def _generated_systems(module, policy: str) -> dict:
    evaluate = module.evaluate
    norm = _normalize(policy)

    def with_explanation(raw):
        d = evaluate(raw)
        d.explanation  # noqa: B018 - rendering it is the point
        return d

    def with_dict(raw):
        d = evaluate(raw)
        d.to_dict()
        return d

    return {GENERATED: (evaluate, norm), GEN_EXPLAIN: (with_explanation, norm), GEN_DICT: (with_dict, norm)}


def _build_peers() -> tuple[dict, list[dict]]:
    """Every peer that can be built here: {name: {policy: fn}}, and a note per peer."""
    built, notes = {}, []
    for name, dist, build, how in PEERS:
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = None
        try:
            built[name] = build()
            notes.append({"name": name, "dist": dist, "version": version, "how": how, "status": "ok"})
        except ImportError as err:
            notes.append({"name": name, "dist": dist, "version": version, "how": how,
                          "status": f"not installed here ({err}); `pip install -e '.[bench]'`"})
        except Exception as err:  # noqa: BLE001 - a broken peer is reported, not fatal
            notes.append({"name": name, "dist": dist, "version": version, "how": how,
                          "status": f"could not be prepared: {type(err).__name__}: {err}"})
    return built, notes


def _check(systems: dict, inputs: list, baseline) -> dict[str, dict]:
    """Compare every system's (fee…, rule id) with the baseline's on every input."""
    want = [baseline(raw) for raw in inputs]
    out = {}
    for name, (fn, norm) in systems.items():
        bad, first = 0, []
        for raw, expected in zip(inputs, want):
            try:
                got = tuple(norm(fn(raw)))
            except Exception as err:  # noqa: BLE001 - an engine error counts as a mismatch
                got = (f"{type(err).__name__}: {err}",)
            if got != expected:
                bad += 1
                if len(first) < 3:
                    first.append({"input": raw, "got": got, "want": expected})
        out[name] = {"mismatches": bad, "examples": first}
    return out


def per_decision(args, peers: dict, previous: dict) -> dict:
    results = {}
    for policy in POLICIES:
        module = importlib.import_module(f"generated.{policy}")
        inputs = WORKLOADS[policy](args.n, args.seed)
        baseline = BASELINES[policy]
        systems = {BASELINE: (baseline, lambda r: r), BASELINE_TUNED: (TUNED[policy], lambda r: r)}
        systems.update(_generated_systems(module, policy))
        if policy in previous:
            systems[GEN_BEFORE] = (previous[policy].evaluate, _normalize(policy))
        for name, fns in peers.items():
            systems[name] = (fns[policy], lambda r: r)
        print(f"  {policy}: checking {len(systems)} systems on {len(inputs):,} inputs …", file=sys.stderr)
        checks = _check(systems, inputs, baseline)
        print(f"  {policy}: timing, {args.rounds} interleaved rounds …", file=sys.stderr)
        gc.collect()
        stats = interleaved({name: fn for name, (fn, _) in systems.items()}, inputs, args.rounds, args.seed)
        results[policy] = {"stats": stats, "checks": checks, "inputs": len(inputs)}
    return results


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    u = platform.uname()
    return {"uname": f"{u.system} {u.node} {u.release} {u.version} {u.machine}", "cpu": cpu,
            "cpus": throughput.cpu_count(), "python": sys.version.split()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--n", type=int, default=20_000, help="raw inputs per policy (default 20,000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (default 5)")
    parser.add_argument("--seed", type=int, default=2025, help="random seed of inputs and ordering (default 2025)")
    parser.add_argument("--batch-lines", type=int, default=200_000, help="JSON Lines for the throughput runs")
    parser.add_argument("--million", type=int, default=1_000_000, help="lines of the big flat-memory run (0 skips it)")
    parser.add_argument("--scaling", default="10,100,1000", help="synthetic policy counts for compile scaling ('' skips)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: small sizes, nothing written")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the Markdown (default bench/RESULTS.md)")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.rounds, args.batch_lines, args.million, args.scaling = 2000, 2, 20_000, 0, "10,50"
        args.no_write = True
    command = "python -m bench" + ("" if argv is None and len(sys.argv) == 1 else " " + " ".join(argv if argv is not None else sys.argv[1:]))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    started = _dt.datetime.now(_dt.timezone.utc)
    load_start = throughput.load_average()
    t0 = time.perf_counter()
    print("preparing peers …", file=sys.stderr)
    peers, peer_notes = _build_peers()
    with tempfile.TemporaryDirectory(prefix="policyc-before-") as tmp:
        try:
            previous, before_note = before.load(POLICIES, Path(tmp)), f"`git show {before.COMMIT}:generated/…`"
        except Exception as err:  # noqa: BLE001 - without git history the comparison is reported missing
            previous, before_note = {}, f"not available: {type(err).__name__}: {err}"
        print("per-decision timing …", file=sys.stderr)
        decisions = per_decision(args, peers, previous)
    print("import time and first decision …", file=sys.stderr)
    imports = startup.import_and_first_decision("generated.pet_taxi.cancellation_fee", SAMPLE_INPUT,
                                                runs=5 if args.quick else 15)
    breakdown = startup.importtime_breakdown("generated.pet_taxi.cancellation_fee")
    print("compiling …", file=sys.stderr)
    compiled = startup.compile_repository(runs=1 if args.quick else 3)
    sizes = tuple(int(x) for x in args.scaling.split(",") if x.strip())
    scaling = startup.compile_scaling(sizes) if sizes else []
    with tempfile.TemporaryDirectory(prefix="policyc-bench-") as tmp:
        tmp_path = Path(tmp)
        print("JSON Lines throughput …", file=sys.stderr)
        cli_start = throughput.startup_seconds(POLICIES[0], tmp_path)
        capacity = [throughput.parallel_capacity()]
        batch = throughput.throughput(POLICIES[0], tmp_path, args.batch_lines, args.seed,
                                      repeats=1 if args.quick else 3)
        capacity.append(throughput.parallel_capacity())
        batch["capacity"] = capacity
        big = []
        if args.million:
            print(f"{args.million:,}-line run …", file=sys.stderr)
            big = throughput.million(POLICIES[0], tmp_path, args.seed,
                                     sizes=tuple(s for s in (10_000, 100_000) if s < args.million) + (args.million,))
    elapsed = time.perf_counter() - t0
    text = render(args, command, started, load_start, throughput.load_average(), elapsed, peer_notes, before_note, decisions,
                  imports, breakdown, compiled, scaling, cli_start, batch, big)
    print(text)
    if not args.no_write:
        args.output.write_text(text, encoding="utf-8")
        print(f"written to {args.output}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- the report


def best_configurations(stats: dict, peer_notes: list[dict]) -> list[tuple[str, str, object, int]]:
    """(peer, its fastest configuration, its Stats, configurations measured), fastest peer first."""
    best: dict[str, tuple] = {}
    for note in peer_notes:
        name = note["name"]
        if name not in stats:
            continue
        dist = note["dist"]
        count = best[dist][3] + 1 if dist in best else 1
        if dist not in best or stats[name].median < best[dist][2].median:
            best[dist] = (dist, name, stats[name], count)
        else:
            best[dist] = best[dist][:3] + (count,)
    return sorted(best.values(), key=lambda b: b[2].median)


def render(args, command, started, load_start, load_end, elapsed, peer_notes, before_note, decisions, imports, breakdown,
           compiled, scaling, cli_start, batch, big) -> str:
    m = machine()
    out: list[str] = []
    w = out.append
    w("# policyc benchmark results\n")
    w(f"- date: {started.strftime('%Y-%m-%d %H:%M UTC')} (run took {elapsed / 60:.1f} min)")
    w(f"- machine: `{m['uname']}`; CPU: {m['cpu']}, {m['cpus']} CPUs; Python {m['python']}")
    w(f"- load average at start / end: {load_start} / {load_end} (other work was running on this shared machine;"
      " only ratios measured in the same run mean anything)")
    w(f"- command, from the repository root after `pip install -e '.[bench]'`: `{command}`")
    w(f"- workload: {args.n:,} raw inputs per policy (ISO 8601 strings with offsets, `Z` and naive; ints; bools),"
      f" about 30% exactly on a window edge or one second off it; seed {args.seed}; {args.rounds} interleaved rounds,"
      " each call timed on its own")
    w("")

    # -- targets first
    rows = []
    for policy, res in decisions.items():
        st = res["stats"]
        base, gen, gen_x = st[BASELINE].median, st[GENERATED].median, st[GEN_EXPLAIN].median
        peers = {n: s for n, s in st.items() if n not in OWN}
        slowest_ok = all(gen < s.median for s in peers.values()) if peers else None
        if GEN_BEFORE in st:
            old = st[GEN_BEFORE].median
            rows.append([f"`{policy}`: generated ≤ 1.2× the generated evaluator before the readability rewrite"
                         f" ({before.COMMIT}), same run", f"{ratio(gen / old)} ({us(gen)} µs vs {us(old)} µs)",
                         met(gen <= 1.2 * old)])
        rows.append([f"`{policy}`: generated ≤ 2× baseline (median)", f"{ratio(gen / base)}", met(gen <= 2 * base)])
        tuned = st[BASELINE_TUNED].median
        rows.append([f"`{policy}`: … against the hand-tuned baseline (for information)", f"{ratio(gen / tuned)}", "—"])
        rows.append([f"`{policy}`: … with the explanation rendered", f"{ratio(gen_x / base)}", met(gen_x <= 2 * base)])
        if peers:
            fastest = min(peers.items(), key=lambda kv: kv[1].median)
            rows.append([f"`{policy}`: generated faster than every peer in its best configuration (median)",
                         f"fastest peer {fastest[0]} {us(fastest[1].median)} µs vs {us(gen)} µs ({ratio(fastest[1].median / gen)})",
                         met(slowest_ok)])
            x_ok = all(gen_x < s.median for s in peers.values())
            # The target counts the explanation as included when it costs nothing until read
            # (it is built lazily); rendering it too is shown for information: no peer gives one.
            rows.append([f"`{policy}`: … with the explanation rendered as well (no peer gives one; for information)",
                         f"{us(gen_x)} µs vs {us(fastest[1].median)} µs ({ratio(fastest[1].median / gen_x)})",
                         "**met**" if x_ok else "—"])
    bc = imports["bytecode"]
    rows.append(["import of a generated module < 5 ms (fresh interpreter, bytecode cached)",
                 f"{bc['import_ms']:.2f} ms median of {bc['runs']}", met(bc["import_ms"] < 5)])
    bare = imports["bare -I -S, bytecode"]
    # Stricter than the target, for information: what `datetime` and `zoneinfo` cost alone there
    # bounds it (a zone's rules need zoneinfo; the policies' dates go back to 1900).
    rows.append(["… in a bare interpreter (`-I -S`, no stdlib module preloaded; for information)",
                 f"{bare['import_ms']:.2f} ms, of which `datetime` + `zoneinfo` alone take {bare['stdlib_ms']:.2f} ms",
                 "**met**" if bare["import_ms"] < 5 else "—"])
    heavy = sorted({h for v in imports.values() for h in v["heavy"]})
    rows.append(["no compiler / dsl / lark / jsonschema / yaml / click imported by evaluating",
                 "none" if not heavy else ", ".join(heavy), met(not heavy)])
    j1 = batch["jobs"].get(1)
    j2 = batch["jobs"].get(2)
    if j1:
        rows.append([f"JSON Lines end to end ≥ 50k decisions/s on one core (`--jobs 1`, {batch['lines']:,} lines, wall clock, start-up included)",
                     f"{j1['per_s']:,.0f}/s", met(j1["per_s"] >= 50_000)])
        rows.append(["… counted in CPU time instead (what one core does when the machine is shared)",
                     f"{j1['per_cpu_s']:,.0f} per CPU-second", met(j1["per_cpu_s"] >= 50_000)])
    if j1 and j2:
        speedup = j2["per_s"] / j1["per_s"]
        capacity = min(batch["capacity"])
        rows.append(["near-linear with `--jobs 2` (≥ 1.6×)", f"{ratio(speedup)} the `--jobs 1` rate"
                     f" (same output: {'yes' if batch['same_output'] else 'NO'})",
                     met(speedup >= 1.6 and batch["same_output"])])
        rows.append(["… against what this machine gave two CPU-bound processes during the run (≥ 80% of it)",
                     f"{ratio(speedup)} of a possible {' / '.join(ratio(c) for c in batch['capacity'])} (before / after)",
                     met(speedup >= 0.8 * capacity)])
    if big:
        top = max(r["lines"] for r in big)
        rss = [r for r in big if r["lines"] == top]
        small = [r for r in big if r["lines"] == min(r["lines"] for r in big)]
        flat = all(r["maxrss_mb"] <= 1.5 * min(s["maxrss_mb"] for s in small if s["jobs"] == r["jobs"]) for r in rss)
        checks = [r["check"] for r in rss]
        ok = flat and all(c["mismatches"] == 0 and c["lines_in"] == c["lines_out"] for c in checks)
        rows.append([f"{top:,}-line file: flat memory, line-for-line output",
                     "; ".join(f"`--jobs {r['jobs']}` peak RSS {r['maxrss_mb']:.0f} MB" for r in rss), met(ok)])
    w("## Targets\n")
    w(table(["target", "measured", ""], rows, "lrl"))
    w("")

    # -- per decision
    w("## Per decision\n")
    w("Median, 99th percentile and mean of one call, in µs. `policyc evaluate` returns the Decision with the"
      " fee and the rule id; its explanation and trace are built only when read, so the next two rows read them."
      " The baseline is `bench/baseline.py`; the peers are in `bench/peers.py`. *mismatches* counts inputs whose"
      " (fee…, rule id) differ from the baseline's, checked on every input before timing.\n")
    for policy, res in decisions.items():
        st, checks = res["stats"], res["checks"]
        gen = st[GENERATED].median
        base = st[BASELINE].median
        rows = []
        for name, s in sorted(st.items(), key=lambda kv: kv[1].median):
            rows.append([name, us(s.median), us(s.p99), us(s.mean), ratio(s.median / base), ratio(s.median / gen),
                         checks[name]["mismatches"]])
        w(f"### `{policy}` ({res['inputs']:,} inputs × {args.rounds} rounds)\n")
        w(table(["system", "median µs", "p99 µs", "mean µs", "÷ baseline", "÷ policyc", "mismatches"], rows))
        w("")
        for name, c in checks.items():
            for ex in c["examples"]:
                w(f"- mismatch, {name}: input `{ex['input']}` gave `{ex['got']}`, the baseline `{ex['want']}`")
        w("")

    w("Each peer in its best configuration (its fastest in this run, median µs; ÷ policyc is that time over"
      " `policyc evaluate`'s: above 1 means policyc is faster):\n")
    rows = []
    for policy, res in decisions.items():
        st = res["stats"]
        for dist, name, s, count in best_configurations(st, peer_notes):
            rows.append([f"`{policy}`", dist, name, f"{count} measured", us(s.median), ratio(s.median / st[GENERATED].median)])
    w(table(["policy", "peer", "best configuration", "configurations", "median µs", "÷ policyc"], rows, "llllrr"))
    w("")
    w(f"The generated evaluators before the readability rewrite: {before_note}, imported as a package"
      " `generated_before` beside today's. The hand-tuned baseline is `bench/baseline.py`'s `*_tuned`: the same"
      " contract, with the generator's tricks (a reader specialised for the three common ISO shapes, constants"
      " made once per module, the common case tested first).\n")
    w("Peers (each prepared once; the Python that turns raw input into engine input is inside the timed call;"
      " the adapters validate nothing beyond parsing the datetimes (the raw-datetime configuration not even that: the engine reads the strings), which favours them; for the rent-car policy"
      " the card and point fees are computed from the engine's rate in Python, the same two integer operations for every peer):\n")
    w(table(["peer", "package", "how the policies are written", "status"],
            [[n["name"], f"`{n['dist']}` {n['version'] or ''}".strip(), n["how"], n["status"]] for n in peer_notes],
            "llll"))
    w("")

    # -- start-up
    w("## Import and first decision\n")
    w("`generated.pet_taxi.cancellation_fee` in fresh interpreters (median; µs for the decisions, `to_dict()` included):\n")
    rows = [[label, f"{v['import_ms']:.2f}", f"{v['import_ms_min']:.2f}", f"{v['stdlib_ms']:.2f}", f"{v['first_us']:.0f}",
             f"{v['second_us']:.0f}", ", ".join(v["heavy"]) or "none"] for label, v in imports.items()]
    w(table(["setting", "import ms", "min ms", "`datetime` + `zoneinfo` alone ms", "first decision µs", "second µs",
             "heavy modules loaded"], rows))
    w("")
    w("Largest entries of `python -X importtime -c 'import generated.pet_taxi.cancellation_fee'` (cumulative µs,"
      " inflated by the tracing; modules already loaded at start-up are not listed):\n")
    w(table(["module", "cumulative µs"], [[f"`{n}`", c] for n, c in breakdown], "lr"))
    w("")

    # -- compile
    w("## Compile\n")
    w(f"`policyc compile` of this repository's {compiled['policies']} policies ({compiled['files']} files), into a copy:"
      f" {compiled['cli_s']:.2f} s wall for the command; in-process: imports {compiled['imports_s']:.2f} s,"
      f" parse + check + emit {compiled['load_build_s']:.2f} s, write {compiled['write_s']:.2f} s.\n")
    if scaling:
        rows = []
        first = scaling[0]
        for r in scaling:
            per = r["load_build_s"] / r["n"] * 1000
            rows.append([r["n"], f"{r['cli_s']:.2f}", f"{r['load_build_s']:.2f}", f"{r['write_s']:.2f}", f"{per:.1f}",
                         ratio((r["load_build_s"] / r["n"]) / (first["load_build_s"] / first["n"]))])
        w("Synthetic projects (copies of the two fee policies with their worked examples, renamed):\n")
        w(table(["policies", "command s", "parse+check+emit s", "write s", "ms per policy", "per policy ÷ smallest"], rows))
        w("")

    # -- batch
    w("## JSON Lines batch\n")
    w(f"`python -m compiler.cli evaluate pet_taxi.cancellation_fee --input FILE --jobs N` (what `policyc` runs), "
      f"{batch['lines']:,} valid lines ({batch['bytes'] / 1e6:.0f} MB) to a file; every output line holds the decision"
      f" with its explanation and trace. Median of the runs; start-up of the command alone is {cli_start:.2f} s and is"
      f" included. {throughput.cpu_count()} CPUs on this machine, shared.\n")
    rows = [[f"`--jobs {j}`", f"{r['wall_s']:.2f}", f"{r['per_s']:,.0f}", f"{batch['lines'] / max(r['wall_s'] - cli_start, 1e-9):,.0f}",
             f"{r['cpu_s']:.2f}", f"{r['per_cpu_s']:,.0f}", f"{r['maxrss_mb']:.0f}"] for j, r in batch["jobs"].items()]
    w(table(["jobs", "wall s", "decisions/s", "… without start-up", "CPU s (all processes)", "decisions per CPU-second",
             "peak RSS MB"], rows))
    w(f"\nOutput of every `--jobs` identical: {'yes' if batch['same_output'] else 'NO'}. Two copies of a pure-Python"
      f" loop ran {' / '.join(ratio(c) for c in batch['capacity'])} as fast together as one alone, before / after these"
      " runs: that bounds what `--jobs 2` can show on this shared machine.\n")
    if big:
        w("Growing inputs with a bad line every 10,000 (error records in place, exit 2 at the end), peak RSS of the"
          " largest process:\n")
        rows = []
        for r in big:
            c = r.get("check")
            rows.append([f"{r['lines']:,}", r["jobs"], f"{r['wall_s']:.1f}", f"{r['per_s']:,.0f}", f"{r['maxrss_mb']:.0f}", r["rc"],
                         "" if not c else f"{c['lines_out']:,} lines out for {c['lines_in']:,} in; {c['error_records']:,} error"
                         f" records on the right lines; {c['checked']:,} sampled decisions equal single evaluations;"
                         f" {c['mismatches']} mismatches"])
        w(table(["lines", "jobs", "wall s", "decisions/s", "peak RSS MB", "exit", "output check"], rows))
        w("")
    w("## Notes\n")
    w("- The per-decision figures are timed one call at a time with `perf_counter_ns` (its own cost subtracted),"
      " garbage collector on, every system on the same inputs in the same blocks, in a shuffled order per block.")
    w("- Ratios are what to read; absolute µs move with the machine's load.")
    w("- The baseline checks what the generated evaluator checks (unknown fields, whole-won ints, strict bools,"
      " ISO 8601 shapes through a regex then `datetime.fromisoformat`, naive times in Asia/Seoul) and reports every"
      " bad field. The generated evaluator reads every datetime through one runtime reader per policy zone"
      " (`_rt.datetime_reader`, made once per module), which parses the three shapes services send most"
      " (`…+09:00`, `…Z`, naive) without the regex (before the rewrite this parser was inlined once per field): for those shapes `fromisoformat` alone accepts exactly what the regex would"
      " (tests/test_datetime_reading.py drives both paths with mutated strings). It reads a naive time as the UTC"
      " instant it names in the policy zone; the baseline attaches the zone, as most services would.")
    w("- The hand-tuned baseline and the peers return a bare tuple; `policyc evaluate` also checks each output's"
      " range and returns a Decision that can render its explanation and trace later.")
    w("- Import times are wall-clock medians over fresh interpreters; `-X importtime` figures are inflated by its own"
      " tracing. On a busy machine a run can lose a scheduler slice mid-import, hence the minimum column.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
