"""The registry of diagnostic codes: every code policyc emits, its severity, a short title and
the stage that emits it. `docs/DIAGNOSTICS.md` is generated from this table
(`python -m compiler.codes > docs/DIAGNOSTICS.md`); tests/test_codes.py keeps the table, the
emitting modules and the page equal, and `Diagnostic` refuses a code that is not here.

Codes are grouped by hundreds: E0xx files and syntax, E1xx-E2xx the checker (declarations,
deciders, tables, sentences, expressions), E3xx examples, E4xx articles, coverage and service
names, E5xx project settings. A `W` code is a warning: it is reported, and compiling goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Code", "Stage", "STAGES", "CODES", "markdown"]


@dataclass(frozen=True, slots=True)
class Stage:
    """A part of policyc that emits diagnostics, and the modules it lives in."""

    name: str
    description: str
    modules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Code:
    """One diagnostic code: `E` codes are errors, `W` codes warnings."""

    code: str
    stage: str
    title: str

    @property
    def severity(self) -> str:
        return "warning" if self.code.startswith("W") else "error"


STAGES: dict[str, Stage] = {s.name: s for s in (
    Stage("files", "reading a file of the project: policies, examples, pyproject.toml",
          ("compiler/pipeline.py", "compiler/settings.py", "dsl/parser.py")),
    Stage("parser", "reading a policy's text into its syntax tree", ("dsl/parser.py",)),
    Stage("limits", "how deeply a policy's expressions may nest", ("dsl/parser.py", "compiler/check.py")),
    Stage("checker", "names, types, deciders, tables and sentences of one policy", ("compiler/check.py",)),
    Stage("project", "the policies of a project taken together", ("compiler/pipeline.py",)),
    Stage("examples", "a policy's worked examples (`<name>.examples.yaml`) and running them",
          ("compiler/pipeline.py", "compiler/examples.py")),
    Stage("coverage", "source articles and their coverage files (`policies/coverage/`)", ("compiler/coverage.py",)),
    Stage("services", "the Korean service names (`policies/services.yaml`)", ("compiler/services.py",)),
    Stage("settings", "the `[tool.policyc]` table of pyproject.toml", ("compiler/settings.py",)),
)}

_TABLE: tuple[tuple[str, str, str], ...] = (
    # files
    ("E000", "files", "a file cannot be read"),
    ("E001", "files", "a file is not UTF-8 text"),
    ("E013", "files", "a policy's path holds a name that is not plain"),
    # parser
    ("E002", "parser", "unexpected end of file"),
    ("E003", "parser", "unexpected character"),
    ("E004", "parser", "unexpected token"),
    ("E006", "parser", "a value that cannot be negative is negated"),
    ("E007", "parser", "a date, datetime or duration literal out of range"),
    ("E008", "parser", "a bad escape in text"),
    ("E009", "parser", "a header line is given twice"),
    ("E010", "limits", "an expression is nested too deeply"),
    ("E011", "parser", "a text is not closed"),
    ("E012", "parser", "an invisible character in the source"),
    # checker: header and declarations
    ("E101", "checker", "a malformed policy id"),
    ("E102", "checker", "the policy id does not match its file's path"),
    ("E103", "checker", "the policy cites no source article"),
    ("E104", "checker", "unknown time zone"),
    ("E105", "checker", "a reserved policy id"),
    ("E110", "checker", "a type is declared twice"),
    ("E111", "checker", "an enum lists a value twice"),
    ("E112", "checker", "a record has a field twice"),
    ("E113", "checker", "a field of a type it cannot hold"),
    ("E114", "checker", "a name reserved by the decision's schema"),
    ("E120", "checker", "unknown type"),
    ("E121", "checker", "a record used other than as `list of`"),
    ("E122", "checker", "`max` on a type it does not apply to"),
    ("E123", "checker", "a list without a size bound"),
    ("E124", "checker", "`min` on a type it does not apply to"),
    ("E125", "checker", "`min` above `max`"),
    ("E130", "checker", "a name is declared twice"),
    ("W131", "checker", "a name is both a type and a value"),
    ("E132", "checker", "a name reserved for the checks' results"),
    ("E140", "checker", "an input's default is not a plain value"),
    ("E141", "checker", "an optional input has a default"),
    ("E142", "checker", "an input's default has the wrong type"),
    ("E150", "checker", "a definition depends on itself"),
    ("E151", "checker", "an output's formula has the wrong type"),
    # checker: rules, checks and deciders
    ("E160", "checker", "a decider after one that decides every case"),
    ("E161", "checker", "a rule id is used twice"),
    ("E162", "checker", "some inputs reach no rule"),
    ("E163", "checker", "the policy has no rule, or outputs are never set"),
    ("E164", "checker", "a malformed rule id"),
    ("E165", "checker", "a malformed check id"),
    ("E166", "checker", "a check id is used twice"),
    ("E167", "checker", "a check's condition is not true or false"),
    ("E168", "checker", "a rule masked by an earlier rule"),
    ("W169", "checker", "masking not checked past a budget"),
    ("E170", "checker", "a rule sets something that is not an output"),
    ("E171", "checker", "a rule or table sets an output computed by its formula"),
    ("E172", "checker", "an output is set twice"),
    ("E173", "checker", "a value of the wrong type for its output"),
    ("E174", "checker", "a decider leaves an output unset"),
    ("E175", "checker", "a rule's condition is not true or false"),
    # checker: tables
    ("E180", "checker", "a window table's key has no order"),
    ("E181", "checker", "a table's key may be missing"),
    ("E182", "checker", "a table has two rows of one name"),
    ("E183", "checker", "an infinite end on the wrong side"),
    ("E184", "checker", "an infinite end that is closed"),
    ("E185", "checker", "an interval end of the wrong type"),
    ("E186", "checker", "an empty interval"),
    ("E187", "checker", "a gap between a table's intervals"),
    ("E188", "checker", "overlapping intervals"),
    ("E189", "checker", "a row needs an interval"),
    ("E190", "checker", "a grid sets something that is not an output"),
    ("E191", "checker", "a grid row with the wrong number of cells"),
    ("E192", "checker", "a grid row or column appears twice"),
    ("E193", "checker", "an interval on an enum key"),
    ("E194", "checker", "not a value of the key's enum"),
    ("E195", "checker", "an enum value without its row"),
    ("E196", "checker", "a grid row or column needs an interval"),
    ("E197", "checker", "a table key that is neither an enum nor ordered"),
    # checker: sentences
    ("E200", "checker", "unknown name in a sentence"),
    ("E201", "checker", "unbalanced braces in a sentence"),
    ("E202", "checker", "a check's message shows a value not known yet"),
    ("E203", "checker", "a sentence names a value its rule does not use"),
    # checker: expressions
    ("E210", "checker", "an amount that is not whole won"),
    ("E211", "checker", "field access outside `where`"),
    ("E212", "checker", "`of` without a percentage on its left"),
    ("E213", "checker", "`of` on something that is not money"),
    ("E214", "checker", "a percentage above the whole"),
    ("E215", "checker", "a cap or floor of another type"),
    ("E216", "checker", "a cap or floor below zero"),
    ("E217", "checker", "`at most`/`at least` on a value without a size"),
    ("E218", "checker", "a floor above the cap"),
    ("E219", "checker", "`is given`/`is missing` on something that is not an input"),
    ("W220", "checker", "`is given`/`is missing` on an input that is never missing"),
    ("E221", "checker", "`in [a, b)` on a value without an order"),
    ("E222", "checker", "`in day/month of` on something that is not a date"),
    ("E223", "checker", "a membership test of the wrong type"),
    ("E224", "checker", "`last day of month of` on something that is not a date"),
    ("E225", "checker", "a record has no such field"),
    ("E226", "checker", "unknown function"),
    ("E227", "checker", "a function needs at least two values"),
    ("E228", "checker", "a function mixes types"),
    ("E229", "checker", "a function needs values with an order"),
    ("E230", "checker", "a value of the wrong kind"),
    ("E231", "checker", "a value that may be missing"),
    ("E232", "checker", "`sum` of values that do not add"),
    ("E233", "checker", "a function with the wrong number of values"),
    ("E234", "checker", "a function given a value of the wrong type"),
    ("E235", "checker", "a step of `aligned` that is not above zero"),
    ("E240", "checker", "`and`/`or`/`not` on something that is not a condition"),
    ("E241", "checker", "values that cannot be compared"),
    ("E242", "checker", "an order comparison of values without an order"),
    ("E243", "checker", "arithmetic on types it does not apply to"),
    ("E246", "checker", "a divisor that is zero or below"),
    ("E247", "checker", "a divisor that may be zero or below"),
    ("E250", "checker", "a decided output used in a condition or check"),
    ("E251", "checker", "a value that depends on the decision used to make it"),
    ("E252", "checker", "unknown name"),
    ("E253", "checker", "not a list of records"),
    ("E254", "checker", "`where` without a condition"),
    ("E255", "checker", "a check uses a value that depends on the checks"),
    ("E256", "checker", "not a value of the enum"),
    ("W257", "checker", "a record field hides a name outside"),
    # project and examples
    ("E300", "project", "a policy id is used by two files"),
    ("W301", "examples", "a policy has no worked examples"),
    ("E302", "examples", "an examples file is not valid YAML"),
    ("E303", "examples", "an examples file is not a list"),
    ("E304", "examples", "an example lacks `name` or `input`"),
    ("E305", "examples", "an example name is used twice"),
    ("E306", "examples", "`expected` is not a mapping"),
    ("E307", "examples", "`expected` names something that is not an output"),
    ("E308", "examples", "an example names a rule that does not exist"),
    ("E309", "examples", "unknown key in an example"),
    ("E310", "examples", "an input or field the policy does not have"),
    ("E311", "examples", "a bad `invalid` list"),
    ("E312", "examples", "an example with no result, or both a result and a refusal"),
    ("E313", "examples", "a key given twice in one mapping"),
    ("E314", "examples", "`rule` or `note` is not a text"),
    ("E315", "examples", "a raw bidirectional control in an examples file"),
    ("E320", "examples", "an example fails on the evaluator"),
    # coverage and services
    ("E400", "coverage", "a coverage file cannot be read"),
    ("E401", "coverage", "a coverage file is not valid YAML"),
    ("E402", "coverage", "a coverage file of the wrong shape"),
    ("E403", "coverage", "an unknown or repeated key in a coverage file"),
    ("E404", "coverage", "a section without its title"),
    ("E405", "coverage", "a section is listed twice"),
    ("E406", "coverage", "a section needs `implemented_by` or `not_a_rule`"),
    ("E407", "coverage", "`not_a_rule` without a reason"),
    ("E408", "coverage", "a bad `implemented_by` entry"),
    ("E409", "coverage", "a section names a policy that does not exist"),
    ("E410", "coverage", "a section names a rule the policy does not have"),
    ("E411", "coverage", "a cited article is not in the project"),
    ("E412", "coverage", "a cited section is not in the article's coverage"),
    ("W413", "coverage", "an article has no coverage file"),
    ("E414", "coverage", "a coverage file is not named after its article"),
    ("E415", "coverage", "an article is covered by two files"),
    ("E420", "services", "the services file cannot be read"),
    ("E421", "services", "the services file has the wrong shape"),
    ("E422", "services", "a domain without its service name"),
    # settings
    ("E500", "settings", "pyproject.toml is not valid TOML"),
    ("E501", "settings", "`tool.policyc` is not a table"),
    ("E502", "settings", "unknown setting"),
    ("E503", "settings", "`schema_base_uri` is not an absolute URI"),
)

CODES: dict[str, Code] = {code: Code(code, stage, title) for code, stage, title in sorted(_TABLE)}


def markdown() -> str:
    """docs/DIAGNOSTICS.md: every code with its severity, stage and title, in code order."""
    out = [
        "# Diagnostic codes",
        "",
        "<!-- Generated from compiler/codes.py by `python -m compiler.codes > docs/DIAGNOSTICS.md`;",
        "     tests/test_codes.py fails when this page and the table differ. -->",
        "",
        "Every diagnostic policyc reports carries one of these codes (`policyc check --format json`",
        "gives it as `code`). `E` codes are errors: the command exits 1. `W` codes are warnings:",
        "they are reported and compiling goes on.",
        "",
        "| stage | what it covers |",
        "|---|---|",
        *(f"| {s.name} | {s.description} |" for s in STAGES.values()),
        "",
        "| code | severity | stage | what it means |",
        "|---|---|---|---|",
        *(f"| {c.code} | {c.severity} | {c.stage} | {c.title.replace('|', chr(92) + '|')} |" for c in CODES.values()),
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(), end="")
