"""llama.cpp's server quirks, fixed on the wire (scripted server in llama.cpp mode)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from agent_helpers import WEATHER, fast_config
from autogen_core.models import AssistantMessage, FunctionExecutionResult, FunctionExecutionResultMessage, UserMessage
from scripted_server import Reply, ScriptedOpenAIServer, json_reply, text, tool_call

from turnloom.agents._protocol import AgentError, AgentView
from turnloom.agents.llm import LLMAssistant, LLMUser
from turnloom.agents.llm._compat import fix_request_body, fix_response_body, looks_like_llama_cpp
from turnloom.agents.llm._models import make_client
from turnloom.schema import Message, Plan, PlanStep, ToolCall

TOOLS = [{"name": "get_weather", "description": "w", "parameters": WEATHER.parameters}]


def _assistant_view(*messages: Message) -> AgentView:
    return AgentView(
        role="assistant", seed=7, tools=[WEATHER], messages=list(messages) or [Message(role="user", content="Oslo?")]
    )


def test_detection_from_models_listing() -> None:
    assert looks_like_llama_cpp({"data": [{"id": "x.gguf", "owned_by": "me", "permissions": []}]})
    assert looks_like_llama_cpp({"data": [{"id": "x", "owned_by": "llamacpp"}]})
    assert not looks_like_llama_cpp({"data": [{"id": "gpt-4o", "owned_by": "openai"}]})
    assert not looks_like_llama_cpp("nope")


def test_request_and_response_fixes() -> None:
    body = {
        "messages": [{"role": "assistant", "content": None, "tool_calls": []}],
        "tool_choice": "required",
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
    }
    fixed = fix_request_body(body, llama_cpp=True)
    assert fixed["messages"][0]["content"] == "" and fixed["tool_choice"] == "auto"
    assert fixed["response_format"] == {"type": "json_object", "schema": {"type": "object"}}
    assert body["messages"][0]["content"] is None  # the input is not modified
    assert "tools" not in fix_request_body({"tools": [1], "tool_choice": "none"}, llama_cpp=True)
    hinted = {"response_format": {"type": "json_object", "schema": {"type": "object"}}}
    assert fix_request_body(hinted, llama_cpp=False)["response_format"] == {"type": "json_object"}
    assert fix_request_body(hinted, llama_cpp=True)["response_format"]["schema"] == {"type": "object"}

    legacy = {"choices": [{"message": {"content": None, "function_call": {"name": "f", "arguments": "{}"}}}]}
    out = fix_response_body(legacy)["choices"][0]
    assert out["message"]["tool_calls"][0]["function"]["name"] == "f" and out["finish_reason"] == "tool_calls"
    escaped = {"choices": [{"message": {"content": "say &#34;hi&#34;"}}]}
    assert fix_response_body(escaped, llama_cpp=True)["choices"][0]["message"]["content"] == 'say "hi"'
    assert fix_response_body(escaped)["choices"][0]["message"]["content"] == "say &#34;hi&#34;"


def test_assistant_against_llama_cpp_auto_detected(llama_server: ScriptedOpenAIServer) -> None:
    """function_call next to tool_calls, null content rejected: both handled in "auto" mode."""
    llama_server.push(tool_call("get_weather", {"city": "Oslo"}), text("It is 3 degrees in Oslo."))
    agent = LLMAssistant.from_config(fast_config(llama_server.url, tool_format="native"))  # compat="auto"

    async def main() -> tuple[Any, Any]:
        first = await agent.act(_assistant_view())
        call = first.messages[0]
        result = Message(role="tool", tool_call_id=call.tool_calls[0].id, name="get_weather", content='{"t":3}')
        second = await agent.act(_assistant_view(Message(role="user", content="Oslo?"), call, result))
        await agent.close()
        return first, second

    first, second = asyncio.run(main())
    assert first.messages[0].tool_calls[0].arguments == {"city": "Oslo"}
    assert second.messages[0].content == "It is 3 degrees in Oslo."
    paths = [r.path for r in llama_server.requests]
    # the budget asks for the context once (models, then an over-long completion); the transport probes once
    assert paths == ["/v1/models", "/v1/completions", "/v1/models", "/v1/chat/completions", "/v1/chat/completions"]
    replayed = llama_server.chat_requests[1].body["messages"][2]  # system, user, assistant
    assert replayed["role"] == "assistant" and replayed["content"] == ""  # not null
    assert llama_server.chat_requests[0].body["tool_choice"] == "auto"


def test_without_compat_the_quirks_surface(llama_server: ScriptedOpenAIServer) -> None:
    llama_server.push(tool_call("get_weather", {"city": "Oslo"}))
    agent = LLMAssistant.from_config(fast_config(llama_server.url, compat="none"))
    with pytest.raises(AgentError, match="function_call is deprecated"):
        asyncio.run(agent.act(_assistant_view()))


def test_explicit_mode_never_sends_other_tool_choices(llama_server: ScriptedOpenAIServer) -> None:
    llama_server.push(tool_call("get_weather", {"city": "Oslo"}))
    client = make_client(fast_config(llama_server.url, compat="llama.cpp", tool_format="native", context=4096))

    async def main() -> Any:
        msgs = [
            UserMessage(content="Oslo?", source="user"),
            AssistantMessage(content="thinking", source="assistant"),
            UserMessage(content="go", source="user"),
        ]
        result = await client.create(msgs, tools=TOOLS, tool_choice="required")
        await client.close()
        return result

    result = asyncio.run(main())
    assert result.content[0].name == "get_weather"
    # no transport probe when told; the budget still asks for a tokenizer
    assert [r.path for r in llama_server.requests] == ["/v1/models", "/v1/chat/completions"]
    assert llama_server.chat_requests[0].body["tool_choice"] == "auto"


def test_legacy_only_function_call_becomes_a_tool_call(server: ScriptedOpenAIServer) -> None:
    server.push(Reply(calls=[("get_weather", {"city": "Rome"})], legacy_only=True))
    out = asyncio.run(LLMAssistant.from_config(fast_config(server.url)).act(_assistant_view()))
    assert out.messages[0].tool_calls[0].arguments == {"city": "Rome"}


def test_tool_results_with_null_content_are_sent_as_text(llama_server: ScriptedOpenAIServer) -> None:
    llama_server.push(text("done"))
    client = make_client(fast_config(llama_server.url, compat="llama.cpp"))
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo"})

    async def main() -> Any:
        from autogen_core import FunctionCall

        msgs = [
            UserMessage(content="Oslo?", source="user"),
            AssistantMessage(content=[FunctionCall(id=call.id, name=call.name, arguments="{}")], source="a"),
            FunctionExecutionResultMessage(
                content=[FunctionExecutionResult(content="{}", name="get_weather", call_id="c1")]
            ),
        ]
        result = await client.create(msgs, tools=TOOLS)
        await client.close()
        return result

    assert asyncio.run(main()).content == "done"


def test_user_json_mode_sends_schema_only_to_llama_cpp(
    llama_server: ScriptedOpenAIServer, server: ScriptedOpenAIServer
) -> None:
    plan = Plan(steps=[PlanStep(index=0, kind="single", intent="weather in Oslo", tools=["get_weather"])])
    view = AgentView(role="user", seed=1, plan=plan, step=plan.steps[0])
    for srv in (llama_server, server):
        srv.push(json_reply({"step_done": False, "message": "How is the weather in Oslo?"}))
        out = asyncio.run(LLMUser.from_config(fast_config(srv.url)).act(view))
        assert out.messages[0].content == "How is the weather in Oslo?"
    llama_format = llama_server.chat_requests[0].body["response_format"]
    assert llama_format["type"] == "json_object" and "step_done" in str(llama_format["schema"])
    assert server.chat_requests[0].body["response_format"] == {"type": "json_object"}


def test_scripted_llama_cpp_rejects_what_the_real_one_rejects() -> None:
    """Sanity check of the fake: without the compat layer the requests are refused."""
    with ScriptedOpenAIServer(llama_cpp=True, reject_status=500) as srv:
        client = make_client(fast_config(srv.url, compat="none", max_retries=0))
        msgs = [UserMessage(content="Oslo?", source="user")]

        async def main() -> None:
            try:
                await client.create(msgs, tools=TOOLS, tool_choice="required")
            finally:
                await client.close()

        with pytest.raises(Exception, match="only 'auto'"):
            asyncio.run(main())
