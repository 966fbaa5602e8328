"""``turnloom scenario``: list, create, validate and show scenarios."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from turnloom.cli._common import fail

console = Console()
err_console = Console(stderr=True)

scenario_app = typer.Typer(help="List, create, validate and show scenarios.", no_args_is_help=True)

_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(scenario_app, name="scenario")


@scenario_app.command("list")
def list_scenarios(
    dir: Annotated[Path | None, typer.Option("--dir", help="Also list the *.yaml scenario files in this "
                                             "directory (default: the current one).")] = None,
) -> None:
    """List the built-in scenarios and the scenario files of a directory."""
    from turnloom.scenarios import ScenarioError, builtin_names, load_scenario, scenario_tools

    folder = dir if dir is not None else Path.cwd()
    if dir is not None and not dir.is_dir():
        fail(f"--dir {dir}: no such directory")
    table = Table(title="Scenarios", title_justify="left")
    for column in ("name", "source", "tools", "description"):
        table.add_column(column, overflow="fold")
    refs = [(name, "built-in") for name in builtin_names()]
    refs += [(str(p), str(p if dir is not None else p.relative_to(folder))) for p in sorted(folder.glob("*.yaml"))]
    for ref, source in refs:
        try:
            sc = load_scenario(ref)
            count = str(len(scenario_tools(sc))) + (" + live MCP" if sc.tools.mcp else "")  # listed at run time
            row = [sc.name, source, count, escape(" ".join(sc.description.split()))]
        except ScenarioError as exc:
            named = ref if source == "built-in" else "?"  # a built-in is known by its name
            row = [named, source, "—", f"[red]invalid: {len(exc.problems)} problem(s); "
                                       f"run turnloom scenario validate {escape(ref if named != '?' else source)}[/]"]
        except (ValueError, OSError) as exc:
            row = ["?", source, "—", f"[red]cannot read: {escape(str(exc))}[/]"]
        table.add_row(escape(row[0]), escape(row[1]), row[2], row[3])
    console.print(table)


@scenario_app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Name of the new scenario (letters, digits, '_', '.', '-').")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="File to write (default: NAME.yaml).")] = None,
    extends: Annotated[str | None, typer.Option(
        "--extends", help="Start from this built-in scenario: its fields apply unless overridden.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented scenario template that validates and runs as it is."""
    from turnloom.scenarios import builtin_names
    from turnloom.scenarios._template import render_template
    from turnloom.tools_env.pool import atomic_write_text

    if not _NAME.match(name):
        fail(f"scenario name {name!r}: expected letters, digits, '_', '.' or '-' only")
    if extends is not None and extends not in builtin_names():
        fail(f"--extends {extends!r}: not a built-in scenario (built-ins: {', '.join(builtin_names())})")
    path = out if out is not None else Path(f"{name}.yaml")
    if path.exists() and not force:
        fail(f"{path}: already exists; choose another file with -o or pass --force")
    if not path.parent.is_dir():
        fail(f"{path}: the directory {path.parent} does not exist")
    atomic_write_text(path, render_template(name, extends=extends, file=str(path)))
    console.print(f"[green]✓[/] wrote {escape(str(path))}; check it with: turnloom scenario validate "
                  f"{escape(str(path))}", highlight=False)


@scenario_app.command("validate")
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files (or built-in names) to check.")],
) -> None:
    """Check scenario files and report every problem of each, with file, line and field."""
    from turnloom.rules import known_rule_names
    from turnloom.scenarios._validate import validate_scenario

    bad = 0
    for ref in files:
        problems = validate_scenario(ref, check_agent=_check_agent, check_model=_check_model,
                                     rule_names=known_rule_names())
        if problems:
            bad += 1
            err_console.print(f"[bold red]✗[/] {escape(ref)}: {len(problems)} problem(s)", highlight=False)
            for p in problems:
                err_console.print(f"  {escape(p)}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[green]✓[/] {escape(ref)} is a valid scenario", highlight=False)
    if bad:
        raise typer.Exit(2)


@scenario_app.command("show")
def show(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or path to a scenario file.")],
) -> None:
    """Print the scenario with its extends chain merged and every default filled in, as YAML."""
    from turnloom.scenarios import ScenarioError, load_scenario, scenario_tools

    try:
        sc = load_scenario(scenario)
        tools = scenario_tools(sc)
    except ScenarioError as exc:
        fail("invalid scenario:\n" + "\n".join(f"  {p}" for p in exc.problems))
    except (ValueError, OSError) as exc:
        fail(f"{scenario}: {exc}")
    data = sc.model_dump(mode="json", exclude={"extends"})
    text = yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
    header = f"# {scenario}" + (f" (extends {sc.extends}, merged)" if sc.extends else "") + "\n"
    footer = f"# {len(tools)} tools offered: {', '.join(t.name for t in tools)}\n"
    console.print(header + text + footer, markup=False, highlight=False, soft_wrap=True, end="")


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as ``|`` blocks, the way people write them."""


def _str_block(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_BlockDumper.add_representer(str, _str_block)


def _check_agent(role: str, ref: str) -> None:
    from turnloom.agents.registry import resolve_agent

    resolve_agent(ref, role)


def _check_model(role: str, spec: str) -> None:
    from turnloom.agents import ROLES
    from turnloom.agents.llm import parse_model_spec

    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    parse_model_spec(spec)

