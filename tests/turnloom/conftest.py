"""Fixture dialogues and preference pairs for the export tests, plus BFCL's checker in its own venv."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from turnloom.export.bfcl_checker import BfclCheckerError, bfcl_checker_python
from turnloom.schema import CheckResult, Dialogue, Message, Plan, PlanStep, ToolCall, ToolResult, ToolSpec, Verdict

# ---------------------------------------------------------------- tools

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name, e.g. 'Lyon'."},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit."},
        },
        "required": ["city"],
    },
    returns={
        "type": "object",
        "properties": {"temperature": {"type": "number"}, "condition": {"type": "string"}},
    },
    domain="travel",
)
SEARCH = ToolSpec(
    name="search_restaurants",
    description="Search restaurants in a city by cuisine.",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City to search in."},
            "cuisine": {"type": "string", "description": "Cuisine, e.g. 'French'."},
            "max_results": {"type": "integer", "minimum": 1, "description": "How many results to return."},
            "open_now": {"type": "boolean", "description": "Only restaurants open now."},
        },
        "required": ["city", "cuisine"],
    },
    domain="travel",
)
BOOK = ToolSpec(
    name="book_table",
    description="Book a table at a restaurant.",
    parameters={
        "type": "object",
        "properties": {
            "restaurant_id": {"type": "string", "description": "Restaurant id from a search."},
            "date": {"type": "string", "format": "date", "description": "Date of the booking (YYYY-MM-DD)."},
            "party_size": {"type": "integer", "minimum": 1},
            "preferences": {
                "type": "object",
                "properties": {"seating": {"type": "string"}, "notes": {"type": "string"}},
                "description": "Seating and other wishes.",
            },
            "dietary": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["restaurant_id", "date", "party_size"],
    },
    domain="travel",
)
CONVERT = ToolSpec(
    name="convert_currency",
    description="Convert an amount of money between currencies.",
    parameters={
        "type": "object",
        "properties": {
            "amount": {"type": "number", "description": "Amount to convert."},
            "from_currency": {"type": "string", "description": "ISO 4217 code of the source currency."},
            "to_currency": {"type": "string", "description": "ISO 4217 code of the target currency."},
        },
        "required": ["amount", "from_currency", "to_currency"],
    },
    domain="finance",
)

ACCEPTED = Verdict(accepted=True, checks=[CheckResult(rule="tool_response_after_call", passed=True)])
REJECTED = Verdict(
    accepted=False,
    checks=[CheckResult(rule="arguments_grounded", passed=False, reason="party_size 6 never stated")],
)


def _user(text: str, step: int) -> Message:
    return Message(role="user", content=text, step=step)


def _say(text: str, step: int) -> Message:
    return Message(role="assistant", content=text, step=step)


def _calls(step: int, *calls: ToolCall, text: str | None = None) -> Message:
    return Message(role="assistant", content=text, tool_calls=list(calls), step=step)


def _result(call: ToolCall, content: object, step: int, error: str | None = None) -> Message:
    result = ToolResult(call_id=call.id, name=call.name, content=None if error else content, error=error)
    return Message(
        role="tool", content=result.to_text(), tool_call_id=call.id, name=call.name, result=result, step=step
    )


def trip_dialogue() -> Dialogue:
    """Chit-chat, parallel calls, a single call, a dependent call, a multi-call turn, an irrelevant request."""
    w1 = ToolCall(id="call_w1", name="get_weather", arguments={"city": "Lyon", "unit": "celsius"})
    w2 = ToolCall(id="call_w2", name="get_weather", arguments={"city": "Paris", "unit": "celsius"})
    s1 = ToolCall(
        id="call_s1", name="search_restaurants", arguments={"city": "Lyon", "cuisine": "French", "max_results": 3}
    )
    b1 = ToolCall(
        id="call_b1",
        name="book_table",
        arguments={
            "restaurant_id": "R-102",
            "date": "2025-06-14",
            "party_size": 4,
            "preferences": {"seating": "terrace"},
        },
    )
    b2 = ToolCall(
        id="call_b2",
        name="book_table",
        arguments={
            "restaurant_id": "R-311",
            "date": "2025-06-15",
            "party_size": 2,
            "preferences": {"seating": "indoors", "notes": "birthday"},
            "dietary": ["vegetarian", "gluten-free"],
        },
    )
    plan = Plan(
        tools=["get_weather", "search_restaurants", "book_table"],
        persona="a traveller planning a weekend",
        goal="plan a weekend in Lyon",
        steps=[
            PlanStep(index=0, kind="chitchat", intent="greet and say what the trip is"),
            PlanStep(index=1, kind="parallel", intent="weather in two cities", tools=["get_weather"]),
            PlanStep(index=2, kind="single", intent="find restaurants", tools=["search_restaurants"]),
            PlanStep(
                index=3,
                kind="dependent",
                intent="book the first restaurant",
                tools=["book_table"],
                depends_on=[2],
                bindings={"restaurant_id": "step:2.search_restaurants.id"},
            ),
            PlanStep(index=4, kind="single", intent="book a second restaurant", tools=["book_table"]),
            PlanStep(index=5, kind="irrelevant", intent="ask for something no tool does"),
            PlanStep(index=6, kind="closing", intent="thank and leave"),
        ],
    )
    messages = [
        Message(role="system", content="You are a helpful travel assistant.", step=None),
        _user("Hi! I'm planning a weekend in Lyon.", 0),
        _say("That sounds lovely! How can I help with your trip?", 0),
        _user("What's the weather in Lyon and in Paris right now, in celsius?", 1),
        _calls(1, w1, w2),
        _result(w1, {"temperature": 21.5, "condition": "sunny"}, 1),
        _result(w2, {"temperature": 18, "condition": "cloudy"}, 1),
        _say("Lyon is sunny at 21.5 °C and Paris is cloudy at 18 °C.", 1),
        _user("Find me three French restaurants in Lyon.", 2),
        _calls(2, s1, text="Let me look that up."),
        _result(
            s1,
            [
                {"id": "R-102", "name": "Le Bouchon Rouge"},
                {"id": "R-311", "name": "Chez Paul"},
                {"id": "R-478", "name": "Maison Clovis"},
            ],
            2,
        ),
        _say("I found Le Bouchon Rouge, Chez Paul and Maison Clovis.", 2),
        _user("Book the first one on 2025-06-14 for 4 people, on the terrace please.", 3),
        _calls(3, b1),
        _result(b1, {"booking_id": "B-7781", "status": "confirmed"}, 3),
        _say("Done: table for 4 at Le Bouchon Rouge on 14 June, booking B-7781.", 3),
        _user(
            "Also book Chez Paul (R-311) on 2025-06-15 for 2, seated indoors, with the note 'birthday'; "
            "we are vegetarian and gluten-free.",
            4,
        ),
        _calls(4, b2),
        _result(b2, {"booking_id": "B-7790", "status": "confirmed"}, 4),
        _say("Booked Chez Paul for 2 on 15 June (B-7790), noted as a vegetarian, gluten-free birthday.", 4),
        _user("Can you also order me a taxi to the restaurant?", 5),
        _say("Sorry, I can't order taxis; I can help with weather, restaurants and bookings.", 5),
        _user("No worries, thanks!", 6),
        _say("Enjoy your weekend in Lyon!", 6),
    ]
    return Dialogue(
        id="trip-0001",
        scenario="travel",
        index=0,
        seed=11,
        tools=[WEATHER, SEARCH, BOOK],
        plan=plan,
        messages=messages,
        verdict=ACCEPTED,
    )


def money_dialogue() -> Dialogue:
    """A clarification, a follow-up that relies on an earlier turn, a failed call and a retry; one tool."""
    c1 = ToolCall(
        id="call_c1", name="convert_currency", arguments={"amount": 250, "from_currency": "USD", "to_currency": "EUR"}
    )
    c2 = ToolCall(
        id="call_c2",
        name="convert_currency",
        arguments={"amount": 99.99, "from_currency": "USD", "to_currency": "JPY"},
    )
    c3 = ToolCall(
        id="call_c3", name="convert_currency", arguments={"amount": 40, "from_currency": "GBP", "to_currency": "CHF!"}
    )
    c4 = ToolCall(
        id="call_c4", name="convert_currency", arguments={"amount": 40, "from_currency": "GBP", "to_currency": "CHF"}
    )
    plan = Plan(
        tools=["convert_currency"],
        steps=[
            PlanStep(
                index=0,
                kind="clarification",
                intent="convert dollars to euros",
                tools=["convert_currency"],
                slots={"amount": 250, "from_currency": "USD", "to_currency": "EUR"},
                withhold=["to_currency"],
            ),
            PlanStep(index=1, kind="follow_up", intent="the same for yen", tools=["convert_currency"]),
            PlanStep(index=2, kind="error_recovery", intent="pounds to francs", tools=["convert_currency"]),
        ],
    )
    messages = [
        _user("Can you convert 250 US dollars for me?", 0),
        _say("Sure, which currency should I convert your 250 USD into?", 0),
        _user("Into euros, please.", 0),
        _calls(0, c1),
        _result(c1, {"amount": 231.5, "currency": "EUR"}, 0),
        _say("250 USD is about 231.50 EUR.", 0),
        _user("And 99.99 of them in Japanese yen (JPY)?", 1),
        _calls(1, c2),
        _result(c2, {"amount": 15320.0, "currency": "JPY"}, 1),
        _say("99.99 USD is about 15,320 JPY.", 1),
        _user("Last one: 40 GBP to Swiss francs.", 2),
        _calls(2, c3),
        _result(c3, None, 2, error="to_currency: 'CHF!' does not match '^[A-Z]{3}$'"),
        _calls(2, c4),
        _result(c4, {"amount": 45.1, "currency": "CHF"}, 2),
        _say("40 GBP is about 45.10 CHF.", 2),
    ]
    return Dialogue(
        id="money-0002",
        scenario="finance",
        index=1,
        seed=12,
        tools=[CONVERT],
        plan=plan,
        messages=messages,
        verdict=ACCEPTED,
    )


def rejected_dialogue() -> Dialogue:
    """A dialogue the verifier rejected (an argument the user never gave)."""
    call = ToolCall(
        id="call_x1", name="search_restaurants", arguments={"city": "Nice", "cuisine": "Italian", "max_results": 6}
    )
    plan = Plan(steps=[PlanStep(index=0, kind="single", intent="find pizza", tools=["search_restaurants"])])
    messages = [
        _user("Any Italian places in Nice?", 0),
        _calls(0, call),
        _result(call, [{"id": "R-900", "name": "Da Marco"}], 0),
        _say("Da Marco is a good choice.", 0),
    ]
    return Dialogue(
        id="reject-0003",
        scenario="travel",
        index=2,
        seed=13,
        tools=[SEARCH, BOOK],
        plan=plan,
        messages=messages,
        verdict=REJECTED,
    )


@pytest.fixture
def dialogues() -> list[Dialogue]:
    return [trip_dialogue(), money_dialogue(), rejected_dialogue()]


@pytest.fixture
def dialogue_file(tmp_path: Path, dialogues: list[Dialogue]) -> Path:
    path = tmp_path / "dialogues.jsonl"
    path.write_text("".join(d.model_dump_json() + "\n" for d in dialogues), encoding="utf-8")
    return path


@pytest.fixture
def pairs() -> list[dict[str, object]]:
    """Preference pairs as an MCTS run would write them: a shared prompt, a better and a worse step."""
    good = ToolCall(id="call_p1", name="get_weather", arguments={"city": "Oslo", "unit": "celsius"})
    bad = ToolCall(id="call_p1", name="get_weather", arguments={"city": "Osaka"})
    w = ToolCall(id="call_p2", name="get_weather", arguments={"city": "Rome"})
    prompt_1 = [
        Message(role="system", content="You are a weather assistant."),
        Message(role="user", content="How warm is it in Oslo, in celsius?"),
    ]
    prompt_2 = [
        Message(role="user", content="Weather in Rome?"),
        Message(role="assistant", tool_calls=[w]),
        _result(w, {"temperature": 24, "condition": "sunny"}, 0),
    ]

    def dump(messages: list[Message]) -> list[dict[str, object]]:
        return [m.model_dump(exclude_none=True) for m in messages]

    return [
        {
            "id": "pair-1",
            "prompt": dump(prompt_1),
            "chosen": dump([Message(role="assistant", tool_calls=[good])]),
            "rejected": dump([Message(role="assistant", tool_calls=[bad])]),
            "tools": [WEATHER.model_dump(exclude_none=True)],
            "value_gap": 0.8,
        },
        {
            "id": "pair-2",
            "prompt": dump(prompt_2),
            "chosen": dump([Message(role="assistant", content="It is sunny in Rome at 24 °C.")]),
            "rejected": dump([Message(role="assistant", content="It is raining in Rome.")]),
            "tools": [WEATHER.model_dump(exclude_none=True)],
        },
    ]


@pytest.fixture
def pairs_file(tmp_path: Path, pairs: list[dict[str, object]]) -> Path:
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    return path


# ---------------------------------------------------------------- BFCL's checker, in its own venv

_OFFLINE = re.compile(
    "Could not find a version|No matching distribution|Max retries exceeded|Failed to establish a new connection"
    "|Temporary failure in name resolution|Network is unreachable|ConnectTimeout|ReadTimeout"
)


@pytest.fixture(scope="session")
def bfcl_python() -> Path:
    """The Python of a venv holding bfcl-eval and only what its AST checker imports; built once, reused."""
    try:
        return bfcl_checker_python()
    except BfclCheckerError as exc:
        if _OFFLINE.search(exc.output):
            pytest.skip(f"pip cannot reach the package registry to install bfcl-eval: {exc.output[-400:]}")
        pytest.fail(f"installing bfcl-eval's checker failed:\n{exc.output[-4000:]}")
