"""The mock environment behaves like a consistent backend across turns."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.scenarios import load_scenario, scenario_tools
from turnloom.schema import ToolCall, ToolSpec
from turnloom.tools_env.env import BindingError, EnvSettings, ToolEnvironment, inject_key
from turnloom.tools_env.world import World, world_diff

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def tools() -> list[ToolSpec]:
    return scenario_tools(load_scenario("travel"))


def _call(env: ToolEnvironment, world: World, name: str, **args: object):
    return env.call(world, ToolCall(id=f"c-{world.clock}", name=name, arguments=dict(args)))


def test_create_get_update_list_delete_get(tools: list[ToolSpec]) -> None:
    env = ToolEnvironment(tools)
    w0 = env.new_world(seed=5)
    w, found = _call(env, w0, "search_flights", origin="Lisbon", destination="Oslo", date="2026-05-01")
    flight = found.content["flights"][0]
    assert flight["origin"] == "Lisbon" and flight["destination"] == "Oslo"  # arguments echo into results
    w, booked = _call(env, w, "book_flight", flight_id=flight["flight_id"], passenger_name="Ana Lima")
    assert booked.ok and booked.content["passenger_name"] == "Ana Lima"
    bid = booked.content["booking_id"]
    w, got = _call(env, w, "get_booking", booking_id=bid)
    assert got.content["booking_id"] == bid and got.content["flight_id"] == flight["flight_id"]
    w, again = _call(env, w, "get_booking", booking_id=bid)
    assert again.content == got.content  # reads agree
    w, upd = _call(env, w, "update_booking", booking_id=bid, seat_preference="aisle")
    assert upd.content["seat_preference"] == "aisle"
    w, cancelled = _call(env, w, "cancel_booking", booking_id=bid)
    assert cancelled.content["status"] == "cancelled"
    w, after = _call(env, w, "get_booking", booking_id=bid)  # a cancelled booking is still there, cancelled
    assert after.ok and after.content["status"] == "cancelled"
    assert after.content["seat_preference" if "seat_preference" in after.content else "booking_id"] in ("aisle", bid)
    delete = ToolSpec(name="delete_booking", description="Delete a booking for good.",
                      parameters={"type": "object", "properties": {"booking_id": {"type": "string"}},
                                  "required": ["booking_id"]})
    env = ToolEnvironment([*tools, delete])
    w, _ = _call(env, w, "delete_booking", booking_id=bid)
    w, gone = _call(env, w, "get_booking", booking_id=bid)
    assert gone.error is not None and "not found" in gone.error
    for tool in tools:
        if tool.returns:
            for r in (found, booked, got, upd, cancelled):
                if r.name == tool.name and r.ok:
                    jsonschema.validate(r.content, tool.returns)
    assert w0.tables == {}  # the input world was never mutated
    assert "booking" in world_diff(w0, w)


def test_replay_reproduces_results_and_digest(tools: list[ToolSpec]) -> None:
    env = ToolEnvironment(tools)
    calls = [ToolCall(id="1", name="search_hotels", arguments={"city": "Rome", "check_in": "2026-01-02",
                                                                 "check_out": "2026-01-05"}),
             ToolCall(id="2", name="book_hotel", arguments={"hotel_id": "HOT-00001", "guest_name": "Bo",
                                                             "check_in": "2026-01-02", "check_out": "2026-01-05"}),
             ToolCall(id="3", name="get_reservation", arguments={"reservation_id": "RES-00001"})]
    w1, r1 = env.replay(env.new_world(seed=9), calls)
    w2, r2 = env.replay(env.new_world(seed=9), calls)
    assert [r.model_dump() for r in r1] == [r.model_dump() for r in r2]
    assert w1.digest() == w2.digest()
    assert r3_ok(r1[2])
    w3, r3 = env.replay(env.new_world(seed=10), calls)
    assert w3.digest() != w1.digest()


def r3_ok(result) -> bool:
    return result.ok and result.content["reservation_id"] == "RES-00001"


def test_lazy_world_materializes_consistently(tools: list[ToolSpec]) -> None:
    strict = ToolEnvironment(tools)
    _, miss = _call(strict, strict.new_world(1), "get_booking", booking_id="BK-1")
    assert miss.error and "not found" in miss.error
    lazy = ToolEnvironment(tools, EnvSettings(lazy_world=True))
    w, a = _call(lazy, lazy.new_world(1), "get_booking", booking_id="BK-1")
    w, b = _call(lazy, w, "get_booking", booking_id="BK-1")
    assert a.ok and a.content == b.content and a.content["booking_id"] == "BK-1"


def test_list_filters_by_arguments_and_actions_are_memoized(tools: list[ToolSpec]) -> None:
    env = ToolEnvironment(tools)
    w = env.new_world(2)
    w, _ = _call(env, w, "search_hotels", city="Rome", check_in="2026-01-02", check_out="2026-01-03")
    w, paris = _call(env, w, "search_hotels", city="Paris", check_in="2026-01-02", check_out="2026-01-03")
    assert {h["city"] for h in paris.content["hotels"]} == {"Paris"}
    w, x = _call(env, w, "convert_currency", amount=10, from_currency="EUR", to_currency="USD")
    w, y = _call(env, w, "convert_currency", amount=10, from_currency="EUR", to_currency="USD")
    assert x.content == y.content


def test_errors_are_tool_results_not_exceptions(tools: list[ToolSpec]) -> None:
    env = ToolEnvironment(tools)
    w = env.new_world(3)
    _, bad = _call(env, w, "book_flight", flight_id=12)
    assert bad.error is not None and "passenger_name" in bad.error and "flight_id" in bad.error
    _, unknown = _call(env, w, "teleport", to="Mars")
    assert unknown.error and "unknown tool" in unknown.error
    planned = w.with_memo(inject_key("get_weather_forecast"), {"seen": 0, "fail_at": [1]})
    planned, first = _call(env, planned, "get_weather_forecast", city="Rome", date="2026-01-01")
    planned, second = _call(env, planned, "get_weather_forecast", city="Rome", date="2026-01-01")
    assert first.error and "504" in first.error and second.ok
    flaky = ToolEnvironment(tools, EnvSettings(error_rate=1.0))
    _, failed = _call(flaky, flaky.new_world(0), "get_weather_forecast", city="Rome", date="2026-01-01")
    assert failed.error and any(code in failed.error for code in ("429", "500", "504"))


def test_memoized_argument_checks_tell_a_non_json_value_from_its_text(tools: list[ToolSpec]) -> None:
    import datetime

    env = ToolEnvironment(tools)
    text = {"origin": "Lisbon", "destination": "Oslo", "date": "2026-05-01"}
    assert env.argument_errors("search_flights", text) == []
    assert env.argument_errors("search_flights", text) == []  # served by the memo
    odd = {**text, "date": datetime.date(2026, 5, 1)}  # what a custom agent might pass
    assert env.argument_errors("search_flights", odd), "a date object is not a JSON string"
    w, result = env.call(env.new_world(seed=1), ToolCall(id="c", name="search_flights", arguments=odd))
    assert not result.ok and "invalid arguments" in (result.error or "")


def test_bound_callable_and_binding_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES / "env"))
    tool = ToolSpec(name="add", description="Add two numbers.",
                    parameters={"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                                "required": ["a", "b"]})
    env = ToolEnvironment([tool], bindings={"add": "bindings:add"})
    _, r = _call(env, env.new_world(0), "add", a=2, b=3)
    assert r.content == {"sum": 5}
    env = ToolEnvironment([tool], bindings={"add": "bindings:broken"})
    _, r = _call(env, env.new_world(0), "add", a=2, b=3)
    assert r.error == "RuntimeError: backend exploded"
    with pytest.raises(BindingError, match="cannot import module"):
        ToolEnvironment([tool], bindings={"add": "nope_nope:add"})


def test_env_call_cli_scripts_crud_on_an_imported_openapi_pool(tmp_path: Path) -> None:
    runner = CliRunner()
    pool = tmp_path / "books.jsonl"
    result = runner.invoke(app, ["pool", "import", "openapi", str(FIXTURES / "importers" / "bookstore_openapi.yaml"),
                                 "-o", str(pool)])
    assert result.exit_code == 0, result.output
    calls = tmp_path / "calls.jsonl"
    calls.write_text("\n".join(json.dumps(c) for c in [
        {"name": "create_order", "arguments": {"idempotency_key": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                                               "lines": [{"isbn": "9780000000001",
                                                                                     "quantity": 2}],
                                               "shipping_address": {"name": "Ana", "street": "1 Main St",
                                                                    "city": "Porto", "country": "PT",
                                                                    "postal_code": "4000-001"}}},
        {"name": "get_order", "arguments": {"orderId": "${0.id}"}},
        {"name": "post_orders_by_order_id_cancel", "arguments": {"orderId": "${0.id}"}},
        {"name": "get_order", "arguments": {"orderId": "${0.id}"}},
    ]) + "\n")
    world = tmp_path / "world.json"
    result = runner.invoke(app, ["env", "call", "--tools", str(pool), "--calls", str(calls), "--save-world",
                                 str(world)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.output.strip().splitlines()]
    created, fetched, cancelled, after = lines[:4]
    assert "result" in created, created
    assert fetched["result"]["id"] == created["result"]["id"]
    assert "result" in cancelled
    # POST /orders/{orderId}/cancel changes the order's status; the order is still there
    assert after["result"]["id"] == created["result"]["id"]
    assert after["result"]["status"] == cancelled["result"]["status"] == "cancelled"
    assert lines[-1]["calls"] == 4 and len(lines[-1]["digest"]) == 16
    assert json.loads(world.read_text())["tables"]


def test_env_call_cli_reports_bad_references(tmp_path: Path, tools: list[ToolSpec]) -> None:
    pool = tmp_path / "tools.jsonl"
    pool.write_text("".join(t.model_dump_json() + "\n" for t in tools))
    calls = tmp_path / "calls.jsonl"
    calls.write_text(json.dumps({"name": "get_booking", "arguments": {"booking_id": "${3.booking_id}"}}) + "\n")
    result = CliRunner().invoke(app, ["env", "call", "--tools", str(pool), "--calls", str(calls)])
    assert result.exit_code == 2
    assert "refers to call 3" in result.output and "calls.jsonl:1" in result.output
