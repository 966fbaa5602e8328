"""OpenAPI schemas -> JSON Schema 2020-12, with referenced components kept as shared ``$defs``.

Every schema ``$ref`` becomes ``{"$ref": "#/$defs/<Name>"}`` and its target is converted
once per direction (a request drops ``readOnly`` properties, a response ``writeOnly`` ones),
so a large description costs one conversion per component, not one per use. A tool then
carries only the definitions it reaches (:meth:`SchemaSet.closure`). Small components that
reference nothing else (enums, formatted strings) are written inline instead.

The OpenAPI 3.0 dialect is rewritten: ``nullable: true`` adds ``null`` to the type (and to
an ``enum``), boolean ``exclusiveMinimum``/``exclusiveMaximum`` become numbers, ``example``
moves to ``examples``, ``x-*``, ``discriminator``, ``xml`` and ``externalDocs`` are
dropped. 2019-09 keywords are tolerated (``$recursiveRef`` points at its component,
``$recursiveAnchor``, ``$id`` and other identifiers are dropped). A duplicated ``required``
item is dropped with a warning naming the schema. ``allOf`` parts are merged into one
schema when they agree (properties joined, every part's ``required`` kept, ``enum``
intersected); otherwise the ``allOf`` is kept as it is. A component that is still not a
valid JSON Schema is replaced by an unconstrained one, with a warning naming it.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from turnloom.tools_env._openapi_base import ImportReport, JsonPath, ToolImportError, format_path, schema_error
from turnloom.tools_env._openapi_refs import Documents, RefKey, pointer_path

Mode = str  # "request" | "response"
_DROP = {"nullable", "discriminator", "xml", "externalDocs", "example", "$recursiveAnchor", "$dynamicAnchor",
         "$anchor", "$id", "$schema", "$defs", "definitions", "id"}
_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
        "unevaluatedProperties", "unevaluatedItems", "additionalItems")
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAPS = ("patternProperties", "dependentSchemas")
_INLINE_BYTES = 320


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def defs_ref(name: str) -> str:
    return f"#/$defs/{name}"


def collect_refs(schema: Any) -> set[str]:
    """The ``$defs`` names that ``schema`` refers to directly (not through other definitions)."""
    out: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                out.add(ref[len("#/$defs/"):])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return out


class SchemaSet:
    """Converts schemas of one description; shared by all of its operations."""

    def __init__(self, docs: Documents, report: ImportReport) -> None:
        self.docs = docs
        self.report = report
        self._defs: dict[tuple[str, Mode], Any] = {}
        self._refs: dict[tuple[str, Mode], frozenset[str]] = {}
        self._sizes: dict[tuple[str, Mode], int] = {}
        self._keys: dict[str, RefKey] = {}
        self._leaf: dict[RefKey, bool] = {}
        self._busy: set[tuple[str, Mode]] = set()
        self._active: set[tuple[str, Mode]] = set()
        self._queue: deque[tuple[str, Mode]] = deque()
        self._warned: set[tuple[str, str]] = set()

    # -- conversion ----------------------------------------------------------------------

    def convert(self, schema: Any, mode: Mode, file: str, at: JsonPath, refs: set[str],
                current: str | None = None) -> Any:
        """``schema`` (found at ``at`` in ``file``) as JSON Schema; names it refers to go to ``refs``."""
        if isinstance(schema, list):
            return [self.convert(v, mode, file, (*at, i), refs, current) for i, v in enumerate(schema)]
        if not isinstance(schema, dict):
            return schema
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._ref(schema, ref, mode, file, at, refs, current)
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _DROP or key.startswith("x-"):
                continue
            here = (*at, key)
            if key in ("$recursiveRef", "$dynamicRef"):
                if current is not None:
                    out["$ref"] = defs_ref(current)
                    refs.add(current)
            elif key == "properties" and isinstance(value, dict):
                skip = "readOnly" if mode == "request" else "writeOnly"
                out[key] = {k: self.convert(v, mode, file, (*here, k), refs, current) for k, v in value.items()
                            if not (isinstance(v, dict) and v.get(skip) is True)}
            elif (key in _ONE and isinstance(value, (dict, bool))) or (key in _MANY and isinstance(value, list)):
                out[key] = self.convert(value, mode, file, here, refs, current)
            elif key in _MAPS and isinstance(value, dict):
                out[key] = {k: self.convert(v, mode, file, (*here, k), refs, current) for k, v in value.items()}
            elif key == "items" and isinstance(value, list):
                out["prefixItems"] = self.convert(value, mode, file, here, refs, current)
            elif key == "required" and isinstance(value, list):
                out[key] = self._required(value, file, here)
            else:
                out[key] = value
        if "example" in schema and "examples" not in out:
            out["examples"] = [schema["example"]]
        for bound, excl in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            if isinstance(out.get(excl), bool) and out.pop(excl) and bound in out:
                out[excl] = out.pop(bound)
        if isinstance(out.get("properties"), dict) and isinstance(out.get("required"), list) and not any(
                k in out for k in ("allOf", "anyOf", "oneOf", "$ref")):
            out["required"] = [r for r in out["required"] if r in out["properties"]]
        out = self._merge_all_of(out, mode, refs)
        return _nullable(out) if schema.get("nullable") is True or schema.get("x-nullable") is True else out

    def _ref(self, schema: dict[str, Any], ref: str, mode: Mode, file: str, at: JsonPath, refs: set[str],
             current: str | None) -> Any:
        here = (*at, "$ref")
        key = self.docs.key(ref, file, here)
        target = self.docs.target(key, ref, file, here)
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        rest = self.convert(siblings, mode, file, at, refs, current) if siblings else {}
        if self._is_leaf(key, target):
            inline = self.convert(target, mode, key[0], pointer_path(key[1]), set(), None)
            if isinstance(inline, dict):
                return {**inline, **rest} if not siblings.get("nullable") else _nullable({**inline, **rest})
        name = self.docs.name(key)
        self._keys[name] = key
        if (name, mode) not in self._defs and (name, mode) not in self._busy:
            self._busy.add((name, mode))
            self._queue.append((name, mode))
        refs.add(name)
        out = {"$ref": defs_ref(name), **rest}
        return _nullable(out) if siblings.get("nullable") is True else out

    def _is_leaf(self, key: RefKey, target: Any) -> bool:
        if key not in self._leaf:
            text = dumps(target) if isinstance(target, dict) else ""
            self._leaf[key] = bool(text) and len(text) <= _INLINE_BYTES and '"$ref"' not in text and (
                '"properties"' not in text) and '"$recursiveRef"' not in text
        return self._leaf[key]

    def _required(self, value: list[Any], file: str, at: JsonPath) -> list[Any]:
        seen: list[Any] = []
        for item in value:
            if item not in seen:
                seen.append(item)
        if len(seen) < len(value) and (file, format_path(at)) not in self._warned:
            self._warned.add((file, format_path(at)))
            dup = sorted({str(x) for x in value if value.count(x) > 1})
            self.report.add("warning", file, at, f"duplicated 'required' items {dup} listed once")
        return seen

    # -- definitions ---------------------------------------------------------------------

    def drain(self) -> None:
        """Convert every definition referenced so far (iteratively: deep chains use no stack)."""
        while self._queue:
            name, mode = self._queue.popleft()
            if (name, mode) not in self._defs:
                self._build(name, mode)

    def _build(self, name: str, mode: Mode) -> Any:
        key = self._keys[name]
        self._busy.add((name, mode))
        self._active.add((name, mode))
        at = pointer_path(key[1])
        refs: set[str] = set()
        converted: Any = None
        try:
            target = self.docs.target(key, f"#{key[1]}", key[0], at)
            converted = self.convert(target, mode, key[0], at, refs, name)
            problem = schema_error(converted) if isinstance(converted, (dict, bool)) else "not a schema object"
        except ToolImportError as exc:
            problem = f"{exc.path}: expected {exc.expected}"
        finally:
            self._active.discard((name, mode))
        if problem is not None:
            self.report.add("warning", key[0], at, f"schema {name!r} is not a valid JSON Schema ({problem}); "
                            "it is imported without constraints")
            converted, refs = {"description": f"{name} (its schema could not be read)"}, set()
        self._defs[(name, mode)] = converted
        self._refs[(name, mode)] = frozenset(collect_refs(converted))
        return converted

    def definition(self, name: str, mode: Mode) -> Any:
        if (name, mode) not in self._defs:
            self._build(name, mode)
        return self._defs[(name, mode)]

    def refs_of(self, name: str, mode: Mode) -> frozenset[str]:
        return self._refs.get((name, mode), frozenset())

    def size_of(self, name: str, mode: Mode) -> int:
        if (name, mode) not in self._sizes:
            self._sizes[(name, mode)] = len(dumps(self._defs[(name, mode)])) + len(name) + 4
        return self._sizes[(name, mode)]

    def closure(self, refs: set[str], mode: Mode) -> dict[str, Any]:
        """The definitions reachable from ``refs``, sorted by name."""
        self.drain()
        seen: set[str] = set()
        todo = list(refs)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo.extend(self._refs.get((name, mode), ()))
        return {name: self._defs[(name, mode)] for name in sorted(seen)}

    # -- allOf ---------------------------------------------------------------------------

    def _merge_all_of(self, schema: dict[str, Any], mode: Mode, refs: set[str]) -> dict[str, Any]:
        parts = schema.get("allOf")
        if not isinstance(parts, list) or not parts:
            return schema
        flat: list[dict[str, Any]] = []
        extra: set[str] = set()
        for part in parts:
            if isinstance(part, dict) and isinstance(part.get("$ref"), str) and part["$ref"].startswith("#/$defs/"):
                name = part["$ref"][len("#/$defs/"):]
                if (name, mode) in self._active or name not in self._keys:
                    return schema
                target = self._defs.get((name, mode))
                if target is None:
                    target = self._build(name, mode)
                if not isinstance(target, dict) or "$ref" in target:
                    return schema
                extra |= self.refs_of(name, mode)
                part = {**target, **{k: v for k, v in part.items() if k != "$ref"}}
            if not isinstance(part, dict):
                return schema
            flat.append(part)
        merged = _merge(schema, flat)
        if merged is None:
            return schema
        refs |= extra
        return merged



def _merge(schema: dict[str, Any], parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``schema`` with its ``allOf`` parts merged in, or None when they disagree."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    props: dict[str, Any] = dict(merged.get("properties") or {})
    required: list[Any] = list(merged.get("required") or [])
    left: list[Any] = []
    for part in parts:
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                for k, v in value.items():
                    props.setdefault(k, v)
            elif key == "required" and isinstance(value, list):
                required += [r for r in value if r not in required]
            elif key == "enum" and isinstance(value, list) and isinstance(merged.get("enum"), list):
                both = [v for v in merged["enum"] if v in value]
                if not both:
                    return None
                merged["enum"] = both
            elif key == "type" and "type" in merged and merged["type"] != value:
                if {merged["type"], value} != {"integer", "number"}:
                    return None
                merged["type"] = "integer"
            elif key in ("allOf", "anyOf", "oneOf", "not", "$ref") and key in merged:
                left.append({key: value})
            elif key not in ("description", "title") or key not in merged:
                merged.setdefault(key, value)
    if props:
        merged["properties"] = props
        merged.setdefault("type", "object")
    if required:
        merged["required"] = required
    if left:
        merged["allOf"] = left
    return merged


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also accepts null."""
    t = schema.get("type")
    if isinstance(t, str) and "$ref" not in schema and not any(k in schema for k in ("allOf", "anyOf", "oneOf")):
        out = {**schema, "type": [t, "null"]} if t != "null" else dict(schema)
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    if isinstance(t, list):
        return {**schema, "type": t if "null" in t else [*t, "null"]}
    meta = {k: schema[k] for k in ("description", "title", "default", "examples") if k in schema}
    body = {k: v for k, v in schema.items() if k not in meta}
    return {**meta, "anyOf": [body, {"type": "null"}]}
