"""Executors: where dialogues are simulated. The runner asks an executor for the
outcomes of a range of indices and writes them in index order, whatever order they
arrive in, so every executor gives byte-identical output for the same seed.

* :class:`LocalExecutor` – asyncio in this process (LLM-bound work; the default);
* :class:`ProcessExecutor` – a pool of worker processes, each holding its own
  simulator built once (CPU-bound offline work uses every core);
* Ray lives in :mod:`turnloom.executors_ray` (optional extra ``[ray]``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import signal
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from turnloom.schema import Dialogue
from turnloom.simulate import Simulator

__all__ = ["Executor", "LocalExecutor", "Outcome", "ProcessExecutor", "SimSpec", "outcome_of"]


@dataclass(frozen=True)
class Outcome:
    """One simulated dialogue, serialized: what the runner needs to write and count."""

    index: int
    accepted: bool
    failed_rules: tuple[str, ...]
    line: str
    usage: dict[str, dict[str, int]] = field(default_factory=dict)


def outcome_of(d: Dialogue, usage: dict[str, dict[str, int]] | None = None) -> Outcome:
    return Outcome(index=d.index, accepted=d.accepted,
                   failed_rules=tuple(sorted({c.rule for c in d.verdict.failures})),
                   line=d.model_dump_json() + "\n", usage=dict(usage or {}))


@dataclass(frozen=True)
class SimSpec:
    """Everything a worker needs to build its own :class:`Simulator` (picklable)."""

    scenario: dict[str, Any]
    agent_refs: Mapping[str, str]
    models: Mapping[str, Any] = field(default_factory=dict)
    cache_path: str | None = None
    engine: str = "direct"

    def build(self) -> Simulator:
        from pathlib import Path

        from turnloom.scenarios import Scenario

        refs = {role: ref for role, ref in self.agent_refs.items() if not ref.startswith("model:")}
        return Simulator(Scenario.model_validate(self.scenario), agent_refs=refs, models=dict(self.models),
                         cache_path=Path(self.cache_path) if self.cache_path else None, engine=self.engine)


class Executor(Protocol):
    name: str

    def outcomes(self, indices: Sequence[int], seed: int) -> AsyncIterator[Outcome]:
        """Outcomes of these indices, in any order; each index exactly once."""
        ...


class LocalExecutor:
    name = "local"

    def __init__(self, sim: Simulator, concurrency: int = 8) -> None:
        self.sim = sim
        self.concurrency = max(1, concurrency)

    async def outcomes(self, indices: Sequence[int], seed: int) -> AsyncIterator[Outcome]:
        window = self.concurrency
        it = iter(indices)
        running: set[asyncio.Task[tuple[Dialogue, dict[str, dict[str, int]]]]] = set()

        def fill() -> None:
            for i in it:
                running.add(asyncio.create_task(self.sim.simulate_with_usage(i, seed)))
                if len(running) >= window:
                    break

        fill()
        while running:
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                running.discard(task)
                yield outcome_of(*task.result())
            fill()


_WORKER_SIM: Simulator | None = None
#: one event loop per worker for its whole life (model clients keep connections bound to it)
_WORKER_LOOP: asyncio.AbstractEventLoop | None = None


def _worker_init(spec: SimSpec, slots_dir: str | None = None) -> None:
    global _WORKER_SIM, _WORKER_LOOP
    if slots_dir:
        os.environ["TURNLOOM_SLOTS_DIR"] = slots_dir
    # Ctrl-C reaches the whole process group: the parent stops the run, workers stay quiet
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_LOOP = asyncio.new_event_loop()
    asyncio.set_event_loop(_WORKER_LOOP)
    _WORKER_SIM = spec.build()


def _worker_run(indices: list[int], seed: int, concurrency: int) -> list[Outcome]:
    assert _WORKER_SIM is not None and _WORKER_LOOP is not None
    sim = _WORKER_SIM

    async def go() -> list[Outcome]:
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> Outcome:
            async with sem:
                return outcome_of(*(await sim.simulate_with_usage(i, seed)))

        return list(await asyncio.gather(*(one(i) for i in indices)))

    return _WORKER_LOOP.run_until_complete(go())


class ProcessExecutor:
    """Worker processes, each with its own simulator built once from a :class:`SimSpec`."""

    name = "process"

    def __init__(self, spec: SimSpec, workers: int = 2, chunk: int = 4, concurrency: int = 8) -> None:
        self.spec = spec
        self.workers = max(1, workers)
        self.chunk = max(1, chunk)
        self.concurrency = max(1, concurrency)

    async def outcomes(self, indices: Sequence[int], seed: int) -> AsyncIterator[Outcome]:
        loop = asyncio.get_running_loop()
        ctx = multiprocessing.get_context("spawn")
        # model endpoint limits hold across the workers: they share slot files (agents/llm FileSlots)
        slots = tempfile.TemporaryDirectory(prefix="turnloom-slots-")
        chunks = [list(indices[i:i + self.chunk]) for i in range(0, len(indices), self.chunk)]
        pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init,
                                                      initargs=(self.spec, slots.name))
        running: set[asyncio.Future[list[Outcome]]] = set()
        finished = False
        try:
            window = self.workers * 3
            it = iter(chunks)

            def fill() -> None:
                for c in it:
                    running.add(loop.run_in_executor(pool, _worker_run, c, seed, self.concurrency))
                    if len(running) >= window:
                        break

            fill()
            while running:
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for fut in done:
                    running.discard(fut)
                    for outcome in fut.result():
                        yield outcome
                fill()
            finished = True
        finally:
            for fut in running:
                fut.cancel()
            if finished:
                pool.shutdown(wait=True)
            else:
                _stop_pool(pool)
            slots.cleanup()


def _stop_pool(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Stop an interrupted pool now: drop queued work and end the workers (their results are not wanted)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)
