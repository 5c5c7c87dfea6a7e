"""Typed, frozen syntax tree of a policy file; every node carries its source span."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Union


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file, 1-based lines and columns, end exclusive."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int


# ---------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A declared type: a base name (`money`, `datetime`, an enum or record name),
    optionally a `list of` it (with a size bound), optionally `optional`; `max N` bounds a
    list's items or a text's characters, `min N` / `max N` a number's value."""

    name: str
    is_list: bool
    optional: bool
    max_items: int | None
    max_length: int | None
    span: Span
    min_value: int | None = None  # `int min 0`: bounds on a number's value
    max_value: int | None = None


# ---------------------------------------------------------------- literals


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in won, as written (`8,000원`, `8000 won`)."""

    value: Decimal
    span: Span


@dataclass(frozen=True, slots=True)
class Percent:
    """A percentage as written (`10%`): `value` is 10, not 0.1."""

    value: Decimal
    span: Span


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time (`24h`, `10min`, `7d`, `1h30min`)."""

    value: timedelta
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Number:
    """A plain number: a count (`5`) or a factor (`0.5`)."""

    value: Decimal
    span: Span


@dataclass(frozen=True, slots=True)
class DateLit:
    """A calendar date (`2025-05-15`)."""

    value: date
    span: Span


@dataclass(frozen=True, slots=True)
class DateTimeLit:
    """A local date and time (`2025-05-15T14:00`), in the policy's zone."""

    value: datetime
    span: Span


@dataclass(frozen=True, slots=True)
class Bool:
    """`true` or `false`."""

    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Text:
    """A quoted string used as a value (not a label)."""

    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Infinity:
    """An unbounded end of an interval (`∞`, `-∞`, `inf`)."""

    negative: bool
    span: Span


Literal = Union[Money, Percent, Duration, Number, DateLit, DateTimeLit, Bool, Text]

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Name:
    """A reference to an input, derived value, output, record field or enum value."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Field:
    """`base.field` on a record value."""

    base: "Expr"
    field: str
    span: Span


@dataclass(frozen=True, slots=True)
class Unary:
    """`-x` or `not x`."""

    op: str
    operand: "Expr"
    span: Span


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic (`+ - * /`), comparison (`= != < <= > >=`) or logic (`and or`)."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True, slots=True)
class PercentOf:
    """`P of amount`: the percentage P of a money amount, fractions of a won dropped."""

    percent: "Expr"
    amount: "Expr"
    span: Span


@dataclass(frozen=True, slots=True)
class Bounded:
    """`x at most cap`, `x at least floor` (or both): a cap and/or a floor."""

    value: "Expr"
    at_most: "Expr | None"
    at_least: "Expr | None"
    span: Span


@dataclass(frozen=True, slots=True)
class Presence:
    """`x is given` (present=True) or `x is missing` (present=False)."""

    operand: "Expr"
    present: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open or closed interval with explicit ends: `[9h, 24h)`, `(-∞, 1h]`."""

    low: "Literal | Infinity"
    low_closed: bool
    high: "Literal | Infinity"
    high_closed: bool
    span: Span


@dataclass(frozen=True, slots=True)
class InInterval:
    """`x in [a, b)`."""

    operand: "Expr"
    interval: Interval
    span: Span


@dataclass(frozen=True, slots=True)
class InPeriod:
    """`x in day of y` / `x in month of y`: same calendar day or month, policy zone."""

    operand: "Expr"
    period: str  # "day" | "month"
    anchor: "Expr"
    span: Span


@dataclass(frozen=True, slots=True)
class InSet:
    """`x in {a, b}`: membership in a set of enum values or literals."""

    operand: "Expr"
    members: tuple["Expr", ...]
    span: Span


@dataclass(frozen=True, slots=True)
class LastDayOfMonth:
    """`last day of month of x`: the date of the month's last day, policy zone."""

    operand: "Expr"
    span: Span


@dataclass(frozen=True, slots=True)
class Count:
    """`count items where cond`: how many records of a list satisfy cond."""

    source: Name
    where: "Expr | None"
    span: Span


@dataclass(frozen=True, slots=True)
class Collect:
    """`list field of items where cond`: one field of each record satisfying cond."""

    field: str
    source: Name
    where: "Expr | None"
    span: Span


@dataclass(frozen=True, slots=True)
class Sum:
    """`sum field of items where cond`: the total of one field over the records satisfying cond.

    `sum (expr) of items …` totals an expression of each record's fields instead: `value` holds
    it and `field` is empty.
    """

    field: str
    source: Name
    where: "Expr | None"
    span: Span
    value: "Expr | None" = None


@dataclass(frozen=True, slots=True)
class Call:
    """A built-in function call: `min(a, b)`, `max(a, b)`, `length(x)`, `year(x)`,
    `aligned(x, step)`, `add_business_days(x, n)`."""

    func: str
    args: tuple["Expr", ...]
    span: Span


