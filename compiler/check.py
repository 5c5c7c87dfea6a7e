"""Checks a parsed policy: names, types and units, table coverage, unset outputs, dead rules.

`analyze(policy)` returns an Analysis (inferred types, evaluation order, rule ids) together
with every diagnostic found; `check(policy)` returns just the diagnostics. Pure, no I/O.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from compiler.diagnostics import Diagnostic, Related, suggest
from compiler.types import (
    BOOL, DATE, DATETIME, DURATION, ERROR, INT, MONEY, NUMBER, ORDERED, PERCENT, TEXT, Type,
)
from dsl import ast as A

BUILTIN_TYPES = {
    "money": MONEY, "percent": PERCENT, "int": INT, "number": NUMBER, "duration": DURATION,
    "datetime": DATETIME, "date": DATE, "bool": BOOL, "text": TEXT,
}
RESERVED_TYPE_NAMES = ("decision", "input", "list")
FUNCTIONS = ("min", "max", "length", "year", "aligned", "add_business_days", "clock", "weekday",
             "is_business_day", "years_between")
# Results of the checks, usable by outputs and rules once a policy has `check`s.
CHECK_RESULTS = {
    "failed_checks": Type("list", None, TEXT),
    "failed_check_ids": Type("list", None, TEXT),
    "refused": BOOL,
    "needs_review": BOOL,
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
# Folders of generated/ that are not policy domains (docs/LANGUAGE.md "Policy ids").
RESERVED_DOMAINS = ("docs", "schemas")


def reserved_id_part(part: str, is_domain: bool) -> str | None:
    """Why one part of a policy id cannot be used, or None when it can.

    Each part names a module of generated/ (`generated/<domain>/<name>.py`): a leading `_` is
    private to policyc (`_runtime`, `__init__`), a keyword cannot be imported by name, and a
    domain must not be one of generated/'s own folders.
    """
    if part.startswith("_"):
        return "a name starting with `_` is private to policyc (`generated/_runtime.py`, `__init__`)"
    if keyword.iskeyword(part):  # soft keywords (`match`, `case`) import fine
        return f"`{part}` is a Python keyword, and the evaluator is imported as `generated.<domain>.<name>`"
    if is_domain and part in RESERVED_DOMAINS:
        return f"`generated/{part}/` holds the {'counselor pages' if part == 'docs' else 'JSON Schemas'}"
    return None


@dataclass(frozen=True, slots=True)
class Symbol:
    """A name in a policy's scope."""

    name: str
    kind: str  # "input" | "let" | "output"
    type: Type
    decl: object


@dataclass
class Analysis:
    """What the emitters need beyond the AST: types, scopes and evaluation order."""

    policy: A.Policy
    enums: dict[str, A.EnumDecl]
    records: dict[str, A.RecordDecl]
    symbols: dict[str, Symbol]
    types: dict[int, Type] = field(default_factory=dict)  # id(expr) -> type
    enum_values: dict[int, str] = field(default_factory=dict)  # id(Name) -> enum name it is a value of
    field_refs: dict[int, str] = field(default_factory=dict)  # id(Name) -> record name whose field it names
    before: list[str] = field(default_factory=list)  # lets / computed outputs evaluated before the checks
    after_checks: list[str] = field(default_factory=list)  # those that need check results, before deciding
    after: list[str] = field(default_factory=list)  # computed outputs that need decided outputs
    decided: list[str] = field(default_factory=list)  # outputs set by rules, in declaration order
    rule_ids: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def type_of(self, expr) -> Type:
        return self.types.get(id(expr), ERROR)


def check(policy: A.Policy) -> list[Diagnostic]:
    """Return every diagnostic for a parsed policy, sorted by position."""
    return analyze(policy).diagnostics


def analyze(policy: A.Policy) -> Analysis:
    """Resolve names, infer types and check the policy; diagnostics are in the result."""
    checker = _Checker(policy)
    try:
        checker.run()
    except RecursionError:
        checker.diags.append(Diagnostic("E010", "an expression is nested too deeply to check", policy.title.span,
                                        help="split it into `let`s"))
    an = checker.an
    an.diagnostics = sorted(checker.diags, key=Diagnostic.sort_key)
    return an


# ---------------------------------------------------------------- interval arithmetic

# The comparable values of the interval ends `-∞` and `∞` (see `bound_value`); shared with
# the stages that walk intervals (boundaries, emit_python).
NEG_INF = object()
POS_INF = object()


def bound_value(b):
    """The comparable value of an interval end (a literal or infinity)."""
    if isinstance(b, A.Infinity):
        return NEG_INF if b.negative else POS_INF
    return b.value


def _lt(a, b) -> bool:
    if a is b:
        return False
    if a is NEG_INF or b is POS_INF:
        return True
    if a is POS_INF or b is NEG_INF:
        return False
    return a < b


def show_value(v) -> str:
    """Format an interval end in the DSL's own notation for diagnostics."""
    if v is NEG_INF:
        return "-∞"
    if v is POS_INF:
        return "∞"
    if isinstance(v, timedelta):
        return show_duration(v)
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral() else str(v)
    return str(v)


