"""Dates said relative to the dialogue date: the user's phrase resolves back to the planned day,
the offline assistant calls with it, and the grounding rule accepts it (and still rejects invented days)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from turnloom.agents.offline._extract import extract_args
from turnloom.agents.spoken import dialogue_date, find_today, resolve_date, resolve_dates, say_date, today_line
from turnloom.agents.verify._rules import RuleContext, grounded_args
from turnloom.cli import app
from turnloom.schema import Message, ToolCall, ToolSpec
from turnloom.tools_env.env import ToolEnvironment

TOOL = ToolSpec(name="search_flights", description="Search for available flights on a given date.",
                parameters={"type": "object", "required": ["origin", "date"],
                            "properties": {"origin": {"type": "string"},
                                           "date": {"type": "string", "format": "date"}}})
DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))


@settings(max_examples=300, deadline=None)
@given(today=DAYS, ahead=st.integers(min_value=1, max_value=40), seed=st.integers(0, 2**32))
def test_every_phrase_said_resolves_to_the_day_it_was_said_for(today: dt.date, ahead: int, seed: int) -> None:
    target = today + dt.timedelta(days=ahead)
    said = say_date(target, today, random.Random(seed))
    if ahead <= 27:
        assert said is not None  # "on the 14th" always fits within four weeks
    if said is not None:
        assert resolve_date(said, today) == target
        assert resolve_dates(f"I fly out {said}, please.", today) == [target]
        assert resolve_dates(f"check in {said} and check out later", today) == [target]


@settings(max_examples=150, deadline=None)
@given(today=DAYS, ahead=st.integers(min_value=1, max_value=27), seed=st.integers(0, 2**32))
def test_the_assistant_reads_the_planned_date_back(today: dt.date, ahead: int, seed: int) -> None:
    target = today + dt.timedelta(days=ahead)
    said = say_date(target, today, random.Random(seed))
    assert said is not None
    text = f"search flights with origin Lisbon and date {said}. Thanks!"
    assert extract_args(text, TOOL, today=today) == {"origin": "Lisbon", "date": target.isoformat()}
    assert "date" not in extract_args(text, TOOL)  # without a dialogue date a phrase is not a date


def test_dialogue_date_and_its_line() -> None:
    slots = [{"date": "2026-03-20"}, {"calls": [{"check_in": "2026-03-18"}]}, {"city": "Rome"}]
    today = dialogue_date(slots, 5)
    assert today is not None and dt.timedelta(days=1) <= dt.date(2026, 3, 18) - today <= dt.timedelta(days=12)
    assert dialogue_date(slots, 5) == today and dialogue_date([{"city": "Rome"}], 5) is None
    assert find_today(["You help with travel. " + today_line(dt.date(2026, 3, 13))]) == dt.date(2026, 3, 13)
    assert today_line(dt.date(2026, 3, 13)) == "Today is Friday, 2026-03-13."
    assert resolve_date("Friday next week", dt.date(2026, 3, 13)) == dt.date(2026, 3, 20)
    assert resolve_date("this Friday", dt.date(2026, 3, 13)) == dt.date(2026, 3, 20)
    assert resolve_date("on the 2nd", dt.date(2026, 3, 13)) == dt.date(2026, 4, 2)
    assert resolve_date("in two weeks", dt.date(2026, 3, 13)) == dt.date(2026, 3, 27)


def _grounding(date: str, user: str) -> list[str]:
    messages = [Message(role="system", content="You book flights. " + today_line(dt.date(2026, 3, 13))),
                Message(role="user", content=user),
                Message(role="assistant", content="", tool_calls=[
                    ToolCall(id="c1", name=TOOL.name, arguments={"origin": "Lisbon", "date": date})])]
    ctx = RuleContext(messages=messages, tools={TOOL.name: TOOL}, env=ToolEnvironment([TOOL]))
    return [c.reason or "" for c in grounded_args(ctx) if not c.passed]


def test_grounding_accepts_a_resolved_relative_date_and_rejects_an_invented_one() -> None:
    assert _grounding("2026-03-14", "Flights from Lisbon tomorrow, please.") == []
    assert _grounding("2026-03-20", "Flights from Lisbon on Friday next week.") == []
    assert _grounding("2026-03-27", "Flights from Lisbon in two weeks.") == []
    assert _grounding("2026-03-21", "Check in a week from tomorrow, from Lisbon.") == []
    invented = _grounding("2026-03-21", "Flights from Lisbon tomorrow, please.")
    assert len(invented) == 1 and "2026-03-21" in invented[0]
    assert _grounding("2026-03-15", "Flights from Lisbon, any day.")  # no phrase: nothing resolves


def test_a_run_states_the_date_and_says_dates_relative_to_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", "travel", "-n", "12", "--seed", "7", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    relative = 0
    for line in (out / "accepted.jsonl").read_text().splitlines():
        d = json.loads(line)
        system = d["messages"][0]
        assert system["role"] == "system"
        today = find_today([system["content"]])
        assert today is not None and today.isoformat() == d["plan"]["today"]
        said = {x for m in d["messages"] if m["role"] == "user" for x in resolve_dates(m["content"] or "", today)}
        called = {v for m in d["messages"] for c in m.get("tool_calls") or [] for v in c["arguments"].values()}
        relative += len({x.isoformat() for x in said} & called)
    assert relative >= 3
