"""Import tool definitions from the formats tools are published in.

``import_tools(kind, path)`` reads one file and returns ToolSpecs:

========== =======================================================================
openai     ``[{"type": "function", "function": {...}}]``, ``{"tools": [...]}`` or bare
           function objects (also the Responses API's flat ``{"type": "function",
           "name": ...}``)
jsonschema function docs ``{"name", "description", "parameters"}`` (a list, one, or
           ``{"functions": [...]}``); ``returns`` or ``response`` becomes ``returns``
openapi    OpenAPI 3.0 / 3.1, JSON or YAML: one tool per operation (see ``_openapi``)
mcp        a ``tools/list`` result ``{"tools": [...]}`` or its JSON-RPC envelope;
           ``inputSchema`` -> parameters, ``outputSchema`` -> returns, annotations -> tags
bfcl       BFCL function docs: a JSON list, JSONL test entries with a ``function`` list,
           or JSONL of bare docs; BFCL types mapped (see ``_bfcl_types``); the same
           function repeated across entries is kept once
========== =======================================================================

Every error is a :class:`ToolImportError` naming the file, the JSON path and what was
expected. :func:`export_openai` writes the OpenAI form back; importing it again gives
equal names, descriptions and parameters.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from turnloom.schema import ToolSpec
from turnloom.tools_env._bfcl_types import bfcl_schema
from turnloom.tools_env._openapi import (
    JsonPath,
    ToolImportError,
    check_json_schema,
    import_openapi,
    tool_name,
)

__all__ = ["IMPORT_KINDS", "ToolImportError", "export_openai", "import_tools"]

IMPORT_KINDS: tuple[str, ...] = ("openai", "jsonschema", "openapi", "mcp", "bfcl")

_EMPTY_PARAMS: dict[str, Any] = {"type": "object", "properties": {}}
_MCP_HINTS = {
    "readOnlyHint": "read-only",
    "destructiveHint": "destructive",
    "idempotentHint": "idempotent",
    "openWorldHint": "open-world",
}


def _jsonify(value: Any) -> Any:
    """YAML values as JSON: keys (e.g. status codes) as strings, dates as ISO text."""
    if isinstance(value, dict):
        return {str(k): _jsonify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonify(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ToolImportError(str(path), "", "an existing file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolImportError(str(path), "", f"a readable UTF-8 file ({exc})") from None


def _load_document(path: Path) -> Any:
    """A JSON or YAML document (by extension; anything else is tried as JSON, then YAML)."""
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix != ".json":
        try:
            return _jsonify(yaml.safe_load(text))
        except yaml.YAMLError as exc:
            if suffix in (".yaml", ".yml"):
                mark = getattr(exc, "problem_mark", None)
                line = f" at line {mark.line + 1}" if mark is not None else ""
                raise ToolImportError(str(path), "", f"valid YAML{line}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolImportError(str(path), "", f"valid JSON (line {exc.lineno}: {exc.msg})") from None


def _parameters(raw: Any, file: str, path: JsonPath) -> dict[str, Any]:
    if raw is None:
        return dict(_EMPTY_PARAMS)
    if not isinstance(raw, dict):
        raise ToolImportError(file, path, "a JSON Schema object for the parameters")
    params = dict(raw)
    if "type" not in params and "properties" in params:
        params = {"type": "object", **params}
    if params.get("type") != "object":
        got = params.get("type")
        raise ToolImportError(file, (*path, "type"), f"'object' for the parameters, got {got!r}")
    check_json_schema(file, path, params, "the parameters")
    return params


def _function(
    fn: Any,
    file: str,
    path: JsonPath,
    *,
    params_key: str = "parameters",
    returns_keys: tuple[str, ...] = (),
    domain: str = "general",
    tags: list[str] | None = None,
) -> ToolSpec:
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"].strip():
        raise ToolImportError(file, path, "a function object with a non-empty string 'name'")
    desc = fn.get("description", "")
    if not isinstance(desc, str):
        raise ToolImportError(file, (*path, "description"), "a string")
    returns = None
    for key in returns_keys:
        if fn.get(key) is not None:
            returns = fn[key]
            if not isinstance(returns, dict):
                raise ToolImportError(file, (*path, key), "a JSON Schema object for the return value")
            check_json_schema(file, (*path, key), returns, "the return value")
            break
    return ToolSpec(
        name=tool_name(fn["name"], keep_dots=True),
        description=desc,
        parameters=_parameters(fn.get(params_key), file, (*path, params_key)),
        returns=returns,
        domain=domain,
        tags=tags or [],
    )


def _items(data: Any, file: str, key: str) -> list[tuple[JsonPath, Any]]:
    """The list of entries in ``data``: a list, ``{key: [...]}`` or one object."""
    if isinstance(data, list):
        return [((i,), v) for i, v in enumerate(data)]
    if isinstance(data, dict) and key in data:
        if not isinstance(data[key], list):
            raise ToolImportError(file, key, "a list")
        return [((key, i), v) for i, v in enumerate(data[key])]
    if isinstance(data, dict) and "name" in data:
        return [((), data)]
    raise ToolImportError(file, "", f"a list of functions, an object with {key!r}, or one function object")


def _import_openai(data: Any, file: str, domain: str) -> list[ToolSpec]:
    tools = []
    for path, item in _items(data, file, "tools"):
        if isinstance(item, dict) and isinstance(item.get("function"), dict):
            tools.append(_function(item["function"], file, (*path, "function"), domain=domain))
        elif isinstance(item, dict) and "name" in item and item.get("type", "function") == "function":
            tools.append(_function(item, file, path, domain=domain))
        else:
            raise ToolImportError(file, path, 'a function tool {"type": "function", "function": {...}}')
    return tools


def _import_jsonschema(data: Any, file: str, domain: str) -> list[ToolSpec]:
    return [
        _function(item, file, path, returns_keys=("returns", "response"), domain=domain)
        for path, item in _items(data, file, "functions")
    ]


def _import_mcp(data: Any, file: str, domain: str) -> list[ToolSpec]:
    base: JsonPath = ()
    if isinstance(data, dict) and ("result" in data or "error" in data) and "tools" not in data:
        if "error" in data:
            got = data["error"]
            raise ToolImportError(file, "error", f"a tools/list result, got a JSON-RPC error {got!r}")
        data, base = data["result"], ("result",)
    if not isinstance(data, dict) or not isinstance(data.get("tools"), list):
        raise ToolImportError(file, (*base, "tools"), "a list of MCP tools (a tools/list result)")
    tools = []
    for i, item in enumerate(data["tools"]):
        path = (*base, "tools", i)
        if not isinstance(item, dict) or "inputSchema" not in item:
            raise ToolImportError(file, path, "an MCP tool with 'name' and 'inputSchema'")
        annotations = item.get("annotations")
        annotations = annotations if isinstance(annotations, dict) else {}
        tags = ["mcp", *(tag for hint, tag in _MCP_HINTS.items() if annotations.get(hint) is True)]
        tools.append(
            _function(item, file, path, params_key="inputSchema", returns_keys=("outputSchema",),
                      domain=domain, tags=tags)
        )
    return tools


def _bfcl_values(text: str, file: str) -> list[tuple[str, JsonPath, Any]]:
    """(where, path, value) for each function doc or test entry in a BFCL file."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ToolImportError(file, "", f"valid JSON (line {exc.lineno}: {exc.msg})") from None
        return [(file, (i,), v) for i, v in enumerate(data)]
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((f"{file}:{lineno}", (), json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ToolImportError(f"{file}:{lineno}", "", f"one JSON object per line ({exc.msg})") from None
    return out


def _import_bfcl(text: str, file: str, domain: str | None) -> list[ToolSpec]:
    tools: dict[str, ToolSpec] = {}
    for where, path, value in _bfcl_values(text, file):
        docs: list[tuple[JsonPath, Any]]
        tags = ["bfcl"]
        if isinstance(value, dict) and "function" in value:
            funcs = value["function"]
            funcs = funcs if isinstance(funcs, list) else [funcs]
            docs = [((*path, "function", i), f) for i, f in enumerate(funcs)]
            if isinstance(value.get("id"), str):
                tags.append(re.sub(r"_\d+(-\d+)*$", "", value["id"]))
        elif isinstance(value, list):
            docs = [((*path, i), f) for i, f in enumerate(value)]
        else:
            docs = [(path, value)]
        for doc_path, doc in docs:
            if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
                raise ToolImportError(where, doc_path, "a BFCL function doc with 'name' and 'parameters'")
            params = bfcl_schema(doc.get("parameters", {"type": "dict", "properties": {}}), where,
                                 (*doc_path, "parameters"))
            name = doc["name"]
            dom = domain or (name.split(".", 1)[0] if "." in name else "general")
            tool = _function({**doc, "parameters": params}, where, doc_path, domain=dom, tags=tags)
            tools.setdefault(tool.name, tool)
    return list(tools.values())


def import_tools(kind: str, path: str | Path, *, domain: str | None = None) -> list[ToolSpec]:
    """Read ``path`` as ``kind`` (one of :data:`IMPORT_KINDS`) and return its tools."""
    p = Path(path)
    file = str(p)
    if kind not in IMPORT_KINDS:
        raise ToolImportError(file, "", f"an import kind among {', '.join(IMPORT_KINDS)} (got {kind!r})")
    if kind == "bfcl":
        tools = _import_bfcl(_read_text(p), file, domain)
    else:
        data = _load_document(p)
        if kind == "openapi":
            tools = import_openapi(data, file, domain)
        elif kind == "openai":
            tools = _import_openai(data, file, domain or "general")
        elif kind == "jsonschema":
            tools = _import_jsonschema(data, file, domain or "general")
        else:
            tools = _import_mcp(data, file, domain or "general")
    if not tools:
        raise ToolImportError(file, "", "at least one tool")
    return tools


def export_openai(tools: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    """The tools in OpenAI ``tools`` form (what :func:`import_tools` ``"openai"`` reads back)."""
    return [t.to_openai() for t in tools]
