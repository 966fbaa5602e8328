"""Executors side by side: local vs process (1, 2 workers) vs Ray (1, 2 workers).

Every configuration simulates the same ``n`` dialogues of one scenario with the same
seed through :func:`turnloom.runner.run_batch` (so the runner's ordered, fsynced
writes are included), and its accepted/rejected files are checked byte for byte
against the local run. Printed per configuration: wall time, time to the first
dialogue (start-up: worker processes or actors, each building its simulator),
dialogues/s over the whole run and in steady state (first to last dialogue), and the
ratios to local. Ray's own start (``ray.init``) happens once, before the Ray rows,
and is printed apart.

Then the inputs of a projection to a cluster, each measured here:

* CPU seconds per dialogue (the local run's process CPU time, minus the writer's);
* the writer's cost per dialogue (the same outcomes replayed through ``run_batch``):
  the serial part on the driver, whatever the number of machines;
* the Ray round trip of one chunk of real outcomes to an actor and back (scheduling
  plus serialization), per chunk and per dialogue;
* bytes per dialogue (what crosses the network to the driver),

and a table of projected dialogues/s at M machines x C cores (see ``--machines``).

    python benchmarks/bench_executors.py                     # travel, n=200
    python benchmarks/bench_executors.py -n 60 --no-ray      # quick, without Ray
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from turnloom.executors import Executor, LocalExecutor, Outcome, ProcessExecutor, SimSpec
from turnloom.runner import run_batch
from turnloom.scenarios import load_scenario
from turnloom.simulate import Simulator


@dataclass
class Row:
    name: str
    workers: int
    wall: float
    first: float
    steady: float
    cpu: float
    load: float
    same: bool | None = None


class _Replay:
    """An executor that yields outcomes already computed: the runner's own cost."""

    name = "replay"

    def __init__(self, outcomes: Sequence[Outcome]) -> None:
        self.items = list(outcomes)

    async def outcomes(self, indices: Sequence[int], seed: int) -> AsyncIterator[Outcome]:
        for o in self.items:
            yield o


def _measure(name: str, workers: int, sim: Simulator, ex: Executor, n: int, seed: int, out: Path,
             keep: list[Outcome] | None = None) -> Row:
    stamps: list[float] = []

    def on_result(o: Outcome) -> None:
        stamps.append(time.perf_counter())
        if keep is not None:
            keep.append(o)

    load0 = os.getloadavg()[0]
    c0, t0 = time.process_time(), time.perf_counter()
    asyncio.run(run_batch(sim, n=n, seed=seed, out_dir=out, executor=ex, overwrite=True, on_result=on_result))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else 0.0
    return Row(name, workers, wall, stamps[0] - t0, steady, cpu, max(load0, os.getloadavg()[0]))


def _source_stamp() -> float:
    """Latest modification time of the package sources (workers import them when they start)."""
    import turnloom

    roots = {Path(m).resolve() for m in turnloom.__path__}
    for sub in ("agents", "graphs", "tools_env", "scenarios"):
        mod = __import__(f"turnloom.{sub}", fromlist=["__path__"])
        roots |= {Path(m).resolve() for m in mod.__path__}
    return max(f.stat().st_mtime for root in roots for f in root.rglob("*.py"))


def _same(a: Path, b: Path) -> bool:
    return all((a / f).read_bytes() == (b / f).read_bytes() for f in ("accepted.jsonl", "rejected.jsonl"))


def _ray_round_trip(chunk: list[Outcome], repeats: int) -> float:
    import ray

    @ray.remote(num_cpus=0)
    class Echo:
        def echo(self, x: Any) -> Any:
            return x

    actor = Echo.remote()  # type: ignore[attr-defined]
    ray.get(actor.echo.remote(chunk))
    t0 = time.perf_counter()
    for _ in range(repeats):
        ray.get(actor.echo.remote(chunk))
    ray.kill(actor)
    return (time.perf_counter() - t0) / repeats


