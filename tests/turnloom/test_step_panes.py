"""The stepping viewer's panes and its main view at 80x24, rendered into a string console."""

from __future__ import annotations

import asyncio
import io

import pytest
from rich.console import Console

from turnloom.scenarios import load_scenario
from turnloom.simulate import Simulator
from turnloom.viewer import LineKeys, Stepper, StepView, run_step_ui


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(load_scenario("travel"))


def _view(sim: Simulator, keys: str) -> StepView:
    async def go() -> StepView:
        stepper = Stepper(sim, index=0, seed=7)
        await stepper.start()
        view = StepView(stepper)
        for key in keys:
            assert await view.handle(key)
        return view

    return asyncio.run(go())


def _screen(view: StepView, width: int = 80, height: int = 24) -> str:
    console = Console(file=io.StringIO(), width=width, height=height, force_terminal=False)
    console.print(view.render(console))
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("pane", ["w", "p", "v"])
def test_q_in_a_pane_goes_back_and_q_in_the_main_view_quits(sim: Simulator, pane: str) -> None:
    view = _view(sim, "nnnn" + pane)
    assert view.mode != "main"
    screen = _screen(view)
    footer = screen.splitlines()[-2:]
    assert "q/esc back" in "".join(footer) and "scroll" in "".join(footer) and "q quit" not in screen
    assert asyncio.run(view.handle("q")) and view.mode == "main"
    assert "q quit" in _screen(view)
    assert not asyncio.run(view.handle("q"))


def test_q_from_a_pane_through_the_key_loop(sim: Simulator) -> None:
    console = Console(file=io.StringIO(), width=100, height=30, force_terminal=False)
    stepper = Stepper(sim, index=0, seed=7)
    run_step_ui(stepper, console, LineKeys(io.StringIO("nnnn\nw\nq\nn\nq\n")))
    frames = console.file.getvalue().split(" turnloom step ")[1:]  # type: ignore[attr-defined]
    assert len(frames) == 8 and stepper.step == 5, "four nodes, the world pane, q back, one more node, q quit"
    assert "world · lines 1-" in frames[5] and "transcript ·" in frames[6] and "ran assistant" in frames[7]


def test_side_panels_are_readable_at_80_columns(sim: Simulator) -> None:
    view = _view(sim, "nnnnnn")
    screen = _screen(view)
    lines = screen.splitlines()
    assert len(lines) == 24 and max(len(line) for line in lines) <= 80
    assert "t… " not in screen and "┃ t…" not in screen and "fai…" not in screen
    assert "▶ 0 single search_flights" in screen and "ask to search_flights" in screen
    assert "1 follow_up search_flights" in screen and "2 dependent book_flight" in screen
    assert "flight +3: FLI-00001," in screen
    assert "✓ turn 0: " in screen and "checks passed" in screen
    assert "travel-7-000000" in screen, "the header wraps rather than losing the dialogue id"
    assert "ran verifier" in screen, "the status shows under the keys rather than past the edge"


def test_wide_screens_keep_the_tables(sim: Simulator) -> None:
    screen = _screen(_view(sim, "nnnnnn"), width=200, height=40)
    assert "requirement" in screen and "Verdicts (newest first)" in screen


def test_plan_panel_keeps_the_current_step_in_view(sim: Simulator) -> None:
    view = _view(sim, "nnnnnnt")
    while view.stepper.values.get("step_index", 0) < 2 and not view.stepper.done:
        asyncio.run(view.handle("t"))
    screen = _screen(view, width=80, height=14)
    assert f"▶ {view.stepper.values['step_index']} " in screen


def test_an_error_while_starting_is_the_error_raised(sim: Simulator) -> None:
    class Broken(Simulator):
        def start(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
            raise RuntimeError("no graph today")

    broken = Broken.__new__(Broken)
    with pytest.raises(RuntimeError, match="no graph today"):
        run_step_ui(Stepper(broken), Console(file=io.StringIO()), LineKeys(io.StringIO("q\n")))