def show_duration(d: timedelta) -> str:
    secs = int(d.total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    if secs == 0:
        return "0min"
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    out = ""
    if h:
        out += f"{h}h"
    if m:
        out += f"{m}min"
    if s:
        out += f"{s}s"
    return sign + out


def show_interval(lo, lo_closed, hi, hi_closed) -> str:
    left = "[" if lo_closed and lo is not NEG_INF else "("
    right = "]" if hi_closed and hi is not POS_INF else ")"
    return f"{left}{show_value(lo)}, {show_value(hi)}{right}"


@dataclass(frozen=True)
class Piece:
    """One interval of a table or a rule's condition: its ends (values or NEG_INF/POS_INF),
    whether each end is closed, the row or rule that owns it and where it is written."""

    lo: object
    lo_closed: bool
    hi: object
    hi_closed: bool
    owner: str
    span: A.Span


def coverage_problems(pieces: list[Piece]) -> list[tuple[str, object]]:
    """Find gaps and overlaps in intervals meant to cover the whole line exactly once.

    Returns (kind, detail) pairs: ("gap", (lo, lo_closed, hi, hi_closed)) or
    ("overlap", (piece_a, piece_b, lo, lo_closed, hi, hi_closed)).
    """
    problems: list[tuple[str, object]] = []

    ordered = sorted(pieces, key=SortKey.of)
    reach, reach_closed, reach_piece = NEG_INF, False, None
    for p in ordered:
        if reach_piece is None:
            if p.lo is not NEG_INF:
                problems.append(("gap", (NEG_INF, False, p.lo, not p.lo_closed)))
        else:
            # Does p start before the covered region ends?
            if _lt(p.lo, reach) or (p.lo == reach and p.lo_closed and reach_closed and p.lo is not NEG_INF):
                hi, hi_closed = (p.hi, p.hi_closed) if _lt(p.hi, reach) or (p.hi == reach and not (p.hi_closed and not reach_closed)) else (reach, reach_closed)
                problems.append(("overlap", (reach_piece, p, p.lo, p.lo_closed, hi, hi_closed)))
            elif _lt(reach, p.lo) or (p.lo == reach and not p.lo_closed and not reach_closed):
                problems.append(("gap", (reach, not reach_closed, p.lo, not p.lo_closed)))
        if reach_piece is None or _lt(reach, p.hi) or (p.hi == reach and p.hi_closed and not reach_closed):
            reach, reach_closed, reach_piece = p.hi, p.hi_closed, p
    if reach_piece is None:
        return problems
    if reach is not POS_INF:
        problems.append(("gap", (reach, not reach_closed, POS_INF, False)))
    return problems


class SortKey:
    """Orders interval pieces by where they start (closed before open at the same point)."""

    __slots__ = ("p",)

    def __init__(self, p: Piece):
        self.p = p

    @classmethod
    def of(cls, p: Piece) -> "SortKey":
        return cls(p)

    def __lt__(self, other: "SortKey") -> bool:
        a, b = self.p, other.p
        if a.lo == b.lo or (a.lo is b.lo):
            return a.lo_closed and not b.lo_closed
        return _lt(a.lo, b.lo)


# ---------------------------------------------------------------- the checker


class _Checker:
    def __init__(self, policy: A.Policy):
        self.p = policy
        self.diags: list[Diagnostic] = []
        self.an = Analysis(policy, {}, {}, {})
        self.scope_records: list[tuple[str, A.RecordDecl]] = []  # innermost last: (list name, record)
        self.given: frozenset[str] = frozenset()
        self.current_def: str | None = None
        self.in_check = False
        self.allow_fraction = False
        self.check_ids: dict[str, A.Span] = {}
        # Expressions whose checking reported an error (their own or a part's). Their values
        # may mix units, so nothing compares them any further: no regions, no interval ends.
        self.faulty: set[int] = set()
        self.errors = 0

    # -- reporting
    def err(self, code: str, message: str, span: A.Span, help: str | None = None,
            notes: tuple[str, ...] = (), expected: tuple[str, ...] = (), first: A.Span | None = None,
            related: tuple[Related, ...] = ()) -> None:
        """Report an error; `first` is where a duplicate was first declared, `related` other places
        that explain it (each shown with its own source line)."""
        self.errors += 1
        if first is not None:
            related = (Related(first, "first declared here"), *related)
        self.diags.append(Diagnostic(code, message, span, help=help, notes=notes, expected=expected, related=related))

    def warn(self, code: str, message: str, span: A.Span, help: str | None = None) -> None:
        self.diags.append(Diagnostic(code, message, span, severity="warning", help=help))

    # -- driver
    def run(self) -> None:
        p = self.p
        self.check_header()
        self.declare_types()
        self.declare_symbols()
        for inp in p.inputs:
            if inp.default is not None:
                self.check_default(inp)
        self.order_definitions()
        self.check_checks()
        self.check_deciders()
        self.check_placeholders()
        self.check_sentence_numbers()

    def check_header(self) -> None:
        p = self.p
        domain, _, name = p.id.partition(".")
        for part in (domain, name):
            if not NAME_RE.match(part):
                self.err("E101", f"policy id `{p.id}` must be `<domain>.<name>` in lowercase letters, digits and `_`", p.id_span or p.span)
        for part, is_domain in ((domain, True), (name, False)):
            why = reserved_id_part(part, is_domain) if NAME_RE.match(part) else None
            if why is not None:
                self.err("E105", f"policy id `{p.id}` is reserved: its {'domain' if is_domain else 'name'} `{part}` cannot be used",
                         p.id_span or p.span, notes=(why,), help="rename the policy (and its file and folder)")
        expected_path_end = f"{domain}/{name}.policy"
        if not p.path.replace("\\", "/").endswith(expected_path_end) and not p.path.startswith("<"):
            self.err("E102", f"policy `{p.id}` must live in a file ending `{expected_path_end}`", p.id_span or p.title.span,
                     help=f"rename the file or change the id to match `{p.path}`")
        if not p.sources:
            self.err("E103", "the policy cites no source article", p.title.span,
                     help='add `source "<article file>" section "<section title>"` under the policy line')
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(p.zone)
        except Exception:
            self.err("E104", f"unknown time zone `{p.zone}`", p.zone_span or p.title.span, help="use an IANA zone like `Asia/Seoul`")

    def declare_types(self) -> None:
        seen: dict[str, A.Span] = {}
        for decl in (*self.p.enums, *self.p.records):
            if decl.name in BUILTIN_TYPES or decl.name in seen:
                self.err("E110", f"type `{decl.name}` is declared twice" if decl.name in seen
                         else f"`{decl.name}` is a built-in type and cannot be redeclared", _name_of(decl), first=seen.get(decl.name))
                continue
            if decl.name in RESERVED_TYPE_NAMES:
                self.err("E114", f"`{decl.name}` is reserved: the schema of the decision uses it", _name_of(decl),
                         help=f"rename the type, e.g. `{decl.name}_kind`")
                continue
            seen[decl.name] = _name_of(decl)
            if isinstance(decl, A.EnumDecl):
                self.an.enums[decl.name] = decl
                names: dict[str, A.Span] = {}
                for v in decl.values:
                    if v.name in names:
                        self.err("E111", f"enum `{decl.name}` lists `{v.name}` twice", _name_of(v), first=names[v.name])
                    names.setdefault(v.name, _name_of(v))
            else:
                self.an.records[decl.name] = decl
        for rec in self.p.records:
            fnames: dict[str, A.Span] = {}
            for f in rec.fields:
                if f.name in fnames:
                    self.err("E112", f"record `{rec.name}` has field `{f.name}` twice", _name_of(f), first=fnames[f.name])
                fnames.setdefault(f.name, _name_of(f))
                t = self.resolve_type(f.type)
                if t.kind in ("list", "record"):
                    self.err("E113", f"field `{f.name}` cannot hold a {t.kind}", f.type.span,
                             help="record fields are single values: money, datetime, text, an enum, …")

    def resolve_type(self, ref: A.TypeRef, need_bound: bool = True) -> Type:
        name = ref.name
        if name in BUILTIN_TYPES:
            base = BUILTIN_TYPES[name]
        elif name in self.an.enums:
            base = Type("enum", name)
        elif name in self.an.records:
            base = Type("record", name)
        else:
            known = [*BUILTIN_TYPES, *self.an.enums, *self.an.records]
            guess = suggest(name, known)
            self.err("E120", f"unknown type `{name}`", ref.span,
                     help=f"did you mean `{guess}`?" if guess else "declare it with `enum` or `record`, or use a built-in type",
                     expected=tuple(f"`{k}`" for k in BUILTIN_TYPES))
            return ERROR
        if base.kind == "record" and not ref.is_list:
            self.err("E121", f"a record can only be used as `list of {name}`", ref.span)
        if ref.max_length is not None and base.kind != "text":
            self.err("E122", f"`max` applies to text, lists and numbers, not to {name}", ref.span)
        if ref.min_value is not None and (ref.is_list or base.kind not in ("int", "money", "number", "percent")):
            self.err("E124", f"`min` applies to numbers and amounts, not to {'a list' if ref.is_list else name}", ref.span)
        if ref.min_value is not None and ref.max_value is not None and ref.min_value > ref.max_value:
            self.err("E125", f"`min {ref.min_value}` is above `max {ref.max_value}`", ref.span)
        if ref.is_list:
            if ref.max_items is None and need_bound:
                self.err("E123", f"list `{name}` needs a size bound", ref.span,
                         help=f"write `list of {name} max 1000` (inputs past the bound are refused)")
            t = Type("list", None, base)
            return t  # an optional list is an empty list when absent
        if ref.optional:
            return base.as_optional()
        return base

    def declare_symbols(self) -> None:
        table = self.an.symbols
        for kind, decls in (("input", self.p.inputs), ("let", self.p.lets), ("output", self.p.outputs)):
            for d in decls:
                if d.name in table:
                    other = table[d.name]
                    self.err("E130", f"`{d.name}` is already declared as {'an' if other.kind in ('input', 'output') else 'a'} {other.kind}",
                             _name_of(d), help="give each input, let and output its own name", first=_name_of(other.decl))
                    continue
                if d.name in self.an.enums or d.name in self.an.records:
                    self.warn("W131", f"`{d.name}` is both a type and a value name", _name_of(d))
                if kind == "let":
                    t = ERROR  # inferred later
                else:
                    t = self.resolve_type(d.type, need_bound=(kind == "input"))
                table[d.name] = Symbol(d.name, kind, t, d)
        for name, t in CHECK_RESULTS.items():
            if name in table:
                decl = table[name].decl
                self.err("E132", f"`{name}` is a reserved name: it holds the results of the checks", _name_of(decl),
                         help="choose another name")
            elif self.p.checks:
                table[name] = Symbol(name, "check", t, None)
        for o in self.p.outputs:
            if o.formula is None:
                self.an.decided.append(o.name)

    def check_default(self, inp: A.InputDecl) -> None:
        sym = self.an.symbols.get(inp.name)
        if sym is None or sym.decl is not inp:
            return
        if not isinstance(inp.default, (A.Money, A.Percent, A.Duration, A.Number, A.DateLit, A.DateTimeLit, A.Bool, A.Text, A.Name)):
            self.err("E140", "an input's default must be a plain value", _span(inp.default),
                     help="write a literal like `false`, `0원` or an enum value")
            return
        if inp.type.optional:
            self.err("E141", f"input `{inp.name}` is optional and has a default", inp.type.span,
                     help="drop `optional`: an input with a default is never missing")
        t = self.expr(inp.default, expected=sym.type.required())
        if t is not ERROR and not _assignable(sym.type, t):
            self.err("E142", f"default of `{inp.name}` is {t.show()}, but the input is {sym.type.show()}", _span(inp.default))

    # -- lets and computed outputs: dependency order
    def order_definitions(self) -> None:
        defs: dict[str, A.Expr] = {}
        for let in self.p.lets:
            defs[let.name] = let.formula
        for o in self.p.outputs:
            if o.formula is not None:
                defs[o.name] = o.formula
        deps = {n: names_in(e) & (set(defs) | set(self.an.decided)) for n, e in defs.items()}
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(n: str, path: list[str]) -> None:
            if state.get(n) == 2:
                return
            if state.get(n) == 1:
                cycle = path[path.index(n):] + [n]
                decl = self.an.symbols[n].decl
                self.err("E150", f"`{n}` is defined in terms of itself: " + " → ".join(f"`{c}`" for c in cycle), _name_of(decl))
                return
            state[n] = 1
            for d in sorted(deps[n], key=self._decl_index):
                if d in defs:
                    visit(d, path + [n])
            state[n] = 2
            order.append(n)

        for n in sorted(defs, key=self._decl_index):
            visit(n, [])
        needs_decision: set[str] = set()
        needs_checks: set[str] = set()
        check_names = set(CHECK_RESULTS) if self.p.checks else set()
        for n in order:
            names = names_in(defs[n])
            if deps[n] & set(self.an.decided) or deps[n] & needs_decision:
                needs_decision.add(n)
            if names & check_names or deps[n] & needs_checks:
                needs_checks.add(n)
        for n in order:
            sym = self.an.symbols[n]
            self.current_def = n
            self.given = frozenset()
            t = self.expr(defs[n], expected=sym.type if sym.kind == "output" else None)
            self.current_def = None
            if sym.kind == "let":
                self.an.symbols[n] = Symbol(n, "let", t, sym.decl)
            elif t is not ERROR and sym.type is not ERROR and not _assignable(sym.type, t):
                self.err("E151", f"output `{n}` is {sym.type.show()}, but its formula gives {t.show()}",
                         _span(defs[n]))
            if n in needs_decision:
                self.an.after.append(n)
            elif n in needs_checks:
                self.an.after_checks.append(n)
            else:
                self.an.before.append(n)

    def _decl_index(self, name: str) -> int:
        for i, d in enumerate((*self.p.inputs, *self.p.lets, *self.p.outputs)):
            if d.name == name:
                return i
        return 10**6

    # -- checks
    def check_checks(self) -> None:
        ids: dict[str, A.Span] = {}
        self.in_check = True
        for chk in self.p.checks:
            if not NAME_RE.match(chk.id):
                self.err("E165", f"check id `{chk.id}` must be lowercase letters, digits and `_`", _name_of(chk))
            if chk.id in ids:
                self.err("E166", f"check id `{chk.id}` is used twice", _name_of(chk), first=ids[chk.id])
            ids.setdefault(chk.id, _name_of(chk))
            self.given = frozenset()
            t = self.expr(chk.condition, expected=BOOL)
            if t is not ERROR and t.kind != "bool":
                self.err("E167", f"a check `requires` a condition that is true or false, not {t.show()}", _span(chk.condition))
        self.given = frozenset()
        self.in_check = False
        self.check_ids = ids

    # -- deciders
    def check_deciders(self) -> None:
        decided = self.an.decided
        total_at: A.Decider | None = None
        ids: dict[str, A.Span] = {}
        self.proven: frozenset[str] = frozenset()  # names later deciders may treat as given
        masks = _Masks()
        for dec in self.p.deciders:
            if total_at is not None:
                what = "an `otherwise` rule" if isinstance(total_at, A.Rule) else f"table `{total_at.id}`"
                self.err("E160", f"`{dec.id}` can never apply: {what} above already decides every case",
                         _head_span(dec), help="move it above, or remove it",
                         related=(Related(_head_span(total_at), "this decides every case"),))
            if dec.id in ids or dec.id in self.check_ids:
                self.err("E161", f"rule id `{dec.id}` is used twice", _name_of(dec),
                         first=ids.get(dec.id) or self.check_ids.get(dec.id))
            ids.setdefault(dec.id, _name_of(dec))
            if isinstance(dec, A.Rule):
                self.check_rule(dec)
                self.an.rule_ids.append(dec.id)
                if dec.condition is not None and total_at is None and id(dec.condition) not in self.faulty:
                    region = _region(dec.condition, self.an)
                    earlier = masks.find(region)
                    if earlier is not None:
                        self.err("E168", f"rule `{dec.id}` can never apply: rule `{earlier.id}` above applies whenever it does",
                                 _head_span(dec), help=f"move `{dec.id}` above `{earlier.id}`, or narrow `{earlier.id}`",
                                 related=(Related(_head_span(earlier), "this applies whenever it does"),))
                    masks.add(dec, region)
                    if masks.work > _MASK_BUDGET and not masks.gave_up:
                        masks.gave_up = True
                        self.warn("W169", f"rules below `{dec.id}` are not checked for being masked by a rule above: "
                                  "too many rules test the same inputs", _head_span(dec),
                                  help="split the policy, or decide the cases with a table")
                if dec.condition is not None:
                    # Past a rule `when x is missing`, x is given in every later rule and table;
                    # past a rule `when refused`, every check without `review` passed.
                    self.proven = self.proven | _missing_in(dec.condition) | self.passed_checks_prove(dec.condition)
                if dec.condition is None or (isinstance(dec.condition, A.Bool) and dec.condition.value):
                    total_at = total_at or dec
            elif isinstance(dec, A.WindowTable):
                self.check_window_table(dec)
                self.an.rule_ids.extend(f"{dec.id}.{r.id}" for r in dec.rows)
                total_at = total_at or dec
            else:
                self.check_grid(dec)
                self.an.rule_ids.extend(f"{dec.id}.{r.head.name}.{c.name}" for r in dec.rows for c in dec.columns)
                total_at = total_at or dec
        if total_at is None and self.p.deciders:
            last = self.p.deciders[-1]
            unset = f", leaving {', '.join(f'`{o}`' for o in decided)} unset" if decided else ""
            self.err("E162", f"some inputs reach no rule{unset}",
                     _head_span(last), help="end with `rule <id> \"…\" otherwise …` or a table that covers every case")
        if not self.p.deciders:
            what = ("outputs " + ", ".join(f"`{o}`" for o in decided) + " are never set") if decided else "the policy has no rule"
            self.err("E163", what, self.p.title.span,
                     help="add rules, ending with `rule <id> \"…\" otherwise …`: every decision names the rule that made it")

    def check_assignments(self, owner: str, span: A.Span, assignments: tuple[A.Assignment, ...],
                          extra_set: tuple[str, ...] = ()) -> None:
        seen: set[str] = set(extra_set)
        first_set: dict[str, A.Span] = {}
        for asg in assignments:
            sym = self.an.symbols.get(asg.target)
            if sym is None or sym.kind != "output":
                outputs = [o.name for o in self.p.outputs]
                guess = suggest(asg.target, outputs)
                what = f"`{asg.target}` is not an output" if sym is None else f"`{asg.target}` is {'an' if sym.kind == 'input' else 'a'} {sym.kind}, not an output"
                self.err("E170", what, _name_span(asg), help=f"did you mean `{guess}`?" if guess else "rules can only set outputs")
                self.expr(asg.value)
                continue
            if sym.decl.formula is not None:
                self.err("E171", f"output `{asg.target}` is computed by its formula and cannot be set by a rule", _name_span(asg))
            if asg.target in seen:
                self.err("E172", f"`{asg.target}` is set twice", _name_span(asg),
                         related=tuple(Related(f, "first set here") for f in [first_set.get(asg.target)] if f))
            seen.add(asg.target)
            first_set.setdefault(asg.target, _name_span(asg))
            t = self.expr(asg.value, expected=sym.type.required())
            if t is not ERROR and sym.type is not ERROR and not _assignable(sym.type, t):
                self.err("E173", f"`{asg.target}` is {sym.type.show()}, but this gives {t.show()}", _span(asg.value),
                         help=_unit_help(sym.type, t))
        bad_target = any(self.an.symbols.get(a.target) is None or self.an.symbols[a.target].kind != "output" for a in assignments)
        for o in self.an.decided:
            if o not in seen and not self.an.symbols[o].type.optional and not bad_target:
                self.err("E174", f"`{owner}` leaves output `{o}` unset", span,
                         help=f"add `{o} = …` to it")

    def passed_checks_prove(self, cond) -> frozenset[str]:
        """Names given past a rule that fires whenever `refused` (or `needs_review`) is true.

        Past such a rule every check without `review` (or with it) passed, so each `x is given`
        its condition requires holds.
        """
        if isinstance(cond, A.Binary) and cond.op == "or":
            return self.passed_checks_prove(cond.left) | self.passed_checks_prove(cond.right)
        if not isinstance(cond, A.Name) or cond.name not in ("refused", "needs_review"):
            return frozenset()
        symbol = self.an.symbols.get(cond.name)
        if symbol is None or symbol.kind != "check":  # an input or let of that name
            return frozenset()
        review = cond.name == "needs_review"
        proven: frozenset[str] = frozenset()
        for chk in self.p.checks:
            if chk.review == review:
                proven |= _given_in(chk.condition)
        return proven

    def check_rule(self, rule: A.Rule) -> None:
        if not NAME_RE.match(rule.id):
            self.err("E164", f"rule id `{rule.id}` must be lowercase letters, digits and `_`", _name_of(rule))
        given: frozenset[str] = frozenset()
        self.given = self.proven
        if rule.condition is not None:
            t = self.expr(rule.condition, expected=BOOL)
            if t is not ERROR and t.kind != "bool":
                self.err("E175", f"a rule's condition must be true or false, not {t.show()}", _span(rule.condition))
            given = _given_in(rule.condition)
        self.given = self.proven | given
        self.check_assignments(rule.id, _head_span(rule), rule.assignments)
        self.given = frozenset()

    def check_window_table(self, table: A.WindowTable) -> None:
        self.given = self.proven
        key_t = self.expr(table.key)
        if key_t is not ERROR and key_t.kind == "enum" and not key_t.optional:
            self.check_enum_table(table, key_t)
            self.given = frozenset()
            return
        if any(row.interval is None for row in table.rows) and key_t is not ERROR:
            row = next(r for r in table.rows if r.interval is None)
            self.err("E189", f"row `{row.id}` needs an interval of `{_key_words(table.key)}`", _name_of(row),
                     help=f"write `{row.id} [a, b): …`; rows without an interval are for enum keys")
            for r in table.rows:
                self.check_assignments(f"{table.id}.{r.id}", _name_of(r), r.assignments)
            self.given = frozenset()
            return
        if key_t is not ERROR and key_t.kind not in ORDERED:
            self.err("E180", f"a window table needs a key that has an order, not {key_t.show()}", _span(table.key),
                     help="use a duration, amount, number, date or datetime; for enum values use a grid (`sets`)")
            key_t = ERROR
        if key_t.optional:
            self.err("E181", "the table's key may be missing", _span(table.key),
                     help="decide the missing case in a rule above, or use inputs that are always given")
        pieces = []
        row_ids: dict[str, A.Span] = {}
        for row in table.rows:
            if row.id in row_ids:
                self.err("E182", f"table `{table.id}` has two rows named `{row.id}`", _name_of(row), first=row_ids[row.id])
            row_ids.setdefault(row.id, _name_of(row))
            if self.check_interval(row.interval, key_t, table.key):
                pieces.append(Piece(bound_value(row.interval.low), row.interval.low_closed,
                                     bound_value(row.interval.high), row.interval.high_closed, row.id, row.interval.span))
            self.check_assignments(f"{table.id}.{row.id}", _name_of(row), row.assignments)
        self.given = frozenset()
        if len(pieces) == len(table.rows) and key_t is not ERROR:
            self.report_coverage(pieces, _key_words(table.key), table, row_word="row")

    def check_enum_table(self, table: A.WindowTable, key_t: Type) -> None:
        """An enum-keyed table: one row per value, named by it, every value present once."""
        enum = self.an.enums[key_t.name]
        values = [v.name for v in enum.values]
        seen: dict[str, A.Span] = {}
        for row in table.rows:
            if row.interval is not None:
                self.err("E193", f"`{_key_words(table.key)}` is an enum: rows are its values, without intervals", row.interval.span)
            if row.id not in values:
                guess = suggest(row.id, values)
                self.err("E194", f"`{row.id}` is not a value of `{enum.name}`", _name_of(row),
                         help=f"did you mean `{guess}`?" if guess else None, expected=tuple(f"`{v}`" for v in values))
            elif row.id in seen:
                self.err("E182", f"table `{table.id}` has two rows for `{row.id}`", _name_of(row), first=seen[row.id])
            seen.setdefault(row.id, _name_of(row))
            self.check_assignments(f"{table.id}.{row.id}", _name_of(row), row.assignments)
        missing = [v for v in values if v not in seen]
        if missing:
            self.err("E195", f"table `{table.id}` has no row for `{_key_words(table.key)}` = "
                     + ", ".join(f"`{m}`" for m in missing), _head_span(table),
                     help=f"add a row for each value of `{enum.name}`")

    def check_interval(self, iv: A.Interval, key_t: Type, key: A.Expr) -> bool:
        ok = True
        ends: list[Type] = []
        for b, closed, side in ((iv.low, iv.low_closed, "low"), (iv.high, iv.high_closed, "high")):
            if isinstance(b, A.Infinity):
                if b.negative != (side == "low"):
                    self.err("E183", f"`{'-' if b.negative else ''}∞` cannot be the {side} end", b.span)
                    ok = False
                elif closed:
                    self.err("E184", "an infinite end must be open", b.span,
                             help="write `(-∞, …` or `…, ∞)`")
                continue
            t = self.expr(b)
            if key_t is not ERROR and t is not ERROR and not key_t.same_base(t):
                self.err("E185", f"this end is {t.show()}, but `{_key_words(key)}` is {key_t.show()}",
                         b.span, help=_unit_help(key_t, t))
                ok = False
            ends.append(t)
        if len(ends) == 2 and not (ends[0] is not ERROR and ends[1] is not ERROR and ends[0].same_base(ends[1])):
            ok = False  # ends of different kinds (beside an unknown key): they have no order to check
        lo, hi = bound_value(iv.low), bound_value(iv.high)
        if ok and not _lt(lo, hi) and not (lo == hi and iv.low_closed and iv.high_closed):
            self.err("E186", f"interval {show_interval(lo, iv.low_closed, hi, iv.high_closed)} is empty", iv.span,
                     help="write the smaller end first")
            ok = False
        return ok

    def report_coverage(self, pieces: list[Piece], key: str, table, row_word: str, prefix: str = "") -> None:
        for kind, detail in coverage_problems(pieces):
            if kind == "gap":
                lo, lc, hi, hc = detail
                where = f"= {show_value(lo)}" if lo == hi else f"in {show_interval(lo, lc, hi, hc)}"
                self.err("E187", f"no {row_word} covers {prefix}`{key}` {where}",
                         _head_span(table), help=f"add a {row_word} for {show_value(lo) if lo == hi else show_interval(lo, lc, hi, hc)} or widen a neighbour")
            else:
                a, b, lo, lc, hi, hc = detail
                where = show_interval(lo, lc, hi, hc) if (lo != hi or not (lc and hc)) else show_value(lo)
                self.err("E188", f"{row_word}s `{a.owner}` and `{b.owner}` both cover {prefix}`{key}` "
                         + (f"= {where}" if lo == hi else f"in {where}"),
                         b.span, help="make one end open: `[a, b)` then `[b, c)`",
                         related=(Related(a.span, f"`{a.owner}` covers it too"),))

    def check_grid(self, grid: A.GridTable) -> None:
        target = self.an.symbols.get(grid.target)
        if target is None or target.kind != "output":
            guess = suggest(grid.target, [o.name for o in self.p.outputs])
            self.err("E190", f"`{grid.target}` is not an output", _head_span(grid),
                     help=f"did you mean `{guess}`?" if guess else "a grid `sets` one output")
            target_t = ERROR
        else:
            target_t = target.type.required()
            if target.decl.formula is not None:
                self.err("E171", f"output `{grid.target}` is computed by its formula and cannot be set by a table", _head_span(grid))
        for o in self.an.decided:
            if o != grid.target and not self.an.symbols[o].type.optional:
                self.err("E174", f"`{grid.id}` leaves output `{o}` unset", _head_span(grid),
                         help="a grid sets only one output; set the others with a formula")
        self.given = self.proven
        row_t = self.expr(grid.row_key)
        col_t = self.expr(grid.col_key)
        self.check_axis(grid, grid.row_key, row_t, [r.head for r in grid.rows], "row")
        self.check_axis(grid, grid.col_key, col_t, list(grid.columns), "column")
        for r in grid.rows:
            if len(r.cells) != len(grid.columns):
                self.err("E191", f"row `{r.head.name}` has {len(r.cells)} cells but the table has {len(grid.columns)} columns",
                         r.span)
            for c in r.cells:
                t = self.expr(c, expected=target_t)
                if t is not ERROR and target_t is not ERROR and not _assignable(target_t, t):
                    self.err("E173", f"`{grid.target}` is {target_t.show()}, but this cell is {t.show()}", _span(c),
                             help=_unit_help(target_t, t))

    def check_axis(self, grid: A.GridTable, key: A.Expr, key_t: Type, heads: list[A.GridHead], word: str) -> None:
        if key_t is ERROR:
            return
        if key_t.optional:
            self.err("E181", "the table's key may be missing", _span(key))
        names: dict[str, A.Span] = {}
        for h in heads:
            if h.name in names:
                self.err("E192", f"{word} `{h.name}` appears twice in table `{grid.id}`", h.span, first=names[h.name])
            names.setdefault(h.name, h.span)
        if key_t.kind == "enum":
            enum = self.an.enums[key_t.name]
            values = [v.name for v in enum.values]
            for h in heads:
                if h.interval is not None:
                    self.err("E193", f"`{_key_words(key)}` is an enum: {word}s are its values, without intervals", h.span)
                if h.name not in values:
                    guess = suggest(h.name, values)
                    self.err("E194", f"`{h.name}` is not a value of `{enum.name}`", h.span,
                             help=f"did you mean `{guess}`?" if guess else None,
                             expected=tuple(f"`{v}`" for v in values))
            missing = [v for v in values if v not in names]
            if missing:
                self.err("E195", f"table `{grid.id}` has no {word} for `{_key_words(key)}` = "
                         + ", ".join(f"`{m}`" for m in missing), _head_span(grid),
                         help=f"add a {word} for each value of `{enum.name}`")
        elif key_t.kind in ORDERED:
            pieces = []
            for h in heads:
                if h.interval is None:
                    self.err("E196", f"{word} `{h.name}` needs an interval of `{_key_words(key)}`", h.span,
                             help=f"write `{h.name} [a, b)`")
                    return
                if not self.check_interval(h.interval, key_t, key):
                    return
                iv = h.interval
                pieces.append(Piece(bound_value(iv.low), iv.low_closed, bound_value(iv.high), iv.high_closed, h.name, iv.span))
            self.report_coverage(pieces, _key_words(key), grid, row_word=word)
        else:
            self.err("E197", f"a table key must be an enum or have an order, not {key_t.show()}", _span(key))

    # -- placeholders in counselor sentences
    def check_sentence_numbers(self) -> None:
        """Amounts, percentages and durations written in a sentence must be values its rule uses."""
        for chk in self.p.checks:
            self.match_numbers(chk.message, [chk.condition], f"check `{chk.id}`")
        for dec in self.p.deciders:
            if isinstance(dec, A.Rule):
                self.match_numbers(dec.says, [dec.condition, *(a.value for a in dec.assignments)], f"rule `{dec.id}`")
            elif isinstance(dec, A.WindowTable):
                for row in dec.rows:
                    ends = [row.interval.low, row.interval.high] if row.interval is not None else []
                    self.match_numbers(row.says, [*ends, *(a.value for a in row.assignments)],
                                       f"row `{dec.id}.{row.id}`")
            else:
                cells = [c for r in dec.rows for c in r.cells]
                bounds = [b for h in (*dec.columns, *(r.head for r in dec.rows)) if h.interval for b in (h.interval.low, h.interval.high)]
                self.match_numbers(dec.says, cells + bounds, f"table `{dec.id}`")

    def match_numbers(self, label: A.Label, exprs: list, owner: str) -> None:
        used = {"money": set(), "percent": set(), "duration": set()}
        # Numbers of the lets and computed values a rule uses are its numbers too.
        formulas = {l.name: l.formula for l in self.p.lets} | {o.name: o.formula for o in self.p.outputs if o.formula is not None}
        pending, seen = list(exprs), set()
        while pending:
            e = pending.pop()
            for n in names_in(e) if e is not None and not isinstance(e, A.Infinity) else ():
                if n in formulas and n not in seen:
                    seen.add(n)
                    exprs.append(formulas[n])
                    pending.append(formulas[n])
        for e in exprs:
            for lit in _literals_in(e):
                if isinstance(lit, A.Money):
                    used["money"].add(abs(lit.value))
                elif isinstance(lit, A.Percent):
                    used["percent"].add(abs(lit.value))
                elif isinstance(lit, A.Duration):
                    used["duration"].add(abs(lit.value))
        # Each placeholder reads as one space; `where[i]` is the index in label.text of text[i].
        text, where, pos = "", [], 0
        for ph in [*PLACEHOLDER.finditer(label.text), None]:
            stop = ph.start() if ph is not None else len(label.text)
            text += label.text[pos:stop] + (" " if ph is not None else "")
            where += [*range(pos, stop), *([ph.start()] if ph is not None else [])]
            pos = ph.end() if ph is not None else pos
        for m in SENTENCE_NUMBER.finditer(text):
            before = text[max(0, m.start() - 8):m.start()]
            if m.group("unit") == "일" and (re.search(r"\d+\s*월\s*$", before) or "영업일" in before):
                continue  # a calendar date ("12월 31일") or a count of business days, not a duration
            kind, value = _sentence_value(m)
            if value is None or value in used[kind]:
                continue
            # A compound duration such as "1시간 30분" is matched part by part; accept parts of a used value.
            if kind == "duration" and any(value < u for u in used["duration"]) and m.group("unit") in ("분", "초"):
                continue
            shown = ", ".join(_show_used(kind, v) for v in sorted(used[kind])) or "none"
            span = label.span_of(where[m.start()], where[m.end() - 1] + 1)
            self.err("E203", f"the sentence says `{m.group(0).strip()}`, but {owner} uses no such {kind.replace('duration', 'time')}",
                     span, notes=(f"{owner} uses: {shown}",),
                     help="write the rule's own number, or show it with a `{placeholder}`")

    def check_placeholders(self) -> None:
        for chk in self.p.checks:
            self.check_label(chk.message, allowed=self.check_message_names())
        for dec in self.p.deciders:
            labels = [dec.says] if isinstance(dec, (A.Rule, A.GridTable)) else [r.says for r in dec.rows]
            for label in labels:
                self.check_label(label)

    def check_message_names(self) -> set[str]:
        """Names a check's message may show: inputs and values computed before the checks."""
        return {i.name for i in self.p.inputs} | set(self.an.before)

    def check_label(self, label: A.Label, allowed: set[str] | None = None) -> None:
        for m in PLACEHOLDER.finditer(label.text):
            name = m.group(1).strip()
            if name in self.an.symbols and (allowed is None or name in allowed):
                continue
            if allowed is not None and name in self.an.symbols:
                span = label.span_of(m.start(), m.end())
                self.err("E202", f"a check's message cannot show `{name}`: it is not known yet when checks run", span,
                         help="show an input or a `let` computed from inputs")
                continue
            span = label.span_of(m.start(), m.end())
            guess = suggest(name, list(self.an.symbols))
            self.err("E200", f"unknown name `{name}` in the sentence", span,
                     help=f"did you mean `{guess}`?" if guess else "placeholders name an input, a let or an output")
        stray = PLACEHOLDER.sub("", label.text)
        if "{" in stray or "}" in stray:
            at = _stray_brace(label.text)
            self.err("E201", "unbalanced `{` or `}` in the sentence", label.span_of(at, at + 1),
                     help="placeholders are written `{name}`")

    # -- expressions
    def expr(self, e, expected: Type | None = None) -> Type:
        errors = self.errors
        t = self._expr(e, expected)
        self.an.types[id(e)] = t
        if self.errors != errors:
            self.faulty.add(id(e))
        return t

    def _expr(self, e, expected: Type | None) -> Type:  # noqa: C901 - one case per node kind
        if isinstance(e, A.Money):
            if e.value != e.value.to_integral() and not self.allow_fraction:
                self.err("E210", f"`{e.value}원` is not a whole amount of won", e.span,
                         help="amounts are whole won; a rate like `18.5원` may only multiply a count (`minutes * 18.5원`)")
            return MONEY
        if isinstance(e, A.Percent):
            return PERCENT
        if isinstance(e, A.Duration):
            return DURATION
        if isinstance(e, A.Number):
            return INT if e.value == e.value.to_integral() and "." not in str(e.value) else NUMBER
        if isinstance(e, A.DateLit):
            return DATE
        if isinstance(e, A.DateTimeLit):
            return DATETIME
        if isinstance(e, A.Bool):
            return BOOL
        if isinstance(e, A.Text):
            return TEXT
        if isinstance(e, A.Name):
            return self.name(e, expected)
        if isinstance(e, A.Field):
            self.expr(e.base)
            self.err("E211", "`.` field access is only possible inside `count … where` and `list … of … where`", e.span,
                     help="write the field's name on its own there")
            return ERROR
        if isinstance(e, A.Unary):
            if e.op == "not":
                t = self.expr(e.operand, BOOL)
                return self.require(e.operand, t, ("bool",), "`not` applies to true or false")
            t = self.expr(e.operand)
            return self.require(e.operand, t, ("money", "percent", "int", "number", "duration"), "only numbers, amounts and durations can be negated")
        if isinstance(e, A.Binary):
            return self.binary(e, expected)
        if isinstance(e, A.PercentOf):
            pt = self.expr(e.percent, PERCENT)
            at = self.expr(e.amount, MONEY)
            if pt is not ERROR and pt.kind != "percent":
                self.err("E212", f"`of` needs a percentage on its left, not {pt.show()}", _span(e.percent),
                         help="write a percentage like `10% of fare`")
            if at is not ERROR and at.kind != "money":
                self.err("E213", f"`of` takes a percentage of an amount of money, not of {at.show()}", _span(e.amount))
            self.check_optional(e.percent, pt)
            self.check_optional(e.amount, at)
            if isinstance(e.percent, A.Percent) and e.percent.value > 100:
                self.err("E214", f"{e.percent.value}% is more than the whole amount", e.percent.span,
                         help="a fee is at most 100% of the amount")
            return MONEY
        if isinstance(e, A.Bounded):
            vt = self.expr(e.value, expected)
            self.check_optional(e.value, vt)
            for bound, word in ((e.at_most, "at most"), (e.at_least, "at least")):
                if bound is None:
                    continue
                bt = self.expr(bound, vt if vt is not ERROR else expected)
                self.check_optional(bound, bt)
                if vt is not ERROR and bt is not ERROR and not vt.same_base(bt):
                    self.err("E215", f"`{word}` compares {vt.show()} with {bt.show()}", _span(bound), help=_unit_help(vt, bt))
                if isinstance(bound, (A.Money, A.Number, A.Percent, A.Duration)) and bound.value < (timedelta(0) if isinstance(bound, A.Duration) else 0):
                    self.err("E216", f"a {'cap' if word == 'at most' else 'floor'} below zero", _span(bound),
                             help="caps and floors are 0 or more")
            if vt is not ERROR and vt.kind not in ORDERED:
                self.err("E217", f"`at most`/`at least` need an amount, number or duration, not {vt.show()}", _span(e.value))
                return ERROR
            if (e.at_most is not None and e.at_least is not None and isinstance(e.at_most, (A.Money, A.Number, A.Percent, A.Duration))
                    and isinstance(e.at_least, type(e.at_most)) and e.at_least.value > e.at_most.value):
                self.err("E218", "the floor is above the cap", e.span)
            return vt.required() if vt is not ERROR else ERROR
        if isinstance(e, A.Presence):
            if not isinstance(e.operand, A.Name):
                self.err("E219", "`is given`/`is missing` apply to an input's name", _span(e.operand))
                return BOOL
            t = self.name(e.operand, None, allow_optional=True)
            self.an.types[id(e.operand)] = t
            if t is not ERROR and not t.optional:
                sym = self.an.symbols.get(e.operand.name)
                self.warn("W220", f"`{e.operand.name}` is never missing", e.operand.span,
                          help="only `optional` inputs can be missing" + (" (it has a default)" if sym and sym.kind == "input" and sym.decl.default is not None else ""))
            return BOOL
        if isinstance(e, A.InInterval):
            t = self.expr(e.operand)
            self.check_optional(e.operand, t)
            if t is not ERROR and t.kind not in ORDERED:
                self.err("E221", f"`in [a, b)` needs a value with an order, not {t.show()}", _span(e.operand))
                return BOOL
            self.check_interval(e.interval, t, e.operand)
            return BOOL
        if isinstance(e, A.InPeriod):
            for part in (e.operand, e.anchor):
                t = self.expr(part)
                self.check_optional(part, t)
                if t is not ERROR and t.kind not in ("datetime", "date"):
                    self.err("E222", f"`in {e.period} of` compares dates or datetimes, not {t.show()}", _span(part))
            return BOOL
        if isinstance(e, A.InSet):
            t = self.expr(e.operand)
            self.check_optional(e.operand, t)
            for m in e.members:
                mt = self.expr(m, t.required() if t is not ERROR else None)
                if t is not ERROR and mt is not ERROR and not t.same_base(mt):
                    self.err("E223", f"`{_key_words(e.operand)}` is {t.required().show()}, but this is {mt.show()}", _span(m))
            return BOOL
        if isinstance(e, A.LastDayOfMonth):
            t = self.expr(e.operand)
            self.check_optional(e.operand, t)
            if t is not ERROR and t.kind not in ("datetime", "date"):
                self.err("E224", f"`last day of month of` needs a date or datetime, not {t.show()}", _span(e.operand))
            return DATE
        if isinstance(e, A.Count):
            rec = self.list_record(e.source)
            if e.where is not None:
                self.in_record(rec, e.source.name, e.where)
            return INT
        if isinstance(e, A.Collect):
            ft = self.record_field(e)
            return ERROR if ft is ERROR else Type("list", None, ft.required())
        if isinstance(e, A.Sum) and e.value is not None:
            rec = self.list_record(e.source)
            if e.where is not None:
                self.in_record(rec, e.source.name, e.where)
            given = _given_in(e.where) if e.where is not None else frozenset()
            t = self.in_record(rec, e.source.name, e.value, value=True, given=given)
            if t is ERROR or rec is None:
                return ERROR
            if t.optional or t.kind not in ("money", "int", "number", "duration", "percent"):
                self.err("E232", f"`sum` adds amounts, numbers or durations; this is {t.show()}", _span(e.value))
                return ERROR
            return t
        if isinstance(e, A.Sum):
            ft = self.record_field(e)
            if ft is ERROR:
                return ERROR
            if ft.optional or ft.kind not in ("money", "int", "number", "duration", "percent"):
                self.err("E232", f"`sum` adds amounts, numbers or durations; `{e.field}` is {ft.show()}", e.span)
                return ERROR
            return ft
        if isinstance(e, A.Call) and e.func in _BUILTIN_ARITY:
            return self.builtin_call(e)
        if isinstance(e, A.Call):
            if e.func not in FUNCTIONS:
                guess = suggest(e.func, list(FUNCTIONS))
                # INVARIANT: a call's span starts with the function's name (`NAME "(" …`)
                name_span = A.Span(e.span.path, e.span.line, e.span.col, e.span.line, e.span.col + len(e.func))
                self.err("E226", f"unknown function `{e.func}`", name_span,
                         help=f"did you mean `{guess}`?" if guess else "the functions are " + ", ".join(f"`{f}`" for f in FUNCTIONS))
                for a in e.args:
                    self.expr(a)
                return ERROR
            ts = [self.expr(a, expected) for a in e.args]
            for a, t in zip(e.args, ts):
                self.check_optional(a, t)
            if len(e.args) < 2:
                self.err("E227", f"`{e.func}` needs at least two values", e.span)
            good = [t for t in ts if t is not ERROR]
            if good and any(not good[0].same_base(t) for t in good):
                self.err("E228", f"`{e.func}` mixes " + " and ".join(sorted({t.show() for t in good})), e.span)
                return ERROR
            if good and good[0].kind not in ORDERED:
                self.err("E229", f"`{e.func}` needs values with an order, not {good[0].show()}", e.span)
                return ERROR
            return good[0].required() if good else ERROR
        raise AssertionError(f"unhandled expression {type(e).__name__}")

    def builtin_call(self, e: A.Call) -> Type:
        arity = _BUILTIN_ARITY[e.func]
        ts = [self.expr(a) for a in e.args]
        for a, t in zip(e.args, ts):
            self.check_optional(a, t)
        if len(e.args) != arity:
            self.err("E233", f"`{e.func}` takes {arity} value{'s' * (arity != 1)}, not {len(e.args)}", e.span)
            return ERROR
        if any(t is ERROR for t in ts):
            return ERROR
        first = ts[0]
        if e.func == "length":
            if first.kind not in ("text", "list"):
                self.err("E234", f"`length` counts the characters of a text or the items of a list, not {first.show()}", _span(e.args[0]))
                return ERROR
            return INT
        if e.func == "year":
            if first.kind not in ("datetime", "date"):
                self.err("E234", f"`year` needs a date or datetime, not {first.show()}", _span(e.args[0]))
                return ERROR
            return INT
        if e.func == "aligned":
            if first.kind not in ("datetime", "duration") or ts[1].kind != "duration":
                self.err("E234", "`aligned(x, step)` needs a datetime or duration and a duration step, like `aligned(departure_at, 10min)`", e.span)
                return ERROR
            if isinstance(e.args[1], A.Duration) and e.args[1].value <= timedelta(0):
                self.err("E235", "the step of `aligned` must be longer than zero", _span(e.args[1]))
            return BOOL
        if e.func == "clock":
            if first.kind != "datetime":
                self.err("E234", f"`clock` gives the local time of day of a datetime, not of {first.show()}", _span(e.args[0]))
                return ERROR
            return DURATION
        if e.func in ("weekday", "is_business_day"):
            if first.kind not in ("datetime", "date"):
                self.err("E234", f"`{e.func}` needs a date or datetime, not {first.show()}", _span(e.args[0]))
                return ERROR
            return INT if e.func == "weekday" else BOOL
        if e.func == "years_between":
            if first.kind not in ("datetime", "date") or ts[1].kind not in ("datetime", "date"):
                self.err("E234", "`years_between(from, to)` needs two dates or datetimes", e.span)
                return ERROR
            return INT
        # add_business_days
        if first.kind not in ("datetime", "date") or ts[1].kind != "int":
            self.err("E234", "`add_business_days(day, n)` needs a date or datetime and a whole number of days", e.span)
            return ERROR
        return DATE

    def record_field(self, e: "A.Collect | A.Sum") -> Type:
        """Check `list f of xs where c` / `sum f of xs where c`; return the type of field f."""
        rec = self.list_record(e.source)
        if e.where is not None:
            self.in_record(rec, e.source.name, e.where)
        if rec is None:
            return ERROR
        fld = next((f for f in rec.fields if f.name == e.field), None)
        if fld is None:
            guess = suggest(e.field, [f.name for f in rec.fields])
            self.err("E225", f"record `{rec.name}` has no field `{e.field}`", e.span,
                     help=f"did you mean `{guess}`?" if guess else None)
            return ERROR
        return self.resolve_type(fld.type)

    def require(self, e, t: Type, kinds: tuple[str, ...], message: str) -> Type:
        if t is ERROR:
            return ERROR
        self.check_optional(e, t)
        if t.kind not in kinds:
            self.err("E230", f"{message}; this is {t.show()}", _span(e))
            return ERROR
        return t.required()

    def check_optional(self, e, t: Type) -> None:
        if t is ERROR or not t.optional:
            return
        name = e.name if isinstance(e, A.Name) else None
        self.err("E231", f"`{name or _key_words(e)}` may be missing here", _span(e),
                 help=f"check `{name} is given and …` first" if name else "check that it is given first")

    def binary(self, e: A.Binary, expected: Type | None) -> Type:
        op = e.op
        if op in ("and", "or"):
            lt = self.expr(e.left, BOOL)
            saved = self.given
            if op == "and":
                self.given = self.given | _given_in(e.left)
            else:  # the right side of `x is missing or …` runs only when x is given
                self.given = self.given | _missing_in(e.left)
            rt = self.expr(e.right, BOOL)
            self.given = saved
            for side, t in ((e.left, lt), (e.right, rt)):
                if t is not ERROR and t.kind != "bool":
                    self.err("E240", f"`{op}` joins conditions, but this is {t.show()}", _span(side))
            return BOOL
        if op in ("=", "!=", "<", "<=", ">", ">="):
            lt = self.expr(e.left)
            rt = self.expr(e.right, lt.required() if lt is not ERROR else None)
            self.check_optional(e.left, lt)
            self.check_optional(e.right, rt)
            if lt is ERROR or rt is ERROR:
                return BOOL
            if not lt.same_base(rt):
                self.err("E241", f"cannot compare {lt.required().show()} with {rt.required().show()}", e.span,
                         help=_unit_help(lt, rt))
            elif op not in ("=", "!=") and lt.kind not in ORDERED:
                self.err("E242", f"`{op}` needs values with an order; {lt.required().show()} has none", e.span,
                         help="use `=` or `!=`")
            return BOOL
        self.allow_fraction = op == "*"
        lt = self.expr(e.left, expected if op in ("+", "-") else None)
        self.allow_fraction = op == "*"
        rt = self.expr(e.right, expected if op in ("+", "-") else None)
        self.allow_fraction = False
        self.check_optional(e.left, lt)
        self.check_optional(e.right, rt)
        if lt is ERROR or rt is ERROR:
            return ERROR
        a, b = lt.kind, rt.kind
        result = _ARITH.get((op, a, b))
        if result is None:
            self.err("E243", f"cannot {_OP_WORDS[op]} {lt.show()} {'and' if op in '+*' else 'from' if op == '-' else 'by'} {rt.show()}"
                     if op != "-" else f"cannot subtract {rt.show()} from {lt.show()}", e.span,
                     help=_unit_help(lt, rt))
            return ERROR
        if op == "/":
            self.check_divisor(e.right, rt)
        return result

    def check_divisor(self, d, t: Type) -> None:
        """A number divides only by a value the policy proves above zero (docs/LANGUAGE.md,
        "Numbers"): a zero has no answer and a negative one turns an amount negative."""
        if isinstance(d, A.Unary) and d.op == "-" and isinstance(d.operand, (A.Number, A.Duration)):
            self.err("E246", "a divisor below zero", _span(d), help="divide by a number above zero")
            return
        if isinstance(d, (A.Number, A.Duration)):
            zero = timedelta(0) if isinstance(d, A.Duration) else 0
            if d.value <= zero:
                self.err("E246", "division by zero" if d.value == zero else "a divisor below zero", d.span,
                         help="divide by a number above zero")
            return
        if t.kind == "duration":
            return  # a duration worked out from the inputs: evaluation refuses a zero one
        if self.positive(d, set()):
            return
        if isinstance(d, A.Name) and getattr(self.an.symbols.get(d.name), "kind", None) == "input":
            sym = self.an.symbols[d.name]
            word = "int" if sym.type.kind == "int" else "number"
            help = f"give the input a lower bound: `input {d.name}: {word} min 1 \"…\"`"
        else:
            help = "divide by a value the policy keeps above zero: an input with `min 1`, or `(… at least 1)`"
        shown = f"`{d.name}`" if isinstance(d, A.Name) else "the divisor"
        self.err("E247", f"{shown} may be zero or below, and dividing by it has no answer", _span(d), help=help)

    def positive(self, e, seen: set[str]) -> bool:
        """Whether e is above zero for every input the policy accepts (a conservative proof)."""
        if isinstance(e, A.Number):
            return e.value > 0
        if isinstance(e, A.Name):
            for _, rec in reversed(self.scope_records):
                fld = next((f for f in rec.fields if f.name == e.name), None)
                if fld is not None:
                    return fld.type.min_value is not None and fld.type.min_value >= 1
            sym = self.an.symbols.get(e.name)
            if sym is None or e.name in seen:
                return False
            if sym.kind == "input":
                return sym.decl.type.min_value is not None and sym.decl.type.min_value >= 1
            formula = getattr(sym.decl, "formula", None)
            return sym.kind == "let" and formula is not None and self.positive(formula, seen | {e.name})
        if isinstance(e, A.Bounded):
            return ((e.at_least is not None and self.positive(e.at_least, seen))
                    or (self.positive(e.value, seen) and (e.at_most is None or self.positive(e.at_most, seen))))
        if isinstance(e, A.Call) and e.func in ("max", "min"):
            proofs = [self.positive(a, seen) for a in e.args]
            return any(proofs) if e.func == "max" else all(proofs)
        if isinstance(e, A.Binary) and e.op in ("+", "*"):
            return self.positive(e.left, seen) and self.positive(e.right, seen)
        return False

    def name(self, e: A.Name, expected: Type | None, allow_optional: bool = False) -> Type:
        # Record fields inside `where` come first, innermost list first.
        for list_name, rec in reversed(self.scope_records):
            fld = next((f for f in rec.fields if f.name == e.name), None)
            if fld is not None:
                self.an.field_refs[id(e)] = rec.name
                t = self.resolve_type(fld.type)
                if t.optional and e.name in self.given and not allow_optional:
                    return t.required()
                return t
        if expected is not None and expected.kind == "enum":
            enum = self.an.enums.get(expected.name)
            if enum is not None and any(v.name == e.name for v in enum.values):
                self.an.enum_values[id(e)] = enum.name
                return Type("enum", enum.name)
            if enum is not None and e.name not in self.an.symbols:
                values = [v.name for v in enum.values]
                guess = suggest(e.name, values)
                self.err("E256", f"`{e.name}` is not a value of `{enum.name}`", e.span,
                         expected=tuple(f"`{v}`" for v in values),
                         help=f"did you mean `{guess}`?" if guess else None)
                return ERROR
        sym = self.an.symbols.get(e.name)
        if sym is not None:
            if self.in_check and (sym.kind == "check" or sym.name in self.an.after_checks or sym.name in self.an.after):
                self.err("E255", f"a check cannot use `{e.name}`, which depends on the checks' results", e.span)
                return ERROR
            if self.in_check and sym.kind == "output" and sym.decl.formula is None:
                self.err("E250", f"output `{e.name}` is decided by the rules and cannot be used in a check", e.span)
                return ERROR
            if sym.kind == "check":
                return sym.type
            if sym.kind == "output" and self.current_def is None and sym.decl.formula is None:
                self.err("E250", f"output `{e.name}` is decided by the rules and cannot be used in a condition", e.span,
                         help="use it in a computed output (`output x: … = …`) instead")
                return ERROR
            if sym.kind in ("let", "output") and sym.name in self.an.after and self.current_def is None:
                self.err("E251", f"`{e.name}` depends on the decision and cannot be used to make it", e.span)
                return ERROR
            if sym.kind in ("let", "output") and self.current_def is not None and sym.type is ERROR:
                return ERROR
            t = sym.type
            if t.optional and (e.name in self.given or allow_optional):
                return t.required() if e.name in self.given else t
            return t
        # An enum value where no enum was expected: accept it if unambiguous.
        owners = [en for en in self.an.enums.values() if any(v.name == e.name for v in en.values)]
        if len(owners) == 1 and expected is None:
            self.an.enum_values[id(e)] = owners[0].name
            return Type("enum", owners[0].name)
        candidates = list(self.an.symbols)
        for _, rec in self.scope_records:
            candidates += [f.name for f in rec.fields]
        if expected is not None and expected.kind == "enum" and expected.name in self.an.enums:
            candidates += [v.name for v in self.an.enums[expected.name].values]
        guess = suggest(e.name, candidates)
        if e.name in CHECK_RESULTS and not self.p.checks:
            self.err("E252", f"unknown name `{e.name}`", e.span, help=f"`{e.name}` exists once the policy has `check`s")
            return ERROR
        self.err("E252", f"unknown name `{e.name}`", e.span,
                 help=f"did you mean `{guess}`?" if guess else "declare it as an input, a let or an output")
        return ERROR

    def list_record(self, source: A.Name) -> A.RecordDecl | None:
        sym = self.an.symbols.get(source.name)
        if sym is None:
            guess = suggest(source.name, [s.name for s in self.an.symbols.values() if s.type.kind == "list"])
            self.err("E252", f"unknown name `{source.name}`", source.span,
                     help=f"did you mean `{guess}`?" if guess else "declare it as an input `list of …`")
            return None
        self.an.types[id(source)] = sym.type
        if sym.type.kind != "list" or sym.type.item is None or sym.type.item.kind != "record":
            self.err("E253", f"`{source.name}` is not a list of records", source.span)
            return None
        return self.an.records[sym.type.item.name]

    def in_record(self, rec: A.RecordDecl | None, list_name: str, where: A.Expr, value: bool = False,
                  given: frozenset[str] = frozenset()) -> Type:
        """Check an expression over one record of a list: a `where` condition, or a `sum (…)` value.

        Args:
            value: the expression is the value of `sum (…)`, not a condition.
            given: record fields known to be given (the `where` beside a `sum (…)` value).
        """
        inside = "`sum (…)`" if value else "`where`"
        if rec is not None:
            self.scope_records.append((list_name, rec))
        saved = self.given
        if rec is not None:
            # Inside `where`, a field name shadows an outer name: forget what was known of it,
            # and say so where the outer name was perhaps meant.
            self.given = (self.given - {f.name for f in rec.fields}) | given
            used = names_in(where)
            for f in rec.fields:
                outer = self.an.symbols.get(f.name)
                if f.name in used and outer is not None and outer.kind in ("input", "let", "output"):
                    self.warn("W257", f"inside {inside}, `{f.name}` is the field of `{rec.name}`, not the {outer.kind} `{f.name}`",
                              _span(where), help=f"rename the field or the {outer.kind} if the {outer.kind} was meant")
        t = self.expr(where, None if value else BOOL)
        self.given = saved
        if rec is not None:
            self.scope_records.pop()
        if not value and t is not ERROR and t.kind != "bool":
            self.err("E254", f"`where` needs a condition, not {t.show()}", _span(where))
        return t


_BUILTIN_ARITY = {"length": 1, "year": 1, "aligned": 2, "add_business_days": 2, "clock": 1, "weekday": 1,
                  "is_business_day": 1, "years_between": 2}


# ---------------------------------------------------------------- helpers

_OP_WORDS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}

