"""The last tools of a class set to be planned: a call that needs the folder its file lies in opened
first, one that needs a note sent first, an edit through a free-form object whose description names its
keys, and a comment the user writes rather than one copied from the world."""

from __future__ import annotations

import random

import pytest

from tests.tools_env.grounding_support import FIXTURES, enabled_after_failing, ground
from turnloom.agents.offline.planner import OfflinePlanner
from turnloom.schema import PlanStep
from turnloom.tools_env.grounding import rank
from turnloom.tools_env.grounding_values import containers, described_keys
from turnloom.tools_env.values import ValueFactory

CABINET = {"folders": {"inbox": {}, "drafts": {}, "reports": {"q3.txt": "zeta\nalpha\nmid"}}, "start": "inbox"}
OUTBOX = {"users": {"Ana": "U1", "Ben": "U2"}}
BOARD = {"tickets": {"7": {"title": "Printer jams", "status": "open", "priority": 2,
                           "content": "The printer jams on every second page"}}}


@pytest.fixture(autouse=True)
def _fixture_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def test_containers_name_the_folder_that_holds_a_missing_file() -> None:
    grounding, _ = ground("desk_chores_backend:Cabinet", CABINET)
    assert containers(grounding.world, "sort_file: q3.txt: No such file or directory") == {"reports"}
    assert containers(grounding.world, "nothing the world holds") == set()


def test_the_folder_of_the_file_is_opened_first_among_many_file_tools() -> None:
    grounding, tools = ground("desk_chores_backend:Cabinet", CABINET)
    box = grounding.sandbox()
    step = PlanStep(index=2, kind="single", intent="", tools=["sort_file"], slots={"file_name": "q3.txt"})
    found = enabled_after_failing(box, tools, step)
    assert found is not None
    assert [(b.tools, b.slots) for b in found.before] == [(["open_folder"], {"folder": "reports"})]
    # the step sorts the real file, not an empty one a prerequisite made
    assert found.step.index == 3 and found.step.slots == {"file_name": "q3.txt"}
    assert box.results[3] == [{"sorted_content": "alpha\nmid\nzeta"}]


def test_a_note_is_sent_before_the_latest_one_is_deleted() -> None:
    grounding, tools = ground("desk_chores_backend:Outbox", OUTBOX)
    box = grounding.sandbox()
    step = PlanStep(index=0, kind="single", intent="", tools=["delete_latest"], slots={"recipient_id": "U9"})
    found = enabled_after_failing(box, tools, step)
    assert found is not None
    assert [b.tools[0] for b in found.before] == ["send_note"]
    assert found.step.slots["recipient_id"] == found.before[0].slots["recipient_id"] in ("U1", "U2")


def test_an_object_whose_description_names_its_keys_takes_those_keys() -> None:
    grounding, tools = ground("desk_chores_backend:TicketBoard", BOARD)
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
    grounding, tools = ground("desk_chores_backend:TicketBoard", BOARD)
    box = grounding.sandbox()
    step = PlanStep(index=0, kind="single", intent="", tools=["edit_ticket"],
                    slots={"ticket_id": 7, "updates": {"status": "resolved"}})
    fitted = box.fit(step, tools, random.Random(0))
    assert fitted is not None and fitted.slots == {"ticket_id": 7, "updates": {"status": "resolved"}}


def test_a_comment_is_the_users_own_text_not_one_the_world_holds() -> None:
    grounding, tools = ground("desk_chores_backend:TicketBoard", BOARD)
    box = grounding.sandbox()
    assert "The printer jams on every second page" in rank(box.candidates(), tools["add_comment"], "comment_content")
    step = PlanStep(index=0, kind="single", intent="", tools=["add_comment"],
                    slots={"ticket_id": 7, "comment_content": "Please check the tray first."})
    fitted = box.fit(step, tools, random.Random(0))
    assert fitted is not None and fitted.slots["comment_content"] == "Please check the tray first."
