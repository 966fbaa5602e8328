"""The ``turnloom`` command line (typer). Each command group lives in its own module
and adds itself through ``register(app)``."""

from __future__ import annotations

import typer

from turnloom.cli import data, env, graph, itool, pool, quality, run, scenario, viewer

app = typer.Typer(
    name="turnloom",
    help="Synthesize verified multi-turn tool-calling dialogues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (run, viewer, scenario, env, pool, graph, quality, data, itool):
    _module.register(app)


def main() -> None:
    app()
