"""Hand-written Python doing the generated evaluators' job: parse and check the input, decide, name the rule.

Written the way a careful developer would write it by hand for one service: the same input
contract as the generated evaluators (unknown fields rejected, whole-won ints, strict bools,
ISO 8601 datetimes with `Z` or an offset, naive ones in Asia/Seoul), the same rule order and
boundaries, every bad field reported. It returns plain tuples and has no explanation or trace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")

_ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]\d\d:[0-5]\d)?", re.ASCII)
_MAX_WON = 2**53 - 1  # what JSON numbers hold exactly
_FIRST_YEAR, _LAST_YEAR = 1900, 2999


class BadInput(ValueError):
    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in errors))
        self.errors = errors


def _datetime(value, path: str, errors: list) -> datetime | None:
    if type(value) is str and _ISO_DATETIME.fullmatch(value):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if _FIRST_YEAR <= dt.year <= _LAST_YEAR:
                return dt if dt.tzinfo is not None else dt.replace(tzinfo=SEOUL)
    elif isinstance(value, datetime) and _FIRST_YEAR <= value.year <= _LAST_YEAR:
        return value if value.utcoffset() is not None else value.replace(tzinfo=SEOUL)
    errors.append((path, "expected an ISO 8601 date and time"))
    return None


def _money(value, path: str, errors: list) -> int | None:
    if type(value) is int and 0 <= value <= _MAX_WON:
        return value
    if type(value) is float and value.is_integer() and 0 <= value <= _MAX_WON:
        return int(value)  # JSON `50000.0`
    errors.append((path, "expected whole won, 0 or more"))
    return None


def _bool(value, path: str, errors: list) -> bool | None:
    if value is True or value is False:
        return value
    errors.append((path, "expected true or false"))
    return None


# ---------------------------------------------------------------- pet_taxi.cancellation_fee

_PET_FIELDS = frozenset(("fare", "departure_at", "cancelled_at", "dispatched_at", "no_show",
                         "driver_departed_at", "driver_arrived_at"))
_H24, _H9, _H1 = timedelta(hours=24), timedelta(hours=9), timedelta(hours=1)
_MIN5, _MIN10, _ZERO = timedelta(minutes=5), timedelta(minutes=10), timedelta(0)


def pet_taxi_fee(raw: Mapping) -> tuple[int, str]:
    """(fee, rule id) of a pet-taxi cancellation; BadInput names every bad field."""
    if not isinstance(raw, Mapping):
        raise BadInput([("", "expected an object")])
    errors: list = []
    for key in raw:
        if key not in _PET_FIELDS:
            errors.append((f"/{key}", "unknown field"))
    fare = departure = cancelled = None
    if "fare" in raw:
        fare = _money(raw["fare"], "/fare", errors)
    else:
        errors.append(("/fare", "required"))
    if "departure_at" in raw:
        departure = _datetime(raw["departure_at"], "/departure_at", errors)
    else:
        errors.append(("/departure_at", "required"))
    if "cancelled_at" in raw:
        cancelled = _datetime(raw["cancelled_at"], "/cancelled_at", errors)
    else:
        errors.append(("/cancelled_at", "required"))
    dispatched = raw.get("dispatched_at")
    if dispatched is not None:
        dispatched = _datetime(dispatched, "/dispatched_at", errors)
    no_show = raw.get("no_show", False)
    if no_show is not False:
        no_show = _bool(no_show, "/no_show", errors)
    departed = raw.get("driver_departed_at")
    if departed is not None:
        departed = _datetime(departed, "/driver_departed_at", errors)
    arrived = raw.get("driver_arrived_at")
    if arrived is not None:
        arrived = _datetime(arrived, "/driver_arrived_at", errors)
    if errors:
        raise BadInput(errors)

    if departed is not None and departed > departure:
        return 0, "driver_not_departed"
    if arrived is not None and arrived > departure + _MIN5:
        return 0, "driver_not_arrived"
    if no_show:
        return min(fare, 30000), "passenger_no_show"
    if dispatched is not None and _ZERO <= cancelled - dispatched <= _MIN10:
        return 0, "dispatch_grace"
    before = departure - cancelled
    if before > _H24:
        return 0, "by_time.free"
    if before > _H9:
        return min(fare * 10 // 100, 8000), "by_time.early"
    if before > _H1:
        return min(fare * 50 // 100, 8000), "by_time.late"
    return min(fare, 15000), "by_time.last"


# ---------------------------------------------------------------- jeju_rentcar.cancellation_fee

_JEJU_FIELDS = frozenset(("rate_plan", "booked_at", "cancelled_at", "pickup_at", "no_show",
                          "card_amount", "point_amount", "exception"))
_PLANS = frozenset(("super_saver", "discount", "standard"))
_EXCEPTIONS = frozenset(("family_death", "flight_cancelled", "infection_self", "infection_companion", "active_monitoring"))
# Within 24 hours of pickup, an exception sets the rate (flight cancellations apply at any time).
_LATE_EXCEPTION_PERCENT = {"family_death": 10, "infection_self": 0, "infection_companion": 30, "active_monitoring": 100}
_GRID = {  # rate plan -> rate by column d7 [168h, ∞), d3 [72h, 168h), d1 [24h, 72h), d0 (-∞, 24h)
    "super_saver": (10, 30, 100, 100),
    "discount": (0, 10, 30, 50),
    "standard": (0, 0, 0, 30),
}
_COLUMNS = ("d7", "d3", "d1", "d0")
_H168, _H72 = timedelta(hours=168), timedelta(hours=72)


def jeju_rentcar_fee(raw: Mapping) -> tuple[int, int, int, str]:
    """(fee percent, card fee, point fee, rule id) of a rent-car cancellation; BadInput names every bad field."""
    if not isinstance(raw, Mapping):
        raise BadInput([("", "expected an object")])
    errors: list = []
    for key in raw:
        if key not in _JEJU_FIELDS:
            errors.append((f"/{key}", "unknown field"))
    plan = booked = cancelled = pickup = None
    if "rate_plan" in raw:
        plan = raw["rate_plan"]
        if not (type(plan) is str and plan in _PLANS):
            errors.append(("/rate_plan", "expected super_saver, discount or standard"))
    else:
        errors.append(("/rate_plan", "required"))
    for name in ("booked_at", "cancelled_at", "pickup_at"):
        if name not in raw:
            errors.append((f"/{name}", "required"))
    if "booked_at" in raw:
        booked = _datetime(raw["booked_at"], "/booked_at", errors)
    if "cancelled_at" in raw:
        cancelled = _datetime(raw["cancelled_at"], "/cancelled_at", errors)
    if "pickup_at" in raw:
        pickup = _datetime(raw["pickup_at"], "/pickup_at", errors)
    no_show = raw.get("no_show", False)
    if no_show is not False:
        no_show = _bool(no_show, "/no_show", errors)
    card = _money(raw.get("card_amount", 0), "/card_amount", errors)
    point = _money(raw.get("point_amount", 0), "/point_amount", errors)
    exception = raw.get("exception")
    if exception is not None and not (type(exception) is str and exception in _EXCEPTIONS):
        errors.append(("/exception", "expected one of the exception reasons"))
    if errors:
        raise BadInput(errors)

    before = pickup - cancelled
    if exception == "flight_cancelled":
        percent, rule = 0, "exception_flight_cancelled"
    elif exception is not None and before < _H24:
        percent, rule = _LATE_EXCEPTION_PERCENT[exception], "exception_" + exception
    elif no_show:
        percent, rule = (50, "no_show_standard") if plan == "standard" else (100, "no_show_nonrefundable")
    elif before >= _H24 and cancelled.astimezone(SEOUL).date() == booked.astimezone(SEOUL).date():
        percent, rule = 0, "same_day_free"
    else:
        col = 0 if before >= _H168 else 1 if before >= _H72 else 2 if before >= _H24 else 3
        percent, rule = _GRID[plan][col], f"fee_table.{plan}.{_COLUMNS[col]}"
    return percent, card * percent // 100, point * percent // 100, rule


# ---------------------------------------------------------------- hand-tuned: the generator's tricks, by hand
#
# The same contract and rules, written by someone who profiled them: the tricks the generator
# may use (a reader specialised for the ISO shapes services send, constants made once per
# module, the common case tested first) and nothing it may not (no unrolled copies it could
# not emit). For the three common shapes `fromisoformat` accepts exactly what the regex and
# `fromisoformat` of `_datetime` accept together (fixed length, separators in place, offset
# minutes below 60: it checks every other character is an ASCII digit); anything else, and
# every error, goes through `_datetime`. A naive time becomes the UTC instant it names in
# Seoul, so that instants subtract without consulting a zone.

_fromisoformat = datetime.fromisoformat
_seoul_offset = SEOUL.utcoffset
_OFFSET_SHAPES = frozenset(("--T::+:", "--T::-:"))
_FIRST, _AFTER = f"{_FIRST_YEAR}", f"{_LAST_YEAR + 1}"


def _fast_datetime(value, path: str, errors: list) -> datetime | None:
    if type(value) is str and _FIRST <= value < _AFTER:
        n = len(value)
        try:
            if n == 25:
                if value[4::3] in _OFFSET_SHAPES and value[23] < "6":
                    return _fromisoformat(value)
            elif n == 20:
                if value[4::3] == "--T::Z":
                    return _fromisoformat(value)
            elif n == 19 and value[4::3] == "--T::":
                wall = _fromisoformat(value + "Z")
                return wall - _seoul_offset(wall)
        except ValueError:
            pass
    return _datetime(value, path, errors)


def pet_taxi_fee_tuned(raw: Mapping) -> tuple[int, str]:
    """pet_taxi_fee, hand-tuned."""
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise BadInput([("", "expected an object")])
    errors: list = []
    if not _PET_FIELDS.issuperset(raw):
        errors += [(f"/{key}", "unknown field") for key in raw if key not in _PET_FIELDS]
    get = raw.get
    fare = get("fare")
    if type(fare) is not int or not 0 <= fare <= _MAX_WON:
        fare = _money(fare, "/fare", errors) if "fare" in raw else errors.append(("/fare", "required"))
    departure = get("departure_at")
    departure = (_fast_datetime(departure, "/departure_at", errors) if departure is not None or "departure_at" in raw
                 else errors.append(("/departure_at", "required")))
    cancelled = get("cancelled_at")
    cancelled = (_fast_datetime(cancelled, "/cancelled_at", errors) if cancelled is not None or "cancelled_at" in raw
                 else errors.append(("/cancelled_at", "required")))
    dispatched = get("dispatched_at")
    if dispatched is not None:
        dispatched = _fast_datetime(dispatched, "/dispatched_at", errors)
    no_show = get("no_show", False)
    if no_show is not False and no_show is not True:
        no_show = _bool(no_show, "/no_show", errors)
    departed = get("driver_departed_at")
    if departed is not None:
        departed = _fast_datetime(departed, "/driver_departed_at", errors)
    arrived = get("driver_arrived_at")
    if arrived is not None:
        arrived = _fast_datetime(arrived, "/driver_arrived_at", errors)
    if errors:
        raise BadInput(errors)

    if departed is not None and departed > departure:
        return 0, "driver_not_departed"
    if arrived is not None and arrived > departure + _MIN5:
        return 0, "driver_not_arrived"
    if no_show:
        return min(fare, 30000), "passenger_no_show"
    if dispatched is not None and _ZERO <= cancelled - dispatched <= _MIN10:
        return 0, "dispatch_grace"
    before = departure - cancelled
    if before > _H24:
        return 0, "by_time.free"
    if before > _H9:
        return min(fare * 10 // 100, 8000), "by_time.early"
    if before > _H1:
        return min(fare * 50 // 100, 8000), "by_time.late"
    return min(fare, 15000), "by_time.last"


_RULES_BY_COLUMN = {plan: tuple((rate, f"fee_table.{plan}.{col}") for rate, col in zip(rates, _COLUMNS))
                    for plan, rates in _GRID.items()}
_LATE_EXCEPTION_RULES = {exc: (pct, "exception_" + exc) for exc, pct in _LATE_EXCEPTION_PERCENT.items()}


def jeju_rentcar_fee_tuned(raw: Mapping) -> tuple[int, int, int, str]:
    """jeju_rentcar_fee, hand-tuned."""
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise BadInput([("", "expected an object")])
    errors: list = []
    if not _JEJU_FIELDS.issuperset(raw):
        errors += [(f"/{key}", "unknown field") for key in raw if key not in _JEJU_FIELDS]
    get = raw.get
    plan = get("rate_plan")
    if type(plan) is not str or plan not in _PLANS:
        errors.append(("/rate_plan", "expected super_saver, discount or standard" if "rate_plan" in raw else "required"))
    booked = get("booked_at")
    booked = (_fast_datetime(booked, "/booked_at", errors) if booked is not None or "booked_at" in raw
              else errors.append(("/booked_at", "required")))
    cancelled = get("cancelled_at")
    cancelled = (_fast_datetime(cancelled, "/cancelled_at", errors) if cancelled is not None or "cancelled_at" in raw
                 else errors.append(("/cancelled_at", "required")))
    pickup = get("pickup_at")
    pickup = (_fast_datetime(pickup, "/pickup_at", errors) if pickup is not None or "pickup_at" in raw
              else errors.append(("/pickup_at", "required")))
    no_show = get("no_show", False)
    if no_show is not False and no_show is not True:
        no_show = _bool(no_show, "/no_show", errors)
    card = get("card_amount", 0)
    if type(card) is not int or not 0 <= card <= _MAX_WON:
        card = _money(card, "/card_amount", errors)
    point = get("point_amount", 0)
    if type(point) is not int or not 0 <= point <= _MAX_WON:
        point = _money(point, "/point_amount", errors)
    exception = get("exception")
    if exception is not None and (type(exception) is not str or exception not in _EXCEPTIONS):
        errors.append(("/exception", "expected one of the exception reasons"))
    if errors:
        raise BadInput(errors)

    before = pickup - cancelled
    if exception == "flight_cancelled":
        percent, rule = 0, "exception_flight_cancelled"
    elif exception is not None and before < _H24:
        percent, rule = _LATE_EXCEPTION_RULES[exception]
    elif no_show:
        percent, rule = (50, "no_show_standard") if plan == "standard" else (100, "no_show_nonrefundable")
    elif before >= _H24 and cancelled.astimezone(SEOUL).date() == booked.astimezone(SEOUL).date():
        percent, rule = 0, "same_day_free"
    else:
        col = 0 if before >= _H168 else 1 if before >= _H72 else 2 if before >= _H24 else 3
        percent, rule = _RULES_BY_COLUMN[plan][col]
    return percent, card * percent // 100, point * percent // 100, rule


BASELINES = {
    "pet_taxi.cancellation_fee": pet_taxi_fee,
    "jeju_rentcar.cancellation_fee": jeju_rentcar_fee,
}

TUNED = {
    "pet_taxi.cancellation_fee": pet_taxi_fee_tuned,
    "jeju_rentcar.cancellation_fee": jeju_rentcar_fee_tuned,
}
