"""OpenAPI 3.0 / 3.1 -> ToolSpec, plus the helpers every importer shares.

One operation becomes one tool:

- name: ``operationId`` in snake_case, else ``<method>_<path>`` (``{id}`` reads ``by_id``);
- parameters: path, query and header parameters (``Accept``, ``Content-Type`` and
  ``Authorization`` headers and cookies are left out, as OpenAPI itself ignores them or
  they belong to the transport), plus the ``application/json`` request body: an object
  body has its properties merged in (a clash is renamed ``body_<name>``), any other body
  becomes one ``body`` parameter. Body properties are required only when the request
  body itself is ``required: true``. A parameter without a description gets its title or
  its name as one. ``readOnly`` properties are dropped from requests,
  ``writeOnly`` ones from responses;
- returns: the first 2xx response with a JSON schema (``default`` only when no 2xx is
  declared); a response with no content (e.g. 204) gets a small acknowledgement schema so
  that every imported tool can be executed by the mock environment;
- domain: the first tag, else the spec title.

Every ``$ref`` is resolved (local references only); a recursive reference is expanded
once and then cut to ``{"type": ..., "description": "<Name> (recursive; ...)"}``.
OpenAPI 3.0 schema dialect is rewritten to JSON Schema 2020-12 (``nullable`` dropped,
boolean ``exclusiveMinimum``/``exclusiveMaximum`` made numeric, ``example`` moved to
``examples``, ``x-*`` extensions dropped), and allOf parts that are all objects merged.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from turnloom.schema import ToolSpec

_METHODS = ("get", "post", "put", "patch", "delete")
_SKIP_HEADERS = {"accept", "content-type", "authorization"}
_DROP_KEYS = {"nullable", "discriminator", "xml", "externalDocs", "example"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
JsonPath = tuple[str | int, ...]


class ToolImportError(ValueError):
    """An input that cannot be imported: names the file, the JSON path and what was expected."""

    def __init__(self, file: str, path: JsonPath | str, expected: str) -> None:
        self.file = file
        self.path = path if isinstance(path, str) else format_path(path)
        self.expected = expected
        super().__init__(f"{file}: {self.path or '(root)'}: expected {expected}")


def format_path(path: JsonPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def snake_case(text: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", text)
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()


def tool_name(raw: str, *, keep_dots: bool = False) -> str:
    """A valid ToolSpec name from any text (dots kept when asked: ``math.factorial``)."""
    allowed = r"[^A-Za-z0-9_.\-]+" if keep_dots else r"[^A-Za-z0-9_\-]+"
    name = re.sub(allowed, "_", raw.strip()).strip("_") or "tool"
    if not re.match(r"[A-Za-z_]", name):
        name = f"fn_{name}"
    return name[:64]


def domain_slug(text: str) -> str:
    words = [w for w in snake_case(text).split("_") if w and w != "api"]
    return "_".join(words) or "general"


def check_json_schema(file: str, path: JsonPath, schema: Any, what: str) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ToolImportError(file, path, f"{what} to be a valid JSON Schema ({exc.message})") from None


# -- OpenAPI ---------------------------------------------------------------------------------


class _Spec:
    def __init__(self, doc: dict[str, Any], file: str) -> None:
        self.doc = doc
        self.file = file

    def fail(self, path: JsonPath, expected: str) -> ToolImportError:
        return ToolImportError(self.file, path, expected)

    def _target(self, ref: str, path: JsonPath) -> Any:
        if not ref.startswith("#/"):
            raise self.fail(path, f"a local '$ref' starting with '#/' (got {ref!r})")
        node: Any = self.doc
        for raw in ref[2:].split("/"):
            key = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise self.fail(path, f"'$ref' {ref!r} to point to an existing definition")
        return node

    def resolve(self, node: Any, path: JsonPath, stack: tuple[str, ...] = ()) -> Any:
        """A deep copy of ``node`` with every local ``$ref`` replaced by its target."""
        if isinstance(node, list):
            return [self.resolve(v, (*path, i), stack) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            here = (*path, "$ref")
            target = self._target(ref, here)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if ref in stack:
                name = ref.rsplit("/", 1)[-1]
                kind = target.get("type", "object") if isinstance(target, dict) else "object"
                cut: dict[str, Any] = {"type": kind if isinstance(kind, str) else "object"}
                cut["description"] = f"{name} (recursive; nested levels omitted)"
                return cut
            out = self.resolve(target, here, (*stack, ref))
            if isinstance(out, dict):
                out = {**out, **self.resolve(siblings, path, stack)}
            return out
        return {k: self.resolve(v, (*path, k), stack) for k, v in node.items()}


def to_json_schema(schema: Any, mode: str) -> Any:
    """OpenAPI schema dialect -> JSON Schema 2020-12 (``mode`` is "request" or "response")."""
    if isinstance(schema, list):
        return [to_json_schema(v, mode) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP_KEYS or key.startswith("x-"):
            continue
        if key == "properties" and isinstance(value, dict):
            skip = "readOnly" if mode == "request" else "writeOnly"
            kept = {k: v for k, v in value.items() if not (isinstance(v, dict) and v.get(skip))}
            out[key] = {k: to_json_schema(v, mode) for k, v in kept.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = to_json_schema(value, mode)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [to_json_schema(v, mode) for v in value]
        else:
            out[key] = copy.deepcopy(value)
    if "example" in schema and "examples" not in out:
        out["examples"] = [copy.deepcopy(schema["example"])]
    for bound, excl in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(out.get(excl), bool) and out.pop(excl) and bound in out:
            out[excl] = out.pop(bound)
    if isinstance(out.get("properties"), dict) and isinstance(out.get("required"), list):
        out["required"] = [r for r in out["required"] if r in out["properties"]]
    return _merge_all_of(out)


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or "properties" in schema)


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    parts = schema.get("allOf")
    if not isinstance(parts, list) or not parts or not all(_is_object(p) for p in parts):
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    merged["type"] = "object"
    props: dict[str, Any] = dict(merged.get("properties", {}))
    required: list[str] = list(merged.get("required", []))
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                props.update(value)
            elif key == "required":
                required += [r for r in value if r not in required]
            elif key != "type":
                merged.setdefault(key, value)
    merged["properties"] = props
    if required:
        merged["required"] = required
    return merged


def _prop_name(name: str) -> str:
    return name if _IDENT.match(name) else (snake_case(name) or "param")


def _json_media(content: Any) -> Any:
    if not isinstance(content, dict):
        return None
    for media, body in content.items():
        if media == "application/json" or media.endswith("+json"):
            return body
    for media in ("application/x-www-form-urlencoded", "multipart/form-data", "*/*"):
        if media in content:
            return content[media]
    return None


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
    def __init__(self, spec: _Spec, path: str, method: str, op: dict[str, Any], shared: list[Any]) -> None:
        self.spec, self.path, self.method, self.op = spec, path, method, op
        self.at: JsonPath = ("paths", path, method)
        self.shared = shared
        self.props: dict[str, Any] = {}
        self.required: list[str] = []

    def _add(self, name: str, schema: dict[str, Any], required: bool) -> None:
        if not schema.get("description"):
            text = str(schema.get("title") or name.replace("_", " "))
            schema = {"description": f"{text[:1].upper()}{text[1:]}.", **schema}
        self.props[name] = schema
        if required and name not in self.required:
            self.required.append(name)

    def parameters(self) -> None:
        merged: dict[tuple[str, str], Any] = {}
        listed: list[tuple[JsonPath, Any]] = [
            (("paths", self.path, "parameters", i), p) for i, p in enumerate(self.shared)]
        op_params = self.op.get("parameters") or []
        if not isinstance(op_params, list):
            raise self.spec.fail((*self.at, "parameters"), "a list of parameter objects")
        listed += [((*self.at, "parameters", i), p) for i, p in enumerate(op_params)]
        for where, raw in listed:
            param = self.spec.resolve(raw, where)
            if not (isinstance(param, dict) and isinstance(param.get("name"), str) and "in" in param):
                raise self.spec.fail(where, "a parameter object with 'name' and 'in'")
            merged[(param["name"], param["in"])] = (where, param)
        for (name, loc), (where, param) in merged.items():
            if loc == "cookie" or (loc == "header" and name.lower() in _SKIP_HEADERS):
                continue
            raw_schema = param.get("schema")
            if raw_schema is None:
                media = _json_media(param.get("content")) or {}
                raw_schema = media.get("schema", {"type": "string"})
            schema = to_json_schema(raw_schema, "request")
            if not isinstance(schema, dict):
                raise self.spec.fail((*where, "schema"), "a schema object")
            schema = dict(schema)
            desc = param.get("description") or schema.get("description")
            if desc:
                schema = {"description": desc, **{k: v for k, v in schema.items() if k != "description"}}
            if "example" in param and "examples" not in schema:
                schema["examples"] = [param["example"]]
            self._add(_prop_name(name), schema, loc == "path" or bool(param.get("required")))

    def request_body(self) -> None:
        if "requestBody" not in self.op:
            return
        where = (*self.at, "requestBody")
        body = self.spec.resolve(self.op["requestBody"], where)
        if not isinstance(body, dict):
            raise self.spec.fail(where, "a request body object")
        media = _json_media(body.get("content"))
        if not isinstance(media, dict) or "schema" not in media:
            raise self.spec.fail((*where, "content"), "an application/json media type with a schema")
        schema = to_json_schema(media["schema"], "request")
        is_required = bool(body.get("required"))
        if _is_object(schema) and schema.get("properties"):
            inner = set(schema.get("required", []))
            for name, sub in schema["properties"].items():
                key = _prop_name(name)
                key = f"body_{key}" if key in self.props else key
                self._add(key, sub, is_required and name in inner)
        else:
            desc = body.get("description") or schema.get("description") or "The request body."
            self._add("body", {"description": desc, **schema}, is_required)

    def returns(self) -> dict[str, Any]:
        where = (*self.at, "responses")
        responses = self.op.get("responses")
        if not isinstance(responses, dict) or not responses:
            raise self.spec.fail(where, "a mapping of status code to response object")
        codes = sorted(c for c in responses if re.fullmatch(r"2\d\d", c))
        codes += [c for c in responses if c.upper() == "2XX"]
        codes = codes or [c for c in responses if c == "default"]
        for code in codes:
            resp = self.spec.resolve(responses[code], (*where, code))
            if not isinstance(resp, dict):
                raise self.spec.fail((*where, code), "a response object (with 'description' and 'content')")
            media = _json_media(resp.get("content"))
            if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                schema = to_json_schema(media["schema"], "response")
                if resp.get("description") and "description" not in schema:
                    schema = {"description": resp["description"], **schema}
                return schema
            if resp.get("content") and not isinstance(resp.get("content"), dict):
                raise self.spec.fail((*where, code, "content"), "a mapping of media type to media object")
        return copy.deepcopy(_ACK)

    def tool(self, domain: str | None, title: str) -> ToolSpec:
        self.parameters()
        self.request_body()
        returns = self.returns()
        op_id = self.op.get("operationId")
        has_id = isinstance(op_id, str) and bool(op_id)
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
        check_json_schema(self.spec.file, self.at, params, "the operation's parameters")
        check_json_schema(self.spec.file, (*self.at, "responses"), returns, "the response schema")
        return ToolSpec(
            name=tool_name(name),
            description=desc or f"{self.method.upper()} {self.path}",
            parameters=params,
            returns=returns,
            domain=domain or (domain_slug(tags[0]) if tags else domain_slug(title)),
            tags=[*tags, "openapi", f"http:{self.method.upper()} {self.path}"],
        )


def import_openapi(doc: Any, file: str, domain: str | None = None) -> list[ToolSpec]:
    """Every operation of an OpenAPI 3.x document as a tool."""
    if not isinstance(doc, dict):
        raise ToolImportError(file, "", "an OpenAPI document (a mapping with 'openapi' and 'paths')")
    version = str(doc.get("openapi", ""))
    if not version.startswith("3."):
        got = f"swagger {doc['swagger']}" if "swagger" in doc else repr(doc.get("openapi"))
        raise ToolImportError(file, "openapi", f"an OpenAPI version 3.0 or 3.1 (got {got})")
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        raise ToolImportError(file, "paths", "a mapping of path to path item")
    spec = _Spec(doc, file)
    info = doc.get("info")
    title = str(info.get("title", "")) if isinstance(info, dict) else ""
    tools: list[ToolSpec] = []
    seen: set[str] = set()
    for path, raw_item in paths.items():
        item = spec.resolve(raw_item, ("paths", path))
        if not isinstance(item, dict):
            raise spec.fail(("paths", path), "a path item object")
        shared = item.get("parameters") or []
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            if not isinstance(op, dict):
                raise spec.fail(("paths", path, method), "an operation object")
            tool = _Operation(spec, path, method, op, shared).tool(domain, title)
            base, i = tool.name, 2
            while tool.name in seen:
                tool = tool.model_copy(update={"name": f"{base[:60]}_{i}"})
                i += 1
            seen.add(tool.name)
            tools.append(tool)
    return tools
