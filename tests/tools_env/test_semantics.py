"""Operation semantics from every signal (HTTP method and path, names in any style, MCP
annotations, id keys) and response shapes inferred where no return schema is declared:
create -> read -> update -> list -> status change -> delete round trips."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from turnloom.schema import HttpBinding, ToolCall, ToolSpec
from turnloom.tools_env.analysis import profile_tool
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.infer_returns import INFERRED_TAG, with_inferred_returns
from turnloom.tools_env.world import World

S = {"type": "string"}


def _tool(name: str, props: dict[str, Any], required: tuple[str, ...] = (), *, returns: Any = None,
          http: tuple[str, str] | None = None, tags: tuple[str, ...] = (), body: tuple[str, ...] = ()) -> ToolSpec:
    binding = None
    if http:
        path_params = [p for p in props if "{" + p + "}" in http[1]]
        binding = HttpBinding(method=http[0], path=http[1], path_params=path_params, body_params=list(body),
                              query_params=[p for p in props if p not in path_params and p not in body])
    return ToolSpec(name=name, description=name.replace("_", " "), tags=list(tags), returns=returns, http=binding,
                    parameters={"type": "object", "properties": props, "required": list(required)})


@pytest.mark.parametrize(("name", "kind"), [
    ("domains_create", "create"), ("issue_read", "read"), ("issue_write", "update"), ("getPetById", "read"),
    ("listNotes", "list"), ("order_cancel", "status"), ("end_rental", "status"), ("close_ticket", "status"),
    ("post_orders_by_order_id_cancel", "status"), ("generate_shopping_list", "action"), ("share_file", "action"),
    ("delete_file", "delete"),
])
def test_kind_from_names_in_any_style(name: str, kind: str) -> None:
    id_param = {"type": "string"}
    props = {"item_id": id_param, "title": S}
    returns = {"type": "object", "properties": {"items": {"type": "array", "items": {
        "type": "object", "properties": {"item_id": S}}}, "item_id": S}}
    required = ("item_id",) if kind in ("read", "update", "status", "delete") else ()
    assert profile_tool(_tool(name, props, required, returns=returns)).kind == kind


def test_ids_beyond_snake_case() -> None:
    twilio = _tool("fetch_flow", {"FlowSid": S}, ("FlowSid",), returns={"type": "object", "properties": {"sid": S}},
                   http=("get", "/v2/Flows/{FlowSid}"))
    prof = profile_tool(twilio)
    assert (prof.kind, prof.entity, prof.id_param) == ("read", "flow", "FlowSid")
    user = profile_tool(_tool("get_profile", {"username": S}, ("username",)))
    assert (user.kind, user.id_param) == ("read", "username")


def test_mcp_read_only_hint_never_creates() -> None:
    tool = _tool("issue_open_search", {"query": S}, tags=("read-only",))
    assert profile_tool(with_inferred_returns([tool])[0]).kind == "list"


PET = {"type": "object", "required": ["name"], "properties": {
    "id": {"type": "integer"}, "name": S, "status": {"type": "string", "enum": ["available", "pending", "sold"]},
    "category": {"type": "object", "properties": {"id": {"type": "integer"}, "name": S}}}}
DEFS_RETURNS = {"$ref": "#/$defs/Pet", "$defs": {"Pet": PET}}


def _petstore() -> list[ToolSpec]:
    body = {k: v for k, v in PET["properties"].items()}
    return [
        _tool("add_pet", body, ("name",), returns=DEFS_RETURNS, http=("post", "/pet"), body=tuple(body)),
        _tool("update_pet", body, ("id", "name"), returns=DEFS_RETURNS, http=("put", "/pet"), body=tuple(body)),
        _tool("get_pet_by_id", {"petId": {"type": "integer"}}, ("petId",), returns=DEFS_RETURNS,
              http=("get", "/pet/{petId}")),
        _tool("find_pets_by_status", {"status": {"type": "array", "items": PET["properties"]["status"]}}, ("status",),
              returns={"type": "array", "items": {"$ref": "#/$defs/Pet"}, "$defs": {"Pet": PET}},
              http=("get", "/pet/findByStatus")),
        _tool("retire_pet", {"petId": {"type": "integer"}}, ("petId",), http=("post", "/pet/{petId}/archive")),
        _tool("delete_pet", {"petId": {"type": "integer"}}, ("petId",), http=("delete", "/pet/{petId}")),
    ]


class _Session:
    def __init__(self, tools: list[ToolSpec]) -> None:
        self.env = ToolEnvironment(tools)
        self.world: World = self.env.new_world(seed=3)

    def __call__(self, tool: str, /, **args: Any) -> Any:
        self.world, result = self.env.call(self.world, ToolCall(id=f"c{self.world.clock}", name=tool, arguments=args))
        if result.ok:
            jsonschema.validate(result.content, self.env.tools[tool].returns or {})
        return result


def test_petstore_round_trip_from_methods_and_paths() -> None:
    call = _Session(_petstore())
    kinds = {n: p.kind for n, p in call.env.profiles.items()}
    assert kinds == {"add_pet": "create", "update_pet": "update", "get_pet_by_id": "read",
                     "find_pets_by_status": "list", "retire_pet": "status", "delete_pet": "delete"}
    added = call("add_pet", name="Rex", status="available", category={"id": 1, "name": "Dogs"})
    assert added.ok and added.content["status"] == "available" and added.content["category"]["name"] == "Dogs"
    pid = added.content["id"]
    got = call("get_pet_by_id", petId=pid)
    assert {k: got.content[k] for k in ("id", "name", "status", "category")} == {
        "id": pid, "name": "Rex", "status": "available", "category": {"id": 1, "name": "Dogs"}}
    assert call("update_pet", id=pid, name="Rex", status="pending").ok
    assert call("get_pet_by_id", petId=pid).content["status"] == "pending"
    assert call("add_pet", name="Tom", status="sold").ok
    pending = call("find_pets_by_status", status=["pending"])
    assert [p["name"] for p in pending.content] == ["Rex"]
    assert {p["name"] for p in call("find_pets_by_status", status=["pending", "sold"]).content} == {"Rex", "Tom"}
    assert call("retire_pet", petId=pid).ok
    assert call("delete_pet", petId=pid).ok
    assert "not found" in (call("get_pet_by_id", petId=pid).error or "")


def _notes() -> list[ToolSpec]:
    return [
        _tool("create_note", {"title": S, "body": S}, ("title", "body")),
        _tool("get_note", {"note_id": S}, ("note_id",)),
        _tool("list_notes", {"query": S}),
        _tool("update_note", {"note_id": S, "body": S}, ("note_id",)),
        _tool("archive_note", {"note_id": S}, ("note_id",)),
        _tool("delete_note", {"note_id": S}, ("note_id",)),
        _tool("convert_currency", {"amount": {"type": "number"}, "from_currency": S, "to_currency": S},
              ("amount", "from_currency", "to_currency")),
        _tool("send_message", {"to": S, "text": S}, ("to", "text")),
    ]


def test_tools_without_returns_chain_through_inferred_records() -> None:
    tools = with_inferred_returns(_notes())
    assert all(INFERRED_TAG in t.tags and t.returns for t in tools)
    call = _Session(tools)
    created = call("create_note", title="Groceries", body="milk, eggs")
    nid = created.content["note_id"]  # the id under the name the sibling tools take
    assert call("get_note", note_id=nid).content["body"] == "milk, eggs"
    assert [n["note_id"] for n in call("list_notes", query="groc").content["notes"]] == [nid]
    assert call("list_notes", query="groc").content["total"] == 1
    call("update_note", note_id=nid, body="milk")
    assert call("get_note", note_id=nid).content["body"] == "milk"
    assert call("archive_note", note_id=nid).content["status"] == "archived"
    assert call("get_note", note_id=nid).content["status"] == "archived"
    assert call("delete_note", note_id=nid).content == {"note_id": nid, "deleted": True}
    assert call("get_note", note_id=nid).error
    converted = call("convert_currency", amount=100, from_currency="USD", to_currency="EUR").content
    assert {"rate", "converted_amount"} <= converted.keys() and converted["amount"] == 100
    sent = call("send_message", to="ana@example.com", text="hi").content
    assert sent["status"] in ("sent", "queued", "delivered") and sent["message_id"]


def test_declared_returns_win() -> None:
    declared = _tool("get_note", {"note_id": S}, ("note_id",), returns={"type": "object"})
    assert with_inferred_returns([declared])[0] is declared


names = st.from_regex(r"[a-z]{3,8}(_[a-z]{3,8}){0,2}", fullmatch=True)
params = st.dictionaries(st.from_regex(r"[a-z]{2,6}(_id)?", fullmatch=True),
                         st.sampled_from([S, {"type": "integer"}, {"type": "number"}, {"type": "boolean"},
                                          {"type": "array", "items": S}]), max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(names, params), min_size=1, max_size=5, unique_by=lambda x: x[0]), st.integers(0, 99))
def test_no_lorem_and_every_answer_fits_its_inferred_schema(spec: list[tuple[str, dict[str, Any]]], seed: int) -> None:
    tools = [_tool(n, p, tuple(sorted(p))) for n, p in spec]
    env = ToolEnvironment(tools)
    world = env.new_world(seed=seed)
    for tool in env.tools.values():
        args = {k: ("x-1" if v.get("type") == "string" else 1 if v.get("type") in ("integer", "number")
                    else True if v.get("type") == "boolean" else ["a"]) for k, v in tool.properties.items()}
        world, result = env.call(world, ToolCall(id="c", name=tool.name, arguments=args))
        if result.ok:
            jsonschema.validate(result.content, tool.returns or {})
            assert "message" not in json.dumps(result.content)


def _answer(tool: ToolSpec, **args: Any) -> dict[str, Any]:
    env = ToolEnvironment([tool])
    _, result = env.call(env.new_world(seed=11), ToolCall(id="c", name=tool.name, arguments=args))
    assert result.ok, result.error
    return result.content  # type: ignore[no-any-return]


NUM = {"type": "number", "minimum": 0}


def test_relations_among_answer_fields_hold() -> None:
    fx = _tool("convert_currency", {"amount": NUM, "from_currency": S, "to_currency": S}, ("amount",),
               returns={"type": "object", "required": ["rate", "converted_amount", "amount"],
                        "properties": {"amount": NUM, "rate": NUM, "converted_amount": NUM}})
    out = _answer(fx, amount=250.0, from_currency="USD", to_currency="EUR")
    assert out["converted_amount"] == round(250.0 * out["rate"], 2)
    order = _tool("quote_order", {"unit_price": NUM, "quantity": {"type": "integer", "minimum": 1}},
                  ("unit_price", "quantity"), returns={"type": "object", "required": ["total", "quantity"],
                                                       "properties": {"quantity": {"type": "integer"},
                                                                      "unit_price": NUM, "total": NUM}})
    assert _answer(order, unit_price=12.5, quantity=4)["total"] == 50.0
    loan = _tool("quote_loan", {"principal": NUM, "term_years": {"type": "integer"}}, ("principal", "term_years"),
                 returns={"type": "object", "required": ["principal", "total_repaid", "interest_rate"],
                          "properties": {"principal": NUM, "total_repaid": NUM,
                                         "interest_rate": {"type": "number", "minimum": 1, "maximum": 12}}})
    quote = _answer(loan, principal=20000, term_years=5)
    assert quote["total_repaid"] >= 20000
    stay = _tool("get_stay", {}, returns={"type": "object", "required": ["check_in", "check_out"], "properties": {
        "check_in": {"type": "string", "format": "date"}, "check_out": {"type": "string", "format": "date"}}})
    for seed in range(20):
        env = ToolEnvironment([stay])
        _, res = env.call(env.new_world(seed=seed), ToolCall(id="c", name="get_stay", arguments={}))
        assert res.content["check_out"] >= res.content["check_in"]


def test_new_ids_fit_the_parameter_their_readers_take() -> None:
    uuid = {"type": "string", "format": "uuid"}
    tools = [_tool("create_webhook", {"url": S}, ("url",)), _tool("get_webhook", {"webhook_id": uuid}, ("webhook_id",))]
    call = _Session(tools)
    made = call("create_webhook", url="https://example.com/hook")
    wid = made.content["webhook_id"]
    assert len(wid) == 36 and wid.count("-") == 4
    assert call("get_webhook", webhook_id=wid).content["url"] == "https://example.com/hook"
    users = [_tool("create_user", {"username": S, "email": S}, ("username",)),
             _tool("get_user_by_name", {"username": S}, ("username",))]
    call = _Session(users)
    call("create_user", username="ana", email="ana@example.com")
    assert call("get_user_by_name", username="ana").content["email"] == "ana@example.com"


def test_pool_infer_returns_cli_writes_tagged_schemas(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from turnloom.cli import app
    from turnloom.tools_env.pool import load_pool

    pool = tmp_path / "notes.jsonl"
    pool.write_text("".join(t.model_dump_json() + "\n" for t in _notes()), encoding="utf-8")
    out = tmp_path / "reviewed.jsonl"
    runner = CliRunner()
    result = runner.invoke(app, ["pool", "infer-returns", str(pool), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "8 of 8 tools got an inferred return schema" in result.output
    tools = load_pool(out)
    assert all(t.returns and INFERRED_TAG in t.tags for t in tools)
    stats = runner.invoke(app, ["pool", "stats", str(out)])
    assert "returns: 0 declared, 8 inferred, 0 none" in stats.output
    stats = runner.invoke(app, ["pool", "stats", str(pool)])
    assert "returns: 0 declared, 0 inferred, 8 none" in stats.output


def test_values_mean_what_their_field_says() -> None:
    """The plausibility probe (benchmarks/bench_plausibility.py) at 40 seeds: >= 95%."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "benchmarks" / "bench_plausibility.py"
    spec = importlib.util.spec_from_file_location("bench_plausibility", path)
    assert spec and spec.loader
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    env = ToolEnvironment([probe.probe_tool()])
    scores = []
    for seed in range(40):
        _, result = env.call(env.new_world(seed=seed), ToolCall(id="c", name="get_profile_sample",
                                                                 arguments={"sample": seed}))
        scores += [check(result.content[name]) for name, (_, _, check) in probe.PROBE.items()]
    assert sum(scores) / len(scores) >= 0.95


