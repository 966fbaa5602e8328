"""Offline assistant: reads the conversation (never the plan), decides whether a tool
is needed, asks for missing required values, calls tools with arguments taken from
the user's words or earlier tool outputs, retries transient failures, and summarizes
results (ToolFlow's assistant; ToolACE's call / ask / summarize / answer actions)."""

from __future__ import annotations

import random
import re

from turnloom.agents._protocol import AgentOutput, AgentView
from turnloom.agents.offline._extract import (
    QUOTED,
    extract_args,
    said_as_named,
    said_in_order,
    said_words,
    score_tool,
    split_clauses,
    tool_info,
    verb_word,
)
from turnloom.agents.offline._phrasing import param_phrase
from turnloom.agents.offline._replies import decorate, failure, pick_reply, summarize
from turnloom.agents.offline._results import COUNTED_REF_TEXT, LISTED_REF_TEXT, MISSING, find_in_results
from turnloom.agents.offline._templates import chitchat_replies
from turnloom.agents.spoken import find_today
from turnloom.schema import Message, ToolCall, ToolSpec, derive_seed
from turnloom.tools_env.analysis import profile_tool
from turnloom.tools_env.flow import normalize_name

__all__ = ["OfflineAssistant"]

_THRESHOLD = 2.2
_TRANSIENT = re.compile(r"\b(429|500|502|503|504)\b|timeout|rate limit", re.I)
_REQUEST = re.compile(r"\b(can you|could you|please|i need|i want|i'd like|would you)\b", re.I)
_CLOSING = re.compile(r"\b(thanks|thank you|thx|bye|that's all|that's everything|that covers it|cheers|is all)\b",
                      re.I)
_REFERENCE = re.compile(r"\bthe (?:first|second|third|fourth|fifth) (?:\w+ )?\w+ (?:" + LISTED_REF_TEXT + ")|"
                        r"\b(?:the|that) (?:\w+ )?\w+ from before\b|\bthe (?:\w+ )?\w+ you just got me\b"
                        r"|\b(?:the|that) (?:\w+ )?\w+ (?:we|you) just (?:looked at|pulled up|discussed|found"
                        r"|brought up|mentioned|showed me|got|saw)\b"
                        r"|\b(?:the|that) (?:\w+ )?\w+ (?:in question|from earlier|from a minute ago|from a moment ago"
                        r"|we covered|we were just on|we've got open|on screen|we're looking at)\b"
                        r"|\b(?:that|the|this) same (?:\w+ )?\w+|\bthe very same (?:\w+ )?\w+"
                        r"|\b(?:the|whichever) (?:\w+ )?\w+ (?:that )?(?:" + LISTED_REF_TEXT + ")"
                        r"|\bthe (?:first|second|third|fourth|fifth) of (?:those|these|the)"
                        r" (?:results|options|matches)|\b" + COUNTED_REF_TEXT, re.I)
_FOLLOW = re.compile(r"\b(instead|what about|check again)\b", re.I)


