"""``turnloom step`` in a real pseudo-terminal: single keys, full-screen redraws, a clean exit."""

from __future__ import annotations

import os
import sys

import pytest

pexpect = pytest.importorskip("pexpect", reason="pexpect drives the pseudo-terminal")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


def test_step_in_a_terminal() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    child = pexpect.spawn(sys.executable, ["-c", "from turnloom.cli import main; main()", "step", "travel",
                                           "--seed", "7"],
                          env=env, dimensions=(40, 140), encoding="utf-8", timeout=30)
    try:
        child.expect_exact("\x1b[?1049h")  # the viewer takes the alternate screen
        child.expect_exact("step 0")
        child.expect_exact("next: planner")
        child.expect_exact("dialogue travel-7-000000")
        for ran, nxt in [("planner", "user"), ("user", "assistant"), ("assistant", "tool"), ("tool", "assistant")]:
            child.send("n")
            child.expect_exact(f"next: {nxt}")
            child.expect_exact(f"ran: {ran}")
        child.expect_exact("made by the tool node at step 4: ")
        child.send("b")
        child.expect_exact("step 3")
        child.expect_exact("next: tool")
        child.expect_exact("ran: assistant")
        child.expect_exact("(no tool call yet)")
        child.expect_exact("went back one step")
        child.send("n")
        child.expect_exact("ran: tool")
        child.send("w\r")  # "letter + Enter" is the letter alone, not the letter and then a step
        child.expect(r"world state · digest [0-9a-f]{16}")
        child.expect_exact("diff made by the last tool call")
        child.expect(r"\w+ \(\d+\)")  # an entity table: name (records)
        child.expect_exact("world · lines 1-")
        child.send("q")  # q leaves the pane (as in turnloom view), a second q quits
        child.expect_exact("transcript · ")
        child.send("q")
        child.expect_exact("\x1b[?1049l")  # the screen is given back
        assert "step 5" not in child.before and "ran: assistant" not in child.before
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
