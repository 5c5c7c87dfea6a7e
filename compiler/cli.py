"""The `policyc` command line: compile, check, evaluate, test."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import click

from compiler import project

# The parser, checker and emitters (compiler/pipeline.py) take a fifth of a second to import;
# commands that need them import them, so `policyc evaluate` starts without them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from compiler.diagnostics import Diagnostic

EXIT_POLICY_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70
EXIT_OS_ERROR = 74  # a file or directory could not be read or written (the user's environment, not a bug)
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


def _root_option(f):
    return click.option(
        "--root", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Project directory holding policies/ and generated/ (default: found from the current directory).",
    )(f)


def _print_diagnostics(diags: list[Diagnostic], sources: dict[str, str], fmt: str = "text") -> None:
    from compiler.diagnostics import render, render_json

    if fmt == "json":
        click.echo(render_json(diags))
        return
    for d in diags:
        click.echo(render(d, sources.get(d.span.path)), err=True)
        click.echo("", err=True)
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = len(diags) - errors
    if errors or warnings:
        click.echo(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}", err=True)


class _Group(click.Group):
    """Turns an unexpected exception into one clear line instead of a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:  # SIGINT: not click's "Aborted!" and exit 1, a policy error's code
            click.echo("policyc: stopped by SIGINT", err=True)
            sys.exit(EXIT_SIGINT)
        except BrokenPipeError:
            sys.exit(0)
        except project.NoProject as err:
            raise click.UsageError(str(err)) from None
        except UnicodeDecodeError as err:
            raise click.UsageError(f"the input is not UTF-8 text (byte {err.start})") from None
        except (OSError, project.tree.LockTimeout) as err:
            # Permission, disk full, file too large, read-only file system...: the environment.
            if os.environ.get("POLICYC_DEBUG"):
                raise
            click.echo(f"policyc: {_os_error_text(err)}", err=True)
            sys.exit(EXIT_OS_ERROR)
        except Exception as err:  # noqa: BLE001 - last line of defence for CLI users
            if os.environ.get("POLICYC_DEBUG"):
                raise
            click.echo(f"policyc: internal error: {type(err).__name__}: {err}", err=True)
            click.echo("this is a bug in policyc; set POLICYC_DEBUG=1 to see the traceback", err=True)
            sys.exit(EXIT_INTERNAL)


def _os_error_text(err: Exception) -> str:
    """One line naming the operation and the path (relative to the current directory)."""
    if isinstance(err, (project.tree.FileError, project.tree.LockTimeout)) or not isinstance(err, OSError):
        return str(err)
    reason = err.strerror or str(err)
    if err.filename is None:
        return f"file system error: {reason}"
    where = project.tree.shown(os.fsdecode(err.filename), os.getcwd())
    if err.filename2 is not None:
        where += " -> " + project.tree.shown(os.fsdecode(err.filename2), os.getcwd())
    return f"cannot use {where}: {reason}"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policyc")
def main() -> None:
    """policyc: compile service policies into evaluators, counselor pages and schemas."""


@main.command("compile")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; fail if generated/ is not what the policies produce.")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=project.tree.LOCK_TIMEOUT, show_default=True,
              metavar="SECONDS", help="How long to wait while another compile of the project runs (it holds "
              ".policyc.lock); then give up with exit 74.")
