"""The prompt budget, tools as text, the cross-process endpoint limit and abandoned requests."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from agent_helpers import WEATHER, fast_config
from autogen_core import FunctionCall
from autogen_core.models import (
    AssistantMessage,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from counting_proxy import CountingProxy
from scripted_server import ScriptedOpenAIServer, slow, text
from typer.testing import CliRunner

from turnloom.agents._protocol import AgentError, AgentView
from turnloom.agents.llm import LLMAssistant, LLMJudge, make_client
from turnloom.agents.llm._budget import PromptTooLongError, compact_tools, fit_prompt, message_text
from turnloom.agents.llm._clients import ModelCallError
from turnloom.agents.llm._text_tools import calls_from_text, merge_user_turns, tools_as_text
from turnloom.cli import app
from turnloom.schema import Message, ToolCall

TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "The city " * 40, "examples": ["Paris"]}},
        "required": ["city"],
    },
}


def _dialogue(middle_turns: int) -> list[LLMMessage]:
    msgs: list[LLMMessage] = [SystemMessage(content="SYSTEM"), UserMessage(content="FIRST", source="user")]
    for i in range(middle_turns):
        msgs.append(AssistantMessage(content=[FunctionCall(id=f"c{i}", name="get_weather",
                                                           arguments='{"city": "Oslo"}')], source="assistant"))
        msgs.append(FunctionExecutionResultMessage(content=[
            FunctionExecutionResult(content="x" * 400, name="get_weather", call_id=f"c{i}", is_error=False)]))
        msgs.append(AssistantMessage(content=f"reply {i} " + "y" * 200, source="assistant"))
        msgs.append(UserMessage(content=f"user {i}", source="user"))
    msgs.append(UserMessage(content="TURN AT HAND", source="user"))
    return msgs


def test_trimming_keeps_system_first_user_and_turn_at_hand() -> None:
    msgs = _dialogue(10)
    fitted, _, total = asyncio.run(fit_prompt(msgs, [], limit=900))
    texts = [message_text(m) for m in fitted]
    assert total <= 900 and len(fitted) < len(msgs)
    assert texts[:2] == ["SYSTEM", "FIRST"] and texts[-1] == "TURN AT HAND"
    # calls and their results go together: no result without the call before it
    for i, m in enumerate(fitted):
        if isinstance(m, FunctionExecutionResultMessage):
            assert isinstance(fitted[i - 1], AssistantMessage) and not isinstance(fitted[i - 1].content, str)


def test_compact_schemas_come_before_trimming_history() -> None:
    compact = compact_tools([TOOL])[0]
    assert compact["parameters"]["properties"]["city"] == {"type": "string"}
    assert compact["parameters"]["required"] == ["city"] and compact["description"] == TOOL["description"]
    msgs = _dialogue(1)
    full = asyncio.run(fit_prompt(msgs, [TOOL], limit=100_000))[2]
    fitted, tools, total = asyncio.run(fit_prompt(msgs, [TOOL], limit=full - 50))
    assert fitted == msgs and tools == [compact] and total <= full - 50


def test_a_long_single_prompt_is_cut_in_the_middle() -> None:
    msgs: list[LLMMessage] = [SystemMessage(content="judge"),
                              UserMessage(content="HEAD " + "z" * 20_000 + " TAIL", source="user")]
    fitted, _, total = asyncio.run(fit_prompt(msgs, [], limit=2000))
    body = message_text(fitted[1])
    assert total <= 2000 and body.startswith("HEAD") and body.endswith("TAIL") and "(cut)" in body


def test_a_prompt_that_cannot_fit_fails_in_one_line_and_nothing_is_sent(server: ScriptedOpenAIServer) -> None:
    client = make_client(fast_config(server.url, context=300, max_tokens=200))

    async def go() -> None:
        try:
            await client.create([SystemMessage(content="s " * 400), UserMessage(content="hi", source="user")])
        finally:
            await client.close()

    with pytest.raises(PromptTooLongError) as err:
        asyncio.run(go())
    assert "\n" not in str(err.value) and "prompt too long" in str(err.value) and "context" in str(err.value)
    assert server.chat_requests == []


class _FakeLlamaCppPython:
    """llama-cpp-python's routes: no context in /models, a context error naming n_ctx, a token counter.

    A token is a whitespace-separated word; a chat prompt costs its words plus 4 per message."""

    def __init__(self, n_ctx: int) -> None:
        self.n_ctx = n_ctx
        self.chats: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _send(self, status: int, obj: Any) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._send(200, {"object": "list", "data": [{"id": "m", "object": "model", "owned_by": "me"}]})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                if self.path == "/extras/tokenize/count":
                    self._send(200, {"count": len(body["input"].split())})
                    return
                if self.path == "/v1/completions":
                    n = len(body["prompt"].split())
                    self._send(400, {"error": {"message": f"This model's maximum context length is {fake.n_ctx} "
                                               f"tokens, however you requested {n + 1} tokens"}})
                    return
                fake.chats.append(body)
                used = sum(len(str(m.get("content") or "").split()) + 4 for m in body["messages"])
                status = 200 if used + body.get("max_tokens", 0) <= fake.n_ctx else 400
                self._send(status, {"id": "x", "object": "chat.completion", "created": 0, "model": "scripted-model",
                                    "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant", "content": "ok"}}],
                                    "usage": {"prompt_tokens": used, "completion_tokens": 1,
                                              "total_tokens": used + 1}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def fake_llama() -> Iterator[_FakeLlamaCppPython]:
    fake = _FakeLlamaCppPython(n_ctx=1000)
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


def test_context_and_tokens_come_from_the_server(fake_llama: _FakeLlamaCppPython) -> None:
    """The context is learnt from the server's refusal; the prompt is counted with its tokenizer and
    trimmed to fit (words are 2 characters: an estimate alone would cut far more)."""
    client = make_client(fast_config(fake_llama.url, max_tokens=100, tool_format="native"))
    words = [UserMessage(content="ab " * 150, source="user"),
             AssistantMessage(content="cd " * 150, source="assistant")]
    msgs = [SystemMessage(content="sys"), UserMessage(content="first", source="user"), *words * 4,
            UserMessage(content="now", source="user")]

    async def go() -> Any:
        try:
            return await client.create(msgs)
        finally:
            await client.close()

    result = asyncio.run(go())
    sent = fake_llama.chats[-1]["messages"]
    assert result.usage.prompt_tokens <= 1000 - 100
    assert [m["content"] for m in sent[:2]] == ["sys", "first"] and sent[-1]["content"] == "now"
    assert len(sent) > 4  # counted, not estimated: 2.5 characters a token would leave only the ends


def test_tools_as_text_round_trip() -> None:
    body = {"model": "m", "tools": [{"type": "function", "function": TOOL}], "tool_choice": "auto",
            "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Oslo?"},
                         {"role": "assistant", "content": "", "tool_calls": [
                             {"id": "c1", "type": "function",
                              "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}]},
                         {"role": "tool", "tool_call_id": "c1", "content": '{"t": 3}'}]}
    out = tools_as_text(body)
    assert "tools" not in out and "tool_choice" not in out
    assert out["messages"][0]["content"].startswith("S\n\nYou can call these tools")
    assert '"name": "get_weather"' in out["messages"][0]["content"]
    assert out["messages"][2] == {"role": "assistant",
                                  "content": '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}'
                                             "</tool_call>"}
    assert out["messages"][3] == {"role": "user", "content": '<tool_response>{"t": 3}</tool_response>'}
    calls = calls_from_text('Sure.\n<tool_call>{"name": "get_weather", "arguments": {"city": "Rome"}}</tool_call>',
                            {"get_weather"})
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls] == [
        ("get_weather", {"city": "Rome"})]
    assert calls_from_text("It is sunny in Rome.", {"get_weather"}) == []
    merged = merge_user_turns({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                                            {"role": "assistant", "content": "c"}]})
    assert merged["messages"] == [{"role": "user", "content": "a\n\nb"}, {"role": "assistant", "content": "c"}]


def test_assistant_on_llama_cpp_python_uses_text_tools(llama_server: ScriptedOpenAIServer) -> None:
    llama_server.push(text('<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>'))
    agent = LLMAssistant.from_config(fast_config(llama_server.url))
    view = AgentView(role="assistant", seed=1, tools=[WEATHER],
                     messages=[Message(role="user", content="Weather in Oslo?")])
    out = asyncio.run(agent.act(view))
    assert out.messages[0].tool_calls[0].name == "get_weather"
    assert out.messages[0].tool_calls[0].arguments == {"city": "Oslo"}
    sent = llama_server.chat_requests[0].body
    assert "tools" not in sent and "get_weather" in sent["messages"][0]["content"]


def test_judges_get_only_what_they_judge(server: ScriptedOpenAIServer) -> None:
    server.script = lambda body: text('{"passed": true, "reason": "every value comes from the user turn"}')
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo"})
    view = AgentView(role="verifier", seed=1, tools=[WEATHER, WEATHER.model_copy(update={"name": "unused_tool"})],
                     messages=[Message(role="user", content="Oslo?"), Message(role="assistant", tool_calls=[call]),
                               Message(role="tool", tool_call_id="c1", name="get_weather", content='{"t": 3}')])
    asyncio.run(LLMJudge.from_config(fast_config(server.url)).act(view))
    prompts = {r.body["messages"][-1]["content"].split("\n")[0]: r.body["messages"][-1]["content"]
               for r in server.chat_requests}
    assert len(prompts) == 3
    for first_line, prompt in prompts.items():
        assert "unused_tool" not in prompt
        assert ("returns:" in prompt) == first_line.startswith("Property: tool responses")
    caps = [r.body.get("max_tokens") for r in server.chat_requests]
    assert all(c is not None and c < 512 for c in caps)


def test_endpoint_limit_holds_across_worker_processes(tmp_path: Path) -> None:
    srv = ScriptedOpenAIServer(script=lambda body: slow(0.15, text("Happy to help with that."))).start()
    try:
        scenario = tmp_path / "travel-llm.yaml"
        scenario.write_text("name: travel-llm\nextends: travel\nmax_turns: 4\nmodels:\n  assistant: "
                            f"{{spec: 'openai:scripted-model@{srv.url}', timeout: 20}}\n")
        result = CliRunner().invoke(app, ["run", str(scenario), "-n", "6", "--seed", "3", "-o", str(tmp_path / "o"),
                                          "--quiet", "--no-cache", "--executor", "process", "--workers", "2",
                                          "--concurrency", "3", "--model-concurrency", "1"])
        assert result.exit_code == 0, result.output
    finally:
        srv.stop()
    assert len(srv.chat_requests) >= 6
    assert srv.max_in_flight == 1


def test_a_timed_out_request_is_closed_before_its_retry(server: ScriptedOpenAIServer) -> None:
    server.push(slow(1.0, text("too late")), text("in time"))
    proxy = CountingProxy(server.url.removesuffix("/v1")).start()
    client = make_client(fast_config(proxy.url, timeout=0.3, max_retries=1, compat="none"))

    async def go() -> Any:
        try:
            return await client.create([UserMessage(content="hi", source="user")])
        finally:
            await client.close()

    try:
        result = asyncio.run(go())
    finally:
        proxy.stop()
    first, second = proxy.chat
    assert result.content == "in time"
    assert first.closed_at is not None and first.closed_at <= second.start  # the client hung up first
    assert proxy.duplicates == 1  # the retry is the same request, sent once more


def test_a_model_error_becomes_an_agent_error_in_one_line(server: ScriptedOpenAIServer) -> None:
    agent = LLMAssistant.from_config(fast_config(server.url, context=200, max_tokens=150))
    view = AgentView(role="assistant", seed=1, tools=[WEATHER],
                     messages=[Message(role="user", content="weather " * 300)])
    with pytest.raises(AgentError) as err:
        asyncio.run(agent.act(view))
    assert isinstance(err.value.__cause__, ModelCallError) and "\n" not in str(err.value)
    assert server.chat_requests == []
