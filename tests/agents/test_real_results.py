"""Dialogues over real classes (BFCL's): tool choice and extraction on their tool names, replies that
say what real results hold, and judges that take a class's results as the behaviour they are."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.agents import AgentView
from turnloom.agents.offline import OfflineAssistant
from turnloom.agents.offline._extract import extract_args
from turnloom.agents.offline._replies import summarize
from turnloom.agents.spoken import today_line
from turnloom.agents.verify.judges import judge_consistency, judge_tool_response
from turnloom.cli import app
from turnloom.schema import Message, ToolCall, ToolResult, ToolSpec

HAVE_BFCL = importlib.util.find_spec("bfcl_eval") is not None


def _tool(name: str, description: str, props: dict[str, dict[str, object]], required: list[str],
          returns: dict[str, object] | None = None, tags: list[str] | None = None) -> ToolSpec:
    return ToolSpec(name=name, description=description, returns=returns, tags=tags or [],
                    parameters={"type": "object", "properties": props, "required": required})


MENTION = _tool("mention", "Mention specified users in a tweet.",
                {"tweet_id": {"type": "integer", "description": "ID of the tweet where users are mentioned."},
                 "mentioned_usernames": {"type": "array", "items": {"type": "string"},
                                         "description": "List of usernames to be mentioned."}},
                ["tweet_id", "mentioned_usernames"])
GET_TICKET = _tool("get_ticket", "Get a specific ticket by its ID.",
                   {"ticket_id": {"type": "integer", "description": "ID of the ticket to retrieve."}}, ["ticket_id"])
GET_USER_TICKETS = _tool("get_user_tickets", "Get all tickets created by the current user, optionally filtered by "
                         "status.", {"status": {"type": "string", "description": "Status to filter tickets by."}}, [])


def _tool_turn(tool: str, args: dict[str, object], content: object) -> list[Message]:
    call = ToolCall(id="c1", name=tool, arguments=args)
    return [Message(role="user", content="please"), Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", name=tool, tool_call_id="c1", content=json.dumps(content),
                    result=ToolResult(call_id="c1", name=tool, content=content))]


@pytest.mark.parametrize("text", ['mention? mentioned usernames ["analyst_pro"] and tweet id 0. Thx.',
                                  'Tweet id is 1 and mentioned usernames: ["analyst_pro"].'])
def test_a_tool_name_inside_a_parameter_name_is_no_value_to_blank(text: str) -> None:
    # "mention" is the tool's name and the start of "mentioned usernames"
    assert extract_args(text, MENTION)["mentioned_usernames"] == ["analyst_pro"]


def test_a_longer_tool_name_said_in_full_is_the_tool_asked_for() -> None:
    tools = [GET_TICKET, GET_USER_TICKETS]
    for text in ("Would you kindly get user tickets?", "helo, fetch user tickets plz",
                 "get ticket, ticket id 42 please"):
        view = AgentView(role="assistant", seed=1, tools=tools, messages=[Message(role="user", content=text)])
        out = asyncio.run(OfflineAssistant().act(view))
        calls = out.messages[0].tool_calls
        called = calls[0].name if calls else None
        assert called == ("get_ticket" if "42" in text else "get_user_tickets"), (text, out.messages)


def test_the_same_name_words_in_another_order_are_told_apart_by_the_order_said() -> None:
    to_liter = _tool("gallon_to_liter", "Convert the gallon to liter.", {"gallon": {"type": "number"}}, ["gallon"])
    to_gallon = _tool("liter_to_gallon", "Convert the liter to gallon.", {"liter": {"type": "number"}}, ["liter"])
    for text, want in (("just gallon the to liter: gallon 1565.38.", ("gallon_to_liter", {"gallon": 1565.38})),
                       ("Please liter to gallon, liter 12.5", ("liter_to_gallon", {"liter": 12.5}))):
        view = AgentView(role="assistant", seed=1, tools=[to_liter, to_gallon],
                         messages=[Message(role="user", content=text)])
        calls = asyncio.run(OfflineAssistant().act(view)).messages[0].tool_calls
        assert [(c.name, c.arguments) for c in calls] == [want], text


def test_replies_say_what_a_record_with_an_empty_list_field_holds() -> None:
    get_tweet = _tool("get_tweet", "Retrieve a specific tweet.", {"tweet_id": {"type": "integer"}}, ["tweet_id"])
    content = {"content": "Just finished analyzing the reports!", "id": 0, "mentions": [],
               "tags": ["#analysis", "#reports"], "username": "analyst_pro"}
    for seed in range(8):
        reply = summarize(get_tweet, ToolCall(id="c", name="get_tweet", arguments={"tweet_id": 0}), content,
                          random.Random(seed))
        assert "mention" not in reply.lower(), reply  # no "I found no mentions"
        assert "analyst_pro" in reply or "Just finished analyzing the reports!" in reply, reply


def test_replies_say_the_fields_of_a_wrapped_record() -> None:
    stats = _tool("get_message_stats", "Get statistics about messages for the current user.", {}, [])
    content = {"stats": {"received_count": 0, "total_contacts": 3}}
    for seed in range(8):
        reply = summarize(stats, ToolCall(id="c", name="get_message_stats", arguments={}), content,
                          random.Random(seed))
        assert "received count" in reply or "total contacts" in reply, reply


def test_a_reply_may_say_a_whole_float_as_an_integer() -> None:
    msgs = [*_tool_turn("set_budget_limit", {"budget_limit": 10000}, {"budget_limit": 10000.0}),
            Message(role="assistant", content="Well, budget limit shown as 10000.")]
    assert all(c.passed for c in judge_consistency(msgs, {}))
    msgs[-1] = Message(role="assistant", content="Done - the request went through.")
    assert not all(c.passed for c in judge_consistency(msgs, {}))


@pytest.mark.parametrize("reply", ["Your order is confirmed: 1 to quote, ship date November 27, 2023 at 12:35.",
                                   "Order 1 ships on 27 November at 12:35 pm.",
                                   "Order 1 ships tomorrow."])
def test_a_reply_may_say_a_result_timestamp_in_words(reply: str) -> None:
    # the only values of more than one character are the timestamp and the pet's id (Petstore's place_order)
    result = {"id": 1, "petId": 198772, "quantity": 7, "shipDate": "2023-11-27T12:35:06Z"}
    system = Message(role="system", content=today_line(dt.date(2023, 11, 26)))
    msgs = [system, *_tool_turn("place_order", {"quantity": 7}, result), Message(role="assistant", content=reply)]
    assert all(c.passed for c in judge_consistency(msgs, {})), reply
    # another day in words, or no value at all, reports nothing the tool returned
    msgs[-1] = Message(role="assistant", content="Order 1 ships on November 28 at 12:35.")
    assert not all(c.passed for c in judge_consistency(msgs, {}))
    msgs[-1] = Message(role="assistant", content="Your order went through.")
    assert not all(c.passed for c in judge_consistency(msgs, {}))


def test_results_of_a_bound_class_are_not_judged_against_its_type_hints() -> None:
    returns = {"type": "object", "additionalProperties": {"type": "boolean"}}
    mock = _tool("send_message", "Send a message.", {"text": {"type": "string"}}, ["text"], returns)
    real = mock.model_copy(update={"tags": ["python:message_api:MessageAPI"]})
    msgs = _tool_turn("send_message", {"text": "hi"}, {"new_id": 67410})
    assert not all(c.passed for c in judge_tool_response(msgs, {"send_message": mock}))
    assert all(c.passed for c in judge_tool_response(msgs, {"send_message": real}))


@pytest.mark.skipif(not HAVE_BFCL, reason="bfcl-eval is not installed")
@pytest.mark.parametrize("scenario", ["bfcl_files", "bfcl_trading", "bfcl_travel"])
def test_dialogues_over_bfcl_classes_are_accepted(tmp_path: Path, scenario: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", scenario, "-n", "30", "--seed", "7", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    accepted = (out / "accepted.jsonl").read_text(encoding="utf-8").splitlines()
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    reasons = sorted({c["rule"] for r in rejected for c in r["verdict"]["checks"] if not c["passed"]})
    assert len(accepted) >= 26, f"{len(accepted)} of 30 accepted; rejected for {reasons}"
