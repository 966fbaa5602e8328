"""Narrow forms of the stepping viewer's side panels, and a renderable that picks the
wide or the narrow form by the width it is given.

At 80 columns the side panels are about 30 columns wide: too narrow for a four-column
table, which rich shrinks to ``t…`` cells. The narrow forms are plain lines instead.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text

from turnloom.schema import Plan, Verdict, canonical_json

__all__ = ["ByWidth", "PlanLines", "verdict_lines", "world_diff_lines"]


class ByWidth:
    """``wide`` when it gets at least ``min_width`` columns, else ``narrow``."""

    def __init__(self, wide: RenderableType, narrow: RenderableType, min_width: int) -> None:
        self.wide = wide
        self.narrow = narrow
        self.min_width = min_width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        chosen = self.wide if options.max_width >= self.min_width else self.narrow
        if hasattr(chosen, "__rich_console__"):  # rendered in place, so it still sees the height it is given
            yield from chosen.__rich_console__(console, options)
        else:
            yield chosen


def _line(text: Text) -> Text:
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


class PlanLines:
    """One line per plan step (``▶`` on the current one, followed by its requirement),
    scrolled so that the current step stays in view when the height is short."""

    def __init__(self, plan: Plan, current: int | None = None) -> None:
        self.plan = plan
        self.current = current

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines: list[Text] = []
        steps: list[int] = []  # the line of each step
        at = 0
        for step in self.plan.steps:
            here = step.index == self.current
            if here:
                at = len(steps)
            steps.append(len(lines))
            line = Text("▶ " if here else "  ", style="bold" if here else "")
            line.append(f"{step.index} ", style="bold" if here else "dim")
            line.append(step.kind, style="yellow")
            line.append(" " + (", ".join(step.tools) or "—"), style="magenta")
            lines.append(_line(line))
            if here:
                lines.extend(Text("    ").append_text(row)
                             for row in Text(step.intent).wrap(console, max(8, options.max_width - 4)))
        height = options.height
        if height is not None and len(lines) > height:
            lines = self._window(lines, steps, at, height)
        yield from lines

    @staticmethod
    def _window(lines: list[Text], steps: list[int], at: int, height: int) -> list[Text]:
        """``height`` lines around step ``at``, the last one saying how many steps are out of view."""
        room = max(1, height - 1)
        first = steps[at] if at < len(steps) else 0
        start = max(0, min(steps[at - 1] if at >= 1 and room >= 3 else first, len(lines) - room))
        start = min(start, first)
        shown = lines[start: start + room]
        if height < 2:
            return shown
        above = sum(1 for line in steps if line < start)
        below = sum(1 for line in steps if line >= start + room)
        note = "  ".join(part for part in (f"… {above} above" if above else "", f"… {below} below" if below else "")
                         if part)
        return [*shown, Text(note, style="dim")]


def _value(value: Any, limit: int = 24) -> str:
    text = value if isinstance(value, str) else canonical_json(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def world_diff_lines(diff: dict[str, Any]) -> RenderableType:
    """``entity +N: ids`` / ``entity ~N: id field: old → new`` / ``entity -N: ids`` lines."""
    if not diff:
        return Text("(no change to the world)", style="dim")
    text = Text()
    for entity, change in diff.items():
        added, removed, changed = change.get("added", {}), change.get("removed", []), change.get("changed", {})
        if added:
            text.append(f"{entity} +{len(added)}", style="green")
            text.append(f": {', '.join(added)}\n")
        for rid, fields in changed.items():
            text.append(f"{entity} ~ {rid}", style="yellow")
            text.append(": " + "; ".join(f"{f} {_value(old)} → {_value(new)}" for f, (old, new) in fields.items())
                        + "\n")
        if removed:
            text.append(f"{entity} -{len(removed)}", style="red")
            text.append(f": {', '.join(removed)}\n")
    text.rstrip()
    return text


def verdict_lines(turn_verdicts: list[Verdict], final: Verdict | None) -> RenderableType:
    """One line per verdict, newest first: ``✓ dialogue`` or ``✗ turn 2: failed rule reasons``."""
    rows = [(f"turn {v.step}", v) for v in turn_verdicts]
    if final is not None:
        rows.append(("dialogue", final))
    if not rows:
        return Text("(no verdicts yet)", style="dim")
    text = Text()
    for label, v in reversed(rows):
        text.append("✓ " if v.accepted else "✗ ", style="bold green" if v.accepted else "bold red")
        text.append(label, style="bold")
        text.append(": " + ("; ".join(v.reasons) or f"{len(v.checks)} checks passed") + "\n")
    text.rstrip()
    return text
