"""N-sample consistency (ToolACE): an action is kept only when repeated generations agree."""

from __future__ import annotations

import asyncio
import itertools

from turnloom.agents import AgentOutput, AgentView
from turnloom.agents.offline import OfflineAssistant
from turnloom.scenarios import load_scenario
from turnloom.simulate import Simulator


class Wobbly:
    """Answers like the offline assistant, but every other sample drops the tool calls."""

    name = "wobbly"

    def __init__(self) -> None:
        self.inner = OfflineAssistant()
        self.flip = itertools.cycle([False, True])

    async def act(self, view: AgentView) -> AgentOutput:
        out = await self.inner.act(view)
        if next(self.flip) and out.messages[0].tool_calls:
            return AgentOutput(messages=[out.messages[0].model_copy(update={"tool_calls": [], "content": "Sure."})])
        return out


def _scenario(samples: int):
    sc = load_scenario("travel")
    return sc.model_copy(update={"verify": sc.verify.model_copy(update={"consistency_samples": samples})})


def test_agreeing_samples_keep_the_dialogue() -> None:
    sim = Simulator(_scenario(3))
    d = asyncio.run(sim.simulate(0, 7))
    assert d.accepted, d.verdict.reasons


def test_disagreeing_samples_reject_with_a_reason() -> None:
    sim = Simulator(_scenario(2), agents={"assistant": Wobbly()})
    d = asyncio.run(sim.simulate(0, 7))
    assert not d.accepted
    assert "inconsistent generations" in d.stats["ended"]
    assert any("inconsistent generations" in r for r in d.verdict.reasons)
