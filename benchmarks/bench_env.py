"""Cost of one mock-environment call, by operation kind, on the travel scenario's tools.

    python benchmarks/bench_env.py [--repeat 300]

Prints microseconds per call (median of repeats) for each operation kind: a first call
(a world seed not seen before, so every value is generated), the same call on the same
world again (what the verifier's state replay pays: generated values and checks come
from the environment's memos, the rest of the call runs), and the argument validation
alone, uncached, so a change can be judged side by side.
"""

from __future__ import annotations

import argparse
import statistics
import time

from turnloom.scenarios import load_scenario, scenario_tools
from turnloom.schema import ToolCall
from turnloom.tools_env.env import ToolEnvironment

CALLS = {
    "list (materialize)": ("search_flights", {"origin": "Lisbon", "destination": "Oslo", "date": "2026-05-01"}),
    "create": ("book_flight", {"flight_id": "FLI-00001", "passenger_name": "Ana Lima"}),
    "read": ("get_booking", {"booking_id": "BOO-00001"}),
    "update": ("update_booking", {"booking_id": "BOO-00001", "seat_preference": "aisle"}),
    "action (memo miss)": ("convert_currency", {"amount": 10, "from_currency": "EUR", "to_currency": "USD"}),
    "invalid arguments": ("book_flight", {"flight_id": 12}),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=300)
    args = ap.parse_args()
    env = ToolEnvironment(scenario_tools(load_scenario("travel")))
    base = env.new_world(seed=1)
    base, _ = env.call(base, ToolCall(id="0", name="search_flights", arguments=CALLS["list (materialize)"][1]))
    base, _ = env.call(base, ToolCall(id="1", name="book_flight", arguments=CALLS["create"][1]))
    for _ in range(20):  # warm caches (validators, schema analysis)
        for name, arguments in CALLS.values():
            env.call(base, ToolCall(id="w", name=name, arguments=arguments))
    print(f"{'operation':22} {'first µs':>9} {'again µs':>9} {'validation µs':>14}")
    for label, (name, arguments) in CALLS.items():
        first, again, checks = [], [], []
        for i in range(args.repeat):
            world = base.model_copy(update={"seed": 1000 + i})
            call = ToolCall(id="c", name=name, arguments=arguments)
            for sink in (first, again):
                t0 = time.perf_counter()
                env.call(world, call)
                sink.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sorted(env.validator(name).iter_errors(arguments), key=lambda e: list(e.absolute_path))
            checks.append(time.perf_counter() - t0)
        print(f"{label:22} {statistics.median(first) * 1e6:9.0f} {statistics.median(again) * 1e6:9.0f} "
              f"{statistics.median(checks) * 1e6:14.0f}")


if __name__ == "__main__":
    main()
