"""Each plan step kind shows up in generated dialogues with the right shape."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from turnloom.agents.offline._phrasing import format_value
from turnloom.agents.spoken import resolve_dates
from turnloom.scenarios import load_scenario
from turnloom.schema import Dialogue, Message
from turnloom.simulate import Simulator


def _dialogues(kind: str, n: int = 6, seed: int = 11) -> list[Dialogue]:
    base = load_scenario("travel")
    plan = base.plan.model_copy(
        update={"mix": {kind: 1.0}, "require_dependent": kind == "dependent", "min_steps": 2, "max_steps": 3}
    )
    sim = Simulator(base.model_copy(update={"plan": plan}))

    async def go() -> list[Dialogue]:
        return [await sim.simulate(i, seed) for i in range(n)]

    return asyncio.run(go())


def _step_messages(d: Dialogue, kind: str) -> list[tuple[int, list[Message]]]:
    out = []
    for step in d.plan.steps:
        if step.kind == kind:
            out.append((step.index, [m for m in d.messages if m.step == step.index]))
    return out


def _outputs_before(d: Dialogue, msg: Message) -> str:
    idx = d.messages.index(msg)
    return " ".join(
        json.dumps(m.result.content) for m in d.messages[:idx] if m.role == "tool" and m.result and m.result.ok
    )


@pytest.mark.parametrize(
    "kind",
    ["single", "parallel", "dependent", "clarification", "follow_up", "chitchat", "irrelevant", "error_recovery"],
)
def test_kind_appears_and_dialogues_are_accepted(kind: str) -> None:
    ds = _dialogues(kind)
    assert any(_step_messages(d, kind) for d in ds), f"no {kind} step planned"
    accepted = [d for d in ds if d.accepted]
    assert len(accepted) >= len(ds) - 1, [d.verdict.reasons for d in ds if not d.accepted]


def test_clarification_shape() -> None:
    seen = 0
    for d in _dialogues("clarification"):
        for idx, msgs in _step_messages(d, "clarification"):
            step = d.plan.steps[idx]
            withheld = step.withhold[0]
            users = [m for m in msgs if m.role == "user"]
            first_user, answer = users[0], users[1]
            value = format_value(step.slots[withheld])
            assert value not in (first_user.content or "")
            ask = msgs[msgs.index(first_user) + 1]
            assert ask.role == "assistant" and not ask.tool_calls and ask.content.endswith("?")
            said = answer.content or ""
            today = dt.date.fromisoformat(d.plan.today) if d.plan.today else None
            relative = {x.isoformat() for x in resolve_dates(said, today)} if today else set()
            assert value.strip('"') in said or step.slots[withheld] in relative
            call = next(m for m in msgs[msgs.index(answer) :] if m.tool_calls).tool_calls[0]
            assert call.arguments[withheld] == step.slots[withheld]
            seen += 1
    assert seen


def test_parallel_shape() -> None:
    found = [
        m
        for d in _dialogues("parallel")
        for _, msgs in _step_messages(d, "parallel")
        for m in msgs
        if len(m.tool_calls) >= 2
    ]
    assert found
    for m in found:
        assert len({c.id for c in m.tool_calls}) == len(m.tool_calls)


def test_dependent_uses_an_earlier_result() -> None:
    seen = 0
    for d in _dialogues("dependent"):
        for idx, msgs in _step_messages(d, "dependent"):
            param = next(iter(d.plan.steps[idx].bindings))
            call_msg = next(m for m in msgs if m.tool_calls)
            value = call_msg.tool_calls[0].arguments[param]
            assert json.dumps(value) in _outputs_before(d, call_msg)
            user = next(m for m in msgs if m.role == "user")
            assert str(value) not in (user.content or "")
            seen += 1
    assert seen


def test_follow_up_refers_back() -> None:
    seen = 0
    for d in _dialogues("follow_up", n=10):
        for idx, msgs in _step_messages(d, "follow_up"):
            step = d.plan.steps[idx]
            call = next(m for m in msgs if m.tool_calls).tool_calls[0]
            assert call.name in step.tools
            for param, value in step.slots.items():
                assert call.arguments[param] == value
            seen += 1
    assert seen


@pytest.mark.parametrize("kind", ["chitchat", "irrelevant", "closing"])
def test_no_tool_steps_call_nothing(kind: str) -> None:
    seen = 0
    for d in _dialogues(kind if kind != "closing" else "single"):
        for _, msgs in _step_messages(d, kind):
            assert not any(m.tool_calls for m in msgs)
            reply = [m for m in msgs if m.role == "assistant"][-1]
            assert reply.content
            if kind == "irrelevant":
                assert "can't" in reply.content
            seen += 1
    assert seen


def test_error_recovery_retries_after_a_transient_failure() -> None:
    seen = 0
    for d in _dialogues("error_recovery"):
        for _, msgs in _step_messages(d, "error_recovery"):
            tools = [m for m in msgs if m.role == "tool"]
            assert tools[0].result is not None and tools[0].result.error
            calls = [c for m in msgs for c in m.tool_calls]
            assert len(calls) >= 2 and calls[0].name == calls[1].name and calls[0].arguments == calls[1].arguments
            assert tools[-1].result is not None and tools[-1].result.ok
            seen += 1
    assert seen
