"""Grounding plans in the world: harvesting candidate values, ranking them, probing calls in a sandbox."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from turnloom.schema import PlanStep, ToolSpec
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.grounding import Candidate, Grounding, harvest, rank
from turnloom.tools_env.python_backend import PythonBackend, class_tools, load_class, method_ref
from turnloom.tools_env.world import World

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backends"
REF = "tiny_fs_backend:TinyFs"
STATE = {"contents": {
    "notes.txt": {"type": "file", "content": "buy milk"},
    "projects": {"type": "directory", "contents": {"plan.md": {"type": "file", "content": "ship it"}}},
}}


@pytest.fixture(autouse=True)
def _fixture_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def _env_world(state: dict[str, Any] = STATE) -> tuple[ToolEnvironment, World, dict[str, ToolSpec]]:
    tools = class_tools(load_class(REF))
    env = ToolEnvironment(tools, bindings={t.name: method_ref(REF, t.name) for t in tools})
    world = PythonBackend(REF).initial_world(World(seed=1), state)
    return env, world, {t.name: t for t in env.tools.values()}


def _words_of(cands: list[Candidate], value: Any) -> set[str]:
    return set().union(*(c.words for c in cands if c.value == value))


def test_harvest_names_values_by_their_class_and_key_path() -> None:
    _, world, _ = _env_world()
    cands = harvest(world)
    assert {"file", "name"} <= _words_of(cands, "notes.txt")
    # a Directory's key carries its synonyms from data/grounding.yaml
    assert {"directory", "folder", "name"} <= _words_of(cands, "projects")
    assert {"file", "content"} <= _words_of(cands, "buy milk")
    # field names of records are not values
    assert not [c for c in cands if c.value in ("contents", "content", "parent")]


def test_harvest_keeps_collection_keys_not_record_fields() -> None:
    world = World().with_memo("python-backend:m:Broker", {
        "stocks": {"AAPL": {"price": 227.16, "volume": 2.5}, "NVDA": {"price": 220.3, "volume": 1.2}},
        "account": {"balance": 10.0, "status": "open"},
    })
    cands = harvest(world)
    assert {"stock", "symbol"} <= _words_of(cands, "AAPL")
    assert {"price"} <= _words_of(cands, 227.16)
    assert not [c for c in cands if c.value in ("price", "volume", "balance", "status", "stocks")]


def test_rank_prefers_the_words_of_the_parameter() -> None:
    env, world, tools = _env_world()
    cands = harvest(world)
    assert rank(cands, tools["cat"], "file_name")[:2] in (["notes.txt", "plan.md"], ["plan.md", "notes.txt"])
    assert rank(cands, tools["cd"], "folder")[0] == "projects"
    assert "buy milk" not in rank(cands, tools["cd"], "folder")


def test_the_sandbox_sees_earlier_effects() -> None:
    env, world, tools = _env_world()
    box = Grounding(env, world).sandbox()
    rng = random.Random(0)
    cd = box.fit(PlanStep(index=0, kind="single", intent="", tools=["cd"], slots={"folder": "Lake Aaron"}),
                 tools, rng)
    assert cd is not None and cd.slots == {"folder": "projects"}
    # after cd, only the files of that folder can be read
    cat = box.fit(PlanStep(index=1, kind="single", intent="", tools=["cat"], slots={"file_name": "x.avi"}),
                  tools, rng)
    assert cat is not None and cat.slots == {"file_name": "plan.md"}
    rm = box.fit(PlanStep(index=2, kind="single", intent="", tools=["rm"], slots={"file_name": "y.avi"}), tools, rng)
    assert rm is not None and rm.slots == {"file_name": "plan.md"}
    # nothing is left to read there: no candidate works, the step cannot be grounded
    assert box.fit(PlanStep(index=3, kind="single", intent="", tools=["cat"], slots={"file_name": "x.avi"}),
                   tools, rng) is None
    # a new name stays as planned when no existing one works
    touch = box.fit(PlanStep(index=4, kind="single", intent="", tools=["touch"], slots={"file_name": "new.txt"}),
                    tools, rng)
    assert touch is not None and touch.slots == {"file_name": "new.txt"}
    # the initial world is untouched
    assert env.call(world, __import__("turnloom.schema").schema.ToolCall(
        id="c", name="cat", arguments={"file_name": "notes.txt"}))[1].error is None


def test_only_class_backed_tools_are_probed() -> None:
    plain = ToolSpec(name="lookup", parameters={"type": "object", "properties": {"q": {"type": "string"}}})
    env = ToolEnvironment([plain])
    assert Grounding.of(env, World(), [plain]) is None
    env2, world, tools = _env_world()
    assert Grounding.of(env2, world, list(tools.values())) is not None


_PARAM_SCHEMAS = [
    {"type": "string"},
    {"type": "integer"},
    {"type": "number"},
    {"type": "string", "enum": ["open", "closed"]},
    {"type": "array", "items": {"type": "string"}},
    {"type": "array", "items": {"type": "integer"}},
]
_LEAF = st.one_of(st.text(min_size=1, max_size=12), st.integers(-10**6, 10**6),
                  st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["open", "closed", "7"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["ticket_id", "status", "name", "price", "tags", "folder"]), _LEAF,
                       min_size=1), st.sampled_from(_PARAM_SCHEMAS), st.sampled_from(["ticket_id", "status", "tags"]))
def test_ranked_values_always_fit_the_parameter_schema(record: dict[str, Any], schema: dict[str, Any],
                                                       param: str) -> None:
    world = World().with_memo("python-backend:m:Desk", {"tickets": [record, dict(record)]})
    tool = ToolSpec(name="get_ticket", description="Get a ticket.",
                    parameters={"type": "object", "properties": {param: {**schema, "description": f"The {param}"}},
                                "required": [param]})
    validator = Draft202012Validator(schema)
    for value in rank(harvest(world), tool, param, random.Random(0)):
        assert validator.is_valid(value), (value, schema)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.from_regex(r"[a-z]{1,8}\.(txt|md|pdf)", fullmatch=True), min_size=1, max_size=4, unique=True),
       st.sampled_from(["cat", "rm", "touch", "cd"]), st.integers(0, 2**16))
def test_grounded_slots_satisfy_the_tool_schema(names: list[str], tool_name: str, seed: int) -> None:
    env, world, tools = _env_world({"contents": {n: {"type": "file", "content": n} for n in names}})
    step = PlanStep(index=0, kind="single", intent="", tools=[tool_name],
                    slots={p: "planned.txt" for p in tools[tool_name].required})
    fitted = Grounding(env, world).sandbox().fit(step, tools, random.Random(seed))
    if fitted is None:
        assert tool_name == "cd"  # no folders: nothing to change to
        return
    assert env.argument_errors(tool_name, fitted.slots) == []
    if tool_name in ("cat", "rm"):
        assert fitted.slots["file_name"] in names
