"""Simulate one dialogue of a scenario: everything needed, prepared once per run.

:class:`Simulator` holds the scenario, its tools, the agents and one compiled graph
per tool subset; :meth:`Simulator.simulate` runs dialogue ``i`` of a run with seed
``derive_seed(seed, i)`` and returns the :class:`~turnloom.schema.Dialogue` record.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from turnloom.agents import Agent
from turnloom.agents.registry import DEFAULT_AGENTS, resolve_agent
from turnloom.graphs.dialogue import (
    compile_dialogue_graph,
    dialogue_routes,
    initial_state,
    make_nodes,
    recursion_limit,
)
from turnloom.graphs.direct import DirectDialogue
from turnloom.scenarios import Scenario, scenario_bindings, scenario_tools
from turnloom.schema import CheckResult, Dialogue, ToolSpec, Verdict, derive_seed
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.mcp_backend import LiveBackend

__all__ = ["ENGINES", "Simulator", "dialogue_from_state", "usage_from_state"]

#: how a dialogue's graph is executed: ``direct`` calls the nodes and routes in a plain loop
#: (same output, no per-step LangGraph machinery), ``langgraph`` runs the compiled graph
ENGINES = ("direct", "langgraph")


class Simulator:
    def __init__(
        self,
        scenario: Scenario,
        *,
        agents: Mapping[str, Agent] | None = None,
        agent_refs: Mapping[str, str] | None = None,
        tools: list[ToolSpec] | None = None,
        models: Mapping[str, Any] | None = None,
        cache_path: Path | None = None,
        engine: str = "direct",
        live: LiveBackend | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
        self.scenario = scenario
        #: how ``simulate`` runs the graph (stepping, streaming and checkpoints always use LangGraph)
        self.engine = engine
        #: role -> model config for LLM-backed agents (from the scenario or the command line)
        self.models: dict[str, Any] = dict(models or {})
        mcp = scenario.tools.mcp
        if live is None and mcp is not None:  # a live server started for this simulator alone
            live = LiveBackend.start(mcp.model_dump(mode="json"), domain=scenario.name)
        #: the live tools' backend (their server or a recorded cassette), or None
        self.live = live
        if tools is None:
            tools = scenario_tools(scenario)
            if live is not None:
                tools = sorted([*tools, *(t for t in live.tools if t.name not in {x.name for x in tools})],
                               key=lambda t: t.name)
        self.tools = tools
        explicit = {**scenario.agents, **(agent_refs or {})}
        refs = {**DEFAULT_AGENTS, **explicit}
        built = dict(agents or {})
        configured = {**scenario.models, **self.models}
        if configured:
            from turnloom.agents.factory import build_model_agents

            llm = build_model_agents(configured, cache_path=cache_path, skip=set(explicit) | set(built))
            built.update(llm)
            for role in llm:
                refs[role] = f"model:{_model_label(configured[role])}"
        for role, ref in refs.items():
            if role not in built:
                built[role] = resolve_agent(ref, role)
        self.agent_refs = refs
        self.agents: dict[str, Agent] = built
        self._graphs: OrderedDict[tuple[str, ...], tuple[ToolEnvironment, Any]] = OrderedDict()
        #: tool -> binding (``world.bindings`` and the methods of ``world.backend``'s classes)
        self.bindings = scenario_bindings(scenario, self.tools)
        self._backend_states: list[tuple[str, dict[str, Any]]] | None = None
        self._tool_graph: Any = None

    # -- per tool subset ------------------------------------------------------------------
    def graph_for(self, tools: list[ToolSpec], checkpointer: Any = None,
                  interrupt_before: list[str] | None = None) -> tuple[ToolEnvironment, Any]:
        """(environment, graph) for this tool subset: a compiled LangGraph graph, or with the
        ``direct`` engine and no checkpointer or interrupts, a :class:`DirectDialogue`."""
        key = tuple(t.name for t in tools)
        if checkpointer is None and interrupt_before is None and key in self._graphs:
            self._graphs.move_to_end(key)
            return self._graphs[key]
        w = self.scenario.world
        env = ToolEnvironment(tools, w.env, bindings=self.bindings or None, live=self.live)
        nodes = make_nodes(self.agents, env, max_turns=self.scenario.max_turns,
                           max_regenerations=self.scenario.verify.max_regenerations, llm_tools=w.llm_tools,
                           consistency_samples=self.scenario.verify.consistency_samples)
        graph: Any
        if self.engine == "direct" and checkpointer is None and interrupt_before is None:
            graph = DirectDialogue(nodes, dialogue_routes(), lambda: compile_dialogue_graph(nodes))
        else:
            graph = compile_dialogue_graph(nodes, checkpointer=checkpointer, interrupt_before=interrupt_before)
        if checkpointer is None and interrupt_before is None:
            self._graphs[key] = (env, graph)
            if len(self._graphs) > 256:
                self._graphs.popitem(last=False)
        return env, graph

    def tools_for(self, index: int, seed: int) -> list[ToolSpec]:
        sample = self.scenario.tools.sample
        if sample is None or sample.size >= len(self.tools):
            return self.tools
        from turnloom.graphs.sampling import sample_tools
        from turnloom.graphs.tool_graph import build_tool_graph

        if self._tool_graph is None:
            self._tool_graph = build_tool_graph(self.tools)
        rng = random.Random(derive_seed(seed, index, "sample"))
        names = set(sample_tools(self._tool_graph, sample.size, mode=sample.mode, rng=rng))
        return [t for t in self.tools if t.name in names]

    def context(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "scenario": s.name,
            "plan": s.plan.model_dump(mode="json"),
            "persona": s.user.persona,
            "goals": list(s.user.goals),
            "env": s.world.env.model_dump(mode="json"),
            "verify": s.verify.model_dump(mode="json"),
            "bindings": dict(self.bindings),
            "llm_tools": list(s.world.llm_tools) if "tool" in self.agents else [],
            "system_prompt": s.system_prompt,
            **({"live": self.live.key, "live_tools": sorted(self.live.names)} if self.live is not None else {}),
        }

    def start(self, index: int, seed: int, *, checkpointer: Any = None,
              interrupt_before: list[str] | None = None) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """(compiled graph, initial state, invoke config) for dialogue ``index``."""
        dseed = derive_seed(seed, index)
        tools = self.tools_for(index, seed)
        env, graph = self.graph_for(tools, checkpointer, interrupt_before)
        world = env.new_world(seed=derive_seed(dseed, "world"), seed_data=self.scenario.world.seed_data)
        for key, backend_state in self._initial_backend_states():
            world = world.with_memo(key, backend_state)
        if self.live is not None:
            self.live.note_dialogue(world.seed, index)
        state = initial_state(
            dialogue_id=f"{self.scenario.name}-{seed}-{index:06d}", scenario=self.scenario.name, index=index,
            seed=dseed, tools=tools, world=world, context=self.context(), system_prompt=self.scenario.system_prompt,
        )
        config: dict[str, Any] = {"recursion_limit": recursion_limit(self.scenario.max_turns),
                                  "configurable": {"thread_id": state["dialogue_id"]}}
        return graph, dict(state), config

    def _initial_backend_states(self) -> list[tuple[str, dict[str, Any]]]:
        """(world memo key, state) of a fresh instance of each ``world.backend`` class, loaded once."""
        from turnloom.tools_env.python_backend import BackendError, PythonBackend, state_key

        if self._backend_states is None:
            states = []
            for backend in self.scenario.world.backends():
                if isinstance(backend.state, str):
                    raise BackendError(f"world.backend.state: {backend.state!r} is a file; load the scenario "
                                       "with load_scenario to read it")
                py = PythonBackend(backend.python)
                states.append((state_key(backend.python), py.encode(py.fresh(backend.state))))
            self._backend_states = states
        return self._backend_states

    async def simulate(self, index: int, seed: int) -> Dialogue:
        return (await self.simulate_with_usage(index, seed))[0]

    async def simulate_with_usage(self, index: int, seed: int) -> tuple[Dialogue, dict[str, dict[str, int]]]:
        """The dialogue and the model usage it took (usage stays out of the record: a rerun
        served from the cache must write the same bytes)."""
        graph, state, config = self.start(index, seed)
        try:
            final = await graph.ainvoke(state, config=config)
        except Exception as exc:  # a graph failure rejects this dialogue with its reason, never the run
            final = dict(state)
            final["ended"] = f"simulation error: {type(exc).__name__}: {exc}"
            final["verdict"] = Verdict(accepted=False, checks=[CheckResult(
                rule="simulation", passed=False, reason=final["ended"])])
        return dialogue_from_state(final), usage_from_state(final)


def _model_label(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return str(value.get("spec") or value.get("model"))
    spec = getattr(value, "spec", None)
    return str(spec() if callable(spec) else value)


def usage_from_state(state: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Model usage per role (prompt/completion tokens, requests, cached) of one dialogue."""
    usage: dict[str, dict[str, int]] = {}
    for u in state.get("usage", []):
        slot = usage.setdefault(str(u.get("role", "?")), {})
        for k, v in u.items():
            if k != "role" and isinstance(v, (int, float)):
                slot[k] = slot.get(k, 0) + int(v)
    return usage


