"""Endpoint options of ``turnloom run``: ``--model '*=SPEC'`` backs every role, ``--model-concurrency``
caps the requests in flight, and an API key goes only to a URL configured with it. Real scripted
servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_helpers import fast_config
from autogen_core.models import UserMessage
from scripted_server import ScriptedOpenAIServer, slow, text
from typer.testing import CliRunner

from turnloom.agents.factory import MODEL_ROLES, check_models, model_configs
from turnloom.agents.llm._models import OPENAI_ENDPOINT, make_client, parse_model_spec
from turnloom.cli import app

runner = CliRunner()


@pytest.fixture
def chatty() -> Iterator[ScriptedOpenAIServer]:
    srv = ScriptedOpenAIServer(script=lambda body: slow(0.05, text("Sure, happy to help."))).start()
    yield srv
    srv.stop()


def test_star_backs_every_role(chatty: ScriptedOpenAIServer, tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", "travel", "-n", "1", "-o", str(out), "--quiet", "--no-cache",
                                 "--max-failures", "1", "--model", f"*=openai:scripted-model@{chatty.url}"])
    assert result.exit_code == 0, result.output
    agents = json.loads((out / "manifest.json").read_text())["agents"]
    spec = f"model:openai:scripted-model@{chatty.url}"
    assert {role: agents[role] for role in MODEL_ROLES} == dict.fromkeys(MODEL_ROLES, spec)
    assert chatty.chat_requests


def test_star_fills_only_the_roles_not_given() -> None:
    configs = model_configs({"*": "openai:a@http://127.0.0.1:1/v1", "user": "openai:b@http://127.0.0.1:1/v1"})
    assert set(configs) == set(MODEL_ROLES)
    assert configs["user"].model == "b" and {configs[r].model for r in MODEL_ROLES if r != "user"} == {"a"}


def test_model_concurrency_caps_requests_in_flight(chatty: ScriptedOpenAIServer, tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "travel", "-n", "4", "-o", str(tmp_path / "o"), "--quiet", "--no-cache",
                                 "--concurrency", "4", "--max-failures", "1", "--model-concurrency", "1",
                                 "--model", f"assistant=openai:scripted-model@{chatty.url}"])
    assert result.exit_code == 0, result.output
    assert len(chatty.chat_requests) >= 4 and chatty.max_in_flight == 1


def _create(cfg: object) -> None:
    async def go() -> None:
        client = make_client(cfg)  # type: ignore[arg-type]
        try:
            await client.create([UserMessage(content="hi", source="user")])
        finally:
            await client.close()

    asyncio.run(go())


def test_the_default_key_never_goes_to_another_url(chatty: ScriptedOpenAIServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-default-secret")
    for compat in ("auto", "none"):
        _create(parse_model_spec(f"openai:scripted-model@{chatty.url}", compat=compat, max_retries=0))
    check_models({"assistant": f"openai:scripted-model@{chatty.url}"})
    assert len(chatty.requests) >= 3
    assert all("authorization" not in r.headers for r in chatty.requests)
    assert parse_model_spec("openai:gpt-4o-mini").endpoint == OPENAI_ENDPOINT
    assert parse_model_spec("openai:gpt-4o-mini").api_key() == "sk-default-secret"


def test_a_named_key_goes_to_its_url(chatty: ScriptedOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-default-secret")
    monkeypatch.setenv("MY_SERVER_KEY", "sk-mine")
    _create(fast_config(chatty.url, api_key_env="MY_SERVER_KEY"))
    check_models({"assistant": {"spec": f"openai:scripted-model@{chatty.url}", "api_key_env": "MY_SERVER_KEY"}})
    assert {r.headers.get("authorization") for r in chatty.requests} == {"Bearer sk-mine"}
