"""Runtime shared by generated evaluators: input readers, calendar helpers, Decision, formatting.

This file is copied verbatim into generated/_runtime.py by the compiler. It imports only the
standard library, so services need nothing but the generated package.
"""

from __future__ import annotations

# `_collections_abc` is what `collections.abc` re-exports; importing it directly spares an
# interpreter that has not loaded `collections` yet a millisecond of start-up.
from _collections_abc import Mapping
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# `fractions` and `typing` cost milliseconds to import and most policies never need them:
# Fraction is imported where a value calls for it, Any only for checkers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction
    from typing import Any

__all__ = ["InvalidInput", "Decision", "Mapping", "zone"]


class InvalidInput(ValueError):
    """The input does not fit the policy; `.errors` lists every bad field by JSON pointer."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        first = errors[0] if errors else {"path": "", "message": "invalid input"}
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first['path'] or '/'}: {first['message']}{more}")


class Decision:
    """The outcome of one evaluation. The explanation and the trace are built on first use."""

    # The explanation and trace slots stay unset until first read: setting them to None on
    # every decision is a measurable share of an evaluation that never reads them.
    __slots__ = ("outputs", "rule", "_spec", "_env", "_step", "_explanation", "_trace")

    def __init__(self, spec: "Spec", outputs: dict[str, Any], rule: str, step: int, env: tuple):
        self.outputs = outputs
        self.rule = rule
        self._spec = spec
        self._step = step
        self._env = env

    @property
    def policy(self) -> str:
        """The id of the policy that decided."""
        return self._spec.policy

    @property
    def explanation(self) -> str:
        """The counselor sentence of the deciding rule, with the actual numbers filled in."""
        try:
            return self._explanation
        except AttributeError:
            self._explanation = text = self._spec.explain(self.rule, self._env)
            return text

    @property
    def trace(self) -> list[dict[str, Any]]:
        """What was checked, in order: each rule tried, and whether it applied."""
        try:
            return self._trace
        except AttributeError:
            self._trace = steps = self._spec.trace(self._step, self.rule, self._env)
            return steps

    def to_dict(self) -> dict[str, Any]:
        trace = getattr(self, "_trace", None)
        return {
            "policy": self.policy,
            "outputs": dict(self.outputs),
            "rule": self.rule,
            "explanation": self.explanation,
            # A trace built here is the caller's own; the cached one is copied.
            "trace": self._spec.trace(self._step, self.rule, self._env) if trace is None else [dict(t) for t in trace],
        }

    def to_json(self) -> str:
        """to_dict() as JSON text, exactly as `json.dumps(d.to_dict(), ensure_ascii=False)` writes it.

        Built from pieces written once per policy (the rule ids, the trace's rules that did not
        apply): a batch writes one per line, and this is three times faster.
        """
        return self._spec.to_json(self)

    def __repr__(self) -> str:
        return f"Decision(policy={self.policy!r}, rule={self.rule!r}, outputs={self.outputs!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


class Spec:
    """Per-policy tables a Decision needs to explain itself: sentences, steps, env names."""

    __slots__ = ("policy", "names", "kinds", "says", "steps", "labels", "zone", "checks", "_slot", "_tried", "_keys",
                 "_formats", "_parts", "_json")

    def __init__(self, policy: str, names: tuple[str, ...], kinds: tuple[str, ...],
                 says: dict[str, str], steps: tuple[tuple[str, tuple[str, ...]], ...],
                 labels: dict[str, dict[str, str]], zone: ZoneInfo, checks: tuple[str, ...] = ()):
        self.policy = policy
        self.names = names  # env slot -> name
        self.kinds = kinds  # env slot -> formatting kind ("money", "enum:<name>", ...)
        self.says = says  # rule id -> its sentence, `{name}` standing for a value (the policy's own text)
        self.steps = steps  # (step id, names of the table's keys) in decision order
        self.labels = labels  # enum name -> value -> Korean label
        self.zone = zone
        self.checks = checks  # check ids in order; env slot `failed_check_ids` holds the failures
        # Worked out once so that explaining a decision is lookups, not searches.
        self._slot: dict[str, int] = {}
        for i, name in enumerate(names):
            self._slot.setdefault(name, i)
        self._tried = tuple(tuple(sid for sid, _ in steps[:i]) for i in range(len(steps)))  # ids before step i
        self._keys = tuple(tuple((k, self._slot[k]) for k in keys) for _, keys in steps)
        self._formats: tuple | None = None  # env slot -> formatter, made on the first explanation
        self._parts: dict[str, tuple] = {}  # rule id -> says as parts (text, or env slot), made on first use
        self._json: _JsonPieces | None = None  # made on the first to_json()

    def formats(self) -> tuple:
        """The formatter of each env slot (see formatter())."""
        if self._formats is None:
            self._formats = tuple(formatter(kind, self.labels, self.zone) for kind in self.kinds)
        return self._formats

    def explain(self, rule: str, env: tuple) -> str:
        fmt = self._formats or self.formats()
        parts = self._parts.get(rule)
        if parts is None:
            parts = self._parts[rule] = template_parts(self.says[rule], self._slot)
        return "".join([part if type(part) is str else fmt[part](env[part]) for part in parts])

    def fill(self, text: str, values: dict[str, Any]) -> str:
        """A sentence with each `{name}` replaced by values[name], formatted as that name's slot is."""
        fmt, names = self._formats or self.formats(), self.names
        return "".join([part if type(part) is str else fmt[part](values[names[part]])
                        for part in template_parts(text, self._slot)])

    def to_json(self, d: Decision) -> str:
        """Decision.to_json(): the text of trace() and to_dict(), from pieces written once."""
        if self._json is None:
            self._json = _JsonPieces(self)
        j = self._json
        encode, text = j.encode, j.text
        rule, env, step = d.rule, d._env, d._step
        trace = [j.check_passes[c] if passes else j.check_fails[c] for c, passes in self.check_results(env)]
        if self._tried[step]:
            trace.append(j.tried[step])
        values = self.values(step, env)
        trace.append('{"rule": ' + text(rule) + ', "applies": true'
                     + (', "values": ' + encode(values) if values is not None else "") + "}")
        return "".join([j.head, encode(d.outputs), ', "rule": ', text(rule), ', "explanation": ', text(d.explanation),
                        ', "trace": [', ", ".join(trace), "]}"])

    def trace(self, step: int, rule: str, env: tuple) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{"check": c, "passes": passes} for c, passes in self.check_results(env)]
        out += [{"rule": sid, "applies": False} for sid in self._tried[step]]
        entry: dict[str, Any] = {"rule": rule, "applies": True}
        values = self.values(step, env)
        if values is not None:
            entry["values"] = values
        out.append(entry)
        return out

    def check_results(self, env: tuple) -> list[tuple[str, bool]]:
        """Each check id in order, and whether it passed."""
        if not self.checks:
            return []
        failed = set(env[self._slot["failed_check_ids"]])
        return [(c, c not in failed) for c in self.checks]

    def values(self, step: int, env: tuple) -> dict[str, str] | None:
        """The deciding table's keys, formatted, for the trace; None for a rule."""
        keys = self._keys[step]
        if not keys:
            return None
        fmt = self._formats or self.formats()
        return {k: fmt[i](env[i]) for k, i in keys}


