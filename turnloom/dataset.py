"""Reading dialogue files: JSONL of :class:`~turnloom.schema.Dialogue`, with errors
that name the file, the line and the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from turnloom.schema import Dialogue, Message, Plan, ToolCall, ToolResult, ToolSpec, Verdict

__all__ = ["DatasetError", "from_openai_record", "read_any", "read_dialogues"]


class DatasetError(ValueError):
    """A dialogue file is missing or has a bad line."""


def _lines(path: Path) -> Iterator[tuple[str, int, str]]:
    """``(FILE:LINE, line number, text)`` of every non-blank line."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                yield f"{path}:{lineno}", lineno, line


def _dialogue(data: str | dict[str, Any], where: str) -> Dialogue:
    """A validated Dialogue from a JSON line or its parsed data; errors name the field."""
    try:
        return Dialogue.model_validate_json(data) if isinstance(data, str) else Dialogue.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(line)"
        raise DatasetError(f"{where}: {loc}: {err['msg']}") from exc


def read_dialogues(path: Path) -> Iterator[Dialogue]:
    for where, _, line in _lines(path):
        yield _dialogue(line, where)


def _from_openai(data: dict[str, Any], where: str, index: int) -> Dialogue:
    """A dialogue in OpenAI chat format (``messages`` + ``tools``) as a Dialogue record
    (no plan and no world: the rules that need them do not apply)."""
    tools = []
    for i, t in enumerate(data.get("tools") or []):
        try:
            tools.append(ToolSpec.from_openai(t))
        except (KeyError, TypeError, ValidationError) as exc:
            raise DatasetError(f"{where}: tools[{i}]: expected an OpenAI function tool: {exc}") from exc
    messages: list[Message] = []
    for i, m in enumerate(data.get("messages") or []):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool"):
            raise DatasetError(f"{where}: messages[{i}].role: expected system, user, assistant or tool")
        calls = []
        for k, c in enumerate(m.get("tool_calls") or []):
            fn = c.get("function", {}) if isinstance(c, dict) else {}
            raw = fn.get("arguments", {})
            try:
                args = json.loads(raw) if isinstance(raw, str) else raw
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{where}: messages[{i}].tool_calls[{k}].function.arguments: "
                                   f"invalid JSON: {exc.msg}") from exc
            calls.append(ToolCall(id=str(c.get("id") or f"call_{i}_{k}"), name=str(fn.get("name", "")),
                                  arguments=args if isinstance(args, dict) else {}))
        content = m.get("content")
        if isinstance(content, list):  # content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        msg = Message(role=m["role"], content=content, tool_calls=calls, tool_call_id=m.get("tool_call_id"),
                      name=m.get("name"))
        if msg.role == "tool":
            try:
                parsed: Any = json.loads(content) if isinstance(content, str) else content
            except json.JSONDecodeError:
                parsed = content
            error = parsed.get("error") if isinstance(parsed, dict) and set(parsed) == {"error"} else None
            name = msg.name or next((c.name for mm in messages for c in mm.tool_calls if c.id == msg.tool_call_id), "")
            msg.name = name or None
            msg.result = ToolResult(call_id=msg.tool_call_id or "", name=name, content=None if error else parsed,
                                    error=str(error) if error else None)
        messages.append(msg)
    return Dialogue(id=str(data.get("id", f"openai-{index:06d}")), scenario="external", index=index, seed=0,
                    tools=tools, plan=Plan(), messages=messages, verdict=Verdict(accepted=True),
                    stats={"ended": "plan_complete"})


def from_openai_record(data: dict[str, Any], *, where: str = "<record>", index: int = 0) -> Dialogue:
    """One OpenAI chat-format record (``messages`` + ``tools``) as a Dialogue."""
    return _from_openai(data, where, index)


def read_any(path: Path) -> Iterator[Dialogue]:
    """Dialogues from a file of turnloom records or OpenAI chat-format lines (mixed is fine)."""
    for where, lineno, line in _lines(path):
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(data, dict):
            raise DatasetError(f"{where}: expected a JSON object per line")
        if "plan" in data and "verdict" in data:
            yield _dialogue(data, where)
        elif "messages" in data:
            yield _from_openai(data, where, lineno - 1)
        else:
            raise DatasetError(f'{where}: expected a turnloom dialogue or an OpenAI chat record with "messages"')
