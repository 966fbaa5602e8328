"""BFCL (Berkeley Function Calling Leaderboard) test entries and possible answers.

Every assistant turn that makes tool calls becomes one test entry, if it can stand on
its own:

* ``simple``: one call, and the dialogue offers exactly one function;
* ``multiple``: one call among the several functions the dialogue offers;
* ``parallel``: several calls in one assistant turn (the dialogue's functions offered;
  BFCL's checker matches the calls in any order).

The question is the exchange that led to the call: the messages of the current plan
step from the user's request up to the call -- user messages and assistant text, so a
clarification (user asks, assistant asks back, user answers) stays whole. Argument
values are looked for in the question the way BFCL compares strings (lower case,
spaces and ``,./-_*^`` removed; numbers by their decimal text). When one is missing:

* if it was stated earlier in the conversation (by the user, or by the assistant
  relaying a result), the question is made self-contained: it becomes the whole
  conversation so far, user messages and assistant text, without tool traffic;
* if it appears only in an earlier tool result, the turn is skipped
  (``depends_on_tool_output``): no question could state it without inventing text.

Other turns skipped, and counted by reason: ``after_tool_output`` (a tool result came
between the request and the call -- a chained or retried call that read that result),
``failed_call`` (a call of the turn came back as a tool error), ``unknown_tool`` and
``argument_not_in_schema`` (the call does not fit the offered functions, so BFCL's
checker would reject our own answer), ``no_user_request``.

Functions are converted to BFCL's dialect: ``parameters`` is ``{"type": "dict",
"properties", "required"}``; JSON Schema ``number`` becomes ``float``, ``object``
``dict``, and a missing, mixed or ``null`` type ``any``; nested ``items`` and
``properties`` are converted the same way (an array without ``items`` gets ``{"type":
"any"}``, which BFCL's checker needs). Possible answers list ``[value]`` for each
argument the gold call gives and ``[""]`` for each optional parameter it leaves out;
dict values are given key by key (``{key: [value]}``) as BFCL's dict checker expects.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from turnloom.export._openai import tool_message_text
from turnloom.schema import Dialogue, Message, ToolCall, ToolSpec, json_leaves

__all__ = [
    "BFCL_CATEGORIES",
    "BfclExport",
    "bfcl_file_name",
    "bfcl_function",
    "bfcl_ground_truth",
    "to_bfcl",
]

BFCL_CATEGORIES: tuple[str, ...] = ("simple", "multiple", "parallel")

_STANDARDIZE = re.compile(r"[ ,./\-_*^]")
_KEEP_KEYS = ("description", "enum", "default")


#: bfcl-eval's ``VERSION_PREFIX`` (``bfcl_eval.constants.category_mapping``): its data files and
#: the ones its runner reads are named ``<prefix>_<category>.json``
BFCL_FILE_PREFIX = "BFCL_v4"


def bfcl_file_name(category: str) -> str:
    return f"{BFCL_FILE_PREFIX}_turnloom_{category}.json"


@dataclass
class BfclExport:
    """Test entries and possible answers per category, plus skipped turns by reason."""

    entries: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {c: [] for c in BFCL_CATEGORIES})
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {c: [] for c in BFCL_CATEGORIES})
    skipped: Counter[str] = field(default_factory=Counter)
    #: entry id -> (dialogue id, index of the assistant message the entry was made from)
    sources: dict[str, tuple[str, int]] = field(default_factory=dict)

    def files(self) -> dict[str, list[dict[str, Any]]]:
        """Relative path -> records, for every category (empty categories give empty files)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for category in BFCL_CATEGORIES:
            out[bfcl_file_name(category)] = self.entries[category]
            out[f"possible_answer/{bfcl_file_name(category)}"] = self.answers[category]
        return out


# ---------------------------------------------------------------- function schemas


