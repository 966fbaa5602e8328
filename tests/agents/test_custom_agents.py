"""Custom agents plug in through the scenario file, the CLI flag, and the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.agents.registry import AgentRefError, available_agents, resolve_agent
from turnloom.cli import app
from turnloom.dataset import read_dialogues

PLUGINS = Path(__file__).parents[1] / "fixtures" / "plugins"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _plugins_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PLUGINS))


def _signed(out: Path) -> bool:
    texts = [
        m.content or "" for d in read_dialogues(out / "accepted.jsonl") for m in d.messages if m.role == "assistant"
    ]
    return bool(texts) and any(t.endswith("(Polite Bot)") for t in texts)


def test_builtin_agents_are_registered_like_plugins() -> None:
    names = available_agents()
    for name in ("offline-planner", "offline-user", "offline-assistant", "rule-verifier"):
        assert name in names
    assert type(resolve_agent("offline-assistant", "assistant")).__name__ == "OfflineAssistant"


def test_cli_flag_plugs_in_a_custom_assistant(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            "travel",
            "-n",
            "3",
            "-o",
            str(tmp_path / "o"),
            "--quiet",
            "--agent",
            "assistant=polite_agents:PoliteAssistant",
        ],
    )
    assert result.exit_code == 0, result.output
    assert _signed(tmp_path / "o")


def test_scenario_file_plugs_in_a_custom_assistant(tmp_path: Path) -> None:
    sc = tmp_path / "polite.yaml"
    sc.write_text("name: polite\nextends: travel\nagents:\n  assistant: polite_agents:PoliteAssistant\n")
    result = runner.invoke(app, ["run", str(sc), "-n", "3", "-o", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert _signed(tmp_path / "o")


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("no_such_module_xyz:Agent", "cannot import module 'no_such_module_xyz'"),
        ("polite_agents:Missing", "has no attribute 'Missing'"),
        ("polite_agents:NotAnAgent", "does not implement 'async def act"),
        ("nonexistent-name", "no agent registered under that name"),
    ],
)
def test_wrong_references_say_what_and_why(ref: str, expected: str, tmp_path: Path) -> None:
    with pytest.raises(AgentRefError) as info:
        resolve_agent(ref, "assistant")
    assert expected in str(info.value)
    result = runner.invoke(app, ["run", "travel", "-n", "1", "-o", str(tmp_path / "o"), "--agent", f"assistant={ref}"])
    assert result.exit_code == 2
    assert expected in result.output
