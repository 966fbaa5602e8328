"""Data-flow links between tools: returned fields feeding parameters."""

from __future__ import annotations

import time
from typing import Any

from turnloom.schema import ToolSpec
from turnloom.tools_env.flow import Link, normalize_name, output_fields, singular, tool_entities
from turnloom.tools_env.links import find_links


def _tool(name: str, params: dict[str, Any], returns: dict[str, Any] | None = None, **kw: Any) -> ToolSpec:
    return ToolSpec(
        name=name,
        parameters={"type": "object", "properties": params, "required": list(params)},
        returns=returns,
        **kw,
    )


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}


def _pairs(links: list[Link]) -> set[tuple[str, str, str, str]]:
    return {(k.source, k.field, k.target, k.param) for k in links}


def test_output_fields_walks_objects_arrays_and_refs() -> None:
    tool = _tool(
        "search_flights",
        {"origin": STR},
        {
            "type": "object",
            "properties": {
                "flights": {"type": "array", "items": {"$ref": "#/$defs/Flight"}},
                "order": _obj(order_id=STR, total=NUM),
                "tags": {"type": "array", "items": STR},
                "count": INT,
            },
            "$defs": {"Flight": _obj(flight_id=STR, price=NUM, carrier=_obj(name=STR))},
        },
    )
    fields = output_fields(tool)
    assert [path for path, _ in fields] == [
        "flights[].flight_id",
        "flights[].price",
        "flights[].carrier.name",
        "order.order_id",
        "order.total",
        "tags[]",
        "count",
    ]
    assert dict(fields)["flights[].price"] == NUM


def test_output_fields_survives_recursive_refs_and_variants() -> None:
    tool = _tool(
        "get_node",
        {},
        {
            "$ref": "#/$defs/Node",
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "node_id": STR,
                        "parent": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]},
                        "label": {"type": ["string", "null"]},
                    },
                }
            },
        },
    )
    assert [p for p, _ in output_fields(tool)] == ["node_id", "label"]
    assert output_fields(_tool("echo", {}, {"type": "string"})) == []
    assert output_fields(_tool("nothing", {})) == []


def test_exact_name_match_scores_one() -> None:
    create = _tool("create_booking", {"hotel": STR}, _obj(booking_id=STR, status=STR))
    cancel = _tool("cancel_booking", {"booking_id": STR})
    links = find_links([cancel, create])
    assert links == [Link("create_booking", "booking_id", "cancel_booking", "booking_id", 1.0)]


def test_entity_id_in_array_and_object() -> None:
    search = _tool("search_flights", {"origin": STR}, _obj(flights={"type": "array", "items": _obj(id=STR, price=NUM)}))
    book = _tool("book_flight", {"flight_id": STR, "seats": INT}, _obj(booking=_obj(id=STR)))
    get = _tool("get_booking", {"booking_id": STR})
    links = find_links([search, book, get])
    assert Link("search_flights", "flights[].id", "book_flight", "flight_id", 0.9) in links
    assert Link("book_flight", "booking.id", "get_booking", "booking_id", 0.9) in links
    assert len(links) == 2


def test_root_id_takes_entity_from_tool_name_and_id_param_from_target_name() -> None:
    create = _tool("create_order", {"item": STR}, _obj(id=STR, total=NUM))
    get = _tool("get_order_details", {"id": STR})
    pay = _tool("pay_order", {"order_id": STR, "amount": NUM})
    links = find_links([create, get, pay])
    assert ("create_order", "id", "get_order_details", "id") in _pairs(links)
    assert Link("create_order", "id", "pay_order", "order_id", 0.85) in links
    # a bare ``id`` never links to a bare ``id`` of an unrelated entity
    other = _tool("get_customer", {"id": STR})
    assert not [k for k in find_links([create, other]) if k.target == "get_customer"]


