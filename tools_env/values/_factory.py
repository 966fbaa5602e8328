"""Schema-driven values: a realistic JSON value for any JSON Schema, deterministic under a seed.

:class:`ValueFactory` is what the mock tools use to fill their outputs (and the
planner to invent argument values)::

    values = ValueFactory(seed=7)
    values.reseed(derive_seed(world.seed, world.clock))
    values.value(tool.returns)

Field names and ``format`` pick the provider (``customer_email`` -> an email,
``departure_city`` -> a city, ``booking_id`` -> ``BK-48213``, ``format: date`` -> an ISO
date; see :mod:`._value_providers`); the schema's constraints are honoured by
construction (types, enum/const, numeric bounds and ``multipleOf``, lengths,
``pattern`` through :mod:`._regex_gen`, objects, arrays, local ``$ref``, ``allOf``).
Where construction cannot be exact (``oneOf``/``anyOf``/``not``/``if``, several
patterns, ``contains``, ``uniqueItems``...) a candidate is checked with jsonschema and
drawn again, so every value returned validates against its schema. Recursive schemas
are cut short: once a reference recurs on the path, optional properties are left
out, arrays are as short as allowed and the branch with the fewest references is
(mostly) chosen.

Schemas are analysed once and cached by identity (the cache keeps the schema alive,
so an id cannot be reused while its entry exists); treat schemas as immutable once
they have been used. A factory is not thread-safe; use one per thread.
"""

from __future__ import annotations

import copy
import random
import threading
from typing import Any

from faker import Faker
from jsonschema import FormatChecker

from turnloom.tools_env.values import _numbers
from turnloom.tools_env.values._providers import (
    Provider,
    provider_for_format,
    singular,
    sized_format,
)
from turnloom.tools_env.values._regex_gen import generate_matching
from turnloom.tools_env.values._schema import (
    Plan,
    ValueGenerationError,
    build_plan,
    unique_key,
    validator_for_root,
)
from turnloom.tools_env.values._semantic import provider_for_field

__all__ = ["ValueFactory", "ValueGenerationError", "generate_value"]

_ATTEMPTS = 24
_MAX_DEPTH = 48
_CACHE_LIMIT = 20_000
_ANY_TYPES = ("string", "string", "string", "integer", "number", "boolean")
_OPTIONAL_RATE = 0.8
_PRESET_RATE = 0.15
_EXAMPLE_RATE = 0.5  # a spec's own examples say best what a field holds
_NULL_RATE = 0.1
_STRING: dict[str, Any] = {"type": "string"}
_FORMATS = FormatChecker()


def _faker_seed(seed: int) -> int:
    """A second stream for Faker, so it does not mirror the factory's own Random."""
    return (seed * 6364136223846793005 + 1442695040888963407) % (1 << 64)


