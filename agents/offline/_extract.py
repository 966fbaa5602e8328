"""Reading tool choices and argument values out of a user's words (offline assistant)."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from turnloom.agents.offline._meaning import find_meanings
from turnloom.agents.offline._phrasing import param_phrase, words
from turnloom.agents.offline._results import MISSING
from turnloom.agents.offline._templates import user_data
from turnloom.agents.spoken import resolve_date
from turnloom.schema import ToolSpec, canonical_json
from turnloom.tools_env.analysis import singular, split_words

__all__ = ["QUOTED", "ToolInfo", "extract_args", "said_as_named", "said_in_order", "said_words", "score_tool",
           "split_clauses", "steers", "tool_info", "verb_word"]

_STOP = {"a", "an", "the", "for", "to", "of", "in", "on", "by", "with", "and", "or", "from", "at", "its",
         "their", "your", "my", "is", "be", "as", "that", "this", "it", "into", "all", "any", "given", "using",
         "specific", "new", "one"}
_SYNONYMS = {
    "update": {"change", "modify", "edit", "set", "update", "adjust"},
    "cancel": {"cancel", "delete", "remove", "drop"},
    "get": {"get", "show", "check", "look", "details", "fetch", "retrieve", "pull", "grab", "dig", "bring"},
    "search": {"search", "find", "look", "list", "browse"},
    "book": {"book", "reserve", "secure", "lock"},
    "create": {"create", "make", "put", "register"},
}
_CLAUSE_MARKERS = re.compile(r"\s+(?:Also|At the same time|Additionally|While you're at it|On top of that|Separately"
                             r"|Oh and|One more thing|And another thing|Besides that|Plus|In parallel|Meanwhile"
                             r"|And then|After that|Next up|Second thing|While we're here|And lastly"
                             r"|Also on my list),\s+")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
QUOTED = _QUOTED
_LEAD = re.compile(r"^[\s:=\-—]+|^(?:is|are|of|as|should be|to|=)\s+", re.I)
_TRAIL_WORDS = ("and", "instead", "please")
_SENTENCE_END = re.compile(r"\.\s+[A-Z]")
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_IDENTIFIER = re.compile(r"\w+_\w*")
_BARE_ANSWER = re.compile(r"^(?:(?:oh|ah|yes|right|sorry|oops|whoops|srry)[,!.]?\s+)*"
                          r"(?:it'?s|it is|that would be|sure|ok|okay)[,\s]+", re.I)


#: words that widen a clause to a verb's synonyms, hence pull the tool choice
_TRIGGERS = frozenset(_SYNONYMS) | frozenset(w for syns in _SYNONYMS.values() for w in syns)


def verb_word(text: str) -> bool:
    """Whether ``text`` is one word the assistant reads as a verb ("look", "book"): said bare as a
    value, it would pull the tool choice."""
    return text.strip().lower() in _TRIGGERS


def steers(text: str, tool: ToolSpec) -> bool:
    """Whether ``text`` says anything the assistant reads for ``tool``: a word of its name or
    description, a verb synonym, or one of its parameter phrases."""
    return _steers(text, _Keyed(tool))


@lru_cache(maxsize=8192)
def _steers(text: str, keyed: _Keyed) -> bool:
    info = _tool_info(keyed)
    lowered, said = _said(text)
    if said & (info.name | info.desc | _TRIGGERS):
        return True
    return any(p in lowered and pattern.search(lowered) for p, pattern in info.phrases)


def split_clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_MARKERS.split(text) if c.strip()]


@dataclass(frozen=True)
class ToolInfo:
    """What the assistant reads off one tool, computed once per tool content."""

    #: score_tool: name and description words, description as the user might quote it
    name: frozenset[str]
    desc: frozenset[str]
    said_description: str | None
    #: score_tool: distinct parameter phrases with their ``\bphrase\b`` pattern
    phrases: tuple[tuple[str, re.Pattern[str]], ...]
    #: extract_args: the tool's own description / name (case-insensitive), not values
    selves: tuple[re.Pattern[str], ...]
    #: parameters, longest phrase first: (param, phrase, span pattern, word pattern)
    params: tuple[tuple[str, str, re.Pattern[str], re.Pattern[str]], ...]
    #: parameter -> validator of its sub-schema
    validators: dict[str, Draft202012Validator]


class _Keyed:
    """A tool hashed and compared by its content key (the cache keeps the tool alive)."""

    __slots__ = ("key", "tool")

    def __init__(self, tool: ToolSpec) -> None:
        self.tool = tool
        self.key = tool.key()

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Keyed) and other.key == self.key


def tool_info(tool: ToolSpec) -> ToolInfo:
    """The :class:`ToolInfo` of a tool, cached by the tool's whole content (its
    :meth:`ToolSpec.key`, itself computed once per tool object)."""
    return _tool_info(_Keyed(tool))


@lru_cache(maxsize=4096)
def _tool_info(keyed: _Keyed) -> ToolInfo:
    tool = keyed.tool
    phrases = sorted({param_phrase(p) for p in tool.properties}, key=len, reverse=True)
    params = sorted(tool.properties, key=lambda p: -len(param_phrase(p)))
    return ToolInfo(
        name=frozenset(singular(w) for w in split_words(tool.name)),
        desc=frozenset(singular(w) for w in words(tool.description) if w not in _STOP),
        said_description=tool.description.strip().rstrip(".").lower() if tool.description else None,
        phrases=tuple((p, re.compile(rf"\b{re.escape(p)}\b")) for p in phrases),
        selves=tuple(re.compile(rf"(?<![\w-]){re.escape(said)}(?![\w-])", re.I) for said in _self_descriptions(tool)),
        params=tuple((p, param_phrase(p), re.compile(rf"(?<![\w-]){re.escape(param_phrase(p))}(?![\w-])"),
                      re.compile(rf"\b{re.escape(param_phrase(p))}\b")) for p in params),
        validators={p: _validator(canonical_json(_subschema(tool, p))) for p in tool.properties},
    )


@lru_cache(maxsize=8192)
def _said(text: str) -> tuple[str, frozenset[str]]:
    """A clause lower-cased, and its (singular) words widened by synonyms."""
    # snake_case tokens ("no_show", "delivery_fee") are enum values, not words of the request
    stated = {singular(w) for w in words(_IDENTIFIER.sub(" ", text))}
    lowered = text.lower()
    for m in _any_alias().finditer(lowered):
        stated |= _alias_words()[m.group(0)]
    said = set(stated)
    for key, syns in _SYNONYMS.items():
        # widened from the words said only, so one set does not pull in the next one
        if stated & syns:
            said.add(key)
            said |= syns
    return lowered, frozenset(said)


@lru_cache(maxsize=1)
def _alias_words() -> dict[str, frozenset[str]]:
    """Each alias, lower-cased -> the (singular) name words it stands for."""
    table = user_data().get("aliases", {})
    out: dict[str, frozenset[str]] = {}
    for named, aliases in table.items():
        for alias in aliases:
            key = alias.lower()
            out[key] = out.get(key, frozenset()) | frozenset(singular(w) for w in words(named))
    return out


@lru_cache(maxsize=1)
def _any_alias() -> re.Pattern[str]:
    """One pattern that finds whether any alias is said (most clauses say none)."""
    table = user_data().get("aliases", {})
    said = sorted({alias.lower() for aliases in table.values() for alias in aliases}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(a) for a in said) + r")\b") if said else re.compile(r"(?!)")


def said_in_order(text: str, tool: ToolSpec) -> bool:
    """True when every word of the tool's name comes in ``text``, in the name's order (``gallon to liter``
    for gallon_to_liter, not for liter_to_gallon)."""
    spoken = [singular(w) for w in split_words(text)]
    at = []
    for w in (singular(x) for x in split_words(tool.name)):
        if w not in spoken:
            return False
        at.append(spoken.index(w))
    return at == sorted(at)


def said_as_named(text: str, tool: ToolSpec) -> bool:
    """True when the words of the tool's name after its verb come in ``text`` just as written, number
    included ("the food order" for get_food_order, not for list_food_orders), or one of their aliases
    does ("the meal order")."""
    spoken = set(split_words(text))
    rest = split_words(tool.name)[1:]
    if all(w in spoken for w in rest):
        return True
    own = _aliases_of(" ".join(rest))
    return bool(own) and any(m.group(0) in own for m in _any_alias().finditer(text.lower()))


@lru_cache(maxsize=4096)
def _aliases_of(rest: str) -> frozenset[str]:
    """The aliases of a tool's name words after its verb (``data/user.yaml`` ``aliases``), lower-cased."""
    return frozenset(str(a).lower() for a in user_data().get("aliases", {}).get(rest, ()))


