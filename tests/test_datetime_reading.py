"""Datetime inputs: the evaluator's inline parsing agrees with the runtime reader, and naive times are instants.

Generated evaluators parse the three shapes services send most (`+09:00`, `Z`, naive) inline and
hand everything else to `_runtime.read_datetime`. The two paths must accept the same strings and
read the same instant from each; these tests drive both with strings on and around those shapes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import runtime as rt
from tests.support import compile_policy, examples

NEW_YORK = ZoneInfo("America/New_York")

POLICY = '''policy dtread.probe "시각 확인"
  source "001_643b8286a8614a89.txt" section "이용료 취소수수료"
  effective 2025-05-15
  zone America/New_York

input at: datetime "시각"
input later: optional datetime "나중 시각"
input other: optional datetime "다른 시각"

output seen: datetime = at "읽은 시각"
output fee: money "수수료"

rule later_given "나중 시각 있음: 수수료 {fee}"
  when later is given and later - at = 1h
  then fee = 1원

rule same_day "같은 날: 수수료 {fee}"
  when other is given and at in day of other
  then fee = 2원

rule rest "그 밖의 경우: 수수료 {fee}"
  otherwise
  then fee = 0원
'''


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return compile_policy(tmp_path_factory.mktemp("dtread"), "dtread.probe", POLICY)


def read_by_runtime(text: str) -> tuple[str | None, list]:
    errors: list = []
    value = rt.read_datetime(text, "/at", errors, NEW_YORK)
    return (None if value is None else rt.json_datetime(value, NEW_YORK)), errors


def read_by_evaluator(module, text: str) -> tuple[str | None, list]:
    try:
        return module.evaluate({"at": text}).outputs["seen"], []
    except module.InvalidInput as e:
        return None, e.errors


# Strings on the three inline shapes, then with one character changed: a wrong digit, a letter,
# a non-ASCII digit, a space, a separator out of place.
VALID = st.datetimes(min_value=datetime(1890, 1, 1), max_value=datetime(3010, 12, 31)).map(lambda d: d.replace(microsecond=0))
OFFSET = st.sampled_from(["Z", "", "+09:00", "+00:00", "-05:00", "+05:30", "-12:00", "+14:00", "+09:60", "+24:00", "+09:5x"])
NOISE = st.sampled_from(list("0123456789:-+TZ .x٣") + ["", "00"])


@st.composite
def datetime_strings(draw) -> str:
    text = draw(VALID).strftime("%Y-%m-%dT%H:%M:%S") + draw(OFFSET)
    if draw(st.booleans()):
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(NOISE) + text[i + 1:]
    return text


@settings(max_examples=examples(3000), deadline=None)
@given(text=datetime_strings())
def test_inline_parsing_agrees_with_the_runtime_reader(probe, text):
    assert read_by_evaluator(probe, text) == read_by_runtime(text)


@pytest.mark.parametrize("text", [
    "2025-06-01T14:00:00+09:00", "2025-06-01T05:00:00Z", "2025-06-01T14:00:00",
    "1900-01-01T00:00:00", "2999-12-31T23:59:59Z", "1899-12-31T23:59:59Z", "3000-01-01T00:00:00",
    "2025-02-29T10:00:00", "2025-02-28T24:00:00Z", "2025-06-01T14:00:00+09:60", "2025-06-01T14:00:00+23:59",
    "2025-06-01T14:00:00.5Z", "2025-06-01T14:00", "2025-06-01T14:00:00z", "2025-06-01t14:00:00Z",
    "2025-06-01T14:00:0٣Z", "２025-06-01T14:00:00Z",
])
def test_each_shape_and_its_edges(probe, text):
    assert read_by_evaluator(probe, text) == read_by_runtime(text)


def test_a_naive_time_is_the_instant_it_names_in_the_zone(probe):
    # New York moved its clocks from 02:00 to 03:00 on 2025-03-09: 01:30 and 03:30 are one hour
    # apart, not two (a datetime carrying the zone would subtract the wall clocks).
    assert probe.evaluate({"at": "2025-03-09T01:30:00", "later": "2025-03-09T03:30:00"}).outputs["fee"] == 1
    assert probe.evaluate({"at": "2025-03-09T01:30:00", "later": "2025-03-09T07:30:00Z"}).outputs["fee"] == 1
    # 01:30 on 2025-11-02 happened twice; a naive time names the first (EDT, UTC−4).
    assert probe.evaluate({"at": "2025-11-02T01:30:00"}).outputs["seen"] == "2025-11-02T01:30:00-04:00"
    assert probe.evaluate({"at": "2025-11-02T01:30:00", "later": "2025-11-02T06:30:00Z"}).outputs["fee"] == 1
    # datetime objects carrying the zone itself are instants too.
    at, later = datetime(2025, 3, 9, 1, 30, tzinfo=NEW_YORK), datetime(2025, 3, 9, 3, 30, tzinfo=NEW_YORK)
    assert probe.evaluate({"at": at, "later": later}).outputs["fee"] == 1
    assert probe.evaluate({"at": datetime(2025, 3, 9, 1, 30), "later": later}).outputs["fee"] == 1


def test_the_runtime_reader_reads_naive_times_and_objects_as_utc_instants():
    errors: list = []
    for value in ("2025-03-09T01:30:00", datetime(2025, 3, 9, 1, 30)):
        got = rt.read_datetime(value, "/at", errors, NEW_YORK)
        assert got.tzinfo is timezone.utc and got == datetime(2025, 3, 9, 6, 30, tzinfo=timezone.utc)
    second = rt.read_datetime(datetime(2025, 11, 2, 1, 30, fold=1), "/at", errors, NEW_YORK)
    assert second == datetime(2025, 11, 2, 6, 30, tzinfo=timezone.utc) and second.fold == 0
    assert errors == []
    assert rt.instant(datetime(2025, 6, 1, 14, 0), ZoneInfo("Asia/Seoul")) == datetime(2025, 6, 1, 5, 0, tzinfo=timezone.utc)


INSTANTS = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(timezone.utc))
WRITTEN_IN = st.sampled_from([None, timezone.utc, NEW_YORK, timezone(timedelta(hours=-5)), timezone(timedelta(hours=-4)),
                              timezone(timedelta(hours=9)), timezone(timedelta(hours=-3, minutes=-30))])


def written(instant: datetime, zone) -> str:
    """The instant as a service might send it: naive New York wall time, `Z`, or with an offset."""
    if zone is None:
        return instant.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M:%S")
    text = instant.astimezone(zone).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if zone is timezone.utc else text


@settings(max_examples=examples(2000), deadline=None)
@given(a=INSTANTS, b_delta=st.integers(-3 * 86400, 3 * 86400), za=WRITTEN_IN, zb=WRITTEN_IN)
def test_in_day_of_is_the_calendar_day_in_the_zone(probe, a, b_delta, za, zb):
    b = a + timedelta(seconds=b_delta)
    at, other = written(a, za), written(b, zb)
    # A naive time in a repeated hour names the first of the two: compare what was read.
    a_read = rt.read_datetime(at, "/at", [], NEW_YORK)
    b_read = rt.read_datetime(other, "/other", [], NEW_YORK)
    same = a_read.astimezone(NEW_YORK).date() == b_read.astimezone(NEW_YORK).date()
    assert (probe.evaluate({"at": at, "other": other}).rule == "same_day") == same, (at, other)


COUNTS = '''policy dtread.counts "달력 세기"
  source "001_643b8286a8614a89.txt" section "이용료 취소수수료"
  zone America/New_York

record event "이벤트"
  at: datetime "시각"

input as_of: datetime "기준 시각"
input ref: optional datetime "참고 시각"
input events: list of event max 100 "이벤트들"

let later = as_of + 1h "한 시간 뒤"

output same_day: int = count events where at in day of as_of "같은 날"
output same_month: int = count events where at in month of later "같은 달"
output ref_month: int = count events where ref is given and at in month of ref "참고와 같은 달"
output fee: money "수수료"

rule r "x" otherwise then fee = 0원
'''


@pytest.fixture(scope="module")
def counts(tmp_path_factory):
    return compile_policy(tmp_path_factory.mktemp("counts"), "dtread.counts", COUNTS)


@settings(max_examples=examples(300), deadline=None)
@given(base=INSTANTS, deltas=st.lists(st.integers(-40 * 86400, 40 * 86400), max_size=12),
       zones=st.lists(WRITTEN_IN, min_size=12, max_size=12), ref=st.none() | INSTANTS)
def test_counting_by_day_and_month_in_the_zone(counts, base, deltas, zones, ref):
    # The anchor's day or month is worked out once for the list; the counts must be those of
    # astimezone, event by event (an optional anchor is not worked out ahead: it may be missing).
    events = [base + timedelta(seconds=d) for d in deltas]
    raw = {"as_of": written(base, None), "events": [{"at": written(e, z)} for e, z in zip(events, zones)]}
    if ref is not None:
        raw["ref"] = written(ref, timezone.utc)
    out = counts.evaluate(raw).outputs
    read = [rt.read_datetime(ev["at"], "", [], NEW_YORK).astimezone(NEW_YORK) for ev in raw["events"]]
    as_of = rt.read_datetime(raw["as_of"], "", [], NEW_YORK)
    later = (as_of + timedelta(hours=1)).astimezone(NEW_YORK)
    assert out["same_day"] == sum(1 for t in read if t.date() == as_of.astimezone(NEW_YORK).date())
    assert out["same_month"] == sum(1 for t in read if (t.year, t.month) == (later.year, later.month))
    ref_local = ref.astimezone(NEW_YORK) if ref is not None else None
    assert out["ref_month"] == (0 if ref is None else sum(1 for t in read if (t.year, t.month) == (ref_local.year, ref_local.month)))
