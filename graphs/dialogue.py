"""The dialogue state machine (LangGraph): planner → user → assistant ⇄ tool →
verifier → user … → verifier (final) → END.

:func:`build_dialogue_graph` is the one factory. Nodes take the state and return a
partial update; routing is done by the pure functions ``route_*`` (a caller may pass
its own). Agents are reached only through the agent protocol; the environment only
through ``env.call(world, call)``, with the world kept as data in the state, so a
checkpointer gives exact time travel.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

from toolweave.agents import Agent, AgentError, AgentView
from toolweave.schema import Message, Plan, ToolResult, ToolSpec, Verdict, canonical_json, derive_seed
from toolweave.tools_env.env import ToolEnvironment, inject_key
from toolweave.tools_env.world import World

__all__ = [
    "NODES",
    "make_checkpointer",
    "DialogueState",
    "build_dialogue_graph",
    "initial_state",
    "merge_messages",
    "route_after_assistant",
    "route_after_tool",
    "route_after_user",
    "route_after_verifier",
]

NODES = ("planner", "user", "assistant", "tool", "verifier")
#: tool rounds one assistant turn may take before the dialogue is cut
MAX_TOOL_ROUNDS = 4


#: the state's own types, allowed through the checkpoint serializer
STATE_TYPES = [
    ("toolweave.schema", "ToolSpec"),
    ("toolweave.schema", "ToolCall"),
    ("toolweave.schema", "ToolResult"),
    ("toolweave.schema", "Message"),
    ("toolweave.schema", "Plan"),
    ("toolweave.schema", "PlanStep"),
    ("toolweave.schema", "Verdict"),
    ("toolweave.schema", "CheckResult"),
    ("toolweave.tools_env.world", "World"),
]


def make_checkpointer() -> Any:
    """An in-memory checkpointer whose serializer knows the dialogue state's types
    (for stepping, ``get_state_history`` and time travel)."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    return InMemorySaver(serde=JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES))


def merge_messages(left: list[Message], right: list[Message] | dict[str, Any]) -> list[Message]:
    """Append messages; ``{"truncate": n, "append": [...]}`` first cuts the list to n
    (used to regenerate a failed assistant turn)."""
    if isinstance(right, dict):
        return list(left[: int(right.get("truncate", len(left)))]) + list(right.get("append", []))
    return list(left) + list(right)


class DialogueState(TypedDict, total=False):
    dialogue_id: str
    scenario: str
    index: int
    seed: int
    tools: list[ToolSpec]
    context: dict[str, Any]
    plan: Plan | None
    messages: Annotated[list[Message], merge_messages]
    world: World
    world_initial: World | None
    #: world digest after each tool message, as (message index, digest)
    snapshots: Annotated[list[tuple[int, str]], operator.add]
    step_index: int
    turns_in_step: int
    #: index of the first message of the current assistant turn
    turn_start: int
    #: world at the start of the current assistant turn (for regeneration)
    turn_world: World | None
    attempt: int
    tool_rounds: int
    turn_verdicts: Annotated[list[Verdict], operator.add]
    ended: str | None
    verdict: Verdict | None
    usage: Annotated[list[dict[str, Any]], operator.add]


def initial_state(
    *,
    dialogue_id: str,
    scenario: str,
    index: int,
    seed: int,
    tools: list[ToolSpec],
    world: World,
    context: Mapping[str, Any] | None = None,
    system_prompt: str | None = None,
    plan: Plan | None = None,
) -> DialogueState:
    messages = [Message(role="system", content=system_prompt)] if system_prompt else []
    return DialogueState(
        dialogue_id=dialogue_id, scenario=scenario, index=index, seed=seed, tools=list(tools),
        context=dict(context or {}), plan=plan, messages=messages, world=world, world_initial=None,
        snapshots=[], step_index=0, turns_in_step=0, turn_start=len(messages), turn_world=None, attempt=0,
        tool_rounds=0, turn_verdicts=[], ended=None, verdict=None, usage=[],
    )


# -- pure routing ---------------------------------------------------------------------
def route_after_planner(state: DialogueState) -> str:
    return "verifier" if state.get("ended") else "user"


def route_after_user(state: DialogueState) -> str:
    return "verifier" if state.get("ended") else "assistant"


def route_after_assistant(state: DialogueState) -> str:
    if state.get("ended"):
        return "verifier"
    last = state["messages"][-1] if state.get("messages") else None
    if last is not None and last.role == "assistant" and last.tool_calls:
        return "tool"
    return "verifier"


def route_after_tool(state: DialogueState) -> str:
    return "verifier" if state.get("ended") else "assistant"


def route_after_verifier(state: DialogueState) -> str:
    if state.get("verdict") is not None:
        return END
    if state.get("ended"):
        return "verifier"
    last = state["turn_verdicts"][-1] if state.get("turn_verdicts") else None
    if last is not None and not last.accepted and state.get("attempt", 0) > 0:
        return "assistant"
    return "user"


def _action(msg: Message) -> Any:
    """What an assistant message does, for comparing samples: its calls (name and
    arguments, in order) or, without calls, that it answers in text."""
    if msg.tool_calls:
        return [(c.name, canonical_json(c.arguments)) for c in msg.tool_calls]
    return "text"


def _usage(role: str, usage: dict[str, int]) -> list[dict[str, Any]]:
    return [{"role": role, **usage}] if usage else []


