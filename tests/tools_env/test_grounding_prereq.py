"""Prerequisite steps found in the world: a call that fails in the sandbox is planned after the one or
two calls (a login with credentials the world holds, a create) that make it succeed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tools_env.grounding_support import FIXTURES, enabled_after_failing, ground
from turnloom.agents.offline.planner import OfflinePlanner
from turnloom.schema import PlanStep, ToolSpec
from turnloom.tools_env.grounding import Sandbox

REF = "gated_vault_backend:GatedVault"
STATE = {"users": {"marta": {"password": "s3cret-pass"}, "omar": {"password": "n0-entry"}}}


@pytest.fixture(autouse=True)
def _fixture_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def _enabled(box: Sandbox, tools: dict[str, ToolSpec], name: str, slots: dict[str, Any]) -> Any:
    return enabled_after_failing(box, tools, PlanStep(index=3, kind="single", intent="", tools=[name], slots=slots))


def test_a_login_with_credentials_from_the_world_comes_first() -> None:
    grounding, tools = ground(REF, STATE)
    box = grounding.sandbox()
    found = _enabled(box, tools, "add_note", {"text": "water the plants"})
    assert found is not None
    assert [(b.index, b.tools, b.slots) for b in found.before] == [
        (3, ["vault_login"], {"password": "s3cret-pass", "username": "marta"})]
    assert found.step.index == 4 and found.step.slots == {"text": "water the plants"}
    assert box.results[3] == [{"success": True}] and box.results[4] == [{"note_id": 1}]


def test_a_read_of_nothing_yet_follows_a_login_and_a_create() -> None:
    grounding, tools = ground(REF, STATE)
    box = grounding.sandbox()
    found = _enabled(box, tools, "read_note", {"note_id": 7})
    assert found is not None
    assert [b.tools[0] for b in found.before] == ["vault_login", "add_note"]
    assert found.step.index == 5 and found.step.slots == {"note_id": 1}


def test_no_prerequisite_without_credentials() -> None:
    grounding, tools = ground(REF, {"users": {}})
    box = grounding.sandbox()
    start = box.world
    assert _enabled(box, tools, "add_note", {"text": "water the plants"}) is None
    assert box.world is start and box.results == {}
    assert box.probes <= 80  # the search is bounded


def test_the_planner_plans_the_prerequisites_before_the_focus_tool() -> None:
    grounding, tools = ground(REF, STATE)
    planner = OfflinePlanner()
    context = {"plan": {"min_steps": 3, "max_steps": 3, "mix": {"single": 1.0}}}
    plans = [planner.plan(list(tools.values()), seed, context, grounding) for seed in range(30)]
    reads = [p for p in plans if any("read_note" in s.tools for s in p.steps)]
    assert reads, "read_note is never planned"
    for plan in reads:
        order = [s.tools[0] for s in plan.steps if s.tools]
        first = order.index("read_note")
        assert "vault_login" in order[:first] and "add_note" in order[:first], order
        assert [s.index for s in plan.steps] == list(range(len(plan.steps)))
    # the same seed gives the same plan
    assert planner.plan(list(tools.values()), 4, context, grounding) == plans[4]
