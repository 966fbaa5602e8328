"""Model specs, client layers (retries, limits, usage) against the scripted server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from agent_helpers import fast_config
from autogen_core.models import UserMessage
from scripted_server import ScriptedOpenAIServer, error, slow, text

from turnloom.agents.llm._clients import EndpointLimiter, ModelCallError, Usage, usage_scope
from turnloom.agents.llm._models import ModelConfig, ModelSpecError, make_client, parse_model_spec, parse_role_models

HELLO = [UserMessage(content="hello", source="user")]


def test_parse_model_spec_forms() -> None:
    cfg = parse_model_spec("openai:qwen2.5-7b@http://127.0.0.1:8000/v1")
    assert (cfg.provider, cfg.model, cfg.base_url) == ("openai", "qwen2.5-7b", "http://127.0.0.1:8000/v1")
    assert parse_model_spec("openai:gpt-4o-mini").base_url is None  # OpenAI's API, asked for by name
    # a model name with a colon (Ollama style) is not mistaken for a provider
    assert parse_model_spec("qwen2.5:7b@http://localhost:11434/v1/").model == "qwen2.5:7b"
    assert parse_model_spec("openai:qwen2.5:7b@http://h/v1").base_url == "http://h/v1"
    assert parse_model_spec("m@http://h/v1", temperature=0.7).temperature == 0.7


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "empty model spec"),
        ("openai:@http://h/v1", "model name is empty"),
        ("openai:m@", "nothing after '@'"),
        ("openai:m@ftp://h", "must start with http"),
        ("anthropic:claude", "unsupported provider 'anthropic'"),
        # a bare name is a typo or a missing URL, never silently OpenAI's API
        ("gpt4", "no provider and no base URL; write openai:gpt4@http://HOST:PORT/v1"),
        ("qwen2.5:7b", "no provider and no base URL"),
    ],
)
def test_parse_model_spec_errors(spec: str, fragment: str) -> None:
    with pytest.raises(ModelSpecError, match=fragment):
        parse_model_spec(spec)


def test_parse_model_spec_rejects_unknown_settings() -> None:
    with pytest.raises(ModelSpecError, match="temprature"):
        parse_model_spec("m@http://h/v1", temprature=1.0)


def test_parse_role_models() -> None:
    roles = parse_role_models(["assistant=openai:big@http://a/v1", "*=small@http://b/v1"])
    assert roles["assistant"].model == "big"
    assert {roles[r].model for r in ("planner", "user", "tool", "verifier")} == {"small"}
    assert parse_role_models(["user=m@http://a/v1"]).keys() == {"user"}
    with pytest.raises(ModelSpecError, match="unknown role 'critic'"):
        parse_role_models(["critic=m@http://a/v1"])
    with pytest.raises(ModelSpecError, match="expected ROLE=SPEC"):
        parse_role_models(["openai:m@http://a/v1"])
    with pytest.raises(ModelSpecError, match="given twice"):
        parse_role_models(["user=m@http://a/v1", "user=n@http://a/v1"])


def test_model_info_and_output_mode() -> None:
    local = parse_model_spec("qwen@http://h/v1")
    assert local.resolved_model_info()["structured_output"] is False
    assert local.output_mode() == "json"
    assert parse_model_spec("openai:gpt-4o-mini").output_mode() == "structured"
    assert parse_model_spec("qwen@http://h/v1", json_mode=False).output_mode() == "text"
    strict = parse_model_spec("qwen@http://h/v1", model_info={"structured_output": True, "family": "qwen"})
    assert strict.output_mode() == "structured"
    assert strict.resolved_model_info()["family"] == "qwen"
    with pytest.raises(ValueError, match="extra"):
        ModelConfig(model="m", no_such_field=1)  # type: ignore[call-arg]


def test_cache_namespace_tracks_what_changes_answers() -> None:
    a = parse_model_spec("m@http://h/v1")
    assert a.cache_namespace() == parse_model_spec("m@http://h/v1", timeout=5, concurrency=9).cache_namespace()
    assert a.cache_namespace() != parse_model_spec("m@http://h/v1", temperature=0.5).cache_namespace()
    assert a.cache_namespace() != parse_model_spec("n@http://h/v1").cache_namespace()


async def _create(cfg: ModelConfig, **kw: Any) -> Any:
    client = make_client(cfg, **kw)
    try:
        return await client.create(HELLO), client
    finally:
        await client.close()


def test_retries_429_500_then_success(server: ScriptedOpenAIServer) -> None:
    server.push(error(429, "slow down", retry_after="0"), error(500), error(503), text("finally"))
    result, client = asyncio.run(_create(fast_config(server.url, max_retries=3)))
    assert result.content == "finally"
    assert len(server.chat_requests) == 4
    assert client.usage.requests == 1 and client.usage.completion_tokens == 7


def test_retry_after_header_is_honoured(server: ScriptedOpenAIServer) -> None:
    server.push(error(429, retry_after="0.3"), text("ok"))
    asyncio.run(_create(fast_config(server.url, retry_max_delay=1.0)))
    first, second = server.chat_requests
    assert second.time - first.time >= 0.25


def test_timeout_is_retried(server: ScriptedOpenAIServer) -> None:
    server.push(slow(1.0), text("in time"))
    result, _ = asyncio.run(_create(fast_config(server.url, timeout=0.3)))
    assert result.content == "in time"
    assert len(server.chat_requests) == 2


def test_connection_errors_are_retried_then_reported() -> None:
    srv = ScriptedOpenAIServer().start()
    url = srv.url
    srv.stop()  # nothing listens there any more
    with pytest.raises(ModelCallError, match="after 2 attempts: connection error"):
        asyncio.run(_create(fast_config(url, max_retries=1)))


def test_persistent_failure_names_the_reason(server: ScriptedOpenAIServer) -> None:
    server.push(*[error(500, "model crashed")] * 3)
    with pytest.raises(ModelCallError, match=r"after 3 attempts: HTTP 500.*model crashed"):
        asyncio.run(_create(fast_config(server.url, max_retries=2)))
    assert len(server.chat_requests) == 3


def test_client_errors_are_not_retried(server: ScriptedOpenAIServer) -> None:
    server.push(error(400, "bad request body"), text("never"))
    with pytest.raises(ModelCallError, match="HTTP 400"):
        asyncio.run(_create(fast_config(server.url)))
    assert len(server.chat_requests) == 1


def test_api_key_read_from_env_at_creation(server: ScriptedOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TURNLOOM_TEST_KEY", "sk-test-secret-123")
    cfg = fast_config(server.url, api_key_env="TURNLOOM_TEST_KEY")
    assert "sk-test" not in cfg.model_dump_json()
    server.push(text("ok"))
    asyncio.run(_create(cfg))
    assert server.chat_requests[0].headers["authorization"] == "Bearer sk-test-secret-123"


def test_local_endpoint_works_without_key(server: ScriptedOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.push(text("ok"))
    result, _ = asyncio.run(_create(fast_config(server.url, api_key_env="OPENAI_API_KEY")))
    assert result.content == "ok"


def test_concurrency_limit_is_shared_per_endpoint(server: ScriptedOpenAIServer) -> None:
    server.script = lambda body: slow(0.15, text("ok"))
    limiter = EndpointLimiter()

    async def main() -> None:
        # two "roles" (clients) on one endpoint share its limit of 2
        a = make_client(fast_config(server.url, concurrency=2), limiter=limiter)
        b = make_client(fast_config(server.url, concurrency=2), limiter=limiter)
        msgs = [[UserMessage(content=f"q{i}", source="user")] for i in range(6)]
        await asyncio.gather(*(c.create(m) for c, m in zip([a, b] * 3, msgs, strict=True)))
        await a.close()
        await b.close()

    asyncio.run(main())
    assert len(server.chat_requests) == 6
    assert server.max_in_flight == 2


def test_usage_scope_collects_per_act(server: ScriptedOpenAIServer) -> None:
    server.push(text("a", prompt_tokens=10), text("b", prompt_tokens=20))

    async def main() -> tuple[Usage, Usage]:
        client = make_client(fast_config(server.url))
        with usage_scope() as first:
            await client.create([UserMessage(content="one", source="user")])
        with usage_scope() as second:
            await client.create([UserMessage(content="two", source="user")])
        await client.close()
        return first, second

    first, second = asyncio.run(main())
    assert first.as_dict() == {"prompt_tokens": 10, "completion_tokens": 7, "requests": 1, "cached": 0,
                               "sent": 1, "retries": 0, "timeouts": 0, "errors": 0}
    assert second.prompt_tokens == 20
