"""Tool self-evolution: the speciation tree, the operators, validation, de-duplication, determinism."""

from __future__ import annotations

import asyncio
import json
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.schema import ToolSpec
from turnloom.tools_env.evolve import (
    OPERATORS,
    SpeciationTree,
    Subtree,
    aevolve_pool,
    build_evolution_prompt,
    evolve_pool,
    parse_llm_tool,
    validate_candidate,
)
from turnloom.tools_env.evolve._mutations import MUTATIONS, Job
from turnloom.tools_env.evolve._pipeline import combine
from turnloom.tools_env.pool import load_pool, schema_problems, words

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"


@pytest.fixture(scope="module")
def seed_tools() -> list[ToolSpec]:
    return load_pool(FIXTURES / "seed_pool.jsonl")


@pytest.fixture(scope="module")
def by_name(seed_tools: list[ToolSpec]) -> dict[str, ToolSpec]:
    return {t.name: t for t in seed_tools}


@pytest.fixture(scope="module")
def evolved(seed_tools: list[ToolSpec]):  # type: ignore[no-untyped-def]
    return evolve_pool(seed_tools, 80, seed=7)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _signature(tool: ToolSpec) -> set[str]:
    return set(words(tool.name)) | set(tool.properties)


def _job(base: ToolSpec, context: list[ToolSpec], seed: int = 0) -> Job:
    return Job(base, [base, *context], base, random.Random(seed))


def test_speciation_tree(seed_tools: list[ToolSpec]) -> None:
    tree = SpeciationTree.from_tools(seed_tools)
    data = tree.to_json()
    assert data["kind"] == "root"
    domains = {d["name"]: d for d in data["children"]}
    assert sorted(domains) == ["calendar", "communication", "finance", "shopping", "travel", "weather"]
    travel = {g["name"]: [a["name"] for a in g["children"]] for g in domains["travel"]["children"]}
    assert travel == {"flight": ["book_flight", "search_flights"], "hotel": ["book_hotel", "search_hotels"]}
    assert json.loads(json.dumps(data)) == data
    rng = random.Random(3)
    modes = set()
    for _ in range(60):
        sub = tree.sample(rng)
        modes.add(sub.mode)
        assert sub.tools[0] is sub.base and len({t.name for t in sub.tools}) == len(sub.tools) <= 4
        assert {t.domain for t in sub.tools} == {sub.domain}
    assert modes == {"node", "group", "domain"}


def test_evolve_gives_n_valid_new_tools(evolved, seed_tools: list[ToolSpec]) -> None:  # type: ignore[no-untyped-def]
    assert len(evolved.tools) == 80 and not evolved.exhausted
    names = [_norm(t.name) for t in evolved.tools]
    assert len(set(names)) == 80
    assert not set(names) & {_norm(t.name) for t in seed_tools}
    for tool in evolved.tools:
        ToolSpec.model_validate(tool.model_dump())
        assert tool.returns is not None
        assert schema_problems(tool.parameters, "parameters") == []
        assert schema_problems(tool.returns, "returns") == []
        assert tool.parameters["type"] == "object"
        assert set(tool.required) <= set(tool.properties)
        assert "evolved" in tool.tags and tool.description.endswith(".")
        assert re.fullmatch(r"[a-z][a-z0-9_]*", tool.name)


def test_no_near_duplicates(evolved, seed_tools: list[ToolSpec]) -> None:  # type: ignore[no-untyped-def]
    signatures = [_signature(t) for t in seed_tools]
    for tool in evolved.tools:
        sig = _signature(tool)
        assert all(len(sig & other) / len(sig | other) < 0.9 for other in signatures), tool.name
        signatures.append(sig)


def test_every_operator_is_applied(evolved) -> None:  # type: ignore[no-untyped-def]
    assert list(evolved.operators) == list(OPERATORS)
    assert all(count > 0 for count in evolved.operators.values()), evolved.operators
    assert sum(evolved.operators.values()) == 80
    tagged = {t.split(":", 1)[1] for tool in evolved.tools for t in tool.tags if t.startswith("evolved:")}
    assert tagged == set(OPERATORS)
    assert set(evolved.rejected) <= {"duplicate_name", "near_duplicate", "name_too_long", "not_applicable",
                                     "invalid_schema", "required_not_in_properties", "invalid_spec"}


def test_evolution_is_deterministic(seed_tools: list[ToolSpec], evolved) -> None:  # type: ignore[no-untyped-def]
    again = evolve_pool(list(reversed(seed_tools)), 80, seed=7)
    assert [t.model_dump() for t in again.tools] == [t.model_dump() for t in evolved.tools]
    assert again.operators == evolved.operators and again.rejected == evolved.rejected
    other = evolve_pool(seed_tools, 80, seed=8)
    assert [t.name for t in other.tools] != [t.name for t in evolved.tools]


