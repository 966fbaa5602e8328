"""Offline user: phrases each plan step from templates with concrete values, answers
the assistant's questions, and moves on once a step is done (ToolFlow's user)."""

from __future__ import annotations

import random
import re
from typing import Any

from turnloom.agents._protocol import AgentOutput, AgentView
from turnloom.agents.offline._phrasing import (
    ORDINALS,
    USER_TEMPLATES,
    action_phrase,
    format_value,
    param_phrase,
    render_args,
)
from turnloom.schema import Message, Plan, PlanStep, ToolSpec
from turnloom.tools_env.analysis import singular

__all__ = ["OfflineUser"]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _entity_of(field: str) -> tuple[str, bool]:
    """``flights[].flight_id`` -> (``flight``, True); ``booking_id`` -> (``booking``, False)."""
    if "[]" in field:
        container = field.split("[]")[0].split(".")[-1]
        return singular(container).replace("_", " "), True
    leaf = field.split(".")[-1]
    if leaf.endswith("_id"):
        return leaf[:-3].replace("_", " "), False
    parent = field.split(".")[-2] if "." in field else "record"
    return singular(parent).replace("_", " "), False


class OfflineUser:
    name = "offline-user"

    async def act(self, view: AgentView) -> AgentOutput:
        rng = random.Random(view.seed)
        plan = view.plan
        step = view.step
        if plan is None or step is None:
            return AgentOutput(end=True)
        tools = {t.name: t for t in view.tools}
        if view.turns_in_step > 0:
            answer = self._answer(view, step, tools, rng)
            if answer is not None:
                return AgentOutput(messages=[Message(role="user", content=answer, step=step.index)],
                                   step_index=step.index)
            nxt = step.index + 1
            if nxt >= len(plan.steps):
                return AgentOutput(end=True)
            step = plan.steps[nxt]
        text = self.opening(step, plan, tools, rng)
        return AgentOutput(messages=[Message(role="user", content=text, step=step.index)], step_index=step.index)

    # -------------------------------------------------------------------------------
    def _answer(self, view: AgentView, step: PlanStep, tools: dict[str, ToolSpec],
                rng: random.Random) -> str | None:
        """Answer the assistant's question when it asks for a value this step has."""
        if view.turns_in_step >= 3:
            return None
        last = next((m for m in reversed(view.messages) if m.role == "assistant" and m.content), None)
        if last is None or not (last.content or "").rstrip().endswith("?"):
            return None
        asked = (last.content or "").lower()
        known: dict[str, Any] = {}
        if step.kind == "parallel":
            for call in step.slots.get("calls", []):
                known.update(call)
        else:
            known = dict(step.slots)
        for name in step.tools:
            tool = tools.get(name)
            if tool is None:
                continue
            for param in sorted(tool.properties, key=lambda p: -len(param_phrase(p))):
                phrase = param_phrase(param)
                if param in known and re.search(rf"\b{re.escape(phrase)}\b", asked):
                    phrases = tuple(param_phrase(p) for p in tool.properties)
                    template = rng.choice(USER_TEMPLATES["clarify_answer"])
                    if "{phrase}" not in template and param not in step.withhold:
                        template = "The {phrase} is {value}."
                    return template.format(phrase=phrase, value=format_value(known[param], phrases))
        return None

    def opening(self, step: PlanStep, plan: Plan, tools: dict[str, ToolSpec], rng: random.Random) -> str:
        kind = step.kind
        if kind in ("chitchat", "irrelevant"):
            return str(step.slots.get("text", "By the way, how are you?"))
        if kind == "closing":
            return rng.choice(USER_TEMPLATES["closing"])
        tool = tools.get(step.tools[0]) if step.tools else None
        if tool is None:
            return rng.choice(USER_TEMPLATES["closing"])
        if kind == "parallel":
            calls = step.slots.get("calls", [{}, {}])
            second = tools.get(step.tools[-1], tool)
            a = self._request(tool, calls[0], rng)
            b = self._request(second, calls[1] if len(calls) > 1 else {}, rng)
            b = b if b.startswith(("I ", "I'")) else b[:1].lower() + b[1:]
            return rng.choice(USER_TEMPLATES["parallel_join"]).format(a=a, b=b)
        if kind == "dependent":
            param, binding = next(iter(step.bindings.items()))
            field = binding.split(".", 2)[2].split("#")[0] if binding.count(".") >= 2 else param
            ordinal = int(binding.rsplit("#", 1)[1]) if "#" in binding else 0
            entity, listed = _entity_of(field)
            ref = f"{ORDINALS[ordinal]} {entity} from those results" if listed else f"{entity} from before"
            args = render_args(tool, step.slots)
            tail = f", with {args}" if args else ""
            template = rng.choice(USER_TEMPLATES["dependent"])
            return _cap(template.format(action=action_phrase(tool, rng.randrange(2)), ref=ref, args_tail=tail))
        if kind == "follow_up":
            (param, value), = step.slots.items() if len(step.slots) == 1 else list(step.slots.items())[:1]
            phrases = tuple(param_phrase(p) for p in tool.properties)
            if step.bindings:
                entity = next(iter(step.bindings)).removesuffix("_id").replace("_", " ")
                template = rng.choice(USER_TEMPLATES["follow_up_update"])
                return template.format(phrase=param_phrase(param), value=format_value(value, phrases),
                                       entity=entity, action=action_phrase(tool, rng.randrange(2)))
            template = rng.choice(USER_TEMPLATES["follow_up_requery"])
            what = " ".join(tool.name.split("_")[1:]).replace("_", " ") or tool.name
            return template.format(phrase=param_phrase(param), value=format_value(value, phrases), what=what)
        slots = {k: v for k, v in step.slots.items() if k not in step.withhold}
        return self._request(tool, slots, rng, templates="error_recovery" if kind == "error_recovery" else "single")

    def _request(self, tool: ToolSpec, slots: dict[str, Any], rng: random.Random, templates: str = "single") -> str:
        action = action_phrase(tool, rng.randrange(3))
        if not slots:
            return rng.choice(USER_TEMPLATES["noargs"]).format(action=action)
        template = rng.choice(USER_TEMPLATES[templates])
        return template.format(action=action, Action=_cap(action), args=render_args(tool, slots))
