"""AutogenChatAgent: any autogen ChatAgent as a turnloom user or assistant."""

from __future__ import annotations

import asyncio

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_ext.models.replay import ReplayChatCompletionClient

from turnloom.agents._protocol import AgentError, AgentView
from turnloom.agents.llm._autogen_adapter import AutogenChatAgent
from turnloom.schema import Message, PlanStep, ToolCall, ToolResult


def test_passes_only_new_messages_and_keeps_its_history() -> None:
    client = ReplayChatCompletionClient(["Which city?", "It is 3 degrees in Oslo."])
    inner = AssistantAgent("helper", model_client=client, system_message="Be brief.")
    agent = AutogenChatAgent(inner, "assistant")
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo"})
    dialogue = [Message(role="user", content="Weather?")]

    async def main() -> list[list[str]]:
        seen = []
        out = await agent.act(AgentView(role="assistant", seed=1, messages=dialogue))
        dialogue.extend(out.messages)
        seen.append([str(m.content) for m in await inner.model_context.get_messages()])
        dialogue.extend(
            [
                Message(role="user", content="Oslo"),
                Message(role="assistant", tool_calls=[call]),
                Message(
                    role="tool",
                    tool_call_id="c1",
                    name="get_weather",
                    result=ToolResult(call_id="c1", name="get_weather", content={"t": 3}),
                ),
            ]
        )
        out = await agent.act(AgentView(role="assistant", seed=2, messages=dialogue))
        dialogue.extend(out.messages)
        seen.append([str(m.content) for m in await inner.model_context.get_messages()])
        return seen

    first, second = asyncio.run(main())
    assert first == ["Weather?", "Which city?"]
    # the new user, call and tool messages were passed once each; the agent's own reply was not re-sent
    assert second == [
        "Weather?",
        "Which city?",
        "Oslo",
        'Call get_weather({"city":"Oslo"})',
        'Result of get_weather (c1): {"t":3}',
        "It is 3 degrees in Oslo.",
    ]
    assert dialogue[-1] == Message(role="assistant", content="It is 3 degrees in Oslo.")


def test_rewound_dialogue_resets_the_wrapped_agent() -> None:
    inner = AssistantAgent("sim", model_client=ReplayChatCompletionClient(["one", "two"]))
    agent = AutogenChatAgent(inner, "user", name="custom_user")
    step = PlanStep(index=2, kind="chitchat", intent="small talk")

    async def main() -> list[str]:
        await agent.act(AgentView(role="user", seed=1, messages=[Message(role="assistant", content="Hi!")]))
        out = await agent.act(
            AgentView(role="user", seed=1, step=step, messages=[Message(role="assistant", content="Hello again!")])
        )
        assert out.step_index == 2 and out.messages[0].role == "user" and agent.name == "custom_user"
        return [str(m.content) for m in await inner.model_context.get_messages()]

    assert asyncio.run(main()) == ["Hello again!", "two"]


def test_failures_become_agent_errors() -> None:
    agent = AutogenChatAgent(AssistantAgent("empty", model_client=ReplayChatCompletionClient([""])), "assistant")
    with pytest.raises(AgentError, match="empty reply"):
        asyncio.run(agent.act(AgentView(role="assistant", seed=1, messages=[Message(role="user", content="Hi")])))
    exhausted = AutogenChatAgent(AssistantAgent("done", model_client=ReplayChatCompletionClient([])), "assistant")
    with pytest.raises(AgentError, match="wrapped autogen agent failed"):
        asyncio.run(exhausted.act(AgentView(role="assistant", seed=1, messages=[Message(role="user", content="Hi")])))
    with pytest.raises(ValueError, match="'user' or 'assistant'"):
        AutogenChatAgent(AssistantAgent("x", model_client=ReplayChatCompletionClient([])), "tool")  # type: ignore[arg-type]
