"""The API pool: a list of :class:`~turnloom.schema.ToolSpec` stored as JSONL.

``load_pool`` reads a pool (JSONL, one tool a line, or a JSON array) and reports every
problem as ``FILE:LINE: field.path: expected ...``; ``save_pool`` writes one atomically
and byte-for-byte deterministically; ``pool_stats`` summarizes a pool and lists the
definition problems ToolACE's rule checker cares about (API definition clarity).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from pydantic import ValidationError

from turnloom.files import atomic_write_text
from turnloom.schema import ToolSpec, canonical_json
from turnloom.tools_env.infer_returns import INFERRED_TAG
from turnloom.tools_env.values import schema_cycles

__all__ = [
    "PROBLEM_KINDS", "READ_VERBS", "VERBS", "PoolError", "PoolProblem", "PoolSchemaError", "PoolStats",
    "atomic_write_text",
    "builtin_pool", "group_key", "load_pool", "meta_error", "phrase", "plural", "pool_stats", "pool_to_jsonl",
    "resolve_pool", "save_pool", "schema_problems", "singular", "tool_problems", "type_label", "verb_entity",
    "words",
]

#: every kind of problem :func:`tool_problems` / :func:`pool_stats` can report
PROBLEM_KINDS: tuple[str, ...] = (
    "missing_tool_description",
    "missing_param_description",
    "duplicate_name",
    "invalid_schema",
    "required_not_in_properties",
    "param_without_type",
)

_UNTYPED = "(untyped)"
#: validates schemas against the 2020-12 meta-schema (what ``check_schema`` does, built once)
_META = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)


@lru_cache(maxsize=8192)
def _meta_error_of(text: str) -> tuple[str, str] | None:
    error = best_match(_META.iter_errors(json.loads(text)))
    return None if error is None else (".".join(str(p) for p in error.absolute_path), error.message)


def meta_error(schema: Any) -> tuple[str, str] | None:
    """``(path, message)`` of the first meta-schema violation, or None: ``check_schema``, with
    each property's sub-schema checked (and memoized) on its own so shared parts cost once."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return _meta_error_of(canonical_json(schema))
    error = _meta_error_of(canonical_json({**schema, "properties": dict.fromkeys(props, {})}))
    for key, sub in props.items():
        if error is not None:
            break
        inner = meta_error(sub)
        error = None if inner is None else (".".join(x for x in ("properties", key, inner[0]) if x), inner[1])
    return error


class PoolError(ValueError):
    """A pool file that cannot be read; the message names the file, line and field."""


class PoolSchemaError(PoolError):
    """A pool tool whose schema no value can ever fit (a ``$ref`` loop or a required cycle)."""


_EXPECTED = {
    "missing": "a value (the field is required)",
    "extra_forbidden": f"no such field (allowed: {', '.join(ToolSpec.model_fields)})",
    "string_pattern_mismatch": "a name of letters, digits, '_', '.', '-' (a letter or '_' first, max 64)",
    "string_type": "a string",
    "dict_type": "an object",
    "model_type": "an object",
    "list_type": "a list",
}


def _spec_error(exc: ValidationError, prefix: str) -> str:
    err = exc.errors()[0]
    loc = ".".join([*([prefix] if prefix else []), *map(str, err.get("loc", ()))]) or "(tool)"
    return f"{loc}: expected {_EXPECTED.get(err['type'], 'a valid value (' + err['msg'] + ')')}"


def _parse_tool(data: Any, where: str, prefix: str = "") -> ToolSpec:
    if not isinstance(data, dict):
        raise PoolError(f"{where}: {prefix or '(tool)'}: expected a JSON object, got {type(data).__name__}")
    try:
        tool = ToolSpec.model_validate(data)
    except ValidationError as exc:
        raise PoolError(f"{where}: {_spec_error(exc, prefix)}") from None
    for part, schema in (("parameters", tool.parameters), ("returns", tool.returns)):
        cycles = schema_cycles(schema)
        if cycles:
            loc = f"{prefix}.{part}" if prefix else part
            raise PoolSchemaError(f"{where}: {loc}: tool {tool.name!r}: {cycles[0]}")
    return tool


def _parse_array(text: str, name: str) -> list[ToolSpec]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PoolError(f"{name}:{exc.lineno}: (json): expected valid JSON ({exc.msg})") from None
    if not isinstance(data, list):
        raise PoolError(f"{name}:1: (root): expected a JSON array of tools")
    decoder, lines, pos = json.JSONDecoder(), [], text.index("[") + 1
    for _ in data:  # the line each element starts on, for the messages
        while text[pos] in " \t\r\n,":
            pos += 1
        lines.append(text.count("\n", 0, pos) + 1)
        pos = decoder.raw_decode(text, pos)[1]
    pairs = enumerate(zip(data, lines, strict=True))
    return [_parse_tool(item, f"{name}:{line}", f"[{i}]") for i, (item, line) in pairs]


