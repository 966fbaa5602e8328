"""The last tools of a class set to be planned: a call that needs the folder its file lies in opened
first, one that needs a note sent first, an edit through a free-form object whose description names its
keys, and a comment the user writes rather than one copied from the world."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from turnloom.agents.offline.planner import OfflinePlanner
from turnloom.schema import PlanStep, ToolSpec
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.grounding import Grounding, rank
from turnloom.tools_env.grounding_prereq import enable
from turnloom.tools_env.grounding_values import containers, described_keys
from turnloom.tools_env.python_backend import PythonBackend, class_tools, load_class, method_ref
from turnloom.tools_env.values import ValueFactory
from turnloom.tools_env.world import World

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backends"
CABINET = {"folders": {"inbox": {}, "drafts": {}, "reports": {"q3.txt": "zeta\nalpha\nmid"}}, "start": "inbox"}
OUTBOX = {"users": {"Ana": "U1", "Ben": "U2"}}
BOARD = {"tickets": {"7": {"title": "Printer jams", "status": "open", "priority": 2,
                           "content": "The printer jams on every second page"}}}


@pytest.fixture(autouse=True)
def _fixture_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def _grounding(cls: str, state: dict[str, Any]) -> tuple[Grounding, dict[str, ToolSpec]]:
    ref = f"desk_chores_backend:{cls}"
    tools = class_tools(load_class(ref))
    env = ToolEnvironment(tools, bindings={t.name: method_ref(ref, t.name) for t in tools})
    world = PythonBackend(ref).initial_world(World(seed=1), state)
    return Grounding(env, world), {t.name: t for t in env.tools.values()}


def _planned(tool: ToolSpec) -> dict[str, Any]:
    return {p: "planned" for p in tool.required}


def test_containers_name_the_folder_that_holds_a_missing_file() -> None:
    grounding, _ = _grounding("Cabinet", CABINET)
    assert containers(grounding.world, "sort_file: q3.txt: No such file or directory") == {"reports"}
    assert containers(grounding.world, "nothing the world holds") == set()


def test_the_folder_of_the_file_is_opened_first_among_many_file_tools() -> None:
    grounding, tools = _grounding("Cabinet", CABINET)
    box = grounding.sandbox()
    step = PlanStep(index=2, kind="single", intent="", tools=["sort_file"], slots={"file_name": "q3.txt"})
    assert box.fit(step, tools, random.Random(0)) is None
    found = enable(box, step, tools, random.Random(0), _planned)
    assert found is not None
    assert [(b.tools, b.slots) for b in found.before] == [(["open_folder"], {"folder": "reports"})]
    # the step sorts the real file, not an empty one a prerequisite made
    assert found.step.index == 3 and found.step.slots == {"file_name": "q3.txt"}
    assert box.results[3] == [{"sorted_content": "alpha\nmid\nzeta"}]


def test_a_note_is_sent_before_the_latest_one_is_deleted() -> None:
    grounding, tools = _grounding("Outbox", OUTBOX)
    box = grounding.sandbox()
    step = PlanStep(index=0, kind="single", intent="", tools=["delete_latest"], slots={"recipient_id": "U9"})
    assert box.fit(step, tools, random.Random(0)) is None
    found = enable(box, step, tools, random.Random(0), _planned)
    assert found is not None
    assert [b.tools[0] for b in found.before] == ["send_note"]
    assert found.step.slots["recipient_id"] == found.before[0].slots["recipient_id"] in ("U1", "U2")


def test_an_object_whose_description_names_its_keys_takes_those_keys() -> None:
    grounding, tools = _grounding("TicketBoard", BOARD)
    edit = tools["edit_ticket"]
    assert set(described_keys(edit.properties["updates"])) == {"title", "status", "priority"}
    ranked = rank(grounding.sandbox().candidates(), edit, "updates", random.Random(0))
    assert ranked and all(len(obj) == 1 and set(obj) <= {"title", "status", "priority"} for obj in ranked)
    assert {"status": "open"} in ranked and {"priority": 2} in ranked
    # the planner states one named key with a value of its type
    slot = OfflinePlanner()._slot(edit, "updates", ValueFactory(0), 5)
    assert isinstance(slot, dict) and len(slot) == 1
    ((key, value),) = slot.items()
    assert key in ("title", "status", "priority") and isinstance(value, int if key == "priority" else str)


def test_an_edit_step_keeps_its_planned_change() -> None:
    grounding, tools = _grounding("TicketBoard", BOARD)
    box = grounding.sandbox()
    step = PlanStep(index=0, kind="single", intent="", tools=["edit_ticket"],
                    slots={"ticket_id": 7, "updates": {"status": "resolved"}})
    fitted = box.fit(step, tools, random.Random(0))
    assert fitted is not None and fitted.slots == {"ticket_id": 7, "updates": {"status": "resolved"}}


def test_a_comment_is_the_users_own_text_not_one_the_world_holds() -> None:
    grounding, tools = _grounding("TicketBoard", BOARD)
    box = grounding.sandbox()
    assert "The printer jams on every second page" in rank(box.candidates(), tools["add_comment"], "comment_content")
    step = PlanStep(index=0, kind="single", intent="", tools=["add_comment"],
                    slots={"ticket_id": 7, "comment_content": "Please check the tray first."})
    fitted = box.fit(step, tools, random.Random(0))
    assert fitted is not None and fitted.slots["comment_content"] == "Please check the tray first."
