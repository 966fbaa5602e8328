"""The ``turnloom`` command line (typer). Each command group lives in its own module
and adds itself through ``register(app)``."""

from __future__ import annotations

from typing import Annotated

import typer

from turnloom import __version__
from turnloom.cli import data, env, graph, itool, pool, quality, run, scenario, viewer

# Help is plain click text (rich_markup_mode=None): help strings are shown as written, so
# ``[embeddings]`` stays, and flags show no value type (no ``<bool>``).
app = typer.Typer(
    name="turnloom",
    help="Synthesize verified multi-turn tool-calling dialogues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"turnloom {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_show_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Synthesize verified multi-turn tool-calling dialogues."""


for _module in (run, viewer, scenario, env, pool, graph, quality, data, itool):
    _module.register(app)


def main() -> None:
    app()