def _parse_lines(text: str, name: str) -> list[ToolSpec]:
    tools = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"{name}:{lineno}: (json): expected one JSON object per line ({exc.msg})"
            raise PoolError(msg) from None
        tools.append(_parse_tool(data, f"{name}:{lineno}"))
    return tools


def load_pool(path: str | Path) -> list[ToolSpec]:
    """Read a pool: JSONL of ToolSpec objects, or a JSON array of them."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PoolError(f"{p}: no such file (expected a pool JSONL file or 'builtin')") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PoolError(f"{p}: cannot read ({exc})") from None
    if text.lstrip().startswith("["):
        return _parse_array(text, str(p))
    return _parse_lines(text, str(p))


def pool_to_jsonl(tools: Iterable[ToolSpec]) -> str:
    """The JSONL text of a pool (fields in model order, property order kept)."""
    lines = [json.dumps(t.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) for t in tools]
    return "".join(line + "\n" for line in lines)


def save_pool(tools: Iterable[ToolSpec], path: str | Path) -> None:
    """Write a pool as JSONL, atomically; the same tools always give the same bytes."""
    atomic_write_text(path, pool_to_jsonl(tools))


def _builtin_resource() -> Any:
    return resources.files("turnloom.tools_env") / "data" / "pool.jsonl"


def builtin_pool() -> list[ToolSpec]:
    """The pool shipped with the package (``turnloom/tools_env/data/pool.jsonl``)."""
    res = _builtin_resource()
    if not res.is_file():
        raise PoolError("builtin: the package has no data/pool.jsonl (expected a shipped pool)")
    with resources.as_file(res) as p:
        return load_pool(p)


def resolve_pool(spec: str) -> list[ToolSpec]:
    """``"builtin"`` for the shipped pool, anything else is a path to a pool file."""
    if spec == "builtin":
        return builtin_pool()
    return load_pool(spec)


# -- names -------------------------------------------------------------------------------------

_READ_TEXT = """
get search find list fetch lookup query read check track recommend estimate compute calculate convert
translate verify validate summarize transliterate detect analyze compare suggest predict preview quote
browse view show describe retrieve
"""
_CHANGE_TEXT = """
create add book reserve place post update set edit modify delete remove
cancel send transfer pay buy order schedule upload download start stop rent register subscribe share submit
rate review plot generate write play react mark reschedule move close open enroll invite archive star pause
resume like follow unfollow approve reject assign mute lock unlock turn apply request refill renew return
refund redeem reply forward upgrade rename save clear reset restore withdraw confirm join leave
"""
#: verbs of side-effect-free operations
READ_VERBS = frozenset(_READ_TEXT.split())
#: leading words read as the operation verb of a tool name (``search`` in ``search_hotels``)
VERBS = READ_VERBS | frozenset(_CHANGE_TEXT.split())
_LINKS = frozenset({"by", "with", "for", "and", "in", "on", "of", "within", "to", "from"})


def words(name: str) -> list[str]:
    """The lower-case words of a name (snake_case, camelCase, dots and dashes all split)."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", s.lower()) if w]


def phrase(name: str) -> str:
    return " ".join(words(name))


def plural(word: str) -> str:
    if word.endswith("s") and not word.endswith("ss"):
        return word
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "es" if re.search(r"(s|x|z|ch|sh)$", word) else word + "s"


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(ss|x|ch|sh)es$", word):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith(("ss", "us", "is")) else word


def verb_entity(name: str) -> tuple[str, list[str]]:
    """The leading verb ("" when none) and the entity words up to the first link word."""
    ws = words(name)
    verb = ws[0] if ws and ws[0] in VERBS else ""
    entity: list[str] = []
    for w in ws[1 if verb else 0 :]:
        if w in _LINKS:
            break
        entity.append(w)
    return verb, entity


def group_key(name: str) -> str:
    """The function group of a tool: its entity in the singular (``hotel``), else its verb."""
    verb, entity = verb_entity(name)
    if entity:
        return singular(entity[-1])
    return verb or next(iter(words(name)), "misc")


# -- checks ------------------------------------------------------------------------------------


def type_label(schema: Any) -> str:
    """A short label for a property schema's type (``"(untyped)"`` when it has none)."""
    if not isinstance(schema, dict):
        return _UNTYPED
    t = schema.get("type")
    if isinstance(t, str):
        return t
    if isinstance(t, list) and t:
        return "|".join(str(x) for x in t)
    if "enum" in schema or "const" in schema:
        return "enum"
    if any(k in schema for k in ("anyOf", "oneOf", "allOf")):
        return "union"
    if "$ref" in schema:
        return "ref"
    return _UNTYPED


