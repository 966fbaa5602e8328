"""After the offline assistant asks for a value: the user's next message is the answer only when it
gives one. A new request, an out-of-scope question or a sentence where an id belongs is a message
of its own, and the user answers only what the question asks for (not a value the tool's name says)."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

from typer.testing import CliRunner

from turnloom.agents import AgentView
from turnloom.agents.offline import OfflineAssistant, OfflineUser
from turnloom.agents.offline.assistant import _not_a_key
from turnloom.cli import app
from turnloom.scenarios import load_scenario, scenario_tools
from turnloom.schema import Message, Plan, PlanStep, ToolSpec

_TOOLS = {t.name: t for t in scenario_tools(load_scenario("food_delivery"))}
_ASKED = "What is the food order id you'd like me to use?"


def _reply(request: str, then: str, *, asked: str = _ASKED, tools: dict[str, ToolSpec] = _TOOLS) -> Message:
    """The assistant's next message after the user said ``request``, was asked ``asked`` (the order id)
    and said ``then``."""
    msgs = [Message(role="user", content=request), Message(role="assistant", content=asked),
            Message(role="user", content=then)]
    out = asyncio.run(OfflineAssistant().act(AgentView(role="assistant", seed=3, tools=list(tools.values()),
                                                        messages=msgs)))
    assert len(out.messages) == 1
    return out.messages[0]


def test_a_new_request_after_the_question_is_served_not_taken_as_the_id() -> None:
    msg = _reply("track the food order for me", "hi pls list food orders with status delivered")
    assert [(c.name, c.arguments) for c in msg.tool_calls] == [("list_food_orders", {"status": "delivered"})]


def test_an_out_of_scope_question_after_the_question_is_declined() -> None:
    msg = _reply("track the food order for me", "Could you explain what the word serendipity means?")
    assert msg.tool_calls == []
    assert "serendipity" not in (msg.content or "")


def test_an_answer_still_fills_the_id() -> None:
    for answer in ("The food order id is FO-12345.", "FO-12345.", "it's FO-12345", "oops, food order id FO-12345"):
        msg = _reply("track the food order for me", answer)
        assert [(c.name, c.arguments) for c in msg.tool_calls] == [("track_food_order",
                                                                    {"food_order_id": "FO-12345"})], answer


def test_a_request_for_another_tool_that_names_a_value_of_the_first_is_served() -> None:
    # the delivery address is also a value of create_food_order: the message is still a new request
    msg = _reply("create a food order for me", 'search takeaway places pls?? delivery address "1719 Claudia Trail"',
                 asked="What is the store id you'd like me to use?")
    assert [c.name for c in msg.tool_calls] == ["search_food_stores"]
    assert msg.tool_calls[0].arguments["delivery_address"] == "1719 Claudia Trail"


def test_the_answer_goes_to_the_clause_that_was_asked_about() -> None:
    tools = {t.name: t for t in scenario_tools(load_scenario("weather_finance"))}
    msg = _reply("I must convert the money for 95.39 to EUR. My info: from currency NZD. Second thing, now I "
                 "want pull up the conversion rate priced in CNY from GBP, thank you.",
                 "Ah, sorry. base currency is GBP.", asked="I need the base currency to get exchange rate. "
                 "What should it be?", tools=tools)
    assert [c.name for c in msg.tool_calls] == ["convert_currency", "get_exchange_rate"]
    assert msg.tool_calls[1].arguments["base_currency"] == "GBP"


def test_another_value_is_kept_and_the_id_asked_again_never_filled_with_the_sentence() -> None:
    msg = _reply("apply a promo code to my food order", "The promo code is 9KL99Y.")
    assert msg.tool_calls == []
    assert "food order id" in (msg.content or "")


def test_the_user_does_not_answer_a_value_that_only_the_tool_name_says() -> None:
    step = PlanStep(index=0, kind="dependent", intent="apply a promo code", tools=["apply_promo_code"],
                    slots={"promo_code": "9KL99Y"})
    plan = Plan(steps=[step], tools=["apply_promo_code"])

    def answer(question: str) -> str | None:
        view = AgentView(role="user", seed=1, tools=list(_TOOLS.values()), plan=plan, step=step, turns_in_step=1,
                         messages=[Message(role="user", content="apply promo code 9KL99Y to the second order"),
                                   Message(role="assistant", content=question)])
        return OfflineUser()._answer(view, step, _TOOLS, random.Random(0))

    assert answer("I need the food order id to apply promo code. What should it be?") is None
    said = answer("What is the promo code you'd like me to use?")
    assert said is not None and "9KL99Y" in said


def _keys_said_as_sentences(path: Path, tools: dict[str, ToolSpec]) -> list[str]:
    bad = []
    for line in path.read_text(encoding="utf-8").splitlines():
        for m in json.loads(line)["messages"]:
            for call in m.get("tool_calls") or []:
                tool = tools.get(call["name"])
                for param, value in call["arguments"].items():
                    if tool is not None and _not_a_key(tool, param, value):
                        bad.append(f"{call['name']}.{param}={value!r}")
    return bad


def test_no_simulated_call_takes_a_sentence_as_an_id(tmp_path: Path) -> None:
    # food_delivery's injected failures leave dependent steps without the listing they point at: the
    # assistant asks for the id, and the user goes on to the next request
    result = CliRunner().invoke(app, ["run", "food_delivery", "-n", "100", "--seed", "7", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    bad = [b for f in ("accepted.jsonl", "rejected.jsonl") for b in _keys_said_as_sentences(tmp_path / f, _TOOLS)]
    assert bad == []
