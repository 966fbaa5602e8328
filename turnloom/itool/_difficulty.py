"""Offline difficulty of a dialogue: a documented weighted sum of structural features.

ToolACE observes that a model's loss on a sample grows with the number of candidate
APIs, the number of APIs used and how far the query is from the API descriptions;
iTool orders warm-up data easy → hard. Without a model, turnloom scores what makes a
dialogue hard to reproduce turn by turn:

==================  ======  ================================================================
feature             weight  what is counted
==================  ======  ================================================================
candidates          0.25    tools offered to the assistant
calls               1.0     tool calls made
distinct_tools      0.75    different tools called
dependency_depth    1.5     longest chain of plan steps that build on earlier ones
                            (``depends_on`` of dependent and follow-up steps)
parallel_calls      1.0     calls made together with another call in one message
clarifications      1.25    clarification steps (the assistant must ask before calling)
error_recoveries    1.25    tool errors the assistant had to recover from
arguments           0.15    arguments passed, over all calls
nesting             0.75    deepest nesting of an argument value (a list or object inside)
turns               0.5     user turns
==================  ======  ================================================================

``score = Σ weight · feature``. The weights are a choice (no published values): a call
counts 1, the structures that need reasoning across turns count more, and the many
small things (tools on offer, arguments) count less.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from turnloom.schema import Dialogue

__all__ = ["FEATURE_WEIGHTS", "LEVELS", "features", "ranks", "spearman", "structural_score", "terciles"]

FEATURE_WEIGHTS: dict[str, float] = {
    "candidates": 0.25,
    "calls": 1.0,
    "distinct_tools": 0.75,
    "dependency_depth": 1.5,
    "parallel_calls": 1.0,
    "clarifications": 1.25,
    "error_recoveries": 1.25,
    "arguments": 0.15,
    "nesting": 0.75,
    "turns": 0.5,
}
LEVELS: tuple[str, str, str] = ("easy", "medium", "hard")


def _nesting(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_nesting(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_nesting(v) for v in value), default=0)
    return 0


def _depth(dialogue: Dialogue) -> int:
    depth: dict[int, int] = {}
    for step in dialogue.plan.steps:
        deps = [d for d in step.depends_on if d in depth]
        depth[step.index] = 1 + max(depth[d] for d in deps) if deps else 0
    return max(depth.values(), default=0)


def features(dialogue: Dialogue) -> dict[str, int]:
    calls = [c for m in dialogue.messages if m.role == "assistant" for c in m.tool_calls]
    return {
        "candidates": len(dialogue.tools),
        "calls": len(calls),
        "distinct_tools": len({c.name for c in calls}),
        "dependency_depth": _depth(dialogue),
        "parallel_calls": sum(len(m.tool_calls) for m in dialogue.messages if len(m.tool_calls) > 1),
        "clarifications": sum(1 for s in dialogue.plan.steps if s.kind == "clarification"),
        "error_recoveries": sum(1 for m in dialogue.messages
                                if m.role == "tool" and m.result is not None and not m.result.ok),
        "arguments": sum(len(c.arguments) for c in calls),
        "nesting": max((_nesting(v) for c in calls for v in c.arguments.values()), default=0),
        "turns": sum(1 for m in dialogue.messages if m.role == "user"),
    }


def structural_score(feats: dict[str, int], weights: dict[str, float] | None = None) -> float:
    w = weights or FEATURE_WEIGHTS
    return round(sum(w[k] * feats.get(k, 0) for k in w), 6)


def terciles(scores: Sequence[tuple[str, float]]) -> dict[str, str]:
    """id -> easy/medium/hard by rank (ascending score, ties by id); the three parts differ
    in size by at most one."""
    order = sorted(scores, key=lambda x: (x[1], x[0]))
    n = len(order)
    out = {}
    for rank, (key, _) in enumerate(order):
        out[key] = LEVELS[min(2, rank * 3 // n)] if n else LEVELS[0]
    return out


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties given their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson on average ranks); None when undefined."""
    if len(xs) != len(ys) or len(xs) < 2:
        return None
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    if vx == 0 or vy == 0:
        return None
    return round(cov / math.sqrt(vx * vy), 6)
