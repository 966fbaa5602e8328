"""``turnloom step``: the full-screen stepping viewer and its non-interactive form.

:class:`StepView` turns keys into :class:`~turnloom.viewer.Stepper` calls and draws
the screen as one renderable, so it is tested by rendering into a string console;
:func:`run_step_ui` only adds the terminal (alternate screen + key reader).
"""

from __future__ import annotations

import asyncio

from rich.console import Console, Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from turnloom.schema import Plan, Verdict
from turnloom.viewer._compact import ByWidth, PlanLines, verdict_lines, world_diff_lines
from turnloom.viewer._keys import KeyReader
from turnloom.viewer._render import (
    TranscriptTail,
    render_dialogue,
    render_plan,
    render_update,
    render_verdicts,
    render_world,
    render_world_diff,
)
from turnloom.viewer._screen import Pager, frame, keys_help, scroll_delta
from turnloom.viewer._stepper import Stepper, StepperError

__all__ = ["StepView", "print_run", "run_step_ui"]

_DETAIL_MODES = {"w": "world", "p": "plan", "v": "verdicts"}
_KEYS = (("n/⏎", "next"), ("b", "back"), ("t", "next turn"), ("c", "to end"), ("w", "world"), ("p", "plan"),
         ("v", "verdicts"), ("q", "quit"))
#: keys of the world / plan / verdicts pane: q leaves the pane, as it leaves an open dialogue in ``turnloom view``
_PANE_KEYS = (("↑↓/jk", "scroll"), ("space", "page"), ("g/G", "top/end"), ("n/b", "step"), ("w/p/v", "pane"),
              ("q/esc", "back"))
#: side-panel widths (inside the border) from which the tables fit; narrower, the panels show plain lines
_PLAN_TABLE_WIDTH = 60
_VERDICT_TABLE_WIDTH = 48


