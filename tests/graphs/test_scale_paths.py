"""The scale paths of the tool-graph build give exactly what the plain definitions give.

- ``packed_order`` sorts like ``np.lexsort``; ``top_k_mask`` ranks like a per-node sort;
- large owner blocks, expanded strongest first with saturated owners skipped, give the
  edges of expanding every pair and ranking afterwards (on the raw float32 weights);
- a mapper (here the in-process one, with small spans) changes nothing.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from turnloom.graphs import tool_graph as tg
from turnloom.graphs._expand import expand_tool_pairs
from turnloom.graphs._search import packed_order, pair_hash, similar_pairs, top_k_mask
from turnloom.graphs.similarity import get_backend
from turnloom.graphs.tool_graph import build_tool_graph
from turnloom.mapping import local_map
from turnloom.schema import ToolSpec
from turnloom.tools_env.links import find_links

SCORES = np.array([0.5, 0.7, 0.99999994, 1.0, 1.0000001, -0.3], dtype=np.float32)


def _reference_top_k(a: np.ndarray, b: np.ndarray, score: np.ndarray, tie: np.ndarray, k: int) -> np.ndarray:
    node = np.concatenate([a, b])
    order = np.lexsort((np.concatenate([tie, tie]), -np.concatenate([score, score]), node))
    keep = np.zeros(len(score), dtype=bool)
    rank: dict[int, int] = {}
    for i in order.tolist():
        n = int(node[i])
        rank[n] = rank.get(n, 0) + 1
        if rank[n] <= k:
            keep[i % len(score)] = True
    return keep


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 3), st.integers(0, 3)), min_size=0, max_size=60))
def test_packed_order_sorts_like_lexsort(rows: list[tuple[int, int, int]]) -> None:
    key = np.array([r[0] for r in rows], dtype=np.uint64)
    t1 = np.array([r[1] for r in rows], dtype=np.int64)
    t2 = np.array([r[2] for r in rows], dtype=np.int64)
    assert packed_order(key, t1, t2).tolist() == np.lexsort((t2, t1, key)).tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, len(SCORES) - 1)), max_size=80),
    st.integers(1, 5),
    st.sampled_from([13, 2**31 - 1]),
)
def test_top_k_mask_ranks_each_node(pairs: list[tuple[int, int, int]], k: int, spread: int) -> None:
    a = np.array([p[0] * spread // 13 for p in pairs], dtype=np.int64)
    b = np.array([p[1] * spread // 13 for p in pairs], dtype=np.int64)
    score = SCORES[[p[2] for p in pairs]] if pairs else np.zeros(0, dtype=np.float32)
    tie = pair_hash(a, b)
    assert top_k_mask(a, b, score, tie, k).tolist() == _reference_top_k(a, b, score, tie, k).tolist()


def _pool(n: int, seed: int) -> list[ToolSpec]:
    """Tools that share a few common parameter strings (large owner blocks) and near-duplicates."""
    rng = random.Random(seed)
    heads = ["city: Name of the city", "date: Date in YYYY-MM-DD format", "user_id: Identifier of the user",
             "latitude: Latitude in decimal degrees"]
    tails = ["", " to look up", " for this request", " used to filter the results", " in the caller's account"]
    prefixes = ["", "The ", "Optional: ", "Required. "]
    # graded similarities between owner sets of a few tools each
    common = [f"{h.partition(': ')[0]}: {p}{h.partition(': ')[2]}{t}" for h in heads for t in tails for p in prefixes]
    entities = ["order", "ticket", "flight", "hotel", "invoice", "track", "recipe", "device"]

    def field(text: str) -> tuple[str, dict[str, Any]]:
        name, _, desc = text.partition(": ")
        return name, {"type": "string", "description": desc}

    tools = []
    for i in range(n):
        entity = rng.choice(entities)
        params = dict(field(rng.choice(common)) for _ in range(rng.randint(1, 3)))
        params[f"{entity}_id"] = {"type": "string", "description": f"ID of the {entity}"}
        fields = dict([field(rng.choice(common)), (f"{entity}_id", {"type": "string"})])
        returns = {"type": "object", "properties": fields}
        tools.append(ToolSpec(name=f"tool_{i}", description=f"Work with {entity}s", domain=f"d{i % 7}",
                              parameters={"type": "object", "properties": params}, returns=returns))
    return tools


def _owners(tools: list[ToolSpec]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    text_id: dict[str, int] = {}
    owners: dict[tuple[int, int], bool] = {}
    for i, tool in enumerate(tools):
        for text, is_param in tg.tool_strings(tool):
            s = text_id.setdefault(text, len(text_id))
            owners[(s, i)] = owners.get((s, i), False) or is_param
    keys = sorted(owners)
    strings = np.array([s for s, _ in keys])
    ptr = np.searchsorted(strings, np.arange(len(text_id) + 1))
    emb = get_backend(None).embed(list(text_id))
    return ptr, np.array([t for _, t in keys]), np.array([owners[k] for k in keys]), emb


def test_pruned_block_expansion_equals_full_expansion_then_top_k() -> None:
    tools = _pool(300, seed=5)
    ptr, owner_tool, owner_param, emb = _owners(tools)
    a, b, sim = similar_pairs(emb, 0.7)
    u, v, w, _, _ = expand_tool_pairs(ptr, owner_tool, owner_param, a, b, sim, n_tools=len(tools))
    for k in (1, 3, 8, 12, 16):
        keep = top_k_mask(u, v, w, pair_hash(u, v), k)
        cu, cv, cw, _, _ = expand_tool_pairs(ptr, owner_tool, owner_param, a, b, sim, n_tools=len(tools), top_k=k)
        assert cnt_big(ptr, a, b, k) > 0  # the large-block path ran
        assert cu.tolist() == u[keep].tolist() and cv.tolist() == v[keep].tolist()
        assert cw.tolist() == w[keep].tolist()


def cnt_big(ptr: np.ndarray, a: np.ndarray, b: np.ndarray, k: int) -> int:
    cnt = np.diff(ptr)
    return int(np.sum(cnt[a] * cnt[b] > 8 * k) + np.sum(cnt[cnt >= 2] ** 2 > 8 * k))


def test_a_mapper_changes_nothing() -> None:
    tools = _pool(240, seed=9)
    assert find_links(tools, max_fanout=3, mapper=local_map, span=50) == find_links(tools, max_fanout=3)
    _, _, _, emb = _owners(tools)
    plain = similar_pairs(emb, 0.7, top_k=4, exact_limit=50)  # LSH
    mapped = similar_pairs(emb, 0.7, top_k=4, exact_limit=50, mapper=local_map)
    assert all(np.array_equal(x, y) for x, y in zip(plain, mapped, strict=True))
    exact = similar_pairs(emb, 0.7, mapper=local_map)
    assert all(np.array_equal(x, y) for x, y in zip(similar_pairs(emb, 0.7), exact, strict=True))
    assert build_tool_graph(tools, top_k=4, mapper=local_map).to_json() == build_tool_graph(tools, top_k=4).to_json()
