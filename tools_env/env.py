"""Executable, stateful mock tools generated from their schemas.

``ToolEnvironment.call(world, call) -> (world, result)`` is a pure function of its
inputs: all randomness is derived from ``world.seed``, ``world.clock`` and the call
itself, and the input world is never mutated. Replaying the same calls on the same
initial world therefore reproduces every result and the final ``digest()``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field

from turnloom.schema import ToolCall, ToolResult, ToolSpec, canonical_json, derive_seed
from turnloom.tools_env._memo import Memo, strict_json
from turnloom.tools_env._records import RecordOps
from turnloom.tools_env.analysis import ToolProfile, profile_tool
from turnloom.tools_env.infer_returns import with_inferred_returns
from turnloom.tools_env.python_backend import PythonBackend, split_method_ref
from turnloom.tools_env.values import ValueFactory, ValueGenerationError, schema_cycles
from turnloom.tools_env.world import World

if TYPE_CHECKING:
    from turnloom.tools_env.mcp_backend import LiveBackend

__all__ = ["BindingError", "EnvSettings", "ToolEnvironment", "inject_key", "load_binding"]

_FAILURES = (
    ("timeout", "504 Gateway Timeout: the upstream service did not answer in time; try again"),
    ("rate_limit", "429 Too Many Requests: rate limit exceeded; retry after a short wait"),
    ("server_error", "500 Internal Server Error: the service failed to process the request"),
)


class EnvSettings(BaseModel):
    """How the mock environment behaves (set per scenario)."""

    model_config = ConfigDict(extra="forbid")

    #: reads of unknown ids materialize a record (True) or return a not-found error (False)
    lazy_world: bool = False
    #: probability that a call fails with an injected transient error
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    #: which injected failures may occur
    error_kinds: list[str] = Field(default_factory=lambda: [k for k, _ in _FAILURES])
    #: records per materialized search result
    search_results: int = Field(default=3, ge=1, le=20)


class BindingError(ValueError):
    """A tool binding ``package.module:function`` could not be loaded."""


def load_binding(ref: str) -> Callable[..., Any]:
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise BindingError(f"binding {ref!r}: expected 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is reported, never swallowed
        raise BindingError(f"binding {ref!r}: cannot import module {module_name!r}: {exc}") from exc
    try:
        fn = getattr(module, attr)
    except AttributeError as exc:
        raise BindingError(f"binding {ref!r}: module {module_name!r} has no attribute {attr!r}") from exc
    if not callable(fn):
        raise BindingError(f"binding {ref!r}: {attr!r} is not callable")
    return fn  # type: ignore[no-any-return]


def inject_key(tool: str) -> str:
    """World memo key planning failures of ``tool``: ``{"seen": 0, "fail_at": [k, ...]}`` makes
    its k-th call fail with a transient error."""
    return f"inject-failure:{tool}"


#: (parameters schema id, canonical JSON of the arguments) -> errors; the tool node, the
#: verifier and the replay all check the same calls. Arguments that are not JSON (a custom
#: agent's datetime, say) are checked every time: ``canonical_json`` would turn them into
#: strings and share a key with the string argument
_ARGUMENT_ERRORS = Memo()


def _format_error(err: Any) -> str:
    path = "/".join(str(p) for p in err.absolute_path)
    where = f"at '{path}'" if path else "at the top level"
    return f"{where}: {err.message}"


class ToolEnvironment:
    """The mock backend for a set of tools."""

    def __init__(
        self,
        tools: Sequence[ToolSpec],
        settings: EnvSettings | None = None,
        bindings: Mapping[str, Callable[..., Any] | str] | None = None,
        live: LiveBackend | None = None,
    ) -> None:
        # a tool without a return schema answers in a shape inferred from what it does
        self.tools: dict[str, ToolSpec] = {t.name: t for t in with_inferred_returns(tools)}
        self.settings = settings or EnvSettings()
        self.profiles: dict[str, ToolProfile] = {t.name: profile_tool(t) for t in self.tools.values()}
        self._validators: dict[str, Draft202012Validator] = {}
        self._schema_errors: dict[str, str | None] = {}
        self._values = ValueFactory(0)
        #: tool -> (class backend, method) for bindings ``package.module:Class.method``
        self._methods: dict[str, tuple[PythonBackend, str]] = {}
        backends: dict[str, PythonBackend] = {}
        for name, fn in (bindings or {}).items():
            split = split_method_ref(fn) if isinstance(fn, str) else None
            if split is not None:
                backend = backends.get(split[0]) or backends.setdefault(split[0], PythonBackend(split[0]))
                self._methods[name] = (backend, split[1])
        self._bindings: dict[str, Callable[..., Any]] = {
            name: load_binding(fn) if isinstance(fn, str) else fn
            for name, fn in (bindings or {}).items() if name not in self._methods
        }
        #: live tools (an MCP server, or its recorded cassette) answer their own calls
        self.live = live
        created = {p.entity for p in self.profiles.values() if p.kind == "create" and p.entity}
        entities = {p.entity for p in self.profiles.values() if p.entity}
        self._ops = RecordOps(self._values, self.settings, created, entities, self._id_schemas())

    def class_bound(self, name: str) -> bool:
        """True when a Python class's method answers ``name``: its calls are pure functions of
        the World (the class's state lives there), so they can be tried on a copy."""
        return name in self._methods

    def _id_schemas(self) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
        """entity -> (name, schema, parameters) of the id parameter that the tools taking a
        record of it use (so new ids are made to fit it and stored under what they look up)."""
        out: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
        for name, prof in sorted(self.profiles.items()):
            if prof.kind in ("read", "update", "delete", "status") and prof.entity and prof.id_param:
                params = self.tools[name].parameters
                schema = params.get("properties", {}).get(prof.id_param)
                if isinstance(schema, dict) and prof.entity not in out:
                    out[prof.entity] = (prof.id_param, schema, params)
        return out

    # -- worlds -------------------------------------------------------------------
    def new_world(self, seed: int = 0, seed_data: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> World:
        """A fresh world; ``seed_data`` maps entity type -> records (each with an id field)."""
        world = World(seed=seed)
        for entity, records in sorted((seed_data or {}).items()):
            for i, record in enumerate(records):
                rid = record.get(f"{entity}_id", record.get("id", f"{entity}-{i + 1}"))
                world = world.with_record(entity, str(rid), dict(record))
        return world

    # -- validation ----------------------------------------------------------------
    def schema_error(self, name: str) -> str | None:
        """Why the tool ``name`` can never run (a ``$ref`` loop or a required cycle in its schemas), or None."""
        if name not in self._schema_errors:
            tool, found = self.tools[name], None
            for field, schema in (("parameters", tool.parameters), ("returns", tool.returns)):
                cycles = schema_cycles(schema, fatal_only=True)
                if cycles:
                    found = f"tool {name!r} cannot run: its {field} schema {cycles[0]}"
                    break
            self._schema_errors[name] = found
        return self._schema_errors[name]

    def validator(self, name: str) -> Draft202012Validator:
        v = self._validators.get(name)
        if v is None:
            v = Draft202012Validator(self.tools[name].parameters, format_checker=Draft202012Validator.FORMAT_CHECKER)
            self._validators[name] = v
        return v

    def argument_errors(self, name: str, arguments: Any, arguments_json: str | None = None) -> list[str]:
        """Why these arguments are not acceptable for this tool (empty when they are);
        ``arguments_json``: their :func:`strict_json` when the caller has it already."""
        if name not in self.tools:
            return [f"unknown tool {name!r}"]
        if not isinstance(arguments, dict):
            return ["arguments must be a JSON object"]
        params = self.tools[name].parameters
        try:
            key: Any = (id(params), arguments_json if arguments_json is not None else strict_json(arguments))
        except (TypeError, ValueError):
            key = None
        if key is not None:
            found, cached = _ARGUMENT_ERRORS.get(key, params)
            if found:
                return list(cached)
        broken = self.schema_error(name)
        if broken is not None:
            return [broken]
        try:
            errors = sorted(self.validator(name).iter_errors(arguments), key=lambda e: list(e.absolute_path))
        except Exception as exc:  # noqa: BLE001 - any schema the importers accept: a tool error, never a crash
            return [f"the parameters schema of {name!r} cannot be checked: {type(exc).__name__}: {exc}"]
        out = [_format_error(e) for e in errors]
        if key is not None:
            _ARGUMENT_ERRORS.put(key, params, tuple(out))
        return out

    # -- execution -----------------------------------------------------------------
    def call(self, world: World, call: ToolCall) -> tuple[World, ToolResult]:
        """Execute one call. Never raises for bad input: errors come back as tool results (a live
        tool whose server failed raises :class:`~turnloom.tools_env.mcp_backend.LiveToolError`)."""
        world = world.tick()
        if call.name not in self.tools:
            known = ", ".join(sorted(self.tools))
            return world, ToolResult(call_id=call.id, name=call.name,
                                     error=f"unknown tool {call.name!r}; available tools: {known}")
        try:  # the same text as canonical_json for JSON arguments
            args_json: str | None = strict_json(call.arguments) if isinstance(call.arguments, dict) else None
        except (TypeError, ValueError):
            args_json = None
        broken = self.schema_error(call.name)
        if broken is not None:
            return world, ToolResult(call_id=call.id, name=call.name, error=broken)
        problems = self.argument_errors(call.name, call.arguments, args_json)
        if problems:
            return world, ToolResult(call_id=call.id, name=call.name,
                                     error="invalid arguments: " + "; ".join(problems))
        seed = derive_seed(world.seed, world.clock, call.name,
                           args_json if args_json is not None else canonical_json(call.arguments))
        world, injected = self._injected_failure(world, call, seed)
        if injected is not None:
            return world, ToolResult(call_id=call.id, name=call.name, error=injected)
        if self.live is not None and call.name in self.live.names:
            return self.live.call(world, call)
        if call.name in self._methods:
            backend, method = self._methods[call.name]
            world, content, error = backend.call(world, method, call.arguments)
            return world, ToolResult(call_id=call.id, name=call.name, content=content, error=error)
        if call.name in self._bindings:
            return self._call_bound(world, call)
        tool = self.tools[call.name]
        try:
            world, content, error = self._ops.execute(world, tool, self.profiles[call.name], call.arguments)
        except (ValueGenerationError, RecursionError) as exc:
            return world, ToolResult(call_id=call.id, name=call.name,
                                     error=f"no result fits the returns schema of {call.name!r}: {exc}")
        if error is not None:
            return world, ToolResult(call_id=call.id, name=call.name, error=error)
        return world, ToolResult(call_id=call.id, name=call.name, content=content)

    def replay(self, world: World, calls: Sequence[ToolCall]) -> tuple[World, list[ToolResult]]:
        results = []
        for c in calls:
            world, r = self.call(world, c)
            results.append(r)
        return world, results

    def _injected_failure(self, world: World, call: ToolCall, seed: int) -> tuple[World, str | None]:
        """(world, error) for an injected transient failure; error is None when the call goes through."""
        s = self.settings
        key = inject_key(call.name)
        plan = world.memo.get(key)
        if isinstance(plan, dict):
            # planned failures (error-recovery steps): the listed calls of this tool fail once each
            seen = int(plan.get("seen", 0)) + 1
            world = world.with_memo(key, {**plan, "seen": seen})
            if seen in plan.get("fail_at", []):
                return world, _FAILURES[(seed >> 8) % len(_FAILURES)][1]
        if s.error_rate <= 0:
            return world, None
        roll = (seed % 1_000_003) / 1_000_003
        if roll >= s.error_rate:
            return world, None
        kinds = [msg for k, msg in _FAILURES if k in s.error_kinds] or [_FAILURES[2][1]]
        return world, kinds[(seed >> 20) % len(kinds)]

    def _call_bound(self, world: World, call: ToolCall) -> tuple[World, ToolResult]:
        fn = self._bindings[call.name]
        try:
            content = fn(**call.arguments)
        except Exception as exc:  # a bound function's failure is a tool error, not a crash
            return world, ToolResult(call_id=call.id, name=call.name, error=f"{type(exc).__name__}: {exc}")
        try:
            canonical_json(content)
        except (TypeError, ValueError):
            content = str(content)
        return world, ToolResult(call_id=call.id, name=call.name, content=content)
