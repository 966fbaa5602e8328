"""Import tool definitions from the formats tools are published in.

``import_tools(kind, path)`` reads one file and returns ToolSpecs;
``import_tools_report(kind, path)`` also returns the :class:`ImportReport`:

========== =======================================================================
openai     ``[{"type": "function", "function": {...}}]``, ``{"tools": [...]}`` or bare
           function objects (also the Responses API's flat ``{"type": "function",
           "name": ...}``); ``returns``, ``response`` or ``output_schema`` in a function
           object becomes ``returns``; ``x-turnloom`` carries domain, tags and ``http``
jsonschema function docs ``{"name", "description", "parameters"}`` (a list, one, or
           ``{"functions": [...]}``); ``returns`` or ``response`` becomes ``returns``
openapi    OpenAPI 3.0 / 3.1 or Swagger 2.0, JSON or YAML, across local files: one tool
           per operation (see ``_openapi``)
mcp        a ``tools/list`` result ``{"tools": [...]}`` or its JSON-RPC envelope;
           ``inputSchema`` -> parameters, ``outputSchema`` -> returns, annotations -> tags
bfcl       BFCL data files: function docs, test entries, ``involved_classes`` (see
           ``_import_bfcl``); BFCL types mapped (see ``_bfcl_types``)
========== =======================================================================

A definition that cannot be imported is skipped and reported (file, JSON path, what was
expected); the rest are imported. Keys of a function object that mean nothing here are
reported as warnings, never dropped silently. :class:`ToolImportError` is raised only when
the file as a whole cannot be read, or when nothing in it could be imported.
:func:`export_openai` writes the OpenAI form back (with ``returns`` and ``x-turnloom``);
importing it again gives equal tools.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from turnloom.schema import HttpBinding, ToolSpec
from turnloom.tools_env._import_bfcl import import_bfcl
from turnloom.tools_env._openapi import import_openapi
from turnloom.tools_env._openapi_base import (
    DEFAULT_MAX_SCHEMA_BYTES,
    ImportIssue,
    ImportReport,
    JsonPath,
    ToolImportError,
    check_json_schema,
    load_document,
    tool_name,
)

__all__ = ["DEFAULT_MAX_SCHEMA_BYTES", "IMPORT_KINDS", "ImportIssue", "ImportReport", "ImportResult",
           "ToolImportError", "export_openai", "import_tools", "import_tools_report"]

IMPORT_KINDS: tuple[str, ...] = ("openai", "jsonschema", "openapi", "mcp", "bfcl")
META_KEY = "x-turnloom"

_EMPTY_PARAMS: dict[str, Any] = {"type": "object", "properties": {}}
_MCP_HINTS = {
    "readOnlyHint": "read-only",
    "destructiveHint": "destructive",
    "idempotentHint": "idempotent",
    "openWorldHint": "open-world",
}
_RETURNS_KEYS = ("returns", "response", "output_schema")
_KNOWN = {"name", "description", "parameters", "type", "strict", META_KEY, *_RETURNS_KEYS}


@dataclass
class ImportResult:
    tools: list[ToolSpec]
    report: ImportReport


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


class _Collector:
    """Tools of one file: the same definition twice is kept once, a different one under a
    taken name is imported as ``<name>__2``, ``<name>__3``... (both reported)."""

    def __init__(self, file: str, report: ImportReport) -> None:
        self.file, self.report = file, report
        self.tools: dict[str, ToolSpec] = {}
        self.keys: dict[str, str] = {}

    def add(self, build: Any, path: JsonPath, label: str) -> None:
        self.report.seen += 1
        try:
            tool: ToolSpec = build()
        except ToolImportError as exc:
            self.report.skip(exc, label)
            return
        key = tool.key()
        if key in self.keys:
            self.report.add("deduplicated", self.file, path, f"same definition as tool {self.keys[key]!r}", label)
            return
        base, n = tool.name, 2
        while tool.name in self.tools:
            tool = tool.model_copy(update={"name": f"{base[:58]}__{n}"})
            n += 1
        if tool.name != base:
            self.report.add("renamed", self.file, path, f"a different definition named {base!r} came first: "
                            f"imported as {tool.name!r}", label)
        self.keys[key] = tool.name
        self.tools[tool.name] = tool
        self.report.imported += 1


def _label(item: Any) -> str:
    if isinstance(item, dict):
        fn = item.get("function") if isinstance(item.get("function"), dict) else item
        return str(fn.get("name", ""))
    return ""


def _function(
    fn: Any,
    file: str,
    path: JsonPath,
    report: ImportReport,
    *,
    params_key: str = "parameters",
    returns_keys: tuple[str, ...] = (),
    known: frozenset[str] | set[str] = frozenset(),
    domain: str | None = None,
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
    unknown = [k for k in fn if k not in known and k != params_key and k not in returns_keys]
    if unknown:
        report.add("warning", file, path, f"keys {unknown} are not used by turnloom and were left out", fn["name"])
    meta = fn.get(META_KEY) if isinstance(fn.get(META_KEY), dict) else {}
    http = None
    if isinstance(meta.get("http"), dict):
        try:
            http = HttpBinding.model_validate(meta["http"])
        except ValidationError as exc:
            report.add("warning", file, (*path, META_KEY, "http"), f"left out: {exc.errors()[0]['msg']}", fn["name"])
    meta_tags = meta.get("tags")
    return ToolSpec(
        name=tool_name(fn["name"], keep_dots=True),
        description=desc,
        parameters=_parameters(fn.get(params_key), file, (*path, params_key)),
        returns=returns,
        domain=domain or str(meta.get("domain") or "general"),
        tags=tags if tags is not None else ([str(t) for t in meta_tags] if isinstance(meta_tags, list) else []),
        http=http,
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


def _openai_item(item: Any, file: str, path: JsonPath, report: ImportReport, domain: str | None) -> ToolSpec:
    if isinstance(item, dict) and isinstance(item.get("function"), dict):
        extra = [k for k in item if k not in ("type", "function")]
        if extra:
            report.add("warning", file, path, f"keys {extra} are not used by turnloom and were left out",
                       _label(item))
        return _function(item["function"], file, (*path, "function"), report, returns_keys=_RETURNS_KEYS,
                         known=_KNOWN, domain=domain)
    if isinstance(item, dict) and "name" in item and item.get("type", "function") == "function":
        return _function(item, file, path, report, returns_keys=_RETURNS_KEYS, known=_KNOWN, domain=domain)
    raise ToolImportError(file, path, 'a function tool {"type": "function", "function": {...}}')


def _import_openai(data: Any, file: str, domain: str | None, report: ImportReport) -> list[ToolSpec]:
    out = _Collector(file, report)
    for path, item in _items(data, file, "tools"):
        out.add(lambda item=item, path=path: _openai_item(item, file, path, report, domain), path, _label(item))
    return list(out.tools.values())


def _import_jsonschema(data: Any, file: str, domain: str | None, report: ImportReport) -> list[ToolSpec]:
    out = _Collector(file, report)
    known = {"name", "description", "parameters", "returns", "response", META_KEY}
    for path, item in _items(data, file, "functions"):
        out.add(lambda item=item, path=path: _function(item, file, path, report, returns_keys=("returns", "response"),
                                                       known=known, domain=domain), path, _label(item))
    return list(out.tools.values())


def _mcp_item(item: Any, file: str, path: JsonPath, report: ImportReport, domain: str | None) -> ToolSpec:
    if not isinstance(item, dict) or "inputSchema" not in item:
        raise ToolImportError(file, path, "an MCP tool with 'name' and 'inputSchema'")
    annotations = item.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    tags = ["mcp", *(tag for hint, tag in _MCP_HINTS.items() if annotations.get(hint) is True)]
    known = {"name", "title", "description", "annotations", "_meta", "icons"}
    return _function(item, file, path, report, params_key="inputSchema", returns_keys=("outputSchema",),
                     known=known, domain=domain or "general", tags=tags)


def _import_mcp(data: Any, file: str, domain: str | None, report: ImportReport) -> list[ToolSpec]:
    base: JsonPath = ()
    if isinstance(data, dict) and ("result" in data or "error" in data) and "tools" not in data:
        if "error" in data:
            got = data["error"]
            raise ToolImportError(file, "error", f"a tools/list result, got a JSON-RPC error {got!r}")
        data, base = data["result"], ("result",)
    if not isinstance(data, dict) or not isinstance(data.get("tools"), list):
        raise ToolImportError(file, (*base, "tools"), "a list of MCP tools (a tools/list result)")
    out = _Collector(file, report)
    for i, item in enumerate(data["tools"]):
        path = (*base, "tools", i)
        out.add(lambda item=item, path=path: _mcp_item(item, file, path, report, domain), path, _label(item))
    return list(out.tools.values())


def import_tools_report(kind: str, path: str | Path, *, domain: str | None = None,
                        max_schema_bytes: int = DEFAULT_MAX_SCHEMA_BYTES) -> ImportResult:
    """Read ``path`` as ``kind`` (one of :data:`IMPORT_KINDS`): its tools and the report of
    what was skipped, renamed, deduplicated or pruned."""
    p = Path(path)
    file = str(p)
    if kind not in IMPORT_KINDS:
        raise ToolImportError(file, "", f"an import kind among {', '.join(IMPORT_KINDS)} (got {kind!r})")
    report = ImportReport(file, kind)
    if kind == "bfcl":
        tools = import_bfcl(file, domain, report)
    else:
        data = load_document(p)
        if kind == "openapi":
            tools = import_openapi(data, file, domain, report=report, max_schema_bytes=max_schema_bytes)
        elif kind == "openai":
            tools = _import_openai(data, file, domain, report)
        elif kind == "jsonschema":
            tools = _import_jsonschema(data, file, domain, report)
        else:
            tools = _import_mcp(data, file, domain, report)
    if not tools:
        first = next((i for i in report.issues if i.kind == "skipped"), None)
        if first is None:
            raise ToolImportError(file, "", "at least one tool")
        reason = first.reason.removeprefix("expected ")
        raise ToolImportError(first.file, first.path, f"{reason} (nothing imported: {report.skipped} of "
                              f"{report.seen} definitions skipped)")
    return ImportResult(tools, report)


def import_tools(kind: str, path: str | Path, *, domain: str | None = None,
                 max_schema_bytes: int = DEFAULT_MAX_SCHEMA_BYTES) -> list[ToolSpec]:
    """Read ``path`` as ``kind`` (one of :data:`IMPORT_KINDS`) and return its tools (what
    cannot be imported is left out: see :func:`import_tools_report` for why)."""
    return import_tools_report(kind, path, domain=domain, max_schema_bytes=max_schema_bytes).tools


def export_openai(tools: Iterable[ToolSpec], *, metadata: bool = True) -> list[dict[str, Any]]:
    """The tools in OpenAI ``tools`` form (what :func:`import_tools` ``"openai"`` reads back).

    With ``metadata`` each function object also holds ``returns`` (when set) and
    ``x-turnloom`` (domain, tags, http), so that importing it again is lossless; without it
    the objects hold only what the OpenAI API accepts."""
    out = []
    for tool in tools:
        item = tool.to_openai()
        if metadata:
            fn = dict(item["function"])
            if tool.returns is not None:
                fn["returns"] = tool.returns
            meta: dict[str, Any] = {"domain": tool.domain, "tags": list(tool.tags)}
            if tool.http is not None:
                meta["http"] = tool.http.model_dump(mode="json")
            fn[META_KEY] = meta
            item = {**item, "function": fn}
        out.append(item)
    return out
