"""Prompts of the LLM-backed roles.

They follow the papers' roles: ToolFlow's planner (per-turn user requirements,
tool and non-tool turns, logic and flow only), user (checks whether the current
requirement is done, continues it or moves on) and assistant (decides whether a
tool is needed, asks for missing required parameters, otherwise calls); ToolACE's
formalized thinking for the assistant and its three model-checker experts
(hallucination, consistency, tool response); a tool simulator that answers from
the documentation and the call, constrained to the ``returns`` schema.

Templates use ``str.format`` fields; JSON braces in them are doubled.
"""

from __future__ import annotations

import json
from typing import Any

from turnloom.schema import Message, PlanStep, ToolSpec
from turnloom.tools_env.grounding_values import harvest
from turnloom.tools_env.world import World

__all__ = [
    "describe_world",
    "ASSISTANT_SYSTEM",
    "CALL_FEEDBACK",
    "FEEDBACK",
    "JUDGE_PROMPTS",
    "JUDGE_SYSTEM",
    "PLANNER_PROMPT",
    "PLANNER_SYSTEM",
    "STEP_KIND_GUIDE",
    "TOOL_SIMULATOR_PROMPT",
    "TOOL_SIMULATOR_SYSTEM",
    "USER_IF_DONE_LAST",
    "USER_IF_DONE_NEXT",
    "USER_PROMPT_CONTINUE",
    "USER_PROMPT_MOVE_ON",
    "USER_PROMPT_OPEN",
    "USER_SYSTEM",
    "describe_step",
    "describe_tools",
    "render_transcript",
]

STEP_KIND_GUIDE: dict[str, str] = {
    "single": "one request answered by one tool call",
    "parallel": "one request needing several independent calls at once (same or different tools)",
    "dependent": "a request whose call needs a value returned by an earlier step's call",
    "clarification": "a tool request that leaves out a required value; the assistant must ask for it",
    "follow_up": "a request refining or extending an earlier step's result",
    "chitchat": "small talk; no tool is needed",
    "irrelevant": "a request none of the tools can serve; the assistant should answer without tools",
    "error_recovery": "a request whose first call fails or is wrong and is then corrected",
    "closing": "the user wraps up and says goodbye; no tool is needed",
}

PLANNER_SYSTEM = """You plan a realistic multi-turn conversation between a user and a tool-using assistant.
Write the user's requirements, one per step, in order: which steps use tools and which do not,
and how they connect. Describe logic and flow only; do not write the dialogue itself.

Rules:
- Use only tool names from the list you are given.
- Tool steps (single, parallel, dependent, clarification, follow_up, error_recovery) name at least
  one tool; other steps (chitchat, irrelevant, closing) name none.
- "depends_on" lists indices (0-based) of EARLIER steps this step builds on.
- "slots" gives concrete, realistic values the user will state (parameter name -> value).
- For a clarification step, "withhold" lists required parameters the user leaves out at first.
- When you are told what exists in the world (files, folders, ids, names), slot values refer to
  those things, so that the calls succeed.
Answer with one JSON object and nothing else."""

PLANNER_PROMPT = """Tools:
{tools}
{world}
Persona of the user: {persona}
Goal of the conversation: {goal}

Write exactly {n} steps, with these kinds in this order:
{kinds}

Answer with JSON shaped like:
{{"goal": "...", "steps": [{{"kind": "single", "intent": "what the user wants", "tools": ["tool_name"],
"depends_on": [], "slots": {{"param": "value"}}, "withhold": []}}]}}"""

USER_SYSTEM = """You play the USER in a conversation with an AI assistant that can use tools.
You follow a plan of requirements, one at a time. Write as a real person would: short, natural,
one message at a time, in the first person. Never mention plans, steps, tools or JSON.
State the concrete values you are given exactly; never invent values you were told to hold back
unless the assistant asks for them. Answer with one JSON object and nothing else."""

USER_PROMPT_OPEN = """{persona}Conversation so far:
{transcript}

Your requirement now: {step}

Write your message that asks for this requirement.
Answer with JSON: {{"step_done": false, "message": "your message"}}"""

USER_PROMPT_CONTINUE = """{persona}Conversation so far:
{transcript}

Your current requirement: {step}
{next_step}
Decide whether the assistant's last reply fully completed your current requirement
(it answered it, e.g. with results). If it asked you for a value, or has not completed it,
the requirement is NOT done: reply to continue it (give the value it asked for).
{if_done}
Answer with JSON: {{"step_done": true or false, "message": "your message"}}"""

USER_IF_DONE_NEXT = "If it is done, your message starts the next requirement instead."
USER_IF_DONE_LAST = "If it is done, this was your last requirement: write a short goodbye."

USER_PROMPT_MOVE_ON = """{persona}Conversation so far:
{transcript}

Move on. Your requirement now: {step}

Write your message that asks for this requirement.
Answer with JSON: {{"step_done": true, "message": "your message"}}"""

ASSISTANT_SYSTEM = """You are a helpful assistant with access to tools (functions).
Before you answer, think it through in this order (formalized thinking):
1. Does the user's latest request need a tool, or can it be answered directly (small talk, general
   knowledge, or a request no tool covers)?
2. If a tool is needed: which tool or tools? Several independent requests can be called at once.
3. Are ALL required parameters of each call stated by the user or available from earlier tool
   results? If any required value is missing, do not guess: ask the user for it.
4. Otherwise call the tool(s) with exactly the values given. Never invent argument values.
After tool results arrive, answer the user briefly, using only what the results say."""

