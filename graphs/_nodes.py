"""The dialogue graph's nodes: one coroutine per role, each taking the state and
returning a partial update (merged by the state's reducers). Built once per agent set
and environment by :func:`make_nodes`; compiled into LangGraph by
:func:`turnloom.graphs.dialogue.build_dialogue_graph` and run the same way by
:class:`turnloom.graphs.direct.DirectDialogue`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from turnloom.agents import Agent, AgentError, AgentView, ModelUnavailableError
from turnloom.agents.spoken import find_today, today_line
from turnloom.graphs._state import DialogueState
from turnloom.schema import Message, ToolResult, Verdict, canonical_json, derive_seed
from turnloom.tools_env.env import ToolEnvironment, inject_key
from turnloom.tools_env.grounding import Grounding
from turnloom.tools_env.world import World

__all__ = ["MAX_TOOL_ROUNDS", "Node", "make_nodes"]

#: tool rounds one assistant turn may take before the dialogue is cut
MAX_TOOL_ROUNDS = 4

Node = Callable[[DialogueState], Awaitable[dict[str, Any]]]


def _action(msg: Message) -> Any:
    """What an assistant message does, for comparing samples: its calls (name and
    arguments, in order) or, without calls, that it answers in text."""
    if msg.tool_calls:
        return [(c.name, canonical_json(c.arguments)) for c in msg.tool_calls]
    return "text"


def _usage(role: str, usage: dict[str, int]) -> list[dict[str, Any]]:
    return [{"role": role, **usage}] if usage else []


def _failed(role: str, ended: str, exc: AgentError, usage: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The update that ends a dialogue on an agent error; a model failure is also named
    (the verifier adds the rule ``model_failure`` and the runner counts it). The usage of
    the failed act (requests, tokens, retries, timeouts, errors; carried by an LLM agent's
    error as ``turnloom_usage``) is kept, after ``usage`` (what the node used before)."""
    spent = list(usage or []) + _usage(role, dict(getattr(exc, "turnloom_usage", None) or {}))
    update: dict[str, Any] = {"ended": ended, "usage": spent}
    if isinstance(exc, ModelUnavailableError):
        update["model_failure"] = f"{role}: {exc}"
    return update


def _dated(messages: list[Message], today: str, turn_start: int) -> dict[str, Any]:
    """The dialogue date stated in the system message (one is added when there is none)."""
    import datetime as dt

    line = today_line(dt.date.fromisoformat(today))
    if messages and messages[0].role == "system":
        first = messages[0].model_copy(update={"content": f"{(messages[0].content or '').rstrip()} {line}".strip()})
        return {"messages": {"truncate": 0, "append": [first, *messages[1:]]}}
    return {"messages": {"truncate": 0, "append": [Message(role="system", content=line), *messages]},
            "turn_start": turn_start + 1}