def said_words(text: str) -> frozenset[str]:
    """The (singular) words of a clause, widened by synonyms, as :func:`score_tool` reads them."""
    return _said(text)[1]


def score_tool(text: str, tool: ToolSpec) -> float:
    """How strongly a clause asks for this tool (0 = not at all)."""
    info = tool_info(tool)
    name, desc = info.name, info.desc
    lowered, said = _said(text)
    score = 0.0
    if name and name <= said:
        # every word of a longer name said is the more specific tool (update_pet_with_form over update_pet)
        score += 3.0 + 0.5 * (len(name) - 1)
    elif name:
        score += 1.5 * len(name & said) / len(name)
    if desc:
        score += 3.0 * len(desc & said) / len(desc)
    if info.said_description is not None and info.said_description in lowered:
        score += 3.0
    score += 0.3 * sum(1 for p, pattern in info.phrases if p in lowered and pattern.search(lowered))
    return score


@lru_cache(maxsize=8192)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _subschema(tool: ToolSpec, param: str) -> dict[str, Any]:
    sub = tool.properties.get(param, {})
    sub = sub if isinstance(sub, dict) else {}
    defs = {k: tool.parameters[k] for k in ("$defs", "definitions") if k in tool.parameters}
    return {**sub, **defs}


def _convert(text: str, schema: dict[str, Any]) -> list[Any]:
    """Candidate typed values for a piece of text, most likely first."""
    text = text.strip()
    types = schema.get("type")
    types = [types] if isinstance(types, str) else (types or ["string"])
    out: list[Any] = []
    if text[:1] in "[{\"" or text in ("true", "false", "null"):
        with contextlib.suppress(ValueError):
            out.append(json.loads(text))
    if "enum" in schema:
        for v in schema["enum"]:
            if str(v).lower() == text.lower():
                out.append(v)
    for t in types:
        if t == "integer" and _INTEGER.fullmatch(text):
            out.append(int(text))
        elif t == "number" and _NUMBER.fullmatch(text):
            out.append(float(text) if "." in text else int(text))
        elif t == "boolean" and text.lower() in ("yes", "no", "true", "false"):
            out.append(text.lower() in ("yes", "true"))
        elif t == "string":
            out.append(text)
    return out


