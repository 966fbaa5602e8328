"""Property tests: random (satisfiable) schemas -> the generator never fails and its values validate."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, FormatChecker

from turnloom.tools_env.values import ValueFactory, generate_value

Schema = dict[str, Any]

NAMES = ["id", "booking_id", "customer_email", "departure_city", "name", "first_name", "price", "total",
         "currency", "rating", "status", "created_at", "check_in", "latitude", "notes", "quantity", "url",
         "phone", "zip", "country_code", "iata", "language", "color", "uuid", "is_active", "tags", "items",
         "title", "percentage", "x", "value", "detailsOfThing", "UserName"]
FORMATS = ["date", "date-time", "time", "email", "uuid", "ipv4", "ipv6", "uri", "hostname", "duration"]
#: (pattern, shortest, longest or None): every length in between can be matched
PATTERNS = [(r"^[A-Z]{3}$", 3, 3), (r"^\d{3}-\d{4}$", 8, 8), (r"^(foo|bar)[a-z]{2,5}$", 5, 8),
            (r"^[a-z]+$", 1, None), (r"^[A-Z][a-z]*(-[A-Z][a-z]*)?$", 1, None), (r"\d", 1, None),
            (r"^[A-Z]{2}-\d{4,6}$", 7, 9), (r"^(\+\d{1,3} )?\d{3} \d{3} \d{4}$", 12, 12),
            (r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", 6, None), (r"^#[0-9a-fA-F]{6}$", 7, 7),
            (r"^v\d+\.\d+$", 4, None),
            (r"^(?=.*\d)[a-z0-9]{6,10}$", 6, 10), (r"^\w+(\s\w+)*$", 1, None), (r"^(ab|c)*d?$", 0, None)]


def strict_checker() -> FormatChecker:
    """FormatChecker plus the checks it lacks without optional extras (date-time, uri, hostname)."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return value.endswith("Z") and bool(dt.datetime.fromisoformat(value[:-1]))

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)

    @checker.checks("hostname")
    def _hostname(value: object) -> bool:
        return not isinstance(value, str) or bool(re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", value))

    return checker


CHECKER = strict_checker()


def assert_valid(schema: Any, value: Any) -> None:
    Draft202012Validator(schema, format_checker=CHECKER).validate(value)


@st.composite
def string_schemas(draw: st.DrawFn) -> Schema:
    out: Schema = {"type": "string"}
    kind = draw(st.sampled_from(["plain", "plain", "format", "pattern"]))
    if kind == "format":
        out["format"] = draw(st.sampled_from(FORMATS))
        if draw(st.booleans()):
            out["maxLength"] = 200
    elif kind == "pattern":
        pattern, short, long = draw(st.sampled_from(PATTERNS))
        out["pattern"] = pattern
        if draw(st.booleans()):
            low = draw(st.integers(short, short + 4 if long is None else long))
            out["minLength"] = low
            out["maxLength"] = draw(st.integers(low, low + 6 if long is None else max(low, long)))
    else:
        low = draw(st.none() | st.integers(0, 30))
        high = draw(st.none() | st.integers(low or 0, (low or 0) + 40))
        out.update({k: v for k, v in (("minLength", low), ("maxLength", high)) if v is not None})
    return out


@st.composite
def numeric_schemas(draw: st.DrawFn) -> Schema:
    kind = draw(st.sampled_from(["integer", "number"]))
    out: Schema = {"type": kind}
    low = draw(st.none() | st.integers(-1000, 1000))
    high = draw(st.none() | st.integers(low if low is not None else -1000, (low or 0) + 2000))
    if low is not None:
        out["exclusiveMinimum" if draw(st.booleans()) and high != low else "minimum"] = low
    if high is not None:
        wide = low is None or high - low >= 2
        out["exclusiveMaximum" if draw(st.booleans()) and wide else "maximum"] = high
    if draw(st.booleans()):
        choices = [2, 3, 5, 10] if kind == "integer" else [2, 5, 0.5, 0.25, 0.1, 0.01]
        out["multipleOf"] = draw(st.sampled_from(choices))
        if low is not None and high is not None and high - low < 25:
            out.pop("maximum", None)
            out.pop("exclusiveMaximum", None)
    return out


JSON_SCALARS = from_schema({"type": ["string", "integer", "number", "boolean", "null"], "maxLength": 8})

LEAVES = st.one_of(
    string_schemas(),
    numeric_schemas(),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.just({}),
    st.lists(JSON_SCALARS, min_size=1, max_size=5).map(lambda vs: {"enum": vs}),
    from_schema({}).map(lambda v: {"const": v}),
    st.sampled_from(["string", "integer"]).map(lambda t: {"type": [t, "null"]}),
)


def _object(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    @st.composite
    def build(draw: st.DrawFn) -> Schema:
        props = draw(st.dictionaries(st.sampled_from(NAMES), children, max_size=5))
        out: Schema = {"type": "object", "properties": props}
        if props:
            out["required"] = draw(st.lists(st.sampled_from(sorted(props)), unique=True))
        extra = draw(st.sampled_from([None, False, True, {"type": "integer"}]))
        if extra is not None:
            out["additionalProperties"] = extra
        if draw(st.booleans()):
            cap = len(props) if extra is False else len(props) + 3
            out["minProperties"] = draw(st.integers(0, cap))
            if draw(st.booleans()):
                out["maxProperties"] = max(out["minProperties"], len(out.get("required", [])))
        return out

    return build()


def _array(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    @st.composite
    def build(draw: st.DrawFn) -> Schema:
        out: Schema = {"type": "array", "items": draw(children)}
        if draw(st.booleans()):
            out["minItems"] = draw(st.integers(0, 4))
            out["maxItems"] = draw(st.integers(out["minItems"], out["minItems"] + 4))
        if draw(st.booleans()):
            out["items"] = {"type": "integer", "minimum": 0}
            out["uniqueItems"] = True
        if draw(st.integers(0, 5)) == 0 and not out.get("uniqueItems"):  # unique + fixed prefixes may clash
            out["prefixItems"] = [draw(children), draw(children)]
        return out

    return build()


def _disjoint_all_of(parts: tuple[Schema, Schema]) -> Schema:
    """allOf of two objects whose properties do not overlap (so that it stays satisfiable)."""
    first, second = ({k: v for k, v in s.items() if k not in ("additionalProperties", "maxProperties")}
                     for s in parts)
    taken = set(first["properties"])
    second["properties"] = {k: v for k, v in second["properties"].items() if k not in taken}
    second["required"] = [k for k in second.get("required", []) if k not in taken]
    return {"allOf": [first, second]}


def _combined(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    one_of = st.tuples(string_schemas(), numeric_schemas()).map(lambda p: {"oneOf": list(p)})
    any_of = st.lists(children, min_size=1, max_size=3).map(lambda bs: {"anyOf": bs})
    all_of = st.tuples(_object(LEAVES), _object(LEAVES)).map(_disjoint_all_of)
    negated = st.sampled_from([{"type": "integer", "not": {"multipleOf": 3}}, {"not": {"type": "string"}},
                               {"type": "string", "not": {"enum": ["a", "b"]}}])
    nullable = children.map(lambda s: {"anyOf": [s, {"type": "null"}]})
    return st.one_of(one_of, any_of, all_of, negated, nullable)


def _extend(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    return st.one_of(_object(children), _array(children), _combined(children))


SCHEMAS: st.SearchStrategy[Schema] = st.recursive(LEAVES, _extend, max_leaves=12)


@st.composite
def documents(draw: st.DrawFn) -> Schema:
    """A schema, sometimes wrapped in a document that reaches parts of it through ``$defs``."""
    body = draw(SCHEMAS)
    if draw(st.booleans()):
        return body
    other = draw(SCHEMAS)
    tree = {"type": "object", "required": ["label", "children"],
            "properties": {"label": {"type": "string"},
                           "children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}}}
    return {
        "$defs": {"Body": body, "Other": other, "Tree": tree},
        "type": "object",
        "required": ["body"],
        "properties": {"body": {"$ref": "#/$defs/Body"},
                       "others": {"type": "array", "items": {"$ref": "#/$defs/Other"}},
                       "tree": {"$ref": "#/$defs/Tree"}},
    }


def _check(schema: Schema, seed: int, name: str) -> None:
    value = generate_value(schema, name=name, seed=seed)
    assert_valid(schema, value)
    if "$defs" in schema:  # a part of the document on its own, its refs resolved against the whole
        part = schema["properties"]["others"]
        value = ValueFactory(seed).value(part, name="others", root=schema)
        Draft202012Validator(schema, format_checker=CHECKER).evolve(schema=part).validate(value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.integers(0, 2**32), st.sampled_from(["", *NAMES]))
def test_generated_values_validate(schema: Schema, seed: int, name: str) -> None:
    _check(schema, seed, name)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCHEMAS, st.integers(0, 2**32))
def test_same_seed_same_value(schema: Schema, seed: int) -> None:
    factory = ValueFactory(seed)
    first = factory.value(schema, name="value")
    factory.reseed(seed)
    assert factory.value(schema, name="value") == first
    assert generate_value(schema, name="value", seed=seed) == first


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents(), st.integers(0, 2**32), st.sampled_from(["", *NAMES]))
def test_generated_values_validate_many(schema: Schema, seed: int, name: str) -> None:
    _check(schema, seed, name)
