"""Commands that work on dialogue data files: ``export`` (more to come)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["ExportFormat", "export", "register"]

_err = Console(stderr=True)


class ExportFormat(str, Enum):
    openai = "openai"
    sharegpt = "sharegpt"
    trl_sft = "trl-sft"
    trl_dpo = "trl-dpo"
    bfcl = "bfcl"


def _fail(message: str) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def export(
    data: Path = typer.Argument(
        ..., help="Dialogue JSONL file (a preference-pair JSONL file for trl-dpo).", show_default=False
    ),
    fmt: ExportFormat = typer.Option(..., "--format", "-f", help="Output format.", show_default=False),
    out: Path = typer.Option(..., "--out", "-o", help="Output file (a folder for bfcl).", show_default=False),
    only_accepted: bool = typer.Option(
        True, "--only-accepted/--all", help="Export only dialogues the verifier accepted, or all of them."
    ),
    system_prompt: str | None = typer.Option(
        None, "--system-prompt", help="System prompt that replaces the dialogues' own.", show_default=False
    ),
) -> None:
    """Export dialogues for training (OpenAI, ShareGPT, TRL) or evaluation (BFCL)."""
    from turnloom.export import ExportInputError, export_file

    if not data.is_file():
        raise _fail(f"{data}: no such file")
    try:
        summary = export_file(data, fmt.value, out, only_accepted=only_accepted, system_prompt=system_prompt)
    except ExportInputError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{exc.filename or out}: cannot write: {exc.strerror or exc}") from None

    console = Console()
    table = Table(title=f"turnloom export --format {fmt.value}", title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("records", justify="right")
    for path, count in summary.files.items():
        table.add_row(str(path), str(count))
    console.print(table)
    console.print(
        f"read {summary.read} record(s) from {data}, wrote {summary.written}", highlight=False, soft_wrap=True
    )
    for reason, count in sorted(summary.skipped.items()):
        console.print(f"skipped {count}: {reason.replace('_', ' ')}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("export")(export)
