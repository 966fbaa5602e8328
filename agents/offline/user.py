"""Offline user: phrases each plan step from its intent (the tool's action and entity,
the values that matter) with templates kept as data, in a style drawn from the
persona; answers the assistant's questions, and moves on once a step is done
(ToolFlow's user)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import re
from functools import lru_cache
from typing import Any

from turnloom.agents._protocol import AgentOutput, AgentView
from turnloom.agents.offline._extract import extract_args, steers, verb_word
from turnloom.agents.offline._meaning import has_forms, say_by_meaning
from turnloom.agents.offline._phrasing import ORDINALS, format_value, join_phrases, param_phrase
from turnloom.agents.offline._results import COUNTED
from turnloom.agents.offline._templates import action_words, expand, pick, pick_style, typo, user_data
from turnloom.agents.spoken import say_date
from turnloom.schema import Message, Plan, PlanStep, ToolSpec
from turnloom.tools_env.analysis import profile_tool, singular, split_words

__all__ = ["OfflineUser"]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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
        style = _style(view.plan)
        for name in step.tools:
            tool = tools.get(name)
            if tool is None:
                continue
            # "I need the order id to apply promo code": words inside the tool's name ask for nothing
            named = [m.span() for m in re.finditer(rf"\b{re.escape(param_phrase(name))}\b", asked)]
            for param in sorted(tool.properties, key=lambda p: -len(param_phrase(p))):
                phrase = param_phrase(param)
                said = [m.span() for m in re.finditer(rf"\b{re.escape(phrase)}\b", asked)]
                if param in known and any(not any(s <= a and b <= e for s, e in named) for a, b in said):
                    phrases = tuple(param_phrase(p) for p in tool.properties)
                    template = pick(user_data()["clarify_answer"], style, rng)
                    if "{phrase}" not in template and param not in step.withhold:
                        template = "The {phrase} is {value}."
                    return template.format(phrase=phrase, value=_say(known[param], phrases, _today(view.plan), rng))
        return None

    def opening(self, step: PlanStep, plan: Plan, tools: dict[str, ToolSpec], rng: random.Random) -> str:
        data, style, today = user_data(), _style(plan), _today(plan)
        kind = step.kind
        if kind in ("chitchat", "irrelevant"):
            return str(step.slots.get("text", "By the way, how are you?"))
        tool = tools.get(step.tools[0]) if step.tools else None
        if kind == "closing" or tool is None:
            about = _last_entity(plan, step, tools)
            if about and rng.random() < _ABOUT_RATE:
                return _finish(pick(data["closing_about"], style, rng).format(entity=about), style)
            return _finish(pick(data["closing"], style, rng), style)
        if kind == "parallel":
            calls = step.slots.get("calls", [{}, {}])
            second = tools.get(step.tools[-1], tool)
            a = self._request(tool, calls[0], style, rng, greet=True, offered=tools, today=today)
            b = self._request(second, calls[1] if len(calls) > 1 else {}, style, rng, today=today)
            b = b if b.startswith(("I ", "I'")) else b[:1].lower() + b[1:]
            return _tail(expand(str(rng.choice(data["parallel_join"])), rng).format(a=a, b=b), style, tools, rng)
        if kind == "dependent":
            param, binding = next(iter(step.bindings.items()))
            field = binding.split(".", 2)[2].split("#")[0] if binding.count(".") >= 2 else param
            ordinal = int(binding.rsplit("#", 1)[1]) if "#" in binding else 0
            entity, listed = _entity_of(field)
            refs = data["ref_listed"] if listed else data["ref_single"]
            form = expand(str(rng.choice(refs)), rng)
            ref = form.format(ordinal=ORDINALS[ordinal], entity=entity, count=COUNTED[ordinal])
            # "close the ticket for the one you just got me", not "... for the ticket you just got me"
            plain = form.replace("{entity}", "one").format(ordinal=ORDINALS[ordinal], count=COUNTED[ordinal])
            return _tail(self._dependent(tool, step.slots, (ref, plain, entity), style, rng, today, offered=tools),
                         style, tools, rng)
        if kind == "follow_up":
            (param, value), = step.slots.items() if len(step.slots) == 1 else list(step.slots.items())[:1]
            phrases = tuple(param_phrase(p) for p in tool.properties)
            if step.bindings:
                entity = next(iter(step.bindings)).removesuffix("_id").replace("_", " ")
                frame = _frame(data["follow_up_update"], style, rng)
                return _finish(frame.format(phrase=param_phrase(param), value=format_value(value, phrases),
                                            entity=entity, action=action_words(tool, rng)), style)
            what = _what(tool, rng)
            meant = say_by_meaning(param, value, phrases, rng) if rng.random() < _MEANING_RATE else None
            if meant is not None:
                text = _finish(_frame(data["follow_up_requery_meant"], style, rng).format(what=what, meant=meant),
                               style)
                if extract_args(text, tool, today=today) == {param: value}:
                    return text
            frame = _frame(data["follow_up_requery"], style, rng)
            return _finish(frame.format(phrase=param_phrase(param), value=format_value(value, phrases), what=what),
                           style)
        slots = {k: v for k, v in step.slots.items() if k not in step.withhold}
        return _tail(self._request(tool, slots, style, rng, greet=True, offered=tools, today=today),
                     style, tools, rng)

    def _dependent(self, tool: ToolSpec, slots: dict[str, Any], refs: tuple[str, str, str], style: str,
                   rng: random.Random, today: dt.date | None, by_meaning: bool = True,
                   offered: dict[str, ToolSpec] | None = None) -> str:
        """A step on an earlier result, its own values said by meaning or by name. ``refs``: how the
        result is called back with its entity ("the ticket you just got me"), without it ("the one
        you just got me"), and the entity; the second when the request's verb phrase names the entity."""
        action = action_words(tool, rng)
        ref = refs[1] if refs[1] != refs[0] and set(refs[2].split()) <= set(split_words(action)) else refs[0]
        meant = _by_meaning(tool, slots, rng, today) if by_meaning else {}
        if meant and offered:
            # a form must not name another offered tool ("with sushi on the menu" reads as get_menu)
            meant = {k: v for k, v in meant.items() if not _names_other(v, tool, offered)}
        if meant:
            action = f"{action} {' '.join(meant.values())}"
        args = self._args(tool, {k: v for k, v in slots.items() if k not in meant}, rng, today)
        tail = f", {rng.choice(('with', 'using', 'and'))} {args}" if args else ""
        frame = _frame(user_data()["dependent"], style, rng)
        text = _finish(frame.format(action=action, ref=ref, args_tail=tail), style)
        if meant and extract_args(text, tool, today=today) != slots:
            return self._dependent(tool, slots, refs, style, rng, today, by_meaning=False, offered=offered)
        return text

    def _request(self, tool: ToolSpec, slots: dict[str, Any], style: str, rng: random.Random,
                 greet: bool = False, offered: dict[str, ToolSpec] | None = None,
                 today: dt.date | None = None, by_meaning: bool = True) -> str:
        action = action_words(tool, rng)
        meant = _by_meaning(tool, slots, rng, today) if by_meaning else {}
        if meant and offered:
            # a form must not name another offered tool ("with sushi on the menu" reads as get_menu)
            meant = {k: v for k, v in meant.items() if not _names_other(v, tool, offered)}
        if meant:
            parts = list(meant.values())
            rng.shuffle(parts)
            action = f"{action} {' '.join(parts)}"
        plain = {k: v for k, v in slots.items() if k not in meant}
        text = self._phrase(tool, plain, action, style, rng, greet, offered, today)
        if meant and extract_args(text, tool, today=today) != {k: slots[k] for k in slots}:
            # said so that the assistant could misread it: say every value by its parameter's name
            return self._request(tool, slots, style, rng, greet, offered, today, by_meaning=False)
        return text

    def _phrase(self, tool: ToolSpec, slots: dict[str, Any], action: str, style: str, rng: random.Random,
                greet: bool, offered: dict[str, ToolSpec] | None, today: dt.date | None) -> str:
        data = user_data()
        opener = _frame(data["greet"], style, rng) if greet else ""
        if offered:
            opener += _aside("context", style, offered, rng, _rate("context", style))
        if not slots:
            return _finish(opener + _frame(data["noargs"], style, rng).format(action=action), style)
        frame = _frame(data["request"], style, rng)
        if style not in ("brief", "typos"):
            frame = frame.replace(". {args}", ". {Args}").replace("? {args}", "? {Args}")
        args = self._args(tool, slots, rng, today, clause=_CLAUSE_BEFORE.search(frame) is not None)
        text = opener + frame.format(action=action, args=args, Args=_cap(args))
        text = _finish(text, style)
        weekday = _weekday(slots)
        said_plainly = any(isinstance(v, str) and _ISO_DATE.match(v) and v in args for v in slots.values())
        if weekday is not None and said_plainly and rng.random() < 0.5:
            said = expand(str(rng.choice(data["weekday"])), rng).format(weekday=weekday)
            text += ("" if text.endswith((".", "?", "!")) else ".") + " " + said
        return text

    @staticmethod
    def _args(tool: ToolSpec, slots: dict[str, Any], rng: random.Random, today: dt.date | None = None,
              clause: bool = False) -> str:
        """``<parameter phrase> <value>`` pairs in varied forms and order; dates sometimes said
        relative to the dialogue date. ``clause``: the values stand on their own ("email is x"),
        not after a word that wants a noun ("with", "using", "I have")."""
        phrases = tuple(param_phrase(p) for p in tool.properties)
        items = list(slots.items())
        rng.shuffle(items)
        forms = ("{p} {v}", "{p} {v}", "{p}: {v}", "{p} is {v}") if clause else ("{p} {v}", "{p} {v}", "{p}: {v}")
        parts = [rng.choice(forms).format(
            p=param_phrase(k), v=_say(v, phrases, today, rng)) for k, v in items]
        if len(parts) > 2 and rng.random() < 0.4:
            return "; ".join(parts)
        return join_phrases(parts)


def _by_meaning(tool: ToolSpec, slots: dict[str, Any], rng: random.Random,
                today: dt.date | None = None) -> dict[str, str]:
    """Values said by what they mean ("from Berlin", "for four people", "arriving next Friday"),
    each with some chance."""
    phrases = tuple(param_phrase(p) for p in tool.properties)
    out: dict[str, str] = {}
    for key, value in slots.items():
        if has_forms(key) and rng.random() < _MEANING_RATE:
            dated = isinstance(value, str) and _ISO_DATE.match(value) is not None
            said = say_by_meaning(key, value, phrases, rng, _say(value, phrases, today, rng) if dated else None)
            if said is not None:
                out[key] = said
    return out


_MEANING_RATE = 0.85
#: how often a closing says what the dialogue was about
_ABOUT_RATE = 0.4
#: a frame where the values start a sentence or follow a colon, so "email is x" reads right
_CLAUSE_BEFORE = re.compile(r"(?:^|[.:?!,]\s*)\{[Aa]rgs\}")


def _rate(section: str, style: str) -> float:
    """How often a request gets a ``section`` sentence (``rates`` in data/user.yaml)."""
    return float(user_data().get("rates", {}).get(section, {}).get(style, 0.5))


def _names_other(text: str, tool: ToolSpec, offered: dict[str, ToolSpec]) -> bool:
    """True when ``text`` says a name word of an offered tool other than ``tool`` that ``tool``'s
    own name does not have."""
    said = _name_words(text)
    own = _name_words(tool.name)
    return any(said & (_name_words(t.name) - own) for t in offered.values() if t.name != tool.name)


@lru_cache(maxsize=8192)
def _name_words(text: str) -> frozenset[str]:
    return frozenset(singular(w) for w in split_words(text))


def _aside(section: str, style: str, tools: dict[str, ToolSpec], rng: random.Random, rate: float) -> str:
    """A sentence of situation or thanks, or nothing: drawn with probability ``rate`` and kept
    only when no offered tool reads any of its words (it must not steer the assistant)."""
    if rng.random() >= rate:
        return ""
    text = _frame(user_data()[section], style, rng)
    if any(steers(text, t) for t in tools.values()):
        return ""
    return _finish(text, style) + " "


def _tail(text: str, style: str, tools: dict[str, ToolSpec], rng: random.Random) -> str:
    """The request, sometimes followed by a closing remark; only after a full stop, and the remark
    starts with a capital, so the assistant's reading of the last value stops before it."""
    if not text.endswith("."):
        return text
    said = _aside("tail", style, tools, rng, _rate("tail", style))
    return f"{text} {_cap(said.strip())}" if said else text


def _last_entity(plan: Plan, step: PlanStep, tools: dict[str, ToolSpec]) -> str | None:
    """What the dialogue's last tool step was about, in the tool's name words after its verb
    ("support ticket", "current weather"); None when no step used a tool."""
    for earlier in reversed(plan.steps[:step.index]):
        for name in earlier.tools:
            if name in tools:
                words = split_words(name)
                if profile_tool(tools[name]).verb != words[0] or len(words) < 2:
                    return None  # a name that does not start with what it does ("ticket_login")
                rest = words[1:]
                return " ".join([*rest[:-1], singular(rest[-1])])
    return None


def _what(tool: ToolSpec, rng: random.Random) -> str:
    """What a re-run of a search is called: "hotel search", "search for hotels", "current weather"."""
    words = split_words(tool.name)
    rest = " ".join(words[1:]) or tool.name
    if words and words[0] in ("search", "list", "find") and len(words) > 1:
        thing = " ".join(words[1:])
        # the verb stays: "hotels" alone would also name book_hotel
        return rng.choice((f"{' '.join(singular(w) for w in words[1:])} {words[0]}",
                           f"{words[0]} of {thing}" if words[0] == "list" else f"{words[0]} for {thing}"))
    return rest


def _style(plan: Plan | None) -> str:
    if plan is None:
        return "brief"
    key = "|".join(f"{s.kind}:{','.join(s.tools)}" for s in plan.steps) + plan.goal
    return pick_style(plan.persona, key)


def _frame(options: Any, style: str, rng: random.Random) -> str:
    frame = pick(options, style, rng)
    return typo(frame, rng) if style == "typos" else frame


def _finish(text: str, style: str) -> str:
    text = text.strip()
    return text if style in ("brief", "typos") else _cap(text)


def _today(plan: Plan | None) -> dt.date | None:
    if plan is None or not plan.today:
        return None
    try:
        return dt.date.fromisoformat(plan.today)
    except ValueError:
        return None


def _say(value: Any, phrases: tuple[str, ...], today: dt.date | None, rng: random.Random) -> str:
    """How the user says a value: a date often relative to the dialogue date ("next Friday")."""
    if today is not None and isinstance(value, str) and _ISO_DATE.match(value) and rng.random() < 0.65:
        with contextlib.suppress(ValueError):
            said = say_date(dt.date.fromisoformat(value), today, rng)
            if said is not None:
                return said
    if isinstance(value, str) and verb_word(value):
        return json.dumps(value)  # a bare "look" would read as what to do
    return format_value(value, phrases)


def _weekday(slots: dict[str, Any]) -> str | None:
    for value in slots.values():
        if isinstance(value, str) and _ISO_DATE.match(value):
            try:
                return _WEEKDAYS[dt.date.fromisoformat(value).weekday()]
            except ValueError:
                return None
    return None