def make_nodes(
    agents: Mapping[str, Agent],
    env: ToolEnvironment,
    *,
    max_turns: int = 40,
    max_regenerations: int = 1,
    llm_tools: list[str] | None = None,
    consistency_samples: int = 1,
) -> dict[str, Node]:
    """The five nodes (planner, user, assistant, tool, verifier) over these agents and this
    environment. Calls of ``llm_tools`` (``"*"``: all) go to the ``tool`` agent (an LLM
    tool simulator) when there is one, the others to ``env``."""

    def view(state: DialogueState, role: str, **kw: Any) -> AgentView:
        turn = len(state.get("messages", []))
        seed = derive_seed(state["seed"], role, turn, state.get("attempt", 0))
        kw.setdefault("context", state.get("context", {}))
        kw.setdefault("tools", state["tools"])
        return AgentView(role=role, seed=seed, **kw)

    async def planner(state: DialogueState) -> dict[str, Any]:
        world = state["world"]
        plan = state.get("plan")
        usage: list[dict[str, Any]] = []
        if plan is None:
            try:
                grounding = Grounding.of(env, world, state["tools"])
                out = await agents["planner"].act(view(state, "planner", grounding=grounding))
            except AgentError as exc:
                return {**_failed("planner", f"planner failed: {exc}", exc), "world_initial": world}
            plan = out.plan
            usage = _usage("planner", out.usage)
            if plan is None:
                return {"ended": "planner returned no plan", "world_initial": world}
        problems = plan.validate_tools({t.name for t in state["tools"]})
        if problems:
            return {"ended": "invalid plan: " + "; ".join(problems), "plan": plan, "world_initial": world}
        # error-recovery steps: the step's tool fails once at its first call in that step
        planned: dict[str, int] = {}
        fail_at: dict[str, list[int]] = {}
        for step in plan.steps:
            if step.kind == "error_recovery" and step.tools:
                name = step.tools[0]
                fail_at.setdefault(name, []).append(planned.get(name, 0) + 1)
                planned[name] = planned.get(name, 0) + 1  # the retry
            for name in step.tools:
                planned[name] = planned.get(name, 0) + 1
        for name, at in sorted(fail_at.items()):
            world = world.with_memo(inject_key(name), {"seen": 0, "fail_at": at})
        update: dict[str, Any] = {"plan": plan, "world": world, "world_initial": world, "usage": usage}
        if plan.today and not find_today(m.content for m in state["messages"] if m.role == "system"):
            update.update(_dated(state["messages"], plan.today, state.get("turn_start", 0)))
        return update

    async def user(state: DialogueState) -> dict[str, Any]:
        plan = state["plan"]
        assert plan is not None
        idx = state.get("step_index", 0)
        step = plan.steps[idx] if idx < len(plan.steps) else None
        users = sum(1 for m in state["messages"] if m.role == "user")
        if users >= max_turns:
            return {"ended": f"turn limit reached ({max_turns} user turns)"}
        visible = [m for m in state["messages"] if m.role == "user" or (m.role == "assistant" and m.content)]
        try:
            out = await agents["user"].act(view(state, "user", messages=visible, plan=plan, step=step,
                                                 turns_in_step=state.get("turns_in_step", 0)))
        except AgentError as exc:
            return _failed("user", f"user agent failed: {exc}", exc)
        if out.end or not out.messages:
            return {"ended": "plan_complete", "usage": _usage("user", out.usage)}
        new_idx = out.step_index if out.step_index is not None else idx
        msgs = [m.model_copy(update={"step": new_idx}) for m in out.messages]
        return {
            "messages": msgs,
            "step_index": new_idx,
            "turns_in_step": state.get("turns_in_step", 0) + 1 if new_idx == idx else 1,
            "turn_start": len(state["messages"]) + len(msgs),
            "turn_world": state["world"],
            "attempt": 0,
            "tool_rounds": 0,
            "usage": _usage("user", out.usage),
        }

    async def assistant(state: DialogueState) -> dict[str, Any]:
        msgs = state["messages"]
        update: dict[str, Any] = {}
        last_verdict = state["turn_verdicts"][-1] if state.get("turn_verdicts") else None
        if last_verdict is not None and not last_verdict.accepted and state.get("attempt", 0) > 0 \
                and msgs and msgs[-1].role == "assistant" and not msgs[-1].tool_calls:
            # regenerate: drop the failed turn and restore the world it started from
            msgs = msgs[: state["turn_start"]]
            update["messages"] = {"truncate": state["turn_start"], "append": []}
            update["world"] = state.get("turn_world") or state["world"]
            state = {**state, "messages": msgs}  # type: ignore[typeddict-item]
        if state.get("tool_rounds", 0) > MAX_TOOL_ROUNDS:
            return {**update, "ended": f"assistant kept calling tools ({MAX_TOOL_ROUNDS} rounds in one turn)"}
        try:
            out = await agents["assistant"].act(view(state, "assistant", messages=msgs))
        except AgentError as exc:
            return {**update, **_failed("assistant", f"assistant agent failed: {exc}", exc)}
        new = [m.model_copy(update={"step": state.get("step_index", 0)}) for m in out.messages
               if m.role == "assistant"][:1]
        if not new:
            return {**update, "ended": "assistant returned no message"}
        usage = _usage("assistant", out.usage)
        if consistency_samples > 1:
            # ToolACE: keep an action only when repeated generations agree
            for k in range(1, consistency_samples):
                seed = derive_seed(state["seed"], "assistant", len(msgs), state.get("attempt", 0), "sample", k)
                try:
                    again = await agents["assistant"].act(view(state, "assistant", messages=msgs).model_copy(
                        update={"seed": seed}))
                except AgentError as exc:
                    return {**update, **_failed("assistant", f"assistant agent failed: {exc}", exc, usage)}
                usage += _usage("assistant", again.usage)
                other = next((m for m in again.messages if m.role == "assistant"), None)
                if other is None or _action(other) != _action(new[0]):
                    return {**update, "usage": usage, "ended": "inconsistent generations: "
                            f"{consistency_samples} samples of the assistant's action disagree"}
        appended = new
        if isinstance(update.get("messages"), dict):
            update["messages"]["append"] = appended
        else:
            update["messages"] = appended
        update["usage"] = usage
        return update

    simulated = set(llm_tools or [])

    async def simulate_call(state: DialogueState, world: World, call: Any) -> tuple[ToolResult, dict[str, int]]:
        spec = next((t for t in state["tools"] if t.name == call.name), None)
        if spec is None:
            return env.call(world, call)[1], {}
        msg = Message(role="assistant", content="", tool_calls=[call])
        out = await agents["tool"].act(view(state, "tool", tools=[spec], messages=[msg],
                                            world=world.model_dump(mode="json")))
        got = next((m.result for m in out.messages if m.role == "tool" and m.result is not None), None)
        if got is None:
            raise AgentError("tool simulator returned no result")
        return got.model_copy(update={"call_id": call.id, "name": call.name}), out.usage

    async def tool(state: DialogueState) -> dict[str, Any]:
        world = state["world"]
        call_msg = state["messages"][-1]
        start = len(state["messages"])
        new: list[Message] = []
        snaps: list[tuple[int, str]] = []
        usage: list[dict[str, Any]] = []
        for call in call_msg.tool_calls:
            if "tool" in agents and ("*" in simulated or call.name in simulated) and call.name in {
                    t.name for t in state["tools"]} and not env.argument_errors(call.name, call.arguments):
                try:
                    result, used = await simulate_call(state, world, call)
                except AgentError as exc:
                    return _failed("tool", f"tool simulator failed: {exc}", exc, usage)
                usage += _usage("tool", used)
                world = world.tick()
            else:
                world, result = env.call(world, call)
            new.append(Message(role="tool", content=result.to_text(), tool_call_id=call.id, name=call.name,
                               result=result, step=call_msg.step))
            snaps.append((start + len(new) - 1, world.digest()))
        return {"messages": new, "world": world, "snapshots": snaps, "usage": usage,
                "tool_rounds": state.get("tool_rounds", 0) + 1}

    async def verifier(state: DialogueState) -> dict[str, Any]:
        final = bool(state.get("ended"))
        ctx = dict(state.get("context", {}))
        ctx.update(scope="dialogue" if final else "turn", start=state.get("turn_start", 0),
                   ended=state.get("ended") or "", step=state.get("step_index"))
        if final:
            wi = state.get("world_initial") or state["world"]
            ctx.update(world_initial=wi.model_dump(mode="json"), world_final=state["world"].model_dump(mode="json"))
        try:
            out = await agents["verifier"].act(view(state, "verifier", messages=state["messages"],
                                                     plan=state.get("plan"), context=ctx))
        except AgentError as exc:
            from turnloom.schema import CheckResult

            failure = state.get("model_failure") or (
                f"verifier: {exc}" if isinstance(exc, ModelUnavailableError) else None)
            checks = [CheckResult(rule="verifier", passed=False, reason=str(exc))]
            if failure:
                checks.insert(0, CheckResult(rule="model_failure", passed=False, reason=failure))
            return {"verdict": Verdict(accepted=False, scope="dialogue", checks=checks), "model_failure": failure,
                    "usage": _usage("verifier", dict(getattr(exc, "turnloom_usage", None) or {}))}
        verdict = out.verdict or Verdict(accepted=True, scope="dialogue" if final else "turn")
        if final:
            failure = state.get("model_failure")
            if failure:
                from turnloom.schema import CheckResult

                verdict = verdict.model_copy(update={"accepted": False, "checks": [
                    CheckResult(rule="model_failure", passed=False, reason=failure), *verdict.checks]})
            return {"verdict": verdict, "usage": _usage("verifier", out.usage)}
        attempt = state.get("attempt", 0)
        update: dict[str, Any] = {"turn_verdicts": [verdict], "usage": _usage("verifier", out.usage)}
        if verdict.accepted:
            update["attempt"] = 0
        elif attempt < max_regenerations:
            update["attempt"] = attempt + 1
        else:
            update["attempt"] = 0
            update["ended"] = "turn rejected: " + "; ".join(verdict.reasons)
        return update

    return {"planner": planner, "user": user, "assistant": assistant, "tool": tool, "verifier": verifier}