Expr = Union[
    Money, Percent, Duration, Number, DateLit, DateTimeLit, Bool, Text,
    Name, Field, Unary, Binary, PercentOf, Bounded, Presence, InInterval,
    InPeriod, InSet, LastDayOfMonth, Count, Collect, Sum, Call,
]

# ---------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Label:
    """Korean text shown to counselors; may hold `{name}` placeholders.

    `columns[i]` is the source column of the character that wrote `text[i]` (an escape such as
    `\\u{41}` writes one character from several), and `columns[len(text)]` that of the closing
    quote: a diagnostic about part of the text points where the policy owner wrote it.
    """

    text: str
    span: Span
    columns: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def span_of(self, start: int, end: int) -> Span:
        """The source span of `text[start:end]`."""
        cols = self.columns
        if len(cols) != len(self.text) + 1:  # built without columns: assume no escapes
            cols = tuple(range(self.span.col + 1, self.span.col + 2 + len(self.text)))
        start = max(0, min(start, len(self.text)))
        end = max(start, min(end, len(self.text)))
        first = cols[start]
        last = cols[end] if end > start else first + 1
        return Span(self.span.path, self.span.line, first, self.span.line, max(last, first + 1))


@dataclass(frozen=True, slots=True)
class EnumValue:
    name: str
    label: Label
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class EnumDecl:
    """A closed set of values, each with its Korean label."""

    name: str
    label: Label
    values: tuple[EnumValue, ...]
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class RecordField:
    name: str
    type: TypeRef
    label: Label
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class RecordDecl:
    """The shape of one element of a list input (a penalty, a reservation)."""

    name: str
    label: Label
    fields: tuple[RecordField, ...]
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class InputDecl:
    """An evaluator input: typed, labelled, optionally defaulted."""

    name: str
    type: TypeRef
    default: "Expr | None"
    label: Label
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class OutputDecl:
    """A decision output: set by rules, or computed by `= expr` after the rules."""

    name: str
    type: TypeRef
    formula: "Expr | None"
    label: Label
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class LetDecl:
    """A derived value computed from inputs before the rules run."""

    name: str
    formula: "Expr"
    label: Label
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class Assignment:
    """`output = expr` inside a rule or table row."""

    target: str
    value: "Expr"
    span: Span


@dataclass(frozen=True, slots=True)
class Rule:
    """An ordered rule: the first rule whose condition holds decides.
    `condition` None means `otherwise` (always holds)."""

    id: str
    says: Label
    condition: "Expr | None"
    assignments: tuple[Assignment, ...]
    note: Label | None
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of a window table: an interval of the key (or, when the key is an enum, the
    value the row is named after: `interval` None) and what it sets."""

    id: str
    interval: Interval | None
    assignments: tuple[Assignment, ...]
    says: Label
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class WindowTable:
    """Rows over disjoint intervals of one key that together cover every value; or, for an
    enum key, one row per value."""

    id: str
    key: "Expr"
    title: Label
    rows: tuple[TableRow, ...]
    note: Label | None
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class GridHead:
    """A row or column heading of a grid: an enum value, or a named interval."""

    name: str
    interval: Interval | None
    span: Span


@dataclass(frozen=True, slots=True)
class GridRow:
    head: GridHead
    cells: tuple["Literal", ...]
    span: Span


@dataclass(frozen=True, slots=True)
class GridTable:
    """A two-dimensional table: row key × column key → one output's value."""

    id: str
    target: str
    row_key: "Expr"
    col_key: "Expr"
    says: Label
    columns: tuple[GridHead, ...]
    rows: tuple[GridRow, ...]
    note: Label | None
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


@dataclass(frozen=True, slots=True)
class Check:
    """A condition the input must meet. Every check is evaluated; the messages of those that
    fail are collected. A `review` check sends the case to a person ("확인 후 가능") instead
    of refusing it."""

    id: str
    message: Label
    review: bool
    condition: "Expr"
    note: Label | None
    span: Span
    name_span: Span | None = None  # the name (or id) alone: where a duplicate points


Decider = Union[Rule, WindowTable, GridTable]


@dataclass(frozen=True, slots=True)
class Source:
    """The article and section a policy implements."""

    file: str
    section: str
    span: Span


@dataclass(frozen=True, slots=True)
class Policy:
    """One policy file."""

    id: str  # "<domain>.<name>"
    title: Label
    sources: tuple[Source, ...]
    effective: DateLit | None
    zone: str
    question: Label | None
    summary: Label | None
    notes: tuple[Label, ...]
    enums: tuple[EnumDecl, ...]
    records: tuple[RecordDecl, ...]
    inputs: tuple[InputDecl, ...]
    outputs: tuple[OutputDecl, ...]
    lets: tuple[LetDecl, ...]
    checks: tuple[Check, ...]
    deciders: tuple[Decider, ...]
    path: str
    span: Span
    id_span: Span | None = None
    zone_span: Span | None = None

    @property
    def domain(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[1]
