"""Schemas with reference cycles: found up front with their path; ``env.call`` never raises on them;
optional self-references (trees) keep working."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.schema import ToolCall, ToolSpec
from turnloom.tools_env.env import EnvSettings, ToolEnvironment
from turnloom.tools_env.pool import PoolSchemaError, load_pool
from turnloom.tools_env.values import schema_cycles

runner = CliRunner()

#: A -> B -> A, nothing but references: validating anything against it recurses forever
LOOP: dict[str, Any] = {"type": "object",
                        "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"allOf": [{"$ref": "#/$defs/A"}]}},
                        "properties": {"a": {"$ref": "#/$defs/A"}, "name": {"type": "string"}}}
#: every node requires a child node: no finite value
REQUIRED_SELF: dict[str, Any] = {
    "$defs": {"Node": {"type": "object", "required": ["label", "child"],
                       "properties": {"label": {"type": "string"}, "child": {"$ref": "#/$defs/Node"}}}},
    "$ref": "#/$defs/Node"}
#: A requires b, B requires a
REQUIRED_PAIR: dict[str, Any] = {
    "$defs": {"A": {"type": "object", "required": ["b"], "properties": {"b": {"$ref": "#/$defs/B"}}},
              "B": {"type": "object", "required": ["a"], "properties": {"a": {"$ref": "#/$defs/A"}}}},
    "type": "object", "required": ["a"], "properties": {"a": {"$ref": "#/$defs/A"}}}
TREE: dict[str, Any] = {
    "$defs": {"Node": {"type": "object", "required": ["label"],
                       "properties": {"label": {"type": "string"},
                                      "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}},
    "$ref": "#/$defs/Node"}
LINKED: dict[str, Any] = {  # a required link that may be null
    "$defs": {"Item": {"type": "object", "required": ["next"],
                       "properties": {"next": {"anyOf": [{"$ref": "#/$defs/Item"}, {"type": "null"}]}}}},
    "$ref": "#/$defs/Item"}
PARAMS = {"type": "object", "properties": {"tree_id": {"type": "string"}}, "required": ["tree_id"]}


def _tool(name: str, parameters: dict[str, Any] = PARAMS, returns: dict[str, Any] | None = None) -> ToolSpec:
    return ToolSpec(name=name, description="Get a tree by its id.", parameters=parameters, returns=returns)


@pytest.mark.parametrize(("schema", "path", "words"), [
    (LOOP, ("$defs", "A"), "$ref loop"),
    (REQUIRED_SELF, ("$defs", "Node"), "required self-reference"),
    (REQUIRED_PAIR, ("$defs", "A"), "required self-reference"),
    ({"type": "object", "required": ["me"], "properties": {"me": {"$ref": "#"}}}, (), "required self-reference"),
    ({"$defs": {"N": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/N"}}}, "$ref": "#/$defs/N"},
     ("$defs", "N"), "required self-reference"),
    ({"properties": {"x": {"$ref": "#/$defs/Nope"}}}, ("properties", "x", "$ref"), "unresolvable"),
])
def test_cycles_are_found_with_their_path(schema: dict[str, Any], path: tuple[str, ...], words: str) -> None:
    found = schema_cycles(schema)
    assert found and found[0].path == path and words in found[0].message


@pytest.mark.parametrize("schema", [TREE, LINKED, PARAMS, {"$defs": {"N": {"type": "array", "items": {
    "$ref": "#/$defs/N"}}}, "$ref": "#/$defs/N"}])
def test_optional_self_references_are_fine(schema: dict[str, Any]) -> None:
    assert schema_cycles(schema) == []


def test_env_call_never_raises_and_names_the_tool_and_path() -> None:
    env = ToolEnvironment([_tool("make_thing", parameters=LOOP), _tool("get_tree", returns=REQUIRED_SELF),
                           _tool("get_forest", returns=TREE)], EnvSettings(lazy_world=True))
    world = env.new_world(seed=1)
    for args in ({}, {"a": {"b": 1}}, {"name": "x"}):
        world, result = env.call(world, ToolCall(id="c1", name="make_thing", arguments=args))
        assert result.error and "'make_thing'" in result.error and "$defs/A" in result.error
    world, result = env.call(world, ToolCall(id="c2", name="get_tree", arguments={"tree_id": "t1"}))
    assert result.error and "'get_tree'" in result.error and "returns" in result.error and "$defs/Node" in result.error
    assert env.argument_errors("make_thing", {"name": "x"})[0].startswith("tool 'make_thing' cannot run")
    world, result = env.call(world, ToolCall(id="c3", name="get_forest", arguments={"tree_id": "t1"}))
    assert result.ok and isinstance(result.content["label"], str)


def test_a_required_cycle_in_an_optional_parameter_leaves_the_tool_callable() -> None:
    params = {**REQUIRED_PAIR, "required": ["name"], "properties": {**REQUIRED_PAIR["properties"],
                                                                    "name": {"type": "string"}}}
    env = ToolEnvironment([_tool("create_thing", parameters=params)])
    _, result = env.call(env.new_world(), ToolCall(id="c1", name="create_thing", arguments={"name": "x"}))
    assert result.ok, result.error


def _pool(tmp_path: Path, *tools: ToolSpec) -> Path:
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in tools))
    return path


def test_pool_load_rejects_an_unusable_tool_with_line_tool_and_path(tmp_path: Path) -> None:
    path = _pool(tmp_path, _tool("get_forest", returns=TREE), _tool("get_tree", returns=REQUIRED_SELF))
    with pytest.raises(PoolSchemaError) as info:
        load_pool(path)
    assert str(info.value).startswith(f"{path}:2: returns: tool 'get_tree': at '$defs/Node': required self-reference")
    assert [t.name for t in load_pool(_pool(tmp_path, _tool("get_forest", returns=TREE)))] == ["get_forest"]


def test_env_call_cli_with_cyclic_tools(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text(json.dumps({"name": "make_thing", "arguments": {"name": "x", "a": {}}}) + "\n")
    pool = _pool(tmp_path, _tool("make_thing", parameters=LOOP))
    result = runner.invoke(app, ["env", "call", "--tools", str(pool), "--calls", str(calls)])
    assert result.exit_code == 2
    assert "tool 'make_thing': at '$defs/A': $ref loop" in result.output
    assert "Traceback" not in result.output
    # the same tool as OpenAI tools (what the importer accepts): each call is a tool error, not a crash
    openai = tmp_path / "tools.json"
    openai.write_text(json.dumps([{"type": "function", "function": {"name": "make_thing", "description": "Make.",
                                                                    "parameters": LOOP}}]))
    result = runner.invoke(app, ["env", "call", "--tools", str(openai), "--calls", str(calls)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    assert "cannot run" in record["error"] and "$defs/A" in record["error"]
