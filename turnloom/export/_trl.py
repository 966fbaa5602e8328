"""TRL conversational datasets: language modelling (SFT) and preference (DPO).

Messages take the shape Hugging Face chat templates expect (transformers' tool-use
guide), which is what TRL's trainers pass to ``apply_chat_template``:

* an assistant call is ``{"id", "type": "function", "function": {"name", "arguments":
  {...}}}`` -- ``arguments`` a dict, not OpenAI's JSON string, so templates can
  ``tojson`` it; the assistant message keeps ``"content": ""`` when it has no text, as
  templates concatenate ``content``;
* a tool message is ``{"role": "tool", "name", "tool_call_id", "content": "<text>"}``
  (templates use the name, the id, or neither);
* ``tools`` is a list of ``{"type": "function", "function": {...}}`` JSON schemas, each
  with ``type``, ``properties`` and ``required``.

``trl-sft`` rows are ``{"messages", "tools"}``. ``trl-dpo`` rows are ``{"prompt",
"chosen", "rejected", "tools"}``, made from a preference-pair file: the prompt is the
shared history and chosen/rejected are the competing continuations, each starting
with an assistant message. Load them with ``datasets`` 4.7 or newer, which stores
the heterogeneous ``arguments`` and tool schemas as JSON values rather than padding
them into one struct with nulls.

A pair file may hold either shape: turnloom messages (``tool_calls`` of ``{"id", "name",
"arguments"}``, ``tools`` as tool specs) or the rows above, which is what ``turnloom mcts``
writes; :func:`pair_fields` reads the second back into the first, so exporting mcts output
to ``trl-dpo`` gives the same rows again (with ``system_prompt`` applied).
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from turnloom.export._openai import openai_tool, tool_message_text, training_messages
from turnloom.schema import Dialogue, Message

if TYPE_CHECKING:
    from turnloom.export._io import PreferencePair

__all__ = ["pair_fields", "to_trl_dpo", "to_trl_sft", "trl_message"]


def trl_message(message: Message) -> dict[str, Any]:
    """One message in the Hugging Face chat-template shape (see the module docstring)."""
    if message.role == "assistant" and message.tool_calls:
        return {
            "role": "assistant",
            "content": message.content or "",
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": dict(call.arguments)},
                }
                for call in message.tool_calls
            ],
        }
    if message.role == "tool":
        return {
            "role": "tool",
            "name": message.name or (message.result.name if message.result else ""),
            "tool_call_id": message.tool_call_id or "",
            "content": tool_message_text(message),
        }
    return {"role": message.role, "content": message.content or ""}


def to_trl_sft(dialogue: Dialogue, *, system_prompt: str | None = None) -> dict[str, Any] | None:
    """One SFT row, or ``None`` when the dialogue has no assistant message."""
    messages = training_messages(dialogue.messages, system_prompt)
    if messages is None:
        return None
    return {
        "messages": [trl_message(m) for m in messages],
        "tools": [openai_tool(t) for t in dialogue.tools],
    }


def to_trl_dpo(pair: PreferencePair, *, system_prompt: str | None = None) -> dict[str, Any]:
    """One DPO row from a preference pair; ``system_prompt`` replaces the prompt's system message."""
    prompt = list(pair.prompt)
    if system_prompt is not None:
        prompt = [m for m in prompt if m.role != "system"]
        if system_prompt:
            prompt.insert(0, Message(role="system", content=system_prompt))
    return {
        "prompt": [trl_message(m) for m in prompt],
        "chosen": [trl_message(m) for m in pair.chosen],
        "rejected": [trl_message(m) for m in pair.rejected],
        "tools": [openai_tool(t) for t in pair.tools],
    }


def pair_fields(data: Any) -> Any:
    """A preference-pair line in turnloom's shape: messages and tools written in the chat-template
    shape (a ``trl-dpo`` row, what ``turnloom mcts`` writes) are read back; anything else is left as is."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for key in ("prompt", "chosen", "rejected"):
        if isinstance(data.get(key), list):
            out[key] = [_message_fields(m) for m in data[key]]
    if isinstance(data.get("tools"), list):
        out["tools"] = [_tool_fields(t) for t in data["tools"]]
    return out


def _message_fields(message: Any) -> Any:
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    if not isinstance(calls, list) or not any(isinstance(c, dict) and "function" in c for c in calls):
        return message
    out = {**message, "tool_calls": [_call_fields(c) for c in calls]}
    if out.get("content") == "":
        out["content"] = None  # trl_message writes "" for a call without text
    return out


def _call_fields(call: Any) -> Any:
    fn = call.get("function") if isinstance(call, dict) else None
    if not isinstance(fn, dict) or "name" in call:
        return call
    arguments = fn.get("arguments", {})
    if isinstance(arguments, str):  # OpenAI's shape: a JSON string
        with contextlib.suppress(json.JSONDecodeError):  # else left as the string: validation names the field
            arguments = json.loads(arguments) if arguments.strip() else {}
    return {"id": call.get("id"), "name": fn.get("name"), "arguments": arguments}


def _tool_fields(tool: Any) -> Any:
    fn = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(fn, dict) or tool.get("type") != "function" or "name" in tool:
        return tool
    return {k: fn[k] for k in ("name", "description", "parameters") if k in fn}
