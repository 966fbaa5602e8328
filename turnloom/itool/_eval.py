"""Step-level evaluation of a policy on recorded dialogues (BFCL-style), plus final state.

For every assistant step the policy sees the gold prefix and the tools; its answer is
compared with the gold step by :func:`~turnloom.itool._ast.match_step`. Per dialogue,
the calls the policy made over all its steps are replayed in the mock environment
from ``world_initial`` and the final ``digest()`` is compared with the gold one
(τ-bench style; the differing entity tables are named). A dialogue whose own gold calls
do not reproduce its recorded final world has no state verdict (``state_match: null``).

Outputs (``write_eval``): ``steps.jsonl`` (one row per step), ``dialogues.jsonl`` (one
row per dialogue) and ``summary.json`` (accuracy overall, by step kind, by difficulty,
for call and no-call steps, dialogue accuracy and state match rate).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from turnloom.itool._ast import match_step
from turnloom.itool._nll import NLLScorer
from turnloom.itool._policy import Policy
from turnloom.itool._steps import AssistantStep, assistant_steps, replay_env, replay_messages
from turnloom.schema import Dialogue, Message, derive_seed
from turnloom.tools_env.world import World, world_diff

__all__ = ["DialogueResult", "EvalResult", "StepResult", "evaluate", "summarize", "write_eval"]


@dataclass
class StepResult:
    dialogue_id: str
    index: int
    kind: str
    #: the gold step calls tools (a tool-call step) or not (a no-call step)
    calls: bool
    level: str
    ok: bool
    reason: str = ""
    predicted: dict[str, Any] | None = None
    error: str | None = None
    nll: float | None = None
    tokens: int | None = None


@dataclass
class DialogueResult:
    id: str
    level: str
    steps: int
    correct: int
    state_match: bool | None
    state_diff: list[str] = field(default_factory=list)

    @property
    def all_correct(self) -> bool:
        return self.steps == self.correct


@dataclass
class EvalResult:
    model: str
    steps: list[StepResult]
    dialogues: list[DialogueResult]

    def summary(self) -> dict[str, Any]:
        return summarize(self.model, self.steps, self.dialogues)


def _compact(message: Message | None) -> dict[str, Any] | None:
    if message is None:
        return None
    return {"content": message.content or "", "tool_calls": [{"name": c.name, "arguments": c.arguments}
                                                             for c in message.tool_calls]}


def _rate(ok: int, n: int) -> float | None:
    return round(ok / n, 6) if n else None


def _group(steps: Sequence[StepResult], key: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for s in steps:
        slot = out.setdefault(str(getattr(s, key)), {"steps": 0, "correct": 0})
        slot["steps"] += 1
        slot["correct"] += int(s.ok)
    for slot in out.values():
        slot["accuracy"] = _rate(slot["correct"], slot["steps"])
    return dict(sorted(out.items()))


def summarize(model: str, steps: Sequence[StepResult], dialogues: Sequence[DialogueResult]) -> dict[str, Any]:
    call = [s for s in steps if s.calls]
    no_call = [s for s in steps if not s.calls]
    comparable = [d for d in dialogues if d.state_match is not None]
    nlls = [(s.nll, s.tokens or 0) for s in steps if s.nll is not None]
    tokens = sum(t for _, t in nlls)
    return {
        "model": model,
        "steps": len(steps),
        "correct": sum(s.ok for s in steps),
        "accuracy": _rate(sum(s.ok for s in steps), len(steps)),
        "call_steps": {"steps": len(call), "correct": sum(s.ok for s in call),
                       "accuracy": _rate(sum(s.ok for s in call), len(call)),
                       "relevance": _rate(sum(1 for s in call if s.predicted and s.predicted["tool_calls"]),
                                          len(call))},
        "no_call_steps": {"steps": len(no_call), "correct": sum(s.ok for s in no_call),
                          "accuracy": _rate(sum(s.ok for s in no_call), len(no_call))},
        "by_kind": _group(steps, "kind"),
        "by_difficulty": _group(steps, "level"),
        "policy_errors": sum(1 for s in steps if s.error),
        "dialogues": len(dialogues),
        "dialogue_accuracy": _rate(sum(d.all_correct for d in dialogues), len(dialogues)),
        "state_compared": len(comparable),
        "state_match_rate": _rate(sum(bool(d.state_match) for d in comparable), len(comparable)),
        "mean_nll": round(sum(n * t for n, t in nlls) / tokens, 6) if tokens else None,
    }


async def _run_step(policy: Policy, step: AssistantStep, seed: int, sem: asyncio.Semaphore) -> tuple[Any, Any]:
    async with sem:
        answer = await policy.act(step.prefix, step.tools, derive_seed(seed, step.dialogue_id, step.index))
    return answer.message, answer.error


def _state(dialogue: Dialogue, predicted: list[Message | None]) -> tuple[bool | None, list[str]]:
    replay = replay_env(dialogue)
    if not replay.reproduces:
        return None, []
    start = World.model_validate(dialogue.world_initial)
    final = replay_messages(replay.env, start, [m for m in predicted if m is not None])
    gold = World.model_validate(dialogue.world_final)
    if final.digest() == gold.digest():
        return True, []
    return False, sorted(world_diff(gold, final)) or ["memo"]


async def evaluate(dialogues: Sequence[Dialogue], policy: Policy, *, levels: dict[str, str] | None = None,
                   seed: int = 0, concurrency: int = 4, nll: NLLScorer | None = None) -> EvalResult:
    """Run ``policy`` on every assistant step of ``dialogues`` (see the module docstring)."""
    levels = levels or {}
    sem = asyncio.Semaphore(max(1, concurrency))
    steps_out: list[StepResult] = []
    dialogues_out: list[DialogueResult] = []
    for d in dialogues:
        steps = list(assistant_steps(d))
        answers = await asyncio.gather(*(_run_step(policy, s, seed, sem) for s in steps))
        scores = {s.index: s for s in nll.score(d)} if nll is not None else {}
        level = levels.get(d.id, "")
        rows = []
        for step, (message, error) in zip(steps, answers, strict=True):
            match = match_step(message, step.gold, step.tools)
            sc = scores.get(step.index)
            rows.append(StepResult(
                dialogue_id=d.id, index=step.index, kind=step.kind, calls=step.calls, level=level,
                ok=match.ok and error is None, reason=error or match.reason, predicted=_compact(message),
                error=error, nll=round(sc.mean, 6) if sc is not None and sc.mean is not None else None,
                tokens=sc.tokens if sc is not None else None,
            ))
        state, diff = _state(d, [m for m, _ in answers])
        steps_out.extend(rows)
        dialogues_out.append(DialogueResult(d.id, level, len(rows), sum(r.ok for r in rows), state, diff))
    return EvalResult(policy.spec, steps_out, dialogues_out)


def write_eval(result: EvalResult, out_dir: Path, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``steps.jsonl``, ``dialogues.jsonl`` and ``summary.json``; return the summary."""
    from turnloom.export._io import atomic_write_files, jsonl_text
    from turnloom.itool._io import json_text

    summary = {**result.summary(), **(extra or {})}
    atomic_write_files(out_dir, {
        "steps.jsonl": jsonl_text(asdict(s) for s in result.steps),
        "dialogues.jsonl": jsonl_text({**asdict(d), "all_correct": d.all_correct} for d in result.dialogues),
        "summary.json": json_text(summary),
    })
    return summary
