"""Keys from the terminal: single keys in cbreak mode, or whole lines as a fallback.

Both readers return key names: a printable character as itself, else one of
``enter``, ``esc``, ``up``, ``down``, ``left``, ``right``, ``pgup``, ``pgdn``, ``home``,
``end``, ``backspace``, ``tab``, ``eof`` (input closed or Ctrl-D) or ``ctrl-<letter>``.
"""

from __future__ import annotations

import codecs
import os
import select
import sys
import time
from collections.abc import Callable
from typing import IO, Any, Protocol

__all__ = ["KeyReader", "LineKeys", "TerminalKeys", "open_keys", "parse_key"]

_CSI = {"A": "up", "B": "down", "C": "right", "D": "left", "H": "home", "F": "end",
        "1~": "home", "4~": "end", "5~": "pgup", "6~": "pgdn", "7~": "home", "8~": "end"}
_CONTROL = {"\r": "enter", "\n": "enter", "\x7f": "backspace", "\x08": "backspace", "\t": "tab", "\x04": "eof"}
#: an Enter this soon after a command letter ends a typed "letter + Enter" and is not a key of its own
ENTER_GRACE_S = 0.5


def parse_key(buf: str) -> tuple[str, int]:
    """The first key in ``buf`` and how many characters it took (``("", 0)`` for an empty buffer)."""
    if not buf:
        return "", 0
    ch = buf[0]
    if ch == "\x1b":
        if len(buf) >= 3 and buf[1] in "[O":
            end = 2
            while end < len(buf) and not ("\x40" <= buf[end] <= "\x7e"):
                end += 1
            body = buf[2: end + 1]
            key = _CSI.get(body) or (_CSI.get(body[-1:]) if body[-1:] in ("A", "B", "C", "D", "H", "F") else None)
            return key or "esc", min(end + 1, len(buf))
        return "esc", 1
    if ch in _CONTROL:
        n = 2 if buf[:2] == "\r\n" else 1
        return _CONTROL[ch], n
    if ord(ch) < 32:
        return f"ctrl-{chr(ord(ch) + 96)}", 1
    return ch, 1


class KeyReader(Protocol):
    def __enter__(self) -> KeyReader: ...

    def __exit__(self, *exc: object) -> None: ...

    def read(self) -> str:
        """The next key (blocks)."""
        ...

    def read_text(self, on_change: Callable[[str], None]) -> str | None:
        """A line of text (None when cancelled with Esc or at end of input); ``on_change``
        sees the text typed so far, to redraw a prompt."""
        ...


class TerminalKeys:
    """Single keys from a terminal in cbreak mode (no echo, no line buffering; Ctrl-C still
    interrupts). The terminal's settings are restored on exit, errors included.

    An Enter that follows one of the ``enter_ends`` letters at once (already typed when the
    next key is asked for, or within ``ENTER_GRACE_S`` of that) is taken as the end of
    "letter + Enter" and dropped, so that habit works here too."""

    def __init__(self, fd: int | None = None, *, enter_ends: str = "") -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.enter_ends = enter_ends
        self._saved: Any = None
        self._buf = ""
        self._eof = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._after_command = False

    def __enter__(self) -> TerminalKeys:
        import termios
        import tty

        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def _fill(self, timeout: float | None) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 1024)
        except OSError:  # the terminal went away
            data = b""
        if not data:
            self._eof = True
            return False
        self._buf += self._decoder.decode(data)
        return True

    def _raw(self) -> str:
        while not self._buf:
            if self._eof:
                return "eof"
            self._fill(None)
        if self._buf[0] == "\x1b" and len(self._buf) < 3:
            self._fill(0.05)  # the rest of an escape sequence arrives right behind it
        key, n = parse_key(self._buf)
        self._buf = self._buf[n:]
        return key

    def read(self) -> str:
        asked = time.monotonic()
        while True:
            key = self._raw()
            if key == "enter" and self._after_command and time.monotonic() - asked < ENTER_GRACE_S:
                self._after_command = False
                continue
            self._after_command = len(key) == 1 and key in self.enter_ends
            return key

    def read_text(self, on_change: Callable[[str], None]) -> str | None:
        text = ""
        on_change(text)
        while True:
            key = self._raw()
            if key == "enter":
                return text
            if key in ("esc", "eof", "ctrl-c"):
                return None
            if key == "backspace":
                text = text[:-1]
            elif len(key) == 1:
                text += key
            on_change(text)


class LineKeys:
    """Keys from whole lines (input that is not a terminal, or a terminal without termios):
    ``n`` + Enter is the key ``n``, an empty line is Enter, ``nnn`` + Enter is three keys."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdin
        self._buf = ""

    def __enter__(self) -> LineKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _line(self) -> str | None:
        line = self.stream.readline()
        return None if line == "" else line.rstrip("\r\n")

    def read(self) -> str:
        if not self._buf:
            line = self._line()
            if line is None:
                return "eof"
            if not line:
                return "enter"
            self._buf = line
        key, n = parse_key(self._buf)
        self._buf = self._buf[n:]
        return key

    def read_text(self, on_change: Callable[[str], None]) -> str | None:
        on_change("")
        if self._buf:
            text, self._buf = self._buf, ""
            return text
        return self._line()


def open_keys(stdin: IO[str] | None = None, *, enter_ends: str = "") -> KeyReader:
    """Single keys when ``stdin`` is a terminal with termios, else whole lines."""
    stream = stdin if stdin is not None else sys.stdin
    try:
        import termios  # noqa: F401

        if stream.isatty():
            return TerminalKeys(stream.fileno(), enter_ends=enter_ends)
    except (ImportError, OSError, ValueError, AttributeError):
        pass
    return LineKeys(stream)
