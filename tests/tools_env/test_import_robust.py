"""Importers at scale: skip and report, Swagger 2.0, multi-file $ref, shared $defs, size limit, BFCL, OpenAI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.tools_env.importers import ToolImportError, export_openai, import_tools, import_tools_report
from turnloom.tools_env.pool import load_pool

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"


def _tools(kind: str, name: str, **kw: object) -> dict[str, object]:
    return {t.name: t for t in import_tools(kind, FIXTURES / name, **kw)}  # type: ignore[arg-type]


def test_swagger2_is_converted() -> None:
    tools = _tools("openapi", "swagger2_pets.yaml")
    assert list(tools) == ["get_pet", "update_pet", "upload_photo"]
    update = tools["update_pet"]
    assert update.required == ["petId", "name"] and "id" not in update.properties  # body merged, readOnly dropped
    assert update.properties["tag"]["type"] == ["string", "null"]  # x-nullable
    upload = tools["upload_photo"]
    photo = upload.properties["file"]
    assert photo["type"] == "string" and "file to upload" in photo["description"]
    assert upload.http is not None and upload.http.body_media == "multipart/form-data"
    assert upload.http.body_params == ["caption", "file"] and upload.http.path_params == ["petId"]


def test_external_refs_across_files_are_shared_defs() -> None:
    result = import_tools_report("openapi", FIXTURES / "multi" / "main.yaml")
    tools = {t.name: t for t in result.tools}
    assert list(tools) == ["create_note", "get_note"] and result.report.skipped == 0
    create = tools["create_note"]
    assert create.required == ["title"]
    assert create.properties["parent"] == {"description": "Parent.", "$ref": "#/$defs/Note"}
    assert sorted(create.parameters["$defs"]) == ["Note", "Tags"]  # only the definitions it reaches
    note = {"title": "a", "parent": {"title": "b"}, "tags": [{"title": "c"}]}
    Draft202012Validator(create.parameters).validate(note)
    Draft202012Validator(tools["get_note"].returns).validate(note)
    assert not Draft202012Validator(create.parameters).is_valid({**note, "tags": [{}]})  # cycle kept, not cut


def test_edge_cases_nullable_allof_binary_keywords() -> None:
    result = import_tools_report("openapi", FIXTURES / "edge_cases_openapi.yaml")
    tools = {t.name: t for t in result.tools}
    assert result.report.skipped == 0
    warning = [i for i in result.report.issues if i.kind == "warning"]
    assert len(warning) == 1 and warning[0].path == "components.schemas.Image.required"  # names the component
    image = tools["upload_image"]
    assert image.required == ["file"] and image.http is not None and image.http.body_media == "image/png"
    assert image.returns is not None and image.returns["required"] == ["id", "url"]
    item = tools["create_item"]
    assert item.required == ["name", "size"]  # the required of every allOf part
    assert item.properties["note"]["type"] == ["string", "null"]  # nullable
    assert item.returns is not None and item.returns["required"] == ["name", "id"]
    assert tools["get_status"].properties["level"]["enum"] == ["low", "high"]  # enum with allOf
    assert tools["get_status"].returns == {"description": "OK", "type": "string"}  # text/plain


def test_bad_operation_is_skipped_and_reported(tmp_path: Path) -> None:
    spec = {"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {
        "/a": {"get": {"operationId": "ok", "responses": {"200": {"description": "x"}}}},
        "/b": {"get": {"parameters": [{"name": "q", "in": "query", "schema": {"$ref": "#/nope/X"}}],
                       "responses": {"200": {"description": "x"}}},
               "post": {"requestBody": {"content": {"application/octet-stream": {}}},
                        "responses": {"200": "OK"}}}}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    result = import_tools_report("openapi", path)
    assert [t.name for t in result.tools] == ["ok"]
    assert result.report.summary()["seen"] == 3 and result.report.skipped == 2
    lines = [i.line() for i in result.report.issues]
    assert any("paths./b.get.parameters[0].schema.$ref" in line and "(GET /b)" in line for line in lines)
    assert any("paths./b.post.responses.200" in line and "(POST /b)" in line for line in lines)


def test_no_operations_says_so() -> None:
    with pytest.raises(ToolImportError, match="defines none; its 1 webhooks"):
        import_tools("openapi", FIXTURES / "webhooks_only.yaml")


def test_size_limit_prunes_deep_definitions(tmp_path: Path) -> None:
    schemas = {f"Level{i}": {"type": "object", "properties": {
        "text": {"type": "string", "description": "x" * 300},
        "next": {"$ref": f"#/components/schemas/Level{i + 1}"}}} for i in range(30)}
    schemas["Level30"] = {"type": "string"}
    spec = {"openapi": "3.0.0", "info": {"title": "Deep", "version": "1"}, "paths": {"/deep": {"get": {
        "operationId": "getDeep", "responses": {"200": {"description": "x", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Level0"}}}}}}}}, "components": {"schemas": schemas}}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    full = import_tools_report("openapi", path).tools[0]
    assert len(full.returns["$defs"]) == 29
    result = import_tools_report("openapi", path, max_schema_bytes=4096)
    tool = result.tools[0]
    compact = (",", ":")
    size = len(json.dumps(tool.parameters, separators=compact)) + len(json.dumps(tool.returns, separators=compact))
    assert size <= 4096
    assert "Level1" in tool.returns["$defs"] and "Level29" not in tool.returns["$defs"]  # deepest cut first
    pruned = [i for i in result.report.issues if i.kind == "pruned"]
    assert len(pruned) == 1 and "returns: cut to fit 4096 bytes" in pruned[0].reason
    Draft202012Validator.check_schema(tool.returns)


def test_bfcl_duplicates_classes_and_null_default() -> None:
    result = import_tools_report("bfcl", FIXTURES / "bfcl_edge.jsonl")
    tools = {t.name: t for t in result.tools}
    assert list(tools) == ["get_weather", "get_weather__2", "add"]
    assert result.report.summary() == {"seen": 5, "imported": 3, "skipped": 2, "renamed": 1,
                                             "deduplicated": 1, "pruned": 0, "warning": 0}
    assert tools["get_weather__2"].required == ["lat", "lon"]
    Draft202012Validator(tools["get_weather"].parameters).validate({"city": "Oslo", "unit": None})
    assert tools["add"].returns == {"type": "object", "properties": {"result": {"type": "number"}}}
    assert tools["add"].tags == ["bfcl", "MathAPI"]
    skipped = [i.path for i in result.report.issues if i.kind == "skipped"]
    assert skipped == ["function", "function[0].parameters.properties.x.type"]


def test_bfcl_java_values_are_source_strings() -> None:
    tool = _tools("bfcl", "bfcl_java.json")["Cache.put"]
    props = tool.parameters["properties"]
    assert {p["type"] for p in props.values()} == {"string"}
    assert props["entries"]["x-bfcl-type"] == "HashMap" and "Java HashMap" in props["entries"]["description"]
    Draft202012Validator(tool.parameters).validate({"entries": "new HashMap<>()", "ttl": "60L"})


def test_openai_returns_and_unknown_keys_and_lossless_round_trip(tmp_path: Path) -> None:
    result = import_tools_report("openai", FIXTURES / "openai_returns.json")
    tools = {t.name: t for t in result.tools}
    assert tools["get_time"].returns == {"type": "object", "properties": {"iso": {"type": "string"}}}
    assert tools["get_date"].returns == {"type": "string", "format": "date"}
    assert [i.reason for i in result.report.issues] == [
        "keys ['cache_hint'] are not used by turnloom and were left out"]
    for kind, name in (("openapi", "swagger2_pets.yaml"), ("openapi", "edge_cases_openapi.yaml"),
                       ("bfcl", "bfcl_edge.jsonl")):
        original = import_tools(kind, FIXTURES / name)
        out = tmp_path / "tools.json"
        out.write_text(json.dumps(export_openai(original)), encoding="utf-8")
        assert import_tools("openai", out) == original


def test_cli_summary_strict_and_report(tmp_path: Path) -> None:
    runner = CliRunner()
    src = str(FIXTURES / "bfcl_edge.jsonl")
    out, report = tmp_path / "pool.jsonl", tmp_path / "report.json"
    result = runner.invoke(app, ["pool", "import", "bfcl", src, "-o", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    for word in ("seen", "imported", "skipped", "renamed", "deduplicated"):
        assert word in result.output
    assert [t.name for t in load_pool(out)] == ["get_weather", "get_weather__2", "add"]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["skipped"] == 2 and data["issues"][0]["path"] == "function"
    strict_out = tmp_path / "strict.jsonl"
    result = runner.invoke(app, ["pool", "import", "bfcl", src, "-o", str(strict_out), "--strict"])
    assert result.exit_code == 2 and "2 of 5 definitions skipped (--strict)" in result.output
    assert not strict_out.exists() and "Traceback" not in result.output
    result = runner.invoke(app, ["pool", "import", "openapi", str(FIXTURES / "swagger2_pets.yaml"), "-o",
                                 str(strict_out), "--strict"])
    assert result.exit_code == 0 and len(load_pool(strict_out)) == 3
    assert load_pool(strict_out)[2].http is not None  # the HTTP binding survives pool.jsonl