def build_dialogue_graph(
    agents: Mapping[str, Agent],
    env: ToolEnvironment,
    *,
    checkpointer: Any = None,
    max_turns: int = 40,
    max_regenerations: int = 1,
    interrupt_before: list[str] | None = None,
    routes: Mapping[str, Callable[[DialogueState], str]] | None = None,
    llm_tools: list[str] | None = None,
    consistency_samples: int = 1,
) -> Any:
    """A compiled LangGraph graph simulating one dialogue.

    ``agents`` maps each role (planner, user, assistant, verifier) to an agent.
    ``max_turns`` bounds user turns; the recursion limit to pass when invoking is
    ``recursion_limit(max_turns)``. Calls of ``llm_tools`` (``"*"``: all) go to the
    ``tool`` agent (an LLM tool simulator) when there is one, the others to ``env``.
    """

    def view(state: DialogueState, role: str, **kw: Any) -> AgentView:
        turn = len(state.get("messages", []))
        seed = derive_seed(state["seed"], role, turn, state.get("attempt", 0))
        kw.setdefault("context", state.get("context", {}))
        return AgentView(role=role, seed=seed, tools=state["tools"], **kw)

    async def planner(state: DialogueState) -> dict[str, Any]:
        world = state["world"]
        plan = state.get("plan")
        usage: list[dict[str, Any]] = []
        if plan is None:
            try:
                out = await agents["planner"].act(view(state, "planner"))
            except AgentError as exc:
                return {"ended": f"planner failed: {exc}", "world_initial": world}
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
        return {"plan": plan, "world": world, "world_initial": world, "usage": usage}

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
            return {"ended": f"user agent failed: {exc}"}
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
            return {**update, "ended": f"assistant agent failed: {exc}"}
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
                    return {**update, "ended": f"assistant agent failed: {exc}"}
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

    async def simulate_call(state: DialogueState, world: World, call: Any) -> ToolResult:
        spec = next((t for t in state["tools"] if t.name == call.name), None)
        if spec is None:
            return env.call(world, call)[1]
        msg = Message(role="assistant", content="", tool_calls=[call])
        out = await agents["tool"].act(view(state, "tool", tools=[spec], messages=[msg],
                                            world=world.model_dump(mode="json")))
        got = next((m.result for m in out.messages if m.role == "tool" and m.result is not None), None)
        if got is None:
            raise AgentError("tool simulator returned no result")
        return got.model_copy(update={"call_id": call.id, "name": call.name})

    async def tool(state: DialogueState) -> dict[str, Any]:
        world = state["world"]
        call_msg = state["messages"][-1]
        start = len(state["messages"])
        new: list[Message] = []
        snaps: list[tuple[int, str]] = []
        for call in call_msg.tool_calls:
            if "tool" in agents and ("*" in simulated or call.name in simulated) and call.name in {
                    t.name for t in state["tools"]} and not env.argument_errors(call.name, call.arguments):
                try:
                    result = await simulate_call(state, world, call)
                except AgentError as exc:
                    return {"ended": f"tool simulator failed: {exc}"}
                world = world.tick()
            else:
                world, result = env.call(world, call)
            new.append(Message(role="tool", content=result.to_text(), tool_call_id=call.id, name=call.name,
                               result=result, step=call_msg.step))
            snaps.append((start + len(new) - 1, world.digest()))
        return {"messages": new, "world": world, "snapshots": snaps,
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
            from toolweave.schema import CheckResult

            out_verdict = Verdict(accepted=False, scope="dialogue",
                                  checks=[CheckResult(rule="verifier", passed=False, reason=str(exc))])
            return {"verdict": out_verdict}
        verdict = out.verdict or Verdict(accepted=True, scope="dialogue" if final else "turn")
        if final:
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

    r = {
        "planner": route_after_planner,
        "user": route_after_user,
        "assistant": route_after_assistant,
        "tool": route_after_tool,
        "verifier": route_after_verifier,
        **(routes or {}),
    }
    def asynced(fn: Callable[[DialogueState], str]) -> Callable[[DialogueState], Any]:
        # LangGraph runs sync branch functions in a thread pool under ainvoke; a thin
        # coroutine keeps routing on the event loop (the pure function stays replaceable)
        async def route(state: DialogueState) -> str:
            return fn(state)

        return route

    r = {k: asynced(v) for k, v in r.items()}
    g = StateGraph(DialogueState)
    g.add_node("planner", planner)
    g.add_node("user", user)
    g.add_node("assistant", assistant)
    g.add_node("tool", tool)
    g.add_node("verifier", verifier)
    g.add_edge(START, "planner")
    g.add_conditional_edges("planner", r["planner"], ["user", "verifier"])
    g.add_conditional_edges("user", r["user"], ["assistant", "verifier"])
    g.add_conditional_edges("assistant", r["assistant"], ["tool", "verifier"])
    g.add_conditional_edges("tool", r["tool"], ["assistant", "verifier"])
    g.add_conditional_edges("verifier", r["verifier"], ["user", "assistant", "verifier", END])
    return g.compile(checkpointer=checkpointer, interrupt_before=interrupt_before or None)


def recursion_limit(max_turns: int) -> int:
    """Enough graph steps for ``max_turns`` user turns with tool rounds and retries."""
    return max_turns * (6 + 2 * MAX_TOOL_ROUNDS) + 20
