"""Rules for meaning, beyond form: a reply that reports results reflects them, no raw JSON
is dumped on the user, and a dialogue is not mostly tool errors nobody planned.

* ``reply_reflects_results`` (turn) -- an assistant reply right after successful tool
  results mentions at least one value from them (a name, a number, an id, a date...);
  results that hold no value worth saying (empty lists, pages without records, bare flags)
  ask for nothing;
* ``no_raw_dump`` (turn) -- a reply carries no JSON object or array of records as text
  (``{"flights": [...]}``, ``[{...}]``): users get sentences, not payloads;
* ``unplanned_errors`` (dialogue) -- fails when two or more tool results, and more than
  half of them, are errors the plan did not ask for (an error-recovery step's first failure
  is asked for).
"""

from __future__ import annotations

import json
import re
from typing import Any

from turnloom.agents.verify._rules import RuleContext, _fail, _forms, _norm, _ok
from turnloom.schema import CheckResult, json_leaves
from turnloom.tools_env._memo import Memo

__all__ = ["DIALOGUE_MEANING_RULES", "REPLY_RULES"]

_JSON_START = re.compile(r"[\[{]\s*[\"{\[]")


#: id(result content) -> its sayable values (the entry holds the content, so the id stays its
#: own; turns re-verify the same results)
_SAYABLE = Memo(2048)


def _sayable(content: Any) -> list[str]:
    """The result values a reply could mention: strings and numbers, normalized (memoized)."""
    found, values = _SAYABLE.get(id(content), content)
    if not found:
        values = _values(content)
        _SAYABLE.put(id(content), content, values)
    return values  # type: ignore[no-any-return]


def _values(content: Any) -> list[str]:
    out = []
    for leaf in json_leaves(content):
        if isinstance(leaf, bool) or leaf is None or leaf == "":
            continue
        if isinstance(leaf, (int, float)) or (isinstance(leaf, str) and len(leaf) <= 200):
            out.extend(_forms(leaf))
    return out


def reply_reflects_results(ctx: RuleContext) -> list[CheckResult]:
    out = []
    msgs = ctx.messages
    for i in range(max(ctx.start, 1), len(msgs)):
        m = msgs[i]
        if m.role != "assistant" or m.tool_calls or not (m.content or "").strip():
            continue
        j = i - 1
        results = []
        while j >= 0 and msgs[j].role == "tool":
            if msgs[j].result is not None and msgs[j].result.ok and not _empty_page(msgs[j].result.content):
                results.append(msgs[j].result.content)
            j -= 1
        values = [v for r in results for v in _sayable(r)]
        if not results or not values:
            continue
        text = _norm(m.content or "")
        if not any(v and v in text for v in values):
            out.append(_fail("reply_reflects_results", "the reply mentions none of the values the tools "
                             "returned", i))
    return out or _ok("reply_reflects_results")


def _empty_page(content: Any) -> bool:
    """A page of records with no records (``{"data": [], "has_more": false, "first_id": null}``):
    its cursors and counts are no answer a reply owes the user."""
    if not isinstance(content, dict):
        return False
    lists = [v for v in content.values() if isinstance(v, list)]
    return bool(lists) and not any(lists) and not any(isinstance(v, dict) for v in content.values())


def _json_payload(text: str) -> bool:
    for match in _JSON_START.finditer(text):
        chunk = text[match.start():]
        try:
            value, _ = json.JSONDecoder().raw_decode(chunk)
        except ValueError:
            continue
        if isinstance(value, dict) and value or isinstance(value, list) and any(isinstance(x, dict) for x in value):
            return True
    return False


def no_raw_dump(ctx: RuleContext) -> list[CheckResult]:
    out = [_fail("no_raw_dump", "the reply dumps raw JSON on the user", i)
           for i, m in enumerate(ctx.messages[ctx.start:], ctx.start)
           if m.role == "assistant" and m.content and ("{" in m.content or "[" in m.content)
           and _json_payload(m.content)]
    return out or _ok("no_raw_dump")


def unplanned_errors(ctx: RuleContext) -> list[CheckResult]:
    planned_steps = {s.index for s in ctx.plan.steps if s.kind == "error_recovery"} if ctx.plan else set()
    step_of = {c.id: m.step for m in ctx.messages if m.role == "assistant" for c in m.tool_calls}
    results = [m for m in ctx.messages if m.role == "tool" and m.result is not None]
    forgiven: set[int | None] = set()
    errors = 0
    for m in results:
        if m.result is not None and not m.result.ok:
            step = step_of.get(m.tool_call_id or "")
            if step in planned_steps and step not in forgiven:
                forgiven.add(step)  # the failure the plan asked for
                continue
            errors += 1
    if errors >= 2 and errors * 2 > len(results):
        return [_fail("unplanned_errors", f"{errors} of {len(results)} tool results are errors the plan "
                      "did not ask for")]
    return _ok("unplanned_errors")


REPLY_RULES = {"reply_reflects_results": reply_reflects_results, "no_raw_dump": no_raw_dump}
DIALOGUE_MEANING_RULES = {**REPLY_RULES, "unplanned_errors": unplanned_errors}
