"""Readings of the articles (issue 10 item 8), checked against an oracle written from the article.

Each test enumerates a small grid of inputs around the boundaries the article names and compares
the generated evaluator with a plain-Python statement of the reading the policy's page states.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import generated.callbus.penalty_waiver as penalty_waiver

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
