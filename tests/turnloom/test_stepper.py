"""Stepping a simulation node by node through LangGraph interrupts and checkpoint history."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from rich.console import Console
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.scenarios import load_scenario
from turnloom.simulate import Simulator
from turnloom.tools_env.world import world_diff
from turnloom.viewer import LineKeys, Stepper, StepperError, run_step_ui

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(load_scenario("travel"))


async def _started(sim: Simulator) -> Stepper:
    stepper = Stepper(sim, index=0, seed=7)
    await stepper.start()
    return stepper


def test_start_stops_before_the_planner(sim: Simulator) -> None:
    stepper = run(_started(sim))
    assert stepper.next_nodes == ("planner",)
    assert (stepper.step, stepper.history_len, stepper.last_run) == (0, 1, None)
    assert not stepper.done and stepper.values["plan"] is None
    assert stepper.last_world_diff == {}


def test_nothing_before_start(sim: Simulator) -> None:
    with pytest.raises(StepperError, match="start"):
        _ = Stepper(sim).values


def test_next_and_back_restore_world_and_transcript(sim: Simulator) -> None:
    async def go() -> None:
        stepper = await _started(sim)
        seen: list[tuple[tuple[str, ...], str, int]] = []
        while stepper.last_run is None or stepper.last_run.node != "tool":
            seen.append((stepper.next_nodes, stepper.world.digest(), len(stepper.values["messages"])))
            await stepper.next()
        assert [s[0][0] for s in seen] == ["planner", "user", "assistant", "tool"]
        after_tool = (stepper.world.digest(), len(stepper.values["messages"]))
        assert after_tool[0] != seen[-1][1], "the tool call changed the world"
        diff = stepper.last_world_diff
        assert diff and stepper.last_tool_step == stepper.step == 4
        assert [m.role for m in stepper.last_tool_messages] == ["tool"]
        for nodes, digest, count in reversed(seen):
            assert await stepper.back()
            assert (stepper.next_nodes, stepper.world.digest(), len(stepper.values["messages"])) == \
                (nodes, digest, count)
        assert stepper.step == 0 and not await stepper.back()
        # forward again from the start: a new branch, the same deterministic result
        for _ in seen:
            await stepper.next()
        assert (stepper.world.digest(), len(stepper.values["messages"])) == after_tool
        assert stepper.last_world_diff == diff
        assert stepper.history_len == len(seen) + 1

    run(go())


def test_last_world_diff_is_the_diff_of_the_tool_node(sim: Simulator) -> None:
    async def go() -> None:
        stepper = await _started(sim)
        while stepper.next_nodes != ("tool",):
            await stepper.next()
        before = stepper.world
        run_ = await stepper.next()
        assert run_ is not None and run_.node == "tool" and "world" in run_.update
        assert stepper.last_world_diff == world_diff(before, stepper.world)
        await stepper.next()  # an assistant node keeps the diff of the last tool call
        assert stepper.last_run.node == "assistant" and stepper.last_world_diff == world_diff(before, stepper.world)

    run(go())


def test_next_turn_stops_before_the_user(sim: Simulator) -> None:
    async def go() -> None:
        stepper = await _started(sim)
        first = await stepper.next_turn()
        assert [r.node for r in first] == ["planner"] and stepper.next_nodes == ("user",)
        second = await stepper.next_turn()
        nodes = [r.node for r in second]
        assert nodes[0] == "user" and nodes[-1] == "verifier" and "tool" in nodes
        assert stepper.next_nodes == ("user",)
        assert [m.role for m in stepper.values["messages"]][-1] == "assistant"
        assert len(stepper.values["turn_verdicts"]) == 1

    run(go())


def test_run_to_end_gives_the_simulated_dialogue(sim: Simulator) -> None:
    async def go() -> None:
        stepper = await _started(sim)
        runs = await stepper.run_to_end()
        assert stepper.done and stepper.next_nodes == ()
        assert runs[0].node == "planner" and runs[-1].node == "verifier"
        assert stepper.history_len == len(runs) + 1
        verdict = stepper.values["verdict"]
        assert verdict.accepted, verdict.reasons
        assert await stepper.next() is None
        assert stepper.dialogue() == await sim.simulate(0, 7)

    run(go())


def test_step_view_answers_keys_and_draws_every_panel(sim: Simulator) -> None:
    """The stepping viewer's loop, fed whole lines (the fallback when keys cannot be read one by one)."""
    console = Console(file=io.StringIO(), width=140, height=40, force_terminal=False)
    keys = LineKeys(io.StringIO("nnnn\nb\nn\nw\np\nv\nt\nc\nq\nq\n"))
    stepper = Stepper(sim, index=0, seed=7)
    run_step_ui(stepper, console, keys)
    frames = console.file.getvalue().split(" turnloom step ")[1:]  # type: ignore[attr-defined]
    assert len(frames) == 13, "one frame to start, then one per key before the last q (the first leaves a pane)"
    assert "step 0" in frames[0] and "next: planner" in frames[0] and "(no plan yet" in frames[0]
    assert "ran: tool" in frames[4] and "made by the tool node at step 4: " in frames[4]
    assert "▶ 0" in frames[4] and "transcript · 4 messages" in frames[4] and "→ call " in frames[4]
    assert "step 3" in frames[5] and "next: tool" in frames[5] and "went back one step" in frames[5]
    assert "world state · digest" in frames[7] and "diff made by the last tool call" in frames[7]
    assert "goal:" in frames[8] and "▶ 0" in frames[8]
    assert "(no verdicts yet)" in frames[9]
    assert "next: user" in frames[10] and "turn · step 0" in frames[10] and "grounded_args" in frames[10]
    assert "finished: ACCEPTED" in frames[11] and "dialogue" in frames[11] and "state_replay" in frames[11]
    assert "q/esc back" in frames[11] and "q quit" in frames[12] and "transcript ·" in frames[12]
    assert stepper.done


def test_step_without_a_terminal_prints_every_node_then_the_dialogue() -> None:
    result = CliRunner().invoke(app, ["step", "travel", "--seed", "7"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "travel-7-000000" in out
    titles = [line for line in out.splitlines() if line.startswith("╭─ step ")]
    nodes = [t.split("·")[1].split()[0] for t in titles]
    assert nodes[:4] == ["planner", "user", "assistant", "tool"] and nodes[-1] == "verifier"
    assert [int(t.split()[2]) for t in titles] == list(range(1, len(titles) + 1))
    assert "world diff" in out and "→ call " in out
    assert out.rstrip().splitlines()[0].count("─") > 10 and "ACCEPTED" in out.split("─ dialogue ─")[-1]


def test_step_user_errors_exit_2() -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["step", "no_such_scenario"])
    assert bad.exit_code == 2 and "not a built-in scenario" in bad.output
    bad_agent = runner.invoke(app, ["step", "travel", "--agent", "assistant"])
    assert bad_agent.exit_code == 2 and "ROLE=VALUE" in bad_agent.output
    assert "Traceback" not in bad.output + bad_agent.output
