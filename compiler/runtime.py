"""Runtime shared by generated evaluators: input readers, calendar helpers, Decision, formatting.

This file is copied verbatim into generated/_runtime.py by the compiler. It imports only the
standard library, so services need nothing but the generated package.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["InvalidInput", "Decision", "zone"]


class InvalidInput(ValueError):
    """The input does not fit the policy; `.errors` lists every bad field by JSON pointer."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        first = errors[0] if errors else {"path": "", "message": "invalid input"}
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first['path'] or '/'}: {first['message']}{more}")


class Decision:
    """The outcome of one evaluation. The explanation and the trace are built on first use."""

    __slots__ = ("policy", "outputs", "rule", "_spec", "_env", "_step", "_explanation", "_trace")

    def __init__(self, spec: "Spec", outputs: dict[str, Any], rule: str, step: int, env: tuple):
        self.policy = spec.policy
        self.outputs = outputs
        self.rule = rule
        self._spec = spec
        self._step = step
        self._env = env
        self._explanation: str | None = None
        self._trace: list[dict[str, Any]] | None = None

    @property
    def explanation(self) -> str:
        """The counselor sentence of the deciding rule, with the actual numbers filled in."""
        if self._explanation is None:
            self._explanation = self._spec.explain(self.rule, self._env)
        return self._explanation

    @property
    def trace(self) -> list[dict[str, Any]]:
        """What was checked, in order: each rule tried, and whether it applied."""
        if self._trace is None:
            self._trace = self._spec.trace(self._step, self.rule, self._env)
        return self._trace

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "outputs": dict(self.outputs),
            "rule": self.rule,
            "explanation": self.explanation,
            "trace": [dict(t) for t in self.trace],
        }

    def __repr__(self) -> str:
        return f"Decision(policy={self.policy!r}, rule={self.rule!r}, outputs={self.outputs!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


class Spec:
    """Per-policy tables a Decision needs to explain itself: sentences, steps, env names."""

    __slots__ = ("policy", "names", "kinds", "says", "steps", "labels", "zone", "checks")

    def __init__(self, policy: str, names: tuple[str, ...], kinds: tuple[str, ...],
                 says: dict[str, tuple], steps: tuple[tuple[str, tuple[str, ...]], ...],
                 labels: dict[str, dict[str, str]], zone: ZoneInfo, checks: tuple[str, ...] = ()):
        self.policy = policy
        self.names = names  # env slot -> name
        self.kinds = kinds  # env slot -> formatting kind ("money", "enum:<name>", ...)
        self.says = says  # rule id -> parts: str literal or int env slot
        self.steps = steps  # (step id, names of the table's keys) in decision order
        self.labels = labels  # enum name -> value -> Korean label
        self.zone = zone
        self.checks = checks  # check ids in order; env slot `failed_check_ids` holds the failures

    def explain(self, rule: str, env: tuple) -> str:
        out = []
        for part in self.says[rule]:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(self.show(part, env[part]))
        return "".join(out)

    def show(self, slot: int, value: Any) -> str:
        return show(self.kinds[slot], value, self.labels, self.zone)

    def trace(self, step: int, rule: str, env: tuple) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self.checks:
            failed = set(env[self.names.index("failed_check_ids")])
            out.extend({"check": c, "passes": c not in failed} for c in self.checks)
        for i, (sid, keys) in enumerate(self.steps[: step + 1]):
            entry: dict[str, Any] = {"rule": rule if i == step else sid, "applies": i == step}
            if keys and i == step:
                entry["values"] = {k: self.show(self.names.index(k), env[self.names.index(k)]) for k in keys}
            out.append(entry)
        return out


# ---------------------------------------------------------------- zones and calendars

_ZONES: dict[str, ZoneInfo] = {}


def zone(name: str) -> ZoneInfo:
    z = _ZONES.get(name)
    if z is None:
        z = _ZONES[name] = ZoneInfo(name)
    return z


def local_date(value: datetime | date, tz: ZoneInfo) -> date:
    if isinstance(value, datetime):
        return value.astimezone(tz).date()
    return value


def same_day(a: datetime | date, b: datetime | date, tz: ZoneInfo) -> bool:
    return local_date(a, tz) == local_date(b, tz)


def same_month(a: datetime | date, b: datetime | date, tz: ZoneInfo) -> bool:
    da, db = local_date(a, tz), local_date(b, tz)
    return da.year == db.year and da.month == db.month


def last_day_of_month(value: datetime | date, tz: ZoneInfo) -> date:
    d = local_date(value, tz)
    first_next = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


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
                      tz: ZoneInfo) -> date:
    """The date `days` business days after value's date (weekends and public holidays skipped)."""
    d = local_date(value, tz)
    step = 1 if days >= 0 else -1
    left = abs(days)
    while left:
        d += timedelta(days=step)
        if d.year < years[0] or d.year > years[1]:
            raise InvalidInput([{"path": "", "message": f"the business-day calendar covers {years[0]}–{years[1]}; {d.isoformat()} is outside it"}])
        if d.weekday() < 5 and d not in holidays:
            left -= 1
    return d


def fill(parts: tuple, values: tuple, kinds: tuple, labels: dict[str, dict[str, str]], tz: ZoneInfo) -> str:
    """Render a sentence whose int parts index into values."""
    return "".join(p if isinstance(p, str) else show(kinds[p], values[p], labels, tz) for p in parts)


