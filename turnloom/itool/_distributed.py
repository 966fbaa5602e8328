"""``eval`` and ``mcts`` spread over Ray: contiguous chunks of dialogues evaluated (or
searched) on Ray tasks, the results joined back in input order, so the files are those
of a local run."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from turnloom.itool._eval import EvalResult, evaluate
from turnloom.itool._mcts import DialogueSearch, MCTSConfig, MCTSResult, merge_searches, search_dialogue
from turnloom.schema import Dialogue

__all__ = ["evaluate_on_ray", "mcts_on_ray"]


def _eval_chunk(lines: list[str], model: str, seed: int, concurrency: int, levels: dict[str, str],
                cache: str | None, nll: str | None) -> EvalResult:
    """One Ray task: rebuild the policy from its spec and evaluate a chunk of dialogues."""
    from pathlib import Path

    from turnloom.itool import make_nll_scorer, make_policy

    dialogues = [Dialogue.model_validate_json(line) for line in lines]
    policy = make_policy(model, cache_path=Path(cache) if cache else None)
    scorer = make_nll_scorer(nll) if nll else None

    async def go() -> EvalResult:
        try:
            return await evaluate(dialogues, policy, levels=levels, seed=seed, concurrency=concurrency, nll=scorer)
        finally:
            await policy.close()

    return asyncio.run(go())


def evaluate_on_ray(dialogues: Sequence[Dialogue], model: str, *, seed: int = 0, concurrency: int = 4,
                    levels: dict[str, str] | None = None, cache: str | None = None, nll: str | None = None,
                    workers: int = 2, address: str | None = None, chunk: int = 8) -> EvalResult:
    """:func:`evaluate` over Ray tasks (``workers`` CPUs of a local Ray, or the cluster at
    ``address``); the same result as a local run."""
    from turnloom.executors_ray import ray_map

    lines = [d.model_dump_json() for d in dialogues]
    chunks = [lines[i:i + chunk] for i in range(0, len(lines), chunk)]
    parts: list[Any] = ray_map(_eval_chunk, chunks, shared=(model, seed, concurrency, levels or {}, cache, nll),
                               address=address, local_cpus=workers)
    return EvalResult(model=parts[0].model if parts else model,
                      steps=[s for p in parts for s in p.steps],
                      dialogues=[d for p in parts for d in p.dialogues])


def _mcts_chunk(lines: list[str], cfg: MCTSConfig, model: str | None, samples: int, temperature: float,
                cache: str | None) -> list[DialogueSearch]:
    """One Ray task: rebuild the policy from its spec (as ``turnloom mcts`` does) and search a chunk of dialogues."""
    from pathlib import Path

    from turnloom.agents.verify.verifier import RuleVerifier
    from turnloom.itool import Policy, make_policy

    dialogues = [Dialogue.model_validate_json(line) for line in lines]
    policy: Policy | None = make_policy(model, cache_path=Path(cache) if cache else None, samples=samples,
                                        temperature=temperature, seed=cfg.seed) if model else None

    async def go() -> list[DialogueSearch]:
        verifier = RuleVerifier()
        try:
            return [await search_dialogue(d, cfg, policy=policy, verifier=verifier) for d in dialogues]
        finally:
            if policy is not None:
                await policy.close()

    return asyncio.run(go())


def mcts_on_ray(dialogues: Sequence[Dialogue], cfg: MCTSConfig, *, model: str | None = None, samples: int = 3,
                temperature: float = 1.0, cache: str | None = None, workers: int = 2, address: str | None = None,
                chunk: int = 2) -> MCTSResult:
    """:func:`~turnloom.itool.run_mcts` over Ray tasks (``workers`` CPUs of a local Ray, or the
    cluster at ``address``), ``chunk`` dialogues a task; the same result as a local run.

    ``model`` is a policy spec (None: no policy, ``"offline"``, or a model spec with
    ``samples``, ``temperature`` and the SQLite ``cache``), rebuilt on every task.
    """
    from turnloom.executors_ray import ray_map

    chunk = max(1, chunk)
    lines = [d.model_dump_json() for d in dialogues]
    chunks = [lines[i:i + chunk] for i in range(0, len(lines), chunk)]
    parts: list[list[DialogueSearch]] = ray_map(_mcts_chunk, chunks,
                                                shared=(cfg, model, samples, temperature, cache),
                                                address=address, local_cpus=workers)
    return merge_searches(s for part in parts for s in part)
