"""Requests that name a tool by an alias of its name words ("the UV level") or ask with the verbs
"pull up" / "grab": the offline assistant reads them as the tool they stand for."""

from __future__ import annotations

import random

import pytest

from turnloom.agents.offline._extract import score_tool
from turnloom.agents.offline._templates import action_words, user_data
from turnloom.scenarios import load_scenario, scenario_tools
from turnloom.schema import ToolSpec


def _tools(scenario: str) -> dict[str, ToolSpec]:
    return {t.name: t for t in scenario_tools(load_scenario(scenario))}


def _best(text: str, tools: dict[str, ToolSpec]) -> str:
    return max(tools.values(), key=lambda t: score_tool(text, t)).name


@pytest.mark.parametrize(("text", "tool"), [
    ("Could you look up the UV level in Lyon?", "get_uv_index"),
    ("Is the sunburn risk high in Lyon?", "get_uv_index"),
    ("What's the pollution level in Oslo?", "get_air_quality"),
    ("dawn and dusk in Rome, please", "get_sunrise_sunset"),
    ("what is the share price for ACME", "get_stock_quote"),
    ("the company background for ACME", "get_company_profile"),
    ("the FX rate for EUR against USD", "get_exchange_rate"),
    ("what's the weather right now in Porto?", "get_current_weather"),
])
def test_an_alias_of_the_name_words_picks_the_tool(text: str, tool: str) -> None:
    assert _best(text, _tools("weather_finance")) == tool


@pytest.mark.parametrize(("text", "tool"), [
    ("pull up my food order, food order id FO-00001.", "get_food_order"),
    ("grab the food order FO-00002 for me", "get_food_order"),
])
def test_pull_up_and_grab_read_as_get(text: str, tool: str) -> None:
    assert _best(text, _tools("food_delivery")) == tool


def test_without_the_alias_table_the_alias_says_nothing() -> None:
    tools = _tools("weather_finance")
    # "sunburn risk" shares no word with get_uv_index's name or description
    assert score_tool("sunburn risk", tools["get_uv_index"]) > 0
    assert score_tool("sunburn rsk", tools["get_uv_index"]) == 0


def test_the_user_says_aliases_and_each_one_leads_back_to_its_tool() -> None:
    tools = _tools("weather_finance")
    said = {action_words(tools["get_uv_index"], random.Random(seed)) for seed in range(60)}
    aliases = user_data()["aliases"]["uv index"]
    assert any(a in s for s in said for a in aliases) and any("uv index" in s for s in said)
    for text in said:
        assert _best(f"{text} in Lyon", tools) == "get_uv_index", text