def dialogue_from_state(state: Mapping[str, Any]) -> Dialogue:
    from turnloom.schema import Plan

    messages = list(state.get("messages", []))
    plan = state.get("plan") or Plan()
    verdict = state.get("verdict") or Verdict(accepted=False, checks=[CheckResult(
        rule="simulation", passed=False, reason=str(state.get("ended") or "dialogue did not finish"))])
    calls = [c for m in messages for c in m.tool_calls]
    stats = {
        "user_turns": sum(1 for m in messages if m.role == "user"),
        "assistant_messages": sum(1 for m in messages if m.role == "assistant"),
        "calls": len(calls),
        "failed_calls": sum(1 for m in messages if m.role == "tool" and m.result is not None and not m.result.ok),
        "tools_used": sorted({c.name for c in calls}),
        "step_kinds": [s.kind for s in plan.steps],
        "ended": state.get("ended") or "",
        "regenerations": sum(1 for v in state.get("turn_verdicts", []) if not v.accepted),
    }
    ctx = state.get("context", {})
    world_initial = state.get("world_initial") or state.get("world")
    world_final = state.get("world")
    return Dialogue(
        id=str(state.get("dialogue_id", "")),
        scenario=str(state.get("scenario", "")),
        index=int(state.get("index", 0)),
        seed=int(state.get("seed", 0)),
        tools=list(state.get("tools", [])),
        plan=plan,
        messages=messages,
        world_initial=world_initial.model_dump(mode="json") if world_initial is not None else {},
        world_final=world_final.model_dump(mode="json") if world_final is not None else {},
        snapshots={int(i): d for i, d in state.get("snapshots", [])},
        turn_verdicts=list(state.get("turn_verdicts", [])),
        verdict=verdict,
        stats=stats,
        settings={k: ctx[k] for k in ("env", "verify", "bindings", "llm_tools", "live_tools") if k in ctx},
    )
