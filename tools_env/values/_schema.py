"""Schema analysis for the value generator: local ``$ref``, ``allOf`` merging, type inference.

A schema is reduced once to a :class:`Plan`: a flat dict of constraints (refs followed,
``allOf`` merged, so generation never has to look elsewhere), the candidate types, and
the alternatives (``oneOf``/``anyOf``/``if``) and negations (``not``) still to settle
per value. Plans are cached by the generator, so this runs once per schema.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from urllib.parse import unquote

from jsonschema import FormatChecker, validators
from jsonschema._utils import equal

__all__ = [
    "Plan", "ValueGenerationError", "build_plan", "merge_schemas", "resolve_ref", "unique_key",
    "validator_for_root",
]

_ANNOTATIONS = frozenset(
    {"title", "description", "examples", "$comment", "$schema", "$id", "$anchor", "$defs", "definitions",
     "deprecated", "readOnly", "writeOnly", "$dynamicAnchor", "$vocabulary", "contentMediaType",
     "contentEncoding"}
)
_TYPE_ALIASES = {"dict": "object", "float": "number", "int": "integer", "list": "array", "tuple": "array",
                 "str": "string", "bool": "boolean"}
_ALL_TYPES = ("string", "integer", "number", "boolean", "array", "object")
_OBJECT_KEYS = ("properties", "required", "additionalProperties", "patternProperties", "minProperties",
                "maxProperties", "propertyNames", "dependentRequired", "dependentSchemas")
_ARRAY_KEYS = ("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems")
_STRING_KEYS = ("minLength", "maxLength", "pattern", "format")
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains")
_VERIFY_KEYS = frozenset(
    {"dependentSchemas", "dependencies", "propertyNames", "patternProperties", "contains", "uniqueItems",
     "unevaluatedProperties", "unevaluatedItems", "x-patterns", "dependentRequired"}
)
_MAX_DEPTH = 64


class ValueGenerationError(ValueError):
    """The schema cannot be satisfied, or uses something the generator does not support."""


def resolve_ref(root: Any, ref: str) -> Any:
    """Follow a local reference (``#``, ``#/$defs/X``, ``#/definitions/X``, ``#anchor``)."""
    if not ref.startswith("#"):
        raise ValueGenerationError(f"only local $ref is supported, got {ref!r}")
    fragment = unquote(ref[1:])
    if not fragment:
        return root
    if not fragment.startswith("/"):
        found = _find_anchor(root, fragment)
        if found is None:
            raise ValueGenerationError(f"unresolvable $ref {ref!r}: no such $anchor")
        return found
    node = root
    for raw in fragment[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise ValueGenerationError(f"unresolvable $ref {ref!r}")
    return node


def _find_anchor(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        if node.get("$anchor") == name or node.get("$dynamicAnchor") == name:
            return node
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find_anchor(child, name)
        if found is not None:
            return found
    return None


def _types(value: Any) -> list[str] | None:
    if value is None:
        return None
    raw = [value] if isinstance(value, str) else list(value)
    return [_TYPE_ALIASES.get(t, t) for t in raw]


def _intersect_types(a: Any, b: Any) -> list[str]:
    ta, tb = _types(a) or [], _types(b) or []
    out = [t for t in ta if t in tb or (t == "integer" and "number" in tb)]
    out += [t for t in tb if t == "integer" and "number" in ta and t not in out]
    if not out:
        raise ValueGenerationError(f"allOf asks for incompatible types {ta} and {tb}")
    return out


def _lcm(a: float, b: float) -> float:
    fa, fb = Fraction(str(a)), Fraction(str(b))
    result = Fraction(math.lcm(fa.numerator, fb.numerator), math.gcd(fa.denominator, fb.denominator))
    if isinstance(a, int) and isinstance(b, int):
        return int(result)
    return int(result) if result.denominator == 1 else float(result)


def merge_schemas(a: Any, b: Any) -> Any:
    """The conjunction of two schemas as one dict (best effort; ``allOf`` semantics)."""
    if b is True or b == {}:
        return a
    if a is True or a == {}:
        return b
    if a is False or b is False:
        raise ValueGenerationError("allOf contains a false schema")
    out = dict(a)
    extra: list[Any] = list(out.pop("x-extra", []))
    extra.extend(b.get("x-extra", []))
    skip = {"x-extra"}
    if "if" in b and "if" in out:
        extra.append(_if_triple(b))
        skip |= {"if", "then", "else"}
    for key, value in b.items():
        if key in skip or key in _ANNOTATIONS:
            continue
        if key not in out:
            out[key] = value
            continue
        current = out[key]
        if key == "type":
            out[key] = _intersect_types(current, value)
        elif key == "properties":
            props = dict(current)
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out[key] = props
        elif key == "required":
            out[key] = list(dict.fromkeys([*current, *value]))
        elif key in _LOWER:
            out[key] = value if isinstance(value, bool) else max(current, value)
        elif key in _UPPER:
            out[key] = value if isinstance(value, bool) else min(current, value)
        elif key == "enum":
            out[key] = [v for v in current if any(equal(v, w) for w in value)]
            if not out[key]:
                raise ValueGenerationError("allOf enums have no value in common")
        elif key == "const":
            if not equal(current, value):
                raise ValueGenerationError("allOf asks for two different constants")
        elif key == "multipleOf":
            out[key] = _lcm(current, value)
        elif key == "pattern":
            if value != current:
                out["x-patterns"] = list(dict.fromkeys([*out.get("x-patterns", [current]), value]))
        elif key in ("items", "additionalProperties", "contains", "propertyNames"):
            out[key] = False if current is False or value is False else {"allOf": [current, value]}
        elif key == "format" or key == "default" or key == "nullable":
            continue
        else:
            extra.append({key: value})
    if "additionalProperties" in a and "properties" in b:
        _restrict_extra(out, a, b)
    if "additionalProperties" in b and "properties" in a:
        _restrict_extra(out, b, a)
    if extra:
        out["x-extra"] = extra
    return out


def _if_triple(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: schema[k] for k in ("if", "then", "else") if k in schema}


def _restrict_extra(out: dict[str, Any], owner: dict[str, Any], other: dict[str, Any]) -> None:
    """Properties of ``other`` unknown to ``owner`` also answer to ``owner``'s additionalProperties."""
    extra_schema = owner["additionalProperties"]
    known = owner.get("properties", {})
    props = dict(out.get("properties", {}))
    for name in other.get("properties", {}):
        if name in known or owner.get("patternProperties"):
            continue
        if extra_schema is False:
            if name in out.get("required", []):
                raise ValueGenerationError(f"property {name!r} is required but not allowed by allOf")
            props.pop(name, None)
        elif isinstance(extra_schema, dict):
            props[name] = {"allOf": [props[name], extra_schema]}
    out["properties"] = props


def flatten(schema: Any, root: Any, depth: int = 0) -> tuple[Any, tuple[str, ...], bool]:
    """Follow ``$ref`` and merge ``allOf`` at the top level: (flat schema, refs followed, merged?)."""
    if depth > _MAX_DEPTH:
        raise ValueGenerationError("schema nests $ref/allOf too deeply (circular reference?)")
    refs: list[str] = []
    merged = False
    current = schema
    for _ in range(_MAX_DEPTH):
        if not isinstance(current, dict):
            return current, tuple(refs), merged
        ref_key = next((k for k in ("$ref", "$dynamicRef", "$recursiveRef") if k in current), None)
        if ref_key is not None:
            ref = current[ref_key]
            refs.append(ref)
            target = resolve_ref(root, ref)
            rest = {k: v for k, v in current.items() if k != ref_key and k not in _ANNOTATIONS}
            if rest:
                target_flat, inner, _ = flatten(target, root, depth + 1)
                refs.extend(inner)
                current, merged = merge_schemas(target_flat, rest), True
            else:
                current = target
            continue
        if "allOf" in current:
            base = {k: v for k, v in current.items() if k != "allOf"}
            for part in current["allOf"]:
                part_flat, inner, _ = flatten(part, root, depth + 1)
                refs.extend(inner)
                base = merge_schemas(base, part_flat)
            current, merged = base, True
            continue
        return current, tuple(refs), merged
    raise ValueGenerationError("circular $ref")


@dataclass
class Plan:
    """What generation needs to know about one schema, computed once."""

    source: Any
    flat: dict[str, Any]
    refs: tuple[str, ...]
    types: tuple[str, ...]
    nullable: bool
    groups: list[tuple[str, list[Any]]]
    nots: list[Any]
    verify: bool
    group_sources: list[dict[str, Any]] = field(default_factory=list)
    derived: dict[int, Any] = field(default_factory=dict)
    branch_weights: list[int] = field(default_factory=list)
    #: enum values that validate (filled on first use)
    enum: list[Any] | None = None
    #: valid ``default``/``examples`` values (filled on first use)
    presets: list[Any] | None = None

    def branch_schema(self, index: int) -> Any:
        """The schema for branch ``index`` of the first group, merged with everything else."""
        if index not in self.derived:
            base = {k: v for k, v in self.flat.items() if k not in _GROUP_KEYS}
            rest = [e for e in self.flat.get("x-extra", []) if not _GROUP_KEYS & set(e)]
            rest += self.group_sources[1:]
            if rest:
                base["x-extra"] = rest
            self.derived[index] = merge_schemas(base, self.groups[0][1][index])
        return self.derived[index]


_GROUP_KEYS = frozenset({"oneOf", "anyOf", "if", "then", "else", "x-extra"})


def _groups(flat: dict[str, Any]) -> tuple[list[tuple[str, list[Any]]], list[dict[str, Any]], list[Any]]:
    """(alternatives, the entry each came from, negations) of a flat schema."""
    groups: list[tuple[str, list[Any]]] = []
    sources: list[dict[str, Any]] = []
    nots: list[Any] = []
    for entry in [flat, *flat.get("x-extra", [])]:
        for kind in ("oneOf", "anyOf"):
            if kind in entry:
                groups.append((kind, list(entry[kind])))
                sources.append({kind: entry[kind]})
        if "if" in entry:
            cond = entry["if"]
            then, other = entry.get("then", True), entry.get("else", True)
            groups.append(("anyOf", [{"allOf": [cond, then]}, {"allOf": [other], "not": cond}]))
            sources.append(_if_triple(entry))
        if "not" in entry:
            nots.append(entry["not"])
    return groups, sources, nots


def _infer_types(flat: dict[str, Any], natural: str | None) -> list[str]:
    inferred = [t for t, keys in (("object", _OBJECT_KEYS), ("array", _ARRAY_KEYS), ("string", _STRING_KEYS))
                if any(k in flat for k in keys)]
    if any(k in flat for k in _NUMBER_KEYS):
        inferred.append("number")
    if inferred:
        return inferred[:1]
    return [natural] if natural else []


def build_plan(schema: Any, root: Any, natural: str | None) -> Plan:
    """Analyse ``schema`` (resolved against ``root``); ``natural`` is the name provider's type."""
    if schema is False:
        raise ValueGenerationError("the false schema admits no value")
    flat, refs, merged = flatten({} if schema is True else schema, root)
    if flat is False:
        raise ValueGenerationError("the false schema admits no value")
    if flat is True:
        flat = {}
    groups, sources, nots = _groups(flat)
    declared = _types(flat.get("type"))
    candidates = declared if declared is not None else _infer_types(flat, natural)
    nullable = "null" in candidates or flat.get("nullable") is True
    types = [t for t in candidates if t != "null"]
    only_types = [neg["type"] for neg in nots if isinstance(neg, dict) and set(neg) == {"type"}]
    banned = {t for value in only_types for t in _types(value) or []}
    if "number" in banned:
        banned.add("integer")
    if banned:
        types = [t for t in (types or _ALL_TYPES) if t not in banned]
        if not types and declared is None:
            types = [t for t in _ALL_TYPES if t not in banned]
        nullable = nullable and "null" not in banned
    if declared is not None and not types and not nullable and not ({"enum", "const"} & set(flat)):
        raise ValueGenerationError(f"no type left to generate for {schema!r}")
    verify = bool(groups or nots or merged or _VERIFY_KEYS & set(flat))
    plan = Plan(schema, flat, refs, tuple(types), nullable, groups, nots, verify, sources)
    if groups:
        plan.branch_weights = [_ref_weight(b) for b in groups[0][1]]
    return plan


def _ref_weight(schema: Any) -> int:
    """How many references a schema holds (shallow-first choices in recursive schemas)."""
    if isinstance(schema, dict):
        return ("$ref" in schema) + sum(_ref_weight(v) for v in schema.values())
    if isinstance(schema, list):
        return sum(_ref_weight(v) for v in schema)
    return 0


def validator_for_root(root: Any) -> Any:
    """A jsonschema validator (with format checks) whose refs resolve against ``root``."""
    default = validators.Draft202012Validator
    cls = validators.validator_for(root if isinstance(root, dict) else {}, default=default)
    return cls(root, format_checker=FormatChecker())


def unique_key(value: Any) -> Any:
    """Hashable key with JSON Schema equality (1 == 1.0, True != 1, key order ignored)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("n", value)  # 1 and 1.0 are equal and hash alike
    if isinstance(value, dict):
        return ("o", tuple(sorted((k, unique_key(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("a", tuple(unique_key(v) for v in value))
    return ("?", repr(value))
