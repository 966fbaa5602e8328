"""Pool files: loading, saving, the built-in pool, statistics and definition problems."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.schema import ToolSpec
from turnloom.tools_env import pool as pool_module
from turnloom.tools_env.pool import (
    PoolError,
    builtin_pool,
    group_key,
    load_pool,
    pool_stats,
    resolve_pool,
    save_pool,
    verb_entity,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"
SEED_POOL = FIXTURES / "seed_pool.jsonl"


@pytest.fixture
def seed_tools() -> list[ToolSpec]:
    return load_pool(SEED_POOL)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_save_round_trip_is_byte_stable(seed_tools: list[ToolSpec], tmp_path: Path) -> None:
    assert len(seed_tools) == 16
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    save_pool(seed_tools, first)
    reloaded = load_pool(first)
    assert reloaded == seed_tools
    save_pool(reloaded, second)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text().count("\n") == 16
    # property order is kept (it is the argument order users see)
    assert list(reloaded[0].properties) == ["city", "check_in", "check_out", "guests"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.jsonl"]


def test_load_accepts_a_json_array(seed_tools: list[ToolSpec], tmp_path: Path) -> None:
    path = tmp_path / "pool.json"
    path.write_text(json.dumps([t.model_dump() for t in seed_tools[:3]], indent=2), encoding="utf-8")
    assert [t.name for t in load_pool(path)] == ["search_hotels", "book_hotel", "search_flights"]


def test_save_is_atomic_when_replacing_fails(seed_tools: list[ToolSpec], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pool.jsonl"
    save_pool(seed_tools[:2], path)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_pool(seed_tools, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["pool.jsonl"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"name": "ok_tool"}', '{"name": "broken"'], ":2: (json): expected one JSON object per line"),
        (['{"description": "no name"}'], ":1: name: expected a value (the field is required)"),
        (['{"name": "has space"}'], ":1: name: expected a name of letters, digits"),
        (['{"name": "t", "colour": "red"}'], ":1: colour: expected no such field (allowed: name, desc"),
        (['{"name": "t", "parameters": []}'], ":1: parameters: expected an object"),
        (['{"name": "ok"}', '"just text"'], ":2: (tool): expected a JSON object, got str"),
    ],
)
def test_load_errors_name_file_line_and_field(tmp_path: Path, lines: list[str], message: str) -> None:
    path = _write(tmp_path / "bad.jsonl", lines)
    with pytest.raises(PoolError) as info:
        load_pool(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_load_errors_in_a_json_array_name_the_index(tmp_path: Path) -> None:
    path = tmp_path / "pool.json"
    path.write_text('[\n  {"name": "fine"},\n\n  {"name": "fine_too",\n   "tags": "x"}\n]', encoding="utf-8")
    with pytest.raises(PoolError, match=r"pool\.json:4: \[1\]\.tags: expected a list"):
        load_pool(path)


def test_missing_file_and_resolve(tmp_path: Path, seed_tools: list[ToolSpec]) -> None:
    with pytest.raises(PoolError, match="no such file"):
        load_pool(tmp_path / "nope.jsonl")
    assert resolve_pool(str(SEED_POOL)) == seed_tools


def test_builtin_pool_reads_package_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "_builtin_resource", lambda: SEED_POOL)
    assert [t.name for t in builtin_pool()][:2] == ["search_hotels", "book_hotel"]
    assert resolve_pool("builtin") == load_pool(SEED_POOL)
    monkeypatch.setattr(pool_module, "_builtin_resource", lambda: SEED_POOL.parent / "missing.jsonl")
    with pytest.raises(PoolError, match="builtin: the package has no data/pool.jsonl"):
        builtin_pool()


def test_shipped_builtin_pool_loads_when_present() -> None:
    if not pool_module._builtin_resource().is_file():
        pytest.skip("the package ships no pool yet")
    tools = builtin_pool()
    assert tools and all(t.returns is not None for t in tools)


def test_stats_counts(seed_tools: list[ToolSpec]) -> None:
    stats = pool_stats(seed_tools)
    assert stats.total == 16 and stats.with_returns == 16
    assert stats.domains == {"shopping": 4, "travel": 4, "finance": 3, "calendar": 2, "weather": 2,
                             "communication": 1}
    assert stats.param_types == {"string": 38, "integer": 5, "array": 4, "number": 3}
    assert stats.params_total == 50
    assert stats.verbs["search"] == 3 and stats.verbs["get"] == 4
    assert stats.problems == []


def test_stats_finds_every_kind_of_problem() -> None:
    tools = [
        ToolSpec(name="no_description", parameters={"type": "object", "properties": {
            "city": {"type": "string"}}}),
        ToolSpec(name="dup", description="First.", returns={"type": "object", "properties": {}}),
        ToolSpec(name="dup", description="Second."),
        ToolSpec(name="bad_schema", description="Bad.", parameters={"type": "object", "properties": {
            "n": {"type": "strin", "description": "A number."}}}),
        ToolSpec(name="bad_required", description="Bad.", parameters={"type": "object", "properties": {
            "a": {"type": "string", "description": "A."},
            "address": {"type": "object", "description": "Where.", "properties": {"city": {"type": "string"}},
                        "required": ["city", "zip"]}}, "required": ["a", "b"]}),
        ToolSpec(name="untyped", description="Any value.", parameters={"type": "object", "properties": {
            "value": {"description": "Anything."}}}),
    ]
    stats = pool_stats(tools)
    by_kind: dict[str, list[str]] = {}
    for problem in stats.problems:
        by_kind.setdefault(problem.kind, []).append(f"{problem.tool}: {problem.detail}")
    assert by_kind["missing_tool_description"] == ["no_description: the tool has no description"]
    assert by_kind["missing_param_description"] == ["no_description: parameter 'city' has no description"]
    assert by_kind["duplicate_name"] == ["dup: the name is used by several tools"]
    assert by_kind["invalid_schema"][0].startswith("bad_schema: parameters.properties.n.type:")
    assert by_kind["required_not_in_properties"] == [
        "bad_required: parameters: required ['b'] not in properties",
        "bad_required: parameters.address: required ['zip'] not in properties",
    ]
    assert by_kind["param_without_type"] == ["untyped: parameter 'value' has no type"]
    assert stats.problem_counts()["duplicate_name"] == 1
    assert stats.with_returns == 1
    assert json.loads(json.dumps(stats.to_json()))["problem_counts"] == stats.problem_counts()


def test_name_analysis() -> None:
    assert verb_entity("search_hotels_by_rating") == ("search", ["hotels"])
    assert verb_entity("getOrderStatus") == ("get", ["order", "status"])
    assert group_key("search_hotels") == group_key("book_hotel") == "hotel"
    assert group_key("math.factorial") == "factorial"


def test_cli_stats(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["pool", "stats", str(SEED_POOL)])
    assert result.exit_code == 0, result.output
    assert "16 tools, returns: 16 declared, 0 inferred, 0 none; 50 parameters, 6 domains" in result.output
    assert "shopping" in result.output and "no problems found" in result.output

    bad = tmp_path / "problems.jsonl"
    save_pool([ToolSpec(name="x"), ToolSpec(name="x", description="Twice.")], bad)
    result = runner.invoke(app, ["pool", "stats", str(bad), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["problem_counts"] == {"missing_tool_description": 1, "duplicate_name": 1}


def test_cli_stats_builtin(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "_builtin_resource", lambda: SEED_POOL)
    result = runner.invoke(app, ["pool", "stats", "builtin"])
    assert result.exit_code == 0, result.output
    assert "16 tools" in result.output and "Parameter types" in result.output


def test_cli_stats_bad_pool_exits_2_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", ['{"name": "ok"}', '{"name": 3}'])
    result = runner.invoke(app, ["pool", "stats", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: name: expected a string" in result.output
    assert "Traceback" not in result.output
