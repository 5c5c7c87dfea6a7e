"""Where behaviour changes: every finite window boundary of a policy, with the key values on
both sides and the rule each side falls in; and which of them the worked examples exercise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from compiler.check import NEG_INF, POS_INF, Analysis, atom_constraint, bound_value, conjuncts, show_value
from dsl import ast as A

# The smallest step of each kind of key: inputs carry whole seconds and whole won.
_STEP = {
    "duration": timedelta(seconds=1),
    "datetime": timedelta(seconds=1),
    "date": timedelta(days=1),
    "money": Decimal(1),
    "int": Decimal(1),
    "number": Decimal("0.01"),
    "percent": Decimal("0.01"),
}


@dataclass
class Boundary:
    """One point where a table or a rule's condition changes its answer."""

    owner: str  # table id or rule id
    key: str  # the key in the policy's words: a name or the expression's source form
    key_expr: object  # the key expression (a name, or arithmetic over names)
    at: object  # the boundary value
    below: object  # the value just below
    below_rule: str  # where the value just below falls ("" when the rule does not apply)
    above: object
    above_rule: str
    line: int


@dataclass
class Exercise:
    """What a policy's worked examples exercise."""

    policy: str
    rules: dict[str, int] = field(default_factory=dict)  # rule id -> examples deciding with it
    checks: dict[str, tuple[int, int]] = field(default_factory=dict)  # check id -> (passed, failed)
    boundaries: list[tuple[Boundary, bool, bool]] = field(default_factory=list)  # (b, below seen, above seen)

    @property
    def unexercised_rules(self) -> list[str]:
        return [r for r, n in self.rules.items() if n == 0]

    @property
    def untested_checks(self) -> list[str]:
        return [c for c, (ok, bad) in self.checks.items() if bad == 0]


def find_boundaries(an: Analysis) -> list[Boundary]:
    """Every finite end of every table interval and rule comparison, in source order."""
    out: list[Boundary] = []
    for dec in an.policy.deciders:
        if isinstance(dec, A.WindowTable):
            kind = an.type_of(dec.key).kind
            if any(r.interval is None for r in dec.rows):
                continue  # an enum-keyed table: no boundaries
            rows = [(f"{dec.id}.{r.id}", r.interval) for r in dec.rows]
            out += _table_points(dec.id, dec.key, kind, rows, dec.span.line)
        elif isinstance(dec, A.GridTable):
            for key, heads in ((dec.col_key, dec.columns), (dec.row_key, [r.head for r in dec.rows])):
                if all(h.interval is not None for h in heads):
                    kind = an.type_of(key).kind
                    rows = [(f"{dec.id}.*.{h.name}" if key is dec.col_key else f"{dec.id}.{h.name}.*", h.interval) for h in heads]
                    out += _table_points(dec.id, key, kind, rows, dec.span.line)
        elif isinstance(dec, A.Rule) and dec.condition is not None:
            out += _condition_points(an, dec.id, dec.condition, dec.span.line, inside=dec.id)
    for chk in an.policy.checks:
        out += _condition_points(an, f"check {chk.id}", chk.condition, chk.span.line, inside="passes", outside="fails")
    return sorted(out, key=lambda b: b.line)


def _condition_points(an: Analysis, owner: str, condition, line: int, inside: str, outside: str = "") -> list[Boundary]:
    """The edges of the ranges a condition tests: `x >= 24h`, `x in [0min, 10min]`."""
    out: list[Boundary] = []
    for atom in conjuncts(condition):
        _, c = atom_constraint(atom, an)
        if c[0] != "range":
            continue
        operand = atom.operand if isinstance(atom, A.InInterval) else (
            atom.left if not isinstance(atom.left, (A.Money, A.Percent, A.Duration, A.Number)) else atom.right)
        step = _STEP.get(an.type_of(operand).kind)
        if step is None:
            continue
        _, lo, lc, hi, hc = c
        for v, closed, is_low in ((lo, lc, True), (hi, hc, False)):
            if v is NEG_INF or v is POS_INF:
                continue
            # The boundary value itself belongs to the side the interval closes on.
            if is_low:
                b_val, a_val = (v - step, v) if closed else (v, v + step)
                b_rule, a_rule = outside, inside
            else:
                b_val, a_val = (v, v + step) if closed else (v - step, v)
                b_rule, a_rule = inside, outside
            out.append(Boundary(owner, _words(operand), operand, v, b_val, b_rule, a_val, a_rule, line))
    return out