def _projection(cpu_per: float, chunk_rt: float, chunk: int, writer_per: float, writer_cpu: float,
                bytes_per: float, machines: Sequence[int], cores: int) -> None:
    """Dialogues/s at M machines x C cores: min(compute, driver), each bound from a measured cost.

    compute: each core runs one actor; a chunk costs ``chunk * cpu_per`` there plus one full
    round trip (counted although two chunks in flight per actor hide most of it).
    driver: one process receives every outcome (half the round trip per dialogue, counted in
    full) and writes it (the writer's cost), serially.
    """
    per_core = chunk / (chunk * cpu_per + chunk_rt)
    recv = chunk_rt / chunk
    cap, cap_cpu = 1.0 / (writer_per + recv), 1.0 / (writer_cpu + recv)
    print(f"\nprojection ({cores} cores per machine, one actor per core, chunk {chunk}):")
    print(f"  per core: {per_core:.2f} dialogues/s; driver ceiling: {cap:,.0f} dialogues/s with the writer as "
          f"measured (fsync per dialogue), {cap_cpu:,.0f} dialogues/s with its CPU only (fsync batched)")
    print(f"  {'machines':>8} {'cores':>6} {'compute-bound/s':>16} {'as measured/s':>14} {'fsync batched/s':>16}"
          f" {'to driver MB/s':>15}")
    for m in machines:
        compute = m * cores * per_core
        rate, rate_cpu = min(compute, cap), min(compute, cap_cpu)
        print(f"  {m:>8} {m * cores:>6} {compute:>16,.0f} {rate:>14,.0f} {rate_cpu:>16,.0f}"
              f" {rate_cpu * bytes_per / 1e6:>15.1f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="travel")
    p.add_argument("-n", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--chunk", type=int, default=4)
    p.add_argument("--no-ray", action="store_true", help="skip the Ray rows")
    p.add_argument("--machines", type=int, nargs="+", default=[1, 4, 16, 64])
    p.add_argument("--cores", type=int, default=16, help="cores per machine in the projection")
    args = p.parse_args()

    sc = load_scenario(args.scenario)
    sim = Simulator(sc)
    spec = SimSpec(scenario=sc.model_dump(mode="json"), agent_refs=dict(sim.agent_refs), models=sim.models)
    n, seed = args.n, args.seed
    print(f"{args.scenario}, n={n}, seed={seed}, concurrency={args.concurrency}, chunk={args.chunk}, "
          f"{os.cpu_count()} CPUs (shared with other work: figures are noisy)")
    rows: list[Row] = []
    outcomes: list[Outcome] = []
    stamp = _source_stamp()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows.append(_measure("local", 1, sim, LocalExecutor(sim, args.concurrency), n, seed, root / "local",
                             keep=outcomes))
        for w in args.workers:
            ex = ProcessExecutor(spec, workers=w, chunk=args.chunk, concurrency=args.concurrency)
            rows.append(_measure("process", w, sim, ex, n, seed, root / f"process{w}"))
            rows[-1].same = _same(root / "local", root / f"process{w}")
        ray_init = chunk_rt = None
        if not args.no_ray:
            import ray

            from turnloom.executors_ray import RayExecutor

            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            t0 = time.perf_counter()
            ray.init(num_cpus=max(args.workers), include_dashboard=False, log_to_driver=False)
            ray_init = time.perf_counter() - t0
            try:
                for w in args.workers:
                    rex = RayExecutor(spec, workers=w, concurrency=args.concurrency, chunk=args.chunk)
                    rows.append(_measure("ray", w, sim, rex, n, seed, root / f"ray{w}"))
                    rows[-1].same = _same(root / "local", root / f"ray{w}")
                by_index = sorted(outcomes, key=lambda o: o.index)
                chunk_rt = _ray_round_trip(by_index[:args.chunk], repeats=200)
            finally:
                ray.shutdown()
        c0, t0 = time.process_time(), time.perf_counter()
        asyncio.run(run_batch(sim, n=n, seed=seed, out_dir=root / "replay", executor=_Replay(outcomes),
                              overwrite=True))
        writer_per, writer_cpu = (time.perf_counter() - t0) / n, (time.process_time() - c0) / n

    base = rows[0]
    print(f"\n{'executor':<10}{'workers':>8}{'wall s':>9}{'first s':>9}{'dial/s':>9}{'steady/s':>10}"
          f"{'vs local':>10}{'steady vs':>10}{'load':>6}  identical")
    for r in rows:
        same = "-" if r.same is None else ("yes" if r.same else "NO")
        steady_ratio = r.steady / base.steady if base.steady else 0.0
        print(f"{r.name:<10}{r.workers:>8}{r.wall:>9.1f}{r.first:>9.2f}{n / r.wall:>9.2f}{r.steady:>10.2f}"
              f"{base.wall / r.wall:>10.2f}{steady_ratio:>10.2f}{r.load:>6.1f}  {same}")
    if ray_init is not None:
        print(f"ray.init (local, once, not in the rows): {ray_init:.1f} s")
    if _source_stamp() != stamp:
        print("note: package sources changed during the run; workers started after the change run other code, "
              "so 'identical' is not meaningful for this run")

    cpu_per = max(1e-6, base.cpu / n - writer_cpu)
    bytes_per = statistics.fmean(len(o.line.encode()) for o in outcomes)
    print(f"\nper dialogue: {cpu_per * 1000:.1f} ms CPU to simulate (local run, writer excluded; wall there: "
          f"{base.wall / n * 1000:.0f} ms); writer {writer_per * 1000:.2f} ms wall, {writer_cpu * 1000:.2f} ms CPU "
          f"(ordered append + fsync + progress record); {bytes_per / 1000:.1f} kB of JSON")
    if chunk_rt is not None:
        print(f"ray round trip of a chunk of {args.chunk} outcomes: {chunk_rt * 1000:.2f} ms "
              f"({chunk_rt / args.chunk * 1000:.2f} ms per dialogue)")
        _projection(cpu_per, chunk_rt, args.chunk, writer_per, writer_cpu, bytes_per, args.machines, args.cores)


if __name__ == "__main__":
    main()
