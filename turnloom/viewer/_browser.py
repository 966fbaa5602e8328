"""``turnloom view``: browse a dialogue file — a filterable list, and one dialogue at a time.

:class:`Browser` holds what is shown and answers keys; it draws the screen as one
renderable (tested by rendering into a string console). :func:`run_browser` adds the
terminal; :func:`print_list` is the form for scripts and pipes.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.text import Text

from turnloom.schema import Dialogue
from turnloom.viewer._filter import DialogueFilter, FilterError, summary_line, tools_used
from turnloom.viewer._keys import KeyReader
from turnloom.viewer._render import render_dialogue
from turnloom.viewer._screen import Pager, frame, keys_help, scroll_delta

__all__ = ["Browser", "print_list", "run_browser"]

_LIST_KEYS = (("↑↓/jk", "move"), ("⏎/o", "open"), ("/", "filter"), ("q", "quit"))
_OPEN_KEYS = (("↑↓/jk/space", "scroll"), ("n/p", "next/prev"), ("q", "back"))


class Browser:
    """A dialogue list with a cursor and a filter, and the dialogue opened from it."""

    def __init__(self, dialogues: list[Dialogue], *, source: str = "", expr: str = "") -> None:
        self.items = list(enumerate(dialogues))
        self.source = source
        self.filter = DialogueFilter.parse(expr).checked(dialogues)
        self.shown = [(i, d) for i, d in self.items if self.filter.matches(d)]
        self.cursor = 0
        self.top = 0
        self.opened: int | None = None
        self.status = ""
        #: the filter being typed (None when no prompt is open)
        self.prompt: str | None = None
        self._pager: Pager | None = None
        self._page = 10
        self._id_width = max((len(d.id) for _, d in self.items), default=0)
        self._tools_width = max((len(tools_used(d)) for _, d in self.items), default=0)

    # -- state --------------------------------------------------------------------------
    @property
    def current(self) -> tuple[int, Dialogue] | None:
        """(file index, dialogue) under the cursor, or the one opened."""
        pos = self.opened if self.opened is not None else self.cursor
        return self.shown[pos] if 0 <= pos < len(self.shown) else None

    def apply_filter(self, expr: str) -> bool:
        """Show only the dialogues ``expr`` matches (the empty filter shows all)."""
        try:
            flt = DialogueFilter.parse(expr).checked(d for _, d in self.items)
        except FilterError as exc:
            self.status = str(exc)
            return False
        self.filter = flt
        self.shown = [(i, d) for i, d in self.items if flt.matches(d)]
        self.cursor, self.top, self.opened, self._pager = 0, 0, None, None
        self.status = f"{len(self.shown)} match" if flt else ""
        return True

    def _open(self, pos: int) -> None:
        if 0 <= pos < len(self.shown):
            self.opened = pos
            self.cursor = pos
            self._pager = Pager(render_dialogue(self.shown[pos][1]))

    def handle(self, key: str) -> bool:
        """Act on one key; False when the browser should close."""
        self.status = ""
        if key in ("eof", "ctrl-c"):
            return False
        if self.opened is not None:
            if key in ("q", "esc", "left"):
                self.opened, self._pager = None, None
            elif key in ("n", "p"):
                target = self.opened + (1 if key == "n" else -1)
                if 0 <= target < len(self.shown):
                    self._open(target)
                else:
                    self.status = "no next dialogue" if key == "n" else "no previous dialogue"
            elif (delta := scroll_delta(key, self._page)) is not None and self._pager is not None:
                self._pager.scroll(delta)
            else:
                self.status = f"unknown key {key!r}"
            return True
        if key == "q":
            return False
        if key in ("enter", "o", "right"):
            if self.shown:
                self._open(self.cursor)
            else:
                self.status = "nothing to open"
        elif key == "esc" and self.filter:
            self.apply_filter("")
        elif (delta := scroll_delta(key, self._page)) is not None:
            self.cursor = max(0, min(len(self.shown) - 1, self.cursor + delta))
        else:
            self.status = f"unknown key {key!r}"
        return True

    # -- drawing ------------------------------------------------------------------------
    def _footer(self, pairs: tuple[tuple[str, str], ...], status: str) -> Text:
        if self.prompt is not None:
            text = Text("/", style="bold")
            text.append(self.prompt + "▏")
            text.append("   ⏎ apply · esc cancel · tool:NAME kind:KIND rule:NAME or words", style="dim")
            return text
        return keys_help(*pairs, status=status)

    def _list_body(self, height: int, width: int) -> RenderableType:
        if not self.shown:
            what = f"matches {self.filter.expr!r}" if self.filter else "in this file"
            return Text(f"(no dialogue {what})", style="dim")
        self.top = max(0, min(self.top, self.cursor, len(self.shown) - height))
        if self.cursor >= self.top + height:
            self.top = self.cursor - height + 1
        lines = []
        # what is left of the width once index, id, #steps and a verdict of ~24 characters are placed
        tools_width = max(12, min(self._tools_width, width - self._id_width - 45))
        for pos in range(self.top, min(len(self.shown), self.top + height)):
            i, d = self.shown[pos]
            line = summary_line(i, d, self._id_width, tools_width)
            line.no_wrap, line.overflow = True, "ellipsis"
            if pos == self.cursor:
                line.stylize("reverse")
            lines.append(line)
        return Group(*lines)

    def render(self, console: Console) -> RenderableType:
        """The whole screen at the console's size."""
        height = max(1, console.height - 2)
        self._page = max(1, height - 1)
        header = Text()
        header.append(" turnloom view ", style="bold reverse")
        header.append(f"  {self.source}  ")
        if self.opened is not None and self._pager is not None:
            i, d = self.shown[self.opened]
            header.append(f"dialogue {i} · {self.opened + 1} of {len(self.shown)} shown  ", style="bold")
            header.append("✓ accepted" if d.accepted else "✗ rejected", style="green" if d.accepted else "red")
            body, where = self._pager.window(console, console.width, height)
            return frame(header, body, self._footer(_OPEN_KEYS, f"{where}   {self.status}"))
        header.append(f"{len(self.shown)} of {len(self.items)} dialogues", style="bold")
        if self.filter:
            header.append(f"  filter: {self.filter.expr}", style="yellow")
        if self.shown:
            header.append(f"  ({self.cursor + 1}/{len(self.shown)})", style="dim")
        return frame(header, self._list_body(height, console.width), self._footer(_LIST_KEYS, self.status))


def run_browser(browser: Browser, console: Console, keys: KeyReader) -> None:
    """Show the browser full screen until ``q``; the terminal is restored on the way out."""
    with keys, console.screen(hide_cursor=True) as screen:
        while True:
            screen.update(browser.render(console))
            key = keys.read()
            if key == "/":
                def typed(text: str) -> None:
                    browser.prompt = text
                    screen.update(browser.render(console))

                expr = keys.read_text(typed)
                browser.prompt = None
                if expr is not None:
                    browser.apply_filter(expr)
                continue
            if not browser.handle(key):
                break


def print_list(dialogues: list[Dialogue], console: Console, expr: str = "") -> int:
    """One line per dialogue that ``expr`` matches; the number printed."""
    flt = DialogueFilter.parse(expr).checked(dialogues)
    id_width = max((len(d.id) for d in dialogues), default=0)
    tools_width = max((len(tools_used(d)) for d in dialogues), default=0)
    shown = 0
    for i, d in enumerate(dialogues):
        if flt.matches(d):
            console.print(summary_line(i, d, id_width, tools_width), soft_wrap=True, highlight=False)
            shown += 1
    return shown
