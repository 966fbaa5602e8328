"""Each LLM role against the scripted OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from agent_helpers import FORECAST, WEATHER, fast_config
from scripted_server import Reply, ScriptedOpenAIServer, json_reply, text, tool_call, tool_calls

from turnloom.agents._protocol import AgentError, AgentOutput, AgentView
from turnloom.agents.llm import LLMAssistant, LLMJudge, LLMPlanner, LLMToolSimulator, LLMUser, sample_step_kinds
from turnloom.schema import Message, Plan, PlanStep, ToolCall

USER_Q = Message(role="user", content="What's the weather in Oslo?")


def _last_prompt(server: ScriptedOpenAIServer, i: int = -1) -> str:
    return str(server.chat_requests[i].body["messages"][-1]["content"])


def run(coro: Any) -> AgentOutput:
    return asyncio.run(coro)


# -- assistant ---------------------------------------------------------------------------------


def test_assistant_returns_tool_calls_without_running_them(server: ScriptedOpenAIServer) -> None:
    server.push(tool_calls(("get_weather", {"city": "Oslo"}), ("get_forecast", {"city": "Oslo", "days": 2})))
    agent = LLMAssistant.from_config(fast_config(server.url))
    out = run(agent.act(AgentView(role="assistant", seed=5, tools=[WEATHER, FORECAST], messages=[USER_Q])))
    (message,) = out.messages
    assert message.role == "assistant" and message.content is None
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("get_weather", {"city": "Oslo"}),
        ("get_forecast", {"city": "Oslo", "days": 2}),
    ]
    assert len({c.id for c in message.tool_calls}) == 2
    assert out.usage["requests"] == 1 and out.usage["prompt_tokens"] > 0
    body = server.chat_requests[0].body
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather", "get_forecast"]
    assert body["tool_choice"] == "auto"
    assert "formalized thinking" in body["messages"][0]["content"]
    # the same seed gives the same call ids (reproducible dialogues)
    server.push(tool_calls(("get_weather", {"city": "Oslo"}), ("get_forecast", {"city": "Oslo", "days": 2})))
    fresh = LLMAssistant.from_config(fast_config(server.url))
    again = run(fresh.act(AgentView(role="assistant", seed=5, tools=[WEATHER, FORECAST], messages=[USER_Q, USER_Q])))
    assert [c.id for c in again.messages[0].tool_calls] == [c.id for c in message.tool_calls]


def test_assistant_text_answer_is_kept(server: ScriptedOpenAIServer) -> None:
    server.push(text("Which city do you mean?"))
    out = run(
        LLMAssistant.from_config(fast_config(server.url)).act(
            AgentView(role="assistant", seed=1, tools=[WEATHER], messages=[Message(role="user", content="Weather?")])
        )
    )
    assert out.messages[0].content == "Which city do you mean?" and not out.messages[0].tool_calls


def test_assistant_sends_history_in_openai_shape(server: ScriptedOpenAIServer) -> None:
    server.push(text("It is 3 degrees."))
    call = ToolCall(id="call_1", name="get_weather", arguments={"city": "Oslo"})
    history = [
        Message(role="system", content="You are WeatherBot."),
        USER_Q,
        Message(role="assistant", tool_calls=[call]),
        Message(role="tool", tool_call_id="call_1", name="get_weather", content='{"temperature": 3}'),
    ]
    run(
        LLMAssistant.from_config(fast_config(server.url)).act(
            AgentView(role="assistant", seed=1, tools=[WEATHER], messages=history)
        )
    )
    sent = server.chat_requests[0].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert sent[0]["content"].endswith("You are WeatherBot.")
    assert sent[2]["tool_calls"][0]["id"] == "call_1"
    assert json.loads(sent[2]["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}
    assert sent[3] == {"role": "tool", "content": '{"temperature": 3}', "tool_call_id": "call_1"}


def test_malformed_arguments_are_repaired(server: ScriptedOpenAIServer) -> None:
    server.push(tool_call("get_weather", "```json\n{'city': 'Oslo', 'unit': 'celsius',}\n```"))
    out = run(
        LLMAssistant.from_config(fast_config(server.url)).act(
            AgentView(role="assistant", seed=1, tools=[WEATHER], messages=[USER_Q])
        )
    )
    assert out.messages[0].tool_calls[0].arguments == {"city": "Oslo", "unit": "celsius"}
    assert len(server.chat_requests) == 1


def test_unreadable_arguments_are_retried_with_feedback(server: ScriptedOpenAIServer) -> None:
    server.push(tool_call("get_weather", "city=Oslo"), tool_call("get_weather", {"city": "Oslo"}))
    out = run(
        LLMAssistant.from_config(fast_config(server.url)).act(
            AgentView(role="assistant", seed=1, tools=[WEATHER], messages=[USER_Q])
        )
    )
    assert out.messages[0].tool_calls[0].arguments == {"city": "Oslo"}
    assert out.usage["requests"] == 2
    assert "not a JSON object" in _last_prompt(server) and "city=Oslo" in _last_prompt(server)


def test_unknown_tool_then_persistent_garbage_raises(server: ScriptedOpenAIServer) -> None:
    server.push(
        tool_call("get_wether", {"city": "Oslo"}), tool_call("get_weather", "{{{"), tool_call("get_weather", "]")
    )
    agent = LLMAssistant.from_config(fast_config(server.url))
    with pytest.raises(AgentError, match="no usable answer after 3 attempts"):
        run(agent.act(AgentView(role="assistant", seed=1, tools=[WEATHER], messages=[USER_Q])))
    assert "no tool named 'get_wether'" in _last_prompt(server, 1)


def test_model_failure_becomes_agent_error(server: ScriptedOpenAIServer) -> None:
    server.push(*[Reply(status=503, message="overloaded")] * 3)
    with pytest.raises(AgentError, match=r"model request failed.*HTTP 503.*overloaded"):
        run(
            LLMAssistant.from_config(fast_config(server.url)).act(
                AgentView(role="assistant", seed=1, tools=[WEATHER], messages=[USER_Q])
            )
        )


# -- planner -----------------------------------------------------------------------------------


def _plan_reply(body: dict[str, Any]) -> Reply:
    prompt = body["messages"][-1]["content"]
    kinds = [
        line.split(". ", 1)[1].split(":", 1)[0] for line in prompt.splitlines() if line[:1].isdigit() and ". " in line
    ]
    steps = []
    for i, kind in enumerate(kinds):
        tools = ["get_weather"] if kind not in ("chitchat", "irrelevant", "closing") else []
        steps.append(
            {
                "kind": kind,
                "intent": f"step {i}",
                "tools": tools,
                "slots": {"city": "Oslo"},
                "depends_on": [i - 1] if i else [],
            }
        )
    return json_reply({"goal": "plan a trip", "steps": steps})


def test_planner_gives_a_valid_plan_honouring_the_mix(server: ScriptedOpenAIServer) -> None:
    server.script = _plan_reply
    mix = {"single": 1.0, "clarification": 1.0, "chitchat": 1.0}
    view = AgentView(
        role="planner", seed=11, tools=[WEATHER, FORECAST], context={"mix": mix, "steps": 5, "persona": "a hiker"}
    )
    out = run(LLMPlanner.from_config(fast_config(server.url)).act(view))
    plan = out.plan
    assert isinstance(plan, Plan) and len(plan.steps) == 5
    assert [s.kind for s in plan.steps] == sample_step_kinds(mix, 5, random.Random(11), has_tools=True)
    assert plan.validate_tools({"get_weather", "get_forecast"}) == []
    assert plan.persona == "a hiker" and plan.goal == "plan a trip"
    for step in plan.steps:
        assert step.tools == ([] if step.kind == "chitchat" else ["get_weather"])
        if step.kind == "clarification":
            assert step.withhold == ["city"]  # repaired: a required parameter the user holds back
    assert out.usage["requests"] == 1
    fmt = server.chat_requests[0].body["response_format"]
    assert fmt == {"type": "json_object"}  # the schema hint is stripped for non-llama.cpp servers


def test_planner_feeds_problems_back(server: ScriptedOpenAIServer) -> None:
    bad = {"goal": "g", "steps": [{"kind": "single", "intent": "x", "tools": ["teleport"]}]}
    server.push(
        text("Sure! Here is the plan."),
        json_reply(bad),
        Reply(
            content="```json\n"
            + json.dumps(
                {
                    "goal": "g",
                    "steps": [
                        {
                            "kind": "single",
                            "intent": "weather",
                            "tools": ["get_weather"],
                            "slots": {"city": "Oslo"},
                        }
                    ],
                }
            )
            + "\n```"
        ),
    )
    view = AgentView(role="planner", seed=1, tools=[WEATHER], context={"mix": {"single": 1}, "steps": 1})
    out = run(LLMPlanner.from_config(fast_config(server.url)).act(view))
    assert out.plan is not None and out.plan.steps[0].slots == {"city": "Oslo"}
    assert "no JSON object" in _last_prompt(server, 1)
    assert "unknown tools ['teleport']" in _last_prompt(server, 2)
    assert out.usage["requests"] == 3


def test_planner_gives_up_with_a_reason(server: ScriptedOpenAIServer) -> None:
    server.push(*[text("I cannot plan.")] * 3)
    view = AgentView(role="planner", seed=1, tools=[WEATHER], context={"steps": 2})
    with pytest.raises(AgentError, match="llm_planner: no usable answer after 3 attempts.*no JSON object"):
        run(LLMPlanner.from_config(fast_config(server.url)).act(view))


def test_step_kind_sampling_respects_order() -> None:
    rng = random.Random(3)
    for _ in range(50):
        kinds = sample_step_kinds({"dependent": 1, "closing": 1, "single": 1}, 4, rng, has_tools=True)
        assert kinds[0] != "dependent" and "closing" not in kinds[:-1]
    assert set(sample_step_kinds(None, 6, rng, has_tools=False)) <= {"chitchat", "irrelevant"}


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_structured_mode_uses_autogen_structured_output(server: ScriptedOpenAIServer) -> None:
    server.script = _plan_reply
    cfg = fast_config(server.url, model_info={"structured_output": True})
    view = AgentView(role="planner", seed=2, tools=[WEATHER], context={"mix": {"single": 1}, "steps": 2})
    out = run(LLMPlanner.from_config(cfg).act(view))
    assert out.plan is not None and len(out.plan.steps) == 2
    fmt = server.chat_requests[0].body["response_format"]
    assert fmt["type"] == "json_schema" and "steps" in json.dumps(fmt["json_schema"]["schema"])


# -- user --------------------------------------------------------------------------------------

PLAN = Plan(
    steps=[
        PlanStep(
            index=0,
            kind="clarification",
            intent="weather for a city",
            tools=["get_weather"],
            slots={"city": "Oslo"},
            withhold=["city"],
        ),
        PlanStep(index=1, kind="closing", intent="thank and say goodbye"),
    ]
)


def _user_view(step: int, turns: int, messages: list[Message]) -> AgentView:
    return AgentView(
        role="user",
        seed=3,
        plan=PLAN,
        step=PLAN.steps[step],
        turns_in_step=turns,
        messages=messages,
        context={"persona": "a hiker"},
    )


def test_user_opens_a_step_and_holds_values_back(server: ScriptedOpenAIServer) -> None:
    server.push(json_reply({"step_done": False, "message": "What's the weather like?"}))
    out = run(LLMUser.from_config(fast_config(server.url)).act(_user_view(0, 0, [])))
    assert out.messages[0].role == "user" and out.messages[0].content == "What's the weather like?"
    assert out.step_index == 0 and not out.end
    prompt = _last_prompt(server)
    assert "Do NOT mention city" in prompt and "You are a hiker" in prompt


def test_user_stays_on_the_step_when_asked_for_a_value(server: ScriptedOpenAIServer) -> None:
    server.push(json_reply({"step_done": False, "message": "Oslo, please."}))
    history = [
        Message(role="user", content="What's the weather like?"),
        Message(role="assistant", content="Which city?"),
    ]
    out = run(LLMUser.from_config(fast_config(server.url)).act(_user_view(0, 1, history)))
    assert (out.step_index, out.end, out.messages[0].content) == (0, False, "Oslo, please.")
    assert "Your next requirement: thank and say goodbye" in _last_prompt(server)


def test_user_moves_on_then_ends(server: ScriptedOpenAIServer) -> None:
    server.push(
        json_reply({"step_done": True, "message": "Great, thanks! Bye."}),
        json_reply({"step_done": True, "message": ""}),
    )
    agent = LLMUser.from_config(fast_config(server.url))
    history = [USER_Q, Message(role="assistant", content="It is 3 degrees in Oslo.")]

    async def two_turns() -> tuple[AgentOutput, AgentOutput]:  # one event loop for one client
        out = await agent.act(_user_view(0, 2, history))
        more = [*history, *out.messages, Message(role="assistant", content="Goodbye!")]
        return out, await agent.act(_user_view(1, 1, more))

    out, last = asyncio.run(two_turns())
    assert (out.step_index, out.end, out.messages[0].content) == (1, False, "Great, thanks! Bye.")
    assert last.end and last.messages == [] and last.usage["requests"] == 1


def test_user_moves_on_after_the_turn_limit(server: ScriptedOpenAIServer) -> None:
    server.push(json_reply({"step_done": True, "message": "Never mind, thanks!"}))
    view = _user_view(0, 3, [USER_Q, Message(role="assistant", content="Hmm?")])
    out = run(LLMUser.from_config(fast_config(server.url)).act(view))
    assert out.step_index == 1 and "Move on" in _last_prompt(server)


def test_user_empty_message_is_retried(server: ScriptedOpenAIServer) -> None:
    server.push(json_reply({"step_done": False, "message": " "}), json_reply({"message": "Weather please"}))
    out = run(LLMUser.from_config(fast_config(server.url)).act(_user_view(0, 0, [])))
    assert out.messages[0].content == "Weather please" and out.usage["requests"] == 2


# -- tool simulator ----------------------------------------------------------------------------


def _sim_view(*calls: ToolCall) -> AgentView:
    return AgentView(
        role="tool",
        seed=4,
        tools=[WEATHER],
        messages=[USER_Q, Message(role="assistant", tool_calls=list(calls))],
        world={"tables": {"city": {"1": {"name": "Oslo"}}}},
    )


def test_tool_simulator_validates_results_against_returns(server: ScriptedOpenAIServer) -> None:
    server.push(
        json_reply({"result": {"city": "Oslo", "temperature": "cold"}}),
        json_reply({"result": {"city": "Oslo", "temperature": 3.5}}),
    )
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo"})
    out = run(LLMToolSimulator.from_config(fast_config(server.url)).act(_sim_view(call)))
    (message,) = out.messages
    assert message.role == "tool" and message.tool_call_id == "c1" and message.name == "get_weather"
    assert message.result is not None and message.result.content == {"city": "Oslo", "temperature": 3.5}
    assert json.loads(message.content or "") == {"city": "Oslo", "temperature": 3.5}
    assert "'cold' is not of type 'number'" in _last_prompt(server)
    first_prompt = server.chat_requests[0].body["messages"][1]["content"]
    assert '"city":"Oslo"' in first_prompt and "Return schema" in first_prompt and '"name":"Oslo"' in first_prompt


def test_tool_simulator_errors_and_unknown_tools(server: ScriptedOpenAIServer) -> None:
    server.push(json_reply({"error": "city not found: Atlantis"}))
    calls = [ToolCall(id="c1", name="get_weather", arguments={"city": "Atlantis"}), ToolCall(id="c2", name="teleport")]
    out = run(LLMToolSimulator.from_config(fast_config(server.url)).act(_sim_view(*calls)))
    assert [m.result.error for m in out.messages if m.result] == ["city not found: Atlantis", "unknown tool 'teleport'"]
    assert len(server.chat_requests) == 1


def test_tool_simulator_gives_up(server: ScriptedOpenAIServer) -> None:
    server.push(*[json_reply({"result": {"temperature": 1}})] * 3)
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo"})
    with pytest.raises(AgentError, match="no valid result for get_weather after 3 attempts.*'city' is a required"):
        run(LLMToolSimulator.from_config(fast_config(server.url)).act(_sim_view(call)))


# -- judges ------------------------------------------------------------------------------------


def _judge_reply(body: dict[str, Any]) -> Reply:
    prompt = body["messages"][-1]["content"]
    if "hallucinated" in prompt:
        return json_reply({"passed": False, "reason": "unit 'kelvin' appears nowhere in the dialogue"})
    return json_reply({"passed": True, "reason": "every value matches the dialogue"})


def test_judges_give_model_layer_checks(server: ScriptedOpenAIServer) -> None:
    server.script = _judge_reply
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo", "unit": "kelvin"})
    dialogue = [
        USER_Q,
        Message(role="assistant", tool_calls=[call]),
        Message(role="tool", tool_call_id="c1", name="get_weather", content='{"city":"Oslo","temperature":276}'),
        Message(role="assistant", content="276 K."),
    ]
    out = run(
        LLMJudge.from_config(fast_config(server.url)).act(
            AgentView(role="verifier", seed=1, tools=[WEATHER], messages=dialogue)
        )
    )
    verdict = out.verdict
    assert verdict is not None and not verdict.accepted
    assert {c.rule: c.passed for c in verdict.checks} == {
        "hallucination": False,
        "consistency": True,
        "tool_response": True,
    }
    assert all(c.layer == "model" for c in verdict.checks)
    assert verdict.reasons == ["hallucination: unit 'kelvin' appears nowhere in the dialogue"]
    assert out.usage["requests"] == 3


def test_judges_skip_experts_with_nothing_to_judge(server: ScriptedOpenAIServer) -> None:
    server.script = _judge_reply
    dialogue = [Message(role="user", content="Hi!"), Message(role="assistant", content="Hello!")]
    out = run(LLMJudge.from_config(fast_config(server.url)).act(AgentView(role="verifier", seed=1, messages=dialogue)))
    assert out.verdict is not None and out.verdict.accepted and out.usage["requests"] == 1
    with pytest.raises(ValueError, match="unknown judge experts"):
        LLMJudge.from_config(fast_config(server.url), experts=("style",))


def test_a_judge_reason_must_explain_not_quote_a_value(server: ScriptedOpenAIServer) -> None:
    server.push(json_reply({"passed": True, "reason": "2026-05-01"}), json_reply({"passed": True, "reason": "Valid"}),
                json_reply({"passed": False, "reason": "check-out 2026-05-01 is before check-in 2026-05-03"}))
    dialogue = [Message(role="user", content="Book it"), Message(role="assistant", content="Booked.")]
    judge = LLMJudge.from_config(fast_config(server.url), experts=("consistency",))
    out = run(judge.act(AgentView(role="verifier", seed=1, messages=dialogue)))
    assert out.verdict is not None and not out.verdict.accepted
    assert out.verdict.reasons == ["consistency: check-out 2026-05-01 is before check-in 2026-05-03"]
    fed_back = [str(r.body["messages"][-1]["content"]) for r in server.chat_requests[1:]]
    assert len(fed_back) == 2 and all("not an explanation" in m for m in fed_back)


def test_planner_is_told_what_exists_in_a_class_backed_world(server: ScriptedOpenAIServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from turnloom.tools_env.env import ToolEnvironment
    from turnloom.tools_env.grounding import Grounding
    from turnloom.tools_env.python_backend import PythonBackend, class_tools, method_ref
    from turnloom.tools_env.world import World

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "fixtures" / "backends"))
    backend = PythonBackend("tiny_fs_backend:TinyFs")
    state = {"contents": {"notes.txt": {"type": "file", "content": "buy milk"},
                          "projects": {"type": "directory", "contents": {}}}}
    world = backend.initial_world(World(seed=0), state)
    tools = class_tools(backend.cls)
    env = ToolEnvironment(tools, bindings={t.name: method_ref(backend.ref, t.name) for t in tools})
    server.script = lambda body: json_reply(
        {"goal": "tidy up", "steps": [{"kind": "chitchat", "intent": "greet", "tools": []}]})
    view = AgentView(role="planner", seed=3, tools=tools, context={"mix": {"chitchat": 1.0}, "steps": 1},
                     grounding=Grounding.of(env, world, tools))
    run(LLMPlanner.from_config(fast_config(server.url)).act(view))
    told = _last_prompt(server)
    assert "What exists in the world now" in told and "notes.txt" in told and "projects" in told
    # without class-backed tools there is nothing to tell
    run(LLMPlanner.from_config(fast_config(server.url)).act(view.model_copy(update={"grounding": None})))
    assert "What exists in the world" not in _last_prompt(server)
