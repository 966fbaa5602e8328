"""Helpers shared by the command modules."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

_err = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error the user can act on and exit (no traceback).

    ``message`` is plain text: brackets in it (``turnloom[ray]``, ``tools[0]``) are shown as they are.
    """
    _err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def parse_assignments(items: list[str], option: str) -> dict[str, str]:
    """``["assistant=pkg.mod:Agent", ...]`` -> ``{"assistant": "pkg.mod:Agent"}``."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"{option} {item!r}: expected ROLE=VALUE, e.g. assistant=my_pkg.agents:MyAgent")
        out[key.strip()] = value.strip()
    return out


def check_executor(executor: str) -> None:
    """Fail (exit 2) on an unknown ``--executor`` (local or ray), or on ``ray`` without Ray installed."""
    if executor not in ("local", "ray"):
        fail(f"--executor {executor!r}: expected local or ray")
    if executor == "ray":
        try:
            import ray  # noqa: F401
        except ImportError as exc:
            fail(f"--executor ray needs Ray: pip install 'turnloom[ray]' ({exc})")


#: the ``--executor`` / ``--workers`` / ``--ray-address`` options of the commands that can run on Ray
ExecutorOption = Annotated[str, typer.Option("--executor", help="local, or ray to spread the work over Ray tasks "
                                             "(the same output).")]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="CPUs of a local Ray (with --executor ray).")]
RayAddressOption = Annotated[str | None, typer.Option("--ray-address",
                                                      help="Ray cluster address (default: a local Ray).")]
