"""The model layer of verification, offline: heuristic versions of ToolACE's three
expert judges, and the dual-layer verifier that combines rules and judges.

* **hallucination** – facts (numbers, ids, dates) in the assistant's replies that
  appear nowhere earlier in the dialogue or in tool outputs;
* **consistency** – each reply completes its request within its constraints: after a
  successful call it reports something the tool returned, after a failure it says so,
  on a request no tool can serve it declines;
* **tool response** – each simulated tool result fits the API definition: it validates
  against the ``returns`` schema and agrees with the arguments echoed into it (results of
  bound Python classes are the real behaviour and are not judged).

With a verifier model configured, the LLM judges replace these (same rule names).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from turnloom.agents._protocol import AgentOutput, AgentView
from turnloom.agents.spoken import days_said, find_today
from turnloom.agents.verify._meaning_rules import _empty_page
from turnloom.agents.verify.verifier import RuleVerifier
from turnloom.schema import CheckResult, Message, Verdict, canonical_json

__all__ = ["DualLayerVerifier", "HeuristicJudges", "dialogue_view", "judge_messages", "verify_dialogue"]

_FACT = re.compile(r"\b(?:\d{4}-\d{2}-\d{2}|[A-Z]{2,}-\d{3,}|\d+(?:\.\d+)?)\b")
_DECLINE = re.compile(r"\b(can't|cannot|unable|not able|sorry|no tool|none of my tools)\b", re.I)
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FAILURE = re.compile(r"\b(couldn't|could not|failed|error|unavailable|sorry|not found|try again)\b", re.I)


def _fail(rule: str, reason: str, index: int | None = None) -> CheckResult:
    return CheckResult(rule=rule, passed=False, reason=reason, layer="model", message_index=index)


def _text_of(m: Message) -> str:
    if m.role == "tool":
        if m.result is not None and m.result.error is not None:
            return m.result.error
        content = m.result.content if m.result is not None else m.content
        return canonical_json(content) if not isinstance(content, str) else content
    return m.content or ""


def judge_hallucination(messages: list[Message]) -> list[CheckResult]:
    out = []
    seen = ""
    for i, m in enumerate(messages):
        if m.role == "assistant" and m.content:
            for fact in sorted(set(_FACT.findall(m.content))):
                if len(fact) < 2 or fact in seen:
                    continue
                # list positions ("1)") and small counts are the reply's own numbering
                if fact.isdigit() and int(fact) <= 10:
                    continue
                out.append(_fail("hallucination", f"reply states {fact!r}, found nowhere earlier in the dialogue", i))
        seen += " " + _text_of(m)
    return out or [CheckResult(rule="hallucination", passed=True, layer="model")]


def judge_consistency(messages: list[Message], plan_kinds: dict[int, str]) -> list[CheckResult]:
    out = []
    today = find_today(m.content for m in messages if m.role == "system")
    for i, m in enumerate(messages):
        if m.role != "assistant" or m.tool_calls or not m.content:
            continue
        prev = messages[i - 1] if i > 0 else None
        kind = plan_kinds.get(m.step) if m.step is not None else None
        if prev is not None and prev.role == "tool":
            results = []
            j = i - 1
            while j >= 0 and messages[j].role == "tool":
                results.append(messages[j])
                j -= 1
            ok = [r for r in results if r.result is not None and r.result.ok and not _empty_page(r.result.content)]
            failed = [r for r in results if r.result is not None and not r.result.ok]
            if failed and not ok and not _FAILURE.search(m.content):
                out.append(_fail("consistency", "the tool call failed but the reply does not say so", i))
            if ok and not _mentions_result(m.content, ok, today):
                out.append(_fail("consistency", "the reply reports nothing the tool returned", i))
        elif kind == "irrelevant" and not _DECLINE.search(m.content):
            out.append(_fail("consistency", "no tool can serve this request but the reply does not decline", i))
    return out or [CheckResult(rule="consistency", passed=True, layer="model")]


def _scalars(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _scalars(v)]
    if isinstance(value, list):
        return [x for v in value for x in _scalars(v)]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, float) and value.is_integer():
        return [str(value), str(int(value))]  # a reply says 10000 for a balance of 10000.0
    return [str(value)]


def _mentions_result(text: str, results: list[Message], today: dt.date | None = None) -> bool:
    lowered = text.lower()
    values = [v.lower() for r in results for v in _scalars(r.result.content if r.result else None) if len(v) >= 2]
    if not values or any(v in lowered for v in values):
        return True
    # a date or timestamp of the results said in words ("November 27, 2023 at 12:35", "this Thursday")
    days = [m for v in values if (m := _ISO_DAY.match(v))]
    if not days:
        return False
    said = days_said(text, today)
    return any((int(m.group(2)), int(m.group(3))) in said for m in days)


@lru_cache(maxsize=4096)
def _returns_validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def _from_code(tool: Any) -> bool:
    """True when the tool's results come from real code (a bound Python class), not simulation: what the
    code returns is the behaviour, and its type hints are no more than a claim about it."""
    return any(str(t).startswith("python:") for t in getattr(tool, "tags", []))


def judge_tool_response(messages: list[Message], tools: dict[str, Any]) -> list[CheckResult]:
    out = []
    calls = {c.id: c for m in messages for c in m.tool_calls}
    schemas: dict[str, str] = {}
    for i, m in enumerate(messages):
        if m.role != "tool" or m.result is None or not m.result.ok:
            continue
        tool = tools.get(m.name or "")
        if tool is None or not tool.returns or _from_code(tool):
            continue
        schema_json = schemas.get(tool.name)
        if schema_json is None:
            schema_json = schemas[tool.name] = canonical_json(tool.returns)
        errors = list(_returns_validator(schema_json).iter_errors(m.result.content))
        if errors:
            out.append(_fail("tool_response", f"{m.name}: result does not fit its returns schema: "
                             f"{errors[0].message}", i))
            continue
        call = calls.get(m.tool_call_id or "")
        content = m.result.content
        if call is not None and isinstance(content, dict):
            for key, value in call.arguments.items():
                # a field holding a list or object (a message's content parts for its text) is another
                # representation of the value, not a contradiction of it
                if key in content and isinstance(value, (str, int, float)) and not isinstance(value, bool) \
                        and not isinstance(content[key], (dict, list)) and content[key] != value \
                        and str(content[key]).lower() != str(value).lower():
                    out.append(_fail("tool_response", f"{m.name}: argument {key}={value!r} but the result "
                                     f"says {content[key]!r}", i))
    return out or [CheckResult(rule="tool_response", passed=True, layer="model")]


def judge_messages(view: AgentView) -> list[CheckResult]:
    kinds = {s.index: s.kind for s in view.plan.steps} if view.plan is not None else {}
    tools = {t.name: t for t in view.tools}
    return (judge_hallucination(view.messages) + judge_consistency(view.messages, kinds)
            + judge_tool_response(view.messages, tools))


class HeuristicJudges:
    """The offline model layer (no model needed)."""

    name = "heuristic-judges"

    async def act(self, view: AgentView) -> AgentOutput:
        checks = judge_messages(view)
        disabled = set(view.context.get("verify", {}).get("disable", []))
        checks = [c for c in checks if c.rule not in disabled]
        return AgentOutput(verdict=Verdict.from_checks(checks))


class DualLayerVerifier:
    """Rule layer on every turn; rule + model layer on the whole dialogue."""

    name = "dual-verifier"

    def __init__(self, judges: Any = None) -> None:
        self.rules = RuleVerifier()
        self.judges = judges or HeuristicJudges()

    async def act(self, view: AgentView) -> AgentOutput:
        verdict = self.rules.verify(view)
        usage: dict[str, int] = {}
        if view.context.get("scope", "dialogue") == "dialogue" and view.context.get("ended") in ("plan_complete", ""):
            judged = await self.judges.act(view)
            usage = judged.usage
            if judged.verdict is not None:
                verdict = Verdict.from_checks(verdict.checks + judged.verdict.checks, scope="dialogue",
                                              step=verdict.step)
        return AgentOutput(verdict=verdict, usage=usage)


def dialogue_view(d: Any, *, scope: str = "dialogue") -> AgentView:
    """The verifier's view of a recorded :class:`~turnloom.schema.Dialogue`."""
    ctx: dict[str, Any] = dict(d.settings)
    ctx.update(scope=scope, start=0, ended=d.stats.get("ended", "plan_complete") or "plan_complete")
    if d.world_initial:
        ctx["world_initial"] = d.world_initial
    if d.world_final:
        ctx["world_final"] = d.world_final
    return AgentView(role="verifier", seed=d.seed, tools=d.tools, messages=d.messages,
                     plan=d.plan if d.plan.steps else None, context=ctx)


async def verify_dialogue(d: Any, verifier: Any = None) -> Verdict:
    """Re-verify a recorded dialogue with the dual-layer verifier (or the one given)."""
    out = await (verifier or DualLayerVerifier()).act(dialogue_view(d))
    return out.verdict or Verdict(accepted=True)
