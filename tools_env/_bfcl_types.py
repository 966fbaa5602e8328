"""BFCL (gorilla ``bfcl_eval``) function-doc types -> JSON Schema.

BFCL writes Python-flavoured types: ``dict`` (object), ``float`` (number), ``tuple``
(array), ``any`` (no constraint) next to the JSON Schema ones, and its Java and
JavaScript categories use language types (``String``, ``HashMap``, ``long``...). The
table follows BFCL's own ``GORILLA_TO_OPENAPI`` mapping except for ``any``, which
becomes a schema with no ``type`` at all (BFCL sends it to OpenAI as a string; here it
keeps meaning "any value"). The conversion is recursive over ``properties``,
``items`` and ``additionalProperties``; ``description``, ``default``, ``enum`` and
every other keyword are kept as they are.
"""

from __future__ import annotations

from typing import Any

from turnloom.tools_env._openapi import JsonPath, ToolImportError

_TYPES: dict[str, str | None] = {
    "dict": "object",
    "object": "object",
    "hashmap": "object",
    "hashtable": "object",
    "map": "object",
    "float": "number",
    "double": "number",
    "number": "number",
    "integer": "integer",
    "int": "integer",
    "long": "integer",
    "short": "integer",
    "byte": "integer",
    "bigint": "integer",
    "string": "string",
    "str": "string",
    "char": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "tuple": "array",
    "arraylist": "array",
    "queue": "array",
    "stack": "array",
    "set": "array",
    "null": "null",
    "any": None,
}


def bfcl_type(value: Any, file: str, path: JsonPath) -> str | None:
    """The JSON Schema type for one BFCL type name (None: no constraint)."""
    if not isinstance(value, str) or value.lower() not in _TYPES:
        known = ", ".join(sorted(k for k in _TYPES if k.islower()))
        raise ToolImportError(file, path, f"a BFCL type ({known}), got {value!r}")
    return _TYPES[value.lower()]


def bfcl_schema(schema: Any, file: str, path: JsonPath) -> dict[str, Any]:
    """A BFCL parameter schema as JSON Schema, recursively."""
    if not isinstance(schema, dict):
        raise ToolImportError(file, path, "a parameter schema object")
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            mapped = bfcl_type(value, file, (*path, "type"))
            if mapped is not None:
                out["type"] = mapped
        elif key == "properties":
            if not isinstance(value, dict):
                raise ToolImportError(file, (*path, key), "a mapping of parameter name to schema")
            out[key] = {k: bfcl_schema(v, file, (*path, key, k)) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = bfcl_schema(value, file, (*path, key))
        else:
            out[key] = value
    if out.get("type") == "object" and isinstance(out.get("required"), list):
        props = out.get("properties", {})
        missing = [r for r in out["required"] if r not in props]
        if missing:
            raise ToolImportError(file, (*path, "required"), f"names listed in properties (not {missing})")
    return out
