"""Every built-in scenario loads, runs through the real CLI and shows the strength it is written for."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.scenarios.bfcl_helpers import INSTALL, runnable_builtins
from turnloom.cli import app
from turnloom.dataset import read_dialogues
from turnloom.scenarios import builtin_names, load_scenario, scenario_tools
from turnloom.schema import Dialogue
from turnloom.tools_env.analysis import profile_tool

runner = CliRunner()
NEW = ("support_desk", "restaurants", "weather_finance", "health_clinic", "food_delivery")


def _missing_server(name: str) -> str | None:
    """Why a built-in over a live MCP server cannot run here (its server command is not installed)."""
    mcp = load_scenario(name).tools.mcp
    if mcp is None or mcp.command is None:
        return None
    if shutil.which(mcp.command) or (Path(sys.executable).parent / mcp.command).exists():
        return None
    return f"{name} needs the live MCP server {mcp.command!r}, which is not installed"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, list[Dialogue]]]:
    """name -> (manifest, all dialogues) of a 4-dialogue run of each built-in."""
    out: dict[str, tuple[dict, list[Dialogue]]] = {}
    for name in runnable_builtins():
        if _missing_server(name):
            continue
        folder = tmp_path_factory.mktemp(name)
        result = runner.invoke(app, ["run", name, "-n", "4", "--seed", "1", "-o", str(folder), "--quiet"])
        assert result.exit_code == 0, result.output
        dialogues = [*read_dialogues(folder / "accepted.jsonl"), *read_dialogues(folder / "rejected.jsonl")]
        out[name] = (json.loads((folder / "manifest.json").read_text()), dialogues)
    return out


def test_there_are_the_new_builtins() -> None:
    assert set(NEW) <= set(builtin_names())


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_loads_describes_itself_and_runs(name: str, runs: dict[str, tuple[dict, list[Dialogue]]]) -> None:
    if name not in runnable_builtins():
        pytest.skip(f"{name} needs bfcl-eval's class files ({INSTALL})")
    scenario = load_scenario(name)
    assert scenario.name == name and scenario.description.strip()
    if name not in runs:
        pytest.skip(_missing_server(name) or "not run")
    manifest, dialogues = runs[name]
    # a live scenario's tools come from its server
    assert len(scenario_tools(scenario)) >= 5 or (scenario.tools.mcp and len(dialogues[0].tools) >= 2)
    assert manifest["counts"]["accepted"] >= 1 and len(dialogues) == 4


def test_support_desk_is_crud(runs: dict[str, tuple[dict, list[Dialogue]]]) -> None:
    kinds = {profile_tool(t).kind for t in scenario_tools(load_scenario("support_desk"))}
    assert {"create", "read", "update", "list", "status"} <= kinds  # close_ticket changes the status
    steps = [s.kind for d in runs["support_desk"][1] for s in d.plan.steps]
    assert steps.count("dependent") + steps.count("follow_up") > steps.count("single")


def test_restaurants_chain_search_results_into_bookings(runs: dict[str, tuple[dict, list[Dialogue]]]) -> None:
    mix = load_scenario("restaurants").plan.mix
    assert max(mix, key=lambda k: mix[k]) == "dependent"
    for d in runs["restaurants"][1]:
        assert "dependent" in d.stats["step_kinds"]
        first = next(c for m in d.messages for c in m.tool_calls)
        assert first.name == "search_restaurants"  # every chain starts from a search


def test_weather_finance_makes_parallel_calls(runs: dict[str, tuple[dict, list[Dialogue]]]) -> None:
    multi = [m for d in runs["weather_finance"][1] for m in d.messages if len(m.tool_calls) >= 2]
    assert len(multi) >= 4
    assert all(len({c.id for c in m.tool_calls}) == len(m.tool_calls) for m in multi)


def test_health_clinic_asks_for_missing_details(runs: dict[str, tuple[dict, list[Dialogue]]]) -> None:
    asked = 0
    for d in runs["health_clinic"][1]:
        for i, m in enumerate(d.messages[:-1]):
            if m.role == "assistant" and not m.tool_calls and m.content.rstrip().endswith("?") \
                    and d.messages[i + 1].role == "user":
                asked += 1
    assert asked >= 2


def test_food_delivery_recovers_from_tool_errors(runs: dict[str, tuple[dict, list[Dialogue]]]) -> None:
    assert load_scenario("food_delivery").world.env.error_rate == 0.15
    retried = 0
    for d in runs["food_delivery"][1]:
        msgs = d.messages
        for i, m in enumerate(msgs):
            if m.role == "tool" and m.result is not None and not m.result.ok:
                again = next((x for x in msgs[i + 1:] if x.role == "assistant"), None)
                if again is not None and any(c.name == m.result.name for c in again.tool_calls):
                    retried += 1
    assert retried >= 2
