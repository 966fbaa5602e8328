"""Deficiency mining (iTool): the steps the current policy gets wrong or finds hardest.

Input: the dialogues and the per-step rows of an evaluation (``steps.jsonl`` of
``turnloom eval``). A step is *deficient* when

* the policy failed it (its answer did not match the gold step), or
* NLL scores exist (``turnloom eval --nll``) and the step is among the ``top``
  fraction (default 30%) with the highest NLL -- ranked separately among tool-call
  steps and among no-call steps, as iTool ranks tool-call and non-tool replies apart.

The deficient dialogues are written in input order, each with
``stats["itool"] = {"deficient_steps": [...], "failed": [...], "high_nll": [...]}`` so
that ``turnloom mcts`` roots its trees at exactly those steps.

Evaluation rows of dialogues not in the input are ignored (mining a part of an evaluated
file is fine), but when no row belongs to the input the evaluation is of another dataset,
and :func:`mine` says so instead of reporting zero deficient steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from turnloom.itool._io import InputError
from turnloom.schema import Dialogue

__all__ = ["MineResult", "mine"]


@dataclass
class MineResult:
    dialogues: list[Dialogue]
    stats: dict[str, Any]


def _top(rows: list[dict[str, Any]], fraction: float) -> set[tuple[str, int]]:
    scored = sorted((r for r in rows if r.get("nll") is not None),
                    key=lambda r: (-float(r["nll"]), str(r["dialogue_id"]), int(r["index"])))
    k = math.ceil(len(scored) * fraction) if scored else 0
    return {(str(r["dialogue_id"]), int(r["index"])) for r in scored[:k]}


def _ids(ids: list[str], limit: int = 3) -> str:
    return ", ".join(ids[:limit]) + (", ..." if len(ids) > limit else "") if ids else "none"


def mine(dialogues: Sequence[Dialogue], steps: Iterable[dict[str, Any]], *, top: float = 0.3) -> MineResult:
    if not 0.0 <= top <= 1.0:
        raise ValueError(f"top must be a fraction in [0, 1], got {top}")
    rows = list(steps)
    known = {d.id for d in dialogues}
    evaluated = sorted({str(r.get("dialogue_id")) for r in rows})
    rows = [r for r in rows if str(r.get("dialogue_id")) in known]
    if evaluated and not rows:
        raise InputError(f"the evaluation is of another dataset: none of its {len(evaluated)} evaluated dialogues "
                         f"({_ids(evaluated)}) is among the {len(known)} given ({_ids(sorted(known))}); "
                         "run `turnloom eval` on these dialogues first")
    failed = {(str(r["dialogue_id"]), int(r["index"])) for r in rows if not r.get("ok")}
    has_nll = any(r.get("nll") is not None for r in rows)
    high: set[tuple[str, int]] = set()
    if has_nll:
        high = _top([r for r in rows if r.get("calls")], top) | _top([r for r in rows if not r.get("calls")], top)
    out = []
    for d in dialogues:
        f = sorted(i for did, i in failed if did == d.id)
        h = sorted(i for did, i in high if did == d.id)
        marked = sorted(set(f) | set(h))
        if not marked:
            continue
        stats = {**d.stats, "itool": {"deficient_steps": marked, "failed": f, "high_nll": h}}
        out.append(d.model_copy(update={"stats": stats}))
    return MineResult(out, {
        "dialogues": len(dialogues),
        "evaluated_steps": len(rows),
        "failed_steps": len(failed),
        "nll_scored": has_nll,
        "high_nll_steps": len(high),
        "top": top,
        "deficient_dialogues": len(out),
        "deficient_steps": sum(len(d.stats["itool"]["deficient_steps"]) for d in out),
    })