def test_budget_exhaustion_is_reported(by_name: dict[str, ToolSpec]) -> None:
    result = evolve_pool([by_name["send_email"]], 500, seed=1, max_attempts=40)
    assert result.exhausted and result.attempts == 40 and 0 < len(result.tools) < 500
    with pytest.raises(ValueError, match="empty"):
        evolve_pool([], 5, seed=1)


def test_add_functionality(by_name: dict[str, ToolSpec]) -> None:
    hotels = by_name["search_hotels"]
    names = set()
    for seed in range(12):
        out = MUTATIONS["add_functionality"](_job(hotels, [], seed))
        assert out is not None
        names.add(out["name"])
    assert {"search_hotels_by_rating", "search_hotels_with_pool", "search_hotels_with_pagination"} <= names
    out = next(MUTATIONS["add_functionality"](_job(hotels, [], s)) for s in range(12)
               if MUTATIONS["add_functionality"](_job(hotels, [], s))["name"] == "search_hotels_by_rating")
    rating = out["parameters"]["properties"]["min_rating"]
    assert rating["type"] == "number" and rating["maximum"] == 5
    assert "min_rating" in out["parameters"]["required"]
    assert out["description"] == "Search hotels in a city for given dates, filtered by rating."
    flight = MUTATIONS["add_functionality"](_job(by_name["book_flight"], [], 0))
    book = by_name["book_flight"]
    features = {MUTATIONS["add_functionality"](_job(book, [], s))["name"] for s in range(10)}
    assert flight is not None and "book_flight_with_seat_selection" in features


def test_add_constraints_and_parameters(by_name: dict[str, ToolSpec]) -> None:
    out = MUTATIONS["add_constraints"](_job(by_name["convert_currency"], [], 4))
    assert out is not None
    props = out["parameters"]["properties"]
    constrained = {k for k, v in props.items() if {"pattern", "minimum", "maximum"} & set(v)}
    assert constrained and "Checks its input:" in out["description"]
    room = {"type": "string", "enum": ["single", "double"]}
    get_hotel = ToolSpec(name="get_hotel", description="Get a hotel.", parameters={
        "type": "object", "properties": {"hotel_id": {"type": "string"}, "room_type": room}})
    borrowed = MUTATIONS["add_parameters"](_job(by_name["search_hotels"], [get_hotel], 1))
    assert borrowed is not None and borrowed["name"] == "search_hotels_with_room_type"
    assert borrowed["description"] == "Search hotels in a city for given dates. Also accepts room type."
    assert borrowed["parameters"]["required"] == by_name["search_hotels"].required
    generic = MUTATIONS["add_parameters"](_job(by_name["book_hotel"], [by_name["search_hotels"]], 1))
    assert generic is not None and generic["name"] == "book_hotel_with_currency"  # it returns a price
    cancel = MUTATIONS["add_parameters"](_job(by_name["cancel_order"], [by_name["get_order"]], 1))
    assert cancel is None  # it already takes a reason; nothing fits a cancellation


def test_mutate_types(by_name: dict[str, ToolSpec]) -> None:
    results = {}
    for seed in range(20):
        out = MUTATIONS["mutate_types"](_job(by_name["get_weather_forecast"], [], seed))
        results[out["name"]] = out
    multi = results["get_weather_forecast_for_multiple_locations"]
    assert multi["parameters"]["properties"]["locations"]["type"] == "array"
    assert multi["parameters"]["required"] == ["locations"]
    assert multi["returns"]["properties"]["results"]["items"] == by_name["get_weather_forecast"].returns
    coords = results["get_weather_forecast_by_coordinates"]
    assert coords["parameters"]["properties"]["location"]["required"] == ["latitude", "longitude"]
    dated = MUTATIONS["mutate_types"](_job(by_name["search_flights"], [], 0))
    names = {MUTATIONS["mutate_types"](_job(by_name["search_flights"], [], s))["name"] for s in range(10)}
    assert dated is not None and "search_flights_with_date_parts" in names


def test_change_returns(by_name: dict[str, ToolSpec]) -> None:
    outs = {}
    for seed in range(10):
        out = MUTATIONS["change_returns"](_job(by_name["get_order"], [], seed))
        outs[out["name"]] = out
    batch = outs["batch_get_orders"]
    assert batch["parameters"]["required"] == ["order_ids"]
    assert batch["returns"]["properties"]["results"]["items"] == by_name["get_order"].returns
    meta = outs["get_order_with_metadata"]
    assert set(meta["returns"]["properties"]) > set(by_name["get_order"].returns["properties"])
    confirmation = MUTATIONS["change_returns"](_job(by_name["send_email"], [], 0))
    assert confirmation["name"] == "send_email_with_confirmation"


def test_combine(by_name: dict[str, ToolSpec]) -> None:
    out = combine(_job(by_name["book_flight"], [by_name["search_flights"]]))
    assert out is not None and out["name"] == "search_and_book_flight"
    assert out["description"] == (
        "Search flights between two airports on a date, then book seats on a flight, in one call.")
    # flight_id is returned by the search, so the combined API does not require it
    assert "flight_id" in out["parameters"]["properties"] and "flight_id" not in out["parameters"]["required"]
    assert out["returns"]["required"] == ["search_result", "book_result"]
    assert combine(_job(by_name["book_flight"], [])) is None


