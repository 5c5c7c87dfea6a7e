"""What a service pays once: importing a generated module, the first decision, and compiling policies."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("compiler", "dsl", "lark", "jsonschema", "yaml", "click")

# Run in a fresh interpreter with the copied project first on sys.path.
# `json` is imported only after the timing: it would preload `re`, `enum` and `collections`.
_IMPORT_PROBE = r"""
import sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
import {module} as m
t1 = time.perf_counter()
d = m.evaluate({inputs!r})
_ = d.to_dict()
t2 = time.perf_counter()
d = m.evaluate({inputs!r})
_ = d.to_dict()
t3 = time.perf_counter()
heavy = sorted(n for n in sys.modules if n.split(".")[0] in {heavy!r})
import json
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "first_us": (t2 - t1) * 1e6, "second_us": (t3 - t2) * 1e6, "heavy": heavy}}))
"""
# What the standard library modules every evaluator needs cost on their own, in the same setting.
_STDLIB_PROBE = r"""
import time
t0 = time.perf_counter()
import datetime, zoneinfo
zoneinfo.ZoneInfo("Asia/Seoul")
print((time.perf_counter() - t0) * 1e3)
"""


def _copy_generated(dest: Path, bytecode: bool) -> None:
    shutil.copytree(ROOT / "generated", dest / "generated", ignore=shutil.ignore_patterns("__pycache__"))
    if bytecode:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(dest / "generated")], check=True,
                       stdout=subprocess.DEVNULL)


def import_and_first_decision(module: str, inputs: dict, runs: int = 15) -> dict:
    """Median import time and first/second decision (to_dict included) in fresh interpreters.

    Three settings: this interpreter's usual startup with cached bytecode (as an installed
    package runs), the same without bytecode (the first import after an edit), and a bare
    interpreter (`-I -S`: nothing preloaded by site, so every stdlib module the evaluator needs
    is paid for too).
    """
    out = {}
    for label, bytecode, flags in (("bytecode", True, []), ("no bytecode", False, []), ("bare -I -S, bytecode", True, ["-I", "-S"])):
        with tempfile.TemporaryDirectory(prefix="policyc-import-") as tmp:
            dest = Path(tmp)
            _copy_generated(dest, bytecode)
            code = _IMPORT_PROBE.format(root=str(dest), module=module, inputs=inputs, heavy=HEAVY)
            env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
            rows, stdlib = [], []
            for _ in range(runs):
                proc = subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True, env=env,
                                      cwd=tmp, check=True)
                rows.append(json.loads(proc.stdout))
                proc = subprocess.run([sys.executable, *flags, "-c", _STDLIB_PROBE], capture_output=True, text=True,
                                      env=env, cwd=tmp, check=True)
                stdlib.append(float(proc.stdout))
        out[label] = {
            "stdlib_ms": statistics.median(stdlib),
            "import_ms": statistics.median(r["import_ms"] for r in rows),
            "import_ms_min": min(r["import_ms"] for r in rows),
            "first_us": statistics.median(r["first_us"] for r in rows),
            "second_us": statistics.median(r["second_us"] for r in rows),
            "heavy": sorted({h for r in rows for h in r["heavy"]}),
            "runs": runs,
        }
    return out


def importtime_breakdown(module: str, top: int = 8) -> list[tuple[str, int]]:
    """The modules that dominate `python -X importtime` for the module (cumulative µs), with bytecode.

    Only what the import itself loads is listed: the entries after the interpreter's own start-up.
    """
    with tempfile.TemporaryDirectory(prefix="policyc-importtime-") as tmp:
        _copy_generated(Path(tmp), True)
        proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                              text=True, cwd=tmp, env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        if parts[2].strip() == "site" and not parts[2].startswith("  "):
            rows = []  # what site imported at start-up is not the evaluator's cost
            continue
        rows.append((parts[2].strip(), int(parts[1])))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


# ---------------------------------------------------------------- compiling


def _copy_project(dest: Path) -> None:
    shutil.copytree(ROOT / "policies", dest / "policies")


_COMPILE_PROBE = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
t0 = time.perf_counter()
from compiler import pipeline
t1 = time.perf_counter()
root = Path({root!r})
result, files = pipeline.compile_all(root)
assert files is not None, [d.message for d in result.errors]
t2 = time.perf_counter()
pipeline.write_tree(files, root / pipeline.GENERATED)
t3 = time.perf_counter()
print(json.dumps({{"imports": t1 - t0, "load_build": t2 - t1, "write": t3 - t2, "policies": len(result.policies), "files": len(files)}}))
"""