def _bfcl_type(schema: dict[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        concrete = [t for t in declared if t != "null"]
        declared = concrete[0] if len(concrete) == 1 else None
    if declared is None:
        if "properties" in schema:
            return "dict"
        if "items" in schema:
            return "array"
        return "any"
    return {
        "string": "string",
        "integer": "integer",
        "number": "float",
        "boolean": "boolean",
        "array": "array",
        "object": "dict",
    }.get(str(declared), "any")


def _bfcl_schema(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {"type": "any"}
    kind = _bfcl_type(schema)
    out: dict[str, Any] = {"type": kind}
    for key in _KEEP_KEYS:
        if key in schema:
            out[key] = schema[key]
    if kind == "array":
        items = schema.get("items")
        out["items"] = _bfcl_schema(items) if isinstance(items, dict) else {"type": "any"}
    elif kind == "dict" and "properties" in schema:
        props = schema.get("properties") or {}
        out["properties"] = {name: _bfcl_schema(sub) for name, sub in props.items()}
        required = [name for name in schema.get("required") or [] if name in props]
        if required:
            out["required"] = required
    return out


def bfcl_function(spec: ToolSpec) -> dict[str, Any]:
    """A tool in BFCL's function-document dialect."""
    props = spec.properties
    return {
        "name": spec.name,
        "description": spec.description,
        "parameters": {
            "type": "dict",
            "properties": {name: _bfcl_schema(sub) for name, sub in props.items()},
            "required": [name for name in spec.required if name in props],
        },
    }


# ---------------------------------------------------------------- possible answers


def _answer_value(value: Any, schema: dict[str, Any]) -> Any:
    kind = schema["type"]
    if kind == "dict" and isinstance(value, dict):
        return {key: [item] for key, item in value.items()}
    if kind == "array" and schema["items"]["type"] == "dict" and isinstance(value, list):
        return [{k: [v] for k, v in item.items()} if isinstance(item, dict) else item for item in value]
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def bfcl_ground_truth(call: ToolCall, spec: ToolSpec) -> dict[str, dict[str, list[Any]]]:
    """``{name: {param: [acceptable values]}}``: ``[value]`` given, ``[""]`` optional and left out."""
    params = bfcl_function(spec)["parameters"]["properties"]
    answer: dict[str, list[Any]] = {}
    for name, schema in params.items():
        answer[name] = [_answer_value(call.arguments[name], schema)] if name in call.arguments else [""]
    return {call.name: answer}


# ---------------------------------------------------------------- self-containment


def _standardize(text: str) -> str:
    return _STANDARDIZE.sub("", text).lower()


def _mentions(text: str, value: Any) -> bool:
    if isinstance(value, str):
        needle = _standardize(value)
        return bool(needle) and needle in _standardize(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.search(rf"(?<![\d.]){re.escape(str(value))}(?![\d])", text) is not None


def _question_start(messages: list[Message], end: int) -> int | None:
    """Index of the message that opens the request answered at ``end``."""
    last_user = next((j for j in range(end - 1, -1, -1) if messages[j].role == "user"), None)
    if last_user is None:
        return None
    step = messages[last_user].step
    start = last_user
    if step is not None:
        while start > 0 and messages[start - 1].step == step and messages[start - 1].role != "system":
            start -= 1
        while messages[start].role != "user":
            start += 1
    return start


def _skip_reason(dialogue: Dialogue, index: int, start: int) -> str | None:
    messages = dialogue.messages
    turn = messages[index]
    tools = {t.name: t for t in dialogue.tools}
    for call in turn.tool_calls:
        spec = tools.get(call.name)
        if spec is None:
            return "unknown_tool"
        if any(name not in spec.properties for name in call.arguments):
            return "argument_not_in_schema"
    if any(m.role == "tool" for m in messages[start:index]):
        return "after_tool_output"
    ids = {c.id for c in turn.tool_calls}
    for m in messages[index + 1 :]:
        if m.role != "tool":
            break
        if m.tool_call_id in ids and m.result is not None and m.result.error is not None:
            return "failed_call"
    return None


def _talk(messages: list[Message]) -> list[dict[str, str]]:
    """User messages and assistant text, as BFCL question messages (opening with the user)."""
    talk = [
        {"role": m.role, "content": m.content}
        for m in messages
        if m.role in ("user", "assistant") and not m.tool_calls and m.content
    ]
    while talk and talk[0]["role"] != "user":
        talk.pop(0)
    return talk


def _question(dialogue: Dialogue, index: int, start: int) -> list[dict[str, str]] | None:
    """The question for the call at ``index``, or ``None`` when an argument value is known
    only from an earlier tool result."""
    messages = dialogue.messages
    question = _talk(messages[start:index])
    question_text = "\n".join(q["content"] for q in question)
    missing = [
        value
        for call in messages[index].tool_calls
        for value in json_leaves(call.arguments)
        if value is not None and not isinstance(value, bool) and not _mentions(question_text, value)
    ]
    if not missing:
        return question
    earlier_talk = "\n".join(q["content"] for q in _talk(messages[:start]))
    earlier_tool = "\n".join(tool_message_text(m) for m in messages[:start] if m.role == "tool")
    if any(_mentions(earlier_tool, v) and not _mentions(earlier_talk, v) for v in missing):
        return None
    if any(_mentions(earlier_talk, v) for v in missing):
        return _talk(messages[:index])
    return question


# ---------------------------------------------------------------- export


def _category(n_calls: int, n_tools: int) -> str:
    if n_calls > 1:
        return "parallel"
    return "simple" if n_tools == 1 else "multiple"


def to_bfcl(dialogues: Iterable[Dialogue], *, system_prompt: str | None = None) -> BfclExport:
    """BFCL entries from every tool-calling assistant turn of ``dialogues`` (see the module docstring).

    ``system_prompt``, when given, opens every question as a system message.
    """
    export = BfclExport()
    for dialogue in dialogues:
        tools = {t.name: t for t in dialogue.tools}
        for index, message in enumerate(dialogue.messages):
            if message.role != "assistant" or not message.tool_calls:
                continue
            start = _question_start(dialogue.messages, index)
            if start is None:
                export.skipped["no_user_request"] += 1
                continue
            reason = _skip_reason(dialogue, index, start)
            question = _question(dialogue, index, start) if reason is None else None
            if reason is None and question is None:
                reason = "depends_on_tool_output"
            if question is None or not any(q["role"] == "user" for q in question):
                export.skipped[reason or "no_user_request"] += 1
                continue
            if system_prompt:
                question.insert(0, {"role": "system", "content": system_prompt})
            category = _category(len(message.tool_calls), len(dialogue.tools))
            entry_id = f"turnloom_{category}_{len(export.entries[category])}"
            offered = [tools[message.tool_calls[0].name]] if category == "simple" else dialogue.tools
            export.entries[category].append(
                {"id": entry_id, "question": [question], "function": [bfcl_function(t) for t in offered]}
            )
            export.sources[entry_id] = (dialogue.id, index)
            export.answers[category].append(
                {
                    "id": entry_id,
                    "ground_truth": [bfcl_ground_truth(c, tools[c.name]) for c in message.tool_calls],
                }
            )
    return export
