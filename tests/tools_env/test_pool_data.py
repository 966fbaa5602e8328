"""The built-in API pool shipped as package data: tools_env/data/pool.jsonl."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from turnloom.schema import ToolSpec
from turnloom.tools_env._pool_source import compile_pool, render_jsonl

POOL = files("turnloom.tools_env") / "data" / "pool.jsonl"
BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_pool.py"


def _load() -> list[ToolSpec]:
    lines = POOL.read_text(encoding="utf-8").splitlines()
    return [ToolSpec.model_validate_json(line) for line in lines if line.strip()]


TOOLS = _load()
BY_NAME = {t.name: t for t in TOOLS}


def _objects(schema: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema with ``properties`` (objects at any depth, array items, anyOf branches, $defs)."""
    if not isinstance(schema, dict):
        return
    if "properties" in schema:
        yield path, schema
        for name, sub in schema["properties"].items():
            yield from _objects(sub, f"{path}.{name}")
    if "items" in schema:
        yield from _objects(schema["items"], f"{path}[]")
    for i, sub in enumerate(schema.get("anyOf", [])):
        yield from _objects(sub, f"{path}|{i}")
    for name, sub in schema.get("$defs", {}).items():
        yield from _objects(sub, f"{path}$defs.{name}")


def _returned_names(schema: Any) -> set[str]:
    return {name for _, obj in _objects(schema) for name in obj["properties"]}


def _typed(prop: dict[str, Any]) -> bool:
    return "type" in prop or "$ref" in prop or "anyOf" in prop


def test_pool_size_and_unique_names() -> None:
    assert len(TOOLS) >= 220
    assert len(BY_NAME) == len(TOOLS), [n for n, c in Counter(t.name for t in TOOLS).items() if c > 1]
    domains = Counter(t.domain for t in TOOLS)
    assert len(domains) >= 22
    small = {d: n for d, n in domains.items() if not 8 <= n <= 12}
    assert not small, f"domains outside 8-12 tools: {small}"


def test_lines_sorted_by_domain_then_name() -> None:
    keys = [(t.domain, t.name) for t in TOOLS]
    assert keys == sorted(keys)


def _metadata_problems(tool: ToolSpec) -> Iterator[str]:
    if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", tool.name):
        yield "name is not snake_case verb_noun"
    if not re.fullmatch(r"[a-z]+(_[a-z]+)*", tool.domain):
        yield f"domain {tool.domain!r} is not lowercase with underscores"
    if not 1 <= len(tool.tags) <= 3:
        yield f"{len(tool.tags)} tags"
    if not (tool.description[:1].isupper() and tool.description.endswith(".")):
        yield "description is not one sentence"
    if tool.parameters.get("type") != "object" or (tool.returns or {}).get("type") != "object":
        yield "parameters and returns must be object schemas"


def _schema_problems(tool: ToolSpec) -> Iterator[str]:
    for label, schema in (("parameters", tool.parameters), ("returns", tool.returns)):
        Draft202012Validator.check_schema(schema)
        for path, obj in _objects(schema, label):
            props = obj["properties"]
            missing = set(obj.get("required", [])) - set(props)
            if missing:
                yield f"{path}: required names not in properties: {sorted(missing)}"
            for name, prop in props.items():
                if not prop.get("description"):
                    yield f"{path}.{name}: no description"
                if not _typed(prop):
                    yield f"{path}.{name}: no type, $ref or anyOf"
                if "pattern" in prop:
                    re.compile(prop["pattern"])
                if "default" in prop and list(Draft202012Validator(prop).iter_errors(prop["default"])):
                    yield f"{path}.{name}: default {prop['default']!r} violates its own schema"


def test_tool_metadata() -> None:
    problems = [f"{t.name}: {p}" for t in TOOLS for p in _metadata_problems(t)]
    assert not problems, "\n".join(problems)


def test_schemas_are_valid_and_documented() -> None:
    problems = [f"{t.name}: {p}" for t in TOOLS for p in _schema_problems(t)]
    assert not problems, "\n".join(problems)


def test_refs_resolve_and_nullable_fields_exist() -> None:
    with_defs = [t for t in TOOLS if t.returns and "$defs" in t.returns]
    assert with_defs, "the pool should exercise $defs/$ref in some returns"
    for tool in with_defs:
        assert tool.returns is not None
        validator = Draft202012Validator(tool.returns)
        # an empty object must fail on required fields, not on an unresolvable $ref
        assert list(validator.iter_errors({}))
    assert any('"anyOf"' in t.model_dump_json() for t in TOOLS)


def test_required_ids_flow_from_another_tool_in_the_domain() -> None:
    by_domain: dict[str, list[ToolSpec]] = {}
    for tool in TOOLS:
        by_domain.setdefault(tool.domain, []).append(tool)
    broken = []
    for domain, members in by_domain.items():
        for tool in members:
            for param in tool.required:
                if not param.endswith("_id"):
                    continue
                if not any(o is not tool and param in _returned_names(o.returns) for o in members):
                    broken.append(f"{domain}.{tool.name}({param})")
    assert not broken, f"required ids that no other tool returns: {broken}"


def test_search_results_feed_detail_and_booking_tools() -> None:
    flights = BY_NAME["search_flights"].returns
    assert flights is not None
    record = flights["properties"]["flights"]["items"]
    assert "flight_id" in record["required"]
    assert "flight_id" in BY_NAME["book_flight"].required
    assert "flight_id" in BY_NAME["get_flight_details"].required
    booking = BY_NAME["book_flight"].returns
    assert booking is not None and "flight_booking_id" in booking["required"]
    for name in ("get_flight_booking", "modify_flight_booking", "cancel_flight_booking"):
        assert "flight_booking_id" in BY_NAME[name].required


def test_shared_fields_mean_the_same_everywhere() -> None:
    """A currency is always an ISO code and an email always has the email format."""
    for tool in TOOLS:
        for schema in (tool.parameters, tool.returns):
            for _, obj in _objects(schema):
                for name, prop in obj["properties"].items():
                    if name == "currency" or name.endswith("_currency"):
                        assert prop.get("pattern") == "^[A-Z]{3}$", f"{tool.name}.{name}"
                    if name == "email" or name.endswith("_email"):
                        assert prop.get("format") == "email", f"{tool.name}.{name}"


def test_openai_export_round_trips() -> None:
    for tool in TOOLS:
        again = ToolSpec.from_openai(tool.to_openai(), domain=tool.domain, tags=tool.tags, returns=tool.returns)
        assert again == tool


def test_checked_in_pool_is_compiled_from_the_yaml_source() -> None:
    """pool.jsonl is exactly what the shipped data/pool/*.yaml compile to (run scripts/build_pool.py)."""
    compiled = render_jsonl(compile_pool())
    shipped = POOL.read_text(encoding="utf-8")
    if compiled != shipped:
        old, new = shipped.splitlines(), compiled.splitlines()
        first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
        pytest.fail(f"data/pool.jsonl differs from data/pool/*.yaml from line {first + 1} "
                    f"({len(old)} vs {len(new)} lines); run scripts/build_pool.py")


@pytest.mark.slow
@pytest.mark.skipif(not BUILD_SCRIPT.exists(), reason="build script not available (installed package)")
def test_checked_in_pool_matches_build_script() -> None:
    done = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--check"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