_ARITH: dict[tuple[str, str, str], Type] = {
    ("+", "money", "money"): MONEY, ("-", "money", "money"): MONEY,
    ("+", "duration", "duration"): DURATION, ("-", "duration", "duration"): DURATION,
    ("+", "datetime", "duration"): DATETIME, ("+", "duration", "datetime"): DATETIME,
    ("-", "datetime", "duration"): DATETIME, ("-", "datetime", "datetime"): DURATION,
    ("+", "percent", "percent"): PERCENT, ("-", "percent", "percent"): PERCENT,
    ("+", "int", "int"): INT, ("-", "int", "int"): INT, ("*", "int", "int"): INT,
    ("*", "money", "int"): MONEY, ("*", "int", "money"): MONEY,
    ("*", "money", "number"): MONEY, ("*", "number", "money"): MONEY,
    ("*", "duration", "int"): DURATION, ("*", "int", "duration"): DURATION,
    ("/", "money", "int"): MONEY, ("/", "int", "int"): NUMBER,
    ("/", "duration", "duration"): NUMBER,
    ("+", "number", "number"): NUMBER, ("-", "number", "number"): NUMBER, ("*", "number", "number"): NUMBER,
    ("+", "int", "number"): NUMBER, ("+", "number", "int"): NUMBER,
    ("-", "int", "number"): NUMBER, ("-", "number", "int"): NUMBER,
    ("*", "int", "number"): NUMBER, ("*", "number", "int"): NUMBER,
    ("/", "number", "number"): NUMBER, ("/", "number", "int"): NUMBER, ("/", "int", "number"): NUMBER,
}


