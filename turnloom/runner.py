"""The batch runner: simulate n dialogues concurrently, stream them to JSONL in index
order, and resume after a crash with nothing lost or duplicated.

Output directory layout::

    accepted.jsonl   one Dialogue per line, accepted ones, in index order
    rejected.jsonl   the rejected ones, with their verdicts
    failed.jsonl     dialogues cut short because a model was unavailable (not data: --resume retries them)
    manifest.json    scenario, seed, versions, counts, timings, usage
    .progress.json   checkpoints of the JSONL files (for --resume, see :mod:`turnloom.progress`)

Lines are appended and fsynced before a checkpoint (sizes and SHA-256 of both files)
is added to ``.progress.json``, which is replaced atomically. On resume the files are
cut back to the latest checkpoint they still match, so a line written after it (a crash
in between), a truncated file or a damaged line is dropped and written again identically.

A dialogue whose model failed for good (rule ``model_failure``: unreachable, timing out or
server errors after the retries) is neither accepted nor rejected: it goes to
``failed.jsonl``, is counted apart in the manifest (``counts.failed``, ``failure_reasons``
by role), and ``--resume`` simulates it again (see :mod:`turnloom.progress`).
"""

from __future__ import annotations

import hashlib
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
from turnloom.model_failures import MODEL_FAILURE, ModelFailureGuard
from turnloom.progress import (
    Checkpoint,
    ProgressError,
    Restored,
    add_checkpoint,
    read_progress,
    restore,
    write_progress,
)
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
    #: dialogues cut short by an unavailable model (written to failed.jsonl; --resume retries them)
    failed: int = 0
    #: failed dialogues by the role whose model failed
    failure_reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    resumed_from: int = 0
    #: on resume, what did not match the progress record and was dropped (to be simulated again)
    repaired: str = ""


def write_json_atomic(path: Path, data: Any) -> None:
    atomic_write_json(path, data)


class _Sink:
    """One output JSONL file, appended to, with the size and SHA-256 of its whole lines."""

    def __init__(self, path: Path, digest: hashlib._Hash) -> None:
        self.path = path
        self.fh = open(path, "ab")  # noqa: SIM115 - closed by close()
        self.size = self.fh.tell()
        self.hash = digest

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.hash.update(data)
        self.size += len(data)

    def sync(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


def _prepare_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise RunError(f"{out_dir}: is a file, not a directory; --out needs a directory for the run's files")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"{exc.filename or out_dir}: cannot create the output directory: "
                       f"{exc.strerror or exc}") from None


def _failure_role(line: str) -> str:
    """The role whose model failed, from a failed dialogue's ``model_failure`` check."""
    try:
        checks = json.loads(line)["verdict"]["checks"]
        reason = next(str(c.get("reason", "")) for c in checks if c.get("rule") == MODEL_FAILURE)
    except (ValueError, KeyError, TypeError, StopIteration):
        return "unknown"
    role, sep, _ = reason.partition(":")
    return role.strip() if sep and role.strip() else "unknown"


