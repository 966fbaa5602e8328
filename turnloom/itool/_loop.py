"""One iTool iteration: eval → mine → MCTS → (train) → eval again.

Files under the output folder::

    eval_before/     steps.jsonl, dialogues.jsonl, summary.json (policy before training)
    deficient.jsonl  the dialogues with deficient steps (stats["itool"] marks them)
    pairs.jsonl      TRL conversational DPO rows with tools, plus "meta"
    eval_after/      the same evaluation after training (or of --after-model)
    summary.json     before/after figures, their change, mining and MCTS counts, training run

The trainer is any command (``--train-cmd``), run as a subprocess without a shell:
``{pairs}``, ``{out}`` and ``{data}`` in it are replaced by the pairs file, the output
folder and the input dialogue file; without ``{pairs}`` the pairs path is appended as
the last argument. No model answers are cached here, so the second evaluation asks
the (retrained) model again.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from turnloom.itool._curriculum import difficulty_levels
from turnloom.itool._eval import evaluate, write_eval
from turnloom.itool._io import dialogue_lines, json_text, load_dialogues
from turnloom.itool._mcts import MCTSConfig, run_mcts
from turnloom.itool._mine import mine
from turnloom.itool._nll import make_nll_scorer
from turnloom.itool._policy import make_policy

__all__ = ["IterationConfig", "TrainError", "run_iteration", "train_command"]


class TrainError(RuntimeError):
    """The trainer command could not be started or exited with an error."""


@dataclass
class IterationConfig:
    model: str
    after_model: str | None = None
    train_cmd: str | None = None
    top: float = 0.3
    mcts: MCTSConfig = field(default_factory=MCTSConfig)
    samples: int = 3
    temperature: float = 1.0
    concurrency: int = 4
    #: score the gold steps' NLL before training (``openai:MODEL@URL`` or ``hf:PATH``) so that
    #: mining also keeps the top ``top`` fraction by perplexity
    nll: str | None = None


def train_command(template: str, *, pairs: Path, out: Path, data: Path) -> list[str]:
    args = shlex.split(template)
    if not args:
        raise TrainError("--train-cmd is empty")
    if not any("{pairs}" in a for a in args):
        args.append("{pairs}")
    return [a.replace("{pairs}", str(pairs)).replace("{out}", str(out)).replace("{data}", str(data)) for a in args]


def _delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float | None]:
    def d(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(b - a, 6)

    return {
        "accuracy": d(before["accuracy"], after["accuracy"]),
        "call_steps": d(before["call_steps"]["accuracy"], after["call_steps"]["accuracy"]),
        "no_call_steps": d(before["no_call_steps"]["accuracy"], after["no_call_steps"]["accuracy"]),
        "dialogue_accuracy": d(before["dialogue_accuracy"], after["dialogue_accuracy"]),
        "state_match_rate": d(before["state_match_rate"], after["state_match_rate"]),
    }


async def _evaluate(spec: str, dialogues: list[Any], levels: dict[str, str], cfg: IterationConfig,
                    out: Path, nll: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    policy = make_policy(spec)
    scorer = make_nll_scorer(nll) if nll else None
    try:
        result = await evaluate(dialogues, policy, levels=levels, seed=cfg.mcts.seed, concurrency=cfg.concurrency,
                                nll=scorer)
    finally:
        await policy.close()
        close = getattr(scorer, "close", None)
        if callable(close):
            close()
    return write_eval(result, out, {"nll_model": nll}), [asdict(s) for s in result.steps]


async def run_iteration(data: Path, out_dir: Path, cfg: IterationConfig,
                        on_stage: Callable[[str], None] | None = None) -> dict[str, Any]:
    from turnloom.export._io import atomic_write_text, jsonl_text

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name)

    dialogues = load_dialogues(data)
    levels = difficulty_levels(dialogues)
    out_dir.mkdir(parents=True, exist_ok=True)
    stage("eval (before)")
    before, steps = await _evaluate(cfg.model, dialogues, levels, cfg, out_dir / "eval_before", cfg.nll)
    stage("mine")
    mined = mine(dialogues, steps, top=cfg.top)
    atomic_write_text(out_dir / "deficient.jsonl", dialogue_lines(mined.dialogues))
    stage("mcts")
    policy = make_policy(cfg.model, samples=cfg.samples, temperature=cfg.temperature, seed=cfg.mcts.seed) \
        if cfg.model != "offline" else None
    try:
        searched = await run_mcts(mined.dialogues, cfg.mcts, policy=policy)
    finally:
        if policy is not None:
            await policy.close()
    pairs_path = out_dir / "pairs.jsonl"
    atomic_write_text(pairs_path, jsonl_text(searched.pairs))
    train: dict[str, Any] = {"command": None, "returncode": None, "seconds": None, "skipped": None}
    if cfg.train_cmd and searched.pairs:
        args = train_command(cfg.train_cmd, pairs=pairs_path, out=out_dir, data=data)
        stage("train: " + shlex.join(args))
        started = time.monotonic()
        try:
            proc = subprocess.run(args, check=False)  # noqa: S603 - the user's own trainer command
        except OSError as exc:
            raise TrainError(f"cannot run the trainer {args[0]!r}: {exc}") from exc
        train = {"command": args, "returncode": proc.returncode, "seconds": round(time.monotonic() - started, 3),
                 "skipped": None}
        if proc.returncode != 0:
            raise TrainError(f"the trainer exited with status {proc.returncode}: {shlex.join(args)}")
    elif cfg.train_cmd:
        train["skipped"] = "no preference pairs"
    else:
        train["skipped"] = "no --train-cmd"
    after_spec = cfg.after_model or cfg.model
    stage("eval (after)")
    after, _ = await _evaluate(after_spec, dialogues, levels, cfg, out_dir / "eval_after")
    summary = {
        "data": str(data),
        "model": cfg.model,
        "after_model": after_spec,
        "before": before,
        "after": after,
        "change": _delta(before, after),
        "mine": mined.stats,
        "mcts": {**searched.stats, "config": asdict(cfg.mcts)},
        "train": train,
    }
    atomic_write_text(out_dir / "summary.json", json_text(summary))
    return summary
