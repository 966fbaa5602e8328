"""Import every OpenAPI spec of benchmarks/corpus/ (and, given a folder, BFCL data files).

Per spec: operations seen, imported, skipped, time, peak memory of a fresh process
(ru_maxrss), largest tool schema (parameters + returns, compact JSON), and whether
import -> export OpenAI -> import gives equal tools; then the totals. Each spec runs in
its own subprocess so that one's memory does not hide another's.

    python benchmarks/bench_import.py                      # the corpus
    python benchmarks/bench_import.py --bfcl DATA_DIR      # also bfcl-eval's data/ folder
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

_CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
from turnloom.tools_env.importers import export_openai, import_tools, import_tools_report
kind, path, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
start = time.perf_counter()
result = import_tools_report(kind, path, max_schema_bytes=limit)
seconds = time.perf_counter() - start
dumps = lambda v: json.dumps(v, separators=(",", ":"))
largest = max((len(dumps(t.parameters)) + len(dumps(t.returns)) for t in result.tools), default=0)
with tempfile.TemporaryDirectory() as tmp:
    out = Path(tmp) / "tools.json"
    out.write_text(json.dumps(export_openai(result.tools)), encoding="utf-8")
    lossless = import_tools("openai", out) == result.tools
docs = sorted(json.dumps(t.model_dump(mode="json", exclude={"name"}), sort_keys=True) for t in result.tools)
print(json.dumps({**result.report.summary(), "seconds": round(seconds, 2), "largest": largest,
                  "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "lossless": lossless, "tracebacks": 0, "docs": docs if kind == "bfcl" else []}))
"""


def _run(kind: str, path: Path, limit: int) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", _CHILD, kind, str(path), str(limit)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": last, "tracebacks": int("Traceback" in proc.stderr)}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _row(name: str, r: dict[str, object]) -> str:
    if "error" in r:
        return f"| {name} | error: {r['error']} |"
    cols = [r[k] for k in ("seen", "imported", "skipped", "renamed", "deduplicated", "pruned", "warning",
                           "seconds", "rss_mb", "largest", "lossless")]
    return "| " + " | ".join([name, *(str(c) for c in cols)]) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bfcl", type=Path, help="bfcl-eval's data/ folder (BFCL_v4_*.json files)")
    parser.add_argument("--max-schema-bytes", type=int, default=64 * 1024)
    args = parser.parse_args()
    head = ("| spec | operations | imported | skipped | renamed | dedup | pruned | warnings | s | peak MB "
            "| largest schema | lossless |\n|" + "---|" * 12)
    print(head)
    totals = {"seen": 0, "imported": 0, "skipped": 0, "tracebacks": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for gz in sorted(CORPUS.glob("*.gz")):
            spec = Path(tmp) / gz.name[:-3]
            spec.write_bytes(gzip.decompress(gz.read_bytes()))
            r = _run("openapi", spec, args.max_schema_bytes)
            print(_row(spec.name, r), flush=True)
            for key in totals:
                totals[key] += int(r.get(key, 0))  # type: ignore[call-overload]
    share = 100 * totals["imported"] / max(1, totals["seen"])
    print(f"\nOpenAPI total: {totals['imported']} of {totals['seen']} operations imported ({share:.1f}%), "
          f"{totals['skipped']} skipped (each reported), {totals['tracebacks']} tracebacks")
    if args.bfcl is None:
        return
    print(f"\n{head}")
    imported: set[str] = set()
    for data in sorted(args.bfcl.glob("BFCL_v*_*.json")):
        r = _run("bfcl", data, args.max_schema_bytes)
        print(_row(data.name, r), flush=True)
        imported.update(r.get("docs", []))  # type: ignore[arg-type]
    print(f"\nBFCL: {len(imported)} distinct tools imported across files (renamed duplicates counted apart)")


if __name__ == "__main__":
    main()