def _assignable(target: Type, value: Type) -> bool:
    if target.kind == "number" and value.kind == "int":
        return True
    if target.kind == "int" and value.kind == "number":
        return False
    if target.kind == "list" and value.kind == "list":
        return target.item is not None and value.item is not None and target.item.same_base(value.item) and target.item.kind == value.item.kind
    return target.same_base(value) and target.kind == value.kind and (target.optional or not value.optional)


def _unit_help(a: Type, b: Type) -> str | None:
    kinds = {a.kind, b.kind}
    if kinds == {"datetime", "duration"}:
        return "subtract two datetimes to get a duration (`departure_at - cancelled_at`), or add a duration to a datetime"
    if kinds == {"money", "percent"}:
        return "take a percentage of an amount with `of`: `10% of fare`"
    if kinds == {"money", "int"}:
        return "write amounts with `원`: `8,000원`"
    if kinds == {"duration", "int"}:
        return "write durations with a unit: `24h`, `10min`, `7d`"
    if kinds == {"money", "duration"}:
        return "an amount is written `8,000원`, a duration `24h`: compare like with like"
    if kinds == {"datetime", "date"}:
        return "compare a datetime with a date using `in day of`"
    return None


def names_in(e) -> set[str]:
    """Every bare name an expression mentions (record fields included; callers intersect)."""
    out: set[str] = set()

    def walk(x):
        if isinstance(x, A.Name):
            out.add(x.name)
            return
        if isinstance(x, (A.Count, A.Collect, A.Sum)):
            out.add(x.source.name)
            if x.where is not None:
                walk(x.where)
            if isinstance(x, A.Sum) and x.value is not None:
                walk(x.value)
            return
        if isinstance(x, (A.Interval, A.Infinity, A.Label)) or x is None:
            return
        for slot in getattr(type(x), "__slots__", ()):
            v = getattr(x, slot)
            if isinstance(v, tuple):
                for item in v:
                    walk(item)
            elif hasattr(type(v), "__slots__") and not isinstance(v, (A.Span, str)):
                walk(v)

    walk(e)
    return out


