"""LLM planner, user and judges, built on autogen-agentchat's ``AssistantAgent``."""

from __future__ import annotations

import asyncio
import random
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from turnloom.agents._protocol import AgentOutput, AgentView
from turnloom.agents.llm._base import LLMAgentBase
from turnloom.agents.llm._budget import CHARS_PER_TOKEN
from turnloom.agents.llm._clients import usage_scope
from turnloom.agents.llm._prompts import (
    JUDGE_PROMPTS,
    JUDGE_SYSTEM,
    PLANNER_PROMPT,
    PLANNER_SYSTEM,
    STEP_KIND_GUIDE,
    USER_IF_DONE_LAST,
    USER_IF_DONE_NEXT,
    USER_PROMPT_CONTINUE,
    USER_PROMPT_MOVE_ON,
    USER_PROMPT_OPEN,
    USER_SYSTEM,
    describe_step,
    describe_tools,
    describe_world,
    render_transcript,
)
from turnloom.schema import STEP_KINDS, CheckResult, Message, Plan, PlanStep, Verdict

__all__ = ["DEFAULT_MIX", "JUDGE_EXPERTS", "LLMJudge", "LLMPlanner", "LLMUser", "sample_step_kinds"]

#: step-kind weights when the scenario gives none
DEFAULT_MIX: dict[str, float] = {
    "single": 0.35,
    "parallel": 0.15,
    "dependent": 0.15,
    "clarification": 0.1,
    "follow_up": 0.1,
    "chitchat": 0.1,
    "irrelevant": 0.05,
}
_TOOL_KINDS = frozenset({"single", "parallel", "dependent", "clarification", "follow_up", "error_recovery"})
_NEEDS_EARLIER = frozenset({"dependent", "follow_up", "error_recovery"})
JUDGE_EXPERTS: tuple[str, ...] = ("hallucination", "consistency", "tool_response")


def sample_step_kinds(mix: dict[str, float] | None, n: int, rng: random.Random, *, has_tools: bool) -> list[str]:
    """The kind of each plan step, drawn from ``mix`` under ordering constraints.

    A step that builds on an earlier one (dependent, follow-up, error recovery) never
    comes first; closing only comes last; without tools only non-tool kinds are drawn.
    """
    weights = {k: float(w) for k, w in (mix or DEFAULT_MIX).items() if k in STEP_KINDS and float(w) > 0}
    if not has_tools:
        weights = {k: w for k, w in weights.items() if k not in _TOOL_KINDS} or {"chitchat": 1.0}
    kinds: list[str] = []
    for i in range(n):
        allowed = {
            k: w
            for k, w in weights.items()
            if not (i == 0 and k in _NEEDS_EARLIER) and not (k == "closing" and i != n - 1)
        }
        if not allowed:
            allowed = {"single": 1.0} if has_tools else {"chitchat": 1.0}
        names = sorted(allowed)
        kinds.append(rng.choices(names, weights=[allowed[k] for k in names])[0])
    return kinds


class _Slot(BaseModel):
    name: str
    value: str | int | float | bool


class _StepDraft(BaseModel):
    kind: str
    intent: str = Field(min_length=1)
    tools: list[str] = Field(default_factory=list)
    depends_on: list[int] = Field(default_factory=list)
    slots: list[_Slot] = Field(default_factory=list)
    withhold: list[str] = Field(default_factory=list)

    @field_validator("slots", mode="before")
    @classmethod
    def _slots(cls, value: Any) -> Any:
        if isinstance(value, dict):  # the text prompt shows slots as an object
            return [{"name": k, "value": v} for k, v in value.items()]
        return value


class _PlanDraft(BaseModel):
    goal: str = ""
    steps: list[_StepDraft]


