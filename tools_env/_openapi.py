"""OpenAPI 3.0 / 3.1 and Swagger 2.0 -> ToolSpec.

One operation becomes one tool:

- name: ``operationId`` in snake_case, else ``<method>_<path>`` (``{id}`` reads ``by_id``);
  a repeated name gets ``_2``, ``_3``... (reported as renamed);
- parameters: path, query and header parameters (``Accept``, ``Content-Type`` and
  ``Authorization`` headers and cookies are left out, as OpenAPI itself ignores them or
  they belong to the transport), plus the request body: a JSON, form or multipart object
  body has its properties merged in (a clash is renamed ``body_<name>``), a binary field or
  body (``application/octet-stream``, images...) becomes a string parameter naming the file
  to upload, any other body becomes one ``body`` parameter. Body properties are required
  only when the request body itself is ``required: true``. A parameter without a
  description gets its title or its name as one. ``readOnly`` properties are dropped from
  requests, ``writeOnly`` ones from responses;
- returns: the first 2xx response with a schema (``default`` only when no 2xx is
  declared); a non-JSON response is a string; a response with no content (e.g. 204) gets
  a small acknowledgement schema so that every imported tool can be executed;
- domain: the first tag, else the spec title;
- ``http``: the method, the path template and which parameter goes where
  (:class:`~turnloom.schema.HttpBinding`).

``$ref`` may point into other local files (see ``_openapi_refs``). Referenced component
schemas stay shared: each tool carries the ``$defs`` it reaches (see ``_openapi_schema``),
cut down to ``max_schema_bytes`` of JSON when larger (see ``_openapi_prune``). An operation
that cannot be read is skipped and reported with its JSON path; the others are imported.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from turnloom.schema import HttpBinding, ToolSpec
from turnloom.tools_env._openapi_base import (
    DEFAULT_MAX_SCHEMA_BYTES,
    ImportReport,
    JsonPath,
    ToolImportError,
    check_json_schema,
    check_schema_fast,
    domain_slug,
    format_path,
    snake_case,
    tool_name,
)
from turnloom.tools_env._openapi_prune import prune
from turnloom.tools_env._openapi_refs import Documents
from turnloom.tools_env._openapi_schema import SchemaSet, collect_refs, dumps
from turnloom.tools_env._openapi_swagger import is_swagger2, swagger2_to_openapi3

__all__ = ["ToolImportError", "check_json_schema", "domain_slug", "format_path", "import_openapi", "snake_case",
           "tool_name"]

_METHODS = ("get", "post", "put", "patch", "delete")
_SKIP_HEADERS = {"accept", "content-type", "authorization"}
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FILE_NOTE = "the path or name of the file to upload"


def _prop_name(name: str) -> str:
    return name if _IDENT.match(name) else (snake_case(name) or "param")


def _is_json(media: str) -> bool:
    base = media.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _pick_media(content: Any) -> tuple[str, dict[str, Any]] | None:
    """The media type to read a body as: JSON first, then forms, then the first listed."""
    if not isinstance(content, dict) or not content:
        return None
    items = [(str(k), v if isinstance(v, dict) else {}) for k, v in content.items()]
    for media, body in items:
        if _is_json(media) and "schema" in body:
            return media, body
    for media, body in items:
        if media.split(";", 1)[0].strip().lower() in _FORMS:
            return media, body
    return items[0]


def _is_binary(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("format") in ("binary", "byte", "base64")
                                         or "contentMediaType" in schema or "contentEncoding" in schema)


_ACK = {"type": "object", "description": "Acknowledgement (no content returned).", "properties": {
    "success": {"type": "boolean", "description": "Whether the operation succeeded."},
    "message": {"type": "string", "description": "A short status message."}}, "required": ["success"]}


def _fallback_name(method: str, path: str) -> str:
    words = [method]
    for seg in (s for s in path.split("/") if s):
        m = re.fullmatch(r"\{(.+)\}", seg)
        words += ["by", snake_case(m.group(1))] if m else [snake_case(seg)]
    return "_".join(w for w in words if w)


class _Operation:
    def __init__(self, sset: SchemaSet, file: str, path: str, method: str, op: dict[str, Any],
                 at: JsonPath, shared: list[tuple[str, JsonPath, Any]]) -> None:
        self.sset, self.docs = sset, sset.docs
        self.file, self.path, self.method, self.op, self.at, self.shared = file, path, method, op, at, shared
        self.props: dict[str, Any] = {}
        self.required: list[str] = []
        self.req_refs: set[str] = set()
        self.resp_refs: set[str] = set()
        self.where: dict[str, list[str]] = {"path": [], "query": [], "header": [], "body": []}
        self.wire: dict[str, str] = {}
        self.body_media: str | None = None

    def fail(self, path: JsonPath, expected: str, file: str | None = None) -> ToolImportError:
        return ToolImportError(file or self.file, path, expected)

    def _add(self, name: str, schema: dict[str, Any], required: bool, loc: str, wire: str) -> None:
        key = _prop_name(name)
        if key in self.props:
            key = f"{'body' if loc == 'body' else loc}_{key}"
        if not schema.get("description"):
            text = str(schema.get("title") or key.replace("_", " "))
            schema = {"description": f"{text[:1].upper()}{text[1:]}.", **schema}
        self.props[key] = schema
        self.where[loc].append(key)
        if key != wire:
            self.wire[key] = wire
        if required and key not in self.required:
            self.required.append(key)

    def _schema(self, raw: Any, mode: str, file: str, at: JsonPath) -> Any:
        """``raw`` converted, with a top-level ``$ref`` followed so that its properties show."""
        refs = self.req_refs if mode == "request" else self.resp_refs
        extra = {k: v for k, v in raw.items() if k != "$ref"} if isinstance(raw, dict) else {}
        if isinstance(raw, dict) and "$ref" in raw and set(extra) <= {"description", "title"}:
            target, file, at = self.docs.deref({"$ref": raw["$ref"]}, file, at)
            out = self.sset.convert(target, mode, file, at, refs)
            return {**out, **extra} if isinstance(out, dict) else out
        return self.sset.convert(raw, mode, file, at, refs)

    def parameters(self) -> None:
        listed = list(self.shared)
        op_params = self.op.get("parameters") or []
        if not isinstance(op_params, list):
            raise self.fail((*self.at, "parameters"), "a list of parameter objects")
        listed += [(self.file, (*self.at, "parameters", i), p) for i, p in enumerate(op_params)]
        merged: dict[tuple[str, str], tuple[str, JsonPath, dict[str, Any]]] = {}
        for file, where, raw in listed:
            param, pfile, pat = self.docs.deref(raw, file, where)
            if not (isinstance(param, dict) and isinstance(param.get("name"), str) and "in" in param):
                raise self.fail(where, "a parameter object with 'name' and 'in'", file)
            merged[(param["name"], str(param["in"]))] = (pfile, pat, param)
        for (name, loc), (pfile, pat, param) in merged.items():
            if loc not in ("path", "query", "header") or (loc == "header" and name.lower() in _SKIP_HEADERS):
                continue
            raw_schema = param.get("schema")
            if raw_schema is None:
                picked = _pick_media(param.get("content"))
                raw_schema = picked[1].get("schema", {"type": "string"}) if picked else {"type": "string"}
            schema = self._schema(raw_schema, "request", pfile, (*pat, "schema"))
            if not isinstance(schema, dict):
                raise self.fail((*pat, "schema"), "a schema object", pfile)
            desc = param.get("description") or schema.get("description")
            if desc:
                schema = {"description": desc, **{k: v for k, v in schema.items() if k != "description"}}
            if "example" in param and "examples" not in schema:
                schema["examples"] = [param["example"]]
            self._add(name, schema, loc == "path" or bool(param.get("required")), loc, name)

    def request_body(self) -> None:
        if "requestBody" not in self.op:
            return
        body, bfile, bat = self.docs.deref(self.op["requestBody"], self.file, (*self.at, "requestBody"))
        if not isinstance(body, dict):
            raise self.fail(bat, "a request body object", bfile)
        if "content" in body and not isinstance(body["content"], dict):
            raise self.fail((*bat, "content"), "a mapping of media type to media object", bfile)
        picked = _pick_media(body.get("content"))
        if picked is None:
            return
        media, content = picked
        self.body_media = media
        is_required = bool(body.get("required"))
        base = media.split(";", 1)[0].strip().lower()
        structured = _is_json(media) or base in _FORMS
        raw = content.get("schema", {"type": "string", "format": "binary"} if not structured else {})
        schema = self._schema(raw, "request", bfile, (*bat, "content", media, "schema"))
        if not isinstance(schema, dict):
            raise self.fail((*bat, "content", media, "schema"), "a schema object", bfile)
        if structured and isinstance(schema.get("properties"), dict) and schema["properties"]:
            inner = set(schema.get("required") or [])
            for name, sub in schema["properties"].items():
                sub = sub if isinstance(sub, dict) else {}
                if base in _FORMS and (_is_binary(sub) or _is_binary(sub.get("items"))):
                    sub = self._file_param(sub)
                self._add(name, sub, is_required and name in inner, "body", name)
        elif not structured or _is_binary(schema):
            name = "file" if not base.startswith("text/") else "body"
            desc = str(body.get("description") or schema.get("description") or f"The request body ({media})")
            self._add(name, self._file_param({**schema, "description": desc}) if name == "file" else
                      {"type": "string", "description": desc}, is_required, "body", name)
        else:
            desc = body.get("description") or schema.get("description") or "The request body."
            self._add("body", {**schema, "description": desc}, is_required, "body", "body")

    @staticmethod
    def _file_param(schema: dict[str, Any]) -> dict[str, Any]:
        desc = str(schema.get("description") or "The file to upload").rstrip(".")
        out: dict[str, Any] = {"type": "string", "description": f"{desc} ({_FILE_NOTE})."}
        if schema.get("type") == "array" or (isinstance(schema.get("items"), dict)):
            out = {"type": "array", "items": {"type": "string"}, "description": f"{desc} ({_FILE_NOTE}s)."}
        return out

    def returns(self) -> dict[str, Any]:
        where = (*self.at, "responses")
        responses = self.op.get("responses")
        if not isinstance(responses, dict) or not responses:
            raise self.fail(where, "a mapping of status code to response object")
        codes = sorted(c for c in responses if re.fullmatch(r"2\d\d", c))
        codes += [c for c in responses if c.upper() == "2XX"]
        codes = codes or [c for c in responses if c == "default"]
        for code in codes:
            resp, rfile, rat = self.docs.deref(responses[code], self.file, (*where, code))
            if not isinstance(resp, dict):
                raise self.fail(rat, "a response object (with 'description' and 'content')", rfile)
            if resp.get("content") and not isinstance(resp.get("content"), dict):
                raise self.fail((*rat, "content"), "a mapping of media type to media object", rfile)
            picked = _pick_media(resp.get("content"))
            if picked is None:
                continue
            media, content = picked
            raw = content.get("schema")
            if isinstance(raw, dict) and raw and not _is_binary(raw):
                schema = self._schema(raw, "response", rfile, (*rat, "content", media, "schema"))
                if isinstance(schema, dict):
                    if resp.get("description") and "description" not in schema:
                        schema = {"description": resp["description"], **schema}
                    return schema
            desc = str(resp.get("description") or "The response body").rstrip(".")
            return {"type": "string", "description": f"{desc} ({media})."}
        return copy.deepcopy(_ACK)

    def _fit(self, params: dict[str, Any], returns: dict[str, Any], limit: int,
             report: ImportReport, item: str) -> tuple[dict[str, Any], dict[str, Any]]:
        sset = self.sset
        self.req_refs, self.resp_refs = collect_refs(params), collect_refs(returns)
        p_defs = sset.closure(self.req_refs, "request")
        r_defs = sset.closure(self.resp_refs, "response")
        r_budget = max(limit // 4, limit - len(dumps(params)) - sum(sset.size_of(n, "request") for n in p_defs))
        r_out, r_cut = prune(returns, self.resp_refs, r_defs, lambda n: sset.refs_of(n, "response"),
                             lambda n: sset.size_of(n, "response"), r_budget)
        if r_out is None:
            r_out, r_cut = dict(_ACK, description="The response (its schema is over the size limit)."), ["*"]
        p_out, p_cut = prune(params, self.req_refs, p_defs, lambda n: sset.refs_of(n, "request"),
                             lambda n: sset.size_of(n, "request"), limit - len(dumps(r_out)))
        if p_out is None:
            raise self.fail(self.at, f"parameters whose schema fits in {limit} bytes of JSON "
                            "(raise --max-schema-bytes to import this operation)")
        for part, cut in (("parameters", p_cut), ("returns", r_cut)):
            if cut:
                names = ", ".join(cut[:8]) + (f" and {len(cut) - 8} more" if len(cut) > 8 else "")
                report.add("pruned", self.file, self.at, f"{part}: cut to fit {limit} bytes ({names})", item)
        return p_out, r_out

    def tool(self, domain: str | None, title: str, limit: int, report: ImportReport, item: str) -> ToolSpec:
        self.parameters()
        self.request_body()
        returns = self.returns()
        op_id = self.op.get("operationId")
        has_id = isinstance(op_id, str) and bool(op_id.strip())
        name = snake_case(str(op_id)) if has_id else _fallback_name(self.method, self.path)
        summary = str(self.op.get("summary") or "").strip()
        detail = str(self.op.get("description") or "").strip()
        if summary and not summary.endswith((".", "!", "?")):
            summary += "."
        desc = " ".join(x for x in (summary, detail if detail != summary.rstrip(".") else "") if x)
        tags = [str(t) for t in self.op.get("tags") or []]
        params: dict[str, Any] = {"type": "object", "properties": self.props}
        if self.required:
            params["required"] = self.required
        params, returns = self._fit(params, returns, limit, report, item)
        check_schema_fast(self.file, self.at, params, "the operation's parameters")
        check_schema_fast(self.file, (*self.at, "responses"), returns, "the response schema")
        return ToolSpec(
            name=tool_name(name or self.method),
            description=desc or f"{self.method.upper()} {self.path}",
            parameters=params,
            returns=returns,
            domain=domain or (domain_slug(tags[0]) if tags else domain_slug(title)),
            tags=[*tags, "openapi", f"http:{self.method.upper()} {self.path}"],
            http=HttpBinding(method=self.method.upper(), path=self.path, path_params=self.where["path"],
                             query_params=self.where["query"], header_params=self.where["header"],
                             body_params=self.where["body"], body_media=self.body_media, wire_names=self.wire),
        )


def _no_operations(doc: dict[str, Any]) -> str:
    hooks = doc.get("webhooks")
    extra = f"; its {len(hooks)} webhooks are requests the API sends, not operations" if isinstance(
        hooks, dict) and hooks else ""
    return f"at least one operation under 'paths' (the document defines none{extra})"


def import_openapi(doc: Any, file: str, domain: str | None = None, *, report: ImportReport | None = None,
                   max_schema_bytes: int = DEFAULT_MAX_SCHEMA_BYTES) -> list[ToolSpec]:
    """Every operation of an OpenAPI 3.x or Swagger 2.0 document that can be read, as a tool."""
    report = report if report is not None else ImportReport(file, "openapi")
    if not isinstance(doc, dict):
        raise ToolImportError(file, "", "an OpenAPI document (a mapping with 'openapi' and 'paths')")
    if is_swagger2(doc):
        doc = swagger2_to_openapi3(doc)
    version = str(doc.get("openapi", ""))
    if not version.startswith("3."):
        raise ToolImportError(file, "openapi", f"an OpenAPI version 3.0 or 3.1, or swagger 2.0 (got {version!r})")
    paths = doc.get("paths")
    if paths is None or paths == {}:
        raise ToolImportError(file, "paths", _no_operations(doc))
    if not isinstance(paths, dict):
        raise ToolImportError(file, "paths", "a mapping of path to path item")
    sset = SchemaSet(Documents(doc, file), report)
    info = doc.get("info")
    title = str(info.get("title", "")) if isinstance(info, dict) else ""
    tools: list[ToolSpec] = []
    seen: set[str] = set()
    for path, raw_item in paths.items():
        try:
            item, ifile, iat = sset.docs.deref(raw_item, file, ("paths", path))
            if not isinstance(item, dict):
                raise ToolImportError(ifile, iat, "a path item object")
        except ToolImportError as exc:
            report.seen += 1
            report.skip(exc, path)
            continue
        raw_shared = item.get("parameters") if isinstance(item.get("parameters"), list) else []
        shared = [(ifile, (*iat, "parameters", i), p) for i, p in enumerate(raw_shared)]
        for method in _METHODS:
            if method not in item:
                continue
            report.seen += 1
            op, label = item[method], f"{method.upper()} {path}"
            try:
                if not isinstance(op, dict):
                    raise ToolImportError(ifile, (*iat, method), "an operation object")
                tool = _Operation(sset, ifile, path, method, op, (*iat, method), shared).tool(
                    domain, title, max_schema_bytes, report, label)
            except ToolImportError as exc:
                report.skip(exc, label)
                continue
            except (RecursionError, TypeError, ValueError, KeyError, AttributeError) as exc:
                reason = f"a readable operation ({type(exc).__name__}: {str(exc)[:200]})"
                report.add("skipped", ifile, (*iat, method), reason, label)
                continue
            base, i = tool.name, 2
            while tool.name in seen:
                tool = tool.model_copy(update={"name": f"{base[:60]}_{i}"})
                i += 1
            if tool.name != base:
                report.add("renamed", ifile, (*iat, method), f"name {base!r} taken: renamed {tool.name!r}", label)
            seen.add(tool.name)
            tools.append(tool)
            report.imported += 1
    if not report.seen:
        raise ToolImportError(file, "paths", _no_operations(doc))
    return tools
