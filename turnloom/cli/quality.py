"""``turnloom verify`` (re-verify any dialogue file) and ``turnloom report``."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from turnloom.cli._common import fail, parse_assignments
from turnloom.files import atomic_write_text

console = Console()


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
    app.command("report")(report)


def _kv_table(title: str, rows: Mapping[str, Any]) -> Table:
    t = Table(title=title, show_header=False)
    t.add_column("what", style="bold")
    t.add_column("value")
    for k, v in rows.items():
        t.add_row(str(k), json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v))
    return t


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (with accepted.jsonl / rejected.jsonl).")],
    html: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report here "
                                              "(default: RUN_DIR/report.html).")] = None,
    embeddings: Annotated[bool, typer.Option(help="Also measure embedding coherence ([embeddings] extra).")] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report data as JSON here.")] = None,
    sample: Annotated[int, typer.Option("--sample", min=0, help="Measure distinct-n over a seeded sample of this "
                                        "many turns per role (all when fewer; 0 = all turns).")] = 300,
) -> None:
    """Data-quality report of a run, in the terminal and as HTML with charts."""
    from turnloom.dataset import DatasetError
    from turnloom.quality import build_report, report_html
    from turnloom.runner import write_json_atomic

    if not run_dir.is_dir() or not any((run_dir / f).exists() for f in ("accepted.jsonl", "rejected.jsonl")):
        fail(f"{run_dir}: not a run directory (no accepted.jsonl or rejected.jsonl)")
    try:
        rep = build_report(run_dir, embeddings=embeddings, sample=sample)
    except DatasetError as exc:
        fail(str(exc))
    c = rep["counts"]
    console.print(_kv_table("Run", {**rep["run"], **c}))
    if rep["rejection_reasons"]:
        console.print(_kv_table("Rejection reasons (dialogues failing each rule)", rep["rejection_reasons"]))
    lengths = {k: {x: y for x, y in v.items() if x != "histogram"} for k, v in rep["lengths"].items()}
    console.print(_kv_table("Distributions (accepted)", lengths))
    console.print(_kv_table("Step kinds", rep["step_kinds"]))
    tools = rep["tools"]
    console.print(_kv_table("Tools", {k: v for k, v in tools.items() if k not in ("calls_per_tool",)}))
    console.print(_kv_table("Diversity of user and assistant turns", rep["diversity"]))
    console.print(_kv_table("Coherence of consecutive turns", rep["coherence"]))
    if rep["relevance"]:
        console.print(_kv_table("Graph relevance of tool sets", rep["relevance"]))
    target = html or run_dir / "report.html"
    atomic_write_text(target, report_html(rep))
    console.print(f"HTML report → {target}")
    if json_out is not None:
        write_json_atomic(json_out, rep)


def verify(
    data: Annotated[Path, typer.Argument(help="Dialogues: turnloom JSONL or OpenAI chat format with tools.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write per-dialogue verdicts (JSONL) here.")] = None,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="verifier=REF to use another verifier (registered name or package.module:Name).")] = None,
    show: Annotated[int, typer.Option(help="Show the reasons of this many rejected dialogues.")] = 5,
    exit_zero: Annotated[bool, typer.Option(
        "--exit-zero", help="Exit 0 even when dialogues fail (by default any failing dialogue exits 1).")] = False,
) -> None:
    """Re-verify every dialogue: a table of rules × pass/fail counts, and per-dialogue verdicts.

    Exits 1 when any dialogue fails a rule (as linters and test runners do), 0 when all pass."""
    from turnloom.agents.registry import AgentRefError, resolve_agent
    from turnloom.agents.verify.judges import verify_dialogue
    from turnloom.dataset import DatasetError, read_any

    refs = parse_assignments(agent or [], "--agent")
    verifier = None
    if "verifier" in refs:
        try:
            verifier = resolve_agent(refs["verifier"], "verifier")
        except AgentRefError as exc:
            fail(str(exc))
    passed: Counter[tuple[str, str]] = Counter()
    failed: Counter[tuple[str, str]] = Counter()
    rows = []
    rejected: list[tuple[str, list[str]]] = []

    async def go() -> None:
        for d in read_any(data):
            verdict = await verify_dialogue(d, verifier)
            seen_fail = {(c.rule, c.layer) for c in verdict.failures}
            for rule_layer in {(c.rule, c.layer) for c in verdict.checks}:
                (failed if rule_layer in seen_fail else passed)[rule_layer] += 1
            rows.append({"id": d.id, "accepted": verdict.accepted, "reasons": verdict.reasons,
                         "verdict": verdict.model_dump(mode="json")})
            if not verdict.accepted:
                rejected.append((d.id, verdict.reasons))

    try:
        asyncio.run(go())
    except DatasetError as exc:
        fail(str(exc))
    table = Table(title=f"Verification of {data} ({len(rows)} dialogues)")
    table.add_column("rule")
    table.add_column("layer")
    table.add_column("pass", justify="right", style="green")
    table.add_column("fail", justify="right", style="red")
    for rule, layer in sorted(set(passed) | set(failed), key=lambda k: (k[1] != "rule", k[0])):
        table.add_row(rule, layer, str(passed[(rule, layer)]), str(failed[(rule, layer)]))
    console.print(table)
    accepted = sum(1 for r in rows if r["accepted"])
    console.print(f"[bold]{accepted}[/] of {len(rows)} dialogues pass every rule")
    for did, reasons in rejected[:show]:
        console.print(f"[red]✗ {did}[/]: " + "; ".join(reasons[:3]), highlight=False)
    if out is not None:
        atomic_write_text(out, "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows))
        console.print(f"verdicts → {out}")
    if rejected and not exit_zero:
        raise typer.Exit(1)
