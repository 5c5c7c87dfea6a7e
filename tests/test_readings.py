"""Readings of the articles (issue 10 item 8), checked against an oracle written from the article.

Each test enumerates a small grid of inputs around the boundaries the article names and compares
the generated evaluator with a plain-Python statement of the reading the policy's page states.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import generated.callbus.penalty_waiver as penalty_waiver
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
