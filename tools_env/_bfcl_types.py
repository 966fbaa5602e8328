"""BFCL (gorilla ``bfcl_eval``) function-doc types -> JSON Schema.

BFCL writes Python-flavoured types: ``dict`` (object), ``float`` (number), ``tuple``
(array), ``any`` (no constraint) next to the JSON Schema ones, and its Java and
JavaScript categories use language types (``String``, ``HashMap``, ``long``...). The
table follows BFCL's own ``GORILLA_TO_OPENAPI`` mapping except for ``any``, which
becomes a schema with no ``type`` at all (BFCL sends it to OpenAI as a string; here it
keeps meaning "any value"). The conversion is recursive over ``properties``,
``items`` and ``additionalProperties``; ``description``, ``default``, ``enum`` and
every other keyword are kept as they are. An optional parameter whose ``default`` is
null also accepts null.

Java and JavaScript docs (``language="java"`` / ``"javascript"``) are read as BFCL's checker
reads them: every argument is a string holding source text in that language (``"new
HashMap<>()"``, ``"[1, 2]"``), so each parameter becomes a string whose description names
the declared type; the declared type is kept under ``x-bfcl-type``.
"""

from __future__ import annotations

from typing import Any

from turnloom.tools_env._openapi_base import JsonPath, ToolImportError

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


def bfcl_schema(schema: Any, file: str, path: JsonPath, *, language: str = "python",
                notes: list[tuple[JsonPath, str]] | None = None) -> dict[str, Any]:
    """A BFCL parameter schema as JSON Schema, recursively. A nested ``required`` name that is
    not among the properties is dropped, with a note in ``notes`` (an error without it)."""
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
            if language in ("java", "javascript"):
                out[key] = {k: _source_param(v, language, file, (*path, key, k)) for k, v in value.items()}
            else:
                out[key] = {k: bfcl_schema(v, file, (*path, key, k), notes=notes) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = bfcl_schema(value, file, (*path, key), notes=notes)
        elif key == "items" and isinstance(value, list):  # a tuple, item by item
            out["prefixItems"] = [bfcl_schema(v, file, (*path, key, i), notes=notes) for i, v in enumerate(value)]
        else:
            out[key] = value
    if out.get("type") == "object" and isinstance(out.get("required"), list):
        props = out.get("properties", {})
        missing = [r for r in out["required"] if r not in props]
        if missing and notes is None:
            raise ToolImportError(file, (*path, "required"), f"names listed in properties (not {missing})")
        if missing and notes is not None:
            notes.append(((*path, "required"), f"required names {missing} are not among the properties: dropped"))
            out["required"] = [r for r in out["required"] if r not in missing]
    if "default" in out and out["default"] is None and isinstance(out.get("type"), str) and out["type"] != "null":
        out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _source_param(schema: Any, language: str, file: str, path: JsonPath) -> dict[str, Any]:
    """One Java / JavaScript parameter: a string of source text, as BFCL's checker expects."""
    if not isinstance(schema, dict):
        raise ToolImportError(file, path, "a parameter schema object")
    declared = schema.get("type", "any")
    bfcl_type(declared, file, (*path, "type"))
    items = schema.get("items")
    shown = f"{declared}<{items['type']}>" if isinstance(items, dict) and isinstance(items.get("type"), str) else (
        str(declared))
    lang = "Java" if language == "java" else "JavaScript"
    desc = str(schema.get("description") or "").strip()
    note = f"{lang} {shown} value, written as {lang} source text"
    out: dict[str, Any] = {"type": "string", "description": f"{desc} ({note})." if desc else f"A {note}."}
    out["x-bfcl-type"] = declared if not isinstance(items, dict) else {"type": declared, "items": items}
    for key in ("enum", "default"):
        if key in schema and (key != "default" or isinstance(schema[key], str)):
            out[key] = schema[key]
    return out