def _given_in(cond) -> frozenset[str]:
    """Names a condition proves present: the `x is given` terms of its top-level `and`s."""
    if isinstance(cond, A.Presence) and cond.present and isinstance(cond.operand, A.Name):
        return frozenset({cond.operand.name})
    if isinstance(cond, A.Binary) and cond.op == "and":
        return _given_in(cond.left) | _given_in(cond.right)
    return frozenset()


SENTENCE_NUMBER = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<unit>만\s*원|원|%|시간|분|초|일)(?![가-힣]*\s*(?:단위|회|건|명|세|번째|년|월))"
)


def _stray_brace(text: str) -> int:
    """The index of the first `{` or `}` that is not part of a `{name}` placeholder."""
    inside = {i for m in PLACEHOLDER.finditer(text) for i in range(m.start(), m.end())}
    return next(i for i, ch in enumerate(text) if ch in "{}" and i not in inside)


def _sentence_value(m: re.Match):
    num = Decimal(m.group("num").replace(",", ""))
    unit = re.sub(r"\s", "", m.group("unit"))
    if unit == "원":
        return "money", num
    if unit == "만원":
        return "money", num * 10000
    if unit == "%":
        return "percent", num
    if num != num.to_integral_value():
        return "duration", None
    secs = {"시간": 3600, "분": 60, "초": 1, "일": 86400}[unit]
    return "duration", timedelta(seconds=int(num) * secs)


