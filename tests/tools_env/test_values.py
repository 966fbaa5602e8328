"""Unit tests for the schema-driven value generator and its regex generator."""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from turnloom.tools_env.values import ValueFactory, ValueGenerationError, generate_value
from turnloom.tools_env.values import _schema as _value_schema
from turnloom.tools_env.values._regex_gen import RegexGenerationError, generate_matching

SEEDS = range(25)


def validate(schema: Any, value: Any) -> None:
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(value)


def sample(schema: Any, name: str = "", seeds: range = SEEDS, root: Any = None) -> list[Any]:
    """Values for ``schema`` under many seeds, each checked against the schema."""
    factory = ValueFactory()
    out = []
    for seed in seeds:
        factory.reseed(seed)
        value = factory.value(schema, name=name, root=root)
        validate(schema if root is None else {**root, **schema}, value)
        out.append(value)
    return out


# -- providers by name and format -----------------------------------------------------------------


def _is_date(v: str) -> bool:
    return dt.date.fromisoformat(v).isoformat() == v


NAMED: list[tuple[str, Any, Any]] = [
    ("customer_email", {"type": "string"}, lambda v: re.fullmatch(r"[^@\s]+@[\w.-]+\.\w+", v)),
    ("customerEmail", {"type": "string"}, lambda v: "@" in v),
    ("email_address", {"type": "string"}, lambda v: "@" in v),
    ("booking_id", {"type": "string"}, lambda v: re.fullmatch(r"BK-\d{5}", v)),
    ("flight_booking_id", {"type": "string"}, lambda v: re.fullmatch(r"FB-\d{5}", v)),
    ("user_id", {"type": "integer"}, lambda v: isinstance(v, int) and v > 0),
    ("order_id", {"type": "string", "format": "uuid"}, lambda v: uuid.UUID(v).version == 4),
    ("first_name", {"type": "string"}, lambda v: v.isalpha() and v[0].isupper()),
    ("full_name", {"type": "string"}, lambda v: len(v.split()) == 2),
    ("username", {"type": "string"}, lambda v: " " not in v and v),
    ("departure_city", {"type": "string"}, lambda v: v and v[0].isupper()),
    ("country_code", {"type": "string"}, lambda v: re.fullmatch(r"[A-Z]{2}", v)),
    ("zip", {"type": "string"}, lambda v: re.fullmatch(r"\d{5}", v)),
    ("price", {"type": "number"}, lambda v: v > 0 and round(v, 2) == v),
    ("total_amount", {"type": "number"}, lambda v: round(v, 2) == v),
    ("balance", {"type": "string"}, lambda v: re.fullmatch(r"\d+\.\d{2}", v)),
    ("currency", {"type": "string"}, lambda v: re.fullmatch(r"[A-Z]{3}", v)),
    ("rating", {"type": "integer"}, lambda v: 1 <= v <= 5),
    ("rating", {"type": "number"}, lambda v: 1 <= v <= 5),
    ("percentage", {"type": "number"}, lambda v: 0 <= v <= 100),
    ("latitude", {"type": "number"}, lambda v: -90 <= v <= 90),
    ("lng", {"type": "number"}, lambda v: -180 <= v <= 180),
    ("notes", {"type": "string"}, lambda v: v.endswith(".") and " " in v),
    ("status", {"type": "string"}, lambda v:
     v in {"active", "pending", "confirmed", "completed", "cancelled"}),
    ("quantity", {"type": "integer"}, lambda v: 1 <= v <= 5),
    ("origin_airport", {"type": "string"}, lambda v: re.fullmatch(r"[A-Z]{3}", v)),
    ("iata", {"type": "string"}, lambda v: re.fullmatch(r"[A-Z]{3}", v)),
    ("language", {"type": "string"}, lambda v: re.fullmatch(r"[a-z]{2}", v)),
    ("created_at", {"type": "string"}, lambda v: v.endswith("Z") and dt.datetime.fromisoformat(v[:-1])),
    ("check_in_date", {"type": "string"}, _is_date),
    ("date_of_birth", {"type": "string", "format": "date"}, lambda v: 1950 <= int(v[:4]) <= 2005),
    ("departure_time", {"type": "string"}, lambda v: re.fullmatch(r"\d{2}:\d{2}", v)),
    ("website", {"type": "string"}, lambda v: urlsplit(v).scheme == "https"),
    ("avatar_url", {"type": "string"}, lambda v: v.startswith("https://") and v.endswith(".jpg")),
    ("phone_number", {"type": "string"}, lambda v: sum(ch.isdigit() for ch in v) >= 10),
    ("company", {"type": "string"}, lambda v: bool(v)),
    ("job_title", {"type": "string"}, lambda v: bool(v)),
    ("color", {"type": "string"}, lambda v: v.isalpha()),
    ("is_active", {"type": "boolean"}, lambda v: isinstance(v, bool)),
    ("hotel_name", {"type": "string"}, lambda v: v.split()[-1] in {"Hotel", "Inn", "Suites", "Resort"}),
]