@_root_option
def compile_cmd(check_only: bool, lock_timeout: float, root: Path | None) -> None:
    """Compile every policy under policies/ into generated/ (all or nothing).

    One compile writes at a time: a second one waits for the first. File system errors
    (permission, disk full, a read-only generated/) exit 74 and leave generated/ as it was.
    """
    from compiler import pipeline, tree

    root = project.find_root(root)
    out_dir = root / project.GENERATED
    if check_only:
        result, files = _compile_or_exit(root)
        stale = pipeline.stale_files(files, out_dir)
        if stale:
            click.echo(f"generated/ is out of date ({len(stale)} file{'s' * (len(stale) != 1)}):", err=True)
            for rel in stale:
                click.echo(f"  generated/{rel}", err=True)
            click.echo("run `policyc compile` and commit the result", err=True)
            sys.exit(EXIT_POLICY_ERROR)
        click.echo(f"generated/ is up to date ({len(result.policies)} policies, {len(files)} files)")
        return

    def waiting(pid: str | None) -> None:
        who = f"process {pid}" if pid else "another process"
        click.echo(f"policyc: waiting for {who} to finish compiling (it holds {tree.LOCK_NAME})", err=True)

    # The lock covers reading the policies too: the tree written is the one they produce now.
    # A read-only project cannot be written at all: compile then only tells what is stale.
    with tree.project_lock(root, timeout=lock_timeout, on_wait=waiting, required=False) as held:
        if held:
            tree.clean(out_dir)  # leftovers of killed runs
        result, files = _compile_or_exit(root)
        stale = pipeline.stale_files(files, out_dir)
        if stale:
            pipeline.write_tree(files, out_dir)
    click.echo(f"compiled {len(result.policies)} policies into generated/ ({len(stale)} of {len(files)} files changed)")


def _compile_or_exit(root: Path):
    """Load and build every policy, printing the diagnostics; exit 1, writing nothing, on an error."""
    from compiler import pipeline

    result, files = pipeline.compile_all(root)
    _print_diagnostics(result.diagnostics, result.sources)
    if files is None:
        click.echo("nothing written: fix the errors above", err=True)
        sys.exit(EXIT_POLICY_ERROR)
    return result, files


@main.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="`json` prints every diagnostic as one JSON array on stdout.")
@_root_option
def check_cmd(files: tuple[Path, ...], fmt: str, root: Path | None) -> None:
    """Check policies (all of them, or FILES) and print diagnostics; write nothing."""
    from compiler import pipeline

    root = project.find_root(root)
    paths = [Path(f) for f in files] if files else None
    if paths:
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise click.UsageError("no such file: " + ", ".join(str(p) for p in missing))
    result = pipeline.load(root, paths)
    _print_diagnostics(result.diagnostics, result.sources, fmt)
    if result.errors:
        sys.exit(EXIT_POLICY_ERROR)
    if fmt == "text":
        click.echo(f"checked {len(result.policies)} policies: no errors")


@main.command("evaluate")
@click.argument("policy_id")
@click.option("--input", "input_path", required=True, metavar="FILE|-",
              help="The input, or `-` for stdin: one JSON object, or JSON Lines (one object per line). "
                   "UTF-8, a byte order mark allowed at the start.")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl"]), default=None,
              help="`json`: the input is one JSON document, answered by the decision, pretty-printed. "
                   "`jsonl`: JSON Lines; output line i answers input line i: the decision, or "
                   '{"line": i, "errors": [...]} for a bad line, or a blank line for a blank one. '
                   "Default: jsonl for a file named *.jsonl or *.ndjson, json for any other file "
                   "and for stdin (`-`).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes evaluating JSON Lines (the output keeps the input's order).")
