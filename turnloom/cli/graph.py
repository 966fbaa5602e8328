"""``turnloom graph``: build, inspect and sample the tool graph of a pool."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from turnloom.cli._common import ExecutorOption, RayAddressOption, WorkersOption, check_executor, fail
from turnloom.graphs.sampling import SAMPLING_MODES, compare_modes, sample_tools
from turnloom.graphs.similarity import BACKENDS
from turnloom.graphs.tool_graph import ToolGraph, build_tool_graph, load_or_build
from turnloom.mapping import Mapper
from turnloom.schema import ToolSpec
from turnloom.tools_env.pool import PoolError, atomic_write_text, resolve_pool

__all__ = ["register"]

graph_app = typer.Typer(
    help="The tool graph: build it, look at it, sample related tools from it.", no_args_is_help=True
)
console = Console()

_POOL = typer.Argument(..., help="Pool JSONL file, or 'builtin' for the shipped pool.")
_BACKEND = typer.Option("lexical", "--backend", help=f"Similarity backend: {' | '.join(BACKENDS)}.")
_THRESHOLD = typer.Option(None, "--threshold", help="Cosine similarity τ for an edge (default: the backend's).")
_TOP_K = typer.Option(None, "--top-k", help="Keep edges among the k strongest of an endpoint (default: auto).")
_CACHE = typer.Option(None, "--cache", help="Directory caching built graphs, keyed by pool, backend and τ.")


def _pool(spec: str) -> list[ToolSpec]:
    try:
        return resolve_pool(spec)
    except PoolError as exc:
        fail(str(exc))


def _graph(spec: str, backend: str, threshold: float | None, top_k: int | None, cache: Path | None = None,
           mapper: Mapper | None = None) -> ToolGraph:
    if backend not in BACKENDS:
        fail(f"--backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    if threshold is not None and not -1.0 <= threshold <= 1.0:
        fail(f"--threshold {threshold}: expected a cosine similarity between -1 and 1")
    if top_k is not None and top_k < 1:
        fail(f"--top-k {top_k}: expected a positive integer")
    tools = _pool(spec)
    if not tools:
        fail(f"{spec}: the pool holds no tools")
    try:
        if cache is not None:
            return load_or_build(tools, cache, backend=backend, threshold=threshold, top_k=top_k, mapper=mapper)
        return build_tool_graph(tools, backend=backend, threshold=threshold, top_k=top_k, mapper=mapper)
    except ImportError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(f"{spec}: {exc}")


def _stats_table(stats: dict[str, Any], title: str) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for key in ("nodes", "edges", "flow_edges", "components", "largest_component", "isolated", "domains"):
        table.add_row(key.replace("_", " "), str(stats[key]))
    degree = stats["degree"]
    table.add_row(
        "degree min / mean / median / max",
        f"{degree['min']} / {degree['mean']} / {degree['median']} / {degree['max']}",
    )
    table.add_row("backend, τ, top-k", f"{stats.get('backend')}, {stats.get('threshold')}, {stats.get('top_k')}")
    return table


@graph_app.command("build")
def build(
    pool: str = _POOL,
    out: Path = typer.Option(..., "-o", "--out", help="Directory for graph.json and stats.json."),
    backend: str = _BACKEND,
    threshold: float | None = _THRESHOLD,
    top_k: int | None = _TOP_K,
    cache: Path | None = _CACHE,
    executor: ExecutorOption = "local",
    workers: WorkersOption = 2,
    ray_address: RayAddressOption = None,
) -> None:
    """Build the tool graph of POOL and write DIR/graph.json and DIR/stats.json."""
    check_executor(executor)
    if executor == "ray":
        from turnloom.executors_ray import ray_map, ray_session

        with ray_session(ray_address, workers):
            graph = _graph(pool, backend, threshold, top_k, cache, mapper=ray_map)
    else:
        graph = _graph(pool, backend, threshold, top_k, cache)
    if out.exists() and not out.is_dir():
        fail(f"{out}: expected a directory for the graph files")
    graph.save(out / "graph.json")
    stats = graph.stats()
    atomic_write_text(out / "stats.json", json.dumps(stats, indent=2, sort_keys=True) + "\n")
    console.print(_stats_table(stats, f"tool graph of {pool}"))
    console.print(f"wrote {out / 'graph.json'} and {out / 'stats.json'}", highlight=False)


@graph_app.command("stats")
def stats(
    pool: str = _POOL,
    backend: str = _BACKEND,
    threshold: float | None = _THRESHOLD,
    top_k: int | None = _TOP_K,
    cache: Path | None = _CACHE,
) -> None:
    """Show the size, connectivity and degree distribution of POOL's tool graph."""
    graph = _graph(pool, backend, threshold, top_k, cache)
    console.print(_stats_table(graph.stats(), f"tool graph of {pool}"))


@graph_app.command("sample")
def sample(
    pool: str = _POOL,
    size: int = typer.Option(4, "--size", help="Tools per subset."),
    mode: str = typer.Option("walk", "--mode", help=f"Sampling mode: {' | '.join(SAMPLING_MODES)}."),
    n: int = typer.Option(10, "-n", help="Number of subsets."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    start: str | None = typer.Option(None, "--start", help="Fix the first tool of every subset."),
    backend: str = _BACKEND,
    threshold: float | None = _THRESHOLD,
    top_k: int | None = _TOP_K,
    cache: Path | None = _CACHE,
) -> None:
    """Print N tool subsets of POOL as JSON lines."""
    if mode not in SAMPLING_MODES:
        fail(f"--mode {mode!r}: expected one of {', '.join(SAMPLING_MODES)}")
    if n < 0:
        fail(f"-n {n}: expected a count of zero or more")
    graph = _graph(pool, backend, threshold, top_k, cache)
    if not 1 <= size <= len(graph):
        fail(f"--size {size}: expected between 1 and the pool's {len(graph)} tools")
    if start is not None and start not in graph:
        fail(f"--start {start!r}: no such tool in {pool}")
    rng = random.Random(seed)
    for i in range(n):
        tools = sample_tools(graph, size, mode=mode, rng=rng, start=start)
        typer.echo(json.dumps({"index": i, "mode": mode, "tools": tools}, ensure_ascii=False))


@graph_app.command("compare")
def compare(
    pool: str = _POOL,
    size: int = typer.Option(4, "--size", help="Tools per subset."),
    n: int = typer.Option(200, "-n", help="Subsets per mode."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    backend: str = _BACKEND,
    threshold: float | None = _THRESHOLD,
    top_k: int | None = _TOP_K,
    cache: Path | None = _CACHE,
) -> None:
    """Compare the sampling modes with the random baseline on POOL."""
    if n < 1:
        fail(f"-n {n}: expected at least 1")
    graph = _graph(pool, backend, threshold, top_k, cache)
    if not 1 <= size <= len(graph):
        fail(f"--size {size}: expected between 1 and the pool's {len(graph)} tools")
    results = compare_modes(graph, size, n, seed=seed)
    base = results["random"]
    table = Table(title=f"{n} subsets of {size} tools per mode ({pool})")
    table.add_column("mode", style="bold")
    for label in ("relevance", "×rand", "flow links", "×rand", "same domain", "×rand"):
        table.add_column(label, justify="right")
    for mode, row in results.items():
        cells = []
        for key in ("relevance", "flow_links", "same_domain"):
            ratio = f"{row[key] / base[key]:.2f}" if base[key] else "-"
            cells += [f"{row[key]:.3f}", ratio]
        table.add_row(mode, *cells)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``graph`` command group to the main app."""
    app.add_typer(graph_app, name="graph")
