"""Replies that say dates and timestamps the way people do (relative to the dialogue's day), while
still carrying a returned value word for word; ids, prices tiers and joins said in several ways."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from turnloom.agents.offline._replies import summarize
from turnloom.agents.spoken import say_moment
from turnloom.agents.verify._meaning_rules import _sayable
from turnloom.agents.verify.judges import judge_hallucination
from turnloom.scenarios import load_scenario, scenario_tools
from turnloom.schema import Message, ToolCall, ToolResult, ToolSpec

TODAY = dt.date(2026, 4, 29)


def _tools(scenario: str) -> dict[str, ToolSpec]:
    return {t.name: t for t in scenario_tools(load_scenario(scenario))}


GET_TICKET = _tools("support_desk")["get_ticket"]


@pytest.mark.parametrize(("value", "want"), [
    ("2026-04-28T15:40:00Z", {"yesterday at 3:40 pm", "yesterday at 15:40"}),
    ("2026-04-29", {"today"}),
    ("2026-04-30T09:05:00Z", {"tomorrow at 9:05 am", "tomorrow at 09:05"}),
])
def test_a_moment_near_the_dialogue_day_is_said_relative_to_it(value: str, want: set[str]) -> None:
    said = {say_moment(value, TODAY, random.Random(seed)) for seed in range(20)}
    assert {s[0] for s in said if s} <= want and all(s and not s[1] for s in said)


def test_a_far_moment_is_said_by_day_and_month_and_other_text_is_left_alone() -> None:
    said = {say_moment("2023-05-15T14:53:59Z", TODAY, random.Random(seed)) for seed in range(30)}
    assert ("15 May 2023 at 2:53 pm", True) in said and ("May 15, 2023 at 2:53 pm", True) in said
    assert ("Monday 15 May 2023 at 14:53", True) in said
    assert say_moment("22:45", TODAY, random.Random(0)) is None
    assert say_moment("2026-13-45", TODAY, random.Random(0)) is None
    assert say_moment("Open", None, random.Random(0)) is None


def test_every_number_a_said_moment_holds_is_part_of_the_value() -> None:
    rng = random.Random(3)
    for _ in range(400):
        day = TODAY + dt.timedelta(days=rng.randint(-900, 40))
        value = f"{day.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
        said = say_moment(value, TODAY if rng.random() < 0.5 else None, rng)
        assert said is not None
        for number in re.findall(r"\d+", said[0]):
            assert int(number) <= 10 or number in value, (value, said)


def _reply_checks(content: dict[str, object], reply: str) -> None:
    text = reply.lower()
    assert any(v in text for v in _sayable(content)), reply  # reply_reflects_results
    call = ToolCall(id="c1", name="get_ticket", arguments={"ticket_id": "TIC-00001"})
    msgs = [Message(role="user", content="get ticket TIC-00001"),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", name="get_ticket",
                    result=ToolResult(call_id="c1", name="get_ticket", content=content)),
            Message(role="assistant", content=reply)]
    assert all(c.passed for c in judge_hallucination(msgs)), reply


def test_a_record_says_its_timestamps_as_people_do_next_to_a_value_said_word_for_word() -> None:
    call = ToolCall(id="c1", name="get_ticket", arguments={"ticket_id": "TIC-00001"})
    near = {"ticket_id": "TIC-00001", "status": "open", "updated_at": "2026-04-28T23:40:00Z"}
    far = {"ticket_id": "TIC-00001", "status": "open", "updated_at": "2025-11-02T08:15:00Z"}
    for content, spoken, raw in ((near, "updated yesterday at 23:40", "11:40 pm"),
                                 (far, "updated on 2 November 2025 at 8:15 am", "2025-11-02T08:15:00Z")):
        replies = [summarize(GET_TICKET, call, content, random.Random(seed), TODAY) for seed in range(60)]
        said = " ".join(replies)
        assert spoken in said and raw not in said  # 11 is no number of 23:40:00
        for reply in replies:
            _reply_checks(content, reply)


def test_a_date_that_is_the_only_fact_stays_word_for_word() -> None:
    content = {"updated_at": "2026-04-28T15:40:00Z"}
    for seed in range(20):
        reply = summarize(GET_TICKET, None, content, random.Random(seed), TODAY)
        assert "2026-04-28T15:40:00Z" in reply, reply
        _reply_checks(content, reply)


def test_a_price_tier_is_no_amount_of_money() -> None:
    search = _tools("restaurants")["search_restaurants"]
    content = {"restaurants": [{"name": f"Fig & Olive {i}", "price_level": 2, "rating": 4.5} for i in range(3)]}
    replies = " ".join(summarize(search, None, content, random.Random(seed), TODAY) for seed in range(80))
    assert "price tier 2" in replies or "2 on the price scale" in replies or "2 on price" in replies
    assert "costing 2" not in replies and "priced at 2" not in replies and "2 in total" not in replies


def test_facts_and_ids_are_joined_and_led_in_more_than_one_way() -> None:
    content = {"ticket_id": "TIC-00001", "status": "open", "category": "billing", "priority": "low"}
    replies = [summarize(GET_TICKET, None, content, random.Random(seed), TODAY) for seed in range(120)]
    joined = " ".join(replies)
    assert ", plus " in joined and ", along with " in joined
    assert sum("TIC-00001" in r for r in replies) == len(replies)
    assert len({r.split("TIC-00001")[0][-12:] for r in replies}) > 15
