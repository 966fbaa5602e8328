"""Sampling tool subsets from the graph: determinism, the property of each mode, and the CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.graphs.sampling import (
    SAMPLING_MODES,
    compare_modes,
    flow_links,
    relevance,
    same_domain,
    sample_tools,
)
from turnloom.graphs.tool_graph import ToolGraph, build_tool_graph
from turnloom.schema import ToolSpec


@pytest.fixture(scope="module")
def graph(pool: list[ToolSpec]) -> ToolGraph:
    return build_tool_graph(pool)


@pytest.mark.parametrize("mode", SAMPLING_MODES)
def test_every_mode_is_deterministic_and_distinct(graph: ToolGraph, mode: str) -> None:
    runs = []
    for _ in range(2):
        rng = random.Random(7)
        runs.append([sample_tools(graph, 4, mode=mode, rng=rng) for _ in range(25)])
    assert runs[0] == runs[1]
    for subset in runs[0]:
        assert len(subset) == 4 == len(set(subset))
        assert all(name in graph for name in subset)
    other = random.Random(8)
    assert [sample_tools(graph, 4, mode=mode, rng=other) for _ in range(25)] != runs[0]


def test_walk_moves_along_edges(graph: ToolGraph) -> None:
    rng = random.Random(1)
    for _ in range(30):
        subset = sample_tools(graph, 4, mode="walk", rng=rng, start="search_flights")
        assert subset[0] == "search_flights"
        for i, name in enumerate(subset[1:], start=1):
            assert any(graph.similarity.has_edge(name, prev) for prev in subset[:i])


def test_walk_jumps_when_its_component_is_too_small(graph: ToolGraph) -> None:
    subset = sample_tools(graph, 6, mode="walk", rng=random.Random(0), start="get_weather_alerts")
    assert len(set(subset)) == 6


def test_chain_follows_data_flow_edges(graph: ToolGraph) -> None:
    rng = random.Random(2)
    for _ in range(30):
        subset = sample_tools(graph, 4, mode="chain", rng=rng)
        for a, b in zip(subset, subset[1:], strict=False):
            assert graph.flow.has_edge(a, b), subset


def test_parallel_tools_are_independent_and_share_a_domain(graph: ToolGraph) -> None:
    rng = random.Random(3)
    for _ in range(30):
        subset = sample_tools(graph, 3, mode="parallel", rng=rng)
        assert flow_links(graph, subset) == 0
        assert len({graph.domain(t) for t in subset}) == 1


def test_domain_mode_stays_in_one_domain(graph: ToolGraph) -> None:
    rng = random.Random(4)
    for _ in range(30):
        subset = sample_tools(graph, 4, mode="domain", rng=rng)
        assert len({graph.domain(t) for t in subset}) == 1
    fixed = sample_tools(graph, 3, mode="domain", rng=rng, start="get_trade")
    assert fixed[0] == "get_trade" and {graph.domain(t) for t in fixed} == {"finance"}


def test_graph_sampling_is_more_related_than_random(graph: ToolGraph) -> None:
    results = compare_modes(graph, 4, 150, seed=0)
    assert set(results) == set(SAMPLING_MODES)
    base = results["random"]
    assert results["walk"]["relevance"] > 2 * base["relevance"]
    assert results["chain"]["flow_links"] > 2 * base["flow_links"]
    assert results["parallel"]["flow_links"] == 0
    assert results["domain"]["same_domain"] == 1.0 > base["same_domain"]
    assert compare_modes(graph, 4, 150, seed=0) == results


def test_metrics_by_hand(graph: ToolGraph) -> None:
    trio = ["get_current_weather", "get_forecast", "get_stock_quote"]
    assert relevance(graph, trio) == pytest.approx(graph.weight("get_current_weather", "get_forecast") / 3)
    assert same_domain(graph, trio) == pytest.approx(1 / 3)
    # search_flights -> book_flight (flight_id), book_flight -> get_booking (booking_id) and back
    assert flow_links(graph, ["search_flights", "book_flight", "get_booking"]) == 3
    assert relevance(graph, ["get_trade"]) == 0.0


def test_bad_arguments(graph: ToolGraph) -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError, match="unknown sampling mode"):
        sample_tools(graph, 3, mode="zigzag", rng=rng)
    with pytest.raises(ValueError, match="size"):
        sample_tools(graph, 100, mode="walk", rng=rng)
    with pytest.raises(ValueError, match="start"):
        sample_tools(graph, 3, mode="walk", rng=rng, start="nope")


runner = CliRunner()


def test_cli_sample_prints_json_lines(pool_file: Path) -> None:
    args = ["graph", "sample", str(pool_file), "--size", "3", "--mode", "chain", "-n", "5", "--seed", "4"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["index"] for r in rows] == list(range(5))
    assert all(len(r["tools"]) == 3 and r["mode"] == "chain" for r in rows)
    assert runner.invoke(app, args).output == result.output
    assert runner.invoke(app, [*args[:-1], "5"]).output != result.output


def test_cli_sample_with_cache_and_errors(pool_file: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = runner.invoke(app, ["graph", "sample", str(pool_file), "-n", "2", "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    assert len(list(cache.glob("toolgraph-lexical-*.json"))) == 1
    result = runner.invoke(app, ["graph", "sample", str(pool_file), "--mode", "zigzag"])
    assert result.exit_code == 2 and "--mode" in result.output
    result = runner.invoke(app, ["graph", "sample", str(pool_file), "--size", "999"])
    assert result.exit_code == 2 and "--size" in result.output


def test_cli_compare_table(pool_file: Path) -> None:
    result = runner.invoke(app, ["graph", "compare", str(pool_file), "--size", "4", "-n", "40", "--seed", "1"])
    assert result.exit_code == 0, result.output
    for mode in SAMPLING_MODES:
        assert mode in result.output
    assert "relevance" in result.output
