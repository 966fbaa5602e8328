"""The dialogue graph run as a plain loop: the same nodes, routes and reducers as the
compiled LangGraph graph, called one after the other on the event loop.

A batch run needs neither checkpoints, streaming nor interrupts, and LangGraph's
per-step machinery (tasks, channels, callbacks, checkpoint objects) costs more than the
offline agents' own work (``benchmarks/bench_engine.py``: 27–30 ms against 16–18 ms of
CPU per travel dialogue). :class:`DirectDialogue` keeps only what this graph uses
of LangGraph's semantics: one node per step, its partial update merged into the state
(keys annotated with a reducer through that reducer, the others replaced), then the
node's routing function picks the next node, until ``END``. Its output is the same
state LangGraph's ``ainvoke`` returns (``tests/graphs/test_direct.py`` compares the
dialogues of every built-in scenario byte for byte). When a dialogue runs past the
recursion limit, the dialogue is run again under LangGraph, so that limit behaves
exactly as LangGraph's does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, get_origin, get_type_hints

from turnloom.graphs._nodes import Node
from turnloom.graphs._state import END, DialogueState

__all__ = ["DirectDialogue", "apply_update"]


@cache
def _reducers() -> dict[str, Callable[[Any, Any], Any]]:
    """The state's keys that merge updates, with their reducer (as LangGraph reads them)."""
    hints = get_type_hints(DialogueState, include_extras=True)
    return {k: h.__metadata__[0] for k, h in hints.items() if get_origin(h) is Annotated}


def apply_update(state: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``state`` with a node's partial update merged (a new dict; ``state`` is untouched)."""
    reducers = _reducers()
    out = dict(state)
    for key, value in update.items():
        reducer = reducers.get(key)
        # every reducer of this state merges lists: a key not set yet starts empty, as in LangGraph
        out[key] = value if reducer is None else reducer(out.get(key) or [], value)
    return out


class DirectDialogue:
    """Runs :func:`~turnloom.graphs._nodes.make_nodes`' nodes with the dialogue's routes.

    ``langgraph`` compiles the equivalent LangGraph graph (used, once, when a dialogue
    exceeds the recursion limit). ``ainvoke(state, config)`` takes the same arguments as
    a compiled graph's and returns the final state.
    """

    def __init__(self, nodes: Mapping[str, Node], routes: Mapping[str, Callable[[DialogueState], str]],
                 langgraph: Callable[[], Any]) -> None:
        self.nodes = dict(nodes)
        self.routes = dict(routes)
        self._langgraph = langgraph
        self._compiled: Any = None

    @property
    def graph(self) -> Any:
        """The equivalent compiled LangGraph graph."""
        if self._compiled is None:
            self._compiled = self._langgraph()
        return self._compiled

    async def ainvoke(self, state: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> dict[str, Any]:
        limit = int((config or {}).get("recursion_limit", 25))
        current: dict[str, Any] = dict(state)
        node = "planner"
        steps = 0
        while node != END:
            steps += 1
            if steps >= limit:  # LangGraph counts the input as a step: at most limit - 1 nodes run
                return dict(await self.graph.ainvoke(dict(state), config=dict(config or {})))
            current = apply_update(current, await self.nodes[node](current))  # type: ignore[arg-type]
            node = self.routes[node](current)  # type: ignore[arg-type]
        return current
