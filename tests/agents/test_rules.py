"""Every verification rule, with a dialogue that breaks it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from turnloom.agents.verify.judges import verify_dialogue
from turnloom.scenarios import load_scenario
from turnloom.schema import Dialogue, ToolResult
from turnloom.simulate import Simulator


@pytest.fixture(scope="module")
def base() -> Dialogue:
    sim = Simulator(load_scenario("travel"))

    async def go() -> Dialogue:
        for i in range(20):
            d = await sim.simulate(i, 7)
            kinds = {s.kind for s in d.plan.steps}
            if d.accepted and "dependent" in kinds and any(len(m.tool_calls) == 1 for m in d.messages):
                return d
        raise AssertionError("no suitable dialogue")

    return asyncio.run(go())


def _copy(d: Dialogue) -> Dialogue:
    return Dialogue.model_validate(d.model_dump(mode="json"))


def _first_call(d: Dialogue) -> tuple[int, int]:
    for i, m in enumerate(d.messages):
        if m.tool_calls:
            return i, 0
    raise AssertionError


def _tool_msg(d: Dialogue, call_id: str) -> int:
    return next(i for i, m in enumerate(d.messages) if m.role == "tool" and m.tool_call_id == call_id)


def _summary(d: Dialogue) -> int:
    return next(i for i, m in enumerate(d.messages) if m.role == "assistant" and not m.tool_calls and i > 0
                and d.messages[i - 1].role == "tool" and d.messages[i - 1].result.ok)


def _failed_rules(d: Dialogue) -> set[str]:
    return {c.rule for c in asyncio.run(verify_dialogue(d)).failures}


def test_base_dialogue_passes_every_rule(base: Dialogue) -> None:
    verdict = asyncio.run(verify_dialogue(base))
    assert verdict.accepted, verdict.reasons
    assert {c.layer for c in verdict.checks} == {"rule", "model"}


def bad_schema(d: Dialogue) -> None:
    d.tools[0].parameters = {"type": "object", "properties": {"x": {"type": "strin"}}}


def unknown_tool(d: Dialogue) -> None:
    i, k = _first_call(d)
    call = d.messages[i].tool_calls[k]
    d.messages[_tool_msg(d, call.id)].name = "teleport"
    call.name = "teleport"


def drop_required(d: Dialogue) -> None:
    i, k = _first_call(d)
    call = d.messages[i].tool_calls[k]
    tool = next(t for t in d.tools if t.name == call.name)
    call.arguments.pop(tool.required[0])


def wrong_type(d: Dialogue) -> None:
    i, k = _first_call(d)
    call = d.messages[i].tool_calls[k]
    call.arguments[next(iter(call.arguments))] = {"nested": True}


def unanswered(d: Dialogue) -> None:
    i, k = _first_call(d)
    del d.messages[_tool_msg(d, d.messages[i].tool_calls[k].id)]


def invented_value(d: Dialogue) -> None:
    i, k = _first_call(d)
    call = d.messages[i].tool_calls[k]
    key = next(k for k, v in call.arguments.items() if isinstance(v, str))
    call.arguments[key] = "Zzyzx Unheardof"


def long_reply(d: Dialogue) -> None:
    d.settings["verify"] = {**d.settings.get("verify", {}), "max_reply_chars": 60}
    d.messages[_summary(d)].content = "x" * 200


def control_char(d: Dialogue) -> None:
    m = d.messages[_summary(d)]
    m.content = (m.content or "") + " \x07"


def mixed_language(d: Dialogue) -> None:
    m = d.messages[_summary(d)]
    m.content = (m.content or "") + " こんにちは"


def swapped_roles(d: Dialogue) -> None:
    d.messages[1], d.messages[2] = d.messages[2], d.messages[1]


def truncated(d: Dialogue) -> None:
    d.messages.pop()


def tampered_result(d: Dialogue) -> None:
    i, k = _first_call(d)
    msg = d.messages[_tool_msg(d, d.messages[i].tool_calls[k].id)]
    content = dict(msg.result.content)
    key = next(iter(content))
    content[key] = "tampered"
    msg.result = ToolResult(call_id=msg.result.call_id, name=msg.result.name, content=content)


def wrong_plan_tool(d: Dialogue) -> None:
    step = next(s for s in d.plan.steps if s.tools)
    step.tools = ["convert_currency" if "convert_currency" not in step.tools else "search_hotels"]
    for m in d.messages:
        if m.step == step.index and m.tool_calls and any(c.name in step.tools for c in m.tool_calls):
            raise AssertionError("pick another mutation target")


def tool_step_marked_irrelevant(d: Dialogue) -> None:
    step = next(s for s in d.plan.steps if s.tools)
    step.kind = "irrelevant"


def dependency_not_used(d: Dialogue) -> None:
    step = next(s for s in d.plan.steps if s.kind == "dependent")
    param = next(iter(step.bindings))
    for m in d.messages:
        if m.step == step.index:
            for c in m.tool_calls:
                c.arguments[param] = "XXX-99999"


def invented_fact(d: Dialogue) -> None:
    m = d.messages[_summary(d)]
    m.content = (m.content or "") + " It costs 987.65 in total."


def empty_summary(d: Dialogue) -> None:
    d.messages[_summary(d)].content = "Okay, noted."


def result_off_schema(d: Dialogue) -> None:
    i, k = _first_call(d)
    msg = d.messages[_tool_msg(d, d.messages[i].tool_calls[k].id)]
    msg.result = ToolResult(call_id=msg.result.call_id, name=msg.result.name, content={"unexpected": 1})


def end_before_start(d: Dialogue) -> None:
    i, k = _first_call(d)
    call = d.messages[i].tool_calls[k]
    call.arguments.update(check_in="2026-06-06", check_out="2026-06-01")


def repeated(d: Dialogue) -> None:
    i, k = _first_call(d)
    call = d.messages[i].tool_calls[k]
    again = call.model_copy(update={"id": call.id + "-again"})
    answer = d.messages[_tool_msg(d, call.id)]
    d.messages[i + 2:i + 2] = [
        d.messages[i].model_copy(update={"tool_calls": [again]}),
        answer.model_copy(update={"tool_call_id": again.id,
                                  "result": answer.result.model_copy(update={"call_id": again.id})}),
    ]


def silent_reply(d: Dialogue) -> None:
    d.messages[_summary(d)].content = "Okay, that is taken care of."


def json_dump(d: Dialogue) -> None:
    i = _summary(d)
    d.messages[i].content = "Here you go: " + json.dumps(d.messages[i - 1].result.content)


def all_errors(d: Dialogue) -> None:
    for m in d.messages:
        if m.role == "tool" and m.result is not None:
            m.result = ToolResult(call_id=m.result.call_id, name=m.result.name, error="500 Internal Server Error")
            m.content = m.result.to_text()


CASES: list[tuple[str, Callable[[Dialogue], None]]] = [
    ("api_definition", bad_schema),
    ("tool_exists", unknown_tool),
    ("required_params", drop_required),
    ("args_valid", wrong_type),
    ("call_answered", unanswered),
    ("grounded_args", invented_value),
    ("reply_length", long_reply),
    ("invalid_chars", control_char),
    ("mixed_language", mixed_language),
    ("roles_in_order", swapped_roles),
    ("reply_complete", truncated),
    ("state_replay", tampered_result),
    ("plan_coverage", wrong_plan_tool),
    ("no_call_when_irrelevant", tool_step_marked_irrelevant),
    ("dependency_used", dependency_not_used),
    ("hallucination", invented_fact),
    ("consistency", empty_summary),
    ("tool_response", result_off_schema),
    ("date_order", end_before_start),
    ("repeated_call", repeated),
    ("reply_reflects_results", silent_reply),
    ("no_raw_dump", json_dump),
    ("unplanned_errors", all_errors),
]


@pytest.mark.parametrize(("rule", "mutate"), CASES, ids=[c[0] for c in CASES])
def test_rule_catches_its_breakage(base: Dialogue, rule: str, mutate: Callable[[Dialogue], None]) -> None:
    d = _copy(base)
    mutate(d)
    assert rule in _failed_rules(d)


def test_every_rule_has_a_case() -> None:
    from turnloom.agents.verify.verifier import ALL_RULES

    produced = {"reply_length", "invalid_chars", "mixed_language", "no_call_when_irrelevant", "hallucination",
                "consistency", "tool_response"}
    covered = {rule for rule, _ in CASES}
    assert (set(ALL_RULES) - {"reply_quality"}) | produced <= covered
