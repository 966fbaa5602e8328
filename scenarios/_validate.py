"""Check a scenario file and report every problem at once.

:func:`validate_scenario` reads a scenario (built-in name or path), merges its
``extends`` chain and returns one line per problem, ``FILE[:LINE]: field.path:
message``, where the message says what was expected: YAML syntax, unknown fields,
wrong types and values, unknown tools and domains, invalid JSON Schemas in inline
tools (with the path inside the schema), the plan mix and step bounds, tool bindings
that cannot be imported, and, through the checks the caller passes, agent
references and model specs (those live in layers above this one).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from turnloom.scenarios._checks import cycle_findings, name_findings
from turnloom.scenarios._loader import ScenarioError, _format_loc, _locate, read_scenario_data, scenario_tools
from turnloom.scenarios._model import Scenario, clean_loc
from turnloom.schema import STEP_KINDS, ToolSpec
from turnloom.tools_env.env import BindingError, EnvSettings, load_binding

__all__ = ["RefCheck", "validate_scenario"]

#: ``check(role, reference)`` raises ``ValueError`` saying why the reference is unusable
RefCheck = Callable[[str, str], None]

Loc = tuple[Any, ...]
_ERROR_KINDS: tuple[str, ...] = tuple(EnvSettings().error_kinds)
_JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")


def validate_scenario(ref: str, *, check_agent: RefCheck | None = None, check_model: RefCheck | None = None,
                      rule_names: Collection[str] | None = None) -> list[str]:
    """Every problem of the scenario ``ref``; an empty list when it is valid. ``rule_names``: the
    verification rules ``verify.disable`` may name (not checked when None)."""
    try:
        where, text = _locate(ref)
    except ScenarioError as exc:
        return list(exc.problems)
    try:
        root = yaml.compose(text)
        own = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        pos = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        context = getattr(exc, "context", None)
        detail = f"{getattr(exc, 'problem', None) or exc}" + (f" ({context})" if context else "")
        return [f"{where}{pos}: invalid YAML: {detail}"]
    if own is None:
        own = {}
    if not isinstance(own, dict):
        return [f"{where}: (top level): expected a mapping of scenario fields, got {type(own).__name__}"]
    report = _Report(where, root)
    data: dict[str, Any] = own
    parent_ok = True
    if "extends" in own:
        try:
            data = read_scenario_data(ref)[1]
        except ScenarioError as exc:
            report.extend(exc.problems)
            data, parent_ok = {k: v for k, v in own.items() if k != "extends"}, False
    _model_problems(report, data, parent_ok)
    _plan_problems(report, data.get("plan"))
    names = _tool_problems(report, data, parent_ok)
    _binding_problems(report, data.get("world"), names)
    _env_problems(report, data.get("world"))
    _ref_problems(report, "agents", data.get("agents"), check_agent)
    _ref_problems(report, "models", data.get("models"), check_model)
    source = data.get("tools")
    inline = source.get("inline") if isinstance(source, dict) else None
    for loc, message in cycle_findings(inline if isinstance(inline, list) else []) + name_findings(
            data, _offered(data), rule_names):
        report.add(loc, message)
    return report.lines


def _offered(data: dict[str, Any]) -> list[ToolSpec] | None:
    """The tools the scenario offers, or None when the scenario is too broken to tell."""
    try:
        return scenario_tools(Scenario.model_validate(data))
    except (ValidationError, ValueError, OSError):
        return None


class _Report:
    """Problems of one file, each placed on its YAML line when the path is found there."""

    def __init__(self, where: str, root: yaml.Node | None) -> None:
        self.where = where
        self.root = root
        self.found: list[tuple[int, str]] = []

    def add(self, loc: Loc, message: str) -> None:
        line = _line_of(self.root, loc)
        self.found.append((line or 0, f"{self.where}{f':{line}' if line else ''}: {_format_loc(loc)}: {message}"))

    def extend(self, problems: list[str]) -> None:
        self.found.extend((0, p) for p in problems)

    @property
    def lines(self) -> list[str]:
        """The problems in file order (those without a line first)."""
        return [text for _, text in sorted(self.found, key=lambda item: item[0])]


def _line_of(node: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of the deepest node on ``loc`` (the key's line for a mapping key)."""
    if node is None:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