class LLMPlanner(LLMAgentBase):
    """ToolFlow's planner: per-turn user requirements for a tool subset, as a validated ``Plan``.

    The step kinds are drawn from ``context["mix"]`` with the act's seed (so the mix is
    honoured exactly and reproducibly); the model fills in intents, tools, dependencies
    and slot values. ``context["steps"]`` sets the length (default 4).
    """

    role = "planner"

    async def act(self, view: AgentView) -> AgentOutput:
        ctx = view.context
        n = int(ctx.get("steps", 4))
        kinds = sample_step_kinds(ctx.get("mix"), n, random.Random(view.seed), has_tools=bool(view.tools))
        required = {t.name: t.required for t in view.tools}
        persona = str(ctx.get("persona", "") or "an ordinary user")
        goal = str(ctx.get("goal", "") or "get things done with the tools")
        prompt = PLANNER_PROMPT.format(
            tools=describe_tools(view.tools),
            world=describe_world(view.grounding.world) if view.grounding is not None else "",
            persona=persona,
            goal=goal,
            n=n,
            kinds="\n".join(f"{i}. {k}: {STEP_KIND_GUIDE[k]}" for i, k in enumerate(kinds)),
        )
        plan_box: list[Plan] = []

        def check(draft: _PlanDraft) -> list[str]:
            plan_box.clear()
            problems, plan = _draft_to_plan(draft, kinds, required)
            if plan is not None:
                plan = plan.model_copy(
                    update={"tools": [t.name for t in view.tools], "persona": str(ctx.get("persona", ""))}
                )
                plan_box.append(plan.model_copy(update={"goal": str(ctx.get("goal", "") or draft.goal)}))
            return problems

        with usage_scope() as usage:
            await self.ask_structured(
                system=PLANNER_SYSTEM,
                prompt=prompt,
                output=_PlanDraft,
                check=check,
                schema=_plan_schema(kinds, sorted(required)),
                max_tokens=_plan_tokens(len(kinds)),
            )
        return AgentOutput(plan=plan_box[0], usage=usage.as_dict())


#: length caps of a plan draft (characters): goal and intents, slot values; items per list
PLAN_TEXT_CHARS = 160
SLOT_CHARS = 60
PLAN_ITEMS = 4


def _plan_tokens(steps: int) -> int:
    """Answer tokens that fit a draft of ``steps`` steps at the length caps."""
    tool_chars = PLAN_ITEMS * 40
    step_chars = 120 + PLAN_TEXT_CHARS + tool_chars + PLAN_ITEMS * (40 + SLOT_CHARS) + PLAN_ITEMS * 40
    return int((PLAN_TEXT_CHARS + 40 + steps * step_chars) / CHARS_PER_TOKEN)


def _plan_schema(kinds: list[str], tools: list[str]) -> dict[str, Any]:
    """JSON schema of a draft for exactly these kinds, naming only these tools (a JSON-mode hint),
    with length caps so that the answer fits ``_plan_tokens``."""
    tool_names: dict[str, Any] = {"type": "string", "enum": tools} if tools else {"type": "string", "maxLength": 40}
    text = {"type": "string", "maxLength": PLAN_TEXT_CHARS}
    step = {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": sorted(set(kinds))},
            "intent": {**text, "minLength": 1},
            "tools": {"type": "array", "items": tool_names, "maxItems": PLAN_ITEMS},
            "depends_on": {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": PLAN_ITEMS},
            "slots": {"type": "object", "maxProperties": PLAN_ITEMS, "additionalProperties": {
                "anyOf": [{"type": "string", "maxLength": SLOT_CHARS}, {"type": ["number", "boolean"]}]}},
            "withhold": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": PLAN_ITEMS},
        },
        "required": ["kind", "intent", "tools"],
    }
    return {
        "type": "object",
        "properties": {
            "goal": text,
            "steps": {"type": "array", "items": step, "minItems": len(kinds), "maxItems": len(kinds)},
        },
        "required": ["goal", "steps"],
    }