@pytest.mark.parametrize(("name", "schema", "check"), NAMED, ids=[f"{n}-{s['type']}" for n, s, _ in NAMED])
def test_name_picks_provider(name: str, schema: dict[str, Any], check: Any) -> None:
    for value in sample(schema, name, range(8)):
        assert check(value), (name, value)


def test_name_decides_type_of_untyped_schema() -> None:
    assert all(isinstance(v, bool) for v in sample({}, "is_available", range(5)))
    assert all(isinstance(v, int) for v in sample({}, "quantity", range(5)))
    assert all("@" in v for v in sample({}, "contact_email", range(5)))


FORMATS: list[tuple[str, Any]] = [
    ("date", _is_date),
    ("date-time", lambda v: re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v)),
    ("time", lambda v: re.fullmatch(r"\d\d:\d\d:\d\d", v)),
    ("email", lambda v: "@" in v),
    ("uuid", lambda v: str(uuid.UUID(v)) == v),
    ("ipv4", lambda v: all(0 <= int(p) <= 255 for p in v.split("."))),
    ("ipv6", lambda v: v.count(":") == 7),
    ("uri", lambda v: urlsplit(v).scheme and urlsplit(v).netloc),
    ("hostname", lambda v: re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", v)),
    ("duration", lambda v: v.startswith("P")),
]


@pytest.mark.parametrize(("fmt", "check"), FORMATS, ids=[f for f, _ in FORMATS])
def test_format_picks_provider(fmt: str, check: Any) -> None:
    for value in sample({"type": "string", "format": fmt}, "x", range(8)):
        assert check(value), (fmt, value)


def test_format_wins_over_name_unless_the_name_provider_fits_it() -> None:
    assert all(str(uuid.UUID(v)) == v for v in sample({"type": "string", "format": "uuid"}, "booking_id"))
    assert all(v.endswith(".jpg") for v in sample({"type": "string", "format": "uri"}, "image_url", range(5)))


# -- constraint keywords ----------------------------------------------------------------------------


def test_enum_const_and_default() -> None:
    assert set(sample({"enum": ["a", 1, None]})) <= {"a", 1, None}
    assert len(set(sample({"type": "string", "enum": ["a", "b", "c"]}))) == 3
    assert sample({"type": "string", "enum": ["a", 2, "c"], "minLength": 1}, seeds=range(10)).count(2) == 0
    assert sample({"const": {"k": [1, 2]}}) == [{"k": [1, 2]}] * len(SEEDS)
    values = sample({"type": "integer", "default": 424242}, seeds=range(60))
    assert 424242 in values and len(set(values)) > 5