# -- the model ------------------------------------------------------------------------
def _model_problems(report: _Report, data: dict[str, Any], parent_ok: bool) -> None:
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = clean_loc(tuple(err["loc"]))
            if loc in (("plan",), ("tools", "inline")) and err["type"] == "value_error":
                continue  # the plan's cross-field checks and the schema cycles are reported one by one below
            if err["type"] == "missing" and not parent_ok:
                continue  # probably set by the parent that could not be read
            report.add(loc, _expected(err, loc))


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "string_type": "a string (quote it if it looks like a number)",
    "dict_type": "a mapping (key: value lines)", "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)", "list_type": "a list",
}


def _expected(err: Any, loc: Loc) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        return _unknown_field(loc)
    if kind == "missing":
        return "required field is missing"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_show(value)}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}, got {_show(value)}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        sign = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"expected a number {sign} {bound}, got {_show(value)}"
    if kind == "string_pattern_mismatch":
        return f"expected a name of letters, digits, '_', '.' or '-' (pattern {ctx.get('pattern')}), got {_show(value)}"
    return str(err["msg"]).removeprefix("Value error, ")


def _model_at(loc: Loc) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        model = _inner_model(field.annotation) if field else None
        if model is None:
            return None
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _unknown_field(loc: Loc) -> str:
    model = _model_at(loc[:-1])
    if model is None:
        return "unknown field (not part of the scenario format)"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown field; {hint}expected one of: {', '.join(allowed)}"