class OfflineAssistant:
    name = "offline-assistant"

    def __init__(self, threshold: float = _THRESHOLD) -> None:
        self.threshold = threshold

    async def act(self, view: AgentView) -> AgentOutput:
        msgs = view.messages
        tools = {t.name: t for t in view.tools}
        if msgs and msgs[-1].role == "tool":
            return AgentOutput(messages=[self._after_tools(msgs, tools, view.seed)])
        return AgentOutput(messages=[self._after_user(msgs, tools, view.seed)])

    # -- after tool results -----------------------------------------------------------
    def _after_tools(self, msgs: list[Message], tools: dict[str, ToolSpec], seed: int) -> Message:
        last_call = max(i for i, m in enumerate(msgs) if m.role == "assistant" and m.tool_calls)
        results = [m.result for m in msgs[last_call + 1:] if m.role == "tool" and m.result is not None]
        calls = {c.id: c for c in msgs[last_call].tool_calls}
        last_user = max((i for i, m in enumerate(msgs) if m.role == "user"), default=0)
        failed = [r for r in results if r.error is not None]
        retry = []
        for r in failed:
            call = calls.get(r.call_id)
            if call is None or not _TRANSIENT.search(r.error or ""):
                continue
            tries = sum(1 for m in msgs[last_user:] for c in m.tool_calls
                        if c.name == call.name and c.arguments == call.arguments)
            if tries < 2:
                retry.append(call)
        if retry:
            new_calls = [ToolCall(id=_call_id(seed, k), name=c.name, arguments=dict(c.arguments))
                         for k, c in enumerate(retry)]
            return Message(role="assistant", content="", tool_calls=new_calls)
        rng = random.Random(seed)  # one per act, made only where a choice is drawn
        today = find_today(m.content for m in msgs if m.role == "system")
        parts = []
        for r in results:
            if r.error is not None:
                parts.append(failure(r.name, r.error, rng))
            else:
                parts.append(summarize(tools.get(r.name), calls.get(r.call_id), r.content, rng, today))
        if failed:
            return Message(role="assistant", content=" ".join(parts))
        kinds = {profile_tool(tools[r.name]).kind for r in results if r.name in tools}
        kind = kinds.pop() if len(kinds) == 1 else "other"
        return Message(role="assistant", content=decorate(" ".join(parts), kind, rng))

    # -- after a user message ---------------------------------------------------------
    def _after_user(self, msgs: list[Message], tools: dict[str, ToolSpec], seed: int) -> Message:
        users = [i for i, m in enumerate(msgs) if m.role == "user"]
        if not users:
            return Message(role="assistant", content="Hello! How can I help you today?")
        text = msgs[users[-1]].content or ""
        request, asked = text, None
        prev = msgs[users[-1] - 1] if users[-1] > 0 else None
        if (prev is not None and prev.role == "assistant" and not prev.tool_calls and len(users) > 1
                and (prev.content or "").rstrip().endswith("?") and (prev.content or "").startswith(_ASK_PREFIXES)):
            request = msgs[users[-2]].content or ""
            asked = prev.content
            if not self._answers(text, request, asked, tools):
                request, asked = text, None  # a new request (or an out-of-scope one), not the value asked for
        answered = [m.result for m in msgs if m.role == "tool" and m.result is not None and m.result.ok]
        results = [r.content for r in answered]
        sources = [r.name for r in answered]
        calls: list[ToolCall] = []
        today = find_today(m.content for m in msgs if m.role == "system")
        if not asked and _only_thanks(text, tools):
            # "thanks, that's the support ticket sorted": a closing, even when it names a tool's record
            return Message(role="assistant", content=self._no_tool_reply(text, tools, seed))
        if not asked and _FOLLOW.search(text):
            follow = self._follow_up(text, msgs, tools, seed)
            if follow is not None:
                return Message(role="assistant", content="", tool_calls=[follow])
        for clause in split_clauses(request):
            tool = self._choose(clause, tools)
            if tool is None:
                continue
            answer_text = text if asked else ""
            asked_param = _asked_param(asked, tool) if asked else None
            args = extract_args(clause, tool, today=today)
            if answer_text:
                given = extract_args(answer_text, tool, asked=asked_param, today=today)
                if asked_param in given and _not_a_key(tool, asked_param, given[asked_param]):
                    del given[asked_param]  # "the promo code is X" when the order id was asked: asked again
                args.update(given)
            missing = []
            for p in tool.required:
                if p in args:
                    continue
                # only ids come from earlier results; other values must be said by the user
                value = find_in_results(p, results, clause, sources) if _is_key(tool, p) else MISSING
                if value is MISSING:
                    missing.append(p)
                else:
                    args[p] = value
            key = profile_tool(tool).id_param
            if key and key not in args and _REFERENCE.search(text):
                # an optional lookup key ("PUT /pet" with the pet's id in the body) of a record referred to
                value = find_in_results(key, results, clause, sources)
                if value is not MISSING:
                    args[key] = value
            if missing:
                return Message(role="assistant", content=_ask(tool, missing[0], random.Random(seed)))
            calls.append(ToolCall(id=_call_id(seed, len(calls)), name=tool.name, arguments=args))
        if calls:
            return Message(role="assistant", content="", tool_calls=calls)
        return Message(role="assistant", content=self._no_tool_reply(text, tools, seed))

    def _choose(self, clause: str, tools: dict[str, ToolSpec]) -> ToolSpec | None:
        # "the first flight from those results" names what to use, not what to do
        pointed = _REFERENCE.search(clause) is not None
        clause = _REFERENCE.sub(" ", clause)
        # quoted values ("Please show the logs") are what to send, not what to do
        clause = QUOTED.sub(" ", clause) if '"' in clause else clause
        scored = sorted(((score_tool(clause, t), t.name) for t in tools.values()), reverse=True)
        if not scored or scored[0][0] < self.threshold:
            return None
        best = tools[scored[0][1]]
        tied = [tools[n] for s, n in scored if s == scored[0][0]]
        if len(tied) > 1 and pointed:  # one record pointed at ("the second order you found"): no new listing
            tied = [t for t in tied if profile_tool(t).kind != "list"] or tied
            best = tied[0]
        if len(tied) > 1:  # "look up the food order": the tool whose name says "order", not "orders"
            tied = [t for t in tied if said_as_named(clause, t)] or tied
            best = tied[0]
        if len(tied) > 1:  # the same words in another order (gallon_to_liter, liter_to_gallon): the order said
            best = next((t for t in tied if said_in_order(clause, t)), best)
        said, name = said_words(clause), tool_info(best).name
        if name <= said:
            # a longer name said in full is the more specific tool (get_user_tickets over get_ticket)
            wider = [tools[n] for s, n in scored if s >= self.threshold and name < tool_info(tools[n]).name <= said]
            best = wider[0] if wider else best
        return best

    def _answers(self, text: str, request: str, asked: str, tools: dict[str, ToolSpec]) -> bool:
        """Whether ``text`` gives the value the assistant asked for about ``request``, or is a message of
        its own: a question, a request for another tool, or words that cannot be the id asked for."""
        tool, param = next(((t, p) for t in self._chosen(request, tools) if (p := _asked_param(asked, t)) is not None),
                           (None, None))
        if tool is None or param is None:
            return False  # the question was about an earlier request (a second question in a row)
        said = extract_args(text, tool)
        if param in said:
            return True  # "the order id is FO-1"
        asks_for = self._chosen(text, tools)
        if any(t.name != tool.name for t in asks_for):
            return False  # "search stores near 1 Main St" while the order's store id was asked
        if said:
            return True  # another value of the same request ("the promo code is X"): the id is asked again
        value = extract_args(text, tool, asked=param).get(param, MISSING)
        if value is MISSING:
            return True  # nothing to take; the question is asked again
        if text.rstrip().endswith("?") or asks_for:
            return False
        return not _not_a_key(tool, param, value)

    def _chosen(self, text: str, tools: dict[str, ToolSpec]) -> list[ToolSpec]:
        """The tool each clause of ``text`` asks for (clauses that ask for none left out)."""
        return [t for c in split_clauses(text) if (t := self._choose(c, tools)) is not None]

    def _follow_up(self, text: str, msgs: list[Message], tools: dict[str, ToolSpec], seed: int) -> ToolCall | None:
        best: tuple[float, int, ToolCall] | None = None
        order = 0
        today = find_today(m.content for m in msgs if m.role == "system")
        for m in reversed(msgs):
            for c in reversed(m.tool_calls):
                order -= 1
                tool = tools.get(c.name)
                if tool is None:
                    continue
                changed = extract_args(text, tool, today=today)
                if changed:
                    cand = ToolCall(id=_call_id(seed, 0), name=c.name, arguments={**c.arguments, **changed})
                    key = (score_tool(text, tool), order)
                    if best is None or key > best[:2]:
                        best = (key[0], key[1], cand)
        return best[2] if best is not None else None

    def _no_tool_reply(self, text: str, tools: dict[str, ToolSpec], seed: int) -> str:
        lowered = text.lower()
        rng = random.Random(seed)
        capabilities = _capabilities(tools, rng)
        if _CLOSING.search(text):
            return pick_reply("closing", rng)
        for key, reply in chitchat_replies().items():
            if key in lowered:
                return pick_reply("chitchat_prefix", rng) + reply.format(capabilities=capabilities)
        if _REQUEST.search(text):
            return pick_reply("decline", rng, capabilities=capabilities)
        return "Happy to chat! Let me know whenever you need help with a task."