@_root_option
def evaluate_cmd(policy_id: str, input_path: str, fmt: str | None, jobs: int, root: Path | None) -> None:
    """Evaluate POLICY_ID on an input and print the decision as JSON.

    Exit status: 0 every input answered; 2 invalid input (some JSON Lines refused: each has an
    error record and every other line its answer); 70 a bug in policyc; 74 the input could not
    be read or the output written; 130 and 143 stopped by SIGINT and SIGTERM, after writing the
    answers complete so far, in order.
    """
    from compiler import batch

    root = project.find_root(root)
    try:
        module = project.import_evaluator(policy_id, root)
    except LookupError as err:
        raise click.UsageError(str(err)) from None
    if fmt is None:
        fmt = "jsonl" if input_path != "-" and input_path.lower().endswith((".jsonl", ".ndjson")) else "json"
    shown = "stdin" if input_path == "-" else input_path
    with batch.stop_on_signals():
        try:
            if input_path == "-":
                stream = sys.stdin.buffer
            else:
                try:
                    stream = open(input_path, "rb")  # noqa: SIM115 - closed below
                except FileNotFoundError:
                    raise click.UsageError(f"no such file: {input_path}") from None
                except OSError as err:
                    raise batch.InputError(err) from None
            try:
                if fmt == "json":
                    _evaluate_document(module, stream)
                else:
                    _evaluate_batch(module, stream, input_path, jobs, str(root.resolve()))
            finally:
                if input_path != "-":
                    stream.close()
        except batch.Stopped as stop:
            name = signal.Signals(stop.signum).name
            if fmt == "jsonl":
                done = (f"the answers to lines 1–{stop.answered:,} were written" if stop.answered
                        else "no line was answered")
                click.echo(f"policyc: stopped by {name}: {done}", err=True)
            else:
                click.echo(f"policyc: stopped by {name}", err=True)
            sys.exit(EXIT_SIGINT if stop.signum == signal.SIGINT else EXIT_SIGTERM)
        except batch.NotJson as err:
            click.echo(f"policyc: {err}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except batch.InputError as err:
            click.echo(f"policyc: could not read {shown}: {err}", err=True)
            sys.exit(EXIT_OS_ERROR)
        except BrokenPipeError:
            raise
        except OSError as err:  # writing the output: a full disk, a file too large
            click.echo(f"policyc: could not write the output: {err.strerror or err}", err=True)
            sys.exit(EXIT_OS_ERROR)


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


def _evaluate_document(module, stream) -> None:
    """Evaluate one JSON document: the decision pretty-printed, or the errors and exit 2."""
    from compiler import batch

    try:
        with batch.waiting():
            data = stream.read()
    except OSError as err:
        raise batch.InputError(err) from None
    value = batch.read_document(data)
    try:
        decision = module.evaluate(value)
    except module.InvalidInput as err:
        _report_invalid(err.errors)
        sys.exit(EXIT_BAD_INPUT)
    text = json.dumps(decision.to_dict(), ensure_ascii=False, indent=2) + "\n"
    click.echo(batch.utf8(text), nl=False)


def _evaluate_batch(module, stream, input_path: str, jobs: int, root: str) -> None:
    """Evaluate JSON Lines: one answer per line, in order; exit 2 if a line was refused, 70 if one hit a bug."""
    size = os.path.getsize(input_path) if input_path != "-" and os.path.isfile(input_path) else None
    from compiler.batch import WorkerDied

    try:
        tally = _evaluate_lines(module, stream, jobs, root, progress_total=size if size and sys.stderr.isatty() else None)
    except WorkerDied as err:
        click.echo(f"policyc: {err}", err=True)
        sys.exit(EXIT_INTERNAL)
    invalid = tally.bad - tally.internal
    if invalid:
        click.echo(f"{invalid} line{'s' * (invalid != 1)} had invalid input", err=True)
    if tally.internal:
        click.echo(f"{tally.internal} line{'s' * (tally.internal != 1)} hit an internal error: "
                   "a bug in policyc; set POLICYC_DEBUG=1 to see the traceback", err=True)
        sys.exit(EXIT_INTERNAL)
    if invalid:
        sys.exit(EXIT_BAD_INPUT)


def _evaluate_lines(module, lines, jobs: int, root: str, progress_total: int | None = None):
    """Stream JSON Lines through the evaluator (compiler/batch.py); return the Tally of bad lines.

    A progress bar goes to stderr when progress_total (the input's size in bytes) is given.
    """
    from compiler.batch import evaluate_stream

    def reporter(say):
        def report(n: int, errors: list[dict]) -> None:
            for e in errors:
                say(f"line {n}: {e['path'] or '/'}: {e['message']}")
        return report

    if progress_total is None:
        return evaluate_stream(module, lines, sys.stdout, jobs, root, on_bad=reporter(lambda text: click.echo(text, err=True)))

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                        TextColumn("{task.fields[lines]:,} lines"), TimeElapsedColumn(), TimeRemainingColumn(),
                        console=Console(stderr=True), auto_refresh=False, transient=False)
    task = progress.add_task(f"evaluating {module.POLICY_ID}", total=progress_total, lines=0)
    done = 0

    def advance(count: int, size: int) -> None:
        nonlocal done
        done += count
        progress.update(task, advance=size, lines=done, refresh=True)

    report = reporter(lambda text: progress.console.print(text, markup=False, highlight=False))
    with progress:
        return evaluate_stream(module, lines, sys.stdout, jobs, root, on_bad=report, on_progress=advance)


