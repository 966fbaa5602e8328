"""iTool commands: ``curriculum``, ``eval``, ``mine``, ``mcts`` and ``itool`` (one full iteration)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from turnloom.cli._common import ExecutorOption, RayAddressOption, WorkersOption, check_executor, fail

console = Console()
err_console = Console(stderr=True)

_MODEL_HELP = ("'offline' (the offline assistant), 'offline:errors=0.3' (the same making a weak model's mistakes "
               "30% of the time; modes=wrong_tool+missing_required+... to choose them) or an OpenAI-compatible "
               "model: openai:MODEL@http://HOST:PORT/v1.")


def register(app: typer.Typer) -> None:
    app.command("curriculum")(curriculum)
    app.command("eval")(eval_cmd)
    app.command("mine")(mine_cmd)
    app.command("mcts")(mcts_cmd)
    app.command("itool")(itool_cmd)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the errors a user can fix (bad files, bad specs, unreachable models) into exit 2,
    and a model that fails for good during the work into exit 1."""
    from turnloom.agents import ModelUnavailableError
    from turnloom.agents.factory import ModelSetupError
    from turnloom.agents.llm._models import ModelSpecError
    from turnloom.dataset import DatasetError
    from turnloom.export._io import ExportInputError
    from turnloom.itool import InputError, NLLError, TrainError

    try:
        yield
    except (InputError, DatasetError, ExportInputError, ModelSpecError, ModelSetupError, NLLError, TrainError) as exc:
        fail(str(exc))
    except ModelUnavailableError as exc:
        fail(f"the model failed: {exc}", code=1)
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{getattr(exc, 'filename', None) or ''}: {exc.strerror or exc}".lstrip(": "))


#: the ``--replay`` option of the commands that execute a dialogue's tool calls
ReplayOption = Annotated[Path | None, typer.Option(
    "--replay", help="Cassette of the run (its OUT/cassette.jsonl) that answers the dialogues' live MCP tools, "
    "offline; default: cassette.jsonl beside DATA when there is one.")]


@contextmanager
def _live_tools(data: Path, dialogues: list[Any], replay: Path | None, executor: str = "local") -> Iterator[None]:
    """Answer the live MCP tools of ``dialogues`` from the run's cassette (``--replay`` or
    ``cassette.jsonl`` beside DATA) while the block runs; one clear line when none answers them."""
    from turnloom.itool._steps import live_cassette, live_tool_names, open_cassette, replaying_cassette

    beside = data.parent / "cassette.jsonl"
    path = replay if replay is not None else beside if beside.is_file() else None
    live = [d for d in dialogues if live_tool_names(d)]
    if live and executor != "local":
        fail(f"--executor {executor}: {data} holds dialogues with live MCP tools, which replay from their "
             "cassette with --executor local only")
    with replaying_cassette(open_cassette(path) if path is not None else None):
        for d in live:
            live_cassette(d)  # every live dialogue has its answers, or one line before any work
        yield


def _check_models(**specs: str | None) -> None:
    """Preflight: every model endpoint given (``offline`` and ``hf:`` models aside) answers,
    else ``ModelSetupError`` naming the option, the endpoint and the error."""
    from turnloom.agents.factory import check_models

    check_models({f"--{name.replace('_', '-')}": spec for name, spec in specs.items()
                  if spec and spec != "offline" and not spec.startswith(("hf:", "offline:"))})


def _data(path: Path) -> list[Any]:
    from turnloom.itool import load_dialogues

    dialogues = load_dialogues(path)
    if not dialogues:
        fail(f"{path}: no dialogues")
    return dialogues


def _levels(dialogues: list[Any], curriculum_dir: Path | None) -> dict[str, str]:
    from turnloom.itool import difficulty_levels
    from turnloom.itool._io import read_json

    if curriculum_dir is None:
        return difficulty_levels(dialogues)
    report = read_json(curriculum_dir / "report.json")
    return {row["id"]: row["level"] for row in report.get("order", [])}


def curriculum(
    data: Annotated[Path, typer.Argument(help="Dialogue JSONL (e.g. accepted.jsonl).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    model: Annotated[str | None, typer.Option(
        help="Also score ToolACE's NLL: openai:MODEL@URL (a vLLM server, prompt_logprobs) or hf:PATH.")] = None,
) -> None:
    """Score every dialogue's difficulty; write easy/medium/hard splits, an easy → hard SFT file and a report."""
    from turnloom.itool import build_curriculum, make_nll_scorer, write_curriculum
    from turnloom.itool._tables import curriculum_table

    with _user_errors():
        dialogues = _data(data)
        scorer = make_nll_scorer(model) if model else None
        _check_models(model=model)
        try:
            result = build_curriculum(dialogues, scorer)
        finally:
            close = getattr(scorer, "close", None)
            if callable(close):
                close()
        write_curriculum(result, out)
    console.print(curriculum_table(result.report()))
    console.print(f"→ {out}/ (easy.jsonl, medium.jsonl, hard.jsonl, curriculum.jsonl, sft.jsonl, report.json)")


