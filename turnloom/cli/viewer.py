"""``turnloom step`` (step through one simulation) and ``turnloom view`` (browse a dialogue file).

Both are full-screen when stdout is a terminal and print plainly otherwise.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from turnloom.cli._common import fail, parse_assignments


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("step")(step)
    app.command("view")(view)


def _interactive() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def step(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or path to a scenario YAML file.")],
    seed: Annotated[int, typer.Option(help="Run seed; dialogue i uses a seed derived from (seed, i).")] = 0,
    index: Annotated[int, typer.Option(min=0, help="Which dialogue of the run (0-based).")] = 0,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="Agent for a role: ROLE=REF (registered name or package.module:Name). Repeatable.")] = None,
    replay: Annotated[Path | None, typer.Option(
        help="Answer the scenario's live MCP tools from this cassette (a run's OUT/cassette.jsonl), offline, "
        "without the server.")] = None,
    record: Annotated[Path | None, typer.Option(
        help="Record the live MCP tools' calls and answers in this cassette, as `turnloom run` does.")] = None,
) -> None:
    """Step through one simulation node by node (n/⏎ next, b back, t next user turn, c to the end,
    w world, p plan, v verdicts, q back from a pane or quit). Without a terminal, print every node's update and
    the result.

    A scenario with live MCP tools calls its server; --record CASSETTE keeps the answers, and --replay CASSETTE
    steps offline from a recorded cassette: with a run's OUT/cassette.jsonl and that run's --seed and --index,
    the stepped dialogue is the run's dialogue (a call the cassette lacks stops the dialogue with an error)."""
    from turnloom.agents.registry import AgentRefError
    from turnloom.scenarios import ScenarioError, load_scenario
    from turnloom.simulate import Simulator
    from turnloom.viewer import Stepper, StepperError, open_keys, print_run, run_step_ui

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        fail("invalid scenario: " + exc.problems[0] if len(exc.problems) == 1
             else "invalid scenario:\n" + "\n".join(f"  {p}" for p in exc.problems))
    refs = parse_assignments(agent or [], "--agent")
    live = _live_backend(sc, replay, record)
    try:
        sim = Simulator(sc, agent_refs=refs, live=live)
    except AgentRefError as exc:
        fail(str(exc))
    except (ValueError, OSError) as exc:
        fail(f"cannot prepare scenario {sc.name!r}: {exc}")
    stepper = Stepper(sim, index=index, seed=seed)
    console = Console()
    try:
        if _interactive():
            run_step_ui(stepper, console, open_keys(enter_ends="nbtcwpv"))
        else:
            asyncio.run(print_run(stepper, console))
    except StepperError as exc:
        fail(str(exc), code=1)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    finally:
        if sim.live is not None:
            sim.live.finish()


def _live_backend(sc: Any, replay: Path | None, record: Path | None) -> Any:
    """The backend of the scenario's live MCP tools: the ``--replay`` cassette, or its server (recording
    to ``--record`` when given); None for a scenario without live tools."""
    from turnloom.tools_env.mcp_backend import LiveBackend, LiveToolError

    if replay is not None and record is not None:
        fail("--replay and --record: give one of them (a replay answers from a cassette, a record writes one)")
    if sc.tools.mcp is None:
        if replay is not None or record is not None:
            option = "--replay" if replay is not None else "--record"
            fail(f"{option}: scenario {sc.name!r} has no live MCP tools (tools.mcp)")
        return None
    try:
        if replay is not None:
            return LiveBackend.replaying(replay)
        return LiveBackend.start(sc.tools.mcp.model_dump(mode="json"), record=record, domain=sc.name)
    except LiveToolError as exc:
        fail(str(exc))


def view(
    path: Annotated[Path, typer.Argument(help="A dialogue JSONL file (accepted.jsonl / rejected.jsonl).")],
    filter: Annotated[str, typer.Option(
        "--filter", help="Show only matching dialogues: tool:NAME, kind:KIND, rule:NAME or words in the messages "
                         "(terms are and-ed; * and ? wildcards in names).")] = "",
) -> None:
    """Browse a dialogue file: ↑/↓ or j/k move, ⏎/o open, n/p next/previous while open, / filter, q back or quit.
    Without a terminal, print the (filtered) list, one line per dialogue."""
    from turnloom.dataset import DatasetError, read_dialogues
    from turnloom.viewer import Browser, FilterError, open_keys, print_list, run_browser

    try:
        dialogues = list(read_dialogues(path))
    except DatasetError as exc:
        fail(str(exc))
    console = Console()
    try:
        if not _interactive():
            if print_list(dialogues, console, filter) == 0:
                Console(stderr=True).print(f"no dialogue in {path} matches {filter!r}" if filter
                                           else f"{path} holds no dialogue", highlight=False)
            return
        browser = Browser(dialogues, source=str(path), expr=filter)
    except FilterError as exc:
        fail(str(exc))
    try:
        run_browser(browser, console, open_keys(enter_ends="onp"))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