def test_type_compatibility() -> None:
    src = _tool("make_quote", {}, _obj(amount=INT, code=STR))
    takes_number = _tool("charge", {"amount": NUM})
    takes_int_code = _tool("redeem", {"code": INT})
    links = find_links([src, takes_number, takes_int_code])
    assert _pairs(links) == {("make_quote", "amount", "charge", "amount")}
    back = find_links([_tool("ratio", {}, _obj(amount=NUM)), _tool("count", {"amount": INT})])
    assert back == []


def test_normalized_plural_and_threshold() -> None:
    src = _tool("list_rooms", {}, _obj(rooms={"type": "array", "items": _obj(roomId=STR)}, hotel_id=STR))
    one = _tool("get_room", {"room_id": STR})
    many = _tool("compare_hotels", {"hotel_ids": {"type": "array", "items": STR}})
    links = find_links([src, one, many])
    assert Link("list_rooms", "rooms[].roomId", "get_room", "room_id", 0.95) in links
    assert Link("list_rooms", "hotel_id", "compare_hotels", "hotel_ids", 0.8) in links
    assert {k.score for k in find_links([src, one, many], min_score=0.9)} == {0.95}


def test_control_params_booleans_and_self_links_are_skipped() -> None:
    src = _tool("search_items", {"limit": INT, "query": STR}, _obj(limit=INT, available={"type": "boolean"}))
    dst = _tool("paginate", {"limit": INT, "available": {"type": "boolean"}})
    echo = _tool("echo_query", {"query": STR}, _obj(query=STR))
    assert find_links([src, dst, echo]) == [Link("echo_query", "query", "search_items", "query", 1.0)]


def test_sorted_deterministic_and_fanout_cap() -> None:
    src = _tool("get_city", {}, _obj(city=STR), domain="geo")
    targets = [_tool(f"t{i:02d}", {"city": STR}, domain="geo" if i % 2 else "travel") for i in range(10)]
    links = find_links([src, *targets])
    assert links == sorted(links)
    assert links == find_links([*reversed(targets), src])
    capped = find_links([src, *targets], max_fanout=3)
    assert len(capped) == 3
    assert all(int(k.target[1:]) % 2 == 1 for k in capped)  # same domain first
    assert capped == find_links([*reversed(targets), src], max_fanout=3)


def test_helpers() -> None:
    assert normalize_name("bookingID") == "booking_id"
    assert normalize_name("FlightNumber") == "flight_number"
    assert normalize_name("check-in date") == "check_in_date"
    assert [singular(w) for w in ("flights", "cities", "addresses", "status", "boxes")] == [
        "flight",
        "city",
        "address",
        "status",
        "box",
    ]
    assert tool_entities("get_flight_details") == ["flight"]
    assert tool_entities("create_hotel_booking") == ["hotel_booking", "booking"]
    assert tool_entities("get_book") == ["book"]


def test_scales_by_index_not_pairs() -> None:
    tools = []
    for i in range(6000):
        entity = f"thing{i % 400}"
        tools.append(
            _tool(
                f"get_{entity}_{i}",
                {f"{entity}_id": STR, "note": STR},
                _obj(items={"type": "array", "items": _obj(id=STR, **{f"{entity}_id": STR, "label": STR})}),
            )
        )
    start = time.process_time()  # CPU time: robust to other work on the machine
    links = find_links(tools, max_fanout=20)
    assert time.process_time() - start < 10
    assert links
    assert all(k.source != k.target for k in links)


def test_descriptive_fields_link_only_within_a_domain() -> None:
    order = _tool("get_order", {"order_id": STR}, _obj(status=STR, city=STR), domain="shop")
    tickets = _tool("list_tickets", {"status": STR}, domain="support")
    orders = _tool("list_orders", {"status": STR}, domain="shop")
    weather = _tool("get_weather", {"city": STR}, domain="weather")
    links = find_links([order, tickets, orders, weather])
    assert _pairs(links) == {
        ("get_order", "status", "list_orders", "status"),
        ("get_order", "city", "get_weather", "city"),
    }