def eval_cmd(
    data: Annotated[Path, typer.Argument(help="Dialogue JSONL with the gold steps.")],
    model: Annotated[str, typer.Option(help=_MODEL_HELP)],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    seed: Annotated[int, typer.Option(help="Seed of the policy's per-step seeds (call ids).")] = 0,
    concurrency: Annotated[int, typer.Option(min=1, help="Model requests at once.")] = 4,
    nll: Annotated[str | None, typer.Option(
        help="Score each gold step's NLL with this model (openai:MODEL@URL or hf:PATH), for mining.")] = None,
    curriculum_dir: Annotated[Path | None, typer.Option(
        "--curriculum", help="A curriculum output directory whose levels to use (default: scored now).")] = None,
    cache: Annotated[Path | None, typer.Option(help="SQLite cache of model answers.")] = None,
    executor: ExecutorOption = "local",
    workers: WorkersOption = 2,
    ray_address: RayAddressOption = None,
    replay: ReplayOption = None,
) -> None:
    """Evaluate a policy step by step (BFCL-style AST, relevance/irrelevance) and by final world state."""
    from turnloom.itool import evaluate, make_nll_scorer, make_policy, write_eval
    from turnloom.itool._tables import eval_tables

    check_executor(executor)
    with _user_errors(), _live_tools(data, dialogues := _data(data), replay, executor):
        levels = _levels(dialogues, curriculum_dir)
        policy = make_policy(model, cache_path=cache)  # "offline" ignores the model settings
        scorer = make_nll_scorer(nll) if nll else None
        _check_models(model=model, nll=nll)

        async def go() -> Any:
            try:
                return await evaluate(dialogues, policy, levels=levels, seed=seed, concurrency=concurrency,
                                      nll=scorer)
            finally:
                await policy.close()

        if executor == "ray":
            from turnloom.itool._distributed import evaluate_on_ray

            asyncio.run(policy.close())
            result = evaluate_on_ray(dialogues, model, seed=seed, concurrency=concurrency, levels=levels,
                                     cache=str(cache) if cache else None, nll=nll, workers=workers,
                                     address=ray_address)
        else:
            result = asyncio.run(go())
        summary = write_eval(result, out, {"data": str(data), "nll_model": nll})
    console.print(eval_tables(summary))
    console.print(f"→ {out}/ (steps.jsonl, dialogues.jsonl, summary.json)")


def mine_cmd(
    data: Annotated[Path, typer.Argument(help="Dialogue JSONL that was evaluated.")],
    eval_dir: Annotated[Path, typer.Option("--eval", help="The output directory of `turnloom eval`.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output JSONL of deficient dialogues.")],
    top: Annotated[float, typer.Option(min=0.0, max=1.0, help="Fraction of steps kept by NLL, per step type.")] = 0.3,
) -> None:
    """Keep the dialogues with failed steps or (with NLL scores) the top fraction by NLL."""
    from turnloom.export._io import atomic_write_text
    from turnloom.itool import mine
    from turnloom.itool._io import dialogue_lines, read_jsonl

    with _user_errors():
        dialogues = _data(data)
        result = mine(dialogues, read_jsonl(eval_dir / "steps.jsonl"), top=top)
        atomic_write_text(out, dialogue_lines(result.dialogues))
    s = result.stats
    console.print(f"{s['deficient_dialogues']} of {s['dialogues']} dialogues deficient "
                  f"({s['deficient_steps']} steps: {s['failed_steps']} failed"
                  + (f", {s['high_nll_steps']} in the top {top:.0%} by NLL" if s["nll_scored"] else ", no NLL scores")
                  + f") → {out}")


def _mcts_config(iterations: int, depth: int, seed: int, min_gap: float, max_overlap: float,
                 min_chosen: float) -> Any:
    from turnloom.itool import MCTSConfig

    return MCTSConfig(iterations=iterations, depth=depth, seed=seed, min_gap=min_gap, max_overlap=max_overlap,
                      min_chosen=min_chosen)


