"""The batch runner: simulate n dialogues concurrently, stream them to JSONL in index
order, and resume after a crash with nothing lost or duplicated.

Output directory layout::

    accepted.jsonl   one Dialogue per line, accepted ones, in index order
    rejected.jsonl   the rejected ones, with their verdicts
    manifest.json    scenario, seed, versions, counts, timings, usage
    .progress.json   how far the JSONL files are complete (for --resume)

Each dialogue line is appended and flushed before ``.progress.json`` is replaced
atomically; on resume both files are truncated to the recorded sizes, so a line
written after the last progress record (a crash in between) is dropped and written
again identically.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from turnloom.executors import Executor, LocalExecutor, Outcome
from turnloom.files import atomic_write_json
from turnloom.simulate import Simulator

__all__ = ["RunError", "RunResult", "run_batch", "write_json_atomic"]


#: seconds between durability points (fsync + progress record); a crash loses at most this much work
SYNC_EVERY = 0.25


class RunError(RuntimeError):
    """The run cannot start (e.g. the output directory holds another run)."""


@dataclass
class RunResult:
    out_dir: Path
    n: int
    accepted: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    resumed_from: int = 0


def write_json_atomic(path: Path, data: Any) -> None:
    atomic_write_json(path, data)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("turnloom", "langgraph", "autogen-agentchat", "pydantic", "faker", "jsonschema", "networkx"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


async def run_batch(
    sim: Simulator,
    *,
    n: int,
    seed: int,
    out_dir: Path,
    concurrency: int = 8,
    resume: bool = False,
    overwrite: bool = False,
    on_result: Callable[[Outcome], None] | None = None,
    extra_manifest: dict[str, Any] | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Simulate dialogues ``0..n-1`` (those not yet written, with ``resume``) and write them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    acc_path, rej_path = out_dir / "accepted.jsonl", out_dir / "rejected.jsonl"
    prog_path, man_path = out_dir / ".progress.json", out_dir / "manifest.json"
    params = {"scenario": sim.scenario.name, "seed": seed, "agents": dict(sim.agent_refs)}
    start_index = 0
    result = RunResult(out_dir=out_dir, n=n)
    usage: dict[str, dict[str, int]] = {}
    if resume and prog_path.exists():
        prog = json.loads(prog_path.read_text(encoding="utf-8"))
        if prog.get("params") != json.loads(json.dumps(params)):
            raise RunError(f"{out_dir}: the run there used {prog.get('params')}, not {params}; "
                           "resume needs the same scenario, seed and agents")
        start_index = int(prog["next_index"])
        for path, size in ((acc_path, prog["accepted_bytes"]), (rej_path, prog["rejected_bytes"])):
            with open(path, "a+b") as fh:
                fh.truncate(int(size))
        result.accepted, result.rejected = int(prog["accepted"]), int(prog["rejected"])
        result.reasons = Counter(prog.get("reasons", {}))
        usage = {k: dict(v) for k, v in prog.get("usage", {}).items()}
        result.resumed_from = start_index
    elif (acc_path.exists() or rej_path.exists()) and not overwrite:
        raise RunError(f"{out_dir} already holds a run (accepted.jsonl / rejected.jsonl); "
                       "pass --resume to continue it or --overwrite to replace it")
    else:
        for path in (acc_path, rej_path):
            path.write_bytes(b"")
        prog_path.unlink(missing_ok=True)

    executor = executor or LocalExecutor(sim, concurrency)
    t0 = time.perf_counter()
    acc_fh = open(acc_path, "ab")  # noqa: SIM115 - closed in finally
    rej_fh = open(rej_path, "ab")  # noqa: SIM115
    try:
        def record_progress(next_index: int) -> None:
            write_json_atomic(prog_path, {
                "params": params, "next_index": next_index, "n": n,
                "accepted_bytes": acc_fh.tell(), "rejected_bytes": rej_fh.tell(),
                "accepted": result.accepted, "rejected": result.rejected, "reasons": dict(result.reasons),
                "usage": usage,
            })

        record_progress(start_index)
        last_sync = time.perf_counter()

        def sync(next_index: int) -> None:
            # lines reach the disk before the progress record that counts them
            nonlocal last_sync
            acc_fh.flush()
            rej_fh.flush()
            os.fsync(acc_fh.fileno())
            os.fsync(rej_fh.fileno())
            record_progress(next_index)
            last_sync = time.perf_counter()

        pending: dict[int, Outcome] = {}
        next_write = start_index
        async for outcome in executor.outcomes(range(start_index, n), seed):
            pending[outcome.index] = outcome
            wrote = False
            while next_write in pending:
                o = pending.pop(next_write)
                (acc_fh if o.accepted else rej_fh).write(o.line.encode("utf-8"))
                if o.accepted:
                    result.accepted += 1
                else:
                    result.rejected += 1
                    result.reasons.update(o.failed_rules or ("unknown",))
                for role, counts in o.usage.items():
                    slot = usage.setdefault(role, {})
                    for k, v in counts.items():
                        slot[k] = slot.get(k, 0) + int(v)
                next_write += 1
                wrote = True
                if on_result is not None:
                    on_result(o)
            if wrote and time.perf_counter() - last_sync >= SYNC_EVERY:
                sync(next_write)
        sync(next_write)
    finally:
        acc_fh.close()
        rej_fh.close()
    result.seconds = time.perf_counter() - t0
    manifest = {
        **params,
        "n": n,
        "executor": executor.name,
        "engine": sim.engine,
        "counts": {"accepted": result.accepted, "rejected": result.rejected},
        "acceptance_rate": round(result.accepted / n, 4) if n else 0.0,
        "rejection_reasons": dict(sorted(result.reasons.items())),
        "usage": usage,
        "timings": {"seconds": round(result.seconds, 3), "resumed_from": result.resumed_from,
                    "dialogues_per_second": round((n - start_index) / result.seconds, 2) if result.seconds else None},
        "versions": _versions(),
        "files": {"accepted": acc_path.name, "rejected": rej_path.name},
        **(extra_manifest or {}),
    }
    write_json_atomic(man_path, manifest)
    return result
