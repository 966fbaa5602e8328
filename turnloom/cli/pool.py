"""``turnloom pool``: import tools into a pool, inspect a pool, evolve new APIs from one."""

from __future__ import annotations

import json
import os
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from turnloom.cli._common import fail
from turnloom.files import atomic_write_json
from turnloom.schema import ToolSpec
from turnloom.tools_env.evolve import EvolveResult, evolve_pool
from turnloom.tools_env.importers import (
    DEFAULT_MAX_SCHEMA_BYTES,
    ImportReport,
    ImportResult,
    ToolImportError,
    import_tools_report,
)
from turnloom.tools_env.infer_returns import with_inferred_returns
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
    python = "python"


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
    src: Path | None = typer.Argument(None, help="File to import (JSON, YAML or JSONL); for mcp, or --server/--url; "
                                      "for python, a class: package.module:Class."),
    output: Path = typer.Option(..., "-o", "--out", help="Pool file to write (JSONL)."),
    domain: str | None = typer.Option(None, "--domain", help="Domain of every imported tool."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 (writing no pool) if any definition is skipped."),
    report_file: Path | None = typer.Option(None, "--report", help="Write the import report (JSON) to this file."),
    max_schema_bytes: int = typer.Option(DEFAULT_MAX_SCHEMA_BYTES, "--max-schema-bytes", min=1024,
                                         help="Largest JSON schema of one tool (OpenAPI); deeper parts are cut."),
    server: str | None = typer.Option(None, "--server", help='mcp: import from a live stdio server started by this '
                                      'command line, e.g. "mcp-server-git --repository ."'),
    url: str | None = typer.Option(None, "--url", help="mcp: import from a live streamable HTTP server at this URL."),
    timeout: float = typer.Option(30.0, "--timeout", min=0.1, help="mcp --server/--url: seconds to wait for the "
                                  "server to start and answer."),
    bfcl_docs: Path | None = typer.Option(None, "--bfcl-docs", help="python: take the tools' definitions from this "
                                          "BFCL function-doc file where it documents a method."),
) -> None:
    """Import tool definitions (OpenAI tools, JSON Schema docs, OpenAPI, MCP, BFCL) as a pool.

    A definition that cannot be imported is skipped and reported; the rest are imported."""
    if kind is ImportKind.python:
        result = _import_python(src, bfcl_docs, domain)
    elif server is not None or url is not None:
        result = _import_live(kind, src, server, url, domain, timeout)
    elif src is None:
        fail("SRC: expected a file to import (for mcp, or a live server: --server COMMAND or --url URL)")
    else:
        try:
            result = import_tools_report(kind.value, src, domain=domain, max_schema_bytes=max_schema_bytes)
        except ToolImportError as exc:
            fail(str(exc))
    tools, report = result.tools, result.report
    if report_file is not None:
        try:
            atomic_write_json(report_file, report.to_json())
        except OSError as exc:
            fail(f"{report_file}: cannot write the report ({exc.strerror or exc})")
    render_import(report, console)
    if strict and report.skipped:
        fail(f"{report.skipped} of {report.seen} definitions skipped (--strict); nothing written to {output}")
    _save(tools, output)
    if len(tools) <= 50:
        table = Table(title=f"{len(tools)} tools from {escape(report.source)}", title_justify="left")
        for column in ("name", "domain", "parameters", "required", "returns"):
            table.add_column(column)
        for tool in tools:
            table.add_row(escape(tool.name), escape(tool.domain), str(len(tool.properties)),
                          str(len(tool.required)), "yes" if tool.returns is not None else "-")
        console.print(table)
    console.print(f"wrote {len(tools)} tools to {escape(str(output))}")


def _import_python(src: Path | None, bfcl_docs: Path | None, domain: str | None) -> ImportResult:
    """``pool import python package.module:Class``: the class's public methods."""
    from turnloom.tools_env._py_import import import_class

    if src is None:
        fail("SRC: expected a class to import, package.module:Class")
    try:
        return import_class(str(src), bfcl_docs=bfcl_docs, domain=domain)
    except ToolImportError as exc:
        fail(str(exc))


