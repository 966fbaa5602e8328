"""Build the built-in API pool: ``tools_env/data/pool.jsonl``.

The pool is defined compactly in ``scripts/_pool_*.py`` (one function per
domain, written in the field-vocabulary DSL of ``_pool_common.py``). This script
validates every tool (``ToolSpec``, JSON Schema meta-schema, id flow) and writes
one ToolSpec per line, sorted by domain then name, so the output is
byte-identical across runs.

Usage::

    .venv/bin/python scripts/build_pool.py            # write the pool
    .venv/bin/python scripts/build_pool.py --check    # fail if the checked-in file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _pool_commerce
import _pool_digital
import _pool_food
import _pool_local
import _pool_media
import _pool_services
import _pool_travel
from jsonschema import Draft202012Validator

from turnloom.schema import ToolSpec

OUT = Path(__file__).resolve().parent.parent / "tools_env" / "data" / "pool.jsonl"
MODULES = (
    _pool_travel, _pool_local, _pool_food, _pool_commerce, _pool_services, _pool_digital, _pool_media
)


def all_tools() -> list[dict[str, Any]]:
    tools = [t for module in MODULES for build in module.DOMAINS for t in build().tools]
    return sorted(tools, key=lambda t: (t["domain"], t["name"]))


def returned_names(schema: Any) -> Iterator[str]:
    """Every property name in a returns schema, at any depth (objects, arrays, anyOf, $defs)."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield name
            yield from returned_names(sub)
        for key in ("items", "$defs"):
            if key in schema:
                sub = schema[key]
                yield from returned_names(sub if key == "items" else {"properties": sub})
        for sub in schema.get("anyOf", []):
            yield from returned_names(sub)


def problems(tools: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    names = Counter(t["name"] for t in tools)
    out += [f"duplicate tool name {n!r}" for n, c in names.items() if c > 1]
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for t in tools:
        by_domain.setdefault(t["domain"], []).append(t)
        ToolSpec.model_validate(t)
        Draft202012Validator.check_schema(t["parameters"])
        Draft202012Validator.check_schema(t["returns"])
    for domain, members in by_domain.items():
        for t in members:
            for param in t["parameters"]["required"]:
                if not param.endswith("_id"):
                    continue
                sources = [o["name"] for o in members if o is not t and param in returned_names(o["returns"])]
                if not sources:
                    out.append(f"{domain}.{t['name']}: no other tool returns required id {param!r}")
    return out


def render(tools: list[dict[str, Any]]) -> str:
    specs = [ToolSpec.model_validate(t).model_dump(mode="json") for t in tools]
    lines = [json.dumps(spec, ensure_ascii=False) for spec in specs]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the checked-in pool is out of date")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the pool")
    args = parser.parse_args(argv)
    tools = all_tools()
    found = problems(tools)
    if found:
        for p in found:
            print(f"error: {p}", file=sys.stderr)
        return 1
    text = render(tools)
    domains = Counter(t["domain"] for t in tools)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date; run scripts/build_pool.py", file=sys.stderr)
            return 1
        print(f"{args.out}: up to date ({len(tools)} tools, {len(domains)} domains)")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {len(tools)} tools over {len(domains)} domains")
    for domain, count in sorted(domains.items()):
        print(f"  {domain:<18} {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
