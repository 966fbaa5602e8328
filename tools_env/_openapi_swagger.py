"""Swagger 2.0 -> OpenAPI 3.0 form, enough for importing operations as tools.

``definitions``, ``parameters`` and ``responses`` move under ``components`` (every ``$ref``
rewritten to match); a ``body`` parameter becomes the JSON request body; ``formData``
parameters become a form (``multipart/form-data`` when one is a ``file`` or the
operation consumes multipart); a non-body parameter's type keywords move into its
``schema``; a response ``schema`` becomes ``application/json`` content; ``x-nullable``
becomes ``nullable``. The input is not modified.
"""

from __future__ import annotations

from typing import Any

_REF_PREFIXES = (
    ("#/definitions/", "#/components/schemas/"),
    ("#/parameters/", "#/components/parameters/"),
    ("#/responses/", "#/components/responses/"),
)
_SCHEMA_KEYS = ("type", "format", "items", "enum", "default", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
                "multipleOf", "x-nullable")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


def is_swagger2(doc: Any) -> bool:
    return isinstance(doc, dict) and str(doc.get("swagger", "")).startswith("2")


def _rewrite(node: Any) -> Any:
    """A copy with every ``$ref`` moved to OpenAPI 3 locations, ``x-nullable`` -> ``nullable``."""
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            target, hash_, pointer = value.partition("#")
            for old, new in _REF_PREFIXES:
                if f"#{pointer}".startswith(old):
                    pointer = new[1:] + pointer[len(old) - 1:]
                    break
            out[key] = f"{target}{hash_}{pointer}"
        elif key == "x-nullable":
            out["nullable"] = value
        elif key == "type" and value == "file":
            out[key], out["format"] = "string", "binary"
        else:
            out[key] = _rewrite(value)
    return out


def _param_schema(param: dict[str, Any]) -> dict[str, Any]:
    schema = {k: param[k] for k in _SCHEMA_KEYS if k in param}
    if schema.get("type") == "file":
        schema["type"], schema["format"] = "string", "binary"
    return schema or {"type": "string"}


def _local(doc: dict[str, Any], node: Any) -> Any:
    """A ``#/parameters/X`` reference followed within the same document (body and form
    parameters must be seen to be moved into the request body)."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith("#/parameters/"):
        target = doc.get("parameters", {}).get(ref[len("#/parameters/"):])
        if isinstance(target, dict):
            return target
    return node


def _operation(doc: dict[str, Any], op: dict[str, Any], shared: list[Any]) -> dict[str, Any]:
    out = {k: v for k, v in op.items() if k not in ("parameters", "responses", "consumes", "produces")}
    consumes = op.get("consumes") or doc.get("consumes") or []
    params: list[Any] = []
    form: dict[str, Any] = {}
    form_required: list[str] = []
    multipart = "multipart/form-data" in consumes
    listed = [*shared, *(op.get("parameters") or [])] if isinstance(op.get("parameters") or [], list) else shared
    for raw in listed:
        param = _local(doc, raw)
        where = param.get("in") if isinstance(param, dict) else None
        if where == "body":
            body = {"content": {"application/json": {"schema": param.get("schema", {})}}}
            if param.get("description"):
                body["description"] = param["description"]
            out["requestBody"] = {**body, "required": bool(param.get("required"))}
        elif where == "formData":
            form[str(param.get("name"))] = {**_param_schema(param), **(
                {"description": param["description"]} if param.get("description") else {})}
            multipart = multipart or param.get("type") == "file"
            if param.get("required"):
                form_required.append(str(param.get("name")))
        elif isinstance(param, dict) and "$ref" not in param and "in" in param:
            kept = {k: v for k, v in param.items() if k not in _SCHEMA_KEYS and k != "collectionFormat"}
            params.append({**kept, "schema": _param_schema(param)})
        else:
            params.append(raw)
    if form:
        media = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
        schema: dict[str, Any] = {"type": "object", "properties": form}
        if form_required:
            schema["required"] = form_required
        out["requestBody"] = {"content": {media: {"schema": schema}}, "required": bool(form_required)}
    if params:
        out["parameters"] = params
    responses: dict[str, Any] = {}
    for code, resp in (op.get("responses") or {}).items():
        if isinstance(resp, dict) and "schema" in resp:
            rest = {k: v for k, v in resp.items() if k not in ("schema", "examples")}
            resp = {**rest, "content": {"application/json": {"schema": resp["schema"]}}}
        responses[str(code)] = resp
    out["responses"] = responses
    return out


def swagger2_to_openapi3(doc: dict[str, Any]) -> dict[str, Any]:
    """The Swagger 2.0 document ``doc`` in OpenAPI 3.0 form."""
    out: dict[str, Any] = {k: v for k, v in doc.items() if k not in (
        "swagger", "definitions", "parameters", "responses", "paths", "consumes", "produces",
        "host", "basePath", "schemes", "securityDefinitions")}
    out["openapi"] = "3.0.0"
    components: dict[str, Any] = {}
    if isinstance(doc.get("definitions"), dict):
        components["schemas"] = doc["definitions"]
    if isinstance(doc.get("parameters"), dict):
        components["parameters"] = {
            k: ({**{x: y for x, y in v.items() if x not in _SCHEMA_KEYS}, "schema": _param_schema(v)}
                if isinstance(v, dict) and v.get("in") not in ("body", "formData") else v)
            for k, v in doc["parameters"].items()}
    if isinstance(doc.get("responses"), dict):
        components["responses"] = _operation(doc, {"responses": doc["responses"]}, [])["responses"]
    paths: dict[str, Any] = {}
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            paths[path] = item
            continue
        shared = item.get("parameters") if isinstance(item.get("parameters"), list) else []
        new_item = {k: v for k, v in item.items() if k not in ("parameters", *_METHODS)}
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                new_item[method] = _operation(doc, item[method], shared)
            elif method in item:
                new_item[method] = item[method]
        paths[path] = new_item
    out["paths"] = paths
    if components:
        out["components"] = components
    if not isinstance(doc.get("paths"), dict) and "paths" in doc:
        out["paths"] = doc["paths"]
    return _rewrite(out)
