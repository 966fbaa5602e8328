"""The tool graph (ToolFlow): tools joined by similar parameters and return values.

Every parameter and every returned field of a tool becomes the string
``"{name}: {description}"``. An undirected edge joins tools i and j when any
parameter-parameter pair or any return-parameter pair of theirs has cosine
similarity above τ (:mod:`turnloom.graphs.similarity` supplies the vectors); the
edge's ``weight`` is the best such similarity and its ``reason`` the pair of strings
that reached it (the first string belongs to the edge's tool that comes first in
the pool). Option parameters that carry no data (``limit``, ``page``, ``language``...
see :data:`turnloom.tools_env.flow.CONTROL_PARAMS`) are left out: nearly every
search tool has them, and they would join unrelated tools.

A second, directed graph holds data-flow links (:func:`turnloom.tools_env.links.find_links`):
an edge ``s -> t`` when a field ``s`` returns can be passed to ``t``.

Scale: strings are deduplicated, similar pairs found by chunked products or LSH
(:mod:`turnloom.graphs._search`), and tool pairs expanded in bounded chunks
(:mod:`turnloom.graphs._expand`). ``top_k`` keeps each edge that ranks among the
``top_k`` strongest of either endpoint; by default it is off up to
:data:`AUTO_TOP_K_ABOVE` tools and :data:`AUTO_TOP_K` above. With ``top_k`` set, each
returned field also feeds at most ``max(2, top_k // 8)`` data-flow targets (see
``max_fanout`` in :func:`~turnloom.tools_env.links.find_links`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from turnloom.files import atomic_write_text
from turnloom.graphs._expand import expand_tool_pairs
from turnloom.graphs._search import similar_pairs
from turnloom.graphs.similarity import SimilarityBackend, get_backend
from turnloom.mapping import Mapper
from turnloom.schema import ToolSpec, canonical_json
from turnloom.tools_env.flow import CONTROL_PARAMS, normalize_name, output_fields
from turnloom.tools_env.links import find_links

__all__ = [
    "AUTO_TOP_K",
    "AUTO_TOP_K_ABOVE",
    "ToolGraph",
    "build_tool_graph",
    "load_or_build",
    "pool_digest",
    "tool_strings",
]

AUTO_TOP_K = 32
AUTO_TOP_K_ABOVE = 2000
_FORMAT = 1


def tool_strings(tool: ToolSpec) -> list[tuple[str, bool]]:
    """``("{name}: {description}", is_parameter)`` for each parameter and return field of ``tool``."""
    out: list[tuple[str, bool]] = []
    for name, schema in tool.properties.items():
        if normalize_name(name) in CONTROL_PARAMS:
            continue
        desc = schema.get("description", "") if isinstance(schema, dict) else ""
        out.append((f"{name}: {desc}".strip() if desc else name, True))
    for path, leaf in output_fields(tool):
        segments = [s for s in path.replace("[]", "").split(".") if s]
        if not segments:
            continue
        desc = leaf.get("description", "")
        out.append((f"{segments[-1]}: {desc}".strip() if desc else segments[-1], False))
    return out


def pool_digest(tools: Sequence[ToolSpec]) -> str:
    """Content hash of a pool (order matters: node order follows it)."""
    h = hashlib.sha256()
    for tool in tools:
        h.update(canonical_json(tool.model_dump(mode="json")).encode())
        h.update(b"\n")
    return h.hexdigest()[:20]


@dataclass
class ToolGraph:
    """The similarity graph and the data-flow graph over one pool, with build metadata."""

    similarity: nx.Graph
    flow: nx.DiGraph
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def nodes(self) -> list[str]:
        return list(self.similarity.nodes)

    def __contains__(self, name: object) -> bool:
        return name in self.similarity

    def __len__(self) -> int:
        return self.similarity.number_of_nodes()

    def domain(self, name: str) -> str:
        return str(self.similarity.nodes[name].get("domain", "general"))

    def neighbors(self, name: str) -> list[str]:
        """Similarity neighbours of ``name``, strongest first (ties by name)."""
        adj = self.similarity.adj[name]
        return sorted(adj, key=lambda other: (-adj[other]["weight"], other))

    def weight(self, a: str, b: str) -> float:
        """Similarity edge weight between two tools (0.0 when not joined)."""
        data = self.similarity.get_edge_data(a, b)
        return float(data["weight"]) if data else 0.0

    def successors(self, name: str) -> list[str]:
        """Tools that can consume a value ``name`` returns (data-flow targets), sorted."""
        return sorted(self.flow.successors(name)) if name in self.flow else []

    def predecessors(self, name: str) -> list[str]:
        return sorted(self.flow.predecessors(name)) if name in self.flow else []

    def domains(self) -> dict[str, list[str]]:
        """Domain -> its tools, in node order."""
        out: dict[str, list[str]] = {}
        for name in self.similarity.nodes:
            out.setdefault(self.domain(name), []).append(name)
        return out

    def stats(self) -> dict[str, Any]:
        g = self.similarity
        degrees = [d for _, d in g.degree()]
        components = sorted((len(c) for c in nx.connected_components(g)), reverse=True)
        hist = Counter(degrees)
        return {
            "nodes": g.number_of_nodes(),
            "edges": g.number_of_edges(),
            "flow_edges": self.flow.number_of_edges(),
            "components": len(components),
            "largest_component": components[0] if components else 0,
            "isolated": hist.get(0, 0),
            "domains": len(self.domains()),
            "degree": {
                "min": min(degrees, default=0),
                "mean": round(float(np.mean(degrees)), 3) if degrees else 0.0,
                "median": float(np.median(degrees)) if degrees else 0.0,
                "max": max(degrees, default=0),
                "histogram": {str(k): hist[k] for k in sorted(hist)},
            },
            **{k: self.meta[k] for k in ("backend", "threshold", "top_k") if k in self.meta},
        }

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data; :meth:`from_json` restores an equal graph."""
        index = {name: i for i, name in enumerate(self.similarity.nodes)}
        strings: dict[str, int] = {}
        edges = []
        for u, v, data in self.similarity.edges(data=True):
            i, j = sorted((index[u], index[v]))
            a, b = data.get("reason", ("", ""))
            ids = [strings.setdefault(s, len(strings)) for s in ((a, b) if index[u] == i else (b, a))]
            edges.append([i, j, data["weight"], *ids])
        edges.sort()
        flow = []
        for s, t, data in self.flow.edges(data=True):
            flow.append([index[s], index[t], [list(link) for link in data["links"]]])
        flow.sort()
        return {
            "format": _FORMAT,
            "meta": self.meta,
            "nodes": [[name, self.domain(name)] for name in self.similarity.nodes],
            "strings": list(strings),
            "edges": edges,
            "flow": flow,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ToolGraph:
        if data.get("format") != _FORMAT:
            raise ValueError(f"unsupported tool graph format {data.get('format')!r}; expected {_FORMAT}")
        names = [n for n, _ in data["nodes"]]
        sim = nx.Graph()
        flow = nx.DiGraph()
        for name, domain in data["nodes"]:
            sim.add_node(name, domain=domain)
            flow.add_node(name)
        strings = data["strings"]
        for i, j, w, a, b in data["edges"]:
            sim.add_edge(names[i], names[j], weight=w, reason=(strings[a], strings[b]))
        for s, t, links in data["flow"]:
            weight = max(k[2] for k in links)
            flow.add_edge(names[s], names[t], links=[tuple(k) for k in links], weight=weight)
        return cls(sim, flow, dict(data.get("meta", {})))

    def save(self, path: str | Path) -> Path:
        """Write the graph as JSON atomically."""
        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ToolGraph:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def _resolve_top_k(n_tools: int, top_k: int | None) -> int | None:
    if top_k is None:
        return AUTO_TOP_K if n_tools > AUTO_TOP_K_ABOVE else None
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    return top_k


def _backend_id(backend: SimilarityBackend) -> str:
    extra = {k: v for k, v in sorted(vars(backend).items()) if not k.startswith("_")}
    return f"{backend.name}:{canonical_json(extra)}"


def build_tool_graph(
    tools: Sequence[ToolSpec],
    *,
    backend: SimilarityBackend | str | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    mapper: Mapper | None = None,
) -> ToolGraph:
    """Build the similarity graph and the data-flow graph of ``tools`` (names must be unique).

    ``mapper`` (:mod:`turnloom.mapping`; e.g. :func:`turnloom.executors_ray.ray_map`)
    spreads the similar-pair search and the data-flow links over workers; the graph is
    the same with or without it.
    """
    names = [t.name for t in tools]
    dupes = sorted(n for n, c in Counter(names).items() if c > 1)
    if dupes:
        raise ValueError(f"tool names must be unique; repeated: {', '.join(dupes[:5])}")
    be = get_backend(backend)
    tau = be.default_threshold if threshold is None else float(threshold)
    k = _resolve_top_k(len(tools), top_k)

    text_id: dict[str, int] = {}
    owners: dict[tuple[int, int], bool] = {}
    for i, tool in enumerate(tools):
        for text, is_param in tool_strings(tool):
            s = text_id.setdefault(text, len(text_id))
            owners[(s, i)] = owners.get((s, i), False) or is_param
    keys = sorted(owners)
    owner_string = np.array([s for s, _ in keys], dtype=np.int64)
    owner_tool = np.array([t for _, t in keys], dtype=np.int64)
    owner_param = np.array([owners[key] for key in keys], dtype=bool)
    ptr = np.searchsorted(owner_string, np.arange(len(text_id) + 1))
    texts = list(text_id)
    emb = be.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    a, b, sim = similar_pairs(emb, tau, top_k=k, mapper=mapper)
    u, v, w, sa, sb = expand_tool_pairs(ptr, owner_tool, owner_param, a, b, sim, n_tools=len(tools), top_k=k)

    del emb, a, b, sim
    graph = nx.Graph()
    for tool in tools:
        graph.add_node(tool.name, domain=tool.domain)
    for i, j, weight, x, y in zip(u.tolist(), v.tolist(), w.tolist(), sa.tolist(), sb.tolist(), strict=True):
        graph.add_edge(names[i], names[j], weight=round(min(weight, 1.0), 6), reason=(texts[x], texts[y]))

    flow = nx.DiGraph()
    flow.add_nodes_from(names)
    fanout = None if k is None else max(2, k // 8)
    for link in find_links(tools, max_fanout=fanout, mapper=mapper):
        entry = (link.field, link.param, link.score)
        if flow.has_edge(link.source, link.target):
            data = flow.edges[link.source, link.target]
            data["links"].append(entry)
            data["weight"] = max(data["weight"], link.score)
        else:
            flow.add_edge(link.source, link.target, links=[entry], weight=link.score)
    meta = {
        "backend": be.name,
        "backend_id": _backend_id(be),
        "threshold": tau,
        "top_k": k,
        "pool": pool_digest(tools),
        "strings": len(texts),
    }
    return ToolGraph(graph, flow, meta)


def load_or_build(
    tools: Sequence[ToolSpec],
    cache_dir: str | Path,
    *,
    backend: SimilarityBackend | str | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    mapper: Mapper | None = None,
) -> ToolGraph:
    """The graph of ``tools`` from ``cache_dir`` if built before with the same settings, else built and saved.

    The cache key covers the pool's content hash, the backend and its settings, τ and top-k.
    """
    be = get_backend(backend)
    tau = be.default_threshold if threshold is None else float(threshold)
    k = _resolve_top_k(len(tools), top_k)
    key = hashlib.sha256(canonical_json([_FORMAT, pool_digest(tools), _backend_id(be), tau, k]).encode()).hexdigest()[
        :16
    ]
    path = Path(cache_dir) / f"toolgraph-{be.name}-{key}.json"
    if path.exists():
        try:
            return ToolGraph.load(path)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            pass  # a stale or damaged cache entry is rebuilt
    graph = build_tool_graph(tools, backend=be, threshold=tau, top_k=k, mapper=mapper)
    graph.meta["cache_key"] = key
    graph.save(path)
    return graph
