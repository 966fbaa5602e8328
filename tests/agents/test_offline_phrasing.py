"""The offline user and assistant: requests from intents in persona styles, read back
by the assistant; replies that report the few values that matter."""

from __future__ import annotations

import asyncio
import json
import random
import string
from collections import Counter

import pytest

from turnloom.agents import AgentView
from turnloom.agents.offline import OfflineAssistant, OfflineUser
from turnloom.agents.offline._extract import score_tool
from turnloom.agents.offline._replies import summarize
from turnloom.agents.offline._templates import STYLES, assistant_data, expand, pick_style, user_data
from turnloom.scenarios import load_scenario, scenario_tools
from turnloom.schema import Message, Plan, PlanStep, ToolCall, ToolResult, ToolSpec

_DESCRIPTION = "Returns a list of available flights between two cities on a given date"

FLIGHTS = ToolSpec(
    name="search_flights", description=_DESCRIPTION,
    parameters={"type": "object", "properties": {"origin": {"type": "string"}, "destination": {"type": "string"},
                                                   "date": {"type": "string", "format": "date"}},
                "required": ["origin", "destination", "date"]},
    returns={"type": "object", "properties": {"flights": {"type": "array", "items": {"type": "object"}}}},
)
SLOTS = {"origin": "Lisbon", "destination": "Porto", "date": "2026-05-01"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _all_templates(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for v in node.values() for t in _all_templates(v)]
    if isinstance(node, list):
        return [t for v in node for t in _all_templates(v)]
    return []


def test_templates_are_data_and_expand_deterministically() -> None:
    for section in ("request", "dependent", "clarify_answer", "closing", "greet"):
        assert set(user_data()[section]) == set(STYLES), section
    for template in _all_templates(user_data()) + _all_templates(assistant_data()):
        assert template.count("[") == template.count("]"), template
        for k in range(5):
            text = expand(template, random.Random(k))
            assert "[" not in text and "|" not in text, text
            assert _fields(text) <= {"action", "args", "Args", "ref", "args_tail", "phrase", "value", "entity", "what",
                                     "a", "b", "ordinal", "weekday", "count", "noun", "noun_one", "items", "extra",
                                     "facts", "Facts", "status", "error", "capabilities", "p", "v",
                                     "V", "n", "s", "people", "meant", "end"}, text
    assert expand("[a|b|c] [x|y]", random.Random(3)) == expand("[a|b|c] [x|y]", random.Random(3))


def test_persona_words_make_a_style_likelier() -> None:
    brief = Counter(pick_style("a traveller who writes brief, direct messages", str(k)) for k in range(300))
    formal = Counter(pick_style("a polite, formal corporate buyer", str(k)) for k in range(300))
    assert brief.most_common(1)[0][0] == "brief" and formal.most_common(1)[0][0] == "formal"
    assert len(brief) == len(STYLES)  # the other styles still appear


def _opening(seed: int, persona: str) -> str:
    step = PlanStep(index=0, kind="single", intent="search flights", tools=["search_flights"], slots=SLOTS)
    plan = Plan(steps=[step], tools=["search_flights"], persona=persona)
    return OfflineUser().opening(step, plan, {"search_flights": FLIGHTS}, random.Random(seed))


@pytest.mark.parametrize("persona", ["writes brief messages", "chatty and friendly", "formal", "non-native speaker",
                                     "types in a hurry on the phone"])
def test_requests_come_from_the_intent_and_the_assistant_reads_them_back(persona: str) -> None:
    texts = set()
    for seed in range(40):
        text = _opening(seed, persona)
        texts.add(text)
        assert _DESCRIPTION.lower() not in text.lower() and "returns" not in text.lower(), text
        view = AgentView(role="assistant", seed=seed, tools=[FLIGHTS], messages=[Message(role="user", content=text)])
        out = asyncio.run(OfflineAssistant().act(view)).messages[0]
        assert [(c.name, c.arguments) for c in out.tool_calls] == [("search_flights", SLOTS)], text
    assert len(texts) >= 30  # not one sentence repeated


def test_a_date_is_said_with_its_weekday_next_to_it() -> None:
    said = [_opening(seed, "chatty") for seed in range(40)]
    with_day = [t for t in said if "Friday" in t]  # 2026-05-01 is a Friday
    assert with_day and all("2026-05-01" in t for t in with_day)


def _food_tools() -> dict[str, ToolSpec]:
    return {t.name: t for t in scenario_tools(load_scenario("food_delivery"))}


def test_a_get_request_is_not_widened_into_a_list_request() -> None:
    tools = _food_tools()
    text = "go with that one. get the food order."
    assert score_tool(text, tools["get_food_order"]) > score_tool(text, tools["list_food_orders"])


def test_enum_values_are_not_read_as_verbs() -> None:
    tools = {t.name: t for t in scenario_tools(load_scenario("health_clinic"))}
    text = "want to find appointments.. email ann@example.com and status: no_show."
    assert score_tool(text, tools["list_appointments"]) > score_tool(text, tools["get_appointment"])


def store_listing(last: str) -> list[Message]:
    """A food-store search with three results, then the user's ``last`` message about them."""
    stores = {"stores": [{"store_id": f"STO-0000{i}", "name": f"Store {i}", "rating": 4.0 + i / 10} for i in (1, 2, 3)]}
    call = ToolCall(id="c1", name="search_food_stores", arguments={"delivery_address": "1 Main St"})
    return [Message(role="user", content="search food stores, delivery address \"1 Main St\"."),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", name=call.name,
                    result=ToolResult(call_id="c1", name=call.name, content=stores)),
            Message(role="assistant", content="Found 3 stores."),
            Message(role="user", content=last)]