def template_parts(text: str, slot: dict[str, int]) -> tuple:
    """A sentence as parts: its text, and for each `{name}` the slot of that name.

    A placeholder is a `{` and the nearest `}` after it with no brace between them (as
    compiler.check.PLACEHOLDER reads it); any other brace is text.
    """
    parts: list = []
    pos, end = 0, len(text)
    i = text.find("{")
    while i != -1:
        j = i + 1
        while j < end and text[j] not in "{}":
            j += 1
        if j == end:
            break
        if text[j] == "{":  # a brace with no `}` before the next `{`: text
            i = j
            continue
        if i > pos:
            parts.append(text[pos:i])
        parts.append(slot[text[i + 1:j].strip()])
        pos = j + 1
        i = text.find("{", pos)
    if pos < end:
        parts.append(text[pos:])
    return tuple(parts)


class _JsonPieces:
    """The JSON text of a policy's decisions that does not depend on the input, written once."""

    def __init__(self, spec: Spec):
        import json
        from json.encoder import c_make_encoder, encode_basestring

        if c_make_encoder is not None:
            # JSONEncoder.encode makes a C encoder per call; this one is reused. No circular
            # check: what it encodes is made of fresh dicts, lists and strings.
            chunks = c_make_encoder(None, json.JSONEncoder().default, encode_basestring, None, ": ", ", ",
                                    False, False, True)
            self.encode = lambda value: "".join(chunks(value, 0))
        else:  # pragma: no cover - CPython has the C encoder
            self.encode = json.JSONEncoder(ensure_ascii=False).encode
        self.text = encode_basestring
        self.head = '{"policy": ' + encode_basestring(spec.policy) + ', "outputs": '
        self.check_passes = {c: '{"check": ' + encode_basestring(c) + ', "passes": true}' for c in spec.checks}
        self.check_fails = {c: '{"check": ' + encode_basestring(c) + ', "passes": false}' for c in spec.checks}
        self.tried = tuple(", ".join('{"rule": ' + encode_basestring(sid) + ', "applies": false}' for sid in tried)
                           for tried in spec._tried)


