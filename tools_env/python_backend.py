"""Python-class backends: a stateful class (BFCL's GorillaFileSystem, say) answers the tool calls.

A tool is bound to a method with the reference ``package.module:Class.method``. Every call
builds a fresh instance from the state kept in the World (``world.memo[state_key(ref)]``),
calls the method and writes the instance's state back as JSON (see :mod:`._py_state`), so
``world.digest()``, replay, checkpoints and branching see the class's state like any other
world data, and no instance carries state from one dialogue into the next.

The initial state comes from a scenario's ``world.backend.state``: a class with BFCL's
``_load_scenario(config)`` gets the mapping through it (an empty one when no state is given, as
BFCL does); any other class gets it as attributes.
"""

from __future__ import annotations

import copy
import importlib
import math
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from turnloom.schema import ToolSpec, canonical_json
from turnloom.tools_env._py_schema import class_tools, public_methods
from turnloom.tools_env._py_state import UnserializableState, decode_state, encode_state
from turnloom.tools_env.world import World

__all__ = [
    "BackendError",
    "PythonBackend",
    "UnserializableState",
    "class_tools",
    "json_content",
    "method_owners",
    "load_class",
    "method_ref",
    "public_methods",
    "split_method_ref",
    "state_key",
]


def json_content(value: Any) -> Any:
    """A method's result as JSON data: containers kept, any other non-JSON value as its text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): json_content(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_content(v) for v in value]
    return str(value)


class BackendError(ValueError):
    """A class backend cannot be loaded or set up; ``missing`` names the top-level module that is
    not installed when that is why."""

    def __init__(self, message: str, *, missing: str | None = None) -> None:
        super().__init__(message)
        self.missing = missing


def load_class(ref: str) -> type[Any]:
    """The class ``package.module:Class``; :class:`BackendError` with one clear line otherwise."""
    module_name, _, qualname = ref.partition(":")
    if not module_name or not qualname:
        raise BackendError(f"python class {ref!r}: expected 'package.module:Class'")
    if os.getcwd() not in sys.path:  # a class beside the scenario, as ``python -m`` would find it
        sys.path.append(os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        top = module_name.split(".")[0]
        if exc.name == top:  # the package itself is absent (not a module it imports)
            raise BackendError(f"python class {ref!r}: cannot import module {module_name!r}: package {top!r} is "
                               "not installed", missing=top) from exc
        raise BackendError(f"python class {ref!r}: cannot import module {module_name!r}: "
                           f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # any import failure is reported, never swallowed
        raise BackendError(f"python class {ref!r}: cannot import module {module_name!r}: "
                           f"{type(exc).__name__}: {exc}") from exc
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise BackendError(f"python class {ref!r}: module {module_name!r} has no attribute {qualname!r}")
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise BackendError(f"python class {ref!r}: {qualname!r} is not a class")
    return obj


def method_owners(class_refs: Sequence[str]) -> dict[str, str]:
    """Public method name -> the class (of ``class_refs``) that has it; :class:`BackendError` naming
    both classes and the method when two of them have a method of the same name."""
    owners: dict[str, str] = {}
    for ref in class_refs:
        for method in public_methods(load_class(ref)):
            other = owners.setdefault(method, ref)
            if other != ref:
                raise BackendError(f"classes {other} and {ref} both have a public method {method!r}; "
                                   "expected each tool name answered by one class")
    return owners


def method_ref(class_ref: str, method: str) -> str:
    return f"{class_ref}.{method}"


def split_method_ref(ref: str) -> tuple[str, str] | None:
    """(class ref, method) when ``ref`` names a method of a class (``pkg.mod:Class.method``), else None."""
    module_name, _, attr = ref.partition(":")
    head, dot, method = attr.rpartition(".")
    if not module_name or not dot or not head or not method:
        return None
    try:
        cls = load_class(f"{module_name}:{head}")
    except BackendError:
        return None
    return (f"{module_name}:{head}", method) if method in public_methods(cls) else None


def state_key(class_ref: str) -> str:
    """Where the World keeps the state of the class ``class_ref``."""
    return f"python-backend:{class_ref}"


class PythonBackend:
    """Calls into one class, with its state kept in the World."""

    def __init__(self, class_ref: str) -> None:
        self.ref = class_ref
        self.cls = load_class(class_ref)
        self.methods = set(public_methods(self.cls))

    def tools(self, domain: str | None = None) -> list[ToolSpec]:
        return class_tools(self.cls, domain)

    # -- state -------------------------------------------------------------------------
    def fresh(self, config: Mapping[str, Any] | None = None) -> Any:
        """A new instance with ``config`` loaded (``_load_scenario`` when the class has it)."""
        try:
            instance = self.cls()
        except Exception as exc:  # noqa: BLE001 - reported with the class named
            raise BackendError(f"python class {self.ref}: cannot create an instance without arguments: "
                               f"{type(exc).__name__}: {exc}") from exc
        loader = getattr(instance, "_load_scenario", None)
        if config or callable(loader):
            try:
                if callable(loader):
                    loader(copy.deepcopy(dict(config or {})))
                else:
                    for name, value in (config or {}).items():
                        setattr(instance, str(name), copy.deepcopy(value))
            except Exception as exc:  # noqa: BLE001 - a config the class rejects
                raise BackendError(f"python class {self.ref}: the state does not load: "
                                   f"{type(exc).__name__}: {exc}") from exc
        return instance

    def encode(self, instance: Any) -> dict[str, Any]:
        try:
            state = encode_state(instance)
            canonical_json(state)
        except (UnserializableState, TypeError, ValueError) as exc:
            raise BackendError(f"python class {self.ref}: its state cannot be stored as JSON, so dialogues "
                               f"over it could not be replayed: attribute {exc}") from exc
        return state

    def initial_world(self, world: World, config: Mapping[str, Any] | None = None) -> World:
        """``world`` with the state of a fresh instance loaded from ``config``."""
        return world.with_memo(state_key(self.ref), self.encode(self.fresh(config)))

    def instance(self, world: World) -> Any:
        state = world.memo.get(state_key(self.ref))
        if not isinstance(state, dict):
            return self.fresh()
        return decode_state(self.cls, state)  # decoding builds new containers: the world is not shared

    # -- calls -------------------------------------------------------------------------
    def call(self, world: World, method: str, arguments: Mapping[str, Any]) -> tuple[World, Any, str | None]:
        """(world, content, error): an exception or a ``{"error": ...}`` result is a tool error."""
        if method not in self.methods:
            return world, None, f"python class {self.ref} has no public method {method!r}"
        instance = self.instance(world)
        error: str | None = None
        content: Any = None
        try:
            content = getattr(instance, method)(**copy.deepcopy(dict(arguments)))
        except Exception as exc:  # noqa: BLE001 - the method's failure is a tool error, not a crash
            error = f"{type(exc).__name__}: {exc}"
        try:
            state = self.encode(instance)
        except BackendError as exc:
            return world, None, f"refused: {exc}"
        world = world.with_memo(state_key(self.ref), state)
        if error is not None:
            return world, None, error
        content = json_content(content)
        if isinstance(content, dict) and set(content) == {"error"}:
            return world, None, str(content["error"])
        return world, content, None