def test_numeric_bounds_and_multiples() -> None:
    assert all(3 <= v <= 7 for v in sample({"type": "integer", "minimum": 3, "maximum": 7}))
    assert all(3 < v < 5 for v in sample({"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 5}))
    assert all(0 < v < 1 for v in sample({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}))
    sevens = sample({"type": "integer", "multipleOf": 7, "minimum": 1000})
    assert all(v % 7 == 0 and v >= 1000 for v in sevens)
    sample({"type": "number", "multipleOf": 0.1, "minimum": 0, "maximum": 2})
    sample({"type": "number", "multipleOf": 0.01, "exclusiveMaximum": -5})
    sample({"type": "integer", "multipleOf": 2.5})
    sample({"type": "number", "minimum": 1e300})
    assert all(v < 0 for v in sample({"type": "number", "exclusiveMaximum": 0}))
    assert all(v > 0 for v in sample({"type": "number", "exclusiveMinimum": 0}))
    assert all(v < 0 for v in sample({"type": "integer", "exclusiveMaximum": 0}))
    with pytest.raises(ValueGenerationError):
        generate_value({"type": "integer", "minimum": 5, "maximum": 4})
    with pytest.raises(ValueGenerationError):
        generate_value({"type": "integer", "minimum": 1, "maximum": 4, "multipleOf": 5})


def test_formats_under_tight_lengths() -> None:
    assert all(len(v) <= 8 for v in sample({"type": "string", "format": "email", "maxLength": 8}))
    exact = {"type": "string", "format": "uri", "minLength": 40, "maxLength": 40}
    assert all(len(v) == 40 for v in sample(exact))
    with pytest.raises(ValueGenerationError):
        generate_value({"type": "string", "format": "date", "maxLength": 5})


def test_string_lengths_pad_and_truncate() -> None:
    assert all(len(v) >= 40 for v in sample({"type": "string", "minLength": 40}, "city"))
    assert all(len(v) <= 3 for v in sample({"type": "string", "maxLength": 3}, "description"))
    assert sample({"type": "string", "maxLength": 0}, seeds=range(3)) == ["", "", ""]


@pytest.mark.parametrize(
    "pattern",
    [r"^[A-Z]{3}$", r"^\d{3}-\d{4}$", r"^(foo|bar)[a-z]{2,5}$", r"^[^\s@]+@example\.(com|org)$",
     r"^(\w)\w*\1$", r"^(?=.*\d)(?=.*[A-Z])[A-Za-z\d]{8,12}$", "^[\u00e0-\u00ff]?$", r"item-\d+"],
)
def test_pattern(pattern: str) -> None:
    values = sample({"type": "string", "pattern": pattern})
    assert all(re.search(pattern, v) for v in values)


def test_pattern_with_lengths_and_format() -> None:
    assert all(5 <= len(v) <= 6 for v in sample({"type": "string", "pattern": "^[a-z]+$", "minLength": 5,
                                                 "maxLength": 6}))
    assert all(len(v) >= 10 for v in sample({"type": "string", "pattern": "^[A-Z]{3}", "minLength": 10}))
    sample({"type": "string", "pattern": r"^[a-z]+@[a-z]+\.com$", "format": "email"})
    with pytest.raises(ValueGenerationError):
        generate_value({"type": "string", "pattern": "^abc$", "minLength": 5})


def test_pattern_keeps_realistic_values_that_match() -> None:
    codes = sample({"type": "string", "pattern": "^[A-Z]{3}$"}, "currency")
    assert set(codes) <= {"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "SEK", "NZD", "SGD"}
    dates = sample({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"})
    assert all(_is_date(d) for d in dates)


def test_type_lists_and_nullable() -> None:
    values = sample({"type": ["string", "null"]}, seeds=range(80))
    assert None in values and sum(isinstance(v, str) for v in values) > 60
    assert {type(v) for v in sample({"type": ["integer", "boolean"]}, seeds=range(40))} == {int, bool}
    assert None in [generate_value({"type": "string", "nullable": True}, seed=s) for s in range(80)]


def test_objects_required_optional_and_extra() -> None:
    schema = {"properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "boolean"}},
              "required": ["a"], "additionalProperties": False}
    values = sample(schema, seeds=range(60))
    assert all("a" in v and set(v) <= {"a", "b", "c"} for v in values)
    present = sum("b" in v for v in values)
    assert 30 < present < 60
    wide = sample({"type": "object", "minProperties": 4, "maxProperties": 5,
                   "additionalProperties": {"type": "integer"}})
    assert all(4 <= len(v) <= 5 and all(isinstance(x, int) for x in v.values()) for v in wide)
    capped = sample({**schema, "maxProperties": 1})
    assert all(list(v) == ["a"] for v in capped)
    sample({"type": "object", "patternProperties": {"^x-[a-z]+$": {"type": "integer"}}, "minProperties": 2,
            "additionalProperties": False})
    sample({"type": "object", "properties": {"a": {}}, "dependentRequired": {"a": ["b"]}, "required": ["a"]})
    assert all("gone" not in v for v in sample({"properties": {"gone": False, "kept": {"type": "integer"}}}))


def test_arrays() -> None:
    assert all(1 <= len(v) <= 3 for v in sample({"type": "array", "items": {"type": "integer"}}))
    assert all(len(v) == 4 for v in sample({"type": "array", "minItems": 4, "maxItems": 4}))
    unique = sample({"type": "array", "items": {"enum": [1, 2, 3, 4]}, "minItems": 4, "uniqueItems": True})
    assert all(sorted(v) == [1, 2, 3, 4] for v in unique)
    blanks = [{"type": "string", "maxLength": 0}] * 2
    assert sample({"type": "array", "prefixItems": blanks, "uniqueItems": True}, seeds=range(3)) == [[""]] * 3
    pair = [{"type": "string", "format": "date"}, {"type": "integer"}]
    tuples = sample({"type": "array", "prefixItems": pair, "items": False, "minItems": 2})
    assert all(len(v) == 2 and isinstance(v[1], int) for v in tuples)
    sample({"type": "array", "items": {"type": "integer"}, "contains": {"const": 99}, "minContains": 2})
    emails = sample({"type": "array", "items": {"type": "string"}, "minItems": 1}, "emails", range(5))
    assert all("@" in e for batch in emails for e in batch)


# -- references and combinators ---------------------------------------------------------------------


def test_local_refs_defs_and_definitions() -> None:
    doc = {"$defs": {"Money": {"type": "number", "minimum": 0}},
           "definitions": {"Tag": {"type": "string", "pattern": "^#[a-z]+$"}},
           "type": "object", "required": ["price", "tags"],
           "properties": {"price": {"$ref": "#/$defs/Money"},
                          "tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}}}}
    assert all(v["price"] >= 0 and all(t.startswith("#") for t in v["tags"]) for v in sample(doc))
    # a sub-schema generated on its own, with refs resolved against the document it came from
    factory = ValueFactory(1)
    assert factory.value(doc["properties"]["tags"], root=doc)[0].startswith("#")


def test_recursive_refs_are_bounded() -> None:
    children = {"type": "array", "items": {"$ref": "#/$defs/Node"}}
    node = {"type": "object", "required": ["name", "children"],
            "properties": {"name": {"type": "string"}, "children": children}}
    tree = {"$defs": {"Node": node}, "$ref": "#/$defs/Node"}

    def depth(node: dict[str, Any]) -> int:
        return 1 + max((depth(c) for c in node["children"]), default=0)

    assert all(depth(v) <= 3 for v in sample(tree))
    linked = {"type": "object", "required": ["v", "next"],
              "properties": {"v": {"type": "integer"}, "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}}}

    def length(node: dict[str, Any] | None) -> int:
        return 0 if node is None else 1 + length(node["next"])

    assert all(length(v) <= 8 for v in sample(linked, seeds=range(60)))
    with pytest.raises(ValueGenerationError):
        generate_value({"type": "object", "required": ["me"], "properties": {"me": {"$ref": "#"}}})


def test_one_of_matches_exactly_one_branch() -> None:
    schema = {"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 4}]}
    assert all(len(v) > 4 for v in sample(schema))
    mixed = sample({"oneOf": [{"type": "integer"}, {"type": "string", "format": "email"}]}, seeds=range(40))
    assert {type(v) for v in mixed} == {int, str}


def test_any_of_all_of_not_and_conditionals() -> None:
    assert {type(v) for v in sample({"anyOf": [{"type": "boolean"}, {"type": "null"}]})} == {bool, type(None)}
    parts = [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
             {"properties": {"b": {"type": "string"}}, "required": ["b"]},
             {"properties": {"a": {"minimum": 10, "maximum": 12}}}]
    merged = sample({"allOf": parts})
    assert all(10 <= v["a"] <= 12 and isinstance(v["b"], str) for v in merged)
    assert all(v % 3 for v in sample({"type": "integer", "not": {"multipleOf": 3}}))
    assert all(not isinstance(v, str) for v in sample({"not": {"type": "string"}}))
    cond = {"type": "object", "required": ["kind"],
            "properties": {"kind": {"enum": ["card", "cash"]}, "card_number": {"type": "string"}},
            "if": {"properties": {"kind": {"const": "card"}}}, "then": {"required": ["card_number"]}}
    assert all("card_number" in v for v in sample(cond) if v["kind"] == "card")


def test_empty_true_false_and_untyped_objects() -> None:
    sample({})
    sample(True)  # type: ignore[arg-type]
    assert all(isinstance(v, dict) and "a" in v for v in sample({"properties": {"a": {}}, "required": ["a"]}))
    with pytest.raises(ValueGenerationError):
        generate_value(False)  # type: ignore[arg-type]
    with pytest.raises(ValueGenerationError, match="only local"):
        generate_value({"$ref": "https://example.com/schema.json"})


# -- determinism and caching ------------------------------------------------------------------------

BOOKING = {"type": "object", "required": ["booking_id", "customer_name", "status"],
           "properties": {"booking_id": {"type": "string"}, "customer_name": {"type": "string"},
                          "email": {"type": "string", "format": "email"}, "city": {"type": "string"},
                          "check_in": {"type": "string", "format": "date"},
                          "total_price": {"type": "number", "minimum": 0},
                          "status": {"enum": ["confirmed", "pending"]}, "guests": {"type": "integer"}}}


def test_same_seed_same_value_and_different_seeds_differ() -> None:
    factory = ValueFactory(5)
    first = factory.value(BOOKING)
    factory.value(BOOKING)
    factory.reseed(5)
    assert factory.value(BOOKING) == first
    assert ValueFactory(5).value(BOOKING) == first == generate_value(BOOKING, seed=5)
    assert len({str(generate_value(BOOKING, seed=s)) for s in range(20)}) == 20


def test_schema_analysis_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = _value_schema.build_plan

    def counting(*args: Any) -> Any:
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr("turnloom.tools_env.values._factory.build_plan", counting)
    factory = ValueFactory()
    for seed in range(10):
        factory.reseed(seed)
        factory.value(BOOKING)
    first = len(calls)
    for seed in range(10, 30):
        factory.reseed(seed)
        factory.value(BOOKING)
    assert first == 9 and len(calls) == first  # the object and its eight properties, once each


def test_other_locale() -> None:
    value = ValueFactory(3, locale="de_DE").value({"type": "string"}, name="city")
    assert isinstance(value, str) and value


# -- the regex generator on its own ---------------------------------------------------------------


def test_generate_matching_lengths_and_errors() -> None:
    rng = random.Random(0)
    for _ in range(50):
        text = generate_matching(r"^(ab|c)+$", rng, min_length=7, max_length=7)
        assert len(text) == 7 and re.fullmatch(r"(ab|c)+", text)
    assert re.fullmatch(r"(\d+)-\1", generate_matching(r"^(\d+)-\1$", rng))
    with pytest.raises(RegexGenerationError):
        generate_matching(r"^abc$", rng, min_length=4)
    with pytest.raises(RegexGenerationError, match="invalid pattern"):
        generate_matching(r"^(unclosed$", rng)
