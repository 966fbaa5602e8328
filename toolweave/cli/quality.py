"""``toolweave verify`` (re-verify any dialogue file) and ``toolweave report``."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from toolweave.cli._common import fail, parse_assignments

console = Console()


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)


def verify(
    data: Annotated[Path, typer.Argument(help="Dialogues: toolweave JSONL or OpenAI chat format with tools.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write per-dialogue verdicts (JSONL) here.")] = None,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="verifier=REF to use another verifier (registered name or package.module:Name).")] = None,
    show: Annotated[int, typer.Option(help="Show the reasons of this many rejected dialogues.")] = 5,
) -> None:
    """Re-verify every dialogue: a table of rules × pass/fail counts, and per-dialogue verdicts."""
    from toolweave.agents.judges import verify_dialogue
    from toolweave.agents.registry import AgentRefError, resolve_agent
    from toolweave.dataset import DatasetError, read_any

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
        tmp = out.with_name(f".{out.name}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
        os.replace(tmp, out)
        console.print(f"verdicts → {out}")
