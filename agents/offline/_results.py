"""Values the user points at in earlier tool results: "the second one on that list", "option two
from those results", the id a create returned (read by the offline assistant)."""

from __future__ import annotations

import re
from typing import Any

from turnloom.agents.offline._phrasing import ORDINALS, words
from turnloom.tools_env.analysis import singular
from turnloom.tools_env.flow import normalize_name, tool_entities

__all__ = ["COUNTED", "COUNTED_REF_TEXT", "LISTED_REF", "LISTED_REF_TEXT", "MISSING", "find_in_results"]

#: no value found
MISSING = object()

#: the user points into a list of earlier results ("the second one on that list")
_ORDINAL_TEXT = r"(?:first|second|third|fourth|fifth)"
LISTED_REF_TEXT = (rf"(?:was|came|showed up|appeared) {_ORDINAL_TEXT} (?:on|in) (?:that|the|your) (?:list|results)"
                   rf"|you (?:listed|put|had|named) {_ORDINAL_TEXT}"
                   rf"|{_ORDINAL_TEXT} of (?:those|these|the) (?:results|options|matches)"
                   r"|(?:from|among) (?:those|these|the|your) (?:results|options|matches)"
                   r"|(?:on|in) (?:that|this|the|your) list"
                   r"|you (?:found|listed|showed me|came up with|pulled up|mentioned|suggested|dug up)")
LISTED_REF = re.compile(LISTED_REF_TEXT, re.I)
COUNTED = ("one", "two", "three", "four", "five")
#: a place in a list said as a number ("option two on that list", "pick 3 from those results")
COUNTED_REF_TEXT = r"(?:option|number|pick) (?:one|two|three|four|five|[1-5]) (?:" + LISTED_REF_TEXT + ")"
_COUNTED_REF = re.compile(r"\b(?:option|number|pick) (one|two|three|four|five|[1-5]) (?:" + LISTED_REF_TEXT + ")", re.I)


def _ordinal(text: str) -> int:
    said = set(words(text))
    for i, word in enumerate(ORDINALS):
        if word in said:
            return i
    counted = _COUNTED_REF.search(text)
    if counted:
        word = counted.group(1).lower()
        return int(word) - 1 if word.isdigit() else COUNTED.index(word)
    return 0


def find_in_results(param: str, results: list[Any], text: str, sources: list[str] | None = None) -> Any:
    """A value for ``param`` in earlier tool outputs (most recent first); list items are
    picked by the ordinal the user mentions ("the second flight"). ``sources`` names the tool
    behind each result, whose entity a bare ``id`` at the top belongs to (``create_ticket``'s
    ``{"id": 7}`` answers ``ticket_id``)."""
    norm = normalize_name(param)
    entity = norm[:-3] if norm.endswith("_id") else None
    index = _ordinal(text)
    named = list(zip(results, sources or [""] * len(results), strict=True))
    ordered = list(reversed(named))
    if LISTED_REF.search(text):
        # "the first order from those results": a list of records, not the last single record
        ordered = [c for c in ordered if _has_records(c[0])] + [c for c in ordered if not _has_records(c[0])]
    for content, source in ordered:
        own = entity if entity and entity in tool_entities(source) else ""
        value = _search(content, param, entity, index, own)
        if value is MISSING and norm != param:
            value = _search(content, norm, entity, index, own)
        if value is not MISSING:
            return value
    return MISSING


def _has_records(content: Any) -> bool:
    return isinstance(content, dict) and any(
        isinstance(v, list) and v and isinstance(v[0], dict) for v in content.values())


def _search(node: Any, param: str, entity: str | None, index: int, container: str = "") -> Any:
    if isinstance(node, dict):
        if param in node and not isinstance(node[param], (dict, list)):
            return node[param]
        if entity and "id" in node and singular(container) == entity:
            return node["id"]
        for key in sorted(node):
            if isinstance(node[key], (dict, list)):
                got = _search(node[key], param, entity, index, key)
                if got is not MISSING:
                    return got
    elif isinstance(node, list) and node:
        pick = node[index] if index < len(node) else node[-1]
        return _search(pick, param, entity, index, container)
    return MISSING