# ---------------------------------------------------------------- zones and calendars

UTC = timezone.utc
_ZONES: dict[str, ZoneInfo] = {}


def zone(name: str) -> ZoneInfo:
    z = _ZONES.get(name)
    if z is None:
        z = _ZONES[name] = ZoneInfo(name)
    return z


def local_date(value: datetime | date, tz: ZoneInfo) -> date:
    if isinstance(value, datetime):
        # UTC (a `Z` input, or a naive one read as an instant) goes straight to the conversion.
        if value.tzinfo is not UTC and value.utcoffset() == tz.utcoffset(value):
            # Already on the zone's clock (the usual `+09:00` input): its own date is the local one.
            # INVARIANT: exact unless the time written is one the zone skipped (a gap), written
            # with the offset before the gap, and the gap crosses midnight (Pacific/Apia on
            # 2011-12-30); no gap of Asia/Seoul does.
            return value.date()
        return value.astimezone(tz).date()
    return value


def month_of(value: datetime | date, tz: ZoneInfo) -> int:
    """The calendar month of value in the zone, as one number (year * 12 + month) to compare."""
    d = local_date(value, tz)
    return d.year * 12 + d.month


def last_day_of_month(value: datetime | date, tz: ZoneInfo) -> date:
    d = local_date(value, tz)
    if d.month == 12:
        return date(d.year, 12, 31)
    return date(d.year, d.month + 1, 1) - timedelta(days=1)


# ---------------------------------------------------------------- arithmetic


def local_year(value: datetime | date, tz: ZoneInfo) -> int:
    return local_date(value, tz).year


def aligned(value: datetime | timedelta, step: timedelta, tz: ZoneInfo) -> bool:
    """Whether a duration is a whole multiple of step, or a local clock time falls on step's grid."""
    if isinstance(value, datetime):
        local = value.astimezone(tz)
        value = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    return value % step == timedelta(0)


def add_business_days(value: datetime | date, days: int, holidays: frozenset, years: tuple[int, int],
                      tz: ZoneInfo, path: str = "") -> date:
    """The date `days` business days after value's date (weekends and public holidays skipped).

    An input read directly is dated so that the count stays in the table (compiler/input_ranges.py);
    otherwise InvalidInput names `path`, the input the date comes from.
    """
    d = local_date(value, tz)
    step = 1 if days >= 0 else -1
    left = abs(days)
    while left:
        d += timedelta(days=step)
        if d.year < years[0] or d.year > years[1]:
            raise InvalidInput([{"path": path, "message": _off_calendar(d, years)}])
        if d.weekday() < 5 and d not in holidays:
            left -= 1
    return d