def percent_of(percent: int | Decimal, amount: int) -> int:
    """`percent`% of a whole-won amount, fractions of a won dropped (rounded down)."""
    if type(percent) is int:
        return amount * percent // 100
    return math.floor(Fraction(percent) * amount / 100)


def money_times(amount: int | Decimal, factor: int | Decimal) -> int:
    """An amount (or a rate such as 18.5원) times a factor, fractions of a won dropped."""
    if type(factor) is int and type(amount) is int:
        return amount * factor
    return math.floor(Fraction(amount) * Fraction(factor))


def money_div(amount: int, divisor: int) -> int:
    if divisor == 0:
        raise ZeroDivisionError("division of an amount by zero")
    return amount // divisor


def number_div(a, b):
    return Fraction(a) / Fraction(b) if not isinstance(a, timedelta) else Fraction(a / b)


# ---------------------------------------------------------------- input readers

_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION_RE = re.compile(r"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_MISSING = object()

MAX_TEXT = 10_000


def unknown_fields(raw: Mapping, fields: frozenset, base: str, errors: list) -> None:
    for key in raw:
        if key not in fields:
            shown = key if isinstance(key, str) else repr(key)
            errors.append({"path": f"{base}/{_escape(shown)}", "message": "unknown field; this policy does not take it"})


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _missing(path: str, errors: list) -> None:
    errors.append({"path": path, "message": "required field is missing"})


def read_money(value: Any, path: str, errors: list) -> Any:
    if type(value) is int and value >= 0:
        return value
    if type(value) is float and value.is_integer() and 0 <= value <= 2**53:
        return int(value)  # JSON `50000.0` is a whole number, as JSON Schema's "integer" agrees
    errors.append({"path": path, "message": "expected an amount in whole won: an integer, 0 or more"})
    return None


def read_int(value: Any, path: str, errors: list) -> Any:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    errors.append({"path": path, "message": "expected a whole number"})
    return None


def read_number(value: Any, path: str, errors: list) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, str) and _NUMBER_RE.match(value):
        d = Decimal(value)
        return int(d) if d == d.to_integral_value() and "." not in value else d
    errors.append({"path": path, "message": "expected a number: an integer, or a decimal written as a string like \"12.5\""})
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
        return value
    errors.append({"path": path, "message": "expected a text (a JSON string)"})
    return None


def read_enum(value: Any, path: str, errors: list, values: frozenset, shown: str) -> Any:
    if isinstance(value, str) and value in values:
        return value
    errors.append({"path": path, "message": f"expected one of {shown}"})
    return None


def read_datetime(value: Any, path: str, errors: list, tz: ZoneInfo) -> Any:
    if isinstance(value, str):
        if _DATETIME_RE.match(value):
            try:
                dt = datetime.fromisoformat(value)
            except ValueError:
                dt = None
            if dt is not None:
                return dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)
        errors.append({"path": path, "message": "expected a date and time in ISO 8601, like \"2025-06-01T14:00:00+09:00\""})
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    errors.append({"path": path, "message": "expected a date and time in ISO 8601, like \"2025-06-01T14:00:00+09:00\""})
    return None


def read_date(value: Any, path: str, errors: list) -> Any:
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    elif isinstance(value, date) and not isinstance(value, datetime):
        return value
    errors.append({"path": path, "message": "expected a date like \"2025-06-01\""})
    return None


def read_duration(value: Any, path: str, errors: list) -> Any:
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if m and value not in ("P", "-P") and not value.endswith("T"):
            sign, d, h, mi, s = m.groups()
            td = timedelta(days=int(d or 0), hours=int(h or 0), minutes=int(mi or 0), seconds=int(s or 0))
            return -td if sign else td
    elif isinstance(value, timedelta):
        return value
    errors.append({"path": path, "message": "expected a duration in ISO 8601, like \"PT1H30M\""})
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


def json_percent(value: int | Decimal) -> int | str:
    if type(value) is int:
        return value
    if value == value.to_integral_value():
        return int(value)
    return format(value.normalize(), "f")


def json_number(value) -> int | str:
    if type(value) is int:
        return value
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return json_percent(value)


def json_duration(value: timedelta) -> str:
    secs = int(value.total_seconds())
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


def show(kind: str, value: Any, labels: dict[str, dict[str, str]], tz: ZoneInfo) -> str:
    """Format a value the way the counselor articles write it."""
    if value is None:
        return "없음"
    if kind == "money":
        return f"{value:,}원"
    if kind == "percent":
        return f"{json_percent(value)}%"
    if kind == "duration":
        return show_duration(value)
    if kind == "datetime":
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if kind == "date":
        return value.isoformat()
    if kind == "bool":
        return "예" if value else "아니요"
    if kind.startswith("enum:"):
        return labels[kind[5:]].get(value, str(value))
    if kind.startswith("list"):
        items = list(value)
        return ", ".join(str(v) for v in items) if items else "없음"
    if kind == "number":
        return str(json_number(value))
    return str(value)


def show_duration(value: timedelta) -> str:
    secs = int(value.total_seconds())
    sign = "−" if secs < 0 else ""
    secs = abs(secs)
    if secs == 0:
        return "0분"
    d, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    h += d * 24
    parts = []
    if h:
        parts.append(f"{h}시간")
    if m:
        parts.append(f"{m}분")
    if s:
        parts.append(f"{s}초")
    return sign + " ".join(parts)


UTC = timezone.utc
