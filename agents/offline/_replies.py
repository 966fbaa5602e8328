"""How the offline assistant reports tool results: the few fields that matter, in one
of several styles, with actions confirmed by their key values (never a raw dump)."""

from __future__ import annotations

import datetime as dt
import functools
import random
from typing import Any

from turnloom.agents.offline._phrasing import fill_form, format_value, join_phrases, param_phrase, words
from turnloom.agents.offline._templates import assistant_data, expand
from turnloom.agents.spoken import say_moment
from turnloom.schema import ToolCall, ToolSpec, json_leaves
from turnloom.tools_env.analysis import profile_tool, singular

__all__ = ["decorate", "failure", "pick_reply", "summarize"]

_LABELS = ("name", "title", "subject", "airline", "symbol", "full_name", "display_name", "label")
_KEY_WORDS = ("price", "fare", "rating", "amount", "total", "fee", "rate", "temperature", "status", "date", "time",
              "minutes", "eta", "score", "value", "result", "quantity", "level", "condition", "index", "aqi")
_MAX_WORDS = 5
#: a record's name may be a short phrase ("Printer on floor 3 keeps jamming")
_LABEL_WORDS = 10


def pick_reply(key: str, rng: random.Random, **values: Any) -> str:
    text = expand(str(rng.choice(assistant_data()[key])), rng)
    return text.format(**values)


def _said(value: Any, max_words: int = _MAX_WORDS) -> str | None:
    """A value as a reply writes it, or None when it says nothing (long filler text, nested data)."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    text = format_value(value) if isinstance(value, float) else str(value)
    if isinstance(value, str) and (len(value.split()) > max_words or not value.strip()):
        return None
    return text


def _label(record: dict[str, Any]) -> tuple[str, str] | None:
    for key in record:
        leaf = key.lower()
        if (leaf in _LABELS or leaf.endswith("_name")) and _said(record[key], _LABEL_WORDS) is not None:
            return key, str(_said(record[key], _LABEL_WORDS))
    for key in record:
        if (key == "id" or key.endswith("_id")) and _said(record[key]) is not None:
            return key, str(_said(record[key]))
    return None


def _unit(key: str, record: dict[str, Any]) -> str:
    currency = record.get("currency")
    if isinstance(currency, str) and any(w in key for w in ("price", "fare", "amount", "total", "fee", "cost")):
        return f" {currency}"
    return ""


@functools.lru_cache(maxsize=8192)
def _fact_forms(key: str, number: bool, after_name: bool = False) -> tuple[str, ...]:
    """How a field is said: the generic forms plus those of the first field family its name
    belongs to (money, rating, status, date...; ``data/assistant.yaml``), with the forms for
    numbers when ``number``; ``after_name``: only the forms said right after a record's name
    ("priced at 120"), empty when the family has none."""
    data = assistant_data()
    lowered = key.lower()
    generic = tuple(data["fact"]) + (tuple(data["fact_number"]) if number else ())
    for spec in data["fact_families"].values():
        if any(w in lowered for w in spec["words"]):
            if after_name:
                return tuple(spec.get("after_name", ()))
            own = tuple(spec["forms"]) + (tuple(spec.get("number_forms", ())) if number else ())
            return own if spec.get("only") else generic + own
    return () if after_name else generic


def decorate(text: str, kind: str, rng: random.Random) -> str:
    """A reply, sometimes opened with a short lead-in and closed with an offer to go on
    (never a question: a question is what the assistant asks for a missing value)."""
    data = assistant_data()
    if rng.random() < 0.3:
        text = expand(str(rng.choice(data["lead_in"])), rng) + " " + text
    offers = data["offer"].get(kind) or data["offer"]["other"]
    if rng.random() < 0.4:
        text = text + " " + expand(str(rng.choice(offers)), rng)
    return text


@functools.lru_cache(maxsize=8192)
def _keyish(key: str) -> bool:
    """Whether a field's name says it matters to the user (a price, a date, a status...)."""
    return any(w in key.lower() for w in _KEY_WORDS)


