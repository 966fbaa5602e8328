"""Tool calling as text, for chat templates without tools (e.g. llama-cpp-python's ``chatml``).

llama-cpp-python's ``chatml-function-calling`` format renders prompts with Jinja autoescaping:
every quote becomes ``&#34;`` and a judge prompt of 3,203 tokens grows to 8,027 as sent. With
the model's plain template instead, tools are described in the system prompt and calls are
written as ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` (the Hermes/Qwen
convention small instruct models were tuned on); results go back as ``<tool_response>``
user turns. :func:`tools_as_text` rewrites an OpenAI request body that way and
:func:`calls_from_text` turns such an answer back into OpenAI ``tool_calls``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from turnloom.agents.llm._json import JSONRepairError, parse_json_object

__all__ = ["TOOL_INSTRUCTIONS", "calls_from_text", "merge_user_turns", "tools_as_text"]

TOOL_INSTRUCTIONS = """You can call these tools (JSON schemas):
{tools}
To call a tool, answer with only one line per call:
<tool_call>{{"name": "TOOL_NAME", "arguments": {{...}}}}</tool_call>
Otherwise answer the user in plain text."""

_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


def _tool_line(tool: Any) -> str:
    fn = tool.get("function", tool) if isinstance(tool, dict) else {}
    entry = {k: fn[k] for k in ("name", "description", "parameters") if k in fn and fn[k]}
    return json.dumps(entry, ensure_ascii=False)


def tools_as_text(body: dict[str, Any]) -> dict[str, Any]:
    """A request body with ``tools`` moved into the system prompt, calls and results written as text."""
    tools = body.get("tools") or []
    messages = body.get("messages")
    if not isinstance(messages, list) or not (tools or any(
        isinstance(m, dict) and (m.get("role") == "tool" or m.get("tool_calls")) for m in messages
    )):
        return body
    out = {k: v for k, v in body.items() if k not in ("tools", "tool_choice", "parallel_tool_calls")}
    fixed: list[dict[str, Any]] = []
    for m in messages:
        if not isinstance(m, dict):
            fixed.append(m)
            continue
        role = m.get("role")
        if role == "assistant" and m.get("tool_calls"):
            lines = [str(m.get("content") or "").strip()]
            for call in m["tool_calls"]:
                fn = call.get("function") or {}
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except json.JSONDecodeError:
                    args = fn.get("arguments")
                lines.append("<tool_call>" + json.dumps({"name": fn.get("name"), "arguments": args},
                                                        ensure_ascii=False) + "</tool_call>")
            fixed.append({"role": "assistant", "content": "\n".join(x for x in lines if x)})
        elif role == "tool":
            text = f"<tool_response>{m.get('content') or ''}</tool_response>"
            if fixed and fixed[-1].get("role") == "user" and str(fixed[-1].get("content", "")).startswith(
                    "<tool_response>"):
                fixed[-1] = {"role": "user", "content": f"{fixed[-1]['content']}\n{text}"}
            else:
                fixed.append({"role": "user", "content": text})
        else:
            fixed.append(m)
    if tools:
        block = TOOL_INSTRUCTIONS.format(tools="\n".join(_tool_line(t) for t in tools))
        if fixed and isinstance(fixed[0], dict) and fixed[0].get("role") == "system":
            fixed[0] = {**fixed[0], "content": f"{fixed[0].get('content') or ''}\n\n{block}".strip()}
        else:
            fixed.insert(0, {"role": "system", "content": block})
    out["messages"] = fixed
    return out


def merge_user_turns(body: dict[str, Any]) -> dict[str, Any]:
    """Consecutive user messages joined into one (templates such as Gemma's require turns to alternate)."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    out: list[Any] = []
    for m in messages:
        if (isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str) and out
                and isinstance(out[-1], dict) and out[-1].get("role") == "user"
                and isinstance(out[-1].get("content"), str)):
            out[-1] = {**out[-1], "content": f"{out[-1]['content']}\n\n{m['content']}"}
        else:
            out.append(m)
    return {**body, "messages": out}


def calls_from_text(content: str, names: set[str] | None = None) -> list[dict[str, Any]]:
    """OpenAI ``tool_calls`` written as ``<tool_call>`` text (or a bare ``{"name", "arguments"}``
    object naming a known tool); empty when the text is an ordinary answer."""
    if not content:
        return []
    chunks = _CALL.findall(content)
    if not chunks and names:
        stripped = content.strip()
        if stripped.startswith("{") or stripped.startswith("```"):
            chunks = [stripped]
    calls: list[dict[str, Any]] = []
    for chunk in chunks:
        try:
            obj = parse_json_object(chunk)
        except JSONRepairError:
            continue
        name = obj.get("name")
        if not isinstance(name, str) or (names is not None and not chunks and name not in names):
            continue
        if names and name not in names and "<tool_call>" not in content:
            continue
        args = obj.get("arguments", obj.get("parameters", {}))
        calls.append({
            "id": f"call_{len(calls)}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(args if args is not None else {},
                                                               ensure_ascii=False)},
        })
    return calls
