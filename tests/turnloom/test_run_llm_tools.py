"""`world.llm_tools`: calls answered by the LLM tool simulator on a real OpenAI-compatible
HTTP server (127.0.0.1), through `turnloom run`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.tools_env.values import generate_value

AGENTS_TESTS = Path(__file__).parents[1] / "agents"
runner = CliRunner()


def _simulate(body: dict[str, Any]) -> Any:
    """A scripted tool simulator: a value generated from the return schema in the prompt."""
    from scripted_server import Reply

    prompt = body["messages"][-1]["content"]
    name = re.search(r"^Tool: (\S+)$", prompt, re.M)
    schema = re.search(r'^Return schema \("result" must match it\): (.*)$', prompt, re.M)
    assert name and schema, prompt
    returns = json.loads(schema.group(1))
    return Reply(content=json.dumps({"result": generate_value(returns, name=name.group(1), seed=len(prompt))}))


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(AGENTS_TESTS))
    from scripted_server import ScriptedOpenAIServer

    srv = ScriptedOpenAIServer(_simulate).start()
    yield srv
    srv.stop()


def test_llm_tool_simulator_answers_the_calls(server: Any, tmp_path: Path) -> None:
    scenario = tmp_path / "sim.yaml"
    scenario.write_text('name: travel-sim\nextends: travel\nworld: {llm_tools: ["*"]}\n', encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "-n", "3", "--seed", "4", "--quiet", "--no-cache",
                                 "--model", f"tool=openai:sim@{server.url}", "-o", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["accepted"] + manifest["counts"]["rejected"] == 3
    assert not any("tool simulator failed" in r for r in manifest["rejection_reasons"]), manifest["rejection_reasons"]
    assert server.chat_requests, "no call reached the tool simulator"
    assert manifest["usage"]["tool"]["requests"] == len(server.chat_requests)
    dialogues = [json.loads(line) for f in ("accepted.jsonl", "rejected.jsonl")
                 for line in (out / f).read_text().splitlines()]
    tool_messages = [m for d in dialogues for m in d["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == len(server.chat_requests)
    assert all(m["result"]["content"] is not None for m in tool_messages)