class ValueFactory:
    """Seeded generator of values for JSON Schemas (see the module docstring)."""

    def __init__(self, seed: int = 0, locale: str = "en_US") -> None:
        self.locale = locale
        self._faker = Faker(locale, use_weighting=False)
        self._rng = random.Random(seed)
        self._plans: dict[tuple[int, int, str | None], tuple[Any, Any, Plan]] = {}
        self._validators: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
        self._conjunctions: dict[tuple[int, int], tuple[Any, Any, dict[str, Any]]] = {}
        self._refs: list[str] = []
        self._minimal = 0
        self._depth = 0
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        """Restart both random streams: the same seed gives the same values again."""
        self._rng.seed(seed)
        self._faker.seed_instance(_faker_seed(seed))

    def value(
        self, schema: dict[str, Any] | bool, *, name: str = "", root: dict[str, Any] | None = None
    ) -> Any:
        """A value valid against ``schema``; ``name`` picks the provider, ``root`` resolves ``$ref``."""
        self._refs, self._minimal, self._depth = [], 0, 0
        try:
            return self._generate(schema, name, schema if root is None else root)
        except RecursionError:
            raise ValueGenerationError("schema recursion too deep to generate a value") from None

    # -- plans and checks ---------------------------------------------------------------------------

    def _plan(self, schema: Any, root: Any, natural: str | None) -> Plan:
        key = (id(schema), id(root), natural)
        hit = self._plans.get(key)
        if hit is not None and hit[0] is schema and hit[1] is root:
            return hit[2]
        if len(self._plans) >= _CACHE_LIMIT:
            self._plans.clear()
        plan = build_plan(schema, root, natural)
        self._plans[key] = (schema, root, plan)
        return plan

    def _validator(self, schema: Any, root: Any) -> Any:
        key = (id(schema), id(root))
        hit = self._validators.get(key)
        if hit is not None and hit[0] is schema and hit[1] is root:
            return hit[2]
        if len(self._validators) >= _CACHE_LIMIT:
            self._validators.clear()
        base = None if schema is root else self._validator(root, root)
        validator = validator_for_root(root) if base is None else base.evolve(schema=schema)
        self._validators[key] = (schema, root, validator)
        return validator

    def _conj(self, a: Any, b: Any) -> dict[str, Any]:
        """``{"allOf": [a, b]}``, one stable dict per pair so that its plan is cached."""
        key = (id(a), id(b))
        hit = self._conjunctions.get(key)
        if hit is not None and hit[0] is a and hit[1] is b:
            return hit[2]
        if len(self._conjunctions) >= _CACHE_LIMIT:
            self._conjunctions.clear()
        both = {"allOf": [a, b]}
        self._conjunctions[key] = (a, b, both)
        return both

    # -- generation -------------------------------------------------------------------------------------

    def _generate(self, schema: Any, name: str, root: Any) -> Any:
        provider = provider_for_field(name, schema) if name else None
        plan = self._plan(schema, root, provider.natural if provider else None)
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            raise ValueGenerationError("schema recursion has no way out (a required reference cycle?)")
        recurring = self._enter(plan)
        try:
            if not plan.verify:
                return self._from_plan(plan, name, root, provider)
            validator = self._validator(schema, root)
            problem: Exception | None = None
            for _ in range(_ATTEMPTS):
                try:
                    candidate = self._from_plan(plan, name, root, provider)
                except ValueGenerationError as exc:
                    problem = exc
                    continue
                if validator.is_valid(candidate):
                    return candidate
                problem = next(iter(validator.iter_errors(candidate)), None)
            raise ValueGenerationError(f"no valid value after {_ATTEMPTS} attempts for {name or 'value'}: "
                                       f"{getattr(problem, 'message', problem)}")
        finally:
            self._leave(plan, recurring)
            self._depth -= 1

    def _enter(self, plan: Plan) -> bool:
        """Put the plan's references on the path; True when one of them recurs (go minimal)."""
        recurring = any(ref in self._refs for ref in plan.refs)
        self._refs.extend(plan.refs)
        self._minimal += recurring
        return recurring

    def _leave(self, plan: Plan, recurring: bool) -> None:
        self._minimal -= recurring
        del self._refs[len(self._refs) - len(plan.refs):]

    def _from_plan(self, plan: Plan, name: str, root: Any, provider: Provider | None) -> Any:
        rng = self._rng
        if plan.groups:
            weights = plan.branch_weights
            if self._minimal and rng.random() < 0.8:
                index = min(range(len(weights)), key=lambda i: (weights[i], rng.random()))
            else:
                index = rng.randrange(len(weights))
            sub = self._plan(plan.branch_schema(index), root, provider.natural if provider else None)
            recurring = self._enter(sub)
            try:
                return self._from_plan(sub, name, root, provider)
            finally:
                self._leave(sub, recurring)
        flat = plan.flat
        if "const" in flat:
            return copy.deepcopy(flat["const"])
        if "enum" in flat:
            if plan.enum is None:
                check = self._validator(plan.source, root).is_valid
                plan.enum = [v for v in flat["enum"] if check(v)]
            if not plan.enum:
                raise ValueGenerationError(f"no enum value of {flat['enum']!r} satisfies the schema")
            return copy.deepcopy(rng.choice(plan.enum))
        if ("default" in flat or "examples" in flat) and rng.random() < (
                _EXAMPLE_RATE if "examples" in flat else _PRESET_RATE):
            if plan.presets is None:
                check = self._validator(plan.source, root).is_valid
                found = [flat["default"]] if "default" in flat else []
                found += flat.get("examples", []) if isinstance(flat.get("examples"), list) else []
                plan.presets = [v for v in found if check(v)]
            if plan.presets:
                return copy.deepcopy(rng.choice(plan.presets))
        kind = self._pick_type(plan, provider)
        if kind == "null":
            return None
        if kind == "boolean":
            maker = provider.makes.get("boolean") if provider else None
            return bool(maker(self._faker, rng, name)) if maker else rng.random() < 0.5
        if kind == "integer":
            return _numbers.integer(flat, rng, self._hint(provider, name, ("integer", "number")))
        if kind == "number":
            return _numbers.number(flat, rng, self._hint(provider, name, ("number", "integer")))
        if kind == "string":
            return self._string(flat, name, provider)
        if kind == "array":
            return self._array(flat, name, root)
        return self._object(flat, root)

    def _pick_type(self, plan: Plan, provider: Provider | None) -> str:
        types, rng = plan.types, self._rng
        if plan.nullable and (not types or rng.random() < _NULL_RATE):
            return "null"
        if not types:
            return provider.natural if provider else rng.choice(_ANY_TYPES)
        if len(types) == 1:
            return types[0]
        if provider is not None:
            natural = provider.natural
            if natural in types or (natural == "integer" and "number" in types):
                return natural
        return rng.choice(types)

    def _hint(self, provider: Provider | None, name: str, kinds: tuple[str, ...]) -> Any:
        if provider is None:
            return None
        maker = next((provider.makes[k] for k in kinds if k in provider.makes), None)
        return maker(self._faker, self._rng, name) if maker else None

    def _string(self, flat: dict[str, Any], name: str, provider: Provider | None) -> str:
        rng = self._rng
        low, high = int(flat.get("minLength", 0)), flat.get("maxLength")
        fmt = flat.get("format")
        patterns = list(flat.get("x-patterns") or ([flat["pattern"]] if "pattern" in flat else []))
        by_format = provider_for_format(fmt) if isinstance(fmt, str) else None
        if by_format is not None and (provider is None or provider.fmt != fmt):
            provider = by_format
        kinds = ("string", "number", "integer")
        maker = next((provider.makes[k] for k in kinds if k in provider.makes), None) if provider else None
        if patterns:
            # a realistic value first (a currency code for ^[A-Z]{3}$), else one built from the pattern
            realistic = [str(maker(self._faker, rng, name)) for _ in range(2)] if maker is not None else []
            for text in realistic:
                if len(text) >= low and (high is None or len(text) <= high) and self._matches(text, patterns):
                    return text
            for _ in range(6):
                text = generate_matching(patterns[0], rng, min_length=low, max_length=high)
                if self._matches(text, patterns[1:]) and (not fmt or _FORMATS.conforms(text, fmt)):
                    return text
            raise ValueGenerationError(f"no string matches all of {patterns!r} (format {fmt!r})")
        for _ in range(8):
            text = str(maker(self._faker, rng, name)) if maker else self._faker.word()
            fitted = _numbers.fit_length(text, low, high, by_format is not None, self._faker)
            if fitted is not None:
                return fitted
        fallback = sized_format(fmt, low, high, rng) if isinstance(fmt, str) else None
        if fallback is not None:
            return fallback
        raise ValueGenerationError(f"cannot make a {fmt} string with length in [{low}, {high}]")

    @staticmethod
    def _matches(text: str, patterns: list[str]) -> bool:
        return all(_numbers.search(p, text) for p in patterns)

    def _array(self, flat: dict[str, Any], name: str, root: Any) -> list[Any]:
        rng = self._rng
        items = flat.get("items", True)
        prefix = list(flat.get("prefixItems", []))
        if isinstance(items, list):
            prefix, items = items, flat.get("additionalItems", True)
        low, high = int(flat.get("minItems", 0)), flat.get("maxItems")
        if items is False:
            high = len(prefix) if high is None else min(high, len(prefix))
        contains = flat.get("contains")
        need = int(flat.get("minContains", 1)) if contains is not None else 0
        size = max(low, need) if self._minimal else max(low, need, rng.randint(1, 3), min(len(prefix), 3))
        if high is not None:
            size = min(size, int(high))
        if size < max(low, need):
            raise ValueGenerationError(f"array needs {max(low, need)} items but allows at most {high}")
        hits = set(rng.sample(range(size), need)) if need else set()
        unique = flat.get("uniqueItems") is True
        item_name = singular(name) if name else ""
        out: list[Any] = []
        seen: set[Any] = set()
        for i in range(size):
            sub = prefix[i] if i < len(prefix) else items
            if i in hits:
                sub = self._conj(sub, contains)
            for _ in range(16 if unique else 1):
                value = self._generate(sub, item_name, root)
                key = unique_key(value) if unique else None
                if key not in seen:
                    break
            else:
                if len(out) >= low:  # a shorter array is still valid
                    break
                raise ValueGenerationError("cannot find enough distinct items for uniqueItems")
            if unique:
                seen.add(key)
            out.append(value)
        return out

    def _object(self, flat: dict[str, Any], root: Any) -> dict[str, Any]:
        rng = self._rng
        props: dict[str, Any] = flat.get("properties", {})
        required = list(dict.fromkeys(flat.get("required", [])))
        extra = flat.get("additionalProperties", True)
        patterns: dict[str, Any] = flat.get("patternProperties", {})
        low, high = int(flat.get("minProperties", 0)), flat.get("maxProperties")
        deps = {k: v for k, v in flat.get("dependentRequired", {}).items()}
        deps.update({k: v for k, v in flat.get("dependencies", {}).items() if isinstance(v, list)})
        keys = [k for k in props if k in required
                or (props[k] is not False and not self._minimal and rng.random() < _OPTIONAL_RATE)]
        keys += [k for k in required if k not in props]
        for key in keys:
            keys.extend(d for d in deps.get(key, []) if d not in keys)
        if high is not None and len(keys) > high:
            pinned = set(required) | {d for k in required for d in deps.get(k, [])}
            droppable = [k for k in keys if k not in pinned]
            rng.shuffle(droppable)
            drop = set(droppable[: len(keys) - int(high)])
            keys = [k for k in keys if k not in drop]
            if len(keys) > high:
                raise ValueGenerationError(f"{len(keys)} required properties exceed maxProperties {high}")
        keys += [k for k in props if k not in keys and props[k] is not False][: max(0, low - len(keys))]
        out: dict[str, Any] = {}
        for key in keys:
            out[key] = self._generate(self._property_schema(flat, key), key, root)
        wanted = low - len(out)
        if not props and not patterns and not self._minimal and extra is not False:
            wanted = max(wanted, rng.randint(1, 2))
        if high is not None:
            wanted = min(wanted, int(high) - len(out))
        for _ in range(max(0, wanted)):
            key = self._new_key(flat, out, root)
            out[key] = self._generate(self._property_schema(flat, key), key, root)
        return out

    def _property_schema(self, flat: dict[str, Any], key: str) -> Any:
        props = flat.get("properties", {})
        matched = [s for p, s in flat.get("patternProperties", {}).items() if _numbers.search(p, key)]
        if key in props:
            schema = props[key]
        elif matched:
            schema = matched.pop(0)
        else:
            schema = flat.get("additionalProperties", True)
        if schema is False:
            raise ValueGenerationError(f"property {key!r} is required but not allowed")
        for more in matched:
            schema = self._conj(schema, more)
        return schema

    def _new_key(self, flat: dict[str, Any], taken: dict[str, Any], root: Any) -> str:
        patterns = list(flat.get("patternProperties", {}))
        names = flat.get("propertyNames")
        for _ in range(24):
            if flat.get("additionalProperties", True) is False or (patterns and self._rng.random() < 0.5):
                if not patterns:
                    break
                key = generate_matching(self._rng.choice(patterns), self._rng, min_length=1)
            elif names is not None:
                key = self._generate(self._conj(_STRING, names), "key", root)
            else:
                key = self._faker.word()
            if key not in taken and key not in flat.get("properties", {}):
                return key
        raise ValueGenerationError("cannot find a new property name for minProperties")


_LOCAL = threading.local()


def generate_value(schema: dict[str, Any], *, name: str = "", seed: int = 0) -> Any:
    """One value for ``schema`` under ``seed`` (a per-thread factory is reused between calls)."""
    factory: ValueFactory | None = getattr(_LOCAL, "factory", None)
    if factory is None:
        factory = _LOCAL.factory = ValueFactory(seed)
    factory.reseed(seed)
    return factory.value(schema, name=name)
