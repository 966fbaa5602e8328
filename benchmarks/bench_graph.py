"""Tool-graph build time and peak memory on synthetic pools of 1k, 5k and 26,507 tools.

Each pool is generated from a seeded vocabulary of domains, entities, verbs and
parameter templates with varied descriptions (so strings repeat the way they do in
real API pools: shared ``*_id`` and ``city`` parameters, many near-duplicates, most
descriptions unique). Each size is built in a fresh subprocess so that its peak
resident memory is its own. The lexical backend is used; the goal is 26.5k tools in
under 60 s and 2 GB on 2 cores.

    python benchmarks/bench_graph.py                # 1000 5000 26507
    python benchmarks/bench_graph.py --sizes 2000   # custom sizes
    python benchmarks/bench_graph.py --ray 2        # each size also on a local Ray with 2 CPUs
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from typing import Any

from turnloom.schema import ToolSpec


def _words(text: str) -> list[str]:
    return text.split()


AREAS = _words(
    "travel shopping finance weather health music sports news food education real_estate jobs social "
    "email calendar maps automotive insurance banking crypto gaming movies books pets fitness energy "
    "telecom logistics legal government hr crm analytics security devops storage iot agriculture "
    "fashion events charity"
)
ENTITIES = _words(
    "flight hotel booking reservation order product customer invoice payment account transaction "
    "ticket event venue artist album track playlist team player match league article author recipe "
    "restaurant menu course student lesson property listing agent job candidate application post "
    "comment user message thread contact meeting calendar route stop vehicle trip driver policy claim "
    "loan card wallet token coin game tournament movie showtime review book library pet appointment "
    "doctor patient prescription workout device sensor reading shipment package warehouse case "
    "document report dashboard metric alert incident server deployment bucket file field crop outfit "
    "store donation campaign station plan subscription"
)
VERBS = _words("get list search find create update delete cancel book check track schedule fetch add remove")
CURRENCIES = ("USD", "EUR", "GBP", "the account currency")
QUALIFIERS = (
    "",
    "",
    "",
    " to look up",
    " for this request",
    " (required)",
    " used to filter the results",
    " as returned by a previous search",
    " provided by the user",
    " in the caller's account",
)
PREFIXES = ("", "", "The ", "Optional: ", "Required. ", "Filter: ")
_UNQUALIFIED = frozenset({"limit", "language", "query", "latitude", "longitude", "user_id"})
# name template, JSON type, description template ({e}: entity, {c}: currency)
ATTRS: tuple[tuple[str, str, str], ...] = (
    ("{e}_id", "string", "Unique identifier of the {e}"),
    ("{e}_id", "string", "ID of the {e}"),
    ("{e}_name", "string", "Name of the {e}"),
    ("city", "string", "Name of the city"),
    ("city", "string", "City where the {e} is located"),
    ("country", "string", "ISO country code"),
    ("address", "string", "Street address of the {e}"),
    ("start_date", "string", "Start date in YYYY-MM-DD format"),
    ("end_date", "string", "End date in YYYY-MM-DD format"),
    ("date", "string", "Date of the {e}"),
    ("price", "number", "Price of the {e} in {c}"),
    ("amount", "number", "Amount in {c}"),
    ("quantity", "integer", "Number of units"),
    ("status", "string", "Current status of the {e}"),
    ("email", "string", "Email address of the {e} owner"),
    ("phone", "string", "Phone number of the {e} contact"),
    ("description", "string", "Free-text description of the {e}"),
    ("rating", "number", "Average rating of the {e} from 1 to 5"),
    ("category", "string", "Category of the {e}"),
    ("latitude", "number", "Latitude in decimal degrees"),
    ("longitude", "number", "Longitude in decimal degrees"),
    ("query", "string", "Keywords to search {e}s"),
    ("limit", "integer", "Maximum number of results"),
    ("language", "string", "Language code for the response"),
    ("user_id", "string", "Identifier of the user"),
    ("created_at", "string", "Time the {e} was created"),
    ("duration_minutes", "integer", "Duration of the {e} in minutes"),
    ("capacity", "integer", "Maximum capacity of the {e}"),
    ("notes", "string", "Additional notes about the {e}"),
    ("url", "string", "Link to the {e} page"),
)


def _field(rng: random.Random, entity: str) -> tuple[str, dict[str, Any]]:
    name, typ, desc = rng.choice(ATTRS)
    other = rng.choice(ENTITIES) if rng.random() < 0.3 else entity
    if "{e}" not in name and name not in _UNQUALIFIED and rng.random() < 0.4:
        name = "{e}_" + name
    text = rng.choice(PREFIXES) + desc.format(e=other, c=rng.choice(CURRENCIES)) + rng.choice(QUALIFIERS)
    return name.format(e=other), {"type": typ, "description": text}


def synthetic_pool(size: int, seed: int = 0) -> list[ToolSpec]:
    """``size`` tools over 390 domains, deterministic under ``seed``."""
    rng = random.Random(seed)
    domains = [f"{AREAS[i % len(AREAS)]}_{i // len(AREAS)}" for i in range(390)]
    domain_entities = {d: rng.sample(ENTITIES, 6) for d in domains}
    tools: list[ToolSpec] = []
    taken: set[str] = set()
    for i in range(size):
        domain = domains[i % len(domains)]
        entity = rng.choice(domain_entities[domain])
        verb = rng.choice(VERBS)
        name = f"{verb}_{entity}"
        if name in taken:
            name = f"{verb}_{domain}_{entity}"
        if name in taken:
            name = f"{name}_{i}"
        taken.add(name)
        params = dict(_field(rng, entity) for _ in range(rng.randint(1, 5)))
        fields = dict(_field(rng, entity) for _ in range(rng.randint(2, 6)))
        returns: dict[str, Any] = {"type": "object", "properties": fields}
        if verb in ("list", "search", "find"):
            returns = {"type": "object", "properties": {f"{entity}s": {"type": "array", "items": returns}}}
        tools.append(
            ToolSpec(
                name=name,
                description=f"{verb.capitalize()} {entity} records in {domain.replace('_', ' ')}.",
                parameters={"type": "object", "properties": params, "required": list(params)[:1]},
                returns=returns,
                domain=domain,
            )
        )
    return tools


def _child(size: int, seed: int, workers: int) -> dict[str, Any]:
    from turnloom.graphs.tool_graph import build_tool_graph

    tools = synthetic_pool(size, seed)
    if workers:  # the pair search and the data-flow links on a local Ray with this many CPUs
        from turnloom.executors_ray import ray_map, ray_session

        with ray_session(None, workers):
            ray_map(abs, list(range(2 * workers)))  # workers started before the clock
            start = time.perf_counter()
            graph = build_tool_graph(tools, mapper=ray_map)
            seconds = time.perf_counter() - start
    else:
        start = time.perf_counter()
        graph = build_tool_graph(tools)
        seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats = graph.stats()
    return {
        "size": size,
        "how": f"ray w={workers}" if workers else "local",
        "seconds": round(seconds, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "strings": graph.meta["strings"],
        "edges": stats["edges"],
        "flow_edges": stats["flow_edges"],
        "components": stats["components"],
        "largest": stats["largest_component"],
        "top_k": stats["top_k"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 26507])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ray", type=int, nargs="*", default=[], metavar="W",
                        help="also build on a local Ray with W CPUs (each W given), side by side")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(_child(args.child, args.seed, args.workers)))
        return
    header = f"{'tools':>7} {'how':>9} {'seconds':>8} {'cpu s':>8} {'peak MB':>8} {'strings':>8} {'edges':>9} "
    header += f"{'flow':>8} "
    header += f"{'comps':>6} {'largest':>8} {'top_k':>6}"
    print(header)
    for size in args.sizes:
        for workers in [0, *args.ray]:
            cmd = [sys.executable, __file__, "--child", str(size), "--seed", str(args.seed), "--workers", str(workers)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(
                f"{r['size']:>7} {r['how']:>9} {r['seconds']:>8} {r['cpu_s']:>8} {r['peak_mb']:>8} "
                f"{r['strings']:>8} {r['edges']:>9} {r['flow_edges']:>8} {r['components']:>6} {r['largest']:>8} "
                f"{str(r['top_k']):>6}",
                flush=True,
            )

if __name__ == "__main__":
    main()