def test_a_list_reference_picks_the_named_item() -> None:
    tools = _food_tools()
    msgs = store_listing("ok, the second store on this list. fetch the store menu.")
    out = asyncio.run(OfflineAssistant().act(AgentView(role="assistant", seed=1, tools=list(tools.values()),
                                                       messages=msgs))).messages[0]
    assert [(c.name, c.arguments) for c in out.tool_calls] == [("get_store_menu", {"store_id": "STO-00002"})]


def test_replies_report_a_few_values_without_dumps() -> None:
    flights = {"flights": [{"flight_id": f"FLI-0000{i}", "airline": f"Air {i}", "price": 100 + i,
                            "notes": "Call country allow people whatever seven thing."} for i in range(1, 6)]}
    for seed in range(30):
        text = summarize(FLIGHTS, None, flights, random.Random(seed))
        assert "{" not in text and "[" not in text and "Call country" not in text, text
        assert sum(f"Air {i}" in text for i in range(1, 6)) <= 3 and "Air 1" in text, text
    booking = ToolSpec(name="book_flight", description="Book a flight",
                       parameters={"type": "object", "properties": {"flight_id": {"type": "string"}}},
                       returns={"type": "object", "properties": {"booking_id": {"type": "string"}}})
    replies = {summarize(booking, None, {"booking_id": "BK-00042", "status": "confirmed", "price": 129.5},
                         random.Random(seed)) for seed in range(30)}
    assert all("BK-00042" in r for r in replies) and len(replies) >= 10


def test_a_reply_to_a_long_text_only_result_still_quotes_a_value() -> None:
    text = summarize(None, None, {"message": "Call country allow people whatever seven thing.", "code": "OK-7"},
                     random.Random(0))
    assert "OK-7" in text and json.dumps({}) not in text


def test_a_bare_result_is_confirmed_in_several_wordings_that_quote_it() -> None:
    from turnloom.agents.offline._replies import _fallback

    said = {_fallback({"result": "Ticket 1 has been closed successfully."}, random.Random(k)) for k in range(40)}
    assert len(said) >= 5, said
    assert all("Ticket 1 has been closed successfully." in s and ".." not in s for s in said), said
    bare = {_fallback({"ok": True}, random.Random(k)) for k in range(40)}
    assert len(bare) >= 3 and all(s.endswith(".") for s in bare), bare