def mcts_cmd(
    data: Annotated[Path, typer.Argument(help="Dialogue JSONL (e.g. the output of `turnloom mine`).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output JSONL of preference pairs (TRL DPO format).")],
    model: Annotated[str | None, typer.Option(help="Policy whose samples join the actions; " + _MODEL_HELP)] = None,
    iterations: Annotated[int, typer.Option(min=1, help="MCTS iterations per tree.")] = 5,
    depth: Annotated[int, typer.Option(min=1, help="Assistant steps below a root.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    samples: Annotated[int, typer.Option(min=0, help="Policy samples per node.")] = 3,
    temperature: Annotated[float, typer.Option(min=0.0, help="Sampling temperature of the policy.")] = 1.0,
    min_gap: Annotated[float, typer.Option(help="Smallest chosen-rejected value gap kept.")] = 0.1,
    max_overlap: Annotated[float, typer.Option(help="Largest word overlap of chosen and rejected kept.")] = 0.95,
    min_chosen: Annotated[float, typer.Option(help="Smallest chosen value kept.")] = -0.3,
    cache: Annotated[Path | None, typer.Option(help="SQLite cache of model answers.")] = None,
    executor: ExecutorOption = "local",
    workers: WorkersOption = 2,
    ray_address: RayAddressOption = None,
    replay: ReplayOption = None,
) -> None:
    """Search assistant steps with MCTS (verifiable rewards) and write chosen/rejected pairs."""
    from turnloom.agents import ModelUnavailableError
    from turnloom.export._io import atomic_write_text, jsonl_text
    from turnloom.itool import make_policy, run_mcts
    from turnloom.itool._tables import mcts_table

    check_executor(executor)
    with _user_errors(), _live_tools(data, dialogues := _data(data), replay, executor):
        cfg = _mcts_config(iterations, depth, seed, min_gap, max_overlap, min_chosen)
        # built here also with --executor ray: a bad model spec fails before Ray starts
        policy = make_policy(model, cache_path=cache, samples=samples, temperature=temperature, seed=seed) \
            if model else None
        _check_models(model=model)
        searches: list[Any] = []

        async def go() -> Any:
            try:
                return await run_mcts(dialogues, cfg, policy=policy, searches=searches)
            finally:
                if policy is not None:
                    await policy.close()

        if executor == "ray":
            from turnloom.itool._distributed import mcts_on_ray

            if policy is not None:
                asyncio.run(policy.close())
            result = mcts_on_ray(dialogues, cfg, model=model, samples=samples, temperature=temperature,
                                 cache=str(cache) if cache else None, workers=workers, address=ray_address)
        else:
            try:
                result = asyncio.run(go())
            except (KeyboardInterrupt, ModelUnavailableError) as exc:
                _stop_mcts(out, searches, len(dialogues), exc)
        atomic_write_text(out, jsonl_text(result.pairs))
    console.print(mcts_table(result.stats))
    console.print(f"{len(result.pairs)} pairs → {out}")


def _stop_mcts(out: Path, searches: list[Any], total: int, exc: BaseException) -> NoReturn:
    """Write the pairs of the dialogues searched so far (when there are any) and exit:
    130 on Ctrl-C, 1 when the model failed."""
    from turnloom.export._io import atomic_write_text, jsonl_text
    from turnloom.itool import merge_searches

    done = merge_searches(searches)
    if searches:
        atomic_write_text(out, jsonl_text(done.pairs))
        kept = f"{len(done.pairs)} pairs from {len(searches)} of {total} dialogues written to {out}"
    else:
        kept = f"no dialogue finished; {out} left as it was"
    if isinstance(exc, KeyboardInterrupt):
        err_console.print(f"[yellow]interrupted: {escape(kept)}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(130)
    fail(f"the model failed: {exc}; {kept}", code=1)


def itool_cmd(
    data: Annotated[Path, typer.Argument(help="Dialogue JSONL.")],
    model: Annotated[str, typer.Option(help=_MODEL_HELP)],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    train_cmd: Annotated[str | None, typer.Option(
        help="Trainer command; {pairs}, {out}, {data} are replaced (pairs appended when absent).")] = None,
    after_model: Annotated[str | None, typer.Option(
        help="Policy evaluated after training (default: --model, e.g. a server that reloads).")] = None,
    nll: Annotated[str | None, typer.Option(
        help="Score the gold steps' NLL before training (openai:MODEL@URL or hf:PATH) to mine by perplexity.")] = None,
    top: Annotated[float, typer.Option(min=0.0, max=1.0, help="Fraction of steps kept by NLL, per step type.")] = 0.3,
    iterations: Annotated[int, typer.Option(min=1, help="MCTS iterations per tree.")] = 5,
    depth: Annotated[int, typer.Option(min=1, help="Assistant steps below an MCTS root.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    samples: Annotated[int, typer.Option(min=0, help="Policy samples per MCTS node.")] = 3,
    temperature: Annotated[float, typer.Option(min=0.0, help="Sampling temperature of the policy.")] = 1.0,
    concurrency: Annotated[int, typer.Option(min=1, help="Model requests at once.")] = 4,
    replay: ReplayOption = None,
) -> None:
    """One iTool iteration: eval → mine → mcts → train (when configured) → eval again."""
    from turnloom.itool import IterationConfig, run_iteration
    from turnloom.itool._tables import comparison_table

    cfg = IterationConfig(model=model, after_model=after_model, train_cmd=train_cmd, nll=nll, top=top, samples=samples,
                          temperature=temperature, concurrency=concurrency,
                          mcts=_mcts_config(iterations, depth, seed, 0.1, 0.95, -0.3))
    stage: Callable[[str], None] = lambda name: err_console.print(f"[bold]·[/] {name}")  # noqa: E731
    with _user_errors(), _live_tools(data, _data(data), replay):
        _check_models(model=model, nll=nll)
        summary = asyncio.run(run_iteration(data, out, cfg, on_stage=stage))
    console.print(comparison_table(summary["before"], summary["after"]))
    console.print(f"{summary['mine']['deficient_dialogues']} deficient dialogues, {summary['mcts']['kept']} pairs; "
                  f"training: {summary['train']['skipped'] or 'ran'} → {out}/summary.json")
