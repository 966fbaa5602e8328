"""Values a grounded plan takes from earlier results and by meaning: ports a listing showed, a date in
the format a description states, an option another tool's description enumerates, and a real answer
preferred to "Unknown" (over a fixture class shaped like BFCL's TravelAPI)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from turnloom.schema import PlanStep, ToolSpec
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.grounding import Candidate, Grounding, harvest, rank
from turnloom.tools_env.grounding_prereq import enable
from turnloom.tools_env.grounding_values import described, shown, weak
from turnloom.tools_env.python_backend import PythonBackend, class_tools, load_class, method_ref
from turnloom.tools_env.world import World

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backends"
REF = "ferry_backend:FerryDesk"
STATE = {"passenger": "Ada Lee", "birth_date": "12/26"}
ROUTES = {("HBT", "CLF"), ("CLF", "SLM"), ("SLM", "HBT")}


@pytest.fixture(autouse=True)
def _fixture_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def _grounding() -> tuple[Grounding, dict[str, ToolSpec]]:
    tools = class_tools(load_class(REF))
    env = ToolEnvironment(tools, bindings={t.name: method_ref(REF, t.name) for t in tools})
    world = PythonBackend(REF).initial_world(World(seed=1), STATE)
    return Grounding(env, world), {t.name: t for t in env.tools.values()}


def test_a_booking_takes_ports_an_earlier_listing_showed() -> None:
    grounding, tools = _grounding()
    box = grounding.sandbox()
    step = PlanStep(index=2, kind="single", intent="", tools=["book_crossing"],
                    slots={"sail_from": "XYZ", "sail_to": "QQQ", "sail_date": "2026-05-01", "sail_fare": "any"})
    assert box.fit(step, tools, random.Random(0)) is None
    found = enable(box, step, tools, random.Random(0), lambda t: {p: "planned" for p in t.required})
    assert found is not None
    assert [b.tools for b in found.before] == [["list_ports"]]
    slots = found.step.slots
    assert (slots["sail_from"], slots["sail_to"]) in ROUTES
    assert slots["sail_date"] == "2026-05-01"  # the planned date: the birth date 12/26 fits neither format nor meaning
    assert slots["sail_fare"] in ("saver", "flexi")  # enumerated by get_fare's description
    assert box.results[3] == [{"booking_id": "B1", "booking_status": True}]


def test_a_later_step_prefers_values_the_dialogue_showed() -> None:
    grounding, tools = _grounding()
    box = grounding.sandbox()
    listed = PlanStep(index=0, kind="single", intent="", tools=["list_ports"], slots={})
    assert box.fit(listed, tools, random.Random(0)) is not None
    fare = PlanStep(index=1, kind="single", intent="", tools=["get_fare"],
                    slots={"sail_from": "XYZ", "sail_to": "QQQ", "fare": "flexi"})
    fitted = box.fit(fare, tools, random.Random(3))
    assert fitted is not None and (fitted.slots["sail_from"], fitted.slots["sail_to"]) in ROUTES


def test_a_lookup_prefers_a_real_answer_to_unknown() -> None:
    grounding, tools = _grounding()
    for seed in range(6):
        box = grounding.sandbox()
        step = PlanStep(index=0, kind="single", intent="", tools=["port_of_town"], slots={"town": "Eastwick"})
        fitted = box.fit(step, tools, random.Random(seed))
        assert fitted is not None
        assert box.results[0] != [{"port": "Unknown"}], fitted.slots


def test_dated_parameters_take_dates_of_their_format_and_meaning() -> None:
    _, tools = _grounding()
    book = tools["book_crossing"]
    pool = [Candidate("12/26", frozenset({"birth", "date"})), Candidate("1990-02-03", frozenset({"birth", "date"})),
            Candidate("2026-07-01", frozenset({"sail", "date"}), shown=True)]
    assert rank(pool, book, "sail_date") == ["2026-07-01"]
    # a three-letter code parameter takes no longer words
    pool = [Candidate("Harbourtown", frozenset({"port"}), shown=True),
            Candidate("HBT", frozenset({"port"}), shown=True)]
    assert rank(pool, tools["get_fare"], "sail_from") == ["HBT"]


def test_options_a_description_enumerates_fit_parameters_of_the_same_name_only() -> None:
    _, tools = _grounding()
    options = described(tools.values())
    fares = [c.value for c in options if c.words == frozenset({"fare"})]
    assert fares == ["saver", "flexi"]
    assert "Eastwick" in [c.value for c in options]
    assert rank(options, tools["get_fare"], "fare") == ["saver", "flexi"]
    assert rank(options, tools["book_crossing"], "sail_from") == []


def test_the_service_class_name_does_not_name_its_values() -> None:
    grounding, _ = _grounding()
    words = {c.value: c.words for c in harvest(grounding.world)}
    assert words["Ada Lee"] == frozenset({"passenger"})


def test_shown_values_carry_their_key_path_and_the_tool() -> None:
    _, tools = _grounding()
    got = shown(tools["list_ports"], {}, ["CLF", "HBT"])
    assert [c.value for c in got] == ["CLF", "HBT"] and all(c.shown and "port" in c.words for c in got)
    got = shown(tools["book_crossing"], {"sail_date": "2026-05-01"}, {"booking_id": "B1", "booking_status": True})
    assert {c.value: c.words >= {"booking", "id"} for c in got if c.value == "B1"} == {"B1": True}
    assert any(c.value == "2026-05-01" and c.words >= {"sail", "date"} for c in got)
    assert shown(tools["port_of_town"], {}, {"port": "Unknown"}) == []


@pytest.mark.parametrize("content,expected", [
    ({"port": "Unknown"}, True), ([], True), ({"count": 0, "items": []}, True), ({"travel_cost_list": []}, True),
    ({"status": False}, False), (None, False), ({"port": "HBT"}, False), (["HBT"], False), ("done", False),
])
def test_results_that_say_nothing_are_weak(content: Any, expected: bool) -> None:
    assert weak(content) is expected


def test_an_optional_nullable_key_the_failure_names_is_added() -> None:
    tool = ToolSpec(name="invoice", description="Get an invoice.", parameters={
        "type": "object", "required": [],
        "properties": {"booking_id": {"type": ["string", "null"], "description": "[Optional] The ID of the booking"}}})
    assert rank([Candidate("B1", frozenset({"booking", "id"}))], tool, "booking_id") == ["B1"]
