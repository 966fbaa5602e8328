"""Data-flow links between tools: which returned field can feed which parameter.

A :class:`Link` says that the value at ``field`` (a dotted path in ``source``'s
``returns`` schema, array items written ``[]``) can be passed as ``target``'s
top-level parameter ``param``. The offline planner uses links to build dependent
calls; the tool graph turns them into directed edges.

Matching is by name, on identifiers normalized to ``snake_case`` (``bookingId``,
``BookingID`` and ``booking_id`` are one name):

====================================================================  =====
rule                                                                  score
====================================================================  =====
leaf name equals the parameter name exactly                           1.0
same name after normalization (``bookingId`` -> ``booking_id``)       0.95
generic ``id`` inside an entity container (``flights[].id``,
``booking.id``) -> ``<entity>_id`` (singularized container name),
or -> ``id`` of a tool named after that entity (``get_booking``)      0.9
generic ``id`` at the root, entity taken from the source tool's name
(``create_booking`` returns ``{"id"}`` -> ``booking_id``)             0.85
one side plural, the other singular (``flight_id`` -> ``flight_ids``) 0.8
====================================================================  =====

The value types must be compatible (an integer may feed a number; an array
parameter takes values of its item type; a missing type matches anything).
Option parameters that carry no data (``limit``, ``page``, ``sort_by``,
``language``...) and boolean fields never link: a flag returned by one tool is not
data another tool consumes. Descriptive attributes that name no particular thing
(``status``, ``name``, ``title``, ``quantity``... see :data:`DESCRIPTORS`) link only
between tools of one domain: an order's ``status`` is no filter for a ticket search.

Links are found by :func:`turnloom.tools_env.links.find_links`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from turnloom.schema import ToolSpec

__all__ = [
    "CONTROL_PARAMS",
    "DESCRIPTORS",
    "Link",
    "normalize_name",
    "output_fields",
    "singular",
    "tool_entities",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: parameters that tune a call rather than name data; never a link end
CONTROL_PARAMS: frozenset[str] = _words(
    "limit offset page page_size per_page max_results sort sort_by sort_order order_by format language"
    " lang locale verbose fields include timeout"
)

#: descriptive attributes that name no particular thing; they link only within a domain
DESCRIPTORS: frozenset[str] = _words(
    "status state name title description category type kind quantity count total notes note message text"
    " comment label tag tags summary value"
)

_SCALARS = frozenset({"string", "integer", "number", "boolean", "null"})
_VERBS = _words(
    "get create list search find fetch update delete cancel add remove check retrieve lookup look up set"
    " make book new edit modify query show view read post put patch submit register schedule place track"
    " all"
)
_CUT = _words("by for with from in of to on and")
_GENERIC = _words(
    "details detail info information data record records summary result results response payload item"
    " items entry entries status list"
)
_KEEP_S = ("ss", "us", "is", "news", "series", "species")
_MAX_DEPTH = 12


@dataclass(frozen=True, order=True)
class Link:
    """``source``'s returned ``field`` can be passed as ``target``'s parameter ``param``."""

    source: str
    field: str
    target: str
    param: str
    score: float


@lru_cache(maxsize=16384)
def normalize_name(name: str) -> str:
    """``snake_case`` form of an identifier: ``bookingID`` -> ``booking_id``.

    Used for matching only; link fields and parameters keep their original spelling.
    """
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def singular(word: str) -> str:
    """Crude English singular of one lower-case word (``flights`` -> ``flight``, ``cities`` -> ``city``)."""
    if word == "ids":
        return "id"
    if len(word) <= 3 or word.endswith(_KEEP_S):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def _singular_key(norm: str) -> str:
    head, _, last = norm.rpartition("_")
    return f"{head}_{singular(last)}" if head else singular(last)


def _resolve(schema: Any, root: dict[str, Any], seen: frozenset[str]) -> tuple[dict[str, Any], frozenset[str]]:
    """Follow local ``$ref`` pointers (``#/$defs/X``, ``#/definitions/X``); stop on cycles."""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if not ref.startswith("#") or ref in seen:
            return {}, seen
        seen = seen | {ref}
        target: Any = root
        for part in ref[1:].split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        schema = target
    return (schema if isinstance(schema, dict) else {}), seen


def _types(schema: dict[str, Any]) -> frozenset[str]:
    raw = schema.get("type")
    if isinstance(raw, str):
        found = {raw}
    elif isinstance(raw, list):
        found = {t for t in raw if isinstance(t, str)}
    elif "properties" in schema:
        found = {"object"}
    elif "items" in schema:
        found = {"array"}
    else:
        found = set()
    return frozenset(found - {"null"})


def _variants(schema: dict[str, Any], root: dict[str, Any], seen: frozenset[str]) -> list[dict[str, Any]]:
    """The non-null alternatives of ``anyOf``/``oneOf``, or ``allOf`` merged into one schema."""
    if "allOf" in schema and isinstance(schema["allOf"], list):
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        props: dict[str, Any] = dict(merged.get("properties", {}))
        for part in schema["allOf"]:
            sub, _ = _resolve(part, root, seen)
            props.update(sub.get("properties", {}))
            for key, value in sub.items():
                merged.setdefault(key, value)
        if props:
            merged["properties"] = props
        return [merged]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            out = []
            for part in schema[key]:
                sub, _ = _resolve(part, root, seen)
                if _types(sub) or sub.get("properties") or sub.get("items"):
                    out.append(sub)
            return out
    return [schema]


def _walk(
    schema: Any, path: str, root: dict[str, Any], seen: frozenset[str], depth: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    resolved, seen = _resolve(schema, root, seen)
    if depth > _MAX_DEPTH:
        return
    for variant in _variants(resolved, root, seen):
        types = _types(variant)
        if "object" in types or isinstance(variant.get("properties"), dict):
            for name, sub in (variant.get("properties") or {}).items():
                yield from _walk(sub, f"{path}.{name}" if path else name, root, seen, depth + 1)
        elif "array" in types:
            yield from _walk(variant.get("items", {}), f"{path}[]", root, seen, depth + 1)
        elif path and (not types or types <= _SCALARS):
            yield path, variant


def output_fields(tool: ToolSpec) -> list[tuple[str, dict[str, Any]]]:
    """``(dotted path, leaf schema)`` of every scalar field in ``tool.returns``, in schema order.

    Array items are written ``[]`` (``flights[].flight_id``; ``tags[]`` for an array of
    strings); local ``$ref``/``$defs`` are resolved, ``allOf`` merged and each ``anyOf``/``oneOf``
    alternative walked. A bare scalar return value has no name and yields nothing.
    """
    if not tool.returns:
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    seen_paths: set[str] = set()
    for path, leaf in _walk(tool.returns, "", tool.returns, frozenset(), 0):
        if path not in seen_paths:
            seen_paths.add(path)
            out.append((path, leaf))
    return out


def tool_entities(name: str) -> list[str]:
    """Entity names a tool is about, from its name: ``get_flight_details`` -> ``["flight"]``."""
    words = normalize_name(name).split("_")
    while len(words) > 1 and words[0] in _VERBS:
        words = words[1:]
    for i, word in enumerate(words):
        if word in _CUT:
            words = words[:i]
            break
    while len(words) > 1 and words[-1] in _GENERIC:
        words = words[:-1]
    if not words:
        return []
    last = singular(words[-1])
    joined = "_".join([*words[:-1], last])
    return [last] if joined == last else [joined, last]