def _strip_trail(text: str) -> str:
    """Drop trailing punctuation, spaces and filler words (linear: no regex backtracking)."""
    while True:
        new = text.rstrip(" \t\n,;:!?.")
        lowered = new.lower()
        for word in _TRAIL_WORDS:
            if lowered.endswith(" " + word):
                new = new[: -len(word) - 1]
                break
        if new == text:
            return new
        text = new


def _cleanup(raw: str) -> list[str]:
    text = raw
    for _ in range(3):
        text = _LEAD.sub("", text).strip()
    sentence_end = _SENTENCE_END.search(text)
    if sentence_end:
        text = text[: sentence_end.start()]
    text = _strip_trail(text)
    cands = [text]
    for sep in (" to ", " be ", " is "):
        if sep in f" {text} ":
            cands.append(f" {text} ".rsplit(sep, 1)[1].strip())
    return [c for c in cands if c]


def extract_args(text: str, tool: ToolSpec, *, asked: str | None = None,
                 today: dt.date | None = None) -> dict[str, Any]:
    """Argument values stated in ``text`` for ``tool``; ``asked`` is a parameter the
    assistant just asked for, so a bare answer ("It's Lisbon.") fills it; ``today`` resolves
    relative dates ("next Friday") of date parameters. The same reading is memoized (the user
    reads its own request back before the assistant reads it); each caller gets its own copy."""
    found = _extract_memo(text, _Keyed(tool), asked, today)
    return copy.deepcopy(found) if any(isinstance(v, (dict, list)) for v in found.values()) else dict(found)


