"""Reading JSON out of model text: strip code fences, find the object, repair common slips.

Small and local models wrap JSON in prose or Markdown fences, leave trailing commas,
write Python literals or stop before closing every bracket. These helpers recover
what can be recovered without guessing at content; anything else raises
:class:`JSONRepairError` with a message that can be fed back to the model.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = [
    "JSONRepairError",
    "describe_validation_error",
    "parse_arguments",
    "parse_json_object",
    "validate_json_text",
]

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
_PY_LITERALS = {"True": "true", "False": "false", "None": "null"}


class JSONRepairError(ValueError):
    """The text holds no JSON object that could be read, even after repair."""


def _balanced_span(text: str, start: int) -> tuple[str, bool]:
    """The text from ``start`` (an opening brace) to its matching close; flag whether it closed."""
    stack: list[str] = []
    in_string = False
    escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if stack and stack[-1] == ch:
                stack.pop()
            if not stack:
                return text[start : i + 1], True
    # unterminated (typically cut off by max_tokens): close what is open
    tail = text[start:]
    if in_string:
        tail += '"'
    return tail + "".join(reversed(stack)), False


def _replace_outside_strings(text: str) -> str:
    """Python literals (True/False/None) to JSON, leaving string contents alone."""
    out: list[str] = []
    i = 0
    in_string = False
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_string = False
            i += 1
            continue
        if ch == '"':
            in_string = True
            out.append(ch)
            i += 1
            continue
        for word, repl in _PY_LITERALS.items():
            if text.startswith(word, i) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
                end = i + len(word)
                if end >= len(text) or not (text[end].isalnum() or text[end] == "_"):
                    out.append(repl)
                    i = end
                    break
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _loads_with_repair(candidate: str) -> Any:
    attempts = [candidate]
    fixed = _TRAILING_COMMA.sub(r"\1", candidate.translate(_SMART_QUOTES))
    attempts.append(fixed)
    attempts.append(_replace_outside_strings(fixed))
    if '"' not in fixed and "'" in fixed:
        attempts.append(_replace_outside_strings(fixed.replace("'", '"')))
    last: json.JSONDecodeError | None = None
    for text in attempts:
        try:
            return json.loads(text, strict=False)
        except json.JSONDecodeError as err:
            last = err
    assert last is not None
    raise JSONRepairError(f"invalid JSON ({last.msg} at line {last.lineno} column {last.colno})")


def parse_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in ``text`` (code fences and surrounding prose are ignored)."""
    if not text or not text.strip():
        raise JSONRepairError("the reply is empty; expected a JSON object")
    body = text.strip()
    fenced = _FENCE.search(body)
    if fenced:
        body = fenced.group(1).strip()
    start = body.find("{")
    if start < 0:
        raise JSONRepairError("the reply contains no JSON object (no '{' found)")
    candidate, _closed = _balanced_span(body, start)
    value = _loads_with_repair(candidate)
    if not isinstance(value, dict):
        raise JSONRepairError(f"expected a JSON object, got {type(value).__name__}")
    return value


def parse_arguments(raw: str | dict[str, Any] | None) -> dict[str, Any]:
    """Tool-call arguments (a JSON object as text) to a dict, repairing what can be repaired."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return raw
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return parse_json_object(raw)
    if isinstance(value, str):  # arguments double-encoded as a JSON string
        return parse_arguments(value)
    if not isinstance(value, dict):
        raise JSONRepairError(f"arguments must be a JSON object, got {type(value).__name__}")
    return value


def describe_validation_error(err: ValidationError, *, limit: int = 6) -> str:
    """A short, model-readable summary of a pydantic validation error."""
    parts = []
    for item in err.errors()[:limit]:
        loc = ".".join(str(p) for p in item.get("loc", ())) or "<root>"
        parts.append(f"{loc}: {item.get('msg', 'invalid')}")
    more = len(err.errors()) - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


def validate_json_text(text: str, model: type[BaseModel]) -> BaseModel:
    """Parse-and-repair ``text`` then validate it into ``model`` (errors as :class:`JSONRepairError`)."""
    obj = parse_json_object(text)
    try:
        return model.model_validate(obj)
    except ValidationError as err:
        raise JSONRepairError(describe_validation_error(err)) from err