def compile_project(root: Path, runs: int = 3) -> dict:
    """`policyc compile --root ROOT` wall time (median), and the same split into stages in-process."""
    walls, stages = [], []
    for _ in range(runs):
        shutil.rmtree(root / "generated", ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "compiler.cli", "compile", "--root", str(root)], cwd=ROOT, check=True,
                       capture_output=True)
        walls.append(time.perf_counter() - t0)
        shutil.rmtree(root / "generated", ignore_errors=True)
        proc = subprocess.run([sys.executable, "-c", _COMPILE_PROBE.format(repo=str(ROOT), root=str(root))],
                              cwd=ROOT, check=True, capture_output=True, text=True)
        stages.append(json.loads(proc.stdout))
    return {
        "cli_s": statistics.median(walls),
        "imports_s": statistics.median(s["imports"] for s in stages),
        "load_build_s": statistics.median(s["load_build"] for s in stages),
        "write_s": statistics.median(s["write"] for s in stages),
        "policies": stages[0]["policies"],
        "files": stages[0]["files"],
    }


def compile_repository(runs: int = 3) -> dict:
    """Compile every policy of this repository (a copy, so generated/ here is never touched)."""
    with tempfile.TemporaryDirectory(prefix="policyc-compile-") as tmp:
        root = Path(tmp)
        _copy_project(root)
        return compile_project(root, runs)


_TEMPLATES = ("pet_taxi/cancellation_fee", "jeju_rentcar/cancellation_fee")


def write_synthetic(root: Path, count: int) -> None:
    """`count` policies under root/policies/synth_<k>/: copies of the two fee policies, renamed.

    Each keeps its worked examples, so every synthetic policy goes through the same checks,
    emitters and example loading as the real ones; the project holds the articles they cite and
    a service name for each domain.
    """
    shutil.copytree(ROOT / "policies" / "articles", root / "policies" / "articles", dirs_exist_ok=True)
    domains = sorted({f"synth_{i // 100:02d}" for i in range(count)})
    (root / "policies" / "services.yaml").write_text("".join(f"{d}: 합성 서비스 {d}\n" for d in domains),
                                                     encoding="utf-8")
    texts = [((ROOT / "policies" / f"{t}.policy").read_text(encoding="utf-8"),
              (ROOT / "policies" / f"{t}.examples.yaml").read_text(encoding="utf-8"),
              t.replace("/", ".")) for t in _TEMPLATES]
    for i in range(count):
        text, examples, policy_id = texts[i % len(texts)]
        domain, name = f"synth_{i // 100:02d}", f"policy_{i:04d}"
        folder = root / "policies" / domain
        folder.mkdir(parents=True, exist_ok=True)
        assert f"policy {policy_id} " in text
        (folder / f"{name}.policy").write_text(text.replace(f"policy {policy_id} ", f"policy {domain}.{name} ", 1),
                                               encoding="utf-8")
        (folder / f"{name}.examples.yaml").write_text(examples, encoding="utf-8")


def compile_scaling(sizes: tuple[int, ...] = (10, 100, 1000), runs: int = 1) -> list[dict]:
    """Compile time of `n` synthetic policies, for each n in sizes."""
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"policyc-synth-{n}-") as tmp:
            root = Path(tmp)
            write_synthetic(root, n)
            row = compile_project(root, runs)
            row["n"] = n
            rows.append(row)
    return rows
