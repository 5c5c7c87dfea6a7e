"""The rule engines a user might pick instead, each given both policies the way that engine wants them.

Every engine is prepared once (compiled, loaded, bundled) and reused. The Python that turns a
raw input into what the engine takes (ISO strings to seconds before the anchor, local days),
and the Python that reads the engine's answer back, run inside the timed call. The adapters
do no input validation beyond what parsing the datetimes does, which favours the engines.

Each builder returns {policy id: callable(raw) -> comparable tuple}:
pet_taxi: (fee, rule id); jeju_rentcar: (fee percent, card fee, point fee, rule id).
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
PET = "pet_taxi.cancellation_fee"
JEJU = "jeju_rentcar.cancellation_fee"

# Window edges in seconds, written once here for every engine.
H24, H9, H1, MIN5, MIN10 = 86400, 32400, 3600, 300, 600
H168, H72 = 604800, 259200
GRID = {"super_saver": (10, 30, 100, 100), "discount": (0, 10, 30, 50), "standard": (0, 0, 0, 30)}
COLUMNS = ("d7", "d3", "d1", "d0")
LATE_EXCEPTIONS = (("family_death", 10), ("infection_self", 0), ("infection_companion", 30), ("active_monitoring", 100))


# ---------------------------------------------------------------- input conversion (timed)


def _at(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=SEOUL)


def pet_context(raw: dict) -> dict:
    """Seconds relative to the departure, as a decision table wants them (None = not given)."""
    departure = _at(raw["departure_at"])
    cancelled = _at(raw["cancelled_at"])
    v = raw.get("driver_departed_at")
    departed_after = None if v is None else (_at(v) - departure).total_seconds()
    v = raw.get("driver_arrived_at")
    arrived_after = None if v is None else (_at(v) - departure).total_seconds()
    v = raw.get("dispatched_at")
    since_dispatch = None if v is None else (cancelled - _at(v)).total_seconds()
    return {
        "fare": raw["fare"],
        "no_show": raw.get("no_show", False),
        "before": (departure - cancelled).total_seconds(),
        "departed_after": departed_after,
        "arrived_after": arrived_after,
        "since_dispatch": since_dispatch,
    }


def jeju_context(raw: dict) -> dict:
    """Seconds before pickup and the Korean calendar days of booking and cancelling."""
    cancelled = _at(raw["cancelled_at"])
    return {
        "rate_plan": raw["rate_plan"],
        "no_show": raw.get("no_show", False),
        "exception": raw.get("exception"),
        "hours_before": (_at(raw["pickup_at"]) - cancelled).total_seconds(),
        "booked_day": _at(raw["booked_at"]).astimezone(SEOUL).toordinal(),
        "cancelled_day": cancelled.astimezone(SEOUL).toordinal(),
    }


def _jeju_result(raw: dict, percent, rule: str) -> tuple[int, int, int, str]:
    percent = int(percent)
    return (percent, raw.get("card_amount", 0) * percent // 100, raw.get("point_amount", 0) * percent // 100, rule)


def _grid_rows():
    """The 12 grid cells as (plan, column index, low, high) with [low, high) in seconds; None = unbounded."""
    bounds = ((H168, None), (H72, H168), (H24, H72), (None, H24))
    for plan in GRID:
        for col, (low, high) in enumerate(bounds):
            yield plan, col, low, high


# ---------------------------------------------------------------- GoRules zen-engine: decision tables


def _zen_graph(table: dict) -> str:
    return json.dumps({
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {"id": "table", "type": "decisionTableNode", "name": "Fee", "position": {"x": 200, "y": 0}, "content": table},
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 400, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "type": "edge", "sourceId": "in", "targetId": "table"},
            {"id": "e2", "type": "edge", "sourceId": "table", "targetId": "out"},
        ],
    })


def _zen_table(inputs: list[tuple[str, str]], outputs: list[str], rows: list[dict]) -> dict:
    rules = []
    for i, row in enumerate(rows):
        rule = {"_id": f"r{i}"}
        for col, _ in inputs:
            rule[col] = row.get(col, "")
        for out in outputs:
            rule[out] = row[out]
        rules.append(rule)
    return {
        "hitPolicy": "first",
        "inputs": [{"id": col, "type": "expression", "field": field, "name": col} for col, field in inputs],
        "outputs": [{"id": out, "type": "expression", "field": out, "name": out} for out in outputs],
        "rules": rules,
    }


def build_zen() -> dict:
    import zen

    pet = _zen_table(
        [("departed_after", "departed_after"), ("arrived_after", "arrived_after"), ("no_show", "no_show"),
         ("since_dispatch", "since_dispatch"), ("before", "before")],
        ["fee", "rule"],
        [
            {"departed_after": "> 0", "fee": "0", "rule": '"driver_not_departed"'},
            {"arrived_after": f"> {MIN5}", "fee": "0", "rule": '"driver_not_arrived"'},
            {"no_show": "true", "fee": "min([fare, 30000])", "rule": '"passenger_no_show"'},
            {"since_dispatch": f"[0..{MIN10}]", "fee": "0", "rule": '"dispatch_grace"'},
            {"before": f"> {H24}", "fee": "0", "rule": '"by_time.free"'},
            {"before": f"({H9}..{H24}]", "fee": "min([floor(fare * 10 / 100), 8000])", "rule": '"by_time.early"'},
            {"before": f"({H1}..{H9}]", "fee": "min([floor(fare * 50 / 100), 8000])", "rule": '"by_time.late"'},
            {"before": f"<= {H1}", "fee": "min([fare, 15000])", "rule": '"by_time.last"'},
        ],
    )
    jeju_rows = [{"exception": '"flight_cancelled"', "fee_percent": "0", "rule": '"exception_flight_cancelled"'}]
    for exc, pct in LATE_EXCEPTIONS:
        jeju_rows.append({"exception": f'"{exc}"', "hours_before": f"< {H24}", "fee_percent": str(pct), "rule": f'"exception_{exc}"'})
    jeju_rows += [
        {"no_show": "true", "rate_plan": '"super_saver", "discount"', "fee_percent": "100", "rule": '"no_show_nonrefundable"'},
        {"no_show": "true", "rate_plan": '"standard"', "fee_percent": "50", "rule": '"no_show_standard"'},
        {"same_day": "true", "hours_before": f">= {H24}", "fee_percent": "0", "rule": '"same_day_free"'},
    ]
    for plan, col, low, high in _grid_rows():
        cell = f">= {low}" if high is None else f"< {high}" if low is None else f"[{low}..{high})"
        jeju_rows.append({"rate_plan": f'"{plan}"', "hours_before": cell, "fee_percent": str(GRID[plan][col]),
                          "rule": f'"fee_table.{plan}.{COLUMNS[col]}"'})
    jeju = _zen_table(
        [("exception", "exception"), ("no_show", "no_show"), ("rate_plan", "rate_plan"),
         ("same_day", "booked_day == cancelled_day"), ("hours_before", "hours_before")],
        ["fee_percent", "rule"],
        jeju_rows,
    )
    graphs = {"pet": _zen_graph(pet), "jeju": _zen_graph(jeju)}
    engine = zen.ZenEngine({"loader": graphs.__getitem__})
    evaluate = engine.evaluate

    def pet_taxi(raw):
        r = evaluate("pet", pet_context(raw))["result"]
        return r["fee"], r["rule"]

    def jeju_rentcar(raw):
        r = evaluate("jeju", jeju_context(raw))["result"]
        return _jeju_result(raw, r["fee_percent"], r["rule"])

    return {PET: pet_taxi, JEJU: jeju_rentcar}


# ---------------------------------------------------------------- datalogic-py: JsonLogic, Rust core


def build_datalogic() -> dict:
    import datalogic_py

    def var(name):
        return {"var": name}

    def given(name):
        return {"!==": [var(name), None]}  # strict: loose `!=` takes 0 for null

    def capped(percent, cap):
        # JsonLogic `/` divides in floating point; floor of fare * p / 100 is exact for these sizes.
        amount = var("fare") if percent == 100 else {"floor": {"/": [{"*": [var("fare"), percent]}, 100]}}
        return {"min": [amount, cap]}

    pet = {"if": [
        {"and": [given("departed_after"), {">": [var("departed_after"), 0]}]}, [0, "driver_not_departed"],
        {"and": [given("arrived_after"), {">": [var("arrived_after"), MIN5]}]}, [0, "driver_not_arrived"],
        var("no_show"), [capped(100, 30000), "passenger_no_show"],
        {"and": [given("since_dispatch"), {"<=": [0, var("since_dispatch"), MIN10]}]}, [0, "dispatch_grace"],
        {">": [var("before"), H24]}, [0, "by_time.free"],
        {">": [var("before"), H9]}, [capped(10, 8000), "by_time.early"],
        {">": [var("before"), H1]}, [capped(50, 8000), "by_time.late"],
        [capped(100, 15000), "by_time.last"],
    ]}
    hb = var("hours_before")
    branches: list = [{"==": [var("exception"), "flight_cancelled"]}, [0, "exception_flight_cancelled"]]
    for exc, pct in LATE_EXCEPTIONS:
        branches += [{"and": [{"==": [var("exception"), exc]}, {"<": [hb, H24]}]}, [pct, f"exception_{exc}"]]
    branches += [
        {"and": [var("no_show"), {"in": [var("rate_plan"), ["super_saver", "discount"]]}]}, [100, "no_show_nonrefundable"],
        {"and": [var("no_show"), {"==": [var("rate_plan"), "standard"]}]}, [50, "no_show_standard"],
        {"and": [{"==": [var("booked_day"), var("cancelled_day")]}, {">=": [hb, H24]}]}, [0, "same_day_free"],
    ]
    for plan, col, low, high in _grid_rows():
        if low is None and plan == "standard":
            branches.append([GRID[plan][col], f"fee_table.{plan}.{COLUMNS[col]}"])  # the last cell: else
            break
        cond = [{"==": [var("rate_plan"), plan]}]
        if low is not None:
            cond.append({">=": [hb, low]})
        if high is not None:
            cond.append({"<": [hb, high]})
        branches += [{"and": cond}, [GRID[plan][col], f"fee_table.{plan}.{COLUMNS[col]}"]]
    jeju = {"if": branches}

    engine = datalogic_py.Engine()
    pet_rule, jeju_rule = engine.compile(pet), engine.compile(jeju)
    pet_eval, jeju_eval = pet_rule.evaluate, jeju_rule.evaluate

    def pet_taxi(raw):
        fee, rule = pet_eval(pet_context(raw))
        return int(fee), rule

    def jeju_rentcar(raw):
        pct, rule = jeju_eval(jeju_context(raw))
        return _jeju_result(raw, pct, rule)

    return {PET: pet_taxi, JEJU: jeju_rentcar}


def build_datalogic_raw() -> dict:
    """datalogic-py's own datetime operators on the raw ISO strings: no datetime parsing in Python.

    `date_diff(a, b, "seconds")` gives the seconds between two instants; the Korean calendar day
    of an instant is floor((seconds since 1970 + 9 h) / 1 day) (Asia/Seoul has kept +09:00 since
    1988). The engine reads a naive time as UTC, so the adapter appends the policy zone's offset
    to the naive shape (19 characters); everything else reaches the engine as sent.
    """
    import datalogic_py

    def var(name):
        return {"var": name}

    def given(name):
        return {"!==": [var(name), None]}

    def seconds(a, b):
        return {"date_diff": [var(a), var(b), "seconds"]}

    def capped(percent, cap):
        amount = var("fare") if percent == 100 else {"floor": {"/": [{"*": [var("fare"), percent]}, 100]}}
        return {"min": [amount, cap]}

    def korean_day(name):
        return {"floor": {"/": [{"+": [{"date_diff": [var(name), "1970-01-01T00:00:00Z", "seconds"]}, H9]}, H24]}}

    before = seconds("departure_at", "cancelled_at")
    pet = {"if": [
        {"and": [given("driver_departed_at"), {">": [seconds("driver_departed_at", "departure_at"), 0]}]},
        [0, "driver_not_departed"],
        {"and": [given("driver_arrived_at"), {">": [seconds("driver_arrived_at", "departure_at"), MIN5]}]},
        [0, "driver_not_arrived"],
        var("no_show"), [capped(100, 30000), "passenger_no_show"],
        {"and": [given("dispatched_at"), {"<=": [0, seconds("cancelled_at", "dispatched_at"), MIN10]}]},
        [0, "dispatch_grace"],
        {">": [before, H24]}, [0, "by_time.free"],
        {">": [before, H9]}, [capped(10, 8000), "by_time.early"],
        {">": [before, H1]}, [capped(50, 8000), "by_time.late"],
        [capped(100, 15000), "by_time.last"],
    ]}
    hb = seconds("pickup_at", "cancelled_at")
    branches: list = [{"==": [var("exception"), "flight_cancelled"]}, [0, "exception_flight_cancelled"]]
    for exc, pct in LATE_EXCEPTIONS:
        branches += [{"and": [{"==": [var("exception"), exc]}, {"<": [hb, H24]}]}, [pct, f"exception_{exc}"]]
    branches += [
        {"and": [var("no_show"), {"in": [var("rate_plan"), ["super_saver", "discount"]]}]}, [100, "no_show_nonrefundable"],
        {"and": [var("no_show"), {"==": [var("rate_plan"), "standard"]}]}, [50, "no_show_standard"],
        {"and": [{"==": [korean_day("booked_at"), korean_day("cancelled_at")]}, {">=": [hb, H24]}]}, [0, "same_day_free"],
    ]
    for plan, col, low, high in _grid_rows():
        if low is None and plan == "standard":
            branches.append([GRID[plan][col], f"fee_table.{plan}.{COLUMNS[col]}"])
            break
        cond = [{"==": [var("rate_plan"), plan]}]
        if low is not None:
            cond.append({">=": [hb, low]})
        if high is not None:
            cond.append({"<": [hb, high]})
        branches += [{"and": cond}, [GRID[plan][col], f"fee_table.{plan}.{COLUMNS[col]}"]]
    jeju = {"if": branches}

    engine = datalogic_py.Engine()
    pet_eval, jeju_eval = engine.compile(pet).evaluate, engine.compile(jeju).evaluate
    pet_times = ("departure_at", "cancelled_at", "dispatched_at", "driver_departed_at", "driver_arrived_at")
    jeju_times = ("booked_at", "cancelled_at", "pickup_at")

    def zoned(raw, names):
        # Copy the input only when a naive time is in it (the engine would read it as UTC).
        for name in names:
            v = raw.get(name)
            if v is not None and len(v) == 19:
                raw = dict(raw)
                for n in names:
                    v = raw.get(n)
                    if v is not None and len(v) == 19:
                        raw[n] = v + "+09:00"
                return raw
        return raw

    def pet_taxi(raw):
        fee, rule = pet_eval(zoned(raw, pet_times))
        return int(fee), rule

    def jeju_rentcar(raw):
        pct, rule = jeju_eval(zoned(raw, jeju_times))
        return _jeju_result(raw, pct, rule)

    return {PET: pet_taxi, JEJU: jeju_rentcar}


# ---------------------------------------------------------------- common-expression-language: CEL, Rust core


def build_cel() -> dict:
    import cel

    def capped(percent, cap):
        amount = "fare" if percent == 100 else f"fare * {percent} / 100"  # int / int truncates: fare >= 0
        return f"({amount} < {cap} ? {amount} : {cap})"

    pet = (
        f'departed_after != null && departed_after > 0.0 ? [0, "driver_not_departed"]'
        f' : arrived_after != null && arrived_after > {MIN5}.0 ? [0, "driver_not_arrived"]'
        f' : no_show ? [{capped(100, 30000)}, "passenger_no_show"]'
        f' : since_dispatch != null && since_dispatch >= 0.0 && since_dispatch <= {MIN10}.0 ? [0, "dispatch_grace"]'
        f' : before > {H24}.0 ? [0, "by_time.free"]'
        f' : before > {H9}.0 ? [{capped(10, 8000)}, "by_time.early"]'
        f' : before > {H1}.0 ? [{capped(50, 8000)}, "by_time.late"]'
        f' : [{capped(100, 15000)}, "by_time.last"]'
    )
    col = f"(hours_before >= {H168}.0 ? 0 : hours_before >= {H72}.0 ? 1 : hours_before >= {H24}.0 ? 2 : 3)"
    grid = json.dumps({plan: list(rates) for plan, rates in GRID.items()})
    parts = ['exception == "flight_cancelled" ? [0, "exception_flight_cancelled"]']
    for exc, pct in LATE_EXCEPTIONS:
        parts.append(f'exception == "{exc}" && hours_before < {H24}.0 ? [{pct}, "exception_{exc}"]')
    parts += [
        'no_show && rate_plan in ["super_saver", "discount"] ? [100, "no_show_nonrefundable"]',
        'no_show && rate_plan == "standard" ? [50, "no_show_standard"]',
        f'booked_day == cancelled_day && hours_before >= {H24}.0 ? [0, "same_day_free"]',
        f'[{grid}[rate_plan][{col}], "fee_table." + rate_plan + "." + {json.dumps(list(COLUMNS))}[{col}]]',
    ]
    jeju = " : ".join(parts)
    pet_prog, jeju_prog = cel.compile(pet), cel.compile(jeju)
    pet_exec, jeju_exec = pet_prog.execute, jeju_prog.execute

    def pet_taxi(raw):
        fee, rule = pet_exec(pet_context(raw))
        return fee, rule

    def jeju_rentcar(raw):
        pct, rule = jeju_exec(jeju_context(raw))
        return _jeju_result(raw, pct, rule)

    return {PET: pet_taxi, JEJU: jeju_rentcar}


# ---------------------------------------------------------------- rule-engine: one Rule per policy rule, in order


def build_rule_engine() -> dict:
    import rule_engine

    Rule = rule_engine.Rule

    def capped(percent, cap):
        amount = "fare" if percent == 100 else f"fare * {percent} // 100"
        return Rule(f"{amount} < {cap} ? {amount} : {cap}")

    zero = Rule("0")
    pet = [
        (Rule("departed_after != null and departed_after > 0"), zero, "driver_not_departed"),
        (Rule(f"arrived_after != null and arrived_after > {MIN5}"), zero, "driver_not_arrived"),
        (Rule("no_show"), capped(100, 30000), "passenger_no_show"),
        (Rule(f"since_dispatch != null and since_dispatch >= 0 and since_dispatch <= {MIN10}"), zero, "dispatch_grace"),
        (Rule(f"before > {H24}"), zero, "by_time.free"),
        (Rule(f"before > {H9}"), capped(10, 8000), "by_time.early"),
        (Rule(f"before > {H1}"), capped(50, 8000), "by_time.late"),
        (Rule("true"), capped(100, 15000), "by_time.last"),
    ]
    jeju = [(Rule('exception == "flight_cancelled"'), 0, "exception_flight_cancelled")]
    for exc, pct in LATE_EXCEPTIONS:
        jeju.append((Rule(f'exception == "{exc}" and hours_before < {H24}'), pct, f"exception_{exc}"))
    jeju += [
        (Rule('no_show and rate_plan in ["super_saver", "discount"]'), 100, "no_show_nonrefundable"),
        (Rule('no_show and rate_plan == "standard"'), 50, "no_show_standard"),
        (Rule(f"booked_day == cancelled_day and hours_before >= {H24}"), 0, "same_day_free"),
    ]
    for plan, col, low, high in _grid_rows():
        cond = [f'rate_plan == "{plan}"']
        if low is not None:
            cond.append(f"hours_before >= {low}")
        if high is not None:
            cond.append(f"hours_before < {high}")
        jeju.append((Rule(" and ".join(cond)), GRID[plan][col], f"fee_table.{plan}.{COLUMNS[col]}"))

    def pet_taxi(raw):
        ctx = pet_context(raw)
        for cond, fee, rule in pet:
            if cond.matches(ctx):
                return int(fee.evaluate(ctx)), rule
        raise AssertionError("the last rule always matches")

    def jeju_rentcar(raw):
        ctx = jeju_context(raw)
        for cond, pct, rule in jeju:
            if cond.matches(ctx):
                return _jeju_result(raw, pct, rule)
        raise AssertionError("the grid covers every plan and time")

    return {PET: pet_taxi, JEJU: jeju_rentcar}


# ---------------------------------------------------------------- regopy: Rego, compiled to a bundle once

# regopy 1.5.2 orders numbers wrongly in min/max/sort (min({9, 10}) is 10): caps use `<`.
_REGO_PET = """
package pet

