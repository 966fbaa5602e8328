"""Offline engine throughput and memory, side by side in one run.

    python benchmarks/bench_engine.py                 # n = 1000, 10000
    python benchmarks/bench_engine.py --sizes 300 --quick

For each n: dialogues/s, turns/s and CPU ms per dialogue with the direct engine at
concurrency 1, 8 and 32 (local executor) and with 2 worker processes, then the same
graph under LangGraph (``--engine langgraph``) locally and with 2 workers; peak RSS of
a child process per configuration (so peaks do not leak between rows). Last, the
LangGraph machinery's cost: per node execution on a five-node cycle of no-op nodes, and
per dialogue as the CPU difference between the two engines on the same dialogues.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

CHILD = r"""
import asyncio, json, resource, sys, time
from pathlib import Path
from turnloom.scenarios import load_scenario
from turnloom.simulate import Simulator
from turnloom.runner import run_batch
from turnloom.executors import LocalExecutor, ProcessExecutor, SimSpec

n, conc, workers, out, engine = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
sc = load_scenario("travel")
sim = Simulator(sc, engine=engine)
ex = LocalExecutor(sim, conc) if workers == 0 else ProcessExecutor(
    SimSpec(scenario=sc.model_dump(mode="json"), agent_refs=dict(sim.agent_refs), engine=engine),
    workers=workers, concurrency=conc)
t0 = time.perf_counter()
res = asyncio.run(run_batch(sim, n=n, seed=1, out_dir=out, executor=ex, overwrite=True))
dt = time.perf_counter() - t0
own, kids_t = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = own.ru_utime + own.ru_stime + kids_t.ru_utime + kids_t.ru_stime
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before reading the output back
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
turns = 0
for name in ("accepted.jsonl", "rejected.jsonl"):
    with open(out / name) as fh:
        for line in fh:
            turns += json.loads(line)["stats"]["user_turns"]
print(json.dumps({"seconds": dt, "cpu": cpu, "turns": turns, "accepted": res.accepted, "peak_mb": peak,
                  "children_mb": kids}))
"""


def _row(n: int, conc: int, workers: int, engine: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(n), str(conc), str(workers), str(Path(tmp) / "o"),
                               engine], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


class _S(TypedDict, total=False):
    i: int
    log: Annotated[list[int], operator.add]


def langgraph_node_cost(steps: int = 2000) -> float:
    """Microseconds per node execution of a 5-node cycle of no-op nodes under ainvoke."""
    from langgraph.graph import END, START, StateGraph

    names = ["planner", "user", "assistant", "tool", "verifier"]
    g = StateGraph(_S)

    def make(k: int) -> Any:
        async def node(state: _S) -> dict[str, Any]:
            return {"i": state.get("i", 0) + 1}

        return node

    for k, name in enumerate(names):
        g.add_node(name, make(k))
    g.add_edge(START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        g.add_edge(a, b)

    async def route(state: _S) -> str:
        return END if state.get("i", 0) >= steps else "user"

    g.add_conditional_edges("verifier", route, ["user", END])
    graph = g.compile()
    t0 = time.perf_counter()
    asyncio.run(graph.ainvoke({"i": 0}, {"recursion_limit": steps + 10}))
    return (time.perf_counter() - t0) / steps * 1e6


ROWS = (("direct", 1, 0), ("direct", 8, 0), ("direct", 32, 0), ("direct", 8, 2), ("langgraph", 8, 0),
        ("langgraph", 8, 2))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--quick", action="store_true", help="only direct c=8, direct w=2 and langgraph c=8")
    args = ap.parse_args()
    rows = [r for r in ROWS if not args.quick or r in (("direct", 8, 0), ("direct", 8, 2), ("langgraph", 8, 0))]
    print(f"LangGraph machinery alone: {langgraph_node_cost():.0f} µs per node execution (no-op nodes)")
    print(f"{'n':>6} {'engine':>9} {'executor':>12} {'dialogues/s':>12} {'turns/s':>8} {'CPU ms/dlg':>10} "
          f"{'× 1st row':>12} {'peak MB':>8}")
    for n in args.sizes:
        base = None
        cpu: dict[str, float] = {}
        for engine, conc, workers in rows:
            r = _row(n, conc, workers, engine)
            rate = n / r["seconds"]
            base = base or rate
            label = f"local c={conc}" if not workers else f"w={workers} c={conc}"
            peak = max(r["peak_mb"], r["children_mb"])
            ms = r["cpu"] / n * 1000
            if not workers:
                cpu.setdefault(engine, ms)
            print(f"{n:>6} {engine:>9} {label:>12} {rate:12.1f} {r['turns'] / r['seconds']:8.1f} {ms:10.1f} "
                  f"{rate / base:12.2f} {peak:8.0f}", flush=True)
        if "direct" in cpu and "langgraph" in cpu:
            print(f"{n:>6} LangGraph machinery: {cpu['langgraph'] - cpu['direct']:.1f} ms CPU per dialogue "
                  f"({cpu['langgraph'] / cpu['direct']:.2f}× the direct engine's)")


if __name__ == "__main__":
    main()