class StepView:
    """What the stepping viewer shows and how it answers keys."""

    def __init__(self, stepper: Stepper) -> None:
        self.stepper = stepper
        self.mode = "main"
        self.status = ""
        self._pager: Pager | None = None
        self._page = 10

    # -- keys ---------------------------------------------------------------------------
    async def handle(self, key: str) -> bool:
        """Act on one key; False when the viewer should close."""
        if key in ("eof", "ctrl-c") or (key == "q" and self.mode == "main"):
            return False
        self.status = ""
        try:
            if key in ("n", "enter"):
                await self._next()
            elif key == "b":
                self.status = "went back one step" if await self.stepper.back() else "at the start: nothing before it"
            elif key == "c":
                runs = await self.stepper.run_to_end()
                self.status = f"ran {len(runs)} nodes to the end" if runs else "the dialogue is finished"
            elif key == "t":
                runs = await self.stepper.next_turn()
                self.status = ("ran " + " → ".join(r.node for r in runs)) if runs else "the dialogue is finished"
            elif key in _DETAIL_MODES:
                self.mode = "main" if self.mode == _DETAIL_MODES[key] else _DETAIL_MODES[key]
                self._pager = None
            elif key in ("q", "esc", "left"):
                if self.mode == "main":
                    self.status = f"unknown key {key!r}"
                self.mode, self._pager = "main", None
            elif self.mode != "main" and scroll_delta(key, 10) is not None:
                if self._pager is not None:
                    self._pager.scroll(scroll_delta(key, self._page) or 0)
            else:
                self.status = f"unknown key {key!r}"
        except StepperError as exc:
            self.status = f"error: {exc}"
        if self._pager is not None and key in ("n", "enter", "b", "c", "t"):
            self._pager.replace(self._detail())  # the state moved: show it, keep the scroll position
        return True

    async def _next(self) -> None:
        run = await self.stepper.next()
        if run is None:
            self.status = "the dialogue is finished (b goes back, q quits)"
        else:
            self.status = f"ran {run.node}"

    # -- drawing ------------------------------------------------------------------------
    def header(self) -> Text:
        st = self.stepper
        values = st.values
        text = Text()
        text.append(" turnloom step ", style="bold reverse")
        text.append(f"  step {st.step}", style="bold")
        if st.done:
            verdict = values.get("verdict")
            ok = isinstance(verdict, Verdict) and verdict.accepted
            text.append(f"  finished: {'ACCEPTED' if ok else 'REJECTED'}", style="bold green" if ok else "bold red")
        else:
            text.append(f"  next: {', '.join(st.next_nodes)}", style="bold cyan")
        run = st.last_run
        if run is not None:
            text.append(f"  ran: {run.node}", style="green")
        text.append(f"  scenario {values.get('scenario', '?')}  ")
        text.append(f"dialogue {values.get('dialogue_id', '?')}", style="dim")
        return text

    def _plan(self, *, narrow: bool = False) -> RenderableType:
        plan = self.stepper.values.get("plan")
        if not isinstance(plan, Plan):
            return Text("(no plan yet: the planner runs first)", style="dim")
        current = self.stepper.values.get("step_index", 0)
        if narrow:
            return ByWidth(render_plan(plan, current=current), PlanLines(plan, current), _PLAN_TABLE_WIDTH)
        return render_plan(plan, current=current)

    def _world_diff(self, compact: bool) -> RenderableType:
        """What the last tool node changed: one line per record (``compact``, the side panel) or the JSON diff."""
        st = self.stepper
        step = st.last_tool_step
        if step is None:
            return Text("(no tool call yet)", style="dim")
        calls = ", ".join(f"{m.name}" + (" (error)" if m.result is not None and not m.result.ok else "")
                          for m in st.last_tool_messages)
        diff = world_diff_lines(st.last_world_diff) if compact else render_world_diff(st.last_world_diff)
        return Group(Text(f"made by the tool node at step {step}: {calls}", style="magenta"), diff)

    def _verdicts(self, detail: bool) -> RenderableType:
        values = self.stepper.values
        final = values.get("verdict")
        turns = list(values.get("turn_verdicts", []))
        final = final if isinstance(final, Verdict) else None
        table = render_verdicts(turns, final, detail=detail)
        return table if detail else ByWidth(table, verdict_lines(turns, final), _VERDICT_TABLE_WIDTH)

    def _detail(self) -> RenderableType:
        if self.mode == "world":
            world = self.stepper.world
            state = render_world(world, title="world state") if world is not None else Text("(no world)", style="dim")
            diff = Group(Rule("diff made by the last tool call"), self._world_diff(compact=False))
            grid = Table.grid(expand=True, padding=(0, 1))
            grid.add_column(ratio=1)
            grid.add_column(ratio=1)
            grid.add_row(state, diff)
            return grid
        if self.mode == "plan":
            plan = self.stepper.values.get("plan")
            about = Text(f"goal: {plan.goal}   persona: {plan.persona}", style="dim") if isinstance(plan, Plan) \
                else Text("")
            return Group(self._plan(), about)
        return self._verdicts(detail=True)

    def _main_body(self) -> RenderableType:
        messages = list(self.stepper.values.get("messages", []))
        body = Layout()
        side = Layout(name="side", ratio=2)
        side.split_column(
            Layout(Panel(self._plan(narrow=True), title="plan", title_align="left", border_style="yellow"),
                   ratio=3),
            Layout(Panel(self._world_diff(compact=True), title="world diff", title_align="left",
                         border_style="blue"), ratio=2),
            Layout(Panel(self._verdicts(detail=False), title="verdicts", title_align="left",
                         border_style="green"), ratio=2),
        )
        body.split_row(Layout(Panel(TranscriptTail(messages), title=f"transcript · {len(messages)} messages",
                                    title_align="left"), name="transcript", ratio=3), side)
        return body

    def render(self, console: Console) -> RenderableType:
        """The whole screen at the console's size."""
        height, width = console.height, console.width
        header = self.header()
        footer = keys_help(*_KEYS, status=self.status)
        if self.mode != "main":
            footer = keys_help(*_PANE_KEYS, status=f"{self.mode} · lines 1-99 of 999   {self.status}")  # to size it
        # at 80 columns the header and the footer take two lines each rather than losing their ends
        header_size, footer_size = _lines_needed(console, header, width), _lines_needed(console, footer, width)
        body_height = max(1, height - header_size - footer_size)
        if self.mode == "main":
            body: RenderableType = self._main_body()
        else:
            self._page = max(1, body_height - 1)
            if self._pager is None:
                self._pager = Pager(self._detail())
            body, where = self._pager.window(console, width, body_height)
            footer = keys_help(*_PANE_KEYS, status=f"{self.mode} · {where}   {self.status}")
        return frame(header, body, footer, header_size=header_size, footer_size=footer_size)


def _lines_needed(console: Console, text: Text, width: int, most: int = 2) -> int:
    """Lines ``text`` takes wrapped at ``width`` (at most ``most``)."""
    return max(1, min(most, len(text.wrap(console, max(1, width)))))


def run_step_ui(stepper: Stepper, console: Console, keys: KeyReader) -> None:
    """Show the viewer full screen until ``q``; the terminal is restored on the way out.

    Keys are read outside the event loop (each action runs on a private loop), so Ctrl-C
    interrupts at once even while the viewer waits for a key."""
    loop = asyncio.new_event_loop()
    try:
        if not stepper.started:
            loop.run_until_complete(stepper.start())
        view = StepView(stepper)
        with keys, console.screen(hide_cursor=True) as screen:
            while True:
                screen.update(view.render(console))
                if not loop.run_until_complete(view.handle(keys.read())):
                    break
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:  # gather() of nothing would belong to another loop and hide the error on its way out
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def print_run(stepper: Stepper, console: Console) -> None:
    """Every node's update in order, then the final dialogue and its verdict."""
    if not stepper.started:
        await stepper.start()
    values = stepper.values
    console.print(Rule(f"{values.get('scenario')} · {values.get('dialogue_id')}"))
    while True:
        before = stepper.world
        run = await stepper.next()
        if run is None:
            break
        console.print(render_update(run.node, run.update, step=stepper.step, world_before=before))
    console.print(Rule("dialogue"))
    console.print(render_dialogue(stepper.dialogue()))
