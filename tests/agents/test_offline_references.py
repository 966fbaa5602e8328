"""Ways the user points at an earlier result ("the order that was second on that list", "whichever
order you named first", "the third of those results"), a verb said as a value, and the get verbs
the user says: the offline assistant reads each one as the record and the tool meant."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re

import pytest

from turnloom.agents import AgentView
from turnloom.agents.offline import OfflineAssistant
from turnloom.agents.offline._phrasing import ORDINALS
from turnloom.agents.offline._results import COUNTED, LISTED_REF, _ordinal
from turnloom.agents.offline._templates import action_words, user_data
from turnloom.agents.offline.assistant import _REFERENCE
from turnloom.agents.offline.user import _say
from turnloom.scenarios import load_scenario, scenario_tools
from turnloom.schema import Message, ToolCall, ToolResult, ToolSpec

_GROUP = re.compile(r"\[([^\[\]]*)\]")


def _tools(scenario: str) -> list[ToolSpec]:
    return scenario_tools(load_scenario(scenario))


def _every_expansion(template: str) -> list[str]:
    groups = _GROUP.findall(template)
    parts = _GROUP.split(template)  # text, group, text, group, ...
    out = []
    for choice in itertools.product(*(g.split("|") for g in groups)):
        out.append("".join(p if i % 2 == 0 else choice[i // 2] for i, p in enumerate(parts)))
    return out


@pytest.mark.parametrize("template", user_data()["ref_listed"])
def test_every_listed_reference_the_user_says_is_read_whole_with_its_ordinal(template: str) -> None:
    for text in _every_expansion(template):
        for i, ordinal in enumerate(ORDINALS[:3]):
            ref = text.format(ordinal=ordinal, entity="food order", count=COUNTED[i])
            assert _REFERENCE.sub("", ref).strip() == "", ref
            assert LISTED_REF.search(ref), ref
            assert _ordinal(f"look up the food order for {ref}") == i, ref


@pytest.mark.parametrize("template", user_data()["ref_single"])
def test_every_single_reference_the_user_says_is_read_whole(template: str) -> None:
    for text in _every_expansion(template):
        ref = text.format(entity="food order")
        assert _REFERENCE.sub("", ref).strip() == "", ref
        assert not LISTED_REF.search(ref), ref


def _listing_then(text: str) -> list[Message]:
    orders = {"orders": [{"food_order_id": f"FO-1000{i}", "status": "placed", "total_amount": 10.5 + i}
                         for i in range(3)]}
    call = ToolCall(id="c1", name="list_food_orders", arguments={})
    return [Message(role="user", content="list my food orders"),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", name="list_food_orders", content=json.dumps(orders),
                    result=ToolResult(call_id="c1", name="list_food_orders", content=orders)),
            Message(role="assistant", content="3 orders: FO-10000, FO-10001 and FO-10002."),
            Message(role="user", content=text)]


@pytest.mark.parametrize(("text", "order"), [
    ("good. look up the food order for whichever order you named first.", "FO-10000"),
    ("gr8, look up the food order for the second of these results. Thank u.", "FO-10001"),
    ("ok, look up the food order for the order that was third on that list.", "FO-10002"),
    ("look up the food order for the second food order you found", "FO-10001"),
    ("option three on that list: look up the food order.", "FO-10002"),
    ("pick 2 from those results, and look up the food order. Party of four.", "FO-10001"),
])
def test_a_record_pointed_at_is_fetched_not_listed_again(text: str, order: str) -> None:
    view = AgentView(role="assistant", seed=1, tools=_tools("food_delivery"), messages=_listing_then(text))
    calls = asyncio.run(OfflineAssistant().act(view)).messages[0].tool_calls
    assert [(c.name, c.arguments) for c in calls] == [("get_food_order", {"food_order_id": order})], text


def test_a_verb_said_as_a_value_is_quoted_and_does_not_pick_the_tool() -> None:
    tools = _tools("support_desk")
    said = _say("look", (), None, random.Random(0))
    assert said == '"look"'
    text = f"create a support ticket pls?? email: a@b.io, subject is Printer jams and order reference {said}"
    view = AgentView(role="assistant", seed=1, tools=tools, messages=[Message(role="user", content=text)])
    calls = asyncio.run(OfflineAssistant().act(view)).messages[0].tool_calls
    assert [c.name for c in calls] == ["create_support_ticket"]
    assert calls[0].arguments["order_reference"] == "look"
    assert _say("Looking glass", (), None, random.Random(0)) == "Looking glass"


@pytest.mark.parametrize("verb", user_data()["verbs"]["get"])
def test_every_get_verb_the_user_says_fetches_the_record(verb: str) -> None:
    text = f"{verb} the food order, food order id FO-00001."
    view = AgentView(role="assistant", seed=1, tools=_tools("food_delivery"),
                     messages=[Message(role="user", content=text)])
    calls = asyncio.run(OfflineAssistant().act(view)).messages[0].tool_calls
    assert [(c.name, c.arguments) for c in calls] == [("get_food_order", {"food_order_id": "FO-00001"})], text


@pytest.mark.parametrize("scenario", ["weather_finance", "restaurants", "food_delivery", "health_clinic"])
def test_every_way_the_user_names_a_tool_leads_back_to_it(scenario: str) -> None:
    tools = {t.name: t for t in _tools(scenario)}
    assistant = OfflineAssistant()
    for tool in tools.values():
        for seed in range(40):
            said = action_words(tool, random.Random(seed))
            chosen = assistant._choose(f"Could you {said}?", tools)
            assert chosen is not None and chosen.name == tool.name, (said, chosen and chosen.name)
