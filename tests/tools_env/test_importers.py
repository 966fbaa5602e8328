"""Importers: OpenAI tools, JSON Schema function docs, OpenAPI 3.x, MCP tools/list and BFCL docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.schema import ToolSpec
from turnloom.tools_env.importers import ToolImportError, export_openai, import_tools, import_tools_report
from turnloom.tools_env.pool import load_pool, pool_stats

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"
SOURCES = {
    "openapi": "bookstore_openapi.yaml",
    "openai": "openai_tools.json",
    "jsonschema": "jsonschema_functions.json",
    "mcp": "mcp_tools_list.json",
    "bfcl": "bfcl_functions.jsonl",
}


@pytest.fixture(scope="module")
def bookstore() -> dict[str, ToolSpec]:
    return {t.name: t for t in import_tools("openapi", FIXTURES / SOURCES["openapi"])}


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- OpenAPI -------------------------------------------------------------------------------------


def test_openapi_operations_become_tools(bookstore: dict[str, ToolSpec]) -> None:
    assert list(bookstore) == [
        "list_books", "create_book", "get_book", "update_book_price", "delete_book", "add_book_review",
        "set_book_tags", "get_author", "create_order", "get_order", "post_orders_by_order_id_cancel",
        "list_categories",
    ]
    assert all(t.returns is not None for t in bookstore.values())
    assert bookstore["get_order"].domain == "orders" and bookstore["list_books"].domain == "books"
    assert bookstore["list_books"].tags == ["books", "openapi", "http:GET /books"]
    assert bookstore["list_books"].description.startswith("Search the catalogue. Full-text search")
    assert pool_stats(bookstore.values()).problems == []


def test_openapi_query_params_and_component_refs(bookstore: dict[str, ToolSpec]) -> None:
    params = bookstore["list_books"].parameters
    assert "required" not in params
    props = params["properties"]
    assert list(props) == ["q", "genre", "max_price", "limit", "offset"]
    assert props["genre"]["enum"][:2] == ["fiction", "non_fiction"]  # schema $ref resolved
    assert props["limit"] == {"description": "Page size.", "type": "integer", "minimum": 1, "maximum": 100,
                              "default": 20}  # parameter $ref resolved
    assert props["max_price"]["exclusiveMinimum"] == 0 and "minimum" not in props["max_price"]  # 3.0 boolean


def test_openapi_path_params_and_bodies(bookstore: dict[str, ToolSpec]) -> None:
    get_book = bookstore["get_book"]
    assert get_book.required == ["bookId"]  # path-level parameter
    assert get_book.properties["bookId"]["pattern"] == "^97[89][0-9]{10}$"
    create = bookstore["create_book"]
    assert create.required == ["isbn", "title", "author_id", "price"]
    assert create.properties["price"] == {"description": "Price.", "$ref": "#/$defs/Money"}  # a shared definition
    assert create.parameters["$defs"]["Money"]["properties"]["currency"] == {
        "type": "string", "pattern": "^[A-Z]{3}$", "examples": ["EUR"]}
    assert "internal_sku" in create.properties  # writeOnly: kept in the request ...
    assert "internal_sku" not in get_book.returns["properties"]  # ... dropped from the response
    review = bookstore["add_book_review"]
    assert review.required == ["bookId", "rating", "text"]
    assert "id" not in review.properties and "created_at" not in review.properties  # readOnly
    order = bookstore["create_order"]
    assert order.required == ["idempotency_key", "lines", "shipping_address"]
    assert "Authorization" not in order.properties and "authorization" not in order.properties
    assert order.properties["lines"]["items"] == {"$ref": "#/$defs/OrderLine"}
    assert order.parameters["$defs"]["OrderLine"]["required"] == ["isbn", "quantity"]
    tags = bookstore["set_book_tags"]
    assert tags.required == ["bookId", "body"]
    assert tags.properties["body"]["type"] == "array" and tags.properties["body"]["maxItems"] == 20


def test_openapi_returns_are_resolved(bookstore: dict[str, ToolSpec]) -> None:
    book = bookstore["get_book"].returns
    assert book["required"] == ["isbn", "title", "author_id", "price", "rating"]  # allOf merged
    assert book["properties"]["author"] == {"$ref": "#/$defs/Author"}
    assert book["$defs"]["Author"]["properties"]["born"] == {"type": ["string", "null"], "format": "date"}
    assert book["properties"]["categories"]["items"] == {"$ref": "#/$defs/Category"}
    category = book["$defs"]["Category"]
    assert category["properties"]["subcategories"]["items"] == {"$ref": "#/$defs/Category"}  # recursion kept
    assert sorted(book["$defs"]) == ["Author", "Category", "Money"]
    page = bookstore["list_books"].returns
    assert page["$defs"]["Book"]["properties"]["rating"]["maximum"] == 5
    author = bookstore["get_author"].returns
    assert list(author["properties"]) == ["id", "name", "born", "books"]
    cancel = bookstore["post_orders_by_order_id_cancel"]
    assert cancel.returns["required"] == ["order_id", "status"]  # first 2xx is 202
    assert cancel.returns["$defs"]["Money"]["required"] == ["amount", "currency"]
    assert bookstore["delete_book"].returns["required"] == ["success"]  # 204: acknowledgement
    assert bookstore["list_categories"].returns["type"] == "array"


def test_openapi_json_31_and_domain_option(tmp_path: Path) -> None:
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "Ticketing API", "version": "1"},
        "paths": {"/events/{eventId}/tickets": {"post": {
            "summary": "Buy tickets",
            "parameters": [{"name": "eventId", "in": "path", "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Purchase", "description": "What to buy."}}}},
            "responses": {"201": {"description": "Bought.", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"note": {"type": ["string", "null"]}}}}}}},
        }}},
        "components": {"schemas": {"Purchase": {"type": "object", "required": ["count"], "properties": {
            "count": {"type": "integer", "minimum": 1}}}}},
    }
    tools = import_tools("openapi", _write(tmp_path / "tickets.json", spec))
    assert [(t.name, t.domain) for t in tools] == [("post_events_by_event_id_tickets", "ticketing")]
    assert tools[0].required == ["eventId", "count"]
    assert tools[0].returns["properties"]["note"]["type"] == ["string", "null"]
    (tmp_path / "tickets.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    again = import_tools("openapi", tmp_path / "tickets.yaml", domain="events")
    assert again[0].domain == "events" and again[0].parameters == tools[0].parameters


def test_openapi_default_error_response_is_not_the_result(tmp_path: Path) -> None:
    error = {"description": "Error.", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"code": {"type": "integer"}}}}}}
    spec = {"openapi": "3.0.0", "info": {"title": "Pets", "version": "1"}, "paths": {"/pets/{petId}": {
        "delete": {"operationId": "deletePet", "tags": ["pets"],
                   "parameters": [{"name": "petId", "in": "path", "schema": {"type": "integer"}}],
                   "responses": {"204": {"description": "Gone."}, "default": error}},
        "get": {"operationId": "getPet", "responses": {"default": error}}}}}
    tools = {t.name: t for t in import_tools("openapi", _write(tmp_path / "pets.json", spec))}
    assert tools["delete_pet"].returns["required"] == ["success"]
    assert tools["get_pet"].returns["properties"] == {"code": {"type": "integer"}}
    assert tools["get_pet"].domain == "pets"  # no tags on this operation: the spec title


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s["paths"]["/orders/{id}"]["get"].update(responses={"200": "OK"}),
         "paths./orders/{id}.get.responses.200: expected a response object"),
        (lambda s: s["paths"]["/orders/{id}"]["get"].update(responses=[]),
         "paths./orders/{id}.get.responses: expected a mapping of status code to response object"),
        (lambda s: s["paths"]["/orders/{id}"]["get"]["parameters"][0].update(schema={"$ref": "#/nope/X"}),
         "paths./orders/{id}.get.parameters[0].schema.$ref: expected '$ref' '#/nope/X' to point to an"),
        (lambda s: s["paths"]["/orders/{id}"]["get"]["parameters"].append({"in": "query"}),
         "paths./orders/{id}.get.parameters[1]: expected a parameter object with 'name' and 'in'"),
        (lambda s: s.update(openapi="2.0"), "openapi: expected an OpenAPI version 3.0 or 3.1"),
        (lambda s: s.update(paths=[]), "paths: expected a mapping of path to path item"),
    ],
)
def test_openapi_errors_name_the_json_path(tmp_path: Path, mutate: object, message: str) -> None:
    spec = {"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {"/orders/{id}": {"get": {
        "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "x"}}}}}}
    mutate(spec)  # type: ignore[operator]
    path = _write(tmp_path / "spec.json", spec)
    with pytest.raises(ToolImportError) as info:
        import_tools("openapi", path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_broken_fixture_is_reported() -> None:
    path = FIXTURES / "broken_openapi.yaml"
    result = import_tools_report("openapi", path)
    assert [t.name for t in result.tools] == ["list_orders"]
    [issue] = result.report.issues
    assert issue.path == "paths./orders/{id}.get.responses.200" and issue.item == "GET /orders/{id}"
    assert issue.line().startswith(f"skipped: {path}: paths./orders/{{id}}.get.responses.200 (GET /orders/{{id}}): "
                                   "expected a response")


# -- OpenAI, JSON Schema, MCP -------------------------------------------------------------------


def test_openai_tools(tmp_path: Path) -> None:
    tools = import_tools("openai", FIXTURES / SOURCES["openai"], domain="local")
    assert [t.name for t in tools] == [
        "get_current_weather", "search_restaurants", "book_table", "get_server_time"]
    assert all(t.domain == "local" for t in tools)
    assert tools[0].parameters["additionalProperties"] is False
    assert tools[1].properties["near"]["required"] == ["latitude", "longitude"]
    assert tools[3].parameters == {"type": "object", "properties": {}}
    raw = json.loads((FIXTURES / SOURCES["openai"]).read_text())
    wrapped = import_tools("openai", _write(tmp_path / "w.json", {"tools": raw}))
    bare = import_tools("openai", _write(tmp_path / "b.json", [item["function"] for item in raw]))
    assert wrapped == bare == import_tools("openai", FIXTURES / SOURCES["openai"])


def test_jsonschema_function_docs() -> None:
    tools = {t.name: t for t in import_tools("jsonschema", FIXTURES / SOURCES["jsonschema"])}
    assert tools["convert_currency"].returns["required"] == ["converted_amount", "rate"]
    assert tools["get_stock_quote"].returns["properties"]["volume"]["minimum"] == 0  # from "response"
    assert tools["list_transactions"].parameters["type"] == "object"  # added where only implied
    assert tools["list_transactions"].returns["type"] == "array"


def test_mcp_tools_list() -> None:
    tools = {t.name: t for t in import_tools("mcp", FIXTURES / SOURCES["mcp"])}
    assert list(tools) == ["read_file", "write_file", "search_issues", "get_current_time"]
    assert tools["read_file"].tags == ["mcp", "read-only"]
    assert tools["write_file"].tags == ["mcp", "destructive", "idempotent"]
    assert tools["read_file"].properties["encoding"]["default"] == "utf-8"
    assert tools["search_issues"].returns["properties"]["items"]["items"]["required"] == ["number", "title"]
    assert tools["write_file"].returns is None


def test_mcp_plain_result_and_errors(tmp_path: Path) -> None:
    envelope = json.loads((FIXTURES / SOURCES["mcp"]).read_text())
    plain = import_tools("mcp", _write(tmp_path / "plain.json", envelope["result"]))
    assert [t.name for t in plain] == [t.name for t in import_tools("mcp", FIXTURES / SOURCES["mcp"])]
    bad = envelope["result"]
    del bad["tools"][2]["inputSchema"]
    result = import_tools_report("mcp", _write(tmp_path / "bad.json", bad))
    assert len(result.tools) == 3 and result.report.skipped == 1
    assert result.report.issues[0].line().endswith("tools[2] (search_issues): expected an MCP tool with 'name' and "
                                                   "'inputSchema'")
    error = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found"}}
    with pytest.raises(ToolImportError, match="got a JSON-RPC error"):
        import_tools("mcp", _write(tmp_path / "err.json", error))


# -- BFCL ---------------------------------------------------------------------------------------


def test_bfcl_types_are_mapped() -> None:
    tools = {t.name: t for t in import_tools("bfcl", FIXTURES / SOURCES["bfcl"])}
    assert list(tools) == ["calculate_triangle_area", "math.factorial", "plot.sine_wave", "geometry.distance",
                           "user_prefs.store"]  # math.factorial appears twice in the file, kept once
    area = tools["calculate_triangle_area"]
    assert area.parameters["type"] == "object" and area.required == ["base", "height"]
    assert area.properties["unit"]["default"] == "units"
    assert tools["math.factorial"].domain == "math" and tools["math.factorial"].tags == ["bfcl", "simple"]
    sine = tools["plot.sine_wave"].properties
    assert sine["frequency"] == {
        "type": "number", "description": "Frequency of the wave in Hz.", "default": 1.0}
    assert sine["color"]["enum"] == ["red", "green", "blue"]
    assert tools["geometry.distance"].properties["point_a"]["type"] == "array"
    assert tools["geometry.distance"].properties["point_a"]["items"] == {"type": "number"}
    store = tools["user_prefs.store"]
    assert store.properties["value"] == {"description": "Value to store; any JSON value."}
    assert store.properties["options"]["type"] == "object"
    assert store.properties["options"]["properties"]["weights"]["properties"]["mobile"]["type"] == "number"
    assert store.tags == ["bfcl", "multiple"]


def test_bfcl_bare_docs_and_type_errors(tmp_path: Path) -> None:
    doc = {"name": "sum_list", "description": "Sum numbers.", "parameters": {"type": "dict", "properties": {
        "values": {"type": "list", "items": {"type": "float"}}}, "required": ["values"]}}
    tools = import_tools("bfcl", _write(tmp_path / "docs.json", [doc]))
    assert tools[0].properties["values"] == {"type": "array", "items": {"type": "number"}}
    doc["parameters"]["properties"]["values"]["items"]["type"] = "decimal"
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "simple_9", "function": [doc]}) + "\n", encoding="utf-8")
    with pytest.raises(ToolImportError) as info:
        import_tools("bfcl", path)
    assert str(info.value).startswith(
        f"{path}:1: function[0].parameters.properties.values.items.type: expected a BFCL type")
    assert "got 'decimal'" in str(info.value)


def test_general_errors(tmp_path: Path) -> None:
    with pytest.raises(ToolImportError, match="expected an existing file"):
        import_tools("openai", tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('[{"type": "function",\n "function": }]', encoding="utf-8")
    with pytest.raises(ToolImportError, match=r"broken\.json: \(root\): expected valid JSON \(line 2"):
        import_tools("openai", broken)
    result = import_tools_report("openai", _write(tmp_path / "x.json", [{"name": "ok"}, {"type": "code_interpreter"}]))
    assert [t.name for t in result.tools] == ["ok"]
    assert result.report.issues[0].path == "[1]" and "expected a function tool" in result.report.issues[0].reason
    with pytest.raises(ToolImportError, match=r"\[0\]\.parameters\.type: expected 'object'"):
        import_tools("jsonschema", _write(tmp_path / "y.json", [{"name": "f", "parameters": {"type": "xs"}}]))
    with pytest.raises(ToolImportError, match="expected an import kind among"):
        import_tools("graphql", tmp_path / "x.json")


# -- round trip ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_openai_export_round_trip_is_lossless(kind: str, tmp_path: Path) -> None:
    tools = import_tools(kind, FIXTURES / SOURCES[kind])
    exported = _write(tmp_path / "openai.json", export_openai(tools))
    back = import_tools("openai", exported)
    assert [(t.name, t.description, t.parameters) for t in back] == [
        (t.name, t.description, t.parameters) for t in tools]


# -- CLI ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_cli_import(kind: str, tmp_path: Path) -> None:
    out = tmp_path / "pool.jsonl"
    result = CliRunner().invoke(app, ["pool", "import", kind, str(FIXTURES / SOURCES[kind]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert load_pool(out) == import_tools(kind, FIXTURES / SOURCES[kind])
    assert f"wrote {len(load_pool(out))} tools" in result.output


def test_cli_import_domain_and_errors(tmp_path: Path) -> None:
    out = tmp_path / "pool.jsonl"
    runner = CliRunner()
    src = str(FIXTURES / SOURCES["openai"])
    result = runner.invoke(app, ["pool", "import", "openai", src, "-o", str(out), "--domain", "dining"])
    assert result.exit_code == 0, result.output
    assert {t.domain for t in load_pool(out)} == {"dining"}
    bad_out = tmp_path / "never.jsonl"
    result = runner.invoke(app, ["pool", "import", "openapi", str(FIXTURES / "broken_openapi.yaml"),
                                 "-o", str(bad_out), "--strict"])
    assert result.exit_code == 2
    assert "GET /orders/{id}" in result.output and "1 of 2 definitions skipped" in result.output
    assert "Traceback" not in result.output and not bad_out.exists()
    result = runner.invoke(app, ["pool", "import", "soap", "x.wsdl", "-o", str(bad_out)])
    assert result.exit_code == 2 and not bad_out.exists()