def _off_calendar(d: date, years: tuple[int, int]) -> str:
    return f"the business-day calendar covers the years {years[0]} to {years[1]}; {d.isoformat()} is outside it"


def clock(value: datetime, tz: ZoneInfo) -> timedelta:
    """The local time of day as the time since local midnight (`clock(x) in [9h, 18h)`)."""
    local = value.astimezone(tz)
    return timedelta(hours=local.hour, minutes=local.minute, seconds=local.second, microseconds=local.microsecond)


def is_business_day(value: datetime | date, holidays: frozenset, years: tuple[int, int], tz: ZoneInfo,
                    path: str = "") -> bool:
    d = local_date(value, tz)
    if d.year < years[0] or d.year > years[1]:
        raise InvalidInput([{"path": path, "message": _off_calendar(d, years)}])
    return d.weekday() < 5 and d not in holidays


def years_between(start: datetime | date, end: datetime | date, tz: ZoneInfo) -> int:
    """Whole years from start to end (만 나이): the anniversary must have been reached."""
    a, b = local_date(start, tz), local_date(end, tz)
    years = b.year - a.year
    if (b.month, b.day) < (a.month, a.day):
        years -= 1
    return years


def fill(parts: tuple, values: tuple, kinds: tuple, labels: dict[str, dict[str, str]], tz: ZoneInfo) -> str:
    """Render a sentence whose int parts index into values."""
    return "".join(p if isinstance(p, str) else show(kinds[p], values[p], labels, tz) for p in parts)


# Numbers are exact (docs/LANGUAGE.md, "Numbers"): whole values are ints, every other number or
# percent a Fraction (never a float, never a Decimal, whose arithmetic rounds to 28 digits);
# durations are whole microseconds. Rounding happens only where the functions below say so.


def percent_of(percent: int | Fraction, amount: int) -> int:
    """`percent`% of a whole-won amount, fractions of a won dropped (rounded down, toward −∞)."""
    return amount * percent // 100  # an int, or a Fraction floor-divided: an exact int either way


def money_times(amount: int | Fraction, factor: int | Fraction) -> int:
    """An amount (or a rate such as 18.5원) times a factor, fractions of a won dropped (toward −∞)."""
    return amount * factor // 1


def micros(value: timedelta) -> int:
    """A duration as a whole number of microseconds (exact: timedelta holds nothing finer)."""
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


def money_div(amount: int, divisor: int, paths: tuple = ()) -> int:
    """An amount divided by a whole number, fractions of a won dropped (toward −∞)."""
    if divisor == 0:
        raise zero_divisor(paths)
    return amount // divisor


def number_div(a, b, paths: tuple = ()):
    """The exact ratio a / b of two numbers or of two durations: an int or a Fraction."""
    from fractions import Fraction

    if isinstance(a, timedelta):
        a, b = micros(a), micros(b)
    if b == 0:
        raise zero_divisor(paths)
    q = Fraction(a) / b
    return q.numerator if q.denominator == 1 else q


def zero_divisor(paths: tuple) -> InvalidInput:
    """The refusal of a division whose divisor, worked out from the inputs at paths, is zero."""
    return InvalidInput([{"path": p, "message": "this value makes a divisor zero, and a division by zero has no answer"}
                         for p in paths or ("",)])


def out_of_range(paths: tuple) -> InvalidInput:
    """The refusal of an input that takes a computed date, time or duration out of range."""
    return InvalidInput([{"path": p, "message": "this value takes a date, time or duration worked out from it "
                                               "out of the range the policy can compute"} for p in paths or ("",)])


def result_out_of_range(name: str, value, low: int, high: int, paths: tuple) -> InvalidInput:
    """The refusal of inputs from which an output (an amount or a count) falls outside [low, high]."""
    shown = f"{value:,}" if type(value) is int else str(value)
    message = f"with this value `{name}` would be {shown}, outside {low:,} to {high:,}; the policy cannot decide it"
    return InvalidInput([{"path": p, "message": message} for p in paths or ("",)])


