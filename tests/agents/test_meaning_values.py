"""Values said by meaning ("from Berlin to Rome", "for four people", "under $250"): the offline
assistant reads back exactly the planned value, and the grounding rule accepts the spoken forms
of a number while still rejecting a number nobody said."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from turnloom.agents.offline._extract import extract_args
from turnloom.agents.offline._meaning import NUMBER_WORDS, say_by_meaning
from turnloom.agents.offline._templates import user_data
from turnloom.agents.offline.user import OfflineUser
from turnloom.agents.verify._rules import RuleContext, grounded_args
from turnloom.cli import app
from turnloom.schema import Message, ToolCall, ToolSpec
from turnloom.tools_env.env import ToolEnvironment

TOOL = ToolSpec(name="search_trips", description="Search trips.", parameters={"type": "object", "properties": {
    "origin": {"type": "string"}, "destination": {"type": "string"}, "date": {"type": "string", "format": "date"},
    "party_size": {"type": "integer", "minimum": 1}, "max_price": {"type": "number", "minimum": 0},
    "nights": {"type": "integer"}}})

_PLACE = st.lists(st.sampled_from(["Rome", "New", "York", "Lake", "Jamesport", "O'Neil", "Saint-Denis", "Rio"]),
                  min_size=1, max_size=3).map(" ".join)
_PRICE = st.one_of(st.integers(1, 5000), st.floats(1, 5000).map(lambda x: round(x, 2)))


def test_every_form_in_the_data_names_a_known_placeholder() -> None:
    forms = user_data()["by_meaning"]
    assert {"city", "origin", "destination", "party_size", "max_price"} <= set(forms)
    for param, said in forms.items():
        if isinstance(said, dict):  # a boolean's forms: what true and what false are said as, no placeholder
            assert set(said) == {True, False} and all(said.values()), param
            assert not any("{" in f for fs in said.values() for f in fs), param
            continue
        assert said and all(("{v}" in f) + ("{V}" in f) + ("{n}" in f) == 1 for f in said), param


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_said_by_meaning_reads_back_as_that_boolean(value: bool) -> None:
    tool = ToolSpec(name="search_restaurants", description="Search restaurants.", parameters={
        "type": "object", "properties": {"city": {"type": "string"}, "open_now": {"type": "boolean"}}})
    rng = random.Random(3)
    seen = set()
    for _ in range(40):
        said = say_by_meaning("open_now", value, ("city", "open now"), rng)
        assert said is not None
        seen.add(said)
        text = f"find me restaurants {said} in Lisbon."
        assert extract_args(text, tool) == {"open_now": value, "city": "Lisbon"}, text
    assert len(seen) > 1
    # a form says one value only: never rendered for the other, nor for a non-boolean
    assert say_by_meaning("open_now", "yes", (), rng) is None


def test_a_group_form_is_never_said_for_one() -> None:
    rng = random.Random(0)
    said = {say_by_meaning("party_size", 1, (), rng) for _ in range(200)}
    assert said and not any("group of" in s or "party of" in s or "of us" in s for s in said), said
    assert any("one" in s or "1" in s for s in said)


@settings(max_examples=150, deadline=None)
@given(origin=_PLACE, destination=_PLACE, party=st.integers(1, 40), price=_PRICE, seed=st.integers(0, 10_000))
def test_values_said_by_meaning_read_back_exactly(origin: str, destination: str, party: int, price: float,
                                                  seed: int) -> None:
    rng = random.Random(seed)
    slots: dict[str, Any] = {"origin": origin, "destination": destination, "party_size": party, "max_price": price}
    parts = [say_by_meaning(k, v, (), rng) for k, v in slots.items()]
    assert all(parts)
    rng.shuffle(parts)
    text = f"can you find trips {' '.join(p for p in parts if p)}? date 2026-05-01."
    assert extract_args(text, TOOL) == {**slots, "date": "2026-05-01"}, text


def test_a_count_in_words_and_a_price_with_its_currency_read_back() -> None:
    assert extract_args("find trips for four people under $250.", TOOL) == {"party_size": 4, "max_price": 250}
    assert extract_args("find trips from Rio de Janeiro to Lake Jamesport.", TOOL) == {
        "origin": "Rio de Janeiro", "destination": "Lake Jamesport"}
    # a place must be said as one: a lower-case word after "in"/"to" is no value
    assert extract_args("I want to find trips in a hurry.", TOOL) == {}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), party=st.integers(1, 12), price=st.integers(20, 900))
def test_the_user_says_values_only_in_ways_the_assistant_reads_back(seed: int, party: int, price: int) -> None:
    slots: dict[str, Any] = {"origin": "Port Jared", "destination": "Lake Noah", "party_size": party,
                             "max_price": price, "date": "2026-05-01"}
    text = OfflineUser()._request(TOOL, slots, "chatty", random.Random(seed))
    assert extract_args(text, TOOL) == slots, text


def _grounding(user: str, arguments: dict[str, Any]) -> list[str]:
    messages = [Message(role="system", content="You book trips."), Message(role="user", content=user),
                Message(role="assistant", content="", tool_calls=[
                    ToolCall(id="c1", name=TOOL.name, arguments=arguments)])]
    ctx = RuleContext(messages=messages, tools={TOOL.name: TOOL}, env=ToolEnvironment([TOOL]))
    return [c.reason or "" for c in grounded_args(ctx) if not c.passed]


def test_grounding_accepts_spoken_amounts_and_counts() -> None:
    assert _grounding("Trips under $250, please.", {"max_price": 250}) == []
    assert _grounding("Trips for 250 dollars at most.", {"max_price": 250.0}) == []
    assert _grounding("Two nights from Rome.", {"nights": 2, "origin": "Rome"}) == []
    assert _grounding("A table for a party of six.", {"party_size": 6}) == []
    assert _grounding("Just one night, for one of us.", {"nights": 1}) == []
    for n in range(2, len(NUMBER_WORDS)):
        assert _grounding(f"For {NUMBER_WORDS[n]} people.", {"party_size": n}) == []


def test_grounding_rejects_a_number_only_inside_another_number() -> None:
    # "25" is a substring of "$250" and "2.5", yet nobody said 25 (the old rule let it through)
    assert len(_grounding("Trips under $250, please.", {"max_price": 25})) == 1
    assert len(_grounding("Rated 2.5 or better.", {"party_size": 5})) == 1
    assert len(_grounding("One more thing: trips from Rome.", {"party_size": 1, "origin": "Rome"})) == 1
    assert len(_grounding("Trips for 4 people.", {"party_size": 3})) == 1


def test_a_run_says_values_by_meaning_and_every_dialogue_passes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", "travel", "-n", "20", "--seed", "7", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "accepted.jsonl").read_text().splitlines()]
    assert len(records) == 20
    users = [m["content"] for r in records for m in r["messages"] if m["role"] == "user"]
    by_meaning = [u for u in users if re.search(r"\b(?:from|out of|leaving|departing|to|in) [A-Z][a-z]", u)]
    assert len(by_meaning) >= 5, users


def test_rendering_is_deterministic() -> None:
    slots = {"origin": "Port Jared", "destination": "Lake Noah", "party_size": 3}
    said = [OfflineUser()._request(TOOL, slots, "brief", random.Random(5)) for _ in range(2)]
    assert said[0] == said[1]


def test_a_value_said_by_meaning_never_names_another_offered_tool() -> None:
    # "with sushi on the menu" made the assistant call get_restaurant_menu instead of searching
    from turnloom.scenarios import load_scenario, scenario_tools

    tools = {t.name: t for t in scenario_tools(load_scenario("restaurants"))}
    search = tools["search_restaurants"]
    user = OfflineUser()
    for seed in range(150):
        rng = random.Random(seed)
        text = user._request(search, {"city": "Lisbon", "cuisine": "sushi"}, "chatty", rng, greet=True,
                             offered=tools)
        assert "menu" not in text.lower(), text