def _report_invalid(errors: list[dict[str, str]]) -> None:
    click.echo("invalid input:", err=True)
    for e in errors:
        click.echo(f"  {e['path'] or '/'}: {e['message']}", err=True)


@main.command("test")
@click.argument("policy_ids", nargs=-1)
@click.option("--coverage", is_flag=True,
              help="Also show which rules, table cells, checks and boundaries the examples exercise; "
                   "fail if a rule or cell is never reached or a check never fails.")
@_root_option
def test_cmd(policy_ids: tuple[str, ...], root: Path | None, coverage: bool) -> None:
    """Run the worked examples of every policy (or of POLICY_IDS) against generated/."""
    from compiler import pipeline
    from compiler.examples import run_examples

    root = project.find_root(root)
    result = _load_for(root, policy_ids)
    if result.errors:
        _print_diagnostics(result.diagnostics, result.sources)
        sys.exit(EXIT_POLICY_ERROR)
    known = {item.policy.id: item for item in result.policies}
    unknown = [p for p in policy_ids if p not in known]
    if unknown:
        raise click.UsageError("unknown policy " + ", ".join(f"`{p}`" for p in unknown)
                               + "; known: " + ", ".join(sorted(known)))
    files = pipeline.build(result.policies, result.articles, result.settings)
    if policy_ids:
        # Only the chosen policies were built: hold generated/ to their files, not to the others'.
        mine = {rel for item in result.policies for rel in pipeline.policy_files(item.policy)}
        current = pipeline.existing_tree(root / project.GENERATED)
        stale = sorted(rel for rel in mine if current.get(rel) != files[rel].encode("utf-8"))
    else:
        stale = pipeline.stale_files(files, root / project.GENERATED)
    if stale:
        click.echo("generated/ is out of date with policies/; run `policyc compile` first", err=True)
        sys.exit(EXIT_POLICY_ERROR)
    chosen = [known[p] for p in policy_ids] if policy_ids else sorted(result.policies, key=lambda i: i.policy.id)
    total = failed = 0
    for item in chosen:
        module = project.import_evaluator(item.policy.id, root)
        results = run_examples(module, item.examples, item.example_lines)
        bad = [r for r in results if not r.passed]
        total += len(results)
        failed += len(bad)
        status = "ok" if not bad else "FAILED"
        click.echo(f"{item.policy.id}: {len(results) - len(bad)}/{len(results)} examples pass  {status}")
        ex_path = pipeline.shown_path(pipeline.examples_path(item.path), root)
        for r in bad:
            click.echo(f"  {ex_path}:{r.line}: {r.name}", err=True)
            for problem in r.problems:
                click.echo(f"    - {problem}", err=True)
    gaps = _print_coverage(chosen, root) if coverage else 0
    click.echo(f"{total - failed} passed, {failed} failed")
    if failed or gaps:
        sys.exit(EXIT_POLICY_ERROR)