TOOL_SIMULATOR_SYSTEM = """You simulate a software API (a tool). Given its documentation and one call, you
return the response the real API would give: realistic, consistent with the arguments, with the
known state of the world and with earlier responses. Answer with one JSON object and nothing else:
{"result": <the response, matching the return schema exactly>}
or, when the call cannot succeed (invalid or unknown values, nothing found), {"error": "a short message"}."""

TOOL_SIMULATOR_PROMPT = """Tool: {name}
Description: {description}
Parameters schema: {parameters}
Return schema ("result" must match it): {returns}

Known world state (may be empty): {world}

Call arguments: {arguments}"""

JUDGE_SYSTEM = """You are an expert reviewer of training dialogues between a user and a tool-using assistant.
You check ONE property, strictly and fairly. Answer with one JSON object and nothing else:
{"passed": true or false, "reason": "one sentence naming the evidence"}"""

JUDGE_PROMPTS: dict[str, str] = {
    "hallucination": """Property: no hallucinated arguments.
Every argument value of every tool call must come from the conversation: stated by the user, present
in the system prompt, taken from an earlier tool result, or a sensible default the tool documents.
A value found nowhere in the dialogue (e.g. an invented id, date, email or city) is a hallucination.

Tools:
{tools}

Dialogue:
{transcript}""",
    "consistency": """Property: consistency.
The assistant's replies complete what the user asked, within the user's constraints (values,
limits, preferences), and do not contradict the tool results or earlier turns. Asking for a
genuinely missing required value counts as consistent.

Tools:
{tools}

Dialogue:
{transcript}""",
    "tool_response": """Property: tool responses fit their API definitions.
Each tool result must be a plausible response of that API for those arguments: it matches the
documented return schema, echoes the arguments where it should, and does not contradict earlier
results (errors are fine when the call was invalid).

Tools:
{tools}

Dialogue:
{transcript}""",
}

FEEDBACK = """Your previous answer could not be used: {problem}
Answer again, following the instructions exactly, with one JSON object and nothing else."""

CALL_FEEDBACK = """Your previous tool call could not be used: {problem}
Call the tool again with arguments as one valid JSON object matching its parameters, or answer in text."""


def _dumps(value: Any, limit: int = 4000) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "...(truncated)"


def describe_tools(tools: list[ToolSpec], *, with_returns: bool = False) -> str:
    """One line per tool: name(param: type*, ...) - description; * marks required parameters."""
    lines = []
    for tool in tools:
        required = set(tool.required)
        params = ", ".join(
            f"{name}: {schema.get('type', 'any')}{'*' if name in required else ''}"
            for name, schema in tool.properties.items()
        )
        line = f"- {tool.name}({params}): {tool.description}".rstrip()
        if with_returns and tool.returns:
            line += f"\n  returns: {_dumps(tool.returns, 800)}"
        lines.append(line)
    return "\n".join(lines) or "(no tools)"


def render_transcript(messages: list[Message], *, limit: int = 12000) -> str:
    """The dialogue as labelled lines (tool calls and results in JSON)."""
    lines = []
    for i, m in enumerate(messages):
        if m.role == "tool":
            body = m.content if m.content is not None else (m.result.to_text() if m.result else "")
            lines.append(f"[{i}] TOOL RESULT ({m.name or m.tool_call_id}): {body}")
            continue
        if m.content:
            lines.append(f"[{i}] {m.role.upper()}: {m.content}")
        for call in m.tool_calls:
            lines.append(f"[{i}] ASSISTANT CALLS {call.name}({_dumps(call.arguments, 1500)})")
    text = "\n".join(lines) or "(nothing yet)"
    return text if len(text) <= limit else "...(earlier turns cut)\n" + text[-limit:]


def describe_step(step: PlanStep) -> str:
    """A plan step as a requirement the simulated user can act on."""
    parts = [step.intent.strip() or step.kind]
    given = {k: v for k, v in step.slots.items() if k not in step.withhold}
    if given:
        parts.append("State these values: " + ", ".join(f"{k} = {_dumps(v, 200)}" for k, v in given.items()) + ".")
    held = {k: step.slots.get(k) for k in step.withhold}
    if held:
        values = ", ".join(f"{k} (= {_dumps(v, 200)})" if v is not None else k for k, v in held.items())
        parts.append(f"Do NOT mention {values} at first; give it only when the assistant asks.")
    if step.kind in ("chitchat", "irrelevant", "closing"):
        parts.append(f"({STEP_KIND_GUIDE[step.kind]})")
    return " ".join(parts)


#: how many of the world's things the planner is told about, and the longest value worth telling
_WORLD_THINGS = 40
_WORLD_VALUE_CHARS = 60


def describe_world(world: World) -> str:
    """What exists in the world the tools act on (the classes' state, records), one value a line with
    the words that say what it is: the planner's prompt section, or empty."""
    lines = []
    for cand in harvest(world):
        if isinstance(cand.value, str) and 0 < len(cand.value) <= _WORLD_VALUE_CHARS and cand.words:
            lines.append(f"- {cand.value} ({', '.join(sorted(cand.words))})")
        if len(lines) >= _WORLD_THINGS:
            break
    return "\nWhat exists in the world now (refer to these):\n" + "\n".join(lines) + "\n" if lines else ""
