"""Structured perturbations of a gold assistant step: the offline MCTS actions.

Each perturbation makes one mistake a tool-calling model makes, and is built from the
gold step, the tools and the prefix with a seeded ``random.Random``:

* ``wrong_tool`` -- another tool is called with the arguments that fit it (required
  ones it lacks get a same-typed value from the gold arguments);
* ``missing_required`` -- one required argument is left out;
* ``extra_param`` -- an argument the schema does not know is added;
* ``wrong_value`` -- one argument gets a different value of the right type (another
  enum member, a shifted number or date, another string seen in the dialogue);
* ``swapped_params`` -- the values of two same-typed arguments are exchanged;
* ``premature_answer`` -- a text answer that claims the result instead of calling;
* ``spurious_call`` -- a call where the gold step calls nothing (the last call of the
  dialogue repeated, else the first tool with values for its required parameters).

For a call step the first five apply to one call (the others stay as they are); for a
no-call step only ``spurious_call`` applies. A perturbation that cannot be made (one
tool only, no required argument...) is skipped.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

from turnloom.itool._ast import normalize_string
from turnloom.schema import Message, ToolCall, ToolSpec, derive_seed

__all__ = ["PERTURBATIONS", "perturb_step"]

PERTURBATIONS: tuple[str, ...] = ("wrong_tool", "missing_required", "extra_param", "wrong_value",
                                  "swapped_params", "premature_answer", "spurious_call")

_PREMATURE = (
    "Done! I've taken care of that for you.",
    "All set: your request has been completed.",
    "I have checked that for you and everything is in order.",
)
_EXTRA_NAMES = ("notes", "priority", "verbose", "session_token", "source")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _typed_default(schema: Any, rng: random.Random) -> Any:
    t = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(schema, dict) and schema.get("enum"):
        return rng.choice(schema["enum"])
    return {"integer": 1, "number": 1.0, "boolean": True, "array": [], "object": {}}.get(str(t), "unknown")


def _same_type(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return True
    return type(a) is type(b)


def _strings(prefix: list[Message]) -> list[str]:
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str) and 2 <= len(v) <= 40:
            out.append(v)

    for m in prefix:
        for c in m.tool_calls:
            walk(c.arguments)
        if m.result is not None and m.result.ok:
            walk(m.result.content)
    return sorted(set(out))


def _other_value(value: Any, schema: Any, prefix: list[Message], rng: random.Random) -> Any:
    enum = schema.get("enum") if isinstance(schema, dict) else None
    if enum:
        others = [e for e in enum if e != value]
        return rng.choice(others) if others else None
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        lo = schema.get("minimum") if isinstance(schema, dict) else None
        hi = schema.get("maximum") if isinstance(schema, dict) else None
        for cand in (value + 1, value - 1, value + 2):
            if (lo is None or cand >= lo) and (hi is None or cand <= hi):
                return cand
        return None
    if isinstance(value, float):
        return round(value * 1.5 + 1.0, 2)
    if isinstance(value, str):
        if _DATE.match(value):
            try:
                return (dt.date.fromisoformat(value) + dt.timedelta(days=rng.choice((1, 2, 7)))).isoformat()
            except ValueError:
                pass
        pool = [s for s in _strings(prefix) if normalize_string(s) != normalize_string(value)
                and not _DATE.match(s)]
        if pool:
            return rng.choice(pool)
        return f"{value} Annex" if value else "unknown"
    if isinstance(value, list) and value:
        return value[:-1]
    return None


def _with(gold: Message, k: int, call: ToolCall) -> Message:
    calls = list(gold.tool_calls)
    calls[k] = call
    return Message(role="assistant", content=gold.content or "", tool_calls=calls)


def _wrong_tool(call: ToolCall, tools: dict[str, ToolSpec], rng: random.Random) -> ToolCall | None:
    others = sorted(n for n in tools if n != call.name)
    if not others:
        return None
    shared = [n for n in others if set(tools[n].properties) & set(call.arguments)]
    name = rng.choice(shared or others)
    spec = tools[name]
    args = {k: v for k, v in call.arguments.items() if k in spec.properties}
    for p in spec.required:
        if p not in args:
            donor = [v for v in call.arguments.values() if _same_type(v, _typed_default(spec.properties.get(p), rng))]
            args[p] = donor[0] if donor else _typed_default(spec.properties.get(p), rng)
    return ToolCall(id=call.id, name=name, arguments=args)


def _call_perturbations(gold: Message, tools: dict[str, ToolSpec], prefix: list[Message],
                        rng: random.Random) -> list[tuple[str, Message]]:
    out: list[tuple[str, Message]] = []
    k = rng.randrange(len(gold.tool_calls))
    call = gold.tool_calls[k]
    spec = tools.get(call.name)
    props = spec.properties if spec is not None else {}
    wrong = _wrong_tool(call, tools, rng)
    if wrong is not None:
        out.append(("wrong_tool", _with(gold, k, wrong)))
    required = [p for p in (spec.required if spec is not None else []) if p in call.arguments]
    if required:
        drop = rng.choice(required)
        args = {a: v for a, v in call.arguments.items() if a != drop}
        out.append(("missing_required", _with(gold, k, call.model_copy(update={"arguments": args}))))
    extra = next((n for n in rng.sample(_EXTRA_NAMES, len(_EXTRA_NAMES)) if n not in props), None)
    if extra is not None:
        args = {**call.arguments, extra: "yes"}
        out.append(("extra_param", _with(gold, k, call.model_copy(update={"arguments": args}))))
    keys = sorted(call.arguments)
    for key in rng.sample(keys, len(keys)):
        new = _other_value(call.arguments[key], props.get(key), prefix, rng)
        if new is not None and new != call.arguments[key]:
            args = {**call.arguments, key: new}
            out.append(("wrong_value", _with(gold, k, call.model_copy(update={"arguments": args}))))
            break
    swaps = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
             if _same_type(call.arguments[a], call.arguments[b]) and call.arguments[a] != call.arguments[b]
             and not isinstance(call.arguments[a], (list, dict))]
    if swaps:
        a, b = rng.choice(swaps)
        args = {**call.arguments, a: call.arguments[b], b: call.arguments[a]}
        out.append(("swapped_params", _with(gold, k, call.model_copy(update={"arguments": args}))))
    out.append(("premature_answer", Message(role="assistant", content=rng.choice(_PREMATURE))))
    return out


def _spurious_call(tools: dict[str, ToolSpec], prefix: list[Message], seed: int,
                   rng: random.Random) -> Message | None:
    last = next((c for m in reversed(prefix) for c in reversed(m.tool_calls)), None)
    call_id = f"call_{derive_seed(seed, 'spurious') % 16**10:010x}"
    if last is not None and last.name in tools:
        return Message(role="assistant", content="", tool_calls=[
            ToolCall(id=call_id, name=last.name, arguments=dict(last.arguments))])
    if not tools:
        return None
    spec = tools[sorted(tools)[0]]
    args = {p: _typed_default(spec.properties.get(p), rng) for p in spec.required}
    return Message(role="assistant", content="", tool_calls=[ToolCall(id=call_id, name=spec.name, arguments=args)])


def perturb_step(gold: Message, tools: list[ToolSpec], prefix: list[Message], seed: int) -> list[tuple[str, Message]]:
    """(perturbation name, assistant message) for every perturbation that applies."""
    rng = random.Random(seed)
    specs = {t.name: t for t in tools}
    if gold.tool_calls:
        return _call_perturbations(gold, specs, prefix, rng)
    spurious = _spurious_call(specs, prefix, seed, rng)
    return [("spurious_call", spurious)] if spurious is not None else []