def aligned_step(step: timedelta, paths: tuple) -> timedelta:
    """The step of `aligned`, refused unless it is longer than zero."""
    if step <= timedelta(0):
        raise InvalidInput([{"path": p, "message": "this value makes the step of `aligned` zero or below; "
                                                   "a step must be longer than zero"} for p in paths or ("",)])
    return step


# ---------------------------------------------------------------- input readers

# `[0-9]`, not `\d` (which matches any Unicode digit, and int() and Decimal() read them), and
# `\Z`, not `$` (which also matches before a final newline). compiler/emit_schema.py writes the
# same shapes and bounds into the JSON Schema; keep the two in step.
# The offset's minutes are checked here: datetime.fromisoformat reads "+09:60" as +10:00.
class _Pattern:
    """A regular expression compiled on first use.

    Only inputs off the evaluators' inline fast paths need one, and `re` costs milliseconds to
    import in an interpreter that has not loaded it yet.
    """

    __slots__ = ("source", "_rx")

    def __init__(self, source: str):
        self.source = source
        self._rx = None

    def match(self, text: str):
        rx = self._rx
        if rx is None:
            import re

            rx = self._rx = re.compile(self.source)
        return rx.match(text)


_DATETIME_RE = _Pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                        r"(Z|[+-][0-9]{2}:[0-5][0-9])?\Z")
_DATE_RE = _Pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DURATION_RE = _Pattern(r"^(-)?P(?:([0-9]{1,5})D)?(?:T(?:([0-9]{1,6})H)?(?:([0-9]{1,7})M)?(?:([0-9]{1,9})S)?)?\Z")
_NUMBER_RE = _Pattern(r"^-?[0-9]{1,15}(\.[0-9]{1,10})?\Z")
_MISSING = object()

MAX_TEXT = 10_000
# Bounds that keep every computation in range: whole numbers are JSON-safe (|n| < 2**53); dates and
# times lie in these years (as written), so that adding a duration (at most about 440 years, see
# _DURATION_RE) or moving to another zone never leaves the years 1..9999 Python can represent.
MAX_INT = 2**53 - 1
YEARS = (1900, 2999)
MAX_DURATION = timedelta(days=99_999, hours=999_999, minutes=9_999_999, seconds=999_999_999)


def unknown_fields(raw: Mapping, fields: frozenset, base: str, errors: list) -> None:
    for key in raw:
        if key not in fields:
            shown = key if isinstance(key, str) else repr(key)
            errors.append({"path": f"{base}/{_escape(shown)}",
                           "message": "unknown field; this policy does not take it"})


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _missing(path: str, errors: list) -> None:
    errors.append({"path": path, "message": "required field is missing"})


def read_money(value: Any, path: str, errors: list) -> Any:
    if type(value) is int and 0 <= value <= MAX_INT:
        return value
    if type(value) is float and value.is_integer() and 0 <= value <= MAX_INT:
        return int(value)  # JSON `50000.0` is a whole number, as JSON Schema's "integer" agrees
    errors.append({"path": path, "message": f"expected an amount in whole won: an integer from 0 to {MAX_INT}"})
    return None


def read_int(value: Any, path: str, errors: list) -> Any:
    if type(value) is int and -MAX_INT <= value <= MAX_INT:
        return value
    if type(value) is float and value.is_integer() and abs(value) <= MAX_INT:
        return int(value)
    errors.append({"path": path, "message": f"expected a whole number from {-MAX_INT} to {MAX_INT}"})
    return None


def read_number(value: Any, path: str, errors: list) -> Any:
    if type(value) is int and -MAX_INT <= value <= MAX_INT:
        return value
    if type(value) is float and value.is_integer() and abs(value) <= MAX_INT:
        return int(value)  # JSON Schema's "integer" takes `2.0`
    if isinstance(value, str) and _NUMBER_RE.match(value):
        from fractions import Fraction

        if "." not in value:
            return int(value)
        return Fraction(value)  # exact: "0.1" is 1/10 (a float would not be)
    errors.append({"path": path, "message": f"expected a number: an integer from {-MAX_INT} to {MAX_INT}, or a decimal "
                                            "written as a string like \"12.5\" (at most 15 digits before the point and "
                                            "10 after)"})
    return None


