"""Load scenario files (built-in or anywhere on disk) with errors that name the file,
the field path and what was expected."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from turnloom.scenarios._model import Scenario, clean_loc
from turnloom.schema import ToolSpec, format_path
from turnloom.tools_env.infer_returns import with_inferred_returns

__all__ = ["ScenarioError", "builtin_names", "load_scenario", "read_scenario_data", "scenario_bindings",
           "scenario_tools"]


class ScenarioError(ValueError):
    """A scenario could not be loaded; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _builtin_dir() -> Any:
    return resources.files("turnloom.scenarios") / "builtin"


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in _builtin_dir().iterdir() if p.name.endswith(".yaml"))


def _locate(ref: str) -> tuple[str, str]:
    """(display name, YAML text) of a scenario reference: a built-in name or a path."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml", ".json") or path.is_file():
        if not path.is_file():
            raise ScenarioError([f"{ref}: no such scenario file"])
        return str(path), path.read_text(encoding="utf-8")
    res = _builtin_dir() / f"{ref}.yaml"
    if res.is_file():
        return f"<builtin>/{ref}.yaml", res.read_text(encoding="utf-8")
    what = "a directory, not a scenario file," if path.is_dir() else "not a scenario file"
    raise ScenarioError([f"{ref}: {what} and not a built-in scenario "
                         f"(built-ins: {', '.join(builtin_names())})"])


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return over


def _format_loc(loc: tuple[Any, ...]) -> str:
    return format_path(clean_loc(loc)) or "(top level)"


def _identity(ref: str) -> str:
    """One key per scenario however it is named, so that ``extends`` cycles are found."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml", ".json") or path.is_file():
        return str(path.resolve())
    return f"<builtin>/{ref}"