def _load_for(root: Path, policy_ids: tuple[str, ...]):
    """Load only the files that can hold policy_ids (all policies when none are named).

    When a named policy is not among them, everything is loaded, so that the refusal can list
    the known ids (and report whatever keeps a policy from loading).
    """
    from compiler import pipeline

    if policy_ids:
        result = pipeline.load(root, pipeline.policy_paths(root, policy_ids))
        loaded = {item.policy.id for item in result.policies}
        if result.errors or all(p in loaded for p in policy_ids):
            return result
    return pipeline.load(root)


def _print_coverage(chosen, root: Path) -> int:
    """Print what the examples exercise per policy; return the number of gaps that fail the run."""
    from compiler.boundaries import exercise, show

    gaps = 0
    click.echo("")
    click.echo(f"{'policy':<42} {'rules':>9} {'checks':>9} {'boundaries':>11}")
    reports = []
    for item in chosen:
        module = project.import_evaluator(item.policy.id, root)
        ex = exercise(item.analysis, module, item.examples)
        reports.append(ex)
        rules_hit = sum(1 for n in ex.rules.values() if n)
        checks_hit = sum(1 for _, bad in ex.checks.values() if bad)
        both = sum(1 for _, lo, hi in ex.boundaries if lo and hi)
        click.echo(f"{ex.policy:<42} {rules_hit:>4}/{len(ex.rules):<4} {checks_hit:>4}/{len(ex.checks):<4} {both:>5}/{len(ex.boundaries):<5}")
    for ex in reports:
        missing_rules, missing_checks = ex.unexercised_rules, ex.untested_checks
        half = [(b, lo, hi) for b, lo, hi in ex.boundaries if not (lo and hi)]
        if not (missing_rules or missing_checks or half):
            continue
        click.echo(f"\n{ex.policy}:")
        for r in missing_rules:
            click.echo(f"  rule never reached by an example: {r}")
        for c in missing_checks:
            click.echo(f"  check never failed by an example: {c}")
        for b, lo, hi in half:
            sides = " and ".join(s for s, seen in (("below", lo), ("above", hi)) if not seen)
            click.echo(f"  boundary {b.key} = {show(b.at)} ({b.owner}): no example just {sides} it")
        gaps += len(missing_rules) + len(missing_checks)
    return gaps


@main.command("bench", context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench_cmd(args: tuple[str, ...]) -> None:
    """Run the benchmark (bench/, from the repository); the same as `python -m bench ARGS`."""
    root = project.find_root(None)
    if not (root / "bench" / "__main__.py").is_file():
        raise click.UsageError("the benchmark lives in the repository's bench/; run this from a policyc checkout")
    sys.path.insert(0, str(root))
    from bench.__main__ import main as bench_main  # the repository's own, not installed

    sys.exit(bench_main(list(args)))


@main.command("boundaries")
@click.argument("policy_id")
@_root_option
def boundaries_cmd(policy_id: str, root: Path | None) -> None:
    """List every window boundary of POLICY_ID with the values on both sides and where each falls."""
    from compiler import pipeline
    from compiler.boundaries import find_boundaries, show

    root = project.find_root(root)
    result = _load_for(root, (policy_id,))
    known = {item.policy.id: item for item in result.policies}
    if policy_id not in known:
        if result.errors:
            _print_diagnostics(result.errors, result.sources)
            sys.exit(EXIT_POLICY_ERROR)
        raise click.UsageError(f"unknown policy `{policy_id}`; known: " + ", ".join(sorted(known)))
    item = known[policy_id]
    rows = find_boundaries(item.analysis)
    if not rows:
        click.echo(f"{policy_id}: no window boundaries")
        return
    click.echo(f"{policy_id}: {len(rows)} boundaries")
    for b in rows:
        below = f"{b.key} = {show(b.below)} → {b.below_rule or '(not this rule)'}"
        above = f"{b.key} = {show(b.above)} → {b.above_rule or '(not this rule)'}"
        click.echo(f"  {item.policy.path}:{b.line} {b.owner} at {show(b.at)}")
        click.echo(f"      {below}")
        click.echo(f"      {above}")


if __name__ == "__main__":  # pragma: no cover
    main()
