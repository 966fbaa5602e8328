"""Every LLM role against a real llama-cpp-python server (``scripts/local-llm.sh``), inside a prompt budget.

Run with::

    export TURNLOOM_LLM_URL=$(PORT=8765 scripts/local-llm.sh start)
    pytest -m llm tests/agents/test_llm_real_roles.py

A counting proxy sits between the agents and the server: no request may come back with a
context-length error, and the tokens each role counts must equal what the server reported.
The configs set a small ``context`` so that the budget has to trim.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
from agent_helpers import FORECAST, WEATHER
from counting_proxy import CountingProxy

from turnloom.agents._protocol import AgentError, AgentView
from turnloom.agents.llm import LLMAssistant, LLMJudge, LLMPlanner, LLMToolSimulator, LLMUser, ModelConfig
from turnloom.schema import Message, Plan, PlanStep, ToolCall

pytestmark = pytest.mark.llm

URL = os.environ.get("TURNLOOM_LLM_URL", "")


@pytest.fixture
def proxy() -> Iterator[CountingProxy]:
    if not URL:
        pytest.skip("TURNLOOM_LLM_URL is not set (start a server with: scripts/local-llm.sh start)")
    p = CountingProxy(URL.removesuffix("/v1")).start()
    yield p
    p.stop()


def _cfg(proxy: CountingProxy, **kw: Any) -> ModelConfig:
    settings: dict[str, Any] = {"model": "local", "base_url": proxy.url, "max_tokens": 160, "timeout": 600,
                                "max_retries": 0, "context": 1536}
    settings.update(kw)
    return ModelConfig(**settings)


def _long_dialogue() -> list[Message]:
    msgs = [Message(role="user", content="What's the weather in Paris?")]
    for i in range(12):
        call = ToolCall(id=f"c{i}", name="get_weather", arguments={"city": "Paris"})
        msgs += [Message(role="assistant", tool_calls=[call]),
                 Message(role="tool", tool_call_id=f"c{i}", name="get_weather",
                         content='{"temperature": 21, "conditions": "sunny and warm with a light breeze"}'),
                 Message(role="assistant", content=f"It is 21 degrees and sunny in Paris (check {i})."),
                 Message(role="user", content="And again, please, what is the weather in Paris right now?")]
    return msgs


def _run(agent: Any, view: AgentView) -> Any:
    async def go() -> Any:
        try:
            return await agent.act(view)
        finally:
            await agent.close()

    return asyncio.run(go())


def _accounted(proxy: CountingProxy, usage: dict[str, int]) -> None:
    assert proxy.context_errors == 0
    assert usage["prompt_tokens"] + usage["completion_tokens"] == proxy.prompt_tokens + proxy.completion_tokens


def test_planner(proxy: CountingProxy) -> None:
    view = AgentView(role="planner", seed=4, tools=[WEATHER, FORECAST], context={"steps": 2})
    try:
        out = _run(LLMPlanner.from_config(_cfg(proxy)), view)
    except AgentError as err:  # a 135M model may not manage a valid plan; the request itself must be fine
        assert "context" not in str(err)
    else:
        assert out.plan is not None and len(out.plan.steps) == 2
        _accounted(proxy, out.usage)
    assert proxy.context_errors == 0 and len(proxy.chat) >= 1


def test_user_on_a_long_dialogue(proxy: CountingProxy) -> None:
    plan = Plan(steps=[PlanStep(index=0, kind="single", intent="ask for the weather in Paris", tools=["get_weather"],
                                slots={"city": "Paris"}),
                       PlanStep(index=1, kind="closing", intent="say thanks and goodbye")])
    view = AgentView(role="user", seed=2, plan=plan, step=plan.steps[0], messages=_long_dialogue(), turns_in_step=1)
    out = _run(LLMUser.from_config(_cfg(proxy)), view)
    assert out.end or out.messages[0].content
    assert all(len(m.content or "") <= 400 for m in out.messages)
    _accounted(proxy, out.usage)


def test_assistant_on_a_long_dialogue(proxy: CountingProxy) -> None:
    view = AgentView(role="assistant", seed=1, tools=[WEATHER, FORECAST], messages=_long_dialogue())
    out = _run(LLMAssistant.from_config(_cfg(proxy)), view)
    assert out.messages[0].tool_calls or out.messages[0].content
    _accounted(proxy, out.usage)


def test_tool_simulator_with_a_large_world(proxy: CountingProxy) -> None:
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Paris"})
    world = {"records": {f"city{i}": {"name": f"City number {i}", "temperature": i} for i in range(200)}}
    view = AgentView(role="tool", seed=3, tools=[WEATHER],
                     messages=[Message(role="user", content="Paris?"), Message(role="assistant", tool_calls=[call])],
                     world=world)
    try:
        out = _run(LLMToolSimulator.from_config(_cfg(proxy)), view)
    except AgentError as err:  # an answer off the schema three times is the model's; not a context error
        assert "context" not in str(err)
    else:
        assert out.messages[0].result is not None
        _accounted(proxy, out.usage)
    assert proxy.context_errors == 0


def test_judges_on_a_long_dialogue(proxy: CountingProxy) -> None:
    view = AgentView(role="verifier", seed=5, tools=[WEATHER, FORECAST], messages=_long_dialogue())
    try:
        out = _run(LLMJudge.from_config(_cfg(proxy)), view)
    except AgentError as err:
        assert "context" not in str(err)
    else:
        assert out.verdict is not None and len(out.verdict.checks) == 3
        assert all(len(c.reason) <= 240 for c in out.verdict.checks)
        _accounted(proxy, out.usage)
    assert proxy.context_errors == 0
