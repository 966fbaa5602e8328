"""Offline engine throughput and memory, side by side in one run.

    python benchmarks/bench_engine.py                 # n = 200, 1000
    python benchmarks/bench_engine.py --sizes 1000 10000

For each n: dialogues/s and turns/s at concurrency 1, 8 and 32 (local executor), and
with 2 worker processes; peak RSS of a child process per configuration (so peaks do
not leak between rows); and the per-node cost of the LangGraph machinery alone (the
same five-node cycle with no-op nodes).
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
from toolweave.scenarios import load_scenario
from toolweave.simulate import Simulator
from toolweave.runner import run_batch
from toolweave.executors import LocalExecutor, ProcessExecutor, SimSpec

n, conc, workers, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
sc = load_scenario("travel")
sim = Simulator(sc)
ex = LocalExecutor(sim, conc) if workers == 0 else ProcessExecutor(
    SimSpec(scenario=sc.model_dump(mode="json"), agent_refs=dict(sim.agent_refs)), workers=workers, concurrency=conc)
t0 = time.perf_counter()
res = asyncio.run(run_batch(sim, n=n, seed=1, out_dir=out, executor=ex, overwrite=True))
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before reading the output back
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
turns = 0
for name in ("accepted.jsonl", "rejected.jsonl"):
    with open(out / name) as fh:
        for line in fh:
            turns += json.loads(line)["stats"]["user_turns"]
print(json.dumps({"seconds": dt, "turns": turns, "accepted": res.accepted, "peak_mb": peak, "children_mb": kids}))
"""


def _row(n: int, conc: int, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(n), str(conc), str(workers), str(Path(tmp) / "o")],
                              capture_output=True, text=True, check=True)
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    args = ap.parse_args()
    print(f"LangGraph machinery alone: {langgraph_node_cost():.0f} µs per node execution (no-op nodes)")
    print(f"{'n':>6} {'executor':>18} {'dialogues/s':>12} {'turns/s':>9} {'× conc 1':>9} {'peak MB':>8}")
    for n in args.sizes:
        base = None
        for conc, workers in ((1, 0), (8, 0), (32, 0), (8, 2)):
            r = _row(n, conc, workers)
            rate = n / r["seconds"]
            base = base or rate
            label = f"local c={conc}" if not workers else f"process w={workers} c={conc}"
            peak = max(r["peak_mb"], r["children_mb"])
            print(f"{n:>6} {label:>18} {rate:12.1f} {r['turns'] / r['seconds']:9.1f} {rate / base:9.2f} {peak:8.0f}")


if __name__ == "__main__":
    main()
