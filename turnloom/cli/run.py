"""``turnloom run`` (simulate a scenario) and ``turnloom show`` (print one dialogue)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from turnloom.cli._common import fail, parse_assignments

if TYPE_CHECKING:
    from turnloom.executors import Executor, Outcome

console = Console()
err_console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("show")(show)


def run(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or path to a scenario YAML file.")],
    n: Annotated[int, typer.Option("-n", "--num", min=1, help="Number of dialogues to simulate.")] = 50,
    seed: Annotated[int, typer.Option(help="Run seed; dialogue i uses a seed derived from (seed, i).")] = 0,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")] = Path("out"),
    concurrency: Annotated[int, typer.Option(min=1, help="Dialogues simulated at once.")] = 8,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run in OUT.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a finished or interrupted run in OUT.")] = False,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="Agent for a role: ROLE=REF (registered name or package.module:Name). Repeatable.")] = None,
    model: Annotated[list[str] | None, typer.Option(
        "--model", help="LLM for a role: ROLE=openai:MODEL@BASE_URL (planner, user, assistant, tool, verifier, "
        "or * for every role). $OPENAI_API_KEY goes to OpenAI's own endpoint only; other URLs get a key "
        "from a scenario's api_key_env. Repeatable.")] = None,
    model_concurrency: Annotated[int | None, typer.Option(
        "--model-concurrency", min=1, help="Requests in flight per model endpoint, shared by every role using "
        "it (default 4, or the scenario's concurrency setting); 1 suits a one-slot local server.")] = None,
    cache: Annotated[Path, typer.Option(help="SQLite cache of model requests (reruns are free).")] = Path(
        ".turnloom-cache/llm.sqlite"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the model cache.")] = False,
    max_failures: Annotated[float, typer.Option(
        "--max-failures", min=0.0, max=1.0, help="Stop when more than this share of dialogues lose their model "
        "(unreachable, timing out, server errors after retries).")] = 0.5,
    executor: Annotated[str, typer.Option(
        help="Where dialogues run: local (asyncio, this process), process (worker processes) or ray.")] = "local",
    workers: Annotated[int, typer.Option(min=1, help="Worker processes / Ray workers (process and ray).")] = 2,
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (default: a local Ray).")] = None,
    engine: Annotated[str, typer.Option(
        help="How each dialogue's graph runs: direct (its nodes and routes in a plain loop, fastest) or "
        "langgraph (the compiled LangGraph graph). Same output either way.")] = "direct",
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar.")] = False,
    replay: Annotated[Path | None, typer.Option(
        help="Answer the scenario's live MCP tools from this cassette (a run's cassette.jsonl), "
        "offline, without the server.")] = None,
) -> None:
    """Simulate N dialogues of a scenario and write accepted/rejected JSONL plus a manifest.

    A scenario with live MCP tools records every call and answer in OUT/cassette.jsonl; a
    server that fails stops the run (exit 1) before the dialogues it spoiled are written, and
    --resume continues it."""
    from turnloom.agents.factory import ModelSetupError
    from turnloom.agents.registry import AgentRefError
    from turnloom.model_failures import MODEL_FAILURE, ModelFailureError
    from turnloom.runner import RunError, run_batch
    from turnloom.scenarios import ScenarioError, load_scenario
    from turnloom.simulate import ENGINES, Simulator
    from turnloom.tools_env.mcp_backend import LiveToolError

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        fail("invalid scenario: " + exc.problems[0] if len(exc.problems) == 1
             else "invalid scenario:\n" + "\n".join(f"  {p}" for p in exc.problems))
    refs = parse_assignments(agent or [], "--agent")
    from turnloom.agents.factory import expand_roles, with_settings

    models = expand_roles(parse_assignments(model or [], "--model"))
    if model_concurrency is not None:  # for the scenario's models as well as the command line's
        models = with_settings({**expand_roles(sc.models), **models}, concurrency=model_concurrency)
    cache_path = None if no_cache else cache
    if engine not in ENGINES:
        fail(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    live = _live_backend(sc, out=out, replay=replay, resume=resume, executor=executor)
    try:
        sim = Simulator(sc, agent_refs=refs, models=models, cache_path=cache_path, engine=engine, live=live)
    except (AgentRefError, ModelSetupError) as exc:
        fail(str(exc))
    except (ValueError, OSError) as exc:
        fail(f"cannot prepare scenario {sc.name!r}: {exc}")
    _check_models(sim, {**expand_roles(sc.models), **models})

    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("[green]✓ {task.fields[acc]}[/] [red]✗ {task.fields[rej]}[/] [yellow]! {task.fields[fail]}[/]"),
        TextColumn("{task.fields[rate]}/s"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=err_console, disable=quiet, transient=False,
    )
    counts = {"acc": 0, "rej": 0, "fail": 0}

    with progress:
        task = progress.add_task(f"{sc.name}", total=n, acc=0, rej=0, fail=0, rate="-")

        def on_result(d: Outcome) -> None:
            counts["acc" if d.accepted else "fail" if MODEL_FAILURE in d.failed_rules else "rej"] += 1
            elapsed = progress.tasks[0].elapsed or 0.0
            done = sum(counts.values())
            progress.update(task, advance=1, acc=counts["acc"], rej=counts["rej"], fail=counts["fail"],
                            rate=f"{done / elapsed:.1f}" if elapsed > 0 else "-")

        ex = _make_executor(executor, sim, sc, workers=workers, concurrency=concurrency,
                            ray_address=ray_address, cache_path=cache_path)
        if live is not None:
            from turnloom.cli._live import LiveGuard

            ex = LiveGuard(ex, live)
        try:
            result = asyncio.run(run_batch(sim, n=n, seed=seed, out_dir=out, concurrency=concurrency,
                                           resume=resume, overwrite=overwrite, on_result=on_result, executor=ex,
                                           max_model_failures=max_failures))
        except RunError as exc:
            fail(str(exc))
        except LiveToolError as exc:
            progress.stop()
            hint = "" if replay is not None else "; fix the server, then continue with --resume"
            fail(f"{exc}{hint}", code=1)
        except ModelFailureError as exc:
            progress.stop()
            fail(f"{exc}; fix the endpoint, then continue with --resume", code=1)
        except OSError as exc:
            fail(f"{exc.filename or out}: {exc.strerror or exc}")
        except KeyboardInterrupt:
            err_console.print(f"[yellow]interrupted; continue with: turnloom run {escape(scenario)} -n {n} "
                              f"--seed {seed} -o {escape(str(out))} --resume[/]", highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None
        finally:
            if live is not None:
                live.finish()
        if result.resumed_from:
            progress.update(task, completed=n)
    if result.repaired:
        err_console.print(f"[yellow]resume: {escape(result.repaired)}[/]", highlight=False, soft_wrap=True)
    rate = (result.accepted / n * 100) if n else 0.0
    failed = f", [bold]{result.failed}[/] failed" if result.failed else ""
    console.print(f"[bold]{result.accepted}[/] accepted, [bold]{result.rejected}[/] rejected{failed} "
                  f"({rate:.1f}% accepted) in {result.seconds:.1f}s → {out}/")
    if result.reasons:
        top = ", ".join(f"{k} ×{v}" for k, v in result.reasons.most_common(5))
        console.print(f"rejection reasons: {top}")
    if result.failed:
        roles = ", ".join(f"{k} ×{v}" for k, v in result.failure_reasons.most_common())
        err_console.print(f"[yellow]{result.failed} failed (model unavailable: {escape(roles)}), kept apart in "
                          f"{escape(str(out))}/failed.jsonl; retry them: run the same command again with --resume[/]",
                          highlight=False, soft_wrap=True)


def _live_backend(sc: Any, *, out: Path, replay: Path | None, resume: bool, executor: str) -> Any:
    """The backend of the scenario's live MCP tools: its server recording to OUT/cassette.jsonl,
    or the ``--replay`` cassette; None for a scenario without live tools."""
    from turnloom.tools_env.mcp_backend import LiveBackend, LiveToolError

    if sc.tools.mcp is None:
        if replay is not None:
            fail(f"--replay {replay}: scenario {sc.name!r} has no live MCP tools (tools.mcp) to replay")
        return None
    if executor != "local":
        fail(f"--executor {executor}: scenario {sc.name!r} has live MCP tools (tools.mcp), which run with "
             "--executor local only (one server, one cassette)")
    try:
        if replay is not None:
            return LiveBackend.replaying(replay)
        return LiveBackend.start(sc.tools.mcp.model_dump(mode="json"), record=out / "cassette.jsonl",
                                 resume=resume, domain=sc.name)
    except LiveToolError as exc:
        fail(str(exc))


def _check_models(sim: Any, configured: dict[str, Any]) -> None:
    """Preflight: every endpoint behind a model-backed role answers, or exit 2 naming it."""
    from turnloom.agents.factory import ModelSetupError, check_models

    used = {role: configured[role] for role, ref in sim.agent_refs.items()
            if ref.startswith("model:") and role in configured}
    try:
        check_models(used)
    except ModelSetupError as exc:
        fail(str(exc))


def _make_executor(kind: str, sim: Any, scenario: Any, *, workers: int, concurrency: int,
                   ray_address: str | None, cache_path: Path | None) -> Executor:
    from turnloom.executors import LocalExecutor, ProcessExecutor, SimSpec

    if kind == "local":
        return LocalExecutor(sim, concurrency)
    spec = SimSpec(scenario=scenario.model_dump(mode="json"), agent_refs=dict(sim.agent_refs), models=sim.models,
                   cache_path=str(cache_path) if cache_path else None, engine=sim.engine)
    if kind == "process":
        return ProcessExecutor(spec, workers=workers, concurrency=concurrency)
    if kind == "ray":
        try:
            from turnloom.executors_ray import RayExecutor
        except ImportError as exc:
            fail(f"--executor ray needs Ray: pip install 'turnloom[ray]' ({exc})")
        return RayExecutor(spec, workers=workers, address=ray_address, concurrency=concurrency)  # type: ignore[no-any-return]
    fail(f"--executor {kind!r}: expected local, process or ray")


def show(
    path: Annotated[Path, typer.Argument(help="A dialogue JSONL file (accepted.jsonl / rejected.jsonl).")],
    index: Annotated[int, typer.Option(help="Position of the dialogue in the file (0-based).")] = 0,
    id: Annotated[str | None, typer.Option("--id", help="Dialogue id (instead of --index).")] = None,
    width: Annotated[int | None, typer.Option(help="Render width (default: the terminal's).")] = None,
) -> None:
    """Print one dialogue readably: plan, messages with calls and results, verdict."""
    from turnloom.dataset import DatasetError, read_dialogues
    from turnloom.viewer import render_dialogue

    try:
        for i, d in enumerate(read_dialogues(path)):
            if (id is not None and d.id == id) or (id is None and i == index):
                Console(width=width).print(render_dialogue(d)) if width else console.print(render_dialogue(d))
                return
    except DatasetError as exc:
        fail(str(exc))
    fail(f"{path}: no dialogue with " + (f"id {id!r}" if id is not None else f"index {index}"))
