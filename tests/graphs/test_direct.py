"""The direct engine runs the dialogue graph's nodes and routes in a plain loop: it must
give exactly what the compiled LangGraph graph gives."""

from __future__ import annotations

import asyncio
import itertools
import operator
from pathlib import Path

import pytest
from langgraph.errors import GraphRecursionError
from typer.testing import CliRunner

from tests.scenarios.bfcl_helpers import runnable_builtins
from turnloom.agents import AgentOutput, AgentView
from turnloom.agents.offline import OfflineAssistant
from turnloom.cli import app
from turnloom.graphs.dialogue import merge_messages
from turnloom.graphs.direct import DirectDialogue, apply_update
from turnloom.scenarios import load_scenario
from turnloom.schema import Message
from turnloom.simulate import Simulator


def _records(sim: Simulator, n: int, seed: int = 7) -> list[str]:
    async def go() -> list[str]:
        return [(await sim.simulate(i, seed)).model_dump_json() for i in range(n)]

    return asyncio.run(go())


#: scenarios over a live MCP server answer from the real service (a clock): compared through
#: their cassettes in tests/turnloom/test_run_live_mcp.py instead
OFFLINE_BUILTINS = [n for n in runnable_builtins() if load_scenario(n).tools.mcp is None]


@pytest.mark.parametrize("name", OFFLINE_BUILTINS)
def test_every_builtin_scenario_gives_the_same_dialogues(name: str) -> None:
    sc = load_scenario(name)
    direct = _records(Simulator(sc), 10)
    assert direct == _records(Simulator(sc, engine="langgraph"), 10)


class Forgetful:
    """The offline assistant, except that one answer in three is a broken reply without its
    calls (the per-turn verifier rejects the turn and the graph regenerates it)."""

    name = "forgetful"

    def __init__(self) -> None:
        self.inner = OfflineAssistant()
        self.flip = itertools.cycle([True, False, False])

    async def act(self, view: AgentView) -> AgentOutput:
        out = await self.inner.act(view)
        if next(self.flip) and out.messages[0].tool_calls:
            broken = out.messages[0].model_copy(update={"tool_calls": [], "content": "Done \ufffd"})
            return AgentOutput(messages=[broken])
        return out


@pytest.mark.parametrize("samples", [1, 2])
def test_regenerations_and_consistency_samples_match(samples: int) -> None:
    sc = load_scenario("travel")
    sc = sc.model_copy(update={"verify": sc.verify.model_copy(update={
        "consistency_samples": samples, "max_regenerations": 2})})
    direct = Simulator(sc, agents={"assistant": Forgetful()})
    lang = Simulator(sc, agents={"assistant": Forgetful()}, engine="langgraph")
    got = _records(direct, 6)
    assert got == _records(lang, 6)
    dialogues = [asyncio.run(direct.simulate(i, 8)) for i in range(6)]
    if samples == 1:  # the failed turns were regenerated, not just rejected
        assert sum(d.stats["regenerations"] for d in dialogues) > 0


def test_recursion_limit_behaves_as_in_langgraph() -> None:
    sim = Simulator(load_scenario("travel"))
    lang = Simulator(load_scenario("travel"), engine="langgraph")

    async def steps() -> int:
        graph, state, config = lang.start(0, 1)
        return len([u async for u in graph.astream(state, config, stream_mode="updates")])

    n = asyncio.run(steps())
    for s in (sim, lang):
        graph, state, config = s.start(0, 1)
        with pytest.raises(GraphRecursionError):
            asyncio.run(graph.ainvoke(state, {**config, "recursion_limit": n}))
        graph, state, config = s.start(0, 1)
        assert asyncio.run(graph.ainvoke(state, {**config, "recursion_limit": n + 1}))["verdict"].accepted
    assert isinstance(sim.start(0, 1)[0], DirectDialogue)


def test_stepping_and_checkpoints_always_use_langgraph() -> None:
    from turnloom.graphs.dialogue import make_checkpointer

    sim = Simulator(load_scenario("travel"))
    graph, _, _ = sim.start(0, 1, checkpointer=make_checkpointer(), interrupt_before=["assistant"])
    assert not isinstance(graph, DirectDialogue) and hasattr(graph, "get_state_history")


def test_end_is_langgraphs_and_a_direct_run_does_not_import_langgraph() -> None:
    import subprocess
    import sys

    from langgraph.graph import END as LANGGRAPH_END

    from turnloom.graphs._state import END

    assert END == LANGGRAPH_END
    code = ("import asyncio, sys\nfrom turnloom.scenarios import load_scenario\n"
            "from turnloom.simulate import Simulator\n"
            "d = asyncio.run(Simulator(load_scenario('travel')).simulate(0, 1))\n"
            "assert d.accepted and 'langgraph' not in sys.modules, sorted(m for m in sys.modules if 'lang' in m)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_apply_update_merges_like_the_state_reducers() -> None:
    a, b, c = (Message(role="user", content=t) for t in "abc")
    state = {"messages": [a, b], "snapshots": [(0, "x")], "attempt": 1}
    out = apply_update(state, {"messages": [c], "snapshots": [(2, "y")], "attempt": 0, "ended": "done"})
    assert out["messages"] == [a, b, c] and out["snapshots"] == [(0, "x"), (2, "y")]
    assert out["attempt"] == 0 and out["ended"] == "done"
    assert state == {"messages": [a, b], "snapshots": [(0, "x")], "attempt": 1}  # untouched
    cut = apply_update(out, {"messages": {"truncate": 1, "append": [c]}})
    assert cut["messages"] == merge_messages([a, b, c], {"truncate": 1, "append": [c]}) == [a, c]
    assert apply_update({}, {"usage": [{"role": "user"}]})["usage"] == operator.add([], [{"role": "user"}])


def test_cli_engines_write_identical_files(tmp_path: Path) -> None:
    runner = CliRunner()
    for engine in ("direct", "langgraph"):
        res = runner.invoke(app, ["run", "support_desk", "-n", "8", "--seed", "3", "-o", str(tmp_path / engine),
                                  "--quiet", "--engine", engine])
        assert res.exit_code == 0, res.output
    for name in ("accepted.jsonl", "rejected.jsonl"):
        assert (tmp_path / "direct" / name).read_bytes() == (tmp_path / "langgraph" / name).read_bytes()
    res = runner.invoke(app, ["run", "travel", "-n", "1", "-o", str(tmp_path / "x"), "--engine", "pregel"])
    assert res.exit_code != 0 and "--engine 'pregel': expected one of direct, langgraph" in res.output


def test_worker_specs_carry_the_engine() -> None:
    from turnloom.executors import SimSpec

    sc = load_scenario("travel")
    spec = SimSpec(scenario=sc.model_dump(mode="json"), agent_refs={}, engine="langgraph")
    assert spec.build().engine == "langgraph"
    assert SimSpec(scenario=sc.model_dump(mode="json"), agent_refs={}).build().engine == "direct"
    with pytest.raises(ValueError, match="engine 'fast'"):
        Simulator(sc, engine="fast")