@lru_cache(maxsize=8192)
def _extract_memo(text: str, keyed: _Keyed, asked: str | None, today: dt.date | None) -> dict[str, Any]:
    return _extract(text, keyed.tool, asked=asked, today=today)


def _extract(text: str, tool: ToolSpec, *, asked: str | None = None, today: dt.date | None = None) -> dict[str, Any]:
    quoted: list[str] = []

    def _mask(m: re.Match[str]) -> str:
        quoted.append(m.group(0))
        return f"\x00{len(quoted) - 1}\x00"

    masked = _QUOTED.sub(_mask, text) if '"' in text else text
    info = tool_info(tool)
    # the tool's own description or name, when the user quotes it as the request, is not a value; but where
    # it starts a parameter's phrase ("comment content" of ``comment``) it names that parameter
    said = [(m.start(), m.end()) for _, _, span, _ in info.params for m in span.finditer(masked.lower())]
    for pattern in info.selves:
        masked = pattern.sub(lambda m: m.group(0) if any(s <= m.start() < e for s, e in said) else _blank(m),
                             masked)
    lowered = masked.lower()
    spans: list[tuple[int, int, str]] = []
    for p, phrase, pattern, _ in info.params:
        if phrase not in lowered:
            continue
        for m in pattern.finditer(lowered):
            if not any(s <= m.start() < e or s < m.end() <= e for s, e, _ in spans):
                spans.append((m.start(), m.end(), p))
    spans.sort()
    meant = find_meanings(masked, tool, [(s, e) for s, e, _ in spans])
    starts = sorted([s for s, _, _ in spans] + [s for s, _, _, _ in meant])
    found: dict[str, Any] = {}
    for _, end, p in spans:
        stop = next((s for s in starts if s >= end), len(masked))
        value = _value_from(masked[end:stop], quoted, tool, p, info, today)
        if value is not MISSING:
            found[p] = value
    for _, _, p, raw in meant:
        if p not in found:
            value = _value_from(raw, quoted, tool, p, info, today)
            if value is not MISSING:
                found[p] = value
    if asked and asked not in found and asked in tool.properties:
        value = _value_from(_BARE_ANSWER.sub("", masked), quoted, tool, asked, info, today)
        if value is not MISSING:
            found[asked] = value
    return found




def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group(0))


def _self_descriptions(tool: ToolSpec) -> list[str]:
    desc = tool.description.strip().rstrip(".").strip()
    out = [desc] if desc else []
    out.append(" ".join(split_words(tool.name)))
    return [d for d in out if d]


_NOT_A_START = {"for", "on", "in", "a", "an", "with", "to", "from", "of", "at", "by", "and", "or", "between"}


def _value_from(raw: str, quoted: list[str], tool: ToolSpec, param: str, info: ToolInfo,
                today: dt.date | None = None) -> Any:
    schema = _subschema(tool, param)
    validator = info.validators[param]
    for cand in _cleanup(raw):
        if today is not None and (schema.get("format") == "date" or "date" in param.lower()):
            day = resolve_date(cand, today)
            if day is not None and validator.is_valid(day.isoformat()):
                return day.isoformat()
        if cand.split(" ", 1)[0].lower() in _NOT_A_START:
            continue
        if "\x00" in cand:
            cand = _PLACEHOLDER.sub(lambda m: quoted[int(m.group(1))], cand)
        if cand.startswith('"') and cand.endswith('"') and "string" in str(schema.get("type", "string")):
            try:
                cand_value: Any = json.loads(cand)
            except ValueError:
                cand_value = cand
            if validator.is_valid(cand_value):
                return cand_value
        for value in _convert(cand, schema):
            if validator.is_valid(value):
                return value
    return MISSING
