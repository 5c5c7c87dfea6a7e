"""The benchmark's raw inputs: what a service sends, drawn with a fixed seed, a share on window edges."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
UTC = timezone.utc
H = 3600

# Every window edge of the two policies, in seconds: the policies pick one reading of each,
# so inputs exactly on an edge (and one second either side) are where engines disagree.
PET_EDGES = (24 * H, 9 * H, 1 * H)
JEJU_EDGES = (168 * H, 72 * H, 24 * H)
RATE_PLANS = ("super_saver", "discount", "standard")
EXCEPTIONS = ("family_death", "flight_cancelled", "infection_self", "infection_companion", "active_monitoring")


def _iso(dt: datetime, rng: random.Random) -> str:
    """An ISO 8601 string in one of the shapes services send: mostly +09:00, some Z, some naive."""
    r = rng.random()
    if r < 0.60:
        return dt.astimezone(SEOUL).isoformat()
    if r < 0.80:
        return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if r < 0.85:
        return dt.astimezone(UTC).isoformat()
    if r < 0.95:
        return dt.astimezone(SEOUL).replace(tzinfo=None).isoformat()  # naive: the policy's zone
    return dt.astimezone(SEOUL).isoformat(timespec="milliseconds")


def _instant(rng: random.Random, start: datetime, days: int, step_minutes: int) -> datetime:
    return start + timedelta(minutes=step_minutes * rng.randrange(days * 24 * 60 // step_minutes))


def _seconds_around(rng: random.Random, edges: tuple[int, ...], low: int, high: int, edge_share: float) -> int:
    """Seconds before the anchor: on an edge (or one second off it) for `edge_share` of draws."""
    if rng.random() < edge_share:
        return rng.choice(edges) + rng.choice((0, 0, 1, -1))
    return rng.randrange(low, high)


def _money(rng: random.Random, edges: tuple[int, ...], high: int) -> int:
    return rng.choice(edges) if rng.random() < 0.15 else rng.randrange(high)


def pet_taxi_inputs(n: int, seed: int, edge_share: float = 0.3) -> list[dict]:
    """`n` inputs of pet_taxi.cancellation_fee."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=SEOUL)
    out = []
    for _ in range(n):
        departure = _instant(rng, start, 365, 10)
        before = _seconds_around(rng, PET_EDGES, -2 * H, 96 * H, edge_share)
        cancelled = departure - timedelta(seconds=before)
        raw: dict = {
            # 80,000 / 16,000 / 15,000 / 30,000 are where the caps start to bite.
            "fare": _money(rng, (0, 1, 15000, 15001, 16000, 16001, 30000, 30001, 80000, 80009), 120_000),
            "departure_at": _iso(departure, rng),
            "cancelled_at": _iso(cancelled, rng),
        }
        r = rng.random()
        if r < 0.08:
            raw["no_show"] = True
        elif r < 0.40:
            raw["no_show"] = False
        r = rng.random()
        if r < 0.40:
            since = rng.choice((0, 600, 601, -1)) if rng.random() < 0.3 else rng.randrange(-600, 3600)
            raw["dispatched_at"] = _iso(cancelled - timedelta(seconds=since), rng)
        elif r < 0.45:
            raw["dispatched_at"] = None
        if rng.random() < 0.12:
            late = rng.choice((0, 1)) if rng.random() < 0.4 else rng.randrange(-3600, 600)
            raw["driver_departed_at"] = _iso(departure + timedelta(seconds=late), rng)
        if rng.random() < 0.12:
            late = rng.choice((300, 301, 299)) if rng.random() < 0.4 else rng.randrange(-600, 1200)
            raw["driver_arrived_at"] = _iso(departure + timedelta(seconds=late), rng)
        out.append(raw)
    return out


def jeju_rentcar_inputs(n: int, seed: int, edge_share: float = 0.3) -> list[dict]:
    """`n` inputs of jeju_rentcar.cancellation_fee."""
    rng = random.Random(seed + 1)
    start = datetime(2025, 1, 1, tzinfo=SEOUL)
    out = []
    for _ in range(n):
        pickup = _instant(rng, start, 365, 30)
        before = _seconds_around(rng, JEJU_EDGES, -6 * H, 14 * 24 * H, edge_share)
        cancelled = pickup - timedelta(seconds=before)
        r = rng.random()
        local = cancelled.astimezone(SEOUL)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if r < 0.25:  # booked earlier the same Korean day
            booked = midnight + (local - midnight) * rng.random()
        elif r < 0.35:  # the day boundary: 23:59:59 the day before, or 00:00 the same day
            booked = rng.choice((midnight - timedelta(seconds=1), midnight))
        else:
            booked = cancelled - timedelta(seconds=rng.randrange(H, 30 * 24 * H))
        raw: dict = {
            "rate_plan": rng.choice(RATE_PLANS),
            "booked_at": _iso(booked.replace(microsecond=0), rng),
            "cancelled_at": _iso(cancelled, rng),
            "pickup_at": _iso(pickup, rng),
        }
        if rng.random() < 0.10:
            raw["no_show"] = True
        if rng.random() < 0.75:
            raw["card_amount"] = _money(rng, (0, 1, 99, 100, 101), 600_000)
        if rng.random() < 0.50:
            raw["point_amount"] = _money(rng, (0, 1, 99, 100, 101), 100_000)
        r = rng.random()
        if r < 0.25:
            raw["exception"] = rng.choice(EXCEPTIONS)
        elif r < 0.30:
            raw["exception"] = None
        out.append(raw)
    return out


WORKLOADS = {
    "pet_taxi.cancellation_fee": pet_taxi_inputs,
    "jeju_rentcar.cancellation_fee": jeju_rentcar_inputs,
}
