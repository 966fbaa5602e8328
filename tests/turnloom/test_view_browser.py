"""``turnloom view``: the dialogue list, filters, the browser's keys and its screen."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.schema import CheckResult, Dialogue, Message, Plan, PlanStep, ToolCall, ToolResult, ToolSpec, Verdict
from turnloom.viewer import Browser, DialogueFilter, FilterError, LineKeys, TerminalKeys, run_browser
from turnloom.viewer._keys import parse_key

runner = CliRunner()


def _dialogue(i: int, calls: list[str], kinds: list[str], words: str, failed: str | None = None) -> Dialogue:
    messages = [Message(role="user", content=f"please help, {words}", step=0)]
    for n, name in enumerate(calls):
        cid = f"c{i}{n}"
        messages.append(Message(role="assistant", tool_calls=[ToolCall(id=cid, name=name, arguments={"q": words})]))
        res = ToolResult(call_id=cid, name=name, content={"ok": True})
        messages.append(Message(role="tool", content=res.to_text(), tool_call_id=cid, name=name, result=res))
    messages.append(Message(role="assistant", content="Done. " + " ".join(f"line {k}." for k in range(40))))
    checks = [CheckResult(rule="tool_exists", passed=True)]
    if failed:
        checks.append(CheckResult(rule=failed, passed=False, reason="something is off"))
    plan = Plan(steps=[PlanStep(index=k, kind=kind, intent=f"do {kind}") for k, kind in enumerate(kinds)])  # type: ignore[arg-type]
    return Dialogue(id=f"demo-{i:03d}", scenario="demo", index=i, seed=i, tools=[ToolSpec(name=n) for n in calls],
                    plan=plan, messages=messages, verdict=Verdict.from_checks(checks))


DIALOGUES = [
    _dialogue(0, ["search_flights", "book_flight"], ["single", "dependent", "closing"], "Paris in May"),
    _dialogue(1, ["search_hotels"], ["clarification"], "Lisbon hotels", failed="grounded_args"),
    _dialogue(2, [], ["chitchat", "closing"], "just chatting"),
]


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    path = tmp_path / "dialogues.jsonl"
    path.write_text("".join(d.model_dump_json() + "\n" for d in DIALOGUES))
    return path


def _view(*args: str) -> list[str]:
    result = runner.invoke(app, ["view", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_list_has_one_line_per_dialogue(data: Path) -> None:
    lines = _view(str(data))
    assert len(lines) == 3
    first, second, third = (line.split() for line in lines)
    assert first[:4] == ["0", "demo-000", "3", "steps"] and "book_flight," in first and first[-1] == "✓"
    assert second[:2] == ["1", "demo-001"] and second[-2:] == ["✗", "grounded_args"] and "search_hotels" in second
    assert "(no tools)" in lines[2] and third[-1] == "✓"


@pytest.mark.parametrize(("expr", "indices"), [
    ("tool:book_flight", ["0"]),
    ("tool:search_*", ["0", "1"]),
    ("kind:clarification", ["1"]),
    ("kind:closing", ["0", "2"]),
    ("rule:grounded*", ["1"]),
    ("LISBON", ["1"]),
    ("tool:search_* paris", ["0"]),
    ('"in may"', ["0"]),
    ("rule:state_replay", []),  # a known rule no verdict failed
])
def test_filter_option(data: Path, expr: str, indices: list[str]) -> None:
    result = runner.invoke(app, ["view", str(data), "--filter", expr])
    assert result.exit_code == 0, result.output
    shown = [line.split()[0] for line in result.output.splitlines() if line.strip().startswith(tuple("0123456789"))]
    assert shown == indices


def test_view_user_errors_exit_2(data: Path, tmp_path: Path) -> None:
    for args, message in [
        ([str(tmp_path / "missing.jsonl")], "no such file"),
        ([str(data), "--filter", "kind:nope"], "no step kind matches"),
        ([str(data), "--filter", "tool:"], "give a value"),
        ([str(data), "--filter", '"unclosed'], "filter"),
    ]:
        result = runner.invoke(app, ["view", *args])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text(DIALOGUES[0].model_dump_json() + "\n{\"id\": 1}\n")
    result = runner.invoke(app, ["view", str(broken)])
    assert result.exit_code == 2 and f"{broken}:2:" in result.output


def test_filter_parse() -> None:
    flt = DialogueFilter.parse("tool:Book_* rule:x hello")
    assert flt.terms == (("tool", "book_*"), ("rule", "x"), ("text", "hello"))
    assert not DialogueFilter.parse("  ") and DialogueFilter.parse("").matches(DIALOGUES[0])
    with pytest.raises(FilterError):
        DialogueFilter.parse("kind:")


def screen(browser: Browser, height: int = 12) -> str:
    console = Console(file=io.StringIO(), width=100, height=height, force_terminal=False)
    console.print(browser.render(console))
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def test_browser_moves_opens_pages_and_filters() -> None:
    b = Browser(DIALOGUES, source="demo.jsonl")
    assert "3 of 3 dialogues" in screen(b) and "(1/3)" in screen(b)
    assert b.handle("j") and b.handle("down") and b.handle("down")
    assert b.current is not None and b.current[0] == 2, "the cursor stops at the last dialogue"
    b.handle("k")
    assert "(2/3)" in screen(b)
    b.handle("enter")
    opened = screen(b)
    assert "dialogue 1 · 2 of 3 shown" in opened and "✗ rejected" in opened and "demo-001" in opened
    assert "lines 1-10 of" in opened
    b.handle(" ")
    assert "lines 10-19 of" in screen(b)
    b.handle("n")
    assert "dialogue 2 · 3 of 3 shown" in screen(b) and "lines 1-10" in screen(b)
    b.handle("n")
    assert b.status == "no next dialogue"
    b.handle("p")
    b.handle("p")
    assert "dialogue 0 · 1 of 3 shown" in screen(b)
    assert b.handle("q") and b.opened is None
    b.prompt = "tool:sea"
    assert "/tool:sea" in screen(b)
    b.prompt = None
    assert b.apply_filter("tool:search_hotels")
    listed = screen(b)
    assert "1 of 3 dialogues" in listed and "filter: tool:search_hotels" in listed and "demo-001" in listed
    assert "demo-000" not in listed
    assert not b.apply_filter("kind:") and "give a value" in b.status
    b.handle("esc")
    assert "3 of 3 dialogues" in screen(b)
    b.apply_filter("zzz")
    assert "(no dialogue matches 'zzz')" in screen(b)
    b.handle("enter")
    assert b.status == "nothing to open"
    assert not b.handle("q")


def test_browser_loop_with_line_input() -> None:
    """Without single-key input, each line is keys: ``j`` + Enter moves, an empty line opens."""
    console = Console(file=io.StringIO(), width=100, height=14, force_terminal=False)
    keys = LineKeys(io.StringIO("j\n\nn\nq\n/kind:chitchat\nq\n"))
    browser = Browser(DIALOGUES, source="demo.jsonl")
    run_browser(browser, console, keys)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "dialogue 1 · 2 of 3 shown" in out and "dialogue 2 · 3 of 3 shown" in out
    assert "filter: kind:chitchat" in out and browser.shown == [(2, DIALOGUES[2])]


def test_keys_from_escape_sequences_and_lines() -> None:
    assert parse_key("\x1b[A") == ("up", 3) and parse_key("\x1bOB") == ("down", 3)
    assert parse_key("\x1b[6~") == ("pgdn", 4) and parse_key("\x1b") == ("esc", 1)
    assert parse_key("\r\n") == ("enter", 2) and parse_key("\x7f") == ("backspace", 1)
    keys = LineKeys(io.StringIO("nb\n\n/tool:x y\n"))
    assert [keys.read(), keys.read(), keys.read(), keys.read()] == ["n", "b", "enter", "/"]
    assert keys.read_text(lambda _: None) == "tool:x y" and keys.read() == "eof"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_terminal_keys_read_single_keys_and_restore_the_terminal() -> None:
    import termios

    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        with TerminalKeys(slave, enter_ends="w") as keys:
            assert not termios.tcgetattr(slave)[3] & termios.ICANON, "no line buffering while reading keys"
            os.write(master, "w\rj\x1b[Bé\r".encode())
            assert [keys.read() for _ in range(5)] == ["w", "j", "down", "é", "enter"], "w + Enter is just w"
            os.write(master, b"tool:x\x7fy\r")
            assert keys.read_text(lambda _: None) == "tool:y"
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)
