"""Finding the data-flow links of a pool (the rules are in :mod:`turnloom.tools_env.flow`).

Parameters are indexed by their normalized key, so each returned field looks up its
few candidates instead of comparing all tool pairs; ``max_fanout`` bounds how many
targets one field may feed in very large pools, and a mapper can spread the source
tools over workers.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from turnloom.mapping import Mapper, Packed
from turnloom.schema import ToolSpec
from turnloom.tools_env.flow import (
    _GENERIC,
    CONTROL_PARAMS,
    DESCRIPTORS,
    Link,
    _resolve,
    _singular_key,
    _types,
    normalize_name,
    output_fields,
    singular,
    tool_entities,
)

__all__ = ["find_links"]


@dataclass(frozen=True)
class _End:
    tool: int
    name: str  # field path (source) or parameter name (target)
    raw: str
    norm: str
    score: float
    direct: bool
    types: frozenset[str]


def _sources(index: int, tool: ToolSpec) -> Iterator[tuple[str, _End]]:
    for path, leaf in output_fields(tool):
        types = _types(leaf)
        if "boolean" in types and len(types) == 1:
            continue
        segments = [s for s in path.replace("[]", "").split(".") if s]
        raw = segments[-1] if segments else ""
        norm = normalize_name(raw)
        if not norm or norm in CONTROL_PARAMS:
            continue
        if norm != "id":
            end = _End(index, path, raw, norm, 1.0, True, types)
            yield norm, end
            if _singular_key(norm) != norm:
                yield _singular_key(norm), end
            continue
        entities: list[tuple[str, float]] = []
        for container in reversed(segments[:-1]):
            word = singular(normalize_name(container).rpartition("_")[2])
            if word and word not in _GENERIC:
                entities.append((word, 0.9))
                break
        if not entities:
            entities = [(e, 0.85) for e in tool_entities(tool.name)]
        for entity, score in entities:
            key = f"{entity}_id"
            yield key, _End(index, path, raw, key, score, False, types)


def _targets(index: int, tool: ToolSpec) -> Iterator[tuple[str, _End]]:
    for param, schema in tool.properties.items():
        norm = normalize_name(param)
        if not norm or norm in CONTROL_PARAMS or not isinstance(schema, dict):
            continue
        resolved, _ = _resolve(schema, tool.parameters, frozenset())
        types = _types(resolved)
        if "array" in types:
            item, _ = _resolve(resolved.get("items", {}), tool.parameters, frozenset())
            types = _types(item)
        if norm != "id":
            end = _End(index, param, param, norm, 1.0, True, types)
            yield norm, end
            if _singular_key(norm) != norm:
                yield _singular_key(norm), end
            continue
        for entity in tool_entities(tool.name):
            key = f"{entity}_id"
            yield key, _End(index, param, param, key, 0.9, False, types)


def _compatible(source: frozenset[str], target: frozenset[str]) -> bool:
    if not source or not target:
        return True
    return bool(source & target) or ("integer" in source and "number" in target)


def _score(src: _End, dst: _End) -> float:
    if src.direct and dst.direct:
        if src.raw == dst.raw:
            return 1.0
        return 0.95 if src.norm == dst.norm else 0.8
    score = min(src.score, dst.score)
    return score if src.norm == dst.norm else min(score, 0.8)


def find_links(
    tools: Sequence[ToolSpec],
    *,
    min_score: float = 0.75,
    max_fanout: int | None = None,
    mapper: Mapper | None = None,
    span: int = 4000,
) -> list[Link]:
    """Every data-flow link between ``tools`` scoring at least ``min_score``, sorted, no self-links.

    ``max_fanout`` keeps, for each returned field, at most that many targets, best first
    (higher score, then same domain, then a stable hash of the target name rather than
    name order, so that no tool becomes a hub by its spelling). To stay linear on pools
    of tens of thousands of tools, targets in the source's own domain are all scored,
    while targets in other domains are scored only from a window of
    ``2 * max_fanout`` entries of the candidate list, at a position fixed by a hash of
    the source field: a common field such as ``city`` feeds a deterministic sample of
    the thousands of tools that take it instead of all of them. ``mapper`` spreads
    spans of ``span`` source tools over workers (:mod:`turnloom.mapping`) when there
    are at least two; the result does not depend on either.
    """
    index: dict[str, list[_End]] = defaultdict(list)
    for i, tool in enumerate(tools):
        for key, end in _targets(i, tool):
            index[key].append(end)
    tie = [zlib.crc32(t.name.encode()) for t in tools]
    by_domain: dict[str, dict[str, list[_End]]] = {}
    if max_fanout is not None:
        for key, ends in index.items():
            ends.sort(key=lambda e: (tie[e.tool], e.tool, e.name))
            groups: dict[str, list[_End]] = defaultdict(list)
            for end in ends:
                groups[tools[end.tool].domain].append(end)
            by_domain[key] = groups
    if mapper is None or len(tools) < 2 * span:
        links = _links_from((0, len(tools)), (tools, index, by_domain, tie), min_score, max_fanout)
    else:
        spans = [(s, min(len(tools), s + span)) for s in range(0, len(tools), span)]
        context = Packed((list(tools), dict(index), by_domain, tie))
        links = [k for part in mapper(_links_from, spans, shared=(context, min_score, max_fanout)) for k in part]
    links.sort(key=attrgetter("source", "field", "target", "param", "score"))  # Link's order, without __lt__ calls
    return links


_Context = tuple[Sequence[ToolSpec], dict[str, list[_End]], dict[str, dict[str, list[_End]]], list[int]]


def _links_from(span: tuple[int, int], context: _Context | Packed, min_score: float,
                max_fanout: int | None) -> list[Link]:
    """The links whose source is one of ``tools[span[0]:span[1]]``."""
    tools, index, by_domain, tie = context.get() if isinstance(context, Packed) else context
    links: list[Link] = []
    for i in range(*span):
        tool = tools[i]
        for path, group in groupby(_sources(i, tool), key=lambda item: item[1].name):
            best: dict[tuple[int, str], float] = {}
            for key, src in group:
                candidates = index.get(key, [])
                if max_fanout is not None and len(candidates) > 2 * max_fanout:
                    candidates = _window(candidates, by_domain[key], tool, i, path, tools, 2 * max_fanout)
                for dst in candidates:
                    if dst.tool == i or not _compatible(src.types, dst.types):
                        continue
                    if src.norm in DESCRIPTORS and tools[dst.tool].domain != tool.domain:
                        continue
                    score = _score(src, dst)
                    if score >= min_score and score > best.get((dst.tool, dst.name), -1.0):
                        best[(dst.tool, dst.name)] = score
            ranked = sorted(
                best.items(),
                key=lambda kv: (-kv[1], tools[kv[0][0]].domain != tool.domain, tie[kv[0][0]], kv[0]),
            )
            if max_fanout is not None:
                ranked = ranked[:max_fanout]
            links.extend(Link(tool.name, path, tools[t].name, p, sc) for (t, p), sc in ranked)
    return links


def _window(
    ends: list[_End],
    groups: dict[str, list[_End]],
    tool: ToolSpec,
    index: int,
    path: str,
    tools: Sequence[ToolSpec],
    width: int,
) -> list[_End]:
    """The source's own-domain candidates plus ``width`` others from a hashed position."""
    start = zlib.crc32(f"{tool.name}\x1f{path}".encode()) % len(ends)
    picked = list(groups.get(tool.domain, []))
    taken = 0
    for step in range(len(ends)):
        end = ends[(start + step) % len(ends)]
        if tools[end.tool].domain == tool.domain or end.tool == index:
            continue
        picked.append(end)
        taken += 1
        if taken >= width:
            break
    return picked
