"""The rule layer of verification (ToolACE's rule checker plus environment checks).

Each rule takes a :class:`RuleContext` and returns its findings as
:class:`~turnloom.schema.CheckResult` items (one passing item when all is well).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from turnloom.agents.spoken import find_today, resolve_dates
from turnloom.schema import CheckResult, Message, Plan, ToolSpec, canonical_json, json_leaves
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.ranges import inverted_ranges
from turnloom.tools_env.world import World

__all__ = ["DIALOGUE_RULES", "TURN_RULES", "RuleContext"]


@dataclass
class RuleContext:
    messages: list[Message]
    tools: dict[str, ToolSpec]
    env: ToolEnvironment
    plan: Plan | None = None
    #: first message of the turn under check (turn scope); 0 for the whole dialogue
    start: int = 0
    world_initial: World | None = None
    world_final: World | None = None
    ended: str = "plan_complete"
    max_reply_chars: int = 2000
    extra: dict[str, Any] = field(default_factory=dict)
    #: calls() of (messages, their count, start) — rules ask for it several times
    _calls: tuple[list[Message], int, int, list[tuple[int, Any]]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def calls(self) -> list[tuple[int, Any]]:
        cached = self._calls
        if cached is not None and cached[0] is self.messages and cached[1] == len(self.messages) \
                and cached[2] == self.start:
            return list(cached[3])
        out = [(i, c) for i, m in enumerate(self.messages) if i >= self.start and m.role == "assistant"
               for c in m.tool_calls]
        self._calls = (self.messages, len(self.messages), self.start, out)
        return list(out)


Rule = Callable[[RuleContext], list[CheckResult]]


def _ok(rule: str) -> list[CheckResult]:
    return [CheckResult(rule=rule, passed=True)]


def _fail(rule: str, reason: str, index: int | None = None) -> CheckResult:
    return CheckResult(rule=rule, passed=False, reason=reason, message_index=index)


@lru_cache(maxsize=16384)
def _definition_problems(tool_json: str) -> tuple[str, ...]:
    tool = ToolSpec.model_validate_json(tool_json)
    out = []
    for attr in ("parameters", "returns"):
        schema = getattr(tool, attr)
        if schema is None:
            continue
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            out.append(f"{tool.name}.{attr}: invalid JSON Schema: {exc.message}")
    if not tool.description.strip():
        out.append(f"{tool.name}: no description")
    missing = [r for r in tool.required if r not in tool.properties]
    if missing:
        out.append(f"{tool.name}: required {missing} not among the parameters")
    return tuple(out)


def api_definition(ctx: RuleContext) -> list[CheckResult]:
    """API definition clarity (ToolACE): valid JSON Schemas, described, required ⊆ properties."""
    out = [_fail("api_definition", p) for _, tool in sorted(ctx.tools.items())
           for p in _definition_problems(tool.key())]
    return out or _ok("api_definition")


def tool_exists(ctx: RuleContext) -> list[CheckResult]:
    out = [_fail("tool_exists", f"call to unknown tool {c.name!r}", i) for i, c in ctx.calls()
           if c.name not in ctx.tools]
    return out or _ok("tool_exists")


def required_params(ctx: RuleContext) -> list[CheckResult]:
    out = []
    for i, c in ctx.calls():
        tool = ctx.tools.get(c.name)
        if tool is None:
            continue
        missing = [p for p in tool.required if p not in c.arguments]
        if missing:
            out.append(_fail("required_params", f"{c.name}: missing required {missing}", i))
    return out or _ok("required_params")


def args_valid(ctx: RuleContext) -> list[CheckResult]:
    out = []
    for i, c in ctx.calls():
        if c.name not in ctx.tools:
            continue
        unknown = sorted(set(c.arguments) - set(ctx.tools[c.name].properties))
        if unknown and ctx.tools[c.name].parameters.get("additionalProperties") is not True:
            out.append(_fail("args_valid", f"{c.name}: unknown parameters {unknown}", i))
        problems = [p for p in ctx.env.argument_errors(c.name, c.arguments) if "required property" not in p]
        if problems:
            out.append(_fail("args_valid", f"{c.name}: " + "; ".join(problems), i))
    return out or _ok("args_valid")


def call_answered(ctx: RuleContext) -> list[CheckResult]:
    out = []
    msgs = ctx.messages
    calls = ctx.calls()
    answering: dict[str | None, list[int]] = {}
    for j, m in enumerate(msgs):
        if m.role == "tool":
            answering.setdefault(m.tool_call_id, []).append(j)
    for i, c in calls:
        answers = [j for j in answering.get(c.id, ()) if j > i]
        if len(answers) != 1:
            out.append(_fail("call_answered", f"call {c.id} ({c.name}) has {len(answers)} tool answers", i))
        elif msgs[answers[0]].name not in (None, c.name):
            out.append(_fail("call_answered", f"call {c.id} names {c.name} but its answer names "
                             f"{msgs[answers[0]].name}", answers[0]))
    ids = [c.id for _, c in calls]
    if len(ids) != len(set(ids)):
        out.append(_fail("call_answered", "duplicate tool call ids"))
    known: set[str] | None = None
    for j, m in enumerate(msgs[ctx.start:], ctx.start):
        if m.role != "tool":
            continue
        if known is None:
            known = set(ids) | {c.id for mm in msgs[: ctx.start] for c in mm.tool_calls}
        if m.tool_call_id not in known:
            out.append(_fail("call_answered", f"tool message answers unknown call {m.tool_call_id}", j))
    return out or _ok("call_answered")


def roles_in_order(ctx: RuleContext) -> list[CheckResult]:
    msgs = ctx.messages
    out = []
    first = next((m for m in msgs if m.role != "system"), None)
    if first is not None and first.role != "user":
        out.append(_fail("roles_in_order", f"the dialogue starts with {first.role}, expected user"))
    for i in range(max(1, ctx.start), len(msgs)):
        prev, cur = msgs[i - 1], msgs[i]
        if cur.role == "system":
            out.append(_fail("roles_in_order", "system message after the start", i))
        elif cur.role == "tool" and not (prev.role == "tool" or (prev.role == "assistant" and prev.tool_calls)):
            out.append(_fail("roles_in_order", "tool message without a preceding call", i))
        elif cur.role == "user" and prev.role not in ("assistant", "system"):
            out.append(_fail("roles_in_order", f"user message after {prev.role}", i))
        elif cur.role == "assistant" and prev.role == "assistant" and prev.tool_calls:
            out.append(_fail("roles_in_order", "assistant message before the tool answers", i))
        elif cur.role == "user" and prev.role == "assistant" and prev.tool_calls:
            out.append(_fail("roles_in_order", "user message before the tool answers", i))
    return out or _ok("roles_in_order")


def _norm(text: str) -> str:
    """Lower-cased, whitespace runs as one space, trimmed (short texts memoized)."""
    if len(text) > 512:
        return _normalize(text)
    return _norm_short(text)


def _normalize(text: str) -> str:
    # same as re.sub(r"\s+", " ", text.lower()).strip(): \s and str.split() agree on whitespace
    return " ".join(text.lower().split())


_norm_short = lru_cache(maxsize=16384)(_normalize)


def _forms(value: Any) -> list[str]:
    if isinstance(value, float):
        forms = {repr(value), f"{value:.2f}".rstrip("0").rstrip("."), f"{value:g}"}
        if value == int(value):
            forms.add(str(int(value)))
        return sorted(forms)
    return [_norm(str(value))]


_COUNT_WORDS = {w: i for i, w in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"))}
#: a count said in words: "two nights", "four of us", "a party of six"; "one" only where it counts something
_COUNT_SAID = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
                         r"|\bone(?= (?:person|guest|night|day|week|result|room|seat|ticket|adult|child|of us)\b)"
                         r"|(?<=of )one\b|(?<=seat )one\b|(?<=seats )one\b|(?<=room for )one\b")


def _counts(text: str) -> str:
    """The counts a user said in words, as digits ("two nights" -> "2")."""
    return " ".join(str(_COUNT_WORDS[m.group(0)]) for m in _COUNT_SAID.finditer(text))


@lru_cache(maxsize=4096)
def _number_pattern(form: str) -> re.Pattern[str]:
    """A number said on its own: not part of a longer number ("25" is not in "$250" nor in "2.5")."""
    tail = r"0*" if "." in form else r"(?:\.0+)?"
    return re.compile(rf"(?<![\w.]){re.escape(form)}{tail}(?!\d|\.\d)")


def _said(leaf: Any, corpus: str) -> bool:
    if isinstance(leaf, (int, float)) and not isinstance(leaf, bool):
        return any(f in corpus and _number_pattern(f).search(corpus) for f in _forms(leaf))
    return any(f in corpus for f in _forms(leaf))


@lru_cache(maxsize=16384)
def _said_texts(content: str, user: bool, today: dt.date | None) -> tuple[str, ...]:
    """What a user or system message grounds: its normalized text and, from the user, the counts
    said in words as digits and the days its relative phrases name (counted from ``today``)."""
    text = _norm(content)
    if not user:
        return (text,)
    dates = tuple(d.isoformat() for d in resolve_dates(content, today)) if today is not None else ()
    return (text, _counts(text), *dates)


def grounded_args(ctx: RuleContext) -> list[CheckResult]:
    """Hallucination (rule form): every argument value appears in what the user or the
    system said, or in an earlier tool output; a date may also be the day a relative phrase
    the user said ("next Friday") names, counted from the dialogue date in the system message."""
    out = []
    seen: list[str] = []
    today = find_today(m.content for m in ctx.messages if m.role == "system")
    for i, m in enumerate(ctx.messages):
        if m.role == "assistant" and i >= ctx.start:
            corpus = " ".join(seen)
            for c in m.tool_calls:
                tool = ctx.tools.get(c.name)
                props = tool.properties if tool else {}
                for key, value in c.arguments.items():
                    default = props.get(key, {}).get("default") if isinstance(props.get(key), dict) else None
                    if value == default:
                        continue
                    for leaf in json_leaves(value):
                        if isinstance(leaf, bool) or leaf is None or leaf == "":
                            continue
                        if not _said(leaf, corpus):
                            out.append(_fail("grounded_args", f"{c.name}.{key}={leaf!r} appears nowhere "
                                             "in the dialogue or earlier tool outputs", i))
        if m.role in ("user", "system") and m.content:
            seen.extend(_said_texts(m.content, m.role == "user", today))
        elif m.role == "tool":
            seen.extend(_tool_texts(m))
    return out or _ok("grounded_args")


#: id(message) -> (message, its content, the two normalized texts); holds the message,
#: so an id is never reused while its entry lives
_TOOL_TEXTS: OrderedDict[int, tuple[Message, Any, str, str]] = OrderedDict()
_TOOL_TEXTS_MAX = 2048


def _tool_texts(m: Message) -> tuple[str, str]:
    """What a tool message adds to the grounding corpus: its content as JSON and its
    leaf values, normalized (computed once per message: turns re-verify the dialogue)."""
    content = m.result.content if m.result is not None else m.content
    hit = _TOOL_TEXTS.get(id(m))
    if hit is not None and hit[0] is m and hit[1] is content:
        return hit[2], hit[3]
    as_json = _norm(json.dumps(content, ensure_ascii=False) if not isinstance(content, str) else content)
    leaves = " ".join(_norm(str(x)) for x in json_leaves(content))
    _TOOL_TEXTS[id(m)] = (m, content, as_json, leaves)
    if len(_TOOL_TEXTS) > _TOOL_TEXTS_MAX:
        _TOOL_TEXTS.popitem(last=False)
    return as_json, leaves


_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def _scripts(text: str) -> set[str]:
    if text.isascii():
        return {"LATIN"} if any(ch.isalpha() for ch in text) else set()
    found = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            found.add(name.split(" ")[0] if name else "UNKNOWN")
    return found - {"UNKNOWN"}


def reply_quality(ctx: RuleContext) -> list[CheckResult]:
    """Dialogue correctness (ToolACE): replies not too long, no invalid characters,
    no mixed languages."""
    out = []
    for i, m in enumerate(ctx.messages[ctx.start:], ctx.start):
        text = m.content or ""
        if m.role == "assistant" and len(text) > ctx.max_reply_chars:
            out.append(_fail("reply_length", f"reply of {len(text)} characters (limit {ctx.max_reply_chars})", i))
        if _INVALID.search(text):
            out.append(_fail("invalid_chars", f"{m.role} message contains control or replacement characters", i))
        scripts = _scripts(text) - {"DIGIT"}
        if m.role in ("user", "assistant") and len(scripts) > 1:
            out.append(_fail("mixed_language", f"{m.role} message mixes scripts {sorted(scripts)}", i))
    return out or [CheckResult(rule=r, passed=True) for r in ("reply_length", "invalid_chars", "mixed_language")]


def reply_complete(ctx: RuleContext) -> list[CheckResult]:
    msgs = ctx.messages
    if ctx.ended != "plan_complete":
        return [_fail("reply_complete", f"dialogue ended early: {ctx.ended}")]
    last = msgs[-1] if msgs else None
    if last is None or last.role != "assistant" or last.tool_calls or not (last.content or "").strip():
        return [_fail("reply_complete", "the dialogue does not end with an assistant reply")]
    empty = [i for i, m in enumerate(msgs) if m.role in ("user", "assistant") and not m.tool_calls
             and not (m.content or "").strip()]
    if empty:
        return [_fail("reply_complete", f"empty {msgs[empty[0]].role} message", empty[0])]
    return _ok("reply_complete")



def date_order(ctx: RuleContext) -> list[CheckResult]:
    """A date range in a call's arguments ends no earlier than it starts (``check_out`` >=
    ``check_in``, ``end_date`` >= ``start_date``, ``return_date`` >= ``departure_date``, ...)."""
    out = [_fail("date_order", f"{c.name}: {end}={c.arguments[end]!r} is before {start}={c.arguments[start]!r}", i)
           for i, c in ctx.calls() for start, end in inverted_ranges(c.arguments)]
    return out or _ok("date_order")


def repeated_call(ctx: RuleContext) -> list[CheckResult]:
    """Within one user turn, the assistant does not repeat a call that already succeeded with
    the same arguments (a model stuck in a loop); retrying a call that failed is fine."""
    out = []
    # only the user turn that holds ctx.start onwards can repeat a call under check
    begin = next((i for i in range(min(ctx.start, len(ctx.messages) - 1), -1, -1)
                  if ctx.messages[i].role == "user"), 0)
    failed = {m.tool_call_id for m in ctx.messages[begin:] if m.role == "tool" and m.result is not None
              and not m.result.ok}
    seen: set[str] = set()
    for i, m in enumerate(ctx.messages[begin:], begin):
        if m.role == "user":
            seen = set()
        elif m.role == "assistant":
            for c in m.tool_calls:
                key = canonical_json([c.name, c.arguments])
                if key in seen and i >= ctx.start:
                    out.append(_fail("repeated_call", f"{c.name} called again with the same arguments "
                                     "in the same turn", i))
                if c.id not in failed:
                    seen.add(key)
    return out or _ok("repeated_call")


TURN_RULES: dict[str, Rule] = {
    "tool_exists": tool_exists,
    "required_params": required_params,
    "args_valid": args_valid,
    "call_answered": call_answered,
    "grounded_args": grounded_args,
    "date_order": date_order,
    "repeated_call": repeated_call,
    "reply_quality": reply_quality,
}

DIALOGUE_RULES: dict[str, Rule] = {
    "api_definition": api_definition,
    **TURN_RULES,
    "roles_in_order": roles_in_order,
    "reply_complete": reply_complete,
}