def _table_points(owner: str, key, kind: str, rows: list[tuple[str, A.Interval]], line: int) -> list[Boundary]:
    step = _STEP.get(kind)
    if step is None:
        return []
    ends = {bound_value(iv.low) for _, iv in rows} | {bound_value(iv.high) for _, iv in rows}
    points = sorted(ends - {NEG_INF, POS_INF}, key=_sort_key)
    out = []
    for v in points:
        # The side that holds v exactly, and the other side one step away.
        holder = _row_of(rows, v)
        below, above = _row_of(rows, v - step), _row_of(rows, v + step)
        if holder == below:
            b_val, b_rule, a_val, a_rule = v, holder, v + step, above
        else:
            b_val, b_rule, a_val, a_rule = v - step, below, v, holder
        out.append(Boundary(owner, _words(key), key, v, b_val, b_rule, a_val, a_rule, line))
    return out


def _row_of(rows: list[tuple[str, A.Interval]], v) -> str:
    for rid, iv in rows:
        lo, hi = bound_value(iv.low), bound_value(iv.high)
        above_low = lo is NEG_INF or v > lo or (v == lo and iv.low_closed)
        below_high = hi is POS_INF or v < hi or (v == hi and iv.high_closed)
        if above_low and below_high:
            return rid
    return ""


def _sort_key(v):
    if isinstance(v, timedelta):
        return v.total_seconds()
    if isinstance(v, (date, datetime)):
        return v.toordinal()
    return v


def _measurable(e) -> bool:
    if isinstance(e, (A.Name, A.Duration, A.Money, A.Number)):
        return True
    return isinstance(e, A.Binary) and e.op in ("+", "-") and _measurable(e.left) and _measurable(e.right)


def _value(e, env: dict):
    """The key's value for one decision: a name, or `+`/`-` over names and literals."""
    if isinstance(e, A.Name):
        return env.get(e.name)
    if isinstance(e, (A.Duration, A.Money, A.Number)):
        return e.value
    if isinstance(e, A.Binary) and e.op in ("+", "-"):
        left, right = _value(e.left, env), _value(e.right, env)
        if left is None or right is None:
            return None
        try:
            return left + right if e.op == "+" else left - right
        except TypeError:
            return None
    return None


def _words(e) -> str:
    if isinstance(e, A.Name):
        return e.name
    if isinstance(e, A.Binary):
        return f"{_words(e.left)} {e.op} {_words(e.right)}"
    if isinstance(e, (A.Money, A.Percent, A.Duration, A.Number)):
        return show_value(e.value)
    if isinstance(e, A.Call):
        return f"{e.func}({', '.join(_words(a) for a in e.args)})"
    if isinstance(e, A.Count):
        return f"count {e.source.name}" + (" where …" if e.where is not None else "")
    return type(e).__name__.lower()


def show(v) -> str:
    return show_value(v)


def exercise(an: Analysis, module, examples: list[dict]) -> Exercise:
    """Run the examples and record the rules they reach, checks they fail and boundaries they touch."""
    ex = Exercise(an.policy.id, {r: 0 for r in an.rule_ids}, {c.id: (0, 0) for c in an.policy.checks})
    bounds = find_boundaries(an)
    seen: dict[int, list[bool]] = {i: [False, False] for i in range(len(bounds))}
    spec = getattr(module, "_SPEC", None)
    for example in examples:
        if "invalid" in example:
            continue
        try:
            decision = module.evaluate(example.get("input", {}))
        except Exception:  # noqa: BLE001 - a failing example is reported by `policyc test`, not here
            continue
        ex.rules[decision.rule] = ex.rules.get(decision.rule, 0) + 1
        env = dict(zip(spec.names, decision._env)) if spec is not None else {}
        failed = set(env.get("failed_check_ids", ()))
        for c in ex.checks:
            ok, bad = ex.checks[c]
            ex.checks[c] = (ok, bad + 1) if c in failed else (ok + 1, bad)
        for i, b in enumerate(bounds):
            value = _value(b.key_expr, env)
            if value is None:
                continue
            side = _side(b, value)
            if side is not None:
                seen[i][side] = True
    # Edges whose key is not a name or plain arithmetic (a count, a call) cannot be measured from
    # a decision; they are listed by `policyc boundaries` but not scored here.
    ex.boundaries = [(b, seen[i][0], seen[i][1]) for i, b in enumerate(bounds) if _measurable(b.key_expr)]
    return ex


# How near a boundary an example must fall to exercise one side of it.
_NEAR = {timedelta: timedelta(minutes=1), Decimal: Decimal(1)}


def _side(b: Boundary, value) -> int | None:
    """0 if value exercises the side below the boundary, 1 above, None if it is not near."""
    at = b.at
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if isinstance(value, datetime) or isinstance(at, datetime):
        return None  # datetime keys are compared against literals only in rules; rare in tables
    try:
        if value == at:
            return 0 if b.below == at else 1
        near = _NEAR.get(type(at))
        if near is None:
            return None
        if at - near <= value < at:
            return 0
        if at < value <= at + near:
            return 1
    except TypeError:
        return None
    return None
