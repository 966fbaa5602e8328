"""The BFCL-style step checker."""

from __future__ import annotations

from itool_helpers import FORECAST, WEATHER

from turnloom.itool import match_call, match_step, normalize_string, values_match
from turnloom.schema import Message, ToolCall, ToolSpec

TOOLS = [WEATHER, FORECAST]


def call(name: str, **args: object) -> ToolCall:
    return ToolCall(id="c", name=name, arguments=dict(args))


def calls(*items: ToolCall) -> Message:
    return Message(role="assistant", content="", tool_calls=list(items))


def test_strings_are_normalized_as_bfcl_does() -> None:
    assert normalize_string("New York, N.Y.") == normalize_string("newyork ny") == "newyorkny"
    assert normalize_string("a-b_c*d^e/f") == "abcdef"
    assert match_call(call("get_weather", city="san-francisco"), call("get_weather", city="San Francisco"),
                      WEATHER) == (True, "")
    ok, why = match_call(call("get_weather", city="Oslo"), call("get_weather", city="Bergen"), WEATHER)
    assert not ok and "Oslo" in why


def test_name_required_unknown_and_types() -> None:
    gold = call("get_forecast", city="Oslo", days=3)
    assert not match_call(call("get_weather", city="Oslo"), gold, FORECAST)[0]
    ok, why = match_call(call("get_forecast", city="Oslo"), gold, FORECAST)
    assert not ok and "missing required" in why
    ok, why = match_call(call("get_forecast", city="Oslo", days=3, hourly=True), gold, FORECAST)
    assert not ok and "unknown parameters ['hourly']" in why
    ok, why = match_call(call("get_forecast", city="Oslo", days="3"), gold, FORECAST)
    assert not ok and "type str, expected integer" in why
    assert not match_call(call("get_forecast", city="Oslo", days=3.0), gold, FORECAST)[0]  # a float is no int


def test_int_is_accepted_for_float_and_bools_are_not_numbers() -> None:
    assert values_match(2, 2.0, {"type": "number"}) == (True, "")
    assert values_match(2, 2.0, {"type": "float"}) == (True, "")
    assert not values_match(True, 1, {"type": "integer"})[0]
    assert not values_match(2.5, 2.0, {"type": "number"})[0]


def test_lists_element_wise_and_dicts_key_by_key() -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    assert values_match(["Paris", "oslo"], ["paris", "Oslo"], schema)[0]
    assert not values_match(["oslo", "paris"], ["paris", "oslo"], schema)[0]  # order matters
    assert not values_match(["paris"], ["paris", "oslo"], schema)[0]
    obj = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}}
    assert values_match({"n": 1, "s": "A B"}, {"s": "ab", "n": 1}, obj)[0]
    ok, why = values_match({"n": 2, "s": "ab"}, {"s": "ab", "n": 1}, obj)
    assert not ok and why.startswith(".n")
    assert not values_match({"n": 1}, {"s": "ab", "n": 1}, obj)[0]


def test_optional_parameters_may_be_omitted_only_at_their_default() -> None:
    gold = call("get_weather", city="Oslo", unit="celsius")
    assert match_call(call("get_weather", city="Oslo"), gold, WEATHER)[0]  # the default may be left out
    assert match_call(call("get_weather", city="Oslo", unit="celsius"), call("get_weather", city="Oslo"), WEATHER)[0]
    assert not match_call(call("get_weather", city="Oslo"), call("get_weather", city="Oslo", unit="fahrenheit"),
                          WEATHER)[0]
    assert not match_call(call("get_weather", city="Oslo", unit="fahrenheit"), call("get_weather", city="Oslo"),
                          WEATHER)[0]


def test_parallel_calls_match_in_any_order_with_equal_counts() -> None:
    gold = calls(call("get_weather", city="Oslo"), call("get_forecast", city="Paris", days=2))
    swapped = calls(call("get_forecast", city="paris", days=2), call("get_weather", city="OSLO"))
    assert match_step(swapped, gold, TOOLS).ok
    assert not match_step(calls(call("get_weather", city="Oslo")), gold, TOOLS).ok
    same_twice = calls(call("get_weather", city="Oslo"), call("get_weather", city="Oslo"))
    result = match_step(same_twice, gold, TOOLS)
    assert not result.ok and "get_weather" in result.reason


def test_relevance_and_irrelevance() -> None:
    text_gold = Message(role="assistant", content="Which city?")
    assert match_step(Message(role="assistant", content="What city do you mean?"), text_gold, TOOLS).ok
    spurious = match_step(calls(call("get_weather", city="Oslo")), text_gold, TOOLS)
    assert not spurious.ok and "where no call belongs" in spurious.reason
    call_gold = calls(call("get_weather", city="Oslo"))
    missing = match_step(Message(role="assistant", content="It is sunny."), call_gold, TOOLS)
    assert not missing.ok and "without a call" in missing.reason
    assert not match_step(None, text_gold, TOOLS).ok


def test_schemaless_tools_fall_back_to_the_gold_types() -> None:
    bare = ToolSpec(name="lookup", description="x", parameters={"type": "object", "properties": {}})
    gold = call("lookup", q="abc", n=2)
    assert match_call(call("lookup", q="ABC", n=2.0), gold, None)[0]
    assert not match_call(call("lookup", q="ABC", n=2), gold, bare)[0]  # unknown to its (empty) schema
