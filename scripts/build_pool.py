"""Build the built-in API pool: ``tools_env/data/pool.jsonl`` from ``tools_env/data/pool/*.yaml``.

The pool is written as data, one YAML file per domain plus the shared vocabulary in ``_common.yaml``
(its header documents the format). This script compiles and checks them with
``turnloom.tools_env._pool_source`` and writes one ToolSpec per line, sorted by domain then name, so the
output is byte-identical across runs.

Usage::

    .venv/bin/python scripts/build_pool.py            # write the pool
    .venv/bin/python scripts/build_pool.py --check    # fail if the checked-in file is stale
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from turnloom.files import atomic_write_text
from turnloom.tools_env._pool_source import PoolSourceError, compile_pool, render_jsonl

DATA = Path(__file__).resolve().parent.parent / "tools_env" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the checked-in pool is out of date")
    parser.add_argument("--source", type=Path, default=DATA / "pool", help="folder of the pool's YAML files")
    parser.add_argument("--out", type=Path, default=DATA / "pool.jsonl", help="where to write the pool")
    args = parser.parse_args(argv)
    try:
        tools = compile_pool(args.source)
    except PoolSourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = render_jsonl(tools)
    domains = Counter(t.domain for t in tools)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date with {args.source}; run scripts/build_pool.py", file=sys.stderr)
            return 1
        print(f"{args.out}: up to date ({len(tools)} tools, {len(domains)} domains)")
        return 0
    atomic_write_text(args.out, text)
    print(f"wrote {args.out}: {len(tools)} tools over {len(domains)} domains")
    for domain, count in sorted(domains.items()):
        print(f"  {domain:<18} {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
