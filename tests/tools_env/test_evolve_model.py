"""`turnloom pool evolve --model`: new APIs written by a model on an OpenAI-compatible
server (127.0.0.1), validated like the offline ones."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from scripted_server import Reply, ScriptedOpenAIServer
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.tools_env.pool import load_pool

FIXTURES = Path(__file__).parents[1] / "fixtures" / "importers"


def test_evolve_with_a_model(tmp_path: Path) -> None:
    counter = itertools.count()

    def model(body: dict[str, Any]) -> Reply:
        k = next(counter)
        if k % 3 == 2:
            return Reply(content="Sorry, I cannot help with that.")  # unusable: rejected, not a crash
        tool = {"name": f"track_parcel_{k}", "description": f"Track parcel number {k} across carriers.",
                "parameters": {"type": "object", "properties": {"parcel_id": {"type": "string",
                                                                              "description": "Parcel id"}},
                               "required": ["parcel_id"]},
                "returns": {"type": "object", "properties": {"status": {"type": "string", "description": "Status"}},
                            "required": ["status"]}}
        return Reply(content="```json\n" + json.dumps(tool) + "\n```")

    with ScriptedOpenAIServer(model) as server:
        out = tmp_path / "evolved.jsonl"
        result = CliRunner().invoke(app, ["pool", "evolve", str(FIXTURES / "seed_pool.jsonl"), "-n", "4", "-o",
                                          str(out), "--model", f"openai:writer@{server.url}", "--cache",
                                          str(tmp_path / "cache.sqlite")])
        assert result.exit_code == 0, result.output
        tools = load_pool(out)
        assert len(tools) == 4 and all(t.name.startswith("track_parcel_") for t in tools)
        assert len(server.chat_requests) >= 5  # the unusable answers were asked again


def test_evolve_bad_model_spec(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["pool", "evolve", str(FIXTURES / "seed_pool.jsonl"), "-n", "1", "-o",
                                      str(tmp_path / "o.jsonl"), "--model", "openai:m@ftp://nowhere"])
    assert result.exit_code == 2 and "--model" in result.output
    assert not (tmp_path / "o.jsonl").exists()
