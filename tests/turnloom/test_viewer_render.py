"""The viewer's renderables, printed into a string console and compared by text."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType

from turnloom.schema import CheckResult, Message, Plan, PlanStep, ToolCall, ToolResult, Verdict
from turnloom.tools_env.world import World, world_diff
from turnloom.viewer import (
    TranscriptTail,
    render_message,
    render_plan,
    render_update,
    render_verdict,
    render_verdicts,
    render_world,
    render_world_diff,
)


def text(renderable: RenderableType, width: int = 100) -> str:
    console = Console(file=io.StringIO(), width=width, force_terminal=False)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def _plan() -> Plan:
    return Plan(steps=[
        PlanStep(index=0, kind="single", intent="find a flight", tools=["search_flights"]),
        PlanStep(index=1, kind="dependent", intent="book the first one", tools=["book_flight"], depends_on=[0]),
        PlanStep(index=2, kind="closing", intent="say thanks"),
    ])


def _call() -> Message:
    return Message(role="assistant", tool_calls=[ToolCall(id="c1", name="book_flight",
                                                          arguments={"flight_id": "FLI-1", "seats": 2})], step=1)


def _result() -> Message:
    result = ToolResult(call_id="c1", name="book_flight", content={"booking_id": "BOO-7", "status": "confirmed"})
    return Message(role="tool", content=result.to_text(), tool_call_id="c1", name="book_flight", result=result,
                   step=1)


def test_plan_marks_the_current_step_only() -> None:
    lines = text(render_plan(_plan(), current=1)).splitlines()
    marked = [line for line in lines if "▶" in line]
    assert len(marked) == 1 and "book the first one" in marked[0] and "dependent" in marked[0]
    assert any("closing" in line and "—" in line for line in lines)
    assert "▶" not in text(render_plan(_plan()))


def test_message_shows_calls_and_results_as_json() -> None:
    call = text(render_message(_call(), 3))
    assert "assistant · step 1 · #3" in call and "→ call book_flight (c1)" in call
    assert '"flight_id": "FLI-1",' in call and '"seats": 2' in call
    assert '{"flight_id": "FLI-1", "seats": 2}' in text(render_message(_call(), compact=True))
    tool = text(render_message(_result()))
    assert "tool · step 1 · book_flight (c1)" in tool and '"booking_id": "BOO-7"' in tool
    failed = Message(role="tool", tool_call_id="c2", name="x", result=ToolResult(call_id="c2", name="x",
                                                                                  error="unknown id 9"))
    assert "error: unknown id 9" in text(render_message(failed))


def test_verdict_rows_name_each_rule() -> None:
    verdict = Verdict(accepted=False, checks=[
        CheckResult(rule="args_valid", passed=True),
        CheckResult(rule="grounded_args", passed=False, reason="flight_id FLI-9 appears nowhere"),
    ])
    out = text(render_verdict(verdict))
    assert "REJECTED" in out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│")}
    assert "pass" in rows["args_valid"]
    assert "FAIL" in rows["grounded_args"] and "FLI-9 appears nowhere" in rows["grounded_args"]


def test_verdicts_summary_lists_turns_and_final_newest_first() -> None:
    ok = Verdict(accepted=True, scope="turn", step=0, checks=[CheckResult(rule="a", passed=True)])
    bad = Verdict(accepted=False, scope="turn", step=1, checks=[CheckResult(rule="reply_complete", passed=False,
                                                                           reason="empty reply")])
    final = Verdict(accepted=True, checks=[CheckResult(rule="state_replay", passed=True)])
    lines = [line for line in text(render_verdicts([ok, bad], final)).splitlines() if line.startswith("│")]
    assert [line.split("│")[1].strip() for line in lines] == ["dialogue", "turn · step 1", "turn · step 0"]
    assert "✗" in lines[1] and "reply_complete: empty reply" in lines[1]
    assert "✓" in lines[2] and "1 checks passed" in lines[2]
    detail = text(render_verdicts([ok, bad], final, detail=True))
    assert detail.count("ACCEPTED") == 2 and "REJECTED" in detail and "state_replay" in detail


def _worlds() -> tuple[World, World]:
    before = World(seed=1).with_record("flight", "FLI-1", {"flight_id": "FLI-1", "price": 10.0})
    before = before.with_record("booking", "BOO-1", {"status": "confirmed"})
    after = before.with_record("flight", "FLI-1", {"flight_id": "FLI-1", "price": 12.5})
    after = after.with_record("booking", "BOO-1", None).with_record("booking", "BOO-2", {"status": "held"})
    return before, after


def test_world_diff_shows_added_removed_and_changed() -> None:
    before, after = _worlds()
    out = text(render_world_diff(world_diff(before, after)))
    assert "world diff" in out
    assert '"BOO-2": {' in out and '"status": "held"' in out
    assert '"removed": [' in out and '"BOO-1"' in out
    assert '"price": [' in out and "10.0," in out and "12.5" in out
    assert "(no change to the world)" in text(render_world_diff({}))


def test_world_lists_records_per_entity() -> None:
    _, after = _worlds()
    wide = text(render_world(after), width=120)
    assert f"digest {after.digest()}" in wide
    assert "booking (1)" in wide and "flight (1)" in wide
    assert "flight_id" not in wide, "a field repeating the record id is left out"
    assert any("FLI-1" in line and "12.5" in line for line in wide.splitlines())
    wide_record = {f"field_{i}": f"value number {i}" for i in range(6)}
    narrow = text(render_world(World().with_record("hotel", "HOT-1", wide_record)), width=60)
    assert "hotel (1)" in narrow and "field_0: value number 0" in narrow, "too wide for columns: field: value"


def test_transcript_tail_keeps_the_newest_messages() -> None:
    messages = [Message(role="user", content=f"message number {i}") for i in range(30)]
    out = text(TranscriptTail(messages, max_height=12))
    assert "message number 29" in out and "message number 0\n" not in out and "message number 0 " not in out
    hidden = int(out.splitlines()[0].split()[1])
    shown = sum(f"message number {i} " in out for i in range(30))
    assert hidden + shown == 30 and len(out.splitlines()) <= 12
    assert "(no messages yet)" in text(TranscriptTail([]))


def test_update_of_a_tool_node_shows_its_messages_and_the_diff() -> None:
    before, after = _worlds()
    out = text(render_update("tool", {"messages": [_result()], "world": after, "tool_rounds": 1}, step=4,
                             world_before=before))
    assert "step 4 · tool" in out and '"booking_id": "BOO-7"' in out
    assert "world diff" in out and "tool_rounds = 1" in out
    regen = text(render_update("assistant", {"messages": {"truncate": 3, "append": [_call()]}}))
    assert "transcript cut to 3 messages" in regen and "→ call book_flight" in regen