def test_validate_candidate(by_name: dict[str, ToolSpec]) -> None:
    good = by_name["get_order"].model_dump()
    assert validate_candidate(good)[1] == ""
    assert validate_candidate({**good, "returns": None}) == (None, "missing_returns")
    assert validate_candidate({**good, "name": "x" * 70}) == (None, "name_too_long")
    assert validate_candidate({**good, "name": "bad name"}) == (None, "invalid_spec")
    bad_required = {**good, "parameters": {"type": "object", "properties": {}, "required": ["order_id"]}}
    assert validate_candidate(bad_required) == (None, "required_not_in_properties")
    bad_type = {**good, "returns": {"type": "objekt"}}
    assert validate_candidate(bad_type) == (None, "invalid_schema")


def test_prompt_and_parsing(by_name: dict[str, ToolSpec]) -> None:
    hotels = by_name["search_hotels"]
    sub = Subtree("group", "travel", hotels, [hotels, by_name["book_hotel"]])
    prompt = build_evolution_prompt(sub, by_name["get_order"], "add_constraints")
    assert "Domain: travel" in prompt and '"name": "book_hotel"' in prompt and '"name": "get_order"' in prompt
    assert "starts from search_hotels" in prompt and "constraints" in prompt
    body = {"name": "x_tool", "description": "D.", "parameters": {"type": "object", "properties": {}},
            "returns": {"type": "object"}}
    assert parse_llm_tool(f"Here it is:\n```json\n{json.dumps(body)}\n```") == body
    assert parse_llm_tool(json.dumps({"type": "function", "function": body}))["name"] == "x_tool"
    assert parse_llm_tool("no json here") is None


def test_aevolve_with_a_model_hook(seed_tools: list[ToolSpec]) -> None:
    calls: list[str] = []

    async def fake_llm(prompt: str) -> str:
        calls.append(prompt)
        base = re.search(r"starts from (\S+) and", prompt).group(1)  # type: ignore[union-attr]
        n = len(calls)
        tool = {"name": f"{base}_variant_{n}", "description": "A variant.",
                "parameters": {"type": "object", "properties": {f"option_{n}": {"type": "string"}}},
                "returns": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}
        if n % 5 == 0:
            return "I cannot help with that."
        if n % 7 == 0:
            tool["parameters"]["required"] = ["missing"]
        if n % 11 == 0:
            tool["returns"] = None
        return f"```json\n{json.dumps(tool)}\n```"

    result = asyncio.run(aevolve_pool(seed_tools, 20, seed=3, llm=fake_llm, concurrency=4))
    assert len(result.tools) == 20
    assert result.rejected["unparseable"] >= 1 and result.rejected["required_not_in_properties"] >= 1
    assert all(t.returns is not None and "_variant_" in t.name for t in result.tools)
    first = [t.model_dump() for t in result.tools]
    calls.clear()
    again = asyncio.run(aevolve_pool(seed_tools, 20, seed=3, llm=fake_llm, concurrency=4))
    assert [t.model_dump() for t in again.tools] == first
    offline = asyncio.run(aevolve_pool(seed_tools, 10, seed=3, llm=None))
    assert [t.name for t in offline.tools] == [t.name for t in evolve_pool(seed_tools, 10, seed=3).tools]


def test_cli_evolve(tmp_path: Path, seed_tools: list[ToolSpec]) -> None:
    runner = CliRunner()
    pool = str(FIXTURES / "seed_pool.jsonl")
    out_a, out_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    result = runner.invoke(app, ["pool", "evolve", pool, "-n", "40", "-o", str(out_a), "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "New APIs by operator" in result.output and "add_functionality" in result.output
    assert "wrote 40 tools" in result.output
    result = runner.invoke(app, ["pool", "evolve", pool, "-n", "40", "-o", str(out_b), "--seed", "5",
                                 "--include-original"])
    assert result.exit_code == 0, result.output
    new = load_pool(out_a)
    assert len(new) == 40 and load_pool(out_b) == [*seed_tools, *new]
    again = tmp_path / "again.jsonl"
    runner.invoke(app, ["pool", "evolve", pool, "-n", "40", "-o", str(again), "--seed", "5"])
    assert again.read_bytes() == out_a.read_bytes()


def test_cli_evolve_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["pool", "evolve", str(tmp_path / "nope.jsonl"), "-n", "5", "-o", str(out)])
    assert result.exit_code == 2 and "nope.jsonl: no such file" in result.output and not out.exists()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["pool", "evolve", str(empty), "-n", "5", "-o", str(out)])
    assert result.exit_code == 2 and "the pool is empty" in result.output and not out.exists()
    result = runner.invoke(app, ["pool", "evolve", str(empty), "-n", "0", "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