def _moment(key: str, value: Any, rng: random.Random, today: dt.date | None) -> str | None:
    """A date or timestamp field said the way people say it ("created yesterday at 3:40 pm",
    "date 29 April"), or None when the value is none."""
    said = say_moment(value, today, rng) if isinstance(value, str) and value[:1].isdigit() else None
    if said is None:
        return None
    phrase, wants_on = said
    name = param_phrase(key)
    for tail in (" at", " on"):
        if name.endswith(tail) and len(name) > len(tail):
            return f"{name.removesuffix(tail)} {'on ' if wants_on else ''}{phrase}"
    return fill_form(expand(str(rng.choice(_fact_forms(key, False))), rng), name, phrase)


def _join(facts: list[str], rng: random.Random, inner: bool = False) -> str:
    """Facts joined in one of a few ways ("a, b and c", "a, b, plus c", "a; b; c"); ``inner``:
    inside one listed item, never with semicolons (they part the items)."""
    if len(facts) < 2:
        return join_phrases(facts)
    glue = rng.choice((" and ", " and ", ", plus ", " and ", ", along with ", " - also ") if inner
                      else (" and ", " and ", ", plus ", "; ", ", along with ", " - also "))
    if glue == "; ":
        return "; ".join(facts)
    return ", ".join(facts[:-1]) + glue + facts[-1]


def _facts(record: dict[str, Any], rng: random.Random, limit: int, skip: set[str],
           after_name: bool = False, today: dt.date | None = None, anchored: bool = False) -> list[str]:
    """Up to ``limit`` key fields as "<field> <value>" style noun phrases; ``after_name``: the
    first one, where its family has such forms, as said right after a name ("rated 4.5"). Dates
    and timestamps are said the way people say them (relative to ``today``) once another value
    is said word for word (``anchored``: the reply already says one)."""
    keyed = [k for k in record if k not in skip and _keyish(k)]
    rng.shuffle(keyed)
    if keyed and rng.random() < 0.4:
        keyed = keyed[1:] + keyed[:1]
    rest = [k for k in record if k not in skip and k not in keyed and not k.endswith("_id") and k != "id"]
    out: list[str] = []
    for key in keyed + rest:
        said = _said(record[key])
        if said is None or key == "currency":
            continue
        spoken = _moment(key, record[key], rng, today) if anchored or out else None
        if spoken is not None:
            out.append(spoken)
            if len(out) >= limit:
                break
            continue
        number = isinstance(record[key], (int, float))
        forms = (_fact_forms(key, number, True) if after_name and not out else ()) or _fact_forms(key, number)
        form = expand(str(rng.choice(forms)), rng)
        out.append(fill_form(form, param_phrase(key), said + _unit(key, record)))
        if len(out) >= limit:
            break
    return out


def _item(record: dict[str, Any], rng: random.Random, later: bool = False, today: dt.date | None = None) -> str:
    """One listed record: its name and a fact or two; ``later`` items (after the first) say their
    facts right after the name more often, and sometimes only the name."""
    label = _label(record)
    skip = {label[0]} if label else set()
    attached = bool(label) and rng.random() < (0.6 if later else 0.35)
    limit = rng.choice((0, 1, 1, 2) if later and label else (1, 1, 2))
    if not limit:
        return label[1] if label else ""
    facts = _facts(record, rng, limit, skip | {k for k in record if k.endswith("_id") or k == "id"},
                   after_name=attached, today=today, anchored=bool(label))
    head = label[1] if label else ""
    if facts and attached:
        return f"{head}, {_join(facts, rng, inner=True)}"
    if facts:
        form = rng.choice(("{h} ({f})", "{h} ({f})", "{h}, with {f}", "{h} - {f}", "{h}: {f}", "{h}, showing {f}",
                           "{h}, which has {f}"))
        return form.replace("{f}", ", ".join(facts)).replace("{h}", head) if head else ", ".join(facts)
    return head


def _enumerate(shown: list[str], rng: random.Random) -> str:
    """Listed items joined in one of several ways: numbered, in a row, or one after another."""
    style = rng.random()
    if style < 0.3 or len(shown) < 2:
        return "; ".join(f"{i + 1}) {s}" for i, s in enumerate(shown)) if style < 0.3 else join_phrases(shown)
    if style < 0.45:
        return "; ".join(f"({i + 1}) {s}" for i, s in enumerate(shown))
    if style < 0.6:
        return "; ".join(shown[:-1]) + f"; and {shown[-1]}"
    return join_phrases(shown)