def _draft_to_plan(
    draft: _PlanDraft, kinds: list[str], required: dict[str, list[str]]
) -> tuple[list[str], Plan | None]:
    """The plan a draft describes, with light repairs, or the problems to feed back."""
    available = set(required)
    problems: list[str] = []
    if len(draft.steps) < len(kinds):
        return [f"write exactly {len(kinds)} steps, you wrote {len(draft.steps)}"], None
    drafted = [d.kind.strip().lower().replace("-", "_") for d in draft.steps[: len(kinds)]]
    if sorted(drafted) == sorted(kinds):  # the model reordered the requested kinds: keep its flow
        kinds = drafted
    steps: list[PlanStep] = []
    for i, (kind, d) in enumerate(zip(kinds, draft.steps, strict=False)):
        tools = [t for t in d.tools if t]
        unknown = [t for t in tools if t not in available]
        if unknown:
            problems.append(f"steps[{i}] names unknown tools {unknown}; available: {sorted(available)}")
        if kind in _TOOL_KINDS and not tools:
            problems.append(f"steps[{i}] is a {kind} step and must name at least one tool")
        if kind not in _TOOL_KINDS:
            tools = []
        if kind in _NEEDS_EARLIER and i == 0:
            problems.append(f"steps[0] cannot be a {kind} step: it builds on an earlier step")
        if kind == "closing" and i != len(kinds) - 1:
            problems.append(f"steps[{i}] is a closing step but not the last one")
        depends = sorted({j for j in d.depends_on if 0 <= j < i})
        if kind in _NEEDS_EARLIER and not depends and i > 0:
            depends = [i - 1]
        slots = {s.name: s.value for s in d.slots if s.name}
        withhold = [w for w in d.withhold if w]
        if kind == "clarification" and not withhold and tools:
            withhold = [p for p in required.get(tools[0], []) if p in slots][:1]
        steps.append(
            PlanStep(
                index=i,
                kind=kind,  # type: ignore[arg-type]  # one of STEP_KINDS (sampled or checked)
                intent=d.intent.strip(),
                tools=tools,
                depends_on=depends,
                slots=slots,
                withhold=withhold if kind == "clarification" else [],
            )
        )
    if problems:
        return problems, None
    try:
        return [], Plan(steps=steps)
    except ValidationError as err:
        return [str(err)], None


class _UserTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    step_done: bool = False
    message: str = ""


def capped_answer(flag: str, text: str, chars: int) -> tuple[int, dict[str, Any]]:
    """A ``{flag: bool, text: str}`` answer with ``text`` at most ``chars`` characters: the tokens
    that fit it, and its JSON-mode hint (a non-empty text; grammar-constrained on llama.cpp)."""
    schema = {"type": "object",
              "properties": {flag: {"type": "boolean"},
                             text: {"type": "string", "minLength": 1, "maxLength": chars}},
              "required": [flag, text]}
    return 32 + int(chars / CHARS_PER_TOKEN), schema


#: length cap of a user message (characters), and the answer tokens that fit it
USER_MESSAGE_CHARS = 400
_USER_TOKENS, _USER_TURN_SCHEMA = capped_answer("step_done", "message", USER_MESSAGE_CHARS)


class LLMUser(LLMAgentBase):
    """ToolFlow's user: checks whether the current requirement is done, continues it or moves on.

    After ``max_turns_per_step`` user turns on one step (``context["max_turns_per_step"]``,
    default 3) it moves on regardless. When the last step is done it ends the dialogue
    (``end=True``, no message).
    """

    role = "user"

    async def act(self, view: AgentView) -> AgentOutput:
        if view.step is None:
            return AgentOutput(end=True)
        step = view.step
        steps = view.plan.steps if view.plan is not None else [step]
        nxt = next((s for s in steps if s.index == step.index + 1), None)
        persona = view.context.get("persona")
        persona_line = f"You are {persona}.\n" if persona else ""
        transcript = render_transcript([m for m in view.messages if m.role in ("user", "assistant")])
        limit = int(view.context.get("max_turns_per_step", 3))
        with usage_scope() as usage:
            if view.turns_in_step == 0:
                prompt = USER_PROMPT_OPEN.format(persona=persona_line, transcript=transcript, step=describe_step(step))
                turn = await self._ask(prompt, need_message=True)
                out = AgentOutput(messages=[Message(role="user", content=turn.message.strip())], step_index=step.index)
            elif view.turns_in_step >= limit:
                if nxt is None:
                    return AgentOutput(end=True, step_index=step.index)
                prompt = USER_PROMPT_MOVE_ON.format(
                    persona=persona_line, transcript=transcript, step=describe_step(nxt)
                )
                turn = await self._ask(prompt, need_message=True)
                out = AgentOutput(messages=[Message(role="user", content=turn.message.strip())], step_index=nxt.index)
            else:
                prompt = USER_PROMPT_CONTINUE.format(
                    persona=persona_line,
                    transcript=transcript,
                    step=describe_step(step),
                    next_step=f"Your next requirement: {describe_step(nxt)}" if nxt else "",
                    if_done=USER_IF_DONE_NEXT if nxt else USER_IF_DONE_LAST,
                )
                turn = await self._ask(prompt, need_message=nxt is not None)
                if turn.step_done and nxt is None:
                    out = AgentOutput(end=True, step_index=step.index)
                else:
                    index = nxt.index if turn.step_done and nxt is not None else step.index
                    out = AgentOutput(messages=[Message(role="user", content=turn.message.strip())], step_index=index)
        out.usage = usage.as_dict()
        return out

    async def _ask(self, prompt: str, *, need_message: bool) -> _UserTurn:
        def check(turn: _UserTurn) -> list[str]:
            if (need_message or not turn.step_done) and not turn.message.strip():
                return ['"message" is empty; write the user\'s next message']
            return []

        return await self.ask_structured(
            system=USER_SYSTEM, prompt=prompt, output=_UserTurn, check=check, schema=_USER_TURN_SCHEMA,
            max_tokens=_USER_TOKENS,
        )


