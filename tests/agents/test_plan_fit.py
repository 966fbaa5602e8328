"""Plans that fit the tool set: dependent steps only along real data flow, record keys found in
results, every tool of a run reached, and imported pools (Swagger Petstore v3) accepted end to end."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from turnloom.agents._protocol import AgentView
from turnloom.agents.offline import OfflinePlanner
from turnloom.agents.offline._extract import score_tool
from turnloom.agents.offline._results import find_in_results
from turnloom.agents.offline.assistant import OfflineAssistant
from turnloom.agents.verify._meaning_rules import reply_reflects_results
from turnloom.agents.verify._rules import RuleContext
from turnloom.agents.verify.judges import judge_consistency, judge_tool_response
from turnloom.cli import app
from turnloom.schema import Message, Plan, ToolCall, ToolResult, ToolSpec
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.importers import import_tools

CORPUS = Path(__file__).resolve().parents[2] / "benchmarks" / "corpus"
runner = CliRunner()
_MIX = {"single": 0.3, "dependent": 0.4, "follow_up": 0.1, "parallel": 0.1, "chitchat": 0.1}


@pytest.fixture(scope="module")
def petstore(tmp_path_factory: pytest.TempPathFactory) -> list[ToolSpec]:
    spec = tmp_path_factory.mktemp("petstore") / "petstore_v3.yaml"
    spec.write_bytes(gzip.decompress((CORPUS / "petstore_v3.yaml.gz").read_bytes()))
    return import_tools("openapi", spec)


def _plans(tools: list[ToolSpec], n: int = 60) -> list[Plan]:
    planner = OfflinePlanner()
    ctx = {"plan": {"min_steps": 3, "max_steps": 5, "mix": _MIX}}
    return [planner.plan(tools, seed, ctx) for seed in range(n)]


def _tool(name: str, props: dict[str, Any], required: list[str], returns: dict[str, Any]) -> ToolSpec:
    return ToolSpec(name=name, description=name.replace("_", " ") + ".",
                    parameters={"type": "object", "properties": props, "required": required},
                    returns={"type": "object", "properties": returns, "required": sorted(returns)})


def test_camel_case_keys_come_from_results_and_a_new_record_id_is_never_fed(petstore: list[ToolSpec]) -> None:
    steps = [s for p in _plans(petstore) for s in p.steps]
    by_id = [s for s in steps if set(s.tools) & {"get_pet_by_id", "delete_pet", "get_order_by_id", "delete_order"}]
    assert by_id, "tools that look a record up by petId/orderId are planned"
    # a user cannot know an id: such a step binds the key to an earlier result
    assert all(set(s.bindings) & {"petId", "orderId"} for s in by_id)
    creates = [s for s in steps if s.kind == "dependent" and set(s.tools) & {"add_pet", "place_order", "create_user"}]
    assert not any("id" in s.bindings for s in creates)  # the id a create makes is no input to it
    assert sum(s.kind == "dependent" for s in steps) >= 40


def test_a_lookup_key_that_is_no_id_is_stated_on_create_and_bound_later(petstore: list[ToolSpec]) -> None:
    steps = [s for p in _plans(petstore) for s in p.steps]
    for s in steps:
        if s.kind in ("single", "clarification", "error_recovery") and s.tools == ["create_user"]:
            assert "username" in s.slots
    keyed = [s for s in steps if set(s.tools) & {"get_user_by_name", "update_user", "delete_user"}]
    assert keyed and all(s.bindings.get("username", "").endswith(".username#0") for s in keyed)


def test_a_tool_needing_two_keys_binds_both_from_earlier_results() -> None:
    tools = [
        _tool("create_thread", {"title": {"type": "string"}}, ["title"], {"id": {"type": "string"}}),
        _tool("create_run", {"thread_id": {"type": "string"}, "model": {"type": "string"}}, ["thread_id", "model"],
              {"id": {"type": "string"}, "thread_id": {"type": "string"}}),
        _tool("get_run", {"thread_id": {"type": "string"}, "run_id": {"type": "string"}}, ["thread_id", "run_id"],
              {"id": {"type": "string"}, "status": {"type": "string"}}),
    ]
    got = [s for p in _plans(tools, 40) for s in p.steps if s.tools == ["get_run"]]
    assert got and all(set(s.bindings) == {"thread_id", "run_id"} and len(s.depends_on) >= 1 for s in got)


def test_every_tool_of_a_builtin_scenario_is_used_within_100_dialogues(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "health_clinic", "-n", "100", "--seed", "7", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["report", str(out), "--json", str(tmp_path / "r.json")]).exit_code == 0
    tools = json.loads((tmp_path / "r.json").read_text())["tools"]
    assert tools["never_used"] == [] and tools["distinct_combinations"] >= 20
    assert tools["dependent_share"] > 0.5


def test_a_bare_id_belongs_to_the_entity_of_the_tool_that_returned_it() -> None:
    results = [{"id": 7, "title": "Printer"}, {"success": True}]
    assert find_in_results("ticket_id", results, "that ticket", ["create_ticket", "logout"]) == 7
    assert find_in_results("petId", [{"id": 3, "name": "Rex"}], "that pet", ["add_pet"]) == 3
    assert find_in_results("order_id", results, "that order", ["create_ticket", "logout"]) != 7


def test_the_assistant_fills_a_camel_case_key_from_the_record_just_made(petstore: list[ToolSpec]) -> None:
    call = ToolCall(id="c1", name="add_pet", arguments={"name": "Rex", "photoUrls": ["https://x.org/a.jpg"]})
    msgs = [Message(role="user", content='add a pet, name Rex and photo urls ["https://x.org/a.jpg"].'),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", name="add_pet",
                    result=ToolResult(call_id="c1", name="add_pet", content={"id": 41, "name": "Rex"})),
            Message(role="assistant", content="Done: pet 41, Rex."),
            Message(role="user", content="that same record. remove my pet.")]
    out = asyncio.run(OfflineAssistant().act(AgentView(role="assistant", seed=3, tools=petstore, messages=msgs)))
    assert [(c.name, c.arguments) for c in out.messages[0].tool_calls] == [("delete_pet", {"petId": 41})]


def test_the_more_specific_tool_name_wins_when_all_its_words_are_said(petstore: list[ToolSpec]) -> None:
    by_name = {t.name: t for t in petstore}
    text = "for that pet I want to update the pet with form, status pending"
    assert score_tool(text, by_name["update_pet_with_form"]) > score_tool(text, by_name["update_pet"])


def _answered(content: Any, reply: str) -> list[Message]:
    call = ToolCall(id="c1", name="list_runs", arguments={"thread_id": "T1"})
    return [Message(role="user", content="list runs of that thread"),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", name="list_runs",
                    result=ToolResult(call_id="c1", name="list_runs", content=content)),
            Message(role="assistant", content=reply)]


def test_an_empty_page_owes_the_user_no_values() -> None:
    page = {"data": [], "first_id": "run_abc123", "last_id": "run_abc456", "has_more": False, "object": "list"}
    msgs = _answered(page, "I found no runs for that thread.")
    ctx = RuleContext(messages=msgs, tools={}, env=ToolEnvironment([]))
    assert all(c.passed for c in reply_reflects_results(ctx))
    assert all(c.passed for c in judge_consistency(msgs, {}))
    # a page with records still needs a reply that reports them
    full = _answered({"data": [{"id": "run_9", "status": "queued"}], "has_more": False}, "I found nothing.")
    ctx = RuleContext(messages=full, tools={}, env=ToolEnvironment([]))
    assert not all(c.passed for c in reply_reflects_results(ctx))
    assert not all(c.passed for c in judge_consistency(full, {}))


def test_a_structured_field_is_no_contradiction_of_a_text_argument() -> None:
    tool = _tool("create_message", {"content": {"type": "string"}}, ["content"],
                 {"content": {"type": "array", "items": {"type": "object"}}, "role": {"type": "string"}})
    call = ToolCall(id="c1", name="create_message", arguments={"content": "Hello", "role": "user"})
    content = {"content": [{"type": "text", "text": {"value": "Hello"}}], "role": "assistant"}
    msgs = [Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", name="create_message",
                    result=ToolResult(call_id="c1", name="create_message", content=content))]
    reasons = [c.reason for c in judge_tool_response(msgs, {"create_message": tool}) if not c.passed]
    assert reasons == ["create_message: argument role='user' but the result says 'assistant'"]


def test_petstore_imported_from_the_corpus_is_accepted_with_dependent_steps(tmp_path: Path) -> None:
    spec = tmp_path / "petstore_v3.yaml"
    spec.write_bytes(gzip.decompress((CORPUS / "petstore_v3.yaml.gz").read_bytes()))
    pool = tmp_path / "petstore.jsonl"
    assert runner.invoke(app, ["pool", "import", "openapi", str(spec), "-o", str(pool)]).exit_code == 0
    scenario = tmp_path / "petstore.yaml"
    scenario.write_text(f"name: petstore\ntools:\n  pool: {pool}\n", encoding="utf-8")
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(scenario), "-n", "30", "--seed", "7", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["report", str(out), "--json", str(tmp_path / "r.json")]).exit_code == 0
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["counts"]["acceptance_rate"] >= 0.8, rep["rejection_reasons"]
    assert rep["tools"]["dependent_share"] >= 0.4 and rep["tools"]["coverage"] >= 0.8


def test_a_free_text_that_writes_a_returned_field_takes_that_fields_values(petstore: list[ToolSpec]) -> None:
    # update_pet_with_form's status is a plain string; the pet it returns allows available / pending / sold
    tool = next(t for t in petstore if t.name == "update_pet_with_form")
    assert "enum" not in tool.properties["status"]
    planner = OfflinePlanner()
    said = {planner._slot(tool, "status", planner._factory(), seed) for seed in range(40)}
    assert said and said <= {"available", "pending", "sold"}, said