def _records(content: Any) -> tuple[str, list[Any]] | None:
    if isinstance(content, list):
        return "results", content
    if isinstance(content, dict):
        # an empty list beside lists with items (a tweet's mentions beside its tags) is no empty search
        filled = any(isinstance(v, list) and v for v in content.values())
        for key, value in content.items():
            if isinstance(value, list) and (value or not filled) and all(isinstance(v, dict) for v in value):
                return key, value
    return None


def _count(n: int) -> str:
    return str(n) if n <= 10 else "more than ten"


def summarize(tool: ToolSpec | None, call: ToolCall | None, content: Any, rng: random.Random,
              today: dt.date | None = None) -> str:
    """One reply sentence or two for one successful result (dates said relative to ``today``)."""
    profile = profile_tool(tool) if tool is not None else None
    while isinstance(content, dict) and len(content) == 1 and isinstance(next(iter(content.values())), dict):
        content = next(iter(content.values()))  # {"stats": {...}} says its fields
    entity = (profile.entity if profile and profile.entity else "request").replace("_", " ")
    listed = _records(content)
    if listed is not None:
        key, items = listed
        noun = " ".join(words(key)) or "results"
        if not items:
            scalars = [s for s in (_said(v) for v in (content.values() if isinstance(content, dict) else []))
                       if s and len(s) >= 2]
            extra = f"(Searched: {scalars[0]}.)" if scalars else ""
            return pick_reply("empty", rng, noun=noun, extra=extra).strip()
        shown = [_item(r, rng, i > 0, today) if isinstance(r, dict) else str(_said(r)) for i, r in enumerate(items[:3])]
        shown = [s for s in shown if s and s != "None"]
        text = _enumerate(shown, rng)
        if len(items) == 1:
            return pick_reply("listed_one", rng, noun_one=singular(noun.split()[-1]) if noun else "result", items=text)
        return pick_reply("listed", rng, count=_count(len(items)), noun=noun, items=text)
    if not isinstance(content, dict):
        said = _said(content)
        return pick_reply("other", rng, facts=f"the result is {said}", Facts=f"The result is {said}") if said \
            else _fallback(content, rng)
    kind = profile.kind if profile else "action"
    args = set(call.arguments) if call is not None else set()
    id_key = profile.id_field if profile and profile.id_field in content else None
    ident = _said(content[id_key]) if id_key else None
    lead = [fill_form(expand(str(rng.choice(assistant_data()["id_lead"])), rng), param_phrase(id_key), ident)] \
        if id_key and ident else []
    if kind == "update":
        changed = {k: content[k] for k in content if k in args and k != id_key}
        facts = lead + _facts(changed or content, rng, 2, {id_key} if id_key else set(), today=today,
                              anchored=bool(lead))
        return _render("updated", rng, entity, facts, content)
    if kind == "status" and isinstance(content.get("status"), str):
        facts = lead + _facts(content, rng, 1, {"status"} | ({id_key} if id_key else set()), today=today,
                              anchored=True)
        said = _join(facts, rng)
        return pick_reply("status", rng, entity=entity, status=content["status"], facts=said, Facts=_cap(said))
    facts = lead + _facts(content, rng, 3 - len(lead), {id_key} if id_key else set(), today=today,
                          anchored=bool(lead))
    key = {"create": "created", "read": "read"}.get(kind, "other")
    return _render(key, rng, entity, facts, content)


def _fallback(content: Any, rng: random.Random) -> str:
    """A confirmation carrying the shortest returned value of two characters or more (what the reply
    must quote), in one of several wordings."""
    said = sorted((str(v) for v in json_leaves(content) if not isinstance(v, bool) and v is not None
                   and len(str(v)) >= 2), key=len)
    if not said:
        return pick_reply("done_bare", rng)
    value = said[0]
    return pick_reply("done", rng, value=value, end="" if value.rstrip().endswith((".", "!", "?")) else ".")


def _render(key: str, rng: random.Random, entity: str, facts: list[str], content: Any) -> str:
    if not facts:
        return _fallback(content, rng)
    text = _join(facts, rng)
    return pick_reply(key, rng, entity=entity, facts=text, Facts=_cap(text))


def failure(name: str, error: str, rng: random.Random) -> str:
    return pick_reply("failed", rng, what=param_phrase(name), error=error.rstrip("."))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
