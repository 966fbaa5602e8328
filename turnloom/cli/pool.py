"""``turnloom pool``: import tools into a pool, inspect a pool, evolve new APIs from one."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from turnloom.cli._common import fail
from turnloom.schema import ToolSpec
from turnloom.tools_env.evolve import EvolveResult, evolve_pool
from turnloom.tools_env.importers import ToolImportError, import_tools
from turnloom.tools_env.pool import PoolError, PoolStats, pool_stats, resolve_pool, save_pool

console = Console()

pool_app = typer.Typer(
    help="API pools: import tool definitions, inspect a pool, evolve new APIs from it.",
    no_args_is_help=True,
)


class ImportKind(str, Enum):
    openai = "openai"
    jsonschema = "jsonschema"
    openapi = "openapi"
    mcp = "mcp"
    bfcl = "bfcl"


def _load(spec: str) -> list[ToolSpec]:
    try:
        return resolve_pool(spec)
    except PoolError as exc:
        fail(str(exc))


def _save(tools: list[ToolSpec], output: Path) -> None:
    try:
        save_pool(tools, output)
    except OSError as exc:
        fail(f"{output}: cannot write the pool ({exc.strerror or exc})")


def _counts(title: str, label: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(label)
    table.add_column("count", justify="right")
    for key, value in counts.items():
        table.add_row(escape(key), str(value))
    return table


@pool_app.command("import")
def import_command(
    kind: ImportKind = typer.Argument(..., help="Format of SRC."),
    src: Path = typer.Argument(..., help="File to import (JSON, YAML or JSONL)."),
    output: Path = typer.Option(..., "-o", "--output", help="Pool file to write (JSONL)."),
    domain: str | None = typer.Option(None, "--domain", help="Domain of every imported tool."),
) -> None:
    """Import tool definitions (OpenAI tools, JSON Schema docs, OpenAPI, MCP, BFCL) as a pool."""
    try:
        tools = import_tools(kind.value, src, domain=domain)
    except ToolImportError as exc:
        fail(str(exc))
    _save(tools, output)
    table = Table(title=f"{len(tools)} tools from {escape(str(src))}", title_justify="left")
    for column in ("name", "domain", "parameters", "required", "returns"):
        table.add_column(column)
    for tool in tools:
        table.add_row(escape(tool.name), escape(tool.domain), str(len(tool.properties)),
                      str(len(tool.required)), "yes" if tool.returns is not None else "-")
    console.print(table)
    console.print(f"wrote {len(tools)} tools to {escape(str(output))}")


def render_stats(stats: PoolStats, con: Console, *, show: int = 20) -> None:
    """Print the summary, domain, parameter-type and problem tables of a pool."""
    con.print(f"[bold]{stats.total}[/] tools, {stats.with_returns} with returns, "
              f"{stats.params_total} parameters, {len(stats.domains)} domains")
    con.print(_counts("By domain", "domain", stats.domains))
    con.print(_counts("Parameter types", "type", stats.param_types))
    counts = stats.problem_counts()
    if not counts:
        con.print("[green]no problems found[/]")
        return
    con.print(_counts("Problems", "problem", counts))
    table = Table(title=f"First {min(show, len(stats.problems))} of {len(stats.problems)} problems",
                  title_justify="left")
    for column in ("tool", "problem", "detail"):
        table.add_column(column)
    for problem in stats.problems[:show]:
        table.add_row(escape(problem.tool), problem.kind, escape(problem.detail))
    con.print(table)


@pool_app.command("stats")
def stats_command(
    pool: str = typer.Argument(..., help="Pool file (JSONL or JSON array), or 'builtin'."),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
    show: int = typer.Option(20, "--show", min=0, help="How many problems to list."),
) -> None:
    """Counts by domain and parameter type, and definition problems of a pool."""
    stats = pool_stats(_load(pool))
    if as_json:
        console.print_json(json.dumps(stats.to_json()))
        return
    render_stats(stats, console, show=show)


def render_evolution(result: EvolveResult, con: Console) -> None:
    con.print(_counts("New APIs by operator", "operator", result.operators))
    if result.rejected:
        con.print(_counts("Rejected candidates", "reason", result.rejected))
    con.print(f"{len(result.tools)} new APIs in {result.attempts} attempts")


@pool_app.command("evolve")
def evolve_command(
    pool: str = typer.Argument(..., help="Pool to evolve from (file or 'builtin')."),
    n: int = typer.Option(..., "-n", min=1, help="Number of new APIs."),
    output: Path = typer.Option(..., "-o", "--output", help="Pool file to write (JSONL)."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same APIs."),
    include_original: bool = typer.Option(False, "--include-original", help="Write the input tools too."),
    max_generation: int = typer.Option(2, "--max-generation", min=1, help="How often an API may evolve."),
    model: str | None = typer.Option(None, "--model", help="Write new APIs with a model: openai:MODEL@BASE_URL "
                                     "(validated like the offline ones); without it the offline operators run."),
    cache: Path = typer.Option(Path(".turnloom-cache/llm.sqlite"), "--cache", help="SQLite cache of model requests."),
) -> None:
    """Evolve new APIs from a pool (ToolACE self-evolution: speciation, adaptation, evolution)."""
    tools = _load(pool)
    if not tools:
        fail(f"{pool}: the pool is empty (expected at least one tool to evolve from)")
    if model is None:
        result = evolve_pool(tools, n, seed=seed, max_generation=max_generation)
    else:
        import asyncio

        from turnloom.agents.factory import ModelSetupError, text_completer
        from turnloom.tools_env.evolve import aevolve_pool

        try:
            llm = text_completer(model, cache_path=cache)
        except ModelSetupError as exc:
            fail(str(exc).replace("models.assistant", "--model"))
        result = asyncio.run(aevolve_pool(tools, n, seed=seed, llm=llm, max_generation=max_generation))
    _save([*tools, *result.tools] if include_original else result.tools, output)
    render_evolution(result, console)
    if result.exhausted:
        console.print(f"[yellow]only {len(result.tools)} of {n} new APIs found before the attempt budget "
                      "ran out; a larger or more varied pool gives more[/]")
    written = len(result.tools) + (len(tools) if include_original else 0)
    console.print(f"wrote {written} tools to {escape(str(output))}")


def register(app: typer.Typer) -> None:
    """Add the ``pool`` command group to the main app."""
    app.add_typer(pool_app, name="pool")
