"""A rerun served from the model cache vs the first run, side by side.

    python benchmarks/bench_cache.py [-n 20] [--latency 0.2]

Serves an OpenAI-compatible model on 127.0.0.1 (the scripted test server answering as
the offline assistant would, after ``--latency`` seconds per request, like a small
hosted model), runs ``travel`` with ``--model assistant=...`` into a fresh cache, then
the same command again: prints both times, the ratio, the requests the server saw, and
whether the outputs are byte-identical.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "agents"))

from scripted_server import Reply, ScriptedOpenAIServer  # noqa: E402

from turnloom.agents import AgentView, OfflineAssistant  # noqa: E402
from turnloom.dataset import from_openai_record  # noqa: E402
from turnloom.runner import run_batch  # noqa: E402
from turnloom.scenarios import load_scenario  # noqa: E402
from turnloom.simulate import Simulator  # noqa: E402


def policy(latency: float) -> Any:
    def answer(body: dict[str, Any]) -> Reply:
        d = from_openai_record({"messages": body["messages"], "tools": body.get("tools", [])})
        out = asyncio.run(OfflineAssistant().act(AgentView(role="assistant", seed=len(body["messages"]),
                                                            tools=d.tools, messages=d.messages)))
        msg = out.messages[0]
        time.sleep(latency)
        if msg.tool_calls:
            return Reply(calls=[(c.name, c.arguments) for c in msg.tool_calls])
        return Reply(content=msg.content)

    return answer


def run_once(url: str, cache: Path, out: Path, n: int) -> float:
    sim = Simulator(load_scenario("travel"), models={"assistant": f"openai:scripted-model@{url}"}, cache_path=cache)
    t0 = time.perf_counter()
    asyncio.run(run_batch(sim, n=n, seed=3, out_dir=out, concurrency=4, overwrite=True))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ScriptedOpenAIServer(policy(args.latency)) as server:
        root = Path(tmp)
        first = run_once(server.url, root / "cache.sqlite", root / "first", args.n)
        requests = len(server.chat_requests)
        second = run_once(server.url, root / "cache.sqlite", root / "second", args.n)
        same = (root / "first" / "accepted.jsonl").read_bytes() == (root / "second" / "accepted.jsonl").read_bytes()
        print(f"{'run':>8} {'seconds':>8} {'requests to the server':>24}")
        print(f"{'first':>8} {first:8.2f} {requests:24d}")
        print(f"{'cached':>8} {second:8.2f} {len(server.chat_requests) - requests:24d}")
        print(f"rerun is {first / second:.1f}× faster; outputs byte-identical: {same}")


if __name__ == "__main__":
    main()
