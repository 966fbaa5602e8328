"""OpenAI chat fine-tuning JSONL (``{"messages": [...], "tools": [...]}``).

Follows the shape of OpenAI's fine-tuning examples for tool calling:

* an assistant message that calls tools carries ``tool_calls`` entries
  ``{"id", "type": "function", "function": {"name", "arguments": "<JSON string>"}}``
  and has no ``content`` key unless the assistant also wrote text (OpenAI's own
  examples omit it; an empty or null content is not needed);
* a tool message is ``{"role": "tool", "tool_call_id", "content": "<text>"}`` -- the
  text is the message's content, or the JSON of its structured result;
* ``tools`` holds ``{"type": "function", "function": {"name", "description",
  "parameters"}}``, where ``parameters`` always has ``type``, ``properties`` and
  ``required``.

Trailing user messages that no assistant answers are dropped (nothing to learn from
them); a dialogue without any assistant message is not exported. The helpers here
are shared with the TRL and ShareGPT writers.
"""

from __future__ import annotations

import json
from typing import Any

from turnloom.schema import Dialogue, Message, ToolSpec

__all__ = [
    "normalized_parameters",
    "openai_message",
    "openai_tool",
    "to_openai",
    "tool_message_text",
    "training_messages",
]


def normalized_parameters(spec: ToolSpec) -> dict[str, Any]:
    """The tool's JSON Schema parameters with ``type``, ``properties`` and ``required`` always present."""
    params = dict(spec.parameters)
    params.setdefault("type", "object")
    params["properties"] = dict(params.get("properties") or {})
    params["required"] = [name for name in params.get("required") or [] if name in params["properties"]]
    return params


def openai_tool(spec: ToolSpec) -> dict[str, Any]:
    """``{"type": "function", "function": {...}}``, the form OpenAI and Hugging Face templates take."""
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": normalized_parameters(spec),
        },
    }


def tool_message_text(message: Message) -> str:
    """The text a tool message shows the model: its content, else its result as JSON."""
    if message.content is not None:
        return message.content
    if message.result is not None:
        return message.result.to_text()
    return ""


def training_messages(dialogue_messages: list[Message], system_prompt: str | None) -> list[Message] | None:
    """The messages worth training on: the system prompt replaced (or added) when one is
    given (an empty one removes it), trailing user messages dropped; ``None`` when no
    assistant message is left."""
    messages = list(dialogue_messages)
    if system_prompt is not None:
        messages = [m for m in messages if m.role != "system"]
        if system_prompt:
            messages.insert(0, Message(role="system", content=system_prompt))
    while messages and messages[-1].role == "user":
        messages.pop()
    if not any(m.role == "assistant" for m in messages):
        return None
    return messages


def openai_message(message: Message) -> dict[str, Any]:
    """One message in OpenAI's fine-tuning shape (see the module docstring)."""
    if message.role == "assistant" and message.tool_calls:
        out: dict[str, Any] = {"role": "assistant"}
        if message.content:
            out["content"] = message.content
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
            }
            for call in message.tool_calls
        ]
        return out
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": tool_message_text(message)}
    return {"role": message.role, "content": message.content or ""}


def to_openai(dialogue: Dialogue, *, system_prompt: str | None = None) -> dict[str, Any] | None:
    """One fine-tuning record, or ``None`` when the dialogue has no assistant message."""
    messages = training_messages(dialogue.messages, system_prompt)
    if messages is None:
        return None
    return {
        "messages": [openai_message(m) for m in messages],
        "tools": [openai_tool(t) for t in dialogue.tools],
    }