_ASK_PREFIXES = ("Could you tell me", "What is the", "Which", "I need the", "Please tell me")


def _only_thanks(text: str, tools: dict[str, ToolSpec]) -> bool:
    """A closing remark that asks for nothing: a thanks or goodbye, with no verb any offered tool is
    called by (nor a synonym of one) and no tool's whole name."""
    if not _CLOSING.search(text):
        return False
    said = said_words(text)
    if any(verb_word(w) for w in said):
        return False
    # no tool named in full ("ticket login, thanks") nor by the word that says what it does
    return not any(tool_info(tool).name <= said or ((verb := profile_tool(tool).verb) and verb in said)
                   for tool in tools.values())


def _ask(tool: ToolSpec, param: str, rng: random.Random) -> str:
    phrase = param_phrase(param)
    what = param_phrase(tool.name)
    return rng.choice((
        f"Could you tell me the {phrase} so I can {what}?",
        f"What is the {phrase} you'd like me to use?",
        f"I need the {phrase} to {what}. What should it be?",
        f"Please tell me the {phrase}. What is it?",
    ))


def _asked_param(question: str | None, tool: ToolSpec) -> str | None:
    if not question:
        return None
    lowered = question.lower()
    for p, phrase, _, pattern in tool_info(tool).params:
        if phrase in lowered and pattern.search(lowered):
            return p
    return None


def _is_id(param: str) -> bool:
    return normalize_name(param).endswith(("_id", "_ids", "_number", "_code", "_reference")) or param == "id"


def _is_key(tool: ToolSpec, param: str) -> bool:
    """An id, or the key the tool looks its record up by (``username``): values that come from results."""
    return _is_id(param) or param == profile_tool(tool).id_param


def _not_a_key(tool: ToolSpec, param: str, value: object) -> bool:
    """A bare answer of several words for an id or lookup key: a sentence, not the key asked for."""
    return _is_key(tool, param) and isinstance(value, str) and len(value.split()) > 2


def _call_id(seed: int, k: int) -> str:
    return f"call_{derive_seed(seed, 'call', k) % 16**10:010x}"


def _capabilities(tools: dict[str, ToolSpec], rng: random.Random | None = None) -> str:
    names = [param_phrase(n) for n in sorted(tools)]
    names = sorted(rng.sample(names, min(3, len(names)))) if rng is not None else names[:6]
    if not names:
        return "chat with you"
    return "help you " + (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0])