def _import_live(kind: ImportKind, src: Path | None, server: str | None, url: str | None, domain: str | None,
                 timeout: float) -> ImportResult:
    """``pool import mcp --server/--url``: the tools of a live MCP server."""
    if kind is not ImportKind.mcp:
        fail(f"--server/--url: expected the mcp kind (turnloom pool import mcp --server ...), got {kind.value}")
    if src is not None or (server is not None and url is not None):
        fail("expected one source: SRC, --server COMMAND or --url URL")
    try:
        from turnloom.tools_env.mcp_client import McpClientError, import_server_tools
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("mcp", "mcp_types"):
            raise
        fail(f"--server/--url need the MCP SDK: pip install 'turnloom[mcp]' ({exc})")
    try:
        return import_server_tools(server=server, url=url, domain=domain, timeout=timeout, env=dict(os.environ))
    except (McpClientError, ToolImportError) as exc:
        fail(str(exc))


def render_import(report: ImportReport, con: Console, *, show: int = 20) -> None:
    """Print an import's summary (seen / imported / skipped / renamed / deduplicated...) and its first issues."""
    con.print(f"[bold]import {escape(report.kind)}[/] {escape(report.source)}", highlight=False)
    table = Table(title="Summary", title_justify="left")
    counts = {k: v for k, v in report.summary().items() if v or k in ("seen", "imported", "skipped")}
    for key in counts:
        table.add_column(key, justify="right")
    table.add_row(*(str(v) for v in counts.values()))
    con.print(table)
    issues = sorted(report.issues, key=lambda i: i.kind != "skipped")
    if not issues:
        return
    listing = Table(title=f"First {min(show, len(issues))} of {len(issues)} report lines", title_justify="left")
    for column in ("kind", "where", "what", "reason"):
        listing.add_column(column, overflow="fold")
    for issue in issues[:show]:
        listing.add_row(issue.kind, escape(f"{issue.file}: {issue.path or '(root)'}"), escape(issue.item),
                        escape(issue.reason))
    con.print(listing)


def render_stats(stats: PoolStats, con: Console, *, show: int = 20) -> None:
    """Print the summary, domain, parameter-type and problem tables of a pool."""
    declared = stats.with_returns - stats.inferred_returns
    con.print(f"[bold]{stats.total}[/] tools, returns: {declared} declared, {stats.inferred_returns} inferred, "
              f"{stats.total - stats.with_returns} none; {stats.params_total} parameters, "
              f"{len(stats.domains)} domains")
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


@pool_app.command("infer-returns")
def infer_returns_command(
    pool: str = typer.Argument(..., help="Pool file (JSONL or JSON array), or 'builtin'."),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the pool with inferred return schemas."),
) -> None:
    """Write the pool with a return schema inferred for every tool that declares none (tagged
    'returns:inferred'), for review and editing. Declared schemas are kept as they are; the
    simulation infers the same schemas itself when a pool has none."""
    tools = _load(pool)
    inferred = with_inferred_returns(tools)
    _save(inferred, out)
    n = sum(1 for a, b in zip(tools, inferred, strict=True) if a is not b)
    console.print(f"{n} of {len(tools)} tools got an inferred return schema → {escape(str(out))}")


def render_evolution(result: EvolveResult, con: Console) -> None:
    con.print(_counts("New APIs by operator", "operator", result.operators))
    if result.rejected:
        con.print(_counts("Rejected candidates", "reason", result.rejected))
    con.print(f"{len(result.tools)} new APIs in {result.attempts} attempts")


@pool_app.command("evolve")
def evolve_command(
    pool: str = typer.Argument(..., help="Pool to evolve from (file or 'builtin')."),
    n: int = typer.Option(..., "-n", min=1, help="Number of new APIs."),
    output: Path = typer.Option(..., "-o", "--out", help="Pool file to write (JSONL)."),
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

        from turnloom.agents import ModelUnavailableError
        from turnloom.agents.factory import ModelSetupError, check_models, text_completer
        from turnloom.tools_env.evolve import aevolve_pool

        try:
            llm = text_completer(model, cache_path=cache)
            check_models({"--model": model})
        except ModelSetupError as exc:
            fail(str(exc).replace("models.assistant", "--model"))
        try:
            result = asyncio.run(aevolve_pool(tools, n, seed=seed, llm=llm, max_generation=max_generation))
        except ModelUnavailableError as exc:
            fail(f"the model failed: {exc}; nothing written to {output}", code=1)
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