def read_bool(value: Any, path: str, errors: list) -> Any:
    if value is True or value is False:
        return value
    errors.append({"path": path, "message": "expected true or false"})
    return None


def read_text(value: Any, path: str, errors: list, max_length: int | None = None) -> Any:
    if isinstance(value, str):
        limit = max_length if max_length is not None else MAX_TEXT
        if len(value) > limit:
            errors.append({"path": path, "message": f"expected at most {limit} characters, got {len(value)}"})
            return None
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: JSON's `\udfff` decodes to one, UTF-8 has none
                errors.append({"path": path, "message": "expected text in Unicode: "
                                                        "a lone surrogate (like `\\udfff`) is not a character"})
                return None
        return value
    errors.append({"path": path, "message": "expected a text (a JSON string)"})
    return None


def read_enum(value: Any, path: str, errors: list, values: frozenset, shown: str) -> Any:
    if isinstance(value, str) and value in values:
        return value
    errors.append({"path": path, "message": f"expected one of {shown}"})
    return None


# datetime_reader() parses the shapes services send most without a regular expression: a
# 25-character string with an offset has these separators.
_FAST_SHAPES = frozenset(["--T::+:", "--T::-:"])
_fromisoformat = datetime.fromisoformat  # bound once: the attribute lookup costs as much as the checks


# The dates an input may be written with, as ISO text (compared as text): the years YEARS unless
# the policy narrows an input's range (compiler/input_ranges.py; the schema's pattern says the same).
DATES = (f"{YEARS[0]:04}-01-01", f"{YEARS[1]:04}-12-31")


def _dated(dates: tuple[str, str]) -> str:
    if dates == DATES:
        return f"in the years {YEARS[0]} to {YEARS[1]}"
    return f"dated {dates[0]} to {dates[1]}"


def read_datetime(value: Any, path: str, errors: list, tz: ZoneInfo, dates: tuple[str, str] = DATES) -> Any:
    """An ISO 8601 date and time (or a datetime) written on a day in `dates`, as an instant."""
    if isinstance(value, str):
        if _DATETIME_RE.match(value) and dates[0] <= value[:10] <= dates[1]:
            try:
                dt = _fromisoformat(value)
            except ValueError:
                dt = None
            if dt is not None:
                return dt if dt.tzinfo is not None else instant(dt, tz)
    elif isinstance(value, datetime) and dates[0] <= value.date().isoformat() <= dates[1]:
        # A tzinfo that gives no offset leaves the time naive: it is in the policy's zone. An
        # aware one is moved to UTC: two datetimes that share a zone's tzinfo would subtract
        # as wall clocks.
        return value.astimezone(UTC) if value.utcoffset() is not None else instant(value, tz)
    errors.append({"path": path, "message": "expected a date and time in ISO 8601, like \"2025-06-01T14:00:00+09:00\", "
                                            + _dated(dates)})
    return None


def datetime_reader(tz: ZoneInfo, dates: tuple[str, str] = DATES):
    """The reader of a datetime input of a policy in zone `tz`, made once per module.

    `read(value, path, errors)` returns the instant, or None after appending an error, exactly
    as read_datetime(value, path, errors, tz, dates) does. The three shapes services send are
    parsed without a regular expression: `2025-06-01T14:00:00+09:00` (25 characters), `…Z` (20)
    and naive `2025-06-01T14:00:00` (19, a wall-clock time in the zone). For strings of those
    lengths whose separators stand every third character from index 4, datetime.fromisoformat
    succeeds exactly when _DATETIME_RE matches and it succeeds: it checks that every other
    character is an ASCII digit. `first <= value < after` bounds the day as written (text
    compares as dates do); `value[23] < "6"` the offset's minutes (fromisoformat reads "+09:60"
    as +10:00). A naive time becomes the UTC instant it names in the zone (the earlier one of
    a repeated hour), so that it subtracts exactly, and cheaply, from other instants. Anything
    else goes to read_datetime.
    """
    first = dates[0]
    after = (date.fromisoformat(dates[1]) + timedelta(days=1)).isoformat()
    parse, offset, shapes = _fromisoformat, tz.utcoffset, _FAST_SHAPES

    def read(value: Any, path: str, errors: list) -> Any:
        if type(value) is str and first <= value < after:
            n = len(value)
            try:
                if n == 25:
                    if value[4::3] in shapes and value[23] < "6":
                        return parse(value)
                elif n == 20:
                    if value[4::3] == "--T::Z":
                        return parse(value)
                elif n == 19 and value[4::3] == "--T::":
                    wall = parse(value + "Z")
                    return wall - offset(wall)
            except ValueError:
                pass
        return read_datetime(value, path, errors, tz, dates)

    return read


def instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant a wall-clock time in `tz` names, as a UTC datetime.

    Of a repeated hour, `fold` picks the side (0, the default, is the earlier); a time in a gap
    is read with the offset before it, as datetime does. In UTC the instant subtracts exactly
    from any other: a datetime carrying the zone itself would subtract wall-clock times.
    """
    return wall.replace(tzinfo=UTC, fold=0) - tz.utcoffset(wall)


def read_date(value: Any, path: str, errors: list, dates: tuple[str, str] = DATES) -> Any:
    """An ISO date (or a date) from dates[0] to dates[1]."""
    if isinstance(value, str) and _DATE_RE.match(value) and dates[0] <= value <= dates[1]:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    elif isinstance(value, date) and not isinstance(value, datetime) and dates[0] <= value.isoformat() <= dates[1]:
        return value
    errors.append({"path": path, "message": "expected a date like \"2025-06-01\", " + _dated(dates)})
    return None


def read_duration(value: Any, path: str, errors: list) -> Any:
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if m and value not in ("P", "-P") and not value.endswith("T"):
            sign, d, h, mi, s = m.groups()
            td = timedelta(days=int(d or 0), hours=int(h or 0), minutes=int(mi or 0), seconds=int(s or 0))
            return -td if sign else td
    elif isinstance(value, timedelta) and -MAX_DURATION <= value <= MAX_DURATION:
        return value
    errors.append({"path": path, "message": "expected a duration in ISO 8601, like \"PT1H30M\" "
                                            "(at most 5 digits of days, 6 of hours, 7 of minutes, 9 of seconds)"})
    return None


def read_list(value: Any, path: str, errors: list, max_items: int) -> Any:
    if isinstance(value, (list, tuple)):
        if len(value) > max_items:
            errors.append({"path": path, "message": f"expected at most {max_items} items, got {len(value)}"})
            return None
        return value
    errors.append({"path": path, "message": "expected a list (a JSON array)"})
    return None


def read_record(value: Any, path: str, errors: list) -> Any:
    if isinstance(value, Mapping):
        return value
    errors.append({"path": path, "message": "expected an object"})
    return None


# ---------------------------------------------------------------- output values


def json_datetime(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat()


NUMBER_PLACES = 10  # digits after the point of a number output (docs/LANGUAGE.md, "Numbers")


def json_percent(value: int | Fraction) -> int | str:
    """A number or percent output as JSON: an int when whole, else its decimal text, exact, or
    rounded down (toward −∞) to NUMBER_PLACES digits after the point where it has more."""
    if type(value) is int:
        return value
    num, den = value.as_integer_ratio()  # a Fraction's (a Decimal literal's too): exact
    scale = 10**NUMBER_PLACES
    units = num * scale // den  # floor, exact
    whole, frac = divmod(units, scale)
    if frac == 0:
        return whole
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), scale)
    return f"{sign}{whole}." + f"{frac:0{NUMBER_PLACES}d}".rstrip("0")


json_number = json_percent


def _whole_seconds(value: timedelta) -> int:
    """A duration in whole seconds, fractions of a second dropped toward zero (as shown)."""
    us = micros(value)
    return us // 1_000_000 if us >= 0 else -(-us // 1_000_000)


def json_duration(value: timedelta) -> str:
    secs = _whole_seconds(value)
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    d, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    out = f"{sign}P" + (f"{d}D" if d else "")
    time = (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s else "")
    if time:
        out += "T" + time
    return out if out not in ("P", "-P") else "PT0S"


# ---------------------------------------------------------------- Korean formatting


MINUS = "\u2212"  # the article-style minus sign, never confused with a list marker or hyphen


def show(kind: str, value: Any, labels: dict[str, dict[str, str]], tz: ZoneInfo) -> str:
    """Format a value the way the counselor articles write it."""
    return formatter(kind, labels, tz)(value)


def formatter(kind: str, labels: dict[str, dict[str, str]], tz: ZoneInfo):
    """The function that formats a value of `kind` (None as 없음) the way the counselor articles do.

    Chosen once per env slot, so that an explanation costs a call per number, not a search.
    The counselor page writes its values with these same functions (compiler/values.py).
    """
    if kind == "money":
        return _none_or(show_money)
    if kind == "percent":
        return _none_or(show_percent)
    if kind == "duration":
        return _none_or(show_duration)
    if kind == "datetime":
        return _none_or(lambda value: show_datetime(value, tz))
    if kind == "date":
        return _none_or(date.isoformat)
    if kind == "bool":
        return _show_bool
    if kind.startswith("enum:"):
        names = labels[kind[5:]]
        return lambda value: "없음" if value is None else names.get(value, str(value))
    if kind.startswith("list"):
        return _none_or(lambda value: ", ".join(str(v) for v in value) if len(value) else "없음")
    if kind in ("int", "number"):
        return _none_or(show_number)
    return _none_or(str)


def _none_or(show_value):
    return lambda value: "없음" if value is None else show_value(value)


_show_bool = _none_or(lambda value: "예" if value else "아니요")


def _number_text(value: int | Fraction | str, group_from: int) -> str:
    """A number with a real minus sign, its whole part grouped by thousands from `group_from`
    digits up; a str is decimal text (the page's literals) whose written digits are kept."""
    text = value if isinstance(value, str) else str(json_number(value))
    sign = ""
    if text.startswith("-"):
        sign, text = MINUS, text[1:]
    whole, point, frac = text.partition(".")
    if len(whole) >= group_from:
        whole = f"{int(whole):,}"
    return sign + whole + point + frac


def show_number(value: int | Fraction | str) -> str:
    """A number as the articles write it: `12,345`, `−2.5`; four digits stay as they are (`2020`)."""
    return _number_text(value, 5)


def show_money(value: int | Fraction | str) -> str:
    """An amount of money, always grouped: `8,000원`, `−500원`."""
    return _number_text(value, 4) + "원"


def show_percent(value: int | Fraction | str) -> str:
    """A percentage: `10%`, `12.5%`."""
    return _number_text(value, 5) + "%"


def show_datetime(value: datetime, tz: ZoneInfo | None) -> str:
    """A moment on the zone's clock: `2025-06-01 14:07`, with seconds only when it has any."""
    t = value.astimezone(tz) if tz is not None and value.tzinfo is not None else value
    out = f"{t.year:04}-{t.month:02}-{t.day:02} {t.hour:02}:{t.minute:02}"
    return f"{out}:{t.second:02}" if t.second else out


def show_duration(value: timedelta, days: bool = False) -> str:
    """A duration as `9시간 30분`, `0분`, `−1시간`; days only with `days` (as the policy wrote it)."""
    secs = _whole_seconds(value)
    if secs == 0:
        return "0분"
    sign = ""
    if secs < 0:
        sign, secs = MINUS, -secs
    d, secs = divmod(secs, 86400) if days else (0, secs)
    h, rem = divmod(secs, 3600)  # hours are not folded into days: "55시간", as the articles write
    m, s = divmod(rem, 60)
    parts = ((d, "일"), (h, "시간"), (m, "분"), (s, "초"))
    return sign + " ".join(f"{n}{unit}" for n, unit in parts if n)
