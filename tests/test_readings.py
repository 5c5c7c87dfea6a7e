"""Readings of the articles (issue 10 item 8), checked against an oracle written from the article.

Each test enumerates a small grid of inputs around the boundaries the article names and compares
the generated evaluator with a plain-Python statement of the reading the policy's page states.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import generated.callbus.penalty_waiver as penalty_waiver
import generated.jeju_rentcar.rental_period as rental_period
import generated.pet_taxi.dispatch_failure as dispatch_failure

KST = timezone(timedelta(hours=9))


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


# ---------------------------------------------------------------- callbus.penalty_waiver

SCHEDULED = datetime(2025, 4, 19, 8, 0, tzinfo=KST)
ARRIVALS = [None, *(SCHEDULED + timedelta(seconds=s) for s in (-180, 0, 1, 299, 300, 600))]
DEPARTURES = [None, *(SCHEDULED + timedelta(seconds=s) for s in (-60, -1, 0, 60))]


def _waiver_oracle(penalty: str, scheduled, arrived, departed) -> str:
    """The article: an early departure is read off the departure time alone, a late arrival (5 min
    or more, late-cancel penalties only) off the arrival time alone; refusing needs both ruled out."""
    if scheduled is None:
        return "needs_review"
    early = None if departed is None else departed < scheduled
    late = None if penalty == "no_show" else (None if arrived is None else arrived - scheduled >= timedelta(minutes=5))
    if penalty == "no_show":
        late = False
    if early or late:
        return "yes"
    if early is False and late is False:
        return "no"
    return "needs_review"


def test_penalty_waiver_each_waiver_needs_only_its_own_timestamp():
    for penalty, scheduled, arrived, departed in itertools.product(
            ("late_cancel", "no_show"), (None, SCHEDULED), ARRIVALS, DEPARTURES):
        inputs = {"reason": "bus_timing", "penalty": penalty, "requested_at": "2025-04-19T10:00:00+09:00",
                  "scheduled_at": _iso(scheduled), "vehicle_arrived_at": _iso(arrived),
                  "vehicle_departed_at": _iso(departed)}
        decision = penalty_waiver.evaluate(inputs)
        assert decision.outputs["waivable"] == _waiver_oracle(penalty, scheduled, arrived, departed), (inputs, decision)
        if decision.outputs["waivable"] == "needs_review":
            assert decision.outputs["unmet"], (inputs, decision)  # the counselor is told what to look up


# ---------------------------------------------------------------- pet_taxi.dispatch_failure

def _fails_at_oracle(requested: datetime, departure: datetime) -> datetime:
    """The article: 출발 10분 전 applies when the request is within 12 hours of departure
    (12 hours included); otherwise 접수시간으로부터 12시간."""
    if departure - requested <= timedelta(hours=12):
        return departure - timedelta(minutes=10)
    return requested + timedelta(hours=12)


def test_dispatch_failure_time_follows_the_article():
    departure = datetime(2025, 6, 1, 14, 0, tzinfo=KST)
    leads = [timedelta(hours=3), timedelta(hours=12) - timedelta(seconds=1), timedelta(hours=12),
             timedelta(hours=12, seconds=1), timedelta(hours=12, minutes=5), timedelta(hours=12, minutes=10),
             timedelta(hours=12, minutes=10, seconds=1), timedelta(days=2)]
    for lead in leads:
        requested = departure - lead
        deadline = _fails_at_oracle(requested, departure)
        for shift in (-1, 0, 1):
            as_of = deadline + timedelta(seconds=shift)
            inputs = {"requested_at": _iso(requested), "departure_at": _iso(departure), "as_of": _iso(as_of)}
            decision = dispatch_failure.evaluate(inputs)
            assert decision.outputs["status"] == ("failed" if shift > 0 else "waiting"), (inputs, decision)
            assert decision.outputs["fails_at"] == deadline.isoformat(), (inputs, decision)
            accepted = dict(inputs, dispatched_at=_iso(as_of), as_of=_iso(deadline + timedelta(hours=1)))
            expected = "failed" if shift > 0 else "dispatched"
            assert dispatch_failure.evaluate(accepted).outputs["status"] == expected, accepted


# ---------------------------------------------------------------- jeju_rentcar.rental_period

PICKUP = datetime(2025, 7, 10, 10, 0, tzinfo=KST)
DAY = timedelta(days=1)
OFFSETS = [-31 * DAY, -30 * DAY - timedelta(minutes=1), -30 * DAY, -20 * DAY, -15 * DAY, timedelta(0),
           10 * DAY, 20 * DAY, 30 * DAY, 30 * DAY + timedelta(minutes=1)]
HOURS = [timedelta(hours=h) for h in (48, 72, 96)]
LIMIT = timedelta(hours=144)
SPAN = 30 * DAY


def _rental_inputs(pickup: datetime, hours: timedelta, others) -> dict:
    return {"pickup_at": _iso(pickup), "return_at": _iso(pickup + hours),
            "same_company_bookings": [{"starts_at": _iso(t), "hours": f"PT{int(h.total_seconds()) // 3600}H"}
                                      for t, h in others]}


def _over_in_span_oracle(pickup: datetime, hours: timedelta, others) -> bool:
    """The page's reading: the 30 days ending at this pickup and the 30 days starting at it, each
    with at least one other booking, each summed on its own (ends included)."""
    before = [h for t, h in others if timedelta(0) <= pickup - t <= SPAN]
    after = [h for t, h in others if timedelta(0) <= t - pickup <= SPAN]
    return any(window and hours + sum(window, timedelta(0)) > LIMIT for window in (before, after))


def test_rental_period_sums_each_30_day_span_separately():
    for n in (1, 2):
        for picks in itertools.combinations(OFFSETS, n):
            for lengths in itertools.product(HOURS, repeat=n):
                others = [(PICKUP + o, h) for o, h in zip(picks, lengths)]
                decision = rental_period.evaluate(_rental_inputs(PICKUP, timedelta(hours=48), others))
                refused = decision.outputs["outcome"] == "refused"  # 48 h from 10:00: no other check can refuse
                assert refused == _over_in_span_oracle(PICKUP, timedelta(hours=48), others), (others, decision)


def test_rental_period_every_30_day_span_over_144h_refuses_one_of_its_bookings():
    """No span is missed overall: when bookings whose pickups lie within one 30-day span total more
    than 144 hours, the latest of them is refused when checked against the others."""
    starts = [PICKUP + o for o in OFFSETS if o >= -20 * DAY]
    for trio in itertools.combinations(starts, 3):
        for lengths in itertools.product(HOURS[:2], repeat=3):
            bookings = list(zip(trio, lengths))
            spans_over = [group for k in (2, 3) for group in itertools.combinations(bookings, k)
                          if max(t for t, _ in group) - min(t for t, _ in group) <= SPAN
                          and sum((h for _, h in group), timedelta(0)) > LIMIT]
            refused = {b for b in bookings
                       if rental_period.evaluate(_rental_inputs(b[0], b[1], [o for o in bookings if o != b]))
                       .outputs["outcome"] == "refused"}
            for group in spans_over:
                latest = max(group)
                assert latest in refused, (bookings, group)
