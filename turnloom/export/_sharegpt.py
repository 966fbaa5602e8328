"""LLaMA-Factory's ShareGPT format with tools.

One JSON object per dialogue::

    {"conversations": [{"from": "human" | "gpt" | "function_call" | "observation", "value": "..."}],
     "system": "...", "tools": "<JSON string: list of {name, description, parameters}>"}

LLaMA-Factory (``SharegptDatasetConverter``) drops any example whose turns break its
alternation rule: turns 1, 3, 5... are ``human`` or ``observation``; turns 2, 4, 6...
are ``gpt`` or ``function_call``; the number of turns is even. Its function formatter
parses a ``function_call`` value as JSON: one ``{"name", "arguments": {...}}`` object,
or a list of them for parallel calls. This writer maps a dialogue onto those rules:

* a user message is a ``human`` turn; consecutive user messages are joined with a
  newline;
* an assistant message with tool calls is one ``function_call`` turn: a single call as
  one object, parallel calls as a list in call order. Text the assistant wrote before
  or with its calls has no place in a ``function_call`` turn and is dropped;
* the tool messages answering one ``function_call`` turn are one ``observation``
  turn: a single result as its text; several results joined with
  ``"\\n</tool_response>\\n<tool_response>\\n"``, the separator LLaMA-Factory itself uses
  when it reads OpenAI-format data, so both routes give the same training text;
* an assistant text message is a ``gpt`` turn; consecutive ones are joined with a
  blank line;
* the system message goes to ``system``; messages before the first user message are
  dropped; a turn that would break the alternation (e.g. a user message right after a
  tool result) ends the conversation there, and trailing ``human``/``observation``
  turns are dropped so the conversation ends on the assistant. A dialogue left with no
  assistant turn is not exported.
"""

from __future__ import annotations

import json
from typing import Any

from turnloom.export._openai import normalized_parameters, tool_message_text, training_messages
from turnloom.schema import Dialogue, Message

__all__ = ["OBSERVATION_SEPARATOR", "ODD_TAGS", "EVEN_TAGS", "to_sharegpt"]

OBSERVATION_SEPARATOR = "\n</tool_response>\n<tool_response>\n"
ODD_TAGS = ("human", "observation")
EVEN_TAGS = ("gpt", "function_call")


def _function_call_value(message: Message) -> str:
    calls = [{"name": c.name, "arguments": c.arguments} for c in message.tool_calls]
    return json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)


def _turns(messages: list[Message]) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    observations: list[str] = []

    def flush_observations() -> None:
        if observations:
            turns.append(("observation", OBSERVATION_SEPARATOR.join(observations)))
            observations.clear()

    for message in messages:
        if message.role == "tool":
            observations.append(tool_message_text(message))
            continue
        flush_observations()
        if message.role == "user":
            turns.append(("human", message.content or ""))
        elif message.role == "assistant" and message.tool_calls:
            turns.append(("function_call", _function_call_value(message)))
        elif message.role == "assistant":
            turns.append(("gpt", message.content or ""))
    flush_observations()
    return turns


def _alternate(turns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for tag, value in turns:
        if not out:
            if tag == "human":
                out.append((tag, value))
            continue
        prev_tag, prev_value = out[-1]
        expected = EVEN_TAGS if len(out) % 2 == 1 else ODD_TAGS
        if tag in expected:
            out.append((tag, value))
        elif tag == prev_tag == "human":
            out[-1] = (tag, f"{prev_value}\n{value}")
        elif tag == prev_tag == "gpt":
            out[-1] = (tag, f"{prev_value}\n\n{value}")
        elif prev_tag == "gpt" and tag == "function_call":
            out[-1] = (tag, value)  # text before a call has no place in a function_call turn
        else:
            break
    while out and out[-1][0] in ODD_TAGS:
        out.pop()
    return out


def to_sharegpt(dialogue: Dialogue, *, system_prompt: str | None = None) -> dict[str, Any] | None:
    """One LLaMA-Factory ShareGPT record, or ``None`` when no assistant turn survives."""
    messages = training_messages(dialogue.messages, system_prompt)
    if messages is None:
        return None
    system = next((m.content or "" for m in messages if m.role == "system"), "")
    conversation = _alternate(_turns([m for m in messages if m.role != "system"]))
    if not conversation:
        return None
    tools = [
        {"name": t.name, "description": t.description, "parameters": normalized_parameters(t)} for t in dialogue.tools
    ]
    return {
        "conversations": [{"from": tag, "value": value} for tag, value in conversation],
        "system": system,
        "tools": json.dumps(tools, ensure_ascii=False),
    }