# -- the plan -------------------------------------------------------------------------
def _plan_problems(report: _Report, plan: Any) -> None:
    if not isinstance(plan, dict):
        return
    lo, hi = plan.get("min_steps", 3), plan.get("max_steps", 5)
    if isinstance(lo, int) and isinstance(hi, int) and hi < lo:
        report.add(("plan", "max_steps" if "max_steps" in plan else "min_steps"),
                   f"max_steps ({hi}) is smaller than min_steps ({lo}); expected min_steps <= max_steps")
    mix = plan.get("mix")
    if not isinstance(mix, dict):
        return
    for kind in mix:
        if kind not in STEP_KINDS:
            close = difflib.get_close_matches(str(kind), STEP_KINDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            report.add(("plan", "mix", kind), f"unknown step kind{hint}; expected one of: {', '.join(STEP_KINDS)}")
    weights = {k: w for k, w in mix.items() if isinstance(w, (int, float)) and not isinstance(w, bool)}
    for kind, w in weights.items():
        if w < 0:
            report.add(("plan", "mix", kind), f"expected a weight >= 0, got {w}")
    if len(weights) == len(mix) and sum(w for w in weights.values() if w > 0) <= 0:
        report.add(("plan", "mix"), "the weights sum to 0; expected at least one step kind with a positive weight")


# -- tools ----------------------------------------------------------------------------
def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _tool_problems(report: _Report, data: dict[str, Any], parent_ok: bool) -> set[str] | None:
    """Tool problems; returns the names of the tools offered (None when they cannot be known)."""
    raw = data.get("tools", {})
    if not isinstance(raw, dict):
        return None  # reported by the model check
    found = raw.get("inline")
    inline: list[Any] = found if isinstance(found, list) else []
    _inline_problems(report, inline)
    names = {t["name"] for t in inline if isinstance(t, dict) and isinstance(t.get("name"), str)}
    ref, domains, wanted = raw.get("pool"), _strings(raw.get("domains")), _strings(raw.get("names"))
    pool: list[ToolSpec] = []
    if isinstance(ref, str) and ref:
        from turnloom.tools_env.pool import resolve_pool

        try:
            pool = list(resolve_pool(ref))
        except (ValueError, OSError) as exc:
            report.add(("tools", "pool"), f"cannot read the pool: {exc}")
            return None
    elif domains or wanted:
        report.add(("tools", "pool"), "domains and names select tools from a pool; expected e.g. 'pool: builtin'")
    known_domains = sorted({t.domain for t in pool})
    for i, domain in enumerate(raw.get("domains") or []):
        if pool and isinstance(domain, str) and domain not in known_domains:
            report.add(("tools", "domains", i),
                       f"no tools of domain {domain!r} in the pool{_close(domain, known_domains)}")
    known_names = sorted(t.name for t in pool)
    for i, name in enumerate(raw.get("names") or []):
        if pool and isinstance(name, str) and name not in known_names:
            report.add(("tools", "names", i), f"unknown tool {name!r}: not in the pool{_close(name, known_names)}")
    for t in pool:
        if (t.domain in domains) or (t.name in wanted) or (not domains and not wanted):
            names.add(t.name)
    world = data.get("world")
    backend = world.get("backend") if isinstance(world, dict) else None
    given: list[tuple[Loc, Any]] = [(("world", "backend", i), b) for i, b in enumerate(backend)] \
        if isinstance(backend, list) else [(("world", "backend"), backend)]
    classes: list[tuple[Loc, dict[str, Any]]] = [
        (loc, b) for loc, b in given if isinstance(b, dict) and isinstance(b.get("python"), str)]
    if not names and classes:
        from turnloom.tools_env.python_backend import BackendError, PythonBackend, method_owners

        for loc, item in classes:
            try:  # the class's public methods are the tools; its state must load and be storable
                py = PythonBackend(item["python"])
                names |= py.methods
                state = item.get("state")
                if state is None or isinstance(state, dict):
                    py.encode(py.fresh(state))
            except BackendError as exc:
                hint = f"; install it with: {item['install']}" if exc.missing and item.get("install") else ""
                report.add((*loc, "python"), f"{exc}{hint}")
                return None
        try:
            method_owners([item["python"] for _, item in classes])
        except BackendError as exc:
            report.add(("world", "backend"), str(exc))
            return None
    if not names and parent_ok and not raw.get("mcp"):  # a live server lists its tools at run time
        report.add(("tools",), "the scenario selects no tools; expected inline tools or a pool selection")
    return names


def _close(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=3)
    return f" (close: {', '.join(close)})" if close else ""


def _inline_problems(report: _Report, inline: list[Any]) -> None:
    from jsonschema import Draft202012Validator

    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    seen: dict[str, int] = {}
    for i, tool in enumerate(inline):
        if not isinstance(tool, dict):
            continue
        name = tool.get("name")
        if isinstance(name, str):
            if name in seen:
                report.add(("tools", "inline", i, "name"),
                           f"duplicate tool name {name!r} (also tools.inline[{seen[name]}])")
            seen.setdefault(name, i)
        for field in ("parameters", "returns"):
            schema = tool.get(field)
            if not isinstance(schema, dict):
                continue
            errors = sorted(meta.iter_errors(schema), key=lambda e: [str(p) for p in e.absolute_path])
            for err in errors:
                path = tuple(err.absolute_path)
                message = err.message
                if path and path[-1] == "type":
                    message = f"{err.instance!r} is not a JSON Schema type; expected one of {', '.join(_JSON_TYPES)}"
                report.add(("tools", "inline", i, field, *path), f"invalid JSON Schema: {message}")
        params = tool.get("parameters")
        if isinstance(params, dict) and isinstance(params.get("required"), list):
            declared = params.get("properties")
            props: dict[str, Any] = declared if isinstance(declared, dict) else {}
            for j, req in enumerate(params["required"]):
                if isinstance(req, str) and req not in props:
                    report.add(("tools", "inline", i, "parameters", "required", j),
                               f"{req!r} is required but not among the properties ({', '.join(props) or 'none'})")


# -- world ----------------------------------------------------------------------------
def _binding_problems(report: _Report, world: Any, names: set[str] | None) -> None:
    bindings = world.get("bindings") if isinstance(world, dict) else None
    if not isinstance(bindings, dict):
        return
    for tool, target in bindings.items():
        if names and tool not in names:
            report.add(("world", "bindings", tool), f"unknown tool {tool!r}: the scenario offers no tool of that name")
        if not isinstance(target, str):
            continue
        try:
            load_binding(target)
        except BindingError as exc:
            report.add(("world", "bindings", tool), str(exc))


def _env_problems(report: _Report, world: Any) -> None:
    env = world.get("env") if isinstance(world, dict) else None
    kinds = env.get("error_kinds") if isinstance(env, dict) else None
    if not isinstance(kinds, list):
        return
    for i, kind in enumerate(kinds):
        if isinstance(kind, str) and kind not in _ERROR_KINDS:
            report.add(("world", "env", "error_kinds", i),
                       f"unknown error kind {kind!r}; expected some of: {', '.join(_ERROR_KINDS)}")


# -- agents and models ----------------------------------------------------------------
def _ref_problems(report: _Report, field: str, refs: Any, check: RefCheck | None) -> None:
    if check is None or not isinstance(refs, dict):
        return
    for role, ref in refs.items():
        if not isinstance(ref, str):
            continue
        try:
            check(str(role), ref)
        except ValueError as exc:
            report.add((field, role), str(exc))
