"""A Python class's public methods as tools: signature and docstring -> JSON Schema.

Type hints map onto JSON types (``str`` string, ``int`` integer, ``float`` number, ``bool``
boolean, ``list[X]``/``tuple``/``set`` array, ``dict`` object, ``Literal`` enum, ``Optional[X]``
X or null, other unions ``anyOf``); a parameter with a default is not required. Descriptions
come from the docstring (Google, NumPy or reST style, read by ``docstring_parser``).
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

import docstring_parser

from turnloom.schema import ToolSpec, canonical_json

__all__ = ["class_tools", "public_methods", "type_schema"]

_SIMPLE: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean",
                           list: "array", tuple: "array", set: "array", frozenset: "array", dict: "object"}


def type_schema(hint: Any) -> dict[str, Any]:
    """JSON Schema of a type hint ({} for any value)."""
    if hint is inspect.Parameter.empty or hint is Any or hint is object:
        return {}
    if hint is None or hint is type(None):
        return {"type": "null"}
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Literal:
        out: dict[str, Any] = {"enum": list(args)}
        kinds = {_SIMPLE.get(type(a)) for a in args}
        if len(kinds) == 1 and None not in kinds:
            out["type"] = kinds.pop()
        return out
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in args if a is not type(None)]
        inner = type_schema(members[0]) if len(members) == 1 else {"anyOf": [type_schema(a) for a in members]}
        if len(members) == len(args):
            return inner
        if isinstance(inner.get("type"), str) and "enum" not in inner:
            return {**inner, "type": [inner["type"], "null"]}
        return {"anyOf": [inner, {"type": "null"}]} if inner else {}
    if origin is typing.Annotated:
        return type_schema(args[0])
    base = origin or hint
    kind = _SIMPLE.get(base)
    if kind is None:
        return {}
    out = {"type": kind}
    if kind == "array" and args:
        if base is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            out["prefixItems"] = [type_schema(a) for a in args]
        elif (item := type_schema(args[0])):
            out["items"] = item
    if kind == "object" and len(args) == 2 and (value := type_schema(args[1])):
        out["additionalProperties"] = value
    return out


def public_methods(cls: type) -> list[str]:
    """Names of the methods of ``cls`` a caller may use (not starting with ``_``), sorted."""
    return sorted(name for name, member in inspect.getmembers(cls)
                  if not name.startswith("_") and inspect.isfunction(member))


def _json_default(value: Any) -> tuple[bool, Any]:
    try:
        canonical_json(value)
    except (TypeError, ValueError):
        return False, None
    return True, value


def _hints(fn: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolved forward references: fall back to no types
        return {}


def method_tool(cls: type, name: str, domain: str) -> ToolSpec:
    fn = getattr(cls, name)
    doc = docstring_parser.parse(inspect.getdoc(fn) or "")
    param_docs = {p.arg_name: p for p in doc.params}
    hints = _hints(fn)
    props: dict[str, Any] = {}
    required: list[str] = []
    params = list(inspect.signature(fn).parameters.values())
    if params and not isinstance(inspect.getattr_static(cls, name), staticmethod):
        params = params[1:]  # self
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        schema = type_schema(hints.get(p.name, p.annotation if not isinstance(p.annotation, str) else p.empty))
        pdoc = param_docs.get(p.name)
        if pdoc is not None and pdoc.description:
            schema["description"] = " ".join(pdoc.description.split())
        if p.default is p.empty:
            required.append(p.name)
        else:
            ok, value = _json_default(p.default)
            if ok:
                schema["default"] = value
                if value is None and isinstance(schema.get("type"), str):
                    schema["type"] = [schema["type"], "null"]
        props[p.name] = schema
    parameters: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        parameters["required"] = required
    description = " ".join(part for part in (doc.short_description, doc.long_description) if part)
    returns = type_schema(hints.get("return", inspect.Parameter.empty))
    if doc.returns is not None and doc.returns.description and returns:
        returns["description"] = " ".join(doc.returns.description.split())
    return ToolSpec(name=name, description=" ".join(description.split()) or name.replace("_", " "),
                    parameters=parameters, returns=returns,
                    domain=domain, tags=[f"python:{cls.__module__}:{cls.__qualname__}"])


def class_tools(cls: type, domain: str | None = None) -> list[ToolSpec]:
    """One tool per public method of ``cls``, sorted by name."""
    return [method_tool(cls, name, domain or cls.__name__.lower()) for name in public_methods(cls)]