def _show_used(kind: str, v) -> str:
    if kind == "money":
        return f"{int(v):,}원"
    if kind == "percent":
        return f"{v.normalize():f}%"
    return show_duration(v)


def _literals_in(e) -> list:
    out: list = []

    def walk(x):
        if isinstance(x, (A.Money, A.Percent, A.Duration)):
            out.append(x)
            return
        if x is None or isinstance(x, (A.Span, str, A.Infinity, A.Label)):
            return
        for slot in getattr(type(x), "__slots__", ()):
            v = getattr(x, slot)
            if isinstance(v, tuple):
                for item in v:
                    walk(item)
            elif hasattr(type(v), "__slots__"):
                walk(v)

    walk(e)
    return out


# ---------------------------------------------------------------- rule regions (masking)
#
# A condition that is a conjunction of simple tests is a box: for each term (a name or an
# expression, compared by shape) the set of values it allows. A later rule whose box lies
# inside an earlier rule's box can never fire.


def _shape(e):
    """A span-free, hashable form of an expression, so equal expressions compare equal."""
    if isinstance(e, (A.Span, A.Label)):
        return None
    if isinstance(e, tuple):
        return tuple(_shape(x) for x in e)
    if hasattr(type(e), "__slots__") and not isinstance(e, str):
        return (type(e).__name__,) + tuple(_shape(getattr(e, s)) for s in type(e).__slots__ if s != "span")
    return e


