"""Rich renderables for plans, transcripts, verdicts and world diffs.

Each function returns a renderable; tests print them into
``Console(file=io.StringIO(), width=...)`` and compare text.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from toolweave.schema import Dialogue, Message, Plan, Verdict

__all__ = ["render_dialogue", "render_message", "render_plan", "render_transcript", "render_verdict",
           "render_world_diff"]

_ROLE_STYLE = {"system": "dim", "user": "bold cyan", "assistant": "bold green", "tool": "bold magenta"}


def _json(value: Any) -> Syntax:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    return Syntax(text, "json", theme="ansi_dark", word_wrap=True, background_color="default")


def render_plan(plan: Plan, current: int | None = None) -> RenderableType:
    table = Table(title="Plan", show_lines=False, expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("kind", style="yellow", no_wrap=True)
    table.add_column("tools", style="magenta")
    table.add_column("requirement")
    for step in plan.steps:
        marker = "▶ " if current == step.index else ""
        table.add_row(f"{marker}{step.index}", step.kind, ", ".join(step.tools) or "—", step.intent,
                      style="reverse" if current == step.index else None)
    return table


def render_message(msg: Message, index: int | None = None) -> RenderableType:
    title = f"{msg.role}" + (f" · step {msg.step}" if msg.step is not None else "") + (
        f" · #{index}" if index is not None else "")
    style = _ROLE_STYLE.get(msg.role, "")
    parts: list[RenderableType] = []
    if msg.role == "tool":
        title += f" · {msg.name} ({msg.tool_call_id})"
        if msg.result is not None and msg.result.error is not None:
            parts.append(Text(f"error: {msg.result.error}", style="bold red"))
        else:
            parts.append(_json(msg.result.content if msg.result is not None else msg.content))
    else:
        if msg.content:
            parts.append(Text(msg.content))
        for call in msg.tool_calls:
            parts.append(Text(f"→ call {call.name} ({call.id})", style="bold yellow"))
            parts.append(_json(call.arguments))
    if not parts:
        parts.append(Text("(empty)", style="dim"))
    return Panel(Group(*parts), title=title, title_align="left", border_style=style)


def render_transcript(messages: list[Message], upto: int | None = None) -> RenderableType:
    shown = messages if upto is None else messages[:upto]
    return Group(*(render_message(m, i) for i, m in enumerate(shown)))


def render_verdict(verdict: Verdict, title: str = "Verdict") -> RenderableType:
    status = Text("ACCEPTED", style="bold green") if verdict.accepted else Text("REJECTED", style="bold red")
    table = Table(title=title, expand=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("layer", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("reason")
    seen: set[tuple[str, bool, str]] = set()
    for c in verdict.checks:
        key = (c.rule, c.passed, c.reason)
        if key in seen:
            continue
        seen.add(key)
        table.add_row(c.rule, c.layer, Text("pass", style="green") if c.passed else Text("FAIL", style="bold red"),
                      c.reason)
    return Group(status, table)


def render_world_diff(diff: dict[str, Any]) -> RenderableType:
    if not diff:
        return Text("(no change to the world)", style="dim")
    return Panel(_json(diff), title="world diff", title_align="left", border_style="blue")


def render_dialogue(d: Dialogue) -> RenderableType:
    header = Text.assemble((f"{d.id}", "bold"), f"  scenario={d.scenario}  seed={d.seed}  ",
                           (f"tools: {', '.join(t.name for t in d.tools)}", "dim"))
    return Group(header, render_plan(d.plan), render_transcript(d.messages), render_verdict(d.verdict))
