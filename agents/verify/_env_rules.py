"""Dialogue-level rules that need the environment or the plan: state replay, plan
coverage, tool use where none belongs, and dependent calls using earlier results."""

from __future__ import annotations

import json

from turnloom.agents.verify._rules import RuleContext, _fail, _forms, _norm, _ok
from turnloom.schema import CheckResult, canonical_json, json_leaves

__all__ = ["ENV_RULES"]

_NO_TOOL_KINDS = {"chitchat", "irrelevant", "closing"}


def state_replay(ctx: RuleContext) -> list[CheckResult]:
    """Re-executing the recorded calls on the initial world reproduces every recorded
    result and the final world digest (τ-bench style, naming what differs)."""
    if ctx.world_initial is None or ctx.world_final is None:
        return [CheckResult(rule="state_replay", passed=True, reason="not applicable: no world recorded")]
    world = ctx.world_initial
    simulated = set(ctx.extra.get("llm_tools", []))
    out = []
    for i, m in enumerate(ctx.messages):
        if m.role != "assistant":
            continue
        for c in m.tool_calls:
            if "*" in simulated or c.name in simulated:
                world = world.tick()  # answered by the LLM tool simulator: not replayable by the mock
                continue
            world, result = ctx.env.call(world, c)
            recorded = next((x.result for x in ctx.messages[i + 1:] if x.role == "tool" and x.tool_call_id == c.id),
                            None)
            if recorded is None:
                continue
            if canonical_json(result.model_dump(mode="json")) != canonical_json(recorded.model_dump(mode="json")):
                out.append(_fail("state_replay", f"replaying {c.name} ({c.id}) gives a different result", i))
    if world.digest() != ctx.world_final.digest():
        changed = sorted(
            k for k in set(world.tables) | set(ctx.world_final.tables)
            if world.tables.get(k) != ctx.world_final.tables.get(k)
        )
        out.append(_fail("state_replay", f"final world differs after replay (tables: {changed or ['memo']})"))
    return out or _ok("state_replay")


def plan_coverage(ctx: RuleContext) -> list[CheckResult]:
    """Every plan step was addressed; tool steps called one of their tools; steps that
    need no tool called none."""
    if ctx.plan is None:
        return _ok("plan_coverage")
    out = []
    by_step: dict[int, list[str]] = {}
    addressed: set[int] = set()
    for m in ctx.messages:
        if m.step is None:
            continue
        if m.role == "user":
            addressed.add(m.step)
        for c in m.tool_calls:
            by_step.setdefault(m.step, []).append(c.name)
    for step in ctx.plan.steps:
        called = by_step.get(step.index, [])
        if step.index not in addressed:
            out.append(_fail("plan_coverage", f"step {step.index} ({step.kind}) was never addressed"))
        elif step.kind in _NO_TOOL_KINDS:
            if called:
                rule = "no_call_when_irrelevant" if step.kind == "irrelevant" else "plan_coverage"
                out.append(_fail(rule, f"step {step.index} ({step.kind}) should need no tool but called {called}"))
        elif not set(step.tools) & set(called):
            out.append(_fail("plan_coverage", f"step {step.index} ({step.kind}) did not call any of "
                             f"{step.tools} (called {called or 'nothing'})"))
    return out or [CheckResult(rule="plan_coverage", passed=True),
                   CheckResult(rule="no_call_when_irrelevant", passed=True)]


def dependency_used(ctx: RuleContext) -> list[CheckResult]:
    """Dependent and follow-up steps pass a value that an earlier tool call returned."""
    if ctx.plan is None:
        return _ok("dependency_used")
    out = []
    outputs: list[str] = []
    for m in ctx.messages:
        if m.role == "tool" and m.result is not None and m.result.ok:
            outputs.append(" ".join(_norm(str(x)) for x in json_leaves(m.result.content)))
            continue
        if m.role != "assistant" or m.step is None or not m.tool_calls:
            continue
        step = ctx.plan.steps[m.step] if m.step < len(ctx.plan.steps) else None
        if step is None or not step.bindings:
            continue
        corpus = " ".join(outputs)
        used = any(
            any(f in corpus for f in _forms(leaf))
            for c in m.tool_calls for p in step.bindings for leaf in json_leaves(c.arguments.get(p, ""))
            if leaf not in ("", None)
        )
        if not used:
            out.append(_fail("dependency_used", f"step {step.index} ({step.kind}) should use "
                             f"{json.dumps(step.bindings)} from an earlier result"))
    return out or _ok("dependency_used")


ENV_RULES = {
    "state_replay": state_replay,
    "plan_coverage": plan_coverage,
    "dependency_used": dependency_used,
}