def _region(cond, an: "Analysis") -> dict:
    region: dict = {}
    for atom in conjuncts(cond):
        key, constraint = atom_constraint(atom, an)
        if key in region:
            merged = _intersect(region[key], constraint)
            region[key] = merged
        else:
            region[key] = constraint
    return region


def conjuncts(cond) -> list:
    """The parts of a condition joined by `and`, flattened, in source order."""
    if isinstance(cond, A.Binary) and cond.op == "and":
        return conjuncts(cond.left) + conjuncts(cond.right)
    return [cond]


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def atom_constraint(atom, an: "Analysis"):
    """What one conjunct of a condition constrains, as (term key, constraint): ("bool", v), ("set", frozenset), ("range", lo, lc, hi, hc) or ("opaque",)."""
    if isinstance(atom, A.Name) and an.type_of(atom).kind == "bool":
        return _shape(atom), ("bool", True)
    if isinstance(atom, A.Unary) and atom.op == "not" and isinstance(atom.operand, A.Name):
        return _shape(atom.operand), ("bool", False)
    if isinstance(atom, A.Presence):
        return ("given", _shape(atom.operand)), ("bool", atom.present)
    if isinstance(atom, A.Binary) and atom.op in ("=", "!=") and id(atom.right) in an.enum_values:
        enum = an.enums[an.enum_values[id(atom.right)]]
        values = frozenset({atom.right.name}) if atom.op == "=" else frozenset(v.name for v in enum.values) - {atom.right.name}
        return _shape(atom.left), ("set", values)
    if isinstance(atom, A.InSet) and all(id(m) in an.enum_values for m in atom.members):
        return _shape(atom.operand), ("set", frozenset(m.name for m in atom.members))
    if isinstance(atom, A.InInterval):
        iv = atom.interval
        return _shape(atom.operand), ("range", bound_value(iv.low), iv.low_closed, bound_value(iv.high), iv.high_closed)
    if isinstance(atom, A.Binary) and atom.op in _FLIP:
        left, right, op = atom.left, atom.right, atom.op
        if isinstance(left, (A.Money, A.Percent, A.Duration, A.Number)):
            left, right, op = right, left, _FLIP[op]
        if isinstance(right, (A.Money, A.Percent, A.Duration, A.Number)):
            v = right.value
            if op in ("<", "<="):
                return _shape(left), ("range", NEG_INF, False, v, op == "<=")
            return _shape(left), ("range", v, op == ">=", POS_INF, False)
    return _shape(atom), ("bool", True)


