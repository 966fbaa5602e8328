"""Rich renderables for plans, transcripts, verdicts and world diffs.

Each function returns a renderable; tests print them into
``Console(file=io.StringIO(), width=...)`` and compare text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.segment import Segment
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from turnloom.schema import Dialogue, Message, Plan, Verdict, canonical_json
from turnloom.tools_env.world import World, world_diff

__all__ = ["TranscriptTail", "render_dialogue", "render_message", "render_plan", "render_transcript",
           "render_update", "render_verdict", "render_verdicts", "render_world", "render_world_diff"]

_ROLE_STYLE = {"system": "dim", "user": "bold cyan", "assistant": "bold green", "tool": "bold magenta"}


def _json(value: Any, compact: bool = False) -> Syntax:
    text = json.dumps(value, indent=None if compact else 2, ensure_ascii=False, sort_keys=False)
    return Syntax(text, "json", theme="ansi_dark", word_wrap=True, background_color="default")


def render_plan(plan: Plan, current: int | None = None) -> RenderableType:
    table = Table(title="Plan", show_lines=False, expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("kind", style="yellow", no_wrap=True)
    table.add_column("tools", style="magenta")
    table.add_column("requirement", ratio=1)
    for step in plan.steps:
        marker = "▶ " if current == step.index else ""
        table.add_row(f"{marker}{step.index}", step.kind, ", ".join(step.tools) or "—", step.intent,
                      style="reverse" if current == step.index else None)
    return table


def render_message(msg: Message, index: int | None = None, *, compact: bool = False) -> RenderableType:
    """One message as a panel; calls and results as highlighted JSON (one wrapped line each when ``compact``)."""
    title = f"{msg.role}" + (f" · step {msg.step}" if msg.step is not None else "") + (
        f" · #{index}" if index is not None else "")
    style = _ROLE_STYLE.get(msg.role, "")
    parts: list[RenderableType] = []
    if msg.role == "tool":
        title += f" · {msg.name} ({msg.tool_call_id})"
        if msg.result is not None and msg.result.error is not None:
            parts.append(Text(f"error: {msg.result.error}", style="bold red"))
        else:
            parts.append(_json(msg.result.content if msg.result is not None else msg.content, compact))
    else:
        if msg.content:
            parts.append(Text(msg.content))
        for call in msg.tool_calls:
            parts.append(Text(f"→ call {call.name} ({call.id})", style="bold yellow"))
            parts.append(_json(call.arguments, compact))
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
    table.add_column("reason", ratio=1)
    seen: set[tuple[str, bool, str]] = set()
    for c in verdict.checks:
        key = (c.rule, c.passed, c.reason)
        if key in seen:
            continue
        seen.add(key)
        table.add_row(c.rule, c.layer, Text("pass", style="green") if c.passed else Text("FAIL", style="bold red"),
                      c.reason)
    return Group(status, table)


def render_world_diff(diff: dict[str, Any], *, compact: bool = False) -> RenderableType:
    if not diff:
        return Text("(no change to the world)", style="dim")
    return Panel(_json(diff, compact), title="world diff", title_align="left", border_style="blue")


def render_dialogue(d: Dialogue) -> RenderableType:
    header = Text.assemble((f"{d.id}", "bold"), f"  scenario={d.scenario}  seed={d.seed}  ",
                           (f"tools: {', '.join(t.name for t in d.tools)}", "dim"))
    return Group(header, render_plan(d.plan), render_transcript(d.messages), render_verdict(d.verdict))


class TranscriptTail:
    """The newest messages that fit in ``max_height`` lines (default: the height the
    layout gives, else the console's), with a line saying how many earlier ones are hidden."""

    def __init__(self, messages: list[Message], max_height: int | None = None, *, compact: bool = True) -> None:
        self.messages = messages
        self.max_height = max_height
        self.compact = compact

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        height = self.max_height or options.height or console.height
        free = options.update(height=None)
        picked: list[list[list[Segment]]] = []
        used = 0
        for i in range(len(self.messages) - 1, -1, -1):
            lines = console.render_lines(render_message(self.messages[i], i, compact=self.compact), free, pad=False)
            hidden = i  # messages before this one
            room = height - (1 if hidden else 0)
            if picked and used + len(lines) > room:
                break
            picked.append(lines)
            used += len(lines)
        hidden = len(self.messages) - len(picked)
        if not self.messages:
            yield from console.render(Text("(no messages yet)", style="dim"), free)
            return
        if hidden:
            yield from console.render(Text(f"… {hidden} earlier message{'s' if hidden != 1 else ''}", style="dim"),
                                      free)
        for lines in reversed(picked):
            for line in lines:
                yield from line
                yield Segment.line()


def _cell(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else canonical_json(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _WorldTables:
    """One table per entity: a column per field when they fit the width, else one
    ``field: value`` cell per record."""

    def __init__(self, world: World) -> None:
        self.world = world

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        w = self.world
        for entity in sorted(w.tables):
            records = w.tables[entity]
            fields: list[str] = []
            for record in records.values():
                fields.extend(f for f in record if f not in fields)
            # a field that only repeats the record id adds nothing to the id column
            fields = [f for f in fields if not all(str(r.get(f)) == rid for rid, r in records.items())]
            widths = [max([len(f)] + [len(_cell(r.get(f, ""))) for r in records.values()]) + 3 for f in fields]
            id_width = max([2] + [len(rid) for rid in records]) + 4
            table = Table(title=f"{entity} ({len(records)})", title_justify="left", expand=True)
            table.add_column("id", style="bold", no_wrap=True)
            if id_width + sum(widths) <= options.max_width:
                for f in fields:
                    table.add_column(f)
                for rid, record in records.items():
                    table.add_row(rid, *(_cell(record[f]) if f in record else "" for f in fields))
            else:
                table.add_column("record", ratio=1)
                for rid, record in records.items():
                    cell = Text()
                    for f in fields:
                        if f in record:
                            cell.append(f"{f}: ", style="dim")
                            cell.append(_cell(record[f]) + "  ")
                    table.add_row(rid, cell)
            yield table
        if not w.tables:
            yield Text("(no records)", style="dim")
        counters = ", ".join(f"{k}={v}" for k, v in sorted(w.counters.items())) or "—"
        yield Text(f"counters: {counters}   memo: {len(w.memo)} entries   clock: {w.clock}", style="dim")


def render_world(world: World | Mapping[str, Any], title: str = "world") -> RenderableType:
    """Every entity table of a world (one row per record), its counters and memo size."""
    w = world if isinstance(world, World) else World.model_validate(dict(world))
    return Panel(_WorldTables(w), title=f"{title} · digest {w.digest()}", title_align="left", border_style="blue")


def render_verdicts(turn_verdicts: list[Verdict], final: Verdict | None = None, *,
                    detail: bool = False) -> RenderableType:
    """The final verdict and the turn verdicts, newest first: a row each, or (``detail``) each one's full table."""
    if detail:
        parts: list[RenderableType] = [render_verdict(final, title="dialogue")] if final is not None else []
        parts.extend(render_verdict(v, title=f"turn · step {v.step}") for v in reversed(turn_verdicts))
        return Group(*parts) if parts else Text("(no verdicts yet)", style="dim")
    table = Table(title="Verdicts (newest first)", expand=True)
    table.add_column("scope", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("failed rules", ratio=1)
    rows = [(f"turn · step {v.step}", v) for v in turn_verdicts]
    if final is not None:
        rows.append(("dialogue", final))
    rows.reverse()
    for label, v in rows:
        mark = Text("✓", style="bold green") if v.accepted else Text("✗", style="bold red")
        failed = "; ".join(v.reasons) or f"{len(v.checks)} checks passed"
        table.add_row(label, mark, failed)
    if not rows:
        table.add_row("—", "", Text("(no verdicts yet)", style="dim"))
    return table


_QUIET_KEYS = {"world", "world_initial", "turn_world", "usage", "tools", "context"}


def render_update(node: str, update: Mapping[str, Any], *, step: int | None = None,
                  world_before: World | None = None) -> RenderableType:
    """What one graph node returned: new messages, plan, verdicts, the world diff it made
    (when ``world_before`` is given) and its other fields as ``key = value``."""
    parts: list[RenderableType] = []
    if isinstance(update.get("plan"), Plan):
        parts.append(render_plan(update["plan"]))
    msgs = update.get("messages")
    if isinstance(msgs, dict):
        parts.append(Text(f"transcript cut to {msgs.get('truncate')} messages (turn regenerated)", style="yellow"))
        msgs = msgs.get("append", [])
    for m in msgs or []:
        parts.append(render_message(m))
    for v in update.get("turn_verdicts") or []:
        parts.append(render_verdict(v, title=f"turn verdict · step {v.step}"))
    if isinstance(update.get("verdict"), Verdict):
        parts.append(render_verdict(update["verdict"], title="dialogue verdict"))
    if isinstance(update.get("world"), World) and world_before is not None:
        diff = world_diff(world_before, update["world"])
        if diff or node == "tool":
            parts.append(render_world_diff(diff))
    rest = [f"{k} = {_cell(v, 80)}" for k, v in update.items()
            if k not in _QUIET_KEYS and k not in {"plan", "messages", "turn_verdicts", "verdict"}]
    if rest:
        parts.append(Text("  ".join(rest), style="dim"))
    title = (f"step {step} · " if step is not None else "") + node
    return Panel(Group(*parts) if parts else Text("(no update)", style="dim"), title=title, title_align="left",
                 border_style=_ROLE_STYLE.get(node, "yellow"))
