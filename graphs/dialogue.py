"""The dialogue state machine (LangGraph): planner → user → assistant ⇄ tool →
verifier → user … → verifier (final) → END.

:func:`build_dialogue_graph` is the one factory of the LangGraph graph. Nodes (made by
:func:`make_nodes`) take the state and return a partial update; routing is done by the
pure functions ``route_*`` (a caller may pass its own). Agents are reached only through
the agent protocol; the environment only through ``env.call(world, call)``, with the
world kept as data in the state, so a checkpointer gives exact time travel. Batch runs
execute the same nodes and routes with :class:`turnloom.graphs.direct.DirectDialogue`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from turnloom.agents import Agent
from turnloom.graphs._nodes import MAX_TOOL_ROUNDS, make_nodes
from turnloom.graphs._state import END, DialogueState, merge_messages
from turnloom.schema import Message, Plan, ToolSpec
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.world import World

__all__ = [
    "MAX_TOOL_ROUNDS",
    "NODES",
    "compile_dialogue_graph",
    "dialogue_routes",
    "make_checkpointer",
    "make_nodes",
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


#: the state's own types, allowed through the checkpoint serializer
STATE_TYPES = [
    ("turnloom.schema", "ToolSpec"),
    ("turnloom.schema", "ToolCall"),
    ("turnloom.schema", "ToolResult"),
    ("turnloom.schema", "Message"),
    ("turnloom.schema", "Plan"),
    ("turnloom.schema", "PlanStep"),
    ("turnloom.schema", "Verdict"),
    ("turnloom.schema", "CheckResult"),
    ("turnloom.tools_env.world", "World"),
]


def make_checkpointer() -> Any:
    """An in-memory checkpointer whose serializer knows the dialogue state's types
    (for stepping, ``get_state_history`` and time travel)."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    return InMemorySaver(serde=JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES))


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
    nodes = make_nodes(agents, env, max_turns=max_turns, max_regenerations=max_regenerations,
                       llm_tools=llm_tools, consistency_samples=consistency_samples)
    return compile_dialogue_graph(nodes, routes, checkpointer=checkpointer, interrupt_before=interrupt_before)


def dialogue_routes(routes: Mapping[str, Callable[[DialogueState], str]] | None = None) -> dict[str, Any]:
    """The routing function after each node (the defaults, overridden by ``routes``)."""
    return {
        "planner": route_after_planner,
        "user": route_after_user,
        "assistant": route_after_assistant,
        "tool": route_after_tool,
        "verifier": route_after_verifier,
        **(routes or {}),
    }


def compile_dialogue_graph(nodes: Mapping[str, Any], routes: Mapping[str, Callable[[DialogueState], str]] | None = None,
                           *, checkpointer: Any = None, interrupt_before: list[str] | None = None) -> Any:
    """Compile the nodes of :func:`~turnloom.graphs._nodes.make_nodes` and the routes into LangGraph."""
    from langgraph.graph import START, StateGraph

    r = dialogue_routes(routes)

    def asynced(fn: Callable[[DialogueState], str]) -> Callable[[DialogueState], Any]:
        # LangGraph runs sync branch functions in a thread pool under ainvoke; a thin
        # coroutine keeps routing on the event loop (the pure function stays replaceable)
        async def route(state: DialogueState) -> str:
            return fn(state)

        return route

    r = {k: asynced(v) for k, v in r.items()}
    g = StateGraph(DialogueState)
    for name in NODES:
        g.add_node(name, nodes[name])
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
