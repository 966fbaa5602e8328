"""Benchmark the schema-driven value generator.

Builds N random (satisfiable) JSON Schemas with a seeded generator - nested objects and
arrays, enums, formats, patterns, ``$defs`` references (a recursive one included),
``oneOf``/``anyOf``/``allOf``/``not``, nullable types, numeric and length bounds - then
generates one cold value per schema (analysis included) and two warm ones (cached
analysis), checks every value with jsonschema (Draft 2020-12, FormatChecker), and times
a typical tool ``returns`` schema (a booking object with eight fields).

    .venv/bin/python benchmarks/bench_values.py [--schemas 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from turnloom.tools_env.values import ValueFactory, ValueGenerationError

Schema = dict[str, Any]

NAMES = ["id", "booking_id", "customer_email", "departure_city", "name", "price", "total", "currency",
         "rating", "status", "created_at", "check_in", "latitude", "notes", "quantity", "url", "phone", "zip",
         "tags", "country_code", "iata", "language", "is_active", "title", "x", "value", "amount",
         "description"]
FORMATS = ["date", "date-time", "time", "email", "uuid", "ipv4", "ipv6", "uri", "hostname"]
PATTERNS = [r"^[A-Z]{3}$", r"^\d{3}-\d{4}$", r"^(foo|bar)[a-z]{2,5}$", r"^[a-z]+$", r"^[A-Z]{2}-\d{4,6}$",
            r"^#[0-9a-fA-F]{6}$", r"^(?=.*\d)[a-z0-9]{6,10}$", r"^\w+(\s\w+)*$", r"\d"]

BOOKING: Schema = {
    "type": "object",
    "required": ["booking_id", "status", "customer_name", "check_in", "total_price"],
    "properties": {
        "booking_id": {"type": "string", "description": "Booking reference."},
        "status": {"type": "string", "enum": ["confirmed", "pending", "cancelled"]},
        "customer_name": {"type": "string"},
        "customer_email": {"type": "string", "format": "email"},
        "hotel_city": {"type": "string"},
        "check_in": {"type": "string", "format": "date"},
        "nights": {"type": "integer", "minimum": 1, "maximum": 30},
        "total_price": {"type": "number", "minimum": 0},
    },
}


class SchemaMaker:
    """Seeded random schemas that are satisfiable by construction."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def leaf(self) -> Schema:
        rng = self.rng
        kind = rng.choice(["string", "string", "format", "pattern", "integer", "number", "boolean", "enum",
                           "const", "nullable", "empty"])
        if kind == "string":
            low = rng.choice([None, 0, 3, 12])
            out: Schema = {"type": "string"}
            if low is not None:
                out.update(minLength=low, maxLength=low + rng.randint(0, 30))
            return out
        if kind == "format":
            return {"type": "string", "format": rng.choice(FORMATS)}
        if kind == "pattern":
            return {"type": "string", "pattern": rng.choice(PATTERNS)}
        if kind in ("integer", "number"):
            out = {"type": kind}
            low = rng.choice([None, -50, 0, 1, 1000])
            if low is not None:
                out["exclusiveMinimum" if rng.random() < 0.3 else "minimum"] = low
            if rng.random() < 0.5:
                out["maximum"] = (low or 0) + rng.randint(30, 500)
            if rng.random() < 0.3:
                out["multipleOf"] = rng.choice([2, 5, 10] if kind == "integer" else [0.5, 0.25, 0.1, 0.01, 3])
            return out
        if kind == "enum":
            options = ["a", "b", "c", 1, 2, 3.5, True, None, "long value"]
            return {"enum": rng.sample(options, rng.randint(1, 4))}
        if kind == "const":
            return {"const": rng.choice(["fixed", 42, {"k": [1, 2]}, None])}
        if kind == "nullable":
            return {"type": [rng.choice(["string", "integer", "number"]), "null"]}
        return {"type": "boolean"} if kind == "boolean" else {}

    def node(self, depth: int) -> Schema:
        rng = self.rng
        roll = rng.random() if depth < 3 else 1.0
        if roll < 0.3:
            keys = rng.sample(NAMES, rng.randint(1, 5))
            out: Schema = {"type": "object", "properties": {k: self.node(depth + 1) for k in keys},
                           "required": [k for k in keys if rng.random() < 0.5]}
            if rng.random() < 0.3:
                out["additionalProperties"] = rng.choice([False, {"type": "integer"}])
            return out
        if roll < 0.45:
            out = {"type": "array", "items": self.node(depth + 1)}
            if rng.random() < 0.4:
                out["minItems"] = rng.randint(0, 3)
                out["maxItems"] = out["minItems"] + rng.randint(0, 3)
            if rng.random() < 0.15:
                out["items"], out["uniqueItems"] = {"type": "integer", "minimum": 0}, True
            return out
        if roll < 0.52:
            return {"oneOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}
        if roll < 0.58:
            return {"anyOf": [self.node(depth + 1), self.node(depth + 1)]}
        if roll < 0.63:
            return {"allOf": [{"type": "object", "properties": {"a": self.leaf()}, "required": ["a"]},
                              {"properties": {"b": self.leaf()}, "required": ["b"]}]}
        if roll < 0.66:
            return rng.choice([{"type": "integer", "not": {"multipleOf": 3}}, {"not": {"type": "string"}}])
        return self.leaf()

    def document(self) -> Schema:
        body = self.node(0)
        if self.rng.random() < 0.7:
            return body
        tree = {"type": "object", "required": ["label", "children"],
                "properties": {"label": {"type": "string"},
                               "children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}}}
        return {"$defs": {"Body": body, "Tree": tree}, "type": "object", "required": ["body"],
                "properties": {"body": {"$ref": "#/$defs/Body"}, "tree": {"$ref": "#/$defs/Tree"}}}


def run(count: int, seed: int) -> None:
    maker = SchemaMaker(seed)
    schemas = [maker.document() for _ in range(count)]
    names = [maker.rng.choice(["", *NAMES]) for _ in range(count)]
    factory = ValueFactory(seed)
    produced: list[tuple[Schema, Any]] = []
    errors: list[str] = []
    cold: list[float] = []
    warm: list[float] = []
    clock = time.process_time  # CPU time: robust on a shared machine
    started = clock()
    for i, (schema, name) in enumerate(zip(schemas, names, strict=True)):
        for round_ in range(3):
            t0 = clock()
            try:
                factory.reseed(seed * 1_000_003 + i * 3 + round_)
                value = factory.value(schema, name=name)
            except ValueGenerationError as exc:
                errors.append(f"schema {i}: {exc}")
                break
            (cold if round_ == 0 else warm).append(clock() - t0)
            produced.append((schema, value))
    elapsed = clock() - started
    checker = FormatChecker()
    invalid = [s for s, v in produced if not Draft202012Validator(s, format_checker=checker).is_valid(v)]

    print(f"random schemas          : {count:,} (seed {seed}), {len(produced):,} values")
    print(f"schemas/s               : {count / elapsed:,.0f} (1 cold + 2 warm values each)")
    print(f"mean per value, cold    : {statistics.fmean(cold) * 1e6:,.1f} us (analysis included)")
    print(f"mean per value, warm    : {statistics.fmean(warm) * 1e6:,.1f} us "
          f"(p50 {statistics.median(warm) * 1e6:,.1f}, p99 {sorted(warm)[int(len(warm) * 0.99)] * 1e6:,.1f})")
    print(f"failures                : {len(errors) + len(invalid)} "
          f"({len(errors)} generation errors, {len(invalid)} invalid values)")
    for line in errors[:5]:
        print("  ", line)

    booking = ValueFactory(seed)
    booking.value(BOOKING)
    loops = 5_000
    t0 = clock()
    for i in range(loops):
        booking.reseed(i)
        booking.value(BOOKING)
    per_call = (clock() - t0) / loops
    t0 = clock()
    for i in range(loops):
        booking.reseed(i)
    per_reseed = (clock() - t0) / loops
    print(f"booking returns (8 fields): {per_call * 1e6:,.1f} us per call incl. reseed "
          f"({per_reseed * 1e6:,.1f} us of it reseeding)")
    print(f"example booking         : {booking.value(BOOKING)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run(args.schemas, args.seed)


if __name__ == "__main__":
    main()
