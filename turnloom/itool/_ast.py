"""BFCL-style AST comparison of a model's assistant step with the gold one.

Per call (``bfcl_eval``'s ``simple_function_checker``, with the gold call as the only
acceptable answer):

* the function name matches;
* every required parameter is present and no parameter is unknown to the schema;
* types match the schema (an integer is accepted where a number/float is expected;
  booleans are never numbers);
* values match after normalization: strings lower-cased with spaces and ``,./-_*^``
  removed (and ``'`` read as ``"``), numbers by value, lists element-wise in order,
  objects key by key;
* a parameter the gold call has but the model left out passes only when the gold
  value is the parameter's declared default (BFCL's ``""`` "may be omitted" answer);
  a parameter the model added that the gold call lacks passes only when its value is
  the declared default.

Per step: gold calls against model calls with equal counts, matched in any order
(BFCL's ``parallel`` category); a gold step without calls (chit-chat, an irrelevant
request, a closing, a clarifying question, a summary) passes only when the model makes
no call (BFCL's irrelevance), and a gold step with calls fails when the model makes
none (relevance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from turnloom.schema import Message, ToolCall, ToolSpec

__all__ = ["StepMatch", "match_call", "match_step", "normalize_string", "values_match"]

_STRIP = re.compile(r"[ ,./\-_*^]")
_MISSING = object()


def normalize_string(value: str) -> str:
    """BFCL's ``standardize_string``: drop spaces and ``,./-_*^``, lower-case, ``'`` -> ``"``."""
    return _STRIP.sub("", value).lower().replace("'", '"')


def _schema_type(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    return {"float": "number", "dict": "object", "tuple": "array", "any": None}.get(t, t) if isinstance(t, str) else t


def _type_ok(value: Any, expected: str | None) -> bool:
    if expected is None:
        return True
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "array":
        return isinstance(value, list)
    if expected == "object":
        return isinstance(value, dict)
    if expected == "null":
        return value is None
    return True


def values_match(model: Any, gold: Any, schema: Any = None) -> tuple[bool, str]:
    """(match, reason) for one parameter value against the gold value under ``schema``."""
    expected = _schema_type(schema)
    if expected is None:
        expected = _value_type(gold)
    if not _type_ok(model, expected):
        return False, f"type {type(model).__name__}, expected {expected}"
    if isinstance(gold, bool) or isinstance(model, bool):
        return (model == gold, "" if model == gold else f"{model!r} != {gold!r}")
    if isinstance(gold, (int, float)) and isinstance(model, (int, float)):
        return (float(model) == float(gold), "" if float(model) == float(gold) else f"{model!r} != {gold!r}")
    if isinstance(gold, str) and isinstance(model, str):
        ok = normalize_string(model) == normalize_string(gold)
        return ok, "" if ok else f"{model!r} != {gold!r}"
    if isinstance(gold, list) and isinstance(model, list):
        if len(model) != len(gold):
            return False, f"{len(model)} items, expected {len(gold)}"
        items = schema.get("items") if isinstance(schema, dict) else None
        for k, (m, g) in enumerate(zip(model, gold, strict=True)):
            ok, why = values_match(m, g, items)
            if not ok:
                return False, f"[{k}]: {why}"
        return True, ""
    if isinstance(gold, dict) and isinstance(model, dict):
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        if set(model) != set(gold):
            return False, f"keys {sorted(model)}, expected {sorted(gold)}"
        for key in sorted(gold):
            ok, why = values_match(model[key], gold[key], props.get(key))
            if not ok:
                return False, f".{key}: {why}"
        return True, ""
    ok = model == gold
    return ok, "" if ok else f"{model!r} != {gold!r}"


def _value_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "number"  # an int gold value accepts a float of the same value
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else None


def match_call(model: ToolCall, gold: ToolCall, tool: ToolSpec | None) -> tuple[bool, str]:
    """(match, reason) for one call against the gold call (see the module docstring)."""
    if model.name != gold.name:
        return False, f"called {model.name}, expected {gold.name}"
    props = tool.properties if tool is not None else {}
    required = tool.required if tool is not None else list(gold.arguments)
    missing = [p for p in required if p not in model.arguments]
    if missing:
        return False, f"{model.name}: missing required {missing}"
    if tool is not None:
        unknown = sorted(set(model.arguments) - set(props))
        if unknown:
            return False, f"{model.name}: unknown parameters {unknown}"
    for key in sorted(set(model.arguments) | set(gold.arguments)):
        schema = props.get(key)
        default = schema.get("default", _MISSING) if isinstance(schema, dict) else _MISSING
        if key not in model.arguments:
            if default is _MISSING or not values_match(default, gold.arguments[key], schema)[0]:
                return False, f"{model.name}: missing {key}={gold.arguments[key]!r}"
            continue
        if key not in gold.arguments:
            if default is _MISSING or not values_match(model.arguments[key], default, schema)[0]:
                return False, f"{model.name}: unexpected {key}={model.arguments[key]!r}"
            continue
        ok, why = values_match(model.arguments[key], gold.arguments[key], schema)
        if not ok:
            return False, f"{model.name}.{key}: {why}"
    return True, ""


@dataclass(frozen=True)
class StepMatch:
    ok: bool
    reason: str = ""


def _assign(model: list[ToolCall], gold: list[ToolCall], tools: dict[str, ToolSpec], used: set[int],
            k: int) -> bool:
    if k == len(gold):
        return True
    for j, call in enumerate(model):
        if j in used or not match_call(call, gold[k], tools.get(gold[k].name))[0]:
            continue
        used.add(j)
        if _assign(model, gold, tools, used, k + 1):
            return True
        used.discard(j)
    return False


def match_step(model: Message | None, gold: Message, tools: list[ToolSpec] | dict[str, ToolSpec]) -> StepMatch:
    """Compare a model's assistant message with the gold one (``None``: the model gave nothing)."""
    specs = tools if isinstance(tools, dict) else {t.name: t for t in tools}
    calls = list(model.tool_calls) if model is not None else []
    if not gold.tool_calls:
        if calls:
            return StepMatch(False, f"called {[c.name for c in calls]} where no call belongs")
        if model is None:
            return StepMatch(False, "no answer")
        return StepMatch(True)
    if not calls:
        return StepMatch(False, f"answered without a call; expected {[c.name for c in gold.tool_calls]}")
    if len(calls) != len(gold.tool_calls):
        return StepMatch(False, f"{len(calls)} calls, expected {len(gold.tool_calls)}")
    if len(gold.tool_calls) == 1:
        ok, why = match_call(calls[0], gold.tool_calls[0], specs.get(gold.tool_calls[0].name))
        return StepMatch(ok, why)
    if _assign(calls, list(gold.tool_calls), specs, set(), 0):
        return StepMatch(True)
    reasons = []
    for g in gold.tool_calls:
        best = [match_call(c, g, specs.get(g.name)) for c in calls]
        if not any(ok for ok, _ in best):
            reasons.append(next(why for ok, why in best if not ok))
    return StepMatch(False, "; ".join(reasons) or "the calls cannot be paired one to one")
