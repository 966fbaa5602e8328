"""Step-level evaluation: the offline policy, a scripted model over HTTP, the CLI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from itool_helpers import Reply, ScriptedOpenAIServer, cli_app, make_dialogue
from typer.testing import CliRunner

from turnloom.itool import OfflinePolicy, difficulty_levels, evaluate
from turnloom.schema import Dialogue

runner = CliRunner()

TURNS: list[tuple[str, Any, Any]] = [
    ("single", "What's the weather in Paris?", [("get_weather", {"city": "Paris"})]),
    ("single", "And the forecast for Oslo for 3 days?", [("get_forecast", {"city": "Oslo", "days": 3})]),
]


def scripted(mistake: bool) -> Any:
    """Answers like the gold dialogue; with ``mistake`` it passes ``days`` as a string once."""

    def script(body: dict[str, Any]) -> Reply:
        last = body["messages"][-1]
        if last["role"] == "tool":
            return Reply(content="Here it is.")
        if "Paris" in (last.get("content") or ""):
            # "paris" passes the AST check (normalized) but is not the gold call for the world state
            return Reply(calls=[("get_weather", {"city": "paris" if mistake else "Paris"})])
        return Reply(calls=[("get_forecast", {"city": "Oslo", "days": "3" if mistake else 3})])

    return script


@pytest.fixture
def weather_file(tmp_path: Path) -> Path:
    path = tmp_path / "weather.jsonl"
    path.write_text(make_dialogue(TURNS).model_dump_json() + "\n", encoding="utf-8")
    return path


@pytest.fixture
def wrong_once() -> Iterator[ScriptedOpenAIServer]:
    server = ScriptedOpenAIServer(script=scripted(mistake=True)).start()
    yield server
    server.stop()


def test_offline_policy_reproduces_offline_dialogues(travel: list[Dialogue]) -> None:
    result = asyncio.run(evaluate(travel, OfflinePolicy(), levels=difficulty_levels(travel)))
    summary = result.summary()
    assert summary["steps"] == sum(1 for d in travel for m in d.messages if m.role == "assistant")
    assert summary["accuracy"] == 1.0 and summary["dialogue_accuracy"] == 1.0
    assert summary["state_compared"] == len(travel) and summary["state_match_rate"] == 1.0
    assert set(summary["by_difficulty"]) == {"easy", "medium", "hard"}
    assert summary["no_call_steps"]["steps"] > 0 and summary["call_steps"]["relevance"] == 1.0


def test_scripted_model_right_on_three_of_four_steps(weather_file: Path, wrong_once: ScriptedOpenAIServer,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "eval"
    result = runner.invoke(cli_app(), ["eval", str(weather_file), "--model",
                                       f"openai:scripted-model@{wrong_once.url}", "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["correct"] == 3 and summary["accuracy"] == 0.75
    assert summary["call_steps"] == {"steps": 2, "correct": 1, "accuracy": 0.5, "relevance": 1.0}
    assert summary["no_call_steps"]["accuracy"] == 1.0
    assert summary["by_kind"]["single"]["accuracy"] == 0.75
    assert summary["dialogue_accuracy"] == 0.0
    # the model's calls differ from the gold ones, so the replayed final world does too
    assert summary["state_compared"] == 1 and summary["state_match_rate"] == 0.0
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    assert [s["ok"] for s in steps] == [True, True, False, True]
    assert "type str, expected integer" in steps[2]["reason"]
    assert steps[0]["predicted"]["tool_calls"] == [{"name": "get_weather", "arguments": {"city": "paris"}}]
    # the model saw the gold prefix and the tools (steps go out concurrently: find the first step's request)
    bodies = [r.body for r in wrong_once.chat_requests]
    assert len(bodies) == 4
    first = min(bodies, key=lambda b: len(b["messages"]))
    assert [t["function"]["name"] for t in first["tools"]] == ["get_weather", "get_forecast"]
    assert first["messages"][-1]["content"] == "What's the weather in Paris?"
    assert "by step kind" in result.output and "75.0%" in result.output


def test_state_match_when_the_model_calls_like_the_gold(weather_file: Path, tmp_path: Path) -> None:
    with ScriptedOpenAIServer(script=scripted(mistake=False)) as server:
        result = runner.invoke(cli_app(), ["eval", str(weather_file), "--model",
                                           f"openai:scripted-model@{server.url}", "-o", str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "e" / "summary.json").read_text())
    assert summary["accuracy"] == 1.0
    assert summary["state_compared"] == 1 and summary["state_match_rate"] == 1.0
    dialogues = [json.loads(line) for line in (tmp_path / "e" / "dialogues.jsonl").read_text().splitlines()]
    assert dialogues[0]["all_correct"] is True


def test_user_errors_exit_2_without_traceback(tmp_path: Path, weather_file: Path) -> None:
    app = cli_app()
    missing = runner.invoke(app, ["eval", str(tmp_path / "none.jsonl"), "--model", "offline", "-o", str(tmp_path)])
    assert missing.exit_code == 2 and "no such file" in missing.output and "Traceback" not in missing.output
    bad = runner.invoke(app, ["eval", str(weather_file), "--model", "anthropic:claude", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "unsupported provider" in bad.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": 1}\n', encoding="utf-8")
    result = runner.invoke(app, ["curriculum", str(broken), "-o", str(tmp_path / "c")])
    assert result.exit_code == 2 and "broken.jsonl:1" in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "c").exists()
