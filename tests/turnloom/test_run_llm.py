"""`turnloom run` with an LLM-backed assistant on a real OpenAI-compatible HTTP server
(127.0.0.1): the run completes, usage reaches the manifest, and a rerun is served from
the SQLite cache with byte-identical output."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from turnloom.agents import AgentView
from turnloom.agents.offline import OfflineAssistant
from turnloom.cli import app
from turnloom.dataset import from_openai_record

AGENTS_TESTS = Path(__file__).parents[1] / "agents"
runner = CliRunner()


def _policy(body: dict[str, Any]) -> Any:
    """A scripted model: the offline assistant answering the request's conversation."""
    from scripted_server import Reply

    d = from_openai_record({"messages": body["messages"], "tools": body.get("tools", [])})
    out = asyncio.run(OfflineAssistant().act(AgentView(role="assistant", seed=len(body["messages"]),
                                                        tools=d.tools, messages=d.messages)))
    msg = out.messages[0]
    if msg.tool_calls:
        return Reply(calls=[(c.name, c.arguments) for c in msg.tool_calls], prompt_tokens=120)
    return Reply(content=msg.content, prompt_tokens=100)


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(AGENTS_TESTS))
    from scripted_server import ScriptedOpenAIServer

    srv = ScriptedOpenAIServer(_policy).start()
    yield srv
    srv.stop()


def test_llm_assistant_run_usage_and_cache(server: Any, tmp_path: Path) -> None:
    spec = f"assistant=openai:scripted-model@{server.url}"
    cache = tmp_path / "cache.sqlite"
    first = tmp_path / "first"
    args = ["run", "travel", "-n", "3", "--seed", "5", "--quiet", "--model", spec, "--cache", str(cache)]
    result = runner.invoke(app, [*args, "-o", str(first)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["agents"]["assistant"].startswith("model:openai:scripted-model@")
    usage = manifest["usage"]["assistant"]
    assert usage["requests"] > 0 and usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert manifest["counts"]["accepted"] + manifest["counts"]["rejected"] == 3
    assert manifest["counts"]["accepted"] >= 2, manifest["rejection_reasons"]
    served = len(server.chat_requests)
    assert served == usage["requests"]

    second = tmp_path / "second"
    result = runner.invoke(app, [*args, "-o", str(second)])
    assert result.exit_code == 0, result.output
    assert len(server.chat_requests) == served  # every request came from the cache
    assert (second / "accepted.jsonl").read_bytes() == (first / "accepted.jsonl").read_bytes()

    third = tmp_path / "third"
    result = runner.invoke(app, [*args, "--no-cache", "-o", str(third)])
    assert result.exit_code == 0, result.output
    assert len(server.chat_requests) > served
    assert "sk-" not in cache.read_bytes().decode("latin-1")


def test_bad_model_spec_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "travel", "-n", "1", "-o", str(tmp_path / "o"), "--model", "assistant=magic:m@ftp://x"])
    assert result.exit_code == 2
    assert "models.assistant" in result.output
    result = runner.invoke(app, ["run", "travel", "-n", "1", "-o", str(tmp_path / "o"), "--model",
                                 "chef=openai:m@http://127.0.0.1:9"])
    assert result.exit_code == 2 and "unknown role" in result.output