def _intersect(a, b):
    if a[0] == "set" and b[0] == "set":
        return ("set", a[1] & b[1])
    if a[0] == "range" and b[0] == "range":
        lo, lc = (a[1], a[2]) if _lt(b[1], a[1]) or (a[1] == b[1] and not a[2]) else (b[1], b[2])
        hi, hc = (a[3], a[4]) if _lt(a[3], b[3]) or (a[3] == b[3] and not a[4]) else (b[3], b[4])
        return ("range", lo, lc, hi, hc)
    return a if a == b else ("empty",)


def _inside(inner, outer) -> bool:
    if inner == outer:
        return True
    if inner[0] == "empty":
        return True
    if inner[0] == "set" and outer[0] == "set":
        return inner[1] <= outer[1]
    if inner[0] == "range" and outer[0] == "range":
        _, ilo, ilc, ihi, ihc = inner
        _, olo, olc, ohi, ohc = outer
        low_ok = _lt(olo, ilo) or (olo == ilo and (olc or not ilc)) or olo is NEG_INF
        high_ok = _lt(ihi, ohi) or (ihi == ohi and (ohc or not ihc)) or ohi is POS_INF
        return low_ok and high_ok
    return False


# At most this many region comparisons per policy: the masking check stays linear in the rules.
_MASK_BUDGET = 200_000


class _Masks:
    """The regions of the rules so far, indexed so that finding one that covers a new region
    compares it only with regions of the same terms and the same true/false tests."""

    def __init__(self) -> None:
        # key set -> signature of the ("bool", v) constraints -> [(rule, region)]
        self.groups: dict[frozenset, dict[frozenset, list[tuple[A.Rule, dict]]]] = {}
        self.work = 0
        self.gave_up = False

    def add(self, rule: A.Rule, region: dict) -> None:
        if self.gave_up:
            return
        group = self.groups.setdefault(frozenset(region), {})
        group.setdefault(_flags(region, region), []).append((rule, region))

    def find(self, region: dict) -> A.Rule | None:
        """The first rule so far whose region covers `region`, if any."""
        if self.gave_up:
            return None
        keys = region.keys()
        found: list[tuple[int, A.Rule]] = []
        for key_set, group in self.groups.items():
            self.work += 1
            if not key_set <= keys:
                continue
            if any(region[k][0] == "empty" for k in key_set):  # an empty region: compare with every one
                candidates = [item for items in group.values() for item in items]
            else:
                candidates = group.get(_flags(region, key_set), ())
            for rule, outer in candidates:
                self.work += 1
                if _covers(outer, region):
                    found.append((rule.span.line, rule.span.col, rule))
                    break
        return min(found, key=lambda f: (f[0], f[1]))[2] if found else None


def _flags(region: dict, keys) -> frozenset:
    return frozenset((k, region[k]) for k in keys if region[k][0] == "bool")


def _covers(outer: dict, inner: dict) -> bool:
    """Whether every input satisfying `inner` also satisfies `outer`."""
    return all(key in inner and _inside(inner[key], c) for key, c in outer.items())


def _missing_in(cond) -> frozenset[str]:
    """Names a rule proves present for the rules after it: the rule fires whenever any is missing."""
    if isinstance(cond, A.Presence) and not cond.present and isinstance(cond.operand, A.Name):
        return frozenset({cond.operand.name})
    if isinstance(cond, A.Binary) and cond.op == "or":
        return _missing_in(cond.left) | _missing_in(cond.right)
    return frozenset()


def _span(e) -> A.Span:
    return e.span


def _head_span(dec) -> A.Span:
    """The id of a rule or table: where to point when the whole thing is at fault."""
    s = dec.span
    if dec.name_span is not None:
        return dec.name_span
    return A.Span(s.path, s.line, s.col, s.line, s.col + (len("rule ") if isinstance(dec, A.Rule) else len("table ")) + len(dec.id))


def _name_of(decl) -> A.Span:
    """The name (or id) of a declaration alone: where a duplicate and its first declaration point."""
    return decl.name_span if decl.name_span is not None else decl.span


def _name_span(asg: A.Assignment) -> A.Span:
    s = asg.span
    return A.Span(s.path, s.line, s.col, s.line, s.col + len(asg.target))


def _key_words(key) -> str:
    if isinstance(key, A.Name):
        return key.name
    return "the key"
