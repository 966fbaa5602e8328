"""How assistant replies relate to the tool results they report: the share of replies
that quote at least one result value (a name, a number, an id, a date)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from turnloom.schema import Dialogue, json_leaves

__all__ = ["quoting_share", "reports"]

#: a value shorter than this (``"ok"``, ``"a"``) quotes nothing
_MIN_CHARS = 2


def _leaves(node: Any) -> Iterator[str]:
    """The scalar values of a result as a reply would quote them (floats to 2 places or trimmed)."""
    for leaf in json_leaves(node):
        if isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, float):
            text = f"{leaf:.2f}"
            yield text
            yield text.rstrip("0").rstrip(".")
        elif isinstance(leaf, (int, str)):
            text = str(leaf).strip()
            if len(text) >= _MIN_CHARS:
                yield text


def reports(d: Dialogue) -> list[tuple[str, list[Any]]]:
    """Each assistant reply that follows successful tool results, with those results."""
    out: list[tuple[str, list[Any]]] = []
    pending: list[Any] = []
    for m in d.messages:
        if m.role == "tool" and m.result is not None and m.result.ok:
            pending.append(m.result.content)
        elif m.role == "assistant" and m.tool_calls:
            continue
        elif m.role == "assistant":
            if pending and m.content:
                out.append((m.content, pending))
            pending = []
        elif m.role == "user":
            pending = []
    return out


def quotes(reply: str, results: list[Any]) -> bool:
    """True when the reply contains at least one scalar value of the results."""
    lowered = reply.lower()
    return any(value.lower() in lowered for content in results for value in _leaves(content))


def quoting_share(dialogues: Iterable[Dialogue]) -> tuple[int, float]:
    """(replies that report results, share of them quoting a result value)."""
    found = [quotes(reply, results) for d in dialogues for reply, results in reports(d)]
    return len(found), round(sum(found) / len(found), 4) if found else 0.0
