"""Date ranges among arguments: found by name, kept in order by the planner, caught by the verifier."""

from __future__ import annotations

import asyncio
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from turnloom.agents.verify._rules import RuleContext, repeated_call
from turnloom.scenarios import load_scenario
from turnloom.schema import Message, ToolCall, ToolResult
from turnloom.simulate import Simulator
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.ranges import as_date, inverted_ranges, range_pairs, repair_ranges


def test_pairs_by_name_in_any_style() -> None:
    names = ["check_in", "check_out", "startTime", "endTime", "date_from", "date_to", "departure_date",
             "return_date", "from_currency", "to_currency", "city"]
    assert range_pairs(names) == [("check_in", "check_out"), ("date_from", "date_to"),
                                  ("departure_date", "return_date"), ("from_currency", "to_currency"),
                                  ("startTime", "endTime")]
    # currencies pair by name but are not dates: never inverted
    assert inverted_ranges({"from_currency": "USD", "to_currency": "EUR"}) == []


def test_repair_moves_the_end_after_the_start_in_its_own_format() -> None:
    args = {"check_in": "2026-06-06", "check_out": "2023-07-11", "guests": 2}
    fixed = repair_ranges(args)
    assert fixed["check_in"] == "2026-06-06" and fixed["guests"] == 2
    assert "2026-06-07" <= fixed["check_out"] <= "2026-06-20"
    assert repair_ranges(args, fixed={"check_out"})["check_out"] == "2023-07-11"
    assert repair_ranges(args, fixed={"check_out"})["check_in"] < "2023-07-11"
    stamp = repair_ranges({"startTime": "2025-01-05T10:00:00Z", "endTime": "2025-01-02T09:00:00Z"})
    assert stamp["endTime"].endswith("T09:00:00Z") and stamp["endTime"] > "2025-01-05"


days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31))


@given(days, days, st.booleans(), st.booleans())
def test_repaired_ranges_are_never_inverted(a: dt.date, b: dt.date, stamp_a: bool, stamp_b: bool) -> None:
    text = [d.isoformat() + ("T08:30:00" if s else "") for d, s in ((a, stamp_a), (b, stamp_b))]
    args = {"start_date": text[0], "end_date": text[1]}
    for fixed in ((), ("end_date",)):
        out = repair_ranges(args, fixed=fixed)
        assert inverted_ranges(out) == []
        assert all(as_date(v) is not None and len(v) == len(args[k]) for k, v in out.items())
        assert repair_ranges(out, fixed=fixed) == out
    if not inverted_ranges(args):
        assert repair_ranges(args) == args


def test_offline_plans_keep_ranges_in_order() -> None:
    sim = Simulator(load_scenario("travel"))

    async def calls() -> list[ToolCall]:
        out = []
        for i in range(40):
            d = await sim.simulate(i, 7)
            out += [c for m in d.messages for c in m.tool_calls]
        return out

    found = asyncio.run(calls())
    assert any(range_pairs(list(c.arguments)) for c in found)
    assert [c for c in found if inverted_ranges(c.arguments)] == []


def _ctx(messages: list[Message]) -> RuleContext:
    return RuleContext(messages=messages, tools={}, env=ToolEnvironment([]))


def test_a_retry_after_an_error_is_not_a_repeated_call() -> None:
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo"})
    again = call.model_copy(update={"id": "c2"})
    failed = ToolResult(call_id="c1", name="get_weather", error="503 Service Unavailable")
    ok = ToolResult(call_id="c2", name="get_weather", content={"temp_c": 3})
    msgs = [Message(role="user", content="Weather in Oslo?"),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", content=failed.to_text(), tool_call_id="c1", result=failed),
            Message(role="assistant", content="", tool_calls=[again]),
            Message(role="tool", content=ok.to_text(), tool_call_id="c2", result=ok)]
    assert all(c.passed for c in repeated_call(_ctx(msgs)))
    third = again.model_copy(update={"id": "c3"})
    msgs += [Message(role="assistant", content="", tool_calls=[third])]
    assert [c.message_index for c in repeated_call(_ctx(msgs)) if not c.passed] == [5]
    # a new user turn may ask the same thing again
    msgs[5:] = [Message(role="assistant", content="It is 3 °C."), Message(role="user", content="And now?"),
                Message(role="assistant", content="", tool_calls=[third])]
    assert all(c.passed for c in repeated_call(_ctx(msgs)))