import rego.v1

capped(x, cap) := x if x < cap
capped(x, cap) := cap if not x < cap

decision := [0, "driver_not_departed"] if {
    input.departed_after > 0
} else := [0, "driver_not_arrived"] if {
    input.arrived_after > %(MIN5)d
} else := [capped(input.fare, 30000), "passenger_no_show"] if {
    input.no_show
} else := [0, "dispatch_grace"] if {
    input.since_dispatch >= 0
    input.since_dispatch <= %(MIN10)d
} else := [0, "by_time.free"] if {
    input.before > %(H24)d
} else := [capped(floor((input.fare * 10) / 100), 8000), "by_time.early"] if {
    input.before > %(H9)d
} else := [capped(floor((input.fare * 50) / 100), 8000), "by_time.late"] if {
    input.before > %(H1)d
} else := [capped(input.fare, 15000), "by_time.last"]
"""

_REGO_JEJU = """
package jeju

import rego.v1

grid := %(GRID)s
columns := %(COLUMNS)s
late_exception := %(LATE)s

col := 0 if {
    input.hours_before >= %(H168)d
} else := 1 if {
    input.hours_before >= %(H72)d
} else := 2 if {
    input.hours_before >= %(H24)d
} else := 3

decision := [0, "exception_flight_cancelled"] if {
    input.exception == "flight_cancelled"
} else := [late_exception[input.exception], concat("", ["exception_", input.exception])] if {
    late_exception[input.exception]
    input.hours_before < %(H24)d
} else := [100, "no_show_nonrefundable"] if {
    input.no_show
    input.rate_plan in {"super_saver", "discount"}
} else := [50, "no_show_standard"] if {
    input.no_show
    input.rate_plan == "standard"
} else := [0, "same_day_free"] if {
    input.booked_day == input.cancelled_day
    input.hours_before >= %(H24)d
} else := [grid[input.rate_plan][col], concat(".", ["fee_table", input.rate_plan, columns[col]])]
"""


def build_regopy() -> dict:
    from regopy import Input, Interpreter

    consts = {"MIN5": MIN5, "MIN10": MIN10, "H24": H24, "H9": H9, "H1": H1, "H168": H168, "H72": H72,
              "GRID": json.dumps({k: list(v) for k, v in GRID.items()}), "COLUMNS": json.dumps(list(COLUMNS)),
              "LATE": json.dumps(dict(LATE_EXCEPTIONS))}
    pet_rego, jeju_rego = Interpreter(), Interpreter()
    pet_rego.add_module("pet", _REGO_PET % consts)
    jeju_rego.add_module("jeju", _REGO_JEJU % consts)
    pet_bundle = pet_rego.build("x = data.pet.decision")
    jeju_bundle = jeju_rego.build("x = data.jeju.decision")

    def _input(ctx):
        # Absent, not null: a missing value makes a Rego rule body undefined, as intended.
        return Input({k: v for k, v in ctx.items() if v is not None})

    def pet_taxi(raw):
        pet_rego.set_input(_input(pet_context(raw)))
        fee, rule = pet_rego.query_bundle(pet_bundle)[0]["x"]
        return fee, rule

    def jeju_rentcar(raw):
        jeju_rego.set_input(_input(jeju_context(raw)))
        pct, rule = jeju_rego.query_bundle(jeju_bundle)[0]["x"]
        return _jeju_result(raw, pct, rule)

    return {PET: pet_taxi, JEJU: jeju_rentcar}


# name, distribution (for its version), builder, how the policies are written for it. Several entries of one
# distribution are configurations of one peer; the report names each peer's fastest beside it.
PEERS = (
    ("zen-engine", "zen-engine", build_zen, "JDM decision table, hit policy first; ZenEngine(loader).evaluate(key, ctx)"),
    ("datalogic-py", "datalogic-py", build_datalogic, "JsonLogic `if` chain, Engine.compile once, Rule.evaluate; datetimes"
     " parsed in Python by the adapter"),
    ("datalogic-py (raw datetimes)", "datalogic-py", build_datalogic_raw, "the same `if` chain on the raw ISO strings:"
     " `date_diff` in seconds, Korean days from seconds since 1970; the adapter only appends +09:00 to naive times"),
    ("CEL", "common-expression-language", build_cel, "one CEL expression (ternaries, grid as a map), cel.compile once, Program.execute"),
    ("rule-engine", "rule-engine", build_rule_engine, "one Rule per policy rule, tried in order, fee as a Rule expression"),
    ("regopy", "regopy", build_regopy, "Rego `else` chain (caps with `<`), built into a bundle once, query_bundle"),
)
