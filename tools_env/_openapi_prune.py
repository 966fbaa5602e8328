"""Keep one tool's schema under a size limit by cutting its deepest branches first.

A schema is a body plus the ``$defs`` it reaches. When the JSON text is over the limit,
definitions are replaced by a stub (their type and a note) in order of distance from the
body, farthest first, then larger first; definitions no longer reachable are dropped. If
the body alone is still too large, optional nested properties are cut to stubs from the
deepest level up, then long descriptions are shortened. Nothing is cut from a schema
that fits.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from turnloom.tools_env._openapi_schema import dumps

_NOTE = "nested fields omitted to fit the schema size limit"


def stub(name: str, schema: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(schema, dict) and isinstance(schema.get("type"), (str, list)):
        out["type"] = schema["type"]
    out["description"] = f"{name} ({_NOTE})"
    return out


def assemble(body: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return {**body, "$defs": defs} if defs else dict(body)


def _depths(roots: Iterable[str], refs_of: Callable[[str], Iterable[str]], names: set[str]) -> dict[str, int]:
    depth: dict[str, int] = {}
    queue: deque[tuple[str, int]] = deque((r, 1) for r in sorted(roots))
    while queue:
        name, d = queue.popleft()
        if name in depth or name not in names:
            continue
        depth[name] = d
        queue.extend((r, d + 1) for r in sorted(refs_of(name)))
    return depth


def prune(body: dict[str, Any], roots: set[str], defs: dict[str, Any], refs_of: Callable[[str], Iterable[str]],
          size_of: Callable[[str], int], budget: int) -> tuple[dict[str, Any] | None, list[str]]:
    """``body`` with ``defs`` in at most ``budget`` bytes of JSON, and the definitions cut
    (None when even the fully cut body does not fit)."""
    body_size = len(dumps(body))
    total = body_size + 10 + sum(size_of(n) for n in defs)
    if total <= budget:
        return assemble(body, defs), []
    depth = _depths(roots, refs_of, set(defs))
    order = sorted(depth, key=lambda n: (-depth[n], -size_of(n), n))
    cut: set[str] = set()
    estimate = body_size + 10 + sum(size_of(n) for n in depth)
    for name in order:
        if estimate <= budget * 0.9:
            break
        cut.add(name)
        estimate -= size_of(name) - len(name) * 2 - 80
    kept = _depths(roots, lambda n: () if n in cut else refs_of(n), set(defs))
    new_defs = {n: (stub(n, defs[n]) if n in cut else defs[n]) for n in sorted(kept)}
    schema = assemble(body, new_defs)
    if len(dumps(schema)) <= budget:
        return schema, sorted(cut)
    for level in range(6, -1, -1):
        schema = assemble(_cut_deep(body, level), new_defs)
        if len(dumps(schema)) <= budget:
            return schema, sorted(cut)
    schema = _shorten(schema, 160)
    return (schema if len(dumps(schema)) <= budget else None), sorted(cut)


def _cut_deep(schema: Any, level: int) -> Any:
    """``schema`` with optional properties deeper than ``level`` replaced by stubs."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    props = schema.get("properties")
    if isinstance(props, dict):
        required = set(schema.get("required") or [])
        out["properties"] = {
            k: (stub(k, v) if level <= 0 and k not in required and isinstance(v, dict) and _nested(v)
                else _cut_deep(v, level - 1)) for k, v in props.items()}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out[key] = _cut_deep(schema[key], level - 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            out[key] = [_cut_deep(v, level) for v in schema[key]]
    return out


def _nested(schema: dict[str, Any]) -> bool:
    return any(k in schema for k in ("properties", "items", "anyOf", "oneOf", "allOf", "$ref"))


def _shorten(schema: Any, limit: int) -> Any:
    if isinstance(schema, list):
        return [_shorten(v, limit) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {k: _shorten(v, limit) for k, v in value.items()}
        elif key == "description" and isinstance(value, str) and len(value) > limit:
            out[key] = value[: limit - 3].rstrip() + "..."
        elif key in ("examples", "default") and len(dumps(value)) > limit:
            continue
        else:
            out[key] = _shorten(value, limit) if key != "enum" else value
    return out