class _JudgeOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    passed: bool
    reason: str = ""


#: a word of an explanation: two or more letters (dates, numbers and ids are not words)
_WORD = re.compile(r"[^\W\d_]{2,}")
#: words a judge's reason needs to explain its verdict rather than quote a value
MIN_REASON_WORDS = 3


def reason_problems(out: _JudgeOut) -> list[str]:
    """What keeps a judge's ``reason`` from being an explanation (a date, a number, one word)."""
    if len(_WORD.findall(out.reason)) >= MIN_REASON_WORDS:
        return []
    return [f'"reason" {out.reason.strip()!r} is not an explanation; write one sentence that names the evidence '
            "and why it passes or fails the property"]


#: length cap of a judge's reason (characters), and the answer tokens that fit it
REASON_CHARS = 240
_JUDGE_TOKENS, _JUDGE_SCHEMA = capped_answer("passed", "reason", REASON_CHARS)


class LLMJudge(LLMAgentBase):
    """ToolACE's model checker: hallucination, consistency and tool-response experts.

    Each expert is one model query; an expert with nothing to judge (no calls, no tool
    results) passes without one. Returns a ``Verdict`` of ``layer="model"`` checks.
    """

    role = "verifier"

    def __init__(self, *args: Any, experts: tuple[str, ...] = JUDGE_EXPERTS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unknown = [e for e in experts if e not in JUDGE_PROMPTS]
        if unknown:
            raise ValueError(f"unknown judge experts {unknown}; known: {sorted(JUDGE_PROMPTS)}")
        self.experts = tuple(experts)

    async def act(self, view: AgentView) -> AgentOutput:
        transcript = render_transcript(view.messages)
        # each expert gets what it judges: the tools called (all when none), returns only for tool_response
        called = {c.name for m in view.messages for c in m.tool_calls}
        judged = [t for t in view.tools if t.name in called] or view.tools
        tools = {"plain": describe_tools(judged), "returns": describe_tools(judged, with_returns=True)}
        has_calls = bool(called)
        has_results = any(m.role == "tool" for m in view.messages)
        with usage_scope() as usage:
            checks = await asyncio.gather(
                *(self._judge(e, tools["returns" if e == "tool_response" else "plain"], transcript, has_calls,
                              has_results) for e in self.experts)
            )
        scope = "turn" if view.step is not None else "dialogue"
        verdict = Verdict.from_checks(list(checks), scope=scope, step=view.step.index if view.step else None)
        return AgentOutput(verdict=verdict, usage=usage.as_dict())

    async def _judge(self, expert: str, tools: str, transcript: str, has_calls: bool, has_results: bool) -> CheckResult:
        if expert == "hallucination" and not has_calls:
            return CheckResult(rule=expert, passed=True, reason="no tool calls to check", layer="model")
        if expert == "tool_response" and not has_results:
            return CheckResult(rule=expert, passed=True, reason="no tool responses to check", layer="model")
        prompt = JUDGE_PROMPTS[expert].format(tools=tools, transcript=transcript)
        out = await self.ask_structured(system=JUDGE_SYSTEM, prompt=prompt, output=_JudgeOut, agent_name=expert,
                                        check=reason_problems, schema=_JUDGE_SCHEMA, max_tokens=_JUDGE_TOKENS)
        return CheckResult(rule=expert, passed=out.passed, reason=out.reason.strip(), layer="model")