def _restore(prog_path: Path, acc_path: Path, rej_path: Path, params: dict[str, Any], n: int) -> Restored:
    """Check the run in ``prog_path.parent`` against ``params`` and ``n``, then cut its files
    back to the latest checkpoint they match; :class:`RunError` (files untouched) otherwise."""
    out_dir = prog_path.parent
    try:
        prog = read_progress(prog_path)
    except ProgressError as exc:
        raise RunError(f"{exc}; --resume needs it to check {acc_path.name} / {rej_path.name} in {out_dir}; "
                       "pass --overwrite to start the run again") from None
    if prog.params != params:
        raise RunError(f"{out_dir}: the run there used {prog.params}, not {params}; "
                       "resume needs the same scenario, seed and agents")
    if prog.next_index > n:
        raise RunError(f"{out_dir} already holds {prog.next_index} dialogues; resume with -n {prog.next_index} "
                       "or more (or pass --overwrite to start again)")
    try:
        return restore(prog, acc_path, rej_path, acc_path.with_name("failed.jsonl"))
    except ProgressError as exc:
        raise RunError(str(exc)) from None


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
    max_model_failures: float | None = None,
) -> RunResult:
    """Simulate dialogues ``0..n-1`` (those not yet written, with ``resume``) and write them.

    With ``max_model_failures`` (a share, 0 to 1) the run stops with
    :class:`~turnloom.model_failures.ModelFailureError` once more than that share of its
    dialogues ended because a model failed for good."""
    acc_path, rej_path = out_dir / "accepted.jsonl", out_dir / "rejected.jsonl"
    prog_path, man_path = out_dir / ".progress.json", out_dir / "manifest.json"
    fail_path = out_dir / "failed.jsonl"
    params = json.loads(json.dumps({"scenario": sim.scenario.name, "seed": seed, "agents": dict(sim.agent_refs)}))
    _prepare_dir(out_dir)
    result = RunResult(out_dir=out_dir, n=n)
    has_lines = any(p.exists() and p.stat().st_size > 0 for p in (acc_path, rej_path))
    if resume and (prog_path.exists() or has_lines):
        restored = _restore(prog_path, acc_path, rej_path, params, n)
        cp = restored.checkpoint
        checkpoints = restored.checkpoints
        acc_hash, rej_hash, fail_hash = restored.accepted_hash, restored.rejected_hash, restored.failed_hash
        result.accepted, result.rejected, result.failed = cp.accepted, cp.rejected, cp.failed
        result.reasons, result.failure_reasons = Counter(cp.reasons), Counter(cp.failure_reasons)
        result.resumed_from = cp.next_index
        result.repaired = restored.repaired
        usage = {k: dict(v) for k, v in cp.usage.items()}
    elif (acc_path.exists() or rej_path.exists()) and not overwrite and not resume:
        raise RunError(f"{out_dir} already holds a run (accepted.jsonl / rejected.jsonl); "
                       "pass --resume to continue it or --overwrite to replace it")
    else:
        for path in (acc_path, rej_path, fail_path):
            path.write_bytes(b"")
        prog_path.unlink(missing_ok=True)
        checkpoints = []
        acc_hash, rej_hash, fail_hash = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
        usage = {}
    start_index = result.resumed_from

    if max_model_failures is not None:  # stop when more than this share of dialogues lose their model
        on_result = ModelFailureGuard(n - start_index, max_model_failures, then=on_result)
    executor = executor or LocalExecutor(sim, concurrency)
    t0 = time.perf_counter()
    files = {"accepted": _Sink(acc_path, acc_hash), "rejected": _Sink(rej_path, rej_hash),
             "failed": _Sink(fail_path, fail_hash)}
    first_failed: int | None = None
    last_sync = 0.0
    try:
        def sync(next_index: int) -> None:
            # lines reach the disk before the progress record that counts them
            nonlocal checkpoints, last_sync
            for sink in files.values():
                sink.sync()
            acc, rej, fai = files["accepted"], files["rejected"], files["failed"]
            checkpoints = add_checkpoint(checkpoints, Checkpoint(
                next_index=next_index, accepted=result.accepted, rejected=result.rejected,
                accepted_bytes=acc.size, rejected_bytes=rej.size,
                accepted_sha256=acc.hash.hexdigest(), rejected_sha256=rej.hash.hexdigest(),
                reasons=dict(result.reasons), usage=usage, failed=result.failed, failed_bytes=fai.size,
                failed_sha256=fai.hash.hexdigest(), failure_reasons=dict(result.failure_reasons),
                first_failed=first_failed))
            write_progress(prog_path, params, n, checkpoints)
            last_sync = time.perf_counter()

        next_write = start_index
        sync(next_write)
        pending: dict[int, Outcome] = {}
        try:
            async for outcome in executor.outcomes(range(start_index, n), seed):
                pending[outcome.index] = outcome
                wrote = False
                while next_write in pending:
                    o = pending.pop(next_write)
                    kind = "accepted" if o.accepted else "failed" if MODEL_FAILURE in o.failed_rules else "rejected"
                    files[kind].write(o.line.encode("utf-8"))
                    if o.accepted:
                        result.accepted += 1
                    elif kind == "failed":
                        result.failed += 1
                        result.failure_reasons[_failure_role(o.line)] += 1
                        first_failed = o.index if first_failed is None else first_failed
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
        finally:
            # also when interrupted (Ctrl-C cancels the run at an await, between two whole lines)
            sync(next_write)
    finally:
        for sink in files.values():
            sink.close()
    result.seconds = time.perf_counter() - t0
    manifest = {
        **params,
        "n": n,
        "executor": executor.name,
        "engine": sim.engine,
        "counts": {"accepted": result.accepted, "rejected": result.rejected, "failed": result.failed},
        "acceptance_rate": round(result.accepted / n, 4) if n else 0.0,
        "rejection_reasons": dict(sorted(result.reasons.items())),
        "failure_reasons": dict(sorted(result.failure_reasons.items())),
        "usage": usage,
        "timings": {"seconds": round(result.seconds, 3), "resumed_from": result.resumed_from,
                    "dialogues_per_second": round((n - start_index) / result.seconds, 2) if result.seconds else None},
        "versions": _versions(),
        "files": {"accepted": acc_path.name, "rejected": rej_path.name, "failed": fail_path.name},
        **(extra_manifest or {}),
    }
    write_json_atomic(man_path, manifest)
    return result
