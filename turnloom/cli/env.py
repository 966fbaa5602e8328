"""``turnloom env call``: run scripted calls through the mock environment."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from turnloom.cli._common import fail

out = Console(highlight=False, soft_wrap=True)
_REF = re.compile(r"^\$\{(\d+)((?:\.[^.}]+)*)\}$")


def register(app: typer.Typer) -> None:
    env_app = typer.Typer(help="Run tools through the schema-driven mock environment.", no_args_is_help=True)
    env_app.command("call")(call)
    app.add_typer(env_app, name="env")


def load_tools(path: Path) -> list[Any]:
    """Tools from a pool JSONL / JSON array of tools, or an OpenAI ``tools`` JSON file."""
    from turnloom.tools_env.importers import ToolImportError, import_tools
    from turnloom.tools_env.pool import PoolError, PoolSchemaError, load_pool

    if not path.is_file():
        fail(f"{path}: no such file")
    try:
        return load_pool(path)
    except PoolError as first:
        if path.suffix == ".jsonl" or isinstance(first, PoolSchemaError):
            fail(str(first))
        try:
            return import_tools("openai", path)
        except ToolImportError as exc:
            fail(f"{path}: not a tool pool ({first}) nor OpenAI tools ({exc})")


def _lookup(results: list[Any], ref: str, where: str) -> Any:
    m = _REF.match(ref)
    assert m is not None
    n, path = int(m.group(1)), [p for p in m.group(2).split(".") if p]
    if n >= len(results):
        raise ValueError(f"{where}: {ref} refers to call {n}, but only {len(results)} calls came before")
    node = results[n]
    for part in path:
        if isinstance(node, list) and part.lstrip("-").isdigit():
            idx = int(part)
            if not -len(node) <= idx < len(node):
                raise ValueError(f"{where}: {ref}: index {idx} out of range")
            node = node[idx]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise ValueError(f"{where}: {ref}: no field {part!r} in the result of call {n}")
    return node


def substitute(value: Any, results: list[Any], where: str) -> Any:
    """Replace ``"${N.path}"`` strings by fields of earlier results (recursively)."""
    if isinstance(value, str) and _REF.match(value):
        return _lookup(results, value, where)
    if isinstance(value, dict):
        return {k: substitute(v, results, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, results, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def call(
    tools: Annotated[Path, typer.Option("--tools", help="Tools: pool JSONL, JSON array of tools, or OpenAI tools.")],
    calls: Annotated[Path, typer.Option("--calls", help='JSONL of {"name": ..., "arguments": {...}} lines.')],
    world: Annotated[Path | None, typer.Option("--world", help="Start from this saved world (JSON).")] = None,
    save_world: Annotated[Path | None, typer.Option("--save-world", help="Write the final world here.")] = None,
    seed: Annotated[int, typer.Option(help="World seed (when not starting from --world).")] = 0,
    lazy: Annotated[bool, typer.Option(help="Reads of unknown ids materialize a record instead of not-found.")] = False,
    error_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="Rate of injected transient failures.")] = 0.0,
) -> None:
    """Run a sequence of calls and print each result and the final world digest as JSON lines.

    An argument value "${N.path}" stands for a field of the N-th call's result (0-based,
    dotted path; list items by number), so a file can script create → get → update → delete.
    """
    from pydantic import ValidationError

    from turnloom.runner import write_json_atomic
    from turnloom.schema import ToolCall
    from turnloom.tools_env.env import EnvSettings, ToolEnvironment
    from turnloom.tools_env.world import World

    specs = load_tools(tools)
    env = ToolEnvironment(specs, EnvSettings(lazy_world=lazy, error_rate=error_rate))
    if world is not None:
        try:
            state = World.model_validate_json(world.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            fail(f"{world}: not a saved world: {exc}")
    else:
        state = env.new_world(seed=seed)
    if not calls.is_file():
        fail(f"{calls}: no such file")
    results: list[Any] = []
    for lineno, line in enumerate(calls.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{calls}:{lineno}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})")
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            fail(f'{where}: expected an object with "name" (string) and "arguments" (object)')
        args = item.get("arguments", {})
        try:
            args = substitute(args, results, f"{where}: arguments")
        except ValueError as exc:
            fail(str(exc))
        tool_call = ToolCall(id=f"call_{len(results)}", name=item["name"],
                             arguments=args if isinstance(args, dict) else {"_": args})
        if not isinstance(args, dict):
            state, result = state, None
            record = {"index": len(results), "name": item["name"], "error": "arguments must be a JSON object"}
            results.append(None)
        else:
            state, result = env.call(state, tool_call)
            record = {"index": len(results), "name": tool_call.name, "arguments": args}
            record.update({"result": result.content} if result.ok else {"error": result.error})
            results.append(result.content if result.ok else None)
        out.print(json.dumps(record, ensure_ascii=False, sort_keys=True))
    out.print(json.dumps({"calls": len(results), "digest": state.digest()}, sort_keys=True))
    if save_world is not None:
        write_json_atomic(save_world, state.model_dump(mode="json"))