@pytest.mark.parametrize(("name", "description", "key"), [
    ("airline", "", "airline"), ("airline_code", "", "iata"), ("term_years", "", "years"),
    ("market_cap", "", "market_cap"), ("code", "IATA code of the departure airport", "iata"),
    ("value", "Current temperature in Celsius", "temperature"), ("rate", "Exchange rate applied", "exchange_rate"),
    ("query", "", "search"), ("booking_id", "", "id"),
])
def test_field_semantics_from_names_and_descriptions(name: str, description: str, key: str) -> None:
    from turnloom.tools_env.values._semantic import field_provider

    found = field_provider(name, description)
    assert found is not None and found.key == key


def test_a_status_change_named_by_the_path_alone_sets_the_status() -> None:
    """``POST /tickets/{ticketId}/close`` closes the ticket even when the tool's own name says
    nothing (``ticket_shutdown``): the status verb comes from the path."""
    tid = {"type": "string"}
    tools = with_inferred_returns([
        _tool("create_ticket", {"title": S}, ("title",), http=("post", "/tickets"), body=("title",)),
        _tool("get_ticket", {"ticketId": tid}, ("ticketId",), http=("get", "/tickets/{ticketId}")),
        _tool("ticket_shutdown", {"ticketId": tid}, ("ticketId",), http=("post", "/tickets/{ticketId}/close")),
    ])
    call = _Session(tools)
    assert call.env.profiles["ticket_shutdown"].verb == "close"
    made = call("create_ticket", title="Printer jam")
    key = next(k for k in made.content if k.lower().endswith("id"))
    assert call("get_ticket", ticketId=made.content[key]).content["status"] == "active"
    assert call("ticket_shutdown", ticketId=made.content[key]).content["status"] == "closed"
    assert call("get_ticket", ticketId=made.content[key]).content["status"] == "closed"