def _iter_objects(schema: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object-like sub-schema (with ``properties`` or ``required``) and its path."""
    if not isinstance(schema, dict):
        return
    if "properties" in schema or "required" in schema:
        yield path, schema
    props = schema.get("properties")
    if isinstance(props, dict):
        for key, sub in props.items():
            yield from _iter_objects(sub, f"{path}.{key}" if path else key)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _iter_objects(items, f"{path}[]")
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key) or []):
            yield from _iter_objects(sub, f"{path}.{key}[{i}]" if path else f"{key}[{i}]")


def schema_problems(schema: Any, where: str) -> list[tuple[str, str]]:
    """``(kind, detail)`` for an invalid JSON Schema or ``required`` names missing from ``properties``."""
    if not isinstance(schema, dict):
        return [("invalid_schema", f"{where}: expected a JSON Schema object")]
    error = meta_error(schema)
    if error is not None:
        loc, message = error
        return [("invalid_schema", f"{where}{'.' + loc if loc else ''}: {message}")]
    out = []
    for path, obj in _iter_objects(schema, ""):
        props = obj.get("properties") or {}
        missing = [r for r in obj.get("required") or [] if r not in props]
        if missing:
            at = f"{where}.{path}" if path else where
            out.append(("required_not_in_properties", f"{at}: required {missing} not in properties"))
    return out


def tool_problems(tool: ToolSpec) -> list[tuple[str, str]]:
    """Definition problems of one tool as ``(kind, detail)`` pairs."""
    out: list[tuple[str, str]] = []
    if not tool.description.strip():
        out.append(("missing_tool_description", "the tool has no description"))
    out.extend(schema_problems(tool.parameters, "parameters"))
    if tool.returns is not None:
        out.extend(schema_problems(tool.returns, "returns"))
    if tool.parameters.get("type", "object") != "object":
        out.append(("invalid_schema", "parameters: expected type 'object'"))
    props = tool.parameters.get("properties")
    for name, sub in (props or {}).items() if isinstance(props, dict) else ():
        if not isinstance(sub, dict) or not str(sub.get("description", "")).strip():
            out.append(("missing_param_description", f"parameter {name!r} has no description"))
    for path, obj in _iter_objects(tool.parameters, ""):
        for name, sub in (obj.get("properties") or {}).items():
            if type_label(sub) == _UNTYPED:
                at = f"{path}.{name}" if path else name
                out.append(("param_without_type", f"parameter {at!r} has no type"))
    return out


@dataclass
class PoolProblem:
    tool: str
    kind: str
    detail: str


@dataclass
class PoolStats:
    total: int = 0
    #: tools with a ``returns`` schema, declared or inferred (tagged ``returns:inferred``)
    with_returns: int = 0
    inferred_returns: int = 0
    domains: dict[str, int] = field(default_factory=dict)
    param_types: dict[str, int] = field(default_factory=dict)
    verbs: dict[str, int] = field(default_factory=dict)
    params_total: int = 0
    problems: list[PoolProblem] = field(default_factory=list)

    def problem_counts(self) -> dict[str, int]:
        counts = Counter(p.kind for p in self.problems)
        return {k: counts[k] for k in PROBLEM_KINDS if counts[k]}

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "problem_counts": self.problem_counts()}


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def pool_stats(tools: Iterable[ToolSpec]) -> PoolStats:
    """Counts by domain and parameter type, tools with returns, and every definition problem."""
    tools = list(tools)
    domains: Counter[str] = Counter()
    types: Counter[str] = Counter()
    names: Counter[str] = Counter()
    verbs: Counter[str] = Counter()
    problems: list[PoolProblem] = []
    with_returns = inferred = 0
    for tool in tools:
        domains[tool.domain] += 1
        names[tool.name] += 1
        verbs[verb_entity(tool.name)[0] or "(none)"] += 1
        if names[tool.name] == 2:
            problems.append(PoolProblem(tool.name, "duplicate_name", "the name is used by several tools"))
        if tool.returns is not None:
            with_returns += 1
            inferred += INFERRED_TAG in tool.tags
        for sub in tool.properties.values():
            types[type_label(sub)] += 1
        problems.extend(PoolProblem(tool.name, kind, detail) for kind, detail in tool_problems(tool))
    return PoolStats(
        total=len(tools),
        with_returns=with_returns,
        inferred_returns=inferred,
        domains=_sorted_counts(domains),
        param_types=_sorted_counts(types),
        verbs=_sorted_counts(verbs),
        params_total=sum(types.values()),
        problems=problems,
    )
