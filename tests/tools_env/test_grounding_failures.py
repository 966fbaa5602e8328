"""The sandbox takes a result that reports a failure (an ``error`` field beside others, a list of one
error record, an ``Error: ...`` text) as a failed call, as it takes a tool error."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from turnloom.schema import PlanStep, ToolSpec
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.grounding import Grounding, says_failure
from turnloom.tools_env.python_backend import PythonBackend, class_tools, load_class, method_ref
from turnloom.tools_env.world import World

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backends"
REF = "tiny_desk_backend:TinyDesk"


@pytest.fixture(autouse=True)
def _fixture_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def _box(state: dict[str, Any]) -> tuple[Any, dict[str, ToolSpec]]:
    tools = class_tools(load_class(REF))
    env = ToolEnvironment(tools, bindings={t.name: method_ref(REF, t.name) for t in tools})
    world = PythonBackend(REF).initial_world(World(seed=1), state)
    return Grounding(env, world).sandbox(), {t.name: t for t in env.tools.values()}


@pytest.mark.parametrize("content,failed", [
    ({"booking_status": False, "error": "Invalid access token"}, True),
    ([{"error": "User not authenticated. Please log in to view tickets."}], True),
    (["Error: User not authenticated. Please log in to view the watchlist."], True),
    ("Error: no such file", True),
    ({"error": ""}, False),
    ({"closed": True}, False),
    ([{"id": "t1", "error_count": 0}], False),
    (["NVDA", "AAPL"], False),
    ("errors.log", False),
    ("error.log", False),
    (None, False),
])
def test_says_failure(content: Any, failed: bool) -> None:
    assert says_failure(content) is failed


def test_a_list_of_one_error_record_is_no_step_to_plan() -> None:
    box, tools = _box({"logged_in": False, "tickets": {"t1": {"title": "printer"}}})
    step = PlanStep(index=0, kind="single", intent="", tools=["get_user_tickets"], slots={})
    assert box.fit(step, tools, random.Random(0)) is None
    box, tools = _box({"logged_in": True, "tickets": {"t1": {"title": "printer"}}})
    assert box.fit(step, tools, random.Random(0)) == step
    assert box.results[0] == [[{"title": "printer", "id": "t1"}]]


def test_an_error_field_beside_others_is_a_failed_probe() -> None:
    box, tools = _box({"logged_in": False, "tickets": {"t1": {"title": "printer"}}})
    step = PlanStep(index=0, kind="single", intent="", tools=["close_ticket"], slots={"ticket_id": "t1"})
    assert box.fit(step, tools, random.Random(0)) is None
    box, tools = _box({"logged_in": True, "tickets": {"t1": {"title": "printer"}}})
    fitted = box.fit(step, tools, random.Random(0))
    assert fitted is not None and fitted.slots == {"ticket_id": "t1"}
