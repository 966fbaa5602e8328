"""Sampling tool subsets from the tool graph, and how related a subset is.

Modes (:data:`SAMPLING_MODES`):

- ``walk`` — ToolFlow's random walk: a random start, then a uniformly chosen
  similarity neighbour at each step until the subset has ``size`` distinct tools.
  When the walk stalls (``2 * size`` steps with nothing new, or a node without
  neighbours) it jumps to an unvisited neighbour of any tool already taken, and
  when there is none it restarts at a random unvisited tool.
- ``chain`` — a dependency chain along directed data-flow edges (each tool can
  consume a value the previous one returns), grown forward and, when stuck,
  backward. Several starts are tried; if no chain reaches ``size`` the longest one
  found is completed by the walk's rule.
- ``parallel`` — tools of one domain with no data flow between any two of them
  (independent calls that can run at once); completed from other domains when the
  domain runs short.
- ``domain`` — uniformly from one domain that has at least ``size`` tools (the
  largest domain when none has).
- ``random`` — uniformly from the whole pool: the baseline.

Everything random comes from the ``rng`` passed in, and every choice is made over a
sorted or pool-ordered list, so a seed gives the same subsets on every run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import combinations
from typing import Any

from turnloom.graphs.tool_graph import ToolGraph
from turnloom.schema import derive_seed

__all__ = [
    "SAMPLING_MODES",
    "compare_modes",
    "flow_links",
    "relevance",
    "same_domain",
    "sample_tools",
    "subset_metrics",
]

SAMPLING_MODES: tuple[str, ...] = ("walk", "chain", "parallel", "domain", "random")
_CHAIN_TRIES = 24


def _walk(graph: ToolGraph, size: int, rng: random.Random, start: str, taken: list[str] | None = None) -> list[str]:
    subset = list(taken) if taken else [start]
    seen = set(subset)
    current = subset[-1]
    stale = 0
    nodes = graph.nodes
    while len(subset) < size:
        nbrs = graph.neighbors(current)
        if nbrs and stale <= 2 * size:
            current = rng.choice(nbrs)
            if current in seen:
                stale += 1
                continue
        else:
            frontier = sorted({n for t in subset for n in graph.neighbors(t)} - seen)
            current = rng.choice(frontier) if frontier else rng.choice([n for n in nodes if n not in seen])
        subset.append(current)
        seen.add(current)
        stale = 0
    return subset


def _chain_from(graph: ToolGraph, size: int, rng: random.Random, start: str) -> list[str]:
    chain = [start]
    seen = {start}
    while len(chain) < size:
        ahead = [n for n in graph.successors(chain[-1]) if n not in seen]
        if ahead:
            nxt = rng.choice(ahead)
            chain.append(nxt)
            seen.add(nxt)
            continue
        behind = [n for n in graph.predecessors(chain[0]) if n not in seen]
        if not behind:
            break
        prev = rng.choice(behind)
        chain.insert(0, prev)
        seen.add(prev)
    return chain


def _chain(graph: ToolGraph, size: int, rng: random.Random, start: str | None) -> list[str]:
    linked = [n for n in graph.nodes if graph.flow.degree(n) > 0]
    if start is None and not linked:
        return _walk(graph, size, rng, rng.choice(graph.nodes))
    best: list[str] = []
    for attempt in range(_CHAIN_TRIES if start is None else 1):
        first = start if start is not None else rng.choice(linked)
        chain = _chain_from(graph, size, rng, first)
        if len(chain) > len(best):
            best = chain
        if len(best) >= size or (attempt == 0 and start is not None):
            break
    return best if len(best) >= size else _walk(graph, size, rng, best[0], best)


def _independent(graph: ToolGraph, tool: str, chosen: Sequence[str]) -> bool:
    return all(not graph.flow.has_edge(tool, c) and not graph.flow.has_edge(c, tool) for c in chosen)


def _parallel(graph: ToolGraph, size: int, rng: random.Random, start: str | None) -> list[str]:
    domains = graph.domains()
    best: list[str] = []
    for attempt in range(_CHAIN_TRIES if start is None else 1):
        first = start if start is not None else rng.choice(graph.nodes)
        chosen = [first]
        pool = [t for t in domains[graph.domain(first)] if t != first]
        rng.shuffle(pool)
        for tool in pool:
            if len(chosen) >= size:
                break
            if _independent(graph, tool, chosen):
                chosen.append(tool)
        if len(chosen) > len(best):
            best = chosen
        if len(best) >= size or attempt + 1 >= _CHAIN_TRIES:
            break
    if len(best) < size:
        rest = [t for t in graph.nodes if t not in best]
        rng.shuffle(rest)
        for tool in rest:
            if len(best) >= size:
                break
            if _independent(graph, tool, best):
                best.append(tool)
    return best


def _domain(graph: ToolGraph, size: int, rng: random.Random, start: str | None) -> list[str]:
    domains = graph.domains()
    if start is not None:
        members = [t for t in domains[graph.domain(start)] if t != start]
        return [start, *rng.sample(members, min(size - 1, len(members)))]
    names = sorted(d for d, tools in domains.items() if len(tools) >= size)
    if not names:
        largest = max(len(t) for t in domains.values())
        names = sorted(d for d, tools in domains.items() if len(tools) == largest)
    members = domains[rng.choice(names)]
    return rng.sample(members, min(size, len(members)))


def sample_tools(graph: ToolGraph, size: int, *, mode: str, rng: random.Random, start: str | None = None) -> list[str]:
    """``size`` distinct tool names drawn from ``graph`` by ``mode`` (see :data:`SAMPLING_MODES`).

    ``start`` fixes the first tool (the random baseline ignores it). ``domain`` mode may
    return fewer tools when no domain is large enough.
    """
    if mode not in SAMPLING_MODES:
        raise ValueError(f"unknown sampling mode {mode!r}; expected one of {', '.join(SAMPLING_MODES)}")
    if not 1 <= size <= len(graph):
        raise ValueError(f"size must lie between 1 and the number of tools ({len(graph)}), got {size}")
    if start is not None and start not in graph:
        raise ValueError(f"start tool {start!r} is not in the graph")
    if mode == "random":
        return rng.sample(graph.nodes, size)
    if mode == "walk":
        return _walk(graph, size, rng, start if start is not None else rng.choice(graph.nodes))
    if mode == "chain":
        return _chain(graph, size, rng, start)
    if mode == "parallel":
        return _parallel(graph, size, rng, start)
    return _domain(graph, size, rng, start)


def relevance(graph: ToolGraph, tools: Sequence[str]) -> float:
    """Mean similarity-edge weight over all pairs of ``tools``, 0 for unjoined pairs.

    It is the edge density of the subset weighted by edge strength: 1.0 when every
    pair is joined at similarity 1, 0.0 when no two tools are joined.
    """
    pairs = list(combinations(tools, 2))
    return sum(graph.weight(a, b) for a, b in pairs) / len(pairs) if pairs else 0.0


def flow_links(graph: ToolGraph, tools: Sequence[str]) -> int:
    """Number of directed data-flow edges among ``tools``."""
    return sum(1 for a in tools for b in tools if a != b and graph.flow.has_edge(a, b))


def same_domain(graph: ToolGraph, tools: Sequence[str]) -> float:
    """Share of tool pairs that belong to one domain."""
    pairs = list(combinations(tools, 2))
    return sum(graph.domain(a) == graph.domain(b) for a, b in pairs) / len(pairs) if pairs else 1.0


def subset_metrics(graph: ToolGraph, tools: Sequence[str]) -> dict[str, float]:
    return {
        "relevance": relevance(graph, tools),
        "flow_links": float(flow_links(graph, tools)),
        "same_domain": same_domain(graph, tools),
    }


def compare_modes(
    graph: ToolGraph, size: int, n: int, *, seed: int = 0, modes: Sequence[str] = SAMPLING_MODES
) -> dict[str, dict[str, Any]]:
    """Mean :func:`subset_metrics` of ``n`` subsets per mode (each mode on its own seeded stream)."""
    out: dict[str, dict[str, Any]] = {}
    for mode in modes:
        rng = random.Random(derive_seed(seed, "sample", mode))
        totals = {"relevance": 0.0, "flow_links": 0.0, "same_domain": 0.0}
        for _ in range(n):
            for key, value in subset_metrics(graph, sample_tools(graph, size, mode=mode, rng=rng)).items():
                totals[key] += value
        out[mode] = {key: value / n if n else 0.0 for key, value in totals.items()}
    return out