def read_scenario_data(ref: str, _seen: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """The raw mapping of a scenario with its ``extends`` chain merged in."""
    where, text = _locate(ref)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        pos = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ScenarioError([f"{where}{pos}: invalid YAML: {getattr(exc, 'problem', exc)}"]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([f"{where}: (top level): expected a mapping of scenario fields, "
                             f"got {type(data).__name__}"])
    parent = data.get("extends")
    if parent is not None and not isinstance(parent, str):
        raise ScenarioError([f"{where}: extends: expected the name of a built-in scenario or a path to a "
                             f"scenario file, got {type(parent).__name__}"])
    if parent:
        base_ref = parent
        if not (_builtin_dir() / f"{parent}.yaml").is_file() and not Path(parent).is_absolute() \
                and Path(where).exists():
            candidate = Path(where).parent / parent
            # a missing relative file is reported where it was looked for: beside this file
            missing_file = Path(parent).suffix in (".yaml", ".yml", ".json") and not Path(parent).exists()
            base_ref = str(candidate) if candidate.exists() or missing_file else parent
        chain = (*_seen, ref)
        if _identity(base_ref) in {_identity(r) for r in chain}:
            raise ScenarioError([f"{where}: extends: cycle through {parent!r} "
                                 f"({' -> '.join([*chain, base_ref])})"])
        try:
            _, base = read_scenario_data(base_ref, chain)
        except ScenarioError as exc:
            raise ScenarioError([f"{where}: extends: {p}" for p in exc.problems]) from exc
        base.pop("extends", None)
        data = _merge(base, data)
    return where, data


def load_scenario(ref: str) -> Scenario:
    """Load and validate a scenario; raises :class:`ScenarioError` listing every problem."""
    where, data = read_scenario_data(ref)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown field (not part of the scenario format)"
            elif err["type"] == "missing":
                msg = "required field is missing"
            problems.append(f"{where}: {_format_loc(err['loc'])}: {msg}")
        raise ScenarioError(problems) from exc
    problems = _backend_problems(where, scenario)
    problems += _semantic_problems(where, scenario) if not problems else []
    if problems:
        raise ScenarioError(problems)
    return scenario


def _semantic_problems(where: str, scenario: Scenario) -> list[str]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    problems = []
    for i, tool in enumerate(scenario.tools.inline):
        for field in ("parameters", "returns"):
            schema = getattr(tool, field)
            if schema is None:
                continue
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                path = ".".join(str(p) for p in exc.absolute_path)
                problems.append(f"{where}: tools.inline[{i}].{field}{'.' + path if path else ''}: "
                                f"invalid JSON Schema: {exc.message}")
        missing = [r for r in tool.required if r not in tool.properties]
        if missing:
            problems.append(f"{where}: tools.inline[{i}].parameters.required: {missing} not among the properties")
    try:
        names = {t.name for t in scenario_tools(scenario)}
    except (ValueError, OSError) as exc:
        problems.append(f"{where}: tools: {exc}")
        return problems
    if not names and scenario.tools.mcp is None:
        problems.append(f"{where}: tools: the scenario selects no tools; expected inline tools or a pool selection")
    for i, name in enumerate(scenario.tools.names):
        if name not in names:
            problems.append(f"{where}: tools.names[{i}]: unknown tool {name!r}")
    for name in scenario.world.bindings:
        if name not in names:
            problems.append(f"{where}: world.bindings.{name}: unknown tool {name!r}")
    return problems


def _backend_problems(where: str, scenario: Scenario) -> list[str]:
    """Read each ``world.backend`` state from its file (into the scenario) and check that every class
    imports, its state loads and can be stored as JSON, and no two classes answer the same tool."""
    backends = scenario.world.backends()
    if not backends:
        return []
    from turnloom.tools_env.python_backend import BackendError, PythonBackend, method_owners

    many = isinstance(scenario.world.backend, list)
    problems: list[str] = []
    missing: set[str] = set()
    for i, backend in enumerate(backends):
        field = f"world.backend[{i}]" if many else "world.backend"
        if isinstance(backend.state, str):
            path = Path(backend.state)
            if not path.is_absolute() and Path(where).exists():
                path = Path(where).parent / path
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except OSError as exc:
                problems.append(f"{where}: {field}.state: cannot read {path} ({exc.strerror or exc})")
                continue
            except yaml.YAMLError as exc:
                problems.append(f"{where}: {field}.state: {path} is not valid JSON or YAML: {exc}")
                continue
            if not isinstance(data, dict):
                problems.append(f"{where}: {field}.state: {path}: expected a mapping, got {type(data).__name__}")
                continue
            backend.state = data
        try:
            cls = PythonBackend(backend.python)
            cls.encode(cls.fresh(backend.state))
        except BackendError as exc:
            if exc.missing and backend.install:
                if exc.missing not in missing:  # one line per missing package, however many classes need it
                    problems.append(f"{where}: {field}.python: {backend.python} needs the package "
                                    f"{exc.missing!r}, which is not installed; install it with: {backend.install}")
                missing.add(exc.missing)
            else:
                problems.append(f"{where}: {field}.python: {exc}")
    if many and not problems:
        try:
            method_owners([b.python for b in backends])
        except BackendError as exc:
            problems.append(f"{where}: world.backend: {exc}")
    return problems


def scenario_bindings(scenario: Scenario, tools: list[ToolSpec] | None = None) -> dict[str, str]:
    """Tool name -> binding: ``world.bindings`` plus, with ``world.backend`` classes, every tool named
    like a public method of one of them (``package.module:Class.method``)."""
    out: dict[str, str] = {}
    backends = scenario.world.backends()
    if backends:
        from turnloom.tools_env.python_backend import method_owners, method_ref

        owners = method_owners([b.python for b in backends])
        for tool in tools if tools is not None else scenario_tools(scenario):
            if tool.name in owners:
                out[tool.name] = method_ref(owners[tool.name], tool.name)
    out.update(scenario.world.bindings)
    return out


def scenario_tools(scenario: Scenario) -> list[ToolSpec]:
    """All tools the scenario offers (before any per-dialogue sampling), sorted by name; a
    tool without a return schema gets one inferred from what it does and its siblings."""
    tools: dict[str, ToolSpec] = {t.name: t for t in scenario.tools.inline}
    src = scenario.tools
    if src.pool:
        from turnloom.tools_env.pool import resolve_pool

        pool = resolve_pool(src.pool)
        for t in pool:
            if (src.domains and t.domain in src.domains) or (src.names and t.name in src.names) or (
                not src.domains and not src.names
            ):
                tools.setdefault(t.name, t)
    if not tools and scenario.world.backends():
        from turnloom.tools_env.python_backend import class_tools, load_class, method_owners

        method_owners([b.python for b in scenario.world.backends()])  # no tool answered by two classes
        for backend in scenario.world.backends():
            tools.update((t.name, t) for t in class_tools(load_class(backend.python)))
    return with_inferred_returns([tools[k] for k in sorted(tools)])
