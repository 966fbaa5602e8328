"""Pieces shared by the full-screen viewers: a scrollable view of any renderable and the
header / body / footer frame."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.layout import Layout
from rich.segment import Segment
from rich.text import Text

__all__ = ["Pager", "frame", "keys_help", "scroll_delta"]


class _Lines:
    """Already rendered lines, printed as they are."""

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield from line
            yield Segment.line()


class Pager:
    """A renderable seen through a window of ``height`` lines, scrolled by ``offset``."""

    def __init__(self, renderable: RenderableType) -> None:
        self.offset = 0
        self._renderable = renderable
        self._lines: list[list[Segment]] | None = None
        self._width = 0

    def replace(self, renderable: RenderableType) -> None:
        """Show new content, keeping the scroll position where it still makes sense."""
        self._renderable, self._lines = renderable, None

    def lines(self, console: Console, width: int) -> list[list[Segment]]:
        if self._lines is None or width != self._width:
            self._lines = console.render_lines(self._renderable, console.options.update(width=width, height=None),
                                               pad=False)
            self._width = width
        return self._lines

    def scroll(self, delta: int) -> None:
        self.offset = max(0, self.offset + delta)

    def window(self, console: Console, width: int, height: int) -> tuple[RenderableType, str]:
        """(the visible lines, a position such as ``lines 1-38 of 120``)."""
        lines = self.lines(console, width)
        height = max(1, height)
        self.offset = max(0, min(self.offset, len(lines) - height))
        shown = lines[self.offset: self.offset + height]
        last = self.offset + len(shown)
        where = f"lines {self.offset + 1}-{last} of {len(lines)}" if lines else "empty"
        return _Lines(shown), where


def scroll_delta(key: str, page: int) -> int | None:
    """How far a scrolling key moves (None for any other key)."""
    return {"down": 1, "j": 1, "up": -1, "k": -1, "pgdn": page, " ": page, "pgup": -page,
            "home": -10**9, "g": -10**9, "end": 10**9, "G": 10**9}.get(key)


def frame(header: RenderableType, body: RenderableType, footer: RenderableType, *,
          header_size: int = 1, footer_size: int = 1) -> Layout:
    """Header on top, footer at the bottom, the body in between (cropped to fit)."""
    layout = Layout()
    layout.split_column(Layout(header, name="header", size=header_size), Layout(body, name="body"),
                        Layout(footer, name="footer", size=footer_size))
    return layout


def keys_help(*pairs: tuple[str, str], status: str = "") -> Text:
    """``key action`` pairs for a footer, then a status message."""
    text = Text()
    for key, action in pairs:
        text.append(f" {key}", style="bold reverse")
        text.append(f" {action} ")
    if status:
        text.append("  " + status, style="yellow")
    return text
