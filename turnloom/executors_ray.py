"""Scale-out on Ray: dialogues simulated by actor replicas on one machine or a cluster.

:class:`RayExecutor` puts the :class:`~turnloom.executors.SimSpec` into the object
store once and starts ``workers`` actors; each builds its own
:class:`~turnloom.simulate.Simulator` from it once (scenario, tool pool, tool graph,
agents, compiled dialogue graphs), then simulates the chunks of indices it is sent.
Chunks go to the least loaded actor, at most ``in_flight`` per actor at a time, so
memory stays flat whatever ``n``; finished chunks are collected with ``ray.wait`` as
they complete. A lost actor (its node gone) is restarted and its chunks run again,
``retries`` times at most. Dialogue ``i`` is simulated from ``(seed, i)`` alone and the runner
writes in index order, so the output is byte-identical to the local executor's,
whatever the number of workers, and ``--resume`` works the same way.

:func:`ray_map` runs any picklable function over a list of items on Ray tasks, in
chunks, with large shared arguments put into the object store once, and returns the
results in input order.

Connecting: with ``address=None`` and no Ray running in this process, a local Ray
is started with ``num_cpus=workers`` and shut down afterwards; with an address
(``"auto"``, ``"ray://head:10001"``...) the process connects to that cluster and
disconnects afterwards; a Ray already initialized in this process is used as is and
left running. A cluster's workers need turnloom installed (or a ``runtime_env``
passed in ``init_kwargs``).
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import ray

from turnloom.executors import Outcome, SimSpec, outcome_of
from turnloom.simulate import Simulator

__all__ = ["RayExecutor", "ray_map", "ray_session"]

T = TypeVar("T")
R = TypeVar("R")

_WAIT_S = 1.0


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None,
                init_kwargs: Mapping[str, Any] | None = None) -> Iterator[bool]:
    """Ray for the duration of the block; yields whether this call started (and will shut down) it.

    A Ray already initialized in this process is used and left alone. Otherwise Ray is
    initialized (a new local instance with ``num_cpus`` when ``address`` is None, else
    a connection to that cluster) and shut down on exit. The local instance has no
    dashboard and, unless ``RAY_USAGE_STATS_ENABLED`` is set, no usage reporting.
    """
    if ray.is_initialized():
        yield False
        return
    kwargs: dict[str, Any] = {"log_to_driver": False}
    if address is None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        kwargs.update(num_cpus=num_cpus, include_dashboard=False)
    else:
        kwargs["address"] = address
    kwargs.update(init_kwargs or {})
    ray.init(**kwargs)
    try:
        yield True
    finally:
        ray.shutdown()


class _SimWorker:
    """One replica: a Simulator built once, running chunks with at most ``concurrency`` dialogues at once.

    The spec arrives as a reference inside a list (not resolved by Ray) with the first
    chunk and the simulator is built then, so that a restarted actor rebuilds it from
    the same object-store copy.
    """

    def __init__(self, concurrency: int) -> None:
        self.sim: Simulator | None = None
        self.lock = asyncio.Lock()
        self.sem = asyncio.Semaphore(max(1, concurrency))

    async def _simulator(self, spec: list[ray.ObjectRef]) -> Simulator:
        async with self.lock:
            if self.sim is None:
                self.sim = (await spec[0]).build()
            return self.sim

    async def run(self, spec: list[ray.ObjectRef], indices: list[int], seed: int) -> list[Outcome]:
        sim = await self._simulator(spec)

        async def one(i: int) -> Outcome:
            async with self.sem:
                return outcome_of(*(await sim.simulate_with_usage(i, seed)))

        return list(await asyncio.gather(*(one(i) for i in indices)))


async def _wait_one(refs: list[ray.ObjectRef]) -> list[ray.ObjectRef]:
    """The refs among ``refs`` that are ready (at least one), without blocking the event loop."""
    while True:
        ready, _ = await asyncio.to_thread(ray.wait, refs, num_returns=1, timeout=_WAIT_S)
        if ready:
            return list(ready)


class RayExecutor:
    """``workers`` Ray actors, each with its own simulator built once from one shared :class:`SimSpec`."""

    name = "ray"

    def __init__(self, spec: SimSpec, workers: int = 2, address: str | None = None, concurrency: int = 8,
                 chunk: int = 4, *, in_flight: int = 2, num_cpus: float = 1.0, retries: int = 2,
                 init_kwargs: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        self.workers = max(1, workers)
        self.address = address
        self.concurrency = max(1, concurrency)
        self.chunk = max(1, chunk)
        #: chunks queued or running per actor at a time
        self.in_flight = max(1, in_flight)
        #: CPUs each actor reserves in the Ray scheduler
        self.num_cpus = num_cpus
        #: restarts of a lost actor and re-runs of its chunks (safe: a chunk's outcomes depend on (seed, i) only)
        self.retries = max(0, retries)
        self.init_kwargs = dict(init_kwargs or {})

    async def outcomes(self, indices: Sequence[int], seed: int) -> AsyncIterator[Outcome]:
        todo = list(indices)
        if not todo:
            return
        chunks = deque(todo[i:i + self.chunk] for i in range(0, len(todo), self.chunk))
        with ray_session(self.address, self.workers, self.init_kwargs):
            remote = ray.remote(_SimWorker).options(num_cpus=self.num_cpus, max_restarts=self.retries,
                                                    max_task_retries=self.retries)
            spec_ref = [ray.put(self.spec)]
            count = min(self.workers, len(chunks))
            actors: list[Any] = [remote.remote(self.concurrency) for _ in range(count)]
            load = [0] * len(actors)
            running: dict[ray.ObjectRef, int] = {}

            def fill() -> None:
                while chunks:
                    a = min(range(len(actors)), key=lambda k: (load[k], k))
                    if load[a] >= self.in_flight:
                        return
                    running[actors[a].run.remote(spec_ref, chunks.popleft(), seed)] = a
                    load[a] += 1

            try:
                fill()
                while running:
                    for ref in await _wait_one(list(running)):
                        load[running.pop(ref)] -= 1
                        done: list[Outcome] = ray.get(ref)
                        fill()  # keep the actor busy while the runner writes
                        for outcome in done:
                            yield outcome
            finally:
                for actor in actors:
                    ray.kill(actor)


def _apply_chunk(fn: Callable[..., R], items: list[Any], *shared: Any) -> list[R]:
    return [fn(item, *shared) for item in items]


def ray_map(fn: Callable[..., R], items: Sequence[T], *, shared: Sequence[Any] = (), chunk: int = 1,
            max_in_flight: int | None = None, num_cpus: float = 1.0, address: str | None = None,
            local_cpus: int | None = None, init_kwargs: Mapping[str, Any] | None = None) -> list[R]:
    """``[fn(item, *shared) for item in items]`` computed on Ray tasks, in input order.

    Items go in chunks of ``chunk`` per task; each of ``shared`` (an embedding matrix,
    a tool pool...) is put into the object store once and reaches every task without
    being pickled again (numpy arrays are read zero-copy). At most ``max_in_flight``
    tasks (default: twice the cluster's CPUs) are pending at once. ``fn`` must be
    importable by the workers (a module-level function). An exception raised by ``fn``
    is raised here. Ray is started or connected as by :func:`ray_session`
    (``local_cpus`` sizes a local instance).
    """
    items = list(items)
    if not items:
        return []
    chunk = max(1, chunk)
    with ray_session(address, local_cpus, init_kwargs):
        shared_refs = [ray.put(x) for x in shared]
        task = ray.remote(_apply_chunk).options(num_cpus=num_cpus)
        limit = max_in_flight or max(1, 2 * int(ray.cluster_resources().get("CPU", 1)))
        starts = deque(range(0, len(items), chunk))
        results: dict[int, list[R]] = {}
        running: dict[ray.ObjectRef, int] = {}
        # On an error the tasks still in flight (at most ``limit``) are left to finish and
        # their results dropped: ``ray.cancel`` on a task whose reply is already on its way
        # can abort the driver (a failed check in Ray's task manager).
        while starts or running:
            while starts and len(running) < limit:
                s = starts.popleft()
                running[task.remote(fn, items[s:s + chunk], *shared_refs)] = s
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                results[running.pop(ref)] = ray.get(ref)
        return [r for s in sorted(results) for r in results[s]]
